//! The worker: claims due jobs under a lease, renews the lease while a step runs, drives the
//! resource through the driver, and records the outcome. Several may run at once, in one process
//! or many, against one database: the claim and the lease token keep each job to one of them.

use super::driver::{Driver, DriverError, Health, Placement, Spec};
use crate::failpoint;
use campus_core::clock::now_ms;
use campus_core::requests::lifecycle::{Event, State};
use campus_core::requests::retry::LEASE_MS;
use campus_core::services::provisioning::{self, Outcome};
use campus_core::store::jobs::{self, Job, JobKind};
use campus_core::store::resources::{self, Resource};
use campus_core::Db;
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct Worker {
    pub db: Db,
    pub driver: Arc<dyn Driver>,
    pub ready_timeout: Duration,
    /// How long a claim holds a job without renewal; renewed every third of it.
    pub lease_ms: i64,
    /// Names this worker in lease tokens and logs.
    pub id: String,
    /// Granted datasets linked into workspaces, kept in step by the sweep.
    pub mounts: Option<Arc<crate::provision::mounts::Mounts>>,
    pub releases: Option<Arc<crate::provision::releases::ReleaseWatch>>,
}

/// How one attempt at a job ended.
enum Attempt {
    Done(Outcome),
    Failed { reason: String, permanent: bool },
}

impl Worker {
    pub fn new(db: Db, driver: Arc<dyn Driver>, ready_timeout: Duration) -> Worker {
        let id = format!(
            "{}-{:08x}",
            std::process::id(),
            rand::thread_rng().gen::<u32>()
        );
        Worker {
            db,
            driver,
            ready_timeout,
            lease_ms: LEASE_MS,
            id,
            mounts: None,
            releases: None,
        }
    }

    pub fn with_releases(self, watch: crate::provision::releases::ReleaseWatch) -> Worker {
        Worker {
            releases: Some(Arc::new(watch)),
            ..self
        }
    }

    /// A shorter or longer lease than the standard 30 s (WORKER_LEASE_SECS).
    pub fn with_mounts(self, mounts: crate::provision::mounts::Mounts) -> Worker {
        Worker {
            mounts: Some(Arc::new(mounts)),
            ..self
        }
    }

    pub fn with_lease(self, lease: Duration) -> Worker {
        Worker {
            lease_ms: (lease.as_millis() as i64).max(300),
            ..self
        }
    }

    /// Runs `concurrency` claim loops until the process ends.
    pub async fn run(self, concurrency: usize) {
        tracing::info!(worker = %self.id, driver = self.driver.name(), concurrency, "worker started");
        let mut loops = Vec::new();
        let sweeper = self.clone();
        loops.push(tokio::spawn(async move { sweeper.sweep_loop().await }));
        let trainer = self.clone();
        loops.push(tokio::spawn(async move { trainer.training_loop().await }));
        let reserver = self.clone();
        loops.push(tokio::spawn(
            async move { reserver.reservation_loop().await },
        ));
        for n in 0..concurrency.max(1) {
            let w = self.clone();
            loops.push(tokio::spawn(async move { w.claim_loop(n).await }));
        }
        for l in loops {
            let _ = l.await;
        }
    }

    /// Makes and removes training sessions' sandboxes. More often than the other sweeps:
    /// sessions are booked to the minute, and a sandbox should be ready soon after its lead
    /// time and gone soon after the grace period.
    async fn training_loop(&self) {
        let mut every = tokio::time::interval(Duration::from_secs(15));
        loop {
            every.tick().await;
            match campus_core::services::training_sessions::sweep(
                &self.db,
                campus_core::clock::now(),
            )
            .await
            {
                Ok(s) if s != Default::default() => tracing::info!(?s, "training sessions"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "training session sweep failed"),
            }
        }
    }

    /// Keeps the engine's booking reservations in step with the bookings, every few seconds so
    /// a booking's reservation (or the engine's refusal of it) follows soon after it is made.
    async fn reservation_loop(&self) {
        let mut every = tokio::time::interval(Duration::from_secs(3));
        loop {
            every.tick().await;
            match super::reservations::reconcile(
                &self.db,
                self.driver.as_ref(),
                campus_core::clock::now(),
            )
            .await
            {
                Ok(r) if r != Default::default() => tracing::info!(?r, "booking reservations"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "booking reservations failed"),
            }
        }
    }

    /// Runs the lifecycle sweep (reminders, expiry, removal, idle stop) and the review deadline
    /// reminders and the retention date reminders every minute, and
    /// refreshes the inventory from the engine when the engine keeps one.
    async fn sweep_loop(&self) {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            if let Err(e) = self.sync_nodes().await {
                tracing::warn!(error = %e, "could not read the engine's nodes");
            }
            if let Err(e) = self.measure_storage().await {
                tracing::warn!(error = %e, "could not measure storage");
            }
            let (now, today) = (campus_core::clock::now(), campus_core::clock::today());
            match campus_core::services::lifecycle::sweep(&self.db, today, now).await {
                Ok(s) if s != Default::default() => tracing::info!(?s, "lifecycle sweep"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "lifecycle sweep failed"),
            }
            match campus_core::services::bookings::sweep(&self.db, now).await {
                Ok(s) if s != Default::default() => tracing::info!(?s, "accelerator bookings"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "booking sweep failed"),
            }
            match campus_core::services::acquisitions::remind_deadlines(&self.db, now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reminders = n, "review deadline reminders"),
                Err(e) => tracing::warn!(error = %e, "review deadline reminders failed"),
            }
            if let Some(w) = &self.releases {
                match w.sweep(&self.db).await {
                    Ok(s) if s.lapsed > 0 => tracing::warn!(?s, "released snapshots"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "watching released snapshots failed"),
                }
            }
            match campus_core::services::output_checks::remind_deadlines(&self.db, now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reminders = n, "output check deadline reminders"),
                Err(e) => tracing::warn!(error = %e, "output check deadline reminders failed"),
            }
            if let Some(m) = &self.mounts {
                match m.sync(&self.db).await {
                    Ok(s) if s != Default::default() => tracing::info!(?s, "dataset links"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "dataset links failed"),
                }
            }
            match campus_core::services::datasets::remind_retention(&self.db, today).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reminders = n, "retention date reminders"),
                Err(e) => tracing::warn!(error = %e, "retention date reminders failed"),
            }
        }
    }

    /// Measures what each live storage resource holds, for its page.
    pub async fn measure_storage(&self) -> Result<(), campus_core::CoreError> {
        let live =
            resources::in_states(&self.db, &[State::Active, State::Stopped, State::Expiring])
                .await?;
        for r in live
            .iter()
            .filter(|r| r.kind == campus_core::requests::kind::Kind::Storage)
        {
            if let Some(bytes) = self.driver.usage(&Spec::of(r)).await {
                resources::set_usage(&self.db, r.id, bytes as i64, campus_core::clock::now())
                    .await?;
            }
        }
        Ok(())
    }

    /// Records the engine's machines as the inventory (Slurm's nodes, under site `SLURM`).
    pub async fn sync_nodes(&self) -> Result<(), DriverError> {
        let Some(nodes) = self.driver.nodes().await? else {
            return Ok(());
        };
        let hosts: Vec<campus_core::store::inventory::EngineHost> = nodes
            .iter()
            .map(|n| campus_core::store::inventory::EngineHost {
                name: &n.name,
                cores: n.cpus,
                ram_gb: n.ram_gb,
                gpus: n.gpus,
                gpu_model: &n.gpu_model,
                alloc_cores: n.alloc_cpus,
                alloc_ram_gb: n.alloc_ram_gb,
                alloc_gpus: n.alloc_gpus,
            })
            .collect();
        campus_core::store::inventory::sync_engine_hosts(&self.db, "SLURM", "Slurm cluster", &hosts)
            .await
            .map_err(|e| DriverError::Transient(e.to_string()))
    }

    async fn claim_loop(&self, n: usize) {
        let mut idle = Duration::from_millis(20);
        loop {
            match self.run_one().await {
                Ok(true) => idle = Duration::from_millis(20),
                Ok(false) => {
                    tokio::time::sleep(idle).await;
                    idle = (idle * 2).min(Duration::from_millis(250));
                }
                Err(e) => {
                    tracing::warn!(worker = %self.id, loop_no = n, error = %e, "queue unavailable");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Claims and runs one job; false when none was due.
    pub async fn run_one(&self) -> Result<bool, campus_core::CoreError> {
        let token = format!("{}:{:016x}", self.id, rand::thread_rng().gen::<u64>());
        let Some(job) = jobs::claim(&self.db, &token, now_ms(), self.lease_ms).await? else {
            return Ok(false);
        };
        failpoint::hit("claimed");
        tracing::debug!(
            job = job.id,
            kind = job.kind.as_str(),
            resource = job.resource_id,
            attempt = job.attempts,
            "claimed"
        );
        let renew = {
            let (db, id, token) = (self.db.clone(), job.id, job.lease_token.clone());
            let lease = self.lease_ms;
            async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(lease as u64 / 3)).await;
                    match jobs::renew(&db, id, &token, now_ms() + lease).await {
                        Ok(true) => {}
                        Ok(false) => return,
                        Err(e) => tracing::warn!(error = %e, "lease renewal failed"),
                    }
                }
            }
        };
        let resource = resources::find(&self.db, job.resource_id).await?;
        let attempt = tokio::select! {
            a = self.attempt(&job, resource.as_ref()) => a,
            () = renew => {
                tracing::warn!(job = job.id, "lease lost; another worker will finish this job");
                return Ok(true);
            }
        };
        // Read again: the step may have moved the resource on (provisioning starts).
        let resource = resources::find(&self.db, job.resource_id).await?;
        match attempt {
            Attempt::Done(outcome) => {
                if let Some(r) = &resource {
                    provisioning::succeed(&self.db, &job, r, outcome).await?;
                } else {
                    // Nothing else to record: one autocommitted statement, not a transaction.
                    let mut conn = self.db.pool.acquire().await?;
                    jobs::complete(&mut conn, job.id, &job.lease_token, now_ms()).await?;
                }
            }
            Attempt::Failed { reason, permanent } => {
                tracing::warn!(job = job.id, %reason, permanent, "job attempt failed");
                let last = permanent || job.attempts >= job.max_attempts;
                if last && job.kind == JobKind::Provision {
                    // Leave nothing behind of a half-done provision: retry starts clean.
                    if let Some(r) = &resource {
                        let _ = self.driver.destroy(&Spec::of(r), &placement_of(r)).await;
                        let _ = resources::set_placement(&self.db, r.id, "", "", "").await;
                    }
                }
                let jitter: f64 = rand::thread_rng().gen();
                provisioning::fail(
                    &self.db,
                    &job,
                    resource.as_ref(),
                    &reason,
                    permanent,
                    jitter,
                )
                .await?;
            }
        }
        Ok(true)
    }

    async fn attempt(&self, job: &Job, resource: Option<&Resource>) -> Attempt {
        let Some(r) = resource else {
            return Attempt::Done(Outcome {
                event: None,
                note: String::new(),
                notify: None,
            });
        };
        match self.step(job, r).await {
            Ok(o) => Attempt::Done(o),
            Err(DriverError::Transient(reason)) => Attempt::Failed {
                reason,
                permanent: false,
            },
            Err(DriverError::Permanent(reason)) => Attempt::Failed {
                reason,
                permanent: true,
            },
        }
    }

    /// One job's work. Each branch first checks whether it is already done, so a job that ran
    /// before a crash is finished, not repeated.
    async fn step(&self, job: &Job, r: &Resource) -> Result<Outcome, DriverError> {
        let mut spec = Spec::of(r);
        if matches!(job.kind, JobKind::Provision | JobKind::Start) {
            spec.reservation = campus_core::services::bookings::reservation_for(
                &self.db,
                r.project_id,
                r.amounts.gpus,
                campus_core::clock::now(),
            )
            .await
            .map_err(|e| DriverError::Transient(e.to_string()))?;
        }
        let nothing = || Outcome {
            event: None,
            note: String::new(),
            notify: None,
        };
        match job.kind {
            JobKind::Noop => Ok(nothing()),
            JobKind::Provision => {
                if !matches!(r.state, State::Approved | State::Provisioning) {
                    return Ok(nothing());
                }
                provisioning::begin_provisioning(&self.db, r, self.driver.name())
                    .await
                    .map_err(|e| DriverError::Transient(e.to_string()))?;
                failpoint::hit("provisioning-recorded");
                self.bring_up(&spec, r, None).await?;
                Ok(Outcome {
                    event: Some(Event::Provisioned),
                    note: "Ready".to_owned(),
                    notify: Some((
                        format!("{} is ready", r.offering_name),
                        "You can use it now.".to_owned(),
                    )),
                })
            }
            JobKind::Start => {
                if r.state != State::Stopped {
                    return Ok(nothing());
                }
                self.bring_up(&spec, r, Some(&placement_of(r))).await?;
                Ok(Outcome {
                    event: Some(Event::Start),
                    note: "Started".to_owned(),
                    notify: None,
                })
            }
            JobKind::Stop | JobKind::Expire => {
                let (event, note) = if job.kind == JobKind::Stop {
                    (Event::Stop, "Stopped")
                } else {
                    (Event::BeginExpiry, "Stopped: its end date has passed")
                };
                if campus_core::requests::lifecycle::transition(r.state, &event).is_err() {
                    return Ok(nothing());
                }
                self.driver.stop(&spec, &placement_of(r)).await?;
                failpoint::hit("stopping");
                Ok(Outcome {
                    event: Some(event),
                    note: note.to_owned(),
                    notify: None,
                })
            }
            JobKind::Restart => {
                // Only a running one: a stopped one starts from the right files when started.
                if r.state != State::Active {
                    return Ok(nothing());
                }
                let placed = placement_of(r);
                self.driver.stop(&spec, &placed).await?;
                self.bring_up(&spec, r, Some(&placed)).await?;
                Ok(Outcome {
                    event: None,
                    note: String::new(),
                    notify: r.released.as_ref().map(|_| {
                        (
                            format!("{} is public", r.offering_name),
                            "Two output checkers approved it: it now serves, read-only, \
                             exactly the files they checked."
                                .to_owned(),
                        )
                    }),
                })
            }
            JobKind::Destroy => {
                if r.state == State::Decommissioned {
                    return Ok(nothing());
                }
                self.driver.destroy(&spec, &placement_of(r)).await?;
                failpoint::hit("destroying");
                Ok(Outcome {
                    event: Some(Event::Decommission),
                    note: "Removed, with everything it held".to_owned(),
                    notify: Some((
                        format!("{} was removed", r.offering_name),
                        "It and its files are gone.".to_owned(),
                    )),
                })
            }
        }
    }

    /// Provisions or starts, records where it went at once, then waits until it answers.
    async fn bring_up(
        &self,
        spec: &Spec,
        r: &Resource,
        stopped: Option<&Placement>,
    ) -> Result<Placement, DriverError> {
        let placement = match stopped {
            None => self.driver.provision(spec).await?,
            Some(p) => self.driver.start(spec, p).await?,
        };
        failpoint::hit("launched");
        resources::set_placement(
            &self.db,
            r.id,
            self.driver.name(),
            &placement.external_id,
            &placement.endpoint_record(),
        )
        .await
        .map_err(|e| DriverError::Transient(e.to_string()))?;
        failpoint::hit("placed");
        let deadline = tokio::time::Instant::now() + self.ready_timeout;
        let mut wait = Duration::from_millis(25);
        loop {
            match self.driver.status(spec, &placement).await? {
                Health::Ready => {
                    let located = self.driver.locate(spec, &placement).await?;
                    if located != placement {
                        resources::set_placement(
                            &self.db,
                            r.id,
                            self.driver.name(),
                            &located.external_id,
                            &located.endpoint_record(),
                        )
                        .await
                        .map_err(|e| DriverError::Transient(e.to_string()))?;
                    }
                    failpoint::hit("ready");
                    return Ok(located);
                }
                Health::Failed(reason) => return Err(DriverError::Permanent(reason)),
                Health::Killed(reason) => return Err(DriverError::Transient(reason)),
                Health::Missing | Health::Stopped => {
                    return Err(DriverError::Transient(
                        "it stopped before it was ready".to_owned(),
                    ))
                }
                Health::Starting => {}
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(DriverError::Permanent(format!(
                    "it did not answer within {} seconds of starting",
                    self.ready_timeout.as_secs()
                )));
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_millis(200));
        }
    }
}

pub fn placement_of(r: &Resource) -> Placement {
    Placement::from_record(&r.external_id, &r.endpoint)
}
