//! Domain types parsed from raw input: if you hold one, it is valid.

pub mod names;
pub mod numbers;
pub mod role;
pub mod two_person;

pub use names::{DisplayName, Email, EndDate, ProjectName, ProjectSummary, Username};
pub use role::{Role, RoleSet};
