//! The SQL of one chunk: read the chunk's items (locked on PostgreSQL), then
//! change the ones that may be changed.

use super::targets::Targets;
use crate::domain::db::Tx;
use crate::domain::selection_sql::id_list;
use crate::domain::{Arg, Dialect, GuildScope, Sql};
use crate::error::AppError;
use crate::format::date;
use crate::model::{ExportEntity, Platform};
use chrono::{DateTime, Utc};

/// One item of a chunk as it is now.
#[derive(sqlx::FromRow, Debug)]
pub(super) struct Item {
    pub id: i64,
    pub handle: String,
    pub platform: String,
    /// Posts: the caption. Accounts: the display name.
    pub text: String,
    /// Posts: when posted. Accounts: when added.
    pub at: DateTime<Utc>,
    pub group_name: Option<String>,
    pub brand_name: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Item {
    /// How the results and the audit log name the item.
    pub fn name(&self, entity: ExportEntity) -> String {
        match entity {
            ExportEntity::Accounts => {
                let platform = Platform::parse(&self.platform).map_or("?", |p| p.label());
                format!("@{} ({platform})", self.handle)
            }
            ExportEntity::Posts => {
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
pub(super) fn unknown_name(entity: ExportEntity, id: i64) -> String {
    match entity {
        ExportEntity::Accounts => format!("Account #{id}"),
        ExportEntity::Posts => format!("Post #{id}"),
    }
}

/// The chunk's items of this guild, live or trashed; ids of other guilds
/// are simply absent. On PostgreSQL the rows stay locked until the chunk
/// commits, so nobody changes them between this read and the update.
pub(super) async fn read(
    tx: &mut Tx,
    dialect: Dialect,
    scope: &GuildScope,
    entity: ExportEntity,
    ids: &[i64],
) -> Result<Vec<Item>, AppError> {
    let (mut sql, alias, lock) = match entity {
        ExportEntity::Accounts => (
            Sql::new(
                "SELECT a.id, a.handle, a.platform, a.display_name AS text, a.created_at AS at, \
                 g.name AS group_name, b.name AS brand_name, a.updated_at, a.deleted_at \
                 FROM accounts a \
                 LEFT JOIN account_groups g ON g.id = a.group_id \
                 LEFT JOIN brands b ON b.id = a.brand_id",
            ),
            "a",
            " FOR UPDATE OF a",
        ),
        ExportEntity::Posts => (
            Sql::new(
                "SELECT p.id, a.handle, p.platform, p.caption AS text, p.posted_at AS at, \
                 g.name AS group_name, b.name AS brand_name, p.updated_at, p.deleted_at \
                 FROM posts p \
                 JOIN accounts a ON a.id = p.account_id \
                 LEFT JOIN account_groups g ON g.id = p.group_id \
                 LEFT JOIN brands b ON b.id = p.brand_id",
            ),
            "p",
            " FOR UPDATE OF p",
        ),
    };
    let g = sql.arg(Arg::Int(scope.guild_id()));
    sql.push(&format!(" WHERE {alias}.guild_id = {g}"));
    id_list(&mut sql, dialect, &format!("{alias}.id"), false, ids);
    if dialect == Dialect::Postgres {
        sql.push(lock);
    }
    tx.fetch_all(&sql).await
}

fn table(entity: ExportEntity) -> &'static str {
    match entity {
        ExportEntity::Accounts => "accounts",
        ExportEntity::Posts => "posts",
    }
}

/// Soft-deletes `ids` (live items of the guild) into `batch`.
pub(super) async fn trash(
    tx: &mut Tx,
    dialect: Dialect,
    scope: &GuildScope,
    entity: ExportEntity,
    ids: &[i64],
    batch: &str,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    let mut sql = Sql::new(format!("UPDATE {} SET deleted_at = ", table(entity)));
    let t = sql.arg(Arg::Time(now));
    let by = sql.arg(Arg::Int(scope.user_id()));
    let b = sql.arg(Arg::Text(batch.into()));
    let g = sql.arg(Arg::Int(scope.guild_id()));
    sql.push(&format!(
        "{t}, deleted_by = {by}, delete_batch_id = {b} WHERE guild_id = {g} AND deleted_at IS NULL"
    ));
    id_list(&mut sql, dialect, "id", false, ids);
    tx.execute(&sql).await
}

/// The live posts of each account in `accounts`: `(account_id, posts)`.
pub(super) async fn live_posts_of(
    tx: &mut Tx,
    dialect: Dialect,
    accounts: &[i64],
) -> Result<Vec<(i64, i64)>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        account_id: i64,
        n: i64,
    }
    let mut sql = Sql::new("SELECT account_id, COUNT(*) AS n FROM posts WHERE deleted_at IS NULL");
    id_list(&mut sql, dialect, "account_id", false, accounts);
    sql.push(" GROUP BY account_id");
    Ok(tx
        .fetch_all::<Row>(&sql)
        .await?
        .into_iter()
        .map(|r| (r.account_id, r.n))
        .collect())
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
    let mut sql = Sql::new("UPDATE posts SET deleted_at = ");
    let t = sql.arg(Arg::Time(now));
    let by = sql.arg(Arg::Int(scope.user_id()));
    let b = sql.arg(Arg::Text(batch.into()));
    sql.push(&format!(
        "{t}, deleted_by = {by}, delete_batch_id = {b} WHERE deleted_at IS NULL"
    ));
    id_list(&mut sql, dialect, "account_id", false, accounts);
    tx.execute(&sql).await
}

/// Moves `ids` (live items of the guild) to the targets.
pub(super) async fn reassign(
    tx: &mut Tx,
    dialect: Dialect,
    scope: &GuildScope,
    entity: ExportEntity,
    ids: &[i64],
    targets: &Targets,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    let mut sql = Sql::new(format!("UPDATE {} SET updated_at = ", table(entity)));
    let t = sql.arg(Arg::Time(now));
    sql.push(&t);
    for (column, target) in [("group_id", &targets.group), ("brand_id", &targets.brand)] {
        if let Some(v) = target.value() {
            let p = sql.arg(Arg::OptInt(v));
            sql.push(&format!(", {column} = {p}"));
        }
    }
    let g = sql.arg(Arg::Int(scope.guild_id()));
    sql.push(&format!(" WHERE guild_id = {g} AND deleted_at IS NULL"));
    id_list(&mut sql, dialect, "id", false, ids);
    tx.execute(&sql).await
}
