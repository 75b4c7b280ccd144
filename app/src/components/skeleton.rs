use leptos::prelude::*;

/// Grey placeholder cards while a list loads.
#[component]
pub fn CardSkeletons(#[prop(default = 6)] count: usize) -> impl IntoView {
    view! {
        <div class="card-grid" aria-busy="true" aria-label="Loading">
            {(0..count)
                .map(|_| {
                    view! {
                        <div class="card card--skeleton">
                            <div class="sk sk-line"></div>
                            <div class="sk sk-line short"></div>
                            <div class="sk sk-block"></div>
                        </div>
                    }
                })
                .collect::<Vec<_>>()}
        </div>
    }
}
