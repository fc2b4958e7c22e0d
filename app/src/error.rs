//! The error type that crosses from server functions to pages, and the kinds of error page.

use serde::{Deserialize, Serialize};
use server_fn_error::*;

mod server_fn_error {
    pub use leptos::server_fn::codec::JsonEncoding;
    pub use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
}

/// What a page shows when its data cannot be had. Messages are written for users; causes of
/// internal errors are logged on the server with the request id and never sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("You need to sign in to see this page")]
    NotSignedIn,
    #[error("{0}")]
    Forbidden(String),
    #[error("The {0} you asked for does not exist")]
    NotFound(String),
    #[error("Some answers need correcting")]
    Invalid(Vec<(String, String)>),
    #[error("Something went wrong on our side")]
    Internal,
    #[error("The page could not talk to the server: {0}")]
    ServerFn(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;
    fn from_server_fn_error(e: ServerFnErrorErr) -> Self {
        AppError::ServerFn(e.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotSignedIn,
    Forbidden,
    NotFound,
    Internal,
}

impl ErrorKind {
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::NotSignedIn => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::Internal => 500,
        }
    }
}

impl AppError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            AppError::NotSignedIn => ErrorKind::NotSignedIn,
            AppError::Forbidden(_) => ErrorKind::Forbidden,
            AppError::NotFound(_) => ErrorKind::NotFound,
            AppError::Invalid(_) | AppError::Internal | AppError::ServerFn(_) => {
                ErrorKind::Internal
            }
        }
    }
}

#[cfg(feature = "ssr")]
impl From<campus_core::CoreError> for AppError {
    fn from(e: campus_core::CoreError) -> Self {
        use campus_core::authz::Denied;
        use campus_core::CoreError as C;
        match e {
            C::Denied(Denied::NotSignedIn) => AppError::NotSignedIn,
            C::Denied(Denied::Forbidden(why)) => AppError::Forbidden(why),
            C::NotFound(what) => AppError::NotFound(what.to_owned()),
            C::Invalid(fields) => AppError::Invalid(fields.0),
            other => {
                tracing::error!(error = %other, "internal error behind a page");
                AppError::Internal
            }
        }
    }
}
