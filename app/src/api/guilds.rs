use crate::error::AppError;
use crate::model::{GuildContext, GuildSummary};
use leptos::prelude::*;
use server_fn::codec::Json;

/// The guilds the signed-in user is a member of.
#[server(prefix = "/api", endpoint = "my_guilds", input = Json)]
pub async fn my_guilds() -> Result<Vec<GuildSummary>, AppError> {
    let state = super::ctx::state()?;
    let user = super::ctx::user()?;
    crate::domain::scope::guilds_of(&state.db, user.id).await
}

/// Who is looking at which guild with which role, plus the guild's brands
/// and groups and accounts for the filter bars.
#[server(prefix = "/api", endpoint = "guild_context", input = Json)]
pub async fn get_guild_context(guild: String) -> Result<GuildContext, AppError> {
    use crate::domain::{catalog, scope};
    let (state, scope) = super::ctx::member(&guild).await?;
    let user = super::ctx::user()?;
    let (guilds, brands, groups, accounts, has_discord) = futures::try_join!(
        scope::guilds_of(&state.db, user.id),
        catalog::brands(&state.db, &scope),
        catalog::groups(&state.db, &scope),
        catalog::accounts(&state.db, &scope),
        crate::domain::discord::identity::has_discord(&state.db, user.id),
    )?;
    Ok(GuildContext {
        user,
        guild: scope.summary(),
        guilds,
        brands,
        groups,
        accounts,
        discord_linkable: state.discord.is_some() && !has_discord,
    })
}
