//! Public pages: the projects showcase and training materials. Anyone may read them, with no
//! account and no JavaScript; the server renders them complete from data it loaded first
//! ([`PublicRender`]) and ships no WASM with them.

use crate::api::{
    CourseDetail, CourseList, PublicData, PublicRender, ShowcaseList, ShowcaseProject,
};
use crate::components::layout::ErrorPage;
use crate::components::ons::LinkButton;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

/// The page's data from the server, or — when the client app navigated here itself — a reload,
/// since public pages exist only as server-rendered HTML.
fn from_server(page: impl FnOnce(PublicData) -> AnyView) -> AnyView {
    match use_context::<PublicRender>() {
        Some(PublicRender { data: Ok(d), .. }) => page(d),
        Some(PublicRender { data: Err(e), .. }) => error(e),
        None => {
            #[cfg(feature = "hydrate")]
            Effect::new(|| {
                let _ = window().location().reload();
            });
            let here = use_location().pathname.get_untracked();
            view! { <p><a href=here rel="external">"Open this page"</a></p> }.into_any()
        }
    }
}

fn error(e: AppError) -> AnyView {
    let detail = match &e {
        AppError::Forbidden(why) => Some(why.clone()),
        _ => None,
    };
    view! { <ErrorPage kind=e.kind() detail=detail/> }.into_any()
}

fn wrong_page() -> AnyView {
    error(AppError::NotFound("page".into()))
}

fn tags(of: &str, list: Vec<String>) -> impl IntoView {
    view! {
        <ul class="app-tags" aria-label=format!("Tags for {of}")>
            {list
                .into_iter()
                .map(|t| {
                    let href = format!("/showcase?tag={}", crate::forms::url_encode(&t));
                    view! { <li><a class="app-tag" href=href>{t}</a></li> }
                })
                .collect_view()}
        </ul>
    }
}

#[component]
pub fn ShowcasePage() -> impl IntoView {
    from_server(|d| match d {
        PublicData::Showcase(l) => showcase_list(l).into_any(),
        _ => wrong_page(),
    })
}

fn showcase_list(l: ShowcaseList) -> impl IntoView {
    let filtered = l.tag.is_some() || l.year.is_some();
    let heading = match (&l.tag, l.year) {
        (Some(t), Some(y)) => format!("Projects tagged “{t}” from {y}"),
        (Some(t), None) => format!("Projects tagged “{t}”"),
        (None, Some(y)) => format!("Projects from {y}"),
        (None, None) => "Projects".to_owned(),
    };
    let selected_tag = l.tag.clone().unwrap_or_default();
    let selected_year = l.year;
    view! {
        <Title text="Projects showcase"/>
        <h1 class="ons-u-fs-2xl">"Projects showcase"</h1>
        <p class="ons-u-fs-m">"What the Data Science Campus has built and published, and the services you can try."</p>
        <div class="ons-grid">
            <div class="ons-grid__col ons-col-4@m">
                <form method="get" action="/showcase" class="app-filters">
                    <h2 class="ons-u-fs-r--b">"Filter"</h2>
                    <div class="ons-field">
                        <label class="ons-label" for="tag">"Tag"</label>
                        <select id="tag" name="tag" class="ons-input ons-input--select">
                            <option value="" selected=selected_tag.is_empty()>"Any tag"</option>
                            {l.tags.into_iter().map(|(t, n)| {
                                let sel = t == selected_tag;
                                let label = format!("{t} ({n})");
                                view! { <option value=t selected=sel>{label}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="ons-field">
                        <label class="ons-label" for="year">"Year started"</label>
                        <select id="year" name="year" class="ons-input ons-input--select">
                            <option value="" selected=selected_year.is_none()>"Any year"</option>
                            {l.years.into_iter().map(|y| view! {
                                <option value=y.to_string() selected=selected_year == Some(y)>{y}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <button type="submit" class="ons-btn ons-btn--secondary ons-btn--small ons-u-mt-s">
                        <span class="ons-btn__inner"><span class="ons-btn__text">"Apply filters"</span></span>
                    </button>
                    {filtered.then(|| view! { <p class="ons-u-mt-s"><a href="/showcase">"Clear filters"</a></p> })}
                </form>
            </div>
            <div class="ons-grid__col ons-col-8@m">
                <h2 class="ons-u-fs-l" id="results-heading">{heading}</h2>
                {if l.projects.is_empty() {
                    view! { <p>"No published projects match. "<a href="/showcase">"See all projects"</a></p> }.into_any()
                } else {
                    view! {
                        <ul class="ons-list ons-list--bare" aria-labelledby="results-heading">
                            {l.projects.into_iter().map(|p| {
                                let href = format!("/showcase/{}", p.slug);
                                view! {
                                    <li class="ons-list__item app-card">
                                        <h3 class="ons-u-fs-m ons-u-mb-xs"><a href=href>{p.title.clone()}</a></h3>
                                        <p class="ons-u-mb-xs">{p.summary}</p>
                                        {p.year.map(|y| view! { <p class="ons-u-fs-s ons-u-mb-xs">"Started "{y}</p> })}
                                        {tags(&p.title, p.tags)}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
                {l.next.map(|href| view! { <p><a href=href>"More projects"</a></p> })}
            </div>
        </div>
    }
}

#[component]
pub fn ShowcaseProjectPage() -> impl IntoView {
    from_server(|d| match d {
        PublicData::Project(p) => project(p).into_any(),
        _ => wrong_page(),
    })
}

fn project(p: ShowcaseProject) -> impl IntoView {
    view! {
        <Title text=p.title.clone()/>
        <nav class="ons-breadcrumbs" aria-label="Breadcrumbs">
            <ol class="ons-breadcrumbs__items ons-u-fs-s">
                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href="/showcase">"Projects showcase"</a></li>
            </ol>
        </nav>
        <h1 class="ons-u-fs-2xl">{p.title.clone()}</h1>
        <p class="ons-u-fs-m">{p.summary}</p>
        {tags(&p.title, p.tags)}
        <div class="ons-grid ons-u-mt-m">
            <div class="ons-grid__col ons-col-8@m">
                <div class="app-markdown" inner_html=p.html></div>
            </div>
            <div class="ons-grid__col ons-col-4@m">
                {(!p.services.is_empty()).then(|| view! {
                    <h2 class="ons-u-fs-l">"Published services"</h2>
                    <ul class="ons-list ons-list--bare">
                        {p.services.into_iter().map(|s| view! {
                            <li class="ons-list__item">
                                <a href=s.href rel="external">{s.name}</a>
                                <p class="ons-u-fs-s ons-u-mb-xs">{s.purpose}</p>
                                {s.check.map(|(record, on, digest)| view! {
                                    <p class="ons-u-fs-s">
                                        "Output-checked for release on "{on}" by two checkers from outside the project. It serves exactly the files they checked, SHA-256 "
                                        <code class="app-digest">{digest}</code>". "
                                        <a href=record rel="external">"The check's record"</a>" (staff sign in)."
                                    </p>
                                })}
                            </li>
                        }).collect_view()}
                    </ul>
                })}
                <h2 class="ons-u-fs-l">"Team"</h2>
                <ul class="ons-list">
                    {p.team.into_iter().map(|m| view! { <li class="ons-list__item">{m}</li> }).collect_view()}
                </ul>
                {(!p.outputs.is_empty()).then(|| view! {
                    <h2 class="ons-u-fs-l">"Outputs"</h2>
                    <ul class="ons-list">
                        {p.outputs.into_iter().map(|o| view! { <li class="ons-list__item">{o}</li> }).collect_view()}
                    </ul>
                })}
                {(!p.links.is_empty()).then(|| view! {
                    <h2 class="ons-u-fs-l">"Links"</h2>
                    <ul class="ons-list">
                        {p.links.into_iter().map(|l| view! {
                            <li class="ons-list__item"><a href=l.href rel="external noopener noreferrer">{l.text}</a></li>
                        }).collect_view()}
                    </ul>
                })}
                <p class="ons-u-fs-s">
                    {p.year.map(|y| format!("Started {y}. "))}
                    "Published "{p.published}"."
                </p>
            </div>
        </div>
    }
}

#[component]
pub fn TrainingPage() -> impl IntoView {
    from_server(|d| match d {
        PublicData::Courses(l) => courses(l).into_any(),
        _ => wrong_page(),
    })
}

fn courses(l: CourseList) -> impl IntoView {
    view! {
        <Title text="Training"/>
        <h1 class="ons-u-fs-2xl">"Training"</h1>
        <p class="ons-u-fs-m">"Courses the Data Science Campus runs across government, with their materials."</p>
        {l.can_create.then(|| view! { <LinkButton text="Write a course" href="/training/new".into() secondary=true external=true/> })}
        {if l.courses.is_empty() {
            view! { <p>"No courses yet."</p> }.into_any()
        } else {
            view! {
                <ul class="ons-list ons-list--bare ons-u-mt-m">
                    {l.courses.into_iter().map(|c| {
                        let href = format!("/training/{}", c.slug);
                        view! {
                            <li class="ons-list__item app-card">
                                <h2 class="ons-u-fs-m ons-u-mb-xs"><a href=href>{c.title}</a></h2>
                                <p class="ons-u-fs-s ons-u-mb-xs">{c.topic}{(!c.public).then_some(" · Campus staff only")}</p>
                                <p>{c.summary}</p>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        {l.next.map(|href| view! { <p><a href=href>"More courses"</a></p> })}
    }
}

#[component]
pub fn CoursePage() -> impl IntoView {
    from_server(|d| match d {
        PublicData::Course(c) => course(c).into_any(),
        _ => wrong_page(),
    })
}

fn course(c: CourseDetail) -> impl IntoView {
    let base = format!("/training/{}", c.course.slug);
    let reading = c.page.is_some();
    let title = c
        .page
        .as_ref()
        .map(|p| p.0.clone())
        .unwrap_or_else(|| c.course.title.clone());
    view! {
        <Title text=title.clone()/>
        <nav class="ons-breadcrumbs" aria-label="Breadcrumbs">
            <ol class="ons-breadcrumbs__items ons-u-fs-s">
                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href="/training">"Training"</a></li>
                {reading.then(|| view! { <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href=base.clone()>{c.course.title.clone()}</a></li> })}
            </ol>
        </nav>
        <h1 class="ons-u-fs-2xl">{title}</h1>
        <div class="ons-grid">
            <div class="ons-grid__col ons-col-8@m">
                {match c.page {
                    Some((_, html)) => view! { <div class="app-markdown" inner_html=html></div> }.into_any(),
                    None => view! {
                        <p class="ons-u-fs-m">{c.course.summary}</p>
                        <p class="ons-u-fs-s">{c.course.topic}" · written by "{c.owner}{(!c.course.public).then_some(" · Campus staff only")}</p>
                    }.into_any(),
                }}
                <nav class="app-pager ons-u-mt-l" aria-label="Course pages">
                    {c.previous.map(|l| view! { <a href=l.href rel="prev">"Previous: "{l.text}</a> })}
                    " "
                    {c.next.map(|l| view! { <a href=l.href rel="next">"Next: "{l.text}</a> })}
                </nav>
            </div>
            <div class="ons-grid__col ons-col-4@m">
                <h2 class="ons-u-fs-l">"Contents"</h2>
                {if c.pages.is_empty() {
                    view! { <p>"No pages yet."</p> }.into_any()
                } else {
                    view! {
                        <ol class="ons-list">
                            {c.pages.into_iter().map(|l| view! { <li class="ons-list__item"><a href=l.href>{l.text}</a></li> }).collect_view()}
                        </ol>
                    }.into_any()
                }}
                {(!c.attachments.is_empty()).then(|| view! {
                    <h2 class="ons-u-fs-l">"Downloads"</h2>
                    <ul class="ons-list">
                        {c.attachments.into_iter().map(|a| view! {
                            <li class="ons-list__item"><a href=a.href rel="external">{a.name}</a>" ("{a.size}")"</li>
                        }).collect_view()}
                    </ul>
                })}
                {(!c.sessions.is_empty()).then(|| view! {
                    <h2 class="ons-u-fs-l">"Sessions"</h2>
                    <ul class="ons-list">
                        {c.sessions.into_iter().map(|(href, when, sandbox)| view! {
                            <li class="ons-list__item"><a href=href>{when}</a><br/><span class="ons-u-fs-s">"Sandbox: "{sandbox}</span></li>
                        }).collect_view()}
                    </ul>
                })}
                {c.can_edit.then(|| view! {
                    <LinkButton text="Edit this course" href=format!("{base}/manage") secondary=true external=true/>
                })}
            </div>
        </div>
    }
}
