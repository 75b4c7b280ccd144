use crate::error::AppError;
use crate::model::api_tokens::{NewToken, TokenInfo, TokenRequest};
use leptos::prelude::*;
use server_fn::codec::Json;

/// The guild's API tokens (admins).
#[server(prefix = "/api", endpoint = "guild_api_tokens", input = Json)]
pub async fn guild_api_tokens(guild: String) -> Result<Vec<TokenInfo>, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    crate::domain::api_tokens::list(&state.db, &state.clock, &scope).await
}

/// Makes an API token; the token is in this answer only (admins).
#[server(prefix = "/api", endpoint = "create_api_token", input = Json)]
pub async fn create_api_token(guild: String, request: TokenRequest) -> Result<NewToken, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    crate::domain::api_tokens::create(&state.db, &state.clock, &scope, &request).await
}

/// Revokes an API token (admins).
#[server(prefix = "/api", endpoint = "revoke_api_token", input = Json)]
pub async fn revoke_api_token(guild: String, id: i64) -> Result<Vec<TokenInfo>, AppError> {
    use crate::domain::api_tokens;
    let (state, scope) = super::ctx::member(&guild).await?;
    api_tokens::revoke(&state.db, &state.clock, &scope, id).await?;
    api_tokens::list(&state.db, &state.clock, &scope).await
}
