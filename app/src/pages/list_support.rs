//! Pieces both list pages use.

use crate::components::pager::Pager;
use crate::model::query::{to_query_string, Params};
use crate::model::{Named, PageInfo, Platform, PAGE_SIZES};
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
                    <a class="btn" href=clear_href>
                        "Clear filters"
                    </a>
                }
                    .into_any()
            } else {
                view! {
                    <h2>{format!("No {what} yet")}</h2>
                    <p>{format!("Tracked {what} appear here as soon as the bot records them.")}</p>
                }
                    .into_any()
            }}
        </div>
    }
}

/// The filter bar: a GET form (a plain form before the wasm loads), the
/// fields, Apply, and "Clear filters" when filtered.
///
/// Once hydrated, a submit navigates to the canonical URL of what was
/// chosen: `canonical` parses the set fields with the page's own filter
/// parser and writes them back without empty fields or defaults, so a
/// shared link holds only the filters that are set. A value the parser
/// refuses is kept as typed, for the list to explain.
#[component]
pub fn FilterForm(
    label: &'static str,
    /// The list's own path; the form submits to it.
    #[prop(into)]
    path: Signal<String>,
    #[prop(into)] filtered: Signal<bool>,
    /// How many filters are set: small screens fold the bar behind a
    /// "Filters (3)" button.
    #[prop(into)]
    active: Signal<usize>,
    /// The page's filter, parsed and written back (`PostFilter::to_query`).
    canonical: fn(&Params) -> Option<String>,
    children: Children,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let panel_id = format!(
        "filters-{}",
        label
            .to_lowercase()
            .replace(|c: char| !c.is_alphanumeric(), "-")
    );
    let controls = panel_id.clone();
    let navigate = leptos_router::hooks::use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        let Some(form) = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlFormElement>(t).ok())
        else {
            return;
        };
        ev.prevent_default();
        let set = form_values(&form);
        let query = canonical(&set)
            .unwrap_or_else(|| to_query_string(set.iter().map(|(k, v)| (k.as_str(), v.clone()))));
        navigate(
            &format!("{}{query}", path.get_untracked()),
            Default::default(),
        );
    };
    view! {
        <div class="filter-panel" class:filter-panel--open=move || open.get()>
            <button class="btn filter-toggle" type="button" aria-controls=controls
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)>
                {move || match active.get() {
                    0 => "Filters".to_string(),
                    n => format!("Filters ({n})"),
                }}
            </button>
            <form id=panel_id method="GET" action=move || path.get() class="filter-bar" role="search" aria-label=label
                on:submit=submit>
                {children()}
                <div class="filter-actions">
                    <button class="btn btn-primary" type="submit">"Apply"</button>
                    <Show when=move || filtered.get()>
                        <a class="btn btn-ghost" href=move || path.get()>"Clear filters"</a>
                    </Show>
                </div>
            </form>
        </div>
    }
}

/// The named, non-empty fields of a form (inputs and selects), trimmed.
pub fn form_values(form: &web_sys::HtmlFormElement) -> Params {
    let mut out = Params::new();
    let elements = form.elements();
    for i in 0..elements.length() {
        let Some(el) = elements.item(i) else { continue };
        let (name, value) =
            if let Some(input) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlInputElement>(&el) {
                (input.name(), input.value())
            } else if let Some(select) =
                wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlSelectElement>(&el)
            {
                (select.name(), select.value())
            } else {
                continue;
            };
        let value = value.trim();
        if !name.is_empty() && !value.is_empty() {
            out.insert(name, value.to_string());
        }
    }
    out
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
    let summary = view! {
        <p class="list-total" aria-live="polite">
            {info.total_text(one, many)}
        </p>
    };
    let body = if !cards.is_empty() {
        view! {
            <div class=format!("card-grid {grid_class}")>{cards}</div>
            <Pager info one many href />
        }
        .into_any()
    } else if info.total > 0 {
        // An estimate has no known last page, so it offers the first.
        let (target, label) = if info.estimated {
            (1, "Go to the first page")
        } else {
            (info.page_count(), "Go to the last page")
        };
        view! {
            <div class="panel empty">
                <h2>"This page is past the end"</h2>
                <a class="btn" href=href.run(target)>
                    {label}
                </a>
            </div>
        }
        .into_any()
    } else {
        view! { <EmptyState filtered what=many clear_href /> }.into_any()
    };
    view! {
        {summary}
        {body}
    }
}
