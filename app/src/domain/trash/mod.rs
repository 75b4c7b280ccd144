//! Deleted Items: the guild's trashed accounts and posts, and their purge.
//!
//! Restoring and deleting for good are bulk actions ([`super::bulk`]) on a
//! selection of trashed items; this module lists the trash, defines which
//! items a trash view holds ([`where_clause`]), and purges what has been in
//! the trash longer than the retention ([`purge`]).

pub mod purge;
pub mod sample;

use super::estimate::{self, Sampling, Verdict};
use super::list_sql::{self, Reach};
use super::{post_tally, Arg, Db, Dialect, EntitySql, GuildScope, Sql};
use crate::error::AppError;
use crate::model::filter::EXPIRING_WITHIN_DAYS;
use crate::model::search::Search;
use crate::model::{Entity, Platform, TrashFilter, TrashItem, TrashPage};
use chrono::{DateTime, Duration, Utc};

/// Trashed items are purged this long after their deletion
/// (`RETENTION_DAYS`), and the trash views count days left against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub now: DateTime<Utc>,
    pub retention: Duration,
}

impl Window {
    pub const DEFAULT_RETENTION_DAYS: i64 = 30;

    /// Items deleted at or before this are due for the purge.
    pub fn purge_cutoff(&self) -> DateTime<Utc> {
        self.now - self.retention
    }

    /// Items deleted at or before this are purged within the warning window.
    pub fn expiring_cutoff(&self) -> DateTime<Utc> {
        self.now + Duration::days(EXPIRING_WITHIN_DAYS) - self.retention
    }
}

/// ` WHERE …`: the trashed items of the guild a trash view shows, for a
/// query over [`EntitySql::from_trash`] (posts join their account as `a`).
pub(crate) fn where_clause(
    sql: &mut Sql,
    dialect: Dialect,
    scope: &GuildScope,
    entity: Entity,
    f: &TrashFilter,
    window: Window,
    reach: Reach,
) {
    filter_clause(sql, scope, entity, f, window);
    and_search(sql, dialect, scope, entity, f, reach);
}

/// ` AND …` for the search box, reaching its matches as `reach` says.
fn and_search(
    sql: &mut Sql,
    dialect: Dialect,
    scope: &GuildScope,
    entity: Entity,
    f: &TrashFilter,
    reach: Reach,
) {
    if let Some(cond) = search_condition(sql, dialect, scope, entity, f, reach) {
        sql.push(&format!(" AND {cond}"));
    }
}

/// The search box as a condition on the item, if it has one.
fn search_condition(
    sql: &mut Sql,
    dialect: Dialect,
    scope: &GuildScope,
    entity: Entity,
    f: &TrashFilter,
    reach: Reach,
) -> Option<String> {
    match Search::parse(&f.q) {
        Search::Everything => None,
        Search::Text(q) => Some(match entity {
            Entity::Accounts => {
                list_sql::matches_any(sql, dialect, &q, &["a.display_name", "a.handle"])
            }
            Entity::Posts => {
                let g = sql.arg(Arg::Int(scope.guild_id()));
                let handle = list_sql::matches_any(sql, dialect, &q, &["h.handle"]);
                let accounts =
                    format!("SELECT h.id FROM accounts h WHERE h.guild_id = {g} AND {handle}");
                list_sql::caption_or_account(sql, dialect, "p", &q, &accounts, reach)
            }
        }),
        Search::HandlePrefix(prefix) => {
            Some(list_sql::prefix_range(sql, dialect, "a.handle", &prefix))
        }
    }
}

/// Every condition of the view but the search box.
fn filter_clause(
    sql: &mut Sql,
    scope: &GuildScope,
    entity: Entity,
    f: &TrashFilter,
    window: Window,
) {
    let x = EntitySql::of(entity).alias();
    sql.push(&format!(" WHERE {x}.guild_id = "))
        .bind(scope.guild_id())
        .push(&format!(" AND {x}.deleted_at IS NOT NULL"));
    if let Some(platform) = f.platform {
        sql.push(&format!(" AND {x}.platform = "))
            .bind(platform.as_str());
    }
    if let Some(batch) = &f.batch {
        sql.push(&format!(" AND {x}.delete_batch_id = "))
            .bind(batch.clone());
    }
    if f.expiring {
        sql.push(&format!(" AND {x}.deleted_at <= "))
            .bind(window.expiring_cutoff());
    }
}

/// The FROM of a trash view's count and of its page's ids. A post needs its account (`a`) only
/// to match a handle prefix; every post has one (a NOT NULL foreign key),
/// so without the join the count is the same and skips looking up the
/// account of each post (283,884 lookups in the bench's trash).
fn count_from(entity: Entity, f: &TrashFilter) -> &'static str {
    let vocab = EntitySql::of(entity);
    match (entity, Search::parse(&f.q)) {
        (Entity::Posts, Search::HandlePrefix(_)) => vocab.from_trash(),
        _ => vocab.from_table(),
    }
}

/// In SQL, whether the item over alias `x` lost its group (`col` =
/// "group") or brand ("brand") while in the trash: it had one when deleted,
/// and the group's deletion has since set the foreign key to NULL.
pub(crate) fn gone_sql(x: &str, col: &str) -> String {
    format!("({x}.deleted_{col}_id IS NOT NULL AND {x}.{col}_id IS NULL)")
}

/// In SQL, whether the item over alias `x` comes back unassigned.
pub(crate) fn unassigned_sql(x: &str) -> String {
    format!("({} OR {})", gone_sql(x, "group"), gone_sql(x, "brand"))
}

/// In SQL, the trashed posts of the account aliased `account` that were
/// deleted together with it.
pub(crate) fn posts_deleted_with(account: &str) -> String {
    format!(
        "(SELECT COUNT(*) FROM posts q WHERE q.account_id = {account}.id \
         AND q.deleted_at IS NOT NULL AND q.delete_batch_id = {account}.delete_batch_id)"
    )
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    platform: String,
    handle: String,
    text: String,
    group_name: Option<String>,
    brand_name: Option<String>,
    group_gone: i64,
    brand_gone: i64,
    deleted_at: DateTime<Utc>,
    deleted_by: Option<String>,
    batch_id: Option<String>,
    posts: i64,
    account_in_trash: Option<i64>,
}

/// One page of the trash view `f`, newest deletion first, with the counts
/// the page shows around it.
pub async fn list(
    db: &Db,
    scope: &GuildScope,
    f: &TrashFilter,
    window: Window,
) -> Result<TrashPage, AppError> {
    list_sampling(db, scope, f, window, Sampling::DEFAULT).await
}

/// [`list`], with a caption search's total decided by a sample of this
/// size (see [`estimate`]), as the Posts page does.
pub async fn list_sampling(
    db: &Db,
    scope: &GuildScope,
    f: &TrashFilter,
    window: Window,
    sampling: Sampling,
) -> Result<TrashPage, AppError> {
    let entity = f.show;
    let dialect = db.dialect();
    let search = Search::parse(&f.q);
    // Only posts are many enough to need it; accounts are counted.
    let sample = if entity == Entity::Posts && matches!(search, Search::Text(_)) {
        let sample = sample_sql(dialect, scope, f, window, sampling);
        Some(estimate::take(db, &sample).await?)
    } else {
        None
    };
    let verdict = sample.as_ref().map(|s| s.verdict(sampling));
    // The page's ids, when the sample holds them.
    let held = sample
        .as_ref()
        .and_then(|s| estimate::page_of(s, sampling, f.page, f.page_size));
    let reach = match verdict {
        Some(Verdict::Rare) => Reach::Lookup,
        _ => Reach::Walk,
    };
    let vocab = EntitySql::of(entity);
    let x = vocab.alias();
    let gone = |col: &str| {
        format!(
            "CAST(CASE WHEN {} THEN 1 ELSE 0 END AS BIGINT)",
            gone_sql(x, col)
        )
    };
    let (text, posts, account_in_trash) = match entity {
        Entity::Accounts => (
            "a.display_name",
            posts_deleted_with(x),
            "CAST(NULL AS BIGINT)",
        ),
        Entity::Posts => (
            "p.caption",
            "CAST(0 AS BIGINT)".to_string(),
            "CASE WHEN a.deleted_at IS NOT NULL THEN a.id END",
        ),
    };
    let mut sql = Sql::new(format!(
        "SELECT {x}.id, {x}.platform, a.handle, {text} AS text, g.name AS group_name, \
         br.name AS brand_name, {} AS group_gone, {} AS brand_gone, {x}.deleted_at, \
         u.display_name AS deleted_by, {x}.delete_batch_id AS batch_id, {posts} AS posts, \
         {account_in_trash} AS account_in_trash{} \
         LEFT JOIN account_groups g ON g.id = {x}.group_id \
         LEFT JOIN brands br ON br.id = {x}.brand_id \
         LEFT JOIN users u ON u.id = {x}.deleted_by",
        gone("group"),
        gone("brand"),
        vocab.from_trash()
    ));
    let order = format!(" ORDER BY {x}.deleted_at DESC, {x}.id DESC");
    // Past the first page, the page's ids first, as the Posts page does
    // (posts::page_sql): an OFFSET runs the joins above for every row it
    // skips.
    let ids_first = f.page > 1;
    match held {
        Some([]) => {
            sql.push(" WHERE 1 = 0");
        }
        Some(ids) => {
            sql.push(&format!(
                " WHERE {x}.id IN {}{order}",
                estimate::id_literals(ids)
            ));
        }
        None => {
            if ids_first {
                sql.push(&format!(
                    " WHERE {x}.id IN (SELECT {x}.id{}",
                    count_from(entity, f)
                ));
            }
            filter_clause(&mut sql, scope, entity, f, window);
            and_search(&mut sql, dialect, scope, entity, f, reach);
            sql.push(&order);
            list_sql::page(&mut sql, f.page, f.page_size);
            if ids_first {
                sql.push(")").push(&order);
            }
        }
    }

    // What to count: the view itself, or (for an estimate) the view without
    // its search; nothing when the sample or the totals below say it.
    let filtered = f.platform.is_some() || f.batch.is_some() || f.expiring;
    let count_of = |with_search: Option<Reach>| {
        let mut count = Sql::new(format!("SELECT COUNT(*){}", count_from(entity, f)));
        filter_clause(&mut count, scope, entity, f, window);
        if let Some(reach) = with_search {
            and_search(&mut count, dialect, scope, entity, f, reach);
        }
        count
    };
    // The total without the search: from the trash tally where one is kept
    // for these filters (PostgreSQL), otherwise counted.
    let unsearched =
        || post_tally::trashed_total_sql(dialect, scope, f).unwrap_or_else(|| count_of(None));
    let count = match verdict {
        Some(Verdict::Exact(_)) => None,
        Some(Verdict::Common { .. }) => filtered.then(unsearched),
        Some(Verdict::Rare) => Some(count_of(Some(Reach::Lookup))),
        None if search == Search::Everything => filtered.then(unsearched),
        None => Some(count_of(Some(reach))),
    };

    let (rows, counted, expiring, totals) = futures::try_join!(
        db.fetch_all::<Row>(&sql),
        async {
            match &count {
                Some(count) => db.fetch_i64(count).await.map(Some),
                None => Ok(None),
            }
        },
        expiring_count(db, scope, window),
        totals(db, scope),
    )?;
    // Unfiltered, the view's total is one of the totals.
    let counted = counted.unwrap_or(match entity {
        Entity::Accounts => totals.0,
        Entity::Posts => totals.1,
    });
    let (total, estimated) = match verdict {
        Some(Verdict::Exact(total)) => (total, false),
        Some(Verdict::Common { share }) => (estimate::estimate(share, counted), true),
        _ => (counted, false),
    };
    let items = rows
        .into_iter()
        .map(|r| {
            let platform = Platform::parse(&r.platform).ok_or_else(|| {
                tracing::error!(id = r.id, platform = %r.platform, "unknown platform in trash");
                AppError::Internal
            })?;
            Ok(TrashItem {
                id: r.id,
                platform,
                handle: r.handle,
                text: r.text,
                group: r.group_name,
                brand: r.brand_name,
                group_gone: r.group_gone != 0,
                brand_gone: r.brand_gone != 0,
                deleted_at: r.deleted_at,
                deleted_by: r.deleted_by,
                batch_id: r.batch_id,
                purge_at: r.deleted_at + window.retention,
                posts: r.posts,
                account_in_trash: r.account_in_trash,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(TrashPage {
        entity,
        items,
        total,
        estimated,
        page: f.page,
        page_size: f.page_size,
        expiring,
        accounts_total: totals.0,
        posts_total: totals.1,
        retention_days: window.retention.num_days(),
        now: window.now,
    })
}

/// The caption search tested on the first `sampling.rows` trashed posts of
/// the view without it, newest deletion first, with the first matches up
/// to this page's end (see [`estimate`]).
fn sample_sql(
    dialect: Dialect,
    scope: &GuildScope,
    f: &TrashFilter,
    window: Window,
    sampling: Sampling,
) -> Sql {
    let mut sql = Sql::default();
    let cond = search_condition(&mut sql, dialect, scope, Entity::Posts, f, Reach::Rows)
        .unwrap_or_else(|| "1 = 1".into());
    estimate::query(
        &mut sql,
        &cond,
        "SELECT p.id, p.caption, p.account_id, p.deleted_at FROM posts p",
        |sql| filter_clause(sql, scope, Entity::Posts, f, window),
        " ORDER BY p.deleted_at DESC, p.id DESC",
        sampling,
        i64::from(f.page) * i64::from(f.page_size),
    );
    sql
}

/// Trashed accounts and posts of the guild purged within the warning window.
pub async fn expiring_count(db: &Db, scope: &GuildScope, window: Window) -> Result<i64, AppError> {
    let sql = Sql::bound(
        "SELECT (SELECT COUNT(*) FROM accounts WHERE guild_id = $1 AND deleted_at IS NOT NULL \
         AND deleted_at <= $2) + (SELECT COUNT(*) FROM posts WHERE guild_id = $1 \
         AND deleted_at IS NOT NULL AND deleted_at <= $2)",
        vec![
            Arg::Int(scope.guild_id()),
            Arg::Time(window.expiring_cutoff()),
        ],
    );
    db.fetch_i64(&sql).await
}

/// (accounts, posts) in the guild's trash: posts from the trash tally
/// where one is kept (PostgreSQL), accounts counted (they are few).
async fn totals(db: &Db, scope: &GuildScope) -> Result<(i64, i64), AppError> {
    let count = |table: &str| {
        Sql::bound(
            format!("SELECT COUNT(*) FROM {table} WHERE guild_id = $1 AND deleted_at IS NOT NULL"),
            vec![Arg::Int(scope.guild_id())],
        )
    };
    let posts =
        post_tally::every_trashed_sql(db.dialect(), scope).unwrap_or_else(|| count("posts"));
    let accounts = count("accounts");
    futures::try_join!(db.fetch_i64(&accounts), db.fetch_i64(&posts))
}
