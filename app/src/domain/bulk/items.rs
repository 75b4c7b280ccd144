//! The SQL of one chunk: read the chunk's items (locked on PostgreSQL), then
//! change the ones that may be changed. Every statement runs in the chunk's
//! transaction and needs the same few facts, which [`Chunk`] carries.

use super::targets::Targets;
use super::verdict::{Seen, State};
use crate::domain::audit_item;
use crate::domain::db::Tx;
use crate::domain::selection_sql::id_list;
use crate::domain::trash::{posts_deleted_with, unassigned_sql};
use crate::domain::{Arg, Db, Dialect, EntitySql, GuildScope, Sql};
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
    /// How a result's failures (and their audit entries) name the item: with
    /// the post's date, which tells apart posts of one account.
    pub fn name(&self, entity: Entity) -> String {
        match entity {
            Entity::Accounts => {
                let platform = Platform::parse(&self.platform).map_or("?", |p| p.label());
                format!("@{} ({platform})", self.handle)
            }
            Entity::Posts => format!(
                "@{} · {} · “{}”",
                self.handle,
                date(self.at),
                audit_item::short_caption(&self.text)
            ),
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

/// What a chunk found of its items in the guild.
#[derive(Debug)]
pub(super) struct Found {
    /// With `complete`, every item of the chunk in the guild (an id absent
    /// here is gone); without, only the items that fail the quick check
    /// (an id absent here is in the expected state).
    pub rows: HashMap<i64, State>,
    pub complete: bool,
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

/// One chunk of a run: its transaction, and what each of its statements
/// needs to know (the guild and member, the kind of item, the run's batch,
/// and the time the chunk runs at).
pub(super) struct Chunk<'a> {
    pub tx: Tx,
    pub scope: &'a GuildScope,
    pub entity: Entity,
    pub batch: &'a str,
    pub now: DateTime<Utc>,
}

impl<'a> Chunk<'a> {
    /// Opens the chunk's transaction.
    pub async fn begin(
        db: &Db,
        scope: &'a GuildScope,
        entity: Entity,
        batch: &'a str,
        now: DateTime<Utc>,
    ) -> Result<Chunk<'a>, AppError> {
        Ok(Chunk {
            tx: db.begin_write().await?,
            scope,
            entity,
            batch,
            now,
        })
    }

    pub fn dialect(&self) -> Dialect {
        self.tx.dialect()
    }

    fn vocab(&self) -> EntitySql {
        EntitySql::of(self.entity)
    }

    /// `AND {column} IN (ids)`, in this chunk's dialect.
    fn among(&self, sql: &mut Sql, column: &str, ids: &[i64]) {
        id_list(sql, self.dialect(), column, false, ids);
    }

    pub async fn commit(self) -> Result<(), AppError> {
        self.tx.commit().await
    }

    /// The chunk's items of this guild, live or trashed; ids of other guilds
    /// are simply absent.
    ///
    /// On PostgreSQL every row is read and stays locked until the chunk
    /// commits, so nobody changes them between this read and the update. On
    /// SQLite the chunk's transaction already holds the database's write
    /// lock, so a count and the rows that are not as expected (`in_trash`
    /// and changed after `as_of`) are enough: sqlx hands SQLite rows over one
    /// at a time, and reading all 20,000 rows of a chunk took 35–60 ms of its
    /// 0.5 s.
    pub async fn states(
        &mut self,
        ids: &[i64],
        in_trash: bool,
        as_of: DateTime<Utc>,
    ) -> Result<Found, AppError> {
        let (table, guild, dialect) = (self.vocab().table(), self.scope.guild_id(), self.dialect());
        let of_chunk = |what: &str| {
            let mut sql = Sql::new(format!("SELECT {what} FROM {table}"));
            sql.push(" WHERE guild_id = ").bind(guild);
            id_list(&mut sql, dialect, "id", false, ids);
            sql
        };
        let columns = "id, updated_at, deleted_at";
        let by_id = |rows: Vec<State>| rows.into_iter().map(|r| (r.id, r)).collect();
        if dialect == Dialect::Sqlite
            && self.tx.fetch_i64(&of_chunk("COUNT(*)")).await? == ids.len() as i64
        {
            let mut sql = of_chunk(columns);
            sql.push(if in_trash {
                " AND NOT (deleted_at IS NOT NULL AND deleted_at <= "
            } else {
                " AND NOT (deleted_at IS NULL AND updated_at <= "
            })
            .bind(as_of)
            .push(")");
            return Ok(Found {
                rows: by_id(self.tx.fetch_all(&sql).await?),
                complete: false,
            });
        }
        let mut sql = of_chunk(columns);
        if dialect == Dialect::Postgres {
            sql.push(" FOR UPDATE");
        }
        Ok(Found {
            rows: by_id(self.tx.fetch_all(&sql).await?),
            complete: true,
        })
    }

    /// The items named in a result: only failed ones are read this way.
    pub async fn read(&mut self, ids: &[i64]) -> Result<Vec<Item>, AppError> {
        let vocab = self.vocab();
        let columns = match self.entity {
            Entity::Accounts => {
                "a.id, a.handle, a.platform, a.display_name AS text, a.created_at AS at"
            }
            Entity::Posts => "p.id, a.handle, p.platform, p.caption AS text, p.posted_at AS at",
        };
        // Live or trashed, posts with their account (for the handle).
        let mut sql = Sql::new(format!("SELECT {columns}{}", vocab.from_trash()));
        sql.push(&format!(" WHERE {}.guild_id = ", vocab.alias()))
            .bind(self.scope.guild_id());
        self.among(&mut sql, vocab.id_col(), ids);
        self.tx.fetch_all(&sql).await
    }

    /// Soft-deletes the live rows of `table` in the guild whose `column` is
    /// one of `ids`, into the run's batch.
    async fn trash_where(
        &mut self,
        table: &str,
        column: &str,
        ids: &[i64],
    ) -> Result<u64, AppError> {
        let mut sql = Sql::new(format!("UPDATE {table} SET deleted_at = "));
        // The group and brand are copied so a restore can tell when one has
        // been deleted meanwhile (its foreign key then sets the column to NULL).
        sql.bind(self.now)
            .push(", deleted_by = ")
            .bind(self.scope.user_id())
            .push(", delete_batch_id = ")
            .bind(self.batch)
            .push(", deleted_group_id = group_id, deleted_brand_id = brand_id WHERE guild_id = ")
            .bind(self.scope.guild_id())
            .push(" AND deleted_at IS NULL");
        self.among(&mut sql, column, ids);
        self.tx.execute(&sql).await
    }

    /// Soft-deletes `ids` (live items of the guild) into the run's batch.
    pub async fn trash(&mut self, ids: &[i64]) -> Result<u64, AppError> {
        self.trash_where(self.vocab().table(), "id", ids).await
    }

    /// Trashes the live posts of `accounts` into the same batch as the
    /// accounts, so restoring the batch brings them back together.
    pub async fn trash_posts_of(&mut self, accounts: &[i64]) -> Result<u64, AppError> {
        self.trash_where("posts", "account_id", accounts).await
    }

    /// Moves `ids` (live items of the guild) to the targets.
    pub async fn reassign(&mut self, ids: &[i64], targets: &Targets) -> Result<u64, AppError> {
        let mut sql = Sql::new(format!("UPDATE {} SET updated_at = ", self.vocab().table()));
        sql.bind(self.now);
        for (column, target) in [("group_id", &targets.group), ("brand_id", &targets.brand)] {
            if let Some(v) = target.value() {
                sql.push(&format!(", {column} = ")).bind(Arg::OptInt(v));
            }
        }
        sql.push(" WHERE guild_id = ")
            .bind(self.scope.guild_id())
            .push(" AND deleted_at IS NULL");
        self.among(&mut sql, "id", ids);
        self.tx.execute(&sql).await
    }

    /// Items of the chunk a restore must leave in the trash, with the
    /// reason: posts whose account is in the trash; accounts whose handle a
    /// live account of the guild has now, or that another account of the
    /// chunk with the same handle gets first (one live account per handle
    /// and platform).
    pub async fn restore_blocked(
        &mut self,
        ids: &[i64],
    ) -> Result<Vec<(i64, FailureReason)>, AppError> {
        #[derive(sqlx::FromRow)]
        struct Id(i64);
        let (reason, mut sql) = match self.entity {
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
                self.among(&mut sql, "l.id", ids);
                sql.push(")))");
                (FailureReason::HandleTaken, sql)
            }
        };
        let vocab = self.vocab();
        sql.push(&format!(" AND {}.guild_id = ", vocab.alias()))
            .bind(self.scope.guild_id());
        self.among(&mut sql, vocab.id_col(), ids);
        Ok(self
            .tx
            .fetch_all::<Id>(&sql)
            .await?
            .into_iter()
            .map(|Id(id)| (id, reason))
            .collect())
    }

    /// Of `ids`, how many come back unassigned: their group or brand was
    /// deleted while they were in the trash.
    pub async fn unassigned(&mut self, ids: &[i64]) -> Result<i64, AppError> {
        let mut sql = Sql::new(format!(
            "SELECT COUNT(*) FROM {} x WHERE {}",
            self.vocab().table(),
            unassigned_sql("x")
        ));
        self.among(&mut sql, "x.id", ids);
        self.tx.fetch_i64(&sql).await
    }

    /// Restores `ids` (trashed items of the guild).
    pub async fn restore(&mut self, ids: &[i64]) -> Result<u64, AppError> {
        let mut sql = Sql::new(format!(
            "UPDATE {} SET {UNTRASH}, updated_at = ",
            self.vocab().table()
        ));
        sql.bind(self.now)
            .push(" WHERE guild_id = ")
            .bind(self.scope.guild_id())
            .push(" AND deleted_at IS NOT NULL");
        self.among(&mut sql, "id", ids);
        self.tx.execute(&sql).await
    }

    /// Restores the posts deleted together with `accounts` (same deletion
    /// batch); posts deleted on their own before stay in the trash. Runs
    /// before the accounts are restored, while their batch id is still set.
    pub async fn restore_posts_of(&mut self, accounts: &[i64]) -> Result<u64, AppError> {
        let mut sql = Sql::new(format!("UPDATE posts SET {UNTRASH}, updated_at = "));
        sql.bind(self.now)
            .push(" WHERE guild_id = ")
            .bind(self.scope.guild_id())
            .push(
                " AND deleted_at IS NOT NULL AND delete_batch_id = \
                 (SELECT a.delete_batch_id FROM accounts a WHERE a.id = posts.account_id)",
            );
        self.among(&mut sql, "account_id", accounts);
        self.tx.execute(&sql).await
    }

    /// Deletes `ids` (trashed items of the guild) for good. An account's
    /// posts go first, counted (the return value's second half).
    pub async fn purge(&mut self, ids: &[i64]) -> Result<(u64, u64), AppError> {
        let mut posts = 0;
        if self.entity == Entity::Accounts {
            let mut sql = Sql::new("DELETE FROM posts WHERE guild_id = ");
            sql.bind(self.scope.guild_id());
            self.among(&mut sql, "account_id", ids);
            posts = self.tx.execute(&sql).await?;
        }
        let mut sql = Sql::new(format!(
            "DELETE FROM {} WHERE guild_id = ",
            self.vocab().table()
        ));
        sql.bind(self.scope.guild_id())
            .push(" AND deleted_at IS NOT NULL");
        self.among(&mut sql, "id", ids);
        Ok((self.tx.execute(&sql).await?, posts))
    }
}

/// `SET` of a restore: out of the trash, into the group and brand the item
/// still has (NULL when those were deleted meanwhile).
const UNTRASH: &str = "deleted_at = NULL, deleted_by = NULL, delete_batch_id = NULL, \
     deleted_group_id = NULL, deleted_brand_id = NULL";

/// The live posts of account `a`, in SQL.
const LIVE_POSTS: &str = crate::domain::accounts::LIVE_POST_COUNT;

/// Every post of account `a`, in SQL.
const ALL_POSTS: &str = "(SELECT COUNT(*) FROM posts q WHERE q.account_id = a.id)";

/// One audit entry per item of `ids`, written by the database from the rows
/// themselves (`INSERT … SELECT`): no row travels to the server and back,
/// which keeps a 100,000-item action within its time (BENCHMARKS.md).
/// The entries store facts (handle, caption, the posts that went along, the
/// groups moved between); `audit_item::sentence` words them when the log is
/// read. Runs before the change, so a reassign records where items came
/// from and a restore whether the item comes back unassigned.
pub(super) async fn audit_items(
    chunk: &mut Chunk<'_>,
    action: &BulkAction,
    targets: &Targets,
    ids: &[i64],
) -> Result<u64, AppError> {
    let vocab = chunk.vocab();
    let x = vocab.alias();
    let accounts = chunk.entity == Entity::Accounts;
    let mut sql = Sql::new(
        "INSERT INTO audit_log (guild_id, actor_id, action, target_type, target_id, summary, \
         batch_id, created_at, item_handle, item_platform, item_text, item_posts, item_unassigned, \
         group_from, group_to, brand_from, brand_to) SELECT ",
    );
    sql.push(&format!("{x}.guild_id, "))
        .bind(chunk.scope.user_id())
        .push(&format!(
            ", '{}.item', '{}', {x}.id, '', ",
            action.as_str(),
            chunk.entity.one()
        ))
        .bind(chunk.batch)
        .push(", ")
        .bind(chunk.now);
    let (platform, text) = if accounts {
        ("a.platform", "NULL".to_string())
    } else {
        (
            "NULL",
            format!("substr(p.caption, 1, {})", audit_item::CAPTION_STORED),
        )
    };
    sql.push(&format!(", a.handle, {platform}, {text}, "));
    // The posts that go with an account, counted before the change.
    let posts = match action {
        _ if !accounts => "NULL".to_string(),
        BulkAction::Delete => LIVE_POSTS.to_string(),
        BulkAction::Restore => posts_deleted_with("a"),
        BulkAction::Purge => ALL_POSTS.to_string(),
        BulkAction::Reassign { .. } => "NULL".to_string(),
    };
    let unassigned = match action {
        BulkAction::Restore => format!("CASE WHEN {} THEN 1 ELSE 0 END", unassigned_sql(x)),
        _ => "NULL".to_string(),
    };
    sql.push(&format!("{posts}, {unassigned}"));
    let reassign = matches!(action, BulkAction::Reassign { .. });
    // "group Team Blaze → Team Echo": '' stands for none, NULL for a
    // column this reassign leaves alone.
    for (target, old) in [(&targets.group, "g"), (&targets.brand, "br")] {
        match (reassign && target.value().is_some(), target.name()) {
            (false, _) => sql.push(", NULL, NULL"),
            (true, new) => sql
                .push(&format!(", COALESCE({old}.name, ''), CAST("))
                .bind(new.unwrap_or_default().to_string())
                .push(" AS TEXT)"),
        };
    }
    // Posts come with their account, for the handle.
    sql.push(vocab.from_trash());
    if reassign {
        sql.push(&format!(
            " LEFT JOIN account_groups g ON g.id = {x}.group_id LEFT JOIN brands br ON br.id = {x}.brand_id"
        ));
    }
    sql.push(" WHERE 1 = 1");
    chunk.among(&mut sql, vocab.id_col(), ids);
    chunk.tx.execute(&sql).await
}
