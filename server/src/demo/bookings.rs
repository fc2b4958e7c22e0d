//! Three past weeks of accelerator bookings for the demo, so the projects' *Accelerator time*
//! and operators' utilisation have something to show on first start: one project books two
//! A100s a day a week, another books one and leaves it unused until it is released. Made with
//! the same store calls as real bookings, so the database's no-overlap guarantee holds.

use campus_core::accelerators::bookings::{week_start, Window, RELEASE_AFTER_MINUTES};
use campus_core::db::Db;
use campus_core::error::CoreError;
use campus_core::store::bookings::{self, Hold, NewBooking};
use campus_core::store::users;

const A100: &str = "NVIDIA A100 80GB";
const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

async fn project_id(db: &Db, name: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM projects WHERE name = $1")
        .bind(name)
        .fetch_optional(&db.pool)
        .await
}

pub async fn seed_history(db: &Db, now: i64) -> Result<(), CoreError> {
    let (Some(sam), Some(priya)) = (
        users::find_by_username(db, "sam").await?,
        users::find_by_username(db, "priya").await?,
    ) else {
        return Ok(());
    };
    let (Some(forest), Some(gardens)) = (
        project_id(db, "Urban forest").await?,
        project_id(db, "Household gardens").await?,
    ) else {
        return Ok(());
    };
    let mut conn = db.pool.acquire().await?;
    let devices = bookings::devices_of(&mut conn, A100).await?;
    let Some(first) = devices.first() else {
        return Ok(());
    };
    let on_first: Vec<i64> = devices
        .iter()
        .filter(|d| d.host == first.host)
        .map(|d| d.id)
        .collect();
    drop(conn);
    let this_week = week_start(now);
    for back in 1..=3 {
        let monday = this_week - back * 7 * DAY;
        let plans = [
            (
                forest,
                sam.id,
                monday + DAY + 9 * HOUR,
                8,
                &on_first[..on_first.len().min(2)],
                "Training the tree-crown detector",
                None,
            ),
            (
                gardens,
                priya.id,
                monday + 3 * DAY + 10 * HOUR,
                4,
                &on_first[..1],
                "Segmenting gardens",
                Some(RELEASE_AFTER_MINUTES * 60),
            ),
        ];
        for (project, by, start, hours, held, purpose, released_after) in plans {
            let window = Window {
                start,
                end: start + hours * HOUR,
            };
            let b = NewBooking {
                project_id: project,
                booked_by: by,
                model: A100,
                window,
                purpose,
                state: "confirmed",
                reason: "",
                now: start - 2 * DAY,
            };
            let mut tx = db.pool.begin().await?;
            let Hold::Made(id) = bookings::hold(&mut tx, &b, held).await? else {
                continue;
            };
            if let Some(after) = released_after {
                bookings::set_state(
                    &mut tx,
                    id,
                    "confirmed",
                    "released",
                    &campus_core::services::bookings::release_reason(),
                    start + after,
                )
                .await?;
            }
            tx.commit().await?;
        }
    }
    Ok(())
}
