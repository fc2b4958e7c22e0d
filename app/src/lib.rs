//! Campus Portal's pages. The route table in [`App`] is the map of the site: every page is at
//! most two files from it. Pages render completely on the server (`SsrMode::Async`), so they work
//! with JavaScript off; the WASM bundle hydrates them for client-side navigation.

#![recursion_limit = "256"]

// scripts/test builds with clippy as the compiler wrapper, and cargo does not count a new wrapper
// as a change: reading CLIPPY_ARGS here makes it one, so a crate built earlier without clippy is
// built again, and linted, by the tests (and every crate that depends on this one with it).
const _: Option<&str> = option_env!("CLIPPY_ARGS");

pub mod api;
pub mod components;
pub mod error;
pub mod forms;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use components::layout::{Announcements, Footer, Header, PhaseBanner};
use pages::*;

/// The HTML document around every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    ssr::provide_request_nonce();
    // Public pages are complete HTML with no client app (see `api::public`).
    let hydrate = use_context::<api::PublicRender>()
        .is_none()
        .then(|| view! { <HydrationScripts options/> });
    view! {
        <!DOCTYPE html>
        <html lang="en-GB">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="description" content="Campus Portal: self-service workspaces, data and publishing on the Data Science Campus network."/>
                <link rel="stylesheet" href="/css/main.css"/>
                <link rel="stylesheet" href="/app.css"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                {hydrate}
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|t: String| format!("{t} – Campus Portal")/>
        <Router>
            <a class="ons-skip-to-content" href="#main-content">"Skip to content"</a>
            <Header/>
            <PhaseBanner/>
            <Announcements/>
            <div class="ons-page__container ons-container">
                <main id="main-content" class="ons-page__main ons-u-mt-l ons-u-mb-3xl" tabindex="-1">
                    <Routes fallback=|| view! { <ErrorPage kind=error::ErrorKind::NotFound/> }>
                        <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                        <Route path=path!("/sign-in") view=SignInPage ssr=SsrMode::Async/>
                        <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async/>
                        <Route path=path!("/account/password") view=PasswordPage ssr=SsrMode::Async/>
                        <Route path=path!("/projects") view=ProjectsPage ssr=SsrMode::Async/>
                        <Route path=path!("/projects/new") view=NewProjectPage ssr=SsrMode::Async/>
                        <Route path=path!("/projects/:id") view=ProjectPage ssr=SsrMode::Async/>
                        <Route path=path!("/projects/:id/quota") view=ProjectQuotaPage ssr=SsrMode::Async/>
                        <Route path=path!("/projects/:id/accelerators") view=ProjectAcceleratorsPage ssr=SsrMode::Async/>
                        <Route path=path!("/projects/:id/requests/new") view=NewRequestPage ssr=SsrMode::Async/>
                        <Route path=path!("/catalogue") view=CataloguePage ssr=SsrMode::Async/>
                        <Route path=path!("/requests") view=RequestsPage ssr=SsrMode::Async/>
                        <Route path=path!("/requests/:id") view=RequestPage ssr=SsrMode::Async/>
                        <Route path=path!("/requests/:id/output-check") view=AskOutputCheckPage ssr=SsrMode::Async/>
                        <Route path=path!("/output-checks") view=OutputChecksPage ssr=SsrMode::Async/>
                        <Route path=path!("/output-checks/:id") view=OutputCheckPage ssr=SsrMode::Async/>
                        <Route path=path!("/approvals") view=ApprovalsPage ssr=SsrMode::Async/>
                        <Route path=path!("/operations") view=OperationsPage ssr=SsrMode::Async/>
                        <Route path=path!("/operations/audit") view=AuditPage ssr=SsrMode::Async/>
                        <Route path=path!("/operations/inventory") view=InventoryPage ssr=SsrMode::Async/>
                        <Route path=path!("/operations/utilisation") view=UtilisationPage ssr=SsrMode::Async/>
                        <Route path=path!("/operations/inventory/hosts/:id") view=InventoryHostPage ssr=SsrMode::Async/>
                        <Route path=path!("/operations/catalogue") view=OfferingSettingsPage ssr=SsrMode::Async/>
                        <Route path=path!("/operations/catalogue/new") view=NewOfferingPage ssr=SsrMode::Async/>
                        <Route path=path!("/operations/catalogue/:id") view=OfferingPolicyPage ssr=SsrMode::Async/>
                        <Route path=path!("/notifications") view=NotificationsPage ssr=SsrMode::Async/>
                        <Route path=path!("/acquisitions") view=AcquisitionsPage ssr=SsrMode::Async/>
                        <Route path=path!("/acquisitions/:id") view=AcquisitionPage ssr=SsrMode::Async/>
                        <Route path=path!("/acquisitions/:id/sections/:slug") view=AcquisitionSectionPage ssr=SsrMode::Async/>
                        <Route path=path!("/acquisitions/:id/ethics") view=AcquisitionEthicsPage ssr=SsrMode::Async/>
                        <Route path=path!("/register") view=RegisterPage ssr=SsrMode::Async/>
                        <Route path=path!("/showcase") view=ShowcasePage ssr=SsrMode::Async/>
                        <Route path=path!("/showcase/:slug") view=ShowcaseProjectPage ssr=SsrMode::Async/>
                        <Route path=path!("/training") view=TrainingPage ssr=SsrMode::Async/>
                        <Route path=path!("/training/new") view=NewCoursePage ssr=SsrMode::Async/>
                        <Route path=path!("/training/sessions/:id") view=SessionPage ssr=SsrMode::Async/>
                        <Route path=path!("/training/:slug") view=CoursePage ssr=SsrMode::Async/>
                        <Route path=path!("/training/:slug/manage") view=ManageCoursePage ssr=SsrMode::Async/>
                        <Route path=path!("/training/:slug/pages/:page") view=CoursePage ssr=SsrMode::Async/>
                        <Route path=path!("/search") view=SearchPage ssr=SsrMode::Async/>
                        <Route path=path!("/projects/:id/showcase") view=ShowcaseEditorPage ssr=SsrMode::Async/>
                        <Route path=path!("/operations/announcements") view=AnnouncementsPage ssr=SsrMode::Async/>
                        <Route path=path!("/datasets") view=DatasetsPage ssr=SsrMode::Async/>
                        <Route path=path!("/datasets/:id") view=DatasetPage ssr=SsrMode::Async/>
                        <Route path=path!("/bookings") view=BookingsPage ssr=SsrMode::Async/>
                        <Route path=path!("/bookings/new") view=NewBookingPage ssr=SsrMode::Async/>
                        <Route path=path!("/bookings/:id") view=BookingPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/users") view=UsersPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/users/:id") view=UserRolesPage ssr=SsrMode::Async/>
                    </Routes>
                </main>
            </div>
            <Footer/>
        </Router>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
