//! The trash on both backends: the retention boundary, restore (with the
//! posts deleted alongside, into a group that is gone, of a post whose
//! account is trashed), permanent delete and its permissions, and two purges
//! running at once.

use app::db_test;
use app::domain::bulk::{self};
use app::domain::test_support::{count, ids, Fixture};
use app::domain::trash::{
    self,
    purge::{purge_expired, purge_expired_in_steps},
};
use app::domain::{Arg, Db, GuildScope, Sql};
use app::error::AppError;
use app::model::query::Params;
use app::model::{
    BulkAction, BulkConfirm, BulkRequest, BulkRun, Entity, FailureReason, RunStatus, Selection,
    TrashFilter,
};
use chrono::Duration;

/// The server process the tests' runs are held by.
const WORKER: &str = "test:0#tests";

const POSTS: Entity = Entity::Posts;
const ACCOUNTS: Entity = Entity::Accounts;

/// Live post ids of guild alpha, in id order.
async fn live_posts(db: &Db) -> Vec<i64> {
    ids(
        db,
        "SELECT p.id FROM posts p JOIN guilds g ON g.id = p.guild_id \
         WHERE g.slug = 'alpha' AND p.deleted_at IS NULL ORDER BY p.id",
        vec![],
    )
    .await
}

/// How many of `ids` are still rows (live or trashed) of `table`.
async fn rows_left(db: &Db, table: &str, of: &[i64]) -> i64 {
    let json = serde_json::to_string(of).unwrap();
    let list = match db.dialect() {
        app::domain::Dialect::Sqlite => "SELECT value FROM json_each($1)",
        app::domain::Dialect::Postgres => {
            "SELECT CAST(jsonb_array_elements_text(CAST($1 AS jsonb)) AS BIGINT)"
        }
    };
    count(
        db,
        &format!("SELECT COUNT(*) FROM {table} WHERE id IN ({list})"),
        vec![Arg::Text(json)],
    )
    .await
}

/// Audit entries with this action, anywhere.
async fn audit_entries(db: &Db, action: &str) -> i64 {
    count(
        db,
        "SELECT COUNT(*) FROM audit_log WHERE action = $1",
        vec![Arg::Text(action.into())],
    )
    .await
}

/// Audit entries of one batch: its summary and its items.
async fn batch_entries(db: &Db, batch: String) -> i64 {
    count(
        db,
        "SELECT COUNT(*) FROM audit_log WHERE batch_id = $1",
        vec![Arg::Text(batch)],
    )
    .await
}

fn request(entity: Entity, ids: &[i64], action: BulkAction) -> BulkRequest {
    BulkRequest {
        entity,
        selection: Selection::Ids(ids.to_vec()),
        action,
    }
}

/// Previews `req` and types the count it showed.
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

/// Previews `req`, types the count it showed, and runs it to the end.
async fn run(fx: &Fixture, scope: &GuildScope, req: BulkRequest) -> BulkRun {
    let confirm = confirmed(fx, scope, req).await;
    bulk::start(
        fx.db(),
        fx.state.trash_window(),
        scope,
        &confirm,
        500,
        WORKER,
    )
    .await
    .expect("start")
    .run_to_end(fx.db(), &fx.state.clock)
    .await
    .expect("run")
}

fn forbidden(err: AppError) -> String {
    match err {
        AppError::Forbidden(s) => s,
        other => panic!("expected a 403, got {other:?}"),
    }
}

/// An account of alpha with at least `n` live posts, and those posts.
async fn account_with_posts(db: &Db, n: usize) -> (i64, Vec<i64>) {
    let accounts = ids(
        db,
        "SELECT a.id FROM accounts a JOIN guilds g ON g.id = a.guild_id \
         WHERE g.slug = 'alpha' AND a.deleted_at IS NULL ORDER BY a.id",
        vec![],
    )
    .await;
    for a in accounts {
        let posts = ids(
            db,
            "SELECT id FROM posts WHERE account_id = $1 AND deleted_at IS NULL ORDER BY id",
            vec![Arg::Int(a)],
        )
        .await;
        if posts.len() >= n {
            return (a, posts);
        }
    }
    panic!("no account with {n} posts in the fixture");
}

db_test!(
    items_stay_29_days_23_hours_and_go_at_30_days,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let live = live_posts(fx.db()).await;
        let (early, late) = (live[..3].to_vec(), live[3..5].to_vec());
        run(&fx, &editor, request(POSTS, &early, BulkAction::Delete)).await;
        fx.clock.advance(Duration::hours(1));
        run(&fx, &editor, request(POSTS, &late, BulkAction::Delete)).await;

        fx.clock.advance(Duration::days(29) + Duration::hours(22));
        let at_29d23h = purge_expired(fx.db(), fx.state.trash_window())
            .await
            .unwrap();
        assert_eq!((at_29d23h.posts, at_29d23h.accounts), (0, 0));
        assert_eq!(rows_left(fx.db(), "posts", &early).await, 3);

        fx.clock.advance(Duration::hours(1));
        let at_30d = purge_expired(fx.db(), fx.state.trash_window())
            .await
            .unwrap();
        assert_eq!(at_30d.posts, 3);
        assert_eq!(rows_left(fx.db(), "posts", &early).await, 0);
        assert_eq!(
            rows_left(fx.db(), "posts", &late).await,
            2,
            "29 days 23 hours for these"
        );

        fx.clock.advance(Duration::hours(1));
        assert_eq!(
            purge_expired(fx.db(), fx.state.trash_window())
                .await
                .unwrap()
                .posts,
            2
        );
        // Each run that removed something left a summary; the per-item
        // delete entries are never purged with the items.
        assert_eq!(audit_entries(fx.db(), "auto_purge").await, 2);
        assert_eq!(audit_entries(fx.db(), "delete.item").await, 5);
    }
);

db_test!(
    restoring_an_account_brings_back_the_posts_deleted_with_it_only,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let (account, posts) = account_with_posts(fx.db(), 3).await;
        // One post is deleted on its own first, then the account with the rest.
        run(
            &fx,
            &editor,
            request(POSTS, &posts[..1], BulkAction::Delete),
        )
        .await;
        let deleted = run(
            &fx,
            &editor,
            request(ACCOUNTS, &[account], BulkAction::Delete),
        )
        .await;
        assert_eq!(deleted.succeeded, 1);
        assert!(!live_posts(fx.db()).await.contains(&posts[1]));

        let restored = run(
            &fx,
            &editor,
            request(ACCOUNTS, &[account], BulkAction::Restore),
        )
        .await;

        assert_eq!((restored.succeeded, restored.failed), (1, 0));
        assert_eq!(
            restored.summary.as_deref(),
            Some(
                format!(
                    "Restored 1 account and the {} deleted with them",
                    Entity::Posts.count(posts.len() as i64 - 1)
                )
                .as_str()
            )
        );
        let live = live_posts(fx.db()).await;
        assert!(
            posts[1..].iter().all(|p| live.contains(p)),
            "the account's batch is back"
        );
        assert!(
            !live.contains(&posts[0]),
            "the post deleted on its own stays in the trash"
        );
        assert_eq!(
            batch_entries(fx.db(), format!("restore-{}", restored.id)).await,
            2,
            "one summary and one entry for the account"
        );
    }
);

db_test!(
    a_post_whose_account_is_trashed_is_not_restored_alone,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let (account, posts) = account_with_posts(fx.db(), 2).await;
        run(
            &fx,
            &editor,
            request(ACCOUNTS, &[account], BulkAction::Delete),
        )
        .await;

        let req = request(POSTS, &posts[..2], BulkAction::Restore);
        let preview = bulk::preview(fx.db(), fx.state.trash_window(), &editor, &req)
            .await
            .unwrap();
        assert!(
            preview
                .sentence
                .contains("2 cannot come back alone: their account is in the trash"),
            "{}",
            preview.sentence
        );
        let result = run(&fx, &editor, req).await;

        assert_eq!((result.succeeded, result.failed), (0, 2));
        assert!(result
            .failures
            .iter()
            .all(|f| f.reason == FailureReason::AccountInTrash));
        assert!(!live_posts(fx.db()).await.contains(&posts[0]));
    }
);

db_test!(
    restore_leaves_items_unassigned_when_their_group_is_gone,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let grouped = ids(
            fx.db(),
            "SELECT p.id FROM posts p JOIN guilds g ON g.id = p.guild_id \
             WHERE g.slug = 'alpha' AND p.deleted_at IS NULL AND p.group_id IS NOT NULL \
             AND p.brand_id IS NOT NULL ORDER BY p.id LIMIT 2",
            vec![],
        )
        .await;
        let group = count(
            fx.db(),
            "SELECT group_id FROM posts WHERE id = $1",
            vec![Arg::Int(grouped[0])],
        )
        .await;
        let brand_of_second = count(
            fx.db(),
            "SELECT brand_id FROM posts WHERE id = $1",
            vec![Arg::Int(grouped[1])],
        )
        .await;
        run(&fx, &editor, request(POSTS, &grouped, BulkAction::Delete)).await;
        fx.db()
            .execute(&Sql::bound(
                "DELETE FROM account_groups WHERE id = $1",
                vec![Arg::Int(group)],
            ))
            .await
            .unwrap();

        let page = trash::list(
            fx.db(),
            &editor,
            &TrashFilter::from_params(&Params::new()).unwrap(),
            fx.state.trash_window(),
        )
        .await
        .unwrap();
        let first = page.items.iter().find(|i| i.id == grouped[0]).unwrap();
        assert!(first.group_gone && first.group.is_none());
        let result = run(
            &fx,
            &editor,
            request(POSTS, &grouped[..1], BulkAction::Restore),
        )
        .await;

        assert_eq!(result.succeeded, 1);
        assert_eq!(
            result.summary.as_deref(),
            Some("Restored 1 post; 1 came back unassigned because their group or brand no longer exists")
        );
        assert_eq!(
            count(fx.db(), "SELECT COUNT(*) FROM posts WHERE id = $1 AND group_id IS NULL AND deleted_at IS NULL", vec![Arg::Int(grouped[0])]).await,
            1
        );
        // The other keeps the brand it had: only what is gone is cleared.
        run(
            &fx,
            &editor,
            request(POSTS, &grouped[1..], BulkAction::Restore),
        )
        .await;
        assert_eq!(
            count(
                fx.db(),
                "SELECT brand_id FROM posts WHERE id = $1",
                vec![Arg::Int(grouped[1])]
            )
            .await,
            brand_of_second
        );
    }
);

db_test!(
    editors_restore_and_only_admins_delete_permanently,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let (editor, viewer, admin) = (
            fx.scope(&fx.editor, "alpha").await,
            fx.scope(&fx.viewer, "alpha").await,
            fx.scope(&fx.admin, "alpha").await,
        );
        let (account, posts) = account_with_posts(fx.db(), 2).await;
        let loose = live_posts(fx.db())
            .await
            .into_iter()
            .filter(|p| !posts.contains(p))
            .take(3)
            .collect::<Vec<_>>();
        run(
            &fx,
            &editor,
            request(ACCOUNTS, &[account], BulkAction::Delete),
        )
        .await;
        run(&fx, &editor, request(POSTS, &loose, BulkAction::Delete)).await;
        let window = fx.state.trash_window();

        let purge = request(POSTS, &loose, BulkAction::Purge);
        let refused = bulk::preview(fx.db(), window, &editor, &purge)
            .await
            .unwrap_err();
        assert_eq!(
            forbidden(refused),
            "Only a guild admin can delete posts permanently; you are an editor."
        );
        let refused = bulk::preview(
            fx.db(),
            window,
            &viewer,
            &request(POSTS, &loose, BulkAction::Restore),
        )
        .await
        .unwrap_err();
        assert!(forbidden(refused).contains("restore posts"));
        // Typing is enforced by the server, not only by the dialog.
        let unconfirmed = BulkConfirm {
            request: purge.clone(),
            confirmed_count: 3,
            typed: "yes".into(),
            as_of: window.now,
            reason: String::new(),
        };
        assert!(matches!(
            bulk::start(fx.db(), window, &admin, &unconfirmed, 500, WORKER).await,
            Err(AppError::Invalid(_))
        ));

        let restored = run(
            &fx,
            &editor,
            request(POSTS, &loose[..1], BulkAction::Restore),
        )
        .await;
        assert_eq!(restored.succeeded, 1);
        let purged = run(&fx, &admin, request(POSTS, &loose[1..], BulkAction::Purge)).await;
        let gone_account = run(
            &fx,
            &admin,
            request(ACCOUNTS, &[account], BulkAction::Purge),
        )
        .await;

        assert_eq!((purged.succeeded, gone_account.succeeded), (2, 1));
        assert_eq!(
            rows_left(fx.db(), "posts", &loose).await,
            1,
            "the restored one stays"
        );
        assert_eq!(
            rows_left(fx.db(), "posts", &posts).await,
            0,
            "the account took its posts"
        );
        assert_eq!(rows_left(fx.db(), "accounts", &[account]).await, 0);
        for (run, items) in [(&purged, 2), (&gone_account, 1)] {
            assert_eq!(
                batch_entries(fx.db(), format!("purge-{}", run.id)).await,
                1 + items
            );
        }
        assert_eq!(purged.status, RunStatus::Done);
    }
);

db_test!(
    two_purges_at_once_remove_each_item_once,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let doomed = live_posts(fx.db()).await[..40].to_vec();
        run(&fx, &editor, request(POSTS, &doomed, BulkAction::Delete)).await;
        fx.clock.advance(Duration::days(31));
        let window = fx.state.trash_window();

        let (a, b) = tokio::join!(
            purge_expired(fx.db(), window),
            purge_expired(fx.db(), window)
        );
        let (a, b) = (a.unwrap(), b.unwrap());

        assert_eq!(a.posts + b.posts, 40, "{a:?} {b:?}");
        assert_eq!(rows_left(fx.db(), "posts", &doomed).await, 0);
        assert_eq!(audit_entries(fx.db(), "auto_purge").await, 1);
    }
);

db_test!(
    a_purge_in_many_steps_removes_everything_and_keeps_one_entry_counting_it_all,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let (account, with_account) = account_with_posts(fx.db(), 2).await;
        run(
            &fx,
            &editor,
            request(ACCOUNTS, &[account], BulkAction::Delete),
        )
        .await;
        let loose: Vec<i64> = live_posts(fx.db()).await[..25].to_vec();
        run(&fx, &editor, request(POSTS, &loose, BulkAction::Delete)).await;
        let trashed =
            |table: &str| format!("SELECT COUNT(*) FROM {table} WHERE deleted_at IS NOT NULL");
        let posts = count(fx.db(), &trashed("posts"), vec![]).await;
        fx.clock.advance(Duration::days(31));

        // 10 posts a step: at least four steps of posts, then the account.
        let report = purge_expired_in_steps(fx.db(), fx.state.trash_window(), 10)
            .await
            .unwrap();

        assert_eq!((report.accounts, report.posts), (1, posts));
        assert!(posts >= 25 + with_account.len() as i64);
        assert_eq!(count(fx.db(), &trashed("posts"), vec![]).await, 0);
        assert_eq!(count(fx.db(), &trashed("accounts"), vec![]).await, 0);
        assert_eq!(audit_entries(fx.db(), "auto_purge").await, 1);
        let counted = count(
            fx.db(),
            "SELECT COUNT(*) FROM audit_log WHERE action = 'auto_purge' AND summary = $1",
            vec![Arg::Text(format!(
                "Automatically deleted 1 account and {posts} posts that were in the trash \
                 for more than 30 days"
            ))],
        )
        .await;
        assert_eq!(counted, 1, "the entry counts every step");
    }
);

db_test!(
    the_second_page_of_deleted_items_goes_on_where_the_first_ended,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let doomed = live_posts(fx.db()).await[..40].to_vec();
        run(
            &fx,
            &editor,
            request(POSTS, &doomed[..15], BulkAction::Delete),
        )
        .await;
        fx.clock.advance(Duration::hours(1));
        run(
            &fx,
            &editor,
            request(POSTS, &doomed[15..], BulkAction::Delete),
        )
        .await;
        let window = fx.state.trash_window();
        let filter = |pairs: &[(&str, &str)]| {
            let p: Params = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            TrashFilter::from_params(&p).unwrap()
        };
        let list = |f: TrashFilter| {
            let editor = editor.clone();
            let db = fx.db().clone();
            async move { trash::list(&db, &editor, &f, window).await.unwrap() }
        };

        let one = list(filter(&[("per_page", "100")])).await;
        let first = list(filter(&[])).await;
        let second = list(filter(&[("page", "2")])).await;

        let ids = |items: &[app::model::TrashItem]| items.iter().map(|i| i.id).collect::<Vec<_>>();
        assert_eq!((one.total, first.total, second.total), (40, 40, 40));
        assert_eq!(first.items.len() + second.items.len(), 40);
        let walked = [ids(&first.items), ids(&second.items)].concat();
        assert_eq!(walked, ids(&one.items), "newest deletion first, then by id");
        assert!(
            second.items.iter().all(|i| !i.handle.is_empty()),
            "joined to the account"
        );
    }
);

db_test!(
    the_trash_shows_days_left_and_counts_what_expires_within_7_days,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let live = live_posts(fx.db()).await;
        run(&fx, &editor, request(POSTS, &live[..4], BulkAction::Delete)).await;
        fx.clock.advance(Duration::days(25));
        run(
            &fx,
            &editor,
            request(POSTS, &live[4..6], BulkAction::Delete),
        )
        .await;
        let window = fx.state.trash_window();

        let all = TrashFilter::from_params(&Params::new()).unwrap();
        let page = trash::list(fx.db(), &editor, &all, window).await.unwrap();

        assert_eq!((page.total, page.expiring, page.posts_total), (6, 4, 6));
        assert_eq!(
            page.expiring_text().as_deref(),
            Some("4 items will be permanently deleted within 7 days")
        );
        let days: Vec<i64> = page.items.iter().map(|i| i.days_left(window.now)).collect();
        assert_eq!(days, vec![30, 30, 5, 5, 5, 5], "newest deletion first");
        assert_eq!(page.items[0].deleted_by.as_deref(), Some("editor"));
        let soon = TrashFilter {
            expiring: true,
            ..all
        };
        assert_eq!(
            trash::list(fx.db(), &editor, &soon, window)
                .await
                .unwrap()
                .total,
            4
        );
        // "Select all" over the expiring view restores exactly those.
        let mut filter = Params::new();
        filter.insert("expiring".into(), "1".into());
        let req = BulkRequest {
            entity: POSTS,
            selection: Selection::AllMatching {
                filter,
                except: vec![],
            },
            action: BulkAction::Restore,
        };
        assert_eq!(run(&fx, &editor, req).await.succeeded, 4);
    }
);

db_test!(
    a_restore_names_items_restored_or_deleted_again_since_the_confirm,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let posts = live_posts(fx.db()).await[..4].to_vec();
        run(&fx, &editor, request(POSTS, &posts, BulkAction::Delete)).await;
        let confirm = confirmed(&fx, &editor, request(POSTS, &posts, BulkAction::Restore)).await;
        // While the dialog is open, another member restores one post, and
        // restores and deletes another again.
        fx.clock.advance(Duration::seconds(5));
        let (restored, redeleted) = (posts[0], posts[2]);
        run(
            &fx,
            &editor,
            request(POSTS, &[restored], BulkAction::Restore),
        )
        .await;
        run(
            &fx,
            &editor,
            request(POSTS, &[redeleted], BulkAction::Restore),
        )
        .await;
        run(
            &fx,
            &editor,
            request(POSTS, &[redeleted], BulkAction::Delete),
        )
        .await;

        // Two chunks, each with one of them and one untouched post.
        let result = bulk::start(
            fx.db(),
            fx.state.trash_window(),
            &editor,
            &confirm,
            2,
            WORKER,
        )
        .await
        .unwrap()
        .run_to_end(fx.db(), &fx.state.clock)
        .await
        .unwrap();

        assert_eq!((result.succeeded, result.failed), (2, 2));
        let reasons: Vec<(i64, FailureReason)> =
            result.failures.iter().map(|f| (f.id, f.reason)).collect();
        assert_eq!(
            reasons,
            vec![
                (restored, FailureReason::NotInTrash),
                (redeleted, FailureReason::Changed),
            ]
        );
        assert_eq!(
            live_posts(fx.db())
                .await
                .iter()
                .filter(|id| posts.contains(id))
                .count(),
            3,
            "the two restored now and the one restored earlier are live"
        );
    }
);

db_test!(
    deleted_items_search_handles_by_prefix_with_an_at_sign,
    |db: Db| async move {
        // Arrange: an account's posts and another post in the trash.
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let (account, posts) = account_with_posts(fx.db(), 2).await;
        let other = live_posts(fx.db())
            .await
            .into_iter()
            .find(|p| !posts.contains(p))
            .unwrap();
        let mut deleted = posts[..2].to_vec();
        deleted.push(other);
        run(&fx, &editor, request(POSTS, &deleted, BulkAction::Delete)).await;
        #[derive(sqlx::FromRow)]
        struct Handle(String);
        let handle = fx
            .db()
            .fetch_all::<Handle>(&Sql::bound(
                "SELECT handle FROM accounts WHERE id = $1",
                vec![Arg::Int(account)],
            ))
            .await
            .unwrap()
            .remove(0)
            .0;

        // Act: search the trash for "@handle".
        let mut p = Params::new();
        p.insert("q".into(), format!("@{handle}"));
        let f = TrashFilter::from_params(&p).unwrap();
        let page = trash::list(fx.db(), &editor, &f, fx.state.trash_window())
            .await
            .unwrap();

        // Assert: exactly that account's two trashed posts.
        let mut found: Vec<i64> = page.items.iter().map(|i| i.id).collect();
        found.sort();
        assert_eq!(found, posts[..2].to_vec());
        assert!(page.items.iter().all(|i| i.handle == handle));
    }
);

db_test!(
    undo_restores_exactly_what_a_delete_moved_to_the_trash,
    |db: Db| async move {
        // Arrange: two deletes, so Undo must tell their batches apart.
        let fx = Fixture::new(db).await;
        let editor = fx.scope(&fx.editor, "alpha").await;
        let live = live_posts(fx.db()).await;
        let first = run(&fx, &editor, request(POSTS, &live[..3], BulkAction::Delete)).await;
        let second = run(
            &fx,
            &editor,
            request(POSTS, &live[3..5], BulkAction::Delete),
        )
        .await;

        // Act: undo the first.
        let undone = bulk::undo(&fx.state, &editor, first.id)
            .await
            .expect("undo");

        // Assert: its three posts are back, the other two still in the trash,
        // and the undo is audited as a restore of that batch.
        assert_eq!((undone.action.as_str(), undone.succeeded), ("restore", 3));
        let now_live = live_posts(fx.db()).await;
        assert!(live[..3].iter().all(|id| now_live.contains(id)));
        assert!(live[3..5].iter().all(|id| !now_live.contains(id)));
        assert_eq!(batch_entries(fx.db(), undone.batch_id.clone()).await, 4);
        // Nothing is left to undo (the data moved on: a conflict, 409), and
        // only deletes can be undone (the request's fault, 400).
        assert!(matches!(
            bulk::undo(&fx.state, &editor, first.id).await,
            Err(AppError::Conflict(m)) if m.starts_with("Nothing to undo")
        ));
        assert!(matches!(
            bulk::undo(&fx.state, &editor, undone.id).await,
            Err(AppError::Invalid(m)) if m == "Only a delete can be undone."
        ));
        // A viewer cannot undo (restoring needs an editor).
        let viewer = fx.scope(&fx.viewer, "alpha").await;
        assert!(matches!(
            bulk::undo(&fx.state, &viewer, second.id).await,
            Err(AppError::Forbidden(_))
        ));
    }
);
