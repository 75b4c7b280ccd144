//! The `import_jobs` rows: one per uploaded file, moved along by its run
//! (`run.rs`) and read while the page polls. The SQL of that table lives
//! here and nowhere else.

use super::file::Head;
use crate::domain::db::Tx;
use crate::domain::{Arg, Db, GuildScope, Sql};
use crate::error::AppError;
use crate::model::{Entity, ImportCounts, ImportJob, ImportStatus};
use chrono::{DateTime, Duration, Utc};

/// A checking or running import whose row has not moved for this long lost
/// its server (a batch takes well under a second; upkeep marks it
/// interrupted).
pub const STALE_AFTER: Duration = Duration::seconds(60);

const COLUMNS: &str = "j.id, j.file_name, j.size_bytes, j.entity, j.status, j.processed, \
     j.total, j.dry_run, j.outcome, j.error, u.username AS requested_by, j.created_at, \
     j.finished_at, j.blob_key, j.batch_id";

#[derive(sqlx::FromRow)]
pub(super) struct Row {
    id: i64,
    file_name: String,
    size_bytes: i64,
    entity: Option<String>,
    status: String,
    processed: i64,
    total: Option<i64>,
    dry_run: Option<String>,
    outcome: Option<String>,
    error: Option<String>,
    requested_by: Option<String>,
    created_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    pub blob_key: String,
    pub batch_id: String,
}

fn counts(id: i64, json: Option<&str>) -> Option<ImportCounts> {
    let json = json?;
    serde_json::from_str(json)
        .inspect_err(|e| tracing::error!(job = id, "unreadable counts in import_jobs: {e}"))
        .ok()
}

impl Row {
    pub fn job(&self) -> Result<ImportJob, AppError> {
        let status = ImportStatus::parse(&self.status).ok_or_else(|| {
            tracing::error!(
                job = self.id,
                "unknown status {:?} in import_jobs",
                self.status
            );
            AppError::Internal
        })?;
        Ok(ImportJob {
            id: self.id,
            file_name: self.file_name.clone(),
            size_bytes: self.size_bytes,
            entity: self.entity.as_deref().and_then(Entity::parse),
            status,
            processed: self.processed,
            total: self.total,
            dry_run: counts(self.id, self.dry_run.as_deref()),
            outcome: counts(self.id, self.outcome.as_deref()),
            error: self.error.clone(),
            requested_by: self
                .requested_by
                .clone()
                .unwrap_or_else(|| "a former member".into()),
            created_at: self.created_at,
            finished_at: self.finished_at,
        })
    }
}

fn select(where_: &str) -> String {
    format!("SELECT {COLUMNS} FROM import_jobs j LEFT JOIN users u ON u.id = j.created_by {where_}")
}

/// Records an uploaded file about to be checked; its blob key and audit
/// batch are named after the new id.
pub async fn insert(
    db: &Db,
    scope: &GuildScope,
    file_name: &str,
    size_bytes: u64,
    head: Head,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<(i64, String), AppError> {
    let mut tx = db.begin_write().await?;
    let id = tx
        .fetch_i64(&Sql::bound(
            "INSERT INTO import_jobs (guild_id, created_by, file_name, blob_key, size_bytes, \
             entity, format, status, batch_id, worker, created_at, updated_at) \
             VALUES ($1, $2, $3, '', $4, $5, $6, 'checking', $7, $9, $8, $8) RETURNING id",
            vec![
                Arg::Int(scope.guild_id()),
                Arg::Int(scope.user_id()),
                Arg::Text(file_name.into()),
                Arg::Int(size_bytes as i64),
                Arg::Text(head.entity.as_str().into()),
                Arg::Text(head.format.as_str().into()),
                // Unique until it is renamed below, in the same transaction.
                Arg::Text(format!(
                    "import-new-{}",
                    now.timestamp_nanos_opt().unwrap_or(0)
                )),
                Arg::Time(now),
                Arg::Text(worker.into()),
            ],
        ))
        .await?;
    let key = format!("imports/{}/{id}.{}", scope.guild_id(), head.format.as_str());
    tx.execute(&Sql::bound(
        "UPDATE import_jobs SET blob_key = $1, batch_id = $2 WHERE id = $3",
        vec![
            Arg::Text(key.clone()),
            Arg::Text(format!("import-{id}")),
            Arg::Int(id),
        ],
    ))
    .await?;
    tx.commit().await?;
    Ok((id, key))
}

pub(super) async fn row(db: &Db, scope: &GuildScope, id: i64) -> Result<Row, AppError> {
    db.fetch_optional::<Row>(&Sql::bound(
        select("WHERE j.id = $1 AND j.guild_id = $2"),
        vec![Arg::Int(id), Arg::Int(scope.guild_id())],
    ))
    .await?
    .ok_or_else(|| AppError::NotFound("There is no such import in this guild.".into()))
}

pub async fn get(db: &Db, scope: &GuildScope, id: i64) -> Result<ImportJob, AppError> {
    row(db, scope, id).await?.job()
}

/// The guild's imports, newest first.
pub async fn list(db: &Db, scope: &GuildScope, limit: i64) -> Result<Vec<ImportJob>, AppError> {
    db.fetch_all::<Row>(&Sql::bound(
        select("WHERE j.guild_id = $1 ORDER BY j.created_at DESC, j.id DESC LIMIT $2"),
        vec![Arg::Int(scope.guild_id()), Arg::Int(limit)],
    ))
    .await?
    .iter()
    .map(Row::job)
    .collect()
}

/// Saves how far a check got (which also shows it is alive) and says
/// whether it was asked to stop. Each batch calls it.
pub async fn checking(
    db: &Db,
    id: i64,
    processed: i64,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    db.execute(&progress_sql(id, processed, None, now)).await?;
    Ok(db.fetch_i64(&cancel_sql(id)).await? != 0)
}

/// Saves what a run has written so far, in the transaction that wrote the
/// batch: the row never says more or less than the database holds, even
/// when the server dies between two batches. Says whether it was asked to
/// stop.
pub async fn written(
    tx: &mut Tx,
    id: i64,
    outcome: &ImportCounts,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    tx.execute(&progress_sql(id, outcome.items(), Some(outcome), now))
        .await?;
    Ok(tx.fetch_i64(&cancel_sql(id)).await? != 0)
}

fn progress_sql(
    id: i64,
    processed: i64,
    outcome: Option<&ImportCounts>,
    now: DateTime<Utc>,
) -> Sql {
    let outcome = outcome.map(|o| serde_json::to_string(o).expect("counts serialize"));
    Sql::bound(
        "UPDATE import_jobs SET processed = $1, outcome = COALESCE($2, outcome), updated_at = $3 \
         WHERE id = $4",
        vec![
            Arg::Int(processed),
            Arg::OptText(outcome),
            Arg::Time(now),
            Arg::Int(id),
        ],
    )
}

fn cancel_sql(id: i64) -> Sql {
    Sql::bound(
        "SELECT cancel_requested FROM import_jobs WHERE id = $1",
        vec![Arg::Int(id)],
    )
}

/// The dry run is done: the counts wait for a member's confirmation.
/// False when a Cancel came in meanwhile (the caller ends it cancelled).
pub async fn checked(
    db: &Db,
    id: i64,
    dry_run: &ImportCounts,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let moved = db
        .execute(&Sql::bound(
            "UPDATE import_jobs SET status = 'ready', total = $1, processed = $1, dry_run = $2, \
         updated_at = $3 WHERE id = $4 AND status = 'checking' AND cancel_requested = 0",
            vec![
                Arg::Int(dry_run.items()),
                Arg::Text(serde_json::to_string(dry_run).expect("counts serialize")),
                Arg::Time(now),
                Arg::Int(id),
            ],
        ))
        .await?;
    Ok(moved == 1)
}

/// Ends a job that did not get to write anything: the file was refused,
/// or its check was cancelled.
pub async fn end_unwritten(
    db: &Db,
    id: i64,
    status: ImportStatus,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    db.execute(&Sql::bound(
        "UPDATE import_jobs SET status = $1, error = $2, finished_at = $3, updated_at = $3 \
         WHERE id = $4 AND status IN ('checking', 'ready')",
        vec![
            Arg::Text(status.as_str().into()),
            Arg::OptText(error.map(String::from)),
            Arg::Time(now),
            Arg::Int(id),
        ],
    ))
    .await?;
    Ok(())
}

/// Moves a checked job to running; false when it was not waiting (a second
/// confirmation, or a cancel in between).
pub async fn start(
    db: &Db,
    scope: &GuildScope,
    id: i64,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    Ok(db
        .execute(&Sql::bound(
            "UPDATE import_jobs SET status = 'running', processed = 0, cancel_requested = 0, \
             worker = $4, updated_at = $1 \
             WHERE id = $2 AND guild_id = $3 AND status = 'ready'",
            vec![
                Arg::Time(now),
                Arg::Int(id),
                Arg::Int(scope.guild_id()),
                Arg::Text(worker.into()),
            ],
        ))
        .await?
        == 1)
}

/// Asks a busy job to stop at its next batch; a job waiting for
/// confirmation is cancelled at once. Answers whether anything changed.
pub async fn request_cancel(
    db: &Db,
    scope: &GuildScope,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    db.execute(&Sql::bound(
        "UPDATE import_jobs SET cancel_requested = 1 \
         WHERE id = $1 AND guild_id = $2 AND status IN ('checking', 'running')",
        vec![Arg::Int(id), Arg::Int(scope.guild_id())],
    ))
    .await?;
    end_unwritten_if_ready(db, scope, id, now).await
}

async fn end_unwritten_if_ready(
    db: &Db,
    scope: &GuildScope,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    db.execute(&Sql::bound(
        "UPDATE import_jobs SET status = 'cancelled', finished_at = $1, updated_at = $1 \
         WHERE id = $2 AND guild_id = $3 AND status = 'ready'",
        vec![Arg::Time(now), Arg::Int(id), Arg::Int(scope.guild_id())],
    ))
    .await?;
    Ok(())
}

/// Ends a running import, in the transaction of its last batch's audit
/// summary.
pub async fn finish(
    tx: &mut Tx,
    id: i64,
    status: ImportStatus,
    outcome: &ImportCounts,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    tx.execute(&Sql::bound(
        "UPDATE import_jobs SET status = $1, outcome = $2, error = $3, processed = $4, \
         finished_at = $5, updated_at = $5 WHERE id = $6",
        vec![
            Arg::Text(status.as_str().into()),
            Arg::Text(serde_json::to_string(outcome).expect("counts serialize")),
            Arg::OptText(error.map(String::from)),
            Arg::Int(outcome.items()),
            Arg::Time(now),
            Arg::Int(id),
        ],
    ))
    .await?;
    Ok(())
}

/// How long a checked import waits for its confirmation; then it is
/// cancelled and its file removed (it holds a stored upload).
pub const READY_FOR: Duration = Duration::days(1);

/// Checked imports nobody confirmed within [`READY_FOR`]: cancelled, with
/// their blob keys returned for removal.
pub(super) async fn expire_unconfirmed(
    db: &Db,
    now: DateTime<Utc>,
) -> Result<Vec<String>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Key {
        blob_key: String,
    }
    let keys = db
        .fetch_all::<Key>(&Sql::bound(
            "SELECT blob_key FROM import_jobs WHERE status = 'ready' AND updated_at < $1",
            vec![Arg::Time(now - READY_FOR)],
        ))
        .await?;
    db.execute(&Sql::bound(
        "UPDATE import_jobs SET status = 'cancelled', finished_at = $1, \
         error = 'Not confirmed within a day; upload the file again to import it.' \
         WHERE status = 'ready' AND updated_at < $2",
        vec![Arg::Time(now), Arg::Time(now - READY_FOR)],
    ))
    .await?;
    Ok(keys.into_iter().map(|k| k.blob_key).collect())
}

/// A busy job whose server stopped.
#[derive(sqlx::FromRow)]
pub(super) struct Stale {
    pub id: i64,
    pub guild_id: i64,
    pub status: String,
    pub created_by: Option<i64>,
    pub entity: Option<String>,
    pub file_name: String,
    pub outcome: Option<String>,
    pub batch_id: String,
    pub blob_key: String,
}

/// Which busy jobs lost their server.
#[derive(Clone, Copy)]
pub(super) enum Lost<'a> {
    /// Rows that have not moved for [`STALE_AFTER`] before the time given.
    Silent(DateTime<Utc>),
    /// Rows held by an earlier start of this server (`prefix` of its
    /// `Instance::id()`), not by this one (`me`).
    EarlierStart { prefix: &'a str, me: &'a str },
}

impl Lost<'_> {
    /// Appends `AND …` selecting the lost rows.
    fn condition(self, sql: &mut Sql) {
        match self {
            Self::Silent(now) => {
                sql.push(" AND updated_at < ")
                    .bind(Arg::Time(now - STALE_AFTER));
            }
            Self::EarlierStart { prefix, me } => {
                sql.push(" AND substr(worker, 1, CAST(")
                    .bind(prefix.chars().count() as i64)
                    .push(" AS INTEGER)) = ")
                    .bind(prefix)
                    .push(" AND worker <> ")
                    .bind(me);
            }
        }
    }
}

/// The busy jobs that lost their server.
pub(super) async fn lost(db: &Db, which: Lost<'_>) -> Result<Vec<Stale>, AppError> {
    let mut sql = Sql::new(
        "SELECT id, guild_id, status, created_by, entity, file_name, outcome, batch_id, blob_key \
         FROM import_jobs WHERE status IN ('checking', 'running')",
    );
    which.condition(&mut sql);
    db.fetch_all::<Stale>(&sql).await
}

/// Marks a lost job interrupted, unless it moved meanwhile; answers
/// whether it did.
pub(super) async fn interrupt(
    tx: &mut Tx,
    id: i64,
    which: Lost<'_>,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let mut sql = Sql::new("UPDATE import_jobs SET status = 'interrupted', finished_at = ");
    sql.bind(Arg::Time(now))
        .push(", error = 'The server stopped during the import.' WHERE id = ")
        .bind(id)
        .push(" AND status IN ('checking', 'running')");
    which.condition(&mut sql);
    Ok(tx.execute(&sql).await? == 1)
}
