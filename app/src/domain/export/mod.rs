//! Exports of accounts and posts as CSV, JSON and XLSX.
//!
//! - [`plan`] turns an entity and a scope (view, all, selection) into SQL;
//! - a reader streams the rows ([`sqlite_source`]: rusqlite on a blocking
//!   thread; [`pg_source`]: sqlx streaming) into a [`sink::Sink`] per
//!   format, one row at a time;
//! - [`jobs`] keeps every export in `export_jobs` (instant ones too, for the
//!   history), and [`service`] decides instant or background and runs them;
//! - files go to a [`blob::BlobStore`] under `{guild}/{job}` keys;
//! - [`share`] signs the expiring links of exports made from Discord.

pub mod blob;
pub mod columns;
mod csv_sink;
mod iso;
pub mod jobs;
pub mod json_sink;
pub mod naming;
mod pg_source;
pub mod plan;
pub mod service;
pub mod share;
pub mod sink;
mod sqlite_source;
mod xlsx_sink;

pub use blob::{BlobError, BlobStore, Fetched, LocalStore};
pub use json_sink::FORMAT_VERSION;
pub use service::ExportSettings;
pub use xlsx_sink::TRUNCATION_MARKER;

use crate::domain::Db;
use sink::{Out, SinkSpec};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

/// Why writing an export stopped. Internal detail; [`service`] turns it
/// into a sentence for the user and logs the rest.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cancelled")]
    Cancelled,
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("database: {0}")]
    Db(String),
}

impl From<rusqlite::Error> for ExportError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Db(e.to_string())
    }
}

impl From<sqlx::Error> for ExportError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(e.to_string())
    }
}

/// Shared between the thread that writes and the task that reports:
/// rows written so far, the total once counted, and the cancel flag.
#[derive(Debug, Default)]
pub struct Progress {
    processed: AtomicU64,
    /// -1 until counted.
    total: AtomicI64,
    cancelled: AtomicBool,
    /// `EXPORT_MAX_ROWS_PER_SECOND`: paces the writer (and so the reads).
    pace: Option<(std::time::Instant, u32)>,
}

impl Progress {
    pub fn new() -> Arc<Self> {
        Self::paced(None)
    }
    /// Progress that also holds the writer to `rows_per_second`.
    pub fn paced(rows_per_second: Option<u32>) -> Arc<Self> {
        Arc::new(Self {
            total: AtomicI64::new(-1),
            pace: rows_per_second
                .filter(|r| *r > 0)
                .map(|r| (std::time::Instant::now(), r)),
            ..Default::default()
        })
    }
    pub fn set_total(&self, n: i64) {
        self.total.store(n, Ordering::Relaxed);
    }
    pub fn total(&self) -> Option<i64> {
        Some(self.total.load(Ordering::Relaxed)).filter(|n| *n >= 0)
    }
    pub fn processed(&self) -> u64 {
        self.processed.load(Ordering::Relaxed)
    }
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }
    /// Records progress; fails with `Cancelled` once cancel was asked for,
    /// so the writer stops at its next checkpoint.
    pub fn advance_to(&self, n: u64) -> Result<(), ExportError> {
        self.processed.store(n, Ordering::Relaxed);
        if let Some((start, rate)) = self.pace {
            // Called from the writer's thread, never from the runtime.
            let due = std::time::Duration::from_secs_f64(n as f64 / f64::from(rate));
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        if self.cancelled.load(Ordering::Relaxed) {
            Err(ExportError::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// What a finished write produced.
#[derive(Debug)]
pub struct Outcome {
    pub rows: u64,
    /// The exported ids, when asked for (selection exports audit each item).
    pub ids: Vec<i64>,
}

/// How many items the plan exports. On SQLite through rusqlite without a
/// memory map, like the export itself (see `sqlite_source::open`).
pub async fn count(db: &Db, plan: &plan::Plan) -> Result<i64, crate::error::AppError> {
    match db {
        Db::Sqlite(pool, _) => {
            let path = pool.connect_options().get_filename().to_path_buf();
            let sql = plan.count.clone();
            tokio::task::spawn_blocking(move || sqlite_source::count(&path, &sql))
                .await
                .map_err(|e| {
                    tracing::error!("export count panicked: {e}");
                    crate::error::AppError::Internal
                })?
                .map_err(|e| {
                    tracing::error!("export count failed: {e}");
                    crate::error::AppError::Internal
                })
        }
        Db::Postgres(_) => db.fetch_i64(&plan.count).await,
    }
}

/// Streams the plan's rows from `db` into a writer for `spec` over `out`.
pub async fn write(
    db: &Db,
    plan: &plan::Plan,
    spec: SinkSpec,
    out: Out,
    progress: Arc<Progress>,
    collect_ids: bool,
) -> Result<Outcome, ExportError> {
    match db {
        Db::Sqlite(pool, _) => {
            let path = pool.connect_options().get_filename().to_path_buf();
            let (rows, count) = (plan.rows.clone(), plan.count.clone());
            tokio::task::spawn_blocking(move || {
                sqlite_source::export(&path, &rows, &count, spec, out, &progress, collect_ids)
            })
            .await
            .map_err(|e| ExportError::Db(format!("export reader panicked: {e}")))?
        }
        Db::Postgres(pool) => {
            pg_source::export(
                pool,
                &plan.rows,
                &plan.count,
                spec,
                out,
                progress,
                collect_ids,
            )
            .await
        }
    }
}
