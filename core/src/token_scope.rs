//! What an API token may do: its scopes and its lifetime. A token never does more than its owner
//! may, and does less unless asked: `read` alone looks, `write` changes, and each role's actions
//! (`review`, `check`, `operate`, `admin`) need that role's own scope, so a script made for reading the
//! queue cannot also approve requests with its owner's operator role.

use crate::domain::{Role, RoleSet};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Read,
    Write,
    Review,
    /// Output checkers' decisions.
    Check,
    Operate,
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 6] = [
        Scope::Read,
        Scope::Write,
        Scope::Review,
        Scope::Check,
        Scope::Operate,
        Scope::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Review => "review",
            Scope::Check => "check",
            Scope::Operate => "operate",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The role whose actions this scope carries, if it is a role's.
    pub fn role(self) -> Option<Role> {
        match self {
            Scope::Read | Scope::Write => None,
            Scope::Review => Some(Role::Reviewer),
            Scope::Check => Some(Role::OutputChecker),
            Scope::Operate => Some(Role::Operator),
            Scope::Admin => Some(Role::Admin),
        }
    }

    /// What the token form says of it.
    pub fn label(self) -> &'static str {
        match self {
            Scope::Read => "Read: see what you can see in the portal",
            Scope::Write => "Write: make changes as you (requests, projects, applications)",
            Scope::Review => "Review: reviewers' actions on applications",
            Scope::Check => "Check: output checkers' decisions on what may go public",
            Scope::Operate => "Operate: operators' actions (decisions, catalogue, quotas, queue)",
            Scope::Admin => "Admin: administrators' actions (people and roles)",
        }
    }
}

/// A token's scopes. `read` is always among them: a token that could do nothing is no token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Scopes(u8);

impl Scopes {
    pub fn new(scopes: impl IntoIterator<Item = Scope>) -> Scopes {
        let mut bits = 1 << Scope::Read as u8;
        for s in scopes {
            bits |= 1 << s as u8;
        }
        Scopes(bits)
    }

    pub fn has(self, s: Scope) -> bool {
        self.0 & (1 << s as u8) != 0
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.has(*s))
    }

    /// As stored: names separated by spaces. Unknown names (from a later version) are ignored.
    pub fn parse(stored: &str) -> Scopes {
        Scopes::new(stored.split_whitespace().filter_map(Scope::parse))
    }

    /// The roles a token acts with: its owner's, less those whose scope it lacks. Staff and
    /// partner are what a person is, not a power, so they stay.
    pub fn roles_of(self, owner: &RoleSet) -> RoleSet {
        RoleSet::new(owner.iter().filter(|r| {
            Scope::ALL
                .into_iter()
                .find(|s| s.role() == Some(*r))
                .is_none_or(|s| self.has(s))
        }))
    }

    /// The first scope the owner no longer holds the role for, if any: such a token is revoked.
    pub fn beyond(self, owner: &RoleSet) -> Option<Scope> {
        self.iter()
            .find(|s| s.role().is_some_and(|r| !owner.has(r)))
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Scope::as_str).collect();
        f.write_str(&names.join(" "))
    }
}

/// How long tokens live, in days: the default offered and the most allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    pub default_days: i64,
    pub max_days: i64,
}

impl Default for Lifetime {
    fn default() -> Self {
        Lifetime {
            default_days: 90,
            max_days: 365,
        }
    }
}

impl Lifetime {
    /// The days asked for (blank: the default), or why not.
    pub fn days(self, asked: &str) -> Result<i64, String> {
        let asked = asked.trim();
        if asked.is_empty() {
            return Ok(self.default_days);
        }
        match asked.parse::<i64>() {
            Ok(d) if (1..=self.max_days).contains(&d) => Ok(d),
            Ok(_) => Err(format!(
                "A token lasts between 1 and {} days",
                self.max_days
            )),
            Err(_) => Err("Enter the number of days as a whole number, like 90".to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(r: &[Role]) -> RoleSet {
        RoleSet::new(r.iter().copied())
    }

    #[test]
    fn read_is_always_there_and_the_stored_form_reads_back() {
        let s = Scopes::new([Scope::Operate]);
        assert!(s.has(Scope::Read) && s.has(Scope::Operate) && !s.has(Scope::Write));
        assert_eq!(s.to_string(), "read operate");
        assert_eq!(Scopes::parse("read operate"), s);
        assert_eq!(Scopes::parse("write nonsense"), Scopes::new([Scope::Write]));
        assert_eq!(Scopes::parse(""), Scopes::new([]));
    }

    #[test]
    fn a_token_acts_with_only_the_roles_its_scopes_carry() {
        let owner = roles(&[Role::Staff, Role::Operator, Role::Reviewer]);
        let plain = Scopes::new([Scope::Write]).roles_of(&owner);
        assert!(plain.has(Role::Staff) && !plain.has(Role::Operator) && !plain.has(Role::Reviewer));
        let ops = Scopes::new([Scope::Operate]).roles_of(&owner);
        assert!(ops.has(Role::Operator) && !ops.has(Role::Reviewer));
        // A scope never adds a role the owner lacks.
        assert!(!Scopes::new([Scope::Admin])
            .roles_of(&owner)
            .has(Role::Admin));
        let partner = roles(&[Role::Partner]);
        assert!(Scopes::new([]).roles_of(&partner).has(Role::Partner));
        // Every role that is a power has a scope: checking outputs needs `check`.
        let checker = roles(&[Role::Staff, Role::OutputChecker]);
        assert!(!Scopes::new([Scope::Write])
            .roles_of(&checker)
            .has(Role::OutputChecker));
        assert!(Scopes::new([Scope::Check])
            .roles_of(&checker)
            .has(Role::OutputChecker));
    }

    #[test]
    fn a_scope_whose_role_is_gone_is_found() {
        let s = Scopes::new([Scope::Write, Scope::Operate]);
        assert_eq!(s.beyond(&roles(&[Role::Staff, Role::Operator])), None);
        assert_eq!(s.beyond(&roles(&[Role::Staff])), Some(Scope::Operate));
        assert_eq!(Scopes::new([Scope::Write]).beyond(&roles(&[])), None);
    }

    #[test]
    fn lifetimes_are_whole_days_within_the_limit() {
        let l = Lifetime::default();
        assert_eq!(l.days(""), Ok(90));
        assert_eq!(l.days(" 30 "), Ok(30));
        assert_eq!(l.days("365"), Ok(365));
        for bad in ["0", "366", "-1"] {
            assert!(
                l.days(bad).unwrap_err().contains("between 1 and 365"),
                "{bad}"
            );
        }
        assert!(l.days("ninety").unwrap_err().contains("whole number"));
    }
}
