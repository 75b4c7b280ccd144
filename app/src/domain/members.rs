//! Member management (Guild settings → Members, admins only): the list
//! with where each role comes from, changing a role set by hand, removing
//! a member, and removing their access until they are invited again. Every
//! change is in the audit log, and a guild always keeps an admin.

use super::audit::{self, Entry};
use super::db::Tx;
use super::memberships::{self, Change, ManualSource};
use super::{Arg, Db, GuildScope, SharedClock, Sql};
use crate::error::AppError;
use crate::model::members::{MemberInfo, MembersPage, RemovedMember};
use crate::model::Role;
use chrono::{DateTime, Utc};

#[derive(sqlx::FromRow)]
struct Row {
    user_id: i64,
    username: String,
    display_name: String,
    avatar_url: Option<String>,
    role: String,
    discord_role: Option<String>,
    discord_reason: Option<String>,
    manual_role: Option<String>,
    manual_source: Option<String>,
    created_at: DateTime<Utc>,
    last_seen_at: Option<DateTime<Utc>>,
}

/// Where a member's role comes from: the source that gives the higher
/// role (Discord's, when both give the same).
fn source(row: &Row, discord: Option<Role>, manual: Option<Role>) -> String {
    let manual_label = match row.manual_source.as_deref() {
        Some("invitation") => "Invitation",
        _ => "Set by an admin",
    };
    match (discord, manual) {
        (Some(d), Some(m)) if m > d => manual_label.into(),
        (Some(_), _) => row
            .discord_reason
            .clone()
            .unwrap_or_else(|| "Discord".into()),
        _ => manual_label.into(),
    }
}

/// The guild's members, admins first, and the people whose access was
/// removed.
pub async fn page(db: &Db, scope: &GuildScope) -> Result<MembersPage, AppError> {
    scope.require(Role::Admin, "manage members")?;
    let rows = db
        .fetch_all::<Row>(&Sql::bound(
            "SELECT m.user_id, u.username, u.display_name, u.avatar_url, m.role, m.discord_role, \
             m.discord_reason, m.manual_role, m.manual_source, m.created_at, m.last_seen_at \
             FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.guild_id = $1",
            vec![Arg::Int(scope.guild_id())],
        ))
        .await?;
    let mut members: Vec<MemberInfo> = rows
        .into_iter()
        .filter_map(|r| {
            let discord = r.discord_role.as_deref().and_then(Role::parse);
            let manual = r.manual_role.as_deref().and_then(Role::parse);
            Some(MemberInfo {
                source: source(&r, discord, manual),
                role: Role::parse(&r.role)?,
                discord_role: discord,
                manual_role: manual,
                is_you: r.user_id == scope.user_id(),
                user_id: r.user_id,
                username: r.username,
                display_name: r.display_name,
                avatar_url: r.avatar_url,
                joined_at: r.created_at,
                last_seen_at: r.last_seen_at,
            })
        })
        .collect();
    members.sort_by(|a, b| {
        b.role
            .cmp(&a.role)
            .then_with(|| a.username.cmp(&b.username))
    });
    #[derive(sqlx::FromRow)]
    struct Removed {
        user_id: i64,
        username: String,
        display_name: String,
        removed_at: DateTime<Utc>,
    }
    let removed = db
        .fetch_all::<Removed>(&Sql::bound(
            "SELECT r.user_id, u.username, u.display_name, r.removed_at FROM access_removals r \
             JOIN users u ON u.id = r.user_id WHERE r.guild_id = $1 ORDER BY r.removed_at DESC",
            vec![Arg::Int(scope.guild_id())],
        ))
        .await?
        .into_iter()
        .map(|r| RemovedMember {
            user_id: r.user_id,
            username: r.username,
            display_name: r.display_name,
            removed_at: r.removed_at,
        })
        .collect();
    Ok(MembersPage { members, removed })
}

/// The member's name for audit sentences, if they are in the guild.
async fn member_name(tx: &mut Tx, guild_id: i64, user_id: i64) -> Result<String, AppError> {
    #[derive(sqlx::FromRow)]
    struct Name {
        display_name: String,
        username: String,
    }
    tx.fetch_optional::<Name>(&Sql::bound(
        "SELECT u.display_name, u.username FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.guild_id = $1 AND m.user_id = $2",
        vec![Arg::Int(guild_id), Arg::Int(user_id)],
    ))
    .await?
    .map(|n| format!("{} (@{})", n.display_name, n.username))
    .ok_or_else(|| AppError::not_found("That person is not a member of this guild."))
}

/// Refuses a change that would leave the guild without an admin (the
/// transaction is dropped, so nothing of it stays).
async fn an_admin_remains(tx: &mut Tx, guild_id: i64) -> Result<(), AppError> {
    let admins = tx
        .fetch_i64(&Sql::bound(
            "SELECT COUNT(*) FROM memberships WHERE guild_id = $1 AND role = 'admin'",
            vec![Arg::Int(guild_id)],
        ))
        .await?;
    if admins == 0 {
        return Err(AppError::invalid(
            "A guild needs at least one admin, and this would leave none. Make another member an admin first.",
        ));
    }
    Ok(())
}

async fn audit_member(
    tx: &mut Tx,
    db: &Db,
    scope: &GuildScope,
    now: DateTime<Utc>,
    summary: String,
) -> Result<(), AppError> {
    audit::record_one(
        tx,
        db.dialect(),
        scope.guild_id(),
        now,
        &Entry::said(Some(scope.user_id()), "member", summary),
    )
    .await
    .map(|_| ())
}

/// Sets the role an admin gives a member by hand, or takes it away
/// (`None`: the member keeps what Discord's rules give, or leaves). It
/// raises the member above Discord's rule, never below it.
pub async fn set_role(
    db: &Db,
    clock: &SharedClock,
    scope: &GuildScope,
    user_id: i64,
    manual: Option<Role>,
) -> Result<(), AppError> {
    scope.require(Role::Admin, "change members' roles")?;
    let now = clock.now();
    let mut tx = db.begin_write().await?;
    let name = member_name(&mut tx, scope.guild_id(), user_id).await?;
    let change = memberships::set_manual(
        &mut tx,
        now,
        scope.guild_id(),
        user_id,
        manual.map(|r| (r, ManualSource::Admin)),
    )
    .await?;
    an_admin_remains(&mut tx, scope.guild_id()).await?;
    let summary = match (change, manual) {
        (Change::Left(_), _) => {
            format!("Removed {name}: no role is set by hand and Discord gives none")
        }
        (Change::Changed { from, to }, _) => format!(
            "Changed the role of {name} from {} to {}",
            from.label().to_lowercase(),
            to.label().to_lowercase()
        ),
        (_, Some(role)) => format!(
            "Set the role of {name} to {} by hand",
            role.label().to_lowercase()
        ),
        (_, None) => format!("Cleared the role set by hand for {name}; Discord's role applies"),
    };
    audit_member(&mut tx, db, scope, now, summary).await?;
    tx.commit().await
}

/// Removes a member. With `until_invited`, their access stays removed:
/// Discord's rules give them nothing here until they redeem an invitation.
/// Without it, a member Discord's rules admit is back at their next check.
pub async fn remove(
    db: &Db,
    clock: &SharedClock,
    scope: &GuildScope,
    user_id: i64,
    until_invited: bool,
) -> Result<(), AppError> {
    scope.require(Role::Admin, "remove members")?;
    let now = clock.now();
    let mut tx = db.begin_write().await?;
    let name = member_name(&mut tx, scope.guild_id(), user_id).await?;
    tx.execute(&Sql::bound(
        "DELETE FROM memberships WHERE guild_id = $1 AND user_id = $2",
        vec![Arg::Int(scope.guild_id()), Arg::Int(user_id)],
    ))
    .await?;
    if until_invited {
        tx.execute(&Sql::bound(
            "INSERT INTO access_removals (guild_id, user_id, removed_by, removed_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (guild_id, user_id) DO NOTHING",
            vec![
                Arg::Int(scope.guild_id()),
                Arg::Int(user_id),
                Arg::Int(scope.user_id()),
                Arg::Time(now),
            ],
        ))
        .await?;
    }
    an_admin_remains(&mut tx, scope.guild_id()).await?;
    let summary = if until_invited {
        format!("Removed {name} and their access until they are invited again")
    } else {
        format!("Removed {name}")
    };
    audit_member(&mut tx, db, scope, now, summary).await?;
    tx.commit().await
}

/// Records that a member used the guild, at most once an hour and off the
/// request's path (as sessions do), for "last seen".
pub fn seen(
    db: &Db,
    guild_id: i64,
    user_id: i64,
    last_seen_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) {
    if last_seen_at.is_some_and(|at| now - at < chrono::Duration::hours(1)) {
        return;
    }
    let db = db.clone();
    tokio::spawn(async move {
        let sql = Sql::bound(
            "UPDATE memberships SET last_seen_at = $1 WHERE guild_id = $2 AND user_id = $3",
            vec![Arg::Time(now), Arg::Int(guild_id), Arg::Int(user_id)],
        );
        if let Err(e) = db.execute(&sql).await {
            tracing::warn!(error = %e, "could not record a member's visit");
        }
    });
}
