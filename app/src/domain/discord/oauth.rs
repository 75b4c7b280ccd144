//! The OAuth2 authorization code flow's two ends: the state sent to
//! Discord, bound to the browser that started the sign-in, and PKCE.
//!
//! A state alone would let an attacker start a sign-in, then get a victim's
//! browser to finish it (login CSRF); so the state is stored with the hash
//! of a random value that only the starting browser holds, in a cookie.

use super::DiscordConfig;
use crate::domain::{Arg, Db, SharedClock, Sql};
use crate::error::AppError;
use crate::model::query::encode_component;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Duration;
use password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// How long a started sign-in may take.
pub const STATE_MINUTES: i64 = 10;

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The PKCE challenge of a verifier (RFC 7636, `S256`).
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A sign-in, started: where to send the browser, and the value for the
/// browser's cookie.
#[derive(Debug)]
pub struct Started {
    pub authorize_url: String,
    pub browser_secret: String,
}

/// Starts a sign-in that returns to `next` (already checked to be a local
/// path), or that links Discord to the signed-in `link_user_id`.
pub async fn begin(
    db: &Db,
    clock: &SharedClock,
    config: &DiscordConfig,
    next: &str,
    link_user_id: Option<i64>,
) -> Result<Started, AppError> {
    let state = random_hex();
    let browser_secret = random_hex();
    // 32 random bytes in base64url: 43 characters, within RFC 7636's 43–128.
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    db.execute(&Sql::bound(
        "INSERT INTO oauth_states (state_hash, browser_hash, verifier, next_path, link_user_id, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            Arg::Text(sha256_hex(&state)),
            Arg::Text(sha256_hex(&browser_secret)),
            Arg::Text(verifier.clone()),
            Arg::Text(next.to_string()),
            Arg::OptInt(link_user_id),
            Arg::Time(clock.now() + Duration::minutes(STATE_MINUTES)),
        ],
    ))
    .await?;
    let query = [
        ("response_type", "code"),
        ("client_id", config.client_id.as_str()),
        ("scope", DiscordConfig::SCOPES),
        ("state", state.as_str()),
        ("redirect_uri", config.redirect_url.as_str()),
        ("code_challenge", &challenge(&verifier)),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}", encode_component(v)))
    .collect::<Vec<_>>()
    .join("&");
    Ok(Started {
        authorize_url: format!("{}?{query}", config.authorize_url()),
        browser_secret,
    })
}

/// A sign-in that came back with a state we issued to this browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub verifier: String,
    pub next: String,
    pub link_user_id: Option<i64>,
}

/// Takes the sign-in `state` names, once: `None` when it is unknown,
/// expired, already used, or was started in another browser.
pub async fn finish(
    db: &Db,
    clock: &SharedClock,
    state: &str,
    browser_secret: Option<&str>,
) -> Result<Option<Pending>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        browser_hash: String,
        verifier: String,
        next_path: String,
        link_user_id: Option<i64>,
        expires_at: chrono::DateTime<chrono::Utc>,
    }
    // Deleted whatever happens next: a state is good for one try.
    let row = db
        .returning::<Row>(&Sql::bound(
            "DELETE FROM oauth_states WHERE state_hash = $1 \
             RETURNING browser_hash, verifier, next_path, link_user_id, expires_at",
            vec![Arg::Text(sha256_hex(state))],
        ))
        .await?;
    let Some(row) = row else { return Ok(None) };
    let same_browser = browser_secret.is_some_and(|s| sha256_hex(s) == row.browser_hash);
    if !same_browser || row.expires_at <= clock.now() {
        return Ok(None);
    }
    Ok(Some(Pending {
        verifier: row.verifier,
        next: row.next_path,
        link_user_id: row.link_user_id,
    }))
}

/// Removes sign-ins that were started and never finished; returns how many.
pub async fn purge_expired(db: &Db, now: chrono::DateTime<chrono::Utc>) -> Result<u64, AppError> {
    db.execute(&Sql::bound(
        "DELETE FROM oauth_states WHERE expires_at <= $1",
        vec![Arg::Time(now)],
    ))
    .await
}

#[cfg(test)]
mod tests {
    use super::challenge;

    #[test]
    fn the_pkce_challenge_is_rfc_7636s_example() {
        // RFC 7636, Appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
