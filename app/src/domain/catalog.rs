//! A guild's brands and groups: the places accounts and posts are assigned to.

use super::{Arg, Db, GuildScope, Sql};
use crate::error::AppError;
use crate::model::Named;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
}

async fn list(db: &Db, scope: &GuildScope, table: &str) -> Result<Vec<Named>, AppError> {
    let sql = Sql::bound(
        format!("SELECT id, name FROM {table} WHERE guild_id = $1 ORDER BY name, id"),
        vec![Arg::Int(scope.guild_id())],
    );
    Ok(db
        .fetch_all::<Row>(&sql)
        .await?
        .into_iter()
        .map(|r| Named {
            id: r.id,
            name: r.name,
        })
        .collect())
}

pub async fn brands(db: &Db, scope: &GuildScope) -> Result<Vec<Named>, AppError> {
    list(db, scope, "brands").await
}

pub async fn groups(db: &Db, scope: &GuildScope) -> Result<Vec<Named>, AppError> {
    list(db, scope, "account_groups").await
}
