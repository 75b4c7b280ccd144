//! A bulk action as it runs: the `bulk_runs` row, the chunks, the audit.

use super::items::{self, Seen};
use super::targets::{self, Targets};
use super::{count_changed, require_role, resolve, trash_of};
use crate::domain::audit::{self, Entry};
use crate::domain::db::Tx;
use crate::domain::trash::Window;
use crate::domain::{Arg, Db, Dialect, GuildScope, SharedClock, Sql};
use crate::error::AppError;
use crate::format::thousands;
use crate::model::bulk::{confirm_hint, confirms, past_tense, MAX_NAMED_FAILURES};
use crate::model::{
    BulkAction, BulkConfirm, BulkRun, Entity, FailedItem, FailureReason, Role, RunStatus,
};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

/// A running action whose row has not moved for this long lost its server
/// (chunks take milliseconds); upkeep reports it as interrupted.
pub const STALE_AFTER: Duration = Duration::seconds(60);

/// The longest reason kept for the audit log.
const MAX_REASON_CHARS: usize = 500;

/// A confirmed bulk action, ready to work through its ids chunk by chunk.
#[derive(Debug)]
pub struct Runner {
    run_id: i64,
    scope: GuildScope,
    entity: Entity,
    action: BulkAction,
    targets: Targets,
    batch_id: String,
    as_of: DateTime<Utc>,
    reason: String,
    how: String,
    ids: Vec<i64>,
    next: usize,
    chunk: usize,
    succeeded: i64,
    failed: i64,
    failures: Vec<FailedItem>,
    /// Posts trashed, restored or purged along with the accounts.
    cascaded: i64,
    /// Restored items whose group or brand no longer exists.
    unassigned: i64,
}

/// Checks the confirmation and records the run. Refuses, with a sentence,
/// when the member may not do this, a target is not in the guild, the typed
/// text does not confirm, or the selection no longer has the confirmed count.
pub async fn start(
    db: &Db,
    window: Window,
    scope: &GuildScope,
    confirm: &BulkConfirm,
    chunk: usize,
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

    let mut tx = db.begin().await?;
    #[derive(sqlx::FromRow)]
    struct Id(i64);
    let Id(run_id) = tx
        .fetch_optional::<Id>(&Sql::bound(
            "INSERT INTO bulk_runs (guild_id, user_id, entity, action, batch_id, status, total, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'running', $6, $7, $7) RETURNING id",
            vec![
                Arg::Int(scope.guild_id()),
                Arg::Int(scope.user_id()),
                Arg::Text(req.entity.as_str().into()),
                Arg::Text(req.action.as_str().into()),
                // unique until the id is known
                Arg::Text(format!("new-{}-{}", scope.user_id(), now.timestamp_micros())),
                Arg::Int(ids.len() as i64),
                Arg::Time(now),
            ],
        ))
        .await?
        .ok_or(AppError::Internal)?;
    let batch_id = format!("{}-{run_id}", req.action.as_str());
    tx.execute(&Sql::bound(
        "UPDATE bulk_runs SET batch_id = $1 WHERE id = $2",
        vec![Arg::Text(batch_id.clone()), Arg::Int(run_id)],
    ))
    .await?;
    tx.commit().await?;

    Ok(Runner {
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
        next: 0,
        chunk: chunk.max(1),
        succeeded: 0,
        failed: 0,
        failures: Vec::new(),
        cascaded: 0,
        unassigned: 0,
    })
}

impl Runner {
    pub fn run_id(&self) -> i64 {
        self.run_id
    }

    pub fn total(&self) -> usize {
        self.ids.len()
    }

    pub fn batch_id(&self) -> &str {
        &self.batch_id
    }

    /// Works through every chunk. A chunk that fails (the database went
    /// away) ends the run as interrupted: the chunks before it stay done and
    /// audited, the items after it are untouched.
    pub async fn run_to_end(self, db: &Db, clock: &SharedClock) -> Result<BulkRun, AppError> {
        let long = self.is_long();
        let run = self.run_chunks(db, clock).await?;
        if long {
            db.checkpoint().await;
        }
        Ok(run)
    }

    /// [`Runner::run_to_end`] up to the last chunk's commit, when the
    /// result shows, without the final WAL checkpoint on SQLite.
    pub async fn run_chunks(mut self, db: &Db, clock: &SharedClock) -> Result<BulkRun, AppError> {
        loop {
            let more = self.step(db, clock.now()).await;
            // After each chunk of a long run, PostgreSQL vacuums so the
            // members' lists stay fast meanwhile (see `Db::vacuum`: the list
            // p95 during a 100,000-post delete went from 4.5× to 1.3× its
            // quiet value, and the run took no longer).
            if self.is_long() && more.is_ok() {
                db.vacuum(self.changed_tables()).await;
            }
            match more {
                Ok(true) => continue,
                Ok(false) => break,
                Err(e) => {
                    tracing::error!(run = self.run_id, error = %e, "bulk action stopped");
                    interrupt(db, clock.now(), self.run_id).await?;
                    break;
                }
            }
        }
        load(db, self.run_id, None).await
    }

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

    /// Does the next chunk in one transaction; `Ok(false)` after the last.
    pub async fn step(&mut self, db: &Db, now: DateTime<Utc>) -> Result<bool, AppError> {
        let dialect = db.dialect();
        let end = (self.next + self.chunk).min(self.ids.len());
        let chunk = self.ids[self.next..end].to_vec();
        let mut tx = db.begin().await?;
        if self.is_long() {
            tx.defer_checkpoint().await?;
        }
        // Write first: on SQLite this takes the write lock now (waiting for
        // it if need be) instead of failing when a read turns into a write.
        tx.execute(&Sql::bound(
            "UPDATE bulk_runs SET updated_at = $1 WHERE id = $2",
            vec![Arg::Time(now), Arg::Int(self.run_id)],
        ))
        .await?;

        let in_trash = self.action.in_trash();
        let found = items::states(
            &mut tx,
            dialect,
            &self.scope,
            self.entity,
            &chunk,
            in_trash,
            self.as_of,
        )
        .await?;
        let allowed = role_now(&mut tx, &self.scope).await? >= Some(self.action.min_role());
        let targets_there = targets::still_there(&mut tx, &self.scope, &self.targets).await?;
        let blocked: HashMap<i64, FailureReason> = if self.action == BulkAction::Restore {
            items::restore_blocked(&mut tx, dialect, &self.scope, self.entity, &chunk)
                .await?
                .into_iter()
                .collect()
        } else {
            HashMap::new()
        };

        let mut ok = Vec::with_capacity(chunk.len());
        let mut failed = Vec::new();
        for id in &chunk {
            let reason = match found.get(*id) {
                _ if !allowed => Some(FailureReason::NotAllowed),
                Seen::Gone => Some(FailureReason::Removed),
                Seen::AsExpected if !targets_there => Some(FailureReason::TargetGone),
                Seen::AsExpected => blocked.get(id).copied(),
                Seen::Check(i) => match i {
                    // Live items: deleted meanwhile, or edited after the confirm.
                    i if !in_trash && i.deleted_at.is_some() => Some(FailureReason::Removed),
                    i if !in_trash && i.updated_at > self.as_of => Some(FailureReason::Changed),
                    // Trashed items: restored meanwhile, or deleted again since.
                    i if in_trash && i.deleted_at.is_none() => Some(FailureReason::NotInTrash),
                    i if in_trash && i.deleted_at > Some(self.as_of) => {
                        Some(FailureReason::Changed)
                    }
                    _ if !targets_there => Some(FailureReason::TargetGone),
                    _ => blocked.get(id).copied(),
                },
            };
            match reason {
                None => ok.push(*id),
                Some(reason) => failed.push((*id, reason)),
            }
        }
        let failures_changed = self.note_failures(&mut tx, dialect, &failed, now).await?;

        if !ok.is_empty() {
            let changed = self.apply(&mut tx, dialect, &ok, now).await?;
            // The rows were read (and on PostgreSQL locked) in this
            // transaction, so a difference cannot happen; if it does, roll back.
            self.expect_rows("changed", changed, ok.len())?;
            self.succeeded += ok.len() as i64;
        }
        self.next = end;
        let last = self.next >= self.ids.len();
        let summary = last.then(|| self.summary());
        if let Some(s) = &summary {
            let entry = self.summary_entry(s.clone());
            audit::record(&mut tx, dialect, self.scope.guild_id(), now, &[entry]).await?;
        }
        self.save(&mut tx, now, last, summary, failures_changed)
            .await?;
        tx.commit().await?;
        Ok(!last)
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

    /// Counts `failed` and names the first ones; whether the list changed.
    async fn note_failures(
        &mut self,
        tx: &mut Tx,
        dialect: Dialect,
        failed: &[(i64, FailureReason)],
        now: DateTime<Utc>,
    ) -> Result<bool, AppError> {
        self.failed += failed.len() as i64;
        if failed.is_empty() {
            return Ok(false);
        }
        let ids: Vec<i64> = failed.iter().map(|(id, _)| *id).collect();
        let names: HashMap<i64, String> = items::read(tx, dialect, &self.scope, self.entity, &ids)
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
            })
            .collect();
        audit::record(tx, dialect, self.scope.guild_id(), now, &entries).await?;
        let room = MAX_NAMED_FAILURES.saturating_sub(self.failures.len());
        for (id, reason) in &failed[..failed.len().min(room)] {
            self.failures.push(FailedItem {
                id: *id,
                name: name_of(id),
                reason: *reason,
            });
        }
        Ok(true)
    }

    /// Audits and changes the `ok` items; the number of rows changed.
    async fn apply(
        &mut self,
        tx: &mut Tx,
        dialect: Dialect,
        ok: &[i64],
        now: DateTime<Utc>,
    ) -> Result<u64, AppError> {
        let (scope, entity, batch) = (&self.scope, self.entity, self.batch_id.as_str());
        let audited = items::audit_items(
            tx,
            dialect,
            scope,
            entity,
            &self.action,
            &self.targets,
            ok,
            batch,
            now,
        )
        .await?;
        self.expect_rows("audited", audited, ok.len())?;
        match self.action {
            BulkAction::Delete => {
                let changed = items::trash(tx, dialect, scope, entity, ok, batch, now).await?;
                if entity == Entity::Accounts {
                    self.cascaded +=
                        items::trash_posts_of(tx, dialect, scope, ok, batch, now).await? as i64;
                }
                Ok(changed)
            }
            BulkAction::Reassign { .. } => {
                items::reassign(tx, dialect, scope, entity, ok, &self.targets, now).await
            }
            BulkAction::Restore => {
                self.unassigned += items::unassigned(tx, dialect, entity, ok).await?;
                if entity == Entity::Accounts {
                    self.cascaded +=
                        items::restore_posts_of(tx, dialect, scope, ok, now).await? as i64;
                }
                items::restore(tx, dialect, scope, entity, ok, now).await
            }
            BulkAction::Purge => {
                let (changed, posts) = items::purge(tx, dialect, scope, entity, ok).await?;
                self.cascaded += posts as i64;
                Ok(changed)
            }
        }
    }

    /// "Deleted 12 accounts and their 340 posts; 3 failed".
    fn summary(&self) -> String {
        let done = self.entity.count(self.succeeded);
        let mut s = match self.action {
            BulkAction::Delete if self.entity == Entity::Accounts => format!(
                "Deleted {done} and their {}",
                Entity::Posts.count(self.cascaded)
            ),
            BulkAction::Delete => format!("Deleted {done}"),
            BulkAction::Reassign { .. } => format!("Moved {done} to {}", self.targets.describe()),
            BulkAction::Restore if self.entity == Entity::Accounts => format!(
                "Restored {done} and the {} deleted with them",
                Entity::Posts.count(self.cascaded)
            ),
            BulkAction::Restore => format!("Restored {done}"),
            BulkAction::Purge if self.entity == Entity::Accounts => format!(
                "Permanently deleted {done} and their {}",
                Entity::Posts.count(self.cascaded)
            ),
            BulkAction::Purge => format!("Permanently deleted {done}"),
        };
        if self.unassigned > 0 {
            s.push_str(&format!(
                "; {} came back unassigned because their group or brand no longer exists",
                thousands(self.unassigned)
            ));
        }
        if self.failed > 0 {
            s.push_str(&format!("; {} failed", thousands(self.failed)));
        }
        s
    }

    fn summary_entry(&self, summary: String) -> Entry {
        let mut details = serde_json::json!({
            "succeeded": self.succeeded,
            "failed": self.failed,
            "selection": self.how,
        });
        if self.entity == Entity::Accounts && !matches!(self.action, BulkAction::Reassign { .. }) {
            details["posts"] = self.cascaded.into();
        }
        if self.action == BulkAction::Restore {
            details["unassigned"] = self.unassigned.into();
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
        }
    }

    async fn save(
        &self,
        tx: &mut Tx,
        now: DateTime<Utc>,
        last: bool,
        summary: Option<String>,
        failures_changed: bool,
    ) -> Result<(), AppError> {
        let mut sql = Sql::new("UPDATE bulk_runs SET processed = ");
        let p = sql.arg(Arg::Int(self.next as i64));
        let s = sql.arg(Arg::Int(self.succeeded));
        sql.push(&format!("{p}, succeeded = {s}, failed = "))
            .bind(self.failed);
        if failures_changed {
            let json = serde_json::to_string(&self.failures).map_err(|_| AppError::Internal)?;
            sql.push(", failures = ").bind(json);
        }
        if last {
            let st = sql.arg(Arg::Text(RunStatus::Done.as_str().into()));
            let sm = sql.arg(Arg::OptText(summary));
            sql.push(&format!(", status = {st}, summary = {sm}, finished_at = "))
                .bind(now);
        }
        sql.push(" WHERE id = ").bind(self.run_id);
        tx.execute(&sql).await?;
        Ok(())
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

#[derive(sqlx::FromRow)]
struct RunRow {
    id: i64,
    guild_id: i64,
    user_id: Option<i64>,
    entity: String,
    action: String,
    batch_id: String,
    status: String,
    total: i64,
    processed: i64,
    succeeded: i64,
    failed: i64,
    failures: String,
    summary: Option<String>,
}

const RUN_COLUMNS: &str = "SELECT id, guild_id, user_id, entity, action, batch_id, status, total, \
     processed, succeeded, failed, failures, summary FROM bulk_runs";

impl RunRow {
    fn into_run(self) -> Result<BulkRun, AppError> {
        Ok(BulkRun {
            id: self.id,
            entity: Entity::parse(&self.entity).ok_or(AppError::Internal)?,
            action: self.action,
            status: RunStatus::parse(&self.status).ok_or(AppError::Internal)?,
            total: self.total,
            processed: self.processed,
            succeeded: self.succeeded,
            failed: self.failed,
            failures: serde_json::from_str(&self.failures).map_err(|e| {
                tracing::error!(run = self.id, error = %e, "unreadable bulk failures");
                AppError::Internal
            })?,
            summary: self.summary,
            batch_id: self.batch_id,
        })
    }
}

async fn load(db: &Db, run_id: i64, guild_id: Option<i64>) -> Result<BulkRun, AppError> {
    let mut sql = Sql::new(RUN_COLUMNS);
    sql.push(" WHERE id = ").bind(run_id);
    if let Some(g) = guild_id {
        sql.push(" AND guild_id = ").bind(g);
    }
    db.fetch_optional::<RunRow>(&sql)
        .await?
        .ok_or_else(|| {
            AppError::not_found(format!("There is no bulk action {run_id} in this guild."))
        })?
        .into_run()
}

/// A run of the member's guild, for polling its progress and result.
pub async fn get(db: &Db, scope: &GuildScope, run_id: i64) -> Result<BulkRun, AppError> {
    load(db, run_id, Some(scope.guild_id())).await
}

/// Ends a run that cannot go on, with an audit summary of what was done.
/// Does nothing when the run already ended (another instance got there).
async fn interrupt(db: &Db, now: DateTime<Utc>, run_id: i64) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    let Some(run) = tx
        .fetch_optional::<RunRow>(&Sql::bound(
            format!("{RUN_COLUMNS} WHERE id = $1 AND status = 'running'"),
            vec![Arg::Int(run_id)],
        ))
        .await?
    else {
        return Ok(());
    };
    let entity = Entity::parse(&run.entity).ok_or(AppError::Internal)?;
    let summary = format!(
        "Stopped after {} of {}: {} {}, {} failed; the rest are unchanged",
        thousands(run.processed),
        entity.count(run.total),
        thousands(run.succeeded),
        past_tense(&run.action),
        thousands(run.failed),
    );
    let changed = tx
        .execute(&Sql::bound(
            "UPDATE bulk_runs SET status = 'interrupted', summary = $1, finished_at = $2, \
             updated_at = $2 WHERE id = $3 AND status = 'running'",
            vec![Arg::Text(summary.clone()), Arg::Time(now), Arg::Int(run_id)],
        ))
        .await?;
    if changed == 1 {
        let entry = Entry {
            actor_id: run.user_id,
            action: run.action.clone(),
            target_type: Some(run.entity.clone()),
            target_id: None,
            summary,
            details: Some(
                serde_json::json!({
                    "succeeded": run.succeeded, "failed": run.failed, "interrupted": true
                })
                .to_string(),
            ),
            batch_id: Some(run.batch_id.clone()),
        };
        audit::record(&mut tx, db.dialect(), run.guild_id, now, &[entry]).await?;
    }
    tx.commit().await
}

/// Reports runs whose server stopped mid-way as interrupted; returns how many.
pub async fn recover_stale(db: &Db, now: DateTime<Utc>) -> Result<usize, AppError> {
    #[derive(sqlx::FromRow)]
    struct Id(i64);
    let stale = db
        .fetch_all::<Id>(&Sql::bound(
            "SELECT id FROM bulk_runs WHERE status = 'running' AND updated_at < $1",
            vec![Arg::Time(now - STALE_AFTER)],
        ))
        .await?;
    for Id(id) in &stale {
        interrupt(db, now, *id).await?;
    }
    Ok(stale.len())
}
