//! PostgreSQL's upkeep after the tracker's writes.
//!
//! Every row a batch inserts or updates clears its page's visibility-map
//! bit, and until a vacuum sets it again a list count (`COUNT(*)` as an
//! index-only scan) must visit those heap pages. After 250,000 ingested
//! posts the unfiltered Posts list's p95 went from 37 ms to 128 ms, and
//! autovacuum, which waits for a fifth of a big table to change, had not
//! started. The lists without a range now read their totals from the kept
//! tally (`app::domain::post_tally`), but a date range or a minimum of views
//! is still counted. So after every [`VACUUM_EVERY`] rows written, the server
//! vacuums (and analyzes) the posts in the background, as bulk actions do
//! after their runs (`Db::vacuum`). SQLite keeps no dead row versions:
//! there this does nothing.
//!
//! The tally itself grows by a row per account and batch, and a list's
//! total sums the guild's rows: after every [`FOLD_EVERY`] rows written,
//! the tallies that grew are folded (`post_tally::fold_grown`), sooner than
//! the server's 10-second upkeep would.

use app::domain::{post_tally, Db};
use std::sync::atomic::{AtomicU64, Ordering};

/// Rows written by the API between two vacuums.
pub const VACUUM_EVERY: u64 = 100_000;
/// Rows written by the API between two folds of the post tallies.
pub const FOLD_EVERY: u64 = 10_000;

#[derive(Debug, Default)]
pub struct Upkeep {
    since_vacuum: AtomicU64,
    since_fold: AtomicU64,
}

impl Upkeep {
    /// Counts `rows` written; past the threshold, one caller (the one whose
    /// swap takes the count) starts the vacuum.
    pub fn wrote(&self, db: &Db, rows: u64) {
        if rows == 0 || !matches!(db, Db::Postgres(_)) {
            return;
        }
        if passed(&self.since_fold, rows, FOLD_EVERY) {
            let db = db.clone();
            tokio::spawn(async move {
                if let Err(e) = post_tally::fold_grown(&db).await {
                    tracing::warn!(error = %e, "could not fold the post tallies");
                }
            });
        }
        if passed(&self.since_vacuum, rows, VACUUM_EVERY) {
            let db = db.clone();
            tokio::spawn(async move { db.vacuum(&["posts", "post_captions"], true).await });
        }
    }
}

/// Adds `rows` to `counter`; true for the one caller whose swap takes the
/// count once it has reached `every`.
fn passed(counter: &AtomicU64, rows: u64, every: u64) -> bool {
    let total = counter.fetch_add(rows, Ordering::Relaxed) + rows;
    total >= every && counter.swap(0, Ordering::Relaxed) >= every
}
