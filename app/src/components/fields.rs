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
///
/// The options go in as HTML (`inner_html`) rather than as views: hydration
/// then leaves them to the browser instead of claiming each one, with an
/// effect per option for `selected`. A guild's account filter has one per
/// live account (300 in the demo guild), and that was about a quarter of
/// the elements Posts hydrated. The option of the value at render time
/// carries `selected`, so the form is right before the wasm loads; after
/// that the `value` property follows the signal.
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
    let any = any_label.map(|l| (String::new(), l.to_string()));
    let html = options_html(any.into_iter().chain(options), &value.get_untracked());
    view! {
        <label class="field">
            <span>{label}</span>
            // `inner_html` before `prop:value`: a select made in the
            // browser (client-side navigation) has its options by the
            // time its value is set.
            <select
                name=name
                inner_html=html
                prop:value=move || value.get()
                on:change=move |ev| {
                    if auto_submit {
                        submit_enclosing_form(ev)
                    }
                }
            ></select>
        </label>
    }
}

/// `<option>` elements for `options`, the one whose value is `selected`
/// marked so.
fn options_html(options: impl Iterator<Item = (String, String)>, selected: &str) -> String {
    let mut html = String::new();
    for (value, label) in options {
        html.push_str("<option value=\"");
        push_escaped(&mut html, &value);
        html.push('"');
        if value == selected {
            html.push_str(" selected");
        }
        html.push('>');
        push_escaped(&mut html, &label);
        html.push_str("</option>");
    }
    html
}

/// `text` escaped for HTML text and quoted attribute values.
fn push_escaped(html: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            c => html.push(c),
        }
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

#[cfg(test)]
mod tests {
    use super::options_html;

    #[test]
    fn options_are_escaped_and_the_current_value_is_selected() {
        let options = [
            (String::new(), "All accounts".to_string()),
            ("7".to_string(), "@a<b>&\"c' · X".to_string()),
        ];

        let html = options_html(options.into_iter(), "7");

        assert_eq!(
            html,
            "<option value=\"\">All accounts</option>\
             <option value=\"7\" selected>@a&lt;b&gt;&amp;&quot;c&#39; · X</option>"
        );
    }
}
