//! "Export" in a list's header (this view or everything) and "Export
//! selected" in the bulk bar: a modal dialog with format, items and file name.
//!
//! Before anything starts the dialog says how much each choice holds and
//! whether the file comes at once or in the background (`preview_export`).
//! Exporting a selection is a bulk action: the count is typed to confirm,
//! and the server checks it again.

use super::confirm_field::ConfirmField;
use super::export_tracker::use_exports;
use super::selection::SelectionState;
use crate::api::{preview_export, StartExport};
use crate::format::thousands;
use crate::model::bulk::confirms_count;
use crate::model::export::default_filename_for_today;
use crate::model::query::Params;
use crate::model::{
    Entity, ExportConfirm, ExportFormat, ExportPreview, ExportRequest, ExportScope,
};
use leptos::prelude::*;

/// The format radios, shared with the Export page.
#[component]
pub fn FormatChoice(format: RwSignal<ExportFormat>) -> impl IntoView {
    view! {
        <fieldset class="choice">
            <legend>"Format"</legend>
            {ExportFormat::ALL
                .into_iter()
                .map(|f| {
                    view! {
                        <label class="choice__option">
                            <input
                                type="radio"
                                name="format"
                                value=f.ext()
                                prop:checked=move || format.get() == f
                                on:change=move |_| format.set(f)
                            />
                            {f.label()}
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}

/// The file name field: empty means the default, shown as the placeholder
/// and kept in step with the format.
#[component]
pub fn FilenameField(
    filename: RwSignal<String>,
    #[prop(into)] default: Signal<String>,
) -> impl IntoView {
    view! {
        <label class="field field--grow">
            <span class="field__label">"File name"</span>
            <input
                type="text"
                name="filename"
                maxlength="120"
                autocomplete="off"
                placeholder=move || default.get()
                prop:value=move || filename.get()
                on:input=move |ev| filename.set(event_target_value(&ev))
            />
            <span class="field__hint">{move || format!("Leave empty for {}", default.get())}</span>
        </label>
    }
}

/// "Downloads at once." or the background sentence, for a counted choice.
pub fn delivery_text(p: &ExportPreview) -> &'static str {
    if p.instant {
        "The file downloads at once."
    } else {
        "This runs in the background: keep working, and a notice offers the file when it is ready."
    }
}

/// Puts focus on the chosen format when a dialog opens (the browser would
/// pick the first radio, whatever is chosen).
pub fn focus_chosen_format(dialog: &web_sys::HtmlDialogElement) {
    if let Some(el) = dialog
        .query_selector("input[name=format]:checked")
        .ok()
        .flatten()
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
    {
        let _ = el.focus();
    }
}

/// What the dialog counts: the view and everything, or the selection.
#[derive(Clone, Debug, PartialEq)]
struct Counts {
    /// The view, or the selection.
    first: ExportPreview,
    /// Everything (not for a selection).
    all: Option<ExportPreview>,
}

/// What the button hands its dialog.
#[derive(Clone, Copy)]
struct DialogProps {
    entity: Entity,
    params: Signal<Params>,
    filtered: Signal<bool>,
    guild: Signal<String>,
    selected: Option<SelectionState>,
    /// Bumped by each click on the button: the dialog opens and counts
    /// again.
    opened: RwSignal<u32>,
}

/// The button, in the main module. The dialog behind it is code of its own
/// (`#[lazy]`, split by tools/wasm-split), fetched once the page is live so
/// that Posts' first load does not carry it; it is mounted at the first
/// click.
#[component]
pub fn ExportButton(
    entity: Entity,
    /// The list's URL query (its filters).
    #[prop(into)]
    params: Signal<Params>,
    #[prop(into)] filtered: Signal<bool>,
    #[prop(into)] guild: Signal<String>,
    /// Export these selected items instead of offering view/everything.
    #[prop(optional)]
    selected: Option<SelectionState>,
) -> impl IntoView {
    let opened = RwSignal::new(0u32);
    let props = DialogProps {
        entity,
        params,
        filtered,
        guild,
        selected,
        opened,
    };
    // Effects run in the browser only, after hydration: the dialog's code
    // arrives while the member looks at the page, not before it is live.
    Effect::new(move |_| {
        lazy_preload!(export_dialog);
    });
    view! {
        <button
            class="btn"
            type="button"
            on:click=move |_| opened.update(|n| *n += 1)
            aria-haspopup="dialog"
        >
            {if selected.is_some() { "Export selected…" } else { "Export…" }}
        </button>
        <Show when=move || {
            opened.get() > 0
        }>
            // No <Suspense> around it: the dialog's own counts would make
            // one fall back, dropping the dialog, each time they reload.
            {move || Suspend::new(export_dialog(props))}
        </Show>
    }
}

#[lazy]
async fn export_dialog(props: DialogProps) -> AnyView {
    view! { <ExportDialog props /> }.into_any()
}

#[component]
fn ExportDialog(props: DialogProps) -> impl IntoView {
    let DialogProps {
        entity,
        params,
        filtered,
        guild,
        selected,
        opened,
    } = props;
    let tracker = use_exports();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let format = RwSignal::new(ExportFormat::Csv);
    let whole = RwSignal::new(false);
    let filename = RwSignal::new(String::new());
    let typed = RwSignal::new(String::new());
    let start = ServerAction::<StartExport>::new();
    let error = RwSignal::new(None::<String>);

    let view_scope = move || {
        let mut view = params.get_untracked();
        view.remove("page");
        view.remove("per_page");
        ExportScope::View(view)
    };
    let request = move |scope: ExportScope| ExportRequest {
        entity,
        format: format.get_untracked(),
        scope,
        filename: String::new(),
        confirm: None,
    };
    // Bumped after a refusal (a changed selection): count again, keeping
    // the error on screen.
    let recount = RwSignal::new(0u32);
    // Counted afresh at each opening.
    let counts = LocalResource::new(move || {
        opened.track();
        recount.track();
        let slug = guild.get();
        // The default name follows the format.
        let _ = format.get();
        async move {
            let first = match selected {
                Some(sel) => ExportScope::Selected(sel.to_selection()),
                None => view_scope(),
            };
            let first = preview_export(slug.clone(), request(first)).await;
            let all = match selected {
                Some(_) => None,
                None => Some(preview_export(slug, request(ExportScope::All)).await),
            };
            match (first, all) {
                (Ok(first), None) => Ok(Counts { first, all: None }),
                (Ok(first), Some(Ok(all))) => Ok(Counts {
                    first,
                    all: Some(all),
                }),
                (Err(e), _) | (_, Some(Err(e))) => Err(e.to_string()),
            }
        }
    });
    let loaded = move || counts.get().and_then(Result::ok);
    // The choice the member is looking at.
    let chosen = move || {
        loaded().map(|c| match (whole.get(), c.all) {
            (true, Some(all)) => all,
            _ => c.first,
        })
    };
    let default = Signal::derive(move || {
        chosen()
            .map(|p| p.default_filename)
            .unwrap_or_else(|| default_filename_for_today(&guild.get(), entity, format.get()))
    });
    let title_id = format!(
        "export-{}{}-title",
        entity.as_str(),
        if selected.is_some() { "-selected" } else { "" }
    );
    let labelled_by = title_id.clone();

    // Each click: a fresh start, shown as a modal. The first run waits for
    // the dialog element, which is there once this view is mounted.
    Effect::new(move |_| {
        opened.track();
        let Some(d) = dialog.get() else {
            return;
        };
        error.set(None);
        typed.set(String::new());
        if !d.open() {
            let _ = d.show_modal();
            focus_chosen_format(&d);
        }
    });
    let close = move || {
        if let Some(d) = dialog.get() {
            d.close();
        }
    };
    Effect::new(move |_| {
        if let Some(result) = start.value().get() {
            match result {
                Ok(started) => {
                    close();
                    tracker.started(started);
                }
                Err(e) => {
                    error.set(Some(e.to_string()));
                    // A changed selection: show the new count to confirm.
                    recount.update(|n| *n += 1);
                }
            }
        }
    });
    let confirmed = move || match (selected, loaded()) {
        (None, _) => true,
        (Some(_), Some(c)) => confirms_count(&typed.get(), c.first.count),
        (Some(_), None) => false,
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !confirmed() {
            return;
        }
        let (scope, confirm) = if let Some(sel) = selected {
            let count = loaded().map_or(0, |c| c.first.count);
            (
                ExportScope::Selected(sel.to_selection()),
                Some(ExportConfirm {
                    count,
                    typed: typed.get_untracked(),
                }),
            )
        } else if whole.get_untracked() {
            (ExportScope::All, None)
        } else {
            (view_scope(), None)
        };
        start.dispatch(StartExport {
            guild: guild.get_untracked(),
            request: ExportRequest {
                filename: filename.get_untracked(),
                confirm,
                ..request(scope)
            },
        });
    };
    let what = entity.as_str();
    let counted = move |p: Option<ExportPreview>| {
        p.map(|p| entity.count(p.count))
            .unwrap_or_else(|| "counting…".into())
    };
    let items = match selected {
        Some(_) => view! {
            {move || {
                loaded()
                    .map(|c| {
                        let n = c.first.count;
                        view! {
                            <p class="confirm-sentence">
                                {format!("Export the {} selected.", entity.count(n))}
                            </p>
                            <ConfirmField hint=format!("Type {} to confirm", thousands(n)) typed />
                        }
                    })
            }}
        }
        .into_any(),
        None => view! {
            <fieldset class="choice">
                <legend>"Items"</legend>
                <label class="choice__option">
                    <input
                        type="radio"
                        name="scope"
                        value="view"
                        prop:checked=move || !whole.get()
                        on:change=move |_| whole.set(false)
                    />
                    {move || {
                        let n = counted(loaded().map(|c| c.first));
                        if filtered.get() {
                            format!("This view: {n} (the filters on screen, all pages)")
                        } else {
                            format!("This view: {n} (as sorted on screen)")
                        }
                    }}
                </label>
                <label class="choice__option">
                    <input
                        type="radio"
                        name="scope"
                        value="all"
                        prop:checked=move || whole.get()
                        on:change=move |_| whole.set(true)
                    />
                    {move || format!("Everything: {}", counted(loaded().and_then(|c| c.all)))}
                </label>
            </fieldset>
        }
        .into_any(),
    };
    let button_text = move || {
        if start.pending().get() {
            return "Preparing…".to_string();
        }
        match chosen() {
            Some(p) => format!("Export {}", entity.count(p.count)),
            None => "Export".into(),
        }
    };
    view! {
        <dialog node_ref=dialog class="dialog" aria-labelledby=labelled_by>
            <form class="dialog__body" on:submit=submit>
                <h2 id=title_id>
                    {if selected.is_some() {
                        format!("Export selected {what}")
                    } else {
                        format!("Export {what}")
                    }}
                </h2>
                <FormatChoice format />
                {items}
                <FilenameField filename default />
                <p class="dialog__note" role="status">
                    {move || chosen().map(|p| delivery_text(&p)).unwrap_or("Counting the items…")}
                </p>
                {move || {
                    counts
                        .get()
                        .and_then(Result::err)
                        .map(|e| {
                            view! {
                                <p class="form-error" role="alert">
                                    {e}
                                </p>
                            }
                        })
                }}
                <Show when=move || error.get().is_some()>
                    <p class="form-error" role="alert">
                        {move || error.get()}
                    </p>
                </Show>
                <div class="dialog__actions">
                    <button class="btn btn-ghost" type="button" on:click=move |_| close()>
                        "Cancel"
                    </button>
                    <button
                        class="btn btn-primary"
                        type="submit"
                        disabled=move || start.pending().get() || !confirmed()
                    >
                        {button_text}
                    </button>
                </div>
            </form>
        </dialog>
    }
}
