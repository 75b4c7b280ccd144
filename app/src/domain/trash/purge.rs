//! The automatic purge: items trashed longer than the retention are removed
//! for good, by the server's hourly task and by `server purge`.
//!
//! Safe with several servers on one PostgreSQL: the purge runs in one
//! transaction holding an advisory lock, and a server that finds the lock
//! taken skips its turn. Nothing is purged twice (the rows are gone for the
//! second run) or early (the cutoff comes from the injected clock). On
//! SQLite the transaction takes the write lock as it begins
//! ([`Db::begin_write`]), so a second purge waits for the first to commit
//! and then finds nothing left.

use super::Window;
use crate::domain::audit::{self, Entry};
use crate::domain::{Arg, Db, Dialect, Sql};
use crate::error::AppError;
use crate::format::thousands;
use crate::model::{Entity, PurgeReport};

/// The advisory lock key of the purge (PostgreSQL): "gtpurge" in ASCII.
const LOCK_KEY: i64 = 0x0067_7470_7572_6765;

/// Removes, in every guild, the accounts and posts deleted at or before
/// `window.purge_cutoff()`, and writes one audit summary per guild that
/// lost anything. Audit entries are never purged.
pub async fn purge_expired(db: &Db, window: Window) -> Result<PurgeReport, AppError> {
    let cutoff = window.purge_cutoff();
    #[derive(sqlx::FromRow)]
    struct Id(i64);
    // Read before the transaction, so that its first statement on SQLite is
    // a write (see the module comment). A guild created meanwhile has
    // nothing old enough to purge.
    let guilds = db
        .fetch_all::<Id>(&Sql::new("SELECT id FROM guilds ORDER BY id"))
        .await?;

    let mut tx = db.begin_write().await?;
    if db.dialect() == Dialect::Postgres {
        #[derive(sqlx::FromRow)]
        struct Locked(bool);
        let Locked(got) = tx
            .fetch_optional::<Locked>(&Sql::bound(
                "SELECT pg_try_advisory_xact_lock($1)",
                vec![Arg::Int(LOCK_KEY)],
            ))
            .await?
            .ok_or(AppError::Internal)?;
        if !got {
            return Ok(PurgeReport {
                skipped: true,
                ..PurgeReport::default()
            });
        }
    }
    let mut report = PurgeReport::default();
    for Id(guild) in guilds {
        let due = |table: &str, what: &str| {
            Sql::bound(
                format!(
                    "{what} FROM {table} WHERE guild_id = $1 AND deleted_at IS NOT NULL \
                     AND deleted_at <= $2"
                ),
                vec![Arg::Int(guild), Arg::Time(cutoff)],
            )
        };
        let posts = tx.execute(&due("posts", "DELETE")).await? as i64;
        // Posts of purged accounts go with them (ON DELETE CASCADE); they
        // were trashed with the account, so normally none are left by now.
        let cascaded = tx
            .fetch_i64(&Sql::bound(
                "SELECT COUNT(*) FROM posts WHERE account_id IN (SELECT id FROM accounts \
                 WHERE guild_id = $1 AND deleted_at IS NOT NULL AND deleted_at <= $2)",
                vec![Arg::Int(guild), Arg::Time(cutoff)],
            ))
            .await?;
        let accounts = tx.execute(&due("accounts", "DELETE")).await? as i64;
        let posts = posts + cascaded;
        if posts + accounts == 0 {
            continue;
        }
        let days = window.retention.num_days();
        let entry = Entry {
            actor_id: None,
            action: "auto_purge".into(),
            target_type: None,
            target_id: None,
            summary: format!(
                "Automatically deleted {} and {} that were in the trash for more than {} days",
                Entity::Accounts.count(accounts),
                Entity::Posts.count(posts),
                thousands(days)
            ),
            details: Some(
                serde_json::json!({
                    "accounts": accounts, "posts": posts, "retention_days": days,
                })
                .to_string(),
            ),
            batch_id: None,
        };
        audit::record(&mut tx, db.dialect(), guild, window.now, &[entry]).await?;
        report.accounts += accounts;
        report.posts += posts;
        report.guilds += 1;
    }
    tx.commit().await?;
    Ok(report)
}
