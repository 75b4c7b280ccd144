//! The `bulk_runs` rows: one per confirmed action, created when it starts,
//! saved with every chunk, read while the browser polls, and ended as
//! interrupted when its server stopped mid-way. The SQL of that table lives
//! here and nowhere else (as `export/jobs.rs` does for export jobs).

use super::run::Tally;
use crate::domain::audit::{self, Entry};
use crate::domain::db::Tx;
use crate::domain::{Arg, Db, GuildScope, Sql};
use crate::error::AppError;
use crate::format::thousands;
use crate::model::bulk::past_tense;
use crate::model::{BulkAction, BulkRun, Entity, RunStatus};
use chrono::{DateTime, Duration, Utc};

/// A running action whose row has not moved for this long lost its server
/// (chunks take milliseconds); upkeep reports it as interrupted.
pub const STALE_AFTER: Duration = Duration::seconds(60);

/// Records a new run of `total` items; its id and its batch id
/// (`delete-42`), which names the run's audit entries and trashed items.
pub(super) async fn create(
    db: &Db,
    scope: &GuildScope,
    entity: Entity,
    action: &BulkAction,
    total: usize,
    now: DateTime<Utc>,
) -> Result<(i64, String), AppError> {
    let mut tx = db.begin().await?;
    #[derive(sqlx::FromRow)]
    struct Id(i64);
    let Id(run_id) = tx
        .fetch_optional::<Id>(&Sql::bound(
            "INSERT INTO bulk_runs (guild_id, user_id, entity, action, batch_id, status, total, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'running', $6, $7, $7) RETURNING id",
            vec![
                Arg::Int(scope.guild_id()),
                Arg::Int(scope.user_id()),
                Arg::Text(entity.as_str().into()),
                Arg::Text(action.as_str().into()),
                // The column is unique: a placeholder until the id is known.
                Arg::Text(format!("new-{}-{}", scope.user_id(), now.timestamp_micros())),
                Arg::Int(total as i64),
                Arg::Time(now),
            ],
        ))
        .await?
        .ok_or(AppError::Internal)?;
    let batch_id = format!("{}-{run_id}", action.as_str());
    tx.execute(&Sql::bound(
        "UPDATE bulk_runs SET batch_id = $1 WHERE id = $2",
        vec![Arg::Text(batch_id.clone()), Arg::Int(run_id)],
    ))
    .await?;
    tx.commit().await?;
    Ok((run_id, batch_id))
}

/// Marks the run as alive at `now`. A chunk does this first: on SQLite it
/// takes the write lock at once (waiting for it if need be) instead of
/// failing later when a read turns into a write.
pub(super) async fn touch(tx: &mut Tx, run_id: i64, now: DateTime<Utc>) -> Result<(), AppError> {
    tx.execute(&Sql::bound(
        "UPDATE bulk_runs SET updated_at = $1 WHERE id = $2",
        vec![Arg::Time(now), Arg::Int(run_id)],
    ))
    .await?;
    Ok(())
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
}

const RUN_COLUMNS: &str = "SELECT id, guild_id, user_id, entity, action, batch_id, status, total, \
     processed, succeeded, failed, failures, summary FROM bulk_runs";

impl RunRow {
    fn into_run(self) -> Result<BulkRun, AppError> {
        Ok(BulkRun {
            id: self.id,
            entity: Entity::parse(&self.entity).ok_or(AppError::Internal)?,
            action: self.action,
            status: RunStatus::parse(&self.status).ok_or(AppError::Internal)?,
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
    sql.push(" WHERE id = ").bind(run_id);
    if let Some(g) = guild_id {
        sql.push(" AND guild_id = ").bind(g);
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

/// Ends a run that cannot go on, with an audit summary of what was done.
/// Does nothing when the run already ended (another instance got there).
pub(super) async fn interrupt(db: &Db, now: DateTime<Utc>, run_id: i64) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    let Some(run) = tx
        .fetch_optional::<RunRow>(&Sql::bound(
            format!("{RUN_COLUMNS} WHERE id = $1 AND status = 'running'"),
            vec![Arg::Int(run_id)],
        ))
        .await?
    else {
        return Ok(());
    };
    let entity = Entity::parse(&run.entity).ok_or(AppError::Internal)?;
    let summary = format!(
        "Stopped after {} of {}: {} {}, {} failed; the rest are unchanged",
        thousands(run.processed),
        entity.count(run.total),
        thousands(run.succeeded),
        past_tense(&run.action),
        thousands(run.failed),
    );
    let changed = tx
        .execute(&Sql::bound(
            "UPDATE bulk_runs SET status = 'interrupted', summary = $1, finished_at = $2, \
             updated_at = $2 WHERE id = $3 AND status = 'running'",
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
        };
        audit::record(&mut tx, db.dialect(), run.guild_id, now, &[entry]).await?;
    }
    tx.commit().await
}

/// Reports runs whose server stopped mid-way as interrupted; returns how many.
pub async fn recover_stale(db: &Db, now: DateTime<Utc>) -> Result<usize, AppError> {
    #[derive(sqlx::FromRow)]
    struct Id(i64);
    let stale = db
        .fetch_all::<Id>(&Sql::bound(
            "SELECT id FROM bulk_runs WHERE status = 'running' AND updated_at < $1",
            vec![Arg::Time(now - STALE_AFTER)],
        ))
        .await?;
    for Id(id) in &stale {
        interrupt(db, now, *id).await?;
    }
    Ok(stale.len())
}
