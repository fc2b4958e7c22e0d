//! The core layer's one error type. Variants say what went wrong in terms a page can show;
//! `Store` carries the database cause for the log and is never shown to a user.

use crate::authz::Denied;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Messages for individual form fields, keyed by the field's name, in the order fields appear.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors(pub Vec<(String, String)>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        if !self.0.iter().any(|(f, _)| f == field) {
            self.0.push((field.to_owned(), message.into()));
        }
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
    /// Keeps a parse result, recording its error against `field`.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &str, r: Result<T, E>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.to_string());
                None
            }
        }
    }
    pub fn into_result(self) -> Result<(), CoreError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Invalid(self))
        }
    }
    pub fn as_map(&self) -> BTreeMap<&str, &str> {
        self.0
            .iter()
            .map(|(f, m)| (f.as_str(), m.as_str()))
            .collect()
    }
}

/// A rule's message (lower case, as errors are written) made into a sentence for a person.
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("{0}")]
    Denied(#[from] Denied),
    #[error("some fields need correcting")]
    Invalid(FieldErrors),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("too many attempts: try again in {retry_after_secs} seconds")]
    Throttled {
        retry_after_secs: i64,
        limit: crate::throttle::Limit,
    },
    #[error("the user name or password is not correct")]
    BadCredentials,
    #[error("database error: {0}")]
    Store(#[from] sqlx::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut e = FieldErrors::new();
        e.add(field, message);
        CoreError::Invalid(e)
    }
}

/// True when a database error is a unique-constraint violation, on either backend.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            matches!(db.kind(), sqlx::error::ErrorKind::UniqueViolation)
        }
        _ => false,
    }
}
