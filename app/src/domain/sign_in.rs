//! Failed sign-ins: recorded, counted per username and per client address,
//! and turned into a lockout, so passwords cannot be guessed at speed.
//!
//! The failures live in the database, not in memory, so that every instance
//! on one database counts the same attempts and a restart forgets nothing.
//! A locked attempt is refused before any password is checked and is not
//! recorded: the lock cannot be stretched by hammering it, and it costs no
//! argon2 work.

use super::audit::{self, Entry};
use super::{Arg, Db, Sql};
use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};

/// Failures within [`WINDOW_MINUTES`] that lock a username or an address.
pub const MAX_FAILURES: i64 = 5;
/// How far back failures count, and so how long a lock lasts at most.
pub const WINDOW_MINUTES: i64 = 15;
/// Longest username or address kept; longer input is cut, so a flood of
/// megabyte usernames cannot fill the table.
const MAX_KEY_CHARS: usize = 64;

fn window() -> Duration {
    Duration::minutes(WINDOW_MINUTES)
}

/// One sign-in attempt: who it claimed to be and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// As typed, trimmed and lower-cased (usernames are case-insensitive),
    /// whether or not such a user exists.
    pub username: String,
    /// The client's address (see `server::client_address`).
    pub client: String,
}

impl Attempt {
    pub fn new(username: &str, client: &str) -> Self {
        let key = |s: &str| s.chars().take(MAX_KEY_CHARS).collect::<String>();
        Self {
            username: key(&username.trim().to_lowercase()),
            client: key(client),
        }
    }
}

/// Whether an attempt may check its password now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    Open,
    /// Too many recent failures for this username or this address.
    LockedUntil(DateTime<Utc>),
}

impl Throttle {
    /// Whole minutes until the lock ends, at least 1 (for "Try again in N
    /// minutes").
    pub fn minutes_left(until: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
        let seconds = (until - now).num_seconds().max(1);
        (seconds + 59) / 60
    }
}

/// When the lock on `column = value` ends, if there is one: the fifth most
/// recent failure in the window leaves it [`WINDOW_MINUTES`] after it
/// happened, and then only four remain.
async fn lock_on(
    db: &Db,
    column: &str,
    value: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        failed_at: DateTime<Utc>,
    }
    let sql = Sql::bound(
        format!(
            "SELECT failed_at FROM sign_in_failures WHERE {column} = $1 AND failed_at > $2 \
             ORDER BY failed_at DESC LIMIT 1 OFFSET {}",
            MAX_FAILURES - 1
        ),
        vec![Arg::Text(value.to_string()), Arg::Time(now - window())],
    );
    Ok(db
        .fetch_optional::<Row>(&sql)
        .await?
        .map(|r| r.failed_at + window()))
}

/// Whether `attempt` may go ahead at `now`.
pub async fn throttle(
    db: &Db,
    now: DateTime<Utc>,
    attempt: &Attempt,
) -> Result<Throttle, AppError> {
    let by_name = lock_on(db, "username", &attempt.username, now).await?;
    let by_client = lock_on(db, "client", &attempt.client, now).await?;
    Ok(match by_name.max(by_client) {
        Some(until) if until > now => Throttle::LockedUntil(until),
        _ => Throttle::Open,
    })
}

/// Records a failed attempt, audits it in the guilds of the user it named
/// (if one exists), and says whether it locked the username or address.
pub async fn record_failure(
    db: &Db,
    now: DateTime<Utc>,
    attempt: &Attempt,
    user_id: Option<i64>,
) -> Result<Throttle, AppError> {
    db.execute(&Sql::bound(
        "INSERT INTO sign_in_failures (username, client, failed_at) VALUES ($1, $2, $3)",
        vec![
            Arg::Text(attempt.username.clone()),
            Arg::Text(attempt.client.clone()),
            Arg::Time(now),
        ],
    ))
    .await?;
    let verdict = throttle(db, now, attempt).await?;
    tracing::info!(username = %attempt.username, client = %attempt.client, locked = matches!(verdict, Throttle::LockedUntil(_)), "failed sign-in");
    if let Some(user_id) = user_id {
        audit_failure(db, now, attempt, user_id, verdict).await?;
    }
    Ok(verdict)
}

/// The audit entries of a failure: one per guild the user belongs to, since
/// each guild's admins watch their own log. A username nobody has belongs
/// to no guild; its failures stay in `sign_in_failures` and the server log.
async fn audit_failure(
    db: &Db,
    now: DateTime<Utc>,
    attempt: &Attempt,
    user_id: i64,
    verdict: Throttle,
) -> Result<(), AppError> {
    #[derive(sqlx::FromRow)]
    struct Guild {
        guild_id: i64,
    }
    let guilds = db
        .fetch_all::<Guild>(&Sql::bound(
            "SELECT guild_id FROM memberships WHERE user_id = $1",
            vec![Arg::Int(user_id)],
        ))
        .await?;
    // No actor: whoever typed the password is not known to be the member.
    let mut entries = vec![Entry {
        actor_id: None,
        action: "sign_in".into(),
        target_type: None,
        target_id: None,
        summary: format!(
            "Failed sign-in as {} from {}",
            attempt.username, attempt.client
        ),
        details: None,
        batch_id: None,
        item_count: None,
    }];
    if let Throttle::LockedUntil(until) = verdict {
        entries.push(Entry {
            summary: format!(
                "Sign-in as {} from {} locked for {} minutes after {MAX_FAILURES} failed attempts",
                attempt.username,
                attempt.client,
                Throttle::minutes_left(until, now)
            ),
            ..entries[0].clone()
        });
    }
    let mut tx = db.begin_write().await?;
    for guild in guilds {
        audit::record(&mut tx, db.dialect(), guild.guild_id, now, &entries).await?;
    }
    tx.commit().await
}

/// A successful sign-in clears its username's failures (a member who
/// mistyped four times starts afresh), but not its address's: one valid
/// account must not reset an address that is guessing at others.
///
/// Most sign-ins have no failures to clear, and a write waits for its turn
/// on SQLite (behind a bulk action's chunk, say), so it is read first and
/// written only when there is something to clear.
pub async fn forget_failures(db: &Db, username: &str) -> Result<(), AppError> {
    let any = db
        .fetch_i64(&Sql::bound(
            "SELECT COUNT(*) FROM (SELECT 1 FROM sign_in_failures WHERE username = $1 LIMIT 1) f",
            vec![Arg::Text(username.to_string())],
        ))
        .await?;
    if any == 0 {
        return Ok(());
    }
    db.execute(&Sql::bound(
        "DELETE FROM sign_in_failures WHERE username = $1",
        vec![Arg::Text(username.to_string())],
    ))
    .await
    .map(|_| ())
}

/// Removes failures too old to count; returns how many.
pub async fn purge_old_failures(db: &Db, now: DateTime<Utc>) -> Result<u64, AppError> {
    db.execute(&Sql::bound(
        "DELETE FROM sign_in_failures WHERE failed_at <= $1",
        vec![Arg::Time(now - window())],
    ))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_are_keyed_case_insensitively_and_cut_to_a_bounded_length() {
        let a = Attempt::new("  Demo ", &"9".repeat(200));
        assert_eq!(a.username, "demo");
        assert_eq!(a.client.len(), MAX_KEY_CHARS);
    }

    #[test]
    fn minutes_left_round_up_and_never_say_zero() {
        let now = Utc::now();
        assert_eq!(Throttle::minutes_left(now + Duration::seconds(61), now), 2);
        assert_eq!(Throttle::minutes_left(now + Duration::minutes(15), now), 15);
        assert_eq!(Throttle::minutes_left(now, now), 1);
    }
}
