//! Sign in with Discord: the two ends of the OAuth2 authorization code
//! flow, as plain redirects (they work without the wasm).
//!
//! - `GET /auth/discord?next=…` starts a sign-in;
//! - `GET /auth/discord/link` starts linking Discord to the signed-in user;
//! - `GET /auth/discord/callback` is where Discord sends the browser back.
//!
//! Tokens never reach the browser or the logs: the browser holds only the
//! session cookie and, for the round trip, a random value that binds the
//! `state` to it.

use crate::auth_routes::{safe_next, session_cookie};
use crate::router::ServerState;
use crate::session::cookie;
use app::domain::auth::{self, SESSION_DAYS};
use app::domain::discord::oauth;
use app::domain::discord::sign_in::{self, Finished, Refusal};
use app::model::query::encode_component;
use app::model::SessionUser;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// The cookie that binds a sign-in's `state` to the browser that started
/// it, for the 10 minutes a sign-in may take.
fn browser_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-gt_discord"
    } else {
        "gt_discord"
    }
}

fn browser_cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let name = browser_cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    // Lax: Discord sends the browser back with a top-level GET, which
    // carries Lax cookies; a cross-site POST or an embedded request does not.
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("cookie header is ASCII")
}

#[derive(Deserialize)]
pub struct Start {
    #[serde(default)]
    next: String,
}

fn to_login(error: &str, extra: &str, next: &str) -> Response {
    Redirect::to(&format!(
        "/login?error={error}{extra}&next={}",
        encode_component(next)
    ))
    .into_response()
}

async fn begin(state: &ServerState, next: &str, link_user_id: Option<i64>) -> Response {
    let Some(discord) = &state.app.discord else {
        return to_login("discord_off", "", next);
    };
    match oauth::begin(
        &state.app.db,
        &state.app.clock,
        discord.client.config(),
        next,
        link_user_id,
    )
    .await
    {
        Ok(started) => {
            let mut res = Redirect::to(&started.authorize_url).into_response();
            res.headers_mut().append(
                header::SET_COOKIE,
                browser_cookie(
                    &started.browser_secret,
                    oauth::STATE_MINUTES * 60,
                    state.config.cookie_secure,
                ),
            );
            res
        }
        Err(_) => to_login("unavailable", "", next),
    }
}

/// `GET /auth/discord?next=…`: off to Discord's consent page.
pub async fn start(State(state): State<ServerState>, Query(q): Query<Start>) -> Response {
    begin(&state, safe_next(&q.next), None).await
}

/// `GET /auth/discord/link`: a signed-in user links their Discord account.
///
/// A link, not a form: the pages' `form-action 'self'` would stop a form's
/// redirect to Discord. A page of another site may not start it (checked
/// with `Sec-Fetch-Site`, as the same-origin guard does for posts), though
/// little could come of it: the consent is the user's own, and the state
/// is bound to their browser.
pub async fn link(State(state): State<ServerState>, req: Request) -> Response {
    let cross_site = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| !matches!(site, "same-origin" | "none"));
    let user = req.extensions().get::<SessionUser>().cloned();
    match user {
        Some(user) if !cross_site => begin(&state, "/", Some(user.id)).await,
        Some(_) => Redirect::to("/").into_response(),
        None => Redirect::to("/login?next=%2F").into_response(),
    }
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    /// `access_denied` when the user chose Cancel (RFC 6749 §4.1.2.1).
    error: Option<String>,
}

/// `GET /auth/discord/callback`: Discord sends the browser back here.
pub async fn callback(
    State(state): State<ServerState>,
    Query(q): Query<Callback>,
    req: Request,
) -> Response {
    let secure = state.config.cookie_secure;
    let browser = cookie(&req, browser_cookie_name(secure)).map(str::to_string);
    let mut res = finish(&state, q, browser.as_deref()).await;
    // The binding is spent either way.
    res.headers_mut()
        .append(header::SET_COOKIE, browser_cookie("", 0, secure));
    res
}

async fn finish(state: &ServerState, q: Callback, browser: Option<&str>) -> Response {
    let db = &state.app.db;
    let Some(discord) = &state.app.discord else {
        return to_login("discord_off", "", "/");
    };
    let pending = match &q.state {
        Some(s) => oauth::finish(db, &state.app.clock, s, browser).await,
        None => Ok(None),
    };
    let pending = match pending {
        Ok(Some(p)) => p,
        Ok(None) => return to_login(Refusal::BadState.code(), "", "/"),
        Err(_) => return to_login("unavailable", "", "/"),
    };
    let next = pending.next.clone();
    if q.error.is_some() {
        return to_login(Refusal::Declined.code(), "", &next);
    }
    let Some(code) = q
        .code
        .as_deref()
        .filter(|c| !c.is_empty() && c.len() <= 512)
    else {
        return to_login(Refusal::BadState.code(), "", &next);
    };
    match sign_in::complete(db, &state.app.clock, discord, code, pending).await {
        Ok(Finished::Linked { next }) => Redirect::to(&next).into_response(),
        Ok(Finished::SignIn { user_id, next }) => {
            match auth::create_session(db, &state.app.clock, user_id).await {
                Ok(token) => {
                    let mut res = Redirect::to(&next).into_response();
                    res.headers_mut().append(
                        header::SET_COOKIE,
                        session_cookie(
                            &token,
                            SESSION_DAYS * 24 * 3600,
                            state.config.cookie_secure,
                        ),
                    );
                    res
                }
                Err(_) => to_login("unavailable", "", &next),
            }
        }
        Err(Refusal::RateLimited { seconds }) => to_login(
            Refusal::RateLimited { seconds }.code(),
            &format!("&seconds={seconds}"),
            &next,
        ),
        Err(refusal) => to_login(refusal.code(), "", &next),
    }
}
