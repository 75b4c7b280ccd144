//! Data in: the tracker's accounts and posts, upserted a batch at a time
//! (`/api/v1`, `server/src/api_v1`).
//!
//! A batch is one transaction and set-based SQL: one read of the items it
//! may match, then one multi-row INSERT for the new ones and one UPDATE
//! per kind of change. Sending the same batch twice changes nothing the
//! second time: an item equal to what is stored is counted `unchanged` and
//! not written.
//!
//! Counts (followers, views, likes, comments, shares) are the tracker's
//! measurements, not a member's edits: changing only them leaves
//! `updated_at` alone, so a bulk action a member reviewed before the
//! tracker's latest numbers still goes through (bulk actions refuse items
//! edited since their review).
//!
//! An item that matches one in Deleted Items is updated there and stays in
//! the trash; the answer lists it. An item deleted for good is no longer
//! there to match, so if the tracker sends it again it comes back as a new
//! item: the member deleted what was tracked then, and the tracker still
//! tracks it.

pub mod accounts;
pub mod posts;
pub mod wire;

use super::db::Tx;
use super::selection_sql::id_list;
use super::{Arg, Db, Dialect, GuildScope, Sql};
use crate::error::AppError;
use crate::model::{AccountStatus, Platform};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use wire::UpsertReport;

/// An account of a batch, checked (`wire::accounts`). `None` leaves a
/// field as it is.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountInput {
    pub platform: Platform,
    pub handle: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub profile_url: Option<String>,
    pub status: Option<AccountStatus>,
    pub followers: Option<i64>,
    /// `Some(None)` takes the account out of its group.
    pub group: Option<Option<String>>,
    pub brand: Option<Option<String>>,
    /// When a new account was first tracked, and last edited: `None` is
    /// now. Only an import gives them (a restored account keeps its dates).
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// How a post names its account.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AccountKey {
    Handle(String),
    External(String),
}

/// A post of a batch, checked (`wire::posts`).
#[derive(Clone, Debug, PartialEq)]
pub struct PostInput {
    pub platform: Platform,
    pub external_id: String,
    pub account: AccountKey,
    pub url: String,
    pub caption: Option<String>,
    pub posted_at: DateTime<Utc>,
    pub views: Option<i64>,
    pub likes: Option<i64>,
    pub comments: Option<i64>,
    pub shares: Option<i64>,
    /// A new post's group and brand, by name; `None` takes its account's
    /// (the tracker never sends them: an import restores a post that a
    /// member had moved on its own).
    pub group: Option<Option<String>>,
    pub brand: Option<Option<String>>,
    /// When a new post was added: `None` is now (see `AccountInput`).
    pub created_at: Option<DateTime<Utc>>,
}

/// How a batch is applied.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Create the groups and brands the items name when the guild has
    /// none by that name (otherwise such an item is rejected).
    pub create_missing: bool,
    /// Find the ids of the items created, for their audit entries (an
    /// import; the API does not need them and saves the read).
    pub with_ids: bool,
}

/// What became of one item of a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Added; its id when the batch was applied `with_ids`.
    Created(Option<i64>),
    Updated(i64),
    Unchanged(i64),
    Rejected,
}

/// A batch applied in a transaction the caller ends: committed, or rolled
/// back for a dry run.
#[derive(Clone, Debug, Default)]
pub struct Applied {
    pub report: UpsertReport,
    /// One per item, in order.
    pub fates: Vec<Fate>,
    /// Group and brand names the batch created.
    pub groups_created: Vec<String>,
    pub brands_created: Vec<String>,
}

/// Bind parameters per statement, below both databases' limits (SQLite
/// 32,766; PostgreSQL 65,535).
const MAX_PARAMS: usize = 30_000;

/// Whether a stored item found with `deleted_at` takes over the one found
/// before it for the same key (`have`'s): a live item wins over trashed
/// ones, and among trashed ones the latest.
fn takes_over(have: Option<Option<DateTime<Utc>>>, deleted_at: Option<DateTime<Utc>>) -> bool {
    match have {
        None => true,
        Some(have) => match (have, deleted_at) {
            (Some(_), None) => true,
            (Some(a), Some(b)) => b > a,
            _ => false,
        },
    }
}

/// `WITH v(columns) AS (VALUES …) UPDATE {table} SET {set} FROM v`, in
/// chunks: one statement for many rows on both databases. `columns[0]` is
/// the id. The guild's id is a number written into the text, not a
/// parameter: SQLite's `?` rows and a numbered parameter do not mix.
async fn update_from_values(
    tx: &mut Tx,
    scope: &GuildScope,
    table: &str,
    columns: &[&str],
    set: &str,
    rows: Vec<Vec<Arg>>,
) -> Result<(), AppError> {
    let dialect = tx.dialect();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut sql = Sql::new(format!("WITH v({}) AS (VALUES ", columns.join(", ")));
        for (i, row) in rows.by_ref().take(MAX_PARAMS / columns.len()).enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let values = sql.values_row(dialect, row);
            sql.push(&values);
        }
        sql.push(&format!(
            ") UPDATE {table} SET {set} FROM v WHERE {table}.id = v.id AND {table}.guild_id = {}",
            scope.guild_id()
        ));
        tx.execute(&sql).await?;
    }
    Ok(())
}

/// `column = v.column, …` for each column after the id.
fn set_from_v(columns: &[&str]) -> String {
    columns[1..]
        .iter()
        .map(|c| format!("{c} = v.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `AND {column} IN (values)`, in one bind value however many there are:
/// a JSON array on SQLite (numbered parameters bind in quadratic time
/// there, see `Sql::values_row`), a text array on PostgreSQL. On
/// PostgreSQL the array is a set to join (`IN (SELECT unnest(…))`), not
/// `= ANY(…)`: sqlx's statements are prepared, and a generic plan tested
/// `= ANY` of 1,000 values as a filter on every row of the guild's index
/// (10.7 s for one batch, measured) instead of looking each value up.
fn text_list(sql: &mut Sql, dialect: Dialect, column: &str, values: &[&str]) {
    match dialect {
        Dialect::Sqlite => {
            let p = sql.arg(Arg::Text(
                serde_json::to_string(values).expect("strings serialize"),
            ));
            sql.push(&format!(
                " AND {column} IN (SELECT value FROM json_each({p}))"
            ));
        }
        Dialect::Postgres => {
            let p = sql.arg(Arg::Text(pg_text_array(values)));
            sql.push(&format!(
                " AND {column} IN (SELECT unnest(CAST({p} AS TEXT[])))"
            ));
        }
    }
}

/// A PostgreSQL array literal of `values`: `{"a","b\"c"}`.
fn pg_text_array<S: AsRef<str>>(values: &[S]) -> String {
    let quoted: Vec<String> = values
        .iter()
        .map(|v| {
            format!(
                "\"{}\"",
                v.as_ref().replace('\\', "\\\\").replace('"', "\\\"")
            )
        })
        .collect();
    format!("{{{}}}", quoted.join(","))
}

/// The external ids of `ids` (items of the guild in `table`, `accounts` or
/// `posts`), for the API's lists; the pages' own queries do not read them.
pub async fn external_ids(
    db: &Db,
    scope: &GuildScope,
    table: Table,
    ids: &[i64],
) -> Result<HashMap<i64, String>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        external_id: Option<String>,
    }
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(format!(
        "SELECT id, external_id FROM {} WHERE guild_id = ",
        table.name()
    ));
    sql.bind(scope.guild_id());
    id_list(&mut sql, db.dialect(), "id", false, ids);
    Ok(db
        .fetch_all::<Row>(&sql)
        .await?
        .into_iter()
        .filter_map(|r| Some((r.id, r.external_id?)))
        .collect())
}

/// The groups and brands a batch names, by name, and those it created.
pub(crate) struct Catalog {
    pub groups: HashMap<String, i64>,
    pub brands: HashMap<String, i64>,
    pub groups_created: Vec<String>,
    pub brands_created: Vec<String>,
}

/// How an item names its group or brand (`Some(None)` is "none").
type NameOf<T> = fn(&T) -> &Option<Option<String>>;

impl Catalog {
    /// Looks up the names `items` give (`group_of`, `brand_of`); with
    /// `create_missing`, those the guild lacks are created first.
    pub(crate) async fn of<T>(
        tx: &mut Tx,
        scope: &GuildScope,
        items: &[T],
        (group_of, brand_of): (NameOf<T>, NameOf<T>),
        create_missing: bool,
        now: DateTime<Utc>,
    ) -> Result<Self, AppError> {
        let names = |name_of: NameOf<T>| -> Vec<&str> {
            items
                .iter()
                .filter_map(|i| name_of(i).as_ref()?.as_deref())
                .collect()
        };
        let (groups, groups_created) = named(
            tx,
            scope,
            "account_groups",
            names(group_of),
            create_missing,
            now,
        )
        .await?;
        let (brands, brands_created) =
            named(tx, scope, "brands", names(brand_of), create_missing, now).await?;
        Ok(Self {
            groups,
            brands,
            groups_created,
            brands_created,
        })
    }
}

/// The ids of the groups (or brands: `table`) named, by name. With
/// `create_missing`, those the guild lacks are created first, and their
/// names returned beside.
async fn named(
    tx: &mut Tx,
    scope: &GuildScope,
    table: &str,
    mut names: Vec<&str>,
    create_missing: bool,
    now: DateTime<Utc>,
) -> Result<(HashMap<String, i64>, Vec<String>), AppError> {
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return Ok((HashMap::new(), Vec::new()));
    }
    let dialect = tx.dialect();
    let mut found = ids_by_name(tx, dialect, scope, table, &names).await?;
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !found.contains_key(*n))
        .collect();
    if !create_missing || missing.is_empty() {
        return Ok((found, Vec::new()));
    }
    let mut sql = Sql::new(format!(
        "INSERT INTO {table} (guild_id, name, created_at) VALUES "
    ));
    for (i, name) in missing.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        let row = sql.values_row(
            dialect,
            vec![
                Arg::Int(scope.guild_id()),
                Arg::Text(name.to_string()),
                Arg::Time(now),
            ],
        );
        sql.push(&row);
    }
    // Another batch may have made the same name meanwhile (PostgreSQL
    // runs batches side by side): theirs is as good as ours.
    sql.push(" ON CONFLICT (guild_id, name) DO NOTHING");
    tx.execute(&sql).await?;
    found = ids_by_name(tx, dialect, scope, table, &names).await?;
    Ok((found, missing.into_iter().map(String::from).collect()))
}

async fn ids_by_name(
    tx: &mut Tx,
    dialect: Dialect,
    scope: &GuildScope,
    table: &str,
    names: &[&str],
) -> Result<HashMap<String, i64>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Named {
        id: i64,
        name: String,
    }
    let mut sql = Sql::new(format!("SELECT id, name FROM {table} WHERE guild_id = "));
    sql.bind(scope.guild_id());
    text_list(&mut sql, dialect, "name", names);
    Ok(tx
        .fetch_all::<Named>(&sql)
        .await?
        .into_iter()
        .map(|n| (n.name, n.id))
        .collect())
}

/// The id a name stands for: `Ok(kept)` when none was given, `Ok(None)`
/// for "none", an error sentence when the guild has no such group or
/// brand.
fn target(
    given: &Option<Option<String>>,
    kept: Option<i64>,
    ids: &HashMap<String, i64>,
    what: &str,
) -> Result<Option<i64>, String> {
    match given {
        None => Ok(kept),
        Some(None) => Ok(None),
        Some(Some(name)) => ids.get(name).copied().map(Some).ok_or_else(|| {
            format!(
                "the guild has no {what} “{name}”; create it first, or send \"create_missing\": true"
            )
        }),
    }
}

/// The two tables the API writes.
#[derive(Clone, Copy, Debug)]
pub enum Table {
    Accounts,
    Posts,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Self::Accounts => "accounts",
            Self::Posts => "posts",
        }
    }
}
