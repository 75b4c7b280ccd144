//! Pieces both list pages use.

use crate::components::pager::Pager;
use crate::format::count;
use crate::model::query::Params;
use crate::model::{Named, PageInfo, Platform, PAGE_SIZES};
use leptos::prelude::*;
use leptos_router::components::Form;
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

/// The filter bar: a GET form (client-side navigation once hydrated, a plain
/// form before), the fields, Apply, and "Clear filters" when filtered.
#[component]
pub fn FilterForm(
    label: &'static str,
    /// The list's own path; the form submits to it.
    #[prop(into)]
    path: Signal<String>,
    #[prop(into)] filtered: Signal<bool>,
    children: Children,
) -> impl IntoView {
    view! {
        <Form method="GET" action=move || path.get() attr:class="filter-bar" attr:role="search" attr:aria-label=label>
            {children()}
            <div class="filter-actions">
                <button class="btn btn-primary" type="submit">"Apply"</button>
                <Show when=move || filtered.get()>
                    <a class="btn btn-ghost" href=move || path.get()>"Clear filters"</a>
                </Show>
            </div>
        </Form>
    }
}

/// The results of a list page: the total, then the cards and the pager, or
/// the empty state that fits ("nothing yet", "nothing matches", "past the end").
#[component]
pub fn ListResults(
    info: PageInfo,
    cards: Vec<AnyView>,
    one: &'static str,
    many: &'static str,
    filtered: bool,
    /// The URL of page n of this view.
    href: Callback<u32, String>,
    /// The unfiltered list.
    clear_href: String,
    #[prop(optional)] grid_class: &'static str,
) -> impl IntoView {
    let summary =
        view! { <p class="list-total" aria-live="polite">{count(info.total, one, many)}</p> };
    let body = if !cards.is_empty() {
        view! {
            <div class=format!("card-grid {grid_class}")>{cards}</div>
            <Pager info one many href/>
        }
        .into_any()
    } else if info.total > 0 {
        view! {
            <div class="panel empty">
                <h2>"This page is past the end"</h2>
                <a class="btn" href=href.run(info.page_count())>"Go to the last page"</a>
            </div>
        }
        .into_any()
    } else {
        view! { <EmptyState filtered what=many clear_href/> }.into_any()
    };
    view! { {summary}{body} }
}
