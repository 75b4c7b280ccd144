//! Import server functions: the history, watching one, confirming and
//! cancelling. The upload itself is a plain route (`POST /g/{guild}/imports`
//! in the server crate): a file is a stream, not a JSON argument.

use crate::error::AppError;
use crate::model::ImportJob;
use leptos::prelude::*;
use server_fn::codec::Json;

/// The guild's imports, newest first (admins only: an import changes the
/// guild's data).
#[server(prefix = "/api", endpoint = "import_history", input = Json)]
pub async fn import_history(guild: String) -> Result<Vec<ImportJob>, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    scope.require(crate::model::Role::Admin, "see the guild's imports")?;
    crate::domain::import::jobs::list(&state.db, &scope, crate::domain::import::HISTORY_LIMIT).await
}

/// One import's current state, while the page watches it.
#[server(prefix = "/api", endpoint = "watch_import", input = Json)]
pub async fn watch_import(guild: String, id: i64) -> Result<ImportJob, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    scope.require(crate::model::Role::Admin, "see the guild's imports")?;
    crate::domain::import::jobs::get(&state.db, &scope, id).await
}

/// Starts a checked import; `typed` is the item count as the admin typed it.
#[server(prefix = "/api", endpoint = "confirm_import", input = Json)]
pub async fn confirm_import(guild: String, id: i64, typed: String) -> Result<ImportJob, AppError> {
    use crate::domain::import::run;
    let (state, scope) = super::ctx::member(&guild).await?;
    let job = run::confirm(&state, &scope, id, &typed).await?;
    tokio::spawn(async move {
        let ended = run::apply(&state, &scope, id).await;
        tracing::info!(job = id, ?ended, "import ended");
    });
    Ok(job)
}

/// Stops an import between batches (what was written stays), or drops one
/// still waiting for confirmation.
#[server(prefix = "/api", endpoint = "cancel_import", input = Json)]
pub async fn cancel_import(guild: String, id: i64) -> Result<ImportJob, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    crate::domain::import::cancel(&state, &scope, id).await
}
