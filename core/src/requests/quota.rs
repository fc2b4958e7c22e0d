//! Project quotas: what a request would bring a project to, against its limits, with the
//! warnings people see at 75 % and 95 %.

use serde::{Deserialize, Serialize};

/// Amounts of each resource a project holds, asks for, or may hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amounts {
    pub cpu_cores: u32,
    pub ram_gb: u32,
    pub gpus: u32,
    pub storage_gb: u32,
    pub workspaces: u32,
    pub datasets: u32,
    pub web_services: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Resource {
    CpuCores,
    RamGb,
    Gpus,
    StorageGb,
    Workspaces,
    Datasets,
    WebServices,
}

impl Resource {
    pub const ALL: [Resource; 7] = [
        Resource::CpuCores,
        Resource::RamGb,
        Resource::Gpus,
        Resource::StorageGb,
        Resource::Workspaces,
        Resource::Datasets,
        Resource::WebServices,
    ];

    /// The field name forms and the API use for it.
    pub fn key(self) -> &'static str {
        match self {
            Resource::CpuCores => "cpu_cores",
            Resource::RamGb => "ram_gb",
            Resource::Gpus => "gpus",
            Resource::StorageGb => "storage_gb",
            Resource::Workspaces => "workspaces",
            Resource::Datasets => "datasets",
            Resource::WebServices => "web_services",
        }
    }

    /// The largest limit an operator may set: far beyond the network, but bounded so a typing
    /// slip (an extra few zeros) is caught rather than stored.
    pub fn max_limit(self) -> u32 {
        match self {
            Resource::Workspaces | Resource::Datasets | Resource::WebServices => 1_000,
            _ => 1_000_000,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Resource::CpuCores => "CPU cores",
            Resource::RamGb => "memory (GB)",
            Resource::Gpus => "GPUs",
            Resource::StorageGb => "storage (GB)",
            Resource::Workspaces => "workspaces",
            Resource::Datasets => "dataset stores",
            Resource::WebServices => "web services",
        }
    }
}

impl Amounts {
    /// What one resource of `kind` with this size counts against a quota: its size, and one of
    /// its kind.
    pub fn of(
        kind: super::kind::Kind,
        cpu_cores: u32,
        ram_gb: u32,
        gpus: u32,
        storage_gb: u32,
    ) -> Amounts {
        use super::kind::Kind;
        Amounts {
            cpu_cores,
            ram_gb,
            gpus,
            storage_gb,
            workspaces: u32::from(kind == Kind::Workspace),
            datasets: u32::from(kind == Kind::Storage),
            web_services: u32::from(kind == Kind::WebService),
        }
    }

    pub fn set(&mut self, r: Resource, value: u32) {
        let slot = match r {
            Resource::CpuCores => &mut self.cpu_cores,
            Resource::RamGb => &mut self.ram_gb,
            Resource::Gpus => &mut self.gpus,
            Resource::StorageGb => &mut self.storage_gb,
            Resource::Workspaces => &mut self.workspaces,
            Resource::Datasets => &mut self.datasets,
            Resource::WebServices => &mut self.web_services,
        };
        *slot = value;
    }

    /// Every amount in words ("16 CPU cores, 64 memory (GB), …"), for the audit trail.
    pub fn describe(&self) -> String {
        Resource::ALL
            .iter()
            .map(|r| format!("{} {}", self.get(*r), r.label()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn get(&self, r: Resource) -> u32 {
        match r {
            Resource::CpuCores => self.cpu_cores,
            Resource::RamGb => self.ram_gb,
            Resource::Gpus => self.gpus,
            Resource::StorageGb => self.storage_gb,
            Resource::Workspaces => self.workspaces,
            Resource::Datasets => self.datasets,
            Resource::WebServices => self.web_services,
        }
    }
}

/// How full one resource of the quota is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Level {
    Fine,
    /// 75 % or more.
    Warning,
    /// 95 % or more.
    Critical,
    Over,
}

pub fn level(used: u32, limit: u32) -> Level {
    if used > limit {
        return Level::Over;
    }
    if limit == 0 {
        return if used == 0 { Level::Fine } else { Level::Over };
    }
    // Integer arithmetic: used/limit >= 95 % exactly when 100·used >= 95·limit.
    let (u, l) = (u64::from(used) * 100, u64::from(limit));
    if u >= 95 * l {
        Level::Critical
    } else if u >= 75 * l {
        Level::Warning
    } else {
        Level::Fine
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this would take the project's {} to {would_be} of {limit} (it uses {used} now)", resource.label())]
pub struct OverQuota {
    pub resource: Resource,
    pub limit: u32,
    pub used: u32,
    pub would_be: u32,
}

/// Checks a request against the quota; on success returns, per resource, the level after it.
pub fn check(
    limit: &Amounts,
    used: &Amounts,
    asked: &Amounts,
) -> Result<Vec<(Resource, Level)>, Vec<OverQuota>> {
    let mut over = Vec::new();
    let mut levels = Vec::new();
    for r in Resource::ALL {
        let would_be = used.get(r).saturating_add(asked.get(r));
        let lvl = level(would_be, limit.get(r));
        if lvl == Level::Over && asked.get(r) > 0 {
            over.push(OverQuota {
                resource: r,
                limit: limit.get(r),
                used: used.get(r),
                would_be,
            });
        }
        levels.push((r, lvl));
    }
    if over.is_empty() {
        Ok(levels)
    } else {
        Err(over)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_then_get_round_trips_every_resource_and_keys_are_distinct() {
        let mut a = Amounts::default();
        for (i, r) in Resource::ALL.into_iter().enumerate() {
            a.set(r, i as u32 + 10);
        }
        for (i, r) in Resource::ALL.into_iter().enumerate() {
            assert_eq!(a.get(r), i as u32 + 10, "{r:?}");
        }
        let keys: std::collections::BTreeSet<_> = Resource::ALL.iter().map(|r| r.key()).collect();
        assert_eq!(keys.len(), Resource::ALL.len());
        assert!(a.describe().starts_with("10 CPU cores, 11 memory (GB)"));
    }

    #[test]
    fn levels_change_at_75_and_95_percent() {
        assert_eq!(level(0, 100), Level::Fine);
        assert_eq!(level(74, 100), Level::Fine);
        assert_eq!(level(75, 100), Level::Warning);
        assert_eq!(level(94, 100), Level::Warning);
        assert_eq!(level(95, 100), Level::Critical);
        assert_eq!(level(100, 100), Level::Critical);
        assert_eq!(level(101, 100), Level::Over);
        assert_eq!(level(3, 4), Level::Warning);
        assert_eq!(level(0, 0), Level::Fine);
        assert_eq!(level(1, 0), Level::Over);
        assert_eq!(level(u32::MAX, u32::MAX), Level::Critical);
    }

    #[test]
    fn a_request_within_quota_reports_the_levels_it_leads_to() {
        let limit = Amounts {
            cpu_cores: 16,
            ram_gb: 64,
            gpus: 1,
            storage_gb: 1000,
            workspaces: 4,
            datasets: 2,
            web_services: 2,
        };
        let used = Amounts {
            cpu_cores: 8,
            ram_gb: 16,
            workspaces: 2,
            ..Default::default()
        };
        let asked = Amounts {
            cpu_cores: 4,
            ram_gb: 16,
            workspaces: 1,
            ..Default::default()
        };
        let levels = check(&limit, &used, &asked).unwrap();
        assert!(levels.contains(&(Resource::CpuCores, Level::Warning)));
        assert!(levels.contains(&(Resource::Workspaces, Level::Warning)));
        assert!(levels.contains(&(Resource::RamGb, Level::Fine)));
    }

    #[test]
    fn a_request_over_quota_names_every_resource_it_exceeds() {
        let limit = Amounts {
            cpu_cores: 16,
            gpus: 0,
            ram_gb: 64,
            ..Default::default()
        };
        let used = Amounts {
            cpu_cores: 14,
            ..Default::default()
        };
        let asked = Amounts {
            cpu_cores: 4,
            gpus: 1,
            ram_gb: 8,
            ..Default::default()
        };
        let over = check(&limit, &used, &asked).unwrap_err();
        assert_eq!(over.len(), 2);
        assert_eq!(
            over[0].to_string(),
            "this would take the project's CPU cores to 18 of 16 (it uses 14 now)"
        );
        assert_eq!(over[1].resource, Resource::Gpus);
    }

    #[test]
    fn being_over_already_does_not_block_a_request_for_something_else() {
        // A quota lowered below current use must not stop a request that adds nothing there.
        let limit = Amounts {
            cpu_cores: 4,
            storage_gb: 100,
            ..Default::default()
        };
        let used = Amounts {
            cpu_cores: 8,
            ..Default::default()
        };
        let asked = Amounts {
            storage_gb: 50,
            ..Default::default()
        };
        assert!(check(&limit, &used, &asked).is_ok());
    }
}
