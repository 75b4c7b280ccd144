//! A guild's link to a Discord server and its role rules: the SQL of the
//! `guilds.discord_*` columns.

use super::roles::Rules;
use crate::domain::audit::{self, Entry};
use crate::domain::db::Tx;
use crate::domain::{memberships, Arg, Db, GuildScope, SharedClock, Sql};
use crate::error::AppError;
use crate::model::discord::{self, DiscordLink, EditorRole};
use crate::model::Role;

/// A linked guild, with its rules, as sign-in and the re-check use it.
#[derive(Debug, Clone)]
pub struct Linked {
    pub guild_id: i64,
    pub server_id: String,
    pub rules: Rules,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    discord_server_id: Option<String>,
    discord_server_name: Option<String>,
    discord_editor_roles: String,
    discord_members_view: i64,
}

const COLUMNS: &str =
    "id, discord_server_id, discord_server_name, discord_editor_roles, discord_members_view";

fn editor_roles(json: &str, guild_id: i64) -> Vec<EditorRole> {
    serde_json::from_str(json).unwrap_or_else(|e| {
        tracing::error!(guild_id, error = %e, "unreadable discord_editor_roles; treated as none");
        Vec::new()
    })
}

impl Row {
    fn link(self, sign_in_enabled: bool) -> DiscordLink {
        DiscordLink {
            editor_roles: editor_roles(&self.discord_editor_roles, self.id),
            server_id: self.discord_server_id,
            server_name: self.discord_server_name,
            members_can_view: self.discord_members_view != 0,
            sign_in_enabled,
        }
    }
}

async fn row(db: &Db, guild_id: i64) -> Result<Row, AppError> {
    db.fetch_optional::<Row>(&Sql::bound(
        format!("SELECT {COLUMNS} FROM guilds WHERE id = $1"),
        vec![Arg::Int(guild_id)],
    ))
    .await?
    .ok_or(AppError::Internal)
}

/// The guild's link, for Guild settings (admins only).
pub async fn settings(
    db: &Db,
    scope: &GuildScope,
    sign_in_enabled: bool,
) -> Result<DiscordLink, AppError> {
    scope.require(Role::Admin, "see the guild's Discord link")?;
    Ok(row(db, scope.guild_id()).await?.link(sign_in_enabled))
}

/// What an admin typed into the Discord section of Guild settings.
#[derive(Debug, Clone)]
pub struct LinkInput {
    pub server_id: String,
    pub editor_roles: String,
    pub members_can_view: bool,
}

/// Links the guild to a Discord server (or unlinks it, with a blank id) and
/// sets its role rules. A new server starts unverified, and the roles its
/// predecessor gave end at once; changed rules apply to each member at
/// their next membership check (within 15 minutes).
pub async fn save(
    db: &Db,
    clock: &SharedClock,
    scope: &GuildScope,
    input: &LinkInput,
    sign_in_enabled: bool,
) -> Result<DiscordLink, AppError> {
    scope.require(Role::Admin, "link the guild to a Discord server")?;
    let server_id = discord::parse_server_id(&input.server_id).map_err(AppError::invalid)?;
    let roles = discord::parse_editor_roles(&input.editor_roles).map_err(AppError::invalid)?;
    let guild_id = scope.guild_id();
    if let Some(id) = &server_id {
        let taken = db
            .fetch_i64(&Sql::bound(
                "SELECT COUNT(*) FROM guilds WHERE discord_server_id = $1 AND id <> $2",
                vec![Arg::Text(id.clone()), Arg::Int(guild_id)],
            ))
            .await?;
        if taken > 0 {
            return Err(AppError::invalid(
                "That Discord server is already linked to another guild. A server can be linked to one guild only.",
            ));
        }
    }
    let before = row(db, guild_id).await?;
    let server_changed = before.discord_server_id != server_id;
    let now = clock.now();
    let mut tx = db.begin_write().await?;
    tx.execute(&Sql::bound(
        "UPDATE guilds SET discord_server_id = $1, \
         discord_server_name = CASE WHEN $2 = 1 THEN NULL ELSE discord_server_name END, \
         discord_editor_roles = $3, discord_members_view = $4 WHERE id = $5",
        vec![
            Arg::OptText(server_id.clone()),
            Arg::Int(server_changed as i64),
            Arg::Text(serde_json::to_string(&roles).expect("roles serialize")),
            Arg::Int(input.members_can_view as i64),
            Arg::Int(guild_id),
        ],
    ))
    .await?;
    if server_changed {
        end_discord_roles(&mut tx, now, guild_id).await?;
    }
    let summary = match &server_id {
        None => "Unlinked the guild from Discord".to_string(),
        Some(id) => {
            let editors = if roles.is_empty() {
                "no editor roles".to_string()
            } else {
                let names: Vec<_> = roles.iter().map(|r| r.name.as_str()).collect();
                format!("editor roles: {}", names.join(", "))
            };
            let view = if input.members_can_view {
                "all members can view"
            } else {
                "members without a role have no access"
            };
            format!("Linked the guild to Discord server {id} ({editors}; {view})")
        }
    };
    audit::record_one(
        &mut tx,
        db.dialect(),
        guild_id,
        now,
        &Entry::said(Some(scope.user_id()), "settings", summary),
    )
    .await?;
    tx.commit().await?;
    settings(db, scope, sign_in_enabled).await
}

/// Ends every role Discord's rules gave in a guild (its server changed).
async fn end_discord_roles(
    tx: &mut Tx,
    now: chrono::DateTime<chrono::Utc>,
    guild_id: i64,
) -> Result<(), AppError> {
    #[derive(sqlx::FromRow)]
    struct Id(i64);
    let users = tx
        .fetch_all::<Id>(&Sql::bound(
            "SELECT user_id FROM memberships WHERE guild_id = $1 AND discord_role IS NOT NULL",
            vec![Arg::Int(guild_id)],
        ))
        .await?;
    for Id(user_id) in users {
        memberships::set_discord(tx, now, guild_id, user_id, None).await?;
    }
    Ok(())
}

/// The guilds linked to any of these Discord servers.
pub(crate) async fn linked_among(db: &Db, server_ids: &[String]) -> Result<Vec<Linked>, AppError> {
    if server_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(format!(
        "SELECT {COLUMNS} FROM guilds WHERE discord_server_id IN ("
    ));
    for (i, id) in server_ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        let p = sql.arg(Arg::Text(id.clone()));
        sql.push(&p);
    }
    sql.push(")");
    Ok(db
        .fetch_all::<Row>(&sql)
        .await?
        .into_iter()
        .filter_map(|r| {
            Some(Linked {
                guild_id: r.id,
                rules: Rules {
                    editor_roles: editor_roles(&r.discord_editor_roles, r.id),
                    members_can_view: r.discord_members_view != 0,
                },
                server_id: r.discord_server_id?,
            })
        })
        .collect())
}

/// Records the server's name, seen by one of its admins: the link is
/// verified.
pub(crate) async fn verify(tx: &mut Tx, guild_id: i64, server_name: &str) -> Result<(), AppError> {
    tx.execute(&Sql::bound(
        "UPDATE guilds SET discord_server_name = $1 WHERE id = $2",
        vec![
            Arg::Text(server_name.chars().take(100).collect()),
            Arg::Int(guild_id),
        ],
    ))
    .await
    .map(|_| ())
}
