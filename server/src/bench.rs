//! `server bench list`: list-query latency on a large guild.
//!
//! Seeds a guild (default one million posts) unless it exists, then runs
//! typical Posts-page queries through the same domain function the server
//! function calls, and prints p50/p95/p99 per query as a Markdown table.
//! Server-side time only: no HTTP, no rendering.

use app::domain::seed::{seed_guild, SeedSpec};
use app::domain::{accounts, auth, catalog, posts, scope, Arg, Db, GuildScope, SharedClock, Sql};
use app::error::AppError;
use app::model::query::Params;
use app::model::{AccountFilter, PostFilter, Role, SessionUser};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Slug of the benchmark guild (created if missing).
    #[arg(long, default_value = "bench")]
    pub guild: String,
    /// Posts to seed when the guild does not exist yet.
    #[arg(long, default_value_t = 1_000_000)]
    pub posts: usize,
    #[arg(long, default_value_t = 300)]
    pub accounts: usize,
    /// Timed runs per query.
    #[arg(long, default_value_t = 200)]
    pub iterations: usize,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx].as_secs_f64() * 1000.0
}

pub async fn bench_user(
    db: &Db,
    clock: &SharedClock,
    guild: &str,
) -> Result<SessionUser, AppError> {
    let id = match auth::find_user_id(db, "bench").await? {
        Some(id) => id,
        None => auth::create_user(db, clock, "bench", "Benchmark", "bench-password").await?,
    };
    scope::set_membership(db, clock.now(), guild, id, Role::Viewer).await?;
    Ok(SessionUser {
        id,
        username: "bench".into(),
        display_name: "Benchmark".into(),
    })
}

fn params(pairs: &[(&str, String)]) -> Params {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// Seeds `guild` with `posts` posts unless it exists.
pub async fn ensure_seeded(
    db: &Db,
    clock: &SharedClock,
    guild: &str,
    posts: usize,
    accounts: usize,
) -> Result<(), AppError> {
    let exists = db
        .fetch_i64(&Sql::bound(
            "SELECT COUNT(*) FROM guilds WHERE slug = $1",
            vec![Arg::Text(guild.to_string())],
        ))
        .await?;
    if exists == 0 {
        eprintln!("Seeding “{guild}” with {posts} posts…");
        let report = seed_guild(
            db,
            &SeedSpec {
                slug: guild.to_string(),
                name: "Benchmark guild".into(),
                brands: 3,
                groups: 5,
                accounts,
                posts,
                seed: 99,
                anchor: clock.now(),
            },
        )
        .await?;
        eprintln!("Seeded in {:.1} s.", report.elapsed.as_secs_f64());
    }
    Ok(())
}

pub async fn run(db: &Db, clock: &SharedClock, args: BenchArgs) -> Result<(), AppError> {
    ensure_seeded(db, clock, &args.guild, args.posts, args.accounts).await?;
    let user = bench_user(db, clock, &args.guild).await?;
    let scope = GuildScope::for_member(db, &user, &args.guild).await?;
    let brands = catalog::brands(db, &scope).await?;
    let groups = catalog::groups(db, &scope).await?;
    let total = posts::list(db, &scope, &PostFilter::from_params(&Params::new())?)
        .await?
        .total;
    let first_account = accounts::list(db, &scope, &AccountFilter::from_params(&Params::new())?)
        .await?
        .items
        .remove(0);
    let some_account = first_account.id;
    // "@rio": the accounts whose handle starts with the first account's
    // first three letters, and their posts.
    let prefix: String = first_account.handle.chars().take(3).collect();
    let today = clock.now().date_naive();
    let month_ago = today - chrono::Days::new(30);

    let cases: Vec<(&str, Params)> = vec![
        ("newest first, no filter", params(&[])),
        (
            "platform = tiktok",
            params(&[("platform", "tiktok".into())]),
        ),
        ("one brand", params(&[("brand", brands[0].id.to_string())])),
        ("one group", params(&[("group", groups[1].id.to_string())])),
        (
            "platform + brand",
            params(&[
                ("platform", "instagram".into()),
                ("brand", brands[0].id.to_string()),
            ]),
        ),
        (
            "one account",
            params(&[("account", some_account.to_string())]),
        ),
        (
            "last 30 days",
            params(&[("from", month_ago.to_string()), ("to", today.to_string())]),
        ),
        ("min views 100k", params(&[("min_views", "100000".into())])),
        (
            "brand, page 40 of 50 per page",
            params(&[
                ("brand", brands[1].id.to_string()),
                ("per_page", "50".into()),
                ("page", "40".into()),
            ]),
        ),
        (
            "group + min views 100k, most viewed",
            params(&[
                ("group", groups[1].id.to_string()),
                ("min_views", "100000".into()),
                ("sort", "views".into()),
            ]),
        ),
        (
            "last 30 days, most liked",
            params(&[
                ("from", month_ago.to_string()),
                ("to", today.to_string()),
                ("sort", "likes".into()),
            ]),
        ),
        (
            "text search “dance” (full scan)",
            params(&[("q", "dance".into())]),
        ),
        (
            "handle prefix “@…” (3 letters)",
            params(&[("q", format!("@{prefix}"))]),
        ),
    ];

    println!(
        "Backend: {:?}, guild “{}” with {} live posts, {} runs per query\n",
        db.dialect(),
        args.guild,
        total,
        args.iterations
    );
    println!("| query | matches | p50 ms | p95 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, p) in cases {
        let filter = PostFilter::from_params(&p)?;
        let mut matches = 0;
        for _ in 0..3 {
            matches = posts::list(db, &scope, &filter).await?.total;
        }
        let mut times = Vec::with_capacity(args.iterations);
        for _ in 0..args.iterations {
            let t = Instant::now();
            std::hint::black_box(posts::list(db, &scope, &filter).await?);
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "| {name} | {matches} | {:.1} | {:.1} | {:.1} | {:.1} |",
            percentile(&times, 0.50),
            percentile(&times, 0.95),
            percentile(&times, 0.99),
            percentile(&times, 1.0)
        );
    }
    Ok(())
}
