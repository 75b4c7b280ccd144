//! Back-dated deletions for the demo guild and the browser tests: the
//! expiry warnings only show on items deleted weeks ago.

use crate::domain::{Arg, Db, Sql};
use crate::error::AppError;
use chrono::{DateTime, Utc};

/// Trashes the `posts` most recent live posts of guild `slug` as one
/// deletion made at `deleted_at` by the guild's first admin; returns how
/// many were trashed.
pub async fn trash_backdated(
    db: &Db,
    slug: &str,
    posts: usize,
    deleted_at: DateTime<Utc>,
) -> Result<u64, AppError> {
    let guild = db
        .fetch_i64(&Sql::bound(
            "SELECT COALESCE(MAX(id), 0) FROM guilds WHERE slug = $1",
            vec![Arg::Text(slug.into())],
        ))
        .await?;
    if guild == 0 {
        return Err(AppError::not_found(format!("There is no guild “{slug}”.")));
    }
    let batch = format!("sample-{}", deleted_at.timestamp());
    db.execute(&Sql::bound(
        "UPDATE posts SET deleted_at = $1, delete_batch_id = $2, deleted_group_id = group_id, \
         deleted_brand_id = brand_id, deleted_by = (SELECT MIN(user_id) FROM memberships \
         WHERE guild_id = $3 AND role = 'admin') \
         WHERE id IN (SELECT id FROM posts WHERE guild_id = $3 AND deleted_at IS NULL \
         ORDER BY posted_at DESC, id DESC LIMIT $4)",
        vec![
            Arg::Time(deleted_at),
            Arg::Text(batch),
            Arg::Int(guild),
            Arg::Int(posts as i64),
        ],
    ))
    .await
}
