//! Selecting cards on a list page: the checkboxes, shift-click ranges, the
//! page checkbox and the Gmail-style "select all N matching" banner.
//!
//! The state is a value the server can resolve ([`Selection`]): hand-picked
//! ids, or "all matching this view" plus the ids unticked since. It belongs
//! to one view (the filters); paging keeps it, changing a filter clears it.

use crate::format::thousands;
use crate::model::query::Params;
use crate::model::Selection;
use leptos::prelude::*;
use std::collections::BTreeSet;

/// URL parameters that change how a view is shown, not what it contains.
const PRESENTATION_PARAMS: [&str; 3] = ["page", "per_page", "sort"];

/// The filters of a view: its URL parameters without the presentation ones.
pub fn view_filters(params: &Params) -> Params {
    params
        .iter()
        .filter(|(k, v)| !PRESENTATION_PARAMS.contains(&k.as_str()) && !v.trim().is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A selection as it was, to put back (see [`SelectionState::borrow`]).
#[derive(Clone, Debug, PartialEq)]
struct Saved {
    ids: BTreeSet<i64>,
    all: bool,
    anchor: Option<i64>,
}

#[derive(Clone, Copy)]
pub struct SelectionState {
    /// Ticked ids, or with `all` the unticked ones.
    ids: RwSignal<BTreeSet<i64>>,
    /// "All matching this view" was chosen.
    all: RwSignal<bool>,
    /// Items matching the view.
    total: RwSignal<i64>,
    /// `total` is an estimate (a big search): sentences say "about", and
    /// the action's preview gives the exact count before anything is done.
    estimated: RwSignal<bool>,
    /// The ids on the page shown, in order (for ranges and the page checkbox).
    page_ids: RwSignal<Vec<i64>>,
    /// The last card clicked without shift.
    anchor: RwSignal<Option<i64>>,
    /// The view the selection belongs to.
    filters: RwSignal<Params>,
    /// Said once, e.g. "The filters changed, so the selection was cleared."
    pub notice: RwSignal<Option<String>>,
    /// What the member had selected before a dialog replaced it for one
    /// action (a row's Restore, Empty trash); put back when the dialog
    /// closes unconfirmed.
    saved: RwSignal<Option<Saved>>,
    /// "post" / "posts", for the sentences.
    one: &'static str,
    many: &'static str,
}

impl SelectionState {
    pub fn new(one: &'static str, many: &'static str) -> Self {
        Self {
            ids: RwSignal::new(BTreeSet::new()),
            all: RwSignal::new(false),
            total: RwSignal::new(0),
            estimated: RwSignal::new(false),
            page_ids: RwSignal::new(Vec::new()),
            anchor: RwSignal::new(None),
            filters: RwSignal::new(Params::new()),
            notice: RwSignal::new(None),
            saved: RwSignal::new(None),
            one,
            many,
        }
    }

    /// Replaces the selection for one action, keeping the member's own to
    /// put back with [`Self::give_back`] if the action is not confirmed.
    pub fn borrow(&self, replace: impl FnOnce(&Self)) {
        if self.saved.get_untracked().is_none() {
            self.saved.set(Some(Saved {
                ids: self.ids.get_untracked(),
                all: self.all.get_untracked(),
                anchor: self.anchor.get_untracked(),
            }));
        }
        replace(self);
    }

    /// A dialog closed without confirming: the selection is exactly what it
    /// was before the dialog borrowed it. Nothing to do if nothing was
    /// borrowed (the dialog acted on the member's own selection).
    pub fn give_back(&self) {
        if let Some(saved) = self.saved.get_untracked() {
            self.saved.set(None);
            self.ids.set(saved.ids);
            self.all.set(saved.all);
            self.anchor.set(saved.anchor);
        }
    }

    /// Called when a page of the view arrives. A different view (filters)
    /// clears the selection, and says so.
    pub fn show_page(&self, params: &Params, page_ids: Vec<i64>, total: i64, estimated: bool) {
        let filters = view_filters(params);
        if self.filters.get_untracked() != filters {
            if self.count_untracked() > 0 {
                self.notice.set(Some(
                    "The filters changed, so the selection was cleared.".into(),
                ));
            }
            self.reset();
            self.filters.set(filters);
        }
        self.page_ids.set(page_ids);
        self.total.set(total);
        self.estimated.set(estimated);
    }

    fn reset(&self) {
        self.ids.set(BTreeSet::new());
        self.all.set(false);
        self.anchor.set(None);
    }

    /// Empties the selection (and forgets a borrowed one: a confirmed
    /// action ends with this).
    pub fn clear(&self) {
        self.reset();
        self.saved.set(None);
        self.notice.set(None);
    }

    pub fn is_selected(&self, id: i64) -> bool {
        self.all.get() != self.ids.with(|ids| ids.contains(&id))
    }

    fn is_selected_untracked(&self, id: i64) -> bool {
        self.all.get_untracked() != self.ids.with_untracked(|ids| ids.contains(&id))
    }

    pub fn count(&self) -> i64 {
        let n = self.ids.with(|ids| ids.len() as i64);
        if self.all.get() {
            (self.total.get() - n).max(0)
        } else {
            n
        }
    }

    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    fn count_untracked(&self) -> i64 {
        untrack(|| self.count())
    }

    pub fn is_all(&self) -> bool {
        self.all.get()
    }

    pub fn total(&self) -> i64 {
        self.total.get()
    }

    fn set(&self, id: i64, on: bool) {
        let unticked_list = self.all.get_untracked();
        self.ids.update(|ids| {
            if on != unticked_list {
                ids.insert(id);
            } else {
                ids.remove(&id);
            }
        });
    }

    /// A click on a card's checkbox. With shift, the range from the anchor
    /// takes the anchor's state: ticked anchor → tick the range, unticked
    /// anchor → untick it.
    pub fn click(&self, id: i64, shift: bool) {
        self.notice.set(None);
        let page = self.page_ids.get_untracked();
        let anchor = self
            .anchor
            .get_untracked()
            .filter(|a| *a != id && page.contains(a));
        match (shift, anchor) {
            (true, Some(anchor)) => {
                let on = self.is_selected_untracked(anchor);
                let (a, b) = (
                    page.iter().position(|x| *x == anchor).unwrap_or(0),
                    page.iter().position(|x| *x == id).unwrap_or(0),
                );
                for x in &page[a.min(b)..=a.max(b)] {
                    self.set(*x, on);
                }
            }
            _ => {
                let on = !self.is_selected_untracked(id);
                self.set(id, on);
                self.anchor.set(Some(id));
            }
        }
    }

    /// The page checkbox: ticks the whole page, or unticks it when it is
    /// all ticked already.
    pub fn toggle_page(&self) {
        self.notice.set(None);
        let on = !self.page_all_selected_untracked();
        for id in self.page_ids.get_untracked() {
            self.set(id, on);
        }
    }

    fn page_all_selected_untracked(&self) -> bool {
        untrack(|| self.page_all_selected())
    }

    pub fn page_all_selected(&self) -> bool {
        let page = self.page_ids.get();
        !page.is_empty() && page.iter().all(|id| self.is_selected(*id))
    }

    pub fn page_some_selected(&self) -> bool {
        self.page_ids.get().iter().any(|id| self.is_selected(*id))
    }

    pub fn select_all_matching(&self) {
        self.ids.set(BTreeSet::new());
        self.all.set(true);
    }

    /// Selects exactly `ids` (e.g. the failed items of a bulk action).
    pub fn select_ids(&self, ids: impl IntoIterator<Item = i64>) {
        self.reset();
        self.notice.set(None);
        self.ids.set(ids.into_iter().collect());
    }

    /// The selection as the server resolves it.
    pub fn to_selection(&self) -> Selection {
        let ids: Vec<i64> = self.ids.get_untracked().into_iter().collect();
        if self.all.get_untracked() {
            Selection::AllMatching {
                filter: self.filters.get_untracked(),
                except: ids,
            }
        } else {
            Selection::Ids(ids)
        }
    }

    /// "3 posts selected".
    pub fn count_text(&self) -> String {
        let n = self.count();
        format!(
            "{}{} {} selected",
            if self.is_estimate() { "about " } else { "" },
            thousands(n),
            if n == 1 { self.one } else { self.many }
        )
    }

    /// The count is "all of an estimated total" (less any unticked).
    fn is_estimate(&self) -> bool {
        self.all.get() && self.estimated.get()
    }

    pub fn noun(&self, n: i64) -> &'static str {
        if n == 1 {
            self.one
        } else {
            self.many
        }
    }
}

/// A card's checkbox.
#[component]
pub fn SelectBox(selection: SelectionState, id: i64, label: String) -> impl IntoView {
    let on_click = move |ev: leptos::ev::MouseEvent| {
        selection.click(id, ev.shift_key());
        // The browser already flipped the box; a shift-range may want it
        // the other way, and an unchanged signal would not correct it.
        let input: web_sys::HtmlInputElement = event_target(&ev);
        input.set_checked(selection.is_selected_untracked(id));
    };
    // Disabled until the wasm runs: a tick made before would be lost.
    view! {
        <input
            type="checkbox"
            class="card-check"
            aria-label=label
            disabled=move || !crate::Hydrated::get()
            prop:checked=move || selection.is_selected(id)
            on:click=on_click
        />
    }
}

/// Above the cards: the page checkbox, the count, and the banner offering
/// every matching item once the whole page is ticked.
#[component]
pub fn SelectionToolbar(selection: SelectionState) -> impl IntoView {
    let s = selection;
    // In the browser, once the page is live: the bulk bar's code, so that
    // it is there by the first tick.
    Effect::new(move |_| super::bulk_bar::preload_bulk_bar());
    // Esc clears the selection, unless it is closing a dialog.
    Effect::new(move |_| {
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            let dialog_open = document()
                .query_selector("dialog[open]")
                .ok()
                .flatten()
                .is_some();
            if ev.key() == "Escape" && !dialog_open && s.count_untracked() > 0 {
                s.clear();
                s.notice.set(Some("Selection cleared.".into()));
            }
        });
        on_cleanup(move || handle.remove());
    });
    let page_len = move || s.page_ids.with(|p| p.len() as i64);
    let banner = move || {
        let total = s.total();
        if s.is_all() {
            let n = s.count();
            let unticked = total - n;
            let text = match (s.estimated.get(), unticked) {
                (false, 0) => {
                    format!("All {} {} are selected", thousands(total), s.noun(total))
                }
                (false, _) => format!(
                    "{} of {} {} are selected",
                    thousands(n),
                    thousands(total),
                    s.noun(total)
                ),
                (true, 0) => format!("All of about {} {} are selected", thousands(total), s.many),
                (true, _) => format!(
                    "All but {} of about {} {} are selected",
                    thousands(unticked),
                    thousands(total),
                    s.many
                ),
            };
            Some(
                view! {
                    <p class="select-banner" role="status">
                        {text}
                        " · "
                        <button class="link-button" type="button" on:click=move |_| s.clear()>
                            "Clear selection"
                        </button>
                    </p>
                }
                .into_any(),
            )
        } else if s.page_all_selected() && total > page_len() {
            Some(
                view! {
                    <p class="select-banner" role="status">
                        {format!(
                            "All {} {} on this page are selected. ",
                            page_len(),
                            s.noun(page_len()),
                        )}
                        <button
                            class="link-button"
                            type="button"
                            on:click=move |_| s.select_all_matching()
                        >
                            {if s.estimated.get() {
                                format!(
                                    "Select all {} matching this view (about {})",
                                    s.many,
                                    thousands(total),
                                )
                            } else {
                                format!(
                                    "Select all {} {} matching this view",
                                    thousands(total),
                                    s.noun(total),
                                )
                            }}
                        </button>
                    </p>
                }
                .into_any(),
            )
        } else {
            None
        }
    };
    view! {
        <div class="select-toolbar">
            <label class="select-page">
                <input
                    type="checkbox"
                    class="page-check"
                    disabled=move || !crate::Hydrated::get()
                    prop:checked=move || s.page_all_selected()
                    prop:indeterminate=move || s.page_some_selected() && !s.page_all_selected()
                    on:change=move |_| s.toggle_page()
                />
                "Select page"
            </label>
            <span class="select-count" aria-live="polite">
                {move || (s.count() > 0).then(|| s.count_text())}
            </span>
            <span class="select-notice" role="status">
                {move || s.notice.get()}
            </span>
        </div>
        {banner}
    }
}
