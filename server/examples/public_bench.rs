//! Public pages and search benchmarks: print figures, pass or fail nothing.
//!
//! 1. page: wrk (2 threads, 64 connections, loopback) against an anonymous public project page
//!    from the portal's cache, and against nginx serving the same bytes as a static file, in one
//!    run; requests/s, p50/p99 and the ratio.
//! 2. search: the search service's latency (p50/p99 over 300 queries of one and two words) with
//!    10 thousand and with 1 million documents in the index, on SQLite and on PostgreSQL.
//!
//! Run: `scripts/bench-public [all|page|search|search-sqlite|search-postgres]` (a release build;
//! wrk and nginx from Debian).

#[path = "support/nginx.rs"]
mod nginx;
#[path = "support/wrk.rs"]
mod wrk;

use campus_core::publishing::search_query::MAX_WORDS;
use campus_core::Db;
use nginx::free_port;
use std::time::{Duration, Instant};
use wrk::wrk;

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("campus-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn wait_for(url: &str) {
    for _ in 0..200 {
        if reqwest::get(url).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} did not answer");
}

/// nginx serving `dir` on `port`, tuned as one would for static files.
fn nginx(dir: &std::path::Path, port: u16) -> nginx::Nginx {
    nginx::start(
        dir,
        &format!(
            "worker_processes 2;\npid {pid};\nerror_log stderr error;\nevents {{ worker_connections 1024; }}\n\
             http {{ access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;\n\
             client_body_temp_path {tmp}; proxy_temp_path {tmp}; fastcgi_temp_path {tmp}; uwsgi_temp_path {tmp}; scgi_temp_path {tmp};\n\
             types {{ text/html html; }}\n\
             server {{ listen 127.0.0.1:{port}; root {root}; }} }}\n",
            pid = dir.join("nginx.pid").display(),
            tmp = dir.display(),
            root = dir.join("www").display(),
        ),
    )
}

async fn page_bench() {
    let dir = scratch("page");
    let port = free_port();
    let mut cfg = server::config::Config::from_env().expect("configuration");
    cfg.database_url = format!("sqlite://{}/bench.db?mode=rwc", dir.display());
    cfg.bind_addr = format!("127.0.0.1:{port}").parse().unwrap();
    cfg.public_url = format!("http://127.0.0.1:{port}");
    cfg.demo_content = true;
    cfg.oidc = None;
    cfg.mail = None;
    cfg.provisioning.run_worker = false;
    let app = server::startup::Application::build(cfg)
        .await
        .expect("the portal starts");
    tokio::spawn(app.run_until_stopped());
    let page = format!("http://127.0.0.1:{port}/showcase/urban-forest");
    wait_for(&page).await;
    eprintln!("portal up at {page}");
    let bytes = reqwest::get(&page).await.unwrap().bytes().await.unwrap();
    std::fs::create_dir_all(dir.join("www")).unwrap();
    std::fs::write(dir.join("www/page.html"), &bytes).unwrap();
    let nginx_port = free_port();
    let nginx_server = nginx(&dir, nginx_port);
    let static_url = format!("http://127.0.0.1:{nginx_port}/page.html");
    wait_for(&static_url).await;
    let served = reqwest::get(&static_url)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(served, bytes, "nginx serves the same bytes");
    eprintln!("nginx up at {static_url}; measuring");
    // Warm both, then measure each for ten seconds.
    wrk(&page, None, 2);
    wrk(&static_url, None, 2);
    let portal = wrk(&page, None, 10);
    let nginx = wrk(&static_url, None, 10);
    println!(
        "\nAnonymous public project page ({} bytes), wrk -t2 -c64 -d10s on loopback",
        bytes.len()
    );
    println!(
        "{:<28} {:>12} {:>10} {:>10}",
        "", "requests/s", "p50", "p99"
    );
    println!(
        "{:<28} {:>12.0} {:>10} {:>10}",
        "portal /showcase/urban-forest", portal.rps, portal.p50, portal.p99
    );
    println!(
        "{:<28} {:>12.0} {:>10} {:>10}",
        "nginx, same bytes, static", nginx.rps, nginx.p50, nginx.p99
    );
    println!("ratio portal/nginx: {:.2}", portal.rps / nginx.rps.max(1.0));
    drop(nginx_server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Words for synthetic documents, used with a skew so some are common and most are rare, as in
/// real text.
const WORDS: &[&str] = &[
    "data",
    "survey",
    "population",
    "census",
    "health",
    "transport",
    "housing",
    "income",
    "price",
    "trade",
    "energy",
    "climate",
    "tree",
    "garden",
    "patent",
    "labour",
    "market",
    "school",
    "travel",
    "journey",
    "crime",
    "migration",
    "wellbeing",
    "business",
    "retail",
    "footfall",
    "broadband",
    "road",
    "rail",
    "bus",
    "water",
    "waste",
    "carbon",
    "emission",
    "forest",
    "river",
    "flood",
    "weather",
    "farm",
    "food",
    "hospital",
    "doctor",
    "pupil",
    "teacher",
    "wage",
    "pension",
    "tax",
    "benefit",
    "company",
    "industry",
    "export",
    "import",
    "tourism",
    "hotel",
    "festival",
    "library",
    "museum",
    "sport",
    "park",
    "street",
    "city",
    "town",
    "village",
    "region",
    "county",
    "district",
    "ward",
    "postcode",
    "address",
    "building",
    "satellite",
    "image",
    "model",
    "network",
    "text",
    "language",
    "classification",
    "cluster",
    "forecast",
    "nowcast",
    "index",
    "inflation",
    "output",
    "productivity",
    "investment",
    "innovation",
    "research",
    "skills",
    "training",
    "course",
    "python",
    "spark",
    "statistics",
    "estimate",
    "sample",
    "weight",
    "variance",
    "bias",
    "quality",
    "linkage",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// A word index skewed towards the start of the list.
    fn word(&mut self) -> &'static str {
        let r = (self.next() % 10_000) as f64 / 10_000.0;
        WORDS[((r * r) * WORDS.len() as f64) as usize]
    }
    fn text(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| {
                // A rare token too, so the index has a realistic vocabulary size.
                if self.next().is_multiple_of(8) {
                    format!("{}{}", self.word(), self.next() % 5000)
                } else {
                    self.word().to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Adds documents until the index holds `target`, in batches of 500 rows per statement.
async fn fill(db: &Db, rng: &mut Rng, from: i64, target: i64) {
    const BATCH: i64 = 500;
    let mut n = from;
    while n < target {
        let rows = BATCH.min(target - n);
        let mut sql = String::from(
            "INSERT INTO search_documents (kind, ref_id, audience, project_id, title, body, url, updated_at) VALUES ",
        );
        for i in 0..rows {
            let p = i * 4;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "('project', ${}, 'public', NULL, ${}, ${}, ${}, 0)",
                p + 1,
                p + 2,
                p + 3,
                p + 4
            ));
        }
        let mut q = sqlx::query(&sql);
        for i in 0..rows {
            let id = n + i + 1_000_000_000;
            q = q
                .bind(id)
                .bind(rng.text(5))
                .bind(rng.text(40))
                .bind(format!("/showcase/p{id}"));
        }
        let mut tx = db.pool.begin().await.unwrap();
        q.execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        n += rows;
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn measure(db: &Db, rng: &mut Rng) -> (Duration, Duration) {
    let queries: Vec<String> = (0..300)
        .map(|i| {
            if i % 2 == 0 {
                rng.word().to_owned()
            } else {
                format!("{} {}", rng.word(), rng.word())
            }
        })
        .collect();
    for q in queries.iter().take(20) {
        campus_core::services::search::search(db, None, q, None)
            .await
            .unwrap();
    }
    let mut times = Vec::with_capacity(queries.len());
    for q in &queries {
        let t = Instant::now();
        let r = campus_core::services::search::search(db, None, q, None)
            .await
            .unwrap();
        times.push(t.elapsed());
        assert!(r.results.len() <= 20 && q.split(' ').count() <= MAX_WORDS);
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

async fn search_backend(name: &str, db: Db) {
    db.migrate().await.unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut have = 0;
    let mut rows = Vec::new();
    for size in [10_000_i64, 1_000_000] {
        let t = Instant::now();
        fill(&db, &mut rng, have, size).await;
        have = size;
        // A bulk load leaves PostgreSQL without statistics for the new rows and with every row's
        // visibility still to be worked out on first read; autovacuum settles both within
        // minutes on a live server. Measure that steady state, not the minute after the load.
        if db.backend == campus_core::db::Backend::Postgres {
            sqlx::query("VACUUM ANALYZE search_documents")
                .execute(&db.pool)
                .await
                .unwrap();
        }
        eprintln!(
            "{name}: {size} documents indexed in {:.0} s",
            t.elapsed().as_secs_f64()
        );
        let (p50, p99) = measure(&db, &mut rng).await;
        rows.push((size, p50, p99));
    }
    println!("\nSearch on {name}: latency of the search service, first page of 20, 300 queries of one or two words");
    println!("{:>12} {:>10} {:>10}", "documents", "p50 ms", "p99 ms");
    for (size, p50, p99) in &rows {
        println!(
            "{:>12} {:>10.2} {:>10.2}",
            size,
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
    }
    let ratio = rows[1].1.as_secs_f64() / rows[0].1.as_secs_f64();
    println!("p50 at 1M / p50 at 10k: {ratio:.2}");
}

async fn search_bench_sqlite() {
    let dir = scratch("search");
    let sqlite = Db::connect(&format!("sqlite://{}/search.db?mode=rwc", dir.display()))
        .await
        .unwrap();
    search_backend("SQLite (FTS5)", sqlite).await;
    let _ = std::fs::remove_dir_all(&dir);
}

async fn search_bench_postgres() {
    let admin = std::env::var("BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("campus_search_bench_{}", std::process::id());
    let admin_db = Db::connect(&admin)
        .await
        .expect("PostgreSQL for the search benchmark");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin_db.pool)
        .await
        .unwrap();
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    let pg = Db::connect(&url).await.unwrap();
    search_backend("PostgreSQL (tsvector, GIN)", pg.clone()).await;
    pg.pool.close().await;
    let _ = sqlx::query(&format!("DROP DATABASE {name}"))
        .execute(&admin_db.pool)
        .await;
}

#[tokio::main]
async fn main() {
    match std::env::args().nth(1).as_deref().unwrap_or("all") {
        "page" => page_bench().await,
        "search" => {
            search_bench_sqlite().await;
            search_bench_postgres().await;
        }
        "search-sqlite" => search_bench_sqlite().await,
        "search-postgres" => search_bench_postgres().await,
        _ => {
            page_bench().await;
            search_bench_sqlite().await;
            search_bench_postgres().await;
        }
    }
}
