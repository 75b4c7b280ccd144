//! `/api/v1`: the door for machines (the tracker, scripts), beside the
//! server functions, which are the browser's. JSON in and out, a guild API
//! token as `Authorization: Bearer …`, and the same domain functions and
//! `GuildScope` as the pages.
//!
//! Routes and their OpenAPI entries are registered together
//! (`utoipa_axum::routes!`), so `/api/v1/openapi.json` lists every route
//! by construction.

mod lists;
pub mod rate_limit;
pub mod upkeep;
mod upserts;

use crate::router::ServerState;
use app::domain::api_tokens::{self, Grant, Refusal};
use app::domain::ingest::wire::ApiError;
use app::error::AppError;
use app::model::api_tokens::TokenScope;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::sync::Arc;
use std::time::Instant;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The largest request body: 1,000 items with long captions fit.
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// How many batches the server works on at once unless `INGEST_SLOTS`
/// says otherwise: one core fewer than the machine has (at least one), so a
/// tracker sending batches back to back never takes every core from the
/// members reading the lists. With two batches at once on this 2-core
/// machine, the Posts list's p95 was 2.2–2.5× its quiet value on
/// PostgreSQL, and 2.7–3.2× once its total came from the tally (a smaller
/// quiet value: 4 ms, not 56); BENCHMARKS.md has the figures. Later batches
/// wait their turn (reads do not).
pub fn ingest_slots() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().saturating_sub(1))
        .unwrap_or(1)
        .max(1)
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Guildtrack API",
        version = "1",
        description = "Send the accounts and posts a tracker follows into a guild, and read them back. \
            Authenticate with a guild API token (Guild settings → API tokens) as `Authorization: Bearer gt_…`. \
            Each token may make `API_RATE_LIMIT` requests a second (30 unless the server sets otherwise), \
            in bursts of twice that; more get 429 with `Retry-After`."
    ),
    servers((url = "/api/v1")),
    modifiers(&TokenAuth),
    security(("token" = [])),
    components(schemas(ApiError)),
    tags(
        (name = "accounts", description = "The guild's tracked accounts"),
        (name = "posts", description = "The guild's tracked posts")
    )
)]
struct ApiDoc;

struct TokenAuth;

impl Modify for TokenAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A guild API token, `gt_…`"))
                    .build(),
            ),
        );
    }
}

/// The routes under `/api/v1`, and the OpenAPI document that lists them.
pub fn router() -> Router<ServerState> {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(upserts::put_accounts, lists::get_accounts))
        .routes(routes!(upserts::put_posts, lists::get_posts))
        .split_for_parts();
    let doc = Arc::new(
        doc.to_pretty_json()
            .expect("the OpenAPI document serializes"),
    );
    router.route(
        "/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    doc.to_string(),
                )
            }
        }),
    )
}

/// An error answer: a status and a sentence (and, for a batch, its bad
/// items).
#[derive(Debug)]
pub struct Failure {
    status: StatusCode,
    body: ApiError,
    retry_after: Option<u64>,
}

impl Failure {
    pub fn new(status: StatusCode, sentence: impl Into<String>) -> Self {
        Self {
            status,
            body: ApiError {
                error: sentence.into(),
                rejections: Vec::new(),
            },
            retry_after: None,
        }
    }
}

impl From<AppError> for Failure {
    /// Domain errors keep their status and sentence; internal ones were
    /// logged where they happened and say only that something failed.
    fn from(e: AppError) -> Self {
        Self::new(e.status_code(), e.to_string())
    }
}

impl From<ApiError> for Failure {
    fn from(body: ApiError) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            body,
            retry_after: None,
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut res = (self.status, Json(self.body)).into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"guildtrack\""),
            );
        }
        res
    }
}

/// A request whose token is live, for the guild in its path, within its
/// rate: the handler gets the token's grant.
pub struct Authorized(pub Grant);

impl Authorized {
    /// Refuses a read-only token the writes.
    fn require(&self, needed: TokenScope) -> Result<&Grant, Failure> {
        if needed == TokenScope::Ingest && self.0.scope != TokenScope::Ingest {
            return Err(Failure::new(
                StatusCode::FORBIDDEN,
                "This API token can only read. Ask an admin for an ingest token to send data.",
            ));
        }
        Ok(&self.0)
    }
}

const NO_TOKEN: &str = "Send a guild API token as “Authorization: Bearer gt_…”. \
     An admin makes one in Guild settings → API tokens.";

impl FromRequestParts<ServerState> for Authorized {
    type Rejection = Failure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ServerState,
    ) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string())
            .ok_or_else(|| Failure::new(StatusCode::UNAUTHORIZED, NO_TOKEN))?;
        let Path(guild) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| Failure::new(StatusCode::NOT_FOUND, "No such route."))?;
        let app = &state.app;
        let grant = match api_tokens::authenticate(&app.db, &app.clock, &bearer, &guild).await? {
            Ok(grant) => grant,
            Err(Refusal::Unknown) => {
                return Err(Failure::new(
                    StatusCode::UNAUTHORIZED,
                    format!("This API token is not valid. {NO_TOKEN}"),
                ))
            }
            Err(Refusal::Ended(why)) => {
                return Err(Failure::new(
                    StatusCode::UNAUTHORIZED,
                    format!("{why} Ask an admin of the guild for a new one."),
                ))
            }
            Err(Refusal::OtherGuild) => {
                return Err(Failure::new(
                    StatusCode::NOT_FOUND,
                    format!("There is no guild “{guild}” for this API token."),
                ))
            }
        };
        if let Err(wait) = state.api_limits.take(grant.token_id, Instant::now()) {
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            return Err(Failure {
                retry_after: Some(secs),
                ..Failure::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!(
                        "Too many requests with this API token (at most {} a second). Try again in {secs} s.",
                        state.config.api_rate_limit
                    ),
                )
            });
        }
        Ok(Self(grant))
    }
}
