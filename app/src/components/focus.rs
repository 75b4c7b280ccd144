//! Moving focus inside a dialog when its step changes, so a keyboard or
//! screen-reader user lands on what the new step asks for (the button they
//! pressed is gone).

use leptos::prelude::*;

/// Focuses the first element matching `selector` inside the dialog, once
/// the new step has rendered.
pub fn focus_in(dialog: NodeRef<leptos::html::Dialog>, selector: &'static str) {
    request_animation_frame(move || {
        if let Some(el) = dialog
            .get_untracked()
            .and_then(|d| d.query_selector(selector).ok().flatten())
            .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
        {
            let _ = el.focus();
        }
    });
}
