//! The browser entry point: hydrates the server-rendered page.

// The scripts build with Leptos's type-erased views (`--cfg
// erase_components`, scripts/lib.sh). A build without that flag keeps the
// full view types, and the list pages' types are deeper than the default
// limit of 128.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // What `leptos::mount::hydrate_lazy` does, and then the mark that the
    // page is live. Hydration is asynchronous: a page opened on a lazy route
    // (app/src/lib.rs) hydrates only once its wasm module has arrived, well
    // after the shell around it, so an effect in `App` would say "hydrated"
    // too early (a test then clicked a form that did nothing yet).
    let _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        let body = leptos::prelude::document()
            .body()
            .expect("the page has a body");
        leptos::mount::hydrate_from_async(body, app::App)
            .await
            .forget();
        app::finish_hydration();
    });
}
