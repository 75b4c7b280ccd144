//! "Import…" on the Exports page (admins): choose an export file, upload
//! it (with its progress), read the dry run's counts, confirm by typing
//! the item count, and follow the import to its end. Each step is one
//! state of [`Step`]; the dialog can be closed and opened again while the
//! server works (the history below shows the same import).

use crate::api::{cancel_import, confirm_import, watch_import};
use crate::components::confirm_field::ConfirmField;
use crate::components::focus::focus_in;
use crate::format::{bytes, thousands};
use crate::model::{Entity, ImportCounts, ImportJob, ImportStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;

/// Where the dialog is.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    /// Choosing a file; the last refusal, if any.
    Choose { error: Option<String> },
    /// Sending it: the file's name, and the share sent when the browser
    /// says.
    Uploading { file: String, percent: Option<u32> },
    /// The server has it: being checked, waiting for confirmation, running,
    /// or ended.
    Job(Box<ImportJob>),
}

impl Step {
    /// Which step this is, without its data: focus moves when it changes,
    /// not with every progress update.
    fn kind(&self) -> &'static str {
        match self {
            Self::Choose { .. } => "choose",
            Self::Uploading { .. } => "uploading",
            Self::Job(job) => match job.status {
                ImportStatus::Checking | ImportStatus::Running => "busy",
                ImportStatus::Ready => "ready",
                _ => "ended",
            },
        }
    }
}

/// `/g/{guild}/imports?name=…`, the name percent-encoded. (The server
/// renders the dialog but never uploads.)
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn upload_url(guild: &str, name: &str) -> String {
    let mut encoded = String::new();
    for b in name.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                encoded.push(b as char)
            }
            _ => encoded.push_str(&format!("%{b:02X}")),
        }
    }
    format!("/g/{guild}/imports?name={encoded}")
}

/// Sends `file` as the request body with XMLHttpRequest (fetch cannot
/// report upload progress), then calls `done` with the new import or the
/// server's sentence.
#[cfg(feature = "hydrate")]
fn send(
    url: &str,
    file: web_sys::File,
    progress: impl Fn(u32) + 'static,
    done: impl FnOnce(Result<ImportJob, String>) + 'static,
) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
        done(Err("This browser cannot upload files.".into()));
        return;
    };
    if xhr.open("POST", url).is_err() {
        done(Err("The upload could not start.".into()));
        return;
    }
    let _ = xhr.set_request_header("Content-Type", "application/octet-stream");
    if let Ok(upload) = xhr.upload() {
        let on_progress =
            Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
                if e.length_computable() && e.total() > 0.0 {
                    progress(((e.loaded() / e.total()) * 100.0).min(100.0) as u32);
                }
            });
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        // Lives as long as the request; one per upload.
        on_progress.forget();
    }
    let done = std::rc::Rc::new(std::cell::Cell::new(Some(done)));
    let answer = {
        let xhr = xhr.clone();
        let done = done.clone();
        Closure::<dyn Fn()>::new(move || {
            let Some(done) = done.take() else { return };
            let status = xhr.status().unwrap_or(0);
            let text = xhr.response_text().ok().flatten().unwrap_or_default();
            done(match status {
                201 => serde_json::from_str::<ImportJob>(&text)
                    .map_err(|_| "The server's answer could not be read; reload the page.".into()),
                0 => Err("The upload stopped: the connection to the server was lost.".into()),
                _ => Err(serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v["error"].as_str().map(String::from))
                    .unwrap_or_else(|| format!("The upload failed (HTTP {status})."))),
            })
        })
    };
    xhr.set_onloadend(Some(answer.as_ref().unchecked_ref()));
    answer.forget();
    if xhr.send_with_opt_blob(Some(&file)).is_err() {
        if let Some(done) = done.take() {
            done(Err("The upload could not start.".into()));
        }
    }
}

/// What the dry run found, in sentences.
#[component]
fn DryRun(counts: ImportCounts, entity: Entity) -> impl IntoView {
    let names = |what: &str, list: &[String]| {
        (!list.is_empty()).then(|| {
            view! { <p>{format!("{what} to create: ")} <strong>{list.join(", ")}</strong></p> }
        })
    };
    let groups = names("Groups", &counts.groups);
    let brands = names("Brands", &counts.brands);
    let rejected = (!counts.rejections.is_empty()).then(|| {
        let more = counts.rejected - counts.rejections.len() as i64;
        view! {
            <details class="import-rejections">
                <summary>{format!("Why {} rejected", thousands(counts.rejected))}</summary>
                <ul>
                    {counts
                        .rejections
                        .iter()
                        .map(|r| view! { <li>{r.clone()}</li> })
                        .collect_view()}
                </ul>
                {(more > 0)
                    .then(|| {
                        view! { <p class="muted">{format!("…and {} more.", thousands(more))}</p> }
                    })}
            </details>
        }
    });
    view! {
        <p class="import-summary" data-testid="import-summary">
            {counts.sentence(entity)}
        </p>
        {groups}
        {brands}
        {rejected}
    }
}

#[component]
pub fn ImportButton(
    #[prop(into)] guild: Signal<String>,
    /// Bumped when an import changes state, so the history reloads.
    changed: RwSignal<u32>,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let file_input = NodeRef::<leptos::html::Input>::new();
    let step = RwSignal::new(Step::Choose { error: None });
    let typed = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    // A refused confirmation or cancel, said inside the dialog (the page
    // behind a modal dialog is out of reach).
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<(bool, String)>);
    let in_flight = StoredValue::new(false);

    let open = move |_| {
        if !matches!(step.get_untracked(), Step::Job(ref j) if j.status.is_busy() || j.status == ImportStatus::Ready)
        {
            step.set(Step::Choose { error: None });
        }
        if let Some(d) = dialog.get() {
            let _ = d.show_modal();
        }
    };
    let close = move |_| {
        if let Some(d) = dialog.get() {
            d.close();
        }
    };
    // A job moved: keep it, reload the history, and when it has ended say
    // so in a toast too (the dialog may be closed by then).
    let update = move |job: ImportJob| {
        let was_busy = matches!(step.get_untracked(), Step::Job(ref j) if j.status.is_busy());
        if !job.status.is_busy() && was_busy && job.status != ImportStatus::Ready {
            let ok = job.status == ImportStatus::Done;
            notice.set(Some((
                ok,
                format!("“{}”: {}", job.file_name, job.result_text()),
            )));
        }
        if job.status == ImportStatus::Ready && was_busy {
            typed.set(String::new());
        }
        error.set(None);
        step.set(Step::Job(Box::new(job)));
        changed.update(|n| *n += 1);
    };

    let poll = move || {
        let Step::Job(job) = step.get_untracked() else {
            return;
        };
        if !job.status.is_busy() || in_flight.get_value() {
            return;
        }
        in_flight.set_value(true);
        spawn_local(async move {
            if let Ok(now) = watch_import(guild.get_untracked(), job.id).await {
                if now != *job {
                    update(now);
                }
            }
            in_flight.set_value(false);
        });
    };
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(poll, Duration::from_millis(1000)) {
            on_cleanup(move || handle.clear());
        }
    });
    // The step's field when it has one (the file, the count to type), else
    // its first button; the button that was pressed is gone.
    let kind = Memo::new(move |_| step.with(Step::kind));
    Effect::new(move |_| {
        if kind.get() != "uploading" {
            focus_in(
                dialog,
                "input[type=file], input[name=confirm], .dialog__actions button:not([disabled])",
            );
        }
    });
    // A success goes by itself after 8 seconds, as the exports' toasts do;
    // a failure stays until dismissed.
    Effect::new(move |_| {
        if let Some((true, text)) = notice.get() {
            set_timeout(
                move || {
                    if notice.get_untracked().is_some_and(|(_, t)| t == text) {
                        notice.set(None);
                    }
                },
                Duration::from_secs(8),
            );
        }
    });

    let choose_and_send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let file = file_input
            .get()
            .and_then(|i| i.files())
            .and_then(|list| list.get(0));
        let Some(file) = file else {
            step.set(Step::Choose {
                error: Some("Choose a JSON or CSV export file first.".into()),
            });
            return;
        };
        let name = file.name();
        #[cfg(not(feature = "hydrate"))]
        drop(file);
        step.set(Step::Uploading {
            file: name.clone(),
            percent: None,
        });
        #[cfg(feature = "hydrate")]
        send(
            &upload_url(&guild.get_untracked(), &name),
            file,
            move |p| {
                step.update(|s| {
                    if let Step::Uploading { percent, .. } = s {
                        *percent = Some(p);
                    }
                })
            },
            move |answer| match answer {
                Ok(job) => {
                    typed.set(String::new());
                    step.set(Step::Job(Box::new(job)));
                    changed.update(|n| *n += 1);
                }
                Err(error) => step.set(Step::Choose { error: Some(error) }),
            },
        );
    };

    let act = move |confirm: bool| {
        let Step::Job(job) = step.get_untracked() else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            let g = guild.get_untracked();
            let answer = if confirm {
                confirm_import(g, job.id, typed.get_untracked()).await
            } else {
                cancel_import(g, job.id).await
            };
            busy.set(false);
            match answer {
                Ok(now) => update(now),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };

    let body = move || {
        match step.get() {
        Step::Choose { error } => view! {
            <form class="dialog__body" on:submit=choose_and_send>
                <h2 id="import-title">"Import an export"</h2>
                <p class="dialog__note">
                    "A JSON or CSV file as Export makes it, of accounts or of posts. Import accounts first: a post needs its account. Items are matched to the guild's by platform and handle (accounts) or external ID (posts); nothing changes until you confirm."
                </p>
                <label class="field">
                    <span class="field__label">"Export file"</span>
                    <input
                        node_ref=file_input
                        type="file"
                        name="file"
                        accept=".json,.csv,application/json,text/csv"
                    />
                </label>
                {error
                    .map(|e| {
                        view! {
                            <p class="form-error" role="alert">
                                {e}
                            </p>
                        }
                    })}
                <div class="dialog__actions">
                    <button class="btn" type="button" on:click=close>
                        "Close"
                    </button>
                    <button class="btn btn-primary" type="submit">
                        "Upload and check"
                    </button>
                </div>
            </form>
        }
        .into_any(),
        Step::Uploading { file, percent } => view! {
            <div class="dialog__body">
                <h2 id="import-title">"Import an export"</h2>
                <p role="status">
                    {match percent {
                        Some(p) => format!("Uploading “{file}”: {p}%…"),
                        None => format!("Uploading “{file}”…"),
                    }}
                </p>
                <progress
                    max="100"
                    value=percent.unwrap_or(0)
                    aria-label="Upload progress"
                ></progress>
            </div>
        }
        .into_any(),
        Step::Job(job) => {
            let entity = job.entity.unwrap_or(Entity::Posts);
            let head = format!("“{}” · {}", job.file_name, bytes(job.size_bytes));
            let content = match job.status {
                ImportStatus::Checking | ImportStatus::Running => view! {
                    <progress
                        max="100"
                        value=job.percent().unwrap_or(0)
                        aria-label="Import progress"
                    ></progress>
                    <p class="export-progress__text" role="status" aria-live="polite">
                        {job.progress_text()}
                    </p>
                    <div class="dialog__actions">
                        <button class="btn" type="button" on:click=close>
                            "Close"
                        </button>
                        <button
                            class="btn btn-danger"
                            type="button"
                            disabled=move || busy.get()
                            on:click=move |_| act(false)
                        >
                            "Cancel import"
                        </button>
                    </div>
                    <p class="muted">
                        "You can close this: the import goes on, and the history below follows it."
                    </p>
                }
                .into_any(),
                ImportStatus::Ready => {
                    let counts = job.dry_run.clone().unwrap_or_default();
                    let items = counts.items();
                    let writes = counts.created + counts.updated > 0;
                    view! {
                        <DryRun counts entity />
                        {if writes {
                            view! {
                                <ConfirmField
                                    hint=format!("Type {} to confirm", thousands(items))
                                    typed
                                />
                            }
                                .into_any()
                        } else {
                            view! {
                                <p>
                                    "Nothing would change: every item is already here as in the file."
                                </p>
                            }
                                .into_any()
                        }}
                        <div class="dialog__actions">
                            <button
                                class="btn"
                                type="button"
                                disabled=move || busy.get()
                                on:click=move |_| act(false)
                            >
                                "Cancel import"
                            </button>
                            <button
                                class="btn btn-primary"
                                type="button"
                                disabled=move || busy.get() || !writes
                                on:click=move |_| act(true)
                            >
                                {format!("Import {}", entity.count(items))}
                            </button>
                        </div>
                    }
                    .into_any()
                }
                _ => {
                    let failed = matches!(job.status, ImportStatus::Failed);
                    view! {
                        <p
                            class=if failed { "form-error" } else { "" }
                            role=if failed { "alert" } else { "status" }
                        >
                            {job.result_text()}
                        </p>
                        <div class="dialog__actions">
                            <button class="btn" type="button" on:click=close>
                                "Close"
                            </button>
                            <button
                                class="btn btn-primary"
                                type="button"
                                on:click=move |_| step.set(Step::Choose { error: None })
                            >
                                "Import another file"
                            </button>
                        </div>
                    }
                    .into_any()
                }
            };
            view! {
                <div class="dialog__body">
                    <h2 id="import-title">"Import an export"</h2>
                    <p class="muted">{head}</p>
                    {content}
                </div>
            }
            .into_any()
        }
    }
    };

    view! {
        <button class="btn" type="button" on:click=open aria-haspopup="dialog">
            "Import…"
        </button>
        <dialog node_ref=dialog class="dialog import-dialog" aria-labelledby="import-title">
            {body}
            {move || {
                error
                    .get()
                    .map(|e| {
                        view! {
                            <p class="form-error dialog__error" role="alert">
                                {e}
                            </p>
                        }
                    })
            }}
        </dialog>
        <div class="export-activity import-activity" role="region" aria-label="Import notices">
            {move || {
                notice
                    .get()
                    .map(|(ok, text)| {
                        view! {
                            <div
                                class=if ok { "toast toast--done" } else { "toast toast--error" }
                                role=if ok { "status" } else { "alert" }
                            >
                                <p>{text}</p>
                                <button
                                    class="btn btn-ghost btn-small"
                                    type="button"
                                    aria-label="Dismiss"
                                    on:click=move |_| notice.set(None)
                                >
                                    "✕"
                                </button>
                            </div>
                        }
                    })
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_travels_percent_encoded() {
        assert_eq!(
            upload_url("alpha", "my posts (1).json"),
            "/g/alpha/imports?name=my%20posts%20%281%29.json"
        );
    }
}
