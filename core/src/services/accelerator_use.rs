//! Booked against used accelerator time per week: for a project's members on its record, and for
//! operators per device model across the network. Run times come from the resources' own steps
//! (`resource_events`), which the portal records under either driver, so the figures do not
//! need Slurm's accounting database.

use super::resources::project_object;
use crate::accelerators::bookings::Window;
use crate::accelerators::usage::{self, Held, Ran, WeekUse};
use crate::authz::{self, Action, Actor, Object};
use crate::db::Db;
use crate::error::{CoreError, FieldErrors};
use crate::store::{bookings, inventory, resources};
use std::collections::HashMap;

/// Weeks shown when none are asked for, and the most anyone can ask for.
pub const DEFAULT_WEEKS: u32 = 8;
pub const MAX_WEEKS: u32 = 52;

/// The number of weeks typed into a form or query ("" for the default).
pub fn weeks_asked(text: &str) -> Result<u32, CoreError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(DEFAULT_WEEKS);
    }
    match text.parse::<u32>() {
        Ok(n) if (1..=MAX_WEEKS).contains(&n) => Ok(n),
        _ => {
            let mut e = FieldErrors::new();
            e.add(
                "weeks",
                format!("Enter a whole number of weeks from 1 to {MAX_WEEKS}, for example 8"),
            );
            Err(CoreError::Invalid(e))
        }
    }
}

/// One device model's weeks across the network, and how many of it are in service now.
#[derive(Debug, Clone)]
pub struct ModelWeeks {
    pub kind: String,
    pub model: String,
    /// Devices in service now; a week's capacity is this many devices for the whole week.
    pub devices: i64,
    pub weeks: Vec<WeekUse>,
}

impl ModelWeeks {
    /// Device-hours the devices in service give in a week.
    pub fn capacity_hours(&self) -> i64 {
        self.devices * usage::WEEK_SECONDS / 3600
    }

    /// `device_seconds` as a whole percentage of a week's capacity.
    pub fn share(&self, device_seconds: i64) -> i64 {
        usage::percent(device_seconds, self.devices * usage::WEEK_SECONDS)
    }
}

/// A project's weeks, with its name for the page's heading.
#[derive(Debug, Clone)]
pub struct ProjectUse {
    pub project_name: String,
    pub weeks: Vec<WeekUse>,
}

/// A project's booked, used and released time per model for the `weeks` weeks to now, for
/// anyone who may see the project.
pub async fn for_project(
    db: &Db,
    actor: Option<&Actor>,
    project_id: i64,
    weeks: u32,
    now: i64,
) -> Result<ProjectUse, CoreError> {
    let (project, object) = project_object(db, actor, project_id).await?;
    authz::check(actor, Action::ViewProject, object)?;
    Ok(ProjectUse {
        project_name: project.name,
        weeks: gather(db, Some(project_id), weeks, now).await?,
    })
}

/// Every model's figures for operators: each model in service, and any other that was booked
/// or run in the weeks shown.
pub async fn utilisation(
    db: &Db,
    actor: Option<&Actor>,
    weeks: u32,
    now: i64,
) -> Result<Vec<ModelWeeks>, CoreError> {
    authz::check(actor, Action::ViewOperations, Object::Portal)?;
    let rows = gather(db, None, weeks, now).await?;
    let mut out: Vec<ModelWeeks> = bookings::models(db)
        .await?
        .into_iter()
        .map(|m| ModelWeeks {
            kind: m.kind,
            model: m.model,
            devices: m.devices,
            weeks: Vec::new(),
        })
        .collect();
    let mondays = usage::weeks_to(now, weeks);
    for row in rows {
        let i = match out.iter().position(|m| m.model == row.model) {
            Some(i) => i,
            None => {
                out.push(ModelWeeks {
                    kind: String::new(),
                    model: row.model.clone(),
                    devices: 0,
                    weeks: Vec::new(),
                });
                out.len() - 1
            }
        };
        out[i].weeks.push(row);
    }
    for m in &mut out {
        if m.weeks.is_empty() {
            m.weeks = mondays
                .iter()
                .map(|&week_start| WeekUse {
                    week_start,
                    model: m.model.clone(),
                    booked: 0,
                    used: 0,
                    released: 0,
                })
                .collect();
        }
    }
    Ok(out)
}

async fn gather(
    db: &Db,
    project_id: Option<i64>,
    weeks: u32,
    now: i64,
) -> Result<Vec<WeekUse>, CoreError> {
    let mondays = usage::weeks_to(now, weeks);
    let since = mondays.first().copied().unwrap_or(now);
    let window = Window {
        start: since,
        end: since + i64::from(weeks) * 7 * 86_400,
    };
    let held: Vec<Held> = bookings::held_between(db, project_id, window)
        .await?
        .into_iter()
        .map(|b| Held {
            window: b.window(),
            released_at: (b.state == "released").then_some(b.changed_at),
            model: b.model,
            count: b.count,
        })
        .collect();
    let mut on_host: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    for (host, slot, model) in inventory::device_models(db).await? {
        on_host.entry(host).or_default().push((slot, model));
    }
    let mut ran = Vec::new();
    for r in resources::accelerator_steps(db, project_id, since).await? {
        let model = r
            .host_id
            .and_then(|h| usage::model_of(&r.devices, on_host.get(&h).map_or(&[], Vec::as_slice)))
            .unwrap_or_else(|| UNKNOWN_MODEL.to_string());
        for span in usage::run_spans(&r.steps, now) {
            ran.push(Ran {
                model: model.clone(),
                count: r.gpus,
                span,
            });
        }
    }
    Ok(usage::per_week(&mondays, &held, &ran))
}

/// What a run is counted under when its host or devices were never recorded (it was placed
/// before the portal placed accelerators per host).
pub const UNKNOWN_MODEL: &str = "Accelerator (model not recorded)";
