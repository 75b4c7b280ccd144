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
