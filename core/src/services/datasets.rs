//! The dataset catalogue: datasets made by approved acquisitions, their versions from scanned
//! uploads, quarantined uploads, and access grants to projects with revocations.

use crate::acquisitions::decision::State;
use crate::authz::{self, Action, Actor, Object};
use crate::clock;
use crate::db::Db;
use crate::domain::Role;
use crate::error::CoreError;
use crate::paging::{self, Page};
use crate::services::audit_context;
use crate::store::acquisitions as acquisitions_store;
use crate::store::datasets::{self as store, Dataset, FileRow, Grant, Upload, Version};
use crate::store::{notifications, projects, users};
use serde::{Deserialize, Serialize};

fn me(actor: Option<&Actor>) -> i64 {
    actor.map(|a| a.user_id).unwrap_or_default()
}

async fn record(
    conn: &mut sqlx::AnyConnection,
    actor: Option<&Actor>,
    action: &str,
    id: i64,
    before: &str,
    after: &str,
) -> Result<(), sqlx::Error> {
    audit_context::record(conn, actor, "dataset", action, id, before, after).await
}

/// Keeps the dataset findable by Campus staff under its current terms.
pub(crate) async fn index(
    conn: &mut sqlx::AnyConnection,
    dataset_id: i64,
    terms: &store::NewDataset<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    crate::store::search::put(
        conn,
        &crate::store::search::Document {
            kind: crate::store::search::Kind::Dataset,
            ref_id: dataset_id,
            audience: crate::store::search::Audience::Staff,
            title: terms.title,
            body: &format!("{} {}", terms.description, terms.source),
            url: &format!("/datasets/{dataset_id}"),
        },
        now,
    )
    .await
}

/// The dataset an approved acquisition brings data into, if the actor may upload to it (its
/// applicant or a collaborator).
pub async fn uploadable(
    db: &Db,
    actor: Option<&Actor>,
    acquisition_id: i64,
) -> Result<Dataset, CoreError> {
    let a = acquisitions_store::find(db, acquisition_id)
        .await?
        .ok_or(CoreError::NotFound("application"))?;
    let collaborators = acquisitions_store::collaborators(db, acquisition_id).await?;
    authz::check(
        actor,
        Action::EditAcquisition,
        Object::Acquisition {
            applicant_id: a.applicant_id,
            actor_is_collaborator: collaborators.iter().any(|c| c.0 == me(actor)),
        },
    )?;
    if a.state == State::Closed {
        return Err(CoreError::field(
            "files",
            "This dataset is closed and its data deleted: nothing more can be uploaded",
        ));
    }
    if a.amending {
        return Err(CoreError::field(
            "files",
            "An amendment of this application is being reviewed: upload once it is decided",
        ));
    }
    if a.state != State::Approved {
        return Err(CoreError::field(
            "files",
            "Data can be uploaded only once the application is approved",
        ));
    }
    store::for_acquisition(db, acquisition_id)
        .await?
        .ok_or(CoreError::NotFound("dataset"))
}

/// One file received and scanned.
#[derive(Debug, Clone)]
pub struct Received {
    pub file: FileRow,
    /// The signature clamd found; `None` when clean.
    pub infected: Option<String>,
}

/// What an upload came to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ingested {
    /// The new version's number, when any file was clean.
    pub version: Option<i64>,
    pub clean: Vec<String>,
    /// (file name, signature) of each quarantined file.
    pub quarantined: Vec<(String, String)>,
}

/// Records scanned files: every file as an upload; the clean ones together as the dataset's next
/// version; infected ones quarantined and reported to the uploader and to data control.
pub async fn record_uploads(
    db: &Db,
    actor: Option<&Actor>,
    dataset: &Dataset,
    files: &[Received],
) -> Result<Ingested, CoreError> {
    let now = clock::now();
    let mut out = Ingested::default();
    let mut tx = db.pool.begin().await?;
    for f in files {
        store::record_upload(
            &mut tx,
            dataset.id,
            me(actor),
            &f.file,
            f.infected.as_deref(),
            now,
        )
        .await?;
        match &f.infected {
            Some(sig) => out.quarantined.push((f.file.name.clone(), sig.clone())),
            None => out.clean.push(f.file.name.clone()),
        }
    }
    let clean: Vec<FileRow> = files
        .iter()
        .filter(|f| f.infected.is_none())
        .map(|f| f.file.clone())
        .collect();
    if !clean.is_empty() {
        let n = store::add_version(&mut tx, dataset.id, me(actor), &clean, now).await?;
        let listed: Vec<String> = clean
            .iter()
            .map(|f| format!("{} ({} bytes, sha256 {})", f.name, f.bytes, f.sha256))
            .collect();
        record(
            &mut tx,
            actor,
            "dataset.version",
            dataset.id,
            "",
            &format!("version {n}: {}", listed.join("; ")),
        )
        .await?;
        out.version = Some(n);
    }
    if !out.quarantined.is_empty() {
        let what: Vec<String> = out
            .quarantined
            .iter()
            .map(|(n, s)| format!("{n} ({s})"))
            .collect();
        let body = format!(
            "Quarantined, not added to {}: {}",
            dataset.title,
            what.join("; ")
        );
        record(&mut tx, actor, "dataset.quarantine", dataset.id, "", &body).await?;
        let link = format!("/datasets/{}", dataset.id);
        let mut to = vec![me(actor)];
        to.extend(users::ids_with_role(&mut tx, Role::Reviewer).await?);
        to.sort_unstable();
        to.dedup();
        for u in to {
            notifications::insert(
                &mut tx,
                u,
                "An upload was quarantined: malware found",
                &body,
                &link,
                now,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(out)
}

/// A page of the catalogue by title, searched by title, description or source.
pub async fn list(
    db: &Db,
    actor: Option<&Actor>,
    q: &str,
    after: Option<i64>,
    size: usize,
) -> Result<Page<Dataset>, CoreError> {
    authz::check(actor, Action::ListDatasets, Object::Portal)?;
    let rows = store::search(db, q, after, paging::fetch_limit(size)).await?;
    Ok(Page::from_rows(rows, size, |d| d.id))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetDetail {
    pub dataset: Dataset,
    pub certificate: Option<store::Certificate>,
    pub versions: Vec<Version>,
    pub uploads: Vec<Upload>,
    pub grants: Vec<Grant>,
    pub can_manage: bool,
    /// Projects a grant may go to: (id, name).
    pub projects: Vec<(i64, String)>,
}

pub async fn detail(db: &Db, actor: Option<&Actor>, id: i64) -> Result<DatasetDetail, CoreError> {
    authz::check(actor, Action::ListDatasets, Object::Portal)?;
    let dataset = store::find(db, id)
        .await?
        .ok_or(CoreError::NotFound("dataset"))?;
    let can_manage = authz::check(actor, Action::ManageGrants, Object::Portal).is_ok();
    let projects = if can_manage {
        projects::list_all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect()
    } else {
        Vec::new()
    };
    Ok(DatasetDetail {
        certificate: store::certificate(db, id).await?,
        versions: store::versions(db, id).await?,
        uploads: store::uploads(db, id).await?,
        grants: store::grants(db, id).await?,
        can_manage,
        projects,
        dataset,
    })
}

fn reason(raw: &str, what: &str) -> Result<String, CoreError> {
    let r = raw.trim();
    if r.is_empty() {
        return Err(CoreError::field(
            "reason",
            format!("Give the reason for the {what}: it is recorded"),
        ));
    }
    if r.chars().count() > 1000 {
        return Err(CoreError::field(
            "reason",
            "Keep the reason to 1000 characters or fewer",
        ));
    }
    Ok(r.to_owned())
}

/// Grants a project access to a dataset, with the reason recorded.
pub async fn grant(
    db: &Db,
    actor: Option<&Actor>,
    dataset_id: i64,
    project_id: &str,
    why: &str,
) -> Result<(), CoreError> {
    authz::check(actor, Action::ManageGrants, Object::Portal)?;
    let dataset = store::find(db, dataset_id)
        .await?
        .ok_or(CoreError::NotFound("dataset"))?;
    let project = match project_id.trim().parse::<i64>() {
        Ok(pid) => projects::find(db, pid).await?,
        Err(_) => None,
    }
    .ok_or_else(|| CoreError::field("project", "Choose the project to grant access to"))?;
    if dataset.closed_at.is_some() {
        return Err(CoreError::field(
            "project",
            "This dataset is closed and its data deleted: no access can be granted",
        ));
    }
    let why = reason(why, "grant")?;
    let now = clock::now();
    let mut tx = db.pool.begin().await?;
    if !store::grant(&mut tx, dataset_id, project.id, me(actor), &why, now).await? {
        return Err(CoreError::field(
            "project",
            format!("{} already has access to this dataset", project.name),
        ));
    }
    record(
        &mut tx,
        actor,
        "dataset.grant",
        dataset_id,
        "",
        &format!("project {} ({}): {why}", project.id, project.name),
    )
    .await?;
    let body = format!(
        "{} may now use {}. Conditions: {}",
        project.name,
        dataset.title,
        if dataset.conditions.is_empty() {
            "none".to_owned()
        } else {
            dataset.conditions.join("; ")
        }
    );
    let mut to: Vec<i64> = projects::members(db, project.id)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .chain([project.lead_id])
        .collect();
    to.sort_unstable();
    to.dedup();
    for u in to {
        notifications::insert(
            &mut tx,
            u,
            "Your project was granted access to a dataset",
            &body,
            &format!("/datasets/{dataset_id}"),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Revokes a grant, with the reason recorded.
pub async fn revoke(
    db: &Db,
    actor: Option<&Actor>,
    grant_id: i64,
    why: &str,
) -> Result<Grant, CoreError> {
    authz::check(actor, Action::ManageGrants, Object::Portal)?;
    let g = store::find_grant(db, grant_id)
        .await?
        .ok_or(CoreError::NotFound("grant"))?;
    let why = reason(why, "revocation")?;
    let mut tx = db.pool.begin().await?;
    if !store::revoke(&mut tx, grant_id, me(actor), &why, clock::now()).await? {
        return Err(CoreError::field("reason", "This grant was already revoked"));
    }
    record(
        &mut tx,
        actor,
        "dataset.revoke",
        g.dataset_id,
        &format!("project {} ({})", g.project_id, g.project_name),
        &why,
    )
    .await?;
    tx.commit().await?;
    Ok(g)
}

/// An open dataset the actor may close (data control reviewers and administrators).
pub async fn closable(db: &Db, actor: Option<&Actor>, id: i64) -> Result<Dataset, CoreError> {
    authz::check(actor, Action::ManageGrants, Object::Portal)?;
    let d = store::find(db, id)
        .await?
        .ok_or(CoreError::NotFound("dataset"))?;
    if d.closed_at.is_some() {
        return Err(CoreError::field("reason", "This dataset is already closed"));
    }
    Ok(d)
}

/// Closes a dataset: every grant revoked, its acquisition closed, owner and projects told.
/// Returns the files to delete; [`certify_deletion`] records what deleting them came to.
pub async fn close(
    db: &Db,
    actor: Option<&Actor>,
    dataset: &Dataset,
    why: &str,
) -> Result<Vec<FileRow>, CoreError> {
    let why = reason(why, "closure")?;
    let files = store::stored_files(db, dataset.id).await?;
    let grants = store::grants(db, dataset.id).await?;
    let now = clock::now();
    let mut tx = db.pool.begin().await?;
    if !store::close(&mut tx, dataset.id, me(actor), &why, now).await? {
        return Err(CoreError::field("reason", "This dataset is already closed"));
    }
    let revoked = store::revoke_all(
        &mut tx,
        dataset.id,
        me(actor),
        &format!("dataset closed: {why}"),
        now,
    )
    .await?;
    // Only an approved acquisition closes: one being amended must be decided or withdrawn first
    // (the transaction is dropped, so nothing above is kept).
    if !acquisitions_store::transition(
        &mut tx,
        dataset.acquisition_id,
        State::Approved,
        State::Closed,
        Some(me(actor)),
        &format!("closed: {why}"),
        &acquisitions_store::Change::default(),
        now,
    )
    .await?
    {
        return Err(CoreError::field(
            "reason",
            "An amendment of this dataset's application is being reviewed: decide or withdraw it before closing the dataset",
        ));
    }
    crate::store::search::remove(&mut tx, crate::store::search::Kind::Dataset, dataset.id).await?;
    record(
        &mut tx,
        actor,
        "dataset.close",
        dataset.id,
        "",
        &format!(
            "{why}; {revoked} grant(s) revoked; {} file(s) to delete",
            files.len()
        ),
    )
    .await?;
    let mut to: Vec<i64> = vec![dataset.owner_id];
    for g in grants.iter().filter(|g| g.revoked_at.is_none()) {
        to.extend(
            projects::members(db, g.project_id)
                .await?
                .into_iter()
                .map(|m| m.user_id),
        );
    }
    to.sort_unstable();
    to.dedup();
    let body = format!("{} is closed and its data deleted: {why}", dataset.title);
    for u in to {
        notifications::insert(
            &mut tx,
            u,
            "A dataset was closed",
            &body,
            &format!("/datasets/{}", dataset.id),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(files)
}

/// Records the deletion certificate: every file deleted, with its checksum, and any that could
/// not be.
pub async fn certify_deletion(
    db: &Db,
    actor: Option<&Actor>,
    dataset_id: i64,
    deleted: &[FileRow],
    failures: &[String],
) -> Result<(), CoreError> {
    let mut tx = db.pool.begin().await?;
    store::add_certificate(
        &mut tx,
        dataset_id,
        me(actor),
        deleted,
        failures,
        clock::now(),
    )
    .await?;
    let listed: Vec<String> = deleted
        .iter()
        .map(|f| format!("{} sha256 {}", f.name, f.sha256))
        .collect();
    let after = if failures.is_empty() {
        format!("deleted: {}", listed.join("; "))
    } else {
        format!(
            "deleted: {}; NOT deleted: {}",
            listed.join("; "),
            failures.join("; ")
        )
    };
    record(&mut tx, actor, "dataset.delete", dataset_id, "", &after).await?;
    tx.commit().await?;
    Ok(())
}

/// Reminds each open dataset's owner and data control before its retention date (30, 7 and 0
/// days), once each. Returns how many reminders went.
pub async fn remind_retention(db: &Db, today: time::Date) -> Result<usize, CoreError> {
    let mut sent = 0;
    for d in store::open(db).await? {
        let Some(keep) = clock::parse_date(&d.retention_date) else {
            continue;
        };
        let Some(days) =
            crate::acquisitions::retention::reminder_due(keep, today, d.retention_reminded)
        else {
            continue;
        };
        if !store::mark_retention_reminded(db, d.id, days, d.retention_reminded).await? {
            continue;
        }
        let mut tx = db.pool.begin().await?;
        let mut to = users::ids_with_role(&mut tx, Role::Reviewer).await?;
        to.push(d.owner_id);
        to.sort_unstable();
        to.dedup();
        let subject = if days == 0 {
            format!("{} reaches its retention date today", d.title)
        } else {
            format!("{} reaches its retention date in {days} days", d.title)
        };
        let body = format!(
            "Kept until {}. Close it (its data is deleted) or apply to renew it.",
            d.retention_date
        );
        for u in to {
            notifications::insert(
                &mut tx,
                u,
                &subject,
                &body,
                &format!("/datasets/{}", d.id),
                clock::now(),
            )
            .await?;
            sent += 1;
        }
        tx.commit().await?;
    }
    Ok(sent)
}

/// The datasets a project may use now (its live grants): for anyone who may see the project.
pub async fn granted_to_project(
    db: &Db,
    actor: Option<&Actor>,
    project_id: i64,
) -> Result<Vec<Grant>, CoreError> {
    crate::services::projects::view(db, actor, project_id).await?;
    Ok(store::granted_to_project(db, project_id).await?)
}
