//! Sign-in and sign-out: plain form posts, so they work without the wasm.

use crate::router::ServerState;
use crate::session::cookie;
use app::domain::auth::{self, Login, SESSION_DAYS};
use app::domain::sign_in::{self, Attempt, Throttle};
use app::model::query::encode_component;
use app::model::SessionUser;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, Extensions, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Where to go after signing in: `next` when it is a path on this site,
/// else `/`, so a crafted sign-in link cannot send anyone elsewhere (an
/// open redirect helps phishing).
///
/// Browsers are lenient with `Location`: they drop tabs and newlines, read
/// `\\` as `/`, and treat `//host` as another site. So `next` must parse
/// as a URI reference with no scheme and no authority, start with one `/`,
/// and hold no whitespace, control character or backslash, as written or,
/// in its path, percent-decoded (`/%2F/evil.example`, `/%5Cevil.example`).
pub fn safe_next(next: &str) -> &str {
    if is_local_path(next) {
        next
    } else {
        "/"
    }
}

fn is_local_path(next: &str) -> bool {
    let suspicious = |text: &str| {
        text.chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
            || text.starts_with("//")
    };
    let Ok(uri) = next.parse::<http::Uri>() else {
        return false;
    };
    // The query may hold an encoded space (a search for "a b"); only the
    // path decides where the browser goes.
    let decoded_path = app::model::query::decode_component(uri.path());
    next.starts_with('/')
        && uri.scheme().is_none()
        && uri.authority().is_none()
        && !suspicious(next)
        && !suspicious(&decoded_path)
}

pub fn session_cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let name = auth::session_cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("cookie header is ASCII")
}

/// The address a request came from, for throttling sign-ins per client.
/// Behind a reverse proxy every request comes from the proxy, so with
/// `TRUST_FORWARDED_FOR=true` the last `X-Forwarded-For` entry counts
/// instead: the one the proxy itself added. (Earlier entries are whatever
/// the client sent, and a guesser would vary them.)
pub fn client_address(
    headers: &HeaderMap,
    extensions: &Extensions,
    trust_forwarded: bool,
) -> String {
    let forwarded = trust_forwarded
        .then(|| {
            headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .rfind(|v| !v.is_empty())
                .map(str::to_string)
        })
        .flatten();
    forwarded
        .or_else(|| {
            extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The sign-in form again, with `error` (and `extra` query pairs) saying
/// what happened.
fn back_to_form(error: &str, extra: &str, next: &str) -> String {
    format!(
        "/login?error={error}{extra}&next={}",
        encode_component(next)
    )
}

/// Refuses a locked attempt with 429 and `Retry-After`, and shows the form
/// with "Too many attempts. Try again in N minutes." in the same answer.
async fn locked(state: &ServerState, until: chrono::DateTime<chrono::Utc>, next: &str) -> Response {
    let now = state.app.clock.now();
    let minutes = Throttle::minutes_left(until, now);
    let page = back_to_form("locked", &format!("&minutes={minutes}"), next);
    let mut res = crate::router::render_page(state, &page).await;
    *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    let seconds = (until - now).num_seconds().max(1);
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    res
}

/// A failure that is not a wrong password (the database is down or busy)
/// must never be reported as one: the form says sign-in is unavailable.
fn unavailable(next: &str) -> Response {
    Redirect::to(&back_to_form("unavailable", "", next)).into_response()
}

pub async fn login(
    State(state): State<ServerState>,
    headers: HeaderMap,
    extensions: Extensions,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(&form.next).to_string();
    let db = &state.app.db;
    let client = client_address(&headers, &extensions, state.config.trust_forwarded_for);
    let attempt = Attempt::new(&form.username, &client);
    match sign_in::throttle(db, state.app.clock.now(), &attempt).await {
        Ok(Throttle::Open) => {}
        Ok(Throttle::LockedUntil(until)) => return locked(&state, until, &next).await,
        Err(_) => return unavailable(&next),
    }
    let user = match auth::verify_login(db, &form.username, &form.password).await {
        Ok(Login::Valid(user)) => user,
        Ok(Login::Wrong { user_id }) => {
            // Checked after the password, so the failure that locks is
            // told so at once rather than on the next try.
            return match sign_in::record_failure(db, state.app.clock.now(), &attempt, user_id).await
            {
                Ok(Throttle::LockedUntil(until)) => locked(&state, until, &next).await,
                // The password was wrong whether or not it could be counted.
                Ok(Throttle::Open) | Err(_) => {
                    Redirect::to(&back_to_form("1", "", &next)).into_response()
                }
            };
        }
        Err(_) => return unavailable(&next),
    };
    if let Err(e) = sign_in::forget_failures(db, &attempt.username).await {
        tracing::warn!(error = %e, "could not clear the failed sign-ins of a user who signed in");
    }
    match auth::create_session(db, &state.app.clock, user.id).await {
        Ok(token) => {
            let mut res = Redirect::to(&next).into_response();
            res.headers_mut().insert(
                header::SET_COOKIE,
                session_cookie(&token, SESSION_DAYS * 24 * 3600, state.config.cookie_secure),
            );
            res
        }
        Err(_) => unavailable(&next),
    }
}

/// Back to the sign-in page with the session cookie cleared.
fn signed_out(state: &ServerState) -> Response {
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie("", 0, state.config.cookie_secure),
    );
    res
}

pub async fn logout(State(state): State<ServerState>, req: Request) -> Response {
    let name = auth::session_cookie_name(state.config.cookie_secure);
    if let Some(token) = cookie(&req, name) {
        // Best effort: the cookie is cleared either way.
        let _ = auth::delete_session(&state.app.db, token).await;
    }
    signed_out(&state)
}

/// "Sign out everywhere": ends every session of the signed-in user, on
/// every device, this one included.
pub async fn logout_everywhere(State(state): State<ServerState>, req: Request) -> Response {
    let Some(user) = req.extensions().get::<SessionUser>() else {
        return signed_out(&state);
    };
    match auth::delete_user_sessions(&state.app.db, user.id).await {
        Ok(n) => {
            tracing::info!(user = %user.username, sessions = n, "signed out everywhere");
            signed_out(&state)
        }
        // Saying "signed out" while the other sessions live on would be a
        // lie that matters: the member may be locking out a thief.
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Your other sessions could not be ended just now. Nothing changed; try again in a moment.",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        for local in [
            "/",
            "/g/alpha/posts?q=x",
            "/g/alpha/posts?q=a%20b&platform=x",
        ] {
            assert_eq!(safe_next(local), local);
        }
    }

    #[test]
    fn every_way_of_naming_another_site_goes_home_instead() {
        let tricks = [
            "",
            "g/alpha",
            "//evil.example",
            "///evil.example",
            "https://evil.example",
            "HTTPS://evil.example",
            "javascript:alert(1)",
            "/\\evil.example",
            "\\\\evil.example",
            "/\\/evil.example",
            "/\t/evil.example/login",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            " //evil.example",
            "/ /evil.example",
            "/\u{0}/evil.example",
            "/\u{a0}/evil.example",
            "/%2F/evil.example",
            "/%2f/evil.example",
            "/%5Cevil.example",
            "/%5C/evil.example",
            "/%09/evil.example",
            "/%0A/evil.example",
            "/%0d%0aSet-Cookie:x=1",
        ];
        for trick in tricks {
            assert_eq!(safe_next(trick), "/", "{trick:?} was followed");
        }
    }
}
