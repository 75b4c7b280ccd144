//! Bulk actions on a [`Selection`]: soft delete and reassign on the list
//! pages; restore and permanent delete ("purge") under Deleted Items.
//!
//! The flow the UI follows, and the tests call directly:
//! 1. [`preview`] resolves the selection and says what will happen
//!    ("Delete 1,234 accounts and their 9,876 posts").
//! 2. [`start`] re-resolves it and refuses when the count differs from the
//!    one the user confirmed, or when the typed confirmation does not match.
//! 3. The [`Runner`] works through the ids in chunks ([`chunk_size`]), one
//!    transaction each: the change, one audit entry per item, the run's
//!    progress, and in the last chunk the summary entry.
//!
//! Items that cannot be changed when their turn comes are failures with a
//! reason, never silent successes: see [`FailureReason`].

mod items;
mod run;
mod runs;
mod targets;
mod verdict;

pub use run::{AfterRun, Runner};
pub use runs::{get, recover_stale, take_back, MAX_ACTIVE_PER_GUILD, STALE_AFTER};

use super::selection_sql::where_selected;
use super::trash::{self, Window};
use super::{Db, EntitySql, GuildScope, Sql};
use crate::error::AppError;
use crate::format::thousands;
use crate::model::{BulkAction, BulkPreview, BulkRequest, Entity, Selection};

/// Items per transaction, by backend.
///
/// SQLite: at most 50,000. A chunk of posts in id order touches entries
/// all over each of the post indexes, so every commit writes nearly every
/// index page to the WAL again: deleting 100,000 posts took 9.6 s in chunks
/// of 500, 2.3 s in chunks of 10,000 and 1.9 s in chunks of 20,000
/// (BENCHMARKS.md). Once chunks stopped checkpointing
/// (`Tx::defer_checkpoint`), 50,000 still saved 0.2 s over 20,000 (1.7–1.8 s
/// against 1.9–2.1 s). Such a chunk holds the write lock for about 0.9 s in
/// a guild of 100,000 posts, but several seconds in one of 1,000,000, and
/// every other write waits for it (`db::WriteTurns`); so a member's run is
/// paced to [`SQLITE_LOCK_HOLD`] a chunk, up to this size. Readers are never
/// blocked (WAL).
///
/// PostgreSQL: 5,000. Its WAL logs changes, not whole pages again, so size
/// matters less (500: 3.3 s, 5,000: 2.9 s for the same delete), and smaller
/// chunks hold their row locks for less time.
pub fn chunk_size(dialect: super::Dialect) -> usize {
    match dialect {
        super::Dialect::Sqlite => 50_000,
        super::Dialect::Postgres => 5_000,
    }
}

/// On SQLite, about how long one chunk of a run started by a member holds
/// the write lock: every other write of the server (a sign-in, an edit, an
/// export's progress) waits for the chunk under way, so chunks are sized to
/// this ([`Runner::paced`]) rather than fixed.
pub const SQLITE_LOCK_HOLD: std::time::Duration = std::time::Duration::from_secs(1);

/// Selections up to this size finish within the request (a fraction of a
/// second) and the result shows at once; larger ones run in the background
/// with a progress bar.
pub const INLINE_LIMIT: usize = 2_000;

/// Refuses unless the member may run `action`: viewers may only export,
/// and only admins delete for good.
fn require_role(scope: &GuildScope, req: &BulkRequest) -> Result<(), AppError> {
    let what = match req.action {
        BulkAction::Purge => format!("delete {} permanently", req.entity.as_str()),
        a => format!("{} {}", a.as_str(), req.entity.as_str()),
    };
    scope.require(req.action.min_role(), &what)
}

/// The window trash actions resolve their selection in; `None` for the
/// actions on live items.
fn trash_of(action: BulkAction, window: Window) -> Option<Window> {
    action.in_trash().then_some(window)
}

/// `SELECT {what}` over the items an action works on.
fn select(entity: Entity, what: &str, trash: Option<Window>) -> Sql {
    Sql::new(format!(
        "SELECT {what}{}",
        EntitySql::of(entity).from(trash.is_some())
    ))
}

/// The ids the selection covers now, in id order. Hand-picked ids are kept
/// as picked (deduplicated), even those deleted since: each becomes a
/// failure with its reason rather than silently vanishing from the count.
///
/// Held in memory on purpose (8 bytes an id: 8 MB for a million), unlike
/// exports, which stream: the run must work through exactly the items that
/// were counted and confirmed. Re-running the filter per chunk would skip
/// items that stop matching meanwhile without a word.
async fn resolve(
    db: &Db,
    scope: &GuildScope,
    entity: Entity,
    selection: &Selection,
    trash: Option<Window>,
) -> Result<Vec<i64>, AppError> {
    match selection {
        Selection::Ids(ids) => {
            super::selection_sql::check_ids(ids)?;
            let mut ids = ids.clone();
            ids.sort_unstable();
            ids.dedup();
            Ok(ids)
        }
        Selection::AllMatching { .. } => {
            #[derive(sqlx::FromRow)]
            struct Ids(String);
            let id = EntitySql::of(entity).id_col();
            let mut inner = select(entity, &format!("{id} AS id"), trash);
            where_selected(&mut inner, db, scope, entity, selection, trash).await?;
            // One JSON array rather than a row per id: sqlx hands SQLite rows
            // over one at a time, which made 100,000 ids take 200 ms instead
            // of 40 (BENCHMARKS.md).
            let agg = match db.dialect() {
                super::Dialect::Sqlite => "json_group_array(x.id)",
                super::Dialect::Postgres => "CAST(COALESCE(json_agg(x.id), '[]') AS TEXT)",
            };
            let sql = Sql {
                text: format!("SELECT {agg} FROM ({}) x", inner.text),
                args: inner.args,
            };
            let Ids(json) = db.fetch_optional(&sql).await?.ok_or(AppError::Internal)?;
            let mut ids: Vec<i64> = serde_json::from_str(&json).map_err(|e| {
                tracing::error!(error = %e, "selection ids are not a JSON array");
                AppError::Internal
            })?;
            ids.sort_unstable();
            Ok(ids)
        }
    }
}

/// How many items `selection` covers now (see [`resolve`]).
async fn count(
    db: &Db,
    scope: &GuildScope,
    entity: Entity,
    selection: &Selection,
    trash: Option<Window>,
) -> Result<i64, AppError> {
    match selection {
        Selection::Ids(_) => Ok(resolve(db, scope, entity, selection, trash).await?.len() as i64),
        Selection::AllMatching { .. } => {
            let mut sql = select(entity, "COUNT(*)", trash);
            where_selected(&mut sql, db, scope, entity, selection, trash).await?;
            db.fetch_i64(&sql).await
        }
    }
}

/// `SELECT COUNT(*) FROM posts p WHERE {posts} AND p.account_id IN (the
/// selected accounts)`, or with `p` and `a` swapped: a count over the
/// selection's other half.
async fn count_related(
    db: &Db,
    scope: &GuildScope,
    req: &BulkRequest,
    trash: Option<Window>,
    head: &str,
) -> Result<i64, AppError> {
    let entity = req.entity;
    let id = EntitySql::of(entity).id_col();
    let mut sql = Sql::new(format!("{head} IN ("));
    sql.push(&select(entity, id, trash).text);
    where_selected(&mut sql, db, scope, entity, &req.selection, trash).await?;
    sql.push(")");
    db.fetch_i64(&sql).await
}

/// The posts that go with the selected accounts: their live posts for a
/// delete, the posts deleted with them for a restore, all their posts for a
/// permanent delete.
async fn posts_of_accounts(
    db: &Db,
    scope: &GuildScope,
    req: &BulkRequest,
    trash: Option<Window>,
) -> Result<i64, AppError> {
    let which = match req.action {
        BulkAction::Restore => {
            "p.deleted_at IS NOT NULL AND p.delete_batch_id = \
             (SELECT o.delete_batch_id FROM accounts o WHERE o.id = p.account_id)"
        }
        BulkAction::Purge => "1 = 1",
        _ => "p.deleted_at IS NULL",
    };
    let head = format!("SELECT COUNT(*) FROM posts p WHERE {which} AND p.account_id");
    count_related(db, scope, req, trash, &head).await
}

/// " and their 340 posts" when the action takes the accounts' posts along.
async fn their_posts(
    db: &Db,
    scope: &GuildScope,
    req: &BulkRequest,
    trash: Option<Window>,
) -> Result<String, AppError> {
    Ok(match req.entity {
        Entity::Accounts => {
            let posts = posts_of_accounts(db, scope, req, trash).await?;
            format!(" and their {}", Entity::Posts.count(posts))
        }
        Entity::Posts => String::new(),
    })
}

/// Selected posts a restore cannot bring back alone: their account is in
/// the trash too.
async fn posts_held_by_accounts(
    db: &Db,
    scope: &GuildScope,
    req: &BulkRequest,
    trash: Option<Window>,
) -> Result<i64, AppError> {
    let head = "SELECT COUNT(*) FROM posts p JOIN accounts o ON o.id = p.account_id \
                WHERE o.deleted_at IS NOT NULL AND p.id";
    count_related(db, scope, req, trash, head).await
}

/// Selected items whose group or brand has been deleted since: a restore
/// brings them back unassigned.
async fn unassigned_on_restore(
    db: &Db,
    scope: &GuildScope,
    req: &BulkRequest,
    trash: Option<Window>,
) -> Result<i64, AppError> {
    let head = format!(
        "SELECT COUNT(*) FROM {} x WHERE {} AND x.id",
        EntitySql::of(req.entity).table(),
        trash::unassigned_sql("x")
    );
    count_related(db, scope, req, trash, &head).await
}

/// What the confirmation dialog says for `req`, with the count to type.
pub async fn preview(
    db: &Db,
    window: Window,
    scope: &GuildScope,
    req: &BulkRequest,
) -> Result<BulkPreview, AppError> {
    require_role(scope, req)?;
    let trash = trash_of(req.action, window);
    let targets = targets::check(db, scope, req.action).await?;
    let n = count(db, scope, req.entity, &req.selection, trash).await?;
    if n == 0 {
        return Err(AppError::invalid(
            "Nothing is selected: no items match the selection any more.",
        ));
    }
    let items = req.entity.count(n);
    let (sentence, button) = match req.action {
        BulkAction::Delete => {
            let cascade = their_posts(db, scope, req, trash).await?;
            (
                format!(
                    "Delete {items}{cascade}. They move to Deleted Items, where they can be \
                     restored for {} days.",
                    window.retention.num_days()
                ),
                format!("Delete {items}"),
            )
        }
        BulkAction::Restore => {
            let mut sentence = match req.entity {
                Entity::Accounts => {
                    let posts = posts_of_accounts(db, scope, req, trash).await?;
                    format!(
                        "Restore {items} and the {} deleted with them, to their groups and brands.",
                        Entity::Posts.count(posts)
                    )
                }
                Entity::Posts => format!("Restore {items} to their groups and brands."),
            };
            let unassigned = unassigned_on_restore(db, scope, req, trash).await?;
            if unassigned > 0 {
                sentence.push_str(&format!(
                    " {} come back unassigned: their group or brand no longer exists.",
                    thousands(unassigned)
                ));
            }
            if req.entity == Entity::Posts {
                let held = posts_held_by_accounts(db, scope, req, trash).await?;
                if held > 0 {
                    sentence.push_str(&format!(
                        " {} cannot come back alone: their account is in the trash. Restore \
                         the account to bring back the posts deleted with it.",
                        thousands(held)
                    ));
                }
            }
            (sentence, format!("Restore {items}"))
        }
        BulkAction::Purge => {
            let cascade = their_posts(db, scope, req, trash).await?;
            (
                format!(
                    "Permanently delete {items}{cascade}. This cannot be undone; the audit \
                     log keeps a record of each."
                ),
                format!("Delete {items} permanently"),
            )
        }
        BulkAction::Reassign { .. } => {
            let note = match req.entity {
                Entity::Accounts => " Their posts keep their own group and brand.",
                Entity::Posts => "",
            };
            (
                format!("Move {items} to {}.{note}", targets.describe()),
                format!("Move {items}"),
            )
        }
    };
    Ok(BulkPreview {
        count: n,
        sentence,
        button,
        as_of: window.now,
    })
}

/// "The selection changed: it now has 1,233 items. Review and confirm again."
fn count_changed(now: i64) -> AppError {
    AppError::conflict(format!(
        "The selection changed: it now has {} {}. Review and confirm again.",
        thousands(now),
        if now == 1 { "item" } else { "items" }
    ))
}

pub use run::start;

/// Starts a confirmed action for a request: up to [`INLINE_LIMIT`] items
/// run before the answer (the result shows at once), more run in the
/// background and the browser polls [`get`] for the progress. So does an
/// action that must wait for the guild's other runs to end: the answer says
/// it is queued, and how many are ahead.
pub async fn launch(
    state: &super::AppState,
    scope: &GuildScope,
    confirm: &crate::model::BulkConfirm,
) -> Result<crate::model::BulkRun, AppError> {
    let chunk = chunk_size(state.db.dialect());
    let worker = state.instance.id();
    let mut runner = start(
        &state.db,
        state.trash_window(),
        scope,
        confirm,
        chunk,
        &worker,
    )
    .await?;
    if state.db.dialect() == super::Dialect::Sqlite {
        runner = runner.paced(SQLITE_LOCK_HOLD);
    }
    if runner.total() <= INLINE_LIMIT && !runner.is_queued() {
        return runner.run_to_end(&state.db, &state.clock).await;
    }
    let run_id = runner.run_id();
    let (db, clock) = (state.db.clone(), state.clock.clone());
    tokio::spawn(async move {
        if let Err(e) = runner.run_to_end(&db, &clock).await {
            tracing::error!(run = run_id, error = %e, "bulk action failed");
        }
    });
    get(&state.db, scope, run_id).await
}

/// Undo of a finished delete: restores exactly the items that delete moved
/// to the trash (its batch), as an ordinary restore run, audited like any.
///
/// The member already confirmed the delete, and Undo puts back only what it
/// took, so no count is typed; the count is still re-checked like any
/// restore. Items restored or purged since are simply no longer in the
/// batch; a batch with nothing left says so.
pub async fn undo(
    state: &super::AppState,
    scope: &GuildScope,
    run_id: i64,
) -> Result<crate::model::BulkRun, AppError> {
    let run = get(&state.db, scope, run_id).await?;
    if run.action != BulkAction::Delete.as_str() {
        return Err(AppError::invalid("Only a delete can be undone."));
    }
    // The member did nothing wrong: the run's state is not yet what Undo
    // needs, so this is a conflict (409), not bad input.
    if run.status.is_active() {
        return Err(AppError::conflict(
            "This delete has not finished yet: wait for it to finish, then undo it.",
        ));
    }
    let mut filter = crate::model::query::Params::new();
    filter.insert("show".into(), run.entity.as_str().into());
    filter.insert("batch".into(), run.batch_id.clone());
    let request = BulkRequest {
        entity: run.entity,
        selection: Selection::AllMatching {
            filter,
            except: Vec::new(),
        },
        action: BulkAction::Restore,
    };
    let window = state.trash_window();
    let n = count(
        &state.db,
        scope,
        request.entity,
        &request.selection,
        Some(window),
    )
    .await?;
    if n == 0 {
        return Err(AppError::conflict(
            "Nothing to undo: the deleted items were restored or deleted for good meanwhile.",
        ));
    }
    let confirm = crate::model::BulkConfirm {
        request,
        confirmed_count: n,
        typed: n.to_string(),
        as_of: window.now,
        reason: format!("Undo of {}", run.batch_id),
    };
    launch(state, scope, &confirm).await
}
