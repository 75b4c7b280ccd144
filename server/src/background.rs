//! Every loop `server serve` runs beside the web server, in one place:
//!
//! - **export workers** (two): make queued exports, at once when this
//!   instance queued one, otherwise looking every 2 s for other instances'
//!   jobs;
//! - **upkeep**, every 10 s: requeues or fails exports whose worker stopped,
//!   deletes expired export files, folds the post tallies that writes
//!   have grown, and closes bulk actions whose server stopped mid-run as
//!   interrupted;
//! - **trash purge**, at start and hourly: deletes for good what has been in
//!   the trash for 30 days;
//! - **session cleanup**, at start and hourly: removes expired sessions;
//! - with the bot configured, **Discord replies**, every second: queues the
//!   edits of `/exportdata` replies whose export moved on;
//! - with `SECRET_KEY` set, the **Discord outbox**, every second: sends
//!   what is queued for Discord (reply edits, audit posts), in order per
//!   stream, retrying as Discord asks.
//!
//! Every server instance runs the same loops; the database decides who gets
//! which job (see `app::domain::export::jobs`) and which instance purges, so
//! instances can come and go.

use app::domain::export::{jobs, service};
use app::domain::AppState;
use std::time::Duration;

/// Export workers per instance: this machine kind has two cores, and the
/// writers are CPU-bound; more instances add more workers.
const EXPORT_WORKERS: usize = 2;
/// How often an idle worker looks for queued jobs of other instances (its
/// own instance wakes it at once).
const POLL: Duration = Duration::from_secs(2);
/// How often stalled jobs (and bulk actions) are recovered and expired
/// files removed.
const UPKEEP: Duration = Duration::from_secs(10);
/// How often the trash is purged and expired sessions removed.
const HOURLY: Duration = Duration::from_secs(3600);

/// Takes back at once what an earlier start of this same server held when
/// it stopped (a crash, `kill -9`): its exports go back to the queue (or
/// fail after their last attempt), and its imports and bulk actions are
/// closed as interrupted, with what they did. Without this they would wait
/// for the upkeep to notice 30–60 s of silence. Run before the workers start, once
/// the server has its port (so no other live server has this name).
pub async fn take_back(state: &AppState) {
    let now = state.clock.now();
    match jobs::take_back(&state.db, &state.instance, now).await {
        Ok((0, 0)) => {}
        Ok((requeued, failed)) => tracing::warn!(
            requeued,
            failed,
            "took back the exports this server was making when it stopped"
        ),
        Err(e) => tracing::warn!(error = %e, "could not take back earlier exports"),
    }
    service::remove_work_files_of_earlier_start(
        &state.exports.work_dir.join("tmp"),
        &state.instance,
    );
    match app::domain::import::take_back(state).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            imports = n,
            "closed the imports this server was running when it stopped"
        ),
        Err(e) => tracing::warn!(error = %e, "could not close earlier imports"),
    }
    match app::domain::bulk::take_back(&state.db, &state.instance, now).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            runs = n,
            "closed the bulk actions this server was running when it stopped"
        ),
        Err(e) => tracing::warn!(error = %e, "could not close earlier bulk actions"),
    }
}

/// Starts every background loop.
pub fn spawn(state: AppState) {
    for i in 0..EXPORT_WORKERS {
        let name = format!("{}-{i}", state.instance.id());
        tokio::spawn(export_worker(state.clone(), name));
    }
    tokio::spawn(upkeep(state.clone()));
    tokio::spawn(trash_purge(state.clone()));
    if state.bot.is_some() {
        tokio::spawn(discord_replies(state.clone()));
    }
    if state.outbound.is_some() {
        tokio::spawn(discord_outbox(state.clone()));
    }
    tokio::spawn(session_cleanup(state));
}

/// How often followed replies are looked at, and the outbox when idle.
const DISCORD_TICK: Duration = Duration::from_secs(1);

async fn discord_replies(state: AppState) {
    let Some(bot) = state.bot.clone() else { return };
    loop {
        if let Err(e) = app::domain::discord::replies::tick(&state, &bot).await {
            tracing::warn!("updating /exportdata replies failed: {e}");
        }
        tokio::time::sleep(DISCORD_TICK).await;
    }
}

/// Sends queued messages one after the other while there are any due, then
/// looks again a second later.
async fn discord_outbox(state: AppState) {
    use app::domain::discord::outbox::{self, Outcome};
    let Some(out) = state.outbound.clone() else {
        return;
    };
    let sender = format!("{}-outbox", state.instance.id());
    loop {
        match outbox::deliver_one(&state.db, &out, &sender, || state.clock.now()).await {
            Ok(Outcome::Tried { .. }) => continue,
            Ok(Outcome::EmptyQueue) => {}
            Err(e) => tracing::warn!("sending to Discord failed: {e}"),
        }
        tokio::time::sleep(DISCORD_TICK).await;
    }
}

async fn export_worker(state: AppState, name: String) {
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
        // Imports whose server died mid-check or mid-run: ended as
        // interrupted, with what they wrote.
        match app::domain::import::recover_stale(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(imports = n, "imports interrupted by a stop were closed"),
            Err(e) => tracing::warn!("import upkeep failed: {e}"),
        }
        // The post tallies that writes have grown since they were folded
        // (PostgreSQL; see `app::domain::post_tally`).
        if let Err(e) = app::domain::post_tally::fold_grown(&state.db).await {
            tracing::warn!("post tally upkeep failed: {e}");
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

/// With several servers on one database, whichever gets the lock purges;
/// the others skip that turn.
async fn trash_purge(state: AppState) {
    let mut every_hour = tokio::time::interval(HOURLY);
    loop {
        every_hour.tick().await;
        match app::domain::trash::purge::purge_expired(&state.db, state.trash_window()).await {
            Ok(r) if r.skipped => tracing::info!("another server is purging the trash"),
            Ok(r) if r.accounts + r.posts == 0 => {}
            Ok(r) => tracing::info!(
                accounts = r.accounts,
                posts = r.posts,
                guilds = r.guilds,
                "expired trash purged"
            ),
            Err(e) => tracing::warn!(error = %e, "could not purge the trash"),
        }
    }
}

/// An expired or idle session is refused whenever it is presented anyway,
/// and failures older than the throttle's window no longer count; this
/// only keeps the two tables small.
async fn session_cleanup(state: AppState) {
    let mut every_hour = tokio::time::interval(HOURLY);
    loop {
        every_hour.tick().await;
        match app::domain::auth::purge_expired_sessions(&state.db, state.clock.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "expired sessions removed"),
            Err(e) => tracing::warn!(error = %e, "could not remove expired sessions"),
        }
        match app::domain::sign_in::purge_old_failures(&state.db, state.clock.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "old failed sign-ins removed"),
            Err(e) => tracing::warn!(error = %e, "could not remove old failed sign-ins"),
        }
        match app::domain::discord::oauth::purge_expired(&state.db, state.clock.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "unfinished Discord sign-ins removed"),
            Err(e) => tracing::warn!(error = %e, "could not remove unfinished Discord sign-ins"),
        }
        match app::domain::discord::outbox::prune(&state.db, state.clock.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "old Discord messages removed"),
            Err(e) => tracing::warn!(error = %e, "could not remove old Discord messages"),
        }
        match app::domain::discord::replies::prune(&state.db, state.clock.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "old /exportdata replies removed"),
            Err(e) => tracing::warn!(error = %e, "could not remove old /exportdata replies"),
        }
    }
}
