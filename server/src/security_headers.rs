//! Headers every response carries, whatever produced it: pages, server
//! functions, downloads, the browser's files and errors.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::Response;

/// The policy of anything that is not a page (JSON, downloads, `/pkg`
/// files): nothing in it may load or run anything, nor be framed. Pages
/// send their own, with their scripts' nonce (`app::page_policy`).
const NOT_A_PAGE_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Two years, the HSTS preload list's minimum being one.
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// Adds the security headers. `cookie_secure` says the site is served over
/// HTTPS, the only case where HSTS is right: sent over plain http to a
/// local demo it would be ignored, and on a host later moved to https it
/// is what we want anyway.
pub async fn add(State(cookie_secure): State<bool>, mut res: Response) -> Response {
    let h = res.headers_mut();
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(NOT_A_PAGE_POLICY));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    // Older browsers ignore `frame-ancestors`.
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if cookie_secure {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    res
}
