//! `server bench-export`: one export, timed the way a user waits for it,
//! with this process's peak memory. `scripts/bench-export` runs it once per
//! database, size and format (a fresh process each, so peaks do not mix)
//! and sets it beside a Python baseline; see BENCHMARKS.md.

use crate::bench::{bench_user, ensure_seeded};
use app::domain::export::{jobs, service, ExportSettings, LocalStore};
use app::domain::{AppState, Db, GuildScope, SharedClock};
use app::error::AppError;
use app::model::{Entity, ExportFormat, ExportRequest, ExportScope, ExportStarted, JobStatus};
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct BenchExportArgs {
    /// Guild to export (seeded with --posts posts when missing).
    #[arg(long)]
    pub guild: String,
    #[arg(long, default_value_t = 1_000_000)]
    pub posts: usize,
    /// csv, json or xlsx.
    #[arg(long, default_value = "csv")]
    pub format: String,
    /// Where the files go (removed afterwards).
    #[arg(long, default_value = "target/bench/exports")]
    pub dir: std::path::PathBuf,
    /// Only seed the guild.
    #[arg(long)]
    pub seed_only: bool,
    /// PostgreSQL only: time reading the rows through sqlx streaming and
    /// through COPY … TO STDOUT, without writing a file.
    #[arg(long)]
    pub compare_pg_reads: bool,
}

/// Peak resident memory of this process (VmHWM), in MiB.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kib| kib / 1024.0)
        .unwrap_or(f64::NAN)
}

fn backend(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(..) => "sqlite",
        Db::Postgres(_) => "postgres",
    }
}

pub async fn run(db: &Db, clock: &SharedClock, args: BenchExportArgs) -> Result<(), AppError> {
    ensure_seeded(db, clock, &args.guild, args.posts, 300).await?;
    if args.seed_only {
        return Ok(());
    }
    let user = bench_user(db, clock, &args.guild).await?;
    let scope = GuildScope::for_member(db, &user, &args.guild).await?;
    if args.compare_pg_reads {
        return compare_pg_reads(db, &scope).await;
    }
    let format = ExportFormat::parse(&args.format)
        .ok_or_else(|| AppError::invalid("--format must be csv, json or xlsx"))?;
    std::fs::create_dir_all(&args.dir).map_err(|_| AppError::Internal)?;
    let blobs = Arc::new(LocalStore::new(args.dir.join("files")));
    let mut exports = ExportSettings::new(args.dir.clone(), blobs);
    // Every size runs as a background job: that is what a user waits for
    // past the instant limit.
    exports.instant_limit = 1;
    let state = AppState {
        db: db.clone(),
        clock: clock.clone(),
        exports,
        trash_retention: chrono::Duration::days(app::domain::trash::Window::DEFAULT_RETENTION_DAYS),
        instance: app::domain::Instance::new("bench-export:0", clock.now()),
        discord: None,
        bot: None,
        outbound: None,
    };
    let req = ExportRequest {
        entity: Entity::Posts,
        format,
        scope: ExportScope::All,
        filename: String::new(),
        confirm: None,
    };

    let started = Instant::now();
    let ExportStarted::Queued(job) = service::start(&state, &scope, req).await? else {
        return Err(AppError::invalid("expected a background job"));
    };
    let claimed = jobs::claim_next(db, "bench", clock.now())
        .await?
        .ok_or_else(|| AppError::invalid("no job to claim (another worker?)"))?;
    service::run_claimed(&state, claimed, "bench").await;
    let seconds = started.elapsed().as_secs_f64();

    let (done, key) = jobs::get_with_key(db, &scope, job.id).await?;
    if done.status != JobStatus::Done {
        return Err(AppError::invalid(format!(
            "export failed: {:?}",
            done.error
        )));
    }
    if let Some(key) = key {
        state.exports.blobs.delete(&key).await.ok();
    }
    println!(
        "{}",
        serde_json::json!({
            "tool": "guildtrack",
            "db": backend(db),
            "format": format.ext(),
            "rows": done.processed,
            "seconds": seconds,
            "rows_per_sec": done.processed as f64 / seconds,
            "bytes": done.size_bytes,
            "peak_rss_mib": peak_rss_mib(),
        })
    );
    Ok(())
}

/// sqlx streaming (decode each row) vs COPY TO STDOUT (raw CSV bytes,
/// which would still need parsing, guarding and re-quoting).
async fn compare_pg_reads(db: &Db, scope: &GuildScope) -> Result<(), AppError> {
    use futures::TryStreamExt;
    let Db::Postgres(pool) = db else {
        return Err(AppError::invalid("--compare-pg-reads needs PostgreSQL"));
    };
    let plan = app::domain::export::plan::plan(db, scope, Entity::Posts, &ExportScope::All).await?;
    let t = Instant::now();
    // The plan of "everything" has one parameter: the guild.
    let mut rows = sqlx::query(&plan.rows.text)
        .bind(scope.guild_id())
        .fetch(pool);
    let mut n = 0u64;
    while let Some(row) = rows.try_next().await.map_err(AppError::from)? {
        use sqlx::Row;
        let _: Option<String> = row.try_get(4).map_err(AppError::from)?;
        n += 1;
    }
    drop(rows);
    let streaming = t.elapsed().as_secs_f64();

    // COPY takes no parameters: the guild id is ours, an integer.
    let text = plan.rows.text.replace("$1", &scope.guild_id().to_string());
    let t = Instant::now();
    let mut conn = pool.acquire().await.map_err(AppError::from)?;
    let mut copy = conn
        .copy_out_raw(&format!("COPY ({text}) TO STDOUT WITH (FORMAT csv)"))
        .await
        .map_err(AppError::from)?;
    let mut bytes = 0usize;
    while let Some(chunk) = copy.try_next().await.map_err(AppError::from)? {
        bytes += chunk.len();
    }
    let copy_secs = t.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "tool": "pg-read", "rows": n, "sqlx_streaming_seconds": streaming,
            "copy_to_stdout_seconds": copy_secs, "copy_bytes": bytes,
        })
    );
    Ok(())
}
