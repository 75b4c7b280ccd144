//! Pieces both list pages use.

use crate::model::query::Params;
use crate::model::{Named, Platform, PAGE_SIZES};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

/// The page's URL query as plain pairs (last value per key wins).
pub fn url_params() -> Memo<Params> {
    let query = use_query_map();
    Memo::new(move |_| {
        let map: ParamsMap = query.get();
        map.latest_values()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    })
}

pub fn platform_options() -> Vec<(String, String)> {
    Platform::ALL
        .iter()
        .map(|p| (p.as_str().to_string(), p.label().to_string()))
        .collect()
}

/// Options for a brand/group select, with "none" for unassigned items.
pub fn named_options(items: &[Named], none_label: &str) -> Vec<(String, String)> {
    items
        .iter()
        .map(|n| (n.id.to_string(), n.name.clone()))
        .chain(std::iter::once((
            "none".to_string(),
            none_label.to_string(),
        )))
        .collect()
}

pub fn page_size_options() -> Vec<(String, String)> {
    PAGE_SIZES
        .iter()
        .map(|n| (n.to_string(), format!("{n} per page")))
        .collect()
}

/// The empty state: different words for "nothing here" and "nothing matches".
#[component]
pub fn EmptyState(filtered: bool, what: &'static str, clear_href: String) -> impl IntoView {
    view! {
        <div class="panel empty" role="status">
            {if filtered {
                view! {
                    <h2>{format!("No {what} match these filters")}</h2>
                    <p>"Try fewer filters or a shorter search."</p>
                    <a class="btn" href=clear_href>"Clear filters"</a>
                }.into_any()
            } else {
                view! {
                    <h2>{format!("No {what} yet")}</h2>
                    <p>{format!("Tracked {what} appear here as soon as the bot records them.")}</p>
                }.into_any()
            }}
        </div>
    }
}
