//! Reading tracked accounts.

use super::{list_sql, Arg, Db, GuildScope, Sql};
use crate::error::AppError;
use crate::model::search::Search;
use crate::model::{Account, AccountFilter, AccountSort, AccountStatus, Named, Page, Platform};
use chrono::{DateTime, Utc};

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    platform: String,
    handle: String,
    display_name: String,
    profile_url: String,
    group_id: Option<i64>,
    group_name: Option<String>,
    brand_id: Option<i64>,
    brand_name: Option<String>,
    status: String,
    followers: i64,
    post_count: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

pub(super) fn named(id: Option<i64>, name: Option<String>) -> Option<Named> {
    Some(Named {
        id: id?,
        name: name?,
    })
}

impl TryFrom<AccountRow> for Account {
    type Error = AppError;
    fn try_from(r: AccountRow) -> Result<Self, AppError> {
        let bad = |what: &str, v: &str| {
            tracing::error!(account = r.id, "unknown {what} “{v}” in accounts");
            AppError::Internal
        };
        Ok(Account {
            id: r.id,
            platform: Platform::parse(&r.platform).ok_or_else(|| bad("platform", &r.platform))?,
            status: AccountStatus::parse(&r.status).ok_or_else(|| bad("status", &r.status))?,
            handle: r.handle,
            display_name: r.display_name,
            profile_url: r.profile_url,
            group: named(r.group_id, r.group_name),
            brand: named(r.brand_id, r.brand_name),
            followers: r.followers,
            post_count: r.post_count,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// The WHERE clause of the account list (live accounts of the guild that
/// match the filter), shared by the page query and the count.
pub(crate) fn where_clause(
    sql: &mut Sql,
    dialect: super::Dialect,
    scope: &GuildScope,
    f: &AccountFilter,
) {
    sql.push(" WHERE a.guild_id = ")
        .bind(scope.guild_id())
        .push(" AND a.deleted_at IS NULL");
    match Search::parse(&f.q) {
        Search::Everything => {}
        Search::Text(text) => {
            list_sql::contains(sql, dialect, &text, &["a.handle", "a.display_name"])
        }
        Search::HandlePrefix(prefix) => list_sql::prefix(sql, dialect, "a.handle", &prefix),
    }
    if let Some(platform) = f.platform {
        sql.push(" AND a.platform = ").bind(platform.as_str());
    }
    if let Some(status) = f.status {
        sql.push(" AND a.status = ").bind(status.as_str());
    }
    list_sql::assigned(sql, "a.brand_id", f.brand);
    list_sql::assigned(sql, "a.group_id", f.group);
}

/// The ORDER BY of a sort; exports list items in the order the page shows.
pub(crate) fn order_by(sort: AccountSort) -> &'static str {
    match sort {
        AccountSort::Handle => " ORDER BY a.handle, a.id",
        AccountSort::MostFollowers => " ORDER BY a.followers DESC, a.id",
        AccountSort::Newest => " ORDER BY a.created_at DESC, a.id DESC",
    }
}

/// How many live posts account `a` has, in SQL. The guild is named too,
/// though an account's posts are all in its guild: with both columns of
/// posts_live_by_account given, SQLite counts from that index alone. Given
/// only the account, it chose posts_by_account and read every post to
/// check `deleted_at`: 150 ms for a page of 50 accounts of a
/// 1,000,000-post guild, measured (issue 15's load test).
pub(crate) const LIVE_POST_COUNT: &str = "(SELECT COUNT(*) FROM posts q \
     WHERE q.account_id = a.id AND q.guild_id = a.guild_id AND q.deleted_at IS NULL)";

/// One page of the guild's live accounts matching `f`, with the total.
pub async fn list(
    db: &Db,
    scope: &GuildScope,
    f: &AccountFilter,
) -> Result<Page<Account>, AppError> {
    let mut sql = Sql::new(format!(
        "SELECT a.id, a.platform, a.handle, a.display_name, a.profile_url, \
         a.group_id, g.name AS group_name, a.brand_id, b.name AS brand_name, a.status, a.followers, \
         {LIVE_POST_COUNT} AS post_count, \
         a.created_at, a.updated_at \
         FROM accounts a \
         LEFT JOIN account_groups g ON g.id = a.group_id \
         LEFT JOIN brands b ON b.id = a.brand_id",
    ));
    where_clause(&mut sql, db.dialect(), scope, f);
    sql.push(order_by(f.sort));
    list_sql::page(&mut sql, f.page, f.page_size);

    let mut count = Sql::new("SELECT COUNT(*) FROM accounts a");
    where_clause(&mut count, db.dialect(), scope, f);

    let (rows, total) = futures::try_join!(db.fetch_all::<AccountRow>(&sql), db.fetch_i64(&count))?;
    Ok(Page {
        estimated: false,
        items: rows
            .into_iter()
            .map(Account::try_from)
            .collect::<Result<_, _>>()?,
        total,
        page: f.page,
        page_size: f.page_size,
    })
}

/// The handle of one live account of the guild, for the "posts of @x"
/// filter chip. Not found for accounts of other guilds.
pub async fn handle_of(db: &Db, scope: &GuildScope, account_id: i64) -> Result<String, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        handle: String,
    }
    let sql = Sql::bound(
        "SELECT handle FROM accounts WHERE id = $1 AND guild_id = $2 AND deleted_at IS NULL",
        vec![Arg::Int(account_id), Arg::Int(scope.guild_id())],
    );
    db.fetch_optional::<Row>(&sql)
        .await?
        .map(|r| r.handle)
        .ok_or_else(|| {
            AppError::not_found(format!(
                "There is no account with id {account_id} in this guild."
            ))
        })
}
