//! A bulk action as it runs. [`start`] checks the confirmation and fixes the
//! [`Plan`]; each [`Runner::step`] then does one chunk in one transaction:
//! judge its items ([`verdict`]), change the ones that pass, audit every
//! item, and save the [`Tally`] with the run's row ([`runs`]).

use super::items::{self, Chunk};
use super::runs;
use super::targets::{self, Targets};
use super::verdict::{verdict, Facts};
use super::{count_changed, require_role, resolve, trash_of};
use crate::domain::audit::{self, Entry};
use crate::domain::db::Tx;
use crate::domain::post_tally;
use crate::domain::trash::Window;
use crate::domain::{Arg, Db, GuildScope, SharedClock, Sql};
use crate::error::AppError;
use crate::format::thousands;
use crate::model::bulk::{confirm_hint, confirms, past_tense, MAX_NAMED_FAILURES};
use crate::model::{BulkAction, BulkConfirm, BulkRun, Entity, FailedItem, FailureReason, Role};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The longest reason kept for the audit log.
const MAX_REASON_CHARS: usize = 500;

/// What the member confirmed, fixed for the whole run.
#[derive(Debug)]
struct Plan {
    run_id: i64,
    scope: GuildScope,
    entity: Entity,
    action: BulkAction,
    targets: Targets,
    /// Names the run's audit entries and the items it trashes.
    batch_id: String,
    /// When the member reviewed the selection: items changed after it fail.
    as_of: DateTime<Utc>,
    /// The member's reason, for the audit log.
    reason: String,
    /// The selection in words, for the audit log.
    how: String,
    ids: Vec<i64>,
    /// Items per chunk.
    chunk: usize,
}

/// How far the run got: updated by every chunk and saved with it.
#[derive(Debug, Default)]
pub(super) struct Tally {
    /// Items done so far: the next chunk starts here.
    pub next: usize,
    pub succeeded: i64,
    pub failed: i64,
    /// The first [`MAX_NAMED_FAILURES`] failed items, named.
    pub failures: Vec<FailedItem>,
    /// Posts trashed, restored or purged along with the accounts.
    pub cascaded: i64,
    /// Restored items whose group or brand no longer exists.
    pub unassigned: i64,
}

/// A confirmed bulk action, ready to work through its ids chunk by chunk.
#[derive(Debug)]
pub struct Runner {
    plan: Plan,
    tally: Tally,
    /// Waiting for the guild's older runs to end: one runs per guild at a
    /// time (on SQLite they would take turns with the write lock anyway,
    /// and on both, two runs over the same items would fail each other's).
    queued: bool,
    /// Items the next chunk takes.
    next_chunk: usize,
    /// With [`Runner::paced`], how long each chunk should hold the write
    /// lock; the chunk size follows what the last chunk took.
    hold: Option<std::time::Duration>,
}

/// The first chunk of a paced run, before any chunk was timed.
const FIRST_PACED_CHUNK: usize = 10_000;
/// The smallest chunk of a paced run: below this, commits cost more than
/// they spare the other writers.
const MIN_PACED_CHUNK: usize = 2_000;

/// The size of the next chunk after one of `size` items held the lock for
/// `took`, aiming at `hold`: in proportion, at most twice the last size,
/// and between [`MIN_PACED_CHUNK`] and `max`.
fn next_chunk_size(
    size: usize,
    took: std::time::Duration,
    hold: std::time::Duration,
    max: usize,
) -> usize {
    let took = took.as_secs_f64().max(0.001);
    let aimed = (size as f64 * hold.as_secs_f64() / took) as usize;
    aimed.min(size * 2).clamp(MIN_PACED_CHUNK.min(max), max)
}

/// How often a queued run looks whether its turn came (and proves itself
/// alive to the upkeep).
const QUEUE_POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// The items of one chunk, sorted by their verdict.
struct Judged {
    ok: Vec<i64>,
    failed: Vec<(i64, FailureReason)>,
}

/// Checks the confirmation and records the run, held by `worker` (this
/// server's [`crate::domain::Instance::id`]): running, or queued behind the
/// guild's other runs. Refuses, with a sentence, when the member may not
/// do this, a target is not in the guild, the typed text does not confirm,
/// the selection no longer has the confirmed count, or the guild's queue
/// is full.
pub async fn start(
    db: &Db,
    window: Window,
    scope: &GuildScope,
    confirm: &BulkConfirm,
    chunk: usize,
    worker: &str,
) -> Result<Runner, AppError> {
    let (req, now) = (&confirm.request, window.now);
    require_role(scope, req)?;
    if !confirms(&confirm.typed, confirm.confirmed_count, req.action) {
        return Err(AppError::invalid(format!(
            "{} (you typed “{}”).",
            confirm_hint(confirm.confirmed_count, req.action),
            confirm.typed.trim()
        )));
    }
    let targets = targets::check(db, scope, req.action).await?;
    let ids = resolve(
        db,
        scope,
        req.entity,
        &req.selection,
        trash_of(req.action, window),
    )
    .await?;
    if ids.is_empty() {
        return Err(AppError::invalid(
            "Nothing is selected: no items match the selection any more.",
        ));
    }
    if ids.len() as i64 != confirm.confirmed_count {
        return Err(count_changed(ids.len() as i64));
    }
    let reason: String = confirm
        .reason
        .trim()
        .chars()
        .take(MAX_REASON_CHARS)
        .collect();
    let runs::Created {
        run_id,
        batch_id,
        queued,
    } = runs::create(db, scope, req.entity, &req.action, ids.len(), worker, now).await?;
    let chunk = chunk.max(1);
    Ok(Runner {
        queued,
        next_chunk: chunk,
        hold: None,
        plan: Plan {
            run_id,
            scope: scope.clone(),
            entity: req.entity,
            action: req.action,
            targets,
            batch_id,
            as_of: confirm.as_of,
            reason,
            how: req.selection.describe(),
            ids,
            chunk,
        },
        tally: Tally::default(),
    })
}

impl Runner {
    pub fn run_id(&self) -> i64 {
        self.plan.run_id
    }

    pub fn total(&self) -> usize {
        self.plan.ids.len()
    }

    pub fn batch_id(&self) -> &str {
        &self.plan.batch_id
    }

    /// Sizes the chunks so that each holds the write lock for about
    /// `hold`, up to the run's chunk size. For SQLite, where every other
    /// write of the server waits for the chunk under way: a fixed 50,000
    /// items held the lock 0.9 s in a guild of 100,000 posts but about 6 s
    /// in one of 1,000,000, and a sign-in beside it waited that long.
    pub fn paced(mut self, hold: std::time::Duration) -> Self {
        self.hold = Some(hold);
        self.next_chunk = FIRST_PACED_CHUNK.min(self.plan.chunk);
        self
    }

    /// Waiting for the guild's older runs to end.
    pub fn is_queued(&self) -> bool {
        self.queued
    }

    /// Where the run stands: a queued run whose turn has come starts now.
    async fn take_turn(&mut self, db: &Db, now: DateTime<Utc>) -> Result<runs::Place, AppError> {
        if !self.queued {
            return Ok(runs::Place::Runs);
        }
        let place = runs::take_turn(db, self.plan.run_id, self.plan.scope.guild_id(), now).await?;
        self.queued = place != runs::Place::Runs;
        Ok(place)
    }

    /// Waits until the guild's older runs have ended, proving itself alive
    /// meanwhile; false when it was ended while it waited.
    async fn wait_for_turn(&mut self, db: &Db, clock: &SharedClock) -> Result<bool, AppError> {
        loop {
            match self.take_turn(db, clock.now()).await? {
                runs::Place::Runs => return Ok(true),
                runs::Place::Waits => tokio::time::sleep(QUEUE_POLL).await,
                runs::Place::Ended => return Ok(false),
            }
        }
    }

    /// Works through every chunk. A chunk that fails (the database went
    /// away) ends the run as interrupted: the chunks before it stay done and
    /// audited, the items after it are untouched.
    /// Then does the upkeep a long run leaves ([`AfterRun`]).
    pub async fn run_to_end(self, db: &Db, clock: &SharedClock) -> Result<BulkRun, AppError> {
        let after = self.after_run();
        let run = self.run_chunks(db, clock).await?;
        after.upkeep(db).await;
        Ok(run)
    }

    /// The upkeep due once this run has ended.
    pub fn after_run(&self) -> AfterRun {
        AfterRun {
            guild_id: self.plan.scope.guild_id(),
            tables: self.plan.changed_tables(),
            long: self.plan.is_long(),
        }
    }

    /// [`Runner::run_to_end`] without the upkeep after it, the part the
    /// benchmarks time: up to the last chunk's commit, when the result shows.
    pub async fn run_chunks(mut self, db: &Db, clock: &SharedClock) -> Result<BulkRun, AppError> {
        let run_id = self.plan.run_id;
        match self.wait_for_turn(db, clock).await {
            Ok(true) => {}
            Ok(false) => return runs::load(db, run_id, None).await,
            Err(e) => {
                tracing::error!(run = run_id, error = %e, "a queued bulk action could not start");
                runs::interrupt(db, clock.now(), run_id).await?;
                return runs::load(db, run_id, None).await;
            }
        }
        loop {
            let more = self.step(db, clock.now()).await;
            // After each chunk of a long run, SQLite checkpoints: it keeps
            // the log from growing by every chunk (see `Db::checkpoint`:
            // 14.5 GB after two runs over a million posts, and lists 20×
            // slower).
            //
            // PostgreSQL vacuumed here too, so that the counts' index-only
            // scans found the changed pages all-visible again. It was half
            // of a run's time (a vacuum takes about as long as the chunk
            // before it), and the lists were still 2.3–2.7× slower than
            // quiet. The lists without a range now take their totals from
            // the kept tally (`post_tally`), which no write slows down, so
            // the vacuum waits for the end of the run ([`AfterRun`]).
            if self.plan.is_long() && more.is_ok() {
                db.checkpoint().await;
            }
            match more {
                Ok(true) => continue,
                Ok(false) => break,
                Err(e) => {
                    tracing::error!(run = run_id, error = %e, "bulk action stopped");
                    runs::interrupt(db, clock.now(), run_id).await?;
                    break;
                }
            }
        }
        runs::load(db, run_id, None).await
    }

    /// Does the next chunk in one transaction; `Ok(false)` after the last.
    /// A queued run first takes its turn, and refuses while older runs of
    /// its guild have not ended.
    pub async fn step(&mut self, db: &Db, now: DateTime<Utc>) -> Result<bool, AppError> {
        match self.take_turn(db, now).await? {
            runs::Place::Runs => {}
            runs::Place::Waits => {
                return Err(AppError::conflict(
                    "Another bulk action of this guild runs first.",
                ))
            }
            runs::Place::Ended => return Err(runs::ended()),
        }
        let Runner {
            plan,
            tally,
            next_chunk,
            hold,
            ..
        } = self;
        let size = *next_chunk;
        let end = (tally.next + size).min(plan.ids.len());
        let ids = &plan.ids[tally.next..end];
        let mut chunk = Chunk::begin(db, &plan.scope, plan.entity, &plan.batch_id, now).await?;
        // From the moment the lock is held (waiting for the turn aside).
        let began = std::time::Instant::now();
        if plan.is_long() {
            chunk.tx.defer_checkpoint().await?;
        }
        runs::touch(&mut chunk.tx, plan.run_id, now).await?;

        let judged = plan.judge(&mut chunk, ids).await?;
        let failures_changed = plan
            .note_failures(tally, &mut chunk, &judged.failed)
            .await?;
        if !judged.ok.is_empty() {
            let changed = plan.apply(tally, &mut chunk, &judged.ok).await?;
            // The rows were read (and on PostgreSQL locked) in this
            // transaction, so a difference cannot happen; if it does, roll back.
            plan.expect_rows("changed", changed, judged.ok.len())?;
            tally.succeeded += judged.ok.len() as i64;
        }
        tally.next = end;
        let last = tally.next >= plan.ids.len();
        let summary = last.then(|| plan.summary(tally));
        if let Some(s) = &summary {
            let entry = plan.summary_entry(tally, s.clone());
            let dialect = chunk.dialect();
            audit::record(&mut chunk.tx, dialect, plan.scope.guild_id(), now, &[entry]).await?;
        }
        runs::save(
            &mut chunk.tx,
            plan.run_id,
            tally,
            now,
            summary,
            failures_changed,
        )
        .await?;
        chunk.commit().await?;
        if let Some(hold) = *hold {
            *next_chunk = next_chunk_size(size, began.elapsed(), hold, plan.chunk);
        }
        Ok(!last)
    }
}

/// The upkeep due after a long run (more than one chunk), once its result
/// shows: on PostgreSQL, the guild's post tally folded (the run added a
/// row per key and chunk) and the changed tables vacuumed, with fresh
/// statistics for the planner (see `Db::vacuum`). On SQLite there is none:
/// the last chunk's checkpoint (in `run_chunks`) was the last one due.
/// Failures are logged: the run itself is done.
#[derive(Debug, Clone, Copy)]
pub struct AfterRun {
    guild_id: i64,
    tables: &'static [&'static str],
    long: bool,
}

impl AfterRun {
    pub async fn upkeep(self, db: &Db) {
        if !self.long {
            return;
        }
        if let Err(e) = post_tally::fold(db, self.guild_id).await {
            tracing::warn!(guild = self.guild_id, error = %e, "could not fold the post tally");
        }
        db.vacuum(self.tables, true).await;
    }
}

impl Plan {
    /// More than one chunk: worth the upkeep of `run_chunks` and `step`.
    fn is_long(&self) -> bool {
        self.ids.len() > self.chunk
    }

    /// The tables a chunk writes to: an account's delete, restore or purge
    /// takes its posts along.
    fn changed_tables(&self) -> &'static [&'static str] {
        match (self.entity, self.action) {
            (Entity::Posts, _) => &["posts"],
            (Entity::Accounts, BulkAction::Reassign { .. }) => &["accounts"],
            (Entity::Accounts, _) => &["accounts", "posts"],
        }
    }

    /// Reads what decides each item's fate inside the chunk's transaction,
    /// and sorts the items by their [`verdict`].
    async fn judge(&self, chunk: &mut Chunk<'_>, ids: &[i64]) -> Result<Judged, AppError> {
        let in_trash = self.action.in_trash();
        let found = chunk.states(ids, in_trash, self.as_of).await?;
        let allowed = role_now(&mut chunk.tx, &self.scope).await? >= Some(self.action.min_role());
        let targets_there = targets::still_there(&mut chunk.tx, &self.scope, &self.targets).await?;
        let blocked: HashMap<i64, FailureReason> = if self.action == BulkAction::Restore {
            chunk.restore_blocked(ids).await?.into_iter().collect()
        } else {
            HashMap::new()
        };
        let mut judged = Judged {
            ok: Vec::with_capacity(ids.len()),
            failed: Vec::new(),
        };
        for &id in ids {
            let facts = Facts {
                allowed,
                targets_there,
                in_trash,
                as_of: self.as_of,
                blocked: blocked.get(&id).copied(),
            };
            match verdict(found.get(id), &facts) {
                None => judged.ok.push(id),
                Some(reason) => judged.failed.push((id, reason)),
            }
        }
        Ok(judged)
    }

    /// Refuses (rolling the chunk back) when a statement touched another
    /// number of rows than the chunk's items.
    fn expect_rows(&self, what: &str, rows: u64, expected: usize) -> Result<(), AppError> {
        if rows == expected as u64 {
            return Ok(());
        }
        tracing::error!(
            run = self.run_id,
            what,
            rows,
            expected,
            "bulk chunk mismatch"
        );
        Err(AppError::Internal)
    }

    /// Counts `failed`, audits each with its reason and names the first
    /// ones; whether the named list changed.
    async fn note_failures(
        &self,
        tally: &mut Tally,
        chunk: &mut Chunk<'_>,
        failed: &[(i64, FailureReason)],
    ) -> Result<bool, AppError> {
        tally.failed += failed.len() as i64;
        if failed.is_empty() {
            return Ok(false);
        }
        let ids: Vec<i64> = failed.iter().map(|(id, _)| *id).collect();
        let names: HashMap<i64, String> = chunk
            .read(&ids)
            .await?
            .into_iter()
            .map(|i| (i.id, i.name(self.entity)))
            .collect();
        let name_of = |id: &i64| {
            names
                .get(id)
                .cloned()
                .unwrap_or_else(|| items::unknown_name(self.entity, *id))
        };
        // Every failed item is in the audit log beside the ones that
        // succeeded, with its reason: the batch tells the whole story.
        let entries: Vec<Entry> = failed
            .iter()
            .map(|(id, reason)| Entry {
                actor_id: Some(self.scope.user_id()),
                action: format!("{}.failed", self.action.as_str()),
                target_type: Some(self.entity.one().into()),
                target_id: Some(*id),
                summary: format!(
                    "Not {}: {}. {}",
                    past_tense(self.action.as_str()),
                    name_of(id),
                    reason.sentence()
                ),
                details: Some(serde_json::json!({ "reason": format!("{reason:?}") }).to_string()),
                batch_id: Some(self.batch_id.clone()),
                item_count: None,
            })
            .collect();
        let dialect = chunk.dialect();
        audit::record(
            &mut chunk.tx,
            dialect,
            self.scope.guild_id(),
            chunk.now,
            &entries,
        )
        .await?;
        let room = MAX_NAMED_FAILURES.saturating_sub(tally.failures.len());
        for (id, reason) in &failed[..failed.len().min(room)] {
            tally.failures.push(FailedItem {
                id: *id,
                name: name_of(id),
                reason: *reason,
            });
        }
        Ok(true)
    }

    /// Audits and changes the `ok` items; the number of rows changed.
    async fn apply(
        &self,
        tally: &mut Tally,
        chunk: &mut Chunk<'_>,
        ok: &[i64],
    ) -> Result<u64, AppError> {
        let audited = items::audit_items(chunk, &self.action, &self.targets, ok).await?;
        self.expect_rows("audited", audited, ok.len())?;
        let accounts = self.entity == Entity::Accounts;
        match self.action {
            BulkAction::Delete => {
                let changed = chunk.trash(ok).await?;
                if accounts {
                    tally.cascaded += chunk.trash_posts_of(ok).await? as i64;
                }
                Ok(changed)
            }
            BulkAction::Reassign { .. } => chunk.reassign(ok, &self.targets).await,
            BulkAction::Restore => {
                tally.unassigned += chunk.unassigned(ok).await?;
                if accounts {
                    tally.cascaded += chunk.restore_posts_of(ok).await? as i64;
                }
                chunk.restore(ok).await
            }
            BulkAction::Purge => {
                let (changed, posts) = chunk.purge(ok).await?;
                tally.cascaded += posts as i64;
                Ok(changed)
            }
        }
    }

    /// "Deleted 12 accounts and their 340 posts; 3 failed".
    fn summary(&self, tally: &Tally) -> String {
        let done = self.entity.count(tally.succeeded);
        let posts = Entity::Posts.count(tally.cascaded);
        let accounts = self.entity == Entity::Accounts;
        let mut s = match self.action {
            BulkAction::Delete if accounts => format!("Deleted {done} and their {posts}"),
            BulkAction::Delete => format!("Deleted {done}"),
            BulkAction::Reassign { .. } => format!("Moved {done} to {}", self.targets.describe()),
            BulkAction::Restore if accounts => {
                format!("Restored {done} and the {posts} deleted with them")
            }
            BulkAction::Restore => format!("Restored {done}"),
            BulkAction::Purge if accounts => {
                format!("Permanently deleted {done} and their {posts}")
            }
            BulkAction::Purge => format!("Permanently deleted {done}"),
        };
        if tally.unassigned > 0 {
            s.push_str(&format!(
                "; {} came back unassigned because their group or brand no longer exists",
                thousands(tally.unassigned)
            ));
        }
        if tally.failed > 0 {
            s.push_str(&format!("; {} failed", thousands(tally.failed)));
        }
        s
    }

    fn summary_entry(&self, tally: &Tally, summary: String) -> Entry {
        let mut details = serde_json::json!({
            "succeeded": tally.succeeded,
            "failed": tally.failed,
            "selection": self.how,
        });
        if self.entity == Entity::Accounts && !matches!(self.action, BulkAction::Reassign { .. }) {
            details["posts"] = tally.cascaded.into();
        }
        if self.action == BulkAction::Restore {
            details["unassigned"] = tally.unassigned.into();
        }
        if !self.reason.is_empty() {
            details["reason"] = self.reason.clone().into();
        }
        Entry {
            actor_id: Some(self.scope.user_id()),
            action: self.action.as_str().into(),
            target_type: Some(self.entity.as_str().into()),
            target_id: None,
            summary,
            details: Some(details.to_string()),
            batch_id: Some(self.batch_id.clone()),
            // Each item has its entry, done or failed.
            item_count: Some(tally.succeeded + tally.failed),
        }
    }
}

/// The member's role now, inside the chunk's transaction: a role taken away
/// mid-run stops the remaining chunks.
async fn role_now(tx: &mut Tx, scope: &GuildScope) -> Result<Option<Role>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        role: String,
    }
    let row = tx
        .fetch_optional::<Row>(&Sql::bound(
            "SELECT role FROM memberships WHERE guild_id = $1 AND user_id = $2",
            vec![Arg::Int(scope.guild_id()), Arg::Int(scope.user_id())],
        ))
        .await?;
    Ok(row.and_then(|r| Role::parse(&r.role)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const HOLD: Duration = Duration::from_secs(1);

    #[test]
    fn a_paced_chunk_grows_toward_the_hold_but_at_most_doubles() {
        assert_eq!(
            next_chunk_size(10_000, Duration::from_millis(500), HOLD, 50_000),
            20_000
        );
        assert_eq!(
            next_chunk_size(10_000, Duration::from_millis(100), HOLD, 50_000),
            20_000
        );
        assert_eq!(
            next_chunk_size(40_000, Duration::from_millis(100), HOLD, 50_000),
            50_000
        );
    }

    #[test]
    fn a_paced_chunk_shrinks_in_proportion_but_not_below_the_floor() {
        assert_eq!(
            next_chunk_size(10_000, Duration::from_secs(2), HOLD, 50_000),
            5_000
        );
        assert_eq!(
            next_chunk_size(10_000, Duration::from_secs(60), HOLD, 50_000),
            2_000
        );
        assert_eq!(
            next_chunk_size(500, Duration::from_secs(60), HOLD, 500),
            500
        );
    }
}
