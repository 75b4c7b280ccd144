//! Invitation links: an admin makes one with a role, an expiry (1 to 30
//! days) and single or multiple use; whoever redeems it, signed in with a
//! password or with Discord, joins the guild with that role. The link is
//! shown once; only the SHA-256 of its token is kept.

use super::audit::{self, Entry};
use super::memberships::{self, ManualSource};
use super::{Arg, Db, GuildScope, SharedClock, Sql};
use crate::error::AppError;
use crate::model::members::{
    InvitationInfo, InvitationPreview, InvitationRequest, InvitationStatus, Joined, NewInvitation,
};
use crate::model::{Role, SessionUser};
use chrono::{DateTime, Duration, Utc};
use password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

pub const MAX_DAYS: i64 = 30;

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    guild_id: i64,
    role: String,
    max_uses: Option<i64>,
    uses: i64,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

const SELECT: &str = "SELECT i.id, i.guild_id, i.role, i.max_uses, i.uses, u.display_name AS created_by, \
     i.created_at, i.expires_at, i.revoked_at FROM invitations i LEFT JOIN users u ON u.id = i.created_by";

impl Row {
    fn status(&self, now: DateTime<Utc>) -> InvitationStatus {
        if self.revoked_at.is_some() {
            InvitationStatus::Revoked
        } else if self.max_uses.is_some_and(|max| self.uses >= max) {
            InvitationStatus::UsedUp
        } else if self.expires_at <= now {
            InvitationStatus::Expired
        } else {
            InvitationStatus::Active
        }
    }

    fn info(self, now: DateTime<Utc>) -> Option<InvitationInfo> {
        Some(InvitationInfo {
            status: self.status(now),
            id: self.id,
            role: Role::parse(&self.role)?,
            single_use: self.max_uses == Some(1),
            uses: self.uses,
            created_by: self.created_by,
            created_at: self.created_at,
            expires_at: self.expires_at,
        })
    }
}

/// Makes a link. Its path, with the token, is in the answer and nowhere else.
pub async fn create(
    db: &Db,
    clock: &SharedClock,
    scope: &GuildScope,
    request: &InvitationRequest,
) -> Result<NewInvitation, AppError> {
    scope.require(Role::Admin, "invite members")?;
    if !(1..=MAX_DAYS).contains(&request.days) {
        return Err(AppError::invalid(format!(
            "An invitation link lasts 1 to {MAX_DAYS} days."
        )));
    }
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let now = clock.now();
    let mut tx = db.begin_write().await?;
    let id = tx
        .fetch_i64(&Sql::bound(
            "INSERT INTO invitations (guild_id, token_hash, role, max_uses, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            vec![
                Arg::Int(scope.guild_id()),
                Arg::Text(token_hash(&token)),
                Arg::Text(request.role.as_str().into()),
                Arg::OptInt(request.single_use.then_some(1)),
                Arg::Int(scope.user_id()),
                Arg::Time(now),
                Arg::Time(now + Duration::days(request.days)),
            ],
        ))
        .await?;
    let uses = if request.single_use {
        "single use"
    } else {
        "any number of uses"
    };
    let days = if request.days == 1 {
        "1 day".to_string()
    } else {
        format!("{} days", request.days)
    };
    audit::record_one(
        &mut tx,
        db.dialect(),
        scope.guild_id(),
        now,
        &Entry::said(
            Some(scope.user_id()),
            "member",
            format!(
                "Created an invitation link for {}s ({uses}, expires in {days})",
                request.role.as_str()
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    // Read back as the list shows it (with the creator's name), by its id.
    let info = db
        .fetch_optional::<Row>(&Sql::bound(
            format!("{SELECT} WHERE i.id = $1"),
            vec![Arg::Int(id)],
        ))
        .await?
        .and_then(|row| row.info(now))
        .ok_or(AppError::Internal)?;
    Ok(NewInvitation {
        path: format!("/invite/{token}"),
        info,
    })
}

/// The guild's links, newest first.
pub async fn list(
    db: &Db,
    clock: &SharedClock,
    scope: &GuildScope,
) -> Result<Vec<InvitationInfo>, AppError> {
    scope.require(Role::Admin, "see invitation links")?;
    let now = clock.now();
    Ok(db
        .fetch_all::<Row>(&Sql::bound(
            format!(
                "{SELECT} WHERE i.guild_id = $1 ORDER BY i.created_at DESC, i.id DESC LIMIT 100"
            ),
            vec![Arg::Int(scope.guild_id())],
        ))
        .await?
        .into_iter()
        .filter_map(|r| r.info(now))
        .collect())
}

/// Revokes a link: it stops working at once.
pub async fn revoke(
    db: &Db,
    clock: &SharedClock,
    scope: &GuildScope,
    id: i64,
) -> Result<(), AppError> {
    scope.require(Role::Admin, "revoke invitation links")?;
    let now = clock.now();
    let mut tx = db.begin_write().await?;
    let done = tx
        .execute(&Sql::bound(
            "UPDATE invitations SET revoked_at = $1 WHERE id = $2 AND guild_id = $3 AND revoked_at IS NULL",
            vec![Arg::Time(now), Arg::Int(id), Arg::Int(scope.guild_id())],
        ))
        .await?;
    if done == 0 {
        return Err(AppError::not_found(
            "There is no such invitation link in this guild, or it was revoked already.",
        ));
    }
    audit::record_one(
        &mut tx,
        db.dialect(),
        scope.guild_id(),
        now,
        &Entry::said(
            Some(scope.user_id()),
            "member",
            format!("Revoked invitation link #{id}"),
        ),
    )
    .await?;
    tx.commit().await
}

async fn by_token(db: &Db, token: &str) -> Result<Option<Row>, AppError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    db.fetch_optional::<Row>(&Sql::bound(
        format!("{SELECT} WHERE i.token_hash = $1"),
        vec![Arg::Text(token_hash(token))],
    ))
    .await
}

fn unknown_link() -> AppError {
    AppError::not_found("This invitation link is not valid. Check that it was copied whole, or ask an admin of the guild for a new one.")
}

/// What the invitation page shows: the guild, the role, whether the link
/// still works, and the visitor's current role there.
pub async fn preview(
    db: &Db,
    clock: &SharedClock,
    user: Option<&SessionUser>,
    token: &str,
) -> Result<InvitationPreview, AppError> {
    let row = by_token(db, token).await?.ok_or_else(unknown_link)?;
    #[derive(sqlx::FromRow)]
    struct Guild {
        slug: String,
        name: String,
    }
    let guild = db
        .fetch_optional::<Guild>(&Sql::bound(
            "SELECT slug, name FROM guilds WHERE id = $1",
            vec![Arg::Int(row.guild_id)],
        ))
        .await?
        .ok_or_else(unknown_link)?;
    let current_role = match user {
        Some(u) => {
            #[derive(sqlx::FromRow)]
            struct RoleRow {
                role: String,
            }
            db.fetch_optional::<RoleRow>(&Sql::bound(
                "SELECT role FROM memberships WHERE guild_id = $1 AND user_id = $2",
                vec![Arg::Int(row.guild_id), Arg::Int(u.id)],
            ))
            .await?
            .and_then(|r| Role::parse(&r.role))
        }
        None => None,
    };
    Ok(InvitationPreview {
        status: row.status(clock.now()),
        role: Role::parse(&row.role).ok_or(AppError::Internal)?,
        guild_name: guild.name,
        guild_slug: guild.slug,
        signed_in: user.is_some(),
        current_role,
    })
}

/// Redeems a link for the signed-in `user`: they join the guild with the
/// link's role (a member with a higher role keeps it), and an earlier
/// "removed until invited again" ends.
pub async fn redeem(
    db: &Db,
    clock: &SharedClock,
    user: &SessionUser,
    token: &str,
) -> Result<Joined, AppError> {
    let now = clock.now();
    let row = by_token(db, token).await?.ok_or_else(unknown_link)?;
    if let Some(refusal) = row.status(now).refusal() {
        return Err(AppError::invalid(refusal));
    }
    let role = Role::parse(&row.role).ok_or(AppError::Internal)?;
    let mut tx = db.begin_write().await?;
    // Counted in the same statement that checks, so two people redeeming
    // a single-use link at once cannot both get in.
    let counted = tx
        .execute(&Sql::bound(
            "UPDATE invitations SET uses = uses + 1 WHERE id = $1 AND revoked_at IS NULL \
             AND expires_at > $2 AND (max_uses IS NULL OR uses < max_uses)",
            vec![Arg::Int(row.id), Arg::Time(now)],
        ))
        .await?;
    if counted == 0 {
        return Err(AppError::invalid(
            InvitationStatus::UsedUp.refusal().expect("a refusal"),
        ));
    }
    tx.execute(&Sql::bound(
        "DELETE FROM access_removals WHERE guild_id = $1 AND user_id = $2",
        vec![Arg::Int(row.guild_id), Arg::Int(user.id)],
    ))
    .await?;
    #[derive(sqlx::FromRow)]
    struct Manual {
        manual_role: Option<String>,
    }
    let manual = tx
        .fetch_optional::<Manual>(&Sql::bound(
            "SELECT manual_role FROM memberships WHERE guild_id = $1 AND user_id = $2",
            vec![Arg::Int(row.guild_id), Arg::Int(user.id)],
        ))
        .await?
        .and_then(|m| m.manual_role)
        .and_then(|r| Role::parse(&r));
    // An invitation never lowers a role someone already has by hand.
    if manual.is_none_or(|m| m < role) {
        memberships::set_manual(
            &mut tx,
            now,
            row.guild_id,
            user.id,
            Some((role, ManualSource::Invitation)),
        )
        .await?;
    }
    audit::record_one(
        &mut tx,
        db.dialect(),
        row.guild_id,
        now,
        &Entry::said(
            Some(user.id),
            "member",
            format!(
                "{} (@{}) joined through invitation link #{} as {}",
                user.display_name,
                user.username,
                row.id,
                role.as_str()
            ),
        ),
    )
    .await?;
    #[derive(sqlx::FromRow)]
    struct Slug {
        slug: String,
    }
    let slug = tx
        .fetch_optional::<Slug>(&Sql::bound(
            "SELECT slug FROM guilds WHERE id = $1",
            vec![Arg::Int(row.guild_id)],
        ))
        .await?
        .ok_or(AppError::Internal)?;
    tx.commit().await?;
    Ok(Joined {
        guild_slug: slug.slug,
        role,
    })
}
