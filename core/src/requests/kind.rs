//! What a resource is, who may reach it, and the names the drivers give it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Workspace,
    Storage,
    WebService,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Workspace, Kind::Storage, Kind::WebService];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Workspace => "workspace",
            Kind::Storage => "storage",
            Kind::WebService => "web_service",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Workspace => "Workspace",
            Kind::Storage => "Dataset storage",
            Kind::WebService => "Web service",
        }
    }

    /// Where the authenticating proxy serves this kind, if it serves it at all.
    pub fn proxy_prefix(self) -> Option<&'static str> {
        match self {
            Kind::Workspace => Some("/w/"),
            Kind::WebService => Some("/s/"),
            Kind::Storage => None,
        }
    }

    /// Whether it runs as a process that can be stopped and started.
    pub fn runs(self) -> bool {
        !matches!(self, Kind::Storage)
    }
}

/// Who may reach a web service through the proxy. Workspaces are `Private` or `Project`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Only the person who asked for it.
    Private,
    /// Members of its project.
    Project,
    /// Anyone signed in with an internal role.
    Staff,
    /// Anyone, without signing in.
    Public,
}

impl Visibility {
    pub const ALL: [Visibility; 4] = [
        Visibility::Private,
        Visibility::Project,
        Visibility::Staff,
        Visibility::Public,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Project => "project",
            Visibility::Staff => "staff",
            Visibility::Public => "public",
        }
    }

    pub fn parse(s: &str) -> Option<Visibility> {
        Visibility::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Visibility::Private => "Only me",
            Visibility::Project => "Members of the project",
            Visibility::Staff => "Anyone signed in as staff",
            Visibility::Public => "Anyone, without signing in",
        }
    }

    /// The visibilities a request may ask for: workspaces are never published, and a web
    /// service becomes public only when two output checkers approve a snapshot of it
    /// (`services::output_checks`), never by asking.
    pub fn allowed_for(kind: Kind) -> &'static [Visibility] {
        match kind {
            Kind::Workspace | Kind::Storage => &[Visibility::Private, Visibility::Project],
            Kind::WebService => &[Visibility::Private, Visibility::Project, Visibility::Staff],
        }
    }
}

/// The deterministic name every driver uses for a resource, so a repeated step finds what an
/// earlier attempt made instead of making a second one. It is also the proxy path segment.
/// The offering tool of dataset storage that is a PostgreSQL database rather than a directory.
pub const DATABASE_TOOL: &str = "postgres";

pub fn resource_name(id: i64) -> String {
    format!("cp-{id}")
}

/// The inverse of [`resource_name`], for the proxy's path segment.
pub fn parse_resource_name(s: &str) -> Option<i64> {
    let id = s.strip_prefix("cp-")?;
    if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_reject_anything_else() {
        assert_eq!(resource_name(42), "cp-42");
        assert_eq!(parse_resource_name("cp-42"), Some(42));
        for bad in [
            "cp-",
            "cp-4a",
            "cp--1",
            "42",
            "cp-+1",
            "cp-99999999999999999999",
            "xcp-1",
        ] {
            assert_eq!(parse_resource_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn nothing_is_public_by_asking() {
        assert!(!Visibility::allowed_for(Kind::Workspace).contains(&Visibility::Public));
        assert!(!Visibility::allowed_for(Kind::Workspace).contains(&Visibility::Staff));
        assert!(Visibility::allowed_for(Kind::WebService).contains(&Visibility::Staff));
        for kind in Kind::ALL {
            assert!(!Visibility::allowed_for(kind).contains(&Visibility::Public));
        }
    }

    #[test]
    fn stored_names_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        for v in Visibility::ALL {
            assert_eq!(Visibility::parse(v.as_str()), Some(v));
        }
    }
}
