//! Form posts for the inventory (operators): add and edit hosts, drain, return and retire them,
//! add and retire devices. A refusal goes back to the page it came from with the reason.

use crate::auth::actor::Acting;
use crate::state::AppState;
use crate::web::flash::{back_to_form, field, notice, refused, see_other};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use campus_core::hardware::changes::{DeviceInput, HostInput};
use campus_core::services::inventory;
use campus_core::CoreError;
use std::collections::BTreeMap;
use tower_sessions::Session;

fn host_input(f: &BTreeMap<String, String>) -> HostInput {
    HostInput {
        site: field(f, "site"),
        name: field(f, "name"),
        cores: field(f, "cores"),
        mhz_per_core: field(f, "mhz_per_core"),
        ram_gb: field(f, "ram_gb"),
        storage_gb: field(f, "storage_gb"),
    }
}

fn host_page(id: i64) -> String {
    format!("/operations/inventory/hosts/{id}")
}

/// Where a change lands: the page it names with a notice, or back to the form with the reasons.
async fn after<T>(
    session: &Session,
    done: Result<T, CoreError>,
    form: (&str, BTreeMap<String, String>, &str),
    to: impl FnOnce(T) -> String,
    text: &str,
) -> Response {
    match done {
        Ok(v) => {
            notice(session, text).await;
            see_other(&to(v))
        }
        Err(CoreError::Invalid(errors)) => {
            let (id, values, back) = form;
            back_to_form(session, id, values, errors, back).await
        }
        Err(e) => refused(e),
    }
}

/// POST /operations/inventory/hosts
pub async fn add_host(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let done = inventory::add_host(&state.db, actor.as_ref(), &host_input(&f)).await;
    after(
        &session,
        done,
        ("host-new", f, "/operations/inventory"),
        host_page,
        "Host added. Add its GPUs or TPUs below.",
    )
    .await
}

/// POST /operations/inventory/hosts/{id}
pub async fn edit_host(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let done = inventory::edit_host(&state.db, actor.as_ref(), id, &host_input(&f)).await;
    after(
        &session,
        done,
        ("host", f, &host_page(id)),
        |_| host_page(id),
        "Host changed.",
    )
    .await
}

async fn set_drained(
    state: &AppState,
    actor: Acting,
    session: &Session,
    id: i64,
    drained: bool,
) -> Response {
    let done = inventory::drain(&state.db, actor.0.as_ref(), id, drained).await;
    let text = if drained {
        "Drained: what runs there carries on; nothing new is placed or booked there."
    } else {
        "Back in service: new work and bookings may use it."
    };
    after(
        session,
        done,
        ("host", BTreeMap::new(), &host_page(id)),
        |_| host_page(id),
        text,
    )
    .await
}

/// POST /operations/inventory/hosts/{id}/drain
pub async fn drain(
    State(state): State<AppState>,
    actor: Acting,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    set_drained(&state, actor, &session, id, true).await
}

/// POST /operations/inventory/hosts/{id}/return
pub async fn return_to_service(
    State(state): State<AppState>,
    actor: Acting,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    set_drained(&state, actor, &session, id, false).await
}

/// POST /operations/inventory/hosts/{id}/retire
pub async fn retire_host(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    let done = inventory::retire_host(&state.db, actor.as_ref(), id).await;
    after(
        &session,
        done,
        ("host", BTreeMap::new(), &host_page(id)),
        |_| "/operations/inventory".to_owned(),
        "Host retired: it is no longer counted, placed on or booked.",
    )
    .await
}

/// POST /operations/inventory/hosts/{id}/devices
pub async fn add_device(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let input = DeviceInput {
        kind: field(&f, "kind"),
        model: field(&f, "model"),
        memory_gb: field(&f, "memory_gb"),
    };
    let done = inventory::add_device(&state.db, actor.as_ref(), id, &input).await;
    after(
        &session,
        done,
        ("device-new", f, &host_page(id)),
        |_| host_page(id),
        "Device added: it can be booked now.",
    )
    .await
}

/// POST /operations/inventory/devices/{id}/retire
pub async fn retire_device(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    // The host's page posts its own id, so a refusal goes back there.
    let back = field(&f, "host")
        .parse::<i64>()
        .map(host_page)
        .unwrap_or_else(|_| "/operations/inventory".to_owned());
    let done = inventory::retire_device(&state.db, actor.as_ref(), id).await;
    after(
        &session,
        done,
        ("host", BTreeMap::new(), &back),
        host_page,
        "Device retired: it is no longer booked or counted.",
    )
    .await
}
