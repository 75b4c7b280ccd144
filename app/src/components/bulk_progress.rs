//! A bulk action's progress while it runs, then its honest result: counts,
//! the failed items by name with the reason, and "Select failed items".

use super::selection::SelectionState;
use crate::api::bulk_progress;
use crate::model::{BulkRun, RunStatus};
use crate::pages::guild_layout::use_guild;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;

const POLL: Duration = Duration::from_millis(600);

#[component]
pub fn BulkProgress(
    run: RwSignal<Option<BulkRun>>,
    selection: SelectionState,
    /// Called once per run when it ends (refresh the list).
    on_done: Callback<()>,
) -> impl IntoView {
    let guild = use_guild();
    let finished = StoredValue::new(None::<i64>);
    Effect::new(move |_| {
        let Some(r) = run.get() else { return };
        if r.status != RunStatus::Running {
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

    move || {
        run.get().map(|r| {
            if r.status == RunStatus::Running {
                return view! {
                    <section class="panel bulk-progress" aria-label="Bulk action in progress">
                        <p class="bulk-progress__text" aria-live="polite">{r.progress_text()}</p>
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
                .map(|f| view! { <li><strong>{f.name.clone()}</strong>" — "{f.reason.sentence()}</li> })
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
                            {(!failed_ids.is_empty()).then(|| {
                                let ids = failed_ids.clone();
                                view! {
                                    <button class="btn btn-small" type="button"
                                        on:click=move |_| selection.select_ids(ids.clone())>"Select failed items"</button>
                                }
                            })}
                            <button class="btn btn-ghost btn-small" type="button" aria-label="Dismiss the result"
                                on:click=move |_| run.set(None)>"✕"</button>
                        </div>
                    </div>
                    {(r.failed > 0).then(|| view! {
                        <ul class="bulk-result__failures">{failures}</ul>
                        {(more > 0).then(|| view! { <p class="muted small">{format!("…and {} more.", crate::format::thousands(more))}</p> })}
                    })}
                </section>
            }
            .into_any()
        })
    }
}
