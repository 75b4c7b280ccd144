//! The `export_jobs` table: history for every export, queue for the
//! background ones.
//!
//! Claiming is one statement per backend. SQLite runs it in its single
//! writer, so two workers cannot take one job. PostgreSQL locks the row with
//! `FOR UPDATE SKIP LOCKED` (several server instances share the queue) and
//! first takes a transaction-scoped advisory lock, so two instances cannot
//! both see "2 running" and start a fourth job for one guild.

use crate::domain::{Arg, Db, GuildScope, Sql};
use crate::error::AppError;
use crate::model::{Entity, ExportFormat, ExportJob, ExportRequest, JobStatus, Role};
use chrono::{DateTime, Utc};

/// At most this many background exports run at once per guild; the rest
/// wait in the queue and say so.
pub const MAX_RUNNING_PER_GUILD: i64 = 3;
/// Background exports one member may have queued or running at once, and
/// one guild: a flood from one member or guild cannot fill the queue, and
/// whoever reaches the limit is told so at once rather than waiting hours.
pub const MAX_ACTIVE_PER_MEMBER: i64 = 10;
pub const MAX_ACTIVE_PER_GUILD: i64 = 30;
/// A running job whose worker has been silent this long is presumed dead.
pub const STALE_AFTER: chrono::Duration = chrono::Duration::seconds(30);
/// A job is tried this many times before it fails for good.
pub const MAX_ATTEMPTS: i64 = 3;

const JOB_COLUMNS: &str =
    "j.id, j.entity, j.format, j.scope_label, j.filename, j.status, j.total, \
     j.processed, j.size_bytes, j.error, u.username AS requested_by, j.created_at, j.finished_at, \
     j.expires_at, j.instant, j.file_key, j.requested_by AS requested_by_id, j.via, \
     (SELECT COUNT(*) FROM export_jobs q WHERE q.guild_id = j.guild_id \
      AND q.status IN ('queued', 'running') AND q.id < j.id) AS ahead";

#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    entity: String,
    format: String,
    scope_label: String,
    filename: String,
    status: String,
    total: Option<i64>,
    processed: i64,
    size_bytes: Option<i64>,
    error: Option<String>,
    requested_by: Option<String>,
    created_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    instant: bool,
    ahead: i64,
    file_key: Option<String>,
    requested_by_id: Option<i64>,
    via: Option<String>,
}

impl TryFrom<JobRow> for ExportJob {
    type Error = AppError;
    fn try_from(r: JobRow) -> Result<Self, AppError> {
        let bad = |what: &str, v: &str| {
            tracing::error!(job = r.id, "unknown {what} {v:?} in export_jobs");
            AppError::Internal
        };
        let status = JobStatus::parse(&r.status).ok_or_else(|| bad("status", &r.status))?;
        Ok(ExportJob {
            id: r.id,
            entity: Entity::parse(&r.entity).ok_or_else(|| bad("entity", &r.entity))?,
            format: ExportFormat::parse(&r.format).ok_or_else(|| bad("format", &r.format))?,
            scope: r.scope_label,
            filename: r.filename,
            status,
            total: r.total,
            processed: r.processed,
            size_bytes: r.size_bytes,
            error: r.error,
            requested_by: r.requested_by.unwrap_or_else(|| "a former member".into()),
            created_at: r.created_at,
            finished_at: r.finished_at,
            expires_at: r.expires_at,
            instant: r.instant,
            queue_ahead: (status == JobStatus::Queued).then_some(r.ahead),
            via: r.via,
        })
    }
}

fn select(where_: &str) -> String {
    format!(
        "SELECT {JOB_COLUMNS} FROM export_jobs j LEFT JOIN users u ON u.id = j.requested_by {where_}"
    )
}

/// An export about to be recorded.
pub struct NewJob<'a> {
    pub req: &'a ExportRequest,
    /// The history's Scope column ("TikTok · Nightfall Energy").
    pub label: &'a str,
    pub filename: &'a str,
    /// Made while the member waits, by `worker`; otherwise queued.
    pub instant: bool,
    pub worker: Option<&'a str>,
    /// Where it was asked for, when not in the web app (`"discord"`).
    pub via: Option<&'a str>,
}

/// Records a new export. Instant ones start as running (the request thread
/// makes the file), background ones as queued.
pub async fn insert(
    db: &Db,
    scope: &GuildScope,
    job: NewJob<'_>,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let NewJob {
        req,
        label,
        filename,
        instant,
        worker,
        via,
    } = job;
    let request = serde_json::to_string(req).map_err(|e| {
        tracing::error!("serialize export request: {e}");
        AppError::Internal
    })?;
    let (status, flag) = if instant {
        ("running", "TRUE")
    } else {
        ("queued", "FALSE")
    };
    let sql = Sql::bound(
        format!(
            "INSERT INTO export_jobs (guild_id, requested_by, entity, format, scope_label, request, \
             filename, instant, status, attempts, worker, created_at, started_at, heartbeat_at, via) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, {flag}, '{status}', $8, $9, $10, $11, $11, $12) RETURNING id"
        ),
        vec![
            Arg::Int(scope.guild_id()),
            Arg::Int(scope.user_id()),
            Arg::Text(req.entity.as_str().into()),
            Arg::Text(req.format.ext().into()),
            Arg::Text(label.into()),
            Arg::Text(request),
            Arg::Text(filename.into()),
            Arg::Int(i64::from(instant)),
            Arg::OptText(worker.map(str::to_string)),
            Arg::Time(now),
            Arg::OptTime(instant.then_some(now)),
            Arg::OptText(via.map(str::to_string)),
        ],
    );
    db.insert_returning_id(&sql).await
}

async fn row(db: &Db, scope: &GuildScope, id: i64) -> Result<JobRow, AppError> {
    let sql = Sql::bound(
        select("WHERE j.id = $1 AND j.guild_id = $2"),
        vec![Arg::Int(id), Arg::Int(scope.guild_id())],
    );
    db.fetch_optional::<JobRow>(&sql)
        .await?
        .ok_or_else(|| AppError::not_found("There is no such export in this guild."))
}

/// One export with its stored file's key, whatever its guild: for a
/// signed link or a Discord reply, which prove their right to it
/// themselves.
pub async fn get_unscoped(db: &Db, id: i64) -> Result<(ExportJob, Option<String>), AppError> {
    let sql = Sql::bound(select("WHERE j.id = $1"), vec![Arg::Int(id)]);
    let mut r = db
        .fetch_optional::<JobRow>(&sql)
        .await?
        .ok_or_else(|| AppError::not_found("There is no such export."))?;
    let key = r.file_key.take();
    Ok((r.try_into()?, key))
}

/// One export of the guild; 404 for another guild's.
pub async fn get(db: &Db, scope: &GuildScope, id: i64) -> Result<ExportJob, AppError> {
    row(db, scope, id).await?.try_into()
}

/// One export of the guild with its stored file's key, if it has one.
pub async fn get_with_key(
    db: &Db,
    scope: &GuildScope,
    id: i64,
) -> Result<(ExportJob, Option<String>), AppError> {
    let mut r = row(db, scope, id).await?;
    let key = r.file_key.take();
    Ok((r.try_into()?, key))
}

/// The stored request of an export of the guild (what Retry runs again).
pub async fn request_of(db: &Db, scope: &GuildScope, id: i64) -> Result<String, AppError> {
    let (request,) = db
        .fetch_optional::<(String,)>(&Sql::bound(
            "SELECT request FROM export_jobs WHERE id = $1 AND guild_id = $2",
            vec![Arg::Int(id), Arg::Int(scope.guild_id())],
        ))
        .await?
        .ok_or_else(|| AppError::not_found("There is no such export in this guild."))?;
    Ok(request)
}

/// The guild's exports, newest first.
pub async fn list(db: &Db, scope: &GuildScope, limit: i64) -> Result<Vec<ExportJob>, AppError> {
    let sql = Sql::bound(
        select("WHERE j.guild_id = $1 ORDER BY j.id DESC LIMIT $2"),
        vec![Arg::Int(scope.guild_id()), Arg::Int(limit)],
    );
    rows(db, &sql).await
}

/// The given exports of the guild (what a browser is watching).
pub async fn by_ids(db: &Db, scope: &GuildScope, ids: &[i64]) -> Result<Vec<ExportJob>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(select(""));
    sql.push(" WHERE j.guild_id = ")
        .bind(scope.guild_id())
        .push(" AND j.id IN (");
    for (i, id) in ids.iter().take(50).enumerate() {
        sql.push(if i > 0 { ", " } else { "" }).bind(*id);
    }
    sql.push(") ORDER BY j.id");
    rows(db, &sql).await
}

/// The member's own exports that are still queued or running, so a reloaded
/// page can keep showing their progress.
pub async fn active_of(db: &Db, scope: &GuildScope) -> Result<Vec<ExportJob>, AppError> {
    let sql = Sql::bound(
        select(
            "WHERE j.guild_id = $1 AND j.requested_by = $2 AND j.status IN ('queued', 'running') \
             ORDER BY j.id",
        ),
        vec![Arg::Int(scope.guild_id()), Arg::Int(scope.user_id())],
    );
    rows(db, &sql).await
}

/// Bounded lists only (`LIMIT` or a short id list): job rows, not export data.
async fn rows(db: &Db, sql: &Sql) -> Result<Vec<ExportJob>, AppError> {
    db.fetch_all::<JobRow>(sql)
        .await?
        .into_iter()
        .map(ExportJob::try_from)
        .collect()
}

/// Stops a queued or running export. Its requester may, and so may admins.
pub async fn cancel(
    db: &Db,
    scope: &GuildScope,
    id: i64,
    now: DateTime<Utc>,
) -> Result<ExportJob, AppError> {
    let r = row(db, scope, id).await?;
    let owner = r.requested_by_id;
    let job = ExportJob::try_from(r)?;
    if owner != Some(scope.user_id()) {
        scope.require(Role::Admin, "cancel another member’s export")?;
    }
    // A Cancel that crosses the finish is not an error: nothing failed, and
    // the member gets the job as it ended (a finished file to download).
    if !job.status.is_active() {
        return Ok(job);
    }
    // Conditional, so a worker finishing in between wins and `get` says so.
    db.execute(&Sql::bound(
        "UPDATE export_jobs SET status = 'cancelled', finished_at = $1, worker = NULL \
         WHERE id = $2 AND status IN ('queued', 'running')",
        vec![Arg::Time(now), Arg::Int(id)],
    ))
    .await?;
    get(db, scope, id).await
}

/// A job a worker has taken.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: i64,
    pub guild_id: i64,
    pub requested_by: Option<i64>,
    pub request: String,
    /// What the history says the export holds (its Scope column).
    pub scope_label: String,
    pub filename: String,
    pub attempts: i64,
}

/// Refuses a new background export when the member or the guild already
/// has its most queued or running. Checked before the insert: two starts
/// in the same instant can both pass and go one over, which the per-guild
/// running limit still bounds.
pub async fn check_room(db: &Db, scope: &GuildScope) -> Result<(), AppError> {
    #[derive(sqlx::FromRow)]
    struct Active {
        guild: i64,
        member: i64,
    }
    // One read of the guild's active jobs answers both limits.
    let active = db
        .fetch_optional::<Active>(&Sql::bound(
            "SELECT COUNT(*) AS guild, \
             COALESCE(SUM(CASE WHEN requested_by = $2 THEN 1 ELSE 0 END), 0) AS member \
             FROM export_jobs WHERE status IN ('queued', 'running') AND instant = FALSE \
             AND guild_id = $1",
            vec![Arg::Int(scope.guild_id()), Arg::Int(scope.user_id())],
        ))
        .await?
        .unwrap_or(Active {
            guild: 0,
            member: 0,
        });
    if active.member >= MAX_ACTIVE_PER_MEMBER {
        return Err(AppError::TooMany(format!(
            "You already have {MAX_ACTIVE_PER_MEMBER} exports queued or running, the most one \
             member can have. Wait for one to finish, or cancel one on the Exports page."
        )));
    }
    if active.guild >= MAX_ACTIVE_PER_GUILD {
        return Err(AppError::TooMany(format!(
            "This guild already has {MAX_ACTIVE_PER_GUILD} exports queued or running, the most \
             it can have. Try again when some have finished."
        )));
    }
    Ok(())
}

/// Takes the next queued job whose guild has a free running slot: from
/// the guild with the fewest running, then the oldest. So guilds take
/// turns: one that queued a thousand exports holds one worker at a time
/// while another guild's export waits, not every worker until its queue
/// is empty.
pub async fn claim_next(
    db: &Db,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<Option<Claimed>, AppError> {
    let running = "(SELECT COUNT(*) FROM export_jobs r WHERE r.guild_id = j.guild_id \
                   AND r.status = 'running')";
    let pick = |lock: &str| {
        format!(
            "UPDATE export_jobs SET status = 'running', worker = $1, attempts = attempts + 1, \
             started_at = $2, heartbeat_at = $2, processed = 0, total = NULL, error = NULL \
             WHERE id = (SELECT j.id FROM export_jobs j WHERE j.status = 'queued' \
               AND {running} < $3 ORDER BY {running}, j.id LIMIT 1{lock}) \
             AND status = 'queued' \
             RETURNING id, guild_id, requested_by, request, scope_label, filename, attempts"
        )
    };
    let args = vec![
        Arg::Text(worker.into()),
        Arg::Time(now),
        Arg::Int(MAX_RUNNING_PER_GUILD),
    ];
    match db {
        Db::Sqlite(..) => db.returning(&Sql::bound(pick(""), args)).await,
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            // Serialises claims (not the exports): each is one short
            // statement, and it keeps the per-guild limit exact.
            sqlx::query("SELECT pg_advisory_xact_lock(7340001)")
                .execute(&mut *tx)
                .await?;
            let sql = Sql::bound(pick(" FOR UPDATE SKIP LOCKED"), args);
            let claimed =
                crate::domain::db::bind_pg_as(sqlx::query_as::<_, Claimed>(&sql.text), &sql.args)
                    .fetch_optional(&mut *tx)
                    .await?;
            tx.commit().await?;
            Ok(claimed)
        }
    }
}

/// Reports progress and proves the worker alive. False when the job is no
/// longer this worker's (cancelled, or requeued after a stall): stop.
pub async fn heartbeat(
    db: &Db,
    id: i64,
    worker: &str,
    total: Option<i64>,
    processed: i64,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let n = db
        .execute(&Sql::bound(
            "UPDATE export_jobs SET heartbeat_at = $1, total = $2, processed = $3 \
             WHERE id = $4 AND worker = $5 AND status = 'running'",
            vec![
                Arg::Time(now),
                Arg::OptInt(total),
                Arg::Int(processed),
                Arg::Int(id),
                Arg::Text(worker.into()),
            ],
        ))
        .await?;
    Ok(n == 1)
}

/// Marks a job failed with a sentence for the user.
pub async fn fail(db: &Db, id: i64, error: &str, now: DateTime<Utc>) -> Result<(), AppError> {
    db.execute(&Sql::bound(
        "UPDATE export_jobs SET status = 'failed', error = $1, finished_at = $2, worker = NULL \
         WHERE id = $3 AND status IN ('queued', 'running')",
        vec![Arg::Text(error.into()), Arg::Time(now), Arg::Int(id)],
    ))
    .await?;
    Ok(())
}

/// Which running jobs have lost their worker.
enum Gone<'a> {
    /// Silent for [`STALE_AFTER`]: the worker's server stopped.
    Silent { now: DateTime<Utc> },
    /// Held by an earlier start of this same server, which is gone (see
    /// [`crate::domain::Instance`]).
    EarlierStartOf(&'a crate::domain::Instance),
}

impl Gone<'_> {
    /// Appends the condition, ` AND …`, to `sql`.
    fn push_condition(&self, sql: &mut Sql) {
        match self {
            Gone::Silent { now } => {
                sql.push(" AND heartbeat_at < ").bind(*now - STALE_AFTER);
            }
            Gone::EarlierStartOf(instance) => {
                let (prefix, id) = (instance.prefix(), instance.id());
                sql.push(" AND substr(worker, 1, CAST(")
                    .bind(prefix.chars().count() as i64)
                    .push(" AS INTEGER)) = ")
                    .bind(prefix)
                    .push(" AND substr(worker, 1, CAST(")
                    .bind(id.chars().count() as i64)
                    .push(" AS INTEGER)) <> ")
                    .bind(id);
            }
        }
    }
}

/// Running jobs whose worker is gone: requeued, or failed once they have
/// had [`MAX_ATTEMPTS`] (instant ones fail at once: their user got an error
/// already). Returns (requeued, failed).
async fn recover(db: &Db, now: DateTime<Utc>, gone: Gone<'_>) -> Result<(u64, u64), AppError> {
    let mut fail = Sql::new("UPDATE export_jobs SET status = 'failed', finished_at = ");
    fail.bind(now)
        .push(", worker = NULL, error = ")
        .bind(format!(
            "The server stopped while making this export ({MAX_ATTEMPTS} attempts at most). \
             Try again; if it keeps failing, export a smaller view."
        ))
        .push(" WHERE status = 'running' AND (instant OR attempts >= ")
        .bind(MAX_ATTEMPTS)
        .push(")");
    gone.push_condition(&mut fail);
    let failed = db.execute(&fail).await?;
    let mut requeue = Sql::new(
        "UPDATE export_jobs SET status = 'queued', worker = NULL, processed = 0 \
         WHERE status = 'running'",
    );
    gone.push_condition(&mut requeue);
    let requeued = db.execute(&requeue).await?;
    if requeued + failed > 0 {
        tracing::warn!(
            requeued,
            failed,
            "recovered export jobs whose worker stopped"
        );
    }
    Ok((requeued, failed))
}

/// Running jobs whose worker went silent for [`STALE_AFTER`]: requeued, or
/// failed once they have had [`MAX_ATTEMPTS`]. Returns (requeued, failed).
pub async fn recover_stale(db: &Db, now: DateTime<Utc>) -> Result<(u64, u64), AppError> {
    recover(db, now, Gone::Silent { now }).await
}

/// At a server's start, before its workers run: the jobs an earlier start
/// of this same server was making are requeued (or failed) at once, rather
/// than after [`STALE_AFTER`] of silence. Returns (requeued, failed).
pub async fn take_back(
    db: &Db,
    instance: &crate::domain::Instance,
    now: DateTime<Utc>,
) -> Result<(u64, u64), AppError> {
    recover(db, now, Gone::EarlierStartOf(instance)).await
}

/// Done exports whose file is past its retention: (id, key), at most
/// `limit` at a time.
pub async fn expired_files(
    db: &Db,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(i64, String)>, AppError> {
    db.fetch_all::<(i64, String)>(&Sql::bound(
        "SELECT id, file_key FROM export_jobs WHERE file_key IS NOT NULL AND expires_at <= $1 \
         ORDER BY expires_at LIMIT $2",
        vec![Arg::Time(now), Arg::Int(limit)],
    ))
    .await
}

pub async fn mark_expired(db: &Db, id: i64) -> Result<(), AppError> {
    db.execute(&Sql::bound(
        "UPDATE export_jobs SET status = 'expired', file_key = NULL WHERE id = $1",
        vec![Arg::Int(id)],
    ))
    .await?;
    Ok(())
}

/// Marks a job done with its stored file, inside the caller's transaction
/// (which also writes the audit entries). False when the job stopped being
/// this worker's meanwhile (cancelled): the caller rolls back.
#[allow(clippy::too_many_arguments)]
pub async fn complete(
    tx: &mut crate::domain::db::Tx,
    id: i64,
    worker: &str,
    rows: i64,
    size: i64,
    key: &str,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<bool, AppError> {
    let n = tx
        .execute(&Sql::bound(
            "UPDATE export_jobs SET status = 'done', total = $1, processed = $1, size_bytes = $2, \
             file_key = $3, finished_at = $4, heartbeat_at = $4, expires_at = $5, worker = NULL \
             WHERE id = $6 AND worker = $7 AND status = 'running'",
            vec![
                Arg::Int(rows),
                Arg::Int(size),
                Arg::Text(key.into()),
                Arg::Time(now),
                Arg::Time(expires),
                Arg::Int(id),
                Arg::Text(worker.into()),
            ],
        ))
        .await?;
    Ok(n == 1)
}
