//! Form posts that change public content: a project's public page, announcements, and courses.
//! Each calls one core service, then drops this replica's cache of public pages at once (the
//! others notice the change in the database within a second).

use crate::auth::actor::Acting;
use crate::state::AppState;
use crate::web::flash::{back_to_form, notice, refused, see_other};
use axum::extract::{Multipart, Path, State};
use axum::response::Response;
use axum::Form;
use campus_core::authz::Actor;
use campus_core::publishing::{announcement, showcase};
use campus_core::services::{announcements, showcase as pages, training, training_sessions};
use campus_core::CoreError;
use serde::Deserialize;
use std::collections::BTreeMap;
use tower_sessions::Session;

#[derive(Deserialize)]
pub struct ShowcaseForm {
    #[serde(default)]
    intent: String,
    #[serde(flatten)]
    form: showcase::Form,
}

fn showcase_values(f: &showcase::Form) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("title".to_owned(), f.title.clone()),
        ("summary".to_owned(), f.summary.clone()),
        ("team".to_owned(), f.team.clone()),
        ("outputs".to_owned(), f.outputs.clone()),
        ("links".to_owned(), f.links.clone()),
        ("tags".to_owned(), f.tags.clone()),
        ("year".to_owned(), f.year.clone()),
        ("body".to_owned(), f.body.clone()),
    ])
}

/// POST /projects/{id}/showcase: saves the draft, and publishes it when asked.
pub async fn save_showcase(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<ShowcaseForm>,
) -> Response {
    let back = format!("/projects/{id}/showcase");
    let saved = pages::save_draft(&state.db, actor.as_ref(), id, &f.form).await;
    let outcome = match saved {
        Ok(_) if f.intent == "publish" => pages::publish(&state.db, actor.as_ref(), id)
            .await
            .map(Some),
        Ok(_) => Ok(None),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(Some(url)) => {
            state.pages.clear();
            notice(
                &session,
                format!("Published. Anyone can now read it at {url}."),
            )
            .await;
            see_other(&back)
        }
        Ok(None) => {
            notice(
                &session,
                "Draft saved. Visitors still see the published page, if there is one.",
            )
            .await;
            see_other(&back)
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(
                &session,
                "showcase",
                showcase_values(&f.form),
                errors,
                &back,
            )
            .await
        }
        Err(e) => refused(e),
    }
}

/// POST /projects/{id}/showcase/unpublish
pub async fn unpublish_showcase(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    let back = format!("/projects/{id}/showcase");
    match pages::unpublish(&state.db, actor.as_ref(), id).await {
        Ok(()) => {
            state.pages.clear();
            notice(
                &session,
                "The page is off the public site. Its draft is kept.",
            )
            .await;
            see_other(&back)
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(&session, "showcase", BTreeMap::new(), errors, &back).await
        }
        Err(e) => refused(e),
    }
}

/// POST /operations/announcements
pub async fn publish_announcement(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Form(f): Form<announcement::Form>,
) -> Response {
    let back = "/operations/announcements";
    match announcements::publish(&state.db, actor.as_ref(), &f).await {
        Ok(_) => {
            state.pages.clear();
            notice(&session, "Announcement published.").await;
            see_other(back)
        }
        Err(CoreError::Invalid(errors)) => {
            let values = BTreeMap::from([
                ("kind".to_owned(), f.kind),
                ("message".to_owned(), f.message),
                ("starts".to_owned(), f.starts),
                ("expires".to_owned(), f.expires),
            ]);
            back_to_form(&session, "announcement", values, errors, back).await
        }
        Err(e) => refused(e),
    }
}

/// POST /operations/announcements/{id}/withdraw
pub async fn withdraw_announcement(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    let back = "/operations/announcements";
    match announcements::withdraw(&state.db, actor.as_ref(), id).await {
        Ok(()) => {
            state.pages.clear();
            notice(&session, "Announcement withdrawn.").await;
            see_other(back)
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(&session, "announcement", BTreeMap::new(), errors, back).await
        }
        Err(e) => refused(e),
    }
}

/// POST /training: starts a course owned by the signed-in person.
pub async fn create_course(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Form(f): Form<training::CourseForm>,
) -> Response {
    match training::create(&state.db, actor.as_ref(), &f).await {
        Ok(url) => {
            state.pages.clear();
            notice(&session, "Course created. Add its pages below.").await;
            see_other(&format!("{url}/manage"))
        }
        Err(CoreError::Invalid(errors)) => {
            let values = BTreeMap::from([
                ("title".to_owned(), f.title),
                ("topic".to_owned(), f.topic),
                ("summary".to_owned(), f.summary),
                ("audience".to_owned(), f.audience),
            ]);
            back_to_form(&session, "new-course", values, errors, "/training/new").await
        }
        Err(e) => refused(e),
    }
}

async fn put_page(
    state: AppState,
    actor: Option<Actor>,
    session: Session,
    slug: String,
    page: Option<String>,
    form: training::PageForm,
) -> Response {
    let back = format!("/training/{slug}/manage");
    match training::put_page(&state.db, actor.as_ref(), &slug, page.as_deref(), &form).await {
        Ok(url) => {
            state.pages.clear();
            notice(&session, format!("Page saved: {url}")).await;
            see_other(&back)
        }
        Err(CoreError::Invalid(errors)) => {
            let values = BTreeMap::from([
                ("title".to_owned(), form.title),
                ("body".to_owned(), form.body),
            ]);
            back_to_form(&session, "course-page", values, errors, &back).await
        }
        Err(e) => refused(e),
    }
}

/// POST /training/{slug}/pages: adds a page.
pub async fn add_course_page(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(slug): Path<String>,
    Form(f): Form<training::PageForm>,
) -> Response {
    put_page(state, actor, session, slug, None, f).await
}

/// POST /training/{slug}/pages/{page}: changes a page. Its fields are named after the page
/// (`title-<page>`, `body-<page>`) so several edit forms can share the manage page.
pub async fn edit_course_page(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path((slug, page)): Path<(String, String)>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let form = training::PageForm {
        title: f.get(&format!("title-{page}")).cloned().unwrap_or_default(),
        body: f.get(&format!("body-{page}")).cloned().unwrap_or_default(),
    };
    put_page(state, actor, session, slug, Some(page), form).await
}

/// POST /training/{slug}/files: one attachment (multipart field `file`).
pub async fn attach(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(slug): Path<String>,
    mut multipart: Multipart,
) -> Response {
    let back = format!("/training/{slug}/manage");
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                let name = field.file_name().unwrap_or_default().to_owned();
                match field.bytes().await {
                    Ok(b) => file = Some((name, b.to_vec())),
                    Err(_) => {
                        let mut e = campus_core::FieldErrors::new();
                        e.add("file", "The file could not be received: it may be over the 10 MB limit. Nothing was saved.");
                        return back_to_form(&session, "course-file", BTreeMap::new(), e, &back)
                            .await;
                    }
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => {
                let mut e = campus_core::FieldErrors::new();
                e.add("file", "The upload could not be read: it may be over the 10 MB limit. Nothing was saved.");
                return back_to_form(&session, "course-file", BTreeMap::new(), e, &back).await;
            }
        }
    }
    let (name, bytes) = file.unwrap_or_default();
    match training::attach(&state.db, actor.as_ref(), &slug, &name, &bytes).await {
        Ok(()) => {
            state.pages.clear();
            notice(&session, format!("{name} attached.")).await;
            see_other(&back)
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(&session, "course-file", BTreeMap::new(), errors, &back).await
        }
        Err(e) => refused(e),
    }
}

/// POST /training/{slug}/sessions: books a session of the course.
pub async fn book_session(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(slug): Path<String>,
    Form(f): Form<campus_core::training::session::Form>,
) -> Response {
    match training_sessions::book(&state.db, actor.as_ref(), &slug, &f).await {
        Ok(id) => {
            state.pages.clear();
            notice(&session, "Session booked. Add its attendees below, or share this page so they can take a seat.").await;
            see_other(&format!("/training/sessions/{id}"))
        }
        Err(CoreError::Invalid(errors)) => {
            let values = BTreeMap::from([
                ("starts".to_owned(), f.starts),
                ("ends".to_owned(), f.ends),
                ("seats".to_owned(), f.seats),
                ("sandbox".to_owned(), f.sandbox),
                ("lead_minutes".to_owned(), f.lead_minutes),
                ("grace_minutes".to_owned(), f.grace_minutes),
            ]);
            back_to_form(
                &session,
                "session",
                values,
                errors,
                &format!("/training/{slug}/manage"),
            )
            .await
        }
        Err(e) => refused(e),
    }
}

/// POST /training/{slug}/enrolment: whether partners may take a seat themselves (the course's
/// owner or an administrator).
pub async fn set_partners_enrol(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(slug): Path<String>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let allowed = f.get("partners_enrol").is_some_and(|v| v == "yes");
    match campus_core::services::training::set_partners_enrol(
        &state.db,
        actor.as_ref(),
        &slug,
        allowed,
    )
    .await
    {
        Ok(()) => {
            notice(&session, "Saved who may take a seat.").await;
            see_other(&format!("/training/{slug}/manage"))
        }
        Err(e) => refused(e),
    }
}

/// POST /training/sessions/{id}/enrol: the signed-in person takes a seat.
pub async fn enrol(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    let back = format!("/training/sessions/{id}");
    match training_sessions::enrol(&state.db, actor.as_ref(), id).await {
        Ok(()) => {
            notice(
                &session,
                "You have a seat. Your sandbox appears here before the session starts.",
            )
            .await;
            see_other(&back)
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(&session, "attendees", BTreeMap::new(), errors, &back).await
        }
        Err(e) => refused(e),
    }
}

#[derive(Deserialize)]
pub struct AttendeesForm {
    #[serde(default)]
    attendees: String,
}

/// POST /training/sessions/{id}/attendees: the trainer adds people by email.
pub async fn add_attendees(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<AttendeesForm>,
) -> Response {
    let back = format!("/training/sessions/{id}");
    match training_sessions::add_by_email(&state.db, actor.as_ref(), id, &f.attendees).await {
        Ok(n) => {
            notice(&session, format!("{n} added.")).await;
            see_other(&back)
        }
        Err(CoreError::Invalid(errors)) => {
            let values = BTreeMap::from([("attendees".to_owned(), f.attendees)]);
            back_to_form(&session, "attendees", values, errors, &back).await
        }
        Err(e) => refused(e),
    }
}
