//! Training materials: courses with Markdown pages and attachments, public or for staff only.
//! Staff write courses; the owner (or an administrator) changes them.

use crate::authz::{self, Action, Actor, Object};
use crate::clock;
use crate::db::Db;
use crate::error::{CoreError, FieldErrors};
use crate::publishing::{markdown, plain_text, slug};
use crate::services::audit_context;
use crate::store::search::{self, Audience, Document};
use crate::store::showcase::bump_generation;
use crate::store::training::{self as store, Attachment, Course, CoursePage, NewCourse, NewPage};
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: i64 = 50;
pub const MAX_ATTACHMENT: usize = 10 * 1024 * 1024;
pub const TOPICS: [&str; 6] = [
    "R",
    "Python",
    "Spark",
    "Git",
    "Natural language processing",
    "Machine learning",
];

pub(crate) fn object(c: &Course) -> Object {
    Object::Course {
        owner_id: c.owner_id,
        public: c.public,
    }
}

/// Courses the actor may read, in title order.
pub async fn list(
    db: &Db,
    actor: Option<&Actor>,
    after: Option<i64>,
) -> Result<(Vec<Course>, Option<i64>), CoreError> {
    let staff = actor.is_some_and(|a| a.roles.is_internal());
    let mut courses = store::list(db, staff, after, PAGE_SIZE + 1).await?;
    let next = if courses.len() as i64 > PAGE_SIZE {
        courses.truncate(PAGE_SIZE as usize);
        courses.last().map(|c| c.id)
    } else {
        None
    };
    Ok((courses, next))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseView {
    pub course: Course,
    pub pages: Vec<CoursePage>,
    pub attachments: Vec<Attachment>,
    pub can_edit: bool,
}

pub async fn view(db: &Db, actor: Option<&Actor>, slug_raw: &str) -> Result<CourseView, CoreError> {
    if !slug::is_valid(slug_raw) {
        return Err(CoreError::NotFound("course"));
    }
    let course = store::by_slug(db, slug_raw)
        .await?
        .ok_or(CoreError::NotFound("course"))?;
    authz::check(actor, Action::ViewCourse, object(&course))?;
    let can_edit = authz::check(actor, Action::EditCourse, object(&course)).is_ok();
    Ok(CourseView {
        pages: store::pages(db, course.id).await?,
        attachments: store::attachments(db, course.id).await?,
        course,
        can_edit,
    })
}

/// An attachment's file name, type and bytes, for someone who may read the course.
pub async fn attachment(
    db: &Db,
    actor: Option<&Actor>,
    slug_raw: &str,
    file_name: &str,
) -> Result<(String, Vec<u8>), CoreError> {
    let v = view(db, actor, slug_raw).await?;
    store::attachment_content(db, v.course.id, file_name)
        .await?
        .ok_or(CoreError::NotFound("attachment"))
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CourseForm {
    pub title: String,
    pub topic: String,
    pub summary: String,
    /// "public" or "staff".
    pub audience: String,
}

/// Starts a course; the actor owns it. Returns its address.
pub async fn create(
    db: &Db,
    actor: Option<&Actor>,
    form: &CourseForm,
) -> Result<String, CoreError> {
    authz::check(actor, Action::CreateCourse, Object::Portal)?;
    let mut e = FieldErrors::new();
    let title = form.title.trim();
    if title.is_empty() {
        e.add("title", "Enter the course's title");
    } else if title.chars().count() > 120 {
        e.add("title", "The title must be 120 characters or fewer");
    }
    let topic = TOPICS.iter().find(|t| **t == form.topic.trim());
    if topic.is_none() {
        e.add("topic", format!("Choose a topic: {}", TOPICS.join(", ")));
    }
    let summary = form
        .summary
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if summary.is_empty() {
        e.add("summary", "Enter a summary");
    } else if summary.chars().count() > 400 {
        e.add("summary", "The summary must be 400 characters or fewer");
    }
    let public = match form.audience.as_str() {
        "public" => true,
        "staff" => false,
        _ => {
            e.add("audience", "Choose who can read the course");
            false
        }
    };
    let base = slug::from_title(title);
    if base.is_none() && !title.is_empty() {
        e.add("title", "The title needs at least one letter or digit");
    }
    e.into_result()?;
    // Addresses the training pages use themselves cannot be a course's.
    let base = match base.unwrap_or_default() {
        b if ["new", "sessions"].contains(&b.as_str()) => format!("{b}-course"),
        b => b,
    };
    let mut course_slug = base.clone();
    let mut n = 2;
    while store::slug_taken(db, &course_slug).await? {
        course_slug = format!("{base}-{n}");
        n += 1;
    }
    let owner_id = actor.map(|a| a.user_id).unwrap_or_default();
    let now = clock::now();
    let mut tx = db.pool.begin().await?;
    let id = store::insert_course(
        &mut tx,
        &NewCourse {
            slug: &course_slug,
            title,
            topic: topic.copied().unwrap_or_default(),
            summary: &summary,
            public,
            owner_id,
        },
        now,
    )
    .await?;
    index(&mut tx, id, &course_slug, title, &summary, public, &[], now).await?;
    bump_generation(&mut tx).await?;
    audit_context::record(&mut tx, actor, "course", "course.create", id, "", title).await?;
    tx.commit().await?;
    Ok(format!("/training/{course_slug}"))
}

#[allow(clippy::too_many_arguments)]
async fn index(
    conn: &mut sqlx::AnyConnection,
    id: i64,
    course_slug: &str,
    title: &str,
    summary: &str,
    public: bool,
    pages: &[CoursePage],
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut parts = vec![summary.to_owned()];
    for p in pages {
        parts.push(p.title.clone());
        parts.push(plain_text::of_markdown(&p.body));
    }
    let body = plain_text::sentences(parts.iter().map(String::as_str));
    search::put(
        conn,
        &Document {
            kind: search::Kind::Course,
            ref_id: id,
            audience: if public {
                Audience::Public
            } else {
                Audience::Staff
            },
            title,
            body: &body,
            url: &format!("/training/{course_slug}"),
        },
        now,
    )
    .await
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PageForm {
    pub title: String,
    pub body: String,
}

/// Adds a page to the course, or replaces the page at `page_slug`. Returns the page's address.
pub async fn put_page(
    db: &Db,
    actor: Option<&Actor>,
    course_slug: &str,
    page_slug: Option<&str>,
    form: &PageForm,
) -> Result<String, CoreError> {
    let v = view(db, actor, course_slug).await?;
    authz::check(actor, Action::EditCourse, object(&v.course))?;
    let mut e = FieldErrors::new();
    let title = form.title.trim();
    if title.is_empty() {
        e.add("title", "Enter the page's title");
    } else if title.chars().count() > 120 {
        e.add("title", "The title must be 120 characters or fewer");
    }
    if form.body.trim().is_empty() {
        e.add("body", "Write the page's content");
    } else if form.body.chars().count() > 100_000 {
        e.add("body", "A page must be 100,000 characters or fewer");
    }
    let new_slug = match page_slug {
        Some(s) if v.pages.iter().any(|p| p.slug == s) => Some(s.to_owned()),
        Some(_) => return Err(CoreError::NotFound("page")),
        None => slug::from_title(title),
    };
    if new_slug.is_none() && !title.is_empty() {
        e.add("title", "The title needs at least one letter or digit");
    }
    if page_slug.is_none() {
        if let Some(s) = &new_slug {
            if v.pages.iter().any(|p| &p.slug == s) {
                e.add("title", "This course already has a page with that title");
            }
        }
    }
    e.into_result()?;
    let page_slug = new_slug.unwrap_or_default();
    let body = form.body.replace("\r\n", "\n");
    let html = markdown::render(&body);
    let now = clock::now();
    let mut tx = db.pool.begin().await?;
    store::put_page(
        &mut tx,
        v.course.id,
        &NewPage {
            slug: &page_slug,
            title,
            body: &body,
            html: &html,
        },
        now,
    )
    .await?;
    let mut pages: Vec<CoursePage> = v
        .pages
        .into_iter()
        .filter(|p| p.slug != page_slug)
        .collect();
    pages.push(CoursePage {
        id: 0,
        course_id: v.course.id,
        position: 0,
        slug: page_slug.clone(),
        title: title.to_owned(),
        body,
        html,
    });
    let c = &v.course;
    index(
        &mut tx, c.id, &c.slug, &c.title, &c.summary, c.public, &pages, now,
    )
    .await?;
    bump_generation(&mut tx).await?;
    audit_context::record(&mut tx, actor, "course", "course.page", c.id, "", title).await?;
    tx.commit().await?;
    Ok(format!("/training/{}/pages/{page_slug}", c.slug))
}

/// The type an attachment is served as, from its name; never what the uploader's browser
/// claimed, so an upload cannot make the portal serve HTML or script. Only images show inline.
pub fn media_type(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "pdf" => "application/pdf",
        "csv" => "text/csv; charset=utf-8",
        "txt" | "md" | "r" | "py" | "sql" => "text/plain; charset=utf-8",
        "zip" => "application/zip",
        "ipynb" | "json" => "application/json",
        _ => "application/octet-stream",
    }
}

/// Keeps an attachment on the course, replacing one of the same name.
pub async fn attach(
    db: &Db,
    actor: Option<&Actor>,
    course_slug: &str,
    raw_name: &str,
    content: &[u8],
) -> Result<(), CoreError> {
    let v = view(db, actor, course_slug).await?;
    authz::check(actor, Action::EditCourse, object(&v.course))?;
    let name = crate::acquisitions::ingest::file_name(raw_name)
        .map_err(|m| CoreError::field("file", m))?;
    crate::acquisitions::ingest::check_size(&name, content.len() as u64, MAX_ATTACHMENT as u64)
        .map_err(|m| CoreError::field("file", m))?;
    let by = actor.map(|a| a.user_id).unwrap_or_default();
    let mut tx = db.pool.begin().await?;
    store::put_attachment(
        &mut tx,
        v.course.id,
        &name,
        media_type(&name),
        content,
        by,
        clock::now(),
    )
    .await?;
    bump_generation(&mut tx).await?;
    audit_context::record(
        &mut tx,
        actor,
        "course",
        "course.attach",
        v.course.id,
        "",
        &name,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether partners may enrol themselves on the course's sessions (the owner's choice; off
/// unless turned on). Audited.
pub async fn set_partners_enrol(
    db: &Db,
    actor: Option<&Actor>,
    slug_raw: &str,
    allowed: bool,
) -> Result<(), CoreError> {
    let c = store::by_slug(db, slug_raw)
        .await?
        .ok_or(CoreError::NotFound("course"))?;
    authz::check(actor, Action::EditCourse, object(&c))?;
    if c.partners_enrol == allowed {
        return Ok(());
    }
    let word = |b: bool| {
        if b {
            "partners may enrol"
        } else {
            "the trainer adds partners"
        }
    };
    let mut tx = db.pool.begin().await?;
    store::set_partners_enrol(&mut tx, c.id, allowed).await?;
    audit_context::record(
        &mut tx,
        actor,
        "course",
        "course.partners_enrol",
        c.id,
        word(c.partners_enrol),
        word(allowed),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn attachments_are_typed_by_name_and_never_as_html() {
        assert_eq!(super::media_type("Slides.PDF"), "application/pdf");
        assert_eq!(super::media_type("chart.png"), "image/png");
        assert_eq!(super::media_type("page.html"), "application/octet-stream");
        assert_eq!(super::media_type("x.svg"), "application/octet-stream");
        assert_eq!(super::media_type("noext"), "application/octet-stream");
    }
}
