//! First-start content: demo users and projects when asked for, otherwise one administrator
//! whose one-time password is printed once.

use campus_core::domain::{Role, RoleSet};
use campus_core::services::accounts::{self, NewAccount};
use campus_core::{CoreError, Db};

pub const DEMO_PASSWORD: &str = "campus-demo-password";

/// (user name, full name, role)
pub const DEMO_USERS: &[(&str, &str, Role)] = &[
    ("admin", "Ada Admin", Role::Admin),
    ("sam", "Sam Staff", Role::Staff),
    ("priya", "Priya Patel", Role::Staff),
    ("rachel", "Rachel Reviewer", Role::Reviewer),
    ("omar", "Omar Operator", Role::Operator),
    ("pat", "Pat Partner", Role::Partner),
];

/// The demo accounts as (user name, role label), for the sign-in page.
pub fn demo_accounts() -> Vec<(String, String)> {
    DEMO_USERS
        .iter()
        .map(|(u, _, r)| (u.to_string(), r.label().to_owned()))
        .collect()
}

pub enum Seeded {
    AlreadyHadUsers,
    Demo,
    Admin { password: String },
}

/// Loads demo content or the first administrator, only into a database with no users.
pub async fn seed(db: &Db, demo: bool) -> Result<Seeded, CoreError> {
    if campus_core::store::users::count(db).await? > 0 {
        return Ok(Seeded::AlreadyHadUsers);
    }
    if !demo {
        let password = campus_core::password::generate();
        accounts::create_local_account(
            db,
            NewAccount {
                username: "admin",
                display_name: "Administrator",
                email: "admin@campus.invalid",
                password: &password,
                roles: RoleSet::new([Role::Admin, Role::Staff]),
            },
        )
        .await?;
        return Ok(Seeded::Admin { password });
    }
    let mut ids = Vec::new();
    for (username, name, role) in DEMO_USERS {
        let id = accounts::create_local_account(
            db,
            NewAccount {
                username,
                display_name: name,
                email: &format!("{username}@campus.example.org"),
                password: DEMO_PASSWORD,
                roles: RoleSet::new([*role]),
            },
        )
        .await?;
        ids.push(id);
    }
    let (sam, priya, pat) = (ids[1], ids[2], ids[5]);
    let demo_projects = [
        (
            sam,
            "Urban forest",
            "Mapping street trees from imagery to estimate the urban forest's extent and health.",
            "2027-09-30",
            vec![priya],
        ),
        (
            priya,
            "Emerging trends in patents",
            "Finding emerging technology themes in patent text with natural language processing.",
            "2027-03-31",
            vec![sam, pat],
        ),
    ];
    for (lead, name, summary, end, members) in demo_projects {
        let id = campus_core::store::projects::insert(
            db,
            campus_core::store::projects::NewProject {
                name,
                summary,
                lead_id: lead,
                end_date: end,
            },
        )
        .await?;
        for m in members {
            campus_core::store::projects::add_member(db, id, m, lead).await?;
        }
    }
    Ok(Seeded::Demo)
}
