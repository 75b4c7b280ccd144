//! Background export workers and upkeep, started by `server serve`.
//!
//! Every server instance runs the same loops; the database decides who gets
//! which job (see `app::domain::export::jobs`), so instances can come and go.

use app::domain::export::{jobs, service};
use app::domain::AppState;
use std::time::Duration;

/// How often an idle worker looks for queued jobs of other instances (its
/// own instance wakes it at once).
const POLL: Duration = Duration::from_secs(2);
/// How often stalled jobs (and bulk actions) are recovered and expired
/// files removed.
const UPKEEP: Duration = Duration::from_secs(10);

/// A name unique across instances and restarts, recorded on claimed jobs.
fn worker_name(i: usize) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("w{}-{nanos:x}-{i}", std::process::id())
}

/// Starts `workers` export workers and the upkeep loop.
pub fn spawn(state: AppState, workers: usize) {
    for i in 0..workers {
        tokio::spawn(work(state.clone(), worker_name(i)));
    }
    tokio::spawn(upkeep(state));
}

async fn work(state: AppState, name: String) {
    loop {
        match jobs::claim_next(&state.db, &name, state.clock.now()).await {
            Ok(Some(job)) => {
                tracing::info!(job = job.id, worker = %name, attempt = job.attempts, "export started");
                let id = job.id;
                service::run_claimed(&state, job, &name).await;
                tracing::info!(job = id, worker = %name, "export ended");
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(worker = %name, "claiming an export failed: {e}"),
        }
        tokio::select! {
            _ = state.exports.wake.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

async fn upkeep(state: AppState) {
    loop {
        if let Err(e) = service::maintain(&state).await {
            tracing::warn!("export upkeep failed: {e}");
        }
        // Bulk actions whose server died mid-run: reported, not left running.
        match app::domain::bulk::recover_stale(&state.db, state.clock.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(runs = n, "bulk actions interrupted by a stop were closed"),
            Err(e) => tracing::warn!("bulk upkeep failed: {e}"),
        }
        tokio::time::sleep(UPKEEP).await;
    }
}
