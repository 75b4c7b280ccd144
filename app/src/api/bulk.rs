//! Bulk action server functions: preview (what the dialog says), start
//! (confirmed), and progress. Roles are checked in the domain.

use crate::error::AppError;
use crate::model::{BulkConfirm, BulkPreview, BulkRequest, BulkRun};
use leptos::prelude::*;
use server_fn::codec::Json;

#[server(prefix = "/api", endpoint = "preview_bulk", input = Json)]
pub async fn preview_bulk(guild: String, request: BulkRequest) -> Result<BulkPreview, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    crate::domain::bulk::preview(&state.db, state.trash_window(), &scope, &request).await
}

/// Runs a confirmed action: the answer is the finished run for small
/// selections, or a running one to poll with [`bulk_progress`].
#[server(prefix = "/api", endpoint = "start_bulk", input = Json)]
pub async fn start_bulk(guild: String, confirm: BulkConfirm) -> Result<BulkRun, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    crate::domain::bulk::launch(&state, &scope, &confirm).await
}

#[server(prefix = "/api", endpoint = "bulk_progress", input = Json)]
pub async fn bulk_progress(guild: String, id: i64) -> Result<BulkRun, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    crate::domain::bulk::get(&state.db, &scope, id).await
}

/// Undo of a finished delete: restores the items it moved to the trash.
#[server(prefix = "/api", endpoint = "undo_bulk", input = Json)]
pub async fn undo_bulk(guild: String, id: i64) -> Result<BulkRun, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    crate::domain::bulk::undo(&state, &scope, id).await
}
