//! Posts in: upserted by platform and the platform's post id.

use super::wire::{KeptInTrash, Rejection, UpsertReport};
use super::{
    pg_text_array, set_from_v, takes_over, target, text_list, update_from_values, AccountKey,
    Applied, Catalog, Fate, Options, PostInput,
};
use crate::domain::db::Tx;
use crate::domain::{Arg, Db, Dialect, GuildScope, SharedClock, Sql};
use crate::error::AppError;
use crate::model::{Platform, Role};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// An account a post of the batch may name.
#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    platform: String,
    handle: String,
    external_id: Option<String>,
    group_id: Option<i64>,
    brand_id: Option<i64>,
    deleted_at: Option<DateTime<Utc>>,
}

/// A stored post the batch may match.
#[derive(sqlx::FromRow)]
struct PostRow {
    id: i64,
    platform: String,
    external_id: Option<String>,
    account_id: i64,
    url: String,
    caption: String,
    posted_at: DateTime<Utc>,
    views: i64,
    likes: i64,
    comments: i64,
    shares: i64,
    deleted_at: Option<DateTime<Utc>>,
}

/// The four counts, as stored after the item is applied.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Counts {
    views: i64,
    likes: i64,
    comments: i64,
    shares: i64,
}

impl Counts {
    fn of(item: &PostInput, stored: Option<&PostRow>) -> Self {
        let or = |given: Option<i64>, kept: fn(&PostRow) -> i64| {
            given.unwrap_or_else(|| stored.map(kept).unwrap_or(0))
        };
        Self {
            views: or(item.views, |p| p.views),
            likes: or(item.likes, |p| p.likes),
            comments: or(item.comments, |p| p.comments),
            shares: or(item.shares, |p| p.shares),
        }
    }

    fn args(self) -> [Arg; 4] {
        [
            Arg::Int(self.views),
            Arg::Int(self.likes),
            Arg::Int(self.comments),
            Arg::Int(self.shares),
        ]
    }
}

/// What the batch writes.
#[derive(Default)]
struct Plan {
    new: Vec<Vec<Arg>>,
    /// Posts whose counts alone changed: `(id, counts)`.
    counts: Vec<(i64, Counts)>,
    /// Posts whose account, address, caption or date changed.
    content: Vec<Vec<Arg>>,
    report: UpsertReport,
    fates: Vec<Fate>,
}

/// Upserts `items` into the guild, in one transaction. Needs an editor's
/// role (an `ingest` token has it).
pub async fn upsert(
    db: &Db,
    clock: &SharedClock,
    scope: &GuildScope,
    items: &[PostInput],
) -> Result<UpsertReport, AppError> {
    scope.require(Role::Editor, "add or update posts")?;
    let mut tx = db.begin_write().await?;
    let applied = apply(&mut tx, scope, items, Options::default(), clock.now()).await?;
    tx.commit().await?;
    Ok(applied.report)
}

/// Applies `items` in `tx`, which the caller commits (or rolls back: an
/// import's dry run). The caller has checked the member's role.
pub async fn apply(
    tx: &mut Tx,
    scope: &GuildScope,
    items: &[PostInput],
    options: Options,
    now: DateTime<Utc>,
) -> Result<Applied, AppError> {
    let dialect = tx.dialect();
    let catalog = Catalog::of(
        tx,
        scope,
        items,
        (|i: &PostInput| &i.group, |i: &PostInput| &i.brand),
        options.create_missing,
        now,
    )
    .await?;
    let accounts = accounts_named(tx, dialect, scope, items).await?;
    let stored = posts_matching(tx, dialect, scope, items).await?;
    let plan = plan(scope, items, &accounts, &stored, &catalog, now);
    tx.insert_rows(INSERT, INSERT_COLUMNS, plan.new).await?;
    update_counts(tx, scope, &plan.counts).await?;
    update_content(tx, scope, plan.content).await?;
    let mut fates = plan.fates;
    if options.with_ids && plan.report.created > 0 {
        let created: Vec<PostInput> = items
            .iter()
            .zip(&fates)
            .filter(|(_, f)| matches!(f, Fate::Created(_)))
            .map(|(i, _)| i.clone())
            .collect();
        let found = posts_matching(tx, dialect, scope, &created).await?;
        for (item, fate) in items.iter().zip(fates.iter_mut()) {
            if let Fate::Created(id) = fate {
                *id = found
                    .get(&(item.platform, item.external_id.clone()))
                    .map(|p| p.id);
            }
        }
    }
    Ok(Applied {
        report: plan.report,
        fates,
        groups_created: catalog.groups_created,
        brands_created: catalog.brands_created,
    })
}

type AccountKeyOf = (Platform, AccountKey);

/// The guild's accounts that the items name, live or in the trash, by how
/// the items name them. A handle names the live account when there is one.
async fn accounts_named(
    tx: &mut Tx,
    dialect: Dialect,
    scope: &GuildScope,
    items: &[PostInput],
) -> Result<HashMap<AccountKeyOf, AccountRow>, AppError> {
    let mut handles: Vec<&str> = Vec::new();
    let mut externals: Vec<&str> = Vec::new();
    for item in items {
        match &item.account {
            AccountKey::Handle(h) => handles.push(h),
            AccountKey::External(e) => externals.push(e),
        }
    }
    handles.sort_unstable();
    handles.dedup();
    externals.sort_unstable();
    externals.dedup();
    let mut found: HashMap<AccountKeyOf, AccountRow> = HashMap::new();
    for (column, values) in [("handle", &handles), ("external_id", &externals)] {
        if values.is_empty() {
            continue;
        }
        let mut sql = Sql::new(
            "SELECT id, platform, handle, external_id, group_id, brand_id, deleted_at \
             FROM accounts WHERE guild_id = ",
        );
        sql.bind(scope.guild_id());
        text_list(&mut sql, dialect, column, values);
        for row in tx.fetch_all::<AccountRow>(&sql).await? {
            let Some(platform) = Platform::parse(&row.platform) else {
                continue;
            };
            let key = match column {
                "handle" => AccountKey::Handle(row.handle.clone()),
                _ => match &row.external_id {
                    Some(e) => AccountKey::External(e.clone()),
                    None => continue,
                },
            };
            let better = takes_over(
                found.get(&(platform, key.clone())).map(|a| a.deleted_at),
                row.deleted_at,
            );
            if better {
                found.insert((platform, key), row);
            }
        }
    }
    Ok(found)
}

/// The stored posts the items match, live or in the trash.
async fn posts_matching(
    tx: &mut Tx,
    dialect: Dialect,
    scope: &GuildScope,
    items: &[PostInput],
) -> Result<HashMap<(Platform, String), PostRow>, AppError> {
    if items.is_empty() {
        return Ok(HashMap::new());
    }
    const COLUMNS: &str = "p.id, p.platform, p.external_id, p.account_id, p.url, p.caption, \
         p.posted_at, p.views, p.likes, p.comments, p.shares, p.deleted_at";
    let sql = match dialect {
        // Both lists, so that the lookup seeks the (guild, platform,
        // external id) index rather than scanning the guild's posts.
        Dialect::Sqlite => {
            let mut platforms: Vec<&str> = items.iter().map(|i| i.platform.as_str()).collect();
            platforms.sort_unstable();
            platforms.dedup();
            let ids: Vec<&str> = items.iter().map(|i| i.external_id.as_str()).collect();
            let mut sql = Sql::new(format!("SELECT {COLUMNS} FROM posts p WHERE p.guild_id = "));
            sql.bind(scope.guild_id());
            text_list(&mut sql, dialect, "p.platform", &platforms);
            text_list(&mut sql, dialect, "p.external_id", &ids);
            sql
        }
        // The keys as a set joined to the index, one lookup each (2 ms for
        // 1,000). `platform = ANY(…) AND external_id = ANY(…)` was planned,
        // once prepared, as a filter over every external id of the guild:
        // 10.7 s for a batch with 100,000 ingested posts.
        Dialect::Postgres => {
            let platforms: Vec<&str> = items.iter().map(|i| i.platform.as_str()).collect();
            let ids: Vec<&str> = items.iter().map(|i| i.external_id.as_str()).collect();
            Sql::bound(
                format!(
                    "SELECT {COLUMNS} FROM unnest(CAST($1 AS TEXT[]), CAST($2 AS TEXT[])) \
                     AS k(platform, external_id) JOIN posts p ON p.guild_id = $3 \
                     AND p.platform = k.platform AND p.external_id = k.external_id"
                ),
                vec![
                    Arg::Text(pg_text_array(&platforms)),
                    Arg::Text(pg_text_array(&ids)),
                    Arg::Int(scope.guild_id()),
                ],
            )
        }
    };
    Ok(tx
        .fetch_all::<PostRow>(&sql)
        .await?
        .into_iter()
        .filter_map(|row| {
            let platform = Platform::parse(&row.platform)?;
            let id = row.external_id.clone()?;
            Some(((platform, id), row))
        })
        .collect())
}

fn describe(platform: Platform, key: &AccountKey) -> String {
    match key {
        AccountKey::Handle(h) => format!("{} account @{h}", platform.label()),
        AccountKey::External(e) => format!("{} account with external id {e}", platform.label()),
    }
}

fn account_field(key: &AccountKey) -> &'static str {
    match key {
        AccountKey::Handle(_) => "account",
        AccountKey::External(_) => "account_external_id",
    }
}

/// Decides each item's fate, without writing anything.
fn plan(
    scope: &GuildScope,
    items: &[PostInput],
    accounts: &HashMap<AccountKeyOf, AccountRow>,
    stored: &HashMap<(Platform, String), PostRow>,
    catalog: &Catalog,
    now: DateTime<Utc>,
) -> Plan {
    let mut plan = Plan::default();
    for (index, item) in items.iter().enumerate() {
        let reject_field = |plan: &mut Plan, field: &str, why: String| {
            plan.report.rejected += 1;
            plan.fates.push(Fate::Rejected);
            plan.report.rejections.push(Rejection {
                index,
                reason: format!("posts[{index}].{field}: {why}"),
            });
        };
        let reject =
            |plan: &mut Plan, why: String| reject_field(plan, account_field(&item.account), why);
        let account = accounts.get(&(item.platform, item.account.clone()));
        let existing = stored.get(&(item.platform, item.external_id.clone()));
        let Some(account) = account else {
            reject(
                &mut plan,
                format!(
                    "there is no {} in this guild; send it to the accounts endpoint first",
                    describe(item.platform, &item.account)
                ),
            );
            continue;
        };
        let account_trashed = account.deleted_at.is_some();
        let post_live = existing.is_none_or(|p| p.deleted_at.is_none());
        if account_trashed && post_live {
            reject(
                &mut plan,
                format!(
                    "the {} is in Deleted Items; a member must restore it before its posts are tracked again",
                    describe(item.platform, &item.account)
                ),
            );
            continue;
        }
        let counts = Counts::of(item, existing);
        let Some(p) = existing else {
            let group = target(&item.group, account.group_id, &catalog.groups, "group");
            let brand = target(&item.brand, account.brand_id, &catalog.brands, "brand");
            let (group_id, brand_id) = match (group, brand) {
                (Ok(g), Ok(b)) => (g, b),
                (Err(why), _) => {
                    reject_field(&mut plan, "group", why);
                    continue;
                }
                (_, Err(why)) => {
                    reject_field(&mut plan, "brand", why);
                    continue;
                }
            };
            plan.report.created += 1;
            plan.fates.push(Fate::Created(None));
            let mut row = vec![
                Arg::Int(scope.guild_id()),
                Arg::Int(account.id),
                Arg::Text(item.platform.as_str().into()),
                Arg::Text(item.external_id.clone()),
                Arg::Text(item.url.clone()),
                Arg::Text(item.caption.clone().unwrap_or_default()),
                Arg::Time(item.posted_at),
            ];
            row.extend(counts.args());
            row.extend([
                Arg::OptInt(group_id),
                Arg::OptInt(brand_id),
                Arg::Time(item.created_at.unwrap_or(now)),
                Arg::Time(now),
            ]);
            plan.new.push(row);
            continue;
        };
        if p.deleted_at.is_some() {
            plan.report
                .kept_in_trash
                .push(KeptInTrash { index, id: p.id });
        }
        let caption = item.caption.as_ref().unwrap_or(&p.caption);
        let content_changed = p.account_id != account.id
            || p.url != item.url
            || &p.caption != caption
            || p.posted_at != item.posted_at;
        let stored_counts = Counts {
            views: p.views,
            likes: p.likes,
            comments: p.comments,
            shares: p.shares,
        };
        if content_changed {
            plan.report.updated += 1;
            plan.fates.push(Fate::Updated(p.id));
            let mut row = vec![
                Arg::Int(p.id),
                Arg::Int(account.id),
                Arg::Text(item.url.clone()),
                Arg::Text(caption.clone()),
                Arg::Time(item.posted_at),
            ];
            row.extend(counts.args());
            row.push(Arg::Time(now));
            plan.content.push(row);
        } else if counts != stored_counts {
            plan.report.updated += 1;
            plan.fates.push(Fate::Updated(p.id));
            plan.counts.push((p.id, counts));
        } else {
            plan.report.unchanged += 1;
            plan.fates.push(Fate::Unchanged(p.id));
        }
    }
    plan
}

const INSERT: &str =
    "INSERT INTO posts (guild_id, account_id, platform, external_id, url, caption, \
     posted_at, views, likes, comments, shares, group_id, brand_id, created_at, updated_at)";
const INSERT_COLUMNS: usize = 15;

/// The counts alone: `updated_at` stays (see the module's comment).
async fn update_counts(
    tx: &mut Tx,
    scope: &GuildScope,
    rows: &[(i64, Counts)],
) -> Result<(), AppError> {
    let rows = rows
        .iter()
        .map(|(id, c)| {
            let mut row = vec![Arg::Int(*id)];
            row.extend(c.args());
            row
        })
        .collect();
    const COLUMNS: [&str; 5] = ["id", "views", "likes", "comments", "shares"];
    update_from_values(tx, scope, "posts", &COLUMNS, &set_from_v(&COLUMNS), rows).await
}

async fn update_content(
    tx: &mut Tx,
    scope: &GuildScope,
    rows: Vec<Vec<Arg>>,
) -> Result<(), AppError> {
    const COLUMNS: [&str; 10] = [
        "id",
        "account_id",
        "url",
        "caption",
        "posted_at",
        "views",
        "likes",
        "comments",
        "shares",
        "updated_at",
    ];
    update_from_values(tx, scope, "posts", &COLUMNS, &set_from_v(&COLUMNS), rows).await
}
