//! The Audit log page's server functions.

use crate::error::AppError;
use crate::model::query::Params;
use crate::model::{AuditEntry, Page};
use leptos::prelude::*;
use server_fn::codec::Json;

/// One page of the log; `params` are the page's URL query.
#[server(prefix = "/api", endpoint = "audit_log", input = Json)]
pub async fn audit_log(guild: String, params: Params) -> Result<Page<AuditEntry>, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    let filter = crate::model::AuditFilter::from_params(&params)?;
    crate::domain::audit::list(&state.db, &scope, &filter).await
}

/// One page of a batch's items, for an expanded summary.
#[server(prefix = "/api", endpoint = "audit_batch", input = Json)]
pub async fn audit_batch(
    guild: String,
    batch: String,
    page: u32,
) -> Result<Page<AuditEntry>, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    crate::domain::audit::batch_items(&state.db, &scope, &batch, page).await
}

/// The members, for the log's "who" filter. Editors and admins, like the
/// log itself.
#[server(prefix = "/api", endpoint = "audit_actors", input = Json)]
pub async fn audit_actors(guild: String) -> Result<Vec<crate::model::Member>, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    crate::domain::audit::actors(&state.db, &scope).await
}
