//! The real router, driven with `oneshot`, for the HTTP test crates.

use app::domain::test_support::{Fixture, PASSWORD};
use app::domain::Db;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use server::config::Config;
use std::time::Duration;
use tower::ServiceExt;

pub struct TestApp {
    pub router: Router,
    pub fx: Fixture,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

impl TestApp {
    pub async fn new(db: Db) -> TestApp {
        Self::configured(db, |_| {}).await
    }

    /// The app with the test configuration changed by `change`.
    pub async fn configured(db: Db, change: impl FnOnce(&mut Config)) -> TestApp {
        Self::around(Fixture::new(db).await, change)
    }

    /// The app around a fixture the test prepared (with Discord, say).
    pub fn around(fx: Fixture, change: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = Config {
            database_url: String::new(),
            site_addr: "127.0.0.1:0".parse().unwrap(),
            cookie_secure: false,
            trust_forwarded_for: false,
            retention_days: 30,
            exports: server::config::ExportConfig {
                dir: fx.export_dir.0.clone(),
                instant_limit: 1000,
                retention_days: 7,
                max_rows_per_second: None,
                s3: None,
                import_max_bytes: app::domain::import::DEFAULT_MAX_BYTES,
            },
            discord: None,
            bot: None,
            outbound: None,
            api_rate_limit: 30,
            ingest_slots: server::api_v1::ingest_slots(),
        };
        change(&mut config);
        TestApp {
            router: server::router::build(fx.state.clone(), config),
            fx,
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        // A request that never answers fails its test in a minute, with its
        // path, instead of holding the whole suite (and CI) until killed.
        let what = format!("{} {}", req.method(), req.uri());
        let answer = async {
            let res = self
                .router
                .clone()
                .oneshot(req)
                .await
                .expect("router answers");
            let status = res.status();
            let headers = res.headers().clone();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            (status, headers, body)
        };
        let (status, headers, body) = tokio::time::timeout(Duration::from_secs(60), answer)
            .await
            .unwrap_or_else(|_| panic!("{what} did not answer within 60 s"));
        let body = String::from_utf8_lossy(&body).into_owned();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Posts the sign-in form as typed, with extra headers.
    pub async fn post_login(&self, form: &str, headers: &[(&str, &str)]) -> Reply {
        let mut req = Request::post("/auth/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        self.send(req.body(Body::from(form.to_string())).unwrap())
            .await
    }

    /// Signs in through the real form route; returns the Cookie header value.
    pub async fn sign_in(&self, username: &str) -> String {
        let res = self
            .send(
                Request::post("/auth/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(format!(
                        "username={username}&password={}&next=/g/alpha/posts",
                        PASSWORD.replace(' ', "+")
                    )))
                    .unwrap(),
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "sign-in of {username}");
        let set_cookie = res
            .headers
            .get(header::SET_COOKIE)
            .expect("a session cookie")
            .to_str()
            .unwrap()
            .to_string();
        set_cookie.split(';').next().unwrap().to_string()
    }

    /// A request carrying the session cookie and any extra headers.
    pub async fn send_as(
        &self,
        method: Method,
        uri: &str,
        cookie: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::COOKIE, cookie);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        self.send(req.body(body.into()).unwrap()).await
    }

    /// Starts an export in alpha through the server function.
    pub async fn start_export(&self, cookie: &str, request: Value) -> Reply {
        self.call(
            Some(cookie),
            "start_export",
            json!({"guild": "alpha", "request": request}),
        )
        .await
    }

    pub async fn call(&self, cookie: Option<&str>, endpoint: &str, body: Value) -> Reply {
        let mut req = Request::post(format!("/api/{endpoint}"))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        self.send(req.body(Body::from(body.to_string())).unwrap())
            .await
    }
}
