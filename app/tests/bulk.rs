//! Bulk actions on both backends: selection resolution, confirmation,
//! partial failures of every kind, permissions, and the audit trail.

use app::db_test;
use app::domain::bulk::{self, Runner};
use app::domain::scope::set_membership;
use app::domain::test_support::{count, ids, test_epoch, Fixture};
use app::domain::{Arg, Db, GuildScope, Sql};
use app::error::AppError;
use app::model::query::Params;
use app::model::{
    BulkAction, BulkConfirm, BulkRequest, BulkRun, Change, Entity, FailureReason, Role, RunStatus,
    Selection,
};
use chrono::Duration;

/// The server process the tests' runs are held by.
const WORKER: &str = "test:0#tests";

const POSTS: Entity = Entity::Posts;
const ACCOUNTS: Entity = Entity::Accounts;

fn params(pairs: &[(&str, &str)]) -> Params {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Live post ids of a guild, in id order.
async fn live_posts(db: &Db, guild: &str) -> Vec<i64> {
    ids(
        db,
        "SELECT p.id FROM posts p JOIN guilds g ON g.id = p.guild_id \
         WHERE g.slug = $1 AND p.deleted_at IS NULL ORDER BY p.id",
        vec![Arg::Text(guild.into())],
    )
    .await
}

async fn group_ids(db: &Db, guild: &str) -> Vec<i64> {
    ids(
        db,
        "SELECT a.id FROM account_groups a JOIN guilds g ON g.id = a.guild_id WHERE g.slug = $1 ORDER BY a.id",
        vec![Arg::Text(guild.into())],
    )
    .await
}

fn delete(entity: Entity, selection: Selection) -> BulkRequest {
    BulkRequest {
        entity,
        selection,
        action: BulkAction::Delete,
    }
}

fn move_to_group(selection: Selection, group: i64) -> BulkRequest {
    BulkRequest {
        entity: POSTS,
        selection,
        action: BulkAction::Reassign {
            group: Change::Set(group),
            brand: Change::Keep,
        },
    }
}

/// Previews `req`, then confirms it by typing the count it showed.
async fn confirmed(fx: &Fixture, scope: &GuildScope, req: BulkRequest) -> BulkConfirm {
    let preview = bulk::preview(fx.db(), fx.state.trash_window(), scope, &req)
        .await
        .expect("preview");
    BulkConfirm {
        request: req,
        confirmed_count: preview.count,
        typed: preview.count.to_string(),
        as_of: preview.as_of,
        reason: String::new(),
    }
}

async fn start(fx: &Fixture, scope: &GuildScope, confirm: &BulkConfirm, chunk: usize) -> Runner {
    bulk::start(
        fx.db(),
        fx.state.trash_window(),
        scope,
        confirm,
        chunk,
        WORKER,
    )
    .await
    .expect("start")
}

/// Previews, confirms and runs `req` to the end.
async fn run(fx: &Fixture, scope: &GuildScope, req: BulkRequest) -> BulkRun {
    let confirm = confirmed(fx, scope, req).await;
    start(fx, scope, &confirm, bulk::chunk_size(fx.db().dialect()))
        .await
        .run_to_end(fx.db(), &fx.state.clock)
        .await
        .expect("run")
}

trait Now {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc>;
}
impl Now for Fixture {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        self.state.clock.now()
    }
}

fn invalid(err: AppError) -> String {
    match err {
        AppError::Invalid(s) => s,
        other => panic!("expected a 400, got {other:?}"),
    }
}

fn conflict(err: AppError) -> String {
    match err {
        AppError::Conflict(s) => s,
        other => panic!("expected a 409, got {other:?}"),
    }
}

db_test!(
    select_all_with_except_deletes_exactly_the_matching_rest,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let tiktok = ids(
            fx.db(),
            "SELECT p.id FROM posts p JOIN guilds g ON g.id = p.guild_id \
             WHERE g.slug = 'alpha' AND p.platform = 'tiktok' AND p.deleted_at IS NULL ORDER BY p.id",
            vec![],
        )
        .await;
        assert!(tiktok.len() > 5, "the fixture has tiktok posts");
        let except = vec![tiktok[0], tiktok[3]];
        let selection = Selection::AllMatching {
            filter: params(&[("platform", "tiktok"), ("page", "3")]),
            except: except.clone(),
        };

        let preview = bulk::preview(
            fx.db(),
            fx.state.trash_window(),
            &editor,
            &delete(POSTS, selection.clone()),
        )
        .await
        .unwrap();
        assert_eq!(preview.count, tiktok.len() as i64 - 2);
        assert_eq!(preview.button, format!("Delete {} posts", tiktok.len() - 2));
        let result = run(&fx, &editor, delete(POSTS, selection)).await;

        assert_eq!(
            (result.status, result.succeeded, result.failed),
            (RunStatus::Done, tiktok.len() as i64 - 2, 0)
        );
        let left = live_posts(fx.db(), "alpha").await;
        for id in &tiktok {
            assert_eq!(left.contains(id), except.contains(id), "post {id}");
        }
        // Soft: the rows are still there, in one batch, recoverable.
        let trashed = count(
            fx.db(),
            "SELECT COUNT(*) FROM posts WHERE delete_batch_id = $1 AND deleted_at IS NOT NULL AND deleted_by = $2",
            vec![Arg::Text(format!("delete-{}", result.id)), Arg::Int(fx.editor.id)],
        )
        .await;
        assert_eq!(trashed, tiktok.len() as i64 - 2);
    }
);

db_test!(
    a_count_that_changed_since_the_preview_is_refused,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let all = Selection::AllMatching {
            filter: Params::new(),
            except: vec![],
        };
        let confirm = confirmed(&fx, &editor, delete(POSTS, all)).await;
        let before = live_posts(fx.db(), "alpha").await;
        // Someone deletes one post meanwhile.
        fx.db()
            .execute(&Sql::bound(
                "UPDATE posts SET deleted_at = $1 WHERE id = $2",
                vec![Arg::Time(test_epoch()), Arg::Int(before[0])],
            ))
            .await
            .unwrap();

        let err = bulk::start(
            fx.db(),
            fx.state.trash_window(),
            &editor,
            &confirm,
            500,
            WORKER,
        )
        .await
        .unwrap_err();

        assert_eq!(
            conflict(err),
            format!(
                "The selection changed: it now has {} items. Review and confirm again.",
                app::format::thousands(before.len() as i64 - 1)
            )
        );
        assert_eq!(
            live_posts(fx.db(), "alpha").await.len(),
            before.len() - 1,
            "nothing else changed"
        );
    }
);

db_test!(the_typed_confirmation_must_match, |db: Db| async move {
    let fx = Fixture::new(db).await;
    let editor = fx.scope(&fx.editor, "alpha").await;
    let picked = live_posts(fx.db(), "alpha").await[..3].to_vec();
    let mut confirm = confirmed(&fx, &editor, delete(POSTS, Selection::Ids(picked.clone()))).await;

    for typed in ["4", "delete", ""] {
        confirm.typed = typed.into();
        let err = bulk::start(
            fx.db(),
            fx.state.trash_window(),
            &editor,
            &confirm,
            500,
            WORKER,
        )
        .await
        .unwrap_err();
        assert!(
            invalid(err).starts_with("Type 3 or DELETE to confirm"),
            "{typed:?}"
        );
    }
    confirm.typed = "DELETE".into();
    let done = start(&fx, &editor, &confirm, 500)
        .await
        .run_to_end(fx.db(), &fx.state.clock)
        .await
        .unwrap();
    assert_eq!(done.succeeded, 3);
});

db_test!(
    removed_and_changed_items_fail_by_name_and_the_rest_succeed,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let alpha = live_posts(fx.db(), "alpha").await;
        let beta = live_posts(fx.db(), "beta").await;
        let (trashed, changed) = (alpha[0], alpha[1]);
        fx.db()
            .execute(&Sql::bound(
                "UPDATE posts SET deleted_at = $1 WHERE id = $2",
                vec![Arg::Time(test_epoch()), Arg::Int(trashed)],
            ))
            .await
            .unwrap();
        let picked = vec![trashed, changed, alpha[2], alpha[3], beta[0], 999_999_999];
        let confirm = confirmed(&fx, &editor, delete(POSTS, Selection::Ids(picked))).await;
        assert_eq!(
            confirm.confirmed_count, 6,
            "hand-picked ids count as picked"
        );
        // Someone edits one post after the confirmation was shown.
        fx.clock.advance(Duration::seconds(5));
        fx.db()
            .execute(&Sql::bound(
                "UPDATE posts SET updated_at = $1 WHERE id = $2",
                vec![Arg::Time(fx.clock_now()), Arg::Int(changed)],
            ))
            .await
            .unwrap();

        let result = start(&fx, &editor, &confirm, 2)
            .await
            .run_to_end(fx.db(), &fx.state.clock)
            .await
            .unwrap();

        assert_eq!((result.succeeded, result.failed), (2, 4));
        let reasons: Vec<(i64, FailureReason)> =
            result.failures.iter().map(|f| (f.id, f.reason)).collect();
        assert_eq!(
            reasons,
            vec![
                (trashed, FailureReason::Removed),
                (changed, FailureReason::Changed),
                (beta[0], FailureReason::Removed),
                (999_999_999, FailureReason::Removed),
            ]
        );
        let named = &result.failures[0].name;
        assert!(
            named.starts_with('@') && named.contains(" · "),
            "named by handle and date: {named}"
        );
        assert_eq!(result.failures[3].name, "Post #999999999");
        assert!(
            live_posts(fx.db(), "beta").await.contains(&beta[0]),
            "another guild's post is untouched"
        );
        assert!(
            live_posts(fx.db(), "alpha").await.contains(&changed),
            "the changed post is kept"
        );
        assert_eq!(result.outcome_text(), "2 deleted, 4 failed");
    }
);

db_test!(
    a_role_taken_away_mid_run_fails_the_remaining_items,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let picked = live_posts(fx.db(), "alpha").await[..6].to_vec();
        let confirm = confirmed(&fx, &editor, delete(POSTS, Selection::Ids(picked.clone()))).await;
        let mut runner = start(&fx, &editor, &confirm, 2).await;

        assert!(
            runner.step(fx.db(), fx.clock_now()).await.unwrap(),
            "more chunks to go"
        );
        set_membership(fx.db(), test_epoch(), "alpha", fx.editor.id, Role::Viewer)
            .await
            .unwrap();
        while runner.step(fx.db(), fx.clock_now()).await.unwrap() {}

        let result = bulk::get(fx.db(), &editor, runner.run_id()).await.unwrap();
        assert_eq!((result.succeeded, result.failed), (2, 4));
        assert!(result
            .failures
            .iter()
            .all(|f| f.reason == FailureReason::NotAllowed));
        assert_eq!(
            result.failures.iter().map(|f| f.id).collect::<Vec<_>>(),
            picked[2..].to_vec()
        );
    }
);

db_test!(
    a_target_group_deleted_mid_run_fails_the_remaining_items,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let groups = group_ids(fx.db(), "alpha").await;
        let picked = live_posts(fx.db(), "alpha").await[..4].to_vec();
        let confirm = confirmed(
            &fx,
            &editor,
            move_to_group(Selection::Ids(picked.clone()), groups[0]),
        )
        .await;
        let mut runner = start(&fx, &editor, &confirm, 2).await;

        runner.step(fx.db(), fx.clock_now()).await.unwrap();
        fx.db()
            .execute(&Sql::bound(
                "DELETE FROM account_groups WHERE id = $1",
                vec![Arg::Int(groups[0])],
            ))
            .await
            .unwrap();
        while runner.step(fx.db(), fx.clock_now()).await.unwrap() {}

        let result = bulk::get(fx.db(), &editor, runner.run_id()).await.unwrap();
        assert_eq!((result.succeeded, result.failed), (2, 2));
        assert!(result
            .failures
            .iter()
            .all(|f| f.reason == FailureReason::TargetGone));
    }
);

db_test!(
    reassign_moves_posts_and_a_group_of_another_guild_is_rejected,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let picked = live_posts(fx.db(), "alpha").await[..5].to_vec();
        let foreign = group_ids(fx.db(), "beta").await[0];

        let err = bulk::preview(
            fx.db(),
            fx.state.trash_window(),
            &editor,
            &move_to_group(Selection::Ids(picked.clone()), foreign),
        )
        .await
        .unwrap_err();
        assert_eq!(
            invalid(err),
            format!("There is no group with id {foreign} in this guild; choose another one.")
        );
        // Straight to start, skipping the preview: refused as well.
        let sneaky = BulkConfirm {
            request: move_to_group(Selection::Ids(picked.clone()), foreign),
            confirmed_count: 5,
            typed: "5".into(),
            as_of: fx.clock_now(),
            reason: String::new(),
        };
        assert!(bulk::start(
            fx.db(),
            fx.state.trash_window(),
            &editor,
            &sneaky,
            500,
            WORKER
        )
        .await
        .is_err());

        let mine = group_ids(fx.db(), "alpha").await[1];
        let result = run(
            &fx,
            &editor,
            move_to_group(Selection::Ids(picked.clone()), mine),
        )
        .await;
        assert_eq!(result.succeeded, 5);
        let moved = count(
            fx.db(),
            "SELECT COUNT(*) FROM posts WHERE group_id = $1 AND id IN ($2, $3, $4, $5, $6)",
            std::iter::once(Arg::Int(mine))
                .chain(picked.iter().map(|i| Arg::Int(*i)))
                .collect(),
        )
        .await;
        assert_eq!(moved, 5);
    }
);

db_test!(
    every_batch_writes_one_summary_and_one_entry_per_item,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let picked = live_posts(fx.db(), "alpha").await[..7].to_vec();
        let mut confirm =
            confirmed(&fx, &editor, delete(POSTS, Selection::Ids(picked.clone()))).await;
        confirm.reason = "  spam wave  ".into();

        let result = start(&fx, &editor, &confirm, 3)
            .await
            .run_to_end(fx.db(), &fx.state.clock)
            .await
            .unwrap();

        let batch = vec![Arg::Text(format!("delete-{}", result.id))];
        let q = |sql: &'static str| count(fx.db(), sql, batch.clone());
        assert_eq!(
            q("SELECT COUNT(*) FROM audit_log WHERE batch_id = $1").await,
            1 + 7
        );
        assert_eq!(q("SELECT COUNT(*) FROM audit_log WHERE batch_id = $1 AND action = 'delete' AND target_id IS NULL").await, 1);
        assert_eq!(q("SELECT COUNT(*) FROM audit_log WHERE batch_id = $1 AND action = 'delete.item' AND target_type = 'post'").await, 7);
        #[derive(sqlx::FromRow)]
        struct Summary {
            summary: String,
            details: String,
            actor_id: i64,
        }
        let s = fx
            .db()
            .fetch_optional::<Summary>(&Sql::bound(
                "SELECT summary, details, actor_id FROM audit_log WHERE batch_id = $1 AND target_id IS NULL",
                batch.clone(),
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (s.summary.as_str(), s.actor_id),
            ("Deleted 7 posts", fx.editor.id)
        );
        let details: serde_json::Value = serde_json::from_str(&s.details).unwrap();
        assert_eq!(details["reason"], "spam wave");
        assert_eq!(details["selection"], "7 picked by hand");
        assert_eq!(details["succeeded"], 7);
    }
);

db_test!(
    deleting_accounts_trashes_their_posts_in_the_same_batch,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let account = ids(
            fx.db(),
            "SELECT a.id FROM accounts a JOIN guilds g ON g.id = a.guild_id WHERE g.slug = 'alpha' \
             AND (SELECT COUNT(*) FROM posts p WHERE p.account_id = a.id) > 0 ORDER BY a.id LIMIT 1",
            vec![],
        )
        .await[0];
        let posts = count(
            fx.db(),
            "SELECT COUNT(*) FROM posts WHERE account_id = $1 AND deleted_at IS NULL",
            vec![Arg::Int(account)],
        )
        .await;
        let req = delete(ACCOUNTS, Selection::Ids(vec![account]));

        let preview = bulk::preview(fx.db(), fx.state.trash_window(), &editor, &req)
            .await
            .unwrap();
        assert!(
            preview.sentence.starts_with(&format!(
                "Delete 1 account and their {}",
                Entity::Posts.count(posts)
            )),
            "{}",
            preview.sentence
        );
        let result = run(&fx, &editor, req).await;

        assert_eq!(result.succeeded, 1);
        let batch = format!("delete-{}", result.id);
        let in_batch = count(
            fx.db(),
            "SELECT COUNT(*) FROM posts WHERE account_id = $1 AND delete_batch_id = $2",
            vec![Arg::Int(account), Arg::Text(batch.clone())],
        )
        .await;
        assert_eq!(in_batch, posts);
        let audit = count(
            fx.db(),
            "SELECT COUNT(*) FROM audit_log WHERE batch_id = $1",
            vec![Arg::Text(batch)],
        )
        .await;
        assert_eq!(
            audit, 2,
            "one summary and one entry for the account (its posts are in its details)"
        );
    }
);

db_test!(
    viewers_may_not_delete_or_reassign_and_editors_may,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let viewer = fx.scope(&fx.viewer, "alpha").await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let picked = live_posts(fx.db(), "alpha").await[..2].to_vec();
        let group = group_ids(fx.db(), "alpha").await[0];
        for req in [
            delete(POSTS, Selection::Ids(picked.clone())),
            move_to_group(Selection::Ids(picked.clone()), group),
        ] {
            let err = bulk::preview(fx.db(), fx.state.trash_window(), &viewer, &req)
                .await
                .unwrap_err();
            assert!(
                matches!(&err, AppError::Forbidden(s) if s.starts_with("Only a guild editor can")),
                "{err:?}"
            );
            let confirm = BulkConfirm {
                request: req.clone(),
                confirmed_count: 2,
                typed: "2".into(),
                as_of: fx.clock_now(),
                reason: String::new(),
            };
            assert!(matches!(
                bulk::start(
                    fx.db(),
                    fx.state.trash_window(),
                    &viewer,
                    &confirm,
                    500,
                    WORKER
                )
                .await,
                Err(AppError::Forbidden(_))
            ));
            assert!(
                bulk::preview(fx.db(), fx.state.trash_window(), &editor, &req)
                    .await
                    .is_ok()
            );
        }
        assert_eq!(
            live_posts(fx.db(), "alpha").await.len(),
            120,
            "nothing changed"
        );
    }
);

/// A delete of six of alpha's posts in chunks of two, its first chunk
/// done: a run that has started and not finished.
async fn a_delete_of_six_with_its_first_chunk_done(fx: &Fixture, editor: &GuildScope) -> Runner {
    let picked = live_posts(fx.db(), "alpha").await[..6].to_vec();
    let confirm = confirmed(fx, editor, delete(POSTS, Selection::Ids(picked))).await;
    let mut runner = start(fx, editor, &confirm, 2).await;
    runner.step(fx.db(), fx.clock_now()).await.unwrap();
    runner
}

db_test!(
    a_run_whose_server_stopped_is_reported_as_interrupted,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let runner = a_delete_of_six_with_its_first_chunk_done(&fx, &editor).await;
        // The server dies here: the runner is never stepped again.

        assert_eq!(
            bulk::recover_stale(fx.db(), fx.clock_now()).await.unwrap(),
            0,
            "not stale yet"
        );
        fx.clock.advance(bulk::STALE_AFTER + Duration::seconds(1));
        assert_eq!(
            bulk::recover_stale(fx.db(), fx.clock_now()).await.unwrap(),
            1
        );

        let run = bulk::get(fx.db(), &editor, runner.run_id()).await.unwrap();
        assert_eq!(
            (run.status, run.processed, run.succeeded),
            (RunStatus::Interrupted, 2, 2)
        );
        assert!(
            run.outcome_text().contains("the other 4"),
            "{}",
            run.outcome_text()
        );
        let summaries = count(
            fx.db(),
            "SELECT COUNT(*) FROM audit_log WHERE batch_id = $1 AND target_id IS NULL",
            vec![Arg::Text(runner.batch_id().into())],
        )
        .await;
        assert_eq!(summaries, 1);
    }
);

db_test!(
    a_run_declared_stale_while_its_chunk_commits_counts_that_chunk,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let runner = a_delete_of_six_with_its_first_chunk_done(&fx, &editor).await;
        // A slow worker's second chunk is committing: its transaction has
        // written the new counts and not yet committed.
        let mut chunk = fx.db().begin_write().await.unwrap();
        chunk
            .execute(&Sql::bound(
                "UPDATE bulk_runs SET processed = 4, succeeded = 4 WHERE id = $1",
                vec![Arg::Int(runner.run_id())],
            ))
            .await
            .unwrap();

        fx.clock.advance(bulk::STALE_AFTER + Duration::seconds(1));
        let (db, now) = (fx.db().clone(), fx.clock_now());
        let recovery = tokio::spawn(async move { bulk::recover_stale(&db, now).await });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        chunk.commit().await.unwrap();
        assert_eq!(recovery.await.unwrap().unwrap(), 1);

        let run = bulk::get(fx.db(), &editor, runner.run_id()).await.unwrap();
        assert_eq!(
            (run.status, run.processed, run.succeeded),
            (RunStatus::Interrupted, 4, 4)
        );
        let told = count(
            fx.db(),
            "SELECT COUNT(*) FROM audit_log WHERE batch_id = $1 AND target_id IS NULL \
             AND summary LIKE 'Stopped after 4 of 6 posts: 4 deleted%' AND item_count = 4",
            vec![Arg::Text(runner.batch_id().into())],
        )
        .await;
        assert_eq!(told, 1, "the summary counts the chunk that committed");
    }
);

db_test!(another_guilds_run_is_not_found, |db: Db| async move {
    let fx = Fixture::new(db).await;
    let editor = fx.scope(&fx.editor, "alpha").await;
    let outsider = fx.scope(&fx.outsider, "beta").await;
    let picked = live_posts(fx.db(), "alpha").await[..1].to_vec();
    let result = run(&fx, &editor, delete(POSTS, Selection::Ids(picked))).await;
    assert!(matches!(
        bulk::get(fx.db(), &outsider, result.id).await,
        Err(AppError::NotFound(_))
    ));
});

/// The number of item entries the audit log shows beside `batch`'s summary.
async fn items_shown_for(db: &Db, scope: &GuildScope, batch: &str) -> i64 {
    let filter = app::model::AuditFilter {
        page: 1,
        ..Default::default()
    };
    app::domain::audit::list(db, scope, &filter)
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|e| e.batch_id.as_deref() == Some(batch))
        .expect("the batch's summary is on the first page")
        .items
}

/// The total the page of a batch's item entries shows.
async fn item_page_total(db: &Db, scope: &GuildScope, batch: &str) -> i64 {
    app::domain::audit::batch_items(db, scope, batch, 1)
        .await
        .unwrap()
        .total
}

db_test!(
    a_bulk_summary_keeps_its_item_count_and_older_summaries_are_counted,
    |db: Db| async move {
        // Arrange: a delete of three posts, one of them already deleted by
        // someone else, so that the batch has done and failed items.
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let picked = live_posts(fx.db(), "alpha").await[..3].to_vec();
        let confirm = confirmed(&fx, &editor, delete(POSTS, Selection::Ids(picked.clone()))).await;
        fx.db()
            .execute(&Sql::bound(
                "UPDATE posts SET deleted_at = $1 WHERE id = $2",
                vec![Arg::Time(fx.clock_now()), Arg::Int(picked[1])],
            ))
            .await
            .unwrap();

        // Act: one chunk of two, then the rest.
        let mut runner = start(&fx, &editor, &confirm, 2).await;
        let batch = runner.batch_id().to_string();
        runner.step(fx.db(), fx.clock_now()).await.unwrap();
        let items_while_running = item_page_total(fx.db(), &editor, &batch).await;
        let result = runner.run_to_end(fx.db(), &fx.state.clock).await.unwrap();

        // Assert: while the batch runs, its items page counts what is
        // written; the summary then holds the count, and the log and the
        // items page show it.
        assert_eq!(items_while_running, 2);
        assert_eq!((result.succeeded, result.failed), (2, 1));
        let kept = count(
            fx.db(),
            "SELECT item_count FROM audit_log WHERE batch_id = $1 AND target_id IS NULL",
            vec![Arg::Text(batch.clone())],
        )
        .await;
        assert_eq!(kept, 3);
        assert_eq!(items_shown_for(fx.db(), &editor, &batch).await, 3);
        assert_eq!(item_page_total(fx.db(), &editor, &batch).await, 3);
        // A summary written before the column existed is counted instead.
        fx.db()
            .execute(&Sql::bound(
                "UPDATE audit_log SET item_count = NULL WHERE batch_id = $1",
                vec![Arg::Text(batch.clone())],
            ))
            .await
            .unwrap();
        assert_eq!(items_shown_for(fx.db(), &editor, &batch).await, 3);
        assert_eq!(item_page_total(fx.db(), &editor, &batch).await, 3);
    }
);

/// The item entries of a batch as the audit log shows them (action and
/// sentence), in the order they were written.
async fn item_summaries(db: &Db, scope: &GuildScope, batch: &str) -> Vec<(String, String)> {
    app::domain::audit::batch_items(db, scope, batch, 1)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|i| (i.action, i.summary))
        .collect()
}

db_test!(
    a_reassigned_items_audit_entry_says_where_it_came_from,
    |db: Db| async move {
        // Arrange: a post and the name of its group now.
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let post = ids(
            fx.db(),
            "SELECT p.id FROM posts p JOIN guilds gu ON gu.id = p.guild_id \
             WHERE gu.slug = 'alpha' AND p.group_id IS NOT NULL AND p.deleted_at IS NULL ORDER BY p.id",
            vec![],
        )
        .await[0];
        #[derive(sqlx::FromRow)]
        struct Name(String);
        let name_of = |sql: &'static str, id: i64| {
            let db = fx.db().clone();
            async move {
                db.fetch_all::<Name>(&Sql::bound(sql, vec![Arg::Int(id)]))
                    .await
                    .unwrap()
                    .remove(0)
                    .0
            }
        };
        let from = name_of(
            "SELECT g.name FROM posts p JOIN account_groups g ON g.id = p.group_id WHERE p.id = $1",
            post,
        )
        .await;
        let groups = group_ids(fx.db(), "alpha").await;
        let mut to_id = groups[0];
        let mut to = name_of("SELECT name FROM account_groups WHERE id = $1", to_id).await;
        if to == from {
            to_id = groups[1];
            to = name_of("SELECT name FROM account_groups WHERE id = $1", to_id).await;
        }

        // Act
        let result = run(
            &fx,
            &editor,
            move_to_group(Selection::Ids(vec![post]), to_id),
        )
        .await;

        // Assert: "… group Team Blaze → Team Echo".
        let items = item_summaries(fx.db(), &editor, &result.batch_id).await;
        assert_eq!(items.len(), 1);
        assert!(
            items[0].1.ends_with(&format!(": group {from} → {to}")),
            "{}",
            items[0].1
        );
    }
);

db_test!(
    a_partial_failures_batch_lists_the_failed_items_with_their_reasons,
    |db: Db| async move {
        // Arrange: three picked posts, one deleted before the run.
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let alpha = live_posts(fx.db(), "alpha").await;
        let picked = vec![alpha[0], alpha[1], alpha[2]];
        let confirm = confirmed(&fx, &editor, delete(POSTS, Selection::Ids(picked))).await;
        fx.db()
            .execute(&Sql::bound(
                "UPDATE posts SET deleted_at = $1 WHERE id = $2",
                vec![Arg::Time(test_epoch()), Arg::Int(alpha[1])],
            ))
            .await
            .unwrap();

        // Act
        let result = start(&fx, &editor, &confirm, 500)
            .await
            .run_to_end(fx.db(), &fx.state.clock)
            .await
            .unwrap();

        // Assert: two deleted items and the failed one, with its reason.
        assert_eq!((result.succeeded, result.failed), (2, 1));
        let items = item_summaries(fx.db(), &editor, &result.batch_id).await;
        let failed: Vec<&(String, String)> =
            items.iter().filter(|(a, _)| a == "delete.failed").collect();
        assert_eq!(items.len(), 3);
        assert_eq!(failed.len(), 1);
        assert!(failed[0].1.starts_with("Not deleted: @"), "{}", failed[0].1);
        assert!(
            failed[0].1.ends_with(FailureReason::Removed.sentence()),
            "{}",
            failed[0].1
        );
    }
);

db_test!(
    item_entries_store_facts_and_read_as_sentences_beside_entries_written_before,
    |db: Db| async move {
        // Arrange: a delete of two posts, and an item entry as the log wrote
        // them before it stored facts (its sentence in the summary column).
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let picked = live_posts(fx.db(), "alpha").await[..2].to_vec();
        let result = run(&fx, &editor, delete(POSTS, Selection::Ids(picked.clone()))).await;
        fx.db()
            .execute(&Sql::bound(
                "INSERT INTO audit_log (guild_id, actor_id, action, target_type, target_id, \
                 summary, batch_id, created_at) SELECT guild_id, $1, 'delete.item', 'post', 999999, \
                 'Deleted post #999999 by @old.shape: “written before”', $2, $3 FROM posts WHERE id = $4",
                vec![
                    Arg::Int(fx.editor.id),
                    Arg::Text(result.batch_id.clone()),
                    Arg::Time(test_epoch()),
                    Arg::Int(picked[0]),
                ],
            ))
            .await
            .unwrap();

        // Act
        let items = item_summaries(fx.db(), &editor, &result.batch_id).await;

        // Assert: the new entries hold no sentence of their own, yet read as
        // one; the old entry reads as it was written.
        let stored = count(
            fx.db(),
            "SELECT COUNT(*) FROM audit_log WHERE batch_id = $1 AND summary = '' AND item_handle IS NOT NULL",
            vec![Arg::Text(result.batch_id.clone())],
        )
        .await;
        assert_eq!(stored, 2);
        let sentences: Vec<&str> = items.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(sentences.len(), 3);
        for id in &picked {
            let worded = format!("Deleted post #{id} by @");
            assert!(
                sentences[..2].iter().any(|s| s.starts_with(&worded)),
                "{sentences:?}"
            );
        }
        assert_eq!(
            sentences[2],
            "Deleted post #999999 by @old.shape: “written before”"
        );
    }
);

/// A delete of posts `from..to` (in id order) of alpha, confirmed, recorded
/// and ready to run in chunks of 2.
async fn start_delete_of(fx: &Fixture, scope: &GuildScope, from: usize, to: usize) -> Runner {
    let picked = live_posts(fx.db(), "alpha").await[from..to].to_vec();
    let confirm = confirmed(fx, scope, delete(POSTS, Selection::Ids(picked))).await;
    start(fx, scope, &confirm, 2).await
}

db_test!(
    a_second_bulk_action_in_a_guild_waits_for_the_first_then_runs,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let mut first = start_delete_of(&fx, &editor, 0, 4).await;
        let mut second = start_delete_of(&fx, &editor, 4, 8).await;

        assert!(!first.is_queued());
        assert!(second.is_queued());
        let waiting = bulk::get(fx.db(), &editor, second.run_id()).await.unwrap();
        assert_eq!(
            (waiting.status, waiting.queue_ahead),
            (RunStatus::Queued, Some(1))
        );
        assert!(
            waiting
                .progress_text()
                .starts_with("Waiting for 1 other bulk action"),
            "{}",
            waiting.progress_text()
        );
        let refused = second.step(fx.db(), fx.clock_now()).await.unwrap_err();
        assert!(matches!(refused, AppError::Conflict(_)), "{refused:?}");
        assert_eq!(live_posts(fx.db(), "alpha").await.len(), 120, "nothing yet");

        first.step(fx.db(), fx.clock_now()).await.unwrap();
        assert!(
            second.step(fx.db(), fx.clock_now()).await.is_err(),
            "still waits while the first has chunks left"
        );
        while first.step(fx.db(), fx.clock_now()).await.unwrap() {}
        while second.step(fx.db(), fx.clock_now()).await.unwrap() {}

        for runner in [&first, &second] {
            let run = bulk::get(fx.db(), &editor, runner.run_id()).await.unwrap();
            assert_eq!(
                (run.status, run.succeeded, run.failed),
                (RunStatus::Done, 4, 0)
            );
        }
        assert_eq!(live_posts(fx.db(), "alpha").await.len(), 112);
    }
);

db_test!(
    another_guilds_bulk_action_does_not_wait,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let outsider = fx.scope(&fx.outsider, "beta").await;
        let _alpha = start_delete_of(&fx, &editor, 0, 4).await;
        let picked = live_posts(fx.db(), "beta").await[..4].to_vec();
        let confirm = confirmed(&fx, &outsider, delete(POSTS, Selection::Ids(picked))).await;

        let beta = start(&fx, &outsider, &confirm, 2).await;

        assert!(!beta.is_queued());
    }
);

db_test!(
    a_guild_with_five_bulk_actions_running_or_waiting_refuses_a_sixth,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let mut runners = Vec::new();
        for i in 0..bulk::MAX_ACTIVE_PER_GUILD as usize {
            runners.push(start_delete_of(&fx, &editor, i, i + 1).await);
        }
        let picked = live_posts(fx.db(), "alpha").await[10..11].to_vec();
        let confirm = confirmed(&fx, &editor, delete(POSTS, Selection::Ids(picked))).await;

        let err = bulk::start(
            fx.db(),
            fx.state.trash_window(),
            &editor,
            &confirm,
            2,
            WORKER,
        )
        .await
        .unwrap_err();

        assert_eq!(err.status_code().as_u16(), 429);
        assert!(
            err.to_string()
                .contains("already has 5 bulk actions running or waiting"),
            "{err}"
        );
        // One ending frees a place.
        while runners[0].step(fx.db(), fx.clock_now()).await.unwrap() {}
        bulk::start(
            fx.db(),
            fx.state.trash_window(),
            &editor,
            &confirm,
            2,
            WORKER,
        )
        .await
        .expect("room again");
    }
);

db_test!(
    a_small_action_behind_a_running_one_is_answered_queued_and_runs_when_its_turn_comes,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let mut first = start_delete_of(&fx, &editor, 0, 4).await;
        let picked = live_posts(fx.db(), "alpha").await[4..6].to_vec();
        let confirm = confirmed(&fx, &editor, delete(POSTS, Selection::Ids(picked))).await;

        let answer = bulk::launch(&fx.state, &editor, &confirm).await.unwrap();

        assert_eq!(
            answer.status,
            RunStatus::Queued,
            "not run inside the request"
        );
        while first.step(fx.db(), fx.clock_now()).await.unwrap() {}
        let mut run = answer;
        for _ in 0..100 {
            run = bulk::get(fx.db(), &editor, run.id).await.unwrap();
            if !run.status.is_active() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!((run.status, run.succeeded), (RunStatus::Done, 2));
        assert_eq!(live_posts(fx.db(), "alpha").await.len(), 114);
    }
);

db_test!(
    a_queued_run_whose_server_stopped_is_closed_having_changed_nothing,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let _first = start_delete_of(&fx, &editor, 0, 4).await;
        let second = start_delete_of(&fx, &editor, 4, 8).await;
        // The server dies: neither runner moves again.

        fx.clock.advance(bulk::STALE_AFTER + Duration::seconds(1));
        assert_eq!(
            bulk::recover_stale(fx.db(), fx.clock_now()).await.unwrap(),
            2
        );

        let run = bulk::get(fx.db(), &editor, second.run_id()).await.unwrap();
        assert_eq!((run.status, run.processed), (RunStatus::Interrupted, 0));
        assert!(
            run.outcome_text().starts_with("Nothing deleted"),
            "{}",
            run.outcome_text()
        );
        assert_eq!(live_posts(fx.db(), "alpha").await.len(), 120);
        let summary = ids(
            fx.db(),
            "SELECT COUNT(*) FROM audit_log WHERE batch_id = $1 AND target_id IS NULL \
             AND summary LIKE 'Did not start%'",
            vec![Arg::Text(second.batch_id().into())],
        )
        .await;
        assert_eq!(summary, vec![1]);
    }
);

db_test!(
    a_restarted_server_closes_the_runs_of_its_earlier_start_at_once,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let before = app::domain::Instance::new("box:3000", fx.clock_now());
        let picked = live_posts(fx.db(), "alpha").await[..6].to_vec();
        let confirm = confirmed(&fx, &editor, delete(POSTS, Selection::Ids(picked.clone()))).await;
        let mut cut = bulk::start(
            fx.db(),
            fx.state.trash_window(),
            &editor,
            &confirm,
            2,
            &before.id(),
        )
        .await
        .unwrap();
        cut.step(fx.db(), fx.clock_now()).await.unwrap();
        let outsider = fx.scope(&fx.outsider, "beta").await;
        let beta = live_posts(fx.db(), "beta").await[..2].to_vec();
        let other_confirm = confirmed(&fx, &outsider, delete(POSTS, Selection::Ids(beta))).await;
        let elsewhere = app::domain::Instance::new("box:3001", fx.clock_now());
        let other = bulk::start(
            fx.db(),
            fx.state.trash_window(),
            &outsider,
            &other_confirm,
            2,
            &elsewhere.id(),
        )
        .await
        .unwrap();
        // `kill -9`, then the same server starts again: no time has passed.

        let after = app::domain::Instance::new("box:3000", fx.clock_now() + Duration::seconds(1));
        let closed = bulk::take_back(fx.db(), &after, fx.clock_now())
            .await
            .unwrap();

        assert_eq!(closed, 1, "only its own earlier run");
        let run = bulk::get(fx.db(), &editor, cut.run_id()).await.unwrap();
        assert_eq!(
            (run.status, run.processed, run.succeeded),
            (RunStatus::Interrupted, 2, 2)
        );
        let live = live_posts(fx.db(), "alpha").await;
        assert!(
            !live.contains(&picked[0]) && !live.contains(&picked[1]),
            "done stays done"
        );
        assert!(
            picked[2..].iter().all(|id| live.contains(id)),
            "the rest untouched"
        );
        let audited = count(
            fx.db(),
            "SELECT COUNT(*) FROM audit_log WHERE batch_id = $1 AND target_id IS NOT NULL",
            vec![Arg::Text(cut.batch_id().into())],
        )
        .await;
        assert_eq!(audited, 2, "each item done is audited, none other");
        let theirs = bulk::get(fx.db(), &outsider, other.run_id()).await.unwrap();
        assert_eq!(
            theirs.status,
            RunStatus::Running,
            "another server's run is left alone"
        );
        assert!(
            cut.step(fx.db(), fx.clock_now()).await.is_err(),
            "a closed run does no more chunks"
        );
        assert_eq!(live_posts(fx.db(), "alpha").await, live);
    }
);

/// A Posts-page filter, and the same posts as a condition for a plain count.
struct Counted {
    filter: Vec<(&'static str, String)>,
    condition: String,
}

/// The filters the kept tallies serve (PostgreSQL), plus some they do not.
async fn tally_filters(db: &Db, guild: i64) -> Vec<Counted> {
    let group = group_ids(db, "alpha").await[1];
    let brand = count(
        db,
        "SELECT MIN(id) FROM brands WHERE guild_id = $1",
        vec![Arg::Int(guild)],
    )
    .await;
    let account = count(
        db,
        "SELECT MIN(account_id) FROM posts WHERE guild_id = $1 AND deleted_at IS NULL",
        vec![Arg::Int(guild)],
    )
    .await;
    let c = |filter: Vec<(&'static str, String)>, condition: String| Counted { filter, condition };
    vec![
        c(vec![], String::new()),
        c(
            vec![("platform", "tiktok".into())],
            "AND platform = 'tiktok'".into(),
        ),
        c(
            vec![("group", group.to_string())],
            format!("AND group_id = {group}"),
        ),
        c(
            vec![("group", "none".into())],
            "AND group_id IS NULL".into(),
        ),
        c(
            vec![("brand", brand.to_string())],
            format!("AND brand_id = {brand}"),
        ),
        c(
            vec![("platform", "x".into()), ("brand", "none".into())],
            "AND platform = 'x' AND brand_id IS NULL".into(),
        ),
        c(
            vec![("account", account.to_string())],
            format!("AND account_id = {account}"),
        ),
        // The views tally: a floor of its scale, a minimum between two
        // floors, and with the other filters.
        c(
            vec![("min_views", "1000".into())],
            "AND views >= 1000".into(),
        ),
        c(
            vec![("min_views", "1500".into())],
            "AND views >= 1500".into(),
        ),
        c(vec![("min_views", "0".into())], "AND views >= 0".into()),
        // The top of the scale (a trillion), below it, and above it.
        c(
            vec![("min_views", "600000000000".into())],
            "AND views >= 600000000000".into(),
        ),
        c(
            vec![("min_views", "1000000000000".into())],
            "AND views >= 1000000000000".into(),
        ),
        c(
            vec![("min_views", "2000000000000".into())],
            "AND views >= 2000000000000".into(),
        ),
        c(
            vec![("group", group.to_string()), ("min_views", "700".into())],
            format!("AND group_id = {group} AND views >= 700"),
        ),
        c(
            vec![
                ("platform", "x".into()),
                ("brand", "none".into()),
                ("min_views", "20000".into()),
            ],
            "AND platform = 'x' AND brand_id IS NULL AND views >= 20000".into(),
        ),
        // Counted from the views index on SQLite: a minimum with a
        // platform or a date range (these ranges hold every post).
        c(
            vec![("platform", "tiktok".into()), ("min_views", "1000".into())],
            "AND platform = 'tiktok' AND views >= 1000".into(),
        ),
        c(
            vec![("from", "2000-01-01".into()), ("min_views", "1500".into())],
            "AND views >= 1500".into(),
        ),
        c(
            vec![
                ("platform", "x".into()),
                ("to", "2100-01-01".into()),
                ("min_views", "0".into()),
            ],
            "AND platform = 'x' AND views >= 0".into(),
        ),
        // Counted, naming every platform (a brand or group with a date
        // range; these ranges hold every post).
        c(
            vec![("brand", brand.to_string()), ("from", "2000-01-01".into())],
            format!("AND brand_id = {brand}"),
        ),
        c(
            vec![("group", "none".into()), ("to", "2100-01-01".into())],
            "AND group_id IS NULL".into(),
        ),
        // Counted: one account.
        c(
            vec![("account", account.to_string()), ("min_views", "50".into())],
            format!("AND account_id = {account} AND views >= 50"),
        ),
    ]
}

/// Every filter's list total equals a plain count of the live posts.
async fn assert_totals_are_counts(fx: &Fixture, scope: &GuildScope, after: &str) {
    let guild = scope.guild_id();
    for Counted { filter, condition } in tally_filters(fx.db(), guild).await {
        let pairs: Params = filter
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let f = app::model::PostFilter::from_params(&pairs).expect("valid filter");
        let total = app::domain::posts::list(fx.db(), scope, &f)
            .await
            .expect("list")
            .total;
        let counted = count(
            fx.db(),
            &format!(
                "SELECT COUNT(*) FROM posts WHERE guild_id = $1 AND deleted_at IS NULL {condition}"
            ),
            vec![Arg::Int(guild)],
        )
        .await;
        assert_eq!(total, counted, "the total of {filter:?} after {after}");
    }
    assert_trash_totals_are_counts(fx, scope, after).await;
}

/// Every Deleted Items view's total, and the tab's, equals a plain count of
/// the trashed posts (the trash tally serves them on PostgreSQL, except
/// "purged within 7 days").
async fn assert_trash_totals_are_counts(fx: &Fixture, scope: &GuildScope, after: &str) {
    let guild = scope.guild_id();
    let batch: Option<(Option<String>,)> = fx
        .db()
        .fetch_optional(&Sql::bound(
            "SELECT MIN(delete_batch_id) FROM posts WHERE guild_id = $1 AND deleted_at IS NOT NULL",
            vec![Arg::Int(guild)],
        ))
        .await
        .unwrap();
    let mut views = vec![
        (vec![], String::new()),
        (
            vec![("platform", "tiktok".to_string())],
            "AND platform = 'tiktok'".to_string(),
        ),
        (
            vec![("expiring", "1".to_string())],
            "AND deleted_at <= $2".to_string(),
        ),
    ];
    if let Some((Some(batch),)) = batch {
        views.push((
            vec![("batch", batch.clone()), ("platform", "x".into())],
            format!("AND delete_batch_id = '{batch}' AND platform = 'x'"),
        ));
        views.push((
            vec![("batch", batch.clone())],
            format!("AND delete_batch_id = '{batch}'"),
        ));
    }
    let every = count(
        fx.db(),
        "SELECT COUNT(*) FROM posts WHERE guild_id = $1 AND deleted_at IS NOT NULL",
        vec![Arg::Int(guild)],
    )
    .await;
    let window = fx.state.trash_window();
    for (filter, condition) in views {
        let pairs: Params = filter
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let f = app::model::TrashFilter::from_params(&pairs).expect("valid filter");
        let page = app::domain::trash::list(fx.db(), scope, &f, window)
            .await
            .expect("trash list");
        let mut args = vec![Arg::Int(guild)];
        if f.expiring {
            args.push(Arg::Time(window.expiring_cutoff()));
        }
        let counted = count(
            fx.db(),
            &format!(
                "SELECT COUNT(*) FROM posts WHERE guild_id = $1 AND deleted_at IS NOT NULL {condition}"
            ),
            args,
        )
        .await;
        assert_eq!(
            page.total, counted,
            "the trash total of {filter:?} after {after}"
        );
        assert_eq!(
            page.posts_total, every,
            "the trash's post count after {after}"
        );
    }
}

db_test!(
    list_and_trash_totals_stay_exact_through_every_kind_of_change_to_posts,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let scope = fx.scope(&fx.admin, "alpha").await;
        assert_totals_are_counts(&fx, &scope, "the seed").await;

        // New view counts from the tracker, some past the top of the views
        // tally's scale.
        let live = live_posts(fx.db(), "alpha").await;
        for (post, views) in live.iter().zip([3_000_000_000_000, 800_000_000_000, 7, 0]) {
            fx.db()
                .execute(&Sql::bound(
                    "UPDATE posts SET views = $1 WHERE id = $2",
                    vec![Arg::Int(views), Arg::Int(*post)],
                ))
                .await
                .unwrap();
        }
        assert_totals_are_counts(&fx, &scope, "new view counts").await;

        let tiktok = Selection::AllMatching {
            filter: params(&[("platform", "tiktok")]),
            except: vec![],
        };
        run(&fx, &scope, delete(POSTS, tiktok)).await;
        assert_totals_are_counts(&fx, &scope, "a delete").await;

        let live = live_posts(fx.db(), "alpha").await;
        let group = group_ids(fx.db(), "alpha").await[1];
        run(
            &fx,
            &scope,
            move_to_group(Selection::Ids(live[..15].to_vec()), group),
        )
        .await;
        assert_totals_are_counts(&fx, &scope, "a reassign").await;

        let trashed = ids(
            fx.db(),
            "SELECT id FROM posts WHERE guild_id = $1 AND deleted_at IS NOT NULL ORDER BY id",
            vec![Arg::Int(scope.guild_id())],
        )
        .await;
        let (back, gone) = trashed.split_at(trashed.len() / 2);
        for (action, ids, after) in [
            (BulkAction::Restore, back, "a restore"),
            (BulkAction::Purge, gone, "a purge"),
        ] {
            let selection = Selection::Ids(ids.to_vec());
            let req = BulkRequest {
                entity: POSTS,
                selection,
                action,
            };
            run(&fx, &scope, req).await;
            assert_totals_are_counts(&fx, &scope, after).await;
        }

        // The foreign keys' own changes: a group removed leaves its posts
        // unassigned; an account removed takes its posts.
        fx.db()
            .execute(&Sql::bound(
                "DELETE FROM account_groups WHERE id = $1",
                vec![Arg::Int(group)],
            ))
            .await
            .unwrap();
        assert_totals_are_counts(&fx, &scope, "a group's removal").await;
        fx.db()
            .execute(&Sql::bound(
                "DELETE FROM accounts WHERE id = (SELECT MIN(account_id) FROM posts \
                 WHERE guild_id = $1 AND deleted_at IS NULL)",
                vec![Arg::Int(scope.guild_id())],
            ))
            .await
            .unwrap();
        assert_totals_are_counts(&fx, &scope, "an account's removal").await;
    }
);

/// Each kept tally (PostgreSQL), and the keys of the posts it counts.
const TALLIES: [(&str, &str); 3] = [
    (
        "post_tallies",
        "SELECT DISTINCT account_id, platform, group_id, brand_id FROM posts \
         WHERE guild_id = $1 AND deleted_at IS NULL",
    ),
    (
        "post_trash_tallies",
        "SELECT DISTINCT platform, delete_batch_id FROM posts \
         WHERE guild_id = $1 AND deleted_at IS NOT NULL",
    ),
    (
        "post_view_tallies",
        "SELECT DISTINCT platform, group_id, brand_id, view_floor(views) FROM posts \
         WHERE guild_id = $1 AND deleted_at IS NULL",
    ),
];

/// How many rows each of [`TALLIES`] holds for the guild.
async fn tally_rows(db: &Db, guild: i64) -> Vec<i64> {
    let mut rows = Vec::new();
    for (table, _) in TALLIES {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE guild_id = $1");
        rows.push(count(db, &sql, vec![Arg::Int(guild)]).await);
    }
    rows
}

db_test!(
    folding_the_post_tallies_keeps_their_totals_and_leaves_one_row_per_key,
    |db: Db| async move {
        if db.dialect() == app::domain::Dialect::Sqlite {
            return; // SQLite keeps no tally; its totals are counted.
        }
        let fx = Fixture::new(db).await;
        let scope = fx.scope(&fx.admin, "alpha").await;
        let live = live_posts(fx.db(), "alpha").await;
        let group = group_ids(fx.db(), "alpha").await[1];
        for chunk in live[..40].chunks(5) {
            run(
                &fx,
                &scope,
                move_to_group(Selection::Ids(chunk.to_vec()), group),
            )
            .await;
        }
        // One delete, then half of it restored in chunks: the trash tally
        // gains rows of both signs for the same keys. (The reassigns above
        // add rows to the other two.)
        let deleted = live[40..60].to_vec();
        run(&fx, &scope, delete(POSTS, Selection::Ids(deleted.clone()))).await;
        for chunk in deleted[..10].chunks(5) {
            let req = BulkRequest {
                entity: POSTS,
                selection: Selection::Ids(chunk.to_vec()),
                action: BulkAction::Restore,
            };
            run(&fx, &scope, req).await;
        }
        let before = tally_rows(fx.db(), scope.guild_id()).await;

        app::domain::post_tally::fold(fx.db(), scope.guild_id())
            .await
            .unwrap();

        let after = tally_rows(fx.db(), scope.guild_id()).await;
        for (((table, keys_sql), before), after) in TALLIES.iter().zip(before).zip(after) {
            let keys = count(
                fx.db(),
                &format!("SELECT COUNT(*) FROM ({keys_sql}) k"),
                vec![Arg::Int(scope.guild_id())],
            )
            .await;
            assert!(
                before > after,
                "{table}: {before} rows before folding, {after} after"
            );
            assert_eq!(after, keys, "{table}: one row per key");
        }
        assert_totals_are_counts(&fx, &scope, "folding").await;
    }
);

db_test!(
    the_audit_log_pages_through_a_batchs_items_and_its_own_entries_without_gaps,
    |db: Db| async move {
        // Arrange: a delete of 110 posts (one batch, three pages of items),
        // then 60 single-post reassigns (over one page of summaries).
        let fx = Fixture::with_sizes(db, 12, 170).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let live = live_posts(fx.db(), "alpha").await;
        let result = run(
            &fx,
            &editor,
            delete(POSTS, Selection::Ids(live[..110].to_vec())),
        )
        .await;
        let group = group_ids(fx.db(), "alpha").await[1];
        for post in &live[110..170] {
            run(
                &fx,
                &editor,
                move_to_group(Selection::Ids(vec![*post]), group),
            )
            .await;
        }
        let written = ids(
            fx.db(),
            "SELECT id FROM audit_log WHERE batch_id = $1 AND target_id IS NOT NULL ORDER BY id",
            vec![Arg::Text(result.batch_id.clone())],
        )
        .await;

        // Act
        let mut shown = Vec::new();
        for page in 1..=3 {
            let items = app::domain::audit::batch_items(fx.db(), &editor, &result.batch_id, page)
                .await
                .unwrap();
            assert_eq!(items.total, 110);
            shown.extend(items.items.into_iter().map(|i| i.id));
        }
        let log_page = |page| {
            let filter = app::model::AuditFilter {
                page,
                ..Default::default()
            };
            let db = fx.db().clone();
            let scope = editor.clone();
            async move {
                app::domain::audit::list(&db, &scope, &filter)
                    .await
                    .unwrap()
            }
        };
        let (first, second) = (log_page(1).await, log_page(2).await);

        // Assert: every item once, in the order written; the log's second
        // page goes on where the first stopped.
        assert_eq!(shown, written);
        assert_eq!(first.total, second.total);
        assert!(first.total > 60, "{} entries", first.total);
        let ids_of = |p: &app::model::Page<app::model::AuditEntry>| {
            p.items.iter().map(|e| e.id).collect::<Vec<_>>()
        };
        let mut both = ids_of(&first);
        both.extend(ids_of(&second));
        assert_eq!(both.len() as i64, first.total);
        assert!(
            both.windows(2).all(|w| w[0] > w[1]),
            "newest first, no repeats"
        );
    }
);
