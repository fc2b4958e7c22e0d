//! One search box over projects, courses, datasets and requests, with what each searcher may
//! see decided here: anyone finds published projects and public courses, internal roles also
//! staff courses and datasets, and a project's members (and operators) its requests.

use crate::authz::Actor;
use crate::db::Db;
use crate::domain::Role;
use crate::error::CoreError;
use crate::publishing::search_query::{excerpt, highlight, Cursor, Terms};
use crate::store::projects;
use crate::store::search::{self as store, Kind, Scope};
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: i64 = 20;
const EXCERPT_CHARS: usize = 220;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    pub kind: Kind,
    pub url: String,
    /// Pieces of the title; `true` marks a match.
    pub title: Vec<(String, bool)>,
    pub excerpt: Vec<(String, bool)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Results {
    pub query: String,
    pub results: Vec<Found>,
    pub next: Option<String>,
    /// Nothing searchable was typed (only punctuation, or nothing).
    pub no_words: bool,
    /// Every word typed was too common to search for ("the", "of"): these, in the order typed.
    pub too_common: Vec<String>,
}

async fn scope(db: &Db, actor: Option<&Actor>) -> Result<Scope, CoreError> {
    Ok(match actor {
        None => Scope {
            staff: false,
            all_projects: false,
            projects: Vec::new(),
        },
        Some(a) => Scope {
            staff: a.roles.is_internal(),
            all_projects: a.roles.has(Role::Operator) || a.roles.has(Role::Admin),
            projects: projects::ids_for_member(db, a.user_id)
                .await?
                .into_iter()
                .collect(),
        },
    })
}

/// Never an error for what was typed: odd input gives results or none.
pub async fn search(
    db: &Db,
    actor: Option<&Actor>,
    raw: &str,
    after: Option<&str>,
) -> Result<Results, CoreError> {
    let terms = Terms::parse(raw);
    let query: String = raw
        .chars()
        .take(crate::publishing::search_query::MAX_INPUT)
        .collect();
    if terms.is_empty() {
        return Ok(Results {
            query,
            results: Vec::new(),
            next: None,
            no_words: terms.common().is_empty() && !raw.trim().is_empty(),
            too_common: terms.common().to_vec(),
        });
    }
    let scope = scope(db, actor).await?;
    let cursor = after.and_then(Cursor::decode);
    let mut hits = store::query(db, &terms, &scope, cursor, PAGE_SIZE + 1).await?;
    let next = if hits.len() as i64 > PAGE_SIZE {
        hits.truncate(PAGE_SIZE as usize);
        hits.last().map(|h| {
            Cursor {
                score: h.score,
                id: h.id,
            }
            .encode()
        })
    } else {
        None
    };
    let results = hits
        .into_iter()
        .map(|h| Found {
            kind: h.kind,
            title: highlight(&h.title, &terms),
            excerpt: highlight(&excerpt(&h.body, &terms, EXCERPT_CHARS), &terms),
            url: h.url,
        })
        .collect();
    Ok(Results {
        query,
        results,
        next,
        no_words: false,
        too_common: Vec::new(),
    })
}
