//! Building the application: database, migrations, first-start content, the router with its
//! layers, and the listener. Tests start it the same way on port 0 with a fresh database.

use crate::config::Config;
use crate::gateway::proxy;
use crate::ops::exports;
use crate::provision::postgres::PgDatabases;
use crate::state::AppState;
use crate::web::{
    acquisitions, bookings, inventory, live, output_checks, people, projects, public_pages,
    publishing, requests, settings,
};
use crate::{api, auth, layers, uploads};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use campus_core::Db;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] campus_core::db::DbError),
    #[error("could not prepare first-start content: {0}")]
    Seed(#[from] campus_core::CoreError),
    #[error("could not listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
    #[error("project databases are misconfigured: {0}")]
    Databases(String),
    #[error("workloads cannot be isolated, so none will run: {0}")]
    Workloads(String),
    #[error("single sign-on is misconfigured: {0}")]
    Oidc(#[from] crate::auth::oidc::client::OidcError),
}

pub struct Application {
    /// Where offerings' programs are looked for, to keep their availability current.
    programs: campus_core::requests::template::Programs,
    listener: TcpListener,
    router: Router,
    pub port: u16,
    pub db: Db,
    worker: Option<(crate::provision::worker::Worker, usize)>,
    mailer: Option<crate::mail::Mailer>,
}

/// Opens the database and applies migrations; a failure stops start-up with the reason.
pub async fn open_database(config: &Config) -> Result<Db, StartError> {
    if let Some(path) = config.database_url.strip_prefix("sqlite://") {
        let file = path.split('?').next().unwrap_or(path);
        if let Some(dir) = std::path::Path::new(file)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            let _ = std::fs::create_dir_all(dir);
        }
    }
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    Ok(db)
}

impl Application {
    pub async fn build(config: Config) -> Result<Application, StartError> {
        let listener = TcpListener::bind(config.bind_addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.bind_addr.to_string(),
                source,
            })?;
        Self::build_on(config, listener).await
    }

    /// Builds the application on a socket the caller already holds. Tests bind port 0 first and
    /// keep the socket, so the address they give the OIDC provider cannot be taken by another
    /// process (such as that provider) before the portal listens on it.
    pub async fn build_on(
        config: Config,
        listener: TcpListener,
    ) -> Result<Application, StartError> {
        let db = open_database(&config).await?;
        let seeded = crate::demo::seed(&db, config.demo_content).await?;
        match &seeded {
            crate::demo::Seeded::Admin { password } => {
                println!("\nFirst start: an administrator account was created.\n  user name: admin\n  one-time password: {password}\nIt is shown only this once: sign in and keep it safe.\n");
            }
            crate::demo::Seeded::Demo => tracing::info!("loaded demo content"),
            crate::demo::Seeded::AlreadyHadUsers => {}
        }
        crate::demo::catalogue::seed_catalogue(&db, config.provisioning.databases.is_some())
            .await?;
        crate::demo::catalogue::seed_inventory(&db, config.demo_content).await?;
        if matches!(seeded, crate::demo::Seeded::Demo) {
            crate::demo::bookings::seed_history(&db, campus_core::clock::now()).await?;
        }
        let programs = crate::provision::availability::programs(&config.provisioning.workloads);
        crate::provision::availability::check(&db, &programs)
            .await
            .map_err(|e| StartError::Seed(e.into()))?;
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        let databases =
            crate::provision::databases(&config.provisioning).map_err(StartError::Databases)?;
        let worker = match config.provisioning.run_worker {
            true => Some((
                worker_for(&config, db.clone(), databases.clone())
                    .map_err(StartError::Workloads)?,
                config.provisioning.worker_concurrency,
            )),
            false => None,
        };
        let mailer = match &config.mail {
            Some(m) => Some(crate::mail::Mailer::new(m)?),
            None => None,
        };
        let router = router(config, db.clone(), databases)?;
        Ok(Application {
            programs,
            mailer,
            listener,
            router,
            port,
            db,
            worker,
        })
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        tokio::spawn(sweep_expired(self.db.clone()));
        tokio::spawn(crate::provision::availability::watch(
            self.db.clone(),
            self.programs.clone(),
        ));
        if let Some((worker, concurrency)) = self.worker {
            tokio::spawn(worker.run(concurrency));
        }
        if let Some(mailer) = self.mailer {
            tokio::spawn(mailer.run(self.db.clone()));
        }
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
    }
}

/// The provisioning worker the configuration describes, or why workloads cannot be isolated.
pub fn worker_for(
    config: &Config,
    db: Db,
    databases: Option<Arc<PgDatabases>>,
) -> Result<crate::provision::worker::Worker, String> {
    Ok(crate::provision::worker::Worker::new(
        db,
        crate::provision::from_config(&config.provisioning, databases)?,
        std::time::Duration::from_secs(config.provisioning.ready_timeout_secs),
    )
    .with_lease(std::time::Duration::from_secs(
        config.provisioning.lease_secs,
    ))
    .with_mounts(crate::provision::mounts::Mounts::new(
        &config.provisioning.resource_dir,
        &config.ingest.dataset_dir,
    ))
    .with_releases(crate::provision::releases::ReleaseWatch::new(
        &config.provisioning.resource_dir,
        config.provisioning.snapshot_max_bytes,
    )))
}

/// Reads signed-in people's groups from the identity provider again, every minute for those
/// whose last reading is `every_secs` old.
async fn resync_roles(db: Db, oidc: Arc<auth::oidc::client::OidcClient>, every_secs: i64) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        every.tick().await;
        match auth::oidc::resync::resync(&db, &oidc, every_secs, campus_core::clock::now()).await {
            Ok(r) if r.changed > 0 || r.ended > 0 => {
                tracing::info!(
                    checked = r.checked,
                    changed = r.changed,
                    ended = r.ended,
                    "re-read roles from the identity provider"
                )
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not re-read roles from the identity provider")
            }
        }
    }
}

/// Removes expired sessions, their app host passes and old failed sign-ins every ten minutes.
async fn sweep_expired(db: Db) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        every.tick().await;
        let now = campus_core::clock::now();
        if let Err(e) = campus_core::store::sessions::delete_expired(&db, now).await {
            tracing::warn!(error = %e, "could not remove expired sessions");
        }
        if let Err(e) = campus_core::store::app_passes::delete_stale(&db, now).await {
            tracing::warn!(error = %e, "could not remove ended app host passes");
        }
        if let Err(e) =
            campus_core::store::login_failures::delete_before(&db, now - 24 * 3600).await
        {
            tracing::warn!(error = %e, "could not remove old failed sign-ins");
        }
    }
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

pub fn router(
    config: Config,
    db: Db,
    databases: Option<Arc<PgDatabases>>,
) -> Result<Router, StartError> {
    let oidc = match &config.oidc {
        Some(c) => Some(Arc::new(auth::oidc::client::OidcClient::new(
            c.clone(),
            &config.public_url,
        )?)),
        None => None,
    };
    let leptos_options = LeptosOptions::builder()
        .output_name("campus_portal")
        .site_root(config.site_root.clone())
        .site_pkg_dir("pkg")
        .build();
    let settings = app::api::PortalSettings {
        oidc_enabled: oidc.is_some(),
        demo_accounts: if config.demo_content {
            crate::demo::demo_accounts()
        } else {
            Vec::new()
        },
        token_default_days: config.token_lifetime.default_days,
        token_max_days: config.token_lifetime.max_days,
    };
    let session_layer =
        SessionManagerLayer::new(crate::auth::session_store::DbSessionStore::new(db.clone()))
            .with_name(config.cookie_name())
            .with_secure(config.https())
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_path("/")
            .with_expiry(Expiry::OnInactivity(time::Duration::minutes(
                config.session_idle_minutes,
            )));
    let body_limit = config.body_limit_bytes;
    // Room for a few files at the per-file limit; each is checked as it streams in.
    let upload_limit =
        usize::try_from(config.ingest.max_file_bytes.saturating_mul(4)).unwrap_or(usize::MAX);
    let secrets = crate::provision::secrets::Secrets::new(&config.provisioning.workloads.key);
    let state = AppState::new(crate::state::Shared {
        db,
        config: Arc::new(config),
        leptos_options: leptos_options.clone(),
        oidc,
        settings,
        proxy: crate::gateway::client::ProxyClient::default(),
        secrets,
        grants: Default::default(),
        databases,
        pages: Default::default(),
    });
    if let (Some(oidc), Some(cfg)) = (state.oidc.clone(), state.config.oidc.clone()) {
        tokio::spawn(resync_roles(
            state.db.clone(),
            oidc,
            cfg.resync_minutes * 60,
        ));
    }
    tokio::spawn(crate::web::page_cache::watch_for_changes(
        state.db.clone(),
        state.pages.clone(),
    ));

    let context = {
        let state = state.clone();
        move || {
            provide_context(state.db.clone());
            provide_context(state.settings.clone());
            provide_context(crate::auth::actor::for_pages(state.clone()));
        }
    };
    // Public pages are served by their own handlers (no hydration, cached), not Leptos' router.
    let routes: Vec<_> = route_list()
        .into_iter()
        .filter(|r| !PUBLIC_PAGES.contains(&r.path()))
        .collect();
    let pages = Router::new()
        .route("/_sf/{*fn_name}", post(server_fns).get(server_fns))
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = leptos_options.clone();
            move || app::shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, app::shell));

    let request_id = HeaderName::from_static("x-request-id");
    let router = Router::new()
        .route("/livez", get(crate::ops::health::live))
        .route("/readyz", get(crate::ops::health::ready))
        .route("/auth/local/sign-in", post(auth::local::sign_in))
        .route("/auth/sign-out", post(auth::sign_out))
        .route("/auth/oidc/start", get(auth::oidc::start))
        .route("/auth/oidc/callback", get(auth::oidc::callback))
        .route("/projects", post(projects::create_project))
        .route("/projects/{id}/members", post(projects::add_member))
        .route(
            "/projects/{id}/members/{user_id}/remove",
            post(projects::remove_member),
        )
        .route(auth::password::PAGE, post(auth::password::change))
        .route("/account/tokens", post(people::create_token))
        .route("/account/tokens/{id}/revoke", post(people::revoke_token))
        .route(
            "/account/sign-out-everywhere",
            post(people::sign_out_everywhere),
        )
        .route("/admin/users/{id}/roles", post(people::set_roles))
        .route(
            "/admin/users/{id}/unix-account",
            post(people::set_unix_account),
        )
        .route("/projects/{id}/requests", post(requests::submit))
        .route("/requests/{id}/decision", post(requests::decide))
        .route("/requests/{id}/resubmit", post(requests::resubmit))
        .route("/requests/{id}/output-checks", post(output_checks::ask))
        .route("/output-checks/{id}/decision", post(output_checks::decide))
        .route(
            "/output-checks/{id}/withdraw",
            post(output_checks::withdraw),
        )
        .route("/requests/{id}/actions/{action}", post(requests::act))
        .route("/requests/{id}/events", get(live::request_events))
        .route(
            "/requests/{id}/connection",
            get(exports::database_connection),
        )
        .route("/operations/jobs/{id}/redrive", post(requests::redrive))
        .route("/operations/audit.csv", get(exports::audit_csv))
        .route("/operations/catalogue", post(settings::create_offering))
        .route("/operations/catalogue/{id}", post(settings::update_policy))
        .route("/operations/catalogue/{id}/sizes", post(settings::add_size))
        .route(
            "/operations/catalogue/{id}/sizes/{code}/remove",
            post(settings::remove_size),
        )
        .route("/projects/{id}/quota", post(settings::set_quota))
        .route("/operations/inventory/hosts", post(inventory::add_host))
        .route(
            "/operations/inventory/hosts/{id}",
            post(inventory::edit_host),
        )
        .route(
            "/operations/inventory/hosts/{id}/drain",
            post(inventory::drain),
        )
        .route(
            "/operations/inventory/hosts/{id}/return",
            post(inventory::return_to_service),
        )
        .route(
            "/operations/inventory/hosts/{id}/retire",
            post(inventory::retire_host),
        )
        .route(
            "/operations/inventory/hosts/{id}/devices",
            post(inventory::add_device),
        )
        .route(
            "/operations/inventory/devices/{id}/retire",
            post(inventory::retire_device),
        )
        .route("/projects/{id}/booking-limits", post(bookings::set_limits))
        .route("/bookings", post(bookings::book))
        .route("/calendar/{secret}", get(bookings::calendar_feed))
        .route("/account/calendar", post(bookings::make_feed))
        .route("/account/calendar/stop", post(bookings::stop_feed))
        .route("/bookings/{id}/change", post(bookings::change))
        .route("/bookings/{id}/cancel", post(bookings::cancel))
        .route("/bookings/{id}/approve", post(bookings::approve))
        .route("/bookings/{id}/refuse", post(bookings::refuse))
        .route("/notifications/read", post(requests::mark_read))
        .route("/projects/{id}/showcase", post(publishing::save_showcase))
        .route(
            "/projects/{id}/showcase/unpublish",
            post(publishing::unpublish_showcase),
        )
        .route(
            "/operations/announcements",
            post(publishing::publish_announcement),
        )
        .route(
            "/operations/announcements/{id}/withdraw",
            post(publishing::withdraw_announcement),
        )
        .route("/training", post(publishing::create_course))
        .route("/training/{slug}/pages", post(publishing::add_course_page))
        .route("/training/{slug}/sessions", post(publishing::book_session))
        .route("/training/sessions/{id}/enrol", post(publishing::enrol))
        .route(
            "/training/{slug}/enrolment",
            post(publishing::set_partners_enrol),
        )
        .route(
            "/training/sessions/{id}/attendees",
            post(publishing::add_attendees),
        )
        .route(
            "/training/{slug}/pages/{page}",
            post(publishing::edit_course_page),
        )
        .route(
            "/training/{slug}/files",
            post(publishing::attach).layer(DefaultBodyLimit::max(12 * 1024 * 1024)),
        )
        .route("/acquisitions", post(acquisitions::start))
        .route(
            "/acquisitions/{id}/sections/{slug}",
            post(acquisitions::save_section),
        )
        .route("/acquisitions/{id}/ethics", post(acquisitions::save_ethics))
        .route("/acquisitions/{id}/submit", post(acquisitions::submit))
        .route("/acquisitions/{id}/withdraw", post(acquisitions::withdraw))
        .route("/acquisitions/{id}/amend", post(acquisitions::amend))
        .route("/acquisitions/{id}/assign", post(acquisitions::assign))
        .route(
            "/acquisitions/{id}/data-control",
            post(acquisitions::data_control),
        )
        .route(
            "/acquisitions/{id}/ethics-review",
            post(acquisitions::ethics_review),
        )
        .route(
            "/acquisitions/{id}/changes",
            post(acquisitions::request_changes),
        )
        .route("/acquisitions/{id}/decision", post(acquisitions::decide))
        .route("/datasets/{id}/grants", post(acquisitions::grant))
        .route("/datasets/{id}/close", post(uploads::close_dataset))
        .route(
            "/datasets/{id}/grants/{grant}/revoke",
            post(acquisitions::revoke),
        )
        .route(
            "/acquisitions/{id}/uploads",
            post(uploads::upload).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/api/v1/acquisitions/{id}/uploads",
            post(crate::api::acquisitions::upload).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .merge(api::router())
        .merge(pages)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            layers::absolute_session_limit,
        ))
        .layer(session_layer)
        // Outside the session layer: the proxy and public pages read the session themselves,
        // and only when they must.
        .merge(
            Router::new()
                .route("/showcase", get(public_pages::showcase))
                .route("/showcase/{slug}", get(public_pages::showcase_project))
                .route("/training", get(public_pages::training))
                .route("/training/{slug}", get(public_pages::course))
                .route(
                    "/training/{slug}/pages/{page}",
                    get(public_pages::course_page),
                )
                .route(
                    "/training/{slug}/files/{name}",
                    get(public_pages::attachment),
                )
                // Resources are served on their own hosts; these only send the browser there.
                .route("/w/{name}", get(proxy::launch))
                .route("/w/{name}/", get(proxy::launch))
                .route("/w/{name}/{*rest}", get(proxy::launch))
                .route("/s/{name}", get(proxy::launch))
                .route("/s/{name}/", get(proxy::launch))
                .route("/s/{name}/{*rest}", get(proxy::launch)),
        )
        .layer(axum::middleware::from_fn(layers::audit_request_id))
        .layer(axum::middleware::from_fn(layers::refuse_cross_site))
        .layer(axum::middleware::from_fn_with_state(
            body_limit,
            layers::refuse_nul_text,
        ))
        .layer(axum::middleware::from_fn(too_large_page))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            layers::security_headers,
        ))
        // Fonts (woff2 is brotli inside) and images gain nothing from a second compression.
        .layer(
            CompressionLayer::new()
                .compress_when(DefaultPredicate::new().and(NotForContentType::const_new("font/"))),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            // A calendar feed's address is its secret: it is never written to the log.
            let path = match req.uri().path() {
                p if p.starts_with("/calendar/") => "/calendar/…",
                p => p,
            };
            tracing::info_span!("request", method = %req.method(), path = %path, request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state.clone());
    // Outside every portal layer and before the portal's routing: an app host's requests are
    // the resource's, not the portal's (no portal CSP, CSRF check, session, compression,
    // request id or request span). `Router::layer` would wrap each route, so every request
    // would first be routed and then clone the matched route's whole stack of layers; wrapping
    // the finished router as one service costs an app host's request none of that.
    Ok(Router::new()
        .fallback_service(router)
        .layer(axum::middleware::from_fn_with_state(
            state,
            crate::gateway::app_host::dispatch,
        )))
}

async fn server_fns(State(state): State<AppState>, req: Request) -> impl IntoResponse {
    leptos_axum::handle_server_fns_with_context(
        move || {
            provide_context(state.db.clone());
            provide_context(state.settings.clone());
            provide_context(crate::auth::actor::for_pages(state.clone()));
        },
        req,
    )
    .await
}

/// Form posts over the body limit get a page, not a bare status line (the API keeps its JSON).
async fn too_large_page(req: Request, next: axum::middleware::Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if res.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_api {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            crate::web::error_page::html(
                "What you sent is too large",
                "Nothing was saved. Shorten what you entered and try again.",
            ),
        )
            .into_response();
    }
    res
}

/// Leptos routes served by [`public_pages`] instead, as leptos_axum lists them.
const PUBLIC_PAGES: [&str; 5] = [
    "/showcase",
    "/showcase/{slug}",
    "/training",
    "/training/{slug}",
    "/training/{slug}/pages/{page}",
];

/// The page routes, generated once per process. Generating them runs the app with resource
/// loading suppressed through a process-wide flag, and a resource first polled while the flag is
/// up never resolves (leptos#4773): a page rendered by one app while another app in the same
/// process (the integration tests run many) generated its routes hung forever.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App)).clone()
}
