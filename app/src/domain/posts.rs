//! Reading tracked posts.

use super::accounts::named;
use super::{list_sql, Arg, Db, Dialect, GuildScope, Sql};
use crate::error::AppError;
use crate::model::search::Search;
use crate::model::{Page, Platform, Post, PostFilter, PostSort};
use chrono::{DateTime, Days, NaiveTime, Utc};

#[derive(sqlx::FromRow)]
struct PostRow {
    id: i64,
    account_id: i64,
    account_handle: String,
    platform: String,
    url: String,
    caption: String,
    posted_at: DateTime<Utc>,
    views: i64,
    likes: i64,
    comments: i64,
    shares: i64,
    group_id: Option<i64>,
    group_name: Option<String>,
    brand_id: Option<i64>,
    brand_name: Option<String>,
    created_at: DateTime<Utc>,
}

impl TryFrom<PostRow> for Post {
    type Error = AppError;
    fn try_from(r: PostRow) -> Result<Self, AppError> {
        let platform = Platform::parse(&r.platform).ok_or_else(|| {
            tracing::error!(post = r.id, platform = %r.platform, "unknown platform in posts");
            AppError::Internal
        })?;
        Ok(Post {
            id: r.id,
            account_id: r.account_id,
            account_handle: r.account_handle,
            platform,
            url: r.url,
            caption: r.caption,
            posted_at: r.posted_at,
            views: r.views,
            likes: r.likes,
            comments: r.comments,
            shares: r.shares,
            group: named(r.group_id, r.group_name),
            brand: named(r.brand_id, r.brand_name),
            created_at: r.created_at,
        })
    }
}

fn day_start(d: chrono::NaiveDate) -> DateTime<Utc> {
    d.and_time(NaiveTime::MIN).and_utc()
}

/// The WHERE clause of the post list, shared by the page query and the count.
pub(crate) fn where_clause(sql: &mut Sql, dialect: Dialect, scope: &GuildScope, f: &PostFilter) {
    let g = sql.arg(Arg::Int(scope.guild_id()));
    sql.push(&format!(" WHERE p.guild_id = {g} AND p.deleted_at IS NULL"));
    match Search::parse(&f.q) {
        Search::Everything => {}
        Search::Text(text) => {
            // Caption text (by the caption index), or the handle/name of the
            // post's account (a scan of the guild's accounts, which are few).
            let account =
                list_sql::matches_any(sql, dialect, &text, &["a.handle", "a.display_name"]);
            let accounts =
                format!("SELECT a.id FROM accounts a WHERE a.guild_id = {g} AND {account}");
            let cond = list_sql::caption_or_account(sql, dialect, "p", &text, &accounts);
            sql.push(&format!(" AND {cond}"));
        }
        Search::HandlePrefix(prefix) => {
            // The accounts come from the live-handle index; their posts from
            // `posts_live_by_account`.
            sql.push(&format!(
                " AND p.account_id IN (SELECT a.id FROM accounts a WHERE a.guild_id = {g} AND a.deleted_at IS NULL"
            ));
            list_sql::prefix(sql, dialect, "a.handle", &prefix);
            sql.push(")");
        }
    }
    if let Some(platform) = f.platform {
        sql.push(" AND p.platform = ").bind(platform.as_str());
    }
    list_sql::assigned(sql, "p.brand_id", f.brand);
    list_sql::assigned(sql, "p.group_id", f.group);
    if let Some(account) = f.account {
        sql.push(" AND p.account_id = ").bind(account);
    }
    if let Some(from) = f.from {
        sql.push(" AND p.posted_at >= ").bind(day_start(from));
    }
    if let Some(to) = f.to {
        // Inclusive: everything before the start of the next day.
        let next = to.checked_add_days(Days::new(1)).unwrap_or(to);
        sql.push(" AND p.posted_at < ").bind(day_start(next));
    }
    if let Some(min) = f.min_views {
        sql.push(" AND p.views >= ").bind(min);
    }
}

/// The ORDER BY of a sort; exports list items in the order the page shows.
pub(crate) fn order_by(sort: PostSort) -> &'static str {
    match sort {
        PostSort::Newest => " ORDER BY p.posted_at DESC, p.id DESC",
        PostSort::Oldest => " ORDER BY p.posted_at, p.id",
        PostSort::MostViewed => " ORDER BY p.views DESC, p.id DESC",
        PostSort::MostLiked => " ORDER BY p.likes DESC, p.id DESC",
    }
}

/// A text search on PostgreSQL with at most this many matches finds them
/// all through the caption index and sorts them; with more, it walks the
/// sort's index until the page is full (see [`list`]).
const FEW_MATCHES: i64 = 5_000;

const PAGE_COLUMNS: &str = "SELECT p.id, p.account_id, a.handle AS account_handle, p.platform, \
     p.url, p.caption, p.posted_at, p.views, p.likes, p.comments, p.shares, \
     p.group_id, g.name AS group_name, p.brand_id, b.name AS brand_name, p.created_at \
     FROM posts p \
     JOIN accounts a ON a.id = p.account_id \
     LEFT JOIN account_groups g ON g.id = p.group_id \
     LEFT JOIN brands b ON b.id = p.brand_id";

/// One page of the guild's live posts matching `f`, with the total.
pub async fn list(db: &Db, scope: &GuildScope, f: &PostFilter) -> Result<Page<Post>, AppError> {
    let dialect = db.dialect();
    let mut count = Sql::new("SELECT COUNT(*) FROM posts p");
    where_clause(&mut count, dialect, scope, f);

    let text_on_postgres =
        dialect == Dialect::Postgres && matches!(Search::parse(&f.q), Search::Text(_));
    let (rows, total) = if text_on_postgres {
        // PostgreSQL's planner cannot tell a rare text from a common one, so
        // it walks the sort's index testing each post: for a text that
        // matches nothing, that read all of a million posts (6 s). The
        // count, which the trigram index answers, tells them apart first.
        let total = db.fetch_i64(&count).await?;
        let rows = if total == 0 {
            Vec::new()
        } else {
            db.fetch_all::<PostRow>(&page_sql(dialect, scope, f, total <= FEW_MATCHES))
                .await?
        };
        (rows, total)
    } else {
        let page = page_sql(dialect, scope, f, false);
        futures::try_join!(db.fetch_all::<PostRow>(&page), db.fetch_i64(&count))?
    };
    Ok(Page {
        items: rows
            .into_iter()
            .map(Post::try_from)
            .collect::<Result<_, _>>()?,
        total,
        page: f.page,
        page_size: f.page_size,
    })
}

/// The page query. With `find_all_first`, the matches are found by the
/// WHERE clause's own indexes into a materialized set and only then
/// joined and sorted, instead of walking the sort's index.
///
/// Past the first page, the page's ids are found first and only they are
/// joined to their account, group and brand: both databases run an
/// OFFSET's joins for every row they skip, and page 2,000 skips 49,975
/// (PostgreSQL 186 ms, SQLite 80 ms before, measured).
fn page_sql(dialect: Dialect, scope: &GuildScope, f: &PostFilter, find_all_first: bool) -> Sql {
    let mut sql = Sql::default();
    if find_all_first {
        sql.push("WITH m AS MATERIALIZED (SELECT p.id FROM posts p");
        where_clause(&mut sql, dialect, scope, f);
        sql.push(&format!(
            ") {PAGE_COLUMNS} WHERE p.id IN (SELECT id FROM m)"
        ));
    } else if f.page > 1 {
        sql.push(&format!(
            "{PAGE_COLUMNS} WHERE p.id IN (SELECT p.id FROM posts p"
        ));
        where_clause(&mut sql, dialect, scope, f);
        sql.push(order_by(f.sort));
        list_sql::page(&mut sql, f.page, f.page_size);
        sql.push(")").push(order_by(f.sort));
        return sql;
    } else {
        sql.push(PAGE_COLUMNS);
        where_clause(&mut sql, dialect, scope, f);
    }
    sql.push(order_by(f.sort));
    list_sql::page(&mut sql, f.page, f.page_size);
    sql
}
