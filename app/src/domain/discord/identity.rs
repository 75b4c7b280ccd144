//! Discord users as Guildtrack users: the SQL of the `users.discord_*`
//! columns. A Discord user and a password user are never merged silently:
//! a Discord account joins an existing user only when that user, signed
//! in, links it.

use super::client::{DiscordUser, TokenGrant};
use crate::domain::db::Tx;
use crate::domain::secret_box::SecretBox;
use crate::domain::{Arg, Sql};
use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The tokens kept for the membership re-check, sealed in `discord_tokens`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub expires_at: DateTime<Utc>,
}

impl Tokens {
    pub fn from_grant(grant: &TokenGrant, now: DateTime<Utc>) -> Self {
        Self {
            access: grant.access_token.clone(),
            refresh: grant.refresh_token.clone(),
            expires_at: now + Duration::seconds(grant.expires_in.max(0)),
        }
    }

    pub fn seal(&self, secrets: &SecretBox) -> String {
        secrets.seal(&serde_json::to_string(self).expect("tokens serialize"))
    }

    pub fn open(sealed: &str, secrets: &SecretBox) -> Option<Self> {
        serde_json::from_str(&secrets.open(sealed)?).ok()
    }
}

/// The Guildtrack user of a Discord account, if there is one.
pub(crate) async fn user_of(tx: &mut Tx, discord_id: &str) -> Result<Option<i64>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Id(i64);
    Ok(tx
        .fetch_optional::<Id>(&Sql::bound(
            "SELECT id FROM users WHERE discord_id = $1",
            vec![Arg::Text(discord_id.to_string())],
        ))
        .await?
        .map(|r| r.0))
}

/// Whether the user has linked a Discord account.
pub async fn has_discord(db: &crate::domain::Db, user_id: i64) -> Result<bool, AppError> {
    db.fetch_i64(&Sql::bound(
        "SELECT COUNT(*) FROM users WHERE id = $1 AND discord_id IS NOT NULL",
        vec![Arg::Int(user_id)],
    ))
    .await
    .map(|n| n > 0)
}

/// Creates the user of a Discord account. Its username is the Discord
/// username when no Guildtrack user has it yet, else `d-<discord id>`. It
/// has no password: `''` matches none.
pub(crate) async fn create(
    tx: &mut Tx,
    now: DateTime<Utc>,
    user: &DiscordUser,
) -> Result<i64, AppError> {
    let preferred = crate::domain::auth::normalize_username(&user.username).ok();
    let fallback = format!("d-{}", user.id);
    for username in preferred.into_iter().chain([fallback]) {
        #[derive(sqlx::FromRow)]
        struct Id(i64);
        // ON CONFLICT DO NOTHING on any unique column: a taken username
        // tries the next name instead of failing the transaction.
        let made = tx
            .fetch_optional::<Id>(&Sql::bound(
                "INSERT INTO users (username, display_name, password_hash, created_at, discord_id, avatar_url) \
                 VALUES ($1, $2, '', $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id",
                vec![
                    Arg::Text(username),
                    Arg::Text(user.display_name().chars().take(100).collect()),
                    Arg::Time(now),
                    Arg::Text(user.id.clone()),
                    Arg::OptText(user.avatar_url()),
                ],
            ))
            .await?;
        if let Some(Id(id)) = made {
            return Ok(id);
        }
    }
    // Both names taken, or the same Discord account signed up a moment ago
    // in another tab: that account's user, if it is one.
    user_of(tx, &user.id).await?.ok_or_else(|| {
        tracing::error!(discord_id = %user.id, "no username left for a Discord user");
        AppError::Internal
    })
}

/// Links a Discord account to `user_id` (a signed-in user's own request)
/// and refreshes its name and avatar. Returns false when the account
/// belongs to another user.
pub(crate) async fn link(tx: &mut Tx, user_id: i64, user: &DiscordUser) -> Result<bool, AppError> {
    if let Some(owner) = user_of(tx, &user.id).await? {
        if owner != user_id {
            return Ok(false);
        }
    }
    tx.execute(&Sql::bound(
        "UPDATE users SET discord_id = $1, avatar_url = $2 WHERE id = $3",
        vec![
            Arg::Text(user.id.clone()),
            Arg::OptText(user.avatar_url()),
            Arg::Int(user_id),
        ],
    ))
    .await?;
    Ok(true)
}

/// Updates a Discord user's display name and avatar from Discord.
pub(crate) async fn refresh_profile(
    tx: &mut Tx,
    user_id: i64,
    user: &DiscordUser,
) -> Result<(), AppError> {
    // A password user who linked Discord keeps the name they chose; the
    // avatar is Discord's either way.
    tx.execute(&Sql::bound(
        "UPDATE users SET avatar_url = $2, \
         display_name = CASE WHEN password_hash = '' THEN $1 ELSE display_name END WHERE id = $3",
        vec![
            Arg::Text(user.display_name().chars().take(100).collect()),
            Arg::OptText(user.avatar_url()),
            Arg::Int(user_id),
        ],
    ))
    .await
    .map(|_| ())
}

/// Records a confirmed check: the (new) sealed tokens, and when.
pub(crate) async fn confirmed(
    tx: &mut Tx,
    user_id: i64,
    sealed_tokens: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    tx.execute(&Sql::bound(
        "UPDATE users SET discord_tokens = $1, discord_checked_at = $2, discord_tried_at = $2 WHERE id = $3",
        vec![Arg::OptText(sealed_tokens), Arg::Time(now), Arg::Int(user_id)],
    ))
    .await
    .map(|_| ())
}
