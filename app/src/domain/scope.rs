//! Tenancy. A [`GuildScope`] proves that a user is a member of a guild with
//! a known role; it can only be made by [`GuildScope::for_member`], and every
//! domain call over guild data takes one, so no query can forget the guild.

use super::{Arg, Db, Sql};
use crate::error::AppError;
use crate::model::{GuildSummary, Role, SessionUser};

#[derive(Clone, Debug)]
pub struct GuildScope {
    guild_id: i64,
    slug: String,
    name: String,
    user_id: i64,
    role: Role,
    last_seen_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    id: i64,
    slug: String,
    name: String,
    role: String,
    last_seen_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl GuildScope {
    /// The membership check. A guild that does not exist and a guild the
    /// user is not a member of look the same (404), so guild names do not
    /// leak to outsiders.
    pub async fn for_member(db: &Db, user: &SessionUser, slug: &str) -> Result<Self, AppError> {
        let sql = Sql::bound(
            "SELECT g.id, g.slug, g.name, m.role, m.last_seen_at FROM guilds g \
             JOIN memberships m ON m.guild_id = g.id AND m.user_id = $1 WHERE g.slug = $2",
            vec![Arg::Int(user.id), Arg::Text(slug.to_string())],
        );
        let row = db.fetch_optional::<MemberRow>(&sql).await?.ok_or_else(|| {
            AppError::not_found(format!(
                "There is no guild “{slug}” that you are a member of."
            ))
        })?;
        let role = Role::parse(&row.role).ok_or_else(|| {
            tracing::error!(role = %row.role, "unknown role in memberships");
            AppError::Internal
        })?;
        Ok(Self {
            guild_id: row.id,
            slug: row.slug,
            name: row.name,
            user_id: user.id,
            role,
            last_seen_at: row.last_seen_at,
        })
    }

    /// The same check for work done on a member's behalf later (a queued
    /// export): the member must still belong to the guild when it runs.
    pub async fn for_user_in(db: &Db, user_id: i64, guild_id: i64) -> Result<Self, AppError> {
        let sql = Sql::bound(
            "SELECT g.id, g.slug, g.name, m.role, m.last_seen_at FROM guilds g \
             JOIN memberships m ON m.guild_id = g.id AND m.user_id = $1 WHERE g.id = $2",
            vec![Arg::Int(user_id), Arg::Int(guild_id)],
        );
        let row = db.fetch_optional::<MemberRow>(&sql).await?.ok_or_else(|| {
            AppError::forbidden("The member who asked for this is no longer in the guild.")
        })?;
        let role = Role::parse(&row.role).ok_or(AppError::Internal)?;
        Ok(Self {
            guild_id: row.id,
            slug: row.slug,
            name: row.name,
            user_id,
            role,
            last_seen_at: row.last_seen_at,
        })
    }

    /// The scope of an API token of the guild (`api_tokens::authenticate`
    /// made sure it is live and sent for this guild), with the role its
    /// scope stands for. The admin who made the token stands as the user;
    /// what tokens do (upserts and reads) names no user anywhere, and 0
    /// stands for a maker whose account is gone.
    pub fn for_token(
        guild_id: i64,
        slug: String,
        name: String,
        role: Role,
        made_by: Option<i64>,
    ) -> Self {
        Self {
            guild_id,
            slug,
            name,
            user_id: made_by.unwrap_or(0),
            role,
            last_seen_at: None,
        }
    }

    /// Refuses unless the member's role is at least `needed`; `what` names
    /// the action for the message ("delete accounts").
    pub fn require(&self, needed: Role, what: &str) -> Result<(), AppError> {
        if self.role >= needed {
            Ok(())
        } else {
            Err(AppError::forbidden(format!(
                "Only a guild {} can {what}; you are {}.",
                needed.as_str(),
                self.role.with_article()
            )))
        }
    }

    pub fn guild_id(&self) -> i64 {
        self.guild_id
    }
    pub fn slug(&self) -> &str {
        &self.slug
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn user_id(&self) -> i64 {
        self.user_id
    }
    pub fn role(&self) -> Role {
        self.role
    }
    /// When the member last used the guild, to the hour (see `members::seen`).
    pub fn last_seen_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.last_seen_at
    }

    pub fn summary(&self) -> GuildSummary {
        GuildSummary {
            slug: self.slug.clone(),
            name: self.name.clone(),
            role: self.role,
        }
    }
}

/// The guilds a user belongs to, for the switcher, by name.
pub async fn guilds_of(db: &Db, user_id: i64) -> Result<Vec<GuildSummary>, AppError> {
    let sql = Sql::bound(
        "SELECT g.id, g.slug, g.name, m.role, m.last_seen_at FROM guilds g JOIN memberships m ON m.guild_id = g.id \
         WHERE m.user_id = $1 ORDER BY g.name, g.id",
        vec![Arg::Int(user_id)],
    );
    Ok(db
        .fetch_all::<MemberRow>(&sql)
        .await?
        .into_iter()
        .filter_map(|r| {
            Some(GuildSummary {
                slug: r.slug,
                name: r.name,
                role: Role::parse(&r.role)?,
            })
        })
        .collect())
}

/// Guild slugs appear in URLs and file names: lower-case ASCII letters,
/// digits and dashes.
pub fn validate_slug(slug: &str) -> Result<(), AppError> {
    let ok = !slug.is_empty()
        && slug.len() <= 40
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            "A guild slug is 1 to 40 lower-case letters, digits or dashes.",
        ))
    }
}

/// Adds a member or changes the role set by hand of an existing one.
pub async fn set_membership(
    db: &Db,
    now: chrono::DateTime<chrono::Utc>,
    guild_slug: &str,
    user_id: i64,
    role: Role,
) -> Result<(), AppError> {
    let guild = Sql::bound(
        "SELECT id FROM guilds WHERE slug = $1",
        vec![Arg::Text(guild_slug.into())],
    );
    #[derive(sqlx::FromRow)]
    struct Id(i64);
    let Some(Id(guild_id)) = db.fetch_optional::<Id>(&guild).await? else {
        return Err(AppError::not_found(format!(
            "There is no guild “{guild_slug}”."
        )));
    };
    // A role set by hand: it raises the member above what Discord's rules
    // give, never below (domain::memberships).
    let mut tx = db.begin_write().await?;
    super::memberships::set_manual(
        &mut tx,
        now,
        guild_id,
        user_id,
        Some((role, super::memberships::ManualSource::Admin)),
    )
    .await?;
    tx.commit().await
}

/// The guild's members, admins first, for a caller that checked the role
/// (the audit log's "who" filter).
pub(crate) async fn member_list(
    db: &Db,
    scope: &GuildScope,
) -> Result<Vec<crate::model::Member>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        username: String,
        display_name: String,
        role: String,
    }
    let sql = Sql::bound(
        "SELECT u.username, u.display_name, m.role FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.guild_id = $1 ORDER BY u.username",
        vec![Arg::Int(scope.guild_id())],
    );
    let mut out: Vec<crate::model::Member> = db
        .fetch_all::<Row>(&sql)
        .await?
        .into_iter()
        .filter_map(|r| {
            Some(crate::model::Member {
                role: Role::parse(&r.role)?,
                username: r.username,
                display_name: r.display_name,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.role
            .cmp(&a.role)
            .then_with(|| a.username.cmp(&b.username))
    });
    Ok(out)
}
