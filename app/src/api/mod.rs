//! Server functions: thin wrappers that find the actor, call one core service and map its error.
//! They only read; every change of state goes through a plain form post handled by the server.

pub mod account;
pub mod admin;
pub mod projects;
pub mod shell;

pub use account::*;
pub use admin::*;
pub use projects::*;
pub use shell::*;
