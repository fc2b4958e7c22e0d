//! The proxy's cost, in one run on one machine: prints figures, passes or fails nothing.
//!
//! A small backend (1 KiB answers, a WebSocket echo) listens on TCP and on a Unix socket. wrk
//! (2 threads, 64 connections, loopback) then measures it three ways: directly over TCP;
//! through nginx `proxy_pass` to its Unix socket with keep-alive, as one would set it up; and
//! through the portal's proxy on the resource's own host, with a signed-in person's pass, to the
//! same socket (the way the portal reaches every workspace). Beside them, the portal's HTTP
//! server and client with nothing between them: the most its proxy could keep. Then WebSocket echo round trips,
//! one at a time, directly and through the portal: p50 and p99.
//!
//! Run: `scripts/bench-proxy` (a release build; wrk and nginx from Debian).

#[path = "support/nginx.rs"]
mod nginx;
#[path = "support/wrk.rs"]
mod wrk;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use nginx::free_port;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wrk::wrk;

// The same allocator as the server binary (server/src/main.rs), so the figures are its.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BODY: [u8; 1024] = [b'x'; 1024];

/// A 1 KiB answer, or a WebSocket that echoes every frame back.
async fn backend(req: Request) -> Response {
    if !req.headers().contains_key(header::UPGRADE) {
        return Response::new(Body::from(&BODY[..]));
    }
    let key = req
        .headers()
        .get("sec-websocket-key")
        .and_then(|k| k.to_str().ok())
        .unwrap_or("")
        .to_owned();
    tokio::spawn(async move {
        let Ok(upgraded) = hyper::upgrade::on(req).await else {
            return;
        };
        echo(hyper_util::rt::TokioIo::new(upgraded)).await;
    });
    let mut res = Response::new(Body::empty());
    *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = res.headers_mut();
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    // The bench's own client does not check the accept value, so the key stands in for it.
    if let Ok(v) = HeaderValue::from_str(&key) {
        h.insert("sec-websocket-accept", v);
    }
    res
}

/// Echoes small masked client frames back unmasked until the connection closes.
async fn echo<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(mut s: S) {
    let mut head = [0u8; 2];
    while s.read_exact(&mut head).await.is_ok() {
        let len = (head[1] & 0x7f) as usize;
        let mut mask = [0u8; 4];
        let mut payload = vec![0u8; len];
        if s.read_exact(&mut mask).await.is_err() || s.read_exact(&mut payload).await.is_err() {
            return;
        }
        for (i, b) in payload.iter_mut().enumerate() {
            *b ^= mask[i % 4];
        }
        let mut frame = vec![head[0], len as u8];
        frame.extend_from_slice(&payload);
        if s.write_all(&frame).await.is_err() {
            return;
        }
    }
}

/// Round trips of a 32-byte text frame over a WebSocket opened at `addr` with `host` and
/// `cookie`; the latencies, sorted.
async fn ws_round_trips(addr: &str, host: &str, cookie: &str, n: usize) -> Vec<Duration> {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.set_nodelay(true).unwrap();
    let handshake = format!(
        "GET /ws HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nCookie: {cookie}\r\n\r\n"
    );
    s.write_all(handshake.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    let payload = [b'p'; 32];
    let mask = [1u8, 2, 3, 4];
    let mut frame = vec![0x81u8, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    let mut back = vec![0u8; 2 + payload.len()];
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        s.write_all(&frame).await.unwrap();
        s.read_exact(&mut back).await.unwrap();
        times.push(t.elapsed());
    }
    assert_eq!(&back[2..], &payload[..], "the echo came back whole");
    times.sort();
    times
}

fn percentile(sorted: &[Duration], p: f64) -> String {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    format!("{:.0} µs", sorted[i].as_secs_f64() * 1e6)
}

/// nginx on `port` passing everything to the Unix socket `sock`, with pooled upstream
/// connections (without `keepalive` it would connect anew per request, which is not how
/// anyone runs it).
fn nginx(dir: &std::path::Path, port: u16, sock: &std::path::Path) -> nginx::Nginx {
    nginx::start(
        dir,
        &format!(
            "worker_processes 2;\npid {pid};\nerror_log stderr error;\nevents {{ worker_connections 1024; }}\n\
             http {{ access_log off; keepalive_requests 1000000;\n\
             client_body_temp_path {tmp}; proxy_temp_path {tmp}; fastcgi_temp_path {tmp}; uwsgi_temp_path {tmp}; scgi_temp_path {tmp};\n\
             upstream backend {{ server unix:{sock}; keepalive 64; }}\n\
             server {{ listen 127.0.0.1:{port}; location / {{ proxy_pass http://backend; \
             proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_buffering on; }} }} }}\n",
            pid = dir.join("nginx.pid").display(),
            tmp = dir.display(),
            sock = sock.display(),
        ),
    )
}

/// The ceiling of the portal's own path: the same HTTP server (axum on hyper) and the same pooled
/// client, passing every request to `sock` with no decision and no header policy at all. What
/// the portal's proxy loses beyond this is its own doing; what this loses against direct is the
/// cost of parsing and writing each request and answer a second time.
async fn bare_proxy(sock: &std::path::Path) -> u16 {
    use server::gateway::client::ProxyClient;
    use server::provision::upstream::Target;
    use std::sync::Arc;
    let target = Arc::new(Target::Unix(sock.to_owned()));
    let client = ProxyClient::default();
    let forward = move |mut req: Request| {
        let (client, target) = (client.clone(), target.clone());
        async move {
            let path = req.uri().path_and_query().cloned();
            *req.uri_mut() = path.map_or_else(|| "/".parse().unwrap(), Into::into);
            match client.send(&target, req).await {
                Ok(res) => res,
                Err(_) => Response::builder()
                    .status(StatusCode::BAD_GATEWAY)
                    .body(Body::empty())
                    .unwrap(),
            }
        }
    };
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = tcp.local_addr().unwrap().port();
    tokio::spawn(std::future::IntoFuture::into_future(axum::serve(
        tcp,
        Router::new().fallback(forward),
    )));
    port
}

async fn wait_for(url: &str, host: Option<&str>) {
    let c = reqwest::Client::new();
    for _ in 0..200 {
        let mut r = c.get(url);
        if let Some(h) = host {
            r = r.header("host", h);
        }
        if r.send().await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} did not answer");
}

/// The portal on a fresh SQLite database, with one running web service whose endpoint is the
/// backend's socket and a signed-in person holding a pass for its host. Returns the portal's
/// port, the app host and the pass cookie.
async fn portal(dir: &std::path::Path, sock: &std::path::Path) -> (u16, String, String) {
    use campus_core::domain::{Role, RoleSet};
    use campus_core::services::accounts::{self, NewAccount};
    use campus_core::store::{app_passes, sessions};
    let port = free_port();
    let mut cfg = server::config::Config::from_env().expect("configuration");
    cfg.database_url = format!("sqlite://{}/bench.db?mode=rwc", dir.display());
    cfg.bind_addr = format!("127.0.0.1:{port}").parse().unwrap();
    cfg.public_url = format!("http://127.0.0.1:{port}");
    cfg.apps = server::gateway::apps_domain::AppsDomain::new(&cfg.public_url, None).unwrap();
    cfg.demo_content = false;
    cfg.oidc = None;
    cfg.mail = None;
    cfg.provisioning.run_worker = false;
    let app = server::startup::Application::build(cfg)
        .await
        .expect("the portal starts");
    let db = app.db.clone();
    tokio::spawn(app.run_until_stopped());

    let user = accounts::create_local_account(
        &db,
        NewAccount {
            username: "bench",
            display_name: "Bench Person",
            email: "bench@campus.invalid",
            password: "a long enough bench password",
            roles: RoleSet::new([Role::Staff]),
        },
    )
    .await
    .unwrap();
    let now = campus_core::clock::now();
    sqlx::query(
        "INSERT INTO projects (name, summary, lead_id, end_date, created_at) \
         VALUES ('Bench', 'Measuring the proxy', $1, '2030-01-01', $2)",
    )
    .bind(user)
    .bind(now)
    .execute(&db.pool)
    .await
    .unwrap();
    let offering: i64 = sqlx::query_scalar("SELECT id FROM offerings WHERE slug = 'web-service'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let project: i64 = sqlx::query_scalar("SELECT id FROM projects LIMIT 1")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let resource: i64 = sqlx::query_scalar(
        "INSERT INTO resources (project_id, offering_id, size_code, requester_id, state, \
         cpu_cores, ram_gb, gpus, storage_gb, end_date, purpose, visibility, endpoint, \
         created_at, updated_at, last_active_at) \
         VALUES ($1, $2, 'small', $3, 'active', 1, 1, 0, 1, '2030-01-01', 'bench', 'private', \
         $4, $5, $5, $5) RETURNING id",
    )
    .bind(project)
    .bind(offering)
    .bind(user)
    .bind(format!("unix:{}", sock.display()))
    .bind(now)
    .fetch_one(&db.pool)
    .await
    .expect("a running web service (the resources table's columns are as this bench expects)");

    let session_id = app_passes::secret();
    let data = serde_json::json!({ "user_id": user, "signed_in_at": now }).to_string();
    sessions::create(
        &db,
        &sessions::SessionRecord {
            id: session_id.clone(),
            user_id: Some(user),
            data,
            expires_at: now + 3600,
        },
    )
    .await
    .unwrap();
    let (code, pass) = (app_passes::secret(), app_passes::secret());
    app_passes::issue(&db, &code, &session_id, resource, now)
        .await
        .unwrap();
    app_passes::redeem(&db, &code, &pass, resource, now)
        .await
        .unwrap()
        .expect("the code becomes a pass");
    let host = format!("cp-{resource}.localhost:{port}");
    (port, host, format!("campus_pass={pass}"))
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("campus-bench-proxy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sock = dir.join("app.sock");
    let router = Router::new().fallback(get(backend));
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let direct_port = tcp.local_addr().unwrap().port();
    tokio::spawn(std::future::IntoFuture::into_future(axum::serve(
        tcp,
        router.clone(),
    )));
    let unix = tokio::net::UnixListener::bind(&sock).unwrap();
    // nginx's workers drop to an unprivileged user when started as root: let them connect.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o666)).unwrap();
    }
    tokio::spawn(std::future::IntoFuture::into_future(axum::serve(
        unix, router,
    )));

    let nginx_port = free_port();
    let nginx_server = nginx(&dir, nginx_port, &sock);
    let bare_port = bare_proxy(&sock).await;
    let (port, host, cookie) = portal(&dir, &sock).await;

    let direct = format!("http://127.0.0.1:{direct_port}/");
    let via_nginx = format!("http://127.0.0.1:{nginx_port}/");
    let via_portal = format!("http://127.0.0.1:{port}/");
    let via_bare = format!("http://127.0.0.1:{bare_port}/");
    wait_for(&direct, None).await;
    wait_for(&via_nginx, None).await;
    wait_for(&via_bare, None).await;
    let checked = reqwest::Client::new()
        .get(&via_portal)
        .header("host", &host)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        checked.status(),
        200,
        "the portal passes the signed-in person through"
    );
    assert_eq!(checked.bytes().await.unwrap().len(), BODY.len());
    eprintln!("backend, nginx and portal up; measuring");

    let portal_wrk = |secs| {
        wrk::wrk_with(
            &via_portal,
            &[("Host", host.as_str()), ("Cookie", cookie.as_str())],
            secs,
        )
    };
    // Warm each, then ten seconds each, one after the other.
    wrk(&direct, None, 2);
    wrk(&via_nginx, None, 2);
    wrk(&via_bare, None, 2);
    portal_wrk(2);
    let d = wrk(&direct, None, 10);
    let n = wrk(&via_nginx, None, 10);
    let b = wrk(&via_bare, None, 10);
    let p = portal_wrk(10);

    println!("\n1 KiB answers, wrk -t2 -c64 -d10s on loopback, one run");
    println!(
        "{:<44} {:>12} {:>10} {:>10} {:>8}",
        "", "requests/s", "p50", "p99", "×direct"
    );
    for (name, w) in [
        ("backend directly (TCP)", &d),
        ("nginx proxy_pass (Unix socket, keepalive)", &n),
        ("the portal's server and client, no policy", &b),
        ("portal proxy, signed in (Unix socket)", &p),
    ] {
        println!(
            "{:<44} {:>12.0} {:>10} {:>10} {:>8.2}",
            name,
            w.rps,
            w.p50,
            w.p99,
            w.rps / d.rps.max(1.0)
        );
    }

    let direct_addr = format!("127.0.0.1:{direct_port}");
    let portal_addr = format!("127.0.0.1:{port}");
    ws_round_trips(&direct_addr, &direct_addr, "", 200).await;
    ws_round_trips(&portal_addr, &host, &cookie, 200).await;
    let wd = ws_round_trips(&direct_addr, &direct_addr, "", 5_000).await;
    let wp = ws_round_trips(&portal_addr, &host, &cookie, 5_000).await;
    println!("\nWebSocket echo, 32-byte frames, 5,000 round trips one at a time");
    println!("{:<44} {:>10} {:>10}", "", "p50", "p99");
    println!(
        "{:<44} {:>10} {:>10}",
        "backend directly",
        percentile(&wd, 0.5),
        percentile(&wd, 0.99)
    );
    println!(
        "{:<44} {:>10} {:>10}",
        "through the portal",
        percentile(&wp, 0.5),
        percentile(&wp, 0.99)
    );
    drop(nginx_server);
    let _ = std::fs::remove_dir_all(&dir);
}
