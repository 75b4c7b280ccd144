//! Starting and running exports: instant under the limit, a background job
//! otherwise; the same runner makes the file either way.

use super::blob::BlobStore;
use super::jobs::{self, Claimed};
use super::naming;
use super::plan::{plan, Plan};
use super::sink::{Meta, SinkSpec, XlsxOptions, XLSX_MAX_DATA_ROWS};
use super::{write, ExportError, Progress};
use crate::domain::audit::{self, Entry};
use crate::domain::{AppState, GuildScope};
use crate::error::AppError;
use crate::model::export::clean_filename;
use crate::model::{
    ExportJob, ExportPreview, ExportRequest, ExportScope, ExportStarted, JobStatus,
};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How exports are made and kept (`INSTANT_EXPORT_LIMIT`,
/// `EXPORT_RETENTION_DAYS`, `EXPORT_DIR` / `EXPORT_S3_*`).
#[derive(Clone, Debug)]
pub struct ExportSettings {
    /// Exports of fewer items are made while the user waits.
    pub instant_limit: i64,
    /// How long finished files are kept.
    pub retention: chrono::Duration,
    /// Files being written (and XLSX spill files) live here until stored.
    pub work_dir: PathBuf,
    pub max_rows_per_sheet: u32,
    pub blobs: Arc<dyn BlobStore>,
    /// Caps how fast an export reads and writes, to spare a busy database
    /// (`EXPORT_MAX_ROWS_PER_SECOND`; unset means as fast as possible).
    pub max_rows_per_second: Option<u32>,
    /// Wakes this server's workers when a job is queued.
    pub wake: Arc<tokio::sync::Notify>,
}

impl ExportSettings {
    pub const DEFAULT_INSTANT_LIMIT: i64 = 1000;
    pub const DEFAULT_RETENTION_DAYS: i64 = 7;

    pub fn new(work_dir: PathBuf, blobs: Arc<dyn BlobStore>) -> Self {
        Self {
            instant_limit: Self::DEFAULT_INSTANT_LIMIT,
            retention: chrono::Duration::days(Self::DEFAULT_RETENTION_DAYS),
            work_dir,
            max_rows_per_sheet: XLSX_MAX_DATA_ROWS,
            max_rows_per_second: None,
            blobs,
            wake: Arc::new(tokio::sync::Notify::new()),
        }
    }
}

/// How often a running export reports progress (the UI promises at least
/// once a second).
const HEARTBEAT: Duration = Duration::from_millis(500);

/// Validates the request, counts the items, and either makes the file now
/// (fewer than the instant limit) or queues a background job.
pub async fn start(
    state: &AppState,
    scope: &GuildScope,
    req: ExportRequest,
) -> Result<ExportStarted, AppError> {
    start_via(state, scope, req, None).await
}

/// [`start`] for a request that came through another door than the web app
/// (`via`: `"discord"`), which the history names.
pub async fn start_via(
    state: &AppState,
    scope: &GuildScope,
    req: ExportRequest,
    via: Option<&str>,
) -> Result<ExportStarted, AppError> {
    let db = &state.db;
    let plan = plan(db, scope, req.entity, &req.scope).await?;
    let count = super::count(db, &plan).await?;
    if count == 0 {
        return Err(AppError::invalid(match &req.scope {
            ExportScope::All => format!("This guild has no {} to export.", req.entity.as_str()),
            _ => format!(
                "No {} match, so there is nothing to export.",
                req.entity.as_str()
            ),
        }));
    }
    check_confirmed(&req, count)?;
    let now = state.clock.now();
    let (described, default) = naming::name(db, scope, &req, now.date_naive()).await?;
    let filename = clean_filename(&req.filename, &default, req.format);
    let exports = &state.exports;
    if count < exports.instant_limit {
        let worker = format!("{}-instant", state.instance.id());
        let job = jobs::NewJob {
            req: &req,
            label: &described.label,
            filename: &filename,
            instant: true,
            worker: Some(&worker),
            via,
        };
        let id = jobs::insert(db, scope, job, now).await?;
        let job = Run {
            id,
            worker,
            req,
            plan,
            filename,
            label: described.label,
        };
        run(state, scope, job).await?;
        Ok(ExportStarted::Ready(jobs::get(db, scope, id).await?))
    } else {
        jobs::check_room(db, scope).await?;
        let job = jobs::NewJob {
            req: &req,
            label: &described.label,
            filename: &filename,
            instant: false,
            worker: None,
            via,
        };
        let id = jobs::insert(db, scope, job, now).await?;
        exports.wake.notify_waiters();
        Ok(ExportStarted::Queued(jobs::get(db, scope, id).await?))
    }
}

/// An export of selected items is a bulk action: the member typed the
/// count they saw, and the selection must still hold exactly that many.
/// An HTTP client cannot skip this; views and everything need nothing.
fn check_confirmed(req: &ExportRequest, count: i64) -> Result<(), AppError> {
    if !matches!(req.scope, ExportScope::Selected(_)) {
        return Ok(());
    }
    let Some(confirm) = &req.confirm else {
        return Err(AppError::invalid(
            "Confirm the export of the selected items by typing their count.",
        ));
    };
    if !crate::model::bulk::confirms_count(&confirm.typed, confirm.count) {
        return Err(AppError::invalid(format!(
            "Type {} to confirm (you typed “{}”).",
            crate::format::thousands(confirm.count),
            confirm.typed.trim()
        )));
    }
    if confirm.count != count {
        return Err(AppError::conflict(format!(
            "The selection changed: it now has {}. Review and confirm again.",
            req.entity.count(count)
        )));
    }
    Ok(())
}

/// What the export dialog says before anything starts: how many items the
/// request holds, whether the file comes at once, and its default name.
pub async fn preview(
    state: &AppState,
    scope: &GuildScope,
    req: &ExportRequest,
) -> Result<ExportPreview, AppError> {
    let db = &state.db;
    let plan = plan(db, scope, req.entity, &req.scope).await?;
    let count = super::count(db, &plan).await?;
    let (described, default_filename) =
        naming::name(db, scope, req, state.clock.now().date_naive()).await?;
    Ok(ExportPreview {
        count,
        instant: count < state.exports.instant_limit,
        default_filename,
        label: described.label,
    })
}

/// Starts the same export again (the toast's Retry).
pub async fn retry(
    state: &AppState,
    scope: &GuildScope,
    id: i64,
) -> Result<ExportStarted, AppError> {
    let request = jobs::request_of(&state.db, scope, id).await?;
    let req: ExportRequest = serde_json::from_str(&request).map_err(|e| {
        tracing::error!(job = id, "stored export request does not parse: {e}");
        AppError::Internal
    })?;
    start(state, scope, req).await
}

/// One export being made.
struct Run {
    id: i64,
    worker: String,
    req: ExportRequest,
    plan: Plan,
    filename: String,
    /// The history's words for the scope, for the audit summary.
    label: String,
}

/// Runs a job a worker claimed. Failures end up on the job, never lost.
pub async fn run_claimed(state: &AppState, claimed: Claimed, worker: &str) {
    let now = || state.clock.now();
    let prepared = async {
        let user = claimed
            .requested_by
            .ok_or_else(|| "The member who asked for this export has left.".to_string())?;
        let scope = GuildScope::for_user_in(&state.db, user, claimed.guild_id)
            .await
            .map_err(|e| e.to_string())?;
        let req: ExportRequest = serde_json::from_str(&claimed.request).map_err(|e| {
            tracing::error!(
                job = claimed.id,
                "stored export request does not parse: {e}"
            );
            "This export request can no longer be read; start a new one.".to_string()
        })?;
        let plan = plan(&state.db, &scope, req.entity, &req.scope)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>((scope, req, plan))
    }
    .await;
    let (scope, req, plan) = match prepared {
        Ok(p) => p,
        Err(message) => {
            if let Err(e) = jobs::fail(&state.db, claimed.id, &message, now()).await {
                tracing::error!(job = claimed.id, "could not record failure: {e}");
            }
            return;
        }
    };
    let job = Run {
        id: claimed.id,
        worker: worker.to_string(),
        req,
        plan,
        filename: claimed.filename,
        label: claimed.scope_label,
    };
    // `run` records its own failures.
    let _ = run(state, &scope, job).await;
}

/// Why an export ended without a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunError {
    /// The member cancelled it while it ran (or another worker took it
    /// over); the job row already says so.
    Cancelled,
    /// A step on the server failed: the sentence is on the job row, the
    /// detail in the server log, and nothing partial was kept.
    Failed(&'static str),
}

/// The one place an export's end becomes what an instant export's caller
/// sees: a cancel is a conflict with the request (409), a failure is ours
/// (500), never the member's input.
impl From<RunError> for AppError {
    fn from(e: RunError) -> Self {
        match e {
            RunError::Cancelled => AppError::conflict(CANCELLED),
            RunError::Failed(message) => AppError::Failed(message.into()),
        }
    }
}

/// Writes the file, stores it, and marks the job done with its audit
/// entries in one transaction. On failure the job is marked failed with the
/// sentence of [`RunError::Failed`]; nothing partial is ever stored or offered.
async fn run(state: &AppState, scope: &GuildScope, job: Run) -> Result<(), RunError> {
    let db = &state.db;
    let exports = &state.exports;
    let tmp_dir = exports.work_dir.join("tmp");
    let tmp = tmp_dir.join(format!("job-{}-{}.part", job.id, job.worker));
    let progress = Progress::paced(exports.max_rows_per_second);

    let io_failed = |e: std::io::Error| Stop::Failed {
        message: "Could not write the file on the server.",
        detail: e.to_string(),
    };
    let result: Result<(u64, Vec<i64>), Stop> = async {
        std::fs::create_dir_all(&tmp_dir).map_err(io_failed)?;
        let file = std::fs::File::create(&tmp).map_err(io_failed)?;
        let spec = SinkSpec {
            format: job.req.format,
            meta: Meta {
                guild_slug: scope.slug().into(),
                guild_name: scope.name().into(),
                entity: job.req.entity,
                scope: job.plan.scope_json.clone(),
                exported_at: state.clock.now(),
            },
            columns: job.plan.columns,
            xlsx: XlsxOptions {
                tempdir: tmp_dir.clone(),
                max_rows_per_sheet: exports.max_rows_per_sheet,
            },
        };
        let selected = matches!(job.req.scope, ExportScope::Selected(_));

        // Reports progress while the file is written, and turns a cancel
        // (or a lost claim) into a stop at the writer's next checkpoint.
        let beat = {
            let (db, clock, progress) = (db.clone(), state.clock.clone(), progress.clone());
            let (id, worker) = (job.id, job.worker.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(HEARTBEAT);
                loop {
                    tick.tick().await;
                    let processed = progress.processed() as i64;
                    match jobs::heartbeat(
                        &db,
                        id,
                        &worker,
                        progress.total(),
                        processed,
                        clock.now(),
                    )
                    .await
                    {
                        Ok(true) => {}
                        Ok(false) => {
                            progress.cancel();
                            break;
                        }
                        Err(e) => tracing::warn!(job = id, "export heartbeat failed: {e}"),
                    }
                }
            })
        };
        let written = write(
            db,
            &job.plan,
            spec,
            Box::new(file),
            progress.clone(),
            selected,
        )
        .await;
        beat.abort();
        let outcome = written.map_err(|e| match e {
            ExportError::Cancelled => Stop::Cancelled,
            ExportError::Db(detail) => Stop::Failed {
                message: "Reading the data failed on the server; try again.",
                detail,
            },
            other => Stop::Failed {
                message: "Writing the file failed on the server; try again.",
                detail: other.to_string(),
            },
        })?;
        Ok((outcome.rows, outcome.ids))
    }
    .await;

    let (rows, ids) = match result {
        Ok(ok) => ok,
        Err(stop) => {
            std::fs::remove_file(&tmp).ok();
            return Err(match stop {
                // The job row already says cancelled.
                Stop::Cancelled => RunError::Cancelled,
                Stop::Failed { message, detail } => {
                    tracing::error!(job = job.id, "export failed: {detail}");
                    record_failure(state, job.id, message).await;
                    RunError::Failed(message)
                }
            });
        }
    };

    let key = format!("{}/{}.{}", scope.guild_id(), job.id, job.req.format.ext());
    let size = match exports.blobs.put(&key, &tmp).await {
        Ok(size) => size,
        Err(e) => {
            std::fs::remove_file(&tmp).ok();
            tracing::error!(job = job.id, store = %exports.blobs.describe(), "storing export failed: {e}");
            let message = "The file could not be stored (the export storage failed). Nothing was kept; try again.";
            record_failure(state, job.id, message).await;
            return Err(RunError::Failed(message));
        }
    };

    let now = state.clock.now();
    let stored = async {
        let mut tx = db.begin_write().await?;
        let mine = jobs::complete(
            &mut tx,
            job.id,
            &job.worker,
            rows as i64,
            size as i64,
            &key,
            now,
            now + exports.retention,
        )
        .await?;
        if !mine {
            return Ok::<bool, AppError>(false);
        }
        let entries = audit_entries(scope, &job, rows as i64, &ids);
        audit::record(&mut tx, db.dialect(), scope.guild_id(), now, &entries).await?;
        tx.commit().await?;
        Ok(true)
    }
    .await;
    match stored {
        Ok(true) => Ok(()),
        Ok(false) => {
            // Cancelled while the file was being stored.
            exports.blobs.delete(&key).await.ok();
            Err(RunError::Cancelled)
        }
        Err(e) => {
            exports.blobs.delete(&key).await.ok();
            let message = "The export could not be recorded; try again.";
            tracing::error!(job = job.id, "completing export failed: {e:?}");
            record_failure(state, job.id, message).await;
            Err(RunError::Failed(message))
        }
    }
}

/// Why the writing stopped: the user's doing, or a failure whose detail is
/// logged and whose message is shown.
enum Stop {
    Cancelled,
    Failed {
        message: &'static str,
        detail: String,
    },
}

const CANCELLED: &str = "The export was cancelled.";

async fn record_failure(state: &AppState, id: i64, message: &str) {
    if let Err(e) = jobs::fail(&state.db, id, message, state.clock.now()).await {
        tracing::error!(job = id, "could not record export failure: {e}");
    }
}

/// One summary entry; for a selection (a bulk operation) one more per item,
/// linked by the batch id.
/// The audit summary of an export, as a plain sentence: "Exported all
/// 30,000 posts as CSV", "Exported 1,721 posts as CSV, filtered by TikTok ·
/// Nightfall Energy", "Exported 7 posts picked by hand as JSON".
fn export_summary(req: &ExportRequest, rows: i64, label: &str) -> String {
    let (items, format) = (req.entity.count(rows), req.format.label());
    match &req.scope {
        ExportScope::All => format!("Exported all {items} as {format}"),
        ExportScope::View(_) if label == naming::EVERYTHING => {
            format!("Exported all {items} as {format}")
        }
        ExportScope::View(_) => format!("Exported {items} as {format}, filtered by {label}"),
        ExportScope::Selected(crate::model::Selection::Ids(_)) => {
            format!("Exported {items} picked by hand as {format}")
        }
        ExportScope::Selected(crate::model::Selection::AllMatching { .. }) => {
            let from = label.trim_start_matches(naming::SELECTION);
            format!("Exported {items} as {format}, selected from {from}")
        }
    }
}

fn audit_entries(scope: &GuildScope, job: &Run, rows: i64, ids: &[i64]) -> Vec<Entry> {
    let req = &job.req;
    let selected = matches!(req.scope, ExportScope::Selected(_));
    let batch = selected.then(|| format!("export-{}", job.id));
    let details = serde_json::json!({
        "job_id": job.id,
        "entity": req.entity.as_str(),
        "scope": job.plan.scope_json,
        "format": req.format.ext(),
        "rows": rows,
        "filename": job.filename,
    });
    let mut entries = vec![Entry {
        actor_id: Some(scope.user_id()),
        action: "export".into(),
        target_type: None,
        target_id: None,
        summary: export_summary(req, rows, &job.label),
        details: Some(details.to_string()),
        batch_id: batch.clone(),
        item_count: selected.then_some(ids.len() as i64),
    }];
    if selected {
        let target = match req.entity {
            crate::model::Entity::Accounts => "account",
            crate::model::Entity::Posts => "post",
        };
        entries.extend(ids.iter().map(|id| Entry {
            actor_id: Some(scope.user_id()),
            action: "export.item".into(),
            target_type: Some(target.into()),
            target_id: Some(*id),
            summary: format!("Exported {target} {id}"),
            details: None,
            batch_id: batch.clone(),
            item_count: None,
        }));
    }
    entries
}

/// Background upkeep, run by every server on a schedule: requeue or fail
/// jobs whose worker died, and remove files past their retention.
pub async fn maintain(state: &AppState) -> Result<(), AppError> {
    let now = state.clock.now();
    jobs::recover_stale(&state.db, now).await?;
    remove_orphan_work_files(&state.exports.work_dir.join("tmp"));
    loop {
        let due = jobs::expired_files(&state.db, now, 200).await?;
        if due.is_empty() {
            break;
        }
        for (id, key) in due {
            match state.exports.blobs.delete(&key).await {
                Ok(()) => jobs::mark_expired(&state.db, id).await?,
                Err(e) => {
                    // Try again next round; never mark a file gone that is not.
                    tracing::warn!(job = id, "could not remove expired export: {e}");
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

/// Removes the work files an earlier start of this same server was writing
/// when it stopped: their jobs were just taken back ([`jobs::take_back`])
/// and start again from the top, so the files are garbage now, not in an
/// hour. A work file's name holds its worker's name (`job-{id}-{worker}.part`).
pub fn remove_work_files_of_earlier_start(
    dir: &std::path::Path,
    instance: &crate::domain::Instance,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let (prefix, me) = (instance.prefix(), instance.id());
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.contains(&prefix) && !name.contains(&me) {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => {
                    tracing::info!(file = %name, "removed a work file of this server's earlier start")
                }
                Err(e) => {
                    tracing::warn!(file = %name, "could not remove an earlier work file: {e}")
                }
            }
        }
    }
}

/// Work files untouched this long belong to no running export (a running
/// one writes continuously): left by a crash. Real time, not the clock:
/// file times come from the file system.
const ORPHAN_AFTER: Duration = Duration::from_secs(3600);

/// Removes work files a crashed server left behind.
pub fn remove_orphan_work_files(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > ORPHAN_AFTER);
        if old {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => {
                    tracing::info!(file = %entry.path().display(), "removed an orphaned export work file")
                }
                Err(e) => {
                    tracing::warn!(file = %entry.path().display(), "could not remove an orphaned work file: {e}")
                }
            }
        }
    }
}

/// The member's view of one export, for the download route: the key to
/// serve, or why not.
pub enum Download {
    Ready { key: String, job: ExportJob },
    Expired(ExportJob),
    NotReady(ExportJob),
}

/// An export and its file's key for a signed link, which carries its own
/// right to the file (`export::share`).
pub async fn shared_download(state: &AppState, id: i64) -> Result<Download, AppError> {
    let (job, key) = jobs::get_unscoped(&state.db, id).await?;
    Ok(Download::of(job, key))
}

pub async fn download(state: &AppState, scope: &GuildScope, id: i64) -> Result<Download, AppError> {
    let (job, key) = jobs::get_with_key(&state.db, scope, id).await?;
    Ok(Download::of(job, key))
}

impl Download {
    fn of(job: ExportJob, key: Option<String>) -> Self {
        match (job.status, key) {
            (JobStatus::Done, Some(key)) => Self::Ready { key, job },
            (JobStatus::Expired, _) => Self::Expired(job),
            _ => Self::NotReady(job),
        }
    }
}
