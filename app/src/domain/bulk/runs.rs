//! The `bulk_runs` rows: one per confirmed action, created when it starts,
//! saved with every chunk, read while the browser polls, and ended as
//! interrupted when its server stopped mid-way. The SQL of that table lives
//! here and nowhere else (as `export/jobs.rs` does for export jobs).

use super::run::Tally;
use crate::domain::audit::{self, Entry};
use crate::domain::db::Tx;
use crate::domain::{Arg, Db, Dialect, GuildScope, Sql};
use crate::error::AppError;
use crate::format::thousands;
use crate::model::bulk::past_tense;
use crate::model::{BulkAction, BulkRun, Entity, RunStatus};
use chrono::{DateTime, Duration, Utc};

/// A running action whose row has not moved for this long lost its server
/// (chunks take milliseconds; a queued one touches its row while it waits);
/// upkeep reports it as interrupted.
pub const STALE_AFTER: Duration = Duration::seconds(60);

/// Bulk actions one guild may have running or waiting at once. A waiting
/// one holds its confirmed ids in memory (8 bytes each), and each waits for
/// all before it: more than this is a mistake or a flood, and the member is
/// told so at once.
pub const MAX_ACTIVE_PER_GUILD: i64 = 5;

/// A new run: its ids, and whether it must wait for its turn.
pub(super) struct Created {
    pub run_id: i64,
    /// `delete-42`: names the run's audit entries and trashed items.
    pub batch_id: String,
    pub queued: bool,
}

/// Takes the guild's queue for the rest of the transaction, so that two
/// runs created at once get their ids in the order they commit, and one of
/// them sees the other (on SQLite the write transaction already does this).
async fn lock_queue(tx: &mut Tx, guild_id: i64) -> Result<(), AppError> {
    if tx.dialect() == crate::domain::Dialect::Postgres {
        tx.execute(&Sql::bound(
            "SELECT pg_advisory_xact_lock(7340002, CAST($1 % 2147483647 AS INTEGER))",
            vec![Arg::Int(guild_id)],
        ))
        .await?;
    }
    Ok(())
}

/// Records a new run of `total` items, held by `worker` (see
/// [`crate::domain::Instance`]). It runs at once when the guild has no other
/// run going or waiting, and is queued behind them otherwise. Refused when
/// the guild already has [`MAX_ACTIVE_PER_GUILD`].
pub(super) async fn create(
    db: &Db,
    scope: &GuildScope,
    entity: Entity,
    action: &BulkAction,
    total: usize,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<Created, AppError> {
    let mut tx = db.begin_write().await?;
    let new = NewRun {
        scope,
        entity,
        action,
        total,
        worker,
    };
    match insert(&mut tx, &new, now).await {
        Ok(created) => {
            tx.commit().await?;
            Ok(created)
        }
        // At once, not on drop: the transaction holds the guild's queue
        // lock, which the next start would wait for (see `Tx::rollback`).
        Err(e) => {
            tx.rollback().await;
            Err(e)
        }
    }
}

/// A run about to be recorded.
struct NewRun<'a> {
    scope: &'a GuildScope,
    entity: Entity,
    action: &'a BulkAction,
    total: usize,
    worker: &'a str,
}

/// The work of [`create`], inside its transaction.
async fn insert(tx: &mut Tx, new: &NewRun<'_>, now: DateTime<Utc>) -> Result<Created, AppError> {
    let scope = new.scope;
    lock_queue(tx, scope.guild_id()).await?;
    let active = tx
        .fetch_i64(&Sql::bound(
            "SELECT COUNT(*) FROM bulk_runs WHERE guild_id = $1 AND status IN ('queued', 'running')",
            vec![Arg::Int(scope.guild_id())],
        ))
        .await?;
    if active >= MAX_ACTIVE_PER_GUILD {
        return Err(AppError::TooMany(format!(
            "This guild already has {MAX_ACTIVE_PER_GUILD} bulk actions running or waiting, the \
             most it can have. Try again when one has finished."
        )));
    }
    let status = if active == 0 {
        RunStatus::Running
    } else {
        RunStatus::Queued
    };
    #[derive(sqlx::FromRow)]
    struct Id(i64);
    let Id(run_id) = tx
        .fetch_optional::<Id>(&Sql::bound(
            "INSERT INTO bulk_runs (guild_id, user_id, entity, action, batch_id, status, total, \
             worker, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
             RETURNING id",
            vec![
                Arg::Int(scope.guild_id()),
                Arg::Int(scope.user_id()),
                Arg::Text(new.entity.as_str().into()),
                Arg::Text(new.action.as_str().into()),
                // The column is unique: a placeholder until the id is known.
                Arg::Text(format!(
                    "new-{}-{}",
                    scope.user_id(),
                    now.timestamp_micros()
                )),
                Arg::Text(status.as_str().into()),
                Arg::Int(new.total as i64),
                Arg::Text(new.worker.into()),
                Arg::Time(now),
            ],
        ))
        .await?
        .ok_or(AppError::Internal)?;
    let batch_id = format!("{}-{run_id}", new.action.as_str());
    tx.execute(&Sql::bound(
        "UPDATE bulk_runs SET batch_id = $1 WHERE id = $2",
        vec![Arg::Text(batch_id.clone()), Arg::Int(run_id)],
    ))
    .await?;
    Ok(Created {
        run_id,
        batch_id,
        queued: status == RunStatus::Queued,
    })
}

/// Where a queued run stands in its guild's queue.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Place {
    /// Its turn came: it is running now.
    Runs,
    /// Others are ahead; it proved itself alive for the upkeep.
    Waits,
    /// It was ended while it waited (the upkeep took it for abandoned).
    Ended,
}

/// Starts a queued run when no older run of its guild is running or
/// waiting; otherwise marks it alive at `now`.
pub(super) async fn take_turn(
    db: &Db,
    run_id: i64,
    guild_id: i64,
    now: DateTime<Utc>,
) -> Result<Place, AppError> {
    let mut tx = db.begin_write().await?;
    match place_in_queue(&mut tx, run_id, guild_id, now).await {
        Ok(place) => {
            tx.commit().await?;
            Ok(place)
        }
        Err(e) => {
            tx.rollback().await;
            Err(e)
        }
    }
}

/// The work of [`take_turn`], inside its transaction.
async fn place_in_queue(
    tx: &mut Tx,
    run_id: i64,
    guild_id: i64,
    now: DateTime<Utc>,
) -> Result<Place, AppError> {
    lock_queue(tx, guild_id).await?;
    let started = tx
        .execute(&Sql::bound(
            "UPDATE bulk_runs SET status = 'running', updated_at = $1 \
             WHERE id = $2 AND status = 'queued' AND NOT EXISTS (SELECT 1 FROM bulk_runs o \
             WHERE o.guild_id = $3 AND o.status IN ('queued', 'running') AND o.id < $2)",
            vec![Arg::Time(now), Arg::Int(run_id), Arg::Int(guild_id)],
        ))
        .await?;
    if started == 1 {
        return Ok(Place::Runs);
    }
    let alive = tx
        .execute(&Sql::bound(
            "UPDATE bulk_runs SET updated_at = $1 WHERE id = $2 AND status = 'queued'",
            vec![Arg::Time(now), Arg::Int(run_id)],
        ))
        .await?;
    Ok(if alive == 1 {
        Place::Waits
    } else {
        Place::Ended
    })
}

/// Marks the run as alive at `now`. A chunk does this first: on SQLite it
/// takes the write lock at once (waiting for it if need be) instead of
/// failing later when a read turns into a write. Refuses when the run is no
/// longer running: the upkeep closed it as interrupted (its server looked
/// gone), and a chunk now would change items after the summary was written.
pub(super) async fn touch(tx: &mut Tx, run_id: i64, now: DateTime<Utc>) -> Result<(), AppError> {
    let alive = tx
        .execute(&Sql::bound(
            "UPDATE bulk_runs SET updated_at = $1 WHERE id = $2 AND status = 'running'",
            vec![Arg::Time(now), Arg::Int(run_id)],
        ))
        .await?;
    if alive == 0 {
        tracing::warn!(
            run = run_id,
            "a bulk action was closed while it ran; stopping"
        );
        return Err(ended());
    }
    Ok(())
}

/// Why a run that was closed meanwhile does nothing more.
pub(super) fn ended() -> AppError {
    AppError::conflict("This bulk action was stopped: the server was restarted while it ran.")
}

/// Saves the tally after a chunk; with `summary`, the run is done. The named
/// failures are written only when they changed (`failures_changed`), since
/// most chunks have none.
pub(super) async fn save(
    tx: &mut Tx,
    run_id: i64,
    tally: &Tally,
    now: DateTime<Utc>,
    summary: Option<String>,
    failures_changed: bool,
) -> Result<(), AppError> {
    let mut sql = Sql::new("UPDATE bulk_runs SET processed = ");
    sql.bind(tally.next as i64)
        .push(", succeeded = ")
        .bind(tally.succeeded)
        .push(", failed = ")
        .bind(tally.failed);
    if failures_changed {
        let json = serde_json::to_string(&tally.failures).map_err(|_| AppError::Internal)?;
        sql.push(", failures = ").bind(json);
    }
    if let Some(summary) = summary {
        sql.push(", status = ")
            .bind(RunStatus::Done.as_str())
            .push(", summary = ")
            .bind(summary)
            .push(", finished_at = ")
            .bind(now);
    }
    sql.push(" WHERE id = ").bind(run_id);
    tx.execute(&sql).await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct RunRow {
    id: i64,
    guild_id: i64,
    user_id: Option<i64>,
    entity: String,
    action: String,
    batch_id: String,
    status: String,
    total: i64,
    processed: i64,
    succeeded: i64,
    failed: i64,
    failures: String,
    summary: Option<String>,
    /// Active runs of the guild older than this one.
    ahead: i64,
}

const RUN_COLUMNS: &str = "SELECT r.id, r.guild_id, r.user_id, r.entity, r.action, r.batch_id, \
     r.status, r.total, r.processed, r.succeeded, r.failed, r.failures, r.summary, \
     (SELECT COUNT(*) FROM bulk_runs q WHERE q.guild_id = r.guild_id \
      AND q.status IN ('queued', 'running') AND q.id < r.id) AS ahead \
     FROM bulk_runs r";

impl RunRow {
    fn into_run(self) -> Result<BulkRun, AppError> {
        let status = RunStatus::parse(&self.status).ok_or(AppError::Internal)?;
        Ok(BulkRun {
            id: self.id,
            entity: Entity::parse(&self.entity).ok_or(AppError::Internal)?,
            action: self.action,
            status,
            queue_ahead: (status == RunStatus::Queued).then_some(self.ahead),
            total: self.total,
            processed: self.processed,
            succeeded: self.succeeded,
            failed: self.failed,
            failures: serde_json::from_str(&self.failures).map_err(|e| {
                tracing::error!(run = self.id, error = %e, "unreadable bulk failures");
                AppError::Internal
            })?,
            summary: self.summary,
            batch_id: self.batch_id,
        })
    }
}

/// A run by id; with `guild_id`, only if it belongs to that guild.
pub(super) async fn load(db: &Db, run_id: i64, guild_id: Option<i64>) -> Result<BulkRun, AppError> {
    let mut sql = Sql::new(RUN_COLUMNS);
    sql.push(" WHERE r.id = ").bind(run_id);
    if let Some(g) = guild_id {
        sql.push(" AND r.guild_id = ").bind(g);
    }
    db.fetch_optional::<RunRow>(&sql)
        .await?
        .ok_or_else(|| {
            AppError::not_found(format!("There is no bulk action {run_id} in this guild."))
        })?
        .into_run()
}

/// A run of the member's guild, for polling its progress and result.
pub async fn get(db: &Db, scope: &GuildScope, run_id: i64) -> Result<BulkRun, AppError> {
    load(db, run_id, Some(scope.guild_id())).await
}

/// Ends a run that cannot go on (or, queued, never started), with an audit
/// summary of what was done. Does nothing when the run already ended
/// (another instance got there).
pub(super) async fn interrupt(db: &Db, now: DateTime<Utc>, run_id: i64) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    // On PostgreSQL the row is locked before it is read: a chunk still
    // committing (a worker slower than STALE_AFTER, not a dead one) holds
    // it, and the summary must count that chunk too. Read first, it said
    // "Stopped after 0" of a run that had restored 5,000 items. SQLite's
    // write transaction already excludes the chunk.
    let lock = match db.dialect() {
        Dialect::Postgres => " FOR UPDATE OF r",
        Dialect::Sqlite => "",
    };
    let Some(run) = tx
        .fetch_optional::<RunRow>(&Sql::bound(
            format!("{RUN_COLUMNS} WHERE r.id = $1 AND r.status IN ('queued', 'running'){lock}"),
            vec![Arg::Int(run_id)],
        ))
        .await?
    else {
        return Ok(());
    };
    let entity = Entity::parse(&run.entity).ok_or(AppError::Internal)?;
    let summary = if run.status == RunStatus::Queued.as_str() {
        format!(
            "Did not start: the server stopped while it waited its turn; the {} are unchanged",
            entity.count(run.total)
        )
    } else {
        format!(
            "Stopped after {} of {}: {} {}, {} failed; the rest are unchanged",
            thousands(run.processed),
            entity.count(run.total),
            thousands(run.succeeded),
            past_tense(&run.action),
            thousands(run.failed),
        )
    };
    let changed = tx
        .execute(&Sql::bound(
            "UPDATE bulk_runs SET status = 'interrupted', summary = $1, finished_at = $2, \
             updated_at = $2 WHERE id = $3 AND status IN ('queued', 'running')",
            vec![Arg::Text(summary.clone()), Arg::Time(now), Arg::Int(run_id)],
        ))
        .await?;
    if changed == 1 {
        let entry = Entry {
            actor_id: run.user_id,
            action: run.action.clone(),
            target_type: Some(run.entity.clone()),
            target_id: None,
            summary,
            details: Some(
                serde_json::json!({
                    "succeeded": run.succeeded, "failed": run.failed, "interrupted": true
                })
                .to_string(),
            ),
            batch_id: Some(run.batch_id.clone()),
            // Every item done or failed so far has its entry.
            item_count: Some(run.succeeded + run.failed),
        };
        audit::record(&mut tx, db.dialect(), run.guild_id, now, &[entry]).await?;
    }
    tx.commit().await
}

/// Reports runs whose server stopped mid-way (or while they waited their
/// turn) as interrupted; returns how many.
pub async fn recover_stale(db: &Db, now: DateTime<Utc>) -> Result<usize, AppError> {
    interrupt_all(
        db,
        now,
        Sql::bound(
            "SELECT id FROM bulk_runs WHERE status IN ('queued', 'running') AND updated_at < $1",
            vec![Arg::Time(now - STALE_AFTER)],
        ),
    )
    .await
}

/// At a server's start: closes the runs an earlier start of this same
/// server still holds, at once. That process is gone (see
/// [`crate::domain::Instance`]), so waiting for [`STALE_AFTER`] of silence
/// would only keep the member looking at a run that cannot move.
pub async fn take_back(
    db: &Db,
    instance: &crate::domain::Instance,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let prefix = instance.prefix();
    interrupt_all(
        db,
        now,
        Sql::bound(
            "SELECT id FROM bulk_runs WHERE status IN ('queued', 'running') \
             AND substr(worker, 1, CAST($1 AS INTEGER)) = $2 AND worker <> $3",
            vec![
                Arg::Int(prefix.chars().count() as i64),
                Arg::Text(prefix),
                Arg::Text(instance.id()),
            ],
        ),
    )
    .await
}

/// Interrupts every run `which` selects (one `id` column); how many.
async fn interrupt_all(db: &Db, now: DateTime<Utc>, which: Sql) -> Result<usize, AppError> {
    #[derive(sqlx::FromRow)]
    struct Id(i64);
    let runs = db.fetch_all::<Id>(&which).await?;
    for Id(id) in &runs {
        interrupt(db, now, *id).await?;
    }
    Ok(runs.len())
}
