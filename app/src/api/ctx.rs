//! What a server function needs from the request: the shared state, the
//! signed-in user, and the guild scope.

use crate::domain::{AppState, GuildScope};
use crate::error::AppError;
use crate::model::SessionUser;
use leptos::prelude::*;

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}

/// The user the auth middleware found for this request's session cookie.
pub fn user() -> Result<SessionUser, AppError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<SessionUser>().cloned())
        .ok_or(AppError::Unauthorized)
}

/// The membership check every guild call goes through.
pub async fn member(guild: &str) -> Result<(AppState, GuildScope), AppError> {
    let state = state()?;
    let user = user()?;
    let scope = GuildScope::for_member(&state.db, &user, guild).await?;
    crate::domain::members::seen(
        &state.db,
        scope.guild_id(),
        user.id,
        scope.last_seen_at(),
        state.clock.now(),
    );
    Ok((state, scope))
}
