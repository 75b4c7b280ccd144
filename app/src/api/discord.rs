use crate::error::AppError;
use crate::model::discord::DiscordLink;
use leptos::prelude::*;
use server_fn::codec::Json;

/// Whether the sign-in page offers "Sign in with Discord". Public: the
/// sign-in page asks before anyone is signed in.
#[server(prefix = "/api", endpoint = "discord_sign_in_enabled", input = Json)]
pub async fn discord_sign_in_enabled() -> Result<bool, AppError> {
    Ok(super::ctx::state()?.discord.is_some())
}

/// The guild's link to a Discord server and its role rules (admins).
#[server(prefix = "/api", endpoint = "guild_discord_link", input = Json)]
pub async fn guild_discord_link(guild: String) -> Result<DiscordLink, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    crate::domain::discord::link::settings(&state.db, &scope, state.discord.is_some()).await
}

/// Links the guild to a Discord server (blank: unlinks) and sets its role
/// rules (admins).
#[server(prefix = "/api", endpoint = "save_guild_discord_link", input = Json)]
pub async fn save_guild_discord_link(
    guild: String,
    server_id: String,
    editor_roles: String,
    members_can_view: bool,
) -> Result<DiscordLink, AppError> {
    use crate::domain::discord::link::{self, LinkInput};
    let (state, scope) = super::ctx::member(&guild).await?;
    let input = LinkInput {
        server_id,
        editor_roles,
        members_can_view,
    };
    link::save(
        &state.db,
        &state.clock,
        &scope,
        &input,
        state.discord.is_some(),
    )
    .await
}

/// Where the guild's audit log is posted in Discord, and how that goes
/// (admins).
#[server(prefix = "/api", endpoint = "audit_mirror", input = Json)]
pub async fn audit_mirror(
    guild: String,
) -> Result<crate::model::audit_mirror::AuditMirror, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    crate::domain::discord::mirror::settings(&state.db, &scope, state.outbound.as_ref()).await
}

/// Saves the channel's webhook (blank: keep the saved one), the kinds of
/// entries to post, and whether to post (admins).
#[server(prefix = "/api", endpoint = "save_audit_mirror", input = Json)]
pub async fn save_audit_mirror(
    guild: String,
    webhook_url: String,
    kinds: Vec<String>,
    enabled: bool,
) -> Result<crate::model::audit_mirror::AuditMirror, AppError> {
    use crate::domain::discord::mirror::{self, MirrorInput};
    let (state, scope) = super::ctx::member(&guild).await?;
    let input = MirrorInput {
        webhook_url,
        kinds,
        enabled,
    };
    mirror::save(
        &state.db,
        &state.clock,
        &scope,
        state.outbound.as_ref(),
        &input,
    )
    .await
}

/// Posts a test message to the saved webhook; what Discord said (admins).
#[server(prefix = "/api", endpoint = "test_audit_mirror", input = Json)]
pub async fn test_audit_mirror(guild: String) -> Result<String, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    crate::domain::discord::mirror::send_test(&state.db, &scope, state.outbound.as_ref()).await
}
