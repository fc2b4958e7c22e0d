//! The cluster driver: workspaces and web services run as Slurm batch jobs submitted through
//! slurmrestd (REST API v0.0.38) as their owner's own Unix account: the portal mints an HS256
//! JWT naming that account with the key slurmctld checks, so the job runs as them, never as a
//! shared account. A person with no account mapped gets a clear refusal.
//!
//! Each job works in its resource's directory ([`super::layout`], on the filesystem the nodes
//! share). Its batch script starts the gate (`campus-gate`) on the node's address, on a port in
//! the configured range, demanding the resource's secret; the gate runs the workload in a
//! sandbox of its own (bubblewrap, as the person, in a user namespace, with no network) that
//! listens on the resource's socket. Nothing the job writes is trusted: the proxy's endpoint is
//! Slurm's own record of the job's node, plus a port read from the file the portal made for it
//! and accepted only within the range; its log is read from the portal's directory through a
//! handle that refuses links, and capped.
//!
//! A job is named after its resource (`cp-<id>`), so an attempt after a crash finds the job an
//! earlier one submitted instead of submitting another.

use super::beneath::Dir;
use super::driver::{Driver, DriverError, Health, Node, Placement, Spec};
use super::identity::{lookup_account, Person};
use super::layout::{Layout, SandboxParts};
use super::sandbox::{self, Identity};
use super::secrets::Secrets;
use super::upstream;
use crate::config::WorkloadConfig;
use async_trait::async_trait;
use base64::Engine;
use campus_core::requests::kind::Kind;
use campus_core::requests::template::Template;
use campus_core::services::bookings::Reservation;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;

const API: &str = "slurm/v0.0.38";

pub struct SlurmDriver {
    url: String,
    /// The portal's own account, for reading the cluster (nodes, jobs).
    user: String,
    key: Vec<u8>,
    partition: String,
    job_prefix: String,
    ports: (u16, u16),
    layout: Layout,
    secrets: Secrets,
    /// Programs as the nodes see them (the tools directory is on the shared filesystem).
    bwrap: PathBuf,
    gate: PathBuf,
    tools: PathBuf,
    http: reqwest::Client,
}

#[derive(Debug)]
struct JobInfo {
    job_id: u64,
    name: String,
    job_state: String,
    state_reason: String,
    user_name: String,
    /// The node it runs on, as Slurm records it.
    nodes: String,
}

impl JobInfo {
    /// Read field by field: one odd job in a listing (a null where a string usually is) must
    /// not hide the others, or a crashed attempt's job would go unseen and be submitted twice.
    fn of(v: &Value) -> Option<JobInfo> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        Some(JobInfo {
            job_id: v.get("job_id")?.as_u64()?,
            name: s("name"),
            job_state: s("job_state"),
            state_reason: s("state_reason"),
            user_name: s("user_name"),
            nodes: s("nodes"),
        })
    }
}

/// The `jobs` array of an answer; an answer without one is an error, never "no jobs".
fn jobs_of(body: &Value) -> Result<Vec<JobInfo>, DriverError> {
    let jobs = body.get("jobs").and_then(Value::as_array).ok_or_else(|| {
        DriverError::Transient(format!(
            "Slurm's job list was unreadable: {}",
            errors_of(body).unwrap_or_else(|| "no jobs field".to_owned())
        ))
    })?;
    Ok(jobs.iter().filter_map(JobInfo::of).collect())
}

/// The job states after which a job runs no more, and whether each is a failure.
fn finished(state: &str) -> Option<bool> {
    match state {
        "COMPLETED" | "CANCELLED" => Some(false),
        "FAILED" | "TIMEOUT" | "NODE_FAIL" | "OUT_OF_MEMORY" | "BOOT_FAIL" | "DEADLINE"
        | "PREEMPTED" | "SPECIAL_EXIT" => Some(true),
        _ => None,
    }
}

/// Minutes from now to the end of the request's end date: the job's time limit.
fn minutes_until_end(end_date: &str) -> u64 {
    let Some(date) = campus_core::clock::parse_date(end_date) else {
        return 60;
    };
    let end = date.midnight().assume_utc().unix_timestamp() + 86_400;
    ((end - campus_core::clock::now()).max(60) / 60) as u64
}

/// `gpu:fake:2` or `gpu:2(S:0)` → (2, "fake").
fn parse_gres(gres: &str) -> (u32, String) {
    gres.split(',')
        .filter_map(|g| {
            let g = g.split('(').next()?;
            let mut parts = g.split(':');
            if parts.next()? != "gpu" {
                return None;
            }
            let rest: Vec<&str> = parts.collect();
            match rest.as_slice() {
                [n] => Some((n.parse::<u32>().ok()?, String::new())),
                [model, n] => Some((n.parse::<u32>().ok()?, (*model).to_owned())),
                _ => None,
            }
        })
        .fold((0u32, String::new()), |(n, m), (k, model)| {
            (n + k, if m.is_empty() { model } else { m })
        })
}

fn errors_of(body: &Value) -> Option<String> {
    let errors = body.get("errors")?.as_array()?;
    let words: Vec<String> = errors
        .iter()
        .map(|e| {
            let d = e.get("description").and_then(Value::as_str).unwrap_or("");
            let m = e.get("error").and_then(Value::as_str).unwrap_or("");
            match (d.is_empty(), m.is_empty()) {
                (false, false) if d != m => format!("{d}: {m}"),
                (false, _) => d.to_owned(),
                _ => m.to_owned(),
            }
        })
        .filter(|w| !w.is_empty())
        .collect();
    (!words.is_empty()).then(|| words.join("; "))
}

/// The port a job's gate says it took: a number in the allowed range, or nothing. Anything
/// else in the file (another address, a path, a longer text) is the job's own words and is
/// not used.
fn port_in_range(said: &[u8], (low, high): (u16, u16)) -> Option<u16> {
    let text = std::str::from_utf8(said).ok()?.trim();
    if text.is_empty() || text.len() > 5 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|p| (low..=high).contains(p))
}

/// A shell word: single-quoted, so paths with any characters stay one word.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl SlurmDriver {
    pub fn new(
        cfg: &crate::config::SlurmConfig,
        root: &str,
        workloads: &WorkloadConfig,
    ) -> Result<SlurmDriver, String> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Err(
                "the Slurm driver gives each person their own directories, which needs the portal \
                 to run as root"
                    .to_owned(),
            );
        }
        Ok(SlurmDriver {
            url: cfg.url.trim_end_matches('/').to_owned(),
            user: cfg.user.clone(),
            key: cfg.jwt_key.clone(),
            partition: cfg.partition.clone(),
            job_prefix: cfg.job_prefix.clone(),
            ports: cfg.gate_ports,
            layout: Layout::new(root, true)?,
            secrets: Secrets::new(&workloads.key),
            bwrap: workloads.bwrap.clone(),
            gate: workloads.tools_dir.join("bin/campus-gate"),
            tools: workloads.tools_dir.clone(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a plain HTTP client builds"),
        })
    }

    /// The person's identity on the cluster: their mapped account, which the nodes and this
    /// machine both know.
    fn person(&self, spec: &Spec) -> Result<Person, DriverError> {
        let account = spec.owner.unix_account.as_deref().ok_or_else(|| {
            DriverError::Permanent(format!(
                "{} has no Unix account on the cluster: an operator must map one on their page \
                 under People before their workspaces can run",
                spec.owner.username
            ))
        })?;
        let (uid, gid) = lookup_account(account).ok_or_else(|| {
            DriverError::Permanent(format!(
                "the Unix account {account} mapped to {} does not exist on the cluster",
                spec.owner.username
            ))
        })?;
        if uid == 0 || gid == 0 {
            return Err(DriverError::Permanent(format!(
                "{} is mapped to a root account: workloads never run as root",
                spec.owner.username
            )));
        }
        Ok(Person {
            name: account.to_owned(),
            uid,
            gid,
            identity: Identity::Same,
        })
    }

    /// An HS256 JWT naming `user`, valid for five minutes.
    fn token(&self, user: &str) -> String {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let now = campus_core::clock::now();
        let header = b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let claims = b64.encode(
            json!({ "sun": user, "iat": now, "exp": now + 300 })
                .to_string()
                .as_bytes(),
        );
        let signing_input = format!("{header}.{claims}");
        let mut mac =
            Hmac::<sha2::Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any size");
        mac.update(signing_input.as_bytes());
        let signature = b64.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{signature}")
    }

    /// A call to slurmrestd as `user` (the portal's account to read, the person's to act).
    async fn call(
        &self,
        user: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, DriverError> {
        let mut req = self
            .http
            .request(method, format!("{}/{API}/{path}", self.url))
            .header("X-SLURM-USER-NAME", user)
            .header("X-SLURM-USER-TOKEN", self.token(user));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| DriverError::Transient(format!("Slurm is unreachable: {e}")))?;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if status.is_server_error() && errors_of(&body).is_none() {
            return Err(DriverError::Transient(format!("Slurm answered {status}")));
        }
        if status.as_u16() == 401 || status.as_u16() == 403 {
            return Err(DriverError::Transient(format!(
                "Slurm refused the credentials for {user} ({status}): check SLURM_JWT_KEY_FILE, and that the account exists on the cluster"
            )));
        }
        Ok(body)
    }

    /// The job's state, or None when Slurm has no such job (never had it, or forgot it).
    async fn job(&self, id: &str) -> Result<Option<JobInfo>, DriverError> {
        if id.parse::<u64>().is_err() {
            return Ok(None);
        }
        let body = self
            .call(&self.user, reqwest::Method::GET, &format!("job/{id}"), None)
            .await?;
        // An unknown (or long-forgotten) job id comes back as an empty list with an error.
        Ok(jobs_of(&body)?.into_iter().next())
    }

    /// Live (pending or running) jobs of this resource, however many attempts submitted.
    async fn live_jobs(&self, spec: &Spec, who: &Person) -> Result<Vec<JobInfo>, DriverError> {
        let body = self
            .call(&self.user, reqwest::Method::GET, "jobs", None)
            .await?;
        Ok(jobs_of(&body)?
            .into_iter()
            .filter(|j| {
                j.name == self.job_name(spec)
                    && j.user_name == who.name
                    && finished(&j.job_state).is_none()
            })
            .collect())
    }

    async fn list_nodes(&self) -> Result<Vec<Node>, DriverError> {
        let body = self
            .call(&self.user, reqwest::Method::GET, "nodes", None)
            .await?;
        let nodes = body
            .get("nodes")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let n = |v: &Value, k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
        let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        Ok(nodes
            .iter()
            .map(|v| {
                let (gpus, gpu_model) = parse_gres(&s(v, "gres"));
                Node {
                    name: s(v, "name"),
                    address: s(v, "address"),
                    cpus: n(v, "cpus") as u32,
                    alloc_cpus: n(v, "alloc_cpus") as u32,
                    ram_gb: (n(v, "real_memory") / 1024) as u32,
                    alloc_ram_gb: n(v, "alloc_memory").div_ceil(1024) as u32,
                    gpus,
                    alloc_gpus: parse_gres(&s(v, "gres_used")).0,
                    gpu_model,
                    partitions: v
                        .get("partitions")
                        .and_then(|p| serde_json::from_value(p.clone()).ok())
                        .unwrap_or_default(),
                    state: s(v, "state"),
                }
            })
            .filter(|node| node.partitions.is_empty() || node.partitions.contains(&self.partition))
            .collect())
    }

    fn job_name(&self, spec: &Spec) -> String {
        format!("{}{}", self.job_prefix, spec.name)
    }

    /// The batch script: the gate on the node's address, in front of the sandbox. Nothing
    /// secret is in it (the script is kept by Slurm and shown to the job's owner): the gate's
    /// secret comes in the job's environment and the sandbox's arguments from a file only the
    /// person and the portal can read.
    fn script(&self, spec: &Spec, program: &[String]) -> String {
        let run = self.layout.run(&spec.name);
        let (low, high) = self.ports;
        let program: Vec<String> = program.iter().map(|a| quoted(a)).collect();
        format!(
            r#"#!/bin/bash
ADDR=$(scontrol show node "$SLURMD_NODENAME" 2>/dev/null | sed -n 's/.*NodeAddr=\([^ ]*\).*/\1/p')
exec {gate} --listen "tcp:${{ADDR:-0.0.0.0}}:{low}-{high}" --port-file {port} \
  --challenge-env CAMPUS_GATE_SECRET --to {socket} -- {bwrap} --args 3 {program} 3<{args}
"#,
            program = program.join(" "),
            gate = quoted(&self.gate.display().to_string()),
            port = quoted(&run.join("port").display().to_string()),
            socket = quoted(&format!(
                "unix:{}",
                self.layout.socket(&spec.name).display()
            )),
            bwrap = quoted(&self.bwrap.display().to_string()),
            args = quoted(&run.join("args").display().to_string()),
        )
    }

    /// The resource's directory, what the sandbox reads, and the files the job may write;
    /// returns the sandbox's command, which the script runs.
    fn prepare(
        &self,
        spec: &Spec,
        who: &Person,
        template: &Template,
    ) -> Result<Vec<String>, DriverError> {
        self.layout.make(&spec.name, spec.kind, who, true)?;
        self.layout.write_sandbox_files(&spec.name, who)?;
        let parts = SandboxParts {
            secrets: &self.secrets,
            tools: &self.tools,
            gate: &self.gate,
        };
        let (options, program) = self
            .layout
            .sandbox(spec, who, template, &parts)
            .options_and_command();
        // Holds the JupyterLab token: the person may read their own, nobody else may.
        let run = self.layout.run(&spec.name);
        self.layout
            .write_file(&run, "args", &sandbox::nul_separated(&options), 0o640)?;
        std::fs::File::open(run.join("args"))
            .and_then(|f| {
                use std::os::fd::AsRawFd;
                // SAFETY: fchown(2) on a descriptor we just opened.
                match unsafe { libc::fchown(f.as_raw_fd(), 0, who.gid) } {
                    0 => Ok(()),
                    _ => Err(std::io::Error::last_os_error()),
                }
            })
            .map_err(|e| DriverError::Transient(format!("cannot secure the arguments: {e}")))?;
        self.layout.make_writable_file(&spec.name, "log", who)?;
        self.layout.make_writable_file(&spec.name, "port", who)?;
        Ok(program)
    }

    async fn submit(&self, spec: &Spec, who: &Person) -> Result<Placement, DriverError> {
        let template = Template::from_stored(&spec.command)
            .map_err(|e| DriverError::Permanent(e.to_string()))?;
        let program = self.prepare(spec, who, &template)?;
        let mut job = json!({
            "name": self.job_name(spec),
            "partition": self.partition,
            "current_working_directory": self.layout.files(&spec.name).display().to_string(),
            "standard_output": self.layout.run(&spec.name).join("log").display().to_string(),
            "environment": {
                "PATH": "/usr/local/bin:/usr/bin:/bin",
                "CAMPUS_RESOURCE": spec.name,
                "CAMPUS_GATE_SECRET": self.secrets.gate_secret(&spec.name),
            },
            "cpus_per_task": spec.amounts.cpu_cores.max(1),
            "memory_per_node": u64::from(spec.amounts.ram_gb.max(1)) * 1024,
            "time_limit": minutes_until_end(&spec.end_date),
        });
        if spec.amounts.gpus > 0 {
            job["gres"] = json!(format!("gpu:{}", spec.amounts.gpus));
        }
        // Inside its project's booking: in the reservation, and over when the booking is (Slurm
        // starts no job in a reservation that would outlast it).
        if let Some((name, ends_at)) = &spec.reservation {
            job["reservation"] = json!(format!("{}{name}", self.job_prefix));
            let left = (ends_at - campus_core::clock::now()).max(60) / 60;
            let limit = minutes_until_end(&spec.end_date);
            job["time_limit"] = json!(limit.min(u64::try_from(left).unwrap_or(1)));
        }
        let body = self
            .call(
                &who.name,
                reqwest::Method::POST,
                "job/submit",
                Some(json!({ "job": job, "script": self.script(spec, &program) })),
            )
            .await?;
        if let Some(words) = errors_of(&body) {
            return Err(DriverError::Permanent(format!(
                "Slurm refused the job: {words}"
            )));
        }
        let id = body
            .get("job_id")
            .and_then(Value::as_u64)
            .ok_or_else(|| DriverError::Transient("Slurm gave no job id".to_owned()))?;
        crate::failpoint::hit("engine-called");
        Ok(Placement {
            external_id: id.to_string(),
            endpoint: String::new(),
            keeps_prefix: template.keeps_prefix(),
            token: spec.wants_token(),
        })
    }

    /// `gate:<node address>:<port>` for a running job: the address from Slurm's record of the
    /// job's node, the port from the portal's file, only if it is in the range.
    async fn endpoint(&self, spec: &Spec, job: &JobInfo) -> Result<Option<String>, DriverError> {
        let said = Dir::open(&self.layout.run(&spec.name))
            .and_then(|d| d.tail("port", 16))
            .unwrap_or_default();
        let Some(port) = port_in_range(&said, self.ports) else {
            return Ok(None);
        };
        let node = job.nodes.split(',').next().unwrap_or("");
        if node.is_empty() || node.contains('[') {
            return Ok(None);
        }
        let address = self
            .list_nodes()
            .await?
            .into_iter()
            .find(|n| n.name == node)
            .map(|n| {
                if n.address.is_empty() {
                    n.name
                } else {
                    n.address
                }
            });
        Ok(address.map(|a| format!("gate:{a}:{port}")))
    }

    async fn cancel_all(&self, spec: &Spec, placement: &Placement) -> Result<(), DriverError> {
        let who = self.person(spec)?;
        let mut ids: Vec<String> = self
            .live_jobs(spec, &who)
            .await?
            .into_iter()
            .map(|j| j.job_id.to_string())
            .collect();
        if !placement.external_id.is_empty() && !ids.contains(&placement.external_id) {
            ids.push(placement.external_id.clone());
        }
        for id in &ids {
            if id.parse::<u64>().is_ok() {
                self.call(
                    &who.name,
                    reqwest::Method::DELETE,
                    &format!("job/{id}"),
                    None,
                )
                .await?;
            }
        }
        // Wait until Slurm has let go of them, so a start right after gets the resources.
        for _ in 0..50 {
            if self.live_jobs(spec, &who).await?.is_empty() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(DriverError::Transient(
            "Slurm has not ended the job yet".to_owned(),
        ))
    }
}

#[async_trait]
impl Driver for SlurmDriver {
    fn name(&self) -> &'static str {
        "slurm"
    }

    async fn provision(&self, spec: &Spec) -> Result<Placement, DriverError> {
        let who = self.person(spec)?;
        if spec.kind == Kind::Storage {
            self.layout.make(&spec.name, spec.kind, &who, true)?;
            return Ok(Placement {
                external_id: self.layout.files(&spec.name).display().to_string(),
                ..Placement::default()
            });
        }
        if let Some(existing) = self.live_jobs(spec, &who).await?.first() {
            tracing::info!(job = existing.job_id, resource = %spec.name, "found the job an earlier attempt submitted");
            let template = Template::from_stored(&spec.command)
                .map_err(|e| DriverError::Permanent(e.to_string()))?;
            return Ok(Placement {
                external_id: existing.job_id.to_string(),
                endpoint: String::new(),
                keeps_prefix: template.keeps_prefix(),
                token: spec.wants_token(),
            });
        }
        self.submit(spec, &who).await
    }

    async fn status(&self, spec: &Spec, placement: &Placement) -> Result<Health, DriverError> {
        if spec.kind == Kind::Storage {
            return Ok(if self.layout.files(&spec.name).is_dir() {
                Health::Ready
            } else {
                Health::Missing
            });
        }
        let Some(job) = self.job(&placement.external_id).await? else {
            return Ok(Health::Missing);
        };
        if let Some(failed) = finished(&job.job_state) {
            return Ok(if failed {
                let tail = super::local::log_tail(&self.layout.run(&spec.name), "log");
                let why = if job.state_reason.is_empty() || job.state_reason == "None" {
                    String::new()
                } else {
                    format!(" ({})", job.state_reason)
                };
                Health::Failed(if tail.is_empty() {
                    format!("the Slurm job ended: {}{why}", job.job_state)
                } else {
                    format!("the Slurm job ended: {}{why}: {tail}", job.job_state)
                })
            } else {
                Health::Stopped
            });
        }
        if job.job_state != "RUNNING" {
            return Ok(Health::Starting);
        }
        let Some(endpoint) = self.endpoint(spec, &job).await? else {
            return Ok(Health::Starting);
        };
        let located = Placement {
            endpoint,
            ..placement.clone()
        };
        let path = if placement.keeps_prefix {
            spec.base_url.as_str()
        } else {
            "/"
        };
        let Some(target) = located.target(&spec.name, &self.secrets) else {
            return Ok(Health::Starting);
        };
        let auth = located.authorization(&spec.name, &self.secrets);
        match upstream::status_of(&target, path, auth.as_deref()).await {
            Some(status) if status < 500 => Ok(Health::Ready),
            _ => Ok(Health::Starting),
        }
    }

    async fn usage(&self, spec: &Spec) -> Option<u64> {
        let files = self.layout.files(&spec.name);
        if spec.kind != Kind::Storage || !files.is_dir() {
            return None;
        }
        tokio::task::spawn_blocking(move || super::local::usage_bytes(&files))
            .await
            .ok()
    }

    async fn nodes(&self) -> Result<Option<Vec<Node>>, DriverError> {
        self.list_nodes().await.map(Some)
    }

    async fn reservations(&self) -> Result<Option<Vec<String>>, DriverError> {
        let names = super::scontrol::names(&self.job_prefix).await?;
        Ok(Some(
            names
                .iter()
                .filter_map(|n| n.strip_prefix(self.job_prefix.as_str()))
                .map(str::to_owned)
                .collect(),
        ))
    }

    async fn reserve(&self, r: &Reservation) -> Result<(), DriverError> {
        super::scontrol::create(&format!("{}{}", self.job_prefix, r.name), r).await
    }

    async fn unreserve(&self, name: &str) -> Result<(), DriverError> {
        super::scontrol::delete(&format!("{}{name}", self.job_prefix)).await
    }

    async fn locate(&self, spec: &Spec, placement: &Placement) -> Result<Placement, DriverError> {
        if spec.kind == Kind::Storage {
            return Ok(placement.clone());
        }
        let Some(job) = self.job(&placement.external_id).await? else {
            return Ok(placement.clone());
        };
        Ok(Placement {
            endpoint: self.endpoint(spec, &job).await?.unwrap_or_default(),
            ..placement.clone()
        })
    }

    async fn start(&self, spec: &Spec, _placement: &Placement) -> Result<Placement, DriverError> {
        self.provision(spec).await
    }

    async fn stop(&self, spec: &Spec, placement: &Placement) -> Result<(), DriverError> {
        if spec.kind == Kind::Storage {
            return Ok(());
        }
        self.cancel_all(spec, placement).await
    }

    async fn destroy(&self, spec: &Spec, placement: &Placement) -> Result<(), DriverError> {
        if spec.kind != Kind::Storage {
            self.cancel_all(spec, placement).await?;
        }
        self.layout.remove(&spec.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_is_taken_from_the_job_only_as_a_number_in_the_range() {
        let range = (20_000, 20_999);
        assert_eq!(port_in_range(b"20042\n", range), Some(20_042));
        for bad in [
            &b"19999"[..],
            b"21000",
            b"127.0.0.1:20042",
            b"-1",
            b"",
            b"200420",
            b"\xff",
        ] {
            assert_eq!(port_in_range(bad, range), None, "{bad:?}");
        }
    }

    #[test]
    fn paths_in_the_script_stay_one_word_whatever_they_hold() {
        assert_eq!(quoted("/a b/it's"), r"'/a b/it'\''s'");
    }

    #[test]
    fn gres_strings_give_the_gpu_count_and_model() {
        assert_eq!(parse_gres("gpu:fake:2"), (2, "fake".to_owned()));
        assert_eq!(
            parse_gres("gpu:a100:4(S:0-1),gpu:a100:4(S:1)"),
            (8, "a100".to_owned())
        );
        assert_eq!(parse_gres("gpu:2"), (2, String::new()));
        // gres_used, what jobs hold now.
        assert_eq!(parse_gres("gpu:fake:1(IDX:0)"), (1, "fake".to_owned()));
        assert_eq!(parse_gres("gpu:fake:0(IDX:N/A)"), (0, "fake".to_owned()));
        assert_eq!(parse_gres(""), (0, String::new()));
        assert_eq!(parse_gres("(null)"), (0, String::new()));
    }

    #[test]
    fn only_end_states_are_finished_and_only_some_are_failures() {
        assert_eq!(finished("RUNNING"), None);
        assert_eq!(finished("PENDING"), None);
        assert_eq!(finished("CANCELLED"), Some(false));
        assert_eq!(finished("TIMEOUT"), Some(true));
        assert_eq!(finished("OUT_OF_MEMORY"), Some(true));
    }

    #[test]
    fn slurm_error_lists_become_words() {
        let body = json!({"errors": [{"error": "Requested node configuration is not available", "description": "Batch job submission failed"}]});
        assert_eq!(
            errors_of(&body).as_deref(),
            Some("Batch job submission failed: Requested node configuration is not available")
        );
        assert_eq!(errors_of(&json!({"errors": []})), None);
    }
}
