//! Headers every response carries, whatever produced it: pages, server
//! functions, downloads, the browser's files and errors.

use app::page_policy::PageNonce;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
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

/// Gives each request the nonce of its page (`app::page_policy::send`
/// hands it to Leptos), and sends the page's policy naming it with an HTML
/// response that has no policy of its own.
///
/// Leptos sets the policy too, through `ResponseOptions`, but under the
/// browser tests' load one page in a few hundred went out without the headers
/// put there (seen with a log of both ends: the policy was set for the
/// request, and its response had none). It then got the strict policy of
/// non-pages and was dead in the browser. Set here, from the request, the
/// header cannot be lost on the way.
pub async fn page_policy(mut req: Request, next: Next) -> Response {
    let nonce = leptos::nonce::Nonce::new().to_string();
    req.extensions_mut().insert(PageNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html && !res.headers().contains_key(header::CONTENT_SECURITY_POLICY) {
        match HeaderValue::from_str(&app::page_policy::policy(&nonce)) {
            Ok(value) => {
                res.headers_mut()
                    .insert(header::CONTENT_SECURITY_POLICY, value);
            }
            Err(e) => tracing::error!(error = %e, "page policy is not a header value"),
        }
    }
    res
}
