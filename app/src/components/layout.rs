//! The furniture around every page: header with navigation by role, phase banner, footer,
//! the one-off success notice, and the page that explains an error.

use crate::api::{
    get_announcements, get_current_user, take_notice, AnnouncementView, CurrentUser, PublicRender,
};
use crate::components::ons::{LinkButton, Panel};
use crate::error::{AppError, ErrorKind};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

#[component]
pub fn Header() -> impl IntoView {
    // Public pages render from data the server loaded first and create no resources.
    let (user_area, navigation) = match use_context::<PublicRender>() {
        Some(p) => (
            view! { <AccountLinks user=p.user.clone()/> }.into_any(),
            view! { <Navigation user=p.user/> }.into_any(),
        ),
        None => {
            let user = Resource::new(|| (), |_| get_current_user());
            (
                view! {
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let u = user.await.ok().flatten();
                            view! { <AccountLinks user=u/> }
                        })}
                    </Suspense>
                }
                .into_any(),
                view! {
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let u = user.await.ok().flatten();
                            view! { <Navigation user=u/> }
                        })}
                    </Suspense>
                }
                .into_any(),
            )
        }
    };
    view! {
        <header class="ons-header ons-header--internal" role="banner">
            <div class="ons-header__top">
                <div class="ons-container">
                    <div class="ons-header__grid-top ons-grid ons-grid-flex ons-grid-flex--between ons-grid-flex--vertical-center ons-grid-flex--no-wrap ons-grid--gutterless">
                        <div class="ons-grid__col ons-col-auto">
                            <span class="app-org-name">"Office for National Statistics · Data Science Campus"</span>
                        </div>
                        <div class="ons-grid__col ons-col-auto ons-u-ml-auto">
                            {user_area}
                        </div>
                    </div>
                </div>
            </div>
            <div class="ons-header__main">
                <div class="ons-container">
                    <a class="ons-header__title-link" href="/">
                        <span class="ons-header__title">"Campus Portal"</span>
                    </a>
                </div>
            </div>
            {navigation}
        </header>
    }
}

/// The operators' status banners: on every page until they expire.
#[component]
pub fn Announcements() -> impl IntoView {
    let banners = |list: Vec<AnnouncementView>| {
        (!list.is_empty()).then(|| {
            view! {
                <div class="ons-container ons-u-mt-s" role="region" aria-label="Service announcements">
                    {list
                        .into_iter()
                        .map(|a| {
                            let class = format!("app-announcement app-announcement--{}", a.kind);
                            view! {
                                <div class=class>
                                    <p class="ons-u-mb-no">
                                        <strong>{a.label}": "</strong>{a.message}
                                        <span class="ons-u-fs-s">" (until "{a.until}")"</span>
                                    </p>
                                </div>
                            }
                        })
                        .collect_view()}
                </div>
            }
        })
    };
    match use_context::<PublicRender>() {
        Some(p) => banners(p.announcements).into_any(),
        None => {
            let list = Resource::new(|| (), |_| get_announcements());
            view! {
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move { banners(list.await.unwrap_or_default()) })}
                </Suspense>
            }
            .into_any()
        }
    }
}

#[component]
fn AccountLinks(user: Option<CurrentUser>) -> impl IntoView {
    match user {
        Some(u) => view! {
            <div class="app-account-links">
                <a class="app-header-link" href="/account">{u.display_name}</a>
                <form method="post" action="/auth/sign-out" class="app-inline-form">
                    <button type="submit" class="app-header-button">"Sign out"</button>
                </form>
            </div>
        }
        .into_any(),
        None => view! { <a class="app-header-link" href="/sign-in">"Sign in"</a> }.into_any(),
    }
}

/// Public pages are served without the client app, so links to them must load the page.
pub fn is_public(href: &str) -> bool {
    href == "/showcase"
        || href.starts_with("/showcase/")
        || href == "/training"
        || href.starts_with("/training/")
}

#[component]
fn Navigation(user: Option<CurrentUser>) -> impl IntoView {
    let location = use_location();
    let mut items: Vec<(&'static str, String)> = vec![
        ("/", "Home".into()),
        ("/showcase", "Showcase".into()),
        ("/training", "Training".into()),
        ("/search", "Search".into()),
    ];
    if let Some(u) = &user {
        items.push(("/projects", "Projects".into()));
        items.push(("/catalogue", "Catalogue".into()));
        items.push(("/requests", "My resources".into()));
        items.push(("/acquisitions", "Data applications".into()));
        if u.is_internal {
            items.push(("/datasets", "Datasets".into()));
            items.push(("/bookings", "Accelerators".into()));
        }
        if u.is_checker {
            items.push(("/output-checks", "Output checks".into()));
        }
        if u.is_operator {
            items.push(("/approvals", "Approvals".into()));
            items.push(("/operations", "Operations".into()));
        }
        items.push((
            "/notifications",
            if u.unread_notifications > 0 {
                format!("Notifications ({})", u.unread_notifications)
            } else {
                "Notifications".into()
            },
        ));
        if u.is_admin {
            items.push(("/admin/users", "Users and roles".into()));
        } else if u.is_operator {
            // Operators map people's Unix accounts there.
            items.push(("/admin/users", "People".into()));
        }
        items.push(("/account", "My account".into()));
    }
    items.push(("/register", "Data-use register".into()));
    view! {
        <div class="ons-navigation-wrapper">
            <div class="ons-container">
                <nav class="ons-navigation ons-navigation--main app-navigation" aria-label="Main menu">
                    <ul class="ons-navigation__list">
                        {items
                            .into_iter()
                            .map(|(href, text)| {
                                let current = move || {
                                    let path = location.pathname.get();
                                    if href == "/" { path == "/" } else { path.starts_with(href) }
                                };
                                view! {
                                    <li class="ons-navigation__item" class:ons-navigation__item--active=current>
                                        <a class="ons-navigation__link" href=href rel=is_public(href).then_some("external")
                                            aria-current=move || current().then_some("page")>{text}</a>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </nav>
            </div>
        </div>
    }
}

#[component]
pub fn PhaseBanner() -> impl IntoView {
    view! {
        <div class="ons-phase-banner">
            <div class="ons-container">
                <div class="ons-grid ons-grid-flex ons-grid--gutterless ons-grid-flex--vertical-center ons-grid-flex--no-wrap">
                    <div class="ons-grid__col ons-col-auto ons-u-flex-no-grow ons-u-flex-no-shrink">
                        <strong class="ons-phase-banner__badge">"Alpha"</strong>
                    </div>
                    <div class="ons-grid__col ons-col-auto ons-u-flex-shrink">
                        <p class="ons-phase-banner__desc ons-u-fs-s ons-u-mb-no">
                            "This is a new service. Tell the Campus infrastructure team what you think of it."
                        </p>
                    </div>
                </div>
            </div>
        </div>
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="ons-footer">
            <div class="ons-footer__body">
                <div class="ons-container">
                    <div class="ons-grid">
                        <div class="ons-grid__col ons-col-4@m">
                            <h2 class="ons-footer__heading ons-u-fs-r--b">"Campus Portal"</h2>
                            <ul class="ons-list ons-list--bare">
                                <li class="ons-list__item"><a class="ons-list__link" href="/">"What the portal offers"</a></li>
                                <li class="ons-list__item"><a class="ons-list__link" href="/api/v1/openapi.json" rel="external">"JSON API description"</a></li>
                            </ul>
                        </div>
                        <div class="ons-grid__col ons-col-8@m">
                            <p class="ons-u-fs-s ons-footer__copyright">
                                "The Data Science Campus network holds non-sensitive data only. "
                                "Sensitive work belongs in the secure corporate data service."
                            </p>
                        </div>
                    </div>
                </div>
            </div>
        </footer>
    }
}

/// Shows, once, the success message the last form post left.
#[component]
pub fn Notice() -> impl IntoView {
    let notice = Resource::new(|| (), |_| take_notice());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                notice.await.ok().flatten().map(|text| view! { <Panel success=true><p>{text}</p></Panel> })
            })}
        </Suspense>
    }
}

/// Says what happened and what to do next; sets the response status when rendered on the server.
#[component]
pub fn ErrorPage(kind: ErrorKind, #[prop(default = None)] detail: Option<String>) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::ssr::set_status(kind.status());
    let location = use_location();
    let (title, body, next): (&str, String, AnyView) = match kind {
        ErrorKind::NotSignedIn => (
            "Sign in to see this page",
            "This page is only for people with a Campus Portal account.".into(),
            view! { <LinkButton text="Sign in" href=format!("/sign-in?next={}", location.pathname.get_untracked())/> }.into_any(),
        ),
        ErrorKind::Forbidden => (
            "You do not have permission to see or do this",
            detail.unwrap_or_else(|| "Your account does not have the role this needs.".into()),
            view! { <p>"If you think you should have access, ask the project lead or a portal administrator. "<a href="/">"Go to the home page"</a></p> }.into_any(),
        ),
        ErrorKind::NotFound => (
            "Page not found",
            "If you typed the web address, check it is correct. If you pasted it, check you copied the entire address.".into(),
            view! { <p><a href="/">"Go to the home page"</a>" or "<a href="/projects">"browse projects"</a>"."</p> }.into_any(),
        ),
        ErrorKind::Internal => (
            "Sorry, there is a problem with the service",
            "Nothing you entered has been lost or half-saved. Try again in a few minutes.".into(),
            view! { <p>"If it keeps happening, contact the Campus infrastructure team and tell them the time it happened."</p> }.into_any(),
        ),
    };
    view! {
        <Title text=title.to_owned()/>
        <h1 class="ons-u-fs-2xl">{title}</h1>
        <p>{body}</p>
        {next}
    }
}

/// Renders a page's data, or the error page that fits its error.
pub fn or_error_page<T, V: IntoView + 'static>(
    r: Result<T, AppError>,
    ok: impl FnOnce(T) -> V,
) -> AnyView {
    match r {
        Ok(v) => ok(v).into_any(),
        Err(e) => {
            let detail = match &e {
                AppError::Forbidden(why) => {
                    Some(format!("{}{}.", why[..1].to_uppercase(), &why[1..]))
                }
                _ => None,
            };
            view! { <ErrorPage kind=e.kind() detail=detail/> }.into_any()
        }
    }
}
