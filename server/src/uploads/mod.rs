//! Uploading data for an approved acquisition, and deleting it when its dataset closes.
//! Uploads: each file is streamed to disk under a size limit
//! while its SHA-256 is taken, scanned by clamd, then kept as part of the dataset's next version
//! (clean) or quarantined (infected). If any file cannot be received or scanned, nothing from
//! the upload is kept.

pub mod scanner;

use crate::auth::actor::Acting;
use crate::state::AppState;
use crate::uploads::scanner::{Scanner, Verdict};
use crate::web::flash::{back_to_form, notice, refused, see_other};
use axum::extract::{Multipart, Path, State};
use axum::response::Response;
use campus_core::acquisitions::ingest;
use campus_core::services::datasets::{self, Received};
use campus_core::store::datasets::FileRow;
use campus_core::{CoreError, FieldErrors};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;
use tower_sessions::Session;

/// A file received into the incoming folder, not yet scanned.
struct Incoming {
    name: String,
    tmp: PathBuf,
    bytes: u64,
    sha256: String,
}

async fn discard(files: &[Incoming]) {
    for f in files {
        let _ = tokio::fs::remove_file(&f.tmp).await;
    }
}

/// Receives every `files` part; on any problem, removes what was received and says why.
async fn receive(
    multipart: &mut Multipart,
    incoming: &std::path::Path,
    max: u64,
) -> Result<Vec<Incoming>, String> {
    let mut got: Vec<Incoming> = Vec::new();
    let failed = |got: Vec<Incoming>, why: String| async move {
        discard(&got).await;
        Err(why)
    };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                return failed(
                    got,
                    format!(
                        "The upload is larger than the {} limit",
                        campus_core::units::bytes(max)
                    ),
                )
                .await
            }
            Err(e) => {
                return failed(
                    got,
                    format!(
                        "The upload was cut off ({}): nothing was kept, try again",
                        e.body_text()
                    ),
                )
                .await
            }
        };
        let mut field = field;
        if field.name() != Some("files") {
            continue;
        }
        let raw = field.file_name().unwrap_or_default().to_owned();
        // A file input with nothing chosen still sends an empty part with no name.
        if raw.is_empty() {
            continue;
        }
        let name = match ingest::file_name(&raw) {
            Ok(n) => n,
            Err(why) => return failed(got, why).await,
        };
        let tmp = incoming.join(format!("{:016x}", rand::random::<u64>()));
        let mut out = match tokio::fs::File::create(&tmp).await {
            Ok(f) => f,
            Err(e) => return failed(got, format!("The upload could not be stored: {e}")).await,
        };
        let mut hasher = Sha256::new();
        let mut bytes: u64 = 0;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    bytes += chunk.len() as u64;
                    if bytes > max {
                        let _ = tokio::fs::remove_file(&tmp).await;
                        return failed(got, ingest::check_size(&name, bytes, max).unwrap_err())
                            .await;
                    }
                    hasher.update(&chunk);
                    if let Err(e) = out.write_all(&chunk).await {
                        let _ = tokio::fs::remove_file(&tmp).await;
                        return failed(got, format!("The upload could not be stored: {e}")).await;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = tokio::fs::remove_file(&tmp).await;
                    return failed(
                        got,
                        format!(
                            "The upload of {name} was cut off ({}): nothing was kept, try again",
                            e.body_text()
                        ),
                    )
                    .await;
                }
            }
        }
        if let Err(e) = out.flush().await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return failed(got, format!("The upload could not be stored: {e}")).await;
        }
        if let Err(why) = ingest::check_size(&name, bytes, max) {
            let _ = tokio::fs::remove_file(&tmp).await;
            return failed(got, why).await;
        }
        got.push(Incoming {
            name,
            tmp,
            bytes,
            sha256: hex::encode(hasher.finalize()),
        });
    }
    if got.is_empty() {
        return Err("Choose at least one file to upload".into());
    }
    Ok(got)
}

/// Why an upload kept nothing.
pub enum IngestFailure {
    /// Not allowed, or not now (the service's own refusal).
    Core(CoreError),
    /// The files or the scanner: said to the uploader against the `files` field.
    Refused(String),
    /// The disk failed under us.
    Internal(String),
}

/// Receives, scans and records one upload: the page and the JSON API both call this. Who may
/// upload is decided before a byte of the body is read.
pub async fn ingest(
    state: &AppState,
    actor: Option<&campus_core::authz::Actor>,
    id: i64,
    multipart: &mut Multipart,
) -> Result<(campus_core::store::datasets::Dataset, datasets::Ingested), IngestFailure> {
    let dataset = datasets::uploadable(&state.db, actor, id)
        .await
        .map_err(IngestFailure::Core)?;
    let cfg = &state.config.ingest;
    let root = PathBuf::from(&cfg.dataset_dir);
    let (incoming, quarantine, kept) = (
        root.join("incoming"),
        root.join("quarantine"),
        root.join(dataset.id.to_string()),
    );
    for dir in [&incoming, &quarantine, &kept] {
        tokio::fs::create_dir_all(dir).await.map_err(|e| {
            IngestFailure::Internal(format!("cannot create {}: {e}", dir.display()))
        })?;
    }
    let files = receive(multipart, &incoming, cfg.max_file_bytes)
        .await
        .map_err(IngestFailure::Refused)?;
    let scanner = Scanner::new(cfg.clamd_addr.clone());
    let mut verdicts = Vec::new();
    for f in &files {
        match scanner.scan(&f.tmp).await {
            Ok(v) => verdicts.push(v),
            Err(e) => {
                tracing::error!(error = %e, "malware scan failed");
                discard(&files).await;
                return Err(IngestFailure::Refused(format!(
                    "Nothing was kept: {e}. Try again later, or tell the Campus infrastructure team"
                )));
            }
        }
    }
    let mut received = Vec::new();
    for (f, v) in files.iter().zip(verdicts) {
        let (dir, rel, infected) = match v {
            Verdict::Clean => (&kept, format!("{}/{}", dataset.id, f.sha256), None),
            Verdict::Infected(sig) => (&quarantine, format!("quarantine/{}", f.sha256), Some(sig)),
        };
        if let Err(e) = tokio::fs::rename(&f.tmp, dir.join(&f.sha256)).await {
            discard(&files).await;
            return Err(IngestFailure::Internal(format!(
                "cannot keep {}: {e}",
                f.name
            )));
        }
        // Kept data is read-only: workspaces read it through links and never change it.
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = tokio::fs::set_permissions(
                dir.join(&f.sha256),
                std::fs::Permissions::from_mode(0o444),
            )
            .await;
        }
        received.push(Received {
            file: FileRow {
                name: f.name.clone(),
                bytes: f.bytes as i64,
                sha256: f.sha256.clone(),
                path: rel,
            },
            infected,
        });
    }
    let done = datasets::record_uploads(&state.db, actor, &dataset, &received)
        .await
        .map_err(IngestFailure::Core)?;
    Ok((dataset, done))
}

/// POST /acquisitions/{id}/uploads: multipart, one or more `files`.
pub async fn upload(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Response {
    let back = format!("/acquisitions/{id}");
    match ingest(&state, actor.as_ref(), id, &mut multipart).await {
        Ok((dataset, done)) => {
            let mut text = Vec::new();
            if let Some(n) = done.version {
                text.push(format!(
                    "Version {n} of {} holds {}.",
                    dataset.title,
                    done.clean.join(", ")
                ));
            }
            if !done.quarantined.is_empty() {
                let q: Vec<String> = done
                    .quarantined
                    .iter()
                    .map(|(n, s)| format!("{n} ({s})"))
                    .collect();
                text.push(format!(
                    "Malware was found and these files are quarantined, not added: {}. Data control has been told.",
                    q.join(", ")
                ));
            }
            notice(&session, text.join(" ")).await;
            see_other(&format!("/datasets/{}", dataset.id))
        }
        Err(IngestFailure::Core(CoreError::Invalid(e))) => {
            back_to_form(&session, "acquisition-upload", Default::default(), e, &back).await
        }
        Err(IngestFailure::Core(e)) => refused(e),
        Err(IngestFailure::Refused(why)) => {
            let mut e = FieldErrors::new();
            e.add("files", why);
            back_to_form(&session, "acquisition-upload", Default::default(), e, &back).await
        }
        Err(IngestFailure::Internal(why)) => crate::web::flash::internal(why),
    }
}

/// Closes a dataset, deletes its files (quarantined ones included) and records the deletion
/// certificate; returns how many files were deleted and how many could not be. The page and the
/// JSON API both call this.
pub async fn close_and_delete(
    state: &AppState,
    actor: Option<&campus_core::authz::Actor>,
    id: i64,
    why: &str,
) -> Result<(usize, usize), CoreError> {
    let dataset = datasets::closable(&state.db, actor, id).await?;
    let files = datasets::close(&state.db, actor, &dataset, why).await?;
    let root = PathBuf::from(&state.config.ingest.dataset_dir);
    let (mut deleted, mut failures) = (Vec::new(), Vec::new());
    for f in files {
        match tokio::fs::remove_file(root.join(&f.path)).await {
            Ok(()) => deleted.push(f),
            // Already gone (a retried closure, or removed by hand): nothing left to delete.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => deleted.push(f),
            Err(e) => failures.push(format!("{} ({}): {e}", f.name, f.path)),
        }
    }
    let _ = tokio::fs::remove_dir(root.join(id.to_string())).await;
    datasets::certify_deletion(&state.db, actor, id, &deleted, &failures).await?;
    Ok((deleted.len(), failures.len()))
}

/// POST /datasets/{id}/close: revokes every grant, deletes the dataset's files (quarantined
/// ones included) and records a deletion certificate of what was deleted and what was not.
pub async fn close_dataset(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<std::collections::BTreeMap<String, String>>,
) -> Response {
    let back = format!("/datasets/{id}");
    let why = f.get("close_reason").cloned().unwrap_or_default();
    let result = close_and_delete(&state, actor.as_ref(), id, &why).await;
    match result {
        Ok((n, 0)) => {
            notice(&session, format!("Dataset closed: every grant revoked and {n} file(s) deleted. The deletion certificate is below.")).await;
            see_other(&back)
        }
        Ok((n, failed)) => {
            notice(&session, format!("Dataset closed and {n} file(s) deleted, but {failed} could not be: the certificate lists them. Tell the Campus infrastructure team.")).await;
            see_other(&back)
        }
        Err(CoreError::Invalid(e)) => {
            let e = FieldErrors(
                e.0.into_iter()
                    .map(|(_, m)| ("close_reason".to_owned(), m))
                    .collect(),
            );
            back_to_form(&session, "dataset-grant", f, e, &back).await
        }
        Err(e) => refused(e),
    }
}
