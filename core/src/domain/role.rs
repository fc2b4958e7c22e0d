//! Portal roles. A person may hold several; external partners usually hold only `Partner`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Staff,
    Reviewer,
    /// Checks outputs for statistical disclosure before they go public; must be off the project.
    OutputChecker,
    Operator,
    Admin,
    Partner,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Staff,
        Role::Reviewer,
        Role::OutputChecker,
        Role::Operator,
        Role::Admin,
        Role::Partner,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Reviewer => "reviewer",
            Role::OutputChecker => "output_checker",
            Role::Operator => "operator",
            Role::Admin => "admin",
            Role::Partner => "partner",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Staff => "Staff member",
            Role::Reviewer => "Reviewer",
            Role::OutputChecker => "Output checker",
            Role::Operator => "Operator",
            Role::Admin => "Administrator",
            Role::Partner => "External partner",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("\"{0}\" is not a role: use staff, reviewer, output_checker, operator, admin or partner")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// The roles one person holds, kept sorted and without duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleSet(Vec<Role>);

impl RoleSet {
    pub fn new(roles: impl IntoIterator<Item = Role>) -> Self {
        let mut v: Vec<Role> = roles.into_iter().collect();
        v.sort();
        v.dedup();
        RoleSet(v)
    }
    pub fn has(&self, role: Role) -> bool {
        self.0.contains(&role)
    }
    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Holds a role of the statistics office's own staff (anything but partner).
    pub fn is_internal(&self) -> bool {
        self.0.iter().any(|r| *r != Role::Partner)
    }
}
