//! The kept tally of each guild's live posts on PostgreSQL: the totals of
//! the lists that need no count.
//!
//! Triggers keep it in the same transaction as every change to `posts`
//! (migration `post_tallies`, which says why it is a ledger of changes).
//! Counting a guild's posts on PostgreSQL is an index-only scan that slows
//! down with every write until a vacuum, and a million posts took 40–50 ms
//! even then; the tally's few hundred rows take about a millisecond.
//!
//! SQLite keeps no tally: its count reads the index alone whatever was
//! written (about 25 ms for a million posts), and a trigger per row would
//! slow its bulk actions and ingest, which meet their targets.

use super::{list_sql, Db, Dialect, GuildScope, Sql};
use crate::error::AppError;
use crate::model::PostFilter;

/// The total of the guild's live posts matching `f` without its search,
/// from the tally, when the database keeps one and `f` filters only by what
/// the tally is kept by (platform, group, brand, account): no date range,
/// no minimum of views.
pub(crate) fn total_sql(dialect: Dialect, scope: &GuildScope, f: &PostFilter) -> Option<Sql> {
    // Every field named, so that a new filter cannot be left out of the
    // total unnoticed: it must be added here, one way or the other.
    let PostFilter {
        q: _, // the caller's: this is the total without the search
        platform,
        brand,
        group,
        account,
        from,
        to,
        min_views,
        sort: _,
        page: _,
        page_size: _,
    } = f;
    let kept_by_tally = from.is_none() && to.is_none() && min_views.is_none();
    if dialect != Dialect::Postgres || !kept_by_tally {
        return None;
    }
    let mut sql = Sql::new("SELECT COALESCE(SUM(t.live), 0)::BIGINT FROM post_tallies t");
    sql.push(" WHERE t.guild_id = ").bind(scope.guild_id());
    if let Some(platform) = platform {
        sql.push(" AND t.platform = ").bind(platform.as_str());
    }
    list_sql::assigned(&mut sql, "t.brand_id", *brand);
    list_sql::assigned(&mut sql, "t.group_id", *group);
    if let Some(account) = account {
        sql.push(" AND t.account_id = ").bind(*account);
    }
    Some(sql)
}

/// Folds the guild's tally rows into one per key, dropping keys whose sum
/// is zero; the sums stay the same. Each write to the guild's posts adds
/// rows, so a bulk run of 100,000 posts adds a few thousand, and reading
/// the total gets slower until they are folded. A writer beside it is not
/// held up: it only adds rows, which this leaves alone. Does nothing on
/// SQLite.
pub async fn fold(db: &Db, guild_id: i64) -> Result<(), AppError> {
    if db.dialect() != Dialect::Postgres {
        return Ok(());
    }
    let mut sql = Sql::new("WITH folded AS (DELETE FROM post_tallies WHERE guild_id = ");
    sql.bind(guild_id).push(
        " RETURNING guild_id, account_id, platform, group_id, brand_id, live) \
         INSERT INTO post_tallies (guild_id, account_id, platform, group_id, brand_id, live) \
         SELECT guild_id, account_id, platform, group_id, brand_id, SUM(live) FROM folded \
         GROUP BY guild_id, account_id, platform, group_id, brand_id \
         HAVING SUM(live) <> 0",
    );
    db.execute(&sql).await?;
    Ok(())
}

/// Rows a guild's tally may hold beyond one per key before
/// [`fold_grown`] folds it.
const SPARE_ROWS: i64 = 500;

/// Folds every guild whose tally has grown by more than [`SPARE_ROWS`]
/// rows since it was last folded; the server's upkeep calls it every few
/// seconds. Returns how many guilds it folded.
pub async fn fold_grown(db: &Db) -> Result<usize, AppError> {
    if db.dialect() != Dialect::Postgres {
        return Ok(0);
    }
    let mut sql = Sql::new(
        "SELECT guild_id AS id FROM post_tallies GROUP BY guild_id \
         HAVING COUNT(*) > COUNT(DISTINCT (account_id, platform, group_id, brand_id)) + ",
    );
    sql.bind(SPARE_ROWS);
    let grown = db.fetch_all::<GuildId>(&sql).await?;
    for guild in &grown {
        fold(db, guild.id).await?;
    }
    Ok(grown.len())
}

#[derive(sqlx::FromRow)]
struct GuildId {
    id: i64,
}
