//! The one error type every server function returns.
//!
//! It crosses the wire, so the browser can tell a validation problem (show
//! the sentence) from a permission problem (show "no access") from an
//! internal failure (show a generic apology; details stay in the server log).

use serde::{Deserialize, Serialize};
use server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The request has no valid session: the user must sign in (HTTP 401).
    #[error("Please sign in to continue.")]
    Unauthorized,
    /// Signed in and a member, but the role does not allow this (HTTP 403).
    /// The sentence names what is missing.
    #[error("{0}")]
    Forbidden(String),
    /// The guild or item does not exist *for this user*. Guilds the user is
    /// not a member of are reported as missing too, so their existence does
    /// not leak (HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// The input was understood but is not acceptable; the sentence says how
    /// to fix it (HTTP 400).
    #[error("{0}")]
    Invalid(String),
    /// The request was right when it was prepared, but the data changed
    /// since: the selection now holds another count than the one confirmed
    /// (HTTP 409). The sentence gives the new state; the UI offers to review
    /// again rather than to fix the input.
    #[error("{0}")]
    Conflict(String),
    /// A shared limit is reached: the member or the guild already has as
    /// much queued as one may (HTTP 429). The sentence names the limit and
    /// what frees it.
    #[error("{0}")]
    TooMany(String),
    /// A step on our side failed, and the member must know which to decide
    /// what to do: "The file could not be stored … Nothing was kept; try
    /// again." The detail was logged on the server; the sentence says only
    /// what failed and what was kept (HTTP 500).
    #[error("{0}")]
    Failed(String),
    /// The server cannot do this right now, though nothing is wrong with
    /// the request: the database is down, or busy with a long change past
    /// the time a write may wait for it (HTTP 503). Nothing was changed,
    /// and the sentence says to try again; it never blames the member's
    /// input (a sign-in must not say "wrong password" because of it).
    #[error("{0}")]
    Unavailable(String),
    /// Something failed on our side. The detail was logged on the server; the
    /// user only sees this short message (HTTP 500).
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
    /// The server function machinery itself failed (network down, response
    /// not decodable, ...).
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::Invalid(msg.into())
    }

    pub fn not_found(msg: impl Into<String>) -> Self {
        Self::NotFound(msg.into())
    }

    pub fn forbidden(msg: impl Into<String>) -> Self {
        Self::Forbidden(msg.into())
    }

    pub fn conflict(msg: impl Into<String>) -> Self {
        Self::Conflict(msg.into())
    }

    /// The server is busy or its database unreachable: nothing was changed.
    pub fn unavailable() -> Self {
        Self::Unavailable(
            "The server is busy with a long change right now, so nothing was changed. Try \
             again in a moment."
                .into(),
        )
    }

    /// The HTTP status this outcome is reported with.
    pub fn status_code(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Invalid(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Failed(_) | Self::Internal | Self::Transport(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Arguments that cannot even be decoded are bad input, not our fault.
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::Deserialization(msg) => {
                Self::Invalid(format!("The request could not be read: {msg}"))
            }
            other => Self::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        // Queries log their own failures where they run (`Db`, `Tx`); what
        // reaches this is the rest: a connection or transaction that could
        // not begin or commit. Logged with detail, hidden from the user.
        tracing::error!(error = %err, "database error outside a query (connection or transaction)");
        Self::Internal
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::migrate::MigrateError> for AppError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        tracing::error!(error = %err, "migration error");
        Self::Internal
    }
}
