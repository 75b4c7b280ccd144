//! SQL for selections: the ids a user picked, or the ones they unticked
//! after "select all", as one bind value however many there are.

use super::list_sql::{exact_reach, Reach};
use super::trash::{self, Window};
use super::{accounts, posts, Arg, Db, Dialect, EntitySql, GuildScope, Sql};
use crate::error::AppError;
use crate::model::selection::MAX_SELECTED_IDS;
use crate::model::{AccountFilter, Entity, PostFilter, Selection, TrashFilter};

/// `AND {column} [NOT] IN (the ids)`: one bind value however many ids, on
/// both backends (JSON on SQLite, an array on PostgreSQL).
pub(crate) fn id_list(sql: &mut Sql, dialect: Dialect, column: &str, negate: bool, ids: &[i64]) {
    match dialect {
        Dialect::Sqlite => {
            let json = serde_json::to_string(ids).expect("ids serialize");
            let p = sql.arg(Arg::Text(json));
            let not = if negate { "NOT " } else { "" };
            sql.push(&format!(
                " AND {column} {not}IN (SELECT value FROM json_each({p}))"
            ))
        }
        // An array, not a set-returning function: the planner knows how
        // many ids there are and hashes them. With `IN (SELECT
        // jsonb_array_elements_text(…))` it guessed 100 and, when its
        // statistics still said the trash was empty (right after a
        // 110,000-post delete), re-read the 5,000-id list for every
        // trashed post: the first chunk of the undo took over 60 s.
        Dialect::Postgres => {
            let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            let p = sql.arg(Arg::Text(format!("{{{list}}}")));
            let test = if negate { "<> ALL" } else { "= ANY" };
            sql.push(&format!(" AND {column} {test}(CAST({p} AS BIGINT[]))"))
        }
    };
}

/// How [`where_selected`] reaches the matches of a "select all"'s search
/// of posts (see [`exact_reach`]); hand-picked ids have no search, and an
/// account search has no caption part.
async fn selection_reach(
    db: &Db,
    entity: Entity,
    selection: &Selection,
) -> Result<Reach, AppError> {
    match (entity, selection) {
        (Entity::Posts, Selection::AllMatching { filter, .. }) => {
            exact_reach(db, Some(filter)).await
        }
        _ => Ok(Reach::Walk),
    }
}

pub(crate) fn check_ids(ids: &[i64]) -> Result<(), AppError> {
    if ids.is_empty() {
        return Err(AppError::invalid("Nothing is selected."));
    }
    if ids.len() > MAX_SELECTED_IDS {
        return Err(AppError::invalid(format!(
            "Pick at most {} items by hand, or use “Select all matching” for more.",
            crate::format::thousands(MAX_SELECTED_IDS as i64)
        )));
    }
    Ok(())
}

/// ` WHERE …`: the items of the guild that `selection` covers, for a query
/// over `accounts a` or `posts p`: live items, or with `trash` the trashed
/// ones (the query must then select [`EntitySql::from_trash`]). Hand-picked
/// ids are checked here (not empty, not too many). A search reaches its
/// matches as [`selection_reach`] decides, which may ask the database.
pub(crate) async fn where_selected(
    sql: &mut Sql,
    db: &Db,
    scope: &GuildScope,
    entity: Entity,
    selection: &Selection,
    trash: Option<Window>,
) -> Result<(), AppError> {
    let reach = selection_reach(db, entity, selection).await?;
    let dialect = db.dialect();
    let vocab = EntitySql::of(entity);
    match selection {
        Selection::Ids(ids) => {
            check_ids(ids)?;
            let a = vocab.alias();
            let state = if trash.is_some() { "NOT NULL" } else { "NULL" };
            sql.push(&format!(" WHERE {a}.guild_id = "))
                .bind(scope.guild_id())
                .push(&format!(" AND {a}.deleted_at IS {state}"));
            id_list(sql, dialect, vocab.id_col(), false, ids);
        }
        Selection::AllMatching { filter, except } => {
            match (trash, entity) {
                (Some(window), _) => trash::where_clause(
                    sql,
                    dialect,
                    scope,
                    entity,
                    &TrashFilter::from_params(filter)?,
                    window,
                    reach,
                ),
                (None, Entity::Accounts) => accounts::where_clause(
                    sql,
                    dialect,
                    scope,
                    &AccountFilter::from_params(filter)?,
                ),
                (None, Entity::Posts) => posts::where_clause(
                    sql,
                    dialect,
                    scope,
                    &PostFilter::from_params(filter)?,
                    reach,
                ),
            }
            if !except.is_empty() {
                id_list(sql, dialect, vocab.id_col(), true, except);
            }
        }
    }
    Ok(())
}
