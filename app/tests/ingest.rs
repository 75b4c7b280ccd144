//! The ingest API's domain on both backends: upserts of accounts and
//! posts (created, updated, unchanged, rejected), a batch sent twice, the
//! trash rule, the checks of malformed items, and guild API tokens.

use app::db_test;
use app::domain::api_tokens::{self, Refusal};
use app::domain::ingest::{self, wire, AccountInput, AccountKey, PostInput};
use app::domain::test_support::{count, Fixture};
use app::domain::{Arg, Db, GuildScope};
use app::error::AppError;
use app::model::api_tokens::{TokenRequest, TokenScope, TokenStatus};
use app::model::{AccountStatus, Platform, PostFilter, Role};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

fn account(handle: &str) -> AccountInput {
    AccountInput {
        platform: Platform::Tiktok,
        handle: handle.into(),
        external_id: None,
        display_name: None,
        profile_url: None,
        status: None,
        followers: Some(1_000),
        group: None,
        brand: None,
        created_at: None,
        updated_at: None,
    }
}

fn post(id: &str, handle: &str, posted_at: DateTime<Utc>) -> PostInput {
    PostInput {
        platform: Platform::Tiktok,
        external_id: id.into(),
        account: AccountKey::Handle(handle.into()),
        url: format!("https://www.tiktok.com/@{handle}/video/{id}"),
        caption: Some(format!("caption of {id}")),
        posted_at,
        views: Some(100),
        likes: Some(10),
        comments: Some(1),
        shares: Some(0),
        group: None,
        brand: None,
        created_at: None,
    }
}

async fn editor_of_alpha(fx: &Fixture) -> GuildScope {
    fx.scope(&fx.editor, "alpha").await
}

/// One of the guild's posts by external id: (views, updated_at, deleted?).
async fn stored(fx: &Fixture, external_id: &str) -> (i64, i64, bool) {
    let views = count(
        fx.db(),
        "SELECT views FROM posts WHERE external_id = $1",
        vec![Arg::Text(external_id.into())],
    )
    .await;
    let updated = count(
        fx.db(),
        "SELECT COUNT(*) FROM posts WHERE external_id = $1 AND updated_at > created_at",
        vec![Arg::Text(external_id.into())],
    )
    .await;
    let trashed = count(
        fx.db(),
        "SELECT COUNT(*) FROM posts WHERE external_id = $1 AND deleted_at IS NOT NULL",
        vec![Arg::Text(external_id.into())],
    )
    .await;
    (views, updated, trashed == 1)
}

db_test!(
    a_batch_creates_updates_and_sent_twice_changes_nothing,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let scope = editor_of_alpha(&fx).await;
        let (db, clock) = (fx.db(), &fx.state.clock);
        let accounts = ingest::accounts::upsert(db, clock, &scope, &[account("luna.new")], false)
            .await
            .unwrap();
        assert_eq!((accounts.created, accounts.updated), (1, 0));
        // Checked as the API checks it, with the fraction of a second a
        // tracker's clock sends: what is stored is what is compared next time.
        let raw = ["9001", "9002", "9003"].map(|id| {
            json!({"platform": "tiktok", "external_id": id, "account": "luna.new",
                "url": format!("https://www.tiktok.com/@luna.new/video/{id}"),
                "caption": format!("caption of {id}"), "posted_at": "2026-02-07T09:00:00.123456Z",
                "views": 100, "likes": 10, "comments": 1, "shares": 0})
        });
        let batch = wire::posts(raw.to_vec(), clock.now()).unwrap();

        let first = ingest::posts::upsert(db, clock, &scope, &batch)
            .await
            .unwrap();
        let again = ingest::posts::upsert(db, clock, &scope, &batch)
            .await
            .unwrap();

        assert_eq!((first.created, first.updated, first.unchanged), (3, 0, 0));
        assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 3));
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM posts WHERE external_id LIKE '900%'",
                vec![]
            )
            .await,
            3
        );

        // New counts are a measurement: updated, but not an edit.
        fx.clock.advance(Duration::minutes(5));
        let mut counts = batch.clone();
        counts[0].views = Some(5_000);
        counts[1].views = None; // left out: kept
        let report = ingest::posts::upsert(db, clock, &scope, &counts)
            .await
            .unwrap();
        assert_eq!((report.updated, report.unchanged), (1, 2));
        assert_eq!(stored(&fx, "9001").await, (5_000, 0, false));
        assert_eq!(stored(&fx, "9002").await, (100, 0, false));

        // A new caption is an edit, and search finds it at once.
        let mut edited = counts.clone();
        edited[2].caption = Some("zebracorn sighting".into());
        let report = ingest::posts::upsert(db, clock, &scope, &edited)
            .await
            .unwrap();
        assert_eq!((report.updated, report.unchanged), (1, 2));
        assert_eq!(stored(&fx, "9003").await.1, 1, "updated_at moved");
        let found = app::domain::posts::list(
            db,
            &scope,
            &PostFilter {
                q: "zebracorn".into(),
                ..PostFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(found.total, 1);
        assert_eq!(found.items[0].caption, "zebracorn sighting");
    }
);

db_test!(
    a_post_in_the_trash_is_updated_there_and_stays_in_the_trash,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let scope = editor_of_alpha(&fx).await;
        let (db, clock) = (fx.db(), &fx.state.clock);
        ingest::accounts::upsert(db, clock, &scope, &[account("kai.trash")], false)
            .await
            .unwrap();
        let at = clock.now() - Duration::days(1);
        ingest::posts::upsert(db, clock, &scope, &[post("7001", "kai.trash", at)])
            .await
            .unwrap();
        db.execute(&app::domain::Sql::bound(
            "UPDATE posts SET deleted_at = $1 WHERE external_id = '7001'",
            vec![Arg::Time(clock.now())],
        ))
        .await
        .unwrap();

        let mut again = post("7001", "kai.trash", at);
        again.views = Some(777);
        let report = ingest::posts::upsert(db, clock, &scope, &[again])
            .await
            .unwrap();

        assert_eq!(report.updated, 1);
        assert_eq!(report.kept_in_trash.len(), 1);
        assert_eq!(report.kept_in_trash[0].index, 0);
        assert_eq!(stored(&fx, "7001").await, (777, 0, true));
    }
);

db_test!(
    posts_of_missing_or_trashed_accounts_are_rejected_beside_the_rest,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let scope = editor_of_alpha(&fx).await;
        let (db, clock) = (fx.db(), &fx.state.clock);
        ingest::accounts::upsert(
            db,
            clock,
            &scope,
            &[account("here.now"), account("gone.soon")],
            false,
        )
        .await
        .unwrap();
        db.execute(&app::domain::Sql::new(
            "UPDATE accounts SET deleted_at = created_at WHERE handle = 'gone.soon'",
        ))
        .await
        .unwrap();
        let at = clock.now();

        let report = ingest::posts::upsert(
            db,
            clock,
            &scope,
            &[
                post("1", "here.now", at),
                post("2", "nobody.here", at),
                post("3", "gone.soon", at),
            ],
        )
        .await
        .unwrap();

        assert_eq!((report.created, report.rejected), (1, 2));
        assert_eq!(report.rejections[0].index, 1);
        assert!(
            report.rejections[0]
                .reason
                .starts_with("posts[1].account: there is no TikTok account @nobody.here"),
            "{}",
            report.rejections[0].reason
        );
        assert_eq!(report.rejections[1].index, 2);
        assert!(report.rejections[1].reason.contains("is in Deleted Items"));
    }
);

db_test!(
    accounts_match_by_external_id_then_handle_and_name_groups,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let scope = editor_of_alpha(&fx).await;
        let (db, clock) = (fx.db(), &fx.state.clock);
        let mut first = account("mika.old");
        first.group = Some(Some("Team Nova".into()));

        // No such group, and not asked to create it: rejected.
        let refused = ingest::accounts::upsert(db, clock, &scope, &[first.clone()], false)
            .await
            .unwrap();
        assert_eq!(refused.rejected, 1);
        assert!(refused.rejections[0]
            .reason
            .starts_with("accounts[0].group: the guild has no group “Team Nova”"));

        let made = ingest::accounts::upsert(db, clock, &scope, &[first.clone()], true)
            .await
            .unwrap();
        assert_eq!(made.created, 1);

        // The tracker sends its own id: the account by handle adopts it.
        let mut adopt = first.clone();
        adopt.external_id = Some("ext-42".into());
        let adopted = ingest::accounts::upsert(db, clock, &scope, &[adopt.clone()], false)
            .await
            .unwrap();
        assert_eq!(adopted.updated, 1);

        // A rename arrives under the same external id: same account, new
        // handle, and the default profile address follows.
        let mut renamed = adopt.clone();
        renamed.handle = "mika.new".into();
        renamed.group = Some(None);
        renamed.status = Some(AccountStatus::Paused);
        let report = ingest::accounts::upsert(db, clock, &scope, &[renamed], false)
            .await
            .unwrap();
        assert_eq!((report.created, report.updated), (0, 1));
        let url: i64 = count(
            db,
            "SELECT COUNT(*) FROM accounts WHERE handle = 'mika.new' AND external_id = 'ext-42' \
             AND profile_url = 'https://www.tiktok.com/@mika.new' AND group_id IS NULL AND status = 'paused'",
            vec![],
        )
        .await;
        assert_eq!(url, 1);
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM accounts WHERE handle = 'mika.old'",
                vec![]
            )
            .await,
            0
        );

        // Another account may not take a handle a live account has.
        let mut clash = account("other.one");
        clash.external_id = Some("ext-43".into());
        ingest::accounts::upsert(db, clock, &scope, &[clash.clone()], false)
            .await
            .unwrap();
        clash.handle = "mika.new".into();
        let taken = ingest::accounts::upsert(db, clock, &scope, &[clash], false)
            .await
            .unwrap();
        assert_eq!(taken.rejected, 1);
        assert!(taken.rejections[0]
            .reason
            .contains("another TikTok account of the guild is @mika.new"));
    }
);

db_test!(
    a_viewer_cannot_upsert_and_guilds_do_not_mix,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let (db, clock) = (fx.db(), &fx.state.clock);
        let viewer = fx.scope(&fx.viewer, "alpha").await;
        let refused = ingest::accounts::upsert(db, clock, &viewer, &[account("x.y")], false).await;
        assert!(matches!(refused, Err(AppError::Forbidden(_))));

        // An account of beta is not found from alpha.
        let beta = fx.scope(&fx.outsider, "beta").await;
        ingest::accounts::upsert(db, clock, &beta, &[account("beta.only")], false)
            .await
            .unwrap();
        let alpha = editor_of_alpha(&fx).await;
        let report =
            ingest::posts::upsert(db, clock, &alpha, &[post("5", "beta.only", clock.now())])
                .await
                .unwrap();
        assert_eq!(report.rejected, 1);
    }
);

#[test]
fn every_malformed_item_is_named_with_its_reason() {
    let now = app::domain::test_support::test_epoch();
    let good = json!({"platform": "tiktok", "external_id": "1", "account": "luna",
        "url": "https://t.co/1", "posted_at": "2026-02-07T10:00:00Z"});
    let mut negative = good.clone();
    negative["external_id"] = json!("2");
    negative["views"] = json!(-5);
    let mut unknown = good.clone();
    unknown["external_id"] = json!("3");
    unknown["viewz"] = json!(5);
    let mut future = good.clone();
    future["external_id"] = json!("4");
    future["posted_at"] = json!("2026-02-09T12:00:01Z");
    let mut spaced = good.clone();
    spaced["external_id"] = json!("5");
    spaced["account"] = json!("luna dance");
    let mut long = good.clone();
    long["external_id"] = json!("6");
    long["caption"] = json!("x".repeat(wire::MAX_CAPTION_CHARS + 1));
    let twice = good.clone();

    let bad = wire::posts(
        vec![good, negative, unknown, future, spaced, long, twice],
        now,
    )
    .unwrap_err();

    let reasons: Vec<&str> = bad.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(reasons.len(), 6, "{reasons:#?}");
    assert_eq!(reasons[0], "posts[1].views: must be a whole number ≥ 0");
    assert!(
        reasons[1].starts_with("posts[2].viewz: unknown field `viewz`"),
        "{}",
        reasons[1]
    );
    assert!(reasons[2].starts_with("posts[3].posted_at: is more than a day in the future"));
    assert_eq!(reasons[3], "posts[4].account: must not contain spaces");
    assert_eq!(
        reasons[4],
        "posts[5].caption: is longer than 10000 characters"
    );
    assert_eq!(
        reasons[5],
        "posts[6]: the same post as posts[0]; send each once per batch"
    );
}

fn token_request(scope: TokenScope, days: Option<i64>) -> TokenRequest {
    TokenRequest {
        name: "Tracker bot".into(),
        scope,
        days,
    }
}

db_test!(
    a_token_works_for_its_guild_until_revoked_or_expired,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let (db, clock) = (fx.db(), &fx.state.clock);
        let admin = fx.scope(&fx.admin, "alpha").await;
        let made = api_tokens::create(
            db,
            clock,
            &admin,
            &token_request(TokenScope::Ingest, Some(7)),
        )
        .await
        .unwrap();
        assert!(made.token.starts_with("gt_") && made.token.len() > 40);
        assert!(made.token.ends_with(&made.info.hint));
        // Only the hash is kept.
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1",
                vec![Arg::Text(made.token.clone())]
            )
            .await,
            0
        );

        let grant = api_tokens::authenticate(db, clock, &made.token, "alpha")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(grant.guild.role(), Role::Editor);
        assert_eq!(
            api_tokens::authenticate(db, clock, &made.token, "beta")
                .await
                .unwrap()
                .unwrap_err(),
            Refusal::OtherGuild
        );
        assert_eq!(
            api_tokens::authenticate(db, clock, "gt_not-a-token", "alpha")
                .await
                .unwrap()
                .unwrap_err(),
            Refusal::Unknown
        );
        // Used twice, audited once; the list shows the use.
        api_tokens::authenticate(db, clock, &made.token, "alpha")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'api_token' AND summary LIKE '%first time%'", vec![]).await,
            1
        );
        let listed = api_tokens::list(db, clock, &admin).await.unwrap();
        assert_eq!(listed[0].last_used_at, Some(clock.now()));

        fx.clock.advance(Duration::days(8));
        assert!(matches!(
            api_tokens::authenticate(db, clock, &made.token, "alpha")
                .await
                .unwrap(),
            Err(Refusal::Ended("This API token has expired."))
        ));

        let forever = api_tokens::create(db, clock, &admin, &token_request(TokenScope::Read, None))
            .await
            .unwrap();
        let read = api_tokens::authenticate(db, clock, &forever.token, "alpha")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.guild.role(), Role::Viewer);
        api_tokens::revoke(db, clock, &admin, forever.info.id)
            .await
            .unwrap();
        assert!(matches!(
            api_tokens::authenticate(db, clock, &forever.token, "alpha")
                .await
                .unwrap(),
            Err(Refusal::Ended("This API token was revoked."))
        ));
        let listed = api_tokens::list(db, clock, &admin).await.unwrap();
        assert_eq!(listed[0].status, TokenStatus::Revoked);
        assert_eq!(listed[1].status, TokenStatus::Expired);

        // Only admins make tokens.
        let editor = editor_of_alpha(&fx).await;
        assert!(matches!(
            api_tokens::create(db, clock, &editor, &token_request(TokenScope::Read, None)).await,
            Err(AppError::Forbidden(_))
        ));
    }
);

db_test!(
    ids_with_quotes_commas_and_backslashes_match_themselves,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let scope = editor_of_alpha(&fx).await;
        let (db, clock) = (fx.db(), &fx.state.clock);
        let mut odd = account(r#"odd"handle,\x"#);
        odd.external_id = Some(r#"{ext},"1"\"#.into());
        ingest::accounts::upsert(db, clock, &scope, &[odd.clone()], false)
            .await
            .unwrap();
        let mut p = post(r#"p"1,{2}\3"#, r#"odd"handle,\x"#, clock.now());
        p.account = AccountKey::External(r#"{ext},"1"\"#.into());

        let first = ingest::posts::upsert(db, clock, &scope, &[p.clone()])
            .await
            .unwrap();
        let again = ingest::posts::upsert(db, clock, &scope, &[p])
            .await
            .unwrap();
        let account_again = ingest::accounts::upsert(db, clock, &scope, &[odd], false)
            .await
            .unwrap();

        assert_eq!(
            (first.created, first.rejected),
            (1, 0),
            "{:?}",
            first.rejections
        );
        assert_eq!(again.unchanged, 1);
        assert_eq!(account_again.unchanged, 1);
    }
);
