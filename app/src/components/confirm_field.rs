//! The type-to-confirm field of every bulk action's dialog (delete,
//! reassign, restore, permanent delete, export of a selection).

use leptos::prelude::*;

#[component]
pub fn ConfirmField(
    /// "Type 1,234 to confirm", "Type 12 or DELETE to confirm".
    #[prop(into)]
    hint: String,
    typed: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label class="field">
            <span class="field__label">{hint}</span>
            <input
                type="text"
                name="confirm"
                autocomplete="off"
                spellcheck="false"
                inputmode="text"
                prop:value=move || typed.get()
                on:input=move |ev| typed.set(event_target_value(&ev))
            />
        </label>
    }
}
