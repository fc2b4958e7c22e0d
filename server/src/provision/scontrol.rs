//! Booking reservations on a Slurm cluster, made with `scontrol` run by the portal's host as the
//! cluster's administrator: slurmrestd v0.0.38 reads reservations but cannot make them.
//!
//! Slurm 22.05 (Debian's) cannot hold GRES in a reservation (`TRES=gres/gpu` is refused, and
//! needs slurmdbd besides), so a booking's reservation holds, on each of its hosts, the booked
//! devices' share of that host's cores, for the project's accounts. Jobs outside it cannot use
//! those cores then; which GPUs a job gets within a host is Slurm's choice. Core-based
//! reservations cannot be updated, so a changed booking's reservation is made again.

use super::driver::DriverError;
use campus_core::services::bookings::Reservation;
use std::process::Stdio;
use std::time::Duration;

/// scontrol's arguments to make `r` under the name `name` at `now`. A booking under way starts
/// its reservation now: Slurm refuses a start in the past.
pub fn create_args(name: &str, r: &Reservation, now: i64) -> Vec<String> {
    let start = if r.window.start <= now {
        "now".to_owned()
    } else {
        campus_core::clock::iso_utc(r.window.start)
    };
    let nodes: Vec<&str> = r.hosts.iter().map(|(h, _)| h.as_str()).collect();
    let cores: Vec<String> = r.hosts.iter().map(|(_, c)| c.to_string()).collect();
    vec![
        "create".into(),
        "reservation".into(),
        format!("ReservationName={name}"),
        format!("StartTime={start}"),
        format!("EndTime={}", campus_core::clock::iso_utc(r.window.end)),
        format!("Nodes={}", nodes.join(",")),
        format!("CoreCnt={}", cores.join(",")),
        format!("Users={}", r.accounts.join(",")),
    ]
}

/// Runs scontrol with `args`; its output, or why not. Slurm's own refusal of the request (nodes
/// busy, invalid user, node down) is permanent; anything about reaching the controller is not.
async fn run(args: &[String]) -> Result<String, DriverError> {
    let mut cmd = tokio::process::Command::new("scontrol");
    cmd.args(args)
        .env("TZ", "UTC")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(20), cmd.output())
        .await
        .map_err(|_| DriverError::Transient("scontrol did not answer within 20 s".into()))?
        .map_err(|e| DriverError::Transient(format!("cannot run scontrol: {e}")))?;
    let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_owned();
    if out.status.success() {
        return Ok(text(&out.stdout));
    }
    let why = text(&out.stderr);
    let unreachable = [
        "Unable to contact",
        "Socket timed out",
        "Zero Bytes",
        "Connection refused",
        "configuration source",
    ];
    if unreachable.iter().any(|u| why.contains(u)) {
        Err(DriverError::Transient(format!(
            "Slurm is unreachable: {why}"
        )))
    } else {
        Err(DriverError::Permanent(
            why.trim_start_matches("Error creating the reservation: ")
                .to_owned(),
        ))
    }
}

/// The names of reservations that start with `prefix`.
pub async fn names(prefix: &str) -> Result<Vec<String>, DriverError> {
    let out = run(&["-o".into(), "show".into(), "reservation".into()]).await;
    let out = match out {
        Ok(o) => o,
        // An empty cluster says so on stdout with success; some versions fail instead.
        Err(DriverError::Permanent(why)) if why.contains("No reservations") => String::new(),
        Err(e) => return Err(e),
    };
    Ok(parse_names(&out, prefix))
}

fn parse_names(out: &str, prefix: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|first| first.strip_prefix("ReservationName="))
        .filter(|n| n.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

pub async fn create(name: &str, r: &Reservation) -> Result<(), DriverError> {
    if r.accounts.is_empty() {
        return Err(DriverError::Permanent(
            "no member of the project has a cluster account mapped, so nobody could use it".into(),
        ));
    }
    run(&create_args(name, r, campus_core::clock::now()))
        .await
        .map(|_| ())
}

pub async fn delete(name: &str) -> Result<(), DriverError> {
    match run(&["delete".into(), format!("ReservationName={name}")]).await {
        Err(DriverError::Permanent(why))
            if why.contains("invalid") || why.contains("not found") =>
        {
            Ok(())
        }
        other => other.map(|_| ()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use campus_core::accelerators::bookings::Window;

    #[test]
    fn a_reservation_names_its_hosts_cores_and_accounts_in_utc() {
        let r = Reservation {
            name: "cp-booking-7".into(),
            // Monday 2026-12-07 10:00–12:00 UTC.
            window: Window {
                start: 1_796_637_600,
                end: 1_796_644_800,
            },
            hosts: vec![("gpu-01".into(), 16), ("gpu-02".into(), 8)],
            accounts: vec!["alice".into(), "bob".into()],
        };
        let before = r.window.start - 3600;
        assert_eq!(
            create_args("t1-cp-booking-7", &r, before),
            [
                "create",
                "reservation",
                "ReservationName=t1-cp-booking-7",
                "StartTime=2026-12-07T10:00:00",
                "EndTime=2026-12-07T12:00:00",
                "Nodes=gpu-01,gpu-02",
                "CoreCnt=16,8",
                "Users=alice,bob",
            ]
        );
        let under_way = create_args("t1-cp-booking-7", &r, r.window.start + 60);
        assert_eq!(under_way[3], "StartTime=now");
        assert_eq!(under_way[4], "EndTime=2026-12-07T12:00:00");
    }

    #[test]
    fn only_this_portals_reservations_are_its_own() {
        let out = "ReservationName=t1-cp-booking-7 StartTime=2026-12-07T10:00:00 Users=a\n\
                   ReservationName=maintenance StartTime=2026-12-08T00:00:00\n\
                   ReservationName=t12-cp-booking-1 StartTime=2026-12-07T10:00:00\n";
        assert_eq!(parse_names(out, "t1-"), ["t1-cp-booking-7"]);
        assert!(parse_names("No reservations in the system", "t1-").is_empty());
    }
}
