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
            view! {
                <option value=v selected=move || value.get() == v2>
                    {l}
                </option>
            }
        })
        .collect::<Vec<_>>();
    view! {
        <label class="field">
            <span>{label}</span>
            <select
                name=name
                prop:value=move || value.get()
                on:change=move |ev| {
                    if auto_submit {
                        submit_enclosing_form(ev)
                    }
                }
            >
                {opts}
            </select>
        </label>
    }
}

/// How long typing must pause before a filter bar's text applies.
const TYPING_PAUSE: std::time::Duration = std::time::Duration::from_millis(450);

/// Submits the form of `input`, if it has one.
fn submit_form_of(input: &web_sys::HtmlInputElement) {
    if let Some(form) = input.form() {
        let _ = form.request_submit();
    }
}

/// A labelled text-like `<input>`.
///
/// In a filter bar (`auto_submit`) it applies like the selects do, without
/// Apply: a date when it is picked, text and numbers once typing pauses.
/// The URL then updates the value; it is not written back while the field
/// has focus, so a keystroke made meanwhile is never overwritten.
#[component]
pub fn InputField(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(into)] value: Signal<String>,
    #[prop(optional)] placeholder: &'static str,
    #[prop(optional)] class: &'static str,
    #[prop(default = true)] auto_submit: bool,
) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let pending = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        let v = value.get();
        if let Some(el) = input.get() {
            let focused = document().active_element().is_some_and(|a| {
                let el: &web_sys::Element = &el;
                &a == el
            });
            if !focused && el.value() != v {
                el.set_value(&v);
            }
        }
    });
    let typed = move |_| {
        if !auto_submit || kind == "date" {
            return;
        }
        if let Some(h) = pending.try_get_value().flatten() {
            h.clear();
        }
        // The field may be gone by then (the page moved on): then nothing.
        let handle = set_timeout_with_handle(
            move || {
                if let Some(el) = input.try_get_untracked().flatten() {
                    submit_form_of(&el);
                }
            },
            TYPING_PAUSE,
        )
        .ok();
        pending.set_value(handle);
    };
    on_cleanup(move || {
        if let Some(h) = pending.try_get_value().flatten() {
            h.clear();
        }
    });
    let changed = move |_| {
        if auto_submit && kind == "date" {
            if let Some(el) = input.get_untracked() {
                submit_form_of(&el);
            }
        }
    };
    view! {
        <label class=format!("field {class}")>
            <span>{label}</span>
            <input
                node_ref=input
                type=kind
                name=name
                placeholder=placeholder
                value=move || value.get()
                on:input=typed
                on:change=changed
            />
        </label>
    }
}
