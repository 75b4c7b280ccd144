//! Domain tests. Each runs twice, on a fresh SQLite file and on a fresh
//! PostgreSQL database (`name::sqlite`, `name::postgres`).

use app::db_test;
use app::domain::auth::Login;
use app::domain::estimate::Sampling;
use app::domain::sign_in::{self, Throttle};
use app::domain::test_support::{test_epoch, Fixture, PASSWORD};
use app::domain::{
    accounts, auth, export, posts, trash, trigram_fold, Arg, Clock, Db, Dialect, GuildScope, Sql,
};
use app::error::AppError;
use app::model::query::Params;
use app::model::{
    AccountFilter, Entity, ExportScope, Page, Platform, Post, PostFilter, PostSort, Role,
    TrashFilter,
};
use chrono::Duration;

fn params(pairs: &[(&str, &str)]) -> Params {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn post_filter(pairs: &[(&str, &str)]) -> PostFilter {
    PostFilter::from_params(&params(pairs)).expect("valid filter")
}

async fn count(db: &Db, sql: &str, args: Vec<Arg>) -> i64 {
    db.fetch_i64(&Sql::bound(sql, args)).await.expect("count")
}

async fn guild_id(db: &Db, slug: &str) -> i64 {
    count(
        db,
        "SELECT id FROM guilds WHERE slug = $1",
        vec![Arg::Text(slug.into())],
    )
    .await
}

db_test!(
    the_account_list_shows_only_live_accounts_of_the_guild,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let scope = fx.scope(&fx.viewer, "alpha").await;
        let first = accounts::list(
            fx.db(),
            &scope,
            &AccountFilter::from_params(&Params::new()).unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(first.total, 12);

        let victim = first.items[0].id;
        fx.db()
            .execute(&Sql::bound(
                "UPDATE accounts SET deleted_at = $1 WHERE id = $2",
                vec![Arg::Time(test_epoch()), Arg::Int(victim)],
            ))
            .await
            .unwrap();

        let after = accounts::list(
            fx.db(),
            &scope,
            &AccountFilter::from_params(&Params::new()).unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(after.total, 11);
        assert!(after.items.iter().all(|a| a.id != victim));
    }
);

db_test!(
    account_post_counts_match_the_posts_table,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let scope = fx.scope(&fx.admin, "alpha").await;
        let page = accounts::list(
            fx.db(),
            &scope,
            &AccountFilter::from_params(&params(&[("per_page", "100")])).unwrap(),
        )
        .await
        .unwrap();
        let mut sum = 0;
        for a in &page.items {
            let n = count(
                fx.db(),
                "SELECT COUNT(*) FROM posts WHERE account_id = $1",
                vec![Arg::Int(a.id)],
            )
            .await;
            assert_eq!(a.post_count, n, "account {}", a.handle);
            sum += n;
        }
        assert_eq!(sum, 120);
    }
);

db_test!(
    each_post_filter_matches_a_direct_count,
    |db: Db| async move {
        let fx = Fixture::with_sizes(db, 16, 400).await;
        let scope = fx.scope(&fx.viewer, "alpha").await;
        let g = guild_id(fx.db(), "alpha").await;
        let brand = count(
            fx.db(),
            "SELECT MIN(id) FROM brands WHERE guild_id = $1",
            vec![Arg::Int(g)],
        )
        .await;
        let group = count(
            fx.db(),
            "SELECT MAX(id) FROM account_groups WHERE guild_id = $1",
            vec![Arg::Int(g)],
        )
        .await;

        // (URL parameters, the same condition in SQL, its extra arguments)
        type Case = (Vec<(&'static str, String)>, &'static str, Vec<Arg>);
        let cases: Vec<Case> = vec![
            (
                vec![("platform", "youtube".into())],
                "platform = 'youtube'",
                vec![],
            ),
            (
                vec![("brand", brand.to_string())],
                "brand_id = $2",
                vec![Arg::Int(brand)],
            ),
            (vec![("brand", "none".into())], "brand_id IS NULL", vec![]),
            (
                vec![("group", group.to_string()), ("platform", "x".into())],
                "group_id = $2 AND platform = 'x'",
                vec![Arg::Int(group)],
            ),
            (
                vec![("min_views", "100000".into())],
                "views >= 100000",
                vec![],
            ),
        ];
        for (pairs, condition, extra) in cases {
            let p: Params = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect();
            let got = posts::list(fx.db(), &scope, &PostFilter::from_params(&p).unwrap())
                .await
                .unwrap();
            let mut args = vec![Arg::Int(g)];
            args.extend(extra);
            let want = count(fx.db(), &format!("SELECT COUNT(*) FROM posts WHERE guild_id = $1 AND deleted_at IS NULL AND {condition}"), args).await;
            assert_eq!(got.total, want, "filter {pairs:?}");
            assert!(want > 0, "the fixture should have posts for {pairs:?}");
        }
    }
);

db_test!(
    the_date_range_includes_both_days_in_utc,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let scope = fx.scope(&fx.viewer, "alpha").await;
        let g = guild_id(fx.db(), "alpha").await;
        let day = test_epoch().date_naive() - chrono::Days::new(10);
        let start = day.and_hms_opt(0, 0, 0).unwrap().and_utc();
        // Put three posts exactly on the edges of that day.
        let ids: Vec<i64> = posts::list(fx.db(), &scope, &post_filter(&[]))
            .await
            .unwrap()
            .items
            .iter()
            .take(3)
            .map(|p| p.id)
            .collect();
        for (id, at) in ids.iter().zip([
            start,
            start + Duration::seconds(86_399),
            start + Duration::seconds(86_400),
        ]) {
            fx.db()
                .execute(&Sql::bound(
                    "UPDATE posts SET posted_at = $1 WHERE id = $2",
                    vec![Arg::Time(at), Arg::Int(*id)],
                ))
                .await
                .unwrap();
        }
        let d = day.to_string();
        let got = posts::list(fx.db(), &scope, &post_filter(&[("from", &d), ("to", &d)]))
            .await
            .unwrap();
        let want = count(
            fx.db(),
            "SELECT COUNT(*) FROM posts WHERE guild_id = $1 AND posted_at >= $2 AND posted_at < $3",
            vec![
                Arg::Int(g),
                Arg::Time(start),
                Arg::Time(start + Duration::days(1)),
            ],
        )
        .await;
        assert_eq!(got.total, want);
        let got_ids: Vec<i64> = got.items.iter().map(|p| p.id).collect();
        assert!(got_ids.contains(&ids[0]) && got_ids.contains(&ids[1]));
        assert!(
            !got_ids.contains(&ids[2]),
            "midnight of the next day is outside the range"
        );
    }
);

db_test!(
    search_is_case_insensitive_and_takes_wildcards_literally,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let scope = fx.scope(&fx.viewer, "alpha").await;
        let first = posts::list(fx.db(), &scope, &post_filter(&[]))
            .await
            .unwrap()
            .items[0]
            .clone();
        fx.db()
            .execute(&Sql::bound(
                "UPDATE posts SET caption = $1 WHERE id = $2",
                vec![
                    Arg::Text("Big SALE: 100%_real, \"no\" joke".into()),
                    Arg::Int(first.id),
                ],
            ))
            .await
            .unwrap();

        let hits = posts::list(fx.db(), &scope, &post_filter(&[("q", "big sale")]))
            .await
            .unwrap();
        assert!(hits.items.iter().any(|p| p.id == first.id));
        let literal = posts::list(fx.db(), &scope, &post_filter(&[("q", "100%_real")]))
            .await
            .unwrap();
        assert_eq!(literal.total, 1);
        let wildcard_only = posts::list(fx.db(), &scope, &post_filter(&[("q", "%")]))
            .await
            .unwrap();
        assert!(wildcard_only.total < 120, "“%” must not match everything");
        // Searching by the account's handle finds its posts too.
        let by_handle = posts::list(
            fx.db(),
            &scope,
            &post_filter(&[("q", &first.account_handle.to_uppercase())]),
        )
        .await
        .unwrap();
        assert!(by_handle
            .items
            .iter()
            .all(|p| p.account_handle == first.account_handle
                || p.caption.to_lowercase().contains(&first.account_handle)));
        assert!(by_handle.total > 0);
    }
);

db_test!(
    an_at_sign_searches_handles_by_prefix_on_every_list,
    |db: Db| async move {
        // Arrange: one account's handle, and the prefix its first two letters make.
        let fx = Fixture::new(db).await;
        let scope = fx.scope(&fx.viewer, "alpha").await;
        let alpha = guild_id(fx.db(), "alpha").await;
        let all = accounts::list(
            fx.db(),
            &scope,
            &AccountFilter::from_params(&params(&[("per_page", "100")])).unwrap(),
        )
        .await
        .unwrap();
        let handle = all.items[0].handle.clone();
        let short: String = handle.chars().take(2).collect();
        let posts_with_prefix = |prefix: &str| {
            count(
                fx.db(),
                "SELECT COUNT(*) FROM posts p JOIN accounts a ON a.id = p.account_id \
                 WHERE p.guild_id = $1 AND p.deleted_at IS NULL AND substr(a.handle, 1, length($2)) = $2",
                vec![Arg::Int(alpha), Arg::Text(prefix.into())],
            )
        };

        // Act and assert: "@handle" (any case) finds exactly that account's posts.
        let exact = posts::list(
            fx.db(),
            &scope,
            &post_filter(&[("q", &format!("@{}", handle.to_uppercase()))]),
        )
        .await
        .unwrap();
        assert_eq!(exact.total, posts_with_prefix(&handle).await);
        assert!(exact.total > 0, "the account has posts");
        assert!(exact
            .items
            .iter()
            .all(|p| p.account_handle.starts_with(&handle)));

        let by_prefix = posts::list(
            fx.db(),
            &scope,
            &post_filter(&[("q", &format!("@{short}"))]),
        )
        .await
        .unwrap();
        assert_eq!(by_prefix.total, posts_with_prefix(&short).await);
        assert!(by_prefix
            .items
            .iter()
            .all(|p| p.account_handle.starts_with(&short)));

        // The same on Accounts: handles starting with the prefix, and only those.
        let accts = accounts::list(
            fx.db(),
            &scope,
            &AccountFilter::from_params(&params(&[
                ("q", &format!("@{short}")),
                ("per_page", "100"),
            ]))
            .unwrap(),
        )
        .await
        .unwrap();
        let expected: Vec<&str> = all
            .items
            .iter()
            .filter(|a| a.handle.starts_with(&short))
            .map(|a| a.handle.as_str())
            .collect();
        let got: Vec<&str> = accts.items.iter().map(|a| a.handle.as_str()).collect();
        assert_eq!(got, expected);

        // A prefix from the middle of a handle is not a prefix.
        let middle: String = handle.chars().skip(1).collect();
        let none = posts::list(
            fx.db(),
            &scope,
            &post_filter(&[("q", &format!("@{middle}"))]),
        )
        .await
        .unwrap();
        assert_eq!(none.total, posts_with_prefix(&middle).await);
        // Without the "@", the same text still matches inside handles.
        let inside = posts::list(fx.db(), &scope, &post_filter(&[("q", &middle)]))
            .await
            .unwrap();
        assert!(inside.total >= exact.total);
    }
);

db_test!(
    every_sort_and_filter_pages_in_the_order_of_one_long_page,
    |db: Db| async move {
        let fx = Fixture::with_sizes(db, 12, 400).await;
        let scope = fx.scope(&fx.viewer, "alpha").await;
        let ids = |page: Page<Post>| page.items.into_iter().map(|p| p.id).collect::<Vec<_>>();
        for sort in ["newest", "oldest", "views", "likes"] {
            for (key, value) in [
                ("q", ""),
                ("platform", "tiktok"),
                ("q", "an"),
                ("q", "dance"),
            ] {
                let one = posts::list(
                    fx.db(),
                    &scope,
                    &post_filter(&[("sort", sort), (key, value), ("per_page", "100")]),
                )
                .await
                .unwrap();
                let total = one.total;
                let one = ids(one);

                // Pages 2 and on find their ids first, then join them.
                let mut walked = Vec::new();
                for page in 1..=4 {
                    let p = page.to_string();
                    let got = posts::list(
                        fx.db(),
                        &scope,
                        &post_filter(&[("sort", sort), (key, value), ("page", &p)]),
                    )
                    .await
                    .unwrap();
                    assert_eq!(got.total, total, "{sort} {key}={value} page {page}");
                    walked.extend(ids(got));
                }

                assert!(total > 25, "{sort} {key}={value} spans pages");
                assert_eq!(walked, one, "{sort} {key}={value}");
            }
        }
    }
);

db_test!(
    sorting_and_paging_walk_the_whole_list_once,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let scope = fx.scope(&fx.viewer, "alpha").await;
        let mut seen = Vec::new();
        for page in 1..=5 {
            let p = page.to_string();
            let got = posts::list(fx.db(), &scope, &post_filter(&[("page", &p)]))
                .await
                .unwrap();
            assert_eq!(got.total, 120);
            assert_eq!(got.page_count(), 5);
            seen.extend(got.items);
        }
        assert_eq!(seen.len(), 120);
        assert!(
            seen.windows(2)
                .all(|w| (w[0].posted_at, w[0].id) >= (w[1].posted_at, w[1].id)),
            "newest first"
        );
        let mut ids: Vec<i64> = seen.iter().map(|p| p.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 120, "no post twice");

        let past_end = posts::list(fx.db(), &scope, &post_filter(&[("page", "6")]))
            .await
            .unwrap();
        assert!(past_end.items.is_empty());
        assert_eq!(past_end.total, 120);

        let by_views = posts::list(fx.db(), &scope, &post_filter(&[("sort", "views")]))
            .await
            .unwrap();
        assert!(by_views.items.windows(2).all(|w| w[0].views >= w[1].views));
        assert_eq!(
            PostFilter::from_params(&params(&[("sort", "views")]))
                .unwrap()
                .sort,
            PostSort::MostViewed
        );
    }
);

db_test!(
    posts_carry_their_account_platform_brand_and_group,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let scope = fx.scope(&fx.viewer, "alpha").await;
        let page = posts::list(fx.db(), &scope, &post_filter(&[("per_page", "100")]))
            .await
            .unwrap();
        let accts = accounts::list(
            fx.db(),
            &scope,
            &AccountFilter::from_params(&params(&[("per_page", "100")])).unwrap(),
        )
        .await
        .unwrap();
        for p in &page.items {
            let a = accts
                .items
                .iter()
                .find(|a| a.id == p.account_id)
                .expect("account of the post");
            assert_eq!((p.platform, &p.account_handle), (a.platform, &a.handle));
            assert_eq!((&p.group, &p.brand), (&a.group, &a.brand));
            assert!(p.posted_at <= test_epoch());
        }
        assert!(page.items.iter().any(|p| p.platform == Platform::Tiktok));
    }
);

db_test!(
    another_guilds_members_cannot_get_a_scope,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let err = GuildScope::for_member(fx.db(), &fx.outsider, "alpha")
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::NotFound(_)));
        let missing = GuildScope::for_member(fx.db(), &fx.admin, "no-such-guild")
            .await
            .unwrap_err();
        assert_eq!(
            std::mem::discriminant(&err),
            std::mem::discriminant(&missing),
            "no difference between missing and foreign"
        );
    }
);

db_test!(
    an_account_of_another_guild_is_not_found,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let beta = fx.scope(&fx.outsider, "beta").await;
        let alpha = fx.scope(&fx.admin, "alpha").await;
        let alpha_account = accounts::list(
            fx.db(),
            &alpha,
            &AccountFilter::from_params(&Params::new()).unwrap(),
        )
        .await
        .unwrap()
        .items[0]
            .id;
        let err = accounts::handle_of(fx.db(), &beta, alpha_account)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::NotFound(_)));
        // And filtering beta's posts by it yields nothing of alpha's.
        let acc = alpha_account.to_string();
        let leaked = posts::list(fx.db(), &beta, &post_filter(&[("account", &acc)]))
            .await
            .unwrap();
        assert_eq!(leaked.total, 0);
    }
);

db_test!(roles_include_the_ones_below_them, |db: Db| async move {
    let fx = Fixture::new(db).await;
    let viewer = fx.scope(&fx.viewer, "alpha").await;
    let editor = fx.scope(&fx.editor, "alpha").await;
    let admin = fx.scope(&fx.admin, "alpha").await;
    assert_eq!(
        (viewer.role(), editor.role(), admin.role()),
        (Role::Viewer, Role::Editor, Role::Admin)
    );
    assert!(viewer.require(Role::Viewer, "read").is_ok());
    let err = viewer.require(Role::Editor, "delete accounts").unwrap_err();
    assert_eq!(
        err,
        AppError::Forbidden("Only a guild editor can delete accounts; you are a viewer.".into())
    );
    assert!(editor.require(Role::Editor, "x").is_ok() && editor.require(Role::Admin, "x").is_err());
    assert!(admin.require(Role::Admin, "x").is_ok());
});

db_test!(
    sign_in_checks_the_password_and_sessions_expire,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let login = |name: &'static str, password: &'static str| {
            let db = fx.db().clone();
            async move { auth::verify_login(&db, name, password).await.unwrap() }
        };
        assert!(
            matches!(login("VIEWER", PASSWORD).await, Login::Valid(u) if u.id == fx.viewer.id),
            "usernames ignore case"
        );
        assert_eq!(
            login("viewer", "wrong password").await,
            Login::Wrong {
                user_id: Some(fx.viewer.id)
            }
        );
        assert_eq!(
            login("nobody", PASSWORD).await,
            Login::Wrong { user_id: None }
        );
        assert_eq!(
            login("not a name!", PASSWORD).await,
            Login::Wrong { user_id: None }
        );

        let token = auth::create_session(fx.db(), &fx.state.clock, fx.viewer.id)
            .await
            .unwrap();
        assert_eq!(
            auth::session_user(fx.db(), &fx.state.clock, &token)
                .await
                .unwrap()
                .map(|u| u.id),
            Some(fx.viewer.id)
        );
        assert!(
            auth::session_user(fx.db(), &fx.state.clock, &"0".repeat(64))
                .await
                .unwrap()
                .is_none()
        );

        fx.clock
            .advance(Duration::days(auth::SESSION_DAYS) + Duration::seconds(1));
        assert!(
            auth::session_user(fx.db(), &fx.state.clock, &token)
                .await
                .unwrap()
                .is_none(),
            "expired"
        );
        assert_eq!(
            auth::purge_expired_sessions(fx.db(), fx.clock.now())
                .await
                .unwrap(),
            1
        );
    }
);

db_test!(
    an_unknown_username_takes_as_long_to_refuse_as_a_wrong_password,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        // The first check of the decoy hash also computes it; not timed.
        auth::verify_login(fx.db(), "nobody", "x").await.unwrap();
        // The fastest of five: other tests share the cores, and they only
        // ever add time.
        let mut took = std::collections::HashMap::new();
        for name in ["viewer", "nobody", "not a name!"] {
            let mut fastest = std::time::Duration::MAX;
            for _ in 0..5 {
                let started = std::time::Instant::now();
                auth::verify_login(fx.db(), name, "wrong password")
                    .await
                    .unwrap();
                fastest = fastest.min(started.elapsed());
            }
            took.insert(name, fastest);
        }
        let real = took["viewer"].as_secs_f64();
        for name in ["nobody", "not a name!"] {
            let ratio = took[name].as_secs_f64() / real;
            // Both run one argon2 check; before, an unknown name took
            // 1-5 ms against 55-65 ms (a ratio under 0.1).
            assert!(
                (0.5..2.0).contains(&ratio),
                "{name}: {:?} against {:?} for a real user",
                took[name],
                took["viewer"]
            );
        }
    }
);

db_test!(
    a_session_unused_for_a_week_ends_while_one_in_use_lasts_its_thirty_days,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let used = auth::create_session(fx.db(), &fx.state.clock, fx.viewer.id)
            .await
            .unwrap();
        let idle = auth::create_session(fx.db(), &fx.state.clock, fx.viewer.id)
            .await
            .unwrap();
        let signed_in = |token: String| {
            let (db, clock) = (fx.db().clone(), fx.state.clock.clone());
            async move {
                auth::session_user(&db, &clock, &token)
                    .await
                    .unwrap()
                    .is_some()
            }
        };

        for _ in 0..4 {
            fx.clock.advance(Duration::days(6));
            assert!(signed_in(used.clone()).await, "used every 6 days");
            // The renewal is written off the request's path.
            let renewed = fx.clock.now();
            for _ in 0..100 {
                let seen = fx
                    .db()
                    .fetch_i64(&Sql::bound(
                        "SELECT COUNT(*) FROM sessions WHERE last_used_at = $1",
                        vec![Arg::Time(renewed)],
                    ))
                    .await
                    .unwrap();
                if seen == 1 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
        assert!(!signed_in(idle).await, "24 days without use");
        fx.clock.advance(Duration::days(7));
        assert!(!signed_in(used).await, "31 days after sign-in");
        assert_eq!(
            auth::purge_expired_sessions(fx.db(), fx.clock.now())
                .await
                .unwrap(),
            2
        );
    }
);

db_test!(
    signing_out_everywhere_ends_every_session_of_that_user_only,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let mut viewer_sessions = Vec::new();
        for _ in 0..3 {
            viewer_sessions.push(
                auth::create_session(fx.db(), &fx.state.clock, fx.viewer.id)
                    .await
                    .unwrap(),
            );
        }
        let editor = auth::create_session(fx.db(), &fx.state.clock, fx.editor.id)
            .await
            .unwrap();

        let ended = auth::delete_user_sessions(fx.db(), fx.viewer.id)
            .await
            .unwrap();

        assert_eq!(ended, 3);
        for token in viewer_sessions {
            assert!(auth::session_user(fx.db(), &fx.state.clock, &token)
                .await
                .unwrap()
                .is_none());
        }
        assert!(auth::session_user(fx.db(), &fx.state.clock, &editor)
            .await
            .unwrap()
            .is_some());
    }
);

db_test!(
    five_failures_lock_a_username_and_an_address_for_fifteen_minutes,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let guess = sign_in::Attempt::new("Viewer", "203.0.113.7");
        for n in 1..=4 {
            let verdict =
                sign_in::record_failure(fx.db(), fx.clock.now(), &guess, Some(fx.viewer.id))
                    .await
                    .unwrap();
            assert_eq!(verdict, Throttle::Open, "after {n} failures");
            fx.clock.advance(Duration::minutes(1));
        }
        let fifth = fx.clock.now();
        let verdict = sign_in::record_failure(fx.db(), fifth, &guess, Some(fx.viewer.id))
            .await
            .unwrap();
        // Open again when the first of the five is 15 minutes old.
        let until = fifth - Duration::minutes(4) + Duration::minutes(15);
        assert_eq!(verdict, Throttle::LockedUntil(until));

        let throttle = |attempt: sign_in::Attempt| {
            let (db, now) = (fx.db().clone(), fx.clock.now());
            async move { sign_in::throttle(&db, now, &attempt).await.unwrap() }
        };
        let same_name_elsewhere = sign_in::Attempt::new("viewer", "198.51.100.1");
        let other_name_same_address = sign_in::Attempt::new("editor", "203.0.113.7");
        let unrelated = sign_in::Attempt::new("editor", "198.51.100.1");
        assert_eq!(
            throttle(same_name_elsewhere.clone()).await,
            Throttle::LockedUntil(until)
        );
        assert_eq!(
            throttle(other_name_same_address.clone()).await,
            Throttle::LockedUntil(until)
        );
        assert_eq!(throttle(unrelated).await, Throttle::Open);

        fx.clock
            .advance(Duration::minutes(11) - Duration::seconds(1));
        assert_eq!(throttle(guess.clone()).await, Throttle::LockedUntil(until));
        fx.clock.advance(Duration::seconds(1));
        assert_eq!(throttle(guess.clone()).await, Throttle::Open);

        // A success forgets the username's failures, not the address's.
        sign_in::record_failure(fx.db(), fx.clock.now(), &other_name_same_address, None)
            .await
            .unwrap();
        sign_in::forget_failures(fx.db(), "viewer").await.unwrap();
        let failures = fx
            .db()
            .fetch_i64(&Sql::new("SELECT COUNT(*) FROM sign_in_failures"))
            .await
            .unwrap();
        assert_eq!(failures, 1);
        fx.clock.advance(Duration::minutes(15));
        assert_eq!(
            sign_in::purge_old_failures(fx.db(), fx.clock.now())
                .await
                .unwrap(),
            1
        );
    }
);

db_test!(
    failed_sign_ins_and_the_lockout_are_in_the_audit_log_of_the_members_guilds,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let guess = sign_in::Attempt::new("viewer", "203.0.113.7");

        for _ in 0..5 {
            sign_in::record_failure(fx.db(), fx.clock.now(), &guess, Some(fx.viewer.id))
                .await
                .unwrap();
        }
        sign_in::record_failure(
            fx.db(),
            fx.clock.now(),
            &sign_in::Attempt::new("nobody", "x"),
            None,
        )
        .await
        .unwrap();

        let summaries = fx
            .db()
            .fetch_all::<(String, String)>(&Sql::bound(
                "SELECT l.action, l.summary FROM audit_log l JOIN guilds g ON g.id = l.guild_id \
                 WHERE g.slug = $1 AND l.action = 'sign_in' ORDER BY l.id",
                vec![Arg::Text("alpha".into())],
            ))
            .await
            .unwrap();
        assert_eq!(summaries.len(), 6, "{summaries:?}");
        assert!(summaries[0]
            .1
            .starts_with("Failed sign-in as viewer from 203.0.113.7"));
        assert_eq!(
            summaries[5].1,
            "Sign-in as viewer from 203.0.113.7 locked for 15 minutes after 5 failed attempts"
        );
        assert!(summaries.iter().all(|(_, s)| !s.contains("nobody")));
    }
);

db_test!(a_taken_username_is_refused, |db: Db| async move {
    let fx = Fixture::new(db).await;
    let err = auth::create_user(fx.db(), &fx.state.clock, "Admin", "", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        AppError::Invalid("The username “admin” is taken.".into())
    );
});

db_test!(
    two_sign_ups_for_one_name_at_once_get_one_account_and_one_clear_refusal,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let clock = &fx.state.clock;

        let (first, second) = tokio::join!(
            auth::create_user(fx.db(), clock, "twin", "", PASSWORD),
            auth::create_user(fx.db(), clock, "Twin", "", PASSWORD),
        );

        let mut outcomes = [first, second];
        outcomes.sort_by_key(|o| o.is_err());
        assert!(outcomes[0].is_ok(), "{outcomes:?}");
        assert_eq!(
            outcomes[1].clone().unwrap_err(),
            AppError::Invalid("The username “twin” is taken.".into())
        );
    }
);

db_test!(seeding_is_deterministic, |db: Db| async move {
    use app::domain::seed::{seed_guild, SeedSpec};
    let spec = |slug: &str| SeedSpec {
        slug: slug.into(),
        name: slug.into(),
        brands: 2,
        groups: 2,
        accounts: 8,
        posts: 50,
        seed: 5,
        anchor: test_epoch(),
    };
    seed_guild(&db, &spec("one")).await.unwrap();
    seed_guild(&db, &spec("two")).await.unwrap();
    let captions = |slug: &'static str| {
        let db = db.clone();
        async move {
            #[derive(sqlx::FromRow)]
            struct Row {
                caption: String,
                views: i64,
                posted_at: chrono::DateTime<chrono::Utc>,
            }
            db.fetch_all::<Row>(&Sql::bound(
                "SELECT p.caption, p.views, p.posted_at FROM posts p JOIN guilds g ON g.id = p.guild_id WHERE g.slug = $1 ORDER BY p.id",
                vec![Arg::Text(slug.into())],
            ))
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.caption, r.views, r.posted_at))
            .collect::<Vec<_>>()
        }
    };
    let (a, b) = (captions("one").await, captions("two").await);
    assert_eq!(a.len(), 50);
    assert_eq!(a, b);
    let again = seed_guild(&db, &spec("one")).await.unwrap_err();
    assert!(matches!(again, AppError::Invalid(m) if m.contains("already exists")));
});

/// Sets one post's caption, as an edit would.
async fn set_caption(db: &Db, post: i64, caption: &str) {
    db.execute(&Sql::bound(
        "UPDATE posts SET caption = $1 WHERE id = $2",
        vec![Arg::Text(caption.into()), Arg::Int(post)],
    ))
    .await
    .expect("set caption");
}

/// The ids of the live posts a Posts-page search for `q` finds, in page order.
///
/// The fixture fits in the default sample, which tests each post's own
/// caption. The search runs again with [`SMALL_SAMPLE`], so that a search
/// with few matches is answered by the caption index instead (on
/// PostgreSQL its own table, `post_captions`): both must find the same.
async fn search_ids(fx: &Fixture, scope: &GuildScope, q: &str) -> (Vec<i64>, i64) {
    let f = post_filter(&[("q", q), ("per_page", "100")]);
    let page = posts::list(fx.db(), scope, &f).await.unwrap();
    assert!(!page.estimated, "the fixture is smaller than the sample");
    let ids: Vec<i64> = page.items.iter().map(|p| p.id).collect();

    let by_index = sampled(fx, scope, &f, SMALL_SAMPLE).await;
    let by_index_ids: Vec<i64> = by_index.items.iter().map(|p| p.id).collect();
    assert_eq!(by_index_ids, ids, "{q:?} through the caption index");
    if !by_index.estimated {
        assert_eq!(by_index.total, page.total, "{q:?} counted by the index");
    }

    // An export of the search counts its matches exactly, and has no
    // sample: on PostgreSQL a text this rare is counted through the caption
    // index (`exact_reach`), which must find the same posts.
    let export = ExportScope::View(params(&[("q", q)]));
    let plan = export::plan::plan(fx.db(), scope, Entity::Posts, &export)
        .await
        .unwrap();
    let exact = fx.db().fetch_i64(&plan.count).await.unwrap();
    assert_eq!(exact, page.total, "{q:?} counted for an export");
    (ids, page.total)
}

/// The ids of the trashed posts a Deleted Items search for `q` finds, with
/// the same second run as [`search_ids`].
async fn trash_search_ids(fx: &Fixture, scope: &GuildScope, q: &str) -> Vec<i64> {
    let f = TrashFilter::from_params(&params(&[("q", q), ("show", "posts")])).unwrap();
    let window = fx.state.trash_window();
    let page = trash::list(fx.db(), scope, &f, window).await.unwrap();
    let ids: Vec<i64> = page.items.iter().map(|i| i.id).collect();

    let by_index = trash::list_sampling(fx.db(), scope, &f, window, SMALL_SAMPLE)
        .await
        .unwrap();
    let by_index_ids: Vec<i64> = by_index.items.iter().map(|i| i.id).collect();
    assert_eq!(by_index_ids, ids, "{q:?} in the trash, through the index");
    if !by_index.estimated {
        assert_eq!(by_index.total, page.total, "{q:?} counted in the trash");
    }
    ids
}

/// Gives the guild's newest live posts `captions`, one each, and returns
/// their ids in that order.
async fn caption_newest(fx: &Fixture, scope: &GuildScope, captions: &[&str]) -> Vec<i64> {
    let (live, _) = search_ids(fx, scope, "").await;
    for (post, caption) in live.iter().zip(captions) {
        set_caption(fx.db(), *post, caption).await;
    }
    live[..captions.len()].to_vec()
}

/// Asserts that each search finds exactly its one post.
async fn each_finds_its_post(fx: &Fixture, scope: &GuildScope, searches: &[(&str, i64)]) {
    for &(q, post) in searches {
        let (ids, total) = search_ids(fx, scope, q).await;
        assert_eq!((ids, total), (vec![post], 1), "search {q:?}");
    }
}

db_test!(
    caption_search_finds_substrings_inside_words_in_any_script_and_emoji,
    |db: Db| async move {
        // Arrange: four posts with captions no seeded caption shares.
        let fx = Fixture::new(db).await;
        let scope = fx.scope(&fx.viewer, "alpha").await;
        let live = caption_newest(
            &fx,
            &scope,
            &[
                "Zyxbreakdancingzyx at dawn",
                "東京タワーの夜景 from the 展望台",
                "ЁжикВТумане смотрит",
                "Pink 🦩🦩 flamingo parade",
            ],
        )
        .await;

        // Act and assert: each part of a word, script or emoji run finds
        // exactly its post, in any case (ASCII), whatever the length.
        let searches = [
            ("akdanc", live[0]),
            ("BREAKDANCING", live[0]),
            ("京タワ", live[1]),
            ("タワ", live[1]),
            ("展望台", live[1]),
            ("кВТу", live[2]),
            ("🦩🦩 fl", live[3]),
            ("🦩🦩", live[3]),
            ("k 🦩", live[3]),
        ];
        each_finds_its_post(&fx, &scope, &searches).await;
        let (none, total) = search_ids(&fx, &scope, "zyxbreakdancingzyx at dusk").await;
        assert!(none.is_empty() && total == 0);
    }
);

db_test!(
    a_sample_tested_with_a_glob_finds_what_the_caption_index_folds_together,
    |db: Db| async move {
        // Arrange: captions the caption index folds beyond ASCII: a KELVIN
        // SIGN and a LONG S that it reads as `k` and `s`, Cyrillic and
        // circled letters in another case than the search's, and what a
        // `GLOB` would read as its own syntax.
        let fx = Fixture::new(db).await;
        let scope = fx.scope(&fx.viewer, "alpha").await;
        let live = caption_newest(
            &fx,
            &scope,
            &[
                "Qwbrea\u{212A}dancer at dawn",
                "Qw dance cla\u{17F}\u{17F} tonight",
                "ЁжикВТумане смотрит",
                "Qw ⒹⒶⓃⒸⒺ night",
                "Qw promo [50%]*? now",
            ],
        )
        .await;

        // Act and assert: the sample's `GLOB` and the index alone find the
        // same post.
        let searches = [
            ("akdancer", live[0]),
            ("BREAKDANCER", live[0]),
            ("ЖИКвт", live[2]),
            ("ⓓⓐⓝⓒⓔ", live[3]),
            ("[50%]*?", live[4]),
            ("O [50", live[4]),
        ];
        each_finds_its_post(&fx, &scope, &searches).await;
        // SQLite's tables fold LONG S into `s`; PostgreSQL's `lower()`, which
        // its `ILIKE` and trigram index use, leaves it. Each database finds
        // what its own index finds, as before the sample used a `GLOB`.
        let long_s = match fx.db().dialect() {
            Dialect::Sqlite => vec![live[1]],
            Dialect::Postgres => vec![],
        };
        for q in ["class tonight", "CLASS TONIGHT"] {
            let (ids, _) = search_ids(&fx, &scope, q).await;
            assert_eq!(ids, long_s, "search {q:?}");
        }
    }
);

/// Asks the bundled SQLite how its trigram tokenizer folds each code point
/// (a row of the character three times has one trigram, which its
/// vocabulary lists folded): it must be exactly `trigram_fold`'s table, from
/// which a search's sample builds its `GLOB`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fold_table_is_the_caption_index_s_own() {
    // Arrange: one row per code point, surrogates aside.
    let t = app::domain::test_support::TestDb::sqlite().await;
    let db = &t.db;
    for statement in [
        "CREATE VIRTUAL TABLE fold_probe USING fts5(c, tokenize = 'trigram')",
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1114111) \
         INSERT INTO fold_probe (rowid, c) SELECT x, char(x, x, x) FROM n \
         WHERE x NOT BETWEEN 55296 AND 57343",
        "CREATE VIRTUAL TABLE fold_probe_terms USING fts5vocab(fold_probe, 'instance')",
    ] {
        db.execute(&Sql::new(statement)).await.expect(statement);
    }

    // Act: every character the index reads as another.
    #[derive(sqlx::FromRow)]
    struct Folded {
        doc: i64,
        term: String,
    }
    let folded = db
        .fetch_all::<Folded>(&Sql::new(
            "SELECT doc, term FROM fold_probe_terms WHERE term <> char(doc, doc, doc) ORDER BY doc",
        ))
        .await
        .unwrap();

    // Assert
    let probed: Vec<(char, char)> = folded
        .iter()
        .map(|Folded { doc, term }| {
            let from = char::from_u32(*doc as u32).expect("a code point");
            let to = term.chars().next().expect("a trigram");
            assert_eq!(term.chars().count(), 3, "U+{doc:04X} is one character");
            (from, to)
        })
        .collect();
    assert!(probed.len() > 1_000, "case is folded: {}", probed.len());
    let table = trigram_fold::folds();
    let missing: Vec<_> = probed.iter().filter(|p| !table.contains(p)).collect();
    let stale: Vec<_> = table.iter().filter(|p| !probed.contains(p)).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "SQLite folds these and the table does not: {missing:?}; \
         the table has these and SQLite does not fold so: {stale:?}"
    );
}

db_test!(
    caption_search_finds_what_a_scan_finds_in_the_same_order,
    |db: Db| async move {
        // Arrange: the guild's live posts with their captions and accounts,
        // newest first, as the page orders them.
        let fx = Fixture::new(db).await;
        let scope = fx.scope(&fx.viewer, "alpha").await;
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            caption: String,
            handle: String,
            display_name: String,
        }
        let rows = fx
            .db()
            .fetch_all::<Row>(&Sql::bound(
                "SELECT p.id, p.caption, a.handle, a.display_name FROM posts p \
                 JOIN accounts a ON a.id = p.account_id \
                 WHERE p.guild_id = $1 AND p.deleted_at IS NULL \
                 ORDER BY p.posted_at DESC, p.id DESC",
                vec![Arg::Int(guild_id(fx.db(), "alpha").await)],
            ))
            .await
            .unwrap();

        for q in [
            "dance",
            "Dance challenge",
            "go go",
            "50% off",
            "\"no way\"",
            "Привет",
            "🔥🔥",
            "è",
            "e",
        ] {
            // Act: the search.
            let (ids, total) = search_ids(&fx, &scope, q).await;

            // Assert: what scanning every caption and account finds, first
            // 100 shown (these terms differ from the text only in ASCII case,
            // which LIKE, ILIKE and the index all fold).
            let lower = q.to_ascii_lowercase();
            let hit = |s: &str| s.to_ascii_lowercase().contains(&lower);
            let want: Vec<i64> = rows
                .iter()
                .filter(|r| hit(&r.caption) || hit(&r.handle) || hit(&r.display_name))
                .map(|r| r.id)
                .collect();
            assert!(!want.is_empty(), "the fixture has posts matching {q:?}");
            assert_eq!(total, want.len() as i64, "total of {q:?}");
            assert_eq!(
                ids,
                want.into_iter().take(100).collect::<Vec<_>>(),
                "order of {q:?}"
            );
        }
    }
);

db_test!(
    the_caption_index_keeps_up_with_edits_deletes_restores_and_purges,
    |db: Db| async move {
        // Arrange: a post with a caption of its own.
        let fx = Fixture::new(db).await;
        let scope = fx.scope(&fx.editor, "alpha").await;
        let post = search_ids(&fx, &scope, "").await.0[0];
        set_caption(fx.db(), post, "first marker qwzx").await;
        assert_eq!(search_ids(&fx, &scope, "marker qwz").await.0, vec![post]);

        // Act and assert: an edit replaces what the index knows.
        set_caption(fx.db(), post, "second tag vbnm").await;
        assert!(search_ids(&fx, &scope, "marker qwz").await.0.is_empty());
        assert_eq!(search_ids(&fx, &scope, "tag vbn").await.0, vec![post]);

        // A soft delete moves it from the Posts search to the trash search.
        let at = test_epoch();
        fx.db()
            .execute(&Sql::bound(
                "UPDATE posts SET deleted_at = $1 WHERE id = $2",
                vec![Arg::Time(at), Arg::Int(post)],
            ))
            .await
            .unwrap();
        assert!(search_ids(&fx, &scope, "tag vbn").await.0.is_empty());
        assert_eq!(trash_search_ids(&fx, &scope, "tag vbn").await, vec![post]);

        // A restore brings it back.
        fx.db()
            .execute(&Sql::bound(
                "UPDATE posts SET deleted_at = NULL WHERE id = $1",
                vec![Arg::Int(post)],
            ))
            .await
            .unwrap();
        assert_eq!(search_ids(&fx, &scope, "tag vbn").await.0, vec![post]);

        // Deleting for good (and by cascade with its account) leaves nothing.
        let other = search_ids(&fx, &scope, "").await.0[1];
        set_caption(fx.db(), other, "cascade tag vbnm").await;
        fx.db()
            .execute(&Sql::bound(
                "DELETE FROM posts WHERE id = $1",
                vec![Arg::Int(post)],
            ))
            .await
            .unwrap();
        fx.db()
            .execute(&Sql::bound(
                "DELETE FROM accounts WHERE id = (SELECT account_id FROM posts WHERE id = $1)",
                vec![Arg::Int(other)],
            ))
            .await
            .unwrap();
        assert!(search_ids(&fx, &scope, "tag vbn").await.0.is_empty());
        assert!(trash_search_ids(&fx, &scope, "tag vbn").await.is_empty());

        // The index holds every post's caption and nothing else. On SQLite,
        // FTS5 compares its index with the posts table itself; on
        // PostgreSQL, the indexed table must match the posts one by one.
        match fx.db().dialect() {
            Dialect::Sqlite => {
                fx.db()
                    .execute(&Sql::new(
                        "INSERT INTO posts_caption_fts (posts_caption_fts, rank) VALUES ('integrity-check', 1)",
                    ))
                    .await
                    .expect("the caption index matches the posts table");
            }
            Dialect::Postgres => {
                let differ = fx
                    .db()
                    .fetch_i64(&Sql::new(
                        "SELECT COUNT(*) FROM posts p FULL JOIN post_captions c ON c.post_id = p.id \
                         WHERE p.caption IS DISTINCT FROM c.caption",
                    ))
                    .await
                    .unwrap();
                assert_eq!(differ, 0, "post_captions matches posts");
            }
        }
    }
);

/// A sample far smaller than the fixture's 120 posts, so its searches take
/// the paths a million-post guild takes.
const SMALL_SAMPLE: Sampling = Sampling {
    rows: 20,
    min_matches: 3,
    exact_up_to: 0,
};

/// The ids of all of the guild's live posts, newest first (two pages).
async fn all_live_ids(fx: &Fixture, scope: &GuildScope) -> Vec<i64> {
    let mut ids = Vec::new();
    for n in ["1", "2"] {
        let f = post_filter(&[("per_page", "100"), ("page", n)]);
        let page = posts::list(fx.db(), scope, &f).await.unwrap();
        ids.extend(page.items.iter().map(|p| p.id));
    }
    assert_eq!(ids.len(), 120, "the fixture's 120 posts");
    ids
}

/// Gives every `nth` live post (in page order) the marker "zqwk" in its
/// caption and the others a plain one; the marked ids, in page order.
async fn mark_every(fx: &Fixture, scope: &GuildScope, nth: usize) -> Vec<i64> {
    let live = all_live_ids(fx, scope).await;
    let mut marked = Vec::new();
    for (i, post) in live.iter().enumerate() {
        if i % nth == 0 {
            set_caption(fx.db(), *post, &format!("tagged zqwk {i}")).await;
            marked.push(*post);
        } else {
            set_caption(fx.db(), *post, &format!("plain caption {i}")).await;
        }
    }
    marked
}

async fn sampled(fx: &Fixture, scope: &GuildScope, f: &PostFilter, s: Sampling) -> Page<Post> {
    posts::list_sampling(fx.db(), scope, f, s).await.unwrap()
}

db_test!(
    a_common_search_past_the_sample_shows_an_estimate_marked_as_one,
    |db: Db| async move {
        // Arrange: every other post carries the marker (60 of 120).
        let fx = Fixture::new(db).await;
        let scope = fx.scope(&fx.viewer, "alpha").await;
        let marked = mark_every(&fx, &scope, 2).await;
        let f = post_filter(&[("q", "zqwk"), ("per_page", "25")]);

        // Act: the same search with a small sample and with an exact one.
        let estimated = sampled(&fx, &scope, &f, SMALL_SAMPLE).await;
        let exact = sampled(&fx, &scope, &f, Sampling::EXACT).await;

        // Assert: the estimate says so and is the sample's share (10 of 20)
        // of the 120 posts; the items are exactly the first 25 matches.
        assert!(estimated.estimated && !exact.estimated);
        assert_eq!(estimated.total, 60);
        assert_eq!(exact.total, marked.len() as i64);
        let ids: Vec<i64> = estimated.items.iter().map(|p| p.id).collect();
        assert_eq!(ids, marked[..25].to_vec());
        assert_eq!(estimated.items, exact.items);
    }
);

/// A sample smaller than the brands and groups of [`four_hundred_posts`].
const SAMPLE_OF_60: Sampling = Sampling {
    rows: 60,
    min_matches: 3,
    exact_up_to: 0,
};

/// A fixture whose guild "alpha" has 400 posts: its scope and id.
async fn four_hundred_posts(db: Db) -> (Fixture, GuildScope, i64) {
    let fx = Fixture::with_sizes(db, 12, 400).await;
    let scope = fx.scope(&fx.viewer, "alpha").await;
    let alpha = guild_id(fx.db(), "alpha").await;
    (fx, scope, alpha)
}

db_test!(
    a_search_within_a_group_finds_its_first_matches_in_date_order_across_platforms,
    |db: Db| async move {
        // Arrange: 400 posts, every other one marked; the group on the most
        // platforms, with more posts than the sample holds.
        let (fx, scope, alpha) = four_hundred_posts(db).await;
        fx.db()
            .execute(&Sql::bound(
                "UPDATE posts SET caption = CASE WHEN id % 2 = 0 THEN 'tagged zqwk' \
                 ELSE 'plain caption' END WHERE guild_id = $1",
                vec![Arg::Int(alpha)],
            ))
            .await
            .expect("mark posts");
        let group = count(
            fx.db(),
            "SELECT group_id FROM posts WHERE guild_id = $1 AND deleted_at IS NULL \
             AND group_id IS NOT NULL GROUP BY group_id \
             ORDER BY COUNT(DISTINCT platform) DESC, COUNT(*) DESC, group_id LIMIT 1",
            vec![Arg::Int(alpha)],
        )
        .await
        .to_string();
        for sort in ["newest", "oldest"] {
            let unsearched = posts::list(
                fx.db(),
                &scope,
                &post_filter(&[("group", &group), ("sort", sort), ("per_page", "100")]),
            )
            .await
            .unwrap();
            let platforms: std::collections::HashSet<_> =
                unsearched.items.iter().map(|p| p.platform).collect();
            assert!(
                unsearched.items.len() > SAMPLE_OF_60.rows as usize && platforms.len() > 1,
                "{} posts on {} platforms",
                unsearched.items.len(),
                platforms.len()
            );
            let expected: Vec<i64> = unsearched
                .items
                .iter()
                .filter(|p| p.caption.contains("zqwk"))
                .map(|p| p.id)
                .take(25)
                .collect();

            // Act: the search in the group, with a sample smaller than the
            // group (PostgreSQL takes it platform by platform) and exactly.
            let f = post_filter(&[("q", "zqwk"), ("group", &group), ("sort", sort)]);
            let sampled_page = sampled(&fx, &scope, &f, SAMPLE_OF_60).await;
            let exact = sampled(&fx, &scope, &f, Sampling::EXACT).await;

            // Assert: both pages are the group's first 25 matches, in its
            // order; the exact total counts every marked post of the group.
            let ids: Vec<i64> = sampled_page.items.iter().map(|p| p.id).collect();
            assert_eq!(ids, expected, "sorted {sort}");
            assert_eq!(sampled_page.items, exact.items, "sorted {sort}");
            let marked = count(
                fx.db(),
                "SELECT COUNT(*) FROM posts WHERE guild_id = $1 AND deleted_at IS NULL \
                 AND group_id = $2 AND id % 2 = 0",
                vec![Arg::Int(alpha), Arg::Int(group.parse().unwrap())],
            )
            .await;
            assert_eq!(exact.total, marked, "sorted {sort}");
        }
    }
);

db_test!(
    a_minimum_of_views_a_group_or_a_search_within_a_brand_lists_the_same_posts_from_a_sample,
    |db: Db| async move {
        // Arrange: 400 posts, every other one with 1,000 views or more and
        // every third one marked; the brand and the group with the most
        // posts.
        let (fx, scope, alpha) = four_hundred_posts(db).await;
        fx.db()
            .execute(&Sql::bound(
                "UPDATE posts SET views = CASE WHEN id % 2 = 0 THEN 1000 + id ELSE id % 1000 END, \
                 caption = CASE WHEN id % 3 = 0 THEN 'tagged zqwk' ELSE 'plain caption' END \
                 WHERE guild_id = $1",
                vec![Arg::Int(alpha)],
            ))
            .await
            .expect("set views");
        let most = |column: &str| {
            format!(
                "SELECT {column} FROM posts WHERE guild_id = $1 AND deleted_at IS NULL \
                 AND {column} IS NOT NULL GROUP BY {column} ORDER BY COUNT(*) DESC, {column} LIMIT 1"
            )
        };
        let brand = count(fx.db(), &most("brand_id"), vec![Arg::Int(alpha)]).await;
        let group = count(fx.db(), &most("group_id"), vec![Arg::Int(alpha)]).await;
        let (brand, group) = (brand.to_string(), group.to_string());
        let lists: [&[(&str, &str)]; 7] = [
            &[("brand", &brand), ("min_views", "1000")],
            &[("brand", &brand), ("min_views", "1000"), ("sort", "views")],
            &[("group", &group), ("min_views", "1000"), ("sort", "oldest")],
            &[("brand", &brand), ("group", &group)],
            &[("group", &group), ("q", "zqwk")],
            &[("brand", &brand), ("q", "zqwk"), ("sort", "views")],
            &[("brand", &brand), ("q", "zqwk"), ("min_views", "1000")],
        ];
        for pairs in lists {
            let f = post_filter(pairs);

            // Act: the list with a sample smaller than the brand or group,
            // and exactly.
            let page = sampled(&fx, &scope, &f, SAMPLE_OF_60).await;
            let exact = sampled(&fx, &scope, &f, Sampling::EXACT).await;

            // Assert: the same posts in the same order; an estimate says
            // so, and is within a third of the exact total.
            assert!(!exact.estimated, "{pairs:?}");
            assert_eq!(page.items, exact.items, "{pairs:?}");
            assert!(exact.total > 1, "{pairs:?}: matches");
            assert_eq!(exact.items.len() as i64, exact.total.min(25), "{pairs:?}");
            if page.estimated {
                let error = (page.total - exact.total).abs() as f64 / exact.total as f64;
                assert!(
                    error < 0.34,
                    "{pairs:?}: {} for {}",
                    page.total,
                    exact.total
                );
            } else {
                assert_eq!(page.total, exact.total, "{pairs:?}");
            }
            let mut matching =
                String::from("FROM posts WHERE guild_id = $1 AND deleted_at IS NULL");
            if f.brand.is_some() {
                matching.push_str(&format!(" AND brand_id = {brand}"));
            }
            if f.group.is_some() {
                matching.push_str(&format!(" AND group_id = {group}"));
            }
            if let Some(min) = f.min_views {
                matching.push_str(&format!(" AND views >= {min}"));
            }
            if !f.q.is_empty() {
                matching.push_str(" AND caption LIKE '%zqwk%'");
            }
            let counted = count(
                fx.db(),
                &format!("SELECT COUNT(*) {matching}"),
                vec![Arg::Int(alpha)],
            )
            .await;
            assert_eq!(exact.total, counted, "{pairs:?}");
            let order = match f.sort {
                PostSort::MostViewed => "views DESC, id DESC",
                PostSort::Oldest => "posted_at, id",
                _ => "posted_at DESC, id DESC",
            };
            let first: Vec<i64> = fx
                .db()
                .fetch_all::<(i64,)>(&Sql::bound(
                    format!("SELECT id {matching} ORDER BY {order} LIMIT 25"),
                    vec![Arg::Int(alpha)],
                ))
                .await
                .expect("first matches")
                .into_iter()
                .map(|(id,)| id)
                .collect();
            let ids: Vec<i64> = page.items.iter().map(|p| p.id).collect();
            assert_eq!(ids, first, "{pairs:?}");
        }
        // SQLite takes these totals from the sample: the brand and the
        // group hold more posts than it does.
        if fx.db().dialect() == Dialect::Sqlite {
            let f = post_filter(&[("brand", &brand), ("min_views", "1000")]);
            assert!(sampled(&fx, &scope, &f, SAMPLE_OF_60).await.estimated);
        }
    }
);

db_test!(
    a_brand_small_enough_to_count_is_counted_exactly_however_it_is_filtered,
    |db: Db| async move {
        // Arrange: the brand with the most of 400 posts, more than the
        // sample holds and fewer than the count's bound.
        let (fx, scope, alpha) = four_hundred_posts(db).await;
        let brand = count(
            fx.db(),
            "SELECT brand_id FROM posts WHERE guild_id = $1 AND deleted_at IS NULL \
             AND brand_id IS NOT NULL GROUP BY brand_id ORDER BY COUNT(*) DESC LIMIT 1",
            vec![Arg::Int(alpha)],
        )
        .await
        .to_string();
        let counted = Sampling {
            exact_up_to: 400,
            ..SAMPLE_OF_60
        };

        let mut lists = vec![[("brand", brand.as_str()), ("min_views", "1")]];
        // PostgreSQL samples a search in a brand as any other search (its
        // brand index holds the platform and the date), estimating past
        // the sample; SQLite samples it platform by platform, and counts.
        if fx.db().dialect() == Dialect::Sqlite {
            lists.push([("brand", brand.as_str()), ("q", "a")]);
        }
        for pairs in lists {
            // Act
            let f = post_filter(&pairs);
            let page = sampled(&fx, &scope, &f, counted).await;
            let exact = sampled(&fx, &scope, &f, Sampling::EXACT).await;

            // Assert: exact, not "about".
            assert!(!page.estimated, "{pairs:?}");
            assert_eq!(page.total, exact.total, "{pairs:?}");
            assert_eq!(page.items, exact.items, "{pairs:?}");
        }
    }
);

db_test!(
    an_estimate_is_the_share_of_the_filtered_list_not_of_the_guild,
    |db: Db| async move {
        // Arrange: every post marked, so the share is 1 of whatever list.
        let fx = Fixture::new(db).await;
        let scope = fx.scope(&fx.viewer, "alpha").await;
        mark_every(&fx, &scope, 1).await;
        let tiktok = sampled(
            &fx,
            &scope,
            &post_filter(&[("platform", "tiktok")]),
            Sampling::EXACT,
        )
        .await
        .total;
        assert!(
            tiktok > 20,
            "the fixture has more TikTok posts than the sample"
        );

        // Act: the search within one platform.
        let page = sampled(
            &fx,
            &scope,
            &post_filter(&[("q", "zqwk"), ("platform", "tiktok")]),
            SMALL_SAMPLE,
        )
        .await;

        // Assert: all of the platform's posts, estimated.
        assert!(page.estimated);
        assert_eq!(page.total, tiktok);
        assert!(page.items.iter().all(|p| p.platform == Platform::Tiktok));
    }
);

db_test!(
    a_rare_search_past_the_sample_is_counted_exactly,
    |db: Db| async move {
        // Arrange: the marker on 2 of the oldest posts only, beyond the
        // sample of the newest 20.
        let fx = Fixture::new(db).await;
        let scope = fx.scope(&fx.viewer, "alpha").await;
        let live = all_live_ids(&fx, &scope).await;
        for post in &live[100..] {
            set_caption(fx.db(), *post, "plain").await;
        }
        let rare = [live[110], live[115]];
        for post in rare {
            set_caption(fx.db(), post, "a rare zqwk here").await;
        }

        // Act
        for sort in ["newest", "oldest", "views"] {
            let f = post_filter(&[("q", "zqwk"), ("sort", sort)]);
            let page = sampled(&fx, &scope, &f, SMALL_SAMPLE).await;
            let exact = sampled(&fx, &scope, &f, Sampling::EXACT).await;

            // Assert: exact, found through the index, in the page's order.
            assert!(!page.estimated, "sort {sort}");
            assert_eq!(page.total, 2, "sort {sort}");
            assert_eq!(page.items, exact.items, "sort {sort}");
        }
        // A text that matches nothing is an exact nothing.
        let none = sampled(
            &fx,
            &scope,
            &post_filter(&[("q", "nomatchzz")]),
            SMALL_SAMPLE,
        )
        .await;
        assert_eq!(
            (none.total, none.estimated, none.items.len()),
            (0, false, 0)
        );
    }
);

db_test!(
    the_second_page_of_a_search_counted_exactly_goes_on_where_the_first_ended,
    |db: Db| async move {
        // Arrange: 60 matches, and a sample that calls every search rare
        // (it cannot hold 21 matches in 20 rows).
        let fx = Fixture::new(db).await;
        let scope = fx.scope(&fx.viewer, "alpha").await;
        let marked = mark_every(&fx, &scope, 2).await;
        let always_rare = Sampling {
            rows: 20,
            min_matches: 21,
            exact_up_to: 0,
        };

        // Act
        let mut ids = Vec::new();
        for n in ["1", "2", "3"] {
            let f = post_filter(&[("q", "zqwk"), ("page", n)]);
            let page = sampled(&fx, &scope, &f, always_rare).await;
            assert_eq!((page.total, page.estimated), (60, false), "page {n}");
            ids.extend(page.items.iter().map(|p| p.id));
        }

        // Assert: the pages together are every match once, in order.
        assert_eq!(ids, marked);
    }
);

db_test!(
    a_handle_prefix_past_the_sample_lists_the_same_posts,
    |db: Db| async move {
        // Arrange: a prefix of one account's handle.
        let fx = Fixture::new(db).await;
        let scope = fx.scope(&fx.viewer, "alpha").await;
        let account = accounts::list(fx.db(), &scope, &AccountFilter::default())
            .await
            .unwrap()
            .items
            .remove(0);
        let f = post_filter(&[("q", &format!("@{}", account.handle))]);

        // Act
        let page = sampled(&fx, &scope, &f, SMALL_SAMPLE).await;
        let exact = sampled(&fx, &scope, &f, Sampling::EXACT).await;

        // Assert: the same items; the total exact unless marked.
        assert_eq!(page.items, exact.items);
        assert!(page.items.iter().all(|p| p.account_id == account.id));
        if !page.estimated {
            assert_eq!(page.total, exact.total);
        }
    }
);

db_test!(
    deleted_items_estimate_a_common_caption_search_and_count_a_rare_one,
    |db: Db| async move {
        // Arrange: every other post by id (Deleted Items' order within one
        // deletion) says "zqwk", two of the oldest say "rarezz"; all of
        // them go to the trash at once.
        let fx = Fixture::new(db).await;
        let scope = fx.scope(&fx.editor, "alpha").await;
        let mut by_id = all_live_ids(&fx, &scope).await;
        by_id.sort_unstable();
        let mut marked = Vec::new();
        for (i, post) in by_id.iter().enumerate() {
            if i % 2 == 0 {
                set_caption(fx.db(), *post, &format!("tagged zqwk {i}")).await;
                marked.push(*post);
            } else {
                set_caption(fx.db(), *post, &format!("plain caption {i}")).await;
            }
        }
        let rare_ids = vec![by_id[1], by_id[3]];
        for post in &rare_ids {
            set_caption(fx.db(), *post, "rarezz").await;
        }
        fx.db()
            .execute(&Sql::bound(
                "UPDATE posts SET deleted_at = $1 WHERE guild_id = $2",
                vec![
                    Arg::Time(test_epoch()),
                    Arg::Int(guild_id(fx.db(), "alpha").await),
                ],
            ))
            .await
            .unwrap();
        let window = fx.state.trash_window();
        let trash_filter =
            |q: &str| TrashFilter::from_params(&params(&[("q", q), ("show", "posts")])).unwrap();

        // Act
        let common =
            trash::list_sampling(fx.db(), &scope, &trash_filter("zqwk"), window, SMALL_SAMPLE)
                .await
                .unwrap();
        let rare = trash::list_sampling(
            fx.db(),
            &scope,
            &trash_filter("rarezz"),
            window,
            SMALL_SAMPLE,
        )
        .await
        .unwrap();

        // Assert: the common one is the sample's share (10 of the newest
        // 20) of the 120, marked as an estimate; the rare one is exact,
        // both posts listed.
        assert!(common.estimated);
        assert_eq!(common.total, 60);
        assert!(common.items.iter().all(|i| marked.contains(&i.id)));
        assert!(!rare.estimated);
        assert_eq!(rare.total, 2);
        let mut ids: Vec<i64> = rare.items.iter().map(|i| i.id).collect();
        ids.sort_unstable();
        assert_eq!(ids, rare_ids);
    }
);

db_test!(
    a_wide_date_range_sorted_by_likes_or_views_lists_what_sql_orders,
    |db: Db| async move {
        // Arrange: 2,500 posts, so a range of most of them is wide enough
        // for SQLite to walk the sort's index (2,000 or more).
        let fx = Fixture::with_sizes(db, 12, 2_500).await;
        let scope = fx.scope(&fx.viewer, "alpha").await;
        let g = guild_id(fx.db(), "alpha").await;
        let oldest = posts::list(
            fx.db(),
            &scope,
            &post_filter(&[("sort", "oldest"), ("page", "5")]),
        )
        .await
        .unwrap()
        .items[0]
            .posted_at;
        let from = (oldest + Duration::days(1)).date_naive().to_string();

        for (sort, column) in [("likes", "likes"), ("views", "views")] {
            for page in ["1", "3"] {
                // Act
                let f = post_filter(&[("from", &from), ("sort", sort), ("page", page)]);
                let got = posts::list(fx.db(), &scope, &f).await.unwrap();

                // Assert: the ids SQL orders so, and the exact total.
                let want = app::domain::test_support::ids(
                    fx.db(),
                    &format!(
                        "SELECT id FROM posts WHERE guild_id = $1 AND deleted_at IS NULL \
                         AND posted_at >= $2 ORDER BY {column} DESC, id DESC LIMIT 25 OFFSET $3"
                    ),
                    vec![
                        Arg::Int(g),
                        Arg::Time(f.from.unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc()),
                        Arg::Int(i64::from(f.page - 1) * 25),
                    ],
                )
                .await;
                assert!(got.total >= 2_000, "a wide range: {}", got.total);
                assert_eq!(
                    got.items.iter().map(|p| p.id).collect::<Vec<_>>(),
                    want,
                    "{sort} page {page}"
                );
            }
        }
    }
);

db_test!(
    an_index_made_anew_on_a_measured_table_gets_its_statistics_when_migrations_run,
    |db: Db| async move {
        // PostgreSQL plans from the table's statistics, not the index's.
        if db.dialect() != Dialect::Sqlite {
            return;
        }
        let fx = Fixture::new(db).await;
        let tables = "SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'";
        let stats = "SELECT COUNT(*) FROM sqlite_stat1 WHERE idx = 'posts_live_by_views'";
        fx.db()
            .execute(&Sql::new("DROP TABLE IF EXISTS sqlite_stat1"))
            .await
            .unwrap();
        fx.db().migrate().await.unwrap();
        assert_eq!(
            count(fx.db(), tables, vec![]).await,
            0,
            "a database never measured stays so"
        );
        fx.db().execute(&Sql::new("ANALYZE")).await.unwrap();
        assert_eq!(count(fx.db(), stats, vec![]).await, 1);

        // What a migration that remakes an index leaves behind: the
        // index, without its statistics.
        fx.db()
            .execute(&Sql::new(
                "DELETE FROM sqlite_stat1 WHERE idx = 'posts_live_by_views'",
            ))
            .await
            .unwrap();
        assert_eq!(count(fx.db(), stats, vec![]).await, 0);

        fx.db().migrate().await.unwrap();

        assert_eq!(
            count(fx.db(), stats, vec![]).await,
            1,
            "the new index is measured"
        );
    }
);
