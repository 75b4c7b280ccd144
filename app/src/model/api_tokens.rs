//! Guild settings → API tokens: what the admins' list shows, and what
//! making a token asks and answers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a token may do. `Ingest` sends accounts and posts and reads them
/// back (a tracker must see what is there); `Read` only reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenScope {
    Ingest,
    Read,
}

impl TokenScope {
    pub const ALL: [TokenScope; 2] = [Self::Ingest, Self::Read];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ingest => "ingest",
            Self::Read => "read",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Ingest => "Ingest (send and read accounts and posts)",
            Self::Read => "Read only",
        }
    }
}

/// The expiries an admin can pick, in days; `None` in a request is "never".
pub const TOKEN_DAYS: [i64; 4] = [7, 30, 90, 365];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRequest {
    pub name: String,
    pub scope: TokenScope,
    /// Days until it expires; `None` for a token that does not expire.
    pub days: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenStatus {
    Active,
    Expired,
    Revoked,
}

impl TokenStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Expired => "Expired",
            Self::Revoked => "Revoked",
        }
    }
}

/// A token as the admins' list shows it: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub scope: TokenScope,
    /// Its last four characters ("…k3Qz").
    pub hint: String,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub status: TokenStatus,
}

/// A token just made: `token` is in this answer and nowhere else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub token: String,
    pub info: TokenInfo,
}
