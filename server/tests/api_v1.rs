//! `/api/v1` through the real router, on both databases: a token made in
//! Guild settings sends batches and reads them back; requests without a
//! live token for the guild, over the batch limit, malformed or over the
//! token's rate are refused with their status; the OpenAPI document lists
//! every route.

mod support;

use app::db_test;
use app::domain::test_support::count;
use app::domain::Db;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};
use support::test_app::{Reply, TestApp};

async fn api(app: &TestApp, method: Method, uri: &str, token: Option<&str>, body: Value) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let body = if body.is_null() {
        Body::empty()
    } else {
        Body::from(body.to_string())
    };
    app.send(req.body(body).unwrap()).await
}

/// A token of guild alpha, made by its admin through the server function.
async fn token(app: &TestApp, scope: &str) -> (String, i64) {
    let cookie = app.sign_in("admin").await;
    let res = app
        .call(
            Some(&cookie),
            "create_api_token",
            json!({"guild": "alpha", "request": {"name": "Tracker", "scope": scope, "days": 30}}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let made = res.json();
    (
        made["token"].as_str().unwrap().to_string(),
        made["info"]["id"].as_i64().unwrap(),
    )
}

fn a_post(id: u32, views: i64) -> Value {
    json!({
        "platform": "tiktok",
        "external_id": format!("73{id:05}"),
        "account": "@luna.api",
        "url": format!("https://www.tiktok.com/@luna.api/video/73{id:05}"),
        "caption": "sent by the tracker 🚀",
        "posted_at": "2026-02-06T18:30:00Z",
        "views": views,
        "likes": 3,
    })
}

db_test!(
    a_token_made_in_settings_sends_batches_and_reads_them_back,
    |db: Db| async move {
        let app = TestApp::new(db).await;
        let (token, _) = token(&app, "ingest").await;
        let t = Some(token.as_str());

        let accounts = api(
            &app,
            Method::PUT,
            "/api/v1/guilds/alpha/accounts",
            t,
            json!({"accounts": [{"platform": "tiktok", "handle": "luna.api", "external_id": "acc-1",
                "followers": 1200, "group": "Trackers"}], "create_missing": true}),
        )
        .await;
        assert_eq!(accounts.status, StatusCode::OK, "{}", accounts.body);
        assert_eq!(accounts.json()["created"], 1);

        let batch = json!({"posts": [a_post(1, 10), a_post(2, 20)]});
        let first = api(
            &app,
            Method::PUT,
            "/api/v1/guilds/alpha/posts",
            t,
            batch.clone(),
        )
        .await;
        let again = api(&app, Method::PUT, "/api/v1/guilds/alpha/posts", t, batch).await;

        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert_eq!(
            first.json(),
            json!({"created": 2, "updated": 0, "unchanged": 0, "rejected": 0, "rejections": [], "kept_in_trash": []})
        );
        assert_eq!(again.json()["unchanged"], 2);

        let listed = api(
            &app,
            Method::GET,
            "/api/v1/guilds/alpha/posts?q=tracker&sort=views",
            t,
            Value::Null,
        )
        .await;
        assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
        let listed = listed.json();
        assert_eq!(listed["total"], 2);
        assert_eq!(listed["items"][0]["external_id"], "7300002");
        assert_eq!(listed["items"][0]["account"], "luna.api");
        assert_eq!(listed["items"][0]["group"], "Trackers");
        assert_eq!(listed["next_cursor"], Value::Null);

        // Pages follow the cursor to the end: 13 accounts at 25, 50 or 100 a
        // page is one page, so read posts 25 at a time instead.
        let mut seen = 0;
        let mut uri = "/api/v1/guilds/alpha/posts?per_page=25".to_string();
        loop {
            let page = api(&app, Method::GET, &uri, t, Value::Null).await.json();
            seen += page["items"].as_array().unwrap().len();
            match page["next_cursor"].as_str() {
                Some(c) => uri = format!("/api/v1/guilds/alpha/posts?per_page=25&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(seen, 122, "120 seeded posts and 2 sent");
    }
);

db_test!(
    requests_without_a_live_token_for_the_guild_are_refused,
    |db: Db| async move {
        let app = TestApp::new(db).await;
        let (ingest, ingest_id) = token(&app, "ingest").await;
        let (read, _) = token(&app, "read").await;
        let uri = "/api/v1/guilds/alpha/posts";
        let body = json!({"posts": [a_post(1, 1)]});

        let none = api(&app, Method::PUT, uri, None, body.clone()).await;
        assert_eq!(none.status, StatusCode::UNAUTHORIZED);
        assert!(none.headers.contains_key(header::WWW_AUTHENTICATE));
        assert!(none.json()["error"]
            .as_str()
            .unwrap()
            .contains("Authorization: Bearer"));

        let forged = api(&app, Method::GET, uri, Some("gt_forged"), Value::Null).await;
        assert_eq!(forged.status, StatusCode::UNAUTHORIZED);

        let other = api(
            &app,
            Method::GET,
            "/api/v1/guilds/beta/posts",
            Some(&ingest),
            Value::Null,
        )
        .await;
        assert_eq!(other.status, StatusCode::NOT_FOUND);

        let read_only = api(&app, Method::PUT, uri, Some(&read), body.clone()).await;
        assert_eq!(read_only.status, StatusCode::FORBIDDEN);
        let reads = api(&app, Method::GET, uri, Some(&read), Value::Null).await;
        assert_eq!(reads.status, StatusCode::OK);

        let cookie = app.sign_in("admin").await;
        let revoked = app
            .call(
                Some(&cookie),
                "revoke_api_token",
                json!({"guild": "alpha", "id": ingest_id}),
            )
            .await;
        assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
        let after = api(&app, Method::GET, uri, Some(&ingest), Value::Null).await;
        assert_eq!(after.status, StatusCode::UNAUTHORIZED);
        assert!(after.json()["error"]
            .as_str()
            .unwrap()
            .starts_with("This API token was revoked."));
    }
);

db_test!(
    bad_batches_get_a_400_that_names_each_item_and_nothing_is_written,
    |db: Db| async move {
        let app = TestApp::new(db).await;
        let (token, _) = token(&app, "ingest").await;
        let t = Some(token.as_str());
        let uri = "/api/v1/guilds/alpha/posts";
        let posts_before = count(app.fx.db(), "SELECT COUNT(*) FROM posts", vec![]).await;

        let send_raw = |body: &'static str| {
            let req = Request::put(uri)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::from(body))
                .unwrap();
            app.send(req)
        };
        let not_json = send_raw("{\"posts\": [").await;
        assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
        assert!(not_json.json()["error"]
            .as_str()
            .unwrap()
            .starts_with("The body is not a batch of posts"));
        let unknown = api(&app, Method::PUT, uri, t, json!({"posts": [], "extra": 1})).await;
        assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
        assert!(unknown.json()["error"]
            .as_str()
            .unwrap()
            .contains("unknown field `extra`"));

        let too_many: Vec<Value> = (0..1001).map(|i| a_post(i, 1)).collect();
        let over = api(&app, Method::PUT, uri, t, json!({"posts": too_many})).await;
        assert_eq!(over.status, StatusCode::BAD_REQUEST);
        assert!(over.json()["error"]
            .as_str()
            .unwrap()
            .contains("at most 1,000 posts; this one has 1,001"));

        let mut negative = a_post(2, 1);
        negative["views"] = json!(-1);
        let mut spaced = a_post(3, 1);
        spaced["account"] = json!("luna api");
        let mixed = api(
            &app,
            Method::PUT,
            uri,
            t,
            json!({"posts": [a_post(1, 1), negative, spaced]}),
        )
        .await;
        assert_eq!(mixed.status, StatusCode::BAD_REQUEST);
        let mixed = mixed.json();
        assert!(mixed["error"]
            .as_str()
            .unwrap()
            .starts_with("2 of 3 posts are not valid, so nothing was written."));
        assert_eq!(
            mixed["rejections"][0],
            json!({"index": 1, "reason": "posts[1].views: must be a whole number ≥ 0"})
        );
        assert_eq!(
            mixed["rejections"][1]["reason"],
            "posts[2].account: must not contain spaces"
        );

        assert_eq!(
            count(app.fx.db(), "SELECT COUNT(*) FROM posts", vec![]).await,
            posts_before
        );
    }
);

db_test!(
    a_token_over_its_rate_gets_429_with_retry_after,
    |db: Db| async move {
        let app = TestApp::configured(db, |c| c.api_rate_limit = 1).await;
        let (token, _) = token(&app, "read").await;
        let uri = "/api/v1/guilds/alpha/accounts";
        // A burst of twice the rate, then refused.
        for _ in 0..2 {
            let ok = api(&app, Method::GET, uri, Some(&token), Value::Null).await;
            assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        }
        let refused = api(&app, Method::GET, uri, Some(&token), Value::Null).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.headers[header::RETRY_AFTER], "1");
        assert!(refused.json()["error"]
            .as_str()
            .unwrap()
            .contains("at most 1 a second"));
    }
);

db_test!(
    the_openapi_document_lists_every_route,
    |db: Db| async move {
        let app = TestApp::new(db).await;
        let res = api(&app, Method::GET, "/api/v1/openapi.json", None, Value::Null).await;
        assert_eq!(res.status, StatusCode::OK);
        let doc = res.json();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        let paths = doc["paths"].as_object().unwrap();
        let mut operations: Vec<String> = Vec::new();
        for (path, item) in paths {
            for method in item.as_object().unwrap().keys() {
                operations.push(format!("{} {path}", method.to_uppercase()));
            }
        }
        operations.sort();
        assert_eq!(
            operations,
            [
                "GET /guilds/{guild}/accounts",
                "GET /guilds/{guild}/posts",
                "PUT /guilds/{guild}/accounts",
                "PUT /guilds/{guild}/posts",
            ]
        );
        // Each documented operation is a route of the server (it asks for a
        // token rather than answering 404 or 405).
        for op in &operations {
            let (method, path) = op.split_once(' ').unwrap();
            let uri = format!("/api/v1{}", path.replace("{guild}", "alpha"));
            let res = api(&app, method.parse().unwrap(), &uri, None, json!({})).await;
            assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{op}");
        }
        assert!(doc["components"]["schemas"]["PostItem"].is_object());
        assert_eq!(
            doc["components"]["securitySchemes"]["token"]["scheme"],
            "bearer"
        );
    }
);
