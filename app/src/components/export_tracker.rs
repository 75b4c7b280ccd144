//! Background exports the member is waiting for: a progress panel with
//! Cancel, and a toast with Download (or the reason and Retry) when each
//! ends, on whatever guild page they are on.

use crate::api::{cancel_export, my_active_exports, retry_export, watch_exports};
use crate::format::{bytes, thousands};
use crate::model::{ExportJob, ExportStarted, JobStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;

/// Shared by the layout (which polls and shows the panel and toasts), the
/// export dialog and the Export page (which add jobs and show history).
#[derive(Clone, Copy)]
pub struct ExportTracker {
    guild: Memo<String>,
    /// Jobs still queued or running.
    pub jobs: RwSignal<Vec<ExportJob>>,
    /// Jobs that ended while watched, newest last.
    pub toasts: RwSignal<Vec<ExportJob>>,
    /// Bumped whenever a watched job changes, so lists can refetch.
    pub version: RwSignal<u64>,
    /// A start or retry failed: the sentence to show.
    pub error: RwSignal<Option<String>>,
}

impl ExportTracker {
    pub fn new(guild: Memo<String>) -> Self {
        Self {
            guild,
            jobs: RwSignal::new(Vec::new()),
            toasts: RwSignal::new(Vec::new()),
            version: RwSignal::new(0),
            error: RwSignal::new(None),
        }
    }

    pub fn watch(&self, job: ExportJob) {
        self.jobs.update(|jobs| {
            if !jobs.iter().any(|j| j.id == job.id) {
                jobs.push(job);
            }
        });
        self.version.update(|v| *v += 1);
    }

    /// What the browser does with a started export: download a ready file
    /// at once, watch a queued one.
    pub fn started(&self, started: ExportStarted) {
        self.error.set(None);
        match started {
            ExportStarted::Ready(job) => {
                self.version.update(|v| *v += 1);
                download(&job.download_url(&self.guild.get_untracked()));
            }
            ExportStarted::Queued(job) => self.watch(job),
        }
    }

    /// A watched job ended: one toast per job, however many answers say so
    /// (the poll and a Cancel crossing the finish both do).
    fn ended(&self, job: ExportJob) {
        self.jobs.update(|jobs| jobs.retain(|j| j.id != job.id));
        self.toasts.update(|t| {
            t.retain(|j| j.id != job.id);
            t.push(job);
        });
        self.version.update(|v| *v += 1);
    }

    pub fn dismiss(&self, id: i64) {
        self.toasts.update(|t| t.retain(|j| j.id != id));
    }

    pub fn cancel(&self, id: i64) {
        let this = *self;
        spawn_local(async move {
            match cancel_export(this.guild.get_untracked(), id).await {
                Ok(job) => this.ended(job),
                Err(e) => this.error.set(Some(e.to_string())),
            }
        });
    }

    pub fn retry(&self, id: i64) {
        let this = *self;
        this.dismiss(id);
        spawn_local(async move {
            match retry_export(this.guild.get_untracked(), id).await {
                Ok(started) => this.started(started),
                Err(e) => this.error.set(Some(e.to_string())),
            }
        });
    }
}

pub fn use_exports() -> ExportTracker {
    expect_context::<ExportTracker>()
}

/// Starts a download without leaving the page: the response is an
/// attachment, so the browser saves it and stays.
pub fn download(url: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(url);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = url;
}

/// Polls watched jobs every second (the progress promise), picks up the
/// member's running jobs after a reload, and renders the panel and toasts.
#[component]
pub fn ExportActivity() -> impl IntoView {
    let tracker = use_exports();
    let guild = tracker.guild;
    let in_flight = StoredValue::new(false);

    // After a reload: keep showing the member's own unfinished exports.
    Effect::new(move |_| {
        let slug = guild.get();
        spawn_local(async move {
            if let Ok(active) = my_active_exports(slug).await {
                for job in active {
                    tracker.watch(job);
                }
            }
        });
    });

    let poll = move || {
        let ids: Vec<i64> = tracker
            .jobs
            .with_untracked(|j| j.iter().map(|j| j.id).collect());
        if ids.is_empty() || in_flight.get_value() {
            return;
        }
        in_flight.set_value(true);
        spawn_local(async move {
            if let Ok(now) = watch_exports(guild.get_untracked(), ids).await {
                for job in now {
                    if job.status.is_active() {
                        let changed = tracker.jobs.with_untracked(|jobs| {
                            jobs.iter().any(|j| j.id == job.id && j != &job)
                        });
                        if changed {
                            tracker.jobs.update(|jobs| {
                                if let Some(j) = jobs.iter_mut().find(|j| j.id == job.id) {
                                    *j = job;
                                }
                            });
                            tracker.version.update(|v| *v += 1);
                        }
                    } else {
                        tracker.ended(job);
                    }
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

    let slug = move || guild.get();
    view! {
        <div class="export-activity" aria-label="Exports in progress" role="region">
            <For
                each=move || tracker.jobs.get()
                key=|j| (j.id, j.processed, j.status.as_str(), j.total)
                let:job
            >
                <div class="export-progress">
                    <div class="export-progress__head">
                        <strong>{job.filename.clone()}</strong>
                        <button
                            class="btn btn-ghost btn-small"
                            type="button"
                            on:click=move |_| tracker.cancel(job.id)
                        >
                            "Cancel"
                        </button>
                    </div>
                    <progress
                        max="100"
                        value=job.percent()
                        aria-label=format!("Progress of {}", job.filename)
                    ></progress>
                    <p class="export-progress__text" aria-live="polite">
                        {job.progress_text()}
                    </p>
                </div>
            </For>
            <Show when=move || tracker.error.get().is_some()>
                <div class="toast toast--error" role="alert">
                    <p>{move || tracker.error.get()}</p>
                    <button
                        class="btn btn-ghost btn-small"
                        type="button"
                        aria-label="Dismiss"
                        on:click=move |_| tracker.error.set(None)
                    >
                        "✕"
                    </button>
                </div>
            </Show>
            <Toasts tracker slug=Signal::derive(slug) />
        </div>
    }
}

/// How many toasts show at once; the rest wait behind "+N more".
const MAX_TOASTS: usize = 3;
/// How long a success toast stays, not counting time hovered or focused.
const TOAST_LIFETIME_MS: u32 = 8_000;

/// The ended exports, newest first: at most three, "+N more" for the rest,
/// and "Dismiss all".
#[component]
fn Toasts(tracker: ExportTracker, #[prop(into)] slug: Signal<String>) -> impl IntoView {
    let expanded = RwSignal::new(false);
    let shown = move || {
        let all = tracker.toasts.get();
        let keep = if expanded.get() {
            all.len()
        } else {
            MAX_TOASTS
        };
        all.into_iter().rev().take(keep).collect::<Vec<_>>()
    };
    let hidden = move || tracker.toasts.with(|t| t.len().saturating_sub(MAX_TOASTS));
    view! {
        <For each=shown key=|j| j.id let:job>
            <Toast job slug=slug.get_untracked() />
        </For>
        <Show when=move || { tracker.toasts.with(|t| t.len() > 1) }>
            <div class="toast-stack-actions">
                <Show when=move || { hidden() > 0 && !expanded.get() }>
                    <button
                        class="btn btn-ghost btn-small"
                        type="button"
                        on:click=move |_| expanded.set(true)
                    >
                        {move || format!("+{} more", hidden())}
                    </button>
                </Show>
                <button
                    class="btn btn-ghost btn-small"
                    type="button"
                    on:click=move |_| {
                        tracker.toasts.set(Vec::new());
                        expanded.set(false);
                    }
                >
                    "Dismiss all"
                </button>
            </div>
        </Show>
    }
}

/// Counts a success toast's life down while nobody looks at it: hovering
/// or focusing it pauses the count, leaving resumes it with what was left.
#[derive(Clone, Copy)]
struct Lifetime {
    left_ms: StoredValue<f64>,
    since: StoredValue<f64>,
    hovered: RwSignal<bool>,
    focused: RwSignal<bool>,
    timer: StoredValue<Option<gloo_timers::callback::Timeout>, LocalStorage>,
}

impl Lifetime {
    fn start(on_end: impl Fn() + Clone + 'static) -> Self {
        let life = Self {
            left_ms: StoredValue::new(f64::from(TOAST_LIFETIME_MS)),
            since: StoredValue::new(0.0),
            hovered: RwSignal::new(false),
            focused: RwSignal::new(false),
            timer: StoredValue::new_local(None),
        };
        Effect::new(move |_| {
            let paused = life.hovered.get() || life.focused.get();
            let now = web_sys::js_sys::Date::now();
            if paused {
                // Dropping the timeout cancels it; keep what was left.
                if life
                    .timer
                    .try_update_value(|t| t.take())
                    .flatten()
                    .is_some()
                {
                    life.left_ms
                        .update_value(|l| *l -= now - life.since.get_value());
                }
            } else {
                life.since.set_value(now);
                let on_end = on_end.clone();
                let ms = life.left_ms.get_value().max(0.0) as u32;
                life.timer
                    .set_value(Some(gloo_timers::callback::Timeout::new(ms, on_end)));
            }
        });
        on_cleanup(move || {
            life.timer.try_update_value(|t| t.take());
        });
        life
    }
}

#[component]
fn Toast(job: ExportJob, slug: String) -> impl IntoView {
    let tracker = use_exports();
    let id = job.id;
    let dismiss = view! {
        <button
            class="btn btn-ghost btn-small"
            type="button"
            aria-label="Dismiss"
            on:click=move |_| tracker.dismiss(id)
        >
            "✕"
        </button>
    };
    // Failures stay until closed; the rest go by themselves.
    let life =
        (job.status != JobStatus::Failed).then(|| Lifetime::start(move || tracker.dismiss(id)));
    let hover = move |on: bool| {
        if let Some(l) = life {
            l.hovered.set(on);
        }
    };
    let focus = move |on: bool| {
        if let Some(l) = life {
            l.focused.set(on);
        }
    };
    // Focus moving between the toast's own buttons is not leaving it.
    let focus_out = move |ev: leptos::ev::FocusEvent| {
        let inside = ev
            .related_target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Node>(t).ok())
            .zip(
                ev.current_target()
                    .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Node>(t).ok()),
            )
            .is_some_and(|(to, toast)| toast.contains(Some(&to)));
        if !inside {
            focus(false);
        }
    };
    // Download links carry rel=external: the router must not treat the file
    // as a page of the app.
    let body = match job.status {
        JobStatus::Done => view! {
            <p>
                <strong>"Export ready: "</strong>
                {job.filename.clone()}
                <span class="muted">
                    {format!(
                        " · {} · {}",
                        thousands(job.processed),
                        bytes(job.size_bytes.unwrap_or(0)),
                    )}
                </span>
            </p>
            <a
                class="btn btn-primary btn-small"
                href=job.download_url(&slug)
                rel="external"
                download=""
                on:click=move |_| tracker.dismiss(id)
            >
                "Download"
            </a>
        }
        .into_any(),
        JobStatus::Failed => view! {
            <p>
                <strong>"Export failed: "</strong>
                {job.progress_text()}
            </p>
            <button class="btn btn-small" type="button" on:click=move |_| tracker.retry(id)>
                "Retry"
            </button>
        }
        .into_any(),
        _ => view! {
            <p>{format!("Export of {} {}.", job.filename, job.status.label().to_lowercase())}</p>
            <button class="btn btn-small" type="button" on:click=move |_| tracker.retry(id)>
                "Start again"
            </button>
        }
        .into_any(),
    };
    let (class, role) = match job.status {
        JobStatus::Done => ("toast toast--done", "status"),
        JobStatus::Failed => ("toast toast--error", "alert"),
        _ => ("toast", "status"),
    };
    view! {
        <div
            class=class
            role=role
            on:mouseenter=move |_| hover(true)
            on:mouseleave=move |_| hover(false)
            on:focusin=move |_| focus(true)
            on:focusout=focus_out
        >
            {body}
            {dismiss}
        </div>
    }
}
