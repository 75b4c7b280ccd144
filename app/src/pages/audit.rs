//! Guild settings → Audit log: who did what, newest first, filterable by
//! action, member and date; a batch's summary expands to its items.

use super::guild_layout::use_guild;
use super::list_support::{url_params, FilterForm};
use super::settings::SettingsTabs;
use crate::api::{audit_actors, audit_batch, audit_log};
use crate::components::audit_mirror::AuditMirrorSection;
use crate::components::error_panel::ErrorPanel;
use crate::components::fields::{InputField, SelectField};
use crate::components::pager::Pager;
use crate::format::{datetime, thousands};
use crate::model::audit::AUDIT_ACTIONS;
use crate::model::{AuditEntry, AuditFilter, Role};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{lazy_route, LazyRoute};

/// The route of the Audit log. Its code is a wasm module of its own, fetched when
/// the page is first opened (`#[lazy_route]`, split by tools/wasm-split),
/// so that the first load of the list pages does not carry it.
pub struct AuditRoute;

#[lazy_route]
impl LazyRoute for AuditRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <AuditPage /> }.into_any()
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let guild = use_guild();
    let params = url_params();
    let filter = Memo::new(move |_| AuditFilter::from_params(&params.get()).unwrap_or_default());
    let log = Resource::new(
        move || (guild.slug.get(), params.get()),
        move |(g, p)| async move {
            // Viewers are told so without a request that would only be a 403.
            if guild.data.await?.guild.role < Role::Editor {
                return Ok(None);
            }
            audit_log(g, p).await.map(Some)
        },
    );
    let actors = Resource::new(
        move || guild.slug.get(),
        move |g| async move {
            match guild.data.await {
                Ok(ctx) if ctx.guild.role >= Role::Editor => {
                    audit_actors(g).await.unwrap_or_default()
                }
                _ => Vec::new(),
            }
        },
    );
    let path = Signal::derive(move || format!("/g/{}/settings/audit", guild.slug.get()));
    let field = move |f: fn(&AuditFilter) -> String| Signal::derive(move || f(&filter.get()));

    let bar = move || {
        Suspend::new(async move {
            let members = actors.await;
            view! {
                <FilterForm
                    active=Signal::derive(move || filter.get().active_count())
                    label="Filter the audit log"
                    path
                    filtered=Signal::derive(move || filter.get().is_filtered())
                    canonical=|p| {
                        crate::model::AuditFilter::from_params(p).ok().map(|f| f.to_query(1))
                    }
                >
                    <SelectField
                        label="Action"
                        name="action"
                        any_label="All actions"
                        options=AUDIT_ACTIONS
                            .iter()
                            .map(|(v, l)| (v.to_string(), l.to_string()))
                            .collect()
                        value=field(|f| f.action.clone().unwrap_or_default())
                    />
                    <SelectField
                        label="Member"
                        name="actor"
                        any_label="Anyone"
                        options=members.into_iter().map(|m| (m.username, m.display_name)).collect()
                        value=field(|f| f.actor.clone().unwrap_or_default())
                    />
                    <InputField
                        label="From"
                        name="from"
                        kind="date"
                        value=field(|f| f.from.map(|d| d.to_string()).unwrap_or_default())
                    />
                    <InputField
                        label="To"
                        name="to"
                        kind="date"
                        value=field(|f| f.to.map(|d| d.to_string()).unwrap_or_default())
                    />
                </FilterForm>
            }
        })
    };

    let rows = move || {
        Suspend::new(async move {
            log.await.map(|page| {
                let Some(page) = page else {
                    return view! { <p class="panel muted">"Only editors and admins can see the audit log."</p> }.into_any();
                };
                if page.items.is_empty() {
                    return view! {
                        <div class="panel empty" role="status">
                            <h2>
                                {if filter.get_untracked().is_filtered() {
                                    "No entries match these filters"
                                } else {
                                    "Nothing has happened yet"
                                }}
                            </h2>
                            <p>"Exports, deletes and reassignments appear here."</p>
                        </div>
                    }.into_any();
                }
                let info = page.info();
                let f = filter.get_untracked();
                let base = path.get_untracked();
                let href = Callback::new(move |n: u32| format!("{base}{}", f.to_query(n)));
                let entries = page.items.into_iter().map(|e| view! { <EntryRow entry=e /> }).collect_view();
                view! {
                    <table class="table audit-table stack-table">
                        <thead>
                            <tr>
                                <th scope="col">"When"</th>
                                <th scope="col">"Who"</th>
                                <th scope="col">"Action"</th>
                                <th scope="col">"What"</th>
                            </tr>
                        </thead>
                        {entries}
                    </table>
                    <Pager info one="entry" many="entries" href />
                }.into_any()
            })
        })
    };

    // Admins choose here whether the log is posted to a Discord channel.
    let mirror = move || {
        Suspend::new(async move {
            guild
                .data
                .await
                .is_ok_and(|ctx| ctx.guild.role == Role::Admin)
                .then(|| view! { <AuditMirrorSection /> })
        })
    };

    view! {
        <Title text="Audit log" />
        <header class="page-head">
            <h1>"Guild settings"</h1>
        </header>
        <SettingsTabs />
        <Transition fallback=|| ()>{bar}</Transition>
        <section class="panel" aria-label="Audit log">
            <Transition fallback=|| view! { <p class="muted">"Loading the audit log…"</p> }>
                <ErrorBoundary fallback=|errors| {
                    view! { <ErrorPanel errors /> }
                }>{rows}</ErrorBoundary>
            </Transition>
        </section>
        <Transition fallback=|| ()>{mirror}</Transition>
    }
}

fn action_label(action: &str) -> String {
    AUDIT_ACTIONS
        .iter()
        .find(|(v, _)| *v == action)
        .map(|(_, l)| l.to_string())
        .unwrap_or_else(|| action.replace(".item", "").replace(".failed", ""))
}

/// One entry; a batch summary gets a button that shows its items.
#[component]
fn EntryRow(entry: AuditEntry) -> impl IntoView {
    let expanded = RwSignal::new(false);
    let batch = entry.batch_id.clone().filter(|_| entry.items > 0);
    let items_id = format!("audit-items-{}", entry.id);
    let controls = items_id.clone();
    let n = entry.items;
    view! {
        <tbody class="audit-entry" id=format!("audit-entry-{}", entry.id)>
            <tr>
                <td data-label="When" class="nowrap">
                    <time datetime=entry.at.to_rfc3339()>{datetime(entry.at)}</time>
                </td>
                <td data-label="Who">{entry.actor.clone().unwrap_or_else(|| "System".into())}</td>
                <td data-label="Action">
                    <span class="role-pill">{action_label(&entry.action)}</span>
                </td>
                <td data-label="What">
                    <span class="audit-summary">{entry.summary.clone()}</span>
                    {entry
                        .selection
                        .clone()
                        .map(|s| view! { <span class="muted small">{format!(" · {s}")}</span> })}
                    {entry
                        .reason
                        .clone()
                        .map(|r| view! { <div class="muted small">"Reason: "{r}</div> })}
                    {batch
                        .is_some()
                        .then(|| {
                            view! {
                                <div>
                                    <button
                                        class="link-button"
                                        type="button"
                                        aria-expanded=move || expanded.get().to_string()
                                        aria-controls=controls.clone()
                                        on:click=move |_| expanded.update(|e| *e = !*e)
                                    >
                                        {move || {
                                            if expanded.get() {
                                                "Hide the items".to_string()
                                            } else {
                                                format!(
                                                    "Show {} {}",
                                                    thousands(n),
                                                    if n == 1 { "item" } else { "items" },
                                                )
                                            }
                                        }}
                                    </button>
                                </div>
                            }
                        })}
                </td>
            </tr>
            {batch
                .map(|b| {
                    view! {
                        <tr id=items_id hidden=move || !expanded.get()>
                            <td colspan="4">
                                <Show when=move || expanded.get()>
                                    <BatchItems batch=b.clone() />
                                </Show>
                            </td>
                        </tr>
                    }
                })}
        </tbody>
    }
}

/// The items of one batch, 50 at a time.
#[component]
fn BatchItems(batch: String) -> impl IntoView {
    let guild = use_guild();
    let page = RwSignal::new(1u32);
    let items = Resource::new(
        move || (guild.slug.get(), batch.clone(), page.get()),
        |(g, b, p)| audit_batch(g, b, p),
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the items…"</p> }>
            <ErrorBoundary fallback=|errors| {
                view! { <ErrorPanel errors /> }
            }>
                {move || Suspend::new(async move {
                    items
                        .await
                        .map(|p| {
                            let info = p.info();
                            let (current, last) = (info.page, info.page_count());
                            view! {
                                <ul class="audit-items">
                                    {p
                                        .items
                                        .into_iter()
                                        .map(|e| {
                                            let failed = e.action.ends_with(".failed");
                                            view! {
                                                <li class:audit-item--failed=failed>{e.summary}</li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                                <p class="audit-items__nav muted small">
                                    {format!(
                                        "{}–{} of {}",
                                        thousands(info.first_index()),
                                        thousands(info.last_index()),
                                        thousands(info.total),
                                    )}
                                    {(current > 1)
                                        .then(|| {
                                            view! {
                                                " · "
                                                <button
                                                    class="link-button"
                                                    type="button"
                                                    on:click=move |_| page.set(current - 1)
                                                >
                                                    "Previous"
                                                </button>
                                            }
                                        })}
                                    {(current < last)
                                        .then(|| {
                                            view! {
                                                " · "
                                                <button
                                                    class="link-button"
                                                    type="button"
                                                    on:click=move |_| page.set(current + 1)
                                                >
                                                    "Next"
                                                </button>
                                            }
                                        })}
                                </p>
                            }
                        })
                })}
            </ErrorBoundary>
        </Transition>
    }
}
