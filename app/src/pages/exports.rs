//! `/g/:guild/exports`: start an export with every option, and the guild's
//! export history with progress, downloads, Cancel and Retry.

use super::guild_layout::use_guild;
use super::list_support::form_values;
use crate::api::{export_history, import_history, StartExport};
use crate::components::error_panel::ErrorPanel;
use crate::components::export_dialog::{FilenameField, FormatChoice};
use crate::components::export_tracker::use_exports;
use crate::components::filter_fields::{AccountFilterFields, FieldsFor, PostFilterFields};
use crate::components::import_dialog::ImportButton;
use crate::format::{bytes, datetime, thousands};
use crate::model::export::default_filename_for_today;
use crate::model::{
    AccountFilter, Entity, ExportFormat, ExportJob, ExportRequest, ExportScope, JobStatus,
    PostFilter, Role,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{lazy_route, LazyRoute};

/// The route of Exports (with the import dialog). Its code is a wasm module of its own, fetched when
/// the page is first opened (`#[lazy_route]`, split by tools/wasm-split),
/// so that the first load of the list pages does not carry it.
pub struct ExportsRoute;

#[lazy_route]
impl LazyRoute for ExportsRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <ExportsPage /> }.into_any()
    }
}

#[component]
pub fn ExportsPage() -> impl IntoView {
    let guild = use_guild();
    let tracker = use_exports();
    let history = Resource::new(
        move || (guild.slug.get(), tracker.version.get()),
        |(g, _)| export_history(g),
    );
    // Imports change the guild's data: an admin's.
    let imports_changed = RwSignal::new(0u32);
    let admin = move || {
        Suspend::new(async move {
            let admin = guild
                .data
                .await
                .is_ok_and(|ctx| ctx.guild.role == Role::Admin);
            admin.then(|| view! { <ImportButton guild=guild.slug changed=imports_changed /> })
        })
    };
    let imports = move || {
        Suspend::new(async move {
            let admin = guild
                .data
                .await
                .is_ok_and(|ctx| ctx.guild.role == Role::Admin);
            admin.then(|| view! { <ImportHistory changed=imports_changed /> })
        })
    };
    view! {
        <Title text="Exports" />
        <header class="page-head">
            <h1>"Exports"</h1>
            <Transition fallback=|| ()>{admin}</Transition>
        </header>
        <NewExport />
        <section class="panel history" aria-labelledby="history-title">
            <h2 id="history-title">"History"</h2>
            <p class="muted">
                "Files are kept for a limited time, then removed; the history stays."
            </p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| {
                    view! { <ErrorPanel errors /> }
                }>
                    {move || Suspend::new(async move {
                        history
                            .await
                            .map(|jobs| {
                                view! { <HistoryTable jobs slug=guild.slug.get_untracked() /> }
                            })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
        <Transition fallback=|| ()>{imports}</Transition>
    }
}

/// The guild's imports, newest first (admins).
#[component]
fn ImportHistory(changed: RwSignal<u32>) -> impl IntoView {
    let guild = use_guild();
    let history = Resource::new(
        move || (guild.slug.get(), changed.get()),
        |(g, _)| import_history(g),
    );
    let table = move || {
        Suspend::new(async move {
            history.await.map(|jobs| {
                if jobs.is_empty() {
                    return view! {
                        <p class="empty-history">
                            "No imports yet. Import… above restores a guild from its own export, or moves one to this instance."
                        </p>
                    }
                    .into_any();
                }
                let rows = jobs
                    .into_iter()
                    .map(|job| {
                        let what = job
                            .entity
                            .map(|e| e.title().to_string())
                            .unwrap_or_else(|| "—".into());
                        let state = if job.status.is_busy() {
                            view! {
                                <progress max="100" value=job.percent().unwrap_or(0)></progress>
                                <span class="muted">{job.progress_text()}</span>
                            }
                            .into_any()
                        } else {
                            view! {
                                <span class=format!(
                                    "status status--{}",
                                    job.status.as_str(),
                                )>{job.progress_text()}</span>
                                <span class="muted">{job.result_text()}</span>
                            }
                            .into_any()
                        };
                        view! {
                            <tr data-status=job.status.as_str()>
                                <td data-label="File">
                                    <span class="filename">{job.file_name.clone()}</span>
                                    <span class="muted">
                                        {format!("{what} · {}", bytes(job.size_bytes))}
                                    </span>
                                </td>
                                <td data-label="By, when">
                                    {job.requested_by.clone()}
                                    <span class="muted">{datetime(job.created_at)}</span>
                                </td>
                                <td data-label="Items" class="num">
                                    {job.total.map(thousands).unwrap_or_else(|| "—".into())}
                                </td>
                                <td data-label="Status" class="status-cell">
                                    {state}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view();
                view! {
                    <div class="table-wrap">
                        <table class="history-table stack-table">
                            <thead>
                                <tr>
                                    <th scope="col">"File"</th>
                                    <th scope="col">"By, when"</th>
                                    <th scope="col" class="num">
                                        "Items"
                                    </th>
                                    <th scope="col">"Status"</th>
                                </tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                }
                .into_any()
            })
        })
    };
    view! {
        <section class="panel history" aria-labelledby="imports-title">
            <h2 id="imports-title">"Imports"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| {
                    view! { <ErrorPanel errors /> }
                }>{table}</ErrorBoundary>
            </Transition>
        </section>
    }
}

/// The full form: entity, format, all or filtered, the filters, file name.
#[component]
fn NewExport() -> impl IntoView {
    let guild = use_guild();
    let tracker = use_exports();
    let entity = RwSignal::new(Entity::Posts);
    let format = RwSignal::new(ExportFormat::Csv);
    let filename = RwSignal::new(String::new());
    let start = ServerAction::<StartExport>::new();
    let error = RwSignal::new(None::<String>);
    let default = Signal::derive(move || {
        default_filename_for_today(&guild.slug.get(), entity.get(), format.get())
    });
    Effect::new(move |_| {
        if let Some(result) = start.value().get() {
            match result {
                Ok(started) => {
                    error.set(None);
                    tracker.started(started);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(form) = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlFormElement>(t).ok())
        else {
            return;
        };
        // The filter fields are the list pages' own; read them off the form.
        let mut params = form_values(&form);
        for not_a_filter in ["entity", "format", "filename", "scope"] {
            params.remove(not_a_filter);
        }
        // The default order is no choice: keep the request (and its JSON
        // header) to what was set.
        let default_sort = match entity.get_untracked() {
            Entity::Accounts => crate::model::AccountSort::default().as_str(),
            Entity::Posts => crate::model::PostSort::default().as_str(),
        };
        if params.get("sort").map(String::as_str) == Some(default_sort) {
            params.remove("sort");
        }
        // The filter parser is shared with the server: say what is wrong
        // before sending anything (the server checks again). Nothing that
        // narrows the export, in the default order, is everything.
        let checked = match entity.get_untracked() {
            Entity::Accounts => AccountFilter::from_params(&params)
                .map(|f| f.is_filtered() || f.sort != Default::default()),
            Entity::Posts => PostFilter::from_params(&params)
                .map(|f| f.is_filtered() || f.sort != Default::default()),
        };
        let all = match checked {
            Ok(narrowed) => !narrowed,
            Err(e) => {
                error.set(Some(e.to_string()));
                return;
            }
        };
        let scope = if all {
            ExportScope::All
        } else {
            ExportScope::View(params)
        };
        start.dispatch(StartExport {
            guild: guild.slug.get_untracked(),
            request: ExportRequest {
                entity: entity.get_untracked(),
                format: format.get_untracked(),
                scope,
                filename: filename.get_untracked(),
                confirm: None,
            },
        });
    };
    let filters = move || {
        Suspend::new(async move {
            let ctx = guild.data.await.ok()?;
            Some(match entity.get() {
                Entity::Posts => view! {
                    <PostFilterFields
                        ctx
                        filter=Signal::derive(PostFilter::default)
                        used_in=FieldsFor::Export
                    />
                }
                .into_any(),
                Entity::Accounts => view! {
                    <AccountFilterFields
                        ctx
                        filter=Signal::derive(AccountFilter::default)
                        used_in=FieldsFor::Export
                    />
                }
                .into_any(),
            })
        })
    };
    view! {
        <section class="panel new-export" aria-labelledby="new-export-title">
            <h2 id="new-export-title">"New export"</h2>
            <form class="export-form" on:submit=submit>
                <fieldset class="choice">
                    <legend>"What"</legend>
                    {Entity::ALL
                        .into_iter()
                        .map(|e| {
                            view! {
                                <label class="choice__option">
                                    <input
                                        type="radio"
                                        name="entity"
                                        value=e.as_str()
                                        prop:checked=move || entity.get() == e
                                        on:change=move |_| entity.set(e)
                                    />
                                    {e.title()}
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <FormatChoice format />
                <fieldset class="filters">
                    <legend>"Only items matching (leave empty for everything)"</legend>
                    <div class="filter-fields">
                        <Transition fallback=|| ()>{filters}</Transition>
                    </div>
                </fieldset>
                <FilenameField filename default />
                <Show when=move || error.get().is_some()>
                    <p class="form-error" role="alert">
                        {move || error.get()}
                    </p>
                </Show>
                <div class="form-actions">
                    <button
                        class="btn btn-primary"
                        type="submit"
                        disabled=move || start.pending().get()
                    >
                        {move || {
                            if start.pending().get() { "Preparing…" } else { "Start export" }
                        }}
                    </button>
                </div>
            </form>
        </section>
    }
}

#[component]
fn HistoryTable(jobs: Vec<ExportJob>, slug: String) -> impl IntoView {
    if jobs.is_empty() {
        return view! {
            <p class="empty-history">
                "No exports yet. Start one above, or with Export… on the Accounts and Posts pages."
            </p>
        }
        .into_any();
    }
    let tracker = use_exports();
    let rows =
        jobs.into_iter()
            .map(|job| {
                let id = job.id;
                let action = match job.status {
                JobStatus::Done => view! {
                    <a
                        class="btn btn-small btn-primary"
                        href=job.download_url(&slug)
                        rel="external"
                        download=""
                        aria-label=format!("Download {}", job.filename)
                    >
                        "Download"
                    </a>
                }.into_any(),
                s if s.is_active() => view! {
                    <button
                        class="btn btn-small"
                        type="button"
                        on:click=move |_| tracker.cancel(id)
                    >
                        "Cancel"
                    </button>
                }.into_any(),
                _ => view! {
                    <button class="btn btn-small" type="button" on:click=move |_| tracker.retry(id)>
                        "Export again"
                    </button>
                }.into_any(),
            };
                let status = if job.status.is_active() {
                    view! {
                        <progress max="100" value=job.percent()></progress>
                        <span class="muted">{job.progress_text()}</span>
                    }
                    .into_any()
                } else if job.status == JobStatus::Failed {
                    view! {
                        <span class="status status--failed">"Failed"</span>
                        <span class="muted">{job.progress_text()}</span>
                    }
                    .into_any()
                } else {
                    let expires = job
                        .expires_at
                        .filter(|_| job.status == JobStatus::Done)
                        .map(|t| format!("until {}", datetime(t)));
                    view! {
                        <span class=format!(
                            "status status--{}",
                            job.status.as_str(),
                        )>{job.status.label()}</span>
                        <span class="muted">{expires}</span>
                    }
                    .into_any()
                };
                view! {
                    <tr data-status=job.status.as_str()>
                        <td data-label="File">
                            <span class="filename">{job.filename.clone()}</span>
                            <span class="muted">
                                {format!("{} · {}", job.entity.title(), job.format.label())}
                            </span>
                        </td>
                        <td data-label="Scope">{job.scope.clone()}</td>
                        <td data-label="By, when">
                            {job.requested_by_text()}
                            <span class="muted">{datetime(job.created_at)}</span>
                        </td>
                        <td data-label="Rows" class="num">
                            {job.total.map(thousands).unwrap_or_else(|| "—".into())}
                        </td>
                        <td data-label="Size" class="num">
                            {job.size_bytes.map(bytes).unwrap_or_else(|| "—".into())}
                        </td>
                        <td data-label="Status" class="status-cell">
                            {status}
                        </td>
                        <td class="actions-cell">{action}</td>
                    </tr>
                }
            })
            .collect_view();
    view! {
        <div class="table-wrap">
            <table class="history-table stack-table">
                <thead>
                    <tr>
                        <th scope="col">"File"</th>
                        <th scope="col">"Scope"</th>
                        <th scope="col">"By, when"</th>
                        <th scope="col" class="num">
                            "Rows"
                        </th>
                        <th scope="col" class="num">
                            "Size"
                        </th>
                        <th scope="col">"Status"</th>
                        <th scope="col">
                            <span class="sr-only">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}
