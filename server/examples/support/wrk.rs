//! wrk on loopback (2 threads, 64 connections), shared by the benchmarks: requests per second
//! and the p50/p99 latencies as wrk prints them.

use std::process::Command;

pub struct Wrk {
    pub rps: f64,
    pub p50: String,
    pub p99: String,
}

pub fn wrk(url: &str, cookie: Option<&str>, secs: u32) -> Wrk {
    match cookie {
        Some(c) => wrk_with(url, &[("Cookie", c)], secs),
        None => wrk_with(url, &[], secs),
    }
}

/// wrk sending these headers with every request (a `Host` as well as a cookie, say).
#[allow(dead_code)]
pub fn wrk_with(url: &str, headers: &[(&str, &str)], secs: u32) -> Wrk {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", "-c64", &format!("-d{secs}s"), "--latency"]);
    for (name, value) in headers {
        cmd.args(["-H", &format!("{name}: {value}")]);
    }
    let out = cmd
        .arg(url)
        .output()
        .expect("wrk is installed (the bench scripts install it)");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let find = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("?")
            .to_owned()
    };
    if text.contains("Non-2xx") {
        eprintln!("wrk saw errors:\n{text}");
    }
    Wrk {
        rps: find("Requests/sec:").parse().unwrap_or(0.0),
        p50: find("50%"),
        p99: find("99%"),
    }
}
