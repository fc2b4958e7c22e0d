//! What an operator may record about a host or device, and when a change is refused. A host the
//! cluster engine reports is the engine's to describe: the portal only drains it.

use crate::domain::numbers::whole_number;
use crate::error::FieldErrors;
use crate::requests::quota::Amounts;

/// The site whose hosts the worker keeps in step with the Slurm cluster.
pub const ENGINE_SITE: &str = "SLURM";

/// A host's details as typed into the form or the API, unchecked.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct HostInput {
    #[serde(default)]
    pub site: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub cores: String,
    #[serde(default)]
    pub mhz_per_core: String,
    #[serde(default)]
    pub ram_gb: String,
    #[serde(default)]
    pub storage_gb: String,
}

/// A host's details, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFields {
    pub site: String,
    pub name: String,
    pub cores: u32,
    pub mhz_per_core: u32,
    pub ram_gb: u32,
    pub storage_gb: u32,
}

/// Checks every field against `sites` (the codes that exist), naming each one that is wrong.
pub fn parse_host(input: &HostInput, sites: &[String]) -> Result<HostFields, FieldErrors> {
    let mut e = FieldErrors::new();
    let site = input.site.trim().to_owned();
    if !sites.contains(&site) {
        e.add("site", "Choose one of the data centres listed");
    } else if site == ENGINE_SITE {
        e.add(
            "site",
            "Hosts of the Slurm cluster come from the cluster itself; add the node to Slurm",
        );
    }
    let name = input.name.trim().to_owned();
    if let Err(m) = host_name(&name) {
        e.add("name", m);
    }
    let cores = e.check(
        "cores",
        whole_number(&input.cores, "the number of CPU cores", 1, 4096),
    );
    let mhz = e.check(
        "mhz_per_core",
        whole_number(&input.mhz_per_core, "the clock speed in MHz", 100, 10_000),
    );
    let ram = e.check(
        "ram_gb",
        whole_number(&input.ram_gb, "the memory in GB", 1, 65_536),
    );
    let storage = e.check(
        "storage_gb",
        whole_number(&input.storage_gb, "the storage in GB", 0, 10_000_000),
    );
    if !e.is_empty() {
        return Err(e);
    }
    Ok(HostFields {
        site,
        name,
        cores: cores.unwrap_or_default(),
        mhz_per_core: mhz.unwrap_or_default(),
        ram_gb: ram.unwrap_or_default(),
        storage_gb: storage.unwrap_or_default(),
    })
}

/// A host name as the machines know it: lower-case letters, digits and hyphens, 1 to 63 long,
/// not starting or ending with a hyphen (one DNS label).
pub fn host_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else if name.is_empty() {
        Err("Enter the host's name, like dc1-cpu-05".into())
    } else {
        Err("Use lower-case letters, digits and hyphens only (at most 63), like dc1-cpu-05".into())
    }
}

/// A new size must still hold what runs on the host now; to shrink it further, drain it and
/// let that work end first.
pub fn holds_what_runs(new: &HostFields, running: &Amounts) -> Result<(), String> {
    let mut short = Vec::new();
    if new.cores < running.cpu_cores {
        short.push(format!("{} CPU cores", running.cpu_cores));
    }
    if new.ram_gb < running.ram_gb {
        short.push(format!("{} GB of memory", running.ram_gb));
    }
    if short.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "Work running on this host holds {} now; drain it and let that work end before making it smaller",
            short.join(" and ")
        ))
    }
}

/// Whether a host may be retired: drained first, nothing running on it, no booking ahead on
/// its devices.
pub fn may_retire_host(drained: bool, running: u32, bookings_ahead: u32) -> Result<(), String> {
    if !drained {
        return Err("Drain the host first, so nothing new is placed or booked on it".into());
    }
    if running > 0 {
        return Err(format!(
            "{running} workspace{} or web service{} still run{} on this host; retire it once they end",
            plural(running),
            plural(running),
            if running == 1 { "s" } else { "" }
        ));
    }
    refuse_bookings(bookings_ahead)
}

fn refuse_bookings(bookings_ahead: u32) -> Result<(), String> {
    if bookings_ahead > 0 {
        return Err(format!(
            "{bookings_ahead} booking{} still hold{} its accelerators from now on; move or cancel {} first",
            plural(bookings_ahead),
            if bookings_ahead == 1 { "s" } else { "" },
            if bookings_ahead == 1 { "it" } else { "them" }
        ));
    }
    Ok(())
}

/// Whether a device may be retired: no booking holds it from now on.
pub fn may_retire_device(bookings_ahead: u32) -> Result<(), String> {
    refuse_bookings(bookings_ahead)
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A device's details as typed, unchecked.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct DeviceInput {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub memory_gb: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceFields {
    /// `gpu` or `tpu`.
    pub kind: &'static str,
    pub model: String,
    pub memory_gb: u32,
}

pub fn parse_device(input: &DeviceInput) -> Result<DeviceFields, FieldErrors> {
    let mut e = FieldErrors::new();
    let kind = match input.kind.trim() {
        "gpu" => Some("gpu"),
        "tpu" => Some("tpu"),
        _ => {
            e.add("kind", "Choose GPU or TPU");
            None
        }
    };
    let model = input.model.trim().to_owned();
    if model.is_empty() {
        e.add(
            "model",
            "Enter the model people book, like NVIDIA A100 80GB or TPU v4",
        );
    } else if model.chars().count() > 80 || model.chars().any(char::is_control) {
        e.add(
            "model",
            "Enter the model in 80 characters or fewer, on one line",
        );
    }
    let memory = e.check(
        "memory_gb",
        whole_number(&input.memory_gb, "the device's memory in GB", 0, 1024),
    );
    if !e.is_empty() {
        return Err(e);
    }
    Ok(DeviceFields {
        kind: kind.unwrap_or("gpu"),
        model,
        memory_gb: memory.unwrap_or_default(),
    })
}

/// Hosts the engine reports are described by it; the portal may only drain them.
pub fn may_edit(site: &str) -> Result<(), String> {
    if site == ENGINE_SITE {
        Err("This host comes from the Slurm cluster and is kept in step with it; change it in Slurm (the portal can drain it)".into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> HostInput {
        HostInput {
            site: "DC1".into(),
            name: "dc1-cpu-05".into(),
            cores: "32".into(),
            mhz_per_core: "2500".into(),
            ram_gb: "256".into(),
            storage_gb: "10000".into(),
        }
    }

    #[test]
    fn a_host_is_checked_field_by_field() {
        let sites = vec!["DC1".to_owned(), "SLURM".to_owned()];
        let h = parse_host(&input(), &sites).unwrap();
        assert_eq!(
            (h.cores, h.ram_gb, h.name.as_str()),
            (32, 256, "dc1-cpu-05")
        );
        let bad = HostInput {
            site: "DC9".into(),
            name: "DC1 CPU".into(),
            cores: "0".into(),
            mhz_per_core: "fast".into(),
            ram_gb: "".into(),
            storage_gb: "-1".into(),
        };
        let e = parse_host(&bad, &sites).unwrap_err();
        for field in [
            "site",
            "name",
            "cores",
            "mhz_per_core",
            "ram_gb",
            "storage_gb",
        ] {
            assert!(e.get(field).is_some(), "{field}: {e:?}");
        }
        let engine = HostInput {
            site: "SLURM".into(),
            ..input()
        };
        assert!(parse_host(&engine, &sites)
            .unwrap_err()
            .get("site")
            .unwrap()
            .contains("Slurm"));
    }

    #[test]
    fn host_names_are_one_dns_label() {
        for ok in ["a", "dc1-cpu-01", "x9"] {
            assert!(host_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-a", "a-", "A1", "a_b", "a.b", &"a".repeat(64)] {
            assert!(host_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_host_cannot_shrink_below_what_runs_on_it() {
        let h = parse_host(&input(), &["DC1".to_owned()]).unwrap();
        let running = Amounts {
            cpu_cores: 40,
            ram_gb: 100,
            ..Amounts::default()
        };
        let m = holds_what_runs(&h, &running).unwrap_err();
        assert!(m.contains("40 CPU cores") && !m.contains("memory"), "{m}");
        assert!(holds_what_runs(
            &h,
            &Amounts {
                cpu_cores: 32,
                ram_gb: 256,
                ..Amounts::default()
            }
        )
        .is_ok());
    }

    #[test]
    fn retiring_needs_a_drained_empty_host_with_no_bookings_ahead() {
        assert!(may_retire_host(false, 0, 0).unwrap_err().contains("Drain"));
        assert!(may_retire_host(true, 1, 0)
            .unwrap_err()
            .contains("1 workspace or web service still runs"));
        assert!(may_retire_host(true, 0, 2)
            .unwrap_err()
            .contains("2 bookings still hold"));
        assert!(may_retire_host(true, 0, 0).is_ok());
        assert!(may_retire_device(1)
            .unwrap_err()
            .contains("move or cancel it"));
        assert!(may_retire_device(0).is_ok());
    }

    #[test]
    fn devices_are_a_gpu_or_tpu_of_a_named_model() {
        let d = parse_device(&DeviceInput {
            kind: "tpu".into(),
            model: " TPU v4 ".into(),
            memory_gb: "32".into(),
        })
        .unwrap();
        assert_eq!(
            (d.kind, d.model.as_str(), d.memory_gb),
            ("tpu", "TPU v4", 32)
        );
        let e = parse_device(&DeviceInput {
            kind: "fpga".into(),
            model: "a\nb".into(),
            memory_gb: "2000".into(),
        })
        .unwrap_err();
        for field in ["kind", "model", "memory_gb"] {
            assert!(e.get(field).is_some(), "{field}");
        }
        assert!(may_edit("SLURM").is_err());
        assert!(may_edit("DC1").is_ok());
    }
}
