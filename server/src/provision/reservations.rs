//! Keeps the engine's booking reservations in step with the bookings: every confirmed booking
//! that has not ended has one, as it is now; nothing else of this portal's is kept. Run by every
//! worker every few seconds, so a crash between a booking and its reservation, a change, or a
//! cancellation is mended by the next pass rather than by a job of its own. A reservation the
//! engine refuses (its cores taken, a node down) refuses the booking, with the engine's reason.

use super::driver::{Driver, DriverError};
use campus_core::db::Db;
use campus_core::services::bookings;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    pub made: usize,
    pub removed: usize,
    pub refused: usize,
}

pub async fn reconcile(db: &Db, driver: &dyn Driver, now: i64) -> Result<Reconciled, DriverError> {
    let Some(kept) = driver.reservations().await? else {
        return Ok(Reconciled::default());
    };
    let store = |e: campus_core::CoreError| DriverError::Transient(e.to_string());
    let wanted = bookings::to_reserve(db, now).await.map_err(store)?;
    let mut done = Reconciled::default();
    for name in kept
        .iter()
        .filter(|k| !wanted.iter().any(|(_, r, _)| &r.name == *k))
    {
        driver.unreserve(name).await?;
        done.removed += 1;
    }
    for (id, r, reserved) in &wanted {
        let there = kept.contains(&r.name);
        if there && *reserved == r.fingerprint() {
            continue;
        }
        if there {
            driver.unreserve(&r.name).await?;
        }
        match driver.reserve(r).await {
            Ok(()) => {
                bookings::reserved(db, *id, r).await.map_err(store)?;
                done.made += 1;
            }
            Err(DriverError::Permanent(why)) => {
                tracing::info!(booking = id, %why, "the cluster refused a booking's reservation");
                bookings::not_reserved(db, *id, &why, now)
                    .await
                    .map_err(store)?;
                done.refused += 1;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}
