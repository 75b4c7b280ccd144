//! Memberships: who is in a guild, with which role, and why. The SQL of
//! the `memberships` table's roles lives here.
//!
//! A role has two sources: Discord's rules (`discord_role`, re-checked at
//! most every 15 minutes) and a role set by hand (`manual_role`: an
//! invitation, an admin, the operator's CLI). The member gets the higher
//! of the two, kept in `role` so that the membership check stays one
//! lookup. A manual role can so raise a member above Discord's rule and
//! never lower them below it. With neither, the membership ends.

use super::db::Tx;
use super::discord::roles::Grant;
use super::{Arg, Sql};
use crate::error::AppError;
use crate::model::Role;
use chrono::{DateTime, Utc};

/// Where a role set by hand came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManualSource {
    Invitation,
    /// An admin in Guild settings, or the operator's `server member add`.
    Admin,
}

impl ManualSource {
    fn as_str(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::Admin => "admin",
        }
    }
}

/// What a change did to a membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Joined(Role),
    Changed { from: Role, to: Role },
    Left(Role),
    Unchanged,
}

#[derive(sqlx::FromRow)]
struct Sources {
    role: String,
    discord_role: Option<String>,
    discord_reason: Option<String>,
    manual_role: Option<String>,
    manual_source: Option<String>,
}

async fn sources(tx: &mut Tx, guild_id: i64, user_id: i64) -> Result<Option<Sources>, AppError> {
    tx.fetch_optional::<Sources>(&Sql::bound(
        "SELECT role, discord_role, discord_reason, manual_role, manual_source FROM memberships \
         WHERE guild_id = $1 AND user_id = $2",
        vec![Arg::Int(guild_id), Arg::Int(user_id)],
    ))
    .await
}

fn parse(role: Option<&str>) -> Option<Role> {
    role.and_then(Role::parse)
}

/// Writes a membership whose sources are now `discord` and `manual`.
async fn write(
    tx: &mut Tx,
    now: DateTime<Utc>,
    guild_id: i64,
    user_id: i64,
    before: Option<Role>,
    discord: (Option<Role>, Option<String>),
    manual: (Option<Role>, Option<ManualSource>),
) -> Result<Change, AppError> {
    let after = discord.0.max(manual.0);
    let keys = vec![Arg::Int(guild_id), Arg::Int(user_id)];
    let change = match (before, after) {
        (None, None) => return Ok(Change::Unchanged),
        (Some(from), None) => {
            tx.execute(&Sql::bound(
                "DELETE FROM memberships WHERE guild_id = $1 AND user_id = $2",
                keys,
            ))
            .await?;
            return Ok(Change::Left(from));
        }
        (None, Some(to)) => Change::Joined(to),
        (Some(from), Some(to)) if from != to => Change::Changed { from, to },
        (Some(_), Some(_)) => Change::Unchanged,
    };
    let role = after
        .expect("a membership with a role")
        .as_str()
        .to_string();
    let mut args = keys;
    args.extend([
        Arg::Text(role),
        Arg::OptText(discord.0.map(|r| r.as_str().to_string())),
        Arg::OptText(discord.1),
        Arg::OptText(manual.0.map(|r| r.as_str().to_string())),
        Arg::OptText(manual.1.map(|s| s.as_str().to_string())),
        Arg::Time(now),
    ]);
    tx.execute(&Sql::bound(
        "INSERT INTO memberships (guild_id, user_id, role, discord_role, discord_reason, manual_role, manual_source, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (guild_id, user_id) DO UPDATE SET role = excluded.role, \
         discord_role = excluded.discord_role, discord_reason = excluded.discord_reason, \
         manual_role = excluded.manual_role, manual_source = excluded.manual_source",
        args,
    ))
    .await?;
    Ok(change)
}

/// Sets what Discord's rules give a user in a guild (`None`: nothing, the
/// user left the server or lost the role), keeping any manual role.
pub async fn set_discord(
    tx: &mut Tx,
    now: DateTime<Utc>,
    guild_id: i64,
    user_id: i64,
    grant: Option<&Grant>,
) -> Result<Change, AppError> {
    // An admin removed this member "until invited again": Discord's rules
    // give them nothing here until they redeem an invitation.
    let removed = tx
        .fetch_i64(&Sql::bound(
            "SELECT COUNT(*) FROM access_removals WHERE guild_id = $1 AND user_id = $2",
            vec![Arg::Int(guild_id), Arg::Int(user_id)],
        ))
        .await?;
    let grant = grant.filter(|_| removed == 0);
    let current = sources(tx, guild_id, user_id).await?;
    let Some(current) = current else {
        let Some(grant) = grant else {
            return Ok(Change::Unchanged);
        };
        return write(
            tx,
            now,
            guild_id,
            user_id,
            None,
            (Some(grant.role), Some(grant.reason.clone())),
            (None, None),
        )
        .await;
    };
    let manual = parse(current.manual_role.as_deref());
    let manual_source = manual.map(|_| match current.manual_source.as_deref() {
        Some("invitation") => ManualSource::Invitation,
        _ => ManualSource::Admin,
    });
    write(
        tx,
        now,
        guild_id,
        user_id,
        Role::parse(&current.role),
        (grant.map(|g| g.role), grant.map(|g| g.reason.clone())),
        (manual, manual_source),
    )
    .await
}

/// Sets the role given by hand (`None` removes it), keeping Discord's.
pub async fn set_manual(
    tx: &mut Tx,
    now: DateTime<Utc>,
    guild_id: i64,
    user_id: i64,
    manual: Option<(Role, ManualSource)>,
) -> Result<Change, AppError> {
    let (before, discord) = match sources(tx, guild_id, user_id).await? {
        Some(r) => (
            Role::parse(&r.role),
            (parse(r.discord_role.as_deref()), r.discord_reason),
        ),
        None => (None, (None, None)),
    };
    write(
        tx,
        now,
        guild_id,
        user_id,
        before,
        discord,
        (manual.map(|m| m.0), manual.map(|m| m.1)),
    )
    .await
}

/// The guilds where Discord's rules gave the user a role: those to check
/// again when Discord no longer lists the user in the linked server.
pub(crate) async fn guilds_with_discord_role(
    tx: &mut Tx,
    user_id: i64,
) -> Result<Vec<i64>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Id(i64);
    Ok(tx
        .fetch_all::<Id>(&Sql::bound(
            "SELECT guild_id FROM memberships WHERE user_id = $1 AND discord_role IS NOT NULL",
            vec![Arg::Int(user_id)],
        ))
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect())
}

/// How many guilds the user is a member of.
pub(crate) async fn count_of(tx: &mut Tx, user_id: i64) -> Result<i64, AppError> {
    tx.fetch_i64(&Sql::bound(
        "SELECT COUNT(*) FROM memberships WHERE user_id = $1",
        vec![Arg::Int(user_id)],
    ))
    .await
}
