//! The SQL of an export: which rows (scope, filters, selection), in which
//! order, and how many. The same text serves both backends except for the
//! timestamps, which PostgreSQL hands over as unix seconds so both readers
//! produce the same cells.

use super::columns::{columns, Column};
use crate::domain::list_sql::exact_reach;
use crate::domain::selection_sql::{check_ids, id_list};
use crate::domain::{accounts, posts, Db, Dialect, EntitySql, GuildScope, Sql};
use crate::error::AppError;
use crate::model::{AccountFilter, Entity, ExportScope, PostFilter, Selection};

/// A resolved export: the row query and its count, over one snapshot.
#[derive(Debug)]
pub struct Plan {
    pub entity: Entity,
    pub columns: &'static [Column],
    pub rows: Sql,
    pub count: Sql,
    /// The scope as the JSON header shows it.
    pub scope_json: serde_json::Value,
}

fn time(dialect: Dialect, column: &str) -> String {
    match dialect {
        Dialect::Sqlite => column.to_string(),
        Dialect::Postgres => format!("CAST(EXTRACT(EPOCH FROM {column}) AS BIGINT)"),
    }
}

/// "Everything" and hand-picked selections come in ID order (the order items
/// were added): stable, and on SQLite a sequential read of the table. A
/// million posts in "newest first" order cost one random table lookup per
/// row: 3.6 s instead of about 1 s (measured, BENCHMARKS.md). Views keep the
/// order the page shows.
const ID_ORDER_ACCOUNTS: &str = " ORDER BY a.id";
const ID_ORDER_POSTS: &str = " ORDER BY p.id";

/// Builds the plan; filter and selection errors are clear 400s. A post
/// search reaches its matches as [`exact_reach`] decides, like a bulk
/// action's selection: a rare text through the caption index.
pub async fn plan(
    db: &Db,
    scope: &GuildScope,
    entity: Entity,
    export: &ExportScope,
) -> Result<Plan, AppError> {
    let dialect = db.dialect();
    let scope_json = match export {
        ExportScope::View(params) => serde_json::json!({ "kind": "view", "filters": params }),
        ExportScope::All => serde_json::json!({ "kind": "all" }),
        ExportScope::Selected(Selection::Ids(ids)) => {
            serde_json::json!({ "kind": "selection", "ids": ids.len() })
        }
        ExportScope::Selected(Selection::AllMatching { filter, except }) => serde_json::json!({
            "kind": "selection", "filters": filter, "except": except.len()
        }),
    };
    let (mut rows, mut count) = match entity {
        Entity::Accounts => (
            Sql::new(format!(
                "SELECT a.id, a.platform, a.handle, a.display_name, a.profile_url, g.name, b.name, \
                 a.status, a.followers, \
                 {}, {}, {}, a.external_id \
                 FROM accounts a \
                 LEFT JOIN account_groups g ON g.id = a.group_id \
                 LEFT JOIN brands b ON b.id = a.brand_id",
                crate::domain::accounts::LIVE_POST_COUNT,
                time(dialect, "a.created_at"),
                time(dialect, "a.updated_at")
            )),
            Sql::new("SELECT COUNT(*) FROM accounts a"),
        ),
        Entity::Posts => (
            Sql::new(format!(
                "SELECT p.id, a.handle, p.platform, p.url, p.caption, {}, \
                 p.views, p.likes, p.comments, p.shares, g.name, b.name, {}, p.external_id \
                 FROM posts p \
                 JOIN accounts a ON a.id = p.account_id \
                 LEFT JOIN account_groups g ON g.id = p.group_id \
                 LEFT JOIN brands b ON b.id = p.brand_id",
                time(dialect, "p.posted_at"),
                time(dialect, "p.created_at")
            )),
            Sql::new("SELECT COUNT(*) FROM posts p"),
        ),
    };
    let (filter_params, ids, except) = match export {
        ExportScope::View(p) => (Some(p.clone()), None, None),
        ExportScope::All => (None, None, None),
        ExportScope::Selected(Selection::Ids(ids)) => {
            check_ids(ids)?;
            (None, Some(ids.as_slice()), None)
        }
        ExportScope::Selected(Selection::AllMatching { filter, except }) => {
            (Some(filter.clone()), None, Some(except.as_slice()))
        }
    };
    let alias = EntitySql::of(entity).id_col();
    let order = match entity {
        Entity::Accounts => {
            let f = match &filter_params {
                Some(p) => AccountFilter::from_params(p)?,
                None => AccountFilter::default(),
            };
            for sql in [&mut rows, &mut count] {
                accounts::where_clause(sql, dialect, scope, &f);
            }
            match &filter_params {
                Some(_) => accounts::order_by(f.sort),
                None => ID_ORDER_ACCOUNTS,
            }
        }
        Entity::Posts => {
            let f = match &filter_params {
                Some(p) => PostFilter::from_params(p)?,
                None => PostFilter::default(),
            };
            let reach = exact_reach(db, filter_params.as_ref()).await?;
            for sql in [&mut rows, &mut count] {
                posts::where_clause(sql, dialect, scope, &f, reach);
            }
            match &filter_params {
                Some(_) => posts::order_by(f.sort),
                None => ID_ORDER_POSTS,
            }
        }
    };
    for sql in [&mut rows, &mut count] {
        if let Some(ids) = ids {
            id_list(sql, dialect, alias, false, ids);
        }
        if let Some(except) = except.filter(|e| !e.is_empty()) {
            id_list(sql, dialect, alias, true, except);
        }
    }
    rows.push(order);
    Ok(Plan {
        entity,
        columns: columns(entity),
        rows,
        count,
        scope_json,
    })
}
