//! The kept tallies of each guild's live and trashed posts on PostgreSQL:
//! the totals of the lists that need no count.
//!
//! Triggers keep them in the same transaction as every change to `posts`
//! (migrations `post_tallies`, which says why each is a ledger of changes,
//! `post_trash_tallies` and `post_view_tallies`).
//! Counting a guild's posts on PostgreSQL is an index-only scan that slows
//! down with every write until a vacuum, and a million posts took 40–50 ms
//! even then; the tally's few hundred rows take about a millisecond.
//!
//! SQLite keeps no tally: its count reads the index alone whatever was
//! written (about 25 ms for a million posts), and a trigger per row would
//! slow its bulk actions and ingest, which meet their targets.

use super::{list_sql, Db, Dialect, GuildScope, Sql};
use crate::error::AppError;
use crate::model::filter::Assigned;
use crate::model::{Entity, Platform, PostFilter, TrashFilter};

/// One kept tally: its table, the columns of its key besides the guild,
/// and the column holding each row's change.
struct Ledger {
    table: &'static str,
    key: &'static str,
    count: &'static str,
}

/// Live posts, by what the Posts page filters on without a range.
const LIVE: Ledger = Ledger {
    table: "post_tallies",
    key: "account_id, platform, group_id, brand_id",
    count: "live",
};

/// Trashed posts, by what Deleted Items filters on without a range.
const TRASHED: Ledger = Ledger {
    table: "post_trash_tallies",
    key: "platform, batch_id",
    count: "trashed",
};

/// Live posts by their views' floor, for lists with a minimum of views.
const BY_VIEWS: Ledger = Ledger {
    table: "post_view_tallies",
    key: "platform, group_id, brand_id, view_floor",
    count: "live",
};

const LEDGERS: [Ledger; 3] = [LIVE, TRASHED, BY_VIEWS];

/// The total of the guild's live posts matching `f` without its search,
/// from the tallies, when the database keeps them and `f` has no date
/// range: by platform, group, brand and account from the live tally; with
/// a minimum of views, by platform, group and brand from the views tally
/// (a list of one account with a minimum of views is counted).
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
    if dialect != Dialect::Postgres || from.is_some() || to.is_some() {
        return None;
    }
    let Some(min) = *min_views else {
        let mut sql = Sql::new("SELECT COALESCE(SUM(t.live), 0)::BIGINT FROM post_tallies t");
        sql.push(" WHERE t.guild_id = ").bind(scope.guild_id());
        and_kept_by(&mut sql, *platform, *brand, *group);
        if let Some(account) = account {
            sql.push(" AND t.account_id = ").bind(*account);
        }
        return Some(sql);
    };
    let floor = view_floor_from(min)?;
    if account.is_some() {
        return None;
    }
    let mut sql = Sql::new(
        "SELECT ((SELECT COALESCE(SUM(t.live), 0) FROM post_view_tallies t WHERE t.guild_id = ",
    );
    sql.bind(scope.guild_id());
    and_kept_by(&mut sql, *platform, *brand, *group);
    sql.push(" AND t.view_floor >= ").bind(floor).push(")");
    if floor > min {
        // The posts between the minimum and the next floor up: at most a
        // step of the scale, counted.
        sql.push(" + (SELECT COUNT(*) FROM posts p");
        super::posts::filter_clause(&mut sql, scope, f);
        sql.push(" AND p.views < ").bind(floor).push(")");
    }
    sql.push(")::BIGINT");
    Some(sql)
}

/// ` AND …` for the platform, brand and group filters over a tally `t`:
/// the live and views tallies both keep them.
fn and_kept_by(
    sql: &mut Sql,
    platform: Option<Platform>,
    brand: Option<Assigned>,
    group: Option<Assigned>,
) {
    if let Some(platform) = platform {
        sql.push(" AND t.platform = ").bind(platform.as_str());
    }
    list_sql::assigned(sql, "t.brand_id", brand);
    list_sql::assigned(sql, "t.group_id", group);
}

/// The top of the views tally's scale: the database files every post with
/// more views under it (`view_floor`).
const TOP_VIEW_FLOOR: i64 = 1_000_000_000_000;

/// The smallest floor of the views tally at or above `min`: the 1-2-5
/// scale (0, 1, 2, 5, 10, 20, 50, …) that the database's `view_floor`
/// files posts under (migration `post_view_tallies`). `None` above the
/// scale's top, where a minimum is counted.
pub(crate) fn view_floor_from(min: i64) -> Option<i64> {
    if min <= 0 {
        return Some(0);
    }
    let mut step: i64 = 1;
    while step <= TOP_VIEW_FLOOR {
        for m in [1, 2, 5] {
            let floor = step * m;
            if floor >= min && floor <= TOP_VIEW_FLOOR {
                return Some(floor);
            }
        }
        step *= 10;
    }
    None
}

/// The total of the guild's trashed posts in the Deleted Items view `f`
/// without its search, from the trash tally, when the database keeps one
/// and `f` shows posts filtered only by platform and deletion batch (not
/// "purged within 7 days", a range of deletion times).
pub(crate) fn trashed_total_sql(
    dialect: Dialect,
    scope: &GuildScope,
    f: &TrashFilter,
) -> Option<Sql> {
    // Every field named, as in total_sql.
    let TrashFilter {
        show,
        q: _, // the caller's: this is the total without the search
        platform,
        batch,
        expiring,
        page: _,
        page_size: _,
    } = f;
    if *show != Entity::Posts || *expiring {
        return None;
    }
    trashed_sql(dialect, scope, *platform, batch.as_deref())
}

/// The total of every trashed post of the guild, from the trash tally when
/// the database keeps one.
pub(crate) fn every_trashed_sql(dialect: Dialect, scope: &GuildScope) -> Option<Sql> {
    trashed_sql(dialect, scope, None, None)
}

fn trashed_sql(
    dialect: Dialect,
    scope: &GuildScope,
    platform: Option<Platform>,
    batch: Option<&str>,
) -> Option<Sql> {
    if dialect != Dialect::Postgres {
        return None;
    }
    let mut sql = Sql::new("SELECT COALESCE(SUM(t.trashed), 0)::BIGINT FROM post_trash_tallies t");
    sql.push(" WHERE t.guild_id = ").bind(scope.guild_id());
    if let Some(platform) = platform {
        sql.push(" AND t.platform = ").bind(platform.as_str());
    }
    if let Some(batch) = batch {
        sql.push(" AND t.batch_id = ").bind(batch.to_string());
    }
    Some(sql)
}

/// Folds the guild's rows of each tally into one per key, dropping keys whose sum
/// is zero; the sums stay the same. Each write to the guild's posts adds
/// rows, so a bulk run of 100,000 posts adds a few thousand, and reading
/// the total gets slower until they are folded. A writer beside it is not
/// held up: it only adds rows, which this leaves alone. Does nothing on
/// SQLite.
pub async fn fold(db: &Db, guild_id: i64) -> Result<(), AppError> {
    for ledger in &LEDGERS {
        fold_one(db, ledger, guild_id).await?;
    }
    Ok(())
}

/// [`fold`], for one of the tallies.
async fn fold_one(db: &Db, ledger: &Ledger, guild_id: i64) -> Result<(), AppError> {
    if db.dialect() != Dialect::Postgres {
        return Ok(());
    }
    let Ledger { table, key, count } = ledger;
    let mut sql = Sql::new(format!(
        "WITH folded AS (DELETE FROM {table} WHERE guild_id = "
    ));
    sql.bind(guild_id).push(&format!(
        " RETURNING guild_id, {key}, {count}) \
         INSERT INTO {table} (guild_id, {key}, {count}) \
         SELECT guild_id, {key}, SUM({count}) FROM folded \
         GROUP BY guild_id, {key} HAVING SUM({count}) <> 0"
    ));
    db.execute(&sql).await?;
    Ok(())
}

/// Rows a guild's tally may hold beyond one per key before
/// [`fold_grown`] folds it.
const SPARE_ROWS: i64 = 500;

/// Folds each tally of every guild whose tally has grown by more than
/// [`SPARE_ROWS`] rows since it was last folded; the server's upkeep calls
/// it every few seconds. Returns how many tallies it folded.
pub async fn fold_grown(db: &Db) -> Result<usize, AppError> {
    if db.dialect() != Dialect::Postgres {
        return Ok(0);
    }
    let mut folded = 0;
    for ledger in &LEDGERS {
        let Ledger { table, key, .. } = ledger;
        let mut sql = Sql::new(format!(
            "SELECT guild_id AS id FROM {table} GROUP BY guild_id \
             HAVING COUNT(*) > COUNT(DISTINCT ({key})) + "
        ));
        sql.bind(SPARE_ROWS);
        let grown = db.fetch_all::<GuildId>(&sql).await?;
        for guild in &grown {
            fold_one(db, ledger, guild.id).await?;
        }
        folded += grown.len();
    }
    Ok(folded)
}

#[derive(sqlx::FromRow)]
struct GuildId {
    id: i64,
}

#[cfg(test)]
mod tests {
    use super::view_floor_from;

    #[test]
    fn a_minimum_of_views_starts_at_the_next_floor_of_the_one_two_five_scale() {
        let floors: Vec<Option<i64>> =
            [0, 1, 2, 3, 5, 6, 10, 11, 99_999, 100_000, 100_001, 150_000]
                .into_iter()
                .map(view_floor_from)
                .collect();
        let expected = [
            0, 1, 2, 5, 5, 10, 10, 20, 100_000, 100_000, 200_000, 200_000,
        ];
        assert_eq!(floors, expected.map(Some));
        assert_eq!(view_floor_from(600_000_000_000), Some(1_000_000_000_000));
        assert_eq!(view_floor_from(1_000_000_000_000), Some(1_000_000_000_000));
        assert_eq!(view_floor_from(1_000_000_000_001), None);
        assert_eq!(view_floor_from(i64::MAX), None);
    }
}
