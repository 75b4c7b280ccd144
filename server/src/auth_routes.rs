//! Sign-in and sign-out: plain form posts, so they work without the wasm.

use crate::router::ServerState;
use crate::session::cookie;
use app::domain::auth::{self, SESSION_COOKIE, SESSION_DAYS};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Only same-site paths: `/g/x/posts?…` yes, `//evil.example` or
/// `https://…` no (an open redirect would help phishing).
pub fn safe_next(next: &str) -> &str {
    let ok = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if ok {
        next
    } else {
        "/"
    }
}

fn session_cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("cookie header is ASCII")
}

pub async fn login(State(state): State<ServerState>, Form(form): Form<LoginForm>) -> Response {
    let next = safe_next(&form.next).to_string();
    let user = match auth::verify_login(&state.app.db, &form.username, &form.password).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            tracing::info!(username = %form.username, "failed sign-in");
            let q = app::model::query::encode_component(&next);
            return Redirect::to(&format!("/login?error=1&next={q}")).into_response();
        }
        Err(_) => return Redirect::to("/login?error=1").into_response(),
    };
    match auth::create_session(&state.app.db, &state.app.clock, user.id).await {
        Ok(token) => {
            let mut res = Redirect::to(&next).into_response();
            res.headers_mut().insert(
                header::SET_COOKIE,
                session_cookie(&token, SESSION_DAYS * 24 * 3600, state.config.cookie_secure),
            );
            res
        }
        Err(_) => Redirect::to("/login?error=1").into_response(),
    }
}

pub async fn logout(State(state): State<ServerState>, req: Request) -> Response {
    if let Some(token) = cookie(&req, SESSION_COOKIE) {
        // Best effort: the cookie is cleared either way.
        let _ = auth::delete_session(&state.app.db, token).await;
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie("", 0, state.config.cookie_secure),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/g/alpha/posts?q=x"), "/g/alpha/posts?q=x");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next(""), "/");
    }
}
