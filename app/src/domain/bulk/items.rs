//! The SQL of one chunk: read the chunk's items (locked on PostgreSQL), then
//! change the ones that may be changed.

use super::targets::Targets;
use crate::domain::db::Tx;
use crate::domain::selection_sql::id_list;
use crate::domain::trash::{posts_deleted_with, unassigned_sql};
use crate::domain::{Arg, Dialect, EntitySql, GuildScope, Sql};
use crate::error::AppError;
use crate::format::date;
use crate::model::{BulkAction, FailureReason};
use crate::model::{Entity, Platform};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// A failed item, with what its name is made of.
#[derive(sqlx::FromRow, Debug)]
pub(super) struct Item {
    pub id: i64,
    pub handle: String,
    pub platform: String,
    /// Posts: the caption. Accounts: the display name.
    pub text: String,
    /// Posts: when posted. Accounts: when added.
    pub at: DateTime<Utc>,
}

impl Item {
    /// How the results and the audit log name the item.
    pub fn name(&self, entity: Entity) -> String {
        match entity {
            Entity::Accounts => {
                let platform = Platform::parse(&self.platform).map_or("?", |p| p.label());
                format!("@{} ({platform})", self.handle)
            }
            Entity::Posts => {
                let mut caption: String = self.text.chars().take(40).collect();
                if self.text.chars().count() > 40 {
                    caption.push('…');
                }
                format!("@{} · {} · “{caption}”", self.handle, date(self.at))
            }
        }
    }
}

/// The name of an id that is not in this guild at all.
pub(super) fn unknown_name(entity: Entity, id: i64) -> String {
    match entity {
        Entity::Accounts => format!("Account #{id}"),
        Entity::Posts => format!("Post #{id}"),
    }
}

/// What a chunk needs to know of each item to decide whether it may be
/// changed: only these columns, so a chunk reads little.
#[derive(sqlx::FromRow, Debug)]
pub(super) struct State {
    pub id: i64,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// What a chunk found of its items in the guild.
#[derive(Debug)]
pub(super) struct Found {
    /// With `complete`, every item of the chunk in the guild (an id absent
    /// here is gone); without, only the items that fail the quick check
    /// (an id absent here is in the expected state).
    pub rows: HashMap<i64, State>,
    pub complete: bool,
}

/// What a chunk knows of one of its items.
pub(super) enum Seen<'a> {
    /// Not in the guild (any more).
    Gone,
    /// Passed the quick check: live and unchanged, or trashed before the
    /// confirm, as the action expects.
    AsExpected,
    /// Needs a look at its state.
    Check(&'a State),
}

impl Found {
    pub fn get(&self, id: i64) -> Seen<'_> {
        match self.rows.get(&id) {
            Some(state) => Seen::Check(state),
            None if self.complete => Seen::Gone,
            None => Seen::AsExpected,
        }
    }
}

/// The chunk's items of this guild, live or trashed; ids of other guilds
/// are simply absent.
///
/// On PostgreSQL every row is read and stays locked until the chunk
/// commits, so nobody changes them between this read and the update. On
/// SQLite the chunk's transaction already holds the database's write lock,
/// so a count and the rows that are not as expected (`in_trash` and changed
/// after `as_of`) are enough: sqlx hands SQLite rows over one at a time, and
/// reading all 20,000 rows of a chunk took 35–60 ms of its 0.5 s.
pub(super) async fn states(
    tx: &mut Tx,
    dialect: Dialect,
    scope: &GuildScope,
    entity: Entity,
    ids: &[i64],
    in_trash: bool,
    as_of: DateTime<Utc>,
) -> Result<Found, AppError> {
    let of_chunk = |what: &str| {
        let mut sql = Sql::new(format!(
            "SELECT {what} FROM {}",
            EntitySql::of(entity).table()
        ));
        sql.push(" WHERE guild_id = ").bind(scope.guild_id());
        id_list(&mut sql, dialect, "id", false, ids);
        sql
    };
    let columns = "id, updated_at, deleted_at";
    let by_id = |rows: Vec<State>| rows.into_iter().map(|r| (r.id, r)).collect();
    if dialect == Dialect::Sqlite && tx.fetch_i64(&of_chunk("COUNT(*)")).await? == ids.len() as i64
    {
        let mut sql = of_chunk(columns);
        let t = sql.arg(Arg::Time(as_of));
        sql.push(&if in_trash {
            format!(" AND NOT (deleted_at IS NOT NULL AND deleted_at <= {t})")
        } else {
            format!(" AND NOT (deleted_at IS NULL AND updated_at <= {t})")
        });
        return Ok(Found {
            rows: by_id(tx.fetch_all(&sql).await?),
            complete: false,
        });
    }
    let mut sql = of_chunk(columns);
    if dialect == Dialect::Postgres {
        sql.push(" FOR UPDATE");
    }
    Ok(Found {
        rows: by_id(tx.fetch_all(&sql).await?),
        complete: true,
    })
}

/// The items named in a result: only failed ones are read this way.
pub(super) async fn read(
    tx: &mut Tx,
    dialect: Dialect,
    scope: &GuildScope,
    entity: Entity,
    ids: &[i64],
) -> Result<Vec<Item>, AppError> {
    let vocab = EntitySql::of(entity);
    let columns = match entity {
        Entity::Accounts => {
            "a.id, a.handle, a.platform, a.display_name AS text, a.created_at AS at"
        }
        Entity::Posts => "p.id, a.handle, p.platform, p.caption AS text, p.posted_at AS at",
    };
    // Live or trashed, posts with their account (for the handle).
    let mut sql = Sql::new(format!("SELECT {columns}{}", vocab.from_trash()));
    let alias = vocab.alias();
    sql.push(&format!(" WHERE {alias}.guild_id = "))
        .bind(scope.guild_id());
    id_list(&mut sql, dialect, &format!("{alias}.id"), false, ids);
    tx.fetch_all(&sql).await
}

/// Soft-deletes the live rows of `table` in the guild whose `column` is one
/// of `ids`, into `batch`.
#[allow(clippy::too_many_arguments)]
async fn trash_where(
    tx: &mut Tx,
    dialect: Dialect,
    scope: &GuildScope,
    table: &str,
    column: &str,
    ids: &[i64],
    batch: &str,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    let mut sql = Sql::new(format!("UPDATE {table} SET deleted_at = "));
    let t = sql.arg(Arg::Time(now));
    let by = sql.arg(Arg::Int(scope.user_id()));
    let b = sql.arg(Arg::Text(batch.into()));
    let g = sql.arg(Arg::Int(scope.guild_id()));
    // The group and brand are copied so a restore can tell when one has
    // been deleted meanwhile (its foreign key then sets the column to NULL).
    sql.push(&format!(
        "{t}, deleted_by = {by}, delete_batch_id = {b}, deleted_group_id = group_id, \
         deleted_brand_id = brand_id WHERE guild_id = {g} AND deleted_at IS NULL"
    ));
    id_list(&mut sql, dialect, column, false, ids);
    tx.execute(&sql).await
}

/// Soft-deletes `ids` (live items of the guild) into `batch`.
pub(super) async fn trash(
    tx: &mut Tx,
    dialect: Dialect,
    scope: &GuildScope,
    entity: Entity,
    ids: &[i64],
    batch: &str,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    trash_where(
        tx,
        dialect,
        scope,
        EntitySql::of(entity).table(),
        "id",
        ids,
        batch,
        now,
    )
    .await
}

/// Trashes the live posts of `accounts` into the same batch as the accounts,
/// so restoring the batch brings them back together.
pub(super) async fn trash_posts_of(
    tx: &mut Tx,
    dialect: Dialect,
    scope: &GuildScope,
    accounts: &[i64],
    batch: &str,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    trash_where(
        tx,
        dialect,
        scope,
        "posts",
        "account_id",
        accounts,
        batch,
        now,
    )
    .await
}

/// Moves `ids` (live items of the guild) to the targets.
pub(super) async fn reassign(
    tx: &mut Tx,
    dialect: Dialect,
    scope: &GuildScope,
    entity: Entity,
    ids: &[i64],
    targets: &Targets,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    let mut sql = Sql::new(format!(
        "UPDATE {} SET updated_at = ",
        EntitySql::of(entity).table()
    ));
    let t = sql.arg(Arg::Time(now));
    sql.push(&t);
    for (column, target) in [("group_id", &targets.group), ("brand_id", &targets.brand)] {
        if let Some(v) = target.value() {
            sql.push(&format!(", {column} = ")).bind(Arg::OptInt(v));
        }
    }
    let g = sql.arg(Arg::Int(scope.guild_id()));
    sql.push(&format!(" WHERE guild_id = {g} AND deleted_at IS NULL"));
    id_list(&mut sql, dialect, "id", false, ids);
    tx.execute(&sql).await
}

/// Items of the chunk a restore must leave in the trash, with the reason:
/// posts whose account is in the trash; accounts whose handle a live
/// account of the guild has now, or that another account of the chunk with
/// the same handle gets first (one live account per handle and platform).
pub(super) async fn restore_blocked(
    tx: &mut Tx,
    dialect: Dialect,
    scope: &GuildScope,
    entity: Entity,
    ids: &[i64],
) -> Result<Vec<(i64, FailureReason)>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Id(i64);
    let (reason, mut sql) = match entity {
        Entity::Posts => (
            FailureReason::AccountInTrash,
            Sql::new(
                "SELECT p.id FROM posts p JOIN accounts a ON a.id = p.account_id \
                 WHERE a.deleted_at IS NOT NULL",
            ),
        ),
        Entity::Accounts => {
            let mut sql = Sql::new(
                "SELECT a.id FROM accounts a WHERE EXISTS (SELECT 1 FROM accounts l \
                 WHERE l.guild_id = a.guild_id AND l.platform = a.platform \
                 AND l.handle = a.handle AND (l.deleted_at IS NULL OR (l.id < a.id",
            );
            id_list(&mut sql, dialect, "l.id", false, ids);
            sql.push(")))");
            (FailureReason::HandleTaken, sql)
        }
    };
    let g = sql.arg(Arg::Int(scope.guild_id()));
    let x = EntitySql::of(entity).alias();
    sql.push(&format!(" AND {x}.guild_id = {g}"));
    id_list(&mut sql, dialect, &format!("{x}.id"), false, ids);
    Ok(tx
        .fetch_all::<Id>(&sql)
        .await?
        .into_iter()
        .map(|Id(id)| (id, reason))
        .collect())
}

/// Of `ids`, how many come back unassigned: their group or brand was
/// deleted while they were in the trash.
pub(super) async fn unassigned(
    tx: &mut Tx,
    dialect: Dialect,
    entity: Entity,
    ids: &[i64],
) -> Result<i64, AppError> {
    let mut sql = Sql::new(format!(
        "SELECT COUNT(*) FROM {} x WHERE {}",
        EntitySql::of(entity).table(),
        unassigned_sql("x")
    ));
    id_list(&mut sql, dialect, "x.id", false, ids);
    tx.fetch_i64(&sql).await
}

/// `SET` of a restore: out of the trash, into the group and brand the item
/// still has (NULL when those were deleted meanwhile).
const UNTRASH: &str = "deleted_at = NULL, deleted_by = NULL, delete_batch_id = NULL, \
     deleted_group_id = NULL, deleted_brand_id = NULL";

/// Restores `ids` (trashed items of the guild).
pub(super) async fn restore(
    tx: &mut Tx,
    dialect: Dialect,
    scope: &GuildScope,
    entity: Entity,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    let mut sql = Sql::new(format!(
        "UPDATE {} SET {UNTRASH}, updated_at = ",
        EntitySql::of(entity).table()
    ));
    let t = sql.arg(Arg::Time(now));
    let g = sql.arg(Arg::Int(scope.guild_id()));
    sql.push(&format!(
        "{t} WHERE guild_id = {g} AND deleted_at IS NOT NULL"
    ));
    id_list(&mut sql, dialect, "id", false, ids);
    tx.execute(&sql).await
}

/// Restores the posts deleted together with `accounts` (same deletion
/// batch); posts deleted on their own before stay in the trash. Runs before
/// the accounts are restored, while their batch id is still set.
pub(super) async fn restore_posts_of(
    tx: &mut Tx,
    dialect: Dialect,
    scope: &GuildScope,
    accounts: &[i64],
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    let mut sql = Sql::new(format!("UPDATE posts SET {UNTRASH}, updated_at = "));
    let t = sql.arg(Arg::Time(now));
    let g = sql.arg(Arg::Int(scope.guild_id()));
    sql.push(&format!(
        "{t} WHERE guild_id = {g} AND deleted_at IS NOT NULL AND delete_batch_id = \
         (SELECT a.delete_batch_id FROM accounts a WHERE a.id = posts.account_id)"
    ));
    id_list(&mut sql, dialect, "account_id", false, accounts);
    tx.execute(&sql).await
}

/// Deletes `ids` (trashed items of the guild) for good. An account's posts
/// go first, counted (the return value's second half).
pub(super) async fn purge(
    tx: &mut Tx,
    dialect: Dialect,
    scope: &GuildScope,
    entity: Entity,
    ids: &[i64],
) -> Result<(u64, u64), AppError> {
    let g = Arg::Int(scope.guild_id());
    let mut posts = 0;
    if entity == Entity::Accounts {
        let mut sql = Sql::new("DELETE FROM posts WHERE guild_id = ");
        let p = sql.arg(g.clone());
        sql.push(&p);
        id_list(&mut sql, dialect, "account_id", false, ids);
        posts = tx.execute(&sql).await?;
    }
    let mut sql = Sql::new(format!(
        "DELETE FROM {} WHERE guild_id = ",
        EntitySql::of(entity).table()
    ));
    let p = sql.arg(g);
    sql.push(&format!("{p} AND deleted_at IS NOT NULL"));
    id_list(&mut sql, dialect, "id", false, ids);
    Ok((tx.execute(&sql).await?, posts))
}

/// The live posts of account `a`, in SQL.
const LIVE_POSTS: &str =
    "(SELECT COUNT(*) FROM posts q WHERE q.account_id = a.id AND q.deleted_at IS NULL)";

/// Every post of account `a`, in SQL.
const ALL_POSTS: &str = "(SELECT COUNT(*) FROM posts q WHERE q.account_id = a.id)";

/// `'TikTok'` for `a.platform = 'tiktok'`, in SQL.
fn platform_label_sql() -> String {
    let arms: String = Platform::ALL
        .iter()
        .map(|p| format!(" WHEN '{}' THEN '{}'", p.as_str(), p.label()))
        .collect();
    format!("CASE a.platform{arms} ELSE a.platform END")
}

/// A JSON object built by the database: `{"key": value, …}` as text.
fn json_object(dialect: Dialect, pairs: &[(&str, String)]) -> String {
    let args: Vec<String> = pairs.iter().map(|(k, v)| format!("'{k}', {v}")).collect();
    match dialect {
        Dialect::Sqlite => format!("json_object({})", args.join(", ")),
        Dialect::Postgres => format!("CAST(json_build_object({}) AS TEXT)", args.join(", ")),
    }
}

/// One audit entry per item of `ids`, written by the database from the rows
/// themselves (`INSERT … SELECT`): no row travels to the server and back,
/// which keeps a 100,000-item action within its time (BENCHMARKS.md).
/// Runs before the change, so a reassign records where items came from.
#[allow(clippy::too_many_arguments)]
pub(super) async fn audit_items(
    tx: &mut Tx,
    dialect: Dialect,
    scope: &GuildScope,
    entity: Entity,
    action: &BulkAction,
    targets: &Targets,
    ids: &[i64],
    batch: &str,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    let mut sql = Sql::new(
        "INSERT INTO audit_log (guild_id, actor_id, action, target_type, target_id, summary, \
         details, batch_id, created_at) SELECT ",
    );
    let actor = sql.arg(Arg::Int(scope.user_id()));
    let b = sql.arg(Arg::Text(batch.into()));
    let at = sql.arg(Arg::Time(now));
    let kind = format!("'{}.item'", action.as_str());
    let caption =
        "CASE WHEN length(p.caption) > 40 THEN substr(p.caption, 1, 40) || '…' ELSE p.caption END";
    let (x, target, name) = match entity {
        Entity::Accounts => (
            "a",
            "'account'",
            format!("'account @' || a.handle || ' (' || {} || ')'", platform_label_sql()),
        ),
        Entity::Posts => (
            "p",
            "'post'",
            format!("'post #' || CAST(p.id AS TEXT) || ' by @' || a.handle || ': “' || {caption} || '”'"),
        ),
    };
    let (summary, details) = match action {
        BulkAction::Delete if entity == Entity::Accounts => (
            // The account's live posts, which go to the trash with it.
            format!(
                "'Deleted ' || {name} || ' and its ' || CAST({LIVE_POSTS} AS TEXT) || \
                 CASE WHEN {LIVE_POSTS} = 1 THEN ' post' ELSE ' posts' END"
            ),
            json_object(dialect, &[("posts", LIVE_POSTS.into())]),
        ),
        BulkAction::Delete => (format!("'Deleted ' || {name}"), "NULL".to_string()),
        BulkAction::Restore => {
            let (posts, with) = match entity {
                Entity::Accounts => {
                    let with = posts_deleted_with("a");
                    (
                        with.clone(),
                        format!(
                            "' and the ' || CAST({with} AS TEXT) || \
                             CASE WHEN {with} = 1 THEN ' post' ELSE ' posts' END || ' deleted with it'"
                        ),
                    )
                }
                Entity::Posts => ("0".to_string(), "''".to_string()),
            };
            let unassigned = format!(
                "CASE WHEN {} THEN ', unassigned: its group or brand no longer exists' ELSE '' END",
                unassigned_sql(x)
            );
            (
                format!("'Restored ' || {name} || {with} || {unassigned}"),
                json_object(dialect, &[("posts", posts)]),
            )
        }
        BulkAction::Purge => {
            let (posts, with) = match entity {
                Entity::Accounts => (
                    ALL_POSTS.to_string(),
                    format!(
                        "' and its ' || CAST({ALL_POSTS} AS TEXT) || \
                         CASE WHEN {ALL_POSTS} = 1 THEN ' post' ELSE ' posts' END"
                    ),
                ),
                Entity::Posts => ("0".to_string(), "''".to_string()),
            };
            (
                format!("'Permanently deleted ' || {name} || {with}"),
                json_object(dialect, &[("posts", posts)]),
            )
        }
        BulkAction::Reassign { .. } => {
            let mut pairs = Vec::new();
            // "group Team Blaze → Team Echo", "brand none → Nightfall".
            let mut moves = Vec::new();
            for (key, target, old) in [
                ("group", &targets.group, "g"),
                ("brand", &targets.brand, "br"),
            ] {
                if target.value().is_some() {
                    let new = match target.name() {
                        Some(n) => format!("CAST({} AS TEXT)", sql.arg(Arg::Text(n.into()))),
                        None => "NULL".into(),
                    };
                    moves.push(format!(
                        "'{key} ' || COALESCE({old}.name, 'none') || ' → ' || COALESCE({new}, 'none')"
                    ));
                    pairs.push((
                        key,
                        json_object(dialect, &[("from", format!("{old}.name")), ("to", new)]),
                    ));
                }
            }
            (
                format!(
                    "'Moved ' || {name} || ': ' || {}",
                    moves.join(" || ', ' || ")
                ),
                json_object(dialect, &pairs),
            )
        }
    };
    sql.push(&format!(
        "{x}.guild_id, {actor}, {kind}, {target}, {x}.id, {summary}, {details}, {b}, {at}"
    ));
    // Posts come with their account, for the handle in the sentence.
    sql.push(EntitySql::of(entity).from_trash());
    sql.push(&format!(
        " LEFT JOIN account_groups g ON g.id = {x}.group_id LEFT JOIN brands br ON br.id = {x}.brand_id"
    ));
    sql.push(" WHERE 1 = 1");
    id_list(&mut sql, dialect, &format!("{x}.id"), false, ids);
    tx.execute(&sql).await
}
