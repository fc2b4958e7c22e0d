//! Queue benchmark: prints figures, passes or fails nothing.
//!
//! For SQLite (a fresh file) and PostgreSQL (a fresh database on TEST_POSTGRES_URL's server):
//! 1. throughput: N no-op jobs enqueued, then drained by the real worker (claim under a lease,
//!    run, complete on a transaction) with 8 concurrent claim loops; jobs per second;
//! 2. latency: with the workers idle-polling, jobs enqueued one at a time at a steady rate;
//!    enqueue-to-start p50 and p99 from the jobs' own timestamps.
//!
//! Run: `scripts/bench-queue` (or `cargo run -p server --example queue_bench -- 5000`).

use campus_core::store::jobs::{self, JobKind};
use campus_core::Db;
use server::provision::worker::Worker;
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn fresh(backend: &str) -> (Db, Option<(String, String)>) {
    if backend == "sqlite" {
        let dir = std::env::temp_dir().join(format!("campus-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::connect(&format!("sqlite://{}/bench.db?mode=rwc", dir.display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        (db, None)
    } else {
        let admin = std::env::var("TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("campus_bench_{}", std::process::id());
        let a = Db::connect(&admin).await.unwrap();
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&a.pool)
            .await
            .unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&a.pool)
            .await
            .unwrap();
        let base = admin.rsplit_once('/').unwrap().0.to_owned();
        let db = Db::connect(&format!("{base}/{name}")).await.unwrap();
        db.migrate().await.unwrap();
        (db, Some((admin, name)))
    }
}

async fn enqueue_many(db: &Db, n: usize) {
    let now = campus_core::clock::now_ms();
    for chunk in 0..n.div_ceil(500) {
        let mut tx = db.pool.begin().await.unwrap();
        for _ in 0..500.min(n - chunk * 500) {
            jobs::enqueue(&mut tx, JobKind::Noop, 0, 6, now)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
}

async fn done(db: &Db) -> i64 {
    jobs::counts(db)
        .await
        .unwrap()
        .into_iter()
        .find(|(s, _)| s == "done")
        .map(|(_, n)| n)
        .unwrap_or(0)
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5000);
    // No-op jobs never reach the driver; it is the local one only because a worker needs one.
    let root = std::env::temp_dir().join("campus-bench-res");
    let workloads = server::config::WorkloadConfig {
        private_dir: root.join("private"),
        key: b"the queue benchmark's workload key".to_vec(),
        uid_base: 200_000,
        uid_count: 100_000,
        tools_dir: server::config::default_tools_dir(),
        bwrap: "/usr/bin/bwrap".into(),
        gate: "/nonexistent/campus-gate".into(),
    };
    let ids = server::provision::identity::Identities::for_this_process(200_000, 100_000)
        .expect("a uid range");
    let driver: Arc<dyn server::provision::Driver> = Arc::new(
        server::provision::local::LocalDriver::new(&root.display().to_string(), &workloads, ids)
            .expect("the local driver"),
    );
    println!(
        "queue benchmark: {n} no-op jobs, one worker process with 8 claim loops, {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    for backend in ["sqlite", "postgres"] {
        let (db, cleanup) = fresh(backend).await;
        enqueue_many(&db, n).await;
        let worker = Worker::new(db.clone(), driver.clone(), Duration::from_secs(5));
        let started = Instant::now();
        let handle = tokio::spawn(worker.clone().run(8));
        while done(&db).await < n as i64 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{backend:>8}: throughput {:.0} jobs/s ({n} jobs in {secs:.2} s)",
            n as f64 / secs
        );

        // Latency: a steady trickle while the workers wait for work.
        let before = jobs::timings(&db).await.unwrap().len();
        let m = 500;
        for _ in 0..m {
            let mut tx = db.pool.begin().await.unwrap();
            jobs::enqueue(&mut tx, JobKind::Noop, 0, 6, campus_core::clock::now_ms())
                .await
                .unwrap();
            tx.commit().await.unwrap();
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        while done(&db).await < (n + m) as i64 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let mut lat: Vec<i64> = jobs::timings(&db).await.unwrap()[before..]
            .iter()
            .map(|(c, s)| s - c)
            .collect();
        lat.sort_unstable();
        println!(
            "{backend:>8}: enqueue-to-start p50 {} ms, p99 {} ms ({m} jobs, one every 10 ms)",
            percentile(&lat, 0.5),
            percentile(&lat, 0.99)
        );
        handle.abort();
        db.pool.close().await;
        if let Some((admin, name)) = cleanup {
            let a = Db::connect(&admin).await.unwrap();
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&a.pool)
                .await;
        }
    }
}
