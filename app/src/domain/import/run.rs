//! The steps of an import: accept the upload, check it (a dry run), confirm,
//! run, cancel, and recover the ones whose server stopped. `accept` and
//! `confirm` answer at once; the server spawns `check` and `apply` beside
//! the request (tests await them).

use super::file::{Batches, FileError, Head, Place};
use super::{jobs, rows, BATCH};
use crate::domain::audit::{self, Entry};
use crate::domain::audit_item::short_caption;
use crate::domain::db::Tx;
use crate::domain::ingest::{self, Applied, Fate, Options};
use crate::domain::{AppState, GuildScope};
use crate::error::AppError;
use crate::format::thousands;
use crate::model::{Entity, ImportCounts, ImportJob, ImportStatus, Role};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

fn require_admin(scope: &GuildScope) -> Result<(), AppError> {
    scope.require(Role::Admin, "import data into the guild")
}

/// Takes an uploaded file (at `upload`, the caller's to remove afterwards
/// if it is still there): refuses it at once with a sentence when it is
/// not an export, otherwise stores it and records the import, ready for
/// [`check`].
pub async fn accept(
    state: &AppState,
    scope: &GuildScope,
    file_name: &str,
    upload: &Path,
    size: u64,
) -> Result<ImportJob, AppError> {
    require_admin(scope)?;
    let head = match tokio::task::spawn_blocking({
        let upload = upload.to_path_buf();
        move || super::file::head(&upload)
    })
    .await
    {
        Ok(Ok(head)) => head,
        Ok(Err(FileError::Refused(why))) => return Err(AppError::Invalid(why)),
        Ok(Err(e)) => {
            tracing::error!("reading an uploaded import failed: {e}");
            return Err(AppError::Internal);
        }
        Err(e) => {
            tracing::error!("the import head reader panicked: {e}");
            return Err(AppError::Internal);
        }
    };
    let now = state.clock.now();
    let worker = state.instance.id();
    let (id, key) = jobs::insert(&state.db, scope, file_name, size, head, &worker, now).await?;
    if let Err(e) = state.exports.blobs.put(&key, upload).await {
        tracing::error!(job = id, "storing an uploaded import failed: {e}");
        let why = "The file could not be stored, so nothing was imported; try again.";
        jobs::end_unwritten(&state.db, id, ImportStatus::Failed, Some(why), now).await?;
        return Err(AppError::Failed(why.into()));
    }
    jobs::get(&state.db, scope, id).await
}

/// A local file to read the stored upload from: the file itself in a local
/// store, a downloaded copy (removed when dropped) with S3.
struct Source {
    path: PathBuf,
    copy: bool,
}

impl Drop for Source {
    fn drop(&mut self) {
        if self.copy {
            std::fs::remove_file(&self.path).ok();
        }
    }
}

async fn source(state: &AppState, key: &str, id: i64) -> Result<Source, AppError> {
    let dir = state.exports.work_dir.join("tmp");
    std::fs::create_dir_all(&dir).map_err(|e| {
        tracing::error!("creating {}: {e}", dir.display());
        AppError::Internal
    })?;
    let scratch = dir.join(format!("import-{id}-{}.part", state.instance.id()));
    let path = state
        .exports
        .blobs
        .local_copy(key, &scratch)
        .await
        .map_err(|e| {
            tracing::error!(job = id, "reading a stored import failed: {e}");
            AppError::Failed("The uploaded file could not be read back from storage.".into())
        })?;
    let copy = path == scratch;
    Ok(Source { path, copy })
}

/// How a step ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// Went to its end: checked (ready), or imported (done).
    Completed,
    Cancelled,
    /// The file was refused part way, or a step failed; the job says why.
    Failed,
}

/// One batch's items, checked and counted.
enum Batch {
    Accounts(rows::Checked<ingest::AccountInput>),
    Posts(rows::Checked<ingest::PostInput>),
}

impl Batch {
    fn of(head: Head, records: Vec<super::file::Record>, now: DateTime<Utc>) -> Self {
        match head.entity {
            Entity::Accounts => Self::Accounts(rows::accounts(head.format, records)),
            Entity::Posts => Self::Posts(rows::posts(head.format, records, now)),
        }
    }

    fn refused(&self) -> &[String] {
        match self {
            Self::Accounts(c) => &c.refused,
            Self::Posts(c) => &c.refused,
        }
    }

    fn places(&self) -> Vec<Place> {
        match self {
            Self::Accounts(c) => c.items.iter().map(|(p, _)| *p).collect(),
            Self::Posts(c) => c.items.iter().map(|(p, _)| *p).collect(),
        }
    }

    async fn apply(
        &self,
        tx: &mut Tx,
        scope: &GuildScope,
        with_ids: bool,
        now: DateTime<Utc>,
    ) -> Result<Applied, AppError> {
        let options = Options {
            create_missing: true,
            with_ids,
        };
        match self {
            Self::Accounts(c) => {
                let items: Vec<_> = c.items.iter().map(|(_, i)| i.clone()).collect();
                ingest::accounts::apply(tx, scope, &items, options, now).await
            }
            Self::Posts(c) => {
                let items: Vec<_> = c.items.iter().map(|(_, i)| i.clone()).collect();
                ingest::posts::apply(tx, scope, &items, options, now).await
            }
        }
    }

    /// The batch's counts: the file's refusals, then what applying did.
    fn counts(&self, applied: &Applied) -> ImportCounts {
        let places = self.places();
        let r = &applied.report;
        let mut rejections: Vec<String> = self.refused().to_vec();
        rejections.extend(r.rejections.iter().map(|x| {
            let place = places[x.index];
            // "posts[3].account: there is no …" → "item 4: account: …"
            let why = x.reason.split_once(": ").map_or(&*x.reason, |(_, w)| w);
            format!("{place}: {why}")
        }));
        ImportCounts {
            created: r.created as i64,
            updated: r.updated as i64,
            unchanged: r.unchanged as i64,
            rejected: (r.rejected + self.refused().len()) as i64,
            rejections,
            kept_in_trash: r.kept_in_trash.len() as i64,
            groups: applied.groups_created.clone(),
            brands: applied.brands_created.clone(),
        }
    }

    /// An audit entry for each item written.
    fn entries(&self, applied: &Applied, actor: i64, batch_id: &str) -> Vec<Entry> {
        let entry = |target: &str, id: i64, summary: String| Entry {
            actor_id: Some(actor),
            action: "import.item".into(),
            target_type: Some(target.into()),
            target_id: Some(id),
            summary,
            details: None,
            batch_id: Some(batch_id.into()),
            item_count: None,
        };
        let mut out = Vec::new();
        match self {
            Self::Accounts(c) => {
                for ((_, a), fate) in c.items.iter().zip(&applied.fates) {
                    let name = format!("account @{} ({})", a.handle, a.platform.label());
                    match fate {
                        Fate::Created(Some(id)) => {
                            out.push(entry("account", *id, format!("Imported {name}")))
                        }
                        Fate::Updated(id) => out.push(entry(
                            "account",
                            *id,
                            format!("Updated {name} from an import"),
                        )),
                        _ => {}
                    }
                }
            }
            Self::Posts(c) => {
                for ((_, p), fate) in c.items.iter().zip(&applied.fates) {
                    let name = |id: i64| {
                        format!(
                            "post #{id} by @{}: “{}”",
                            rows::account_handle(p),
                            short_caption(p.caption.as_deref().unwrap_or_default())
                        )
                    };
                    match fate {
                        Fate::Created(Some(id)) => {
                            out.push(entry("post", *id, format!("Imported {}", name(*id))))
                        }
                        Fate::Updated(id) => out.push(entry(
                            "post",
                            *id,
                            format!("Updated {} from an import", name(*id)),
                        )),
                        _ => {}
                    }
                }
            }
        }
        out
    }
}

/// Reads the whole file and counts what importing it would do, writing
/// nothing: each batch is applied and rolled back. Ends the job ready for
/// confirmation, refused (failed, with the sentence), or cancelled.
pub async fn check(state: &AppState, scope: &GuildScope, id: i64) -> Ended {
    let ended = match try_check(state, scope, id).await {
        Ok(ended) => ended,
        Err(why) => {
            let now = state.clock.now();
            if let Err(e) =
                jobs::end_unwritten(&state.db, id, ImportStatus::Failed, Some(&why), now).await
            {
                tracing::error!(job = id, "could not record a failed import check: {e}");
            }
            Ended::Failed
        }
    };
    if ended != Ended::Completed {
        if let Ok(row) = jobs::row(&state.db, scope, id).await {
            discard_upload(state, &row.blob_key).await;
        }
    }
    ended
}

/// The check; an `Err` is the member's sentence for why it failed.
async fn try_check(state: &AppState, scope: &GuildScope, id: i64) -> Result<Ended, String> {
    const FAILED: &str = "The file could not be checked because of an error on our side; \
                          nothing was imported. Try again.";
    let internal = |e: AppError| {
        tracing::error!(job = id, "checking an import failed: {e}");
        FAILED.to_string()
    };
    let row = jobs::row(&state.db, scope, id).await.map_err(internal)?;
    let src = source(state, &row.blob_key, id)
        .await
        .map_err(|e| e.to_string())?;
    let mut batches = Batches::open(&src.path, BATCH)
        .await
        .map_err(|e| refusal(id, e))?;
    let mut total = ImportCounts::default();
    while let Some(records) = batches.next().await {
        let records = records.map_err(|e| refusal(id, e))?;
        let now = state.clock.now();
        let batch = Batch::of(batches.head, records, now);
        let mut tx = state.db.begin_write().await.map_err(internal)?;
        let applied = batch.apply(&mut tx, scope, false, now).await;
        tx.rollback().await;
        total.add(&batch.counts(&applied.map_err(internal)?));
        let stop = jobs::checking(&state.db, id, total.items(), state.clock.now())
            .await
            .map_err(internal)?;
        if stop {
            jobs::end_unwritten(
                &state.db,
                id,
                ImportStatus::Cancelled,
                None,
                state.clock.now(),
            )
            .await
            .map_err(internal)?;
            return Ok(Ended::Cancelled);
        }
    }
    let now = state.clock.now();
    if !jobs::checked(&state.db, id, &total, now)
        .await
        .map_err(internal)?
    {
        jobs::end_unwritten(&state.db, id, ImportStatus::Cancelled, None, now)
            .await
            .map_err(internal)?;
        return Ok(Ended::Cancelled);
    }
    Ok(Ended::Completed)
}

/// Removes a stored upload that no step will read again (its import ended,
/// or was refused). A failure only leaves a file behind: logged.
async fn discard_upload(state: &AppState, key: &str) {
    if let Err(e) = state.exports.blobs.delete(key).await {
        tracing::warn!(key, "could not remove an import's stored file: {e}");
    }
}

fn refusal(id: i64, e: FileError) -> String {
    match e {
        FileError::Refused(why) => why,
        other => {
            tracing::error!(job = id, "reading an import failed: {other}");
            "The file could not be read; nothing was imported. Try uploading it again.".into()
        }
    }
}

/// Confirms a checked import: `typed` must be its item count, as the
/// member typed it. The caller then runs [`apply`].
pub async fn confirm(
    state: &AppState,
    scope: &GuildScope,
    id: i64,
    typed: &str,
) -> Result<ImportJob, AppError> {
    require_admin(scope)?;
    let job = jobs::get(&state.db, scope, id).await?;
    let Some(counts) = job
        .dry_run
        .as_ref()
        .filter(|_| job.status == ImportStatus::Ready)
    else {
        return Err(AppError::Conflict(format!(
            "This import is not waiting for confirmation: {}",
            job.result_text()
        )));
    };
    let want = counts.items();
    let typed_n: Option<i64> = typed.trim().replace([',', ' ', '.'], "").parse().ok();
    if typed_n != Some(want) {
        return Err(AppError::Invalid(format!(
            "Type {} to confirm the import of {}.",
            thousands(want),
            job.entity.unwrap_or(Entity::Posts).count(want)
        )));
    }
    let worker = state.instance.id();
    if !jobs::start(&state.db, scope, id, &worker, state.clock.now()).await? {
        let now = jobs::get(&state.db, scope, id).await?;
        return Err(AppError::Conflict(format!(
            "This import is no longer waiting for confirmation: {}",
            now.result_text()
        )));
    }
    jobs::get(&state.db, scope, id).await
}

/// Imports the confirmed file a batch at a time, each batch with its audit
/// entries in one transaction, then the summary entry.
pub async fn apply(state: &AppState, scope: &GuildScope, id: i64) -> Ended {
    let mut done = ImportCounts::default();
    let (status, error) = match try_apply(state, scope, id, &mut done).await {
        Ok(Ended::Completed) => (ImportStatus::Done, None),
        Ok(_) => (ImportStatus::Cancelled, None),
        Err(why) => (ImportStatus::Failed, Some(why)),
    };
    let ended = match status {
        ImportStatus::Done => Ended::Completed,
        ImportStatus::Cancelled => Ended::Cancelled,
        _ => Ended::Failed,
    };
    if let Err(e) = finish(state, scope, id, status, &done, error.as_deref()).await {
        tracing::error!(job = id, "could not record the end of an import: {e}");
    }
    if let Ok(row) = jobs::row(&state.db, scope, id).await {
        discard_upload(state, &row.blob_key).await;
    }
    ended
}

async fn try_apply(
    state: &AppState,
    scope: &GuildScope,
    id: i64,
    done: &mut ImportCounts,
) -> Result<Ended, String> {
    let internal = |e: AppError| {
        tracing::error!(job = id, "an import failed: {e}");
        "The import stopped because of an error on our side.".to_string()
    };
    let row = jobs::row(&state.db, scope, id).await.map_err(internal)?;
    let src = source(state, &row.blob_key, id)
        .await
        .map_err(|e| e.to_string())?;
    let mut batches = Batches::open(&src.path, BATCH)
        .await
        .map_err(|e| refusal(id, e))?;
    while let Some(records) = batches.next().await {
        let records = records.map_err(|e| refusal(id, e))?;
        let now = state.clock.now();
        let batch = Batch::of(batches.head, records, now);
        let mut tx = state.db.begin_write().await.map_err(internal)?;
        let applied = batch
            .apply(&mut tx, scope, true, now)
            .await
            .map_err(internal)?;
        let entries = batch.entries(&applied, scope.user_id(), &row.batch_id);
        audit::record(&mut tx, state.db.dialect(), scope.guild_id(), now, &entries)
            .await
            .map_err(internal)?;
        let mut after = done.clone();
        after.add(&batch.counts(&applied));
        let stop = jobs::written(&mut tx, id, &after, now)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        *done = after;
        if stop {
            return Ok(Ended::Cancelled);
        }
    }
    Ok(Ended::Completed)
}

/// The summary entry and the job's end, in one transaction.
async fn finish(
    state: &AppState,
    scope: &GuildScope,
    id: i64,
    status: ImportStatus,
    done: &ImportCounts,
    error: Option<&str>,
) -> Result<(), AppError> {
    let row = jobs::row(&state.db, scope, id).await?;
    let job = row.job()?;
    let now = state.clock.now();
    let mut tx = state.db.begin_write().await?;
    let summary = summary_entry(&job, status, done, &row.batch_id, Some(scope.user_id()));
    audit::record(
        &mut tx,
        state.db.dialect(),
        scope.guild_id(),
        now,
        &[summary],
    )
    .await?;
    jobs::finish(&mut tx, id, status, done, error, now).await?;
    tx.commit().await
}

fn summary_entry(
    job: &ImportJob,
    status: ImportStatus,
    done: &ImportCounts,
    batch_id: &str,
    actor: Option<i64>,
) -> Entry {
    let entity = job.entity.unwrap_or(Entity::Posts);
    let file = &job.file_name;
    let summary = match status {
        ImportStatus::Done => format!("Imported “{file}”: {}", done.sentence(entity)),
        ImportStatus::Cancelled => format!(
            "Cancelled the import of “{file}” after {} of {}: {}",
            thousands(done.items()),
            entity.count(job.total.unwrap_or(done.items())),
            done.sentence(entity)
        ),
        _ => format!(
            "The import of “{file}” stopped after {} of {}: {}",
            thousands(done.items()),
            entity.count(job.total.unwrap_or(done.items())),
            done.sentence(entity)
        ),
    };
    Entry {
        actor_id: actor,
        action: "import".into(),
        target_type: None,
        target_id: None,
        summary,
        details: Some(serde_json::json!({ "file": file, "counts": done }).to_string()),
        batch_id: Some(batch_id.into()),
        item_count: Some(done.created + done.updated),
    }
}

/// Asks an import to stop: one being checked or run stops at its next
/// batch; one waiting for confirmation is cancelled at once.
pub async fn cancel(state: &AppState, scope: &GuildScope, id: i64) -> Result<ImportJob, AppError> {
    require_admin(scope)?;
    jobs::request_cancel(&state.db, scope, id, state.clock.now()).await?;
    let job = jobs::get(&state.db, scope, id).await?;
    // Cancelled while waiting for confirmation: no step will read it.
    if job.status == ImportStatus::Cancelled {
        let row = jobs::row(&state.db, scope, id).await?;
        discard_upload(state, &row.blob_key).await;
    }
    Ok(job)
}

/// Ends the checks and imports whose server stopped (silent for a
/// minute): interrupted, with a summary entry for an import that had begun
/// writing. Checked imports not confirmed within a day are cancelled.
/// Their files are removed. Returns how many were interrupted.
pub async fn recover_stale(state: &AppState) -> Result<usize, AppError> {
    let now = state.clock.now();
    for key in jobs::expire_unconfirmed(&state.db, now).await? {
        discard_upload(state, &key).await;
    }
    interrupt_lost(state, jobs::Lost::Silent(now)).await
}

/// Ends at once the checks and imports an earlier start of this same
/// server was running when it stopped (a crash, `kill -9`), as
/// [`recover_stale`] does after a minute. Run before the server serves.
pub async fn take_back(state: &AppState) -> Result<usize, AppError> {
    let (prefix, me) = (state.instance.prefix(), state.instance.id());
    interrupt_lost(
        state,
        jobs::Lost::EarlierStart {
            prefix: &prefix,
            me: &me,
        },
    )
    .await
}

async fn interrupt_lost(state: &AppState, which: jobs::Lost<'_>) -> Result<usize, AppError> {
    let now = state.clock.now();
    let mut n = 0;
    for s in jobs::lost(&state.db, which).await? {
        let mut tx = state.db.begin_write().await?;
        if !jobs::interrupt(&mut tx, s.id, which, now).await? {
            tx.rollback().await;
            continue;
        }
        if s.status == "running" {
            let done: ImportCounts = s
                .outcome
                .as_deref()
                .and_then(|o| serde_json::from_str(o).ok())
                .unwrap_or_default();
            let entity = s
                .entity
                .as_deref()
                .and_then(Entity::parse)
                .unwrap_or(Entity::Posts);
            let entry = Entry {
                actor_id: s.created_by,
                action: "import".into(),
                target_type: None,
                target_id: None,
                summary: format!(
                    "The import of “{}” was interrupted by a server stop after {}: {}",
                    s.file_name,
                    entity.count(done.items()),
                    done.sentence(entity)
                ),
                details: Some(
                    serde_json::json!({ "file": s.file_name, "counts": done }).to_string(),
                ),
                batch_id: Some(s.batch_id.clone()),
                item_count: Some(done.created + done.updated),
            };
            audit::record(&mut tx, state.db.dialect(), s.guild_id, now, &[entry]).await?;
        }
        tx.commit().await?;
        discard_upload(state, &s.blob_key).await;
        n += 1;
    }
    Ok(n)
}
