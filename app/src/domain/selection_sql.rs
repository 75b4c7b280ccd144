//! SQL for selections: the ids a user picked, or the ones they unticked
//! after "select all", as one bind value however many there are.

use super::trash::{self, Window};
use super::{accounts, posts, Arg, Dialect, EntitySql, GuildScope, Sql};
use crate::error::AppError;
use crate::model::selection::MAX_SELECTED_IDS;
use crate::model::{AccountFilter, Entity, PostFilter, Selection, TrashFilter};

/// `AND {column} [NOT] IN (the ids in one JSON parameter)`: one bind value
/// however many ids, on both backends.
pub(crate) fn id_list(sql: &mut Sql, dialect: Dialect, column: &str, negate: bool, ids: &[i64]) {
    let json = serde_json::to_string(ids).expect("ids serialize");
    let p = sql.arg(Arg::Text(json));
    let not = if negate { "NOT " } else { "" };
    match dialect {
        Dialect::Sqlite => sql.push(&format!(
            " AND {column} {not}IN (SELECT value FROM json_each({p}))"
        )),
        Dialect::Postgres => sql.push(&format!(
            " AND {column} {not}IN (SELECT CAST(jsonb_array_elements_text(CAST({p} AS jsonb)) AS BIGINT))"
        )),
    };
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
/// ids are checked here (not empty, not too many).
pub(crate) fn where_selected(
    sql: &mut Sql,
    dialect: Dialect,
    scope: &GuildScope,
    entity: Entity,
    selection: &Selection,
    trash: Option<Window>,
) -> Result<(), AppError> {
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
                ),
                (None, Entity::Accounts) => accounts::where_clause(
                    sql,
                    dialect,
                    scope,
                    &AccountFilter::from_params(filter)?,
                ),
                (None, Entity::Posts) => {
                    posts::where_clause(sql, dialect, scope, &PostFilter::from_params(filter)?)
                }
            }
            if !except.is_empty() {
                id_list(sql, dialect, vocab.id_col(), true, except);
            }
        }
    }
    Ok(())
}
