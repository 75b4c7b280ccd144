//! The sticky bar shown while cards are selected, and the type-to-confirm
//! dialog behind its actions. On the list pages: Delete, Export selected,
//! Reassign, Clear. Under Deleted Items (`trash`): Restore, Delete
//! permanently, Clear.

use super::export_dialog::ExportButton;
use super::selection::SelectionState;
use crate::api::{PreviewBulk, StartBulk};
use crate::model::bulk::{confirm_hint, confirms, needs_typing};
use crate::model::{
    BulkAction, BulkConfirm, BulkRequest, BulkRun, Change, ExportEntity, GuildContext, Role,
};
use crate::pages::guild_layout::use_guild;
use leptos::prelude::*;

fn change_of(value: &str) -> Change {
    match value {
        "none" => Change::Clear,
        v => v.parse().map(Change::Set).unwrap_or(Change::Keep),
    }
}

/// Why a button is disabled for the member's role, as its tooltip.
fn role_refusal(role: Option<Role>, action: BulkAction, what: &str) -> Option<String> {
    let who = match action.min_role() {
        Role::Admin => "admins",
        _ => "editors and admins",
    };
    match role {
        Some(r) if r >= action.min_role() => None,
        Some(r) => Some(format!(
            "Only {who} can {what}; you are {}.",
            r.with_article()
        )),
        None => Some("Loading your role…".into()),
    }
}

/// The dialog's title for an action.
fn title_of(action: Option<BulkAction>, reassigning: bool, what: &str) -> String {
    match action {
        _ if reassigning => format!("Reassign {what}"),
        Some(BulkAction::Restore) => format!("Restore {what}"),
        Some(BulkAction::Purge) => format!("Delete {what} permanently"),
        _ => format!("Delete {what}"),
    }
}

#[component]
pub fn BulkBar(
    entity: ExportEntity,
    selection: SelectionState,
    /// Where a started run goes; the progress panel shows it.
    run: RwSignal<Option<BulkRun>>,
    /// Deleted Items: Restore and Delete permanently instead.
    #[prop(optional)]
    trash: bool,
    /// Set by the page to open the dialog for an action at once (a row's
    /// Restore button, Empty trash).
    #[prop(optional)]
    ask: Option<RwSignal<Option<BulkAction>>>,
) -> impl IntoView {
    let guild = use_guild();
    let ctx = Memo::new(move |_| guild.data.get().and_then(Result::ok));
    let role = Memo::new(move |_| ctx.get().map(|c: GuildContext| c.guild.role));
    let what = entity.as_str();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    // The action being confirmed; for a reassign, `None` targets until chosen.
    let action = RwSignal::new(None::<BulkAction>);
    let reassigning = RwSignal::new(false);
    let group = RwSignal::new("keep".to_string());
    let brand = RwSignal::new("keep".to_string());
    let typed = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let preview = ServerAction::<PreviewBulk>::new();
    let start = ServerAction::<StartBulk>::new();

    let ask_preview = move |a: BulkAction| {
        action.set(Some(a));
        typed.set(String::new());
        error.set(None);
        preview.clear();
        preview.dispatch(PreviewBulk {
            guild: guild.slug.get_untracked(),
            request: BulkRequest {
                entity,
                selection: selection.to_selection(),
                action: a,
            },
        });
    };
    // `None` opens the reassign form; an action goes straight to its preview.
    let open = move |act: Option<BulkAction>| {
        reassigning.set(act.is_none());
        action.set(None);
        error.set(None);
        reason.set(String::new());
        preview.clear();
        match act {
            None => {
                group.set("keep".into());
                brand.set("keep".into());
            }
            Some(a) => ask_preview(a),
        }
        if let Some(d) = dialog.get() {
            let _ = d.show_modal();
        }
    };
    if let Some(ask) = ask {
        Effect::new(move |_| {
            if let Some(a) = ask.get() {
                ask.set(None);
                open(Some(a));
            }
        });
    }
    let close = move || {
        if let Some(d) = dialog.get() {
            d.close();
        }
    };
    let current = move || preview.value().get().and_then(Result::ok);
    Effect::new(move |_| {
        if let Some(Err(e)) = preview.value().get() {
            error.set(Some(e.to_string()));
        }
    });
    Effect::new(move |_| match start.value().get() {
        Some(Ok(started)) => {
            start.clear();
            close();
            run.set(Some(started));
            // The items are being acted on: the selection has done its job,
            // and the list stays free for the next one meanwhile.
            selection.clear();
        }
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    let ready = move || match (current(), action.get()) {
        (Some(p), Some(a)) => confirms(&typed.get(), p.count, a),
        _ => false,
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if reassigning.get_untracked() && action.get_untracked().is_none() {
            ask_preview(BulkAction::Reassign {
                group: change_of(&group.get_untracked()),
                brand: change_of(&brand.get_untracked()),
            });
            return;
        }
        let (Some(p), Some(a)) = (current(), action.get_untracked()) else {
            return;
        };
        if !ready() {
            return;
        }
        error.set(None);
        start.dispatch(StartBulk {
            guild: guild.slug.get_untracked(),
            confirm: BulkConfirm {
                request: BulkRequest {
                    entity,
                    selection: selection.to_selection(),
                    action: a,
                },
                confirmed_count: p.count,
                typed: typed.get_untracked(),
                as_of: p.as_of,
                reason: reason.get_untracked(),
            },
        });
    };
    let target_options = move |groups: bool| {
        ctx.get()
            .map(|c| if groups { c.groups } else { c.brands })
            .unwrap_or_default()
    };
    let title_id = format!("bulk-{what}-title");
    let labelled_by = title_id.clone();
    let refusal = move |a: BulkAction, verb: &str| {
        let what = format!("{verb} {what}");
        Signal::derive(move || role_refusal(role.get(), a, &what))
    };
    let delete_reason = refusal(BulkAction::Delete, "delete");
    let reassign_reason = refusal(
        BulkAction::Reassign {
            group: Change::Keep,
            brand: Change::Keep,
        },
        "reassign",
    );
    let restore_reason = refusal(BulkAction::Restore, "restore");
    let purge_reason = refusal(BulkAction::Purge, "permanently delete");
    let button = move |label: &'static str,
                       class: &'static str,
                       refused: Signal<Option<String>>,
                       act: Option<BulkAction>| {
        view! {
            <button class=class type="button" aria-haspopup="dialog"
                disabled=move || refused.get().is_some()
                title=move || refused.get()
                on:click=move |_| open(act)>{label}</button>
        }
    };
    let actions = if trash {
        view! {
            {button("Restore…", "btn btn-primary", restore_reason, Some(BulkAction::Restore))}
            {button("Delete permanently…", "btn btn-danger", purge_reason, Some(BulkAction::Purge))}
        }
        .into_any()
    } else {
        view! {
            {button("Delete…", "btn btn-danger", delete_reason, Some(BulkAction::Delete))}
            <ExportButton entity selected=selection guild=guild.slug
                params=Signal::derive(Default::default) filtered=Signal::derive(|| false)/>
            {button("Reassign…", "btn", reassign_reason, None)}
        }
        .into_any()
    };

    view! {
        <div class="bulk-bar" role="region" aria-label="Bulk actions">
            <strong class="bulk-bar__count">{move || selection.count_text()}</strong>
            <div class="bulk-bar__actions">
                {actions}
                <button class="btn btn-ghost" type="button" on:click=move |_| selection.clear()>"Clear"</button>
            </div>
        </div>
        <dialog node_ref=dialog class="dialog" aria-labelledby=labelled_by>
            <form class="dialog__body" on:submit=submit>
                <h2 id=title_id>{move || title_of(action.get(), reassigning.get(), what)}</h2>
                <Show when=move || reassigning.get() && action.get().is_none()>
                    <p class="dialog__note">{move || format!("Move the {} to another group or brand of this guild.", selection.count_text().replace(" selected", ""))}</p>
                    <TargetSelect label="Group" name="group" value=group options=Signal::derive(move || target_options(true))/>
                    <TargetSelect label="Brand" name="brand" value=brand options=Signal::derive(move || target_options(false))/>
                </Show>
                <Show when=move || action.get().is_some() && current().is_none() && error.get().is_none()>
                    <p class="muted" role="status">"Counting the selected items…"</p>
                </Show>
                {move || current().zip(action.get()).map(|(p, a)| view! {
                    <p class="confirm-sentence">{p.sentence.clone()}</p>
                    {needs_typing(a, p.count).then(|| view! {
                        <label class="field">
                            <span class="field__label">{confirm_hint(p.count, a)}</span>
                            <input type="text" name="confirm" autocomplete="off" spellcheck="false" inputmode="text"
                                prop:value=move || typed.get()
                                on:input=move |ev| typed.set(event_target_value(&ev))/>
                        </label>
                    })}
                    <label class="field">
                        <span class="field__label">"Reason (optional, for the audit log)"</span>
                        <input type="text" name="reason" maxlength="500" autocomplete="off"
                            prop:value=move || reason.get()
                            on:input=move |ev| reason.set(event_target_value(&ev))/>
                    </label>
                })}
                <Show when=move || error.get().is_some()>
                    <p class="form-error" role="alert">{move || error.get()}</p>
                </Show>
                <div class="dialog__actions">
                    <button class="btn btn-ghost" type="button" on:click=move |_| close()>"Cancel"</button>
                    {move || {
                        if reassigning.get() && action.get().is_none() {
                            view! { <button class="btn btn-primary" type="submit">"Review"</button> }.into_any()
                        } else if error.get().is_some_and(|e| e.starts_with("The selection changed")) {
                            view! {
                                <button class="btn btn-primary" type="button"
                                    on:click=move |_| { if let Some(a) = action.get_untracked() { ask_preview(a) } }>"Review again"</button>
                            }.into_any()
                        } else {
                            let danger = matches!(action.get(), Some(BulkAction::Delete | BulkAction::Purge));
                            view! {
                                <button class=if danger { "btn btn-danger" } else { "btn btn-primary" } type="submit"
                                    disabled=move || !ready() || start.pending().get()>
                                    {move || if start.pending().get() { "Working…".to_string() } else { current().map(|p| p.button).unwrap_or_else(|| "Confirm".into()) }}
                                </button>
                            }.into_any()
                        }
                    }}
                </div>
            </form>
        </dialog>
    }
}

/// A reassign target: keep, none, or one of the guild's groups or brands.
#[component]
fn TargetSelect(
    label: &'static str,
    /// "group" or "brand".
    name: &'static str,
    value: RwSignal<String>,
    options: Signal<Vec<crate::model::Named>>,
) -> impl IntoView {
    view! {
        <label class="field">
            <span class="field__label">{label}</span>
            <select name=name prop:value=move || value.get() on:change=move |ev| value.set(event_target_value(&ev))>
                <option value="keep">{format!("Keep each item's {name}")}</option>
                <option value="none">{format!("No {name}")}</option>
                {move || options.get().into_iter().map(|n| view! { <option value=n.id.to_string()>{n.name}</option> }).collect_view()}
            </select>
        </label>
    }
}
