//! PostgreSQL's upkeep after the tracker's writes.
//!
//! Every row a batch inserts or updates clears its page's visibility-map
//! bit, and until a vacuum sets it again every list count (`COUNT(*)` as
//! an index-only scan) must visit those heap pages. After 250,000 ingested
//! posts the unfiltered Posts list's p95 went from 37 ms to 128 ms, and
//! autovacuum, which waits for a fifth of a big table to change, had not
//! started. So after every [`VACUUM_EVERY`] rows written, the server
//! vacuums (and analyzes) the posts in the background, as bulk actions do
//! after their runs (`Db::vacuum`). SQLite keeps no dead row versions:
//! there this does nothing.

use app::domain::Db;
use std::sync::atomic::{AtomicU64, Ordering};

/// Rows written by the API between two vacuums.
pub const VACUUM_EVERY: u64 = 100_000;

#[derive(Debug, Default)]
pub struct Upkeep {
    since_vacuum: AtomicU64,
}

impl Upkeep {
    /// Counts `rows` written; past the threshold, one caller (the one whose
    /// swap takes the count) starts the vacuum.
    pub fn wrote(&self, db: &Db, rows: u64) {
        if rows == 0 || !matches!(db, Db::Postgres(_)) {
            return;
        }
        let total = self.since_vacuum.fetch_add(rows, Ordering::Relaxed) + rows;
        if total >= VACUUM_EVERY && self.since_vacuum.swap(0, Ordering::Relaxed) >= VACUUM_EVERY {
            let db = db.clone();
            tokio::spawn(async move { db.vacuum(&["posts", "post_captions"], true).await });
        }
    }
}
