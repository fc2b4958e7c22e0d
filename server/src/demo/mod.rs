//! First-start content: demo users and projects when asked for, otherwise one administrator
//! whose one-time password is printed once.

pub mod bookings;
pub mod catalogue;
pub mod showcase;

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
    // A second reviewer: an acquisition's final approval needs two distinct ones.
    ("ravi", "Ravi Reviewer", Role::Reviewer),
    // Two output checkers from outside every demo project: a release needs two distinct ones.
    ("cora", "Cora Checker", Role::OutputChecker),
    ("colin", "Colin Checker", Role::OutputChecker),
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
        let id = accounts::create_local_account(
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
        // The password went to a console and its scrollback: it is only for the first sign-in.
        campus_core::store::users::require_password_change(db, id).await?;
        return Ok(Seeded::Admin { password });
    }
    let mut ids = std::collections::BTreeMap::new();
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
        ids.insert(*username, id);
    }
    let (sam, priya, pat) = (ids["sam"], ids["priya"], ids["pat"]);
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
        (
            sam,
            "Access to services",
            "Journey times to public services by public transport, with the propeR tool.",
            "2027-12-31",
            vec![priya],
        ),
        (
            priya,
            "Household gardens",
            "Estimating the extent and greenness of private gardens.",
            "2027-06-30",
            vec![],
        ),
        (
            sam,
            "Free-text lists into hierarchies",
            "Turning free-text entries into label hierarchies with optimus.",
            "2027-06-30",
            vec![],
        ),
        (
            sam,
            "Rwanda data hub partnership",
            "A data science hub with Rwanda's national statistics institute.",
            "2027-12-31",
            vec![pat],
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
        let mut conn = db.pool.acquire().await?;
        for m in members {
            campus_core::store::projects::add_member(&mut conn, id, m, lead).await?;
        }
    }
    seed_acquisitions(db, &ids).await?;
    crate::demo::showcase::seed(db, ids["admin"], sam).await?;
    Ok(Seeded::Demo)
}

/// One approved acquisition (so the public register has an entry) and one waiting for data
/// control (so reviewers have something to review), made through the same services as the pages.
async fn seed_acquisitions(
    db: &Db,
    ids: &std::collections::BTreeMap<&str, i64>,
) -> Result<(), CoreError> {
    use campus_core::acquisitions::decision::Verdict;
    use campus_core::acquisitions::ethics::{item_field, Principle};
    use campus_core::acquisitions::sections::Section;
    use campus_core::authz::Actor;
    use campus_core::services::acquisitions as acq;
    use std::collections::BTreeMap;
    let as_user = |name: &str, role: Role| Actor::person(ids[name], RoleSet::new([role]));
    let (sam, rachel, ravi) = (
        as_user("sam", Role::Staff),
        as_user("rachel", Role::Reviewer),
        as_user("ravi", Role::Reviewer),
    );
    let answers = |title: &str, summary: &str, benefit: &str, supplier: &str| {
        BTreeMap::from([
            ("title", title),
            (
                "organisation",
                "Office for National Statistics, Data Science Campus",
            ),
            ("lay_summary", summary),
            ("public_benefit", benefit),
            (
                "researchers",
                "Two Campus data scientists, both accredited researchers.",
            ),
            (
                "project_justification",
                "No published source gives this at local level.",
            ),
            (
                "disclosure_control",
                "Only aggregates of ten or more leave the workspace.",
            ),
            (
                "settings",
                "Held on the Campus network only, in the project's dataset storage.",
            ),
            (
                "output_checks",
                "Every output is checked by a second analyst before release.",
            ),
            ("supplier", supplier),
            ("licence", "Open Government Licence v3.0"),
            ("format", "CSV"),
            ("volume", "3 GB"),
            ("refresh", "Quarterly"),
            ("classification", "tier-1"),
            ("retention_date", "2028-03-31"),
            ("deletion_date", "2028-04-30"),
            ("collaborators", ""),
        ])
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect::<BTreeMap<String, String>>()
    };
    let ratings: BTreeMap<String, String> = Principle::ALL
        .iter()
        .flat_map(|p| {
            p.items().iter().flat_map(move |(item, _)| {
                [
                    (item_field(*p, item, "risk"), "low".to_owned()),
                    (
                        item_field(*p, item, "justification"),
                        "Aggregate, published-quality data with no personal information."
                            .to_owned(),
                    ),
                ]
            })
        })
        .collect();
    let apply = |title: &'static str,
                 summary: &'static str,
                 benefit: &'static str,
                 supplier: &'static str| {
        let (sam, ratings) = (sam.clone(), ratings.clone());
        let all = answers(title, summary, benefit, supplier);
        async move {
            let id = acq::start(db, Some(&sam), title).await?;
            for s in Section::ALL {
                acq::save_section(db, Some(&sam), id, s, &all).await?;
            }
            acq::save_ethics(db, Some(&sam), id, &ratings).await?;
            acq::submit(db, Some(&sam), id).await?;
            Ok::<i64, CoreError>(id)
        }
    };
    let id = apply(
        "Broadband speeds by postcode",
        "Measuring how fast home broadband is in each postcode, to see where it lags.",
        "Shows where investment in broadband would help most.",
        "Ofcom",
    )
    .await?;
    acq::record_data_control(
        db,
        Some(&rachel),
        id,
        &acq::DataControlInput {
            lawful_basis: "Public task".into(),
            legislation: "Statistics and Registration Service Act 2007".into(),
            agreement_ref: "DSA-2026-001".into(),
            classification: "tier-1".into(),
        },
    )
    .await?;
    acq::ethics_review(
        db,
        Some(&rachel),
        id,
        &acq::EthicsStep::Clear {
            note: String::new(),
        },
    )
    .await?;
    let now = Some(campus_core::clock::now());
    let approve = Verdict::Approve {
        conditions: vec!["Publish only areas with ten or more premises".into()],
    };
    acq::decide(db, Some(&rachel), id, now, &approve).await?;
    acq::decide(
        db,
        Some(&ravi),
        id,
        now,
        &Verdict::Approve { conditions: vec![] },
    )
    .await?;
    apply(
        "Retail footfall in town centres",
        "Counting how many people visit town centres each week from anonymous sensor counts.",
        "Helps local councils plan for high streets.",
        "A footfall sensor company",
    )
    .await?;
    Ok(())
}
