//! HTTP-level tests: the real router, driven with `oneshot`, on both
//! databases. Sign-in, 401/403/404, cross-site refusal and bad input.

mod support;

use app::db_test;
use app::domain::Db;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;
use support::test_app::TestApp;
use tower::ServiceExt;

db_test!(
    signing_in_sets_a_safe_session_cookie_and_redirects,
    |db: Db| async move {
        let app = TestApp::new(db).await;
        let res = app
        .send(
            Request::post("/auth/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("username=viewer&password=correct+horse+battery&next=%2Fg%2Falpha%2Fposts%3Fplatform%3Dx"))
                .unwrap(),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(res.location(), "/g/alpha/posts?platform=x");
        let cookie = res
            .headers
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap();
        assert!(cookie.starts_with("gt_session="));
        for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(attr), "{attr} missing from {cookie}");
        }
        assert!(
            res.headers.get("strict-transport-security").is_none(),
            "no HSTS over plain http"
        );
    }
);

db_test!(
    a_wrong_password_goes_back_to_the_form_with_an_error,
    |db: Db| async move {
        let app = TestApp::new(db).await;
        let res = app
            .send(
                Request::post("/auth/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(
                        "username=viewer&password=nope&next=https://evil.example",
                    ))
                    .unwrap(),
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(res.location(), "/login?error=1&next=%2F");
        assert!(res.headers.get(header::SET_COOKIE).is_none());
    }
);

db_test!(
    a_next_that_would_leave_the_site_sends_the_member_home,
    |db: Db| async move {
        let app = TestApp::new(db).await;
        // Form-encoded: a tab, a newline, a backslash, encoded slashes.
        for next in [
            "%2F%09%2Fevil.example%2Flogin",
            "%2F%0A%2Fevil.example",
            "%2F%5C%2Fevil.example",
            "%2F%252F%252Fevil.example%5C",
            "%2F%2F%2Fevil.example",
            "%2F%252Fevil.example",
            "https%3A%2F%2Fevil.example",
        ] {
            let res = app
                .post_login(
                    &format!("username=viewer&password=correct+horse+battery&next={next}"),
                    &[],
                )
                .await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "next={next}");
            assert_eq!(res.location(), "/", "next={next}");
        }
    }
);

db_test!(
    five_wrong_passwords_lock_the_username_with_429_and_retry_after,
    |db: Db| async move {
        let app = TestApp::new(db).await;
        for n in 1..=4 {
            let res = app.post_login("username=viewer&password=guess", &[]).await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "failure {n}");
            assert!(res.location().starts_with("/login?error=1"));
        }

        let fifth = app.post_login("username=viewer&password=guess", &[]).await;
        let right = app
            .post_login("username=Viewer&password=correct+horse+battery", &[])
            .await;

        for res in [&fifth, &right] {
            assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
            assert_eq!(res.headers[header::RETRY_AFTER], "900");
            assert!(
                res.body
                    .contains("Too many attempts. Try again in 15 minutes."),
                "{}",
                res.body
            );
            assert!(res.headers.get(header::SET_COOKIE).is_none());
        }
        app.fx.clock.advance(chrono::Duration::minutes(15));
        app.sign_in("viewer").await;
    }
);

db_test!(
    behind_a_trusted_proxy_guessing_is_throttled_per_client_address,
    |db: Db| async move {
        let app = TestApp::configured(db, |c| c.trust_forwarded_for = true).await;
        let from = |ip: &'static str| [("x-forwarded-for", ip)];
        // Five usernames from one client (the proxy appends the last entry).
        for name in ["a", "b", "c", "d", "e"] {
            app.post_login(
                &format!("username={name}&password=guess"),
                &from("10.9.9.9, 203.0.113.9"),
            )
            .await;
        }

        let same_client = app
            .post_login(
                "username=viewer&password=correct+horse+battery",
                &from("198.51.100.77, 203.0.113.9"),
            )
            .await;
        let other_client = app
            .post_login(
                "username=viewer&password=correct+horse+battery",
                &from("203.0.113.10"),
            )
            .await;

        assert_eq!(same_client.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(other_client.status, StatusCode::SEE_OTHER);
    }
);

db_test!(
    over_https_the_session_cookie_is_host_prefixed_and_secure,
    |db: Db| async move {
        let app = TestApp::configured(db, |c| c.cookie_secure = true).await;
        let res = app
            .post_login("username=viewer&password=correct+horse+battery", &[])
            .await;
        let set = res.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .to_string();
        assert!(set.starts_with("__Host-gt_session="), "{set}");
        assert!(set.contains("; Secure") && set.contains("Path=/") && !set.contains("Domain"));

        let cookie = set.split(';').next().unwrap();
        let listed = app
            .call(
                Some(cookie),
                "list_posts",
                json!({"guild": "alpha", "params": {}}),
            )
            .await;
        let plain = cookie.replace("__Host-gt_session", "gt_session");
        let unprefixed = app
            .call(
                Some(&plain),
                "list_posts",
                json!({"guild": "alpha", "params": {}}),
            )
            .await;

        assert_eq!(listed.status, StatusCode::OK);
        assert_eq!(unprefixed.status, StatusCode::UNAUTHORIZED);
    }
);

db_test!(
    signing_out_everywhere_ends_the_other_sessions_too,
    |db: Db| async move {
        let app = TestApp::new(db).await;
        let phone = app.sign_in("viewer").await;
        let laptop = app.sign_in("viewer").await;
        let editor = app.sign_in("editor").await;

        let res = app
            .send_as(
                Method::POST,
                "/auth/logout-everywhere",
                &laptop,
                &[],
                Body::empty(),
            )
            .await;

        assert_eq!(
            (res.status, res.location()),
            (StatusCode::SEE_OTHER, "/login")
        );
        let app = &app;
        let list = |cookie: String| async move {
            app.call(
                Some(&cookie),
                "list_posts",
                json!({"guild": "alpha", "params": {}}),
            )
            .await
            .status
        };
        assert_eq!(list(phone).await, StatusCode::UNAUTHORIZED);
        assert_eq!(list(laptop).await, StatusCode::UNAUTHORIZED);
        assert_eq!(list(editor).await, StatusCode::OK);
    }
);

db_test!(
    a_date_outside_1970_to_9999_is_a_400_with_a_sentence,
    |db: Db| async move {
        let app = TestApp::new(db).await;
        let cookie = app.sign_in("viewer").await;
        for (endpoint, from) in [("list_posts", "-5000-01-01"), ("audit_log", "1969-12-31")] {
            let res = app
                .call(
                    Some(&cookie),
                    endpoint,
                    json!({"guild": "alpha", "params": {"from": from}}),
                )
                .await;
            assert_eq!(
                res.status,
                StatusCode::BAD_REQUEST,
                "{endpoint}: {}",
                res.body
            );
            assert!(
                res.body.contains("pick a year from 1970 to 9999"),
                "{}",
                res.body
            );
        }
    }
);

db_test!(
    every_response_carries_the_security_headers,
    |db: Db| async move {
        let app = TestApp::configured(db, |c| c.cookie_secure = true).await;
        let cookie = app.sign_in("viewer").await;
        let page = app
            .send_as(Method::GET, "/g/alpha/posts", &cookie, &[], Body::empty())
            .await;
        let json = app
            .call(
                Some(&cookie),
                "list_posts",
                json!({"guild": "alpha", "params": {}}),
            )
            .await;
        let login = app
            .send(Request::get("/login").body(Body::empty()).unwrap())
            .await;
        let missing = app
            .send(Request::get("/no/such/page").body(Body::empty()).unwrap())
            .await;

        for (what, res) in [
            ("page", &page),
            ("json", &json),
            ("login", &login),
            ("404", &missing),
        ] {
            let h = |name: &str| {
                res.headers
                    .get(name)
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_else(|| panic!("{what}: no {name}"))
            };
            assert_eq!(h("x-content-type-options"), "nosniff", "{what}");
            assert_eq!(h("referrer-policy"), "same-origin", "{what}");
            assert!(
                h("strict-transport-security").starts_with("max-age="),
                "{what}"
            );
            let csp = h("content-security-policy");
            assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
            assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
        }
        // A page's inline scripts carry the nonce its policy names.
        for (what, res) in [("page", &page), ("login", &login), ("404", &missing)] {
            let csp = res.headers["content-security-policy"].to_str().unwrap();
            let nonce = csp
                .split("'nonce-")
                .nth(1)
                .and_then(|rest| rest.split('\'').next())
                .unwrap_or_else(|| panic!("{what}: no nonce in {csp}"));
            let openings: Vec<&str> = res
                .body
                .split("<script")
                .skip(1)
                .map(|rest| rest.split('>').next().unwrap_or_default())
                .collect();
            assert!(!openings.is_empty(), "{what}: no script at all");
            for tag in openings {
                assert!(
                    tag.contains(&format!("nonce=\"{nonce}\"")),
                    "{what}: <script{tag}>"
                );
            }
        }
        let again = app
            .send(Request::get("/login").body(Body::empty()).unwrap())
            .await;
        assert_ne!(
            again.headers["content-security-policy"], login.headers["content-security-policy"],
            "a fresh nonce per response"
        );
    }
);

db_test!(
    signed_out_visitors_are_sent_to_sign_in_and_api_calls_get_401,
    |db: Db| async move {
        let app = TestApp::new(db).await;
        let page = app
            .send(
                Request::get("/g/alpha/posts?platform=x")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(
            page.location(),
            "/login?next=%2Fg%2Falpha%2Fposts%3Fplatform%3Dx"
        );

        let api = app
            .call(None, "list_posts", json!({"guild": "alpha", "params": {}}))
            .await;
        assert_eq!(api.status, StatusCode::UNAUTHORIZED);
        assert_eq!(api.json(), json!("Unauthorized"));

        let stale = app
            .call(
                Some("gt_session=not-a-real-token"),
                "list_posts",
                json!({"guild": "alpha", "params": {}}),
            )
            .await;
        assert_eq!(stale.status, StatusCode::UNAUTHORIZED);
    }
);

db_test!(
    a_member_reads_the_lists_of_their_guild,
    |db: Db| async move {
        let app = TestApp::new(db).await;
        let cookie = app.sign_in("viewer").await;
        let posts = app
            .call(
                Some(&cookie),
                "list_posts",
                json!({"guild": "alpha", "params": {"platform": "tiktok", "per_page": "50"}}),
            )
            .await;
        assert_eq!(posts.status, StatusCode::OK, "{}", posts.body);
        let body = posts.json();
        assert_eq!(body["page"]["page_size"], 50);
        assert!(body["page"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["platform"] == "tiktok"));

        let accounts = app
            .call(
                Some(&cookie),
                "list_accounts",
                json!({"guild": "alpha", "params": {}}),
            )
            .await;
        assert_eq!(accounts.status, StatusCode::OK);
        assert_eq!(accounts.json()["total"], 12);

        // The server renders the page itself, so reading works before the wasm loads.
        let page = app
            .send_as(
                Method::GET,
                "/g/alpha/accounts",
                &cookie,
                &[],
                Body::empty(),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("12 accounts"),
            "server-rendered total missing"
        );
    }
);

db_test!(
    a_server_rendered_error_page_carries_the_status_of_its_error,
    |db: Db| async move {
        let app = TestApp::new(db).await;
        let viewer = app.sign_in("viewer").await;
        let page = |path: &'static str| {
            let (app, viewer) = (&app, &viewer);
            async move {
                app.send_as(Method::GET, path, viewer, &[], Body::empty())
                    .await
            }
        };

        // A guild the member is not in reads as missing: a 404, not a 200.
        let foreign = page("/g/beta/posts").await;
        assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{}", foreign.body);
        assert!(foreign.body.contains("This view could not be loaded"));

        // A filter the server refuses is the request's fault: a 400.
        let bad = page("/g/alpha/posts?platform=myspace").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(bad.body.contains("Unknown platform"), "{}", bad.body);

        // And a good page is still a 200.
        assert_eq!(page("/g/alpha/posts").await.status, StatusCode::OK);
    }
);

db_test!(a_member_without_the_role_gets_403, |db: Db| async move {
    let app = TestApp::new(db).await;
    let viewer = app.sign_in("viewer").await;
    let res = app
        .call(Some(&viewer), "guild_members", json!({"guild": "alpha"}))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(
        res.json(),
        json!({"Forbidden": "Only a guild admin can manage members; you are a viewer."})
    );

    let admin = app.sign_in("admin").await;
    let ok = app
        .call(Some(&admin), "guild_members", json!({"guild": "alpha"}))
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.json()["members"].as_array().unwrap().len(), 3);
});

db_test!(another_guilds_data_is_never_readable, |db: Db| async move {
    let app = TestApp::new(db).await;
    let outsider = app.sign_in("outsider").await;
    for (endpoint, body) in [
        ("list_posts", json!({"guild": "alpha", "params": {}})),
        ("list_accounts", json!({"guild": "alpha", "params": {}})),
        ("guild_context", json!({"guild": "alpha"})),
        ("guild_members", json!({"guild": "alpha"})),
    ] {
        let res = app.call(Some(&outsider), endpoint, body).await;
        assert_eq!(
            res.status,
            StatusCode::NOT_FOUND,
            "{endpoint}: {}",
            res.body
        );
        assert!(
            !res.body.contains("Guild alpha"),
            "the guild's name must not leak"
        );
    }
    // An id from alpha, asked for inside beta, is not found either.
    let viewer = app.sign_in("viewer").await;
    let alpha_account = app
        .call(
            Some(&viewer),
            "list_accounts",
            json!({"guild": "alpha", "params": {}}),
        )
        .await
        .json()["items"][0]["id"]
        .clone();
    let res = app
        .call(
            Some(&outsider),
            "list_posts",
            json!({"guild": "beta", "params": {"account": alpha_account.to_string()}}),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    let page = app
        .send_as(Method::GET, "/g/alpha/posts", &outsider, &[], Body::empty())
        .await;
    assert!(!page.body.contains("Guild alpha"));
    let _ = &app.fx;
});

db_test!(
    bad_input_gets_a_clear_400_and_never_a_500,
    |db: Db| async move {
        let app = TestApp::new(db).await;
        let cookie = app.sign_in("viewer").await;
        let cases = [
            (json!({"platform": "myspace"}), "Unknown platform"),
            (
                json!({"page": "1000000000"}),
                "pages are numbered from 1 to 100000",
            ),
            (json!({"page": "-3"}), "pages are numbered"),
            (json!({"account": "12abc"}), "not a valid account id"),
            (json!({"brand": "' OR 1=1 --"}), "not a valid brand id"),
            (json!({"q": "x".repeat(5000)}), "too long"),
            (json!({"from": "2026-13-45"}), "not a date"),
            (json!({"per_page": "1000000"}), "25, 50 or 100"),
        ];
        for (params, expected) in cases {
            let res = app
                .call(
                    Some(&cookie),
                    "list_posts",
                    json!({"guild": "alpha", "params": params}),
                )
                .await;
            assert_eq!(
                res.status,
                StatusCode::BAD_REQUEST,
                "{params}: {}",
                res.body
            );
            assert!(
                res.json()["Invalid"].as_str().unwrap().contains(expected),
                "{params}: {}",
                res.body
            );
        }
        // A body that is not even the right shape.
        for body in [
            "{",
            r#"{"guild": 5}"#,
            r#"{"guild": "alpha", "params": ["x"]}"#,
        ] {
            let res = app
                .send_as(
                    Method::POST,
                    "/api/list_posts",
                    &cookie,
                    &[("content-type", "application/json")],
                    body,
                )
                .await;
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{body}: {}", res.body);
        }
        // Unknown guild slugs with odd characters are simply not found.
        let res = app
            .call(
                Some(&cookie),
                "list_posts",
                json!({"guild": "../../etc/passwd", "params": {}}),
            )
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
    }
);

db_test!(cross_site_posts_are_refused, |db: Db| async move {
    let app = TestApp::new(db).await;
    let cookie = app.sign_in("viewer").await;
    let body = json!({"guild": "alpha", "params": {}}).to_string();
    for (name, value) in [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
    ] {
        let res = app
            .send_as(
                Method::POST,
                "/api/list_posts",
                &cookie,
                &[
                    ("content-type", "application/json"),
                    ("host", "127.0.0.1:3000"),
                    (name, value),
                ],
                body.clone(),
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{name}: {value}");
    }
    let logout = app
        .send_as(
            Method::POST,
            "/auth/logout",
            &cookie,
            &[("sec-fetch-site", "cross-site")],
            Body::empty(),
        )
        .await;
    assert_eq!(
        logout.status,
        StatusCode::FORBIDDEN,
        "no cross-site sign-out either"
    );
    let same = app
        .send_as(
            Method::POST,
            "/api/list_posts",
            &cookie,
            &[
                ("content-type", "application/json"),
                ("sec-fetch-site", "same-origin"),
            ],
            body,
        )
        .await;
    assert_eq!(same.status, StatusCode::OK);
});

db_test!(server_functions_do_not_answer_get, |db: Db| async move {
    let app = TestApp::new(db).await;
    let cookie = app.sign_in("viewer").await;
    let res = app
        .send_as(
            Method::GET,
            "/api/list_posts?guild=alpha",
            &cookie,
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED);
});

db_test!(signing_out_ends_the_session, |db: Db| async move {
    let app = TestApp::new(db).await;
    let cookie = app.sign_in("viewer").await;
    let res = app
        .send_as(Method::POST, "/auth/logout", &cookie, &[], Body::empty())
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(res
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let after = app
        .call(
            Some(&cookie),
            "list_posts",
            json!({"guild": "alpha", "params": {}}),
        )
        .await;
    assert_eq!(
        after.status,
        StatusCode::UNAUTHORIZED,
        "the old cookie is dead server-side too"
    );
});

db_test!(health_reports_the_database, |db: Db| async move {
    let app = TestApp::new(db).await;
    let res = app
        .send(Request::get("/health").body(Body::empty()).unwrap())
        .await;
    assert_eq!((res.status, res.body.as_str()), (StatusCode::OK, "ok"));
});

db_test!(
    an_instant_export_downloads_with_its_name_and_only_for_members,
    |db: Db| async move {
        let app = TestApp::new(db).await;
        let viewer = app.sign_in("viewer").await;
        let started = app
            .start_export(
                &viewer,
                json!({"entity": "Posts", "format": "Csv", "scope": {"View": {"platform": "youtube"}},
                       "filename": "Q1 «report»/final"}),
            )
            .await;
        assert_eq!(started.status, StatusCode::OK, "{}", started.body);
        let job = &started.json()["Ready"];
        assert_eq!(job["filename"], "Q1 «report»-final.csv");
        let url = format!("/g/alpha/exports/{}/download", job["id"]);

        let file = app
            .send_as(Method::GET, &url, &viewer, &[], Body::empty())
            .await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(
            file.headers[header::CONTENT_DISPOSITION],
            "attachment; filename=\"Q1 _report_-final.csv\"; filename*=UTF-8''Q1%20%C2%ABreport%C2%BB-final.csv"
        );
        assert_eq!(
            file.headers[header::CONTENT_TYPE],
            "text/csv; charset=utf-8"
        );
        assert!(file.body.starts_with("\u{feff}ID,Account,Platform,"));
        let mut csv = csv::Reader::from_reader(file.body.trim_start_matches('\u{feff}').as_bytes());
        let platforms: Vec<String> = csv.records().map(|r| r.unwrap()[2].to_string()).collect();
        assert!(!platforms.is_empty());
        assert!(platforms.iter().all(|p| p == "youtube"), "{platforms:?}");

        // Another guild's admin: the same 404 as a guild that does not exist.
        let outsider = app.sign_in("outsider").await;
        let denied = app
            .send_as(Method::GET, &url, &outsider, &[], Body::empty())
            .await;
        assert_eq!(denied.status, StatusCode::NOT_FOUND);
        assert!(!denied.body.contains("ID,Account"));
        // Signed out: to the sign-in page.
        let anon = app
            .send(Request::get(&url).body(Body::empty()).unwrap())
            .await;
        assert_eq!(anon.status, StatusCode::SEE_OTHER);
        assert!(anon.location().starts_with("/login?next="));
    }
);

db_test!(
    an_expired_export_link_says_the_file_has_expired,
    |db: Db| async move {
        let app = TestApp::new(db).await;
        let viewer = app.sign_in("viewer").await;
        let started = app
            .start_export(
                &viewer,
                json!({"entity": "Accounts", "format": "Json", "scope": "All", "filename": ""}),
            )
            .await;
        let id = started.json()["Ready"]["id"].as_i64().unwrap();
        app.fx.clock.advance(chrono::Duration::days(8));
        app::domain::export::service::maintain(&app.fx.state)
            .await
            .unwrap();
        // Eight days unused ended that session too (7 days idle).
        let viewer = app.sign_in("viewer").await;

        let res = app
            .send_as(
                Method::GET,
                &format!("/g/alpha/exports/{id}/download"),
                &viewer,
                &[],
                Body::empty(),
            )
            .await;
        assert_eq!(res.status, StatusCode::GONE);
        assert!(res.body.contains("expired"), "{}", res.body);
        assert!(res.body.contains("kept for 7 days"), "{}", res.body);

        let history = app
            .call(Some(&viewer), "export_history", json!({"guild": "alpha"}))
            .await;
        assert_eq!(history.json()[0]["status"], "Expired");
    }
);

db_test!(a_bad_export_request_is_a_clear_400, |db: Db| async move {
    let app = TestApp::new(db).await;
    let viewer = app.sign_in("viewer").await;
    let res = app
        .start_export(
            &viewer,
            json!({"entity": "Posts", "format": "Xlsx", "scope": {"View": {"from": "2026-13-01"}},
                   "filename": ""}),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(res.body.contains("from"), "{}", res.body);
});

db_test!(
    bulk_actions_over_http_preview_confirm_and_refuse_viewers,
    |db: Db| async move {
        let app = TestApp::new(db).await;
        let editor = app.sign_in("editor").await;
        let viewer = app.sign_in("viewer").await;
        let request = json!({"entity": "Posts", "selection": {"AllMatching": {"filter": {"platform": "x"}, "except": []}},
                             "action": "Delete"});

        let preview = app
            .call(
                Some(&editor),
                "preview_bulk",
                json!({"guild": "alpha", "request": request}),
            )
            .await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
        let (count, as_of) = (
            preview.json()["count"].as_i64().unwrap(),
            preview.json()["as_of"].clone(),
        );
        let confirm = |n: i64| {
            json!({"guild": "alpha", "confirm": {"request": request, "confirmed_count": n,
            "typed": n.to_string(), "as_of": as_of, "reason": ""}})
        };

        let refused = app.call(Some(&viewer), "start_bulk", confirm(count)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        assert!(
            refused
                .body
                .contains("Only a guild editor can delete posts; you are a viewer."),
            "{}",
            refused.body
        );

        let stale = app
            .call(Some(&editor), "start_bulk", confirm(count + 1))
            .await;
        assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
        assert!(
            stale
                .body
                .contains(&format!("The selection changed: it now has {count} items.")),
            "{}",
            stale.body
        );

        let done = app.call(Some(&editor), "start_bulk", confirm(count)).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        assert_eq!(
            (
                done.json()["status"].as_str(),
                done.json()["succeeded"].as_i64()
            ),
            (Some("Done"), Some(count))
        );
        let progress = app
            .call(
                Some(&editor),
                "bulk_progress",
                json!({"guild": "alpha", "id": done.json()["id"]}),
            )
            .await;
        assert_eq!(progress.json()["succeeded"].as_i64(), Some(count));
    }
);

db_test!(
    the_trash_lists_deleted_posts_and_only_admins_purge_them_over_http,
    |db: Db| async move {
        let app = TestApp::new(db).await;
        let (editor, admin) = (app.sign_in("editor").await, app.sign_in("admin").await);
        let outsider = app.sign_in("outsider").await;
        let delete = json!({"entity": "Posts", "selection": {"AllMatching": {"filter": {"platform": "youtube"}, "except": []}},
                            "action": "Delete"});
        let preview = app
            .call(
                Some(&editor),
                "preview_bulk",
                json!({"guild": "alpha", "request": delete}),
            )
            .await;
        let count = preview.json()["count"].as_i64().unwrap();
        let deleted = app
            .call(Some(&editor), "start_bulk", json!({"guild": "alpha", "confirm": {"request": delete,
                "confirmed_count": count, "typed": "DELETE", "as_of": preview.json()["as_of"], "reason": ""}}))
            .await;
        assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);

        let trash = app
            .call(
                Some(&editor),
                "list_trash",
                json!({"guild": "alpha", "params": {"show": "posts"}}),
            )
            .await;
        assert_eq!(trash.status, StatusCode::OK, "{}", trash.body);
        assert_eq!(trash.json()["total"].as_i64(), Some(count));
        assert_eq!(trash.json()["retention_days"].as_i64(), Some(30));
        let strangers = app
            .call(
                Some(&outsider),
                "list_trash",
                json!({"guild": "alpha", "params": {}}),
            )
            .await;
        assert_eq!(
            strangers.status,
            StatusCode::NOT_FOUND,
            "{}",
            strangers.body
        );
        let bad = app
            .call(
                Some(&editor),
                "list_trash",
                json!({"guild": "alpha", "params": {"show": "guilds"}}),
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(
            bad.body
                .contains("Unknown tab “guilds”. Choose accounts or posts."),
            "{}",
            bad.body
        );

        let purge = json!({"entity": "Posts", "selection": {"AllMatching": {"filter": {}, "except": []}}, "action": "Purge"});
        let refused = app
            .call(
                Some(&editor),
                "preview_bulk",
                json!({"guild": "alpha", "request": purge}),
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        let preview = app
            .call(
                Some(&admin),
                "preview_bulk",
                json!({"guild": "alpha", "request": purge}),
            )
            .await;
        assert_eq!(
            preview.json()["count"].as_i64(),
            Some(count),
            "{}",
            preview.body
        );
        let purged = app
            .call(Some(&admin), "start_bulk", json!({"guild": "alpha", "confirm": {"request": purge,
                "confirmed_count": count, "typed": "DELETE", "as_of": preview.json()["as_of"], "reason": ""}}))
            .await;
        assert_eq!(
            purged.json()["succeeded"].as_i64(),
            Some(count),
            "{}",
            purged.body
        );
        let empty = app
            .call(
                Some(&admin),
                "list_trash",
                json!({"guild": "alpha", "params": {}}),
            )
            .await;
        assert_eq!(empty.json()["total"].as_i64(), Some(0));
    }
);

db_test!(
    pages_and_answers_come_compressed_and_uncached_but_downloads_come_as_they_are,
    |db: Db| async move {
        // Arrange: a member, and an instant export to download.
        let app = TestApp::new(db).await;
        let viewer = app.sign_in("viewer").await;
        let both = [("accept-encoding", "gzip, deflate, br")];

        // Act and assert: a page comes in brotli, never cached.
        let page = app
            .send_as(Method::GET, "/g/alpha/posts", &viewer, &both, Body::empty())
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.headers[header::CONTENT_ENCODING], "br");
        assert_eq!(page.headers[header::CACHE_CONTROL], "no-cache");
        // gzip for a client that takes only gzip, and plain for one that asks none.
        let gzip = app
            .send_as(
                Method::GET,
                "/g/alpha/posts",
                &viewer,
                &[("accept-encoding", "gzip")],
                Body::empty(),
            )
            .await;
        assert_eq!(gzip.headers[header::CONTENT_ENCODING], "gzip");
        let plain = app
            .send_as(Method::GET, "/g/alpha/posts", &viewer, &[], Body::empty())
            .await;
        assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
        assert!(plain.body.contains("posts"));

        // A server function's JSON answer is compressed too.
        let list = app
            .send_as(
                Method::POST,
                "/api/list_posts",
                &viewer,
                &[("content-type", "application/json"), both[0]],
                json!({"guild": "alpha", "params": {}}).to_string(),
            )
            .await;
        assert_eq!(list.status, StatusCode::OK);
        assert_eq!(list.headers[header::CONTENT_ENCODING], "br");

        // A download keeps its bytes and length as stored.
        let started = app
            .start_export(
                &viewer,
                json!({"entity": "Posts", "format": "Csv", "scope": "All", "filename": ""}),
            )
            .await;
        assert_eq!(started.status, StatusCode::OK, "{}", started.body);
        let url = format!(
            "/g/alpha/exports/{}/download",
            started.json()["Ready"]["id"]
        );
        let file = app
            .send_as(Method::GET, &url, &viewer, &both, Body::empty())
            .await;
        assert_eq!(file.status, StatusCode::OK);
        assert!(file.headers.get(header::CONTENT_ENCODING).is_none());
        assert!(file.body.starts_with("\u{feff}ID,Account,Platform,"));
    }
);

#[tokio::test]
async fn the_browsers_files_come_precompressed_and_hashed_names_are_cached_for_a_year() {
    // Arrange: a wasm with its brotli and gzip copies, as `--precompress` writes them.
    let dir = std::env::temp_dir().join(format!("gt-pkg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("guildtrack.1a2b3c.wasm"), "plain bytes").unwrap();
    std::fs::write(dir.join("guildtrack.1a2b3c.wasm.br"), "brotli bytes").unwrap();
    std::fs::write(dir.join("guildtrack.1a2b3c.wasm.gz"), "gzip bytes").unwrap();
    let get = |hashed: bool, accept: &'static str| {
        let router = server::assets::pkg_router(dir.clone(), hashed);
        async move {
            let res = router
                .oneshot(
                    Request::get("/guildtrack.1a2b3c.wasm")
                        .header(header::ACCEPT_ENCODING, accept)
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            let headers = res.headers().clone();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            (headers, String::from_utf8_lossy(&body).into_owned())
        }
    };

    // Act and assert: the copy the browser accepts, typed as wasm.
    let (headers, body) = get(true, "gzip, br").await;
    assert_eq!(body, "brotli bytes");
    assert_eq!(headers[header::CONTENT_ENCODING], "br");
    assert_eq!(headers[header::CONTENT_TYPE], "application/wasm");
    assert_eq!(
        headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let (headers, body) = get(true, "gzip").await;
    assert_eq!(body, "gzip bytes");
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    let (headers, body) = get(true, "identity").await;
    assert_eq!(body, "plain bytes");
    assert!(headers.get(header::CONTENT_ENCODING).is_none());

    // Names without a hash may change meaning with the next build.
    let (headers, _) = get(false, "br").await;
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    std::fs::remove_dir_all(&dir).unwrap();
}

db_test!(
    an_admin_uploads_an_export_to_import_and_gets_the_new_import,
    |db: Db| async move {
        let app = TestApp::new(db).await;
        let admin = app.sign_in("admin").await;
        let csv = "\u{feff}Platform,Handle,Display name\r\ntiktok,new.one,New One\r\n";

        let res = app
            .send_as(
                Method::POST,
                "/g/alpha/imports?name=..%2Fsome%20accounts.csv",
                &admin,
                &[("content-type", "application/octet-stream")],
                csv,
            )
            .await;

        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let job = res.json();
        assert_eq!(job["file_name"], "some accounts.csv");
        assert_eq!(job["entity"], "Accounts");
        // The check runs beside the request; it ends ready to confirm.
        let id = job["id"].as_i64().unwrap();
        let mut status = String::new();
        for _ in 0..100 {
            let now = app
                .call(
                    Some(&admin),
                    "watch_import",
                    json!({"guild": "alpha", "id": id}),
                )
                .await
                .json();
            status = now["status"].as_str().unwrap().to_string();
            if status != "Checking" {
                assert_eq!(now["dry_run"]["created"], 1);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(status, "Ready");
    }
);

db_test!(
    uploads_that_cannot_be_imported_are_refused_with_a_sentence,
    |db: Db| async move {
        let app = TestApp::configured(db, |c| c.exports.import_max_bytes = 64).await;
        let admin = app.sign_in("admin").await;
        let viewer = app.sign_in("viewer").await;
        let small = "Platform,Handle\r\ntiktok,a\r\n";
        let cases = [
            (&viewer, small.to_string(), StatusCode::FORBIDDEN, "admin"),
            (
                &admin,
                "x".repeat(65),
                StatusCode::PAYLOAD_TOO_LARGE,
                "IMPORT_MAX_BYTES",
            ),
            (&admin, String::new(), StatusCode::BAD_REQUEST, "empty"),
            (
                &admin,
                "{\"format_version\": 9, \"items\": []}".into(),
                StatusCode::BAD_REQUEST,
                "format_version 9",
            ),
        ];
        for (cookie, body, status, says) in cases {
            let res = app
                .send_as(Method::POST, "/g/alpha/imports?name=f", cookie, &[], body)
                .await;

            assert_eq!(res.status, status, "{says}: {}", res.body);
            let sentence = res.json()["error"].as_str().unwrap().to_string();
            assert!(sentence.contains(says), "{sentence}");
        }
        // A page on another site cannot post a file with the cookie.
        let res = app
            .send_as(
                Method::POST,
                "/g/alpha/imports?name=f",
                &admin,
                &[
                    ("host", "127.0.0.1:3000"),
                    ("origin", "https://evil.example"),
                ],
                small,
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let count = app
            .fx
            .db()
            .fetch_i64(&app::domain::Sql::new("SELECT COUNT(*) FROM import_jobs"))
            .await
            .unwrap();
        assert_eq!(count, 0);
    }
);
