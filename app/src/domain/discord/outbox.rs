//! Messages to Discord, through the `discord_outbox` table (DESIGN 13):
//! written in the transaction of the change they report, so a message is
//! never lost to a crash between the change and the send, and sent by the
//! outbox loop (`deliver_due`).
//!
//! - **At least once.** A sender claims a message for a minute, sends it,
//!   then settles it; a sender that dies in between lets the claim lapse,
//!   and the message goes again.
//! - **In order per stream.** Only the oldest pending message of a stream
//!   can be claimed, so a message waiting on a retry holds back the ones
//!   after it. A stream is one reply (`reply:{job}`) or one guild's audit
//!   mirror (`audit:{guild}`).
//! - **Several instances.** On PostgreSQL the claim locks the row with
//!   `FOR UPDATE SKIP LOCKED`; on SQLite it runs in the single writer.
//! - **Retries.** A 429 waits its `retry_after`; a 5xx or no answer waits
//!   1 s, 2 s, 4 s … up to 10 minutes, until the message's `give_up_at`
//!   (24 hours for the audit mirror, the token's 15 minutes for a reply).

use super::sender::Delivery;
use crate::domain::db::Tx;
use crate::domain::secret_box::SecretBox;
use crate::domain::{Arg, Db, Sql};
use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};

/// How long a sender holds a message it claimed.
const CLAIM: Duration = Duration::seconds(60);
/// The longest wait between two tries of a failing message.
const MAX_BACKOFF_SECS: i64 = 600;
/// Sent and failed messages are kept this long, then removed.
pub const KEEP_DAYS: i64 = 7;

/// What a message is, for what happens when Discord says it is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An edit of an `/exportdata` reply.
    Reply,
    /// A post to a guild's audit-log channel.
    Audit,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Reply => "reply",
            Self::Audit => "audit",
        }
    }
    fn parse(s: &str) -> Self {
        if s == "audit" {
            Self::Audit
        } else {
            Self::Reply
        }
    }
}

/// A message to queue.
#[derive(Debug, Clone)]
pub struct Message {
    pub guild_id: i64,
    pub stream: String,
    pub kind: Kind,
    /// `PATCH` (a reply edit) or `POST` (a webhook message).
    pub method: &'static str,
    /// The URL to call, sealed with `SECRET_KEY`: it holds a token.
    pub target_sealed: String,
    /// The audit entry an audit message posts.
    pub audit_id: Option<i64>,
    /// JSON.
    pub body: String,
    /// Not sent before this.
    pub not_before: DateTime<Utc>,
    pub give_up_at: DateTime<Utc>,
}

/// Queues a message, in the caller's transaction.
pub async fn enqueue(tx: &mut Tx, msg: &Message, now: DateTime<Utc>) -> Result<(), AppError> {
    tx.execute(&Sql::bound(
        "INSERT INTO discord_outbox (guild_id, stream, kind, method, target_sealed, body, status, \
         created_at, next_attempt_at, give_up_at, audit_id) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10)",
        vec![
            Arg::Int(msg.guild_id),
            Arg::Text(msg.stream.clone()),
            Arg::Text(msg.kind.as_str().into()),
            Arg::Text(msg.method.into()),
            Arg::Text(msg.target_sealed.clone()),
            Arg::Text(msg.body.clone()),
            Arg::Time(now),
            Arg::Time(msg.not_before.max(now)),
            Arg::Time(msg.give_up_at),
            Arg::OptInt(msg.audit_id),
        ],
    ))
    .await
    .map(|_| ())
}

/// Queues a message that supersedes the earlier one still waiting for the
/// same thing: the same audit entry when it posts one (a purge's entry,
/// revised step by step), else the same stream (a reply's progress). Only
/// the newest body matters. A waiting message no sender holds takes the
/// new body in place, and waits at least until the new message's
/// `not_before` (a wait Discord asked for stays); otherwise the message is
/// queued after it.
pub async fn enqueue_latest(
    tx: &mut Tx,
    msg: &Message,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let (same, key) = match msg.audit_id {
        Some(id) => ("audit_id = $3", Arg::Int(id)),
        None => ("stream = $3", Arg::Text(msg.stream.clone())),
    };
    let replaced = tx
        .execute(&Sql::bound(
            format!(
                "UPDATE discord_outbox SET body = $1, \
                 next_attempt_at = CASE WHEN next_attempt_at < $2 THEN $2 ELSE next_attempt_at END \
                 WHERE {same} AND status = 'pending' AND claimed_by IS NULL"
            ),
            vec![
                Arg::Text(msg.body.clone()),
                Arg::Time(msg.not_before.max(now)),
                key,
            ],
        ))
        .await?;
    if replaced > 0 {
        return Ok(());
    }
    enqueue(tx, msg, now).await
}

/// A message a sender holds.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: i64,
    pub guild_id: i64,
    pub stream: String,
    kind: String,
    pub method: String,
    target_sealed: String,
    pub body: String,
    pub attempts: i64,
    pub give_up_at: DateTime<Utc>,
}

impl Claimed {
    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind)
    }
}

/// Claims the oldest due message that heads its stream, if any.
pub async fn claim_next(
    db: &Db,
    sender: &str,
    now: DateTime<Utc>,
) -> Result<Option<Claimed>, AppError> {
    let lock = match db {
        Db::Sqlite(..) => "",
        Db::Postgres(_) => " FOR UPDATE SKIP LOCKED",
    };
    db.returning(&Sql::bound(
        format!(
            "UPDATE discord_outbox SET claimed_by = $1, claimed_until = $2, attempts = attempts + 1 \
             WHERE id = (SELECT o.id FROM discord_outbox o WHERE o.status = 'pending' \
               AND o.next_attempt_at <= $3 AND (o.claimed_until IS NULL OR o.claimed_until < $3) \
               AND NOT EXISTS (SELECT 1 FROM discord_outbox e WHERE e.stream = o.stream \
                 AND e.status = 'pending' AND e.id < o.id) \
               ORDER BY o.next_attempt_at, o.id LIMIT 1{lock}) \
             RETURNING id, guild_id, stream, kind, method, target_sealed, body, attempts, give_up_at"
        ),
        vec![
            Arg::Text(sender.into()),
            Arg::Time(now + CLAIM),
            Arg::Time(now),
        ],
    ))
    .await
}

/// Where a message ended up after one try.
#[derive(Debug, Clone, PartialEq)]
pub enum Settled {
    Sent,
    /// It will be tried again at this time.
    Retrying(DateTime<Utc>),
    /// It will not be tried again; the sentence is on the row.
    Failed(String),
    /// Discord says the target is gone (404); the message failed.
    Gone,
}

/// The wait before try number `attempts + 1` of a failing message.
fn backoff(attempts: i64) -> Duration {
    let exp = attempts.clamp(1, 20) - 1;
    Duration::seconds((1i64 << exp).min(MAX_BACKOFF_SECS))
}

/// `at`, or the next whole second after it: SQLite keeps times to the
/// second, and a wait Discord asked for must not come out shorter.
fn whole_second_after(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{SubsecRound, Timelike};
    if at.nanosecond() == 0 {
        at
    } else {
        at.trunc_subsecs(0) + Duration::seconds(1)
    }
}

/// Records what became of a claimed message. A claim that lapsed and went
/// to another sender is left to that one.
pub async fn settle(
    db: &Db,
    msg: &Claimed,
    sender: &str,
    delivery: &Delivery,
    now: DateTime<Utc>,
) -> Result<Settled, AppError> {
    let (settled, status, next, error) = match delivery {
        Delivery::Sent => (Settled::Sent, "sent", now, None),
        Delivery::RateLimited { retry_after } => {
            let at = whole_second_after(
                now + Duration::milliseconds((retry_after * 1000.0).ceil() as i64),
            );
            (Settled::Retrying(at), "pending", at, None)
        }
        Delivery::Failed(why) if now + backoff(msg.attempts) < msg.give_up_at => {
            let at = now + backoff(msg.attempts);
            (Settled::Retrying(at), "pending", at, Some(why.clone()))
        }
        Delivery::Failed(why) => {
            let why = format!("{why}; gave up after {} tries", msg.attempts);
            (Settled::Failed(why.clone()), "failed", now, Some(why))
        }
        Delivery::Gone => (
            Settled::Gone,
            "failed",
            now,
            Some("Discord says this webhook no longer exists (404)".into()),
        ),
        Delivery::Refused(code) => {
            let why = format!("Discord refused the message (HTTP {code})");
            (Settled::Failed(why.clone()), "failed", now, Some(why))
        }
    };
    let finished = (status != "pending").then_some(now);
    db.execute(&Sql::bound(
        "UPDATE discord_outbox SET status = $1, next_attempt_at = $2, error = $3, finished_at = $4, \
         claimed_by = NULL, claimed_until = NULL WHERE id = $5 AND claimed_by = $6",
        vec![
            Arg::Text(status.into()),
            Arg::Time(next),
            Arg::OptText(error),
            Arg::OptTime(finished),
            Arg::Int(msg.id),
            Arg::Text(sender.into()),
        ],
    ))
    .await?;
    Ok(settled)
}

/// The sealed URL of a claimed message, opened.
pub fn target(msg: &Claimed, secrets: &SecretBox) -> Option<String> {
    secrets.open(&msg.target_sealed)
}

/// What one turn of the outbox loop did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Nothing is due.
    EmptyQueue,
    /// One message was tried.
    Tried {
        guild_id: i64,
        kind: Kind,
        settled: Settled,
    },
}

/// Claims the next due message, sends it, and records what happened: one
/// turn of the outbox loop (`server::background`).
pub async fn deliver_one(
    db: &Db,
    out: &super::bot::Outbound,
    sender: &str,
    now: impl Fn() -> DateTime<Utc>,
) -> Result<Outcome, AppError> {
    let Some(msg) = claim_next(db, sender, now()).await? else {
        return Ok(Outcome::EmptyQueue);
    };
    let delivery = match target(&msg, &out.secrets) {
        Some(url) => {
            out.sender
                .send(&msg.method, &url, &msg.body, msg.kind().as_str())
                .await
        }
        None => {
            tracing::error!(
                message = msg.id,
                "an outbox message's address cannot be opened (was SECRET_KEY changed?)"
            );
            Delivery::Refused(0)
        }
    };
    let settled = settle(db, &msg, sender, &delivery, now()).await?;
    if msg.kind() == Kind::Audit && settled == Settled::Gone {
        // The channel's webhook was deleted: stop posting there, and tell
        // the guild's admins.
        super::mirror::webhook_gone(db, msg.guild_id, now()).await?;
    }
    Ok(Outcome::Tried {
        guild_id: msg.guild_id,
        kind: msg.kind(),
        settled,
    })
}

/// Removes sent and failed messages older than [`KEEP_DAYS`].
pub async fn prune(db: &Db, now: DateTime<Utc>) -> Result<u64, AppError> {
    db.execute(&Sql::bound(
        "DELETE FROM discord_outbox WHERE status <> 'pending' AND finished_at < $1",
        vec![Arg::Time(now - Duration::days(KEEP_DAYS))],
    ))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_messages_wait_longer_each_time_up_to_ten_minutes() {
        let waits: Vec<i64> = (1..=12).map(|a| backoff(a).num_seconds()).collect();
        assert_eq!(waits[..5], [1, 2, 4, 8, 16]);
        assert_eq!(waits[11], MAX_BACKOFF_SECS);
        assert_eq!(backoff(0).num_seconds(), 1);
    }

    #[test]
    fn a_wait_discord_asked_for_is_rounded_up_to_whole_seconds() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-02-07T12:00:02.200Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            whole_second_after(at).to_rfc3339(),
            "2026-02-07T12:00:03+00:00"
        );
        let whole = at.with_timezone(&Utc) - Duration::milliseconds(200);
        assert_eq!(whole_second_after(whole), whole);
    }
}
