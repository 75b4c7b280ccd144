//! Refuses state-changing requests that come from another site (CSRF).
//!
//! Browsers send `Sec-Fetch-Site` (all current ones) and `Origin` on
//! cross-site POSTs; a request from our own pages says `same-origin`.
//! Requests without either header are not from a browser page, so they
//! cannot carry a victim's cookie by accident and are let through.

use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// True when the request may proceed.
pub fn allowed(req: &Request) -> bool {
    if is_safe(req.method()) {
        return true;
    }
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let origin_host = origin
                .split_once("://")
                .map(|(_, rest)| rest)
                .unwrap_or("null");
            !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
        }
    }
}

pub async fn require_same_origin(req: Request, next: Next) -> Response {
    if allowed(&req) {
        next.run(req).await
    } else {
        (
            StatusCode::FORBIDDEN,
            "Cross-site requests are not allowed.",
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn post(headers: &[(&str, &str)]) -> Request {
        let mut b = Request::builder().method("POST").uri("/api/x");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Body::empty()).unwrap()
    }

    #[test]
    fn same_origin_posts_pass_and_cross_site_posts_are_refused() {
        assert!(allowed(&post(&[("sec-fetch-site", "same-origin")])));
        assert!(!allowed(&post(&[("sec-fetch-site", "cross-site")])));
        assert!(!allowed(&post(&[("sec-fetch-site", "same-site")])));
        assert!(allowed(&post(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000")
        ])));
        assert!(!allowed(&post(&[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:3000")
        ])));
        assert!(!allowed(&post(&[
            ("origin", "null"),
            ("host", "127.0.0.1:3000")
        ])));
        assert!(allowed(&post(&[])));
    }

    #[test]
    fn reads_are_never_refused() {
        let req = Request::builder()
            .uri("/")
            .header("sec-fetch-site", "cross-site")
            .body(Body::empty())
            .unwrap();
        assert!(allowed(&req));
    }
}
