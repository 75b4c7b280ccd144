//! Finds the signed-in user for each request, and sends signed-out
//! visitors of app pages to the sign-in page.

use crate::router::ServerState;
use app::domain::auth;
use app::domain::discord::recheck::{self, Recheck};
use app::error::AppError;
use app::model::SessionUser;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};

/// The value of one cookie from the Cookie header.
pub fn cookie<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Static assets need no session lookup.
fn is_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path.starts_with("/favicon")
}

/// Puts the session's [`SessionUser`] into the request extensions, where
/// server functions and handlers find it. A user with Discord has their
/// memberships confirmed with Discord first, when that is due.
pub async fn load_user(State(state): State<ServerState>, mut req: Request, next: Next) -> Response {
    if !is_asset(req.uri().path()) {
        let name = auth::session_cookie_name(state.config.cookie_secure);
        if let Some(token) = cookie(&req, name) {
            match auth::session(&state.app.db, &state.app.clock, token).await {
                Ok(Some(session)) => {
                    if let Some(due) = session.discord {
                        let check = recheck::if_due(
                            &state.app.db,
                            &state.app.clock,
                            state.app.discord.as_ref(),
                            session.user.id,
                            due,
                        )
                        .await;
                        match check {
                            Ok(Recheck::Refused) => return access_paused(&req),
                            Ok(_) => {}
                            Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
                        }
                    }
                    req.extensions_mut().insert(session.user);
                }
                Ok(None) => {}
                // A database failure must not look like "signed out".
                Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
            }
        }
    }
    next.run(req).await
}

/// Discord has not confirmed the user's memberships for over an hour: 503
/// with the sentence, as a server function's error for the app's calls and
/// as a small page (with a way to sign out) for everything else.
fn access_paused(req: &Request) -> Response {
    let sentence = Recheck::REFUSED;
    if req.uri().path().starts_with("/api/") {
        let body = serde_json::to_string(&AppError::Unavailable(sentence.into()))
            .expect("errors serialize");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
    }
    let page = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Access paused</title><main><h1>Access paused</h1><p role=\"alert\">{sentence}</p>\
         <form method=\"post\" action=\"/auth/logout\"><button type=\"submit\">Sign out</button></form></main></html>"
    );
    let mut res = (StatusCode::SERVICE_UNAVAILABLE, Html(page)).into_response();
    res.headers_mut().insert(
        header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("60"),
    );
    res
}

/// App pages need a signed-in user; the sign-in page does not want one.
pub async fn guard_pages(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let signed_in = req.extensions().get::<SessionUser>().is_some();
    if req.method() == Method::GET {
        let app_page = path == "/" || path == "/g" || path.starts_with("/g/");
        if app_page && !signed_in {
            let target = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let next_q = app::model::query::encode_component(target);
            return Redirect::to(&format!("/login?next={next_q}")).into_response();
        }
        // A signed-in user sent back with an error (linking a Discord
        // account that is taken, say) must see its sentence.
        let reports_error = req.uri().query().is_some_and(|q| q.contains("error="));
        if path == "/login" && signed_in && !reports_error {
            return Redirect::to("/").into_response();
        }
    }
    next.run(req).await
}
