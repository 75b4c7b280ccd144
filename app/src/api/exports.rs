//! Export server functions: start (instant or queued), watch, cancel,
//! retry, history. Viewers may export; the data is theirs to read anyway.

use crate::error::AppError;
use crate::model::{ExportJob, ExportPreview, ExportRequest, ExportStarted};
use leptos::prelude::*;
use server_fn::codec::Json;

/// How many exports the history shows.
pub const HISTORY_LIMIT: i64 = 100;

/// Makes the file now when it is small (the answer links to it), or queues
/// a background job.
#[server(prefix = "/api", endpoint = "start_export", input = Json)]
pub async fn start_export(
    guild: String,
    request: ExportRequest,
) -> Result<ExportStarted, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    crate::domain::export::service::start(&state, &scope, request).await
}

/// How many items an export would hold, whether it comes at once, and its
/// default file name (the dialog shows them before anything starts).
#[server(prefix = "/api", endpoint = "preview_export", input = Json)]
pub async fn preview_export(
    guild: String,
    request: ExportRequest,
) -> Result<ExportPreview, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    crate::domain::export::service::preview(&state, &scope, &request).await
}

/// The guild's exports, newest first.
#[server(prefix = "/api", endpoint = "export_history", input = Json)]
pub async fn export_history(guild: String) -> Result<Vec<ExportJob>, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    crate::domain::export::jobs::list(&state.db, &scope, HISTORY_LIMIT).await
}

/// The current state of exports this browser is watching.
#[server(prefix = "/api", endpoint = "watch_exports", input = Json)]
pub async fn watch_exports(guild: String, ids: Vec<i64>) -> Result<Vec<ExportJob>, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    crate::domain::export::jobs::by_ids(&state.db, &scope, &ids).await
}

/// The member's exports still queued or running (after a reload).
#[server(prefix = "/api", endpoint = "my_active_exports", input = Json)]
pub async fn my_active_exports(guild: String) -> Result<Vec<ExportJob>, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    crate::domain::export::jobs::active_of(&state.db, &scope).await
}

#[server(prefix = "/api", endpoint = "cancel_export", input = Json)]
pub async fn cancel_export(guild: String, id: i64) -> Result<ExportJob, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    crate::domain::export::jobs::cancel(&state.db, &scope, id, state.clock.now()).await
}

/// Starts a failed or cancelled export again with the same settings.
#[server(prefix = "/api", endpoint = "retry_export", input = Json)]
pub async fn retry_export(guild: String, id: i64) -> Result<ExportStarted, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    crate::domain::export::service::retry(&state, &scope, id).await
}
