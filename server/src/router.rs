//! The axum router: server functions, sign-in routes, health, the Leptos
//! pages and static files, behind the session and same-origin guards.

use crate::config::Config;
use crate::{
    api_v1, assets, auth_routes, discord_routes, downloads, interactions, same_origin,
    security_headers, session, uploads,
};
use app::domain::AppState;
use app::error::AppError;
use app::{shell, App};
use axum::body::Body;
use axum::extract::{FromRef, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;

#[derive(Clone)]
pub struct ServerState {
    pub app: AppState,
    pub config: Config,
    pub leptos_options: LeptosOptions,
    /// Each API token's requests (`api_v1::rate_limit`).
    pub api_limits: std::sync::Arc<api_v1::rate_limit::Buckets>,
    /// Batches the ingest API works on at once (`api_v1::ingest_slots`).
    pub ingest_slots: std::sync::Arc<tokio::sync::Semaphore>,
    /// Rows the ingest API wrote since PostgreSQL's last vacuum of them.
    pub ingest_upkeep: std::sync::Arc<api_v1::upkeep::Upkeep>,
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(s: &ServerState) -> Self {
        s.leptos_options.clone()
    }
}

/// Leptos options from cargo-leptos' environment, with the workspace's
/// values when the binary runs on its own (tests, `cargo run`).
pub fn leptos_options(config: &Config) -> LeptosOptions {
    let mut opts = get_configuration(None)
        .map(|c| c.leptos_options)
        .unwrap_or_else(|_| {
            LeptosOptions::builder()
                .output_name("guildtrack")
                .site_root("target/site")
                .build()
        });
    if opts.output_name.is_empty() {
        opts.output_name = "guildtrack".into();
    }
    opts.site_addr = config.site_addr;
    opts
}

/// Server functions answer every error with 500. Give each [`AppError`] its
/// own status instead (400 bad input, 401, 403, 404), so HTTP clients and
/// logs can tell our failures from the caller's. The browser client decodes
/// the same body for any 4xx/5xx.
async fn with_error_status(res: Response) -> Response {
    // server_fn marks its error responses with this header.
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key("serverfnerror")
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = err.status_code();
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Pages say `Cache-Control: no-cache`: they name the current build's
/// assets, so a cached page could load a wasm that is gone.
async fn pages_not_cached(mut res: Response) -> Response {
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html && !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(assets::NO_CACHE),
        );
    }
    res
}

/// Compresses pages and server-function answers on the fly (brotli or
/// gzip, as the browser accepts). Not downloads, which carry
/// `Content-Disposition`: exports can be gigabytes, streamed with their
/// length, and XLSX is a zip already. The `/pkg` files are not under this
/// layer: they come precompressed from the build (`assets.rs`).
fn compression() -> CompressionLayer<impl Predicate> {
    let not_a_download = |_: StatusCode, _: http::Version, h: &HeaderMap, _: &http::Extensions| {
        !h.contains_key(header::CONTENT_DISPOSITION)
    };
    CompressionLayer::new()
        .br(true)
        .gzip(true)
        .compress_when(DefaultPredicate::new().and(not_a_download))
}

/// The page at `path_and_query`, rendered as a GET of it would be, for a
/// handler that answers a form post with a page and a status of its own
/// (the sign-in form's 429).
pub async fn render_page(state: &ServerState, path_and_query: &str) -> Response {
    let app = state.app.clone();
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_to_stream_with_context(
        move || provide_context(app.clone()),
        move || shell(options.clone()),
    );
    let req = axum::http::Request::get(path_and_query)
        .body(Body::empty())
        .expect("a path and query is a valid request URI");
    render(req).await.into_response()
}

async fn health(State(state): State<ServerState>) -> impl IntoResponse {
    match state.app.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

/// The app's routes, listed once per process. Listing them renders the app
/// with resource loading switched off for the whole process (leptos_server's
/// `SuppressResourceLoad` is one global flag), and a resource that first
/// polls meanwhile, in another router's render, waits forever
/// (leptos-rs/leptos#4773). A server builds one router, before it serves;
/// the HTTP tests build one per test, in parallel, and a page hung in about
/// one run in thirty.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole app. Server functions are registered by
/// `leptos_routes_with_context` at `/api/<endpoint>`, each for POST only.
pub fn build(app: AppState, config: Config) -> Router {
    let leptos_options = leptos_options(&config);
    let state = ServerState {
        app: app.clone(),
        api_limits: std::sync::Arc::new(api_v1::rate_limit::Buckets::new(config.api_rate_limit)),
        ingest_slots: std::sync::Arc::new(tokio::sync::Semaphore::new(config.ingest_slots)),
        ingest_upkeep: Default::default(),
        config,
        leptos_options: leptos_options.clone(),
    };
    let routes = route_list();
    let pkg_dir = std::path::Path::new(leptos_options.site_root.as_ref())
        .join(leptos_options.site_pkg_dir.as_ref());
    Router::new()
        .route("/auth/login", post(auth_routes::login))
        .route("/auth/logout", post(auth_routes::logout))
        .route(
            "/auth/logout-everywhere",
            post(auth_routes::logout_everywhere),
        )
        .route("/auth/discord", get(discord_routes::start))
        .route("/auth/discord/link", get(discord_routes::link))
        .route("/auth/discord/callback", get(discord_routes::callback))
        .route("/health", get(health))
        .route("/g/{guild}/exports/{id}/download", get(downloads::download))
        .route("/exports/shared/{id}", get(downloads::shared))
        .route("/g/{guild}/imports", post(uploads::upload))
        .leptos_routes_with_context(&state, routes, move || provide_context(app.clone()), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<ServerState, _>(shell))
        .layer(middleware::map_response(with_error_status))
        .layer(middleware::from_fn(session::guard_pages))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::load_user,
        ))
        .layer(middleware::from_fn(same_origin::require_same_origin))
        .layer(middleware::map_response(pages_not_cached))
        .layer(middleware::from_fn(security_headers::page_policy))
        .layer(compression())
        // The machines' door: a bearer token, not a session cookie, so
        // outside the session and same-origin guards (api_v1/mod.rs).
        .nest(
            "/api/v1",
            api_v1::router()
                .layer(axum::extract::DefaultBodyLimit::max(api_v1::BODY_LIMIT))
                .layer(compression()),
        )
        // Discord's door: its Ed25519 signature is the authentication, so
        // outside the session and same-origin guards (interactions.rs).
        .route(
            "/discord/interactions",
            post(interactions::receive).layer(axum::extract::DefaultBodyLimit::max(
                interactions::BODY_LIMIT,
            )),
        )
        // After the layers, so none of them runs for the browser's files:
        // they need no session, and they come compressed from the build,
        // not once per request.
        .nest_service(
            "/pkg",
            assets::pkg_router(pkg_dir, leptos_options.hash_files),
        )
        // Last, so that every response has them, the browser's files too.
        .layer(middleware::map_response_with_state(
            state.config.cookie_secure,
            security_headers::add,
        ))
        .with_state(state)
}
