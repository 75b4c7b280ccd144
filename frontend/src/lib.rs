//! The browser entry point: hydrates the server-rendered page.

// The scripts build with Leptos's type-erased views (`--cfg
// erase_components`, scripts/lib.sh). A build without that flag keeps the
// full view types, and the list pages' types are deeper than the default
// limit of 128.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // `hydrate_lazy`, not `hydrate_body`: a page opened on a lazy route
    // (app/src/lib.rs) can only hydrate once its module has arrived, so
    // hydration waits for it.
    leptos::mount::hydrate_lazy(app::App);
}
