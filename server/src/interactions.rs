//! `POST /discord/interactions`: the app's Interactions Endpoint URL.
//!
//! Discord's signature is this route's authentication, so it sits outside
//! the browser's session and same-origin guards (router.rs). The signature
//! is checked on the raw body before anything reads it as JSON: a request
//! that is not Discord's gets 401 and nothing else.

use crate::router::ServerState;
use app::domain::discord::exportdata;
use app::domain::discord::interactions::{self, Interaction, Unsigned};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// Interaction bodies are small; a larger one is not Discord's.
pub const BODY_LIMIT: usize = 64 * 1024;

pub async fn receive(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(bot) = state.app.bot.as_ref() else {
        return (
            StatusCode::NOT_FOUND,
            "Discord interactions are not configured on this server (DISCORD_PUBLIC_KEY).",
        )
            .into_response();
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let checked = interactions::verify(
        &bot.public_key,
        header("x-signature-ed25519"),
        header("x-signature-timestamp"),
        &body,
        state.app.clock.now(),
    );
    if let Err(why) = checked {
        let text = match why {
            Unsigned::Missing => "missing request signature",
            Unsigned::BadSignature => "invalid request signature",
            Unsigned::Stale => "request signature is too old",
        };
        tracing::info!(reason = text, "refused an interaction");
        return (StatusCode::UNAUTHORIZED, text).into_response();
    }
    let interaction: Interaction = match serde_json::from_slice(&body) {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, "a signed interaction is not the documented shape");
            return (StatusCode::BAD_REQUEST, "not an interaction").into_response();
        }
    };
    let answer = exportdata::answer(&state.app, bot, interaction).await;
    (
        [(header::CONTENT_TYPE, "application/json")],
        answer.to_json().to_string(),
    )
        .into_response()
}
