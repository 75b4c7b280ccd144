//! `/exportdata`: the bot's door into the export service.
//!
//! An interaction is answered within Discord's 3 seconds: a refusal with
//! its reason, or a deferred reply ("Guildtrack is thinking…") while the
//! export starts through the same `export::service` as the web app. The
//! reply is then kept up to date by `replies` through the outbox.
//!
//! The member's right to export follows the web app's: Discord's signed
//! interaction says who they are, their roles and permissions, and the
//! guild's rules turn that into a role (`roles::grant`), kept as their
//! membership exactly as a sign-in with Discord would. A member with no
//! Guildtrack account yet gets one, as at their first sign-in.

use super::bot::Bot;
use super::interactions::{Answer, CommandData, Interaction, Member, APPLICATION_COMMAND, PING};
use super::link::{self, Linked};
use super::roles::{self, MemberFacts};
use super::{identity, replies, sign_in};
use crate::domain::export::service;
use crate::domain::{catalog, memberships, AppState, Arg, GuildScope, Sql};
use crate::error::AppError;
use crate::model::{Entity, ExportFormat, ExportRequest, ExportScope, ExportStarted, Platform};
use serde_json::{json, Value};

pub const COMMAND: &str = "exportdata";
/// What the history says of an export asked for with the command.
pub const VIA: &str = "discord";

/// The command as registered with Discord (`server discord
/// register-commands`): string options, the fixed ones with choices.
/// Documented under "Application Commands".
pub fn definitions() -> Value {
    let choices = |pairs: &[(&str, &str)]| -> Value {
        pairs
            .iter()
            .map(|(name, value)| json!({ "name": name, "value": value }))
            .collect()
    };
    let platforms: Vec<(&str, &str)> = Platform::ALL
        .iter()
        .map(|p| (p.label(), p.as_str()))
        .collect();
    json!([{
        "name": COMMAND,
        "type": 1,
        "description": "Export this server's tracked posts or accounts from Guildtrack as a file",
        // Servers only (a direct message has no guild to export).
        "contexts": [0],
        "options": [
            { "type": 3, "name": "entity", "description": "What to export", "required": true,
              "choices": choices(&[("Posts", "posts"), ("Accounts", "accounts")]) },
            { "type": 3, "name": "format", "description": "The file's format", "required": true,
              "choices": choices(&[("CSV", "csv"), ("JSON", "json"), ("Excel (XLSX)", "xlsx")]) },
            { "type": 3, "name": "platform", "description": "Only this platform", "required": false,
              "choices": choices(&platforms) },
            { "type": 3, "name": "brand", "description": "Only this brand (its name)",
              "required": false, "max_length": 100 },
            { "type": 3, "name": "group", "description": "Only this group (its name)",
              "required": false, "max_length": 100 },
            { "type": 3, "name": "account", "description": "Only this account's posts (its handle, like @kai)",
              "required": false, "max_length": 100 },
        ],
    }])
}

/// The command's options, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub entity: Entity,
    pub format: ExportFormat,
    pub platform: Option<Platform>,
    pub brand: Option<String>,
    pub group: Option<String>,
    pub account: Option<String>,
}

/// Reads the options; Discord enforces the choices, so a wrong value means
/// the registered command is out of date.
pub fn options(data: &CommandData) -> Result<Options, String> {
    let stale = "This command is out of date: an admin should run `server discord register-commands` again.";
    let entity = data.text("entity").and_then(Entity::parse).ok_or(stale)?;
    let format = data
        .text("format")
        .and_then(ExportFormat::parse)
        .ok_or(stale)?;
    let platform = match data.text("platform") {
        None => None,
        Some(p) => Some(Platform::parse(p).ok_or(stale)?),
    };
    let account = data
        .text("account")
        .map(|a| a.trim_start_matches('@').to_string());
    if account.is_some() && entity == Entity::Accounts {
        return Err(
            "The account option picks one account's posts; choose entity: posts, or leave it out."
                .into(),
        );
    }
    Ok(Options {
        entity,
        format,
        platform,
        brand: data.text("brand").map(str::to_string),
        group: data.text("group").map(str::to_string),
        account,
    })
}

/// Answers an interaction. An accepted `/exportdata` starts its export in
/// the background and answers "deferred".
pub async fn answer(state: &AppState, bot: &Bot, interaction: Interaction) -> Answer {
    match (interaction.kind, &interaction.data) {
        (PING, _) => Answer::Pong,
        (APPLICATION_COMMAND, Some(data)) if data.name == COMMAND => {
            match prepare(state, &interaction, data).await {
                Ok(ready) => {
                    let received_at = state.clock.now();
                    tokio::spawn(start(
                        state.clone(),
                        bot.clone(),
                        ready,
                        interaction.token,
                        received_at,
                    ));
                    Answer::Deferred
                }
                Err(Refusal(sentence)) => Answer::Private(sentence),
            }
        }
        _ => Answer::Private(
            "Guildtrack does not know this command. An admin may need to run \
             `server discord register-commands` again."
                .into(),
        ),
    }
}

/// Why the command was refused: a sentence for the member.
#[derive(Debug)]
struct Refusal(String);

impl From<String> for Refusal {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for Refusal {
    fn from(s: &str) -> Self {
        Self(s.into())
    }
}

impl From<AppError> for Refusal {
    // Internal errors were logged where they happened; the member gets the
    // error's own sentence (which hides them).
    fn from(e: AppError) -> Self {
        Self(e.to_string())
    }
}

/// An accepted command: who asks, where, for what.
struct Ready {
    scope: GuildScope,
    request: ExportRequest,
}

const NOT_LINKED: &str = "This server is not linked to a Guildtrack guild yet. \
     An admin links it in Guildtrack, under Guild settings → Discord.";

async fn prepare(
    state: &AppState,
    interaction: &Interaction,
    data: &CommandData,
) -> Result<Ready, Refusal> {
    let (Some(server_id), Some(member)) = (&interaction.guild_id, &interaction.member) else {
        return Err(NOT_LINKED.into());
    };
    let options = options(data)?;
    let linked = link::linked_among(&state.db, std::slice::from_ref(server_id))
        .await?
        .into_iter()
        .next()
        .ok_or(NOT_LINKED)?;
    let scope = member_scope(state, &linked, member).await?;
    let params = filters(state, &scope, &options).await?;
    Ok(Ready {
        scope,
        request: ExportRequest {
            entity: options.entity,
            format: options.format,
            scope: ExportScope::View(params),
            filename: String::new(),
            confirm: None,
        },
    })
}

/// The member's scope in the linked guild, with the role the guild's rules
/// give them now (or an invitation or an admin gave them before).
async fn member_scope(
    state: &AppState,
    linked: &Linked,
    member: &Member,
) -> Result<GuildScope, Refusal> {
    let facts = MemberFacts {
        // Discord computes an owner's permissions as all of them, so the
        // owner is an admin by the Administrator bit.
        owner: false,
        permissions: roles::parse_permissions(&member.permissions),
        role_ids: member.roles.clone(),
    };
    let grant = roles::grant(&linked.rules, &facts);
    let now = state.clock.now();
    let db = &state.db;
    let mut tx = db.begin_write().await?;
    let user_id = match identity::user_of(&mut tx, &member.user.id).await? {
        Some(id) => Some(id),
        None if grant.is_some() => Some(identity::create(&mut tx, now, &member.user).await?),
        None => None,
    };
    if let Some(user_id) = user_id {
        let change =
            memberships::set_discord(&mut tx, now, linked.guild_id, user_id, grant.as_ref())
                .await?;
        sign_in::audit_change(
            &mut tx,
            db.dialect(),
            now,
            linked.guild_id,
            user_id,
            change,
            grant.as_ref(),
        )
        .await?;
    }
    tx.commit().await?;
    let no_access = || {
        Refusal::from(
            "You have no access to this guild's data in Guildtrack: its rules give your Discord \
             roles none. Ask one of its admins for an invitation.",
        )
    };
    let user_id = user_id.ok_or_else(no_access)?;
    GuildScope::for_user_in(db, user_id, linked.guild_id)
        .await
        .map_err(|_| no_access())
}

/// The options as the list's filters (the URL query of a view): names
/// become ids. A name that matches nothing is refused, not ignored: an
/// export of everything is not what was asked for.
async fn filters(
    state: &AppState,
    scope: &GuildScope,
    options: &Options,
) -> Result<crate::model::query::Params, Refusal> {
    let db = &state.db;
    let mut params = crate::model::query::Params::new();
    if let Some(p) = options.platform {
        params.insert("platform".into(), p.as_str().into());
    }
    let same = |a: &str, b: &str| a.trim().to_lowercase() == b.trim().to_lowercase();
    if let Some(name) = &options.brand {
        let brand = catalog::brands(db, scope)
            .await?
            .into_iter()
            .find(|b| same(&b.name, name))
            .ok_or_else(|| format!("{} has no brand named “{name}”.", scope.name()))?;
        params.insert("brand".into(), brand.id.to_string());
    }
    if let Some(name) = &options.group {
        let group = catalog::groups(db, scope)
            .await?
            .into_iter()
            .find(|g| same(&g.name, name))
            .ok_or_else(|| format!("{} has no group named “{name}”.", scope.name()))?;
        params.insert("group".into(), group.id.to_string());
    }
    if let Some(handle) = &options.account {
        params.insert(
            "account".into(),
            account_id(state, scope, handle, options.platform)
                .await?
                .to_string(),
        );
    }
    Ok(params)
}

/// The live account with this handle (on this platform, when given).
async fn account_id(
    state: &AppState,
    scope: &GuildScope,
    handle: &str,
    platform: Option<Platform>,
) -> Result<i64, Refusal> {
    #[derive(sqlx::FromRow)]
    struct Found {
        id: i64,
        platform: String,
    }
    let found = state
        .db
        .fetch_all::<Found>(&Sql::bound(
            "SELECT id, platform FROM accounts WHERE guild_id = $1 AND deleted_at IS NULL \
             AND lower(handle) = lower($2) AND ($3 = '' OR platform = $3) ORDER BY platform LIMIT 5",
            vec![
                Arg::Int(scope.guild_id()),
                Arg::Text(handle.into()),
                Arg::Text(platform.map(|p| p.as_str().to_string()).unwrap_or_default()),
            ],
        ))
        .await?;
    match found.as_slice() {
        [] => Err(format!("{} has no account @{handle}.", scope.name()).into()),
        [one] => Ok(one.id),
        many => {
            let on: Vec<&str> = many
                .iter()
                .filter_map(|f| Platform::parse(&f.platform).map(Platform::label))
                .collect();
            Err(format!(
                "@{handle} is on {}: add the platform option to pick one.",
                on.join(" and ")
            )
            .into())
        }
    }
}

/// Starts the export (after the deferred answer has gone) and hands the
/// reply to `replies`, which edits it until the export ends.
async fn start(
    state: AppState,
    bot: Bot,
    ready: Ready,
    token: String,
    received_at: chrono::DateTime<chrono::Utc>,
) {
    let Ready { scope, request } = ready;
    let reply = replies::Reply {
        guild_id: scope.guild_id(),
        slug: scope.slug().to_string(),
        token,
        received_at,
    };
    let started = service::start_via(&state, &scope, request, Some(VIA)).await;
    let recorded = match started {
        Ok(ExportStarted::Ready(job) | ExportStarted::Queued(job)) => {
            replies::follow(&state, &bot, &reply, job.id).await
        }
        Err(e) => replies::say_once(&state, &bot, &reply, &format!("Could not export: {e}")).await,
    };
    if let Err(e) = recorded {
        tracing::error!(error = %e, "could not queue the reply to /exportdata");
    }
}
