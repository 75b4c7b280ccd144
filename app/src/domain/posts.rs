//! Reading tracked posts.

use super::accounts::named;
use super::db::like_contains;
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
            // Caption text, or the handle/name of the post's account.
            let p = sql.arg(Arg::Text(like_contains(&text)));
            let like = dialect.ilike();
            sql.push(&format!(
                " AND (p.caption {like} {p} ESCAPE '\\' OR p.account_id IN (SELECT a.id FROM accounts a \
                 WHERE a.guild_id = {g} AND (a.handle {like} {p} ESCAPE '\\' OR a.display_name {like} {p} ESCAPE '\\')))"
            ));
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

/// One page of the guild's live posts matching `f`, with the total.
pub async fn list(db: &Db, scope: &GuildScope, f: &PostFilter) -> Result<Page<Post>, AppError> {
    let mut sql = Sql::new(
        "SELECT p.id, p.account_id, a.handle AS account_handle, p.platform, p.url, p.caption, \
         p.posted_at, p.views, p.likes, p.comments, p.shares, \
         p.group_id, g.name AS group_name, p.brand_id, b.name AS brand_name, p.created_at \
         FROM posts p \
         JOIN accounts a ON a.id = p.account_id \
         LEFT JOIN account_groups g ON g.id = p.group_id \
         LEFT JOIN brands b ON b.id = p.brand_id",
    );
    where_clause(&mut sql, db.dialect(), scope, f);
    sql.push(order_by(f.sort));
    list_sql::page(&mut sql, f.page, f.page_size);

    let mut count = Sql::new("SELECT COUNT(*) FROM posts p");
    where_clause(&mut count, db.dialect(), scope, f);

    let (rows, total) = futures::try_join!(db.fetch_all::<PostRow>(&sql), db.fetch_i64(&count))?;
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
