//! Users, passwords and server-side sessions.

use super::discord::recheck::Due;
use super::{Arg, Db, SharedClock, Sql};
use crate::error::AppError;
use crate::model::SessionUser;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Duration, Utc};
use password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;
use tokio::sync::Semaphore;

/// How long a sign-in lasts.
pub const SESSION_DAYS: i64 = 30;
/// A session not used for this long ends before its 30 days are up.
pub const IDLE_DAYS: i64 = 7;
/// How stale a session's `last_used_at` may get before a request renews
/// it: one write an hour per session, not one per request.
const TOUCH_EVERY_MINUTES: i64 = 60;
const MIN_PASSWORD_LEN: usize = 8;

/// The session cookie's name. Over HTTPS it carries the `__Host-` prefix,
/// which browsers accept only with `Secure`, `Path=/` and no `Domain`, so
/// no sibling subdomain and no plain-http page can set or shadow it.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-gt_session"
    } else {
        "gt_session"
    }
}

/// Usernames are compared case-insensitively, so they are stored lower-case.
pub fn normalize_username(raw: &str) -> Result<String, AppError> {
    let name = raw.trim().to_lowercase();
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if name.is_empty() || name.len() > 32 || !ok_chars {
        return Err(AppError::invalid(
            "A username is 1 to 32 characters: letters, digits, “_”, “-” or “.”.",
        ));
    }
    Ok(name)
}

pub fn hash_password(password: &str) -> Result<String, AppError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AppError::invalid(format!(
            "A password needs at least {MIN_PASSWORD_LEN} characters."
        )));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            AppError::Internal
        })
}

fn password_matches(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash no password matches in practice, checked when the username is
/// unknown or malformed, so that answer takes as long as a wrong password
/// for a real user and the timing does not tell which usernames exist.
static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    let mut secret = [0u8; 32];
    OsRng.fill_bytes(&mut secret);
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(&secret, &salt)
        .map(|h| h.to_string())
        .expect("argon2 hashes 32 bytes with default parameters")
});

/// Password checks running at once, at most one per core: each argon2id
/// check takes about 19 MiB and a core for ~50 ms, so a flood of sign-ins
/// waits here instead of exhausting memory and starving everything else.
static PASSWORD_CHECKS: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));

/// Runs one password check on a blocking thread, after waiting for a free
/// slot of [`PASSWORD_CHECKS`].
async fn check_password(password: String, hash: String) -> Result<bool, AppError> {
    let _slot = PASSWORD_CHECKS.acquire().await.map_err(|e| {
        tracing::error!(error = %e, "password check semaphore closed");
        AppError::Internal
    })?;
    tokio::task::spawn_blocking(move || password_matches(&password, &hash))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "password check task failed");
            AppError::Internal
        })
}

/// Creates a user and returns its id. Refuses a taken username.
pub async fn create_user(
    db: &Db,
    clock: &SharedClock,
    username: &str,
    display_name: &str,
    password: &str,
) -> Result<i64, AppError> {
    let username = normalize_username(username)?;
    let hash = hash_password(password)?;
    let taken = AppError::invalid(format!("The username “{username}” is taken."));
    let display = if display_name.trim().is_empty() {
        username.clone()
    } else {
        display_name.trim().to_string()
    };
    let sql = Sql::bound(
        "INSERT INTO users (username, display_name, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        vec![Arg::Text(username), Arg::Text(display), Arg::Text(hash), Arg::Time(clock.now())],
    );
    // The unique username decides, not a check before the insert: two
    // sign-ups for one name at once would both pass a check.
    db.insert_unique(&sql, taken).await
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    password_hash: String,
}

fn user_by_name(username: String) -> Sql {
    Sql::bound(
        "SELECT id, username, display_name, password_hash FROM users WHERE username = $1",
        vec![Arg::Text(username)],
    )
}

pub async fn find_user_id(db: &Db, username: &str) -> Result<Option<i64>, AppError> {
    let Ok(username) = normalize_username(username) else {
        return Ok(None);
    };
    Ok(db
        .fetch_optional::<UserRow>(&user_by_name(username))
        .await?
        .map(|u| u.id))
}

/// What a username and password turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    /// Both right: the user to start a session for.
    Valid(SessionUser),
    /// Either wrong. Callers must not say which; `user_id` is the user the
    /// username named, if one exists, for the audit log.
    Wrong { user_id: Option<i64> },
}

/// Checks a username and password. Every outcome runs one argon2 check,
/// an unknown or malformed username against [`DECOY_HASH`], so they all
/// take the same time.
pub async fn verify_login(db: &Db, username: &str, password: &str) -> Result<Login, AppError> {
    let row = match normalize_username(username) {
        Ok(username) => {
            db.fetch_optional::<UserRow>(&user_by_name(username))
                .await?
        }
        Err(_) => None,
    };
    // A user who signed up through Discord has no password (`''`): the
    // decoy is checked instead, so such usernames take the same time too.
    let hash = row
        .as_ref()
        .map(|u| u.password_hash.clone())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| DECOY_HASH.clone());
    let matches = check_password(password.to_string(), hash).await?;
    Ok(match row {
        Some(u) if matches && !u.password_hash.is_empty() => Login::Valid(SessionUser {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
        }),
        row => Login::Wrong {
            user_id: row.map(|u| u.id),
        },
    })
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Starts a session for a user; returns the token for the cookie.
pub async fn create_session(
    db: &Db,
    clock: &SharedClock,
    user_id: i64,
) -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let now = clock.now();
    let sql = Sql::bound(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_used_at) \
         VALUES ($1, $2, $3, $4, $3)",
        vec![
            Arg::Text(token_hash(&token)),
            Arg::Int(user_id),
            Arg::Time(now),
            Arg::Time(now + Duration::days(SESSION_DAYS)),
        ],
    );
    db.execute(&sql).await?;
    Ok(token)
}

/// A valid session: its user, and for a user with Discord, when their
/// memberships were last confirmed (see `discord::recheck`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: SessionUser,
    pub discord: Option<Due>,
}

/// The user a session token belongs to, if the session is still valid:
/// within its 30 days and used in the last [`IDLE_DAYS`]. Renews the
/// session's last use when it is over an hour old.
pub async fn session_user(
    db: &Db,
    clock: &SharedClock,
    token: &str,
) -> Result<Option<SessionUser>, AppError> {
    Ok(session(db, clock, token).await?.map(|s| s.user))
}

/// [`session_user`], with the user's Discord check times.
pub async fn session(
    db: &Db,
    clock: &SharedClock,
    token: &str,
) -> Result<Option<Session>, AppError> {
    // Tokens are 64 hex characters; anything else cannot be one of ours.
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        username: String,
        display_name: String,
        last_used_at: DateTime<Utc>,
        discord_id: Option<String>,
        discord_checked_at: Option<DateTime<Utc>>,
    }
    let now = clock.now();
    let hash = token_hash(token);
    let sql = Sql::bound(
        "SELECT u.id, u.username, u.display_name, s.last_used_at, \
         u.discord_id, u.discord_checked_at FROM sessions s \
         JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_used_at > $3",
        vec![
            Arg::Text(hash.clone()),
            Arg::Time(now),
            Arg::Time(now - Duration::days(IDLE_DAYS)),
        ],
    );
    let Some(row) = db.fetch_optional::<Row>(&sql).await? else {
        return Ok(None);
    };
    if now - row.last_used_at > Duration::minutes(TOUCH_EVERY_MINUTES) {
        touch_session(db, hash, now);
    }
    Ok(Some(Session {
        discord: row.discord_id.map(|_| Due {
            checked_at: row.discord_checked_at,
        }),
        user: SessionUser {
            id: row.id,
            username: row.username,
            display_name: row.display_name,
        },
    }))
}

/// Records a session's use. Best effort and off the request's path: on
/// SQLite a long bulk run can hold the write lock, and a page must not
/// wait for it to renew a timestamp that has days of slack.
fn touch_session(db: &Db, token_hash: String, now: DateTime<Utc>) {
    let db = db.clone();
    let touch = async move {
        let sql = Sql::bound(
            "UPDATE sessions SET last_used_at = $1 WHERE token_hash = $2",
            vec![Arg::Time(now), Arg::Text(token_hash)],
        );
        if let Err(e) = db.execute(&sql).await {
            tracing::warn!(error = %e, "could not record a session's use");
        }
    };
    tokio::spawn(touch);
}

/// Ends every session of a user ("Sign out everywhere"); returns how many.
pub async fn delete_user_sessions(db: &Db, user_id: i64) -> Result<u64, AppError> {
    db.execute(&Sql::bound(
        "DELETE FROM sessions WHERE user_id = $1",
        vec![Arg::Int(user_id)],
    ))
    .await
}

pub async fn delete_session(db: &Db, token: &str) -> Result<(), AppError> {
    let sql = Sql::bound(
        "DELETE FROM sessions WHERE token_hash = $1",
        vec![Arg::Text(token_hash(token))],
    );
    db.execute(&sql).await?;
    Ok(())
}

/// Removes expired and idle sessions; returns how many.
pub async fn purge_expired_sessions(db: &Db, now: DateTime<Utc>) -> Result<u64, AppError> {
    db.execute(&Sql::bound(
        "DELETE FROM sessions WHERE expires_at <= $1 OR last_used_at <= $2",
        vec![Arg::Time(now), Arg::Time(now - Duration::days(IDLE_DAYS))],
    ))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_case_insensitive_and_restricted() {
        assert_eq!(normalize_username("  Demo ").unwrap(), "demo");
        assert!(normalize_username("").is_err());
        assert!(normalize_username("a b").is_err());
        assert!(normalize_username("../etc").is_err());
        assert!(normalize_username(&"x".repeat(33)).is_err());
    }

    #[test]
    fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let hash = hash_password("correct horse").unwrap();
        assert!(password_matches("correct horse", &hash));
        assert!(!password_matches("wrong horse!", &hash));
        assert!(hash_password("short").is_err());
    }
}
