//! Discord's interactions over HTTP: the signature every request carries,
//! the payload of a slash command, and the answers Guildtrack gives.
//!
//! Documented under "Interactions → Receiving and Responding": Discord
//! POSTs each interaction to the app's Interactions Endpoint URL, signed
//! with Ed25519 (`X-Signature-Ed25519` over `X-Signature-Timestamp` followed
//! by the raw body), and removes an endpoint that accepts a bad signature.

use super::client::DiscordUser;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde::Deserialize;
use serde_json::{json, Value};

/// A signed request older than this (or this far in the future) is
/// refused: a captured request cannot be replayed later.
pub const MAX_AGE_SECS: i64 = 5 * 60;

/// Interaction types (documented under "Interaction Object").
pub const PING: u8 = 1;
pub const APPLICATION_COMMAND: u8 = 2;

/// Response types (documented under "Interaction Response Object").
const PONG: u8 = 1;
const CHANNEL_MESSAGE_WITH_SOURCE: u8 = 4;
const DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: u8 = 5;
/// Message flag: only the member who used the command sees the message.
pub const EPHEMERAL: u64 = 1 << 6;

/// The application's public key (`DISCORD_PUBLIC_KEY`, hex, from the
/// Developer Portal's General Information page).
#[derive(Clone)]
pub struct PublicKey(VerifyingKey);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", hex::encode(self.0.as_bytes()))
    }
}

impl PublicKey {
    pub fn from_hex(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "DISCORD_PUBLIC_KEY must be the application's public key, 64 hex characters; got “{}”",
                text.trim()
            )
        };
        let bytes: [u8; 32] = hex::decode(text.trim())
            .map_err(|_| bad())?
            .try_into()
            .map_err(|_| bad())?;
        VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| bad())
    }
}

/// Why a request was not taken as Discord's. Each is a 401, answered
/// before the body is read as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsigned {
    /// No signature or timestamp header.
    Missing,
    /// The signature does not verify over this timestamp and body.
    BadSignature,
    /// Signed, but more than [`MAX_AGE_SECS`] away from now.
    Stale,
}

/// Checks a request's signature and age.
pub fn verify(
    key: &PublicKey,
    signature_hex: Option<&str>,
    timestamp: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), Unsigned> {
    let (Some(signature_hex), Some(timestamp)) = (signature_hex, timestamp) else {
        return Err(Unsigned::Missing);
    };
    let signature: [u8; 64] = hex::decode(signature_hex.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(Unsigned::BadSignature)?;
    let mut signed = Vec::with_capacity(timestamp.len() + body.len());
    signed.extend_from_slice(timestamp.as_bytes());
    signed.extend_from_slice(body);
    key.0
        .verify(&signed, &Signature::from_bytes(&signature))
        .map_err(|_| Unsigned::BadSignature)?;
    // Checked after the signature, so the age of an unsigned request
    // tells a caller nothing.
    let sent = timestamp
        .trim()
        .parse::<i64>()
        .map_err(|_| Unsigned::Stale)?;
    if (now.timestamp() - sent).abs() > MAX_AGE_SECS {
        return Err(Unsigned::Stale);
    }
    Ok(())
}

/// An interaction, as far as Guildtrack reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct Interaction {
    #[serde(rename = "type")]
    pub kind: u8,
    pub application_id: String,
    /// Edits the reply for 15 minutes: a credential, never logged.
    pub token: String,
    /// The server it was used in; absent in a direct message.
    pub guild_id: Option<String>,
    /// The member who used it, when in a server.
    pub member: Option<Member>,
    pub data: Option<CommandData>,
}

/// A guild member object with its permissions in the channel (only sent
/// in interactions).
#[derive(Debug, Clone, Deserialize)]
pub struct Member {
    pub user: DiscordUser,
    #[serde(default)]
    pub roles: Vec<String>,
    /// The member's permissions in the channel, a decimal string.
    #[serde(default)]
    pub permissions: String,
}

/// The command and its options ("Application Command Interaction Data").
#[derive(Debug, Clone, Deserialize)]
pub struct CommandData {
    pub name: String,
    #[serde(default)]
    pub options: Vec<CommandOption>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CommandOption {
    pub name: String,
    #[serde(default)]
    pub value: Value,
}

impl CommandData {
    /// A string option's value, trimmed; `None` when absent or blank.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|o| o.name == name)
            .and_then(|o| o.value.as_str())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}

/// What Guildtrack answers an interaction with, within Discord's 3 seconds.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Pong,
    /// A message only the member sees: a refusal, or a sentence.
    Private(String),
    /// "Guildtrack is thinking…", seen only by the member; the reply is
    /// edited later through the interaction's webhook.
    Deferred,
}

impl Answer {
    pub fn to_json(&self) -> Value {
        match self {
            Self::Pong => json!({ "type": PONG }),
            Self::Private(text) => json!({
                "type": CHANNEL_MESSAGE_WITH_SOURCE,
                "data": { "content": text, "flags": EPHEMERAL, "allowed_mentions": { "parse": [] } },
            }),
            Self::Deferred => json!({
                "type": DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
                "data": { "flags": EPHEMERAL },
            }),
        }
    }
}

/// The body of an edit of the original reply: its text, with mentions
/// switched off (a file or guild name must not ping anyone).
pub fn edit_body(text: &str) -> Value {
    json!({ "content": text, "allowed_mentions": { "parse": [] } })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn keys() -> (SigningKey, PublicKey) {
        let signing = SigningKey::from_bytes(&[7; 32]);
        let public = PublicKey::from_hex(&hex::encode(signing.verifying_key().as_bytes())).unwrap();
        (signing, public)
    }

    fn sign(key: &SigningKey, timestamp: &str, body: &[u8]) -> String {
        let mut m = timestamp.as_bytes().to_vec();
        m.extend_from_slice(body);
        hex::encode(key.sign(&m).to_bytes())
    }

    #[test]
    fn a_request_signed_now_with_the_apps_key_is_accepted() {
        let (signing, public) = keys();
        let now = Utc::now();
        let ts = now.timestamp().to_string();
        let sig = sign(&signing, &ts, b"{}");
        assert_eq!(verify(&public, Some(&sig), Some(&ts), b"{}", now), Ok(()));
    }

    #[test]
    fn a_changed_body_another_key_or_no_headers_are_refused() {
        let (signing, public) = keys();
        let now = Utc::now();
        let ts = now.timestamp().to_string();
        let sig = sign(&signing, &ts, b"{}");
        let other = sign(&SigningKey::from_bytes(&[8; 32]), &ts, b"{}");
        assert_eq!(
            verify(&public, Some(&sig), Some(&ts), b"{ }", now),
            Err(Unsigned::BadSignature)
        );
        assert_eq!(
            verify(&public, Some(&other), Some(&ts), b"{}", now),
            Err(Unsigned::BadSignature)
        );
        assert_eq!(
            verify(&public, Some("zz"), Some(&ts), b"{}", now),
            Err(Unsigned::BadSignature)
        );
        assert_eq!(
            verify(&public, None, Some(&ts), b"{}", now),
            Err(Unsigned::Missing)
        );
    }

    #[test]
    fn a_signature_older_than_five_minutes_is_stale() {
        let (signing, public) = keys();
        let now = Utc::now();
        let old = (now.timestamp() - MAX_AGE_SECS - 1).to_string();
        let sig = sign(&signing, &old, b"{}");
        assert_eq!(
            verify(&public, Some(&sig), Some(&old), b"{}", now),
            Err(Unsigned::Stale)
        );
    }

    #[test]
    fn a_public_key_must_be_32_bytes_of_hex() {
        assert!(PublicKey::from_hex("abc").is_err());
        assert!(PublicKey::from_hex(&"0g".repeat(32)).is_err());
    }

    #[test]
    fn answers_are_the_documented_shapes() {
        assert_eq!(Answer::Pong.to_json(), json!({"type": 1}));
        assert_eq!(
            Answer::Deferred.to_json(),
            json!({"type": 5, "data": {"flags": 64}})
        );
        assert_eq!(Answer::Private("no".into()).to_json()["data"]["flags"], 64);
    }
}
