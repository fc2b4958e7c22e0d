//! Where a resource runs: the hosts as they are now, what each has free, and the one chosen to
//! hold all of a request. The rules are in [`crate::requests::placement`]; this reads the
//! hardware, the resources placed on it and the accelerators booked now.

use super::resources::free_capacity;
use crate::clock;
use crate::db::Db;
use crate::error::CoreError;
use crate::requests::capacity;
use crate::requests::kind::Kind;
use crate::requests::placement::{self, HostFree, HostNow, Placed};
use crate::requests::quota::Amounts;
use crate::store::{bookings, inventory, resources};
use sqlx::AnyConnection;

/// What each host has free now, as `project_id` would see it: accelerators other projects have
/// booked for now are not free to it (`None`: not free to anyone). `except` leaves one resource
/// out, for placing it again.
pub(crate) async fn free_now(
    conn: &mut AnyConnection,
    project_id: Option<i64>,
    except: Option<i64>,
) -> Result<(Vec<HostFree>, Vec<String>), CoreError> {
    let booked = bookings::held_at(conn, clock::now()).await?;
    let placed = resources::placed(conn, except).await?;
    // Devices a project has booked and its own work already uses are counted once, as held.
    let booked_by_others = |host: &str| -> u32 {
        booked
            .iter()
            .filter(|(h, p, _)| h == host && Some(*p) != project_id)
            .map(|(_, p, n)| {
                let using: u32 = placed
                    .iter()
                    .filter(|(h, q, _)| h.as_deref() == Some(host) && q == p)
                    .map(|(_, _, a)| a.gpus)
                    .sum();
                n.saturating_sub(using)
            })
            .sum()
    };
    let hosts: Vec<HostNow> = inventory::list_hosts(conn)
        .await?
        .iter()
        .map(|h| HostNow {
            host: h.as_host(),
            accepting: !h.drained,
            booked_by_others: booked_by_others(&h.name),
        })
        .collect();
    let placed: Vec<Placed<'_>> = placed
        .iter()
        .map(|(host, _, need)| Placed {
            host: host.as_deref(),
            need: *need,
        })
        .collect();
    let mine = booked
        .iter()
        .filter(|(_, p, _)| Some(*p) == project_id)
        .map(|(h, _, _)| h.clone())
        .collect();
    Ok((placement::free_per_host(&hosts, &placed), mine))
}

/// Where a resource runs: its host, and the GPUs there given to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chosen {
    pub host: String,
    /// Device indexes on the host, comma separated, as `resources.devices` keeps them.
    pub devices: String,
}

impl Chosen {
    /// Records it on the resource (`None`: placed nowhere, as storage is).
    pub(crate) async fn record(
        this: Option<&Chosen>,
        conn: &mut AnyConnection,
        id: i64,
    ) -> Result<(), CoreError> {
        resources::set_host(
            conn,
            id,
            this.map(|c| c.host.as_str()),
            this.map(|c| c.devices.as_str()).unwrap_or(""),
        )
        .await?;
        Ok(())
    }
}

/// The host a resource of `kind` and size `need` runs on and the GPUs there it is given (`None`
/// for storage), or, as the inner error, why none can hold it, with each host's numbers. Storage is shared by the network: it is checked against
/// the pooled total and placed on no host. A project with accelerators booked now has its
/// GPU work put on the booked hosts when they hold it; then the requester's `site`; then any.
pub(crate) async fn choose(
    db: &Db,
    conn: &mut AnyConnection,
    project_id: i64,
    kind: Kind,
    need: &Amounts,
    site: &str,
    except: Option<i64>,
) -> Result<Result<Option<Chosen>, String>, CoreError> {
    inventory::lock_placement(db.backend, conn).await?;
    let (_, pooled) = free_capacity(conn).await?;
    let storage_only = Amounts {
        storage_gb: need.storage_gb,
        ..Amounts::default()
    };
    if let Err(short) = capacity::fits(&pooled, &storage_only) {
        return Ok(Err(format!("{}.", capacity::describe(&short))));
    }
    if !kind.runs() {
        return Ok(Ok(None));
    }
    let (free, booked_hosts) = free_now(conn, Some(project_id), except).await?;
    if need.gpus > 0 {
        let booked: Vec<HostFree> = free
            .iter()
            .filter(|h| booked_hosts.contains(&h.name))
            .cloned()
            .collect();
        if let Ok(h) = placement::place(&booked, need, None) {
            let host = h.name.clone();
            return Ok(Ok(Some(
                with_devices(conn, host, project_id, need, except).await?,
            )));
        }
    }
    let site = (!site.is_empty()).then_some(site);
    match placement::place(&free, need, site) {
        Ok(h) => {
            let host = h.name.clone();
            Ok(Ok(Some(
                with_devices(conn, host, project_id, need, except).await?,
            )))
        }
        Err(none) => Ok(Err(none.describe(need))),
    }
}

/// The host with the GPUs on it given to a resource needing `need.gpus` of them.
async fn with_devices(
    conn: &mut AnyConnection,
    host: String,
    project_id: i64,
    need: &Amounts,
    except: Option<i64>,
) -> Result<Chosen, CoreError> {
    if need.gpus == 0 {
        return Ok(Chosen {
            host,
            devices: String::new(),
        });
    }
    let slots = bookings::gpu_slots(conn, &host, clock::now()).await?;
    let in_use = resources::devices_in_use(conn, &host, except.unwrap_or(0)).await?;
    let picked = placement::pick_devices(&slots, &in_use, project_id, need.gpus);
    Ok(Chosen {
        host,
        devices: picked
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(","),
    })
}

/// Places `count` of the same size in turn, as a training session's sandboxes are: `Ok` when
/// every one finds a host, else how many did and why the next did not.
pub(crate) async fn room_for_many(
    conn: &mut AnyConnection,
    kind: Kind,
    need: &Amounts,
    count: u32,
) -> Result<Result<(), (u32, String)>, CoreError> {
    let (_, pooled) = free_capacity(conn).await?;
    let storage = Amounts {
        storage_gb: need.storage_gb.saturating_mul(count),
        ..Amounts::default()
    };
    if let Err(short) = capacity::fits(&pooled, &storage) {
        return Ok(Err((0, format!("{}.", capacity::describe(&short)))));
    }
    if !kind.runs() {
        return Ok(Ok(()));
    }
    let (mut free, _) = free_now(conn, None, None).await?;
    for placed in 0..count {
        match placement::place(&free, need, None) {
            Ok(h) => {
                let name = h.name.clone();
                placement::take(&mut free, &name, need);
            }
            Err(none) => return Ok(Err((placed, none.describe(need)))),
        }
    }
    Ok(Ok(()))
}
