//! The loader of the lazy routes' wasm modules (`__wasm_split.<hash>.js`,
//! written by tools/wasm-split and named by tools/site.mjs), preloaded by
//! every page.
//!
//! The main module's JS glue imports the loader, so the browser cannot start
//! the app until both have arrived, and it finds that import only once the
//! glue is parsed: a round trip after the glue, when the wasm has often
//! arrived already (measured on Posts: the loader was asked for after the
//! wasm had come, and hydration was 0.4 s later than without a split).
//! Leptos preloads the loader only on a page that uses a lazy route.

use leptos::prelude::*;

/// `<link rel="modulepreload">` for the loader, for the document's head.
#[component]
pub fn SplitLoaderPreload(options: LeptosOptions) -> impl IntoView {
    let href = format!("/{}/{}", options.site_pkg_dir, loader_file(&options));
    view! { <link rel="modulepreload" href=href /> }
}

/// The loader's file name: with hashed names (release builds), the `split`
/// line of the hash file beside the server binary, as Leptos reads it.
#[cfg(feature = "ssr")]
fn loader_file(options: &LeptosOptions) -> String {
    use std::sync::OnceLock;
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let hash = if options.hash_files {
            split_hash(options)
        } else {
            None
        };
        match hash {
            Some(hash) => format!("__wasm_split.{hash}.js"),
            None => UNHASHED.to_string(),
        }
    })
    .clone()
}

#[cfg(feature = "ssr")]
fn split_hash(options: &LeptosOptions) -> Option<String> {
    let dir = std::env::current_exe().ok()?.parent()?.to_path_buf();
    let hashes = std::fs::read_to_string(dir.join(options.hash_file.as_ref())).ok()?;
    hashes
        .lines()
        .find_map(|line| line.strip_prefix("split:"))
        .map(|hash| hash.trim().to_string())
}

/// The browser never renders the document's head.
#[cfg(not(feature = "ssr"))]
fn loader_file(_options: &LeptosOptions) -> String {
    UNHASHED.to_string()
}

/// The name without a hash (debug builds): the underscores stand for one.
const UNHASHED: &str = "__wasm_split.______________________.js";
