//! The guild's audit log. Entries are written in the same transaction as
//! the change they describe, many rows per INSERT.

use super::db::Tx;
use super::{Arg, Dialect, Sql};
use crate::error::AppError;
use chrono::{DateTime, Utc};

/// Rows per INSERT: 9 values each stays far below both backends' limits on
/// bind parameters (SQLite 32,766; PostgreSQL 65,535).
const ROWS_PER_INSERT: usize = 1000;

#[derive(Debug, Clone)]
pub struct Entry {
    pub actor_id: Option<i64>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<i64>,
    pub summary: String,
    /// JSON text.
    pub details: Option<String>,
    pub batch_id: Option<String>,
}

/// Writes `entries` for `guild_id` at `at`.
pub async fn record(
    tx: &mut Tx,
    dialect: Dialect,
    guild_id: i64,
    at: DateTime<Utc>,
    entries: &[Entry],
) -> Result<(), AppError> {
    for chunk in entries.chunks(ROWS_PER_INSERT) {
        let mut sql = Sql::new(
            "INSERT INTO audit_log (guild_id, actor_id, action, target_type, target_id, summary, \
             details, batch_id, created_at) VALUES ",
        );
        for (i, e) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let row = sql.values_row(
                dialect,
                vec![
                    Arg::Int(guild_id),
                    Arg::OptInt(e.actor_id),
                    Arg::Text(e.action.clone()),
                    opt_text(&e.target_type),
                    Arg::OptInt(e.target_id),
                    Arg::Text(e.summary.clone()),
                    opt_text(&e.details),
                    opt_text(&e.batch_id),
                    Arg::Time(at),
                ],
            );
            sql.push(&row);
        }
        tx.execute(&sql).await?;
    }
    Ok(())
}

fn opt_text(v: &Option<String>) -> Arg {
    Arg::OptText(v.clone())
}
