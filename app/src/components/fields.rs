//! Filter-bar controls. Each keeps the server-rendered value as an attribute
//! (so the form is right before the wasm loads) and as a property (so it
//! follows client-side navigation, e.g. "Clear filters").

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Submits the enclosing form when a select changes: filters apply at once
/// once the wasm runs; before that, the Apply button does it.
fn submit_enclosing_form(ev: leptos::ev::Event) {
    if let Some(select) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
    {
        if let Some(form) = select.form() {
            let _ = form.request_submit();
        }
    }
}

/// A labelled `<select>`; the first option is "any" (empty value).
#[component]
pub fn SelectField(
    label: &'static str,
    name: &'static str,
    /// (value, label) pairs.
    options: Vec<(String, String)>,
    #[prop(into)] value: Signal<String>,
    #[prop(optional)] any_label: Option<&'static str>,
    /// Filter bars apply a pick at once; other forms wait for their button.
    #[prop(default = true)]
    auto_submit: bool,
) -> impl IntoView {
    let opts = any_label
        .map(|l| (String::new(), l.to_string()))
        .into_iter()
        .chain(options)
        .map(|(v, l)| {
            let v2 = v.clone();
            view! { <option value=v selected=move || value.get() == v2>{l}</option> }
        })
        .collect::<Vec<_>>();
    view! {
        <label class="field">
            <span>{label}</span>
            <select name=name prop:value=move || value.get()
                on:change=move |ev| if auto_submit { submit_enclosing_form(ev) }>{opts}</select>
        </label>
    }
}

/// A labelled text-like `<input>`.
#[component]
pub fn InputField(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(into)] value: Signal<String>,
    #[prop(optional)] placeholder: &'static str,
    #[prop(optional)] class: &'static str,
) -> impl IntoView {
    view! {
        <label class=format!("field {class}")>
            <span>{label}</span>
            <input type=kind name=name placeholder=placeholder value=move || value.get() prop:value=move || value.get()/>
        </label>
    }
}
