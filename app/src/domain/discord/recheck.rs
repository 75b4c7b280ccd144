//! Memberships that come from Discord are confirmed again at most every 15
//! minutes while a session is used, so a member removed from the Discord
//! server, or whose role changed, is out or changed within 15 minutes.
//!
//! When Discord does not answer, the last confirmed answer stands for at
//! most an hour; after that the user's access is refused, with a sentence,
//! until Discord answers again. A failing Discord is asked at most once a
//! minute per user, not on every request.

use super::client::DiscordError;
use super::identity::{self, Tokens};
use super::sign_in::{self, Failure};
use super::Discord;
use crate::domain::{Arg, Db, SharedClock, Sql};
use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};

pub const EVERY_MINUTES: i64 = 15;
pub const TRUST_LAST_ANSWER_MINUTES: i64 = 60;
const RETRY_FAILED_MINUTES: i64 = 1;

/// When a Discord user's memberships were last confirmed, read with their
/// session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub checked_at: Option<DateTime<Utc>>,
}

/// What a request may do after the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recheck {
    /// Confirmed less than 15 minutes ago.
    NotDue,
    /// Discord answered just now, and the memberships follow its answer.
    Confirmed,
    /// Discord did not answer; its last answer is under an hour old.
    KeptLastKnown,
    /// Discord has not answered for over an hour: refuse access.
    Refused,
}

impl Recheck {
    /// The sentence shown when access is refused.
    pub const REFUSED: &'static str = "Guildtrack could not confirm your Discord membership for over an hour, \
         because Discord is not answering. Your access is paused until it does; try again in a few minutes.";
}

fn trusted(due: &Due, now: DateTime<Utc>) -> bool {
    due.checked_at
        .is_some_and(|at| now - at <= Duration::minutes(TRUST_LAST_ANSWER_MINUTES))
}

/// Confirms the user's memberships with Discord when the last check is 15
/// minutes old or more. Without Discord configured there is nothing to ask,
/// and the memberships stay as they are.
pub async fn if_due(
    db: &Db,
    clock: &SharedClock,
    discord: Option<&Discord>,
    user_id: i64,
    due: Due,
) -> Result<Recheck, AppError> {
    let now = clock.now();
    let fresh = due
        .checked_at
        .is_some_and(|at| now - at < Duration::minutes(EVERY_MINUTES));
    let Some(discord) = discord else {
        return Ok(Recheck::NotDue);
    };
    if fresh {
        return Ok(Recheck::NotDue);
    }
    let when_unanswered = if trusted(&due, now) {
        Recheck::KeptLastKnown
    } else {
        Recheck::Refused
    };
    // One request asks, claimed in the same statement that records the
    // try: a page's several requests at once do not each call Discord, and
    // a failing Discord is asked again only after a minute. The others go
    // on with the last answer meanwhile. The check must still be due in
    // the row itself: a request that read its session before another one
    // confirmed the memberships does not ask again.
    let claimed = db
        .execute(&Sql::bound(
            "UPDATE users SET discord_tried_at = $1 WHERE id = $2 \
             AND (discord_checked_at IS NULL OR discord_checked_at <= $4) \
             AND (discord_tried_at IS NULL OR discord_tried_at <= discord_checked_at \
                  OR discord_tried_at <= $3)",
            vec![
                Arg::Time(now),
                Arg::Int(user_id),
                Arg::Time(now - Duration::minutes(RETRY_FAILED_MINUTES)),
                Arg::Time(now - Duration::minutes(EVERY_MINUTES)),
            ],
        ))
        .await?;
    if claimed == 0 {
        return Ok(when_unanswered);
    }
    match ask(db, discord, user_id, now).await {
        Ok(answer) => {
            let mut tx = db.begin_write().await?;
            if let Some(snapshot) = &answer.snapshot {
                identity::refresh_profile(&mut tx, user_id, &snapshot.user).await?;
            }
            identity::confirmed(&mut tx, user_id, answer.sealed, now).await?;
            sign_in::apply(
                &mut tx,
                db.dialect(),
                now,
                user_id,
                answer.snapshot.as_ref(),
            )
            .await?;
            tx.commit().await?;
            Ok(Recheck::Confirmed)
        }
        Err(Failure::Ours(e)) => Err(e),
        Err(Failure::Discord(e)) => {
            tracing::warn!(user_id, error = ?e, outcome = ?when_unanswered, "Discord membership check failed");
            Ok(when_unanswered)
        }
    }
}

/// Discord's answer: the snapshot and the (possibly refreshed) tokens, or
/// no snapshot and no tokens when Discord no longer accepts them (the user
/// revoked Guildtrack's access): every role Discord gave then ends.
struct Answer {
    snapshot: Option<sign_in::Snapshot>,
    sealed: Option<String>,
}

async fn ask(
    db: &Db,
    discord: &Discord,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Answer, Failure> {
    #[derive(sqlx::FromRow)]
    struct Row {
        discord_tokens: Option<String>,
    }
    let row = db
        .fetch_optional::<Row>(&Sql::bound(
            "SELECT discord_tokens FROM users WHERE id = $1",
            vec![Arg::Int(user_id)],
        ))
        .await?;
    let revoked = Answer {
        snapshot: None,
        sealed: None,
    };
    let Some(mut tokens) = row
        .and_then(|r| r.discord_tokens)
        .and_then(|sealed| Tokens::open(&sealed, &discord.secrets))
    else {
        // No tokens, or sealed under another SECRET_KEY: nothing vouches
        // for the user's Discord roles any more.
        return Ok(revoked);
    };
    let mut refreshed = false;
    if tokens.expires_at <= now + Duration::minutes(1) {
        match discord.client.refresh(&tokens.refresh).await {
            Ok(grant) => tokens = Tokens::from_grant(&grant, now),
            Err(DiscordError::Refused) => return Ok(revoked),
            Err(e) => return Err(e.into()),
        }
        refreshed = true;
    }
    let snapshot = match sign_in::snapshot(db, discord, &tokens.access).await {
        Ok(s) => s,
        // The access token was revoked early: one refresh, then ask again.
        Err(Failure::Discord(DiscordError::Refused)) if !refreshed => {
            match discord.client.refresh(&tokens.refresh).await {
                Ok(grant) => tokens = Tokens::from_grant(&grant, now),
                Err(DiscordError::Refused) => return Ok(revoked),
                Err(e) => return Err(e.into()),
            }
            sign_in::snapshot(db, discord, &tokens.access).await?
        }
        Err(Failure::Discord(DiscordError::Refused)) => return Ok(revoked),
        Err(e) => return Err(e),
    };
    Ok(Answer {
        snapshot: Some(snapshot),
        sealed: Some(tokens.seal(&discord.secrets)),
    })
}
