//! What a settings form says after Save: why it was refused, or "Saved.".

use leptos::prelude::*;

#[component]
pub fn FormStatus(
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(into)] saved: Signal<bool>,
) -> impl IntoView {
    view! {
        {move || {
            error
                .get()
                .map(|e| {
                    view! {
                        <p class="alert alert-error" role="alert">
                            {e}
                        </p>
                    }
                })
        }}
        {move || {
            saved
                .get()
                .then(|| {
                    view! {
                        <p class="alert alert-success" role="status">
                            "Saved."
                        </p>
                    }
                })
        }}
    }
}
