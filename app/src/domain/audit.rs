//! The guild's audit log. Entries are written in the same transaction as
//! the change they describe, many rows per INSERT, and read back by the
//! Audit log page.

use super::audit_item::{self, ItemFacts};
use super::db::Tx;
use super::discord::mirror;
use super::{Arg, Db, Dialect, GuildScope, Sql};
use crate::error::AppError;
use crate::model::filter::AUDIT_PAGE_SIZE;
use crate::model::{AuditEntry, AuditFilter, Page, Role};
use chrono::{DateTime, Days, NaiveTime, Utc};

/// Rows per INSERT: 10 values each stays far below both backends' limits on
/// bind parameters (SQLite 32,766; PostgreSQL 65,535).
const ROWS_PER_INSERT: usize = 1000;

#[derive(Debug, Clone)]
pub struct Entry {
    pub actor_id: Option<i64>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<i64>,
    pub summary: String,
    /// JSON text.
    pub details: Option<String>,
    pub batch_id: Option<String>,
    /// A batch summary's number of item entries, kept so that the log need
    /// not count them on every page (`None` for every other entry).
    pub item_count: Option<i64>,
}

impl Entry {
    /// An entry with no target, details or batch: a settings or member
    /// change, said in its summary.
    pub fn said(actor_id: Option<i64>, action: &str, summary: String) -> Self {
        Self {
            actor_id,
            action: action.into(),
            target_type: None,
            target_id: None,
            summary,
            details: None,
            batch_id: None,
            item_count: None,
        }
    }
}

/// Writes `entries` for `guild_id` at `at`.
pub async fn record(
    tx: &mut Tx,
    dialect: Dialect,
    guild_id: i64,
    at: DateTime<Utc>,
    entries: &[Entry],
) -> Result<(), AppError> {
    // Summaries the guild posts to Discord are written one by one, for
    // their ids (the post links to its entry), in their place among the
    // rest; the mirror is read only when there may be one to post.
    let mirror = if entries.iter().any(mirror::may_post) {
        mirror::active(tx, guild_id).await?
    } else {
        None
    };
    let posted = |e: &Entry| mirror.as_ref().is_some_and(|m| m.wants(e));
    let mut rest = entries;
    while !rest.is_empty() {
        let plain = rest.iter().take_while(|e| !posted(e)).count();
        let (batch, after) = rest.split_at(plain);
        for chunk in batch.chunks(ROWS_PER_INSERT) {
            let mut sql = Sql::new(INSERT_ENTRIES);
            for (i, e) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                let row = entry_row(&mut sql, dialect, guild_id, at, e);
                sql.push(&row);
            }
            tx.execute(&sql).await?;
        }
        let (Some((e, after)), Some(m)) = (after.split_first(), &mirror) else {
            break;
        };
        let id = insert_one(tx, dialect, guild_id, at, e).await?;
        mirror::queue(tx, m, guild_id, id, at, e).await?;
        rest = after;
    }
    Ok(())
}

async fn insert_one(
    tx: &mut Tx,
    dialect: Dialect,
    guild_id: i64,
    at: DateTime<Utc>,
    e: &Entry,
) -> Result<i64, AppError> {
    let mut sql = Sql::new(INSERT_ENTRIES);
    let row = entry_row(&mut sql, dialect, guild_id, at, e);
    sql.push(&row).push(" RETURNING id");
    tx.fetch_i64(&sql).await
}

const INSERT_ENTRIES: &str = "INSERT INTO audit_log (guild_id, actor_id, action, target_type, \
     target_id, summary, details, batch_id, item_count, created_at) VALUES ";

/// The `VALUES` row of `e`, its values bound to `sql`.
fn entry_row(
    sql: &mut Sql,
    dialect: Dialect,
    guild_id: i64,
    at: DateTime<Utc>,
    e: &Entry,
) -> String {
    sql.values_row(
        dialect,
        vec![
            Arg::Int(guild_id),
            Arg::OptInt(e.actor_id),
            Arg::Text(e.action.clone()),
            opt_text(&e.target_type),
            Arg::OptInt(e.target_id),
            Arg::Text(e.summary.clone()),
            opt_text(&e.details),
            opt_text(&e.batch_id),
            Arg::OptInt(e.item_count),
            Arg::Time(at),
        ],
    )
}

/// Writes one entry for `guild_id` at `at` and returns its id, for an
/// entry that [`revise`] will bring up to date as its work goes on.
pub async fn record_one(
    tx: &mut Tx,
    dialect: Dialect,
    guild_id: i64,
    at: DateTime<Utc>,
    e: &Entry,
) -> Result<i64, AppError> {
    let id = insert_one(tx, dialect, guild_id, at, e).await?;
    if mirror::may_post(e) {
        if let Some(m) = mirror::active(tx, guild_id).await? {
            if m.wants(e) {
                mirror::queue(tx, &m, guild_id, id, at, e).await?;
            }
        }
    }
    Ok(id)
}

/// Rewrites the summary and details of entry `id`, in the transaction of
/// the work they now describe: work done in steps (the automatic purge)
/// keeps one entry that always tells what has been done so far, even when
/// a later step never comes.
pub async fn revise(
    tx: &mut Tx,
    id: i64,
    summary: &str,
    details: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    tx.execute(&Sql::bound(
        "UPDATE audit_log SET summary = $1, details = $2 WHERE id = $3",
        vec![
            Arg::Text(summary.to_string()),
            Arg::Text(details.to_string()),
            Arg::Int(id),
        ],
    ))
    .await?;
    mirror::revised(tx, id, now).await
}

fn opt_text(v: &Option<String>) -> Arg {
    Arg::OptText(v.clone())
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    created_at: DateTime<Utc>,
    actor: Option<String>,
    action: String,
    target_type: Option<String>,
    target_id: Option<i64>,
    summary: String,
    details: Option<String>,
    batch_id: Option<String>,
    items: i64,
    #[sqlx(flatten)]
    facts: ItemFacts,
}

impl From<Row> for AuditEntry {
    fn from(r: Row) -> Self {
        let details: Option<serde_json::Value> = r
            .details
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok());
        let text = |key: &str| {
            details
                .as_ref()
                .and_then(|d| d.get(key))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        // Item entries of bulk actions store facts and are worded here;
        // every other entry (and item entries written before) stored its
        // sentence.
        let worded = r
            .target_id
            .and_then(|id| audit_item::sentence(&r.action, r.target_type.as_deref(), id, &r.facts));
        AuditEntry {
            id: r.id,
            at: r.created_at,
            actor: r.actor,
            summary: worded.unwrap_or(r.summary),
            action: r.action,
            reason: text("reason"),
            selection: text("selection"),
            batch_id: r.batch_id,
            items: r.items,
        }
    }
}

/// The columns of an entry, then its `items`: how many item entries a
/// summary has ([`ITEMS_OF_SUMMARY`]) or none ([`NO_ITEMS`]).
const SELECT: &str = "SELECT l.id, l.created_at, u.display_name AS actor, l.action, \
     l.target_type, l.target_id, l.summary, l.details, l.batch_id, l.item_handle, \
     l.item_platform, l.item_text, l.item_posts, l.item_unassigned, l.group_from, l.group_to, \
     l.brand_from, l.brand_to, ";
const FROM: &str = " AS items FROM audit_log l LEFT JOIN users u ON u.id = l.actor_id";
/// Summaries written before `item_count` (migration
/// `…_audit_summary_item_count`) have their items counted.
const ITEMS_OF_SUMMARY: &str = "CASE WHEN l.batch_id IS NULL OR l.target_id IS NOT NULL THEN 0 \
     WHEN l.item_count IS NOT NULL THEN l.item_count \
     ELSE (SELECT COUNT(*) FROM audit_log i WHERE i.batch_id = l.batch_id \
     AND i.target_id IS NOT NULL) END";
/// A batch's item entries have no items of their own. Leaving the count
/// out of their query matters even though it would never run: PostgreSQL
/// prices it per row, and the price of 283,884 rows made it JIT-compile
/// the query (226 ms of a 270 ms page, measured).
const NO_ITEMS: &str = "CAST(0 AS BIGINT)";

/// Who may read the log: the members who can change things.
fn require_reader(scope: &GuildScope) -> Result<(), AppError> {
    scope.require(Role::Editor, "see the audit log")
}

/// The members, for the log's "who" filter: readers of the log only.
pub async fn actors(db: &Db, scope: &GuildScope) -> Result<Vec<crate::model::Member>, AppError> {
    require_reader(scope)?;
    super::scope::member_list(db, scope).await
}

/// One page of the log, newest first: single entries and batch summaries
/// (a batch's items come from [`batch_items`]).
pub async fn list(
    db: &Db,
    scope: &GuildScope,
    f: &AuditFilter,
) -> Result<Page<AuditEntry>, AppError> {
    require_reader(scope)?;
    let mut filter = Sql::default();
    // Written exactly as the partial index audit_top_by_time says, so
    // SQLite's planner can use it.
    filter
        .push(" WHERE l.guild_id = ")
        .bind(scope.guild_id())
        .push(" AND (l.target_id IS NULL OR l.batch_id IS NULL)");
    if let Some(action) = &f.action {
        filter.push(" AND l.action = ").bind(action.clone());
    }
    if let Some(actor) = &f.actor {
        filter
            .push(" AND l.actor_id IN (SELECT id FROM users WHERE username = ")
            .bind(actor.clone())
            .push(")");
    }
    if let Some(from) = f.from {
        filter
            .push(" AND l.created_at >= ")
            .bind(from.and_time(NaiveTime::MIN).and_utc());
    }
    if let Some(to) = f.to {
        let next = to.checked_add_days(Days::new(1)).unwrap_or(to);
        filter
            .push(" AND l.created_at < ")
            .bind(next.and_time(NaiveTime::MIN).and_utc());
    }
    let page = f.page.max(1);
    let count = Sql::bound(
        format!("SELECT COUNT(*) FROM audit_log l{}", filter.text),
        filter.args.clone(),
    );
    fetch_page(
        db,
        ITEMS_OF_SUMMARY,
        filter,
        count,
        " ORDER BY l.created_at DESC, l.id DESC",
        page,
    )
    .await
}

/// Page `page` of the entries matching `filter` (a WHERE clause over
/// `audit_log l`), in `order`, with their total, which `count` gives.
async fn fetch_page(
    db: &Db,
    items: &str,
    filter: Sql,
    count: Sql,
    order: &str,
    page: u32,
) -> Result<Page<AuditEntry>, AppError> {
    // Past the first page, the page's ids first, as the Posts page does:
    // an OFFSET over whole entries reads every skipped entry from the table
    // (145 ms for page 2,000 of a big delete's items on PostgreSQL), over
    // their ids it reads the index alone.
    let ids_first = page > 1;
    let head = if ids_first {
        format!("{SELECT}{items}{FROM} WHERE l.id IN (SELECT l.id FROM audit_log l")
    } else {
        format!("{SELECT}{items}{FROM}")
    };
    let mut rows = Sql::bound(format!("{head}{}{order}", filter.text), filter.args);
    super::list_sql::page(&mut rows, page, AUDIT_PAGE_SIZE);
    if ids_first {
        rows.push(")").push(order);
    }
    let (rows, total) = futures::try_join!(db.fetch_all::<Row>(&rows), db.fetch_i64(&count))?;
    Ok(Page {
        estimated: false,
        items: rows.into_iter().map(AuditEntry::from).collect(),
        total,
        page,
        page_size: AUDIT_PAGE_SIZE,
    })
}

/// One page of a batch's item entries, in the order they were written.
pub async fn batch_items(
    db: &Db,
    scope: &GuildScope,
    batch_id: &str,
    page: u32,
) -> Result<Page<AuditEntry>, AppError> {
    require_reader(scope)?;
    let args = vec![Arg::Int(scope.guild_id()), Arg::Text(batch_id.into())];
    let filter = Sql::bound(
        " WHERE l.guild_id = $1 AND l.batch_id = $2 AND l.target_id IS NOT NULL",
        args.clone(),
    );
    // The batch's summary keeps how many item entries it has: reading it
    // is a lookup, where counting a 283,884-item delete took 112-142 ms on
    // PostgreSQL. A batch still running has no summary yet, and one
    // written before `item_count` has none there: those are counted.
    // (COALESCE runs the count only when the first value is missing.)
    let count = Sql::bound(
        format!(
            "SELECT COALESCE((SELECT s.item_count FROM audit_log s \
             WHERE s.batch_id = $2 AND s.guild_id = $1 AND s.target_id IS NULL \
             AND s.item_count IS NOT NULL ORDER BY s.id DESC LIMIT 1), \
             (SELECT COUNT(*) FROM audit_log l{}))",
            filter.text
        ),
        args,
    );
    fetch_page(db, NO_ITEMS, filter, count, " ORDER BY l.id", page.max(1)).await
}
