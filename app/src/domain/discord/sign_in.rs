//! The end of a Discord sign-in, and what it shares with the re-check:
//! ask Discord who the user is and where, then turn that into memberships.

use super::client::{DiscordError, DiscordUser, PartialGuild};
use super::identity::{self, Tokens};
use super::link::{self, Linked};
use super::oauth::Pending;
use super::roles::{self, MemberFacts};
use super::Discord;
use crate::domain::audit::{self, Entry};
use crate::domain::db::Tx;
use crate::domain::memberships::{self, Change};
use crate::domain::{Db, SharedClock};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// What Discord says about a user now.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub user: DiscordUser,
    /// Every server the user is in.
    pub servers: Vec<PartialGuild>,
    /// The guilds linked to those servers, with their rules.
    pub linked: Vec<Linked>,
    /// The user's role ids in each linked server they are in, by server id.
    pub role_ids: HashMap<String, Vec<String>>,
}

/// Asks Discord about the user of `access`: `/users/@me`, their servers,
/// and their roles in each server that is linked to a guild.
pub async fn snapshot(db: &Db, discord: &Discord, access: &str) -> Result<Snapshot, Failure> {
    let user = discord.client.me(access).await?;
    let servers = discord.client.my_servers(access).await?;
    let ids: Vec<String> = servers.iter().map(|s| s.id.clone()).collect();
    let linked = link::linked_among(db, &ids).await.map_err(Failure::Ours)?;
    let mut role_ids = HashMap::new();
    for guild in &linked {
        match discord.client.my_membership(access, &guild.server_id).await {
            Ok(member) => {
                role_ids.insert(guild.server_id.clone(), member.roles);
            }
            // Left between the two calls: not a member.
            Err(DiscordError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Snapshot {
        user,
        servers,
        linked,
        role_ids,
    })
}

/// A step that failed: Discord's answer, or our database.
#[derive(Debug)]
pub enum Failure {
    Discord(DiscordError),
    Ours(AppError),
}

impl From<DiscordError> for Failure {
    fn from(e: DiscordError) -> Self {
        Self::Discord(e)
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Self::Ours(e)
    }
}

impl Snapshot {
    /// The role each linked guild's rules give the user (`None`: the rules
    /// give none, or the user is not in the server).
    fn grants(&self) -> Vec<(i64, Option<roles::Grant>, Option<&PartialGuild>)> {
        self.linked
            .iter()
            .map(|guild| {
                let server = self.servers.iter().find(|s| s.id == guild.server_id);
                let grant = match (server, self.role_ids.get(&guild.server_id)) {
                    (Some(server), Some(role_ids)) => roles::grant(
                        &guild.rules,
                        &MemberFacts {
                            owner: server.owner,
                            permissions: roles::parse_permissions(&server.permissions),
                            role_ids: role_ids.clone(),
                        },
                    ),
                    _ => None,
                };
                (guild.guild_id, grant, server)
            })
            .collect()
    }

    /// Whether the rules give the user a role in any guild.
    pub fn grants_any(&self) -> bool {
        self.grants().iter().any(|(_, grant, _)| grant.is_some())
    }
}

/// Sets the user's roles from Discord's rules in every linked guild: the
/// guilds in `snapshot` and those where Discord gave a role before (`None`
/// for a user Discord no longer vouches for: every such role ends). Each
/// change is in the guild's audit log. An admin of a linked server verifies
/// the link by being seen.
pub(crate) async fn apply(
    tx: &mut Tx,
    dialect: crate::domain::Dialect,
    now: DateTime<Utc>,
    user_id: i64,
    snapshot: Option<&Snapshot>,
) -> Result<(), AppError> {
    let grants = snapshot.map(|s| s.grants()).unwrap_or_default();
    let mut seen = Vec::new();
    for (guild_id, grant, server) in &grants {
        if let Some(server) = server {
            if roles::manages_server(server.owner, roles::parse_permissions(&server.permissions)) {
                link::verify(tx, *guild_id, &server.name).await?;
            }
        }
        let change = memberships::set_discord(tx, now, *guild_id, user_id, grant.as_ref()).await?;
        audit_change(tx, dialect, now, *guild_id, user_id, change, grant.as_ref()).await?;
        seen.push(*guild_id);
    }
    for guild_id in memberships::guilds_with_discord_role(tx, user_id).await? {
        if !seen.contains(&guild_id) {
            let change = memberships::set_discord(tx, now, guild_id, user_id, None).await?;
            audit_change(tx, dialect, now, guild_id, user_id, change, None).await?;
        }
    }
    Ok(())
}

/// Records a membership change Discord's rules made in the guild's audit log.
pub(crate) async fn audit_change(
    tx: &mut Tx,
    dialect: crate::domain::Dialect,
    now: DateTime<Utc>,
    guild_id: i64,
    user_id: i64,
    change: Change,
    grant: Option<&roles::Grant>,
) -> Result<(), AppError> {
    let why = grant.map_or_else(
        || "no longer given by Discord".to_string(),
        |g| g.reason.clone(),
    );
    let summary = match change {
        Change::Unchanged => return Ok(()),
        Change::Joined(role) => format!("Joined as {} ({why})", role.label().to_lowercase()),
        Change::Changed { from, to } => format!(
            "Role changed from {} to {} ({why})",
            from.label().to_lowercase(),
            to.label().to_lowercase()
        ),
        Change::Left(role) => format!("Left the guild as {} ({why})", role.label().to_lowercase()),
    };
    audit::record_one(
        tx,
        dialect,
        guild_id,
        now,
        &Entry::said(Some(user_id), "member", summary),
    )
    .await
    .map(|_| ())
}

/// Why a Discord sign-in did not sign anyone in. Each has its own sentence
/// on the sign-in page; nothing was created.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// The user chose "Cancel" on Discord's consent page.
    Declined,
    /// The `state` is unknown, used, expired, or from another browser.
    BadState,
    /// Discord asked us to wait this many seconds.
    RateLimited { seconds: u64 },
    /// Discord failed, or refused the code.
    Unavailable,
    /// None of the user's Discord servers is linked to a guild that gives
    /// them a role, and no invitation waits.
    NoServers,
    /// Linking: that Discord account already belongs to another user.
    TakenByAnother,
    /// Our side failed (logged where it happened).
    Ours,
}

impl Refusal {
    /// The `error` value of `/login?error=…` that names it.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Declined => "discord_declined",
            Self::BadState => "discord_state",
            Self::RateLimited { .. } => "discord_busy",
            Self::Unavailable => "discord_down",
            Self::NoServers => "discord_no_servers",
            Self::TakenByAnother => "discord_taken",
            Self::Ours => "unavailable",
        }
    }
}

impl From<Failure> for Refusal {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Discord(DiscordError::RateLimited { retry_after }) => Self::RateLimited {
                seconds: retry_after.ceil().max(1.0) as u64,
            },
            Failure::Discord(_) => Self::Unavailable,
            Failure::Ours(_) => Self::Ours,
        }
    }
}

/// A finished sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finished {
    /// Start a session for this user and go to `next`.
    SignIn { user_id: i64, next: String },
    /// The signed-in user linked their Discord account; go to `next`.
    Linked { next: String },
}

/// Invitation links are redeemed after signing in: a sign-in on its way to
/// one may create a user that no server gives a role yet.
fn redeeming_an_invitation(next: &str) -> bool {
    next.starts_with("/invite/")
}

/// Finishes a sign-in that Discord sent back with `code`: trades it for
/// tokens, asks Discord who the user is and where, and in one transaction
/// creates or updates the user and sets their memberships.
pub async fn complete(
    db: &Db,
    clock: &SharedClock,
    discord: &Discord,
    code: &str,
    pending: Pending,
) -> Result<Finished, Refusal> {
    let grant = discord
        .client
        .exchange_code(code, &pending.verifier)
        .await
        .map_err(Failure::from)?;
    let snapshot = snapshot(db, discord, &grant.access_token).await?;
    let now = clock.now();
    let sealed = Tokens::from_grant(&grant, now).seal(&discord.secrets);
    let ours = |e: AppError| Refusal::from(Failure::Ours(e));
    let mut tx = db.begin_write().await.map_err(ours)?;
    let existing = identity::user_of(&mut tx, &snapshot.user.id)
        .await
        .map_err(ours)?;
    let (user_id, finished) = match pending.link_user_id {
        Some(user_id) => {
            if !identity::link(&mut tx, user_id, &snapshot.user)
                .await
                .map_err(ours)?
            {
                return Err(Refusal::TakenByAnother);
            }
            (user_id, Finished::Linked { next: pending.next })
        }
        None => {
            let user_id = match existing {
                Some(id) => id,
                None if snapshot.grants_any() || redeeming_an_invitation(&pending.next) => {
                    identity::create(&mut tx, now, &snapshot.user)
                        .await
                        .map_err(ours)?
                }
                None => return Err(Refusal::NoServers),
            };
            (
                user_id,
                Finished::SignIn {
                    user_id,
                    next: pending.next,
                },
            )
        }
    };
    identity::refresh_profile(&mut tx, user_id, &snapshot.user)
        .await
        .map_err(ours)?;
    identity::confirmed(&mut tx, user_id, Some(sealed), now)
        .await
        .map_err(ours)?;
    apply(&mut tx, db.dialect(), now, user_id, Some(&snapshot))
        .await
        .map_err(ours)?;
    let guilds = memberships::count_of(&mut tx, user_id)
        .await
        .map_err(ours)?;
    tx.commit().await.map_err(ours)?;
    // An existing user whose servers no longer give them a role: their
    // memberships are up to date, and there is nowhere to sign in to.
    match &finished {
        Finished::SignIn { next, .. } if guilds == 0 && !redeeming_an_invitation(next) => {
            Err(Refusal::NoServers)
        }
        _ => Ok(finished),
    }
}
