//! A guild's API tokens, for machines (the tracker, scripts): an admin
//! makes one with a name, a scope and an optional expiry; it is shown once,
//! and only its SHA-256 is kept. `/api/v1` finds the token by that hash,
//! and its guild with it, so a token works for its own guild only.
//!
//! Making a token, its first use and revoking it are audited. Later uses
//! are recorded as `last_used_at`, at most once a minute per token, so a
//! tracker sending twenty batches a second does not also write twenty rows.

use super::audit::{self, Entry};
use super::{Arg, Db, GuildScope, SharedClock, Sql};
use crate::error::AppError;
use crate::model::api_tokens::{NewToken, TokenInfo, TokenRequest, TokenScope, TokenStatus};
use crate::model::Role;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// Every token starts so, which tells a leaked one apart in logs and
/// secret scanners.
pub const PREFIX: &str = "gt_";
const MAX_NAME_CHARS: usize = 60;
/// The longest expiry an admin can pick.
pub const MAX_DAYS: i64 = 365;
/// `last_used_at` is written at most this often per token.
const LAST_USE_EVERY: Duration = Duration::minutes(1);

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    scope: String,
    hint: String,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

const SELECT: &str = "SELECT t.id, t.name, t.scope, t.hint, u.display_name AS created_by, \
     t.created_at, t.expires_at, t.last_used_at, t.revoked_at \
     FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by";

impl Row {
    fn info(self, now: DateTime<Utc>) -> Option<TokenInfo> {
        let status = if self.revoked_at.is_some() {
            TokenStatus::Revoked
        } else if self.expires_at.is_some_and(|at| at <= now) {
            TokenStatus::Expired
        } else {
            TokenStatus::Active
        };
        Some(TokenInfo {
            id: self.id,
            name: self.name,
            scope: TokenScope::parse(&self.scope)?,
            hint: self.hint,
            created_by: self.created_by,
            created_at: self.created_at,
            expires_at: self.expires_at,
            last_used_at: self.last_used_at,
            status,
        })
    }
}

fn checked_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::invalid(format!(
            "Give the token a name of 1 to {MAX_NAME_CHARS} characters, such as “Tracker bot”."
        )));
    }
    Ok(name.to_string())
}

/// Makes a token. The token is in the answer and nowhere else.
pub async fn create(
    db: &Db,
    clock: &SharedClock,
    scope: &GuildScope,
    request: &TokenRequest,
) -> Result<NewToken, AppError> {
    scope.require(Role::Admin, "make API tokens")?;
    let name = checked_name(&request.name)?;
    if let Some(days) = request.days {
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(AppError::invalid(format!(
                "A token lasts 1 to {MAX_DAYS} days, or does not expire."
            )));
        }
    }
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hint = token[token.len() - 4..].to_string();
    let now = clock.now();
    let mut tx = db.begin_write().await?;
    let id = tx
        .fetch_i64(&Sql::bound(
            "INSERT INTO api_tokens (guild_id, name, scope, token_hash, hint, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            vec![
                Arg::Int(scope.guild_id()),
                Arg::Text(name.clone()),
                Arg::Text(request.scope.as_str().into()),
                Arg::Text(hash(&token)),
                Arg::Text(hint),
                Arg::Int(scope.user_id()),
                Arg::Time(now),
                Arg::OptTime(request.days.map(|d| now + Duration::days(d))),
            ],
        ))
        .await?;
    let expiry = match request.days {
        Some(1) => "expires in 1 day".to_string(),
        Some(d) => format!("expires in {d} days"),
        None => "does not expire".to_string(),
    };
    audit::record_one(
        &mut tx,
        db.dialect(),
        scope.guild_id(),
        now,
        &Entry::said(
            Some(scope.user_id()),
            "api_token",
            format!(
                "Created the API token “{name}” (#{id}, {}, {expiry})",
                request.scope.as_str()
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    let info = by_id(db, scope, id)
        .await?
        .and_then(|row| row.info(now))
        .ok_or(AppError::Internal)?;
    Ok(NewToken { token, info })
}

async fn by_id(db: &Db, scope: &GuildScope, id: i64) -> Result<Option<Row>, AppError> {
    db.fetch_optional::<Row>(&Sql::bound(
        format!("{SELECT} WHERE t.id = $1 AND t.guild_id = $2"),
        vec![Arg::Int(id), Arg::Int(scope.guild_id())],
    ))
    .await
}

/// The guild's tokens, newest first.
pub async fn list(
    db: &Db,
    clock: &SharedClock,
    scope: &GuildScope,
) -> Result<Vec<TokenInfo>, AppError> {
    scope.require(Role::Admin, "see API tokens")?;
    let now = clock.now();
    Ok(db
        .fetch_all::<Row>(&Sql::bound(
            format!(
                "{SELECT} WHERE t.guild_id = $1 ORDER BY t.created_at DESC, t.id DESC LIMIT 200"
            ),
            vec![Arg::Int(scope.guild_id())],
        ))
        .await?
        .into_iter()
        .filter_map(|r| r.info(now))
        .collect())
}

/// Revokes a token: the next request with it gets 401.
pub async fn revoke(
    db: &Db,
    clock: &SharedClock,
    scope: &GuildScope,
    id: i64,
) -> Result<(), AppError> {
    scope.require(Role::Admin, "revoke API tokens")?;
    let now = clock.now();
    let mut tx = db.begin_write().await?;
    #[derive(sqlx::FromRow)]
    struct Name(String);
    let Some(Name(name)) = tx
        .fetch_optional::<Name>(&Sql::bound(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND guild_id = $3 \
             AND revoked_at IS NULL RETURNING name",
            vec![Arg::Time(now), Arg::Int(id), Arg::Int(scope.guild_id())],
        ))
        .await?
    else {
        return Err(AppError::not_found(
            "There is no such API token in this guild, or it was revoked already.",
        ));
    };
    audit::record_one(
        &mut tx,
        db.dialect(),
        scope.guild_id(),
        now,
        &Entry::said(
            Some(scope.user_id()),
            "api_token",
            format!("Revoked the API token “{name}” (#{id})"),
        ),
    )
    .await?;
    tx.commit().await
}

/// A token that was found, live, for the guild it was sent for.
#[derive(Clone, Debug)]
pub struct Grant {
    pub token_id: i64,
    pub name: String,
    pub scope: TokenScope,
    /// The guild, with the role the token's scope stands for: an editor's
    /// for `ingest`, a viewer's for `read`.
    pub guild: GuildScope,
}

#[derive(sqlx::FromRow)]
struct GrantRow {
    id: i64,
    name: String,
    scope: String,
    guild_id: i64,
    slug: String,
    guild_name: String,
    created_by: Option<i64>,
    expires_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

/// Why a request's token was refused: the API answers each differently.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No token, a malformed one, or one that is not ours: 401.
    Unknown,
    /// Revoked or expired: 401, said so.
    Ended(&'static str),
    /// A live token of another guild: 404, as for a guild that does not
    /// exist, so a token cannot find out other guilds' names.
    OtherGuild,
}

/// Finds the token `bearer` for the guild `slug`, and records its use.
pub async fn authenticate(
    db: &Db,
    clock: &SharedClock,
    bearer: &str,
    slug: &str,
) -> Result<Result<Grant, Refusal>, AppError> {
    if !bearer.starts_with(PREFIX) || bearer.len() > 100 {
        return Ok(Err(Refusal::Unknown));
    }
    let Some(row) = db
        .fetch_optional::<GrantRow>(&Sql::bound(
            "SELECT t.id, t.name, t.scope, t.guild_id, g.slug, g.name AS guild_name, t.created_by, \
             t.expires_at, t.last_used_at, t.revoked_at \
             FROM api_tokens t JOIN guilds g ON g.id = t.guild_id WHERE t.token_hash = $1",
            vec![Arg::Text(hash(bearer))],
        ))
        .await?
    else {
        return Ok(Err(Refusal::Unknown));
    };
    let now = clock.now();
    if row.revoked_at.is_some() {
        return Ok(Err(Refusal::Ended("This API token was revoked.")));
    }
    if row.expires_at.is_some_and(|at| at <= now) {
        return Ok(Err(Refusal::Ended("This API token has expired.")));
    }
    if row.slug != slug {
        return Ok(Err(Refusal::OtherGuild));
    }
    let scope = TokenScope::parse(&row.scope).ok_or_else(|| {
        tracing::error!(scope = %row.scope, "unknown scope in api_tokens");
        AppError::Internal
    })?;
    if row.last_used_at.is_none_or(|at| at <= now - LAST_USE_EVERY) {
        record_use(db, &row, now).await?;
    }
    let role = match scope {
        TokenScope::Ingest => Role::Editor,
        TokenScope::Read => Role::Viewer,
    };
    Ok(Ok(Grant {
        token_id: row.id,
        name: row.name.clone(),
        scope,
        guild: GuildScope::for_token(row.guild_id, row.slug, row.guild_name, role, row.created_by),
    }))
}

/// Writes the token's `last_used_at`; the first use is audited too, once,
/// by whichever request wins the `UPDATE`.
async fn record_use(db: &Db, row: &GrantRow, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    let first = row.last_used_at.is_none()
        && tx
            .execute(&Sql::bound(
                "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND last_used_at IS NULL",
                vec![Arg::Time(now), Arg::Int(row.id)],
            ))
            .await?
            == 1;
    if first {
        audit::record_one(
            &mut tx,
            db.dialect(),
            row.guild_id,
            now,
            &Entry::said(
                None,
                "api_token",
                format!(
                    "The API token “{}” (#{}) was used for the first time",
                    row.name, row.id
                ),
            ),
        )
        .await?;
    } else {
        tx.execute(&Sql::bound(
            "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND last_used_at < $3",
            vec![
                Arg::Time(now),
                Arg::Int(row.id),
                Arg::Time(now - LAST_USE_EVERY),
            ],
        ))
        .await?;
    }
    tx.commit().await
}
