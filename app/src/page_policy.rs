//! The Content-Security-Policy of every page, sent with the page.
//!
//! Pages run only this site's files: the wasm and its JS glue from `/pkg`,
//! plus the one inline script Leptos writes to start hydration (and those
//! it streams with resources), which carry this response's nonce. An
//! injected `<script>` has no nonce and does not run; nothing may frame
//! the app (clickjacking). Responses that are not pages get a policy that
//! allows nothing, from the server's `security_headers`.

use leptos::nonce::{provide_nonce, use_nonce};
use leptos::prelude::*;

/// The policy of a page whose inline scripts carry `nonce`.
///
/// - `'wasm-unsafe-eval'` lets the page compile the app's wasm, and no
///   string as script.
/// - Images may come from any https origin: tracked accounts' avatars
///   live on the platforms' CDNs.
/// - `form-action 'self'`: sign-in and sign-out post here only.
pub fn policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'nonce-{nonce}'; \
         style-src 'self'; img-src 'self' data: https:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The nonce of a page request, made by the server's `page_policy` layer
/// and put in the request's extensions: the layer sends the policy naming
/// it, and [`send`] gives it to Leptos for its inline scripts.
#[derive(Clone, Debug)]
pub struct PageNonce(pub String);

/// Gives this page its nonce (Leptos adds it to its inline scripts) and
/// sends the policy naming it. Called by the shell, so every page has it,
/// the error pages included.
///
/// The server's layer also sets the policy from the request's nonce:
/// a page's headers in `ResponseOptions` were, about once in a few hundred
/// pages under the browser tests' load, missing from the response (leptos_axum
/// 0.8.10), and such a page is dead in the browser. The header here is
/// for a render without that layer.
pub fn send() {
    let from_request = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<PageNonce>().cloned());
    match from_request {
        Some(PageNonce(nonce)) => provide_context(leptos::nonce::Nonce::from_value(nonce)),
        None if use_nonce().is_none() => provide_nonce(),
        None => {}
    }
    let (Some(nonce), Some(response)) =
        (use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    match http::HeaderValue::from_str(&policy(&nonce)) {
        Ok(value) => response.insert_header(http::header::CONTENT_SECURITY_POLICY, value),
        // A nonce is URL-safe base64, so this cannot happen; if it did,
        // the server's strict default policy would stand.
        Err(e) => tracing::error!(error = %e, "page policy is not a header value"),
    }
}

#[cfg(test)]
mod tests {
    use super::policy;

    #[test]
    fn the_page_policy_names_its_nonce_and_forbids_framing_and_inline_script() {
        let p = policy("abc123");
        assert!(p.contains("script-src 'self' 'wasm-unsafe-eval' 'nonce-abc123';"));
        assert!(p.contains("frame-ancestors 'none'"));
        assert!(!p.contains("unsafe-inline"));
    }
}
