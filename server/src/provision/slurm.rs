//! The cluster driver: workspaces and web services run as Slurm batch jobs submitted through
//! slurmrestd (REST API v0.0.38), authenticated with HS256 JWTs the portal mints from the key
//! slurmctld checks. Storage stays a directory on the shared filesystem.
//!
//! A job is named after its resource (`cp-<id>`), so an attempt after a crash finds the job an
//! earlier one submitted instead of submitting another. Each job works in `<root>/cp-<id>/`
//! (which must be on a filesystem the compute nodes share) and, once running, writes the
//! `address:port` it listens on to `run/endpoint` there: the port is chosen on the node.

use super::command;
use super::driver::{Driver, DriverError, Health, Node, Placement, Spec};
use super::local::LocalDriver;
use async_trait::async_trait;
use base64::Engine;
use campus_core::requests::kind::Kind;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

const API: &str = "slurm/v0.0.38";

pub struct SlurmDriver {
    url: String,
    user: String,
    key: Vec<u8>,
    partition: String,
    job_prefix: String,
    root: PathBuf,
    jupyter: Option<PathBuf>,
    storage: LocalDriver,
    http: reqwest::Client,
}

#[derive(Debug)]
struct JobInfo {
    job_id: u64,
    name: String,
    job_state: String,
    state_reason: String,
    user_name: String,
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

impl SlurmDriver {
    pub fn new(
        cfg: &crate::config::SlurmConfig,
        root: &str,
        jupyter: Option<PathBuf>,
    ) -> SlurmDriver {
        let storage = LocalDriver::new(root, None);
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| PathBuf::from(root));
        SlurmDriver {
            url: cfg.url.trim_end_matches('/').to_owned(),
            user: cfg.user.clone(),
            key: cfg.jwt_key.clone(),
            partition: cfg.partition.clone(),
            job_prefix: cfg.job_prefix.clone(),
            root,
            jupyter,
            storage,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a plain HTTP client builds"),
        }
    }

    /// An HS256 JWT naming the job user, valid for five minutes.
    fn token(&self) -> String {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let now = campus_core::clock::now();
        let header = b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let claims = b64.encode(
            json!({ "sun": self.user, "iat": now, "exp": now + 300 })
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

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, DriverError> {
        let mut req = self
            .http
            .request(method, format!("{}/{API}/{path}", self.url))
            .header("X-SLURM-USER-NAME", &self.user)
            .header("X-SLURM-USER-TOKEN", self.token());
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
                "Slurm refused the portal's credentials ({status}): check SLURM_USER and SLURM_JWT_KEY_FILE"
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
            .call(reqwest::Method::GET, &format!("job/{id}"), None)
            .await?;
        // An unknown (or long-forgotten) job id comes back as an empty list with an error.
        Ok(jobs_of(&body)?.into_iter().next())
    }

    /// Live (pending or running) jobs of this resource, however many attempts submitted.
    async fn live_jobs(&self, spec: &Spec) -> Result<Vec<JobInfo>, DriverError> {
        let body = self.call(reqwest::Method::GET, "jobs", None).await?;
        Ok(jobs_of(&body)?
            .into_iter()
            .filter(|j| {
                j.name == self.job_name(spec)
                    && j.user_name == self.user
                    && finished(&j.job_state).is_none()
            })
            .collect())
    }

    async fn list_nodes(&self) -> Result<Vec<Node>, DriverError> {
        let body = self.call(reqwest::Method::GET, "nodes", None).await?;
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

    fn dir(&self, spec: &Spec) -> PathBuf {
        self.root.join(&spec.name)
    }

    fn log_path(&self, spec: &Spec) -> PathBuf {
        // Beside the job's directory, not in it: Slurm opens the log before the script runs.
        self.root.join(format!("{}.log", spec.name))
    }

    /// The batch script: make the directory, pick a port on the node, say where it listens,
    /// then become the program.
    fn script(&self, spec: &Spec) -> (String, bool) {
        let dir = self.dir(spec);
        let files = dir.join("files");
        let template = command::template(spec, self.jupyter.as_deref(), false);
        let (cmd, keeps_prefix) = command::render(
            &template,
            "\"$ADDR\"",
            "\"$PORT\"",
            &spec.base_url,
            &files.display().to_string(),
        );
        let script = format!(
            r#"#!/bin/bash
set -e
mkdir -p '{dir}/files' '{dir}/run'
cd '{dir}'
export HOME='{dir}'
ADDR=$(scontrol show node "$SLURMD_NODENAME" | sed -n 's/.*NodeAddr=\([^ ]*\).*/\1/p')
ADDR=${{ADDR:-127.0.0.1}}
PORT=$(python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$ADDR")
export PORT BASE_URL='{base}'
echo "$ADDR:$PORT" > run/endpoint.tmp && mv run/endpoint.tmp run/endpoint
cd files
exec {cmd}
"#,
            dir = dir.display(),
            base = spec.base_url,
        );
        (script, keeps_prefix)
    }

    async fn submit(&self, spec: &Spec) -> Result<Placement, DriverError> {
        let (script, keeps_prefix) = self.script(spec);
        let _ = std::fs::remove_file(self.dir(spec).join("run/endpoint"));
        let mut job = json!({
            "name": self.job_name(spec),
            "partition": self.partition,
            "current_working_directory": self.root.display().to_string(),
            "standard_output": self.log_path(spec).display().to_string(),
            "environment": {
                "PATH": "/usr/local/bin:/usr/bin:/bin",
                "CAMPUS_RESOURCE": spec.name,
            },
            "cpus_per_task": spec.amounts.cpu_cores.max(1),
            "memory_per_node": u64::from(spec.amounts.ram_gb.max(1)) * 1024,
            "time_limit": minutes_until_end(&spec.end_date),
        });
        if spec.amounts.gpus > 0 {
            job["gres"] = json!(format!("gpu:{}", spec.amounts.gpus));
        }
        let body = self
            .call(
                reqwest::Method::POST,
                "job/submit",
                Some(json!({ "job": job, "script": script })),
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
            keeps_prefix,
        })
    }

    fn endpoint(&self, spec: &Spec) -> Option<String> {
        let e = std::fs::read_to_string(self.dir(spec).join("run/endpoint")).ok()?;
        let e = e.trim();
        (!e.is_empty()).then(|| e.to_owned())
    }

    async fn cancel_all(&self, spec: &Spec, placement: &Placement) -> Result<(), DriverError> {
        let mut ids: Vec<String> = self
            .live_jobs(spec)
            .await?
            .into_iter()
            .map(|j| j.job_id.to_string())
            .collect();
        if !placement.external_id.is_empty() && !ids.contains(&placement.external_id) {
            ids.push(placement.external_id.clone());
        }
        for id in &ids {
            if id.parse::<u64>().is_ok() {
                self.call(reqwest::Method::DELETE, &format!("job/{id}"), None)
                    .await?;
            }
        }
        // Wait until Slurm has let go of them, so a start right after gets the resources.
        for _ in 0..50 {
            if self.live_jobs(spec).await?.is_empty() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(DriverError::Transient(
            "Slurm has not ended the job yet".to_owned(),
        ))
    }
}

fn remove(path: &Path) -> Result<(), DriverError> {
    let r = if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
    match r {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(DriverError::Transient(format!(
            "cannot remove {}: {e}",
            path.display()
        ))),
    }
}

#[async_trait]
impl Driver for SlurmDriver {
    fn name(&self) -> &'static str {
        "slurm"
    }

    async fn provision(&self, spec: &Spec) -> Result<Placement, DriverError> {
        if spec.kind == Kind::Storage {
            return self.storage.provision(spec).await;
        }
        if let Some(existing) = self.live_jobs(spec).await?.first() {
            tracing::info!(job = existing.job_id, resource = %spec.name, "found the job an earlier attempt submitted");
            let (_, keeps_prefix) = self.script(spec);
            return Ok(Placement {
                external_id: existing.job_id.to_string(),
                endpoint: String::new(),
                keeps_prefix,
            });
        }
        self.submit(spec).await
    }

    async fn status(&self, spec: &Spec, placement: &Placement) -> Result<Health, DriverError> {
        if spec.kind == Kind::Storage {
            return self.storage.status(spec, placement).await;
        }
        let Some(job) = self.job(&placement.external_id).await? else {
            return Ok(Health::Missing);
        };
        if let Some(failed) = finished(&job.job_state) {
            return Ok(if failed {
                let tail = super::command::log_tail(&self.log_path(spec));
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
        let Some(endpoint) = self.endpoint(spec) else {
            return Ok(Health::Starting);
        };
        let path = if placement.keeps_prefix {
            spec.base_url.as_str()
        } else {
            "/"
        };
        match self
            .http
            .get(format!("http://{endpoint}{path}"))
            .timeout(Duration::from_secs(2))
            .send()
            .await
        {
            Ok(r) if r.status().as_u16() < 500 => Ok(Health::Ready),
            _ => Ok(Health::Starting),
        }
    }

    async fn usage(&self, spec: &Spec) -> Option<u64> {
        self.storage.usage(spec).await
    }

    async fn nodes(&self) -> Result<Option<Vec<Node>>, DriverError> {
        self.list_nodes().await.map(Some)
    }

    async fn locate(&self, spec: &Spec, placement: &Placement) -> Result<Placement, DriverError> {
        if spec.kind == Kind::Storage {
            return Ok(placement.clone());
        }
        Ok(Placement {
            endpoint: self.endpoint(spec).unwrap_or_default(),
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
        if spec.kind == Kind::Storage {
            return self.storage.destroy(spec, placement).await;
        }
        self.cancel_all(spec, placement).await?;
        remove(&self.dir(spec))?;
        remove(&self.log_path(spec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
