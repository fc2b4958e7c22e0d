//! Pages that write public content or look across it: search, the project page editor, the
//! operators' announcements, and writing courses. These are ordinary hydrated pages.

use crate::api::{
    get_course_manage, get_session, get_showcase_editor, list_announcements, may_create_course,
    search, take_form, SearchView, SeatView,
};
use crate::components::layout::{or_error_page, Notice};
use crate::components::ons::{
    options, Button, Checkbox, DescriptionList, DescriptionRow, ErrorSummary, Input, RadioItems,
};
use crate::forms::FormState;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

fn marked(pieces: Vec<(String, bool)>) -> impl IntoView {
    pieces
        .into_iter()
        .map(|(text, hit)| {
            if hit {
                view! { <mark>{text}</mark> }.into_any()
            } else {
                text.into_any()
            }
        })
        .collect_view()
}

/// Why a query of only common words found nothing, naming them.
fn too_common(words: &[String]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("“{w}”")).collect();
    let verb = if words.len() == 1 { "is" } else { "are" };
    format!(
        "{} {verb} too common to search for. Add a word that says what you are looking for.",
        quoted.join(", ")
    )
}

/// One box across projects, training, datasets and (for their members) requests.
#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let results = Resource::new(
        move || {
            let q = query.read();
            (q.get("q").unwrap_or_default(), q.get("after"))
        },
        |(q, after)| search(q, after),
    );
    view! {
        <Title text="Search"/>
        <h1 class="ons-u-fs-2xl">"Search"</h1>
        <form method="get" action="/search" role="search" class="ons-u-mb-l">
            <div class="ons-field">
                <label class="ons-label" for="q">"Search projects, training, datasets and requests"</label>
                <input type="search" id="q" name="q" class="ons-input ons-input--text ons-input-type__input ons-input--w-30"
                    value=move || query.read().get("q").unwrap_or_default()/>
            </div>
            <Button text="Search" small=true/>
        </form>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                or_error_page(results.await, |r: SearchView| {
                    let n = r.results.len();
                    view! {
                        {if r.no_words {
                            view! { <p>"Type words to search for: letters or digits."</p> }.into_any()
                        } else if !r.too_common.is_empty() {
                            view! { <p id="result-count">{too_common(&r.too_common)}</p> }.into_any()
                        } else if r.query.trim().is_empty() {
                            ().into_any()
                        } else if n == 0 {
                            view! { <p id="result-count">"Nothing matches “"{r.query.clone()}"”. Check the spelling or try fewer words."</p> }.into_any()
                        } else {
                            view! {
                                <p id="result-count" class="ons-u-fs-s">{format!("Results for “{}”", r.query)}</p>
                                <ol class="ons-list ons-list--bare" aria-labelledby="result-count">
                                    {r.results.into_iter().map(|x| {
                                        let external = crate::components::layout::is_public(&x.href);
                                        view! {
                                            <li class="ons-list__item app-card">
                                                <p class="ons-u-fs-s ons-u-mb-xs">{x.kind}</p>
                                                <h2 class="ons-u-fs-m ons-u-mb-xs">
                                                    <a href=x.href rel=external.then_some("external")>{marked(x.title)}</a>
                                                </h2>
                                                <p>{marked(x.excerpt)}</p>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ol>
                            }.into_any()
                        }}
                        {r.next.map(|href| view! { <p><a href=href>"More results"</a></p> })}
                    }
                })
            })}
        </Suspense>
    }
}

/// The project lead writes the project's public page: save a draft, see its preview, publish.
#[component]
pub fn ShowcaseEditorPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let editor = Resource::new(id, get_showcase_editor);
    let form = Resource::new(|| (), |_| take_form("showcase".into()));
    view! {
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let typed = form.await.unwrap_or_default();
                or_error_page(editor.await, move |e| {
                    // What was typed in a refused post wins over the saved draft.
                    let mut values: std::collections::BTreeMap<String, String> = e.values.into_iter().collect();
                    if !typed.values.is_empty() {
                        values.extend(typed.values.clone());
                    }
                    let f = FormState { values, errors: typed.errors.clone() };
                    let action = format!("/projects/{}/showcase", e.project_id);
                    let back = format!("/projects/{}", e.project_id);
                    view! {
                        <Title text=format!("Public page: {}", e.project_name)/>
                        <ErrorSummary errors=f.errors.clone()/>
                        <nav class="ons-breadcrumbs" aria-label="Breadcrumbs">
                            <ol class="ons-breadcrumbs__items ons-u-fs-s">
                                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href=back>{e.project_name.clone()}</a></li>
                            </ol>
                        </nav>
                        <h1 class="ons-u-fs-2xl">"Public page"</h1>
                        <p>
                            {match &e.published {
                                Some(when) => format!("Published {when}. "),
                                None => "Not published: only you can see this draft. ".to_owned(),
                            }}
                            {e.unpublished_changes.then_some("The draft has changes visitors do not see yet. ")}
                            {e.public_href.clone().filter(|_| e.published.is_some()).map(|h| view! { <a href=h rel="external">"View the public page"</a> })}
                        </p>
                        <form method="post" action=action.clone() novalidate>
                            <Input id="title" label="Title" form=f.clone() width=30/>
                            <Input id="summary" label="Summary" hint="One or two sentences for the list of projects." form=f.clone() textarea=true/>
                            <Input id="team" label="Team" hint="One person per line." form=f.clone() textarea=true/>
                            <Input id="outputs" label="Outputs (optional)" hint="Reports, tools, papers: one per line." form=f.clone() textarea=true/>
                            <Input id="links" label="Links (optional)" hint="One per line, as: text | https://address" form=f.clone() textarea=true/>
                            <Input id="tags" label="Tags" hint="Separated by commas, for example: transport, open source." form=f.clone() width=30/>
                            <Input id="year" label="Year the project started" form=f.clone() width=4/>
                            <Input id="body" label="Description" hint="Markdown: # headings, *emphasis*, [links](https://…), lists. HTML is shown as text." form=f.clone() textarea=true/>
                            <div class="ons-u-mt-l app-button-row">
                                <button type="submit" name="intent" value="save" class="ons-btn ons-btn--secondary">
                                    <span class="ons-btn__inner"><span class="ons-btn__text">"Save draft and preview"</span></span>
                                </button>
                                <button type="submit" name="intent" value="publish" class="ons-btn">
                                    <span class="ons-btn__inner"><span class="ons-btn__text">"Save and publish"</span></span>
                                </button>
                            </div>
                        </form>
                        {e.published.is_some().then(|| view! {
                            <form method="post" action=format!("{action}/unpublish") class="ons-u-mt-m">
                                <Button text="Take the page off the public site" secondary=true small=true/>
                            </form>
                        })}
                        <h2 class="ons-u-fs-l ons-u-mt-xl">"Preview of the description"</h2>
                        {(!e.gaps.is_empty()).then(|| view! {
                            <p class="ons-u-fs-s">"Before publishing: "{e.gaps.iter().map(|(_, m)| m.clone()).collect::<Vec<_>>().join("; ")}"."</p>
                        })}
                        <div class="app-markdown app-preview" inner_html=e.preview_html></div>
                    }
                })
            })}
        </Suspense>
    }
}

/// Operators publish and withdraw the status banners every page shows.
#[component]
pub fn AnnouncementsPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_announcements());
    let form = Resource::new(|| (), |_| take_form("announcement".into()));
    view! {
        <Title text="Announcements"/>
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let f = form.await.unwrap_or_default();
                or_error_page(list.await, move |rows| view! {
                    <ErrorSummary errors=f.errors.clone()/>
                    <h1 class="ons-u-fs-2xl">"Announcements"</h1>
                    <p>"A banner on every page, for everyone, until it ends."</p>
                    <form method="post" action="/operations/announcements" novalidate>
                        <fieldset class="ons-fieldset" id="kind">
                            <legend class="ons-fieldset__legend">"Kind"</legend>
                            {f.error("kind").map(|m| view! { <p class="ons-panel__error"><strong>{m}</strong></p> })}
                            <RadioItems name="kind" checked=f.value("kind")
                                options=options(&[("information", "Information"), ("maintenance", "Planned maintenance"), ("incident", "Incident")])/>
                        </fieldset>
                        <Input id="message" label="Message" form=f.clone() textarea=true/>
                        <Input id="starts" label="Starts (UTC, optional)" hint="For example 2026-12-01T18:00. Leave empty to start now." form=f.clone() width=20/>
                        <Input id="expires" label="Ends (UTC)" hint="For example 2026-12-01T20:00. At most 90 days after it starts." form=f.clone() width=20/>
                        <div class="ons-u-mt-l"><Button text="Publish announcement"/></div>
                    </form>
                    <h2 class="ons-u-fs-l ons-u-mt-xl">"Recent"</h2>
                    {if rows.is_empty() {
                        view! { <p>"None yet."</p> }.into_any()
                    } else {
                        view! {
                            <table class="ons-table">
                                <thead class="ons-table__head"><tr class="ons-table__row">
                                    <th scope="col" class="ons-table__header">"Kind"</th>
                                    <th scope="col" class="ons-table__header">"Message"</th>
                                    <th scope="col" class="ons-table__header">"When"</th>
                                    <th scope="col" class="ons-table__header">"Status"</th>
                                    <th scope="col" class="ons-table__header"><span class="ons-u-vh">"Action"</span></th>
                                </tr></thead>
                                <tbody class="ons-table__body">
                                    {rows.into_iter().map(|a| view! {
                                        <tr class="ons-table__row">
                                            <td class="ons-table__cell">{a.label}</td>
                                            <td class="ons-table__cell">{a.message}<br/><span class="ons-u-fs-s">"by "{a.by}</span></td>
                                            <td class="ons-table__cell">{a.starts}" to "{a.expires}</td>
                                            <td class="ons-table__cell">{a.status}</td>
                                            <td class="ons-table__cell">
                                                {a.current.then(|| view! {
                                                    <form method="post" action=format!("/operations/announcements/{}/withdraw", a.id)>
                                                        <Button text="Withdraw" secondary=true small=true aria_label=format!("Withdraw announcement {}", a.id)/>
                                                    </form>
                                                })}
                                            </td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                })
            })}
        </Suspense>
    }
}

#[component]
pub fn NewCoursePage() -> impl IntoView {
    let topics = Resource::new(|| (), |_| may_create_course());
    let form = Resource::new(|| (), |_| take_form("new-course".into()));
    view! {
        <Title text="Write a course"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let f = form.await.unwrap_or_default();
                or_error_page(topics.await, move |topics| view! {
                    <ErrorSummary errors=f.errors.clone()/>
                    <h1 class="ons-u-fs-2xl">"Write a course"</h1>
                    <form method="post" action="/training" novalidate>
                        <Input id="title" label="Title" form=f.clone() width=30/>
                        <fieldset class="ons-fieldset ons-u-mt-m" id="topic">
                            <legend class="ons-fieldset__legend">"Topic"</legend>
                            {f.error("topic").map(|m| view! { <p class="ons-panel__error"><strong>{m}</strong></p> })}
                            <RadioItems name="topic" checked=f.value("topic")
                                options=topics.iter().map(|t| (t.clone(), t.clone())).collect()/>
                        </fieldset>
                        <Input id="summary" label="Summary" form=f.clone() textarea=true/>
                        <fieldset class="ons-fieldset ons-u-mt-m" id="audience">
                            <legend class="ons-fieldset__legend">"Who can read it?"</legend>
                            {f.error("audience").map(|m| view! { <p class="ons-panel__error"><strong>{m}</strong></p> })}
                            <RadioItems name="audience" checked=f.value("audience")
                                options=options(&[("public", "Anyone, without signing in"), ("staff", "Campus staff only")])/>
                        </fieldset>
                        <div class="ons-u-mt-l"><Button text="Create course"/></div>
                    </form>
                })
            })}
        </Suspense>
    }
}

/// The course owner adds and edits pages and attachments.
#[component]
pub fn ManageCoursePage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let course = Resource::new(slug, get_course_manage);
    let form = Resource::new(|| (), |_| take_form("course-page".into()));
    let upload = Resource::new(|| (), |_| take_form("course-file".into()));
    let booking = Resource::new(|| (), |_| take_form("session".into()));
    view! {
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let f = form.await.unwrap_or_default();
                let u = upload.await.unwrap_or_default();
                let b = booking.await.unwrap_or_default();
                or_error_page(course.await, move |c| {
                    let base = format!("/training/{}", c.slug);
                    let mut errors = f.errors.clone();
                    errors.extend(u.errors.clone());
                    errors.extend(b.errors.clone());
                    view! {
                        <Title text=format!("Edit: {}", c.title)/>
                        <ErrorSummary errors=errors/>
                        <nav class="ons-breadcrumbs" aria-label="Breadcrumbs">
                            <ol class="ons-breadcrumbs__items ons-u-fs-s">
                                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href=base.clone() rel="external">{c.title.clone()}</a></li>
                            </ol>
                        </nav>
                        <h1 class="ons-u-fs-2xl">"Edit the course"</h1>
                        <h2 class="ons-u-fs-l">"Pages"</h2>
                        {if c.pages.is_empty() {
                            view! { <p>"No pages yet."</p> }.into_any()
                        } else {
                            view! {
                                <ol class="ons-list">
                                    {c.pages.iter().map(|(s, t, body)| {
                                        let action = format!("{base}/pages/{s}");
                                        let pf = FormState {
                                            values: [("title".to_owned(), t.clone()), ("body".to_owned(), body.clone())].into_iter().collect(),
                                            errors: Vec::new(),
                                        };
                                        let label = format!("Save “{t}”");
                                        view! {
                                            <li class="ons-list__item">
                                                <details class="app-details">
                                                    <summary>{t.clone()}</summary>
                                                    <form method="post" action=action novalidate>
                                                        <Input id=format!("title-{s}") label="Title" form=rename(&pf, "title", s) width=30/>
                                                        <Input id=format!("body-{s}") label="Content (Markdown)" form=rename(&pf, "body", s) textarea=true/>
                                                        <button type="submit" class="ons-btn ons-btn--secondary ons-btn--small">
                                                            <span class="ons-btn__inner"><span class="ons-btn__text">{label}</span></span>
                                                        </button>
                                                    </form>
                                                </details>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ol>
                            }.into_any()
                        }}
                        <h2 class="ons-u-fs-l ons-u-mt-l">"Add a page"</h2>
                        <form method="post" action=format!("{base}/pages") novalidate>
                            <Input id="title" label="Title" form=f.clone() width=30/>
                            <Input id="body" label="Content (Markdown)" hint="# headings, *emphasis*, [links](https://…), lists, code. HTML is shown as text." form=f.clone() textarea=true/>
                            <Button text="Add page"/>
                        </form>
                        <h2 class="ons-u-fs-l ons-u-mt-l">"Attachments"</h2>
                        <ul class="ons-list">
                            {c.attachments.into_iter().map(|(n, size)| view! { <li class="ons-list__item">{n}" ("{size}")"</li> }).collect_view()}
                        </ul>
                        <form method="post" action=format!("{base}/files") enctype="multipart/form-data">
                            <div class="ons-field" id="file">
                                <label class="ons-label" for="file-input">"File (up to 10 MB)"</label>
                                {u.error("file").map(|m| view! { <p class="ons-panel__error"><strong>{m}</strong></p> })}
                                <input type="file" id="file-input" name="file" class="ons-input ons-input--upload"/>
                            </div>
                            <Button text="Upload" secondary=true/>
                        </form>
                        <h2 class="ons-u-fs-l ons-u-mt-l">"Who may take a seat"</h2>
                        <form method="post" action=format!("{base}/enrolment")>
                            <fieldset class="ons-fieldset">
                                <legend class="ons-fieldset__legend">"Partners outside the office"</legend>
                                <div class="ons-checkboxes__items">
                                    <Checkbox name="partners_enrol" value="yes".to_owned()
                                        label="Partners may take a seat themselves (otherwise you add them by email)".to_owned()
                                        checked=c.partners_enrol
                                        hint=Some("Each attendee gets a sandbox on the Campus network, isolated from everyone else's.".to_owned())/>
                                </div>
                            </fieldset>
                            <Button text="Save" secondary=true/>
                        </form>
                        <h2 class="ons-u-fs-l ons-u-mt-l">"Book a session"</h2>
                        <p>"Every attendee gets the same sandbox, made before the start and removed after the end. The hardware must have room for every seat."</p>
                        <form method="post" action=format!("{base}/sessions") novalidate>
                            <Input id="starts" label="Starts (UTC)" hint="For example 2026-12-01T09:30" form=b.clone() width=20/>
                            <Input id="ends" label="Ends (UTC)" hint="For example 2026-12-01T16:30" form=b.clone() width=20/>
                            <Input id="seats" label="Seats" form=b.clone() width=4/>
                            <fieldset class="ons-fieldset ons-u-mt-m" id="sandbox">
                                <legend class="ons-fieldset__legend">"Sandbox"</legend>
                                {b.error("sandbox").map(|m| view! { <p class="ons-panel__error"><strong>{m}</strong></p> })}
                                <RadioItems name="sandbox" checked=b.value("sandbox") options=c.sandboxes.clone()/>
                            </fieldset>
                            <Input id="lead_minutes" label="Make sandboxes this many minutes before the start (optional)" hint="60 if left empty" form=b.clone() width=4/>
                            <Input id="grace_minutes" label="Remove them this many minutes after the end (optional)" hint="30 if left empty" form=b.clone() width=4/>
                            <Button text="Book session"/>
                        </form>
                    }
                })
            })}
        </Suspense>
    }
}

/// The same values under per-page field names, so each page's form has its own ids.
fn rename(f: &FormState, field: &str, page: &str) -> FormState {
    FormState {
        values: [(format!("{field}-{page}"), f.value(field))]
            .into_iter()
            .collect(),
        errors: Vec::new(),
    }
}

/// A training session: its trainer sees the roster and adds people; an attendee sees their own
/// sandbox; anyone signed in who may read the course can take a seat. With JavaScript on, the
/// roster and the attendee's sandbox update themselves every few seconds (the rest of the page,
/// with its form, stays as it is); without it, "Refresh the roster" reloads the page.
#[component]
pub fn SessionPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let session = Resource::new(id, get_session);
    let live = Resource::new(id, get_session);
    let form = Resource::new(|| (), |_| take_form("attendees".into()));
    #[cfg(feature = "hydrate")]
    if let Ok(handle) =
        set_interval_with_handle(move || live.refetch(), std::time::Duration::from_secs(5))
    {
        on_cleanup(move || handle.clear());
    }
    view! {
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let f = form.await.unwrap_or_default();
                or_error_page(session.await, move |s| {
                    let base = format!("/training/sessions/{}", s.id);
                    view! {
                        <Title text=format!("Session: {}", s.course_title)/>
                        <ErrorSummary errors=f.errors.clone()/>
                        <nav class="ons-breadcrumbs" aria-label="Breadcrumbs">
                            <ol class="ons-breadcrumbs__items ons-u-fs-s">
                                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href=s.course_href.clone() rel="external">{s.course_title.clone()}</a></li>
                            </ol>
                        </nav>
                        <h1 class="ons-u-fs-2xl">{format!("Session: {}", s.course_title)}</h1>
                        <DescriptionList>
                            <DescriptionRow term="When">{s.when.clone()}</DescriptionRow>
                            <DescriptionRow term="Sandbox">{s.sandbox.clone()}</DescriptionRow>
                            <DescriptionRow term="Trainer">{s.trainer.clone()}</DescriptionRow>
                            <DescriptionRow term="Seats">{format!("{} of {} taken", s.taken, s.seats)}</DescriptionRow>
                            // The live regions stay in place while what is inside them is
                            // replaced, so a screen reader reads out each change.
                            <DescriptionRow term="Status">
                                <span id="session-status" aria-live="polite">
                                    <Transition fallback=|| ()>
                                        {move || Suspend::new(async move {
                                            live.await.ok().map(|now| now.phase)
                                        })}
                                    </Transition>
                                </span>
                            </DescriptionRow>
                        </DescriptionList>
                        <div aria-live="polite">
                            <Transition fallback=|| ()>
                                {move || Suspend::new(async move {
                                    live.await.ok().map(|now| view! {
                                        {now.mine.clone().map(mine)}
                                        {now.can_manage.then(|| view! {
                                            <h2 class="ons-u-fs-l ons-u-mt-l">"Attendees"</h2>
                                            {roster(now.roster.clone())}
                                        })}
                                    })
                                })}
                            </Transition>
                        </div>
                        {s.can_enrol.then(|| view! {
                            <form method="post" action=format!("{base}/enrol")>
                                <Button text="Take a seat"/>
                            </form>
                        })}
                        {s.trainer_adds_partners.then(|| view! {
                            <p>"On this course the trainer adds partners to each session: ask them to add you."</p>
                        })}
                        {s.can_manage.then(|| view! {
                            <p><a href=base.clone()>"Refresh the roster"</a></p>
                            <form method="post" action=format!("{base}/attendees") novalidate>
                                <div class="ons-u-mb-l">
                                    <Input id="attendees" label="Add people by email" hint="One address per line, or separated by commas. Each must belong to a Campus Portal account." form=f.clone() textarea=true/>
                                </div>
                                <Button text="Add attendees" secondary=true/>
                            </form>
                        })}
                    }
                })
            })}
        </Suspense>
    }
}

fn mine(m: SeatView) -> impl IntoView {
    view! {
        <h2 class="ons-u-fs-l ons-u-mt-l">"Your sandbox"</h2>
        <p id="my-sandbox">
            "Status: "{m.status.clone()}
            {(!m.reason.is_empty()).then(|| format!(": {}", m.reason))}
        </p>
        {m.open_href.map(|h| view! { <p><a href=h rel="external">"Open your sandbox"</a></p> })}
    }
}

fn roster(lines: Vec<SeatView>) -> AnyView {
    if lines.is_empty() {
        return view! { <p>"Nobody yet."</p> }.into_any();
    }
    view! {
        <table class="ons-table" id="roster">
            <caption class="ons-table__caption ons-u-vh">"Attendees and their sandboxes"</caption>
            <thead class="ons-table__head"><tr class="ons-table__row">
                <th scope="col" class="ons-table__header">"Name"</th>
                <th scope="col" class="ons-table__header">"Email"</th>
                <th scope="col" class="ons-table__header">"Sandbox"</th>
                <th scope="col" class="ons-table__header"><span class="ons-u-vh">"Action"</span></th>
            </tr></thead>
            <tbody class="ons-table__body">
                {lines.into_iter().map(|a| {
                    let label = format!("Retry the sandbox of {}", a.name);
                    view! {
                        <tr class="ons-table__row">
                            <td class="ons-table__cell">{a.name.clone()}</td>
                            <td class="ons-table__cell">{a.email}</td>
                            <td class="ons-table__cell">
                                {match a.request_href.clone() {
                                    Some(h) => view! { <a href=h>{a.status.clone()}</a> }.into_any(),
                                    None => a.status.clone().into_any(),
                                }}
                                {(!a.reason.is_empty()).then(|| view! { <br/><span class="ons-u-fs-s">{a.reason.clone()}</span> })}
                            </td>
                            <td class="ons-table__cell">
                                {a.failed.then(|| a.request_href.clone().map(|h| view! {
                                    <form method="post" action=format!("{h}/actions/retry")>
                                        <Button text="Retry" secondary=true small=true aria_label=label.clone()/>
                                    </form>
                                }))}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
