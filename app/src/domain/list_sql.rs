//! WHERE-clause pieces shared by the account and post lists.

use super::db::like_contains;
use super::{Arg, Dialect, Sql};
use crate::model::filter::Assigned;
use crate::model::search::prefix_end;

/// `AND col = $n` for a specific brand/group, `AND col IS NULL` for "none".
pub(super) fn assigned(sql: &mut Sql, column: &str, filter: Option<Assigned>) {
    match filter {
        Some(Assigned::To(id)) => {
            sql.push(&format!(" AND {column} = ")).bind(id);
        }
        Some(Assigned::Unassigned) => {
            sql.push(&format!(" AND {column} IS NULL"));
        }
        None => {}
    }
}

/// `LIMIT … OFFSET …` for a 1-based page.
pub(super) fn page(sql: &mut Sql, page: u32, page_size: u32) {
    let offset = i64::from(page.saturating_sub(1)) * i64::from(page_size);
    sql.push(" LIMIT ")
        .bind(i64::from(page_size))
        .push(" OFFSET ")
        .bind(offset);
}

/// ` AND (c1 LIKE $n OR c2 LIKE $n …)`: `text` anywhere in any of `columns`.
pub(super) fn contains(sql: &mut Sql, dialect: Dialect, text: &str, columns: &[&str]) {
    let p = sql.arg(Arg::Text(like_contains(text)));
    let like = dialect.ilike();
    let any: Vec<String> = columns
        .iter()
        .map(|c| format!("{c} {like} {p} ESCAPE '\\'"))
        .collect();
    sql.push(&format!(" AND ({})", any.join(" OR ")));
}

/// ` AND column >= $lo AND column < $hi`: values starting with `prefix`, as
/// a range an index on `column` serves (a `LIKE 'x%'` would not: SQLite
/// only uses an index for LIKE under a NOCASE collation).
pub(super) fn prefix(sql: &mut Sql, dialect: Dialect, column: &str, prefix: &str) {
    let (ge, lt) = dialect.byte_order_range();
    sql.push(&format!(" AND {column} {ge} "))
        .bind(prefix.to_string());
    if let Some(end) = prefix_end(prefix) {
        sql.push(&format!(" AND {column} {lt} ")).bind(end);
    }
}
