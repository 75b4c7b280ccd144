//! `server bench-bulk`: soft-delete and reassign the posts of a fresh guild
//! chosen with "select all" (every post of a 100,000-post guild by default,
//! or those matching `--filter` in a bigger one), with the audit rows, while
//! a list query of the same guild runs in a loop; see BENCHMARKS.md.

use crate::bench::{bench_user, confirmed, ensure_seeded};
use app::domain::trash::Window;
use app::domain::{bulk, posts, Arg, Db, GuildScope, SharedClock, Sql};
use app::error::AppError;
use app::model::query::Params;
use app::model::{BulkAction, BulkRequest, Change, Entity, PostFilter, Role, Selection};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct BenchBulkArgs {
    /// Posts in the guild seeded for this run.
    #[arg(long, default_value_t = 100_000)]
    pub posts: usize,
    #[arg(long, default_value_t = 1_000)]
    pub accounts: usize,
    /// Timed list queries for the quiet baseline.
    #[arg(long, default_value_t = 200)]
    pub iterations: usize,
    /// Items per transaction (default: what the app uses on this database).
    #[arg(long)]
    pub chunk: Option<usize>,
    /// Run the operations alone, without the list query alongside.
    #[arg(long)]
    pub quiet: bool,
    /// Select the posts matching this filter of the Posts page instead of
    /// all of them, as `key=value` in its URL's terms (repeatable), e.g.
    /// `--posts 1000000 --filter platform=youtube --filter brand=3`.
    #[arg(long = "filter", value_parser = key_value)]
    pub filters: Vec<(String, String)>,
}

fn key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected key=value, got {s:?}"))
}

/// The list query runs every 20 ms (50 a second, one busy member's worth
/// of clicking and more), timed each time; a closed loop would measure how
/// two cores are shared, not how the operation affects a page load.
const PACE: Duration = Duration::from_millis(20);

fn p95_ms(mut times: Vec<Duration>) -> (f64, usize) {
    times.sort();
    let idx = ((times.len() as f64 - 1.0) * 0.95).round() as usize;
    (times[idx].as_secs_f64() * 1000.0, times.len())
}

/// The Posts page's first page, as a member opens it.
async fn list_once(db: &Db, scope: &GuildScope) -> Result<Duration, AppError> {
    let t = Instant::now();
    posts::list(db, scope, &PostFilter::default()).await?;
    Ok(t.elapsed())
}

/// Runs `action` on every live post of the guild, the way the UI does
/// (preview, confirm, run), with the list query looping alongside.
async fn timed(
    db: &Db,
    clock: &SharedClock,
    scope: &GuildScope,
    action: BulkAction,
    args: &BenchBulkArgs,
) -> Result<(Duration, Duration, Vec<Duration>, i64, i64), AppError> {
    let stop = Arc::new(AtomicBool::new(args.quiet));
    let lister = {
        let (db, scope, stop) = (db.clone(), scope.clone(), stop.clone());
        tokio::spawn(async move {
            let mut times = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                times.push(list_once(&db, &scope).await?);
                tokio::time::sleep(PACE).await;
            }
            Ok::<_, AppError>(times)
        })
    };
    let request = BulkRequest {
        entity: Entity::Posts,
        selection: Selection::AllMatching {
            filter: selection(args),
            except: vec![],
        },
        action,
    };
    let confirm = confirmed(db, window(clock), scope, request).await?;
    // Timed from the click on the confirm button to the last chunk's commit,
    // when the result shows: what the member waits for.
    let t = Instant::now();
    let chunk = args.chunk.unwrap_or_else(|| bulk::chunk_size(db.dialect()));
    let mut runner = bulk::start(
        db,
        window(clock),
        scope,
        &confirm,
        chunk,
        "bench-bulk:0#bench",
    )
    .await?;
    // As a member's run goes (`bulk::launch`), unless a chunk size is given.
    if args.chunk.is_none() && db.dialect() == app::domain::Dialect::Sqlite {
        runner = runner.paced(bulk::SQLITE_LOCK_HOLD);
    }
    let batch = runner.batch_id().to_string();
    let after = runner.after_run();
    let run = runner.run_chunks(db, clock).await?;
    let elapsed = t.elapsed();
    // After the result shows, with the list still looping: the upkeep the
    // chunks left (PostgreSQL's fold and vacuum; nothing on SQLite).
    let t = Instant::now();
    after.upkeep(db).await;
    let upkeep = t.elapsed();
    stop.store(true, Ordering::Relaxed);
    let during = lister.await.map_err(|_| AppError::Internal)??;
    let audit = db
        .fetch_i64(&Sql::bound(
            "SELECT COUNT(*) FROM audit_log WHERE batch_id = $1",
            vec![Arg::Text(batch)],
        ))
        .await?;
    Ok((elapsed, upkeep, during, run.succeeded, audit))
}

/// The "select all" of the run: the posts matching `--filter`.
fn selection(args: &BenchBulkArgs) -> Params {
    args.filters.iter().cloned().collect()
}

/// The bulk actions' view of now (these act on live items; the retention
/// only matters to trash actions).
fn window(clock: &SharedClock) -> Window {
    Window {
        now: clock.now(),
        retention: chrono::Duration::days(Window::DEFAULT_RETENTION_DAYS),
    }
}

pub async fn run(db: &Db, clock: &SharedClock, args: BenchBulkArgs) -> Result<(), AppError> {
    // A fresh guild each run: the operations need live, unmoved posts.
    let slug = format!("bench-bulk-{}", clock.now().timestamp());
    ensure_seeded(db, clock, &slug, args.posts, args.accounts).await?;
    db.analyze().await?;
    let user = bench_user(db, clock, &slug).await?;
    app::domain::scope::set_membership(db, clock.now(), &slug, user.id, Role::Editor).await?;
    let scope = GuildScope::for_member(db, &user, &slug).await?;
    let group = db
        .fetch_i64(&Sql::bound(
            "SELECT MIN(g.id) FROM account_groups g JOIN guilds x ON x.id = g.guild_id WHERE x.slug = $1",
            vec![Arg::Text(slug.clone())],
        ))
        .await?;

    let mut quiet = Vec::with_capacity(args.iterations);
    for _ in 0..args.iterations {
        quiet.push(list_once(db, &scope).await?);
        tokio::time::sleep(PACE).await;
    }
    let (quiet_p95, _) = p95_ms(quiet);
    println!("guild {slug}: list query p95 {quiet_p95:.2} ms when quiet");

    for (name, action) in [
        (
            "reassign",
            BulkAction::Reassign {
                group: Change::Set(group),
                brand: Change::Keep,
            },
        ),
        ("delete", BulkAction::Delete),
    ] {
        let (elapsed, upkeep, mut during, done, audit) =
            timed(db, clock, &scope, action, &args).await?;
        if during.is_empty() {
            during.push(Duration::ZERO);
        }
        let (p95, n) = p95_ms(during);
        println!(
            "{name}: {done} posts in {:.3} s ({audit} audit rows), then {:.3} s of upkeep \
             (PostgreSQL's vacuum); list query p95 {p95:.2} ms during both over {n} runs \
             ({:.2}x quiet)",
            elapsed.as_secs_f64(),
            upkeep.as_secs_f64(),
            p95 / quiet_p95
        );
    }
    Ok(())
}
