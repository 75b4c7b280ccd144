//! WHERE-clause pieces shared by the account and post lists.

use super::{Arg, Sql};
use crate::model::filter::Assigned;

/// `AND col = $n` for a specific brand/group, `AND col IS NULL` for "none".
pub(super) fn assigned(sql: &mut Sql, column: &str, filter: Option<Assigned>) {
    match filter {
        Some(Assigned::To(id)) => {
            let p = sql.arg(Arg::Int(id));
            sql.push(&format!(" AND {column} = {p}"));
        }
        Some(Assigned::Unassigned) => {
            sql.push(&format!(" AND {column} IS NULL"));
        }
        None => {}
    }
}

/// `LIMIT … OFFSET …` for a 1-based page.
pub(super) fn page(sql: &mut Sql, page: u32, page_size: u32) {
    let limit = sql.arg(Arg::Int(i64::from(page_size)));
    let offset = sql.arg(Arg::Int(
        i64::from(page.saturating_sub(1)) * i64::from(page_size),
    ));
    sql.push(&format!(" LIMIT {limit} OFFSET {offset}"));
}
