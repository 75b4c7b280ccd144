//! `server bench-purge`: time the automatic purge of 100,000 posts (or
//! `--posts`) that have been in the trash for more than the retention, and
//! how long a write of another member waits meanwhile; see BENCHMARKS.md.

use crate::bench::ensure_seeded;
use app::domain::trash::{purge, Window};
use app::domain::{Arg, Db, SharedClock, Sql};
use app::error::AppError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct BenchPurgeArgs {
    /// Posts in the guild seeded for this run; all of them are trashed.
    #[arg(long, default_value_t = 100_000)]
    pub posts: usize,
    #[arg(long, default_value_t = 1_000)]
    pub accounts: usize,
    /// Trash the guild's accounts too (their posts then go by the cascade
    /// path as well as by their own deletion time).
    #[arg(long)]
    pub with_accounts: bool,
}

pub async fn run(db: &Db, clock: &SharedClock, args: BenchPurgeArgs) -> Result<(), AppError> {
    // A fresh guild each run, trashed 31 days ago in one statement (how it
    // got there is not what is measured).
    let now = clock.now();
    let slug = format!("bench-purge-{}", now.timestamp());
    ensure_seeded(db, clock, &slug, args.posts, args.accounts).await?;
    let trashed = db
        .execute(&Sql::bound(
            "UPDATE posts SET deleted_at = $1, delete_batch_id = 'bench', \
             deleted_group_id = group_id, deleted_brand_id = brand_id \
             WHERE guild_id = (SELECT id FROM guilds WHERE slug = $2)",
            vec![
                Arg::Time(now - chrono::Duration::days(31)),
                Arg::Text(slug.clone()),
            ],
        ))
        .await?;
    if args.with_accounts {
        db.execute(&Sql::bound(
            "UPDATE accounts SET deleted_at = $1, delete_batch_id = 'bench' \
             WHERE guild_id = (SELECT id FROM guilds WHERE slug = $2)",
            vec![
                Arg::Time(now - chrono::Duration::days(31)),
                Arg::Text(slug.clone()),
            ],
        ))
        .await?;
    }
    db.analyze().await?;
    let window = Window {
        now,
        retention: chrono::Duration::days(Window::DEFAULT_RETENTION_DAYS),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, stop) = (db.clone(), stop.clone());
        tokio::spawn(async move { waits_of_a_writer(&db, &stop).await })
    };
    let t = Instant::now();
    let report = purge::purge_expired(db, window).await?;
    let elapsed = t.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut waits = writer.await.map_err(|_| AppError::Internal)??;
    waits.sort();
    let longest = waits.last().copied().unwrap_or_default();
    println!(
        "guild {slug}: purged {} posts and {} accounts (of {trashed} trashed) in {:.3} s; \
         a concurrent write waited at most {:.0} ms ({} writes)",
        report.posts,
        report.accounts,
        elapsed.as_secs_f64(),
        longest.as_secs_f64() * 1000.0,
        waits.len()
    );
    Ok(())
}

/// Another member's write, every 10 ms until `stop`: how long each waited
/// for the database's write lock (on SQLite the purge holds it while a step
/// runs) and committed.
async fn waits_of_a_writer(db: &Db, stop: &AtomicBool) -> Result<Vec<Duration>, AppError> {
    let mut waits = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        let tx = db.begin_write().await?;
        tx.commit().await?;
        waits.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(waits)
}
