//! The browser's files under `/pkg` (the wasm, its JS glue and the CSS):
//! served precompressed, and cached for a year when their names carry a
//! content hash.
//!
//! `scripts/run` builds with cargo-leptos `--precompress` and
//! `LEPTOS_HASH_FILES=true`: every file gets `.br` and `.gz` copies at build
//! time (brotli at its best level takes seconds for the wasm, too slow per
//! request), and a name that carries the content's hash. A new build gets
//! new URLs and an old name never changes meaning, so `immutable` is safe.
//! Without hashes (debug builds, the tests) a browser must revalidate every
//! time, or it would run a stale wasm against a new server.

use axum::http::{header, HeaderValue};
use axum::Router;
use std::path::PathBuf;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// `Cache-Control` of hashed assets: a year, and no revalidation.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of everything that may change under the same URL.
pub const NO_CACHE: &str = "no-cache";

/// The `/pkg` service: the precompressed copy the browser accepts (brotli,
/// then gzip), else the plain file.
pub fn pkg_router(pkg_dir: PathBuf, hashed_names: bool) -> Router {
    let cache = if hashed_names { IMMUTABLE } else { NO_CACHE };
    Router::new()
        .fallback_service(
            ServeDir::new(pkg_dir)
                .precompressed_br()
                .precompressed_gzip(),
        )
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache),
        ))
}

/// The `<link>` of the app's stylesheet for pages rendered outside Leptos
/// (the download errors): the same hashed name the app's shell links.
pub fn stylesheet_link(options: &leptos::prelude::LeptosOptions) -> String {
    use leptos::prelude::RenderHtml;
    leptos_meta::HashedStylesheet(
        leptos_meta::HashedStylesheetProps::builder()
            .options(options.clone())
            .build(),
    )
    .to_html()
}
