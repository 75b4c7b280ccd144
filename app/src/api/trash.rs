//! The Deleted Items page's server function. Restore and permanent delete
//! are bulk actions (see `bulk`).

use crate::error::AppError;
use crate::model::query::Params;
use crate::model::TrashPage;
use leptos::prelude::*;
use server_fn::codec::Json;

/// One page of the trash; `params` are the page's URL query.
#[server(prefix = "/api", endpoint = "list_trash", input = Json)]
pub async fn list_trash(guild: String, params: Params) -> Result<TrashPage, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    let filter = crate::model::TrashFilter::from_params(&params)?;
    crate::domain::trash::list(&state.db, &scope, &filter, state.trash_window()).await
}
