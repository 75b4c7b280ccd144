//! The demo the run command serves on first start: guild "sonuhaempire"
//! with a demo admin, plus a small second guild where the demo user is only
//! a viewer, so the guild switcher and roles have something to show.

use super::seed::{seed_guild, SeedSpec};
use super::{auth, scope, Db, SharedClock};
use crate::error::AppError;
use crate::model::Role;

pub const DEMO_GUILD: &str = "sonuhaempire";
pub const DEMO_USER: &str = "demo";
pub const DEMO_PASSWORD: &str = "guildtrack-demo";

pub struct DemoSizes {
    pub accounts: usize,
    pub posts: usize,
}

/// Creates the demo user and guilds unless the demo guild already exists.
/// Returns true when it seeded.
pub async fn ensure_demo(db: &Db, clock: &SharedClock, sizes: DemoSizes) -> Result<bool, AppError> {
    let exists = super::Sql::bound(
        "SELECT COUNT(*) FROM guilds WHERE slug = $1",
        vec![super::Arg::Text(DEMO_GUILD.into())],
    );
    if db.fetch_i64(&exists).await? > 0 {
        return Ok(false);
    }
    let now = clock.now();
    let user_id = match auth::find_user_id(db, DEMO_USER).await? {
        Some(id) => id,
        None => auth::create_user(db, clock, DEMO_USER, "Demo Admin", DEMO_PASSWORD).await?,
    };
    seed_guild(
        db,
        &SeedSpec {
            slug: DEMO_GUILD.into(),
            name: "Sonuha Empire".into(),
            brands: 3,
            groups: 5,
            accounts: sizes.accounts,
            posts: sizes.posts,
            seed: 2026,
            anchor: now,
        },
    )
    .await?;
    scope::set_membership(db, now, DEMO_GUILD, user_id, Role::Admin).await?;
    seed_guild(
        db,
        &SeedSpec {
            slug: "pixelpals".into(),
            name: "Pixel Pals".into(),
            brands: 2,
            groups: 2,
            accounts: (sizes.accounts / 8).max(4),
            posts: (sizes.posts / 20).max(40),
            seed: 7,
            anchor: now,
        },
    )
    .await?;
    scope::set_membership(db, now, "pixelpals", user_id, Role::Viewer).await?;
    Ok(true)
}
