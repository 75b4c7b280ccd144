//! "Export" in a list's header (this view or everything) and "Export
//! selected" in the bulk bar: a modal dialog with format, items and file name.

use super::export_tracker::use_exports;
use super::selection::SelectionState;
use crate::api::StartExport;
use crate::model::export::default_filename_for_today;
use crate::model::query::Params;
use crate::model::{ExportEntity, ExportFormat, ExportRequest, ExportScope};
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
                            <input type="radio" name="format" value=f.ext()
                                prop:checked=move || format.get() == f
                                on:change=move |_| format.set(f)/>
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
            <input type="text" name="filename" maxlength="120" autocomplete="off"
                placeholder=move || default.get()
                prop:value=move || filename.get()
                on:input=move |ev| filename.set(event_target_value(&ev))/>
            <span class="field__hint">{move || format!("Leave empty for {}", default.get())}</span>
        </label>
    }
}

#[component]
pub fn ExportButton(
    entity: ExportEntity,
    /// The list's URL query (its filters).
    #[prop(into)]
    params: Signal<Params>,
    #[prop(into)] filtered: Signal<bool>,
    #[prop(into)] guild: Signal<String>,
    /// Export these selected items instead of offering view/everything.
    #[prop(optional)]
    selected: Option<SelectionState>,
) -> impl IntoView {
    let tracker = use_exports();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let format = RwSignal::new(ExportFormat::Csv);
    let whole = RwSignal::new(false);
    let filename = RwSignal::new(String::new());
    let start = ServerAction::<StartExport>::new();
    let error = RwSignal::new(None::<String>);
    let default =
        Signal::derive(move || default_filename_for_today(&guild.get(), entity, format.get()));
    let title_id = format!(
        "export-{}{}-title",
        entity.as_str(),
        if selected.is_some() { "-selected" } else { "" }
    );
    let labelled_by = title_id.clone();

    let open = move |_| {
        error.set(None);
        if let Some(d) = dialog.get() {
            let _ = d.show_modal();
        }
    };
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
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut view = params.get_untracked();
        view.remove("page");
        view.remove("per_page");
        let scope = if let Some(sel) = selected {
            ExportScope::Selected(sel.to_selection())
        } else if whole.get_untracked() {
            ExportScope::All
        } else {
            ExportScope::View(view)
        };
        start.dispatch(StartExport {
            guild: guild.get_untracked(),
            request: ExportRequest {
                entity,
                format: format.get_untracked(),
                scope,
                filename: filename.get_untracked(),
            },
        });
    };
    let what = entity.as_str();
    view! {
        <button class="btn" type="button" on:click=open aria-haspopup="dialog">
            {if selected.is_some() { "Export selected…" } else { "Export…" }}
        </button>
        <dialog node_ref=dialog class="dialog" aria-labelledby=labelled_by>
            <form class="dialog__body" on:submit=submit>
                <h2 id=title_id>{if selected.is_some() { format!("Export selected {what}") } else { format!("Export {what}") }}</h2>
                <FormatChoice format/>
                {match selected {
                    Some(sel) => view! {
                        <p class="dialog__note">{move || format!("The {}.", sel.count_text())}</p>
                    }.into_any(),
                    None => view! {
                <fieldset class="choice">
                    <legend>"Items"</legend>
                    <label class="choice__option">
                        <input type="radio" name="scope" value="view" prop:checked=move || !whole.get()
                            on:change=move |_| whole.set(false)/>
                        {move || if filtered.get() {
                            "This view (the filters on screen, all pages)".to_string()
                        } else {
                            format!("This view (all {what}, as sorted on screen)")
                        }}
                    </label>
                    <label class="choice__option">
                        <input type="radio" name="scope" value="all" prop:checked=move || whole.get()
                            on:change=move |_| whole.set(true)/>
                        {format!("All {what} of the guild")}
                    </label>
                </fieldset>
                    }.into_any(),
                }}
                <FilenameField filename default/>
                <p class="dialog__note">"Small exports download at once; large ones run in the background and show their progress here and on the Export page."</p>
                <Show when=move || error.get().is_some()>
                    <p class="form-error" role="alert">{move || error.get()}</p>
                </Show>
                <div class="dialog__actions">
                    <button class="btn btn-ghost" type="button" on:click=move |_| close()>"Cancel"</button>
                    <button class="btn btn-primary" type="submit" disabled=move || start.pending().get()>
                        {move || if start.pending().get() { "Preparing…" } else { "Export" }}
                    </button>
                </div>
            </form>
        </dialog>
    }
}
