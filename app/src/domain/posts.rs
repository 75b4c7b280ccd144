//! Reading tracked posts.

use super::accounts::named;
use super::estimate::{self, Sampling, Verdict};
use super::list_sql::{self, Reach};
use super::post_tally;
use super::{Arg, Db, Dialect, GuildScope, Sql};
use crate::error::AppError;
use crate::model::filter::Assigned;
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

/// The WHERE clause of the post list, shared by the page query, the count,
/// selections and exports, reaching a search's matches as `reach` says
/// ([`list_sql::exact_reach`] picks it for exact counts).
pub(crate) fn where_clause(
    sql: &mut Sql,
    dialect: Dialect,
    scope: &GuildScope,
    f: &PostFilter,
    reach: Reach,
) {
    filter_clause(sql, scope, f);
    and_search(sql, dialect, scope, &Search::parse(&f.q), reach);
}

/// ` AND …` for the search box, reaching its matches as `reach` says.
fn and_search(sql: &mut Sql, dialect: Dialect, scope: &GuildScope, search: &Search, reach: Reach) {
    if let Some(cond) = search_condition(sql, dialect, scope, search, reach) {
        sql.push(&format!(" AND {cond}"));
    }
}

/// The search box as a condition on the post aliased `p`, if it has one.
fn search_condition(
    sql: &mut Sql,
    dialect: Dialect,
    scope: &GuildScope,
    search: &Search,
    reach: Reach,
) -> Option<String> {
    match search {
        Search::Everything => None,
        Search::Text(text) => {
            // Caption text (by the caption index), or the handle/name of the
            // post's account (a scan of the guild's accounts, which are few).
            let g = sql.arg(Arg::Int(scope.guild_id()));
            let account =
                list_sql::matches_any(sql, dialect, text, &["a.handle", "a.display_name"]);
            let accounts =
                format!("SELECT a.id FROM accounts a WHERE a.guild_id = {g} AND {account}");
            Some(list_sql::caption_or_account(
                sql, dialect, "p", text, &accounts, reach,
            ))
        }
        Search::HandlePrefix(prefix) => {
            // The accounts come from the live-handle index; their posts from
            // `posts_live_by_account`, whichever the reach: a handle prefix
            // matches few accounts, and the planner picks well between
            // their posts and the page's index.
            let g = sql.arg(Arg::Int(scope.guild_id()));
            let range = list_sql::prefix_range(sql, dialect, "a.handle", prefix);
            Some(format!(
                "p.account_id IN (SELECT a.id FROM accounts a WHERE a.guild_id = {g} \
                 AND a.deleted_at IS NULL AND {range})"
            ))
        }
    }
}

/// Every condition of the filter bar but the search box.
pub(crate) fn filter_clause(sql: &mut Sql, scope: &GuildScope, f: &PostFilter) {
    filter_clause_on(sql, scope, f, Served::Indexed);
}

/// [`filter_clause`] for a count.
///
/// A brand or group with a date range also names every platform. In
/// `posts_live_by_brand` and `…_by_group` the platform sits between the
/// brand or group and the date, so without it the date cannot bound the
/// scan: the count read the brand's whole section of the index
/// (PostgreSQL, "brand + 30 days": 21 → 6 ms warm; SQLite chose the date's
/// index and read table rows, 141 → 1 ms; BENCHMARKS.md). Every post has
/// one of them. Not for the page: its list would no longer come out of the
/// index in date order.
///
/// On SQLite, a minimum of views without a brand, group or account is
/// counted from the views index alone, which holds each post's platform
/// and posting time (migration `views_index_holds_platform_and_date`). The
/// planner chose the platform's or the date's index and read a table row
/// per post for its views ("platform + min views": 361 ms at p95 for a
/// million posts); the views index bounds the count by its entries at or
/// above the minimum (all of them at worst: about 40–60 ms for a million).
fn count_clause(sql: &mut Sql, dialect: Dialect, scope: &GuildScope, f: &PostFilter) {
    let by_views = dialect == Dialect::Sqlite
        && f.min_views.is_some()
        && f.brand.is_none()
        && f.group.is_none()
        && f.account.is_none();
    if by_views {
        filter_clause_on(sql, scope, f, Served::ViewsIndex);
        return;
    }
    filter_clause(sql, scope, f);
    let ranged = f.from.is_some() || f.to.is_some();
    if f.platform.is_none() && ranged && (f.brand.is_some() || f.group.is_some()) {
        let every: Vec<String> = Platform::ALL
            .iter()
            .map(|p| format!("'{}'", p.as_str()))
            .collect();
        sql.push(&format!(" AND p.platform IN ({})", every.join(", ")));
    }
}

/// Which of SQLite's indexes may serve the filter bar's conditions. A `+`
/// before a column keeps SQLite from using an index on it; the condition
/// is then tested on what another index yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Served {
    /// Any condition by its own index, as the planner picks.
    Indexed,
    /// `+p.posted_at`, `+p.brand_id`, `+p.group_id`: the date range,
    /// brand and group are tested on the posts the sort's index yields.
    SortIndex,
    /// `+p.platform` and `+p.posted_at`: both are tested on the entries of
    /// `posts_live_by_views` that a minimum of views reaches.
    ViewsIndex,
}

/// At least this many posts in a date range, brand or group sorted by views
/// or likes, and SQLite walks the sort's index rather than sort them (see
/// [`list`]). Walking meets the page after about 25 × list ÷ matches
/// entries (9,000 for 2,000 of 716,000); sorting 2,000 posts costs about as
/// little.
const WALK_SORT_FROM: i64 = 2_000;

/// [`filter_clause`], its conditions served as `served` says.
fn filter_clause_on(sql: &mut Sql, scope: &GuildScope, f: &PostFilter, served: Served) {
    let (platform_col, posted) = match served {
        Served::Indexed => ("p.platform", "p.posted_at"),
        Served::SortIndex => ("p.platform", "+p.posted_at"),
        Served::ViewsIndex => ("+p.platform", "+p.posted_at"),
    };
    let (brand_col, group_col) = match served {
        Served::SortIndex => ("+p.brand_id", "+p.group_id"),
        Served::Indexed | Served::ViewsIndex => ("p.brand_id", "p.group_id"),
    };
    sql.push(" WHERE p.guild_id = ")
        .bind(scope.guild_id())
        .push(" AND p.deleted_at IS NULL");
    if let Some(platform) = f.platform {
        sql.push(&format!(" AND {platform_col} = "))
            .bind(platform.as_str());
    }
    list_sql::assigned(sql, brand_col, f.brand);
    list_sql::assigned(sql, group_col, f.group);
    if let Some(account) = f.account {
        sql.push(" AND p.account_id = ").bind(account);
    }
    if let Some(from) = f.from {
        sql.push(&format!(" AND {posted} >= "))
            .bind(day_start(from));
    }
    if let Some(to) = f.to {
        // Inclusive: everything before the start of the next day.
        let next = to.checked_add_days(Days::new(1)).unwrap_or(to);
        sql.push(&format!(" AND {posted} < ")).bind(day_start(next));
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

/// The page's columns and joins. The account is joined on `+p.account_id`
/// so that the accounts can never drive the join: on SQLite, a guild whose
/// posts are all live had its date-range pages planned as a scan of the
/// accounts, each account's posts in the range through
/// `posts_live_by_account`, and a sort of the whole range ("last 30 days",
/// 84,000 posts: 163 ms for the page instead of 0.6; SQLite 3.46, the bench
/// guild before its TikTok delete). The posts' own index drives instead.
const PAGE_COLUMNS: &str = "SELECT p.id, p.account_id, a.handle AS account_handle, p.platform, \
     p.url, p.caption, p.posted_at, p.views, p.likes, p.comments, p.shares, \
     p.group_id, g.name AS group_name, p.brand_id, b.name AS brand_name, p.created_at \
     FROM posts p \
     JOIN accounts a ON a.id = +p.account_id \
     LEFT JOIN account_groups g ON g.id = p.group_id \
     LEFT JOIN brands b ON b.id = p.brand_id";

/// One page of the guild's live posts matching `f`, with the total.
pub async fn list(db: &Db, scope: &GuildScope, f: &PostFilter) -> Result<Page<Post>, AppError> {
    list_sampling(db, scope, f, Sampling::DEFAULT).await
}

/// [`list`], with a search's total decided by a sample of this size
/// (see [`estimate`]); tests use small ones.
pub async fn list_sampling(
    db: &Db,
    scope: &GuildScope,
    f: &PostFilter,
    sampling: Sampling,
) -> Result<Page<Post>, AppError> {
    let dialect = db.dialect();
    let search = Search::parse(&f.q);
    // The count of the list, with its search reached so (or without it).
    let counted = |with_search: Option<Reach>| {
        let mut count = count_sql(dialect, scope, f);
        if let Some(reach) = with_search {
            and_search(&mut count, dialect, scope, &search, reach);
        }
        count
    };
    // The total without the search: from the tally where one is kept for
    // these filters (PostgreSQL), otherwise counted.
    let unsearched = || post_tally::total_sql(dialect, scope, f).unwrap_or_else(|| counted(None));
    let page_and = |reach: Reach, count: Sql| async move {
        let page = page_sql(dialect, scope, f, reach);
        futures::try_join!(db.fetch_all::<PostRow>(&page), db.fetch_i64(&count))
    };
    let (rows, total, estimated) = if let Some(unindexed) = unindexed(dialect, f) {
        list_unindexed(db, scope, f, &unindexed, sampling).await?
    } else if search == Search::Everything && sorts_by_a_metric(dialect, f) {
        // SQLite serves a date range, brand or group from its index and
        // sorts all of its posts by views or likes (126 ms for a range of
        // 59,000 posts, 207 ms for a group of 99,000), where walking the
        // sort's index finds the page at once (0.1 ms, measured from
        // Python's sqlite3). Counted first, so a narrow list, which is
        // cheap to sort and slow to walk to, keeps its index.
        let total = db.fetch_i64(&counted(None)).await?;
        let served = if total >= WALK_SORT_FROM {
            Served::SortIndex
        } else {
            Served::Indexed
        };
        let page = page_sql_on(dialect, scope, f, Reach::Walk, served);
        (db.fetch_all::<PostRow>(&page).await?, total, false)
    } else if search == Search::Everything {
        let (rows, total) = page_and(Reach::Walk, unsearched()).await?;
        (rows, total, false)
    } else {
        // The sample, and beside it the list's total without the search:
        // an estimate's base, which costs about what the sample does.
        let sample = sample_sql(dialect, scope, f, &search, sampling);
        let base = unsearched();
        let (sample, base) = futures::try_join!(estimate::take(db, &sample), db.fetch_i64(&base))?;
        let held = estimate::page_of(&sample, sampling, f.page, f.page_size);
        let total = match sample.verdict(sampling) {
            Verdict::Exact(total) => Some((total, false)),
            Verdict::Common { share } => Some((estimate::estimate(share, base), true)),
            Verdict::Rare => None,
        };
        match (held, total) {
            (Some(ids), Some((total, estimated))) => (by_ids(db, f, ids).await?, total, estimated),
            (None, Some((total, estimated))) => {
                let page = page_sql(dialect, scope, f, Reach::Walk);
                (db.fetch_all::<PostRow>(&page).await?, total, estimated)
            }
            // A rare search is counted through its index; walking the
            // sort's index would read the whole list for it (PostgreSQL
            // took 6 s for a text that matched nothing).
            (Some(ids), None) => {
                let count = counted(Some(Reach::Lookup));
                let (rows, total) = futures::try_join!(by_ids(db, f, ids), db.fetch_i64(&count))?;
                (rows, total, false)
            }
            (None, None) => {
                let (rows, total) = page_and(Reach::Lookup, counted(Some(Reach::Lookup))).await?;
                (rows, total, false)
            }
        }
    };
    Ok(Page {
        items: rows
            .into_iter()
            .map(Post::try_from)
            .collect::<Result<_, _>>()?,
        total,
        estimated,
        page: f.page,
        page_size: f.page_size,
    })
}

/// The count of the list `f` without its search.
fn count_sql(dialect: Dialect, scope: &GuildScope, f: &PostFilter) -> Sql {
    let mut count = Sql::new("SELECT COUNT(*) FROM posts p");
    count_clause(&mut count, dialect, scope, f);
    count
}

/// The conditions of a list that SQLite's indexes cannot serve beside its
/// brand or group, so that its exact count reads a table row per post of
/// the brand or group. `posts_live_by_brand` and `…_by_group` hold neither
/// the views nor each other: "brand + min views" read each of the brand's
/// 220,000 posts for its views (250 ms at p95 for a million posts), the
/// same with a group 152 ms, "brand + group" 111. Adding them to those
/// indexes would double a reassign's cost or triple that of new view counts, and a
/// tally kept by triggers (what PostgreSQL has) costs a reassign 60–80 %
/// (BENCHMARKS.md). And a search's sample, the first posts of the brand or
/// group in date order, walked the date index reading every post's row
/// until it had enough of the group's ("group + text": 92 ms). So the total
/// of such a list is had from a sample of the list without them, taken
/// platform by platform ([`list_unindexed`]).
#[derive(Debug, Clone, PartialEq)]
struct Unindexed {
    /// The list without them, which an index counts and yields in date
    /// order platform by platform.
    drive: PostFilter,
    min_views: Option<i64>,
    /// The group, when a brand is what drives.
    group: Option<Assigned>,
    search: Search,
}

/// A list's [`Unindexed`] conditions: on SQLite, a minimum of views, a
/// group or a search with a brand, or a minimum of views or a search with a
/// group. An account's posts are few and are counted.
fn unindexed(dialect: Dialect, f: &PostFilter) -> Option<Unindexed> {
    let assigned = f.brand.is_some() || f.group.is_some();
    if dialect != Dialect::Sqlite || f.account.is_some() || !assigned {
        return None;
    }
    let group = f.group.filter(|_| f.brand.is_some());
    let search = Search::parse(&f.q);
    if f.min_views.is_none() && group.is_none() && search == Search::Everything {
        return None;
    }
    Some(Unindexed {
        drive: PostFilter {
            min_views: None,
            group: if group.is_some() { None } else { f.group },
            q: String::new(),
            ..f.clone()
        },
        min_views: f.min_views,
        group,
        search,
    })
}

impl Unindexed {
    /// The conditions over the post aliased `p` (its id, platform, caption,
    /// account, views and group), their values bound in `sql`.
    fn condition(&self, sql: &mut Sql, dialect: Dialect, scope: &GuildScope) -> String {
        let mut parts = Vec::new();
        if let Some(min) = self.min_views {
            parts.push(format!("p.views >= {}", sql.arg(Arg::Int(min))));
        }
        match self.group {
            Some(Assigned::To(id)) => {
                parts.push(format!("p.group_id = {}", sql.arg(Arg::Int(id))));
            }
            Some(Assigned::Unassigned) => parts.push("p.group_id IS NULL".into()),
            None => {}
        }
        parts.extend(search_condition(
            sql,
            dialect,
            scope,
            &self.search,
            Reach::Rows,
        ));
        parts.join(" AND ")
    }

    /// Each platform's first `each` posts of the list without the
    /// conditions, newest first (oldest with `oldest_first`), each marked
    /// when it matches them: one query, so that a search's caption matches
    /// are looked up once.
    fn sample_sql(
        &self,
        dialect: Dialect,
        scope: &GuildScope,
        platforms: &[Platform],
        each: i64,
        oldest_first: bool,
    ) -> Sql {
        let mut sql = Sql::default();
        let cond = self.condition(&mut sql, dialect, scope);
        // `MATERIALIZED`: otherwise SQLite copies the test into each
        // platform's part and builds a search's list of caption matches once
        // per platform (78 ms instead of 36 for "dance" in a group).
        sql.push("WITH s AS MATERIALIZED (");
        let order = if oldest_first { "" } else { " DESC" };
        for (i, platform) in platforms.iter().enumerate() {
            let one = PostFilter {
                platform: Some(*platform),
                ..self.drive.clone()
            };
            if i > 0 {
                sql.push(" UNION ALL ");
            }
            sql.push(
                "SELECT * FROM (SELECT p.id, p.platform, p.caption, p.account_id, p.views, \
                 p.group_id, p.posted_at FROM posts p",
            );
            filter_clause(&mut sql, scope, &one);
            sql.push(&format!(" ORDER BY p.posted_at{order} LIMIT "))
                .bind(each)
                .push(&format!(") s{i}"));
        }
        sql.push(&format!(
            ") SELECT p.id, p.platform, p.posted_at, \
             CAST(CASE WHEN {cond} THEN 1 ELSE 0 END AS BIGINT) AS hit FROM s p"
        ));
        sql
    }
}

/// A post of an [`Unindexed`] list's sample.
#[derive(sqlx::FromRow)]
struct SampledRow {
    id: i64,
    platform: String,
    posted_at: DateTime<Utc>,
    hit: i64,
}

/// The first `need` matches of a sample taken platform by platform, in
/// date order (`posted_at`, then id, as the page sorts), if they are the
/// list's: when every platform whose sample is full (`each` posts) reaches
/// past the last of them, no post the sample left out can come before it.
fn held_matches(
    rows: &[SampledRow],
    each: i64,
    need: usize,
    oldest_first: bool,
) -> Option<Vec<i64>> {
    let in_order = |a: &&SampledRow, b: &&SampledRow| {
        let order = (a.posted_at, a.id).cmp(&(b.posted_at, b.id));
        if oldest_first {
            order
        } else {
            order.reverse()
        }
    };
    let mut hits: Vec<&SampledRow> = rows.iter().filter(|r| r.hit == 1).collect();
    hits.sort_by(in_order);
    hits.truncate(need);
    let ids = || hits.iter().map(|r| r.id).collect();
    // Each full platform's last date: the sample's edge in that platform.
    let mut edges: std::collections::HashMap<&str, (i64, DateTime<Utc>)> = Default::default();
    for r in rows {
        let (seen, edge) = edges.entry(r.platform.as_str()).or_insert((0, r.posted_at));
        *seen += 1;
        *edge = if oldest_first {
            (*edge).max(r.posted_at)
        } else {
            (*edge).min(r.posted_at)
        };
    }
    let full: Vec<DateTime<Utc>> = edges
        .values()
        .filter(|(seen, _)| *seen >= each)
        .map(|(_, edge)| *edge)
        .collect();
    if full.is_empty() {
        return Some(ids());
    }
    let last = hits.last().filter(|_| hits.len() == need)?.posted_at;
    // Strictly: a platform's posts of the edge's own date may go on past
    // its sample.
    let within = |edge: &DateTime<Utc>| {
        if oldest_first {
            last < *edge
        } else {
            last > *edge
        }
    };
    full.iter().all(within).then(ids)
}

/// A list with [`Unindexed`] conditions: its rows and its total, which is
/// exact when the sample holds the whole list or finds its matches rare,
/// and otherwise estimated from it ([`estimate::Stratum`]).
///
/// The sample is taken platform by platform, each platform's newest posts
/// of the list without the conditions, in its index's order: about 2 ms a
/// platform for a million posts. Taken as a search's is, the list's newest
/// posts whatever their platform, SQLite walked the date index and read a
/// table row for every post of the guild until it had enough of the
/// group's (80 ms for a group of 99,000); merged from each platform's
/// newest, it sorted each platform's posts whole (176 ms), its indexes not
/// holding the id that breaks ties of date. And not in the page's order:
/// in order of views (or of likes, which follow them) the first posts are
/// those a minimum of views keeps, and their share says nothing of the
/// rest. In date order the page usually comes from the sample too
/// ([`held_matches`]); otherwise it is found on its own.
async fn list_unindexed(
    db: &Db,
    scope: &GuildScope,
    f: &PostFilter,
    unindexed: &Unindexed,
    sampling: Sampling,
) -> Result<(Vec<PostRow>, i64, bool), AppError> {
    let dialect = db.dialect();
    let platforms: Vec<Platform> = match unindexed.drive.platform {
        Some(one) => vec![one],
        None => Platform::ALL.to_vec(),
    };
    let each = (sampling.rows / platforms.len() as i64).max(1);
    let oldest_first = f.sort == PostSort::Oldest;
    let sample = unindexed.sample_sql(dialect, scope, &platforms, each, oldest_first);
    let counts = platforms.iter().map(|platform| async move {
        let one = PostFilter {
            platform: Some(*platform),
            ..unindexed.drive.clone()
        };
        db.fetch_i64(&count_sql(dialect, scope, &one)).await
    });
    let (rows, counts) = futures::try_join!(
        db.fetch_all::<SampledRow>(&sample),
        futures::future::try_join_all(counts)
    )?;
    let strata: Vec<estimate::Stratum> = platforms
        .iter()
        .zip(counts)
        .map(|(platform, total)| {
            let own = rows.iter().filter(|r| r.platform == platform.as_str());
            estimate::Stratum {
                seen: own.clone().count() as i64,
                matched: own.filter(|r| r.hit == 1).count() as i64,
                total,
            }
        })
        .collect();
    let (total, estimated) = match estimate::stratified(&strata, each, sampling) {
        (Verdict::Exact(total), _) => (total, false),
        // A brand or group small enough to count is counted: "about" is
        // for lists too big for that. A search's matches are tested on the
        // brand's or group's rows, as in its sample.
        (_, base) if base <= sampling.exact_up_to => {
            let mut count = count_sql(dialect, scope, f);
            and_search(&mut count, dialect, scope, &unindexed.search, Reach::Walk);
            (db.fetch_i64(&count).await?, false)
        }
        (Verdict::Common { share }, base) => (estimate::estimate(share, base), true),
        // A rare search is counted and found through its index, as in
        // [`list_sampling`]; walking would read the whole list for it.
        (Verdict::Rare, _) if unindexed.search != Search::Everything => {
            let mut count = count_sql(dialect, scope, f);
            and_search(&mut count, dialect, scope, &unindexed.search, Reach::Lookup);
            let page = page_sql(dialect, scope, f, Reach::Lookup);
            let (rows, total) =
                futures::try_join!(db.fetch_all::<PostRow>(&page), db.fetch_i64(&count))?;
            return Ok((rows, total, false));
        }
        // Few matches: the exact count reads the rest's rows, as before.
        (Verdict::Rare, _) => (db.fetch_i64(&count_sql(dialect, scope, f)).await?, false),
    };
    // In date order the sample usually holds the page: a search's page
    // walked for otherwise builds the list of every post of the accounts
    // whose name matches ([`Reach::Walk`]), 24 ms for "dance".
    if matches!(f.sort, PostSort::Newest | PostSort::Oldest) {
        let need = f.page as usize * f.page_size as usize;
        if let Some(first) = held_matches(&rows, each, need, oldest_first) {
            let start = (f.page.saturating_sub(1) as usize * f.page_size as usize).min(first.len());
            return Ok((by_ids(db, f, &first[start..]).await?, total, estimated));
        }
    }
    // A big list sorted by views or likes walks the sort's index.
    let served = if sorts_by_a_metric(dialect, f) && total >= WALK_SORT_FROM {
        Served::SortIndex
    } else {
        Served::Indexed
    };
    let page = page_sql_on(dialect, scope, f, Reach::Walk, served);
    Ok((db.fetch_all::<PostRow>(&page).await?, total, estimated))
}

/// A date range, brand or group sorted by views or likes, on SQLite (see
/// [`list_sampling`]).
fn sorts_by_a_metric(dialect: Dialect, f: &PostFilter) -> bool {
    let narrowed = f.from.is_some() || f.to.is_some() || f.brand.is_some() || f.group.is_some();
    dialect == Dialect::Sqlite
        && matches!(f.sort, PostSort::MostViewed | PostSort::MostLiked)
        && narrowed
}

/// The search tested on the first `sampling.rows` posts of the list without
/// it, in the page's order, with the first matches up to this page's end
/// (see [`estimate`]).
fn sample_sql(
    dialect: Dialect,
    scope: &GuildScope,
    f: &PostFilter,
    search: &Search,
    sampling: Sampling,
) -> Sql {
    const ROWS: &str =
        "SELECT p.id, p.caption, p.account_id, p.posted_at, p.views, p.likes FROM posts p";
    let mut sql = Sql::default();
    let cond = search_condition(&mut sql, dialect, scope, search, Reach::Rows)
        .unwrap_or_else(|| "1 = 1".into());
    let order = order_by(f.sort);
    let need = i64::from(f.page) * i64::from(f.page_size);
    if samples_per_platform(dialect, f) {
        // Each platform's first rows, merged in the page's order: the
        // list's first rows are among them.
        let each_platform = |sql: &mut Sql| {
            for (i, platform) in Platform::ALL.into_iter().enumerate() {
                let one = PostFilter {
                    platform: Some(platform),
                    ..f.clone()
                };
                sql.push(if i == 0 { "(" } else { " UNION ALL (" })
                    .push(ROWS);
                filter_clause(sql, scope, &one);
                sql.push(order)
                    .push(" LIMIT ")
                    .bind(sampling.rows)
                    .push(")");
            }
            sql.push(") p");
        };
        estimate::query(
            &mut sql,
            &cond,
            "SELECT p.* FROM (",
            each_platform,
            order,
            sampling,
            need,
        );
    } else {
        let rows = |sql: &mut Sql| filter_clause(sql, scope, f);
        estimate::query(&mut sql, &cond, ROWS, rows, order, sampling, need);
    }
    sql
}

/// Whether a search's sample is taken platform by platform: on PostgreSQL,
/// a brand or group without a platform, in date order. The brand's and the
/// group's indexes hold the platform before the date, so the list in date
/// order came from the date index, testing every post's brand or group
/// on its table row: "group + text" read 83,000 rows for a sample of
/// 5,000 (142 ms). Platform by platform, each arm reads its index in date
/// order and PostgreSQL merges them, stopping at the sample's end (11–19
/// ms, prepared; BENCHMARKS.md).
fn samples_per_platform(dialect: Dialect, f: &PostFilter) -> bool {
    dialect == Dialect::Postgres
        && f.platform.is_none()
        && f.account.is_none()
        && (f.brand.is_some() || f.group.is_some())
        && matches!(f.sort, PostSort::Newest | PostSort::Oldest)
}

/// The page's posts by their ids (found by the sample), in the page's order.
async fn by_ids(db: &Db, f: &PostFilter, ids: &[i64]) -> Result<Vec<PostRow>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = Sql::new(format!(
        "{PAGE_COLUMNS} WHERE p.id IN {}{}",
        estimate::id_literals(ids),
        order_by(f.sort)
    ));
    db.fetch_all::<PostRow>(&sql).await
}

/// The page query. With [`Reach::Lookup`], the matches are found by the
/// search's own index into a materialized set and only then joined and
/// sorted, instead of walking the sort's index.
///
/// Past the first page, the page's ids are found first and only they are
/// joined to their account, group and brand: both databases run an
/// OFFSET's joins for every row they skip, and page 2,000 skips 49,975
/// (PostgreSQL 186 ms, SQLite 80 ms before, measured).
fn page_sql(dialect: Dialect, scope: &GuildScope, f: &PostFilter, reach: Reach) -> Sql {
    page_sql_on(dialect, scope, f, reach, Served::Indexed)
}

/// [`page_sql`], its conditions served as `served` says.
fn page_sql_on(
    dialect: Dialect,
    scope: &GuildScope,
    f: &PostFilter,
    reach: Reach,
    served: Served,
) -> Sql {
    let search = Search::parse(&f.q);
    let mut sql = Sql::default();
    if reach == Reach::Lookup {
        sql.push("WITH m AS MATERIALIZED (SELECT p.id FROM posts p");
        filter_clause_on(&mut sql, scope, f, served);
        and_search(&mut sql, dialect, scope, &search, reach);
        sql.push(&format!(
            ") {PAGE_COLUMNS} WHERE p.id IN (SELECT id FROM m)"
        ));
    } else if f.page > 1 {
        sql.push(&format!(
            "{PAGE_COLUMNS} WHERE p.id IN (SELECT p.id FROM posts p"
        ));
        filter_clause_on(&mut sql, scope, f, served);
        and_search(&mut sql, dialect, scope, &search, reach);
        sql.push(order_by(f.sort));
        list_sql::page(&mut sql, f.page, f.page_size);
        sql.push(")").push(order_by(f.sort));
        return sql;
    } else {
        sql.push(PAGE_COLUMNS);
        filter_clause_on(&mut sql, scope, f, served);
        and_search(&mut sql, dialect, scope, &search, reach);
    }
    sql.push(order_by(f.sort));
    list_sql::page(&mut sql, f.page, f.page_size);
    sql
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn row(id: i64, platform: &str, day: u32, hit: bool) -> SampledRow {
        SampledRow {
            id,
            platform: platform.into(),
            posted_at: Utc.with_ymd_and_hms(2026, 11, day, 12, 0, 0).unwrap(),
            hit: i64::from(hit),
        }
    }

    #[test]
    fn a_platform_whose_sample_ended_holds_all_of_its_matches() {
        // Arrange: each platform's sample holds 3 posts; TikTok had only 2.
        let rows = [
            row(1, "tiktok", 20, true),
            row(2, "tiktok", 10, true),
            row(3, "youtube", 19, true),
            row(4, "youtube", 18, false),
            row(5, "youtube", 15, false),
        ];

        // Act
        let first = held_matches(&rows, 3, 2, false);

        // Assert: newest first, across platforms; YouTube's sample reaches
        // back to the 15th, past the second match (the 19th).
        assert_eq!(first, Some(vec![1, 3]));
    }

    #[test]
    fn matches_past_a_full_platform_s_edge_are_not_the_page() {
        // Arrange: YouTube's full sample ends on the 18th; the second match
        // (TikTok's, the 10th) is older, so a YouTube post between them may
        // match.
        let rows = [
            row(1, "tiktok", 20, true),
            row(2, "tiktok", 10, true),
            row(3, "youtube", 19, false),
            row(4, "youtube", 18, false),
        ];

        // Act and assert
        assert_eq!(held_matches(&rows, 2, 2, false), None);
        // Oldest first, the same sample reaches past the first match.
        assert_eq!(held_matches(&rows, 2, 1, true), Some(vec![2]));
    }

    #[test]
    fn a_match_on_the_edge_s_own_date_is_not_enough() {
        // Arrange: the last match is of the day YouTube's full sample ends,
        // whose other posts the sample may have left out.
        let rows = [
            row(1, "tiktok", 18, true),
            row(3, "youtube", 19, false),
            row(4, "youtube", 18, false),
        ];

        // Act and assert
        assert_eq!(held_matches(&rows, 2, 1, false), None);
    }
}
