//! The automatic purge: items trashed longer than the retention are removed
//! for good, by the server's hourly task and by `server purge`.
//!
//! The purge works in steps of at most [`ROWS_PER_STEP`] rows, each its
//! own transaction. On SQLite a writing transaction holds the database's
//! one write lock, and a single transaction over 300,000 expired posts held
//! it for seconds, stalling every edit, bulk action and sign-in of every
//! guild; a step holds it for a fraction of a second (`server bench-purge`
//! measures the longest wait of a concurrent write). Each step also brings
//! the guild's one `auto_purge` audit entry up to date in its own
//! transaction, so a purge cut short by a crash leaves an entry that says
//! what was removed, and the next run carries on.
//!
//! Safe with several servers on one PostgreSQL: each step takes an advisory
//! lock, and a server that finds it taken stops its run. Nothing is purged
//! twice (the rows are gone for the second run) or early (the cutoff comes
//! from the injected clock). On SQLite a step's transaction takes the write
//! lock as it begins ([`Db::begin_write`]), so a second purge waits for the
//! step under way to commit and then finds fewer rows, or none, left.

use super::Window;
use crate::domain::audit::{self, Entry};
use crate::domain::db::Tx;
use crate::domain::{Arg, Db, Dialect, Sql};
use crate::error::AppError;
use crate::format::thousands;
use crate::model::{Entity, PurgeReport};
use chrono::{DateTime, Utc};

/// The advisory lock key of the purge (PostgreSQL): "gtpurge" in ASCII.
const LOCK_KEY: i64 = 0x0067_7470_7572_6765;

/// Posts removed per step. Each removal also updates the caption index and
/// the posts' other indexes; 5,000 keep a step well under the second the
/// write lock may be held (BENCHMARKS.md, "Purge").
pub const ROWS_PER_STEP: i64 = 5_000;

/// On SQLite, the pause after each step, for writers in *other* processes
/// (`server purge` from cron beside a serving server, say). This server's
/// own writers queue for their turn (`db::WriteTurns`) and go between two
/// steps anyway; another process's writer sleeps in SQLite's busy handler
/// and tries again up to 100 ms later, and without a pause the next step
/// took the lock first every time (a write waited 832 ms, measured at
/// 300,000 posts, for steps of about 80 ms).
const PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

/// Rows removed per step. An account takes its remaining posts with it (ON
/// DELETE CASCADE), so a step of accounts is a tenth of one of posts.
#[derive(Debug, Clone, Copy)]
struct Step {
    posts: i64,
    accounts: i64,
}

/// Removes, in every guild, the accounts and posts deleted at or before
/// `window.purge_cutoff()`, and leaves one audit summary per guild that
/// lost anything. Audit entries are never purged.
pub async fn purge_expired(db: &Db, window: Window) -> Result<PurgeReport, AppError> {
    purge_expired_in_steps(db, window, ROWS_PER_STEP).await
}

/// [`purge_expired`] with `posts_per_step` posts per step (and a tenth of
/// that in accounts), so a test can make a few rows take several steps.
pub async fn purge_expired_in_steps(
    db: &Db,
    window: Window,
    posts_per_step: i64,
) -> Result<PurgeReport, AppError> {
    let step = Step {
        posts: posts_per_step.max(1),
        accounts: (posts_per_step / 10).max(1),
    };
    #[derive(sqlx::FromRow)]
    struct Id(i64);
    let guilds = db
        .fetch_all::<Id>(&Sql::new("SELECT id FROM guilds ORDER BY id"))
        .await?;
    let mut report = PurgeReport::default();
    for Id(guild) in guilds {
        let outcome = purge_guild(db, guild, window, step).await?;
        let removed = outcome.removed();
        if removed.accounts + removed.posts > 0 {
            report.accounts += removed.accounts;
            report.posts += removed.posts;
            report.guilds += 1;
        }
        if let GuildOutcome::Stopped(_) = outcome {
            report.skipped = true;
            break;
        }
    }
    Ok(report)
}

/// What a guild's purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Removed {
    accounts: i64,
    posts: i64,
}

/// How one guild's purge ended.
enum GuildOutcome {
    /// Nothing expired is left in the guild.
    Finished(Removed),
    /// Another server holds the purge lock: it carries on from here.
    Stopped(Removed),
}

impl GuildOutcome {
    fn removed(&self) -> Removed {
        match self {
            GuildOutcome::Finished(r) | GuildOutcome::Stopped(r) => *r,
        }
    }
}

/// How one step ended.
enum StepOutcome {
    /// Removed some rows and committed.
    Removed(Removed),
    /// Nothing expired was left.
    NothingLeft,
    /// Another server is purging.
    Locked,
}

/// Runs the steps of one guild until nothing expired is left.
async fn purge_guild(
    db: &Db,
    guild: i64,
    window: Window,
    size: Step,
) -> Result<GuildOutcome, AppError> {
    let mut done = Removed::default();
    let mut entry = None;
    loop {
        match purge_step(db, guild, window, size, done, &mut entry).await? {
            StepOutcome::Removed(step) => {
                done.accounts += step.accounts;
                done.posts += step.posts;
                if db.dialect() == Dialect::Sqlite {
                    tokio::time::sleep(PAUSE).await;
                }
            }
            StepOutcome::NothingLeft => return Ok(GuildOutcome::Finished(done)),
            StepOutcome::Locked => return Ok(GuildOutcome::Stopped(done)),
        }
    }
}

/// One transaction: up to a step's worth of expired posts or, once none is
/// left, of expired accounts, and the audit entry brought up to date.
/// `entry` is the guild's audit entry, once the first step wrote it.
async fn purge_step(
    db: &Db,
    guild: i64,
    window: Window,
    size: Step,
    before: Removed,
    entry: &mut Option<i64>,
) -> Result<StepOutcome, AppError> {
    let mut tx = db.begin_write().await?;
    let outcome = step_in(&mut tx, db.dialect(), guild, window, size, before, entry).await;
    match outcome {
        Ok(StepOutcome::Removed(step)) => {
            tx.commit().await?;
            Ok(StepOutcome::Removed(step))
        }
        // Changed nothing; rolled back at once so the purge lock is free
        // for the next step or run (see `Tx::rollback`).
        other => {
            tx.rollback().await;
            other
        }
    }
}

/// The work of [`purge_step`], inside its transaction.
async fn step_in(
    tx: &mut Tx,
    dialect: Dialect,
    guild: i64,
    window: Window,
    size: Step,
    before: Removed,
    entry: &mut Option<i64>,
) -> Result<StepOutcome, AppError> {
    let cutoff = window.purge_cutoff();
    if !take_lock(tx).await? {
        return Ok(StepOutcome::Locked);
    }
    let mut step = Removed {
        accounts: 0,
        posts: delete_expired_posts(tx, guild, cutoff, size.posts).await?,
    };
    if step.posts == 0 {
        step = delete_expired_accounts(tx, guild, cutoff, size.accounts).await?;
    }
    if step.accounts + step.posts == 0 {
        return Ok(StepOutcome::NothingLeft);
    }
    let total = Removed {
        accounts: before.accounts + step.accounts,
        posts: before.posts + step.posts,
    };
    let (summary, details) = summary_of(total, window);
    match *entry {
        Some(id) => audit::revise(tx, id, &summary, &details, window.now).await?,
        None => {
            let first = Entry {
                actor_id: None,
                action: "auto_purge".into(),
                target_type: None,
                target_id: None,
                summary,
                details: Some(details),
                batch_id: None,
                item_count: None,
            };
            *entry = Some(audit::record_one(tx, dialect, guild, window.now, &first).await?);
        }
    }
    Ok(StepOutcome::Removed(step))
}

/// On PostgreSQL, whether this transaction got the purge's advisory lock
/// (held until it ends). On SQLite the write lock already serialises steps.
async fn take_lock(tx: &mut Tx) -> Result<bool, AppError> {
    if tx.dialect() != Dialect::Postgres {
        return Ok(true);
    }
    #[derive(sqlx::FromRow)]
    struct Locked(bool);
    let Locked(got) = tx
        .fetch_optional::<Locked>(&Sql::bound(
            "SELECT pg_try_advisory_xact_lock($1)",
            vec![Arg::Int(LOCK_KEY)],
        ))
        .await?
        .ok_or(AppError::Internal)?;
    Ok(got)
}

/// `table`'s rows of `guild` trashed at or before `cutoff`, at most `limit`.
fn expired(table: &str, guild: i64, cutoff: DateTime<Utc>, limit: i64) -> Sql {
    Sql::bound(
        format!(
            "SELECT id FROM {table} WHERE guild_id = $1 AND deleted_at IS NOT NULL \
             AND deleted_at <= $2 LIMIT $3"
        ),
        vec![Arg::Int(guild), Arg::Time(cutoff), Arg::Int(limit)],
    )
}

async fn delete_expired_posts(
    tx: &mut Tx,
    guild: i64,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> Result<i64, AppError> {
    let Some(list) = expired_ids(tx, "posts", guild, cutoff, limit).await? else {
        return Ok(0);
    };
    let deleted = tx
        .execute(&Sql::new(format!("DELETE FROM posts WHERE id IN ({list})")))
        .await?;
    Ok(deleted as i64)
}

/// Expired accounts, with the posts they take along (ON DELETE CASCADE;
/// they were trashed with the account, so normally none are left by now).
async fn delete_expired_accounts(
    tx: &mut Tx,
    guild: i64,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> Result<Removed, AppError> {
    let Some(list) = expired_ids(tx, "accounts", guild, cutoff, limit).await? else {
        return Ok(Removed::default());
    };
    let posts = tx
        .fetch_i64(&Sql::new(format!(
            "SELECT COUNT(*) FROM posts WHERE account_id IN ({list})"
        )))
        .await?;
    let accounts = tx
        .execute(&Sql::new(format!(
            "DELETE FROM accounts WHERE id IN ({list})"
        )))
        .await? as i64;
    Ok(Removed { accounts, posts })
}

/// The ids of a step's expired rows of `table`, as SQL list text (they are
/// integers read from the database, so they need no binding), or None.
/// Read first and deleted by id, in the step's transaction: the DELETE then
/// names its rows and the count of the cascade names the same ones.
async fn expired_ids(
    tx: &mut Tx,
    table: &str,
    guild: i64,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> Result<Option<String>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Id(i64);
    let ids = tx
        .fetch_all::<Id>(&expired(table, guild, cutoff, limit))
        .await?;
    Ok((!ids.is_empty()).then(|| {
        ids.iter()
            .map(|Id(id)| id.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }))
}

/// The audit entry's summary and details for what the purge removed.
fn summary_of(r: Removed, window: Window) -> (String, String) {
    let days = window.retention.num_days();
    let summary = format!(
        "Automatically deleted {} and {} that were in the trash for more than {} days",
        Entity::Accounts.count(r.accounts),
        Entity::Posts.count(r.posts),
        thousands(days)
    );
    let details = serde_json::json!({
        "accounts": r.accounts, "posts": r.posts, "retention_days": days,
    })
    .to_string();
    (summary, details)
}
