//! Booked against used accelerator time as pages show it: a project's weeks, and operators'
//! utilisation per device model with the figures a chart draws.

use crate::api::BookingRow;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UseRow {
    /// "Mon 7 Dec 2026"
    pub week: String,
    pub model: String,
    /// Device-hours, one decimal place.
    pub booked: String,
    pub used: String,
    pub released: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectUseView {
    pub project_id: i64,
    pub project_name: String,
    pub weeks: u32,
    /// Newest week first; empty when the project never booked or ran accelerators then.
    pub rows: Vec<UseRow>,
    pub bookings: Vec<BookingRow>,
    pub can_book: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UtilWeek {
    /// "7 Dec", short enough to label a bar.
    pub label: String,
    /// "Mon 7 Dec 2026", for the table.
    pub week: String,
    pub booked: String,
    pub used: String,
    pub released: String,
    pub booked_percent: i64,
    pub used_percent: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UtilModel {
    pub model: String,
    pub kind: String,
    pub devices: i64,
    /// Device-hours a week.
    pub capacity: i64,
    /// Oldest week first, as a chart reads left to right.
    pub weeks: Vec<UtilWeek>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UtilisationView {
    pub weeks: u32,
    pub models: Vec<UtilModel>,
}

/// How many weeks the pages offer to show.
pub const WEEK_CHOICES: [u32; 4] = [4, 8, 12, 26];

/// A project's booked, used and released accelerator hours per week, and its bookings.
#[server(prefix = "/_sf", endpoint = "get_project_accelerator_use")]
pub async fn get_project_accelerator_use(
    id: i64,
    weeks: String,
) -> Result<ProjectUseView, AppError> {
    use campus_core::accelerators::usage::hours;
    use campus_core::services::{accelerator_use, bookings};
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let now = campus_core::clock::now();
    let weeks = accelerator_use::weeks_asked(&weeks)?;
    let found = accelerator_use::for_project(&db, actor.as_ref(), id, weeks, now).await?;
    let mut rows = found.weeks;
    rows.retain(|r| r.booked + r.used + r.released > 0);
    rows.reverse();
    let list = bookings::for_project(&db, actor.as_ref(), id, now).await?;
    let can_book = bookings::may_book(&db, actor.as_ref(), id).await?.is_some();
    Ok(ProjectUseView {
        project_id: id,
        project_name: found.project_name,
        weeks,
        rows: rows
            .into_iter()
            .map(|r| UseRow {
                week: super::bookings::ssr::week_label(r.week_start),
                booked: hours(r.booked),
                used: hours(r.used),
                released: hours(r.released),
                model: r.model,
            })
            .collect(),
        bookings: list.iter().map(super::bookings::ssr::row).collect(),
        can_book,
    })
}

/// Each accelerator model's booked and used time per week against what it could give (operators).
#[server(prefix = "/_sf", endpoint = "get_utilisation")]
pub async fn get_utilisation(weeks: String) -> Result<UtilisationView, AppError> {
    use campus_core::accelerators::usage::hours;
    use campus_core::services::accelerator_use;
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let weeks = accelerator_use::weeks_asked(&weeks)?;
    let models =
        accelerator_use::utilisation(&db, actor.as_ref(), weeks, campus_core::clock::now()).await?;
    Ok(UtilisationView {
        weeks,
        models: models
            .into_iter()
            .map(|m| UtilModel {
                capacity: m.capacity_hours(),
                weeks: m
                    .weeks
                    .iter()
                    .map(|w| UtilWeek {
                        label: super::bookings::ssr::short_day(w.week_start),
                        week: super::bookings::ssr::week_label(w.week_start),
                        booked: hours(w.booked),
                        used: hours(w.used),
                        released: hours(w.released),
                        booked_percent: m.share(w.booked),
                        used_percent: m.share(w.used),
                    })
                    .collect(),
                kind: m.kind.to_uppercase(),
                model: m.model,
                devices: m.devices,
            })
            .collect(),
    })
}
