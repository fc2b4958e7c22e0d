//! Free capacity on the Campus hardware: the inventory minus what live resources hold, or minus
//! what the cluster engine reports allocated when that is more (jobs from outside the portal).

use super::kind::Kind;
use super::lifecycle::State;
use super::quota::Amounts;
use serde::{Deserialize, Serialize};

/// One machine as the inventory (or Slurm) describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Host {
    pub name: String,
    pub site: String,
    pub cores: u32,
    pub mhz_per_core: u32,
    pub ram_gb: u32,
    pub storage_gb: u32,
    pub gpus: u32,
    /// What the engine that owns the host (Slurm) reports allocated now, jobs from outside the
    /// portal included; 0 for hosts only the inventory knows.
    pub alloc_cores: u32,
    pub alloc_ram_gb: u32,
    pub alloc_gpus: u32,
}

/// Totals for a set of hosts, or what is held or free of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capacity {
    pub cores: u32,
    pub ghz: u32,
    pub ram_gb: u32,
    pub storage_gb: u32,
    pub gpus: u32,
    pub gpu_hosts: u32,
}

pub fn total(hosts: &[Host]) -> Capacity {
    hosts.iter().fold(Capacity::default(), |acc, h| Capacity {
        cores: acc.cores.saturating_add(h.cores),
        ghz: acc
            .ghz
            .saturating_add(((u64::from(h.cores) * u64::from(h.mhz_per_core)) / 1000) as u32),
        ram_gb: acc.ram_gb.saturating_add(h.ram_gb),
        storage_gb: acc.storage_gb.saturating_add(h.storage_gb),
        gpus: acc.gpus.saturating_add(h.gpus),
        gpu_hosts: acc.gpu_hosts + u32::from(h.gpus > 0),
    })
}

/// Whether a resource in `state` holds compute (cores, memory, GPUs) on the hardware now.
/// Stopped and expired workspaces give their compute back; starting one again checks capacity.
pub fn holds_compute(kind: Kind, state: State) -> bool {
    kind.runs() && matches!(state, State::Approved | State::Provisioning | State::Active)
}

/// Whether a resource in `state` holds storage and counts against the project's quota.
pub fn is_allocated(state: State) -> bool {
    matches!(
        state,
        State::Approved | State::Provisioning | State::Active | State::Stopped | State::Expiring
    )
}

/// What one resource holds of the hardware in its state.
pub fn held_by(kind: Kind, state: State, size: &Amounts) -> Capacity {
    let compute = holds_compute(kind, state);
    Capacity {
        cores: if compute { size.cpu_cores } else { 0 },
        ghz: 0,
        ram_gb: if compute { size.ram_gb } else { 0 },
        gpus: if compute { size.gpus } else { 0 },
        storage_gb: if is_allocated(state) {
            size.storage_gb
        } else {
            0
        },
        gpu_hosts: 0,
    }
}

/// Compute the engine reports allocated across `hosts` (storage is the portal's alone).
pub fn engine_allocated(hosts: &[Host]) -> Capacity {
    hosts.iter().fold(Capacity::default(), |a, h| Capacity {
        cores: a.cores.saturating_add(h.alloc_cores),
        ram_gb: a.ram_gb.saturating_add(h.alloc_ram_gb),
        gpus: a.gpus.saturating_add(h.alloc_gpus),
        ..a
    })
}

/// What is free: the total less, for each of cores, memory and GPUs, the larger of what the
/// portal's resources hold and what the engine reports allocated. The engine sees jobs the
/// portal did not start; the portal sees approvals whose jobs have not started yet. Taking the
/// larger never promises room that either of them knows is taken.
pub fn free(total: &Capacity, held: &[Capacity], engine: &Capacity) -> Capacity {
    let held = held.iter().fold(Capacity::default(), |a, h| Capacity {
        cores: a.cores.saturating_add(h.cores),
        ram_gb: a.ram_gb.saturating_add(h.ram_gb),
        gpus: a.gpus.saturating_add(h.gpus),
        storage_gb: a.storage_gb.saturating_add(h.storage_gb),
        ..a
    });
    let sum = Capacity {
        cores: held.cores.max(engine.cores),
        ram_gb: held.ram_gb.max(engine.ram_gb),
        gpus: held.gpus.max(engine.gpus),
        ..held
    };
    Capacity {
        cores: total.cores.saturating_sub(sum.cores),
        ghz: total.ghz,
        ram_gb: total.ram_gb.saturating_sub(sum.ram_gb),
        storage_gb: total.storage_gb.saturating_sub(sum.storage_gb),
        gpus: total.gpus.saturating_sub(sum.gpus),
        gpu_hosts: total.gpu_hosts,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the Campus hardware has {free} {what} free and this needs {asked}")]
pub struct NoCapacity {
    pub what: &'static str,
    pub free: u32,
    pub asked: u32,
}

/// Every shortfall in one sentence, for a refusal.
pub fn describe(short: &[NoCapacity]) -> String {
    short
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Checks that `asked` fits in what is free, naming every shortfall.
pub fn fits(free: &Capacity, asked: &Amounts) -> Result<(), Vec<NoCapacity>> {
    let checks = [
        ("CPU cores", free.cores, asked.cpu_cores),
        ("GB of memory", free.ram_gb, asked.ram_gb),
        ("GPUs", free.gpus, asked.gpus),
        ("GB of storage", free.storage_gb, asked.storage_gb),
    ];
    let short: Vec<NoCapacity> = checks
        .into_iter()
        .filter(|(_, f, a)| a > f)
        .map(|(what, free, asked)| NoCapacity { what, free, asked })
        .collect();
    if short.is_empty() {
        Ok(())
    } else {
        Err(short)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(cores: u32, ram: u32, gpus: u32) -> Host {
        Host {
            name: format!("h{cores}"),
            site: "DC1".into(),
            cores,
            mhz_per_core: 2500,
            ram_gb: ram,
            storage_gb: 1000,
            gpus,
            alloc_cores: 0,
            alloc_ram_gb: 0,
            alloc_gpus: 0,
        }
    }

    #[test]
    fn totals_add_up_hosts_and_count_gpu_machines() {
        let t = total(&[host(32, 256, 0), host(16, 128, 4)]);
        assert_eq!(t.cores, 48);
        assert_eq!(t.ghz, 120);
        assert_eq!(t.ram_gb, 384);
        assert_eq!(t.gpus, 4);
        assert_eq!(t.gpu_hosts, 1);
        assert_eq!(t.storage_gb, 2000);
    }

    #[test]
    fn only_live_resources_hold_anything_and_stopped_ones_only_storage() {
        let size = Amounts {
            cpu_cores: 4,
            ram_gb: 16,
            gpus: 1,
            storage_gb: 50,
            ..Default::default()
        };
        for state in State::ALL {
            let held = held_by(Kind::Workspace, state, &size);
            let compute = matches!(state, State::Approved | State::Provisioning | State::Active);
            let allocated = compute || matches!(state, State::Stopped | State::Expiring);
            assert_eq!(held.cores == 4, compute, "{state:?}");
            assert_eq!(held.storage_gb == 50, allocated, "{state:?}");
        }
        // Storage never holds compute, whatever its size says.
        assert_eq!(held_by(Kind::Storage, State::Active, &size).cores, 0);
    }

    #[test]
    fn free_is_total_minus_held_and_never_negative() {
        let t = total(&[host(8, 32, 1)]);
        let held = [
            Capacity {
                cores: 6,
                ram_gb: 8,
                ..Default::default()
            },
            Capacity {
                cores: 6,
                gpus: 1,
                ..Default::default()
            },
        ];
        let f = free(&t, &held, &Capacity::default());
        assert_eq!(f.cores, 0);
        assert_eq!(f.ram_gb, 24);
        assert_eq!(f.gpus, 0);
    }

    #[test]
    fn the_engine_allocation_counts_when_it_is_more_than_the_portal_holds() {
        let mut busy = host(64, 256, 2);
        // Slurm runs 40 cores and a GPU of other people's jobs, and 8 GB of ours.
        busy.alloc_cores = 42;
        busy.alloc_ram_gb = 8;
        busy.alloc_gpus = 1;
        let hosts = [busy, host(16, 64, 0)];
        let t = total(&hosts);
        let ours = [Capacity {
            cores: 2,
            ram_gb: 8,
            storage_gb: 100,
            ..Default::default()
        }];
        let engine = engine_allocated(&hosts);
        assert_eq!((engine.cores, engine.gpus, engine.storage_gb), (42, 1, 0));
        let f = free(&t, &ours, &engine);
        assert_eq!((f.cores, f.ram_gb, f.gpus), (80 - 42, 320 - 8, 1));
        assert_eq!(
            f.storage_gb,
            2000 - 100,
            "storage is the portal's own count"
        );
        // An approved workspace whose job has not started: the portal's figure is the larger.
        let pending = [Capacity {
            cores: 50,
            ram_gb: 100,
            ..Default::default()
        }];
        let f = free(&t, &pending, &engine);
        assert_eq!((f.cores, f.ram_gb), (30, 220));
    }

    #[test]
    fn a_shortfall_names_what_is_short_with_the_numbers() {
        let f = Capacity {
            cores: 2,
            ram_gb: 100,
            gpus: 0,
            storage_gb: 10,
            ..Default::default()
        };
        let asked = Amounts {
            cpu_cores: 4,
            ram_gb: 8,
            gpus: 1,
            ..Default::default()
        };
        let short = fits(&f, &asked).unwrap_err();
        assert_eq!(short.len(), 2);
        assert_eq!(
            short[0].to_string(),
            "the Campus hardware has 2 CPU cores free and this needs 4"
        );
        assert_eq!(short[1].what, "GPUs");
        assert!(fits(
            &f,
            &Amounts {
                cpu_cores: 2,
                ..Default::default()
            }
        )
        .is_ok());
    }
}
