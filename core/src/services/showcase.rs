//! Project pages for the public: the lead writes a draft, previews it and publishes it; visitors
//! (no account needed) list published pages by tag and year and read one, with the project's
//! published web services.

use crate::authz::{self, Action, Actor};
use crate::clock;
use crate::db::Db;
use crate::error::CoreError;
use crate::publishing::showcase::{self as rules, Content, Form, Published};
use crate::publishing::{plain_text, slug};
use crate::requests::kind::{Kind, Visibility};
use crate::requests::lifecycle::State;
use crate::services::audit_context;
use crate::store::search::{self, Audience, Document};
use crate::store::showcase::{self as store, Listed};
use crate::store::{output_checks, projects, resources};
use serde::{Deserialize, Serialize};

/// How many projects one page of the list shows.
pub const PAGE_SIZE: i64 = 20;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub tag: Option<String>,
    pub year: Option<i64>,
    pub after: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    pub projects: Vec<Listed>,
    /// Where the next page starts, when there is one.
    pub next: Option<i64>,
    pub tags: Vec<(String, i64)>,
    pub years: Vec<i64>,
}

/// Published pages, filtered. Open to anyone.
pub async fn list(db: &Db, filter: &Filter) -> Result<Listing, CoreError> {
    let tag = filter
        .tag
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| rules::tag(t).unwrap_or_default());
    let mut projects =
        store::list_published(db, tag.as_deref(), filter.year, filter.after, PAGE_SIZE + 1).await?;
    let next = if projects.len() as i64 > PAGE_SIZE {
        projects.truncate(PAGE_SIZE as usize);
        projects.last().map(|p| p.id)
    } else {
        None
    };
    let (tags, years) = store::facets(db).await?;
    Ok(Listing {
        projects,
        next,
        tags,
        years,
    })
}

/// A published web service, reached through the proxy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLink {
    pub name: String,
    pub purpose: String,
    pub href: String,
    /// The output check that released it.
    pub check: Option<ReleaseRecord>,
}

/// What the public is told of a release's check: which, when, and the digest of exactly what
/// is served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseRecord {
    pub id: i64,
    pub approved_at: i64,
    pub digest: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicPage {
    pub slug: String,
    pub project_name: String,
    pub published: Published,
    pub published_at: i64,
    pub services: Vec<ServiceLink>,
}

/// One published page by its address. Open to anyone; drafts are never shown.
pub async fn public_page(db: &Db, slug_raw: &str) -> Result<PublicPage, CoreError> {
    if !slug::is_valid(slug_raw) {
        return Err(CoreError::NotFound("project page"));
    }
    let page = store::by_slug(db, slug_raw)
        .await?
        .ok_or(CoreError::NotFound("project page"))?;
    let (Some(published), Some(published_at)) = (page.published, page.published_at) else {
        return Err(CoreError::NotFound("project page"));
    };
    let project = projects::find(db, page.project_id)
        .await?
        .ok_or(CoreError::NotFound("project page"))?;
    let mut services = Vec::new();
    for r in resources::for_project(db, page.project_id).await? {
        if !(r.kind == Kind::WebService
            && r.visibility == Visibility::Public
            && r.state == State::Active)
        {
            continue;
        }
        let check = match (&r.released, output_checks::approved_for(db, r.id).await?) {
            (Some(digest), Some((id, approved_at))) => Some(ReleaseRecord {
                id,
                approved_at,
                digest: digest.clone(),
            }),
            _ => None,
        };
        services.push(ServiceLink {
            name: r.offering_name,
            purpose: r.purpose,
            href: format!("/s/cp-{}/", r.id),
            check,
        });
    }
    Ok(PublicPage {
        slug: page.slug,
        project_name: project.name,
        published,
        published_at,
        services,
    })
}

/// What the lead's editor shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Editor {
    pub project_id: i64,
    pub project_name: String,
    pub slug: Option<String>,
    pub form: Form,
    /// The draft rendered as it would be published.
    pub preview_html: String,
    /// What still stops publishing.
    pub gaps: Vec<(String, String)>,
    pub published_at: Option<i64>,
    /// The draft differs from what visitors see.
    pub unpublished_changes: bool,
}

async fn authorised(
    db: &Db,
    actor: Option<&Actor>,
    project_id: i64,
) -> Result<projects::Project, CoreError> {
    let (project, object) =
        crate::services::resources::project_object(db, actor, project_id).await?;
    authz::check(actor, Action::EditShowcase, object)?;
    Ok(project)
}

pub async fn editor(db: &Db, actor: Option<&Actor>, project_id: i64) -> Result<Editor, CoreError> {
    let project = authorised(db, actor, project_id).await?;
    let page = store::for_project(db, project_id).await?;
    let draft = page
        .as_ref()
        .map(|p| p.draft.clone())
        .unwrap_or_else(|| Content {
            title: project.name.clone(),
            summary: project.summary.clone(),
            ..Content::default()
        });
    Ok(Editor {
        project_id,
        project_name: project.name,
        slug: page.as_ref().map(|p| p.slug.clone()),
        form: draft.to_form(),
        preview_html: crate::publishing::markdown::render(&draft.body),
        gaps: draft.gaps().0,
        published_at: page.as_ref().and_then(|p| p.published_at),
        unpublished_changes: page
            .as_ref()
            .is_some_and(|p| p.published.as_ref().map(|x| &x.content) != Some(&p.draft)),
    })
}

fn this_year() -> i64 {
    i64::from(clock::today().year())
}

/// A free address for a new page, from the project's name.
async fn new_slug(db: &Db, name: &str, project_id: i64) -> Result<String, CoreError> {
    let base = slug::from_title(name).unwrap_or_else(|| format!("project-{project_id}"));
    let mut candidate = base.clone();
    let mut n = 2;
    while store::slug_taken(db, &candidate).await? {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    Ok(candidate)
}

/// Saves the draft; visitors still see the published copy. Returns the page's id.
pub async fn save_draft(
    db: &Db,
    actor: Option<&Actor>,
    project_id: i64,
    form: &Form,
) -> Result<i64, CoreError> {
    let project = authorised(db, actor, project_id).await?;
    let content = rules::parse(form, this_year()).map_err(CoreError::Invalid)?;
    let by = actor.map(|a| a.user_id).unwrap_or_default();
    let now = clock::now();
    let existing = store::for_project(db, project_id).await?;
    let slug = match &existing {
        Some(p) => p.slug.clone(),
        None => new_slug(db, &project.name, project_id).await?,
    };
    let mut tx = db.pool.begin().await?;
    let id = match existing {
        Some(p) => {
            store::save_draft(&mut tx, p.id, &content, by, now).await?;
            p.id
        }
        None => store::insert(&mut tx, project_id, &slug, &content, by, now).await?,
    };
    audit_context::record(
        &mut tx,
        actor,
        "showcase",
        "showcase.save",
        id,
        "",
        &content.title,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Makes the draft what visitors see. A draft with gaps is refused with them.
pub async fn publish(db: &Db, actor: Option<&Actor>, project_id: i64) -> Result<String, CoreError> {
    authorised(db, actor, project_id).await?;
    let page = store::for_project(db, project_id)
        .await?
        .ok_or_else(|| CoreError::field("title", "Save the page before publishing it"))?;
    let gaps = page.draft.gaps();
    if !gaps.is_empty() {
        return Err(CoreError::Invalid(gaps));
    }
    let published = Published::of(page.draft.clone());
    let by = actor.map(|a| a.user_id).unwrap_or_default();
    let now = clock::now();
    let url = format!("/showcase/{}", page.slug);
    let mut tx = db.pool.begin().await?;
    store::publish(&mut tx, page.id, &published, by, now).await?;
    let c = &published.content;
    let body = plain_text::sentences([
        c.summary.as_str(),
        &c.tags.join(", "),
        &c.team.join(", "),
        &c.outputs.join(". "),
        &plain_text::of_markdown(&c.body),
    ]);
    search::put(
        &mut tx,
        &Document {
            kind: search::Kind::Project,
            ref_id: page.id,
            audience: Audience::Public,
            title: &c.title,
            body: &body,
            url: &url,
        },
        now,
    )
    .await?;
    store::bump_generation(&mut tx).await?;
    audit_context::record(
        &mut tx,
        actor,
        "showcase",
        "showcase.publish",
        page.id,
        "",
        &c.title,
    )
    .await?;
    tx.commit().await?;
    Ok(url)
}

/// Takes the page off the public site; the draft stays.
pub async fn unpublish(db: &Db, actor: Option<&Actor>, project_id: i64) -> Result<(), CoreError> {
    authorised(db, actor, project_id).await?;
    let page = store::for_project(db, project_id)
        .await?
        .filter(|p| p.published_at.is_some())
        .ok_or_else(|| CoreError::field("page", "This page is not published"))?;
    let by = actor.map(|a| a.user_id).unwrap_or_default();
    let mut tx = db.pool.begin().await?;
    store::unpublish(&mut tx, page.id, by, clock::now()).await?;
    search::remove(&mut tx, search::Kind::Project, page.id).await?;
    store::bump_generation(&mut tx).await?;
    audit_context::record(
        &mut tx,
        actor,
        "showcase",
        "showcase.unpublish",
        page.id,
        "",
        "",
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
