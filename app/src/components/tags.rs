use crate::model::{Named, Platform};
use leptos::prelude::*;

#[component]
pub fn PlatformBadge(platform: Platform) -> impl IntoView {
    view! {
        <span class=format!(
            "badge platform platform--{}",
            platform.as_str(),
        )>{platform.label()}</span>
    }
}

/// Group and brand chips; "No group" / "No brand" when unassigned.
#[component]
pub fn Assignment(group: Option<Named>, brand: Option<Named>) -> impl IntoView {
    let group = group.map(|g| g.name).unwrap_or_else(|| "No group".into());
    let brand = brand.map(|b| b.name).unwrap_or_else(|| "No brand".into());
    view! {
        <span class="chip" title="Group">
            {group}
        </span>
        <span class="chip chip--brand" title="Brand">
            {brand}
        </span>
    }
}
