//! Booking accelerator time: a project member books devices of one model for a window; within
//! the project's limits it is confirmed at once, beyond them it waits for an operator. Each
//! change, its audit entry and its notices commit together. The scheduler's side (a Slurm
//! reservation) is the server's: it asks [`reservation`] what to reserve, and reports a failure
//! through [`not_reserved`], which refuses the booking with the scheduler's reason.

use super::audit_context;
use super::resources::project_object;
use crate::accelerators::bookings::{
    beyond_limits, check_window, free_devices, window_from, Limits, Window, DEFAULT_LIMITS,
    HORIZON_DAYS,
};
use crate::authz::{self, Action, Actor, Object};
use crate::clock::format_utc;
use crate::db::Db;
use crate::domain::numbers::whole_number;
use crate::domain::Role;
use crate::error::{CoreError, FieldErrors};
use crate::store::bookings::{self, Booking, HeldDevice, Hold, Model, NewBooking};
use crate::store::{notifications, projects, resources, users};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

/// What a person typed into the booking form (or sent to the API).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BookingInput {
    /// The device model, as the list of models names it.
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub count: String,
    /// `YYYY-MM-DD`, UTC.
    #[serde(default)]
    pub date: String,
    /// 0–23, UTC.
    #[serde(default)]
    pub start_hour: String,
    #[serde(default)]
    pub hours: String,
    #[serde(default)]
    pub purpose: String,
}

/// A booking with the devices it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booked {
    pub booking: Booking,
    pub devices: Vec<HeldDevice>,
}

/// What the scheduler is asked to keep for a confirmed booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// `cp-booking-<id>`: found again by name, so asking twice changes one reservation.
    pub name: String,
    pub window: Window,
    /// Per host: its name, and the share of its cores that goes with the booked devices.
    pub hosts: Vec<(String, u32)>,
    /// The Unix accounts of the project's members, who may run in it.
    pub accounts: Vec<String>,
}

impl Reservation {
    /// Everything the cluster is asked to keep, in one line: a booking whose line differs from
    /// the one recorded when it was last reserved must be reserved again.
    pub fn fingerprint(&self) -> String {
        let hosts: Vec<String> = self.hosts.iter().map(|(h, c)| format!("{h}:{c}")).collect();
        format!(
            "{}-{} {} {}",
            self.window.start,
            self.window.end,
            hosts.join(","),
            self.accounts.join(",")
        )
    }
}

pub fn reservation_name(booking_id: i64) -> String {
    format!("cp-booking-{booking_id}")
}

const MAX_PURPOSE: usize = 500;

/// Models people can book, with how many of each there are.
pub async fn models(db: &Db, actor: Option<&Actor>) -> Result<Vec<Model>, CoreError> {
    authz::check(actor, Action::ViewBookings, Object::Portal)?;
    Ok(bookings::models(db).await?)
}

/// A week of one model's bookings, for the week view.
#[derive(Debug, Clone)]
pub struct Week {
    pub models: Vec<Model>,
    /// The model shown: the one asked for, or the first.
    pub model: Option<Model>,
    /// Monday 00:00 UTC.
    pub week_start: i64,
    /// 24 rows (hours) of 7 slots (days).
    pub grid: Vec<Vec<crate::accelerators::bookings::Slot>>,
    /// The live bookings of the model in the week.
    pub bookings: Vec<Booking>,
    /// Projects the actor may book for, as (id, name).
    pub projects: Vec<(i64, String)>,
}

/// The week holding `week_of` (`YYYY-MM-DD`; this week when empty or not a date) for `model`.
pub async fn week(
    db: &Db,
    actor: Option<&Actor>,
    model: &str,
    week_of: &str,
    now: i64,
) -> Result<Week, CoreError> {
    authz::check(actor, Action::ViewBookings, Object::Portal)?;
    let models = bookings::models(db).await?;
    let chosen = models
        .iter()
        .find(|m| m.model == model)
        .or(models.first())
        .cloned();
    let day = crate::clock::parse_date(week_of)
        .map(|d| d.midnight().assume_utc().unix_timestamp())
        .unwrap_or(now);
    let week_start = crate::accelerators::bookings::week_start(day);
    let window = Window {
        start: week_start,
        end: week_start + 7 * 86_400,
    };
    let live = match &chosen {
        Some(m) => bookings::live_between(db, &m.model, window).await?,
        None => Vec::new(),
    };
    let held: Vec<(Window, i64, String)> = live
        .iter()
        .map(|b| (b.window(), b.count, b.project_name.clone()))
        .collect();
    let mut projects = Vec::new();
    if let Some(a) = actor {
        for id in projects::ids_for_member(db, a.user_id).await? {
            if let Some(name) = may_book(db, actor, id).await? {
                projects.push((id, name));
            }
        }
    }
    projects.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(Week {
        models,
        model: chosen,
        week_start,
        grid: crate::accelerators::bookings::week_grid(week_start, &held),
        bookings: live,
        projects,
    })
}

/// As [`week`], for the API and the command line: a model that does not exist or a day that is
/// not a date is refused on its field, not replaced by the first model or this week.
pub async fn week_exactly(
    db: &Db,
    actor: Option<&Actor>,
    model: &str,
    week_of: &str,
    now: i64,
) -> Result<Week, CoreError> {
    authz::check(actor, Action::ViewBookings, Object::Portal)?;
    let mut errors = FieldErrors::new();
    if !week_of.trim().is_empty() && crate::clock::parse_date(week_of).is_none() {
        errors.add(
            "week_of",
            "Enter a day of the week as YYYY-MM-DD, for example 2026-12-07",
        );
    }
    if !model.is_empty() && !bookings::models(db).await?.iter().any(|m| m.model == model) {
        errors.add(
            "model",
            format!("There is no accelerator model called \"{model}\" in service; the list of accelerators names those there are"),
        );
    }
    errors.into_result()?;
    week(db, actor, model, week_of, now).await
}

/// A project's bookings that have not ended a week ago.
pub async fn for_project(
    db: &Db,
    actor: Option<&Actor>,
    project_id: i64,
    now: i64,
) -> Result<Vec<Booking>, CoreError> {
    let (_, object) = project_object(db, actor, project_id).await?;
    authz::check(actor, Action::ViewProject, object)?;
    Ok(bookings::for_project(db, project_id, now - 7 * 86_400).await?)
}

/// The project's name when the actor may book accelerators for it, else `None`.
pub async fn may_book(
    db: &Db,
    actor: Option<&Actor>,
    project_id: i64,
) -> Result<Option<String>, CoreError> {
    let (p, object) = project_object(db, actor, project_id).await?;
    Ok(authz::check(actor, Action::BookAccelerators, object)
        .is_ok()
        .then_some(p.name))
}

/// One booking with its devices, for anyone who may see its project.
pub async fn get(db: &Db, actor: Option<&Actor>, id: i64) -> Result<Booked, CoreError> {
    let mut conn = db.pool.acquire().await?;
    let booking = bookings::find(&mut conn, id)
        .await?
        .ok_or(CoreError::NotFound("booking"))?;
    drop(conn);
    let (_, object) = project_object(db, actor, booking.project_id).await?;
    authz::check(actor, Action::ViewProject, object)?;
    let mut conn = db.pool.acquire().await?;
    let devices = bookings::devices_held(&mut conn, id).await?;
    Ok(Booked { booking, devices })
}

/// Checks the parts of a booking that do not depend on what else is booked; the model must be
/// one in service.
fn parse(
    input: &BookingInput,
    models: &[Model],
    now: i64,
    need_purpose: bool,
) -> Result<(Model, usize, Window, String), CoreError> {
    let mut errors = FieldErrors::new();
    let model = models.iter().find(|m| m.model == input.model.trim());
    if model.is_none() {
        if input.model.trim().is_empty() {
            errors.add("model", "Choose the type of device to book.");
        } else {
            let names: Vec<&str> = models.iter().map(|m| m.model.as_str()).collect();
            errors.add(
                "model",
                format!(
                    "There is no device type “{}” in service. Choose one of: {}.",
                    input.model.trim(),
                    if names.is_empty() {
                        "none are in service now".to_owned()
                    } else {
                        names.join(", ")
                    }
                ),
            );
        }
    }
    let most = model.map_or(1, |m| m.most_on_one_host.max(1));
    let count = errors.check(
        "count",
        whole_number(
            &input.count,
            "how many devices",
            1,
            u32::try_from(most).unwrap_or(1),
        )
        .map_err(|e| {
            format!("{e} (a booking's devices are on one host, and the most on one host is {most})")
        }),
    );
    let window = match window_from(&input.date, &input.start_hour, &input.hours) {
        Ok(w) => match check_window(w, now, HORIZON_DAYS) {
            Ok(()) => Some(w),
            Err(e) => {
                for (f, m) in e.0 {
                    let field = if f == "start" { "start_hour" } else { "hours" };
                    errors.add(field, m);
                }
                None
            }
        },
        Err(e) => {
            for (f, m) in e.0 {
                errors.add(&f, m);
            }
            None
        }
    };
    let purpose = input.purpose.trim();
    if need_purpose && purpose.is_empty() {
        errors.add("purpose", "Say what the devices are for.");
    } else if purpose.chars().count() > MAX_PURPOSE {
        errors.add(
            "purpose",
            format!("Keep the purpose to {MAX_PURPOSE} characters."),
        );
    } else if purpose
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r')
    {
        errors.add("purpose", "The purpose holds a control character.");
    }
    match (model, count, window) {
        (Some(m), Some(n), Some(w)) if errors.is_empty() => {
            Ok((m.clone(), n as usize, w, purpose.to_owned()))
        }
        _ => Err(CoreError::Invalid(errors)),
    }
}

/// Whether a booking is within its project's limits, and why not.
async fn route(
    conn: &mut AnyConnection,
    project_id: i64,
    except: Option<i64>,
    window: Window,
    count: usize,
    now: i64,
) -> Result<(&'static str, String), sqlx::Error> {
    let limits: Limits = bookings::limits(conn, project_id)
        .await?
        .unwrap_or(DEFAULT_LIMITS);
    let booked = bookings::project_live(conn, project_id, except).await?;
    let why = beyond_limits(window, count as i64, &booked, &limits, now);
    Ok(if why.is_empty() {
        ("confirmed", String::new())
    } else {
        ("awaiting_approval", why.join("; "))
    })
}

/// The message when no one host has the devices free, with the numbers.
async fn none_free(
    conn: &mut AnyConnection,
    model: &Model,
    window: Window,
    count: usize,
    except: Option<i64>,
) -> Result<CoreError, sqlx::Error> {
    let devices = bookings::devices_of(conn, &model.model).await?;
    let ids: Vec<i64> = devices.iter().map(|d| d.id).collect();
    let taken = bookings::taken(conn, &ids, window, except).await?;
    let mut per_host: Vec<(i64, usize)> = Vec::new();
    for d in &devices {
        let free = !taken.iter().any(|(t, w)| *t == d.id && w.overlaps(&window));
        match per_host.iter_mut().find(|(h, _)| *h == d.host) {
            Some((_, n)) => *n += usize::from(free),
            None => per_host.push((d.host, usize::from(free))),
        }
    }
    let most = per_host.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let total: usize = per_host.iter().map(|(_, n)| n).sum();
    Ok(CoreError::field(
        "start_hour",
        format!(
            "{count} × {} cannot be had from {} to {}: other bookings hold them. The most free on one \
             host then is {most} ({total} free across all hosts). Choose another time or fewer devices.",
            model.model,
            format_utc(window.start),
            format_utc(window.end),
        ),
    ))
}

/// Books devices for a project. Within its limits the booking is confirmed; beyond them it
/// awaits an operator, who is told why. Taken slots are refused with the numbers.
pub async fn book(
    db: &Db,
    actor: Option<&Actor>,
    project_id: i64,
    input: &BookingInput,
    now: i64,
) -> Result<Booked, CoreError> {
    let (project, object) = project_object(db, actor, project_id).await?;
    authz::check(actor, Action::BookAccelerators, object)?;
    let me = actor.map(|a| a.user_id).unwrap_or_default();
    let models = bookings::models(db).await?;
    let (model, count, window, purpose) = parse(input, &models, now, true)?;
    let who = users::find(db, me)
        .await?
        .map_or_else(|| "Someone".to_owned(), |u| u.display_name);
    // Two people may pick the same free devices at once; the loser of the race picks again.
    for _ in 0..3 {
        let mut tx = db.pool.begin().await?;
        // Written first: the project's row lock, and on SQLite the database's one writer.
        if !resources::lock_project(&mut tx, project_id).await? {
            return Err(CoreError::NotFound("project"));
        }
        let devices = bookings::devices_of(&mut tx, &model.model).await?;
        let ids: Vec<i64> = devices.iter().map(|d| d.id).collect();
        let taken = bookings::taken(&mut tx, &ids, window, None).await?;
        let Some(chosen) = free_devices(&devices, &taken, window, count) else {
            return Err(none_free(&mut tx, &model, window, count, None).await?);
        };
        let (state, reason) = route(&mut tx, project_id, None, window, count, now).await?;
        let new = NewBooking {
            project_id,
            booked_by: me,
            model: &model.model,
            window,
            purpose: &purpose,
            state,
            reason: &reason,
            now,
        };
        let Hold::Made(id) = bookings::hold(&mut tx, &new, &chosen).await? else {
            continue;
        };
        let after = format!(
            "{count} × {} from {} to {}, {state}{}",
            model.model,
            format_utc(window.start),
            format_utc(window.end),
            if reason.is_empty() {
                String::new()
            } else {
                format!(" ({reason})")
            }
        );
        audit_context::record(&mut tx, actor, "booking", "booking.create", id, "", &after).await?;
        if state == "awaiting_approval" {
            for op in users::ids_with_role(&mut tx, Role::Operator).await? {
                notifications::insert(
                    &mut tx,
                    op,
                    &format!("A booking of {} needs a decision", model.model),
                    &format!(
                        "{who} booked {after} for {}. It goes beyond the project's limits: {reason}.",
                        project.name
                    ),
                    &format!("/bookings/{id}"),
                    now,
                )
                .await?;
            }
        }
        tx.commit().await?;
        return get(db, actor, id).await;
    }
    Err(none_free(&mut *db.pool.acquire().await?, &model, window, count, None).await?)
}

/// A live booking and the authorisation to change it.
async fn changeable(db: &Db, actor: Option<&Actor>, id: i64) -> Result<Booking, CoreError> {
    let mut conn = db.pool.acquire().await?;
    let booking = bookings::find(&mut conn, id)
        .await?
        .ok_or(CoreError::NotFound("booking"))?;
    drop(conn);
    let (_, view) = project_object(db, actor, booking.project_id).await?;
    authz::check(actor, Action::ViewProject, view)?;
    authz::check(
        actor,
        Action::ChangeBooking,
        Object::Booking {
            booked_by: booking.booked_by,
            project_lead_id: booking.project_lead_id,
        },
    )?;
    if !booking.is_live() {
        return Err(CoreError::field(
            "state",
            format!(
                "This booking is {} and can no longer change.",
                booking.state
            ),
        ));
    }
    Ok(booking)
}

/// Moves a booking to another window or number of devices (its model stays). It is checked
/// again against the project's limits; devices it held may be given to it again.
pub async fn change(
    db: &Db,
    actor: Option<&Actor>,
    id: i64,
    input: &BookingInput,
    now: i64,
) -> Result<Booked, CoreError> {
    let booking = changeable(db, actor, id).await?;
    if booking.ends_at <= now {
        return Err(CoreError::field(
            "start_hour",
            "This booking has ended and cannot change.",
        ));
    }
    let models = bookings::models(db).await?;
    let input = BookingInput {
        model: booking.model.clone(),
        ..input.clone()
    };
    let (model, count, window, _) = parse(&input, &models, now, false)?;
    for _ in 0..3 {
        let mut tx = db.pool.begin().await?;
        resources::lock_project(&mut tx, booking.project_id).await?;
        let devices = bookings::devices_of(&mut tx, &model.model).await?;
        let ids: Vec<i64> = devices.iter().map(|d| d.id).collect();
        let taken = bookings::taken(&mut tx, &ids, window, Some(id)).await?;
        let Some(chosen) = free_devices(&devices, &taken, window, count) else {
            return Err(none_free(&mut tx, &model, window, count, Some(id)).await?);
        };
        let (state, reason) =
            route(&mut tx, booking.project_id, Some(id), window, count, now).await?;
        if bookings::rehold(&mut tx, id, window, &chosen, state, &reason, now).await? == Hold::Taken
        {
            continue;
        }
        let before = format!(
            "{} × {} from {} to {}, {}",
            booking.count,
            booking.model,
            format_utc(booking.starts_at),
            format_utc(booking.ends_at),
            booking.state
        );
        let after = format!(
            "{count} × {} from {} to {}, {state}",
            model.model,
            format_utc(window.start),
            format_utc(window.end)
        );
        audit_context::record(
            &mut tx,
            actor,
            "booking",
            "booking.change",
            id,
            &before,
            &after,
        )
        .await?;
        tell_others(
            &mut tx,
            actor,
            &booking,
            "Your accelerator booking changed",
            &format!("It is now {after}."),
            now,
        )
        .await?;
        tx.commit().await?;
        return get(db, actor, id).await;
    }
    Err(none_free(
        &mut *db.pool.acquire().await?,
        &model,
        window,
        count,
        Some(id),
    )
    .await?)
}

/// Cancels a live booking; its devices are free again at once.
pub async fn cancel(
    db: &Db,
    actor: Option<&Actor>,
    id: i64,
    now: i64,
) -> Result<Booking, CoreError> {
    let booking = changeable(db, actor, id).await?;
    end(db, actor, &booking, "cancelled", "", "booking.cancel", now).await
}

/// An operator confirms a booking that went beyond its project's limits.
pub async fn approve(
    db: &Db,
    actor: Option<&Actor>,
    id: i64,
    now: i64,
) -> Result<Booking, CoreError> {
    authz::check(actor, Action::Operate, Object::Portal)?;
    let booking = changeable(db, actor, id).await?;
    let mut tx = db.pool.begin().await?;
    if !bookings::set_state(&mut tx, id, "awaiting_approval", "confirmed", "", now).await? {
        return Err(CoreError::field(
            "state",
            format!("This booking is {}, not awaiting approval.", booking.state),
        ));
    }
    audit_context::record(
        &mut tx,
        actor,
        "booking",
        "booking.approve",
        id,
        &booking.state,
        "confirmed",
    )
    .await?;
    tell_others(
        &mut tx,
        actor,
        &booking,
        "Your accelerator booking is confirmed",
        &format!(
            "An operator confirmed {} × {} from {} to {}.",
            booking.count,
            booking.model,
            format_utc(booking.starts_at),
            format_utc(booking.ends_at)
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(get(db, actor, id).await?.booking)
}

/// An operator refuses a booking, saying why.
pub async fn refuse(
    db: &Db,
    actor: Option<&Actor>,
    id: i64,
    reason: &str,
    now: i64,
) -> Result<Booking, CoreError> {
    authz::check(actor, Action::Operate, Object::Portal)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(CoreError::field(
            "reason",
            "Say why the booking is refused: the project is told.",
        ));
    }
    let booking = changeable(db, actor, id).await?;
    end(
        db,
        actor,
        &booking,
        "refused",
        reason,
        "booking.refuse",
        now,
    )
    .await
}

/// The scheduler could not keep a confirmed booking (a node down, the cores taken): the booking
/// is refused with the scheduler's reason, which the person who booked sees.
pub async fn not_reserved(db: &Db, id: i64, why: &str, now: i64) -> Result<Booking, CoreError> {
    let mut conn = db.pool.acquire().await?;
    let booking = bookings::find(&mut conn, id)
        .await?
        .ok_or(CoreError::NotFound("booking"))?;
    drop(conn);
    let reason = format!("the cluster could not reserve it: {why}");
    end(
        db,
        None,
        &booking,
        "refused",
        &reason,
        "booking.not_reserved",
        now,
    )
    .await
}

async fn end(
    db: &Db,
    actor: Option<&Actor>,
    booking: &Booking,
    to: &str,
    reason: &str,
    action: &str,
    now: i64,
) -> Result<Booking, CoreError> {
    let mut tx = db.pool.begin().await?;
    if !bookings::set_state(&mut tx, booking.id, &booking.state, to, reason, now).await? {
        return Err(CoreError::field(
            "state",
            "This booking changed meanwhile: look at it again.",
        ));
    }
    audit_context::record(
        &mut tx,
        actor,
        "booking",
        action,
        booking.id,
        &booking.state,
        to,
    )
    .await?;
    let what = format!(
        "{} × {} from {} to {}",
        booking.count,
        booking.model,
        format_utc(booking.starts_at),
        format_utc(booking.ends_at)
    );
    let body = if reason.is_empty() {
        format!(
            "The booking of {what} for {} is {to}.",
            booking.project_name
        )
    } else {
        format!(
            "The booking of {what} for {} is {to}: {reason}.",
            booking.project_name
        )
    };
    tell_others(
        &mut tx,
        actor,
        booking,
        &format!("Your accelerator booking is {to}"),
        &body,
        now,
    )
    .await?;
    tx.commit().await?;
    let mut conn = db.pool.acquire().await?;
    bookings::find(&mut conn, booking.id)
        .await?
        .ok_or(CoreError::NotFound("booking"))
}

/// Tells the person who booked, unless they made the change themselves.
async fn tell_others(
    conn: &mut AnyConnection,
    actor: Option<&Actor>,
    booking: &Booking,
    subject: &str,
    body: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    if actor.map(|a| a.user_id) == Some(booking.booked_by) {
        return Ok(());
    }
    notifications::insert(
        conn,
        booking.booked_by,
        subject,
        body,
        &format!("/bookings/{}", booking.id),
        now,
    )
    .await
}

/// Calendar feed addresses start with this, then the secret.
pub const FEED_PREFIX: &str = "ccal_";

/// Makes the actor a calendar feed of their projects' bookings (ending any earlier one) and
/// returns its secret, which is shown once.
pub async fn make_feed(db: &Db, actor: Option<&Actor>, now: i64) -> Result<String, CoreError> {
    let me = actor.map(|a| a.user_id).unwrap_or_default();
    authz::check(actor, Action::ManageAccount, Object::User { id: me })?;
    let secret = crate::store::tokens::secret(FEED_PREFIX);
    let mut tx = db.pool.begin().await?;
    bookings::set_feed(&mut tx, me, &crate::store::tokens::digest(&secret), now).await?;
    audit_context::record(
        &mut tx,
        actor,
        "user",
        "calendar.make",
        me,
        "",
        "calendar feed made",
    )
    .await?;
    tx.commit().await?;
    Ok(secret)
}

/// Ends the actor's calendar feed: its address stops working at once.
pub async fn stop_feed(db: &Db, actor: Option<&Actor>) -> Result<bool, CoreError> {
    let me = actor.map(|a| a.user_id).unwrap_or_default();
    authz::check(actor, Action::ManageAccount, Object::User { id: me })?;
    let mut tx = db.pool.begin().await?;
    let had = bookings::drop_feed(&mut tx, me).await?;
    if had {
        audit_context::record(
            &mut tx,
            actor,
            "user",
            "calendar.stop",
            me,
            "calendar feed",
            "",
        )
        .await?;
    }
    tx.commit().await?;
    Ok(had)
}

/// When the actor's calendar feed was made, if they have one.
pub async fn feed_made(db: &Db, actor: Option<&Actor>) -> Result<Option<i64>, CoreError> {
    let me = actor.map(|a| a.user_id).unwrap_or_default();
    authz::check(actor, Action::ManageAccount, Object::User { id: me })?;
    Ok(bookings::feed_made(db, me).await?)
}

/// The calendar the secret opens: the live bookings of its owner's projects from a week ago on,
/// each linking to its page under `base_url`. An unknown or stopped secret is not found.
pub async fn feed(db: &Db, secret: &str, base_url: &str, now: i64) -> Result<String, CoreError> {
    use crate::accelerators::calendar::{ics, Event};
    let owner = match secret.strip_prefix(FEED_PREFIX) {
        Some(_) => bookings::feed_owner(db, &crate::store::tokens::digest(secret)).await?,
        None => None,
    };
    let Some(owner) = owner else {
        return Err(CoreError::NotFound("calendar"));
    };
    let list = bookings::for_member(db, owner, now - 7 * 86_400).await?;
    let texts: Vec<(String, String, String)> = list
        .iter()
        .map(|b| {
            (
                format!("{} × {} for {}", b.count, b.model, b.project_name),
                if b.state == "awaiting_approval" {
                    format!("{} (awaiting an operator: {})", b.purpose, b.reason)
                } else {
                    b.purpose.clone()
                },
                format!("{}/bookings/{}", base_url.trim_end_matches('/'), b.id),
            )
        })
        .collect();
    let events: Vec<Event<'_>> = list
        .iter()
        .zip(&texts)
        .map(|(b, (summary, description, url))| Event {
            uid: format!("booking-{}@campus-portal", b.id),
            start: b.starts_at,
            end: b.ends_at,
            summary,
            description,
            url,
            tentative: b.state == "awaiting_approval",
        })
        .collect();
    Ok(ics("Campus accelerator bookings", &events, now))
}

/// What an operator typed as a project's booking limits.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LimitsInput {
    pub hours_per_week: String,
    pub longest_hours: String,
    pub ahead_days: String,
}

/// A project's booking limits, and whether they are the portal's defaults (none set).
pub async fn limits(
    db: &Db,
    actor: Option<&Actor>,
    project_id: i64,
) -> Result<(Limits, bool), CoreError> {
    let (_, object) = project_object(db, actor, project_id).await?;
    authz::check(actor, Action::ViewProject, object)?;
    let mut conn = db.pool.acquire().await?;
    Ok(match bookings::limits(&mut conn, project_id).await? {
        Some(l) => (l, false),
        None => (DEFAULT_LIMITS, true),
    })
}

fn describe(l: &Limits) -> String {
    format!(
        "{} device-hours a week, {} hours at most, {} days ahead",
        l.hours_per_week, l.longest_hours, l.ahead_days
    )
}

/// Sets what a project may book without asking (operators). Bookings already made keep their
/// state; the limits apply to new bookings and changes.
pub async fn set_limits(
    db: &Db,
    actor: Option<&Actor>,
    project_id: i64,
    input: &LimitsInput,
    now: i64,
) -> Result<Limits, CoreError> {
    authz::check(actor, Action::Operate, Object::Portal)?;
    let (before, _) = limits(db, actor, project_id).await?;
    let mut errors = FieldErrors::new();
    let mut number = |field: &str, what: &str, min: u32, max: u32, raw: &str| {
        errors
            .check(field, whole_number(raw, what, min, max))
            .map(i64::from)
    };
    let hours_per_week = number(
        "hours_per_week",
        "the device-hours a week",
        0,
        7 * 24 * 64,
        &input.hours_per_week,
    );
    let longest_hours = number(
        "longest_hours",
        "the longest booking in hours",
        1,
        crate::accelerators::bookings::MAX_HOURS,
        &input.longest_hours,
    );
    let ahead_days = number(
        "ahead_days",
        "how many days ahead",
        1,
        HORIZON_DAYS as u32,
        &input.ahead_days,
    );
    let (Some(hours_per_week), Some(longest_hours), Some(ahead_days)) =
        (hours_per_week, longest_hours, ahead_days)
    else {
        return Err(CoreError::Invalid(errors));
    };
    let after = Limits {
        hours_per_week,
        longest_hours,
        ahead_days,
    };
    let me = actor.map(|a| a.user_id).unwrap_or_default();
    let mut tx = db.pool.begin().await?;
    bookings::set_limits(&mut tx, project_id, &after, me, now).await?;
    audit_context::record(
        &mut tx,
        actor,
        "project",
        "booking.limits",
        project_id,
        &describe(&before),
        &describe(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// What the lifecycle sweep did to bookings.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub reminded: usize,
    pub released: usize,
}

/// Reminds people of bookings about to start, and releases bookings nobody uses: a confirmed
/// booking whose project has no workspace with accelerators being set up or running half an
/// hour after it starts is released, and the person who booked is told why.
pub async fn sweep(db: &Db, now: i64) -> Result<Swept, CoreError> {
    use crate::accelerators::bookings::{due, Due, RELEASE_AFTER_MINUTES, REMIND_BEFORE_MINUTES};
    use crate::store::bookings::Mark;
    let mut swept = Swept::default();
    for (id, window, reminded, use_checked) in
        bookings::for_sweep(db, now, REMIND_BEFORE_MINUTES * 60).await?
    {
        let mut conn = db.pool.acquire().await?;
        let Some(booking) = bookings::find(&mut conn, id).await? else {
            continue;
        };
        drop(conn);
        match due(window, now, reminded, use_checked) {
            None => {}
            Some(Due::Remind) => {
                let mut tx = db.pool.begin().await?;
                if bookings::mark(&mut tx, id, Mark::Reminded).await? {
                    tell_others(
                        &mut tx,
                        None,
                        &booking,
                        "Your accelerator booking starts soon",
                        &format!(
                            "{} × {} for {} starts at {}. Start a workspace with accelerators in the project within {RELEASE_AFTER_MINUTES} minutes of the start, or the booking is released for others.",
                            booking.count,
                            booking.model,
                            booking.project_name,
                            format_utc(booking.starts_at)
                        ),
                        now,
                    )
                    .await?;
                    swept.reminded += 1;
                }
                tx.commit().await?;
            }
            Some(Due::CheckUse) => {
                if resources::project_uses_accelerators(db, booking.project_id).await? {
                    let mut tx = db.pool.begin().await?;
                    bookings::mark(&mut tx, id, Mark::UseChecked).await?;
                    tx.commit().await?;
                } else {
                    let why = release_reason();
                    end(db, None, &booking, "released", &why, "booking.release", now).await?;
                    swept.released += 1;
                }
            }
        }
    }
    Ok(swept)
}

/// Why the sweep released a booking, as the project is told and the booking shows.
pub fn release_reason() -> String {
    format!(
        "no workspace of the project with accelerators was running {} minutes after it started, so the time went back to others",
        crate::accelerators::bookings::RELEASE_AFTER_MINUTES
    )
}

/// Every reservation the scheduler should keep at `now`, by booking, with what was last
/// reserved for it.
pub async fn to_reserve(db: &Db, now: i64) -> Result<Vec<(i64, Reservation, String)>, CoreError> {
    let mut wanted = Vec::new();
    for (id, reserved) in bookings::confirmed_until(db, now).await? {
        if let Some(r) = reservation(db, id).await? {
            wanted.push((id, r, reserved));
        }
    }
    Ok(wanted)
}

/// The reservation a workload of `project_id` needing `devices` accelerators should run in now:
/// its name and when it ends (the workload must end by then). None when the project has no
/// booking running that the cluster keeps.
pub async fn reservation_for(
    db: &Db,
    project_id: i64,
    devices: u32,
    now: i64,
) -> Result<Option<(String, i64)>, CoreError> {
    if devices == 0 {
        return Ok(None);
    }
    Ok(
        bookings::running_reserved(db, project_id, i64::from(devices), now)
            .await?
            .map(|(id, ends_at)| (reservation_name(id), ends_at)),
    )
}

/// Records that the scheduler keeps `r` for booking `id`.
pub async fn reserved(db: &Db, id: i64, r: &Reservation) -> Result<(), CoreError> {
    Ok(bookings::set_reserved(db, id, &r.fingerprint()).await?)
}

/// What the scheduler should keep for a booking: nothing unless it is confirmed. Each host gives
/// the booking its devices' share of the host's cores (at least one).
pub async fn reservation(db: &Db, id: i64) -> Result<Option<Reservation>, CoreError> {
    let mut conn = db.pool.acquire().await?;
    let Some(booking) = bookings::find(&mut conn, id).await? else {
        return Ok(None);
    };
    if booking.state != "confirmed" {
        return Ok(None);
    }
    let devices = bookings::devices_held(&mut conn, id).await?;
    let mut hosts: Vec<(String, u32)> = Vec::new();
    for d in &devices {
        let share = (d.host_cores / d.host_devices.max(1)).max(1);
        match hosts.iter_mut().find(|(h, _)| *h == d.host) {
            Some((_, cores)) => *cores += share,
            None => hosts.push((d.host.clone(), share)),
        }
    }
    let accounts = projects::member_unix_accounts(&mut conn, booking.project_id).await?;
    Ok(Some(Reservation {
        name: reservation_name(id),
        window: booking.window(),
        hosts,
        accounts,
    }))
}
