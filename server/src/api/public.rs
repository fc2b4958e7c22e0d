//! The JSON API for what the Campus shows the public: published project pages, training
//! courses and search. No token is needed; with one, staff also see staff-only courses, datasets
//! and their projects' requests, exactly as the pages show them. Same services as the pages.

use crate::api::error::ApiError;
use crate::api::extract::ApiPath;
use crate::api::extract::{ApiQuery, MaybeTokenActor};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use campus_core::services::{search, showcase, training};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ShowcaseQuery {
    /// Only projects with this tag.
    tag: Option<String>,
    /// Only projects of this year.
    year: Option<i64>,
    /// Continue after this project: pass the previous page's `next`.
    after: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ShowcaseItemOut {
    slug: String,
    title: String,
    summary: String,
    year: Option<i64>,
    tags: Vec<String>,
    /// The public page.
    url: String,
}

#[derive(Serialize, ToSchema)]
pub struct TagCountOut {
    tag: String,
    projects: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ShowcaseOut {
    projects: Vec<ShowcaseItemOut>,
    /// Pass as `after` for the next page; absent on the last page.
    next: Option<i64>,
    /// Every tag in use, with how many published projects carry it.
    tags: Vec<TagCountOut>,
    years: Vec<i64>,
}

/// Published project pages in title order, 20 at a time, filtered by tag and year.
#[utoipa::path(get, path = "/api/v1/showcase", params(ShowcaseQuery),
    responses((status = 200, body = ShowcaseOut), (status = 400)))]
pub async fn showcase_list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ShowcaseQuery>,
) -> Result<Json<ShowcaseOut>, ApiError> {
    let filter = showcase::Filter {
        tag: q.tag,
        year: q.year,
        after: q.after,
    };
    let l = showcase::list(&state.db, &filter).await?;
    Ok(Json(ShowcaseOut {
        projects: l
            .projects
            .into_iter()
            .map(|p| ShowcaseItemOut {
                url: format!("/showcase/{}", p.slug),
                slug: p.slug,
                title: p.title,
                summary: p.summary,
                year: p.year,
                tags: p.tags,
            })
            .collect(),
        next: l.next,
        tags: l
            .tags
            .into_iter()
            .map(|(tag, projects)| TagCountOut { tag, projects })
            .collect(),
        years: l.years,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct LinkOut {
    text: String,
    url: String,
}

#[derive(Serialize, ToSchema)]
pub struct ServiceOut {
    name: String,
    purpose: String,
    /// The running service, through the portal's proxy.
    url: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectPageOut {
    slug: String,
    project: String,
    title: String,
    summary: String,
    team: Vec<String>,
    outputs: Vec<String>,
    links: Vec<LinkOut>,
    tags: Vec<String>,
    year: Option<i64>,
    /// The page's text as written (Markdown).
    markdown: String,
    /// The same, rendered and sanitised as the page shows it.
    html: String,
    /// Unix seconds.
    published_at: i64,
    services: Vec<ServiceOut>,
}

/// One published project page with its running public web services.
#[utoipa::path(get, path = "/api/v1/showcase/{slug}", params(("slug" = String, Path)),
    responses((status = 200, body = ProjectPageOut), (status = 404)))]
pub async fn showcase_page(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> Result<Json<ProjectPageOut>, ApiError> {
    let p = showcase::public_page(&state.db, &slug).await?;
    let c = p.published.content;
    Ok(Json(ProjectPageOut {
        slug: p.slug,
        project: p.project_name,
        title: c.title,
        summary: c.summary,
        team: c.team,
        outputs: c.outputs,
        links: c
            .links
            .into_iter()
            .map(|l| LinkOut {
                text: l.text,
                url: l.url,
            })
            .collect(),
        tags: c.tags,
        year: c.year,
        markdown: c.body,
        html: p.published.html,
        published_at: p.published_at,
        services: p
            .services
            .into_iter()
            .map(|s| ServiceOut {
                name: s.name,
                purpose: s.purpose,
                url: s.href,
            })
            .collect(),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct AfterQuery {
    /// Continue after this item: pass the previous page's `next`.
    after: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CourseOut {
    slug: String,
    title: String,
    topic: String,
    summary: String,
    /// Readable by anyone; otherwise by staff only.
    public: bool,
    owner: String,
    /// Unix seconds.
    updated_at: i64,
    url: String,
}

fn course_out(c: campus_core::store::training::Course) -> CourseOut {
    CourseOut {
        url: format!("/training/{}", c.slug),
        slug: c.slug,
        title: c.title,
        topic: c.topic,
        summary: c.summary,
        public: c.public,
        owner: c.owner_name,
        updated_at: c.updated_at,
    }
}

#[derive(Serialize, ToSchema)]
pub struct CoursesOut {
    courses: Vec<CourseOut>,
    next: Option<i64>,
}

/// Training courses the caller may read, in title order, 50 at a time.
#[utoipa::path(get, path = "/api/v1/courses", params(AfterQuery),
    responses((status = 200, body = CoursesOut), (status = 400), (status = 401)))]
pub async fn courses(
    State(state): State<AppState>,
    MaybeTokenActor(actor): MaybeTokenActor,
    ApiQuery(q): ApiQuery<AfterQuery>,
) -> Result<Json<CoursesOut>, ApiError> {
    let (courses, next) = training::list(&state.db, actor.as_ref(), q.after).await?;
    Ok(Json(CoursesOut {
        courses: courses.into_iter().map(course_out).collect(),
        next,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct CoursePageOut {
    slug: String,
    title: String,
    markdown: String,
    html: String,
}

#[derive(Serialize, ToSchema)]
pub struct AttachmentOut {
    file_name: String,
    media_type: String,
    size_bytes: i64,
    url: String,
}

#[derive(Serialize, ToSchema)]
pub struct CourseDetailOut {
    #[serde(flatten)]
    course: CourseOut,
    pages: Vec<CoursePageOut>,
    attachments: Vec<AttachmentOut>,
}

/// One course with its pages and attachments. A staff-only course needs a staff token.
#[utoipa::path(get, path = "/api/v1/courses/{slug}", params(("slug" = String, Path)),
    responses((status = 200, body = CourseDetailOut), (status = 401), (status = 403), (status = 404)))]
pub async fn course(
    State(state): State<AppState>,
    MaybeTokenActor(actor): MaybeTokenActor,
    ApiPath(slug): ApiPath<String>,
) -> Result<Json<CourseDetailOut>, ApiError> {
    let v = training::view(&state.db, actor.as_ref(), &slug).await?;
    let base = format!("/training/{}", v.course.slug);
    Ok(Json(CourseDetailOut {
        pages: v
            .pages
            .into_iter()
            .map(|p| CoursePageOut {
                slug: p.slug,
                title: p.title,
                markdown: p.body,
                html: p.html,
            })
            .collect(),
        attachments: v
            .attachments
            .into_iter()
            .map(|a| AttachmentOut {
                url: format!("{base}/files/{}", app::forms::url_encode(&a.file_name)),
                file_name: a.file_name,
                media_type: a.media_type,
                size_bytes: a.size_bytes,
            })
            .collect(),
        course: course_out(v.course),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct SearchQuery {
    /// The words to find; operators and punctuation only separate words.
    q: Option<String>,
    /// Continue after this result: pass the previous page's `next`.
    after: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FoundOut {
    /// project, course, dataset or request
    kind: String,
    title: String,
    /// Some of the text around the first match.
    excerpt: String,
    /// The words of the title and excerpt that matched.
    matched: Vec<String>,
    url: String,
}

#[derive(Serialize, ToSchema)]
pub struct SearchOut {
    results: Vec<FoundOut>,
    next: Option<String>,
    /// Every word typed was too common to search for: these.
    too_common: Vec<String>,
}

/// One search across projects, training, datasets (staff) and requests (their project's
/// members): every word typed must match; titles first, then newest first; 20 at a time.
#[utoipa::path(get, path = "/api/v1/search", params(SearchQuery),
    responses((status = 200, body = SearchOut), (status = 400), (status = 401)))]
pub async fn search(
    State(state): State<AppState>,
    MaybeTokenActor(actor): MaybeTokenActor,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<SearchOut>, ApiError> {
    let r = search::search(
        &state.db,
        actor.as_ref(),
        q.q.as_deref().unwrap_or_default(),
        q.after.as_deref(),
    )
    .await?;
    let plain = |pieces: &[(String, bool)]| pieces.iter().map(|(s, _)| s.as_str()).collect();
    Ok(Json(SearchOut {
        results: r
            .results
            .into_iter()
            .map(|f| {
                let mut matched: Vec<String> = Vec::new();
                for (s, _) in f.title.iter().chain(&f.excerpt).filter(|(_, hit)| *hit) {
                    if !matched.contains(s) {
                        matched.push(s.clone());
                    }
                }
                FoundOut {
                    kind: f.kind.as_str().to_owned(),
                    title: plain(&f.title),
                    excerpt: plain(&f.excerpt),
                    matched,
                    url: f.url,
                }
            })
            .collect(),
        next: r.next,
        too_common: r.too_common,
    }))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/showcase", get(showcase_list))
        .route("/api/v1/showcase/{slug}", get(showcase_page))
        .route("/api/v1/courses", get(courses))
        .route("/api/v1/courses/{slug}", get(course))
        .route("/api/v1/search", get(search))
}
