//! The sticky bar shown while cards are selected, and the type-to-confirm
//! dialog behind its actions. On the list pages: Delete, Export selected,
//! Reassign, Clear. Under Deleted Items (`trash`): Restore, Delete
//! permanently, Clear.
//!
//! The dialog is one explicit [`Step`] at a time (choose, counting,
//! confirm, stale, running), so what it shows never depends on several
//! signals read in combination.

use super::confirm_field::ConfirmField;
use super::export_dialog::ExportButton;
use super::focus::focus_in;
use super::selection::SelectionState;
use crate::api::{PreviewBulk, StartBulk};
use crate::model::bulk::{confirm_hint, confirms, needs_typing};
use crate::model::{
    BulkAction, BulkConfirm, BulkPreview, BulkRequest, BulkRun, Change, Entity, GuildContext, Role,
};
use crate::pages::guild_layout::use_guild;
use leptos::prelude::*;

fn change_of(value: &str) -> Change {
    match value {
        "none" => Change::Clear,
        v => v.parse().map(Change::Set).unwrap_or(Change::Keep),
    }
}

/// Why a button is disabled for the member's role.
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

/// Where the dialog is. Errors are shown beside any step.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    /// Closed, or between actions.
    Idle,
    /// Reassign: picking the group and brand (kept after any error).
    Choose,
    /// The preview is on its way.
    Counting(BulkAction),
    /// The sentence, and the count to type when the action needs it.
    Confirm(BulkAction, BulkPreview),
    /// The server counted something else than was confirmed: review again.
    Stale(BulkAction),
    /// The confirmed action was sent; waiting for the answer.
    Running(BulkAction, BulkPreview),
}

impl Step {
    fn action(&self) -> Option<BulkAction> {
        match self {
            Self::Counting(a) | Self::Confirm(a, _) | Self::Stale(a) | Self::Running(a, _) => {
                Some(*a)
            }
            Self::Idle | Self::Choose => None,
        }
    }
}

/// The dialog's title.
fn title_of(step: &Step, what: &str) -> String {
    match step {
        Step::Choose => format!("Reassign {what}"),
        s => match s.action() {
            Some(BulkAction::Reassign { .. }) => format!("Reassign {what}"),
            Some(BulkAction::Restore) => format!("Restore {what}"),
            Some(BulkAction::Purge) => format!("Delete {what} permanently"),
            _ => format!("Delete {what}"),
        },
    }
}

/// The bar's code is a module of its own (`#[lazy]`, split by
/// tools/wasm-split): the pages show it only once something is selected, so
/// their first load does not carry it. [`preload_bulk_bar`] fetches it
/// while the member looks at the list.
#[component]
pub fn BulkBar(
    entity: Entity,
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
    let props = BarProps {
        entity,
        selection,
        run,
        trash,
        ask,
    };
    // No <Suspense> around it: the bar's own actions would make one fall
    // back, dropping the bar and its dialog, while they wait.
    move || Suspend::new(bulk_bar(props))
}

/// Fetches the bar's code and its progress panel's, once: called by the
/// selection toolbar, which is on screen whenever there is something to
/// select.
pub fn preload_bulk_bar() {
    lazy_preload!(bulk_bar);
    lazy_preload!(super::bulk_progress::bulk_progress_panel);
}

#[derive(Clone, Copy)]
struct BarProps {
    entity: Entity,
    selection: SelectionState,
    run: RwSignal<Option<BulkRun>>,
    trash: bool,
    ask: Option<RwSignal<Option<BulkAction>>>,
}

#[lazy]
async fn bulk_bar(props: BarProps) -> AnyView {
    view! { <BulkBarPanel props /> }.into_any()
}

#[component]
fn BulkBarPanel(props: BarProps) -> impl IntoView {
    let BarProps {
        entity,
        selection,
        run,
        trash,
        ask,
    } = props;
    let guild = use_guild();
    let ctx = Memo::new(move |_| guild.data.get().and_then(Result::ok));
    let role = Memo::new(move |_| ctx.get().map(|c: GuildContext| c.guild.role));
    let what = entity.as_str();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let step = RwSignal::new(Step::Idle);
    let group = RwSignal::new("keep".to_string());
    let brand = RwSignal::new("keep".to_string());
    let typed = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let preview = ServerAction::<PreviewBulk>::new();
    let start = ServerAction::<StartBulk>::new();

    let ask_preview = move |a: BulkAction| {
        step.set(Step::Counting(a));
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
    // `None` opens the reassign choice; an action goes straight to its preview.
    let open = move |act: Option<BulkAction>| {
        error.set(None);
        reason.set(String::new());
        preview.clear();
        if let Some(d) = dialog.get() {
            let _ = d.show_modal();
        }
        match act {
            None => {
                group.set("keep".into());
                brand.set("keep".into());
                step.set(Step::Choose);
                focus_in(dialog, "select[name=group]");
            }
            Some(a) => ask_preview(a),
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
    // Esc, Cancel, or close() after a start: only an unconfirmed close puts
    // back a selection the dialog borrowed.
    let closed = move |_| {
        if !matches!(step.get_untracked(), Step::Running(..)) {
            selection.give_back();
        }
        step.set(Step::Idle);
    };
    Effect::new(move |_| match preview.value().get() {
        Some(Ok(p)) => {
            let Step::Counting(a) = step.get_untracked() else {
                return;
            };
            let typing = needs_typing(a, p.count);
            step.set(Step::Confirm(a, p));
            focus_in(
                dialog,
                if typing {
                    "input[name=confirm]"
                } else {
                    "button[type=submit]"
                },
            );
        }
        Some(Err(e)) => {
            error.set(Some(e.to_string()));
            // A reassign goes back to its choices, still editable.
            if let Step::Counting(BulkAction::Reassign { .. }) = step.get_untracked() {
                step.set(Step::Choose);
            }
        }
        None => {}
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
        Some(Err(e)) => {
            start.clear();
            let stale = matches!(e, crate::error::AppError::Conflict(_));
            error.set(Some(e.to_string()));
            if let Step::Running(a, p) = step.get_untracked() {
                step.set(if stale {
                    Step::Stale(a)
                } else {
                    Step::Confirm(a, p)
                });
            }
        }
        None => {}
    });
    let ready = move || match step.get() {
        Step::Confirm(a, p) => confirms(&typed.get(), p.count, a),
        _ => false,
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match step.get_untracked() {
            Step::Choose => {
                let (g, b) = (
                    change_of(&group.get_untracked()),
                    change_of(&brand.get_untracked()),
                );
                // Checked here, before any request.
                if g == Change::Keep && b == Change::Keep {
                    error.set(Some(
                        "Choose a group or a brand to move the items to.".into(),
                    ));
                    focus_in(dialog, "select[name=group]");
                    return;
                }
                ask_preview(BulkAction::Reassign { group: g, brand: b });
            }
            Step::Stale(a) => ask_preview(a),
            Step::Confirm(a, p) => {
                if !confirms(&typed.get_untracked(), p.count, a) {
                    return;
                }
                error.set(None);
                step.set(Step::Running(a, p.clone()));
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
            }
            Step::Idle | Step::Counting(_) | Step::Running(..) => {}
        }
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
    // The reasons are visible text each button points to, so keyboard and
    // screen-reader users get them too (a `title` alone reaches neither).
    let why_id = move |key: &str| format!("bulk-{what}-why-{key}");
    let reasons: Vec<(&'static str, Signal<Option<String>>)> = if trash {
        vec![("restore", restore_reason), ("purge", purge_reason)]
    } else {
        vec![("delete", delete_reason), ("reassign", reassign_reason)]
    };
    let any_refused = {
        let reasons = reasons.clone();
        Signal::derive(move || reasons.iter().any(|(_, r)| r.get().is_some()))
    };
    let refusals = reasons
        .into_iter()
        .map(|(key, reason)| {
            view! {
                <span id=why_id(key) hidden=move || reason.get().is_none()>
                    {move || reason.get().map(|r| format!("{r} "))}
                </span>
            }
        })
        .collect_view();
    let button = move |label: &'static str,
                       class: &'static str,
                       key: &'static str,
                       refused: Signal<Option<String>>,
                       act: Option<BulkAction>| {
        let described = why_id(key);
        view! {
            <button
                class=class
                type="button"
                aria-haspopup="dialog"
                disabled=move || refused.get().is_some()
                aria-describedby=move || refused.get().map(|_| described.clone())
                on:click=move |_| open(act)
            >
                {label}
            </button>
        }
    };
    let actions = if trash {
        view! {
            {button(
                "Restore…",
                "btn btn-primary",
                "restore",
                restore_reason,
                Some(BulkAction::Restore),
            )}
            {button(
                "Delete permanently…",
                "btn btn-danger",
                "purge",
                purge_reason,
                Some(BulkAction::Purge),
            )}
        }
        .into_any()
    } else {
        view! {
            {button(
                "Delete…",
                "btn btn-danger",
                "delete",
                delete_reason,
                Some(BulkAction::Delete),
            )}
            <ExportButton
                entity
                selected=selection
                guild=guild.slug
                params=Signal::derive(Default::default)
                filtered=Signal::derive(|| false)
            />
            {button("Reassign…", "btn", "reassign", reassign_reason, None)}
        }
        .into_any()
    };
    let confirm_step = move || match step.get() {
        Step::Confirm(a, p) | Step::Running(a, p) => Some(view! {
            <p class="confirm-sentence">{p.sentence.clone()}</p>
            {needs_typing(a, p.count)
                .then(|| view! { <ConfirmField hint=confirm_hint(p.count, a) typed /> })}
            <label class="field">
                <span class="field__label">"Reason (optional, for the audit log)"</span>
                <input
                    type="text"
                    name="reason"
                    maxlength="500"
                    autocomplete="off"
                    prop:value=move || reason.get()
                    on:input=move |ev| reason.set(event_target_value(&ev))
                />
            </label>
        }),
        _ => None,
    };
    // One submit button whose words, colour and state follow the step.
    let primary_label = move || match step.get() {
        Step::Choose => "Review".to_string(),
        Step::Stale(_) => "Review again".into(),
        Step::Counting(_) | Step::Idle => "Confirm".into(),
        Step::Confirm(_, p) => p.button,
        Step::Running(..) => "Working…".into(),
    };
    let primary_class = move || match step.get() {
        Step::Confirm(a, _) | Step::Running(a, _)
            if matches!(a, BulkAction::Delete | BulkAction::Purge) =>
        {
            "btn btn-danger"
        }
        _ => "btn btn-primary",
    };
    let primary_disabled = move || match step.get() {
        Step::Choose | Step::Stale(_) => false,
        Step::Confirm(..) => !ready(),
        Step::Counting(_) | Step::Idle | Step::Running(..) => true,
    };

    view! {
        <div class="bulk-bar" role="region" aria-label="Bulk actions">
            <strong class="bulk-bar__count">{move || selection.count_text()}</strong>
            <div class="bulk-bar__actions">
                {actions}
                <button class="btn btn-ghost" type="button" on:click=move |_| selection.clear()>
                    "Clear"
                </button>
            </div>
            <p class="bulk-bar__refusals small" hidden=move || !any_refused.get()>
                {refusals}
            </p>
        </div>
        <dialog node_ref=dialog class="dialog" aria-labelledby=labelled_by on:close=closed>
            <form class="dialog__body" on:submit=submit>
                <h2 id=title_id>{move || title_of(&step.get(), what)}</h2>
                <Show when=move || step.get() == Step::Choose>
                    <p class="dialog__note">
                        {move || {
                            format!(
                                "Move the {} to another group or brand of this guild.",
                                selection.count_text().replace(" selected", ""),
                            )
                        }}
                    </p>
                    <TargetSelect
                        label="Group"
                        name="group"
                        value=group
                        options=Signal::derive(move || target_options(true))
                    />
                    <TargetSelect
                        label="Brand"
                        name="brand"
                        value=brand
                        options=Signal::derive(move || target_options(false))
                    />
                </Show>
                <Show when=move || matches!(step.get(), Step::Counting(_))>
                    <p class="muted" role="status">
                        "Counting the selected items…"
                    </p>
                </Show>
                {confirm_step}
                <Show when=move || error.get().is_some()>
                    <p class="form-error" role="alert">
                        {move || error.get()}
                    </p>
                </Show>
                <div class="dialog__actions">
                    <button class="btn btn-ghost" type="button" on:click=move |_| close()>
                        "Cancel"
                    </button>
                    <button class=primary_class type="submit" disabled=primary_disabled>
                        {primary_label}
                    </button>
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
            <select
                name=name
                prop:value=move || value.get()
                on:change=move |ev| value.set(event_target_value(&ev))
            >
                <option value="keep">{format!("Keep each item's {name}")}</option>
                <option value="none">{format!("No {name}")}</option>
                {move || {
                    options
                        .get()
                        .into_iter()
                        .map(|n| view! { <option value=n.id.to_string()>{n.name}</option> })
                        .collect_view()
                }}
            </select>
        </label>
    }
}
