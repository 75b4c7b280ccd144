//! `server bench list`: list-query latency on a large guild.
//!
//! Seeds a guild (default one million posts) unless it exists, then runs
//! typical Posts-page queries through the same domain function the server
//! function calls, and prints p50/p95/p99 per query as a Markdown table.
//! Server-side time only: no HTTP, no rendering.

use app::domain::estimate::Sampling;
use app::domain::seed::{seed_guild, SeedSpec};
use app::domain::trash::{self, Window};
use app::domain::{
    accounts, audit, auth, bulk, catalog, export, posts, scope, Arg, Db, GuildScope, SharedClock,
    Sql,
};
use app::error::AppError;
use app::model::query::Params;
use app::model::{
    AccountFilter, AuditFilter, BulkAction, BulkConfirm, BulkRequest, Entity, ExportScope,
    PageInfo, PostFilter, Role, Selection, SessionUser, TrashFilter,
};
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
    /// Run only the queries whose name contains this text (e.g. "text").
    #[arg(long)]
    pub only: Option<String>,
    /// Then move every TikTok post to the trash with a real "select all"
    /// delete (283,871 of the million, one audit entry each, once per
    /// guild), and time Deleted Items and the Audit log.
    #[arg(long)]
    pub trash: bool,
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

fn named(cases: Vec<(&str, Params)>) -> Vec<(String, Params)> {
    cases
        .into_iter()
        .map(|(name, p)| (name.to_string(), p))
        .collect()
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

    let mut cases: Vec<(String, Params)> = named(vec![
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
            "group, most viewed",
            params(&[
                ("group", groups[1].id.to_string()),
                ("sort", "views".into()),
            ]),
        ),
        (
            "brand + group, most liked",
            params(&[
                ("brand", brands[0].id.to_string()),
                ("group", groups[1].id.to_string()),
                ("sort", "likes".into()),
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
        ("oldest first", params(&[("sort", "oldest".into())])),
        ("most viewed", params(&[("sort", "views".into())])),
        ("most liked", params(&[("sort", "likes".into())])),
        (
            "page 2,000 (25 per page)",
            params(&[("page", "2000".into())]),
        ),
        ("text search “dance”", params(&[("q", "dance".into())])),
        (
            "text inside a word “halleng”",
            params(&[("q", "halleng".into())]),
        ),
        ("text, Cyrillic “Привет”", params(&[("q", "Привет".into())])),
        ("text, emoji “live 🔥”", params(&[("q", "live 🔥".into())])),
        (
            "text matching nothing “qzxv”",
            params(&[("q", "qzxv".into())]),
        ),
        (
            "text “dance” + platform",
            params(&[("q", "dance".into()), ("platform", "tiktok".into())]),
        ),
        (
            "handle prefix “@…” (3 letters)",
            params(&[("q", format!("@{prefix}"))]),
        ),
    ]);
    // Every other pair of the filter bar's filters, newest first: the rows
    // above hold platform + brand, group + min views and text + platform.
    // An Instagram account: `--trash` empties TikTok, and the first account
    // of the list may be one.
    let instagram = params(&[("platform", "instagram".into())]);
    let pair_account = accounts::list(db, &scope, &AccountFilter::from_params(&instagram)?)
        .await?
        .items
        .first()
        .map_or(some_account, |a| a.id);
    let singles: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("platform", vec![("platform", "instagram".into())]),
        ("brand", vec![("brand", brands[0].id.to_string())]),
        ("group", vec![("group", groups[1].id.to_string())]),
        ("account", vec![("account", pair_account.to_string())]),
        (
            "last 30 days",
            vec![("from", month_ago.to_string()), ("to", today.to_string())],
        ),
        ("min views 100k", vec![("min_views", "100000".into())]),
        ("text “dance”", vec![("q", "dance".into())]),
    ];
    let shown = [
        ("platform", "brand"),
        ("group", "min views 100k"),
        ("platform", "text “dance”"),
    ];
    for (i, (a, a_params)) in singles.iter().enumerate() {
        for (b, b_params) in &singles[i + 1..] {
            if shown.contains(&(*a, *b)) {
                continue;
            }
            let both: Vec<(&str, String)> = a_params.iter().chain(b_params).cloned().collect();
            cases.push((format!("pair: {a} + {b}"), params(&both)));
        }
    }

    println!(
        "Backend: {:?}, guild “{}” with {} live posts, {} runs per query\n",
        db.dialect(),
        args.guild,
        total,
        args.iterations
    );
    println!("| query | matches | p50 ms | p95 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, p) in &cases {
        let name = name.as_str();
        if !wanted(&args, name) {
            continue;
        }
        let filter = PostFilter::from_params(p)?;
        let (scope, filter) = (&scope, &filter);
        let (shown, times) = timed(args.iterations, move || async move {
            let page = posts::list(db, scope, filter).await?;
            Ok(page.info())
        })
        .await?;
        let exact = if shown.estimated {
            posts::list_sampling(db, scope, filter, Sampling::EXACT)
                .await?
                .total
        } else {
            shown.total
        };
        print_row(name, (matches(&shown, exact), times));
    }
    // Selections, bulk previews and exports count exactly and have no
    // sample: a rare text is reached through the caption index, a common
    // one by walking the guild (`list_sql::exact_reach`, in the plan).
    for (name, q) in [
        ("exact count for an export, “qzxv”", "qzxv"),
        ("exact count for an export, “dance”", "dance"),
    ] {
        if !wanted(&args, name) {
            continue;
        }
        let view = ExportScope::View(params(&[("q", q.into())]));
        let (scope, view) = (&scope, &view);
        let (count, times) = timed(args.iterations, move || async move {
            let plan = export::plan::plan(db, scope, Entity::Posts, view).await?;
            db.fetch_i64(&plan.count).await
        })
        .await?;
        print_row(name, (count.to_string(), times));
    }
    if args.trash {
        trash_and_audit(db, clock, &args, &user).await?;
    }
    Ok(())
}

fn wanted(args: &BenchArgs, name: &str) -> bool {
    args.only.as_deref().is_none_or(|only| name.contains(only))
}

/// A query's result and its sorted run times: 3 warm-up runs, then
/// `iterations` timed ones.
async fn timed<T, F, Fut>(iterations: usize, mut run: F) -> Result<(T, Vec<Duration>), AppError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    let mut result = run().await?;
    for _ in 0..2 {
        result = run().await?;
    }
    let mut times = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let t = Instant::now();
        std::hint::black_box(run().await?);
        times.push(t.elapsed());
    }
    times.sort();
    Ok((result, times))
}

/// The matches column: the total, or an estimate beside the exact count
/// and its error.
fn matches(shown: &PageInfo, exact: i64) -> String {
    if shown.estimated {
        let error = (shown.total - exact) as f64 / exact.max(1) as f64 * 100.0;
        format!("about {} (exact {exact}, {error:+.1} %)", shown.total)
    } else {
        shown.total.to_string()
    }
}

fn print_row(name: &str, (matches, times): (String, Vec<Duration>)) {
    println!(
        "| {name} | {matches} | {:.1} | {:.1} | {:.1} | {:.1} |",
        percentile(&times, 0.50),
        percentile(&times, 0.95),
        percentile(&times, 0.99),
        percentile(&times, 1.0)
    );
}

/// Deleted Items and the Audit log of a guild whose TikTok posts were
/// deleted in one bulk action.
async fn trash_and_audit(
    db: &Db,
    clock: &SharedClock,
    args: &BenchArgs,
    user: &SessionUser,
) -> Result<(), AppError> {
    scope::set_membership(db, clock.now(), &args.guild, user.id, Role::Editor).await?;
    let scope = GuildScope::for_member(db, user, &args.guild).await?;
    let window = Window {
        now: clock.now(),
        retention: chrono::Duration::days(Window::DEFAULT_RETENTION_DAYS),
    };
    let batch = match trash_batch(db, &scope).await? {
        Some(batch) => batch,
        None => {
            let started = Instant::now();
            let batch = delete_tiktok(db, clock, &scope, window).await?;
            eprintln!(
                "Trashed the TikTok posts in {:.1} s.",
                started.elapsed().as_secs_f64()
            );
            db.analyze().await?;
            batch
        }
    };
    let trash_cases: Vec<(&str, Params)> = vec![
        ("Deleted Items, first page", params(&[])),
        (
            "Deleted Items, purge within 7 days",
            params(&[("expiring", "1".into())]),
        ),
        (
            "Deleted Items, text “dance”",
            params(&[("q", "dance".into())]),
        ),
        (
            "Deleted Items, page 2,000",
            params(&[("page", "2000".into())]),
        ),
    ];
    for (name, p) in trash_cases {
        if !wanted(args, name) {
            continue;
        }
        let filter = TrashFilter::from_params(&p)?;
        let (scope, filter) = (&scope, &filter);
        let (shown, times) = timed(args.iterations, move || async move {
            Ok(trash::list(db, scope, filter, window).await?.info())
        })
        .await?;
        let exact = if shown.estimated {
            trash::list_sampling(db, scope, filter, window, Sampling::EXACT)
                .await?
                .total
        } else {
            shown.total
        };
        print_row(name, (matches(&shown, exact), times));
    }
    if wanted(args, "Audit log, first page") {
        let filter = AuditFilter::from_params(&Params::new())?;
        let (scope, filter) = (&scope, &filter);
        let times = timed(args.iterations, move || async move {
            Ok(audit::list(db, scope, filter).await?.total.to_string())
        })
        .await?;
        print_row("Audit log, first page", times);
    }
    for page in [1, 2000] {
        let name = format!("Audit log, the delete's items, page {page}");
        if !wanted(args, &name) {
            continue;
        }
        let (scope, batch) = (&scope, batch.as_str());
        let times = timed(args.iterations, move || async move {
            Ok(audit::batch_items(db, scope, batch, page)
                .await?
                .total
                .to_string())
        })
        .await?;
        print_row(&name, times);
    }
    Ok(())
}

/// The batch of the guild's newest deletion, if any post is in its trash.
async fn trash_batch(db: &Db, scope: &GuildScope) -> Result<Option<String>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Batch(String);
    Ok(db
        .fetch_optional::<Batch>(&Sql::bound(
            "SELECT delete_batch_id FROM posts WHERE guild_id = $1 AND deleted_at IS NOT NULL \
             AND delete_batch_id IS NOT NULL ORDER BY deleted_at DESC LIMIT 1",
            vec![Arg::Int(scope.guild_id())],
        ))
        .await?
        .map(|b| b.0))
}

/// Deletes every TikTok post as a member would: select all, confirm, run.
async fn delete_tiktok(
    db: &Db,
    clock: &SharedClock,
    scope: &GuildScope,
    window: Window,
) -> Result<String, AppError> {
    let request = BulkRequest {
        entity: Entity::Posts,
        selection: Selection::AllMatching {
            filter: params(&[("platform", "tiktok".into())]),
            except: vec![],
        },
        action: BulkAction::Delete,
    };
    let confirm = confirmed(db, window, scope, request).await?;
    let chunk = bulk::chunk_size(db.dialect());
    let runner = bulk::start(db, window, scope, &confirm, chunk, "bench:0#bench").await?;
    let batch = runner.batch_id().to_string();
    // With the upkeep after it, as a member's run has before the lists are
    // timed.
    runner.run_to_end(db, clock).await?;
    Ok(batch)
}

/// `request` previewed and confirmed as a member would: the count typed as
/// the preview gave it.
pub async fn confirmed(
    db: &Db,
    window: Window,
    scope: &GuildScope,
    request: BulkRequest,
) -> Result<BulkConfirm, AppError> {
    let preview = bulk::preview(db, window, scope, &request).await?;
    Ok(BulkConfirm {
        request,
        confirmed_count: preview.count,
        typed: preview.count.to_string(),
        as_of: preview.as_of,
        reason: String::new(),
    })
}
