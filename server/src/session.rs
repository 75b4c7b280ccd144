//! Finds the signed-in user for each request, and sends signed-out
//! visitors of app pages to the sign-in page.

use crate::router::ServerState;
use app::domain::auth;
use app::model::SessionUser;
use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

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
/// server functions and handlers find it.
pub async fn load_user(State(state): State<ServerState>, mut req: Request, next: Next) -> Response {
    if !is_asset(req.uri().path()) {
        let name = auth::session_cookie_name(state.config.cookie_secure);
        if let Some(token) = cookie(&req, name) {
            match auth::session_user(&state.app.db, &state.app.clock, token).await {
                Ok(Some(user)) => {
                    req.extensions_mut().insert(user);
                }
                Ok(None) => {}
                // A database failure must not look like "signed out".
                Err(_) => return axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response(),
            }
        }
    }
    next.run(req).await
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
        if path == "/login" && signed_in {
            return Redirect::to("/").into_response();
        }
    }
    next.run(req).await
}
