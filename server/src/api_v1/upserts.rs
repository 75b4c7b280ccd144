//! `PUT …/accounts` and `PUT …/posts`: a batch of up to 1,000 items.

use super::{Authorized, Failure};
use crate::router::ServerState;
use app::domain::ingest::wire::{
    self, AccountsBatch, ApiError, PostsBatch, Rejection, UpsertReport, MAX_BATCH,
};
use app::domain::ingest::{accounts, posts};
use app::format;
use app::model::api_tokens::TokenScope;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::de::DeserializeOwned;

/// The body as a batch: malformed JSON, unknown fields and oversized
/// batches are refused before any item is looked at.
fn batch<T: DeserializeOwned>(
    body: &Bytes,
    what: &str,
    len: impl Fn(&T) -> usize,
) -> Result<T, Failure> {
    let batch: T = serde_json::from_slice(body).map_err(|e| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            format!("The body is not a batch of {what}: {e}. Send {{\"{what}\": [ … ]}}."),
        )
    })?;
    let n = len(&batch);
    if n > MAX_BATCH {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            format!(
                "A batch holds at most {} {what}; this one has {}. Send them in several batches.",
                format::thousands(MAX_BATCH as i64),
                format::thousands(n as i64)
            ),
        ));
    }
    Ok(batch)
}

/// This batch's turn among the server's ingest slots (see
/// [`super::ingest_slots`]); held until the answer is made.
async fn turn(state: &ServerState) -> Result<tokio::sync::OwnedSemaphorePermit, Failure> {
    state
        .ingest_slots
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| {
            tracing::error!("the ingest slots were closed");
            Failure::from(app::error::AppError::Internal)
        })
}

/// Every malformed item, as one 400.
fn malformed(what: &str, of: usize) -> impl FnOnce(Vec<Rejection>) -> Failure + '_ {
    move |rejections| {
        let first = rejections[0].reason.clone();
        ApiError {
            error: format!(
                "{} of {} {what} are not valid, so nothing was written. The first: {first}",
                format::thousands(rejections.len() as i64),
                format::thousands(of as i64),
            ),
            rejections,
        }
        .into()
    }
}

/// Upserts accounts.
#[utoipa::path(
    put,
    path = "/guilds/{guild}/accounts",
    tag = "accounts",
    params(("guild" = String, Path, description = "The guild's slug")),
    request_body = AccountsBatch,
    responses(
        (status = 200, description = "What the batch did", body = UpsertReport),
        (status = 400, description = "Malformed JSON or items, unknown fields, or over 1,000 items; nothing was written", body = ApiError),
        (status = 401, description = "No token, or an unknown, revoked or expired one", body = ApiError),
        (status = 403, description = "A read-only token", body = ApiError),
        (status = 404, description = "A guild this token is not for", body = ApiError),
        (status = 429, description = "Over the token's rate; see Retry-After", body = ApiError),
    )
)]
pub async fn put_accounts(
    State(state): State<ServerState>,
    auth: Authorized,
    body: Bytes,
) -> Result<Json<UpsertReport>, Failure> {
    let grant = auth.require(TokenScope::Ingest)?;
    let _turn = turn(&state).await?;
    let batch: AccountsBatch = batch(&body, "accounts", |b: &AccountsBatch| b.accounts.len())?;
    let of = batch.accounts.len();
    let items = wire::accounts(batch.accounts).map_err(malformed("accounts", of))?;
    let app = &state.app;
    let report = accounts::upsert(
        &app.db,
        &app.clock,
        &grant.guild,
        &items,
        batch.create_missing,
    )
    .await?;
    Ok(Json(report))
}

/// Upserts posts.
#[utoipa::path(
    put,
    path = "/guilds/{guild}/posts",
    tag = "posts",
    params(("guild" = String, Path, description = "The guild's slug")),
    request_body = PostsBatch,
    responses(
        (status = 200, description = "What the batch did", body = UpsertReport),
        (status = 400, description = "Malformed JSON or items, unknown fields, or over 1,000 items; nothing was written", body = ApiError),
        (status = 401, description = "No token, or an unknown, revoked or expired one", body = ApiError),
        (status = 403, description = "A read-only token", body = ApiError),
        (status = 404, description = "A guild this token is not for", body = ApiError),
        (status = 429, description = "Over the token's rate; see Retry-After", body = ApiError),
    )
)]
pub async fn put_posts(
    State(state): State<ServerState>,
    auth: Authorized,
    body: Bytes,
) -> Result<Json<UpsertReport>, Failure> {
    let grant = auth.require(TokenScope::Ingest)?;
    let _turn = turn(&state).await?;
    let batch: PostsBatch = batch(&body, "posts", |b: &PostsBatch| b.posts.len())?;
    let of = batch.posts.len();
    let app = &state.app;
    let items = wire::posts(batch.posts, app.clock.now()).map_err(malformed("posts", of))?;
    let report = posts::upsert(&app.db, &app.clock, &grant.guild, &items).await?;
    let written = report.created + report.updated;
    state.ingest_upkeep.wrote(&app.db, written as u64);
    Ok(Json(report))
}
