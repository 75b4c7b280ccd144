//! The browser entry point: hydrates the server-rendered page.

// Release builds keep Leptos's full view types (debug builds erase them
// with `--cfg erase_components`); the list pages' types are deeper than
// the default limit of 128.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
