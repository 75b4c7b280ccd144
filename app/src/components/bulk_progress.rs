//! A bulk action's progress while it runs, then its honest result: counts,
//! the failed items by name with the reason, and "Select failed items".
//!
//! It sits where the bulk bar was (docked at the bottom of the screen), so
//! a member scrolled down to the cards they acted on sees it, and it is a
//! live region, so a screen reader hears it. After a delete it links to
//! Deleted Items and offers Undo, which restores exactly that batch.

use super::selection::SelectionState;
use crate::api::{bulk_progress, undo_bulk};
use crate::model::{BulkRun, RunStatus};
use crate::pages::guild_layout::use_guild;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;

const POLL: Duration = Duration::from_millis(600);

/// The dock is in the main module, so that the live region is in the page
/// before anything is said in it. What it shows is code of its own
/// (`#[lazy]`, split by tools/wasm-split), fetched with the bulk bar's
/// (see [`super::bulk_bar::preload_bulk_bar`]): there is no run to show
/// before the bar starts one.
#[component]
pub fn BulkProgress(
    run: RwSignal<Option<BulkRun>>,
    selection: SelectionState,
    /// Called once per run when it ends (refresh the list).
    on_done: Callback<()>,
) -> impl IntoView {
    let props = ProgressProps {
        run,
        selection,
        on_done,
    };
    view! {
        <div class="bulk-dock" aria-live="polite">
            <Show when=move || {
                run.with(Option::is_some)
            }>
                // No <Suspense>: see `BulkBar`.
                {move || Suspend::new(bulk_progress_panel(props))}
            </Show>
        </div>
    }
}

#[derive(Clone, Copy)]
pub(super) struct ProgressProps {
    run: RwSignal<Option<BulkRun>>,
    selection: SelectionState,
    on_done: Callback<()>,
}

#[lazy]
pub(super) async fn bulk_progress_panel(props: ProgressProps) -> AnyView {
    view! { <ProgressPanel props /> }.into_any()
}

#[component]
fn ProgressPanel(props: ProgressProps) -> impl IntoView {
    let ProgressProps {
        run,
        selection,
        on_done,
    } = props;
    let guild = use_guild();
    let finished = StoredValue::new(None::<i64>);
    Effect::new(move |_| {
        let Some(r) = run.get() else { return };
        if !r.status.is_active() {
            if finished.get_value() != Some(r.id) {
                finished.set_value(Some(r.id));
                on_done.run(());
            }
            return;
        }
        let id = r.id;
        set_timeout(
            move || {
                spawn_local(async move {
                    match bulk_progress(guild.slug.get_untracked(), id).await {
                        Ok(now) => {
                            if run.with_untracked(|r| r.as_ref().map(|r| r.id)) == Some(id) {
                                run.set(Some(now));
                            }
                        }
                        // Keep the last state and try again.
                        Err(_) => run.update(|_| {}),
                    }
                });
            },
            POLL,
        );
    });

    let undo_error = RwSignal::new(None::<String>);
    let undoing = RwSignal::new(false);
    let undo = move |id: i64| {
        undoing.set(true);
        undo_error.set(None);
        spawn_local(async move {
            match undo_bulk(guild.slug.get_untracked(), id).await {
                Ok(restored) => run.set(Some(restored)),
                Err(e) => undo_error.set(Some(e.to_string())),
            }
            undoing.set(false);
        });
    };

    let panel = move || {
        run.get().map(|r| {
            if r.status == RunStatus::Queued {
                // No bar: nothing moves until its turn comes, and an empty
                // bar would read as stuck.
                return view! {
                    <section class="panel bulk-progress" aria-label="Bulk action waiting">
                        <p class="bulk-progress__text" aria-live="polite">
                            {r.progress_text()}
                        </p>
                    </section>
                }
                .into_any();
            }
            if r.status == RunStatus::Running {
                return view! {
                    <section class="panel bulk-progress" aria-label="Bulk action in progress">
                        <p class="bulk-progress__text" aria-live="polite">
                            {r.progress_text()}
                        </p>
                        <progress max="100" value=r.percent() aria-label="Progress"></progress>
                    </section>
                }
                .into_any();
            }
            let failed_ids: Vec<i64> = r.failures.iter().map(|f| f.id).collect();
            let more = r.failed - r.failures.len() as i64;
            let failures = r
                .failures
                .iter()
                .map(|f| view! {
                    <li>
                        <strong>{f.name.clone()}</strong>
                        " — "
                        {f.reason.sentence()}
                    </li>
                })
                .collect_view();
            let class = if r.failed > 0 || r.status == RunStatus::Interrupted {
                "panel bulk-result bulk-result--partial"
            } else {
                "panel bulk-result bulk-result--ok"
            };
            view! {
                <section class=class role="status" aria-label="Bulk action result">
                    <div class="bulk-result__head">
                        <strong class="bulk-result__outcome">{r.outcome_text()}</strong>
                        <div class="bulk-result__actions">
                            {(r.action == "delete" && r.succeeded > 0)
                                .then(|| {
                                    let href = format!(
                                        "/g/{}/settings/trash?show={}&batch={}",
                                        guild.slug.get_untracked(),
                                        r.entity.as_str(),
                                        crate::model::query::encode_component(&r.batch_id),
                                    );
                                    let id = r.id;
                                    view! {
                                        <a class="btn btn-small btn-ghost" href=href>
                                            "View in Deleted Items"
                                        </a>
                                        <button
                                            class="btn btn-small btn-primary"
                                            type="button"
                                            disabled=move || undoing.get()
                                            on:click=move |_| undo(id)
                                        >
                                            {move || if undoing.get() { "Undoing…" } else { "Undo" }}
                                        </button>
                                    }
                                })}
                            {(!failed_ids.is_empty())
                                .then(|| {
                                    let ids = failed_ids.clone();
                                    view! {
                                        <button
                                            class="btn btn-small"
                                            type="button"
                                            on:click=move |_| selection.select_ids(ids.clone())
                                        >
                                            "Select failed items"
                                        </button>
                                    }
                                })}
                            <button
                                class="btn btn-ghost btn-small"
                                type="button"
                                aria-label="Dismiss the result"
                                on:click=move |_| run.set(None)
                            >
                                "✕"
                            </button>
                        </div>
                    </div>
                    <Show when=move || undo_error.get().is_some()>
                        <p class="form-error" role="alert">
                            {move || undo_error.get()}
                        </p>
                    </Show>
                    {(r.failed > 0)
                        .then(|| {
                            view! {
                                <ul class="bulk-result__failures">{failures}</ul>
                                {(more > 0)
                                    .then(|| {
                                        view! {
                                            <p class="muted small">
                                                {format!("…and {} more.", crate::format::thousands(more))}
                                            </p>
                                        }
                                    })}
                            }
                        })}
                </section>
            }
            .into_any()
        })
    };
    panel
}
