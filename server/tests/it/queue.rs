//! The queue under two workers at once: every job runs exactly once, none is left claimed.

use crate::both_backends;
use crate::support::{fresh_database, Backend};
use campus_core::store::jobs::{self, JobKind};
use campus_core::Db;
use server::provision::worker::Worker;
use std::time::Duration;

async fn two_workers_never_run_the_same_job(backend: Backend) {
    let (url, _tmp) = fresh_database(backend).await;
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let n = 1000;
    let mut tx = db.pool.begin().await.unwrap();
    for _ in 0..n {
        jobs::enqueue(&mut tx, JobKind::Noop, 0, 6, 0)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let driver =
        server::provision::from_config(&crate::support::config(url.clone(), 0).provisioning, None)
            .unwrap();
    let a = Worker::new(db.clone(), driver.clone(), Duration::from_secs(5));
    let b = Worker::new(db.clone(), driver, Duration::from_secs(5));
    assert_ne!(a.id, b.id);
    let (ha, hb) = (tokio::spawn(a.run(4)), tokio::spawn(b.run(4)));
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let done: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state = 'done'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        if done == n {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "only {done} of {n} jobs done"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ha.abort();
    hb.abort();
    // A job claimed twice would show a second attempt; and both workers took a share.
    let twice: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE attempts <> 1")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(twice, 0, "no job was claimed more than once");
    let tokens: Vec<String> = sqlx::query_scalar("SELECT lease_token FROM jobs")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let owners: std::collections::BTreeSet<&str> =
        tokens.iter().filter_map(|t| t.split(':').next()).collect();
    assert!(owners.len() >= 2, "both workers claimed jobs: {owners:?}");
    assert_eq!(
        jobs::stale_leases(&db, i64::MAX).await.unwrap(),
        0,
        "nothing is left claimed"
    );
    db.pool.close().await;
}

both_backends!(two_workers_never_run_the_same_job);
