//! A guild's brands and groups: the places accounts and posts are assigned to.

use super::{Arg, Db, GuildScope, Sql};
use crate::error::AppError;
use crate::model::{Named, Platform};

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

/// The guild's live accounts, named "@handle · Platform", by handle.
pub async fn accounts(db: &Db, scope: &GuildScope) -> Result<Vec<Named>, AppError> {
    #[derive(sqlx::FromRow)]
    struct AccountRow {
        id: i64,
        handle: String,
        platform: String,
    }
    let sql = Sql::bound(
        "SELECT id, handle, platform FROM accounts WHERE guild_id = $1 AND deleted_at IS NULL \
         ORDER BY handle, id",
        vec![Arg::Int(scope.guild_id())],
    );
    Ok(db
        .fetch_all::<AccountRow>(&sql)
        .await?
        .into_iter()
        .map(|r| {
            let platform = Platform::parse(&r.platform)
                .map(Platform::label)
                .unwrap_or("?");
            Named {
                id: r.id,
                name: format!("@{} · {platform}", r.handle),
            }
        })
        .collect())
}
