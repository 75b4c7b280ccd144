use crate::error::AppError;
use crate::model::members::{
    InvitationInfo, InvitationPreview, InvitationRequest, Joined, MembersPage, NewInvitation,
};
use crate::model::Role;
use leptos::prelude::*;
use server_fn::codec::Json;

/// The guild's members, where each role comes from, and the removed
/// (admins).
#[server(prefix = "/api", endpoint = "guild_members", input = Json)]
pub async fn guild_members(guild: String) -> Result<MembersPage, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    crate::domain::members::page(&state.db, &scope).await
}

/// Sets (or with `None` clears) the role a member has by hand (admins).
#[server(prefix = "/api", endpoint = "set_member_role", input = Json)]
pub async fn set_member_role(
    guild: String,
    user_id: i64,
    role: Option<Role>,
) -> Result<MembersPage, AppError> {
    use crate::domain::members;
    let (state, scope) = super::ctx::member(&guild).await?;
    members::set_role(&state.db, &state.clock, &scope, user_id, role).await?;
    members::page(&state.db, &scope).await
}

/// Removes a member, and with `until_invited` their access too (admins).
#[server(prefix = "/api", endpoint = "remove_member", input = Json)]
pub async fn remove_member(
    guild: String,
    user_id: i64,
    until_invited: bool,
) -> Result<MembersPage, AppError> {
    use crate::domain::members;
    let (state, scope) = super::ctx::member(&guild).await?;
    members::remove(&state.db, &state.clock, &scope, user_id, until_invited).await?;
    members::page(&state.db, &scope).await
}

/// The guild's invitation links (admins).
#[server(prefix = "/api", endpoint = "guild_invitations", input = Json)]
pub async fn guild_invitations(guild: String) -> Result<Vec<InvitationInfo>, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    crate::domain::invitations::list(&state.db, &state.clock, &scope).await
}

/// Makes an invitation link; its token is in this answer only (admins).
#[server(prefix = "/api", endpoint = "create_invitation", input = Json)]
pub async fn create_invitation(
    guild: String,
    request: InvitationRequest,
) -> Result<NewInvitation, AppError> {
    let (state, scope) = super::ctx::member(&guild).await?;
    crate::domain::invitations::create(&state.db, &state.clock, &scope, &request).await
}

/// Revokes an invitation link (admins).
#[server(prefix = "/api", endpoint = "revoke_invitation", input = Json)]
pub async fn revoke_invitation(guild: String, id: i64) -> Result<Vec<InvitationInfo>, AppError> {
    use crate::domain::invitations;
    let (state, scope) = super::ctx::member(&guild).await?;
    invitations::revoke(&state.db, &state.clock, &scope, id).await?;
    invitations::list(&state.db, &state.clock, &scope).await
}

/// What an invitation link offers, for whoever opened it, signed in or not.
#[server(prefix = "/api", endpoint = "preview_invitation", input = Json)]
pub async fn preview_invitation(token: String) -> Result<InvitationPreview, AppError> {
    let state = super::ctx::state()?;
    let user = super::ctx::user().ok();
    crate::domain::invitations::preview(&state.db, &state.clock, user.as_ref(), &token).await
}

/// Redeems an invitation link for the signed-in user.
#[server(prefix = "/api", endpoint = "redeem_invitation", input = Json)]
pub async fn redeem_invitation(token: String) -> Result<Joined, AppError> {
    let state = super::ctx::state()?;
    let user = super::ctx::user()?;
    crate::domain::invitations::redeem(&state.db, &state.clock, &user, &token).await
}
