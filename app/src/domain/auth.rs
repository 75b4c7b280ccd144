//! Users, passwords and server-side sessions.

use super::{Arg, Db, SharedClock, Sql};
use crate::error::AppError;
use crate::model::SessionUser;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Duration, Utc};
use password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// How long a sign-in lasts.
pub const SESSION_DAYS: i64 = 30;
pub const SESSION_COOKIE: &str = "gt_session";
const MIN_PASSWORD_LEN: usize = 8;

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

/// Checks a username and password. `None` when either is wrong: callers
/// must not say which.
pub async fn verify_login(
    db: &Db,
    username: &str,
    password: &str,
) -> Result<Option<SessionUser>, AppError> {
    let Ok(username) = normalize_username(username) else {
        return Ok(None);
    };
    let row = db
        .fetch_optional::<UserRow>(&user_by_name(username))
        .await?;
    // Hashing is the slow part; argon2 runs on a blocking thread so it does
    // not stall the async workers.
    let password = password.to_string();
    let found = tokio::task::spawn_blocking(move || match row {
        Some(u) if password_matches(&password, &u.password_hash) => Some(SessionUser {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
        }),
        _ => None,
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "password check task failed");
        AppError::Internal
    })?;
    Ok(found)
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
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
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

/// The user a session token belongs to, if the session is still valid.
pub async fn session_user(
    db: &Db,
    clock: &SharedClock,
    token: &str,
) -> Result<Option<SessionUser>, AppError> {
    // Tokens are 64 hex characters; anything else cannot be one of ours.
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        username: String,
        display_name: String,
    }
    let sql = Sql::bound(
        "SELECT u.id, u.username, u.display_name FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2",
        vec![Arg::Text(token_hash(token)), Arg::Time(clock.now())],
    );
    Ok(db.fetch_optional::<Row>(&sql).await?.map(|r| SessionUser {
        id: r.id,
        username: r.username,
        display_name: r.display_name,
    }))
}

pub async fn delete_session(db: &Db, token: &str) -> Result<(), AppError> {
    let sql = Sql::bound(
        "DELETE FROM sessions WHERE token_hash = $1",
        vec![Arg::Text(token_hash(token))],
    );
    db.execute(&sql).await?;
    Ok(())
}

/// Removes expired sessions; returns how many.
pub async fn purge_expired_sessions(db: &Db, now: DateTime<Utc>) -> Result<u64, AppError> {
    db.execute(&Sql::bound(
        "DELETE FROM sessions WHERE expires_at <= $1",
        vec![Arg::Time(now)],
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
