//! Guild settings → Deleted Items: the trash, one tab per kind, with days
//! left before the purge, an expiry warning, and restore / permanent delete
//! on a selection (the list pages' selection and bulk bar, in trash mode).

use super::guild_layout::use_guild;
use super::list_support::{platform_options, url_params, FilterForm};
use super::settings::SettingsTabs;
use crate::api::list_trash;
use crate::components::bulk_bar::BulkBar;
use crate::components::bulk_progress::BulkProgress;
use crate::components::error_panel::ErrorPanel;
use crate::components::fields::{InputField, SelectField};
use crate::components::pager::Pager;
use crate::components::selection::{SelectBox, SelectionState, SelectionToolbar};
use crate::components::tags::PlatformBadge;
use crate::format::{count, date, datetime, thousands};
use crate::model::filter::EXPIRING_WITHIN_DAYS;
use crate::model::{BulkAction, BulkRun, Entity, Role, TrashFilter, TrashItem};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{lazy_route, LazyRoute};

/// The route of Deleted Items. Its code is a wasm module of its own, fetched when
/// the page is first opened (`#[lazy_route]`, split by tools/wasm-split),
/// so that the first load of the list pages does not carry it.
pub struct TrashRoute;

#[lazy_route]
impl LazyRoute for TrashRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <TrashPage /> }.into_any()
    }
}

#[component]
pub fn TrashPage() -> impl IntoView {
    let guild = use_guild();
    let params = url_params();
    let filter = Memo::new(move |_| TrashFilter::from_params(&params.get()).ok());
    let entity = Memo::new(move |_| filter.get().map_or(Entity::Posts, |f| f.show));
    let trash = Resource::new(
        move || (guild.slug.get(), params.get()),
        |(g, p)| list_trash(g, p),
    );
    let path = Signal::derive(move || format!("/g/{}/settings/trash", guild.slug.get()));
    // One selection per tab: switching tabs is a change of view, which
    // clears it (and says so).
    let selection = SelectionState::new("item", "items");
    let bulk_run = RwSignal::new(None::<BulkRun>);
    let ask = RwSignal::new(None::<BulkAction>);
    Effect::new(move |_| {
        if let Some(Ok(data)) = trash.get() {
            selection.show_page(
                &params.get_untracked(),
                data.items.iter().map(|i| i.id).collect(),
                data.total,
                data.estimated,
            );
        }
    });
    let refresh = Callback::new(move |_| {
        trash.refetch();
        guild.data.refetch();
    });
    // Both borrow the selection for their dialog: cancelling it puts back
    // what was selected before.
    let restore_one = Callback::new(move |id: i64| {
        selection.borrow(|s| s.select_ids([id]));
        ask.set(Some(BulkAction::Restore));
    });
    // Everything this view shows (a whole tab, or one deletion), at once.
    let act_on_view = Callback::new(move |action: BulkAction| {
        selection.borrow(|s| s.select_all_matching());
        ask.set(Some(action));
    });
    let empty_trash = move |_| act_on_view.run(BulkAction::Purge);
    // Read inside a Transition: the role and the page arrive with the
    // resources, and a button rendered before them would keep its
    // server-side "loading" state after hydration.
    let head = move || {
        Suspend::new(async move {
            let role = guild.data.await.ok().map(|c| c.guild.role);
            let page = trash.await.ok();
            let refused = match role {
                Some(Role::Admin) => None,
                Some(r) => Some(format!(
                    "Only admins can delete items permanently; you are {}.",
                    r.with_article()
                )),
                None => Some("Your role could not be loaded; reload the page.".to_string()),
            };
            let days = page.as_ref().map_or(30, |p| p.retention_days);
            let nothing = page.as_ref().is_none_or(|p| p.total == 0);
            let filtered = filter.get_untracked().is_some_and(|f| f.is_filtered());
            view! {
                <p class="lead">
                    {format!(
                        "Deleted accounts and posts stay here for {days} days, then they are deleted for good. ",
                    )} "Restoring puts an item back in its group and brand. "
                    "A post whose account is deleted too comes back with its account."
                </p>
                <div class="trash-head__action">
                    <button
                        class="btn btn-danger"
                        type="button"
                        aria-haspopup="dialog"
                        disabled=refused.is_some() || nothing
                        aria-describedby=refused.is_some().then_some("empty-trash-why")
                        on:click=empty_trash
                    >
                        {if filtered {
                            "Delete all matching permanently…"
                        } else {
                            "Empty trash…"
                        }}
                    </button>
                    {refused
                        .map(|r| {
                            view! {
                                <p id="empty-trash-why" class="muted small">
                                    {r}
                                </p>
                            }
                        })}
                </div>
            }
        })
    };

    let tab_link = move |show: Entity, label: &'static str, n: i64| {
        let href = format!("{}?show={}", path.get_untracked(), show.as_str());
        let current = (entity.get_untracked() == show).then_some("page");
        view! {
            <a class="tab" href=href aria-current=current>
                {label}
                " "
                <span class="tab-count">{thousands(n)}</span>
            </a>
        }
    };
    let field = move |f: fn(&TrashFilter) -> String| {
        Signal::derive(move || filter.get().map(|x| f(&x)).unwrap_or_default())
    };

    let body = move || {
        Suspend::new(async move {
            trash.await.map(|data| {
                let f = filter.get_untracked().unwrap_or_else(|| {
                    TrashFilter::from_params(&Default::default()).expect("defaults parse")
                });
                let base = path.get_untracked();
                let show = data.entity;
                let banner = data.expiring_text().map(|text| {
                    let href = format!(
                        "{base}{}",
                        TrashFilter { expiring: true, batch: None, ..f.clone() }.to_query(1)
                    );
                    view! {
                        <p class="expiry-banner" role="status">
                            <strong>{text}</strong>
                            ". "
                            <a href=href>"Show them"</a>
                        </p>
                    }
                });
                let batch_chip = f.batch.clone().map(|b| {
                    let without = TrashFilter { batch: None, ..f.clone() }.to_query(1);
                    view! {
                        <p class="active-chip">
                            "Items of one deletion ("<code>{b}</code>")"
                            <a href=format!("{base}{without}") aria-label="Show every deletion">
                                "✕"
                            </a>
                        </p>
                        <button
                            class="btn btn-small"
                            type="button"
                            aria-haspopup="dialog"
                            on:click=move |_| act_on_view.run(BulkAction::Restore)
                        >
                            "Restore this deletion…"
                        </button>
                    }
                });
                let info = data.info();
                let now = data.now;
                let rows = data
                    .items
                    .into_iter()
                    .map(|item| view! { <TrashRow item show now base=base.clone() selection restore_one /> })
                    .collect_view();
                let empty = info.total == 0;
                let filtered = f.is_filtered();
                let href = {
                    let (base, f) = (base.clone(), f.clone());
                    Callback::new(move |n: u32| format!("{base}{}", f.to_query(n)))
                };
                let (one, many) = match show {
                    Entity::Accounts => ("deleted account", "deleted accounts"),
                    Entity::Posts => ("deleted post", "deleted posts"),
                };
                view! {
                    {banner}
                    <nav class="tabs tabs--sub" aria-label="Kind of item">
                        {tab_link(Entity::Posts, "Posts", data.posts_total)}
                        {tab_link(Entity::Accounts, "Accounts", data.accounts_total)}
                    </nav>
                    {batch_chip}
                    {if empty {
                        view! {
                            <div class="panel empty" role="status">
                                <h2>
                                    {if filtered {
                                        format!("No {many} match these filters")
                                    } else {
                                        format!("No {many}")
                                    }}
                                </h2>
                                <p>
                                    {format!(
                                        "Deleted items stay here for {} days; then they are deleted for good.",
                                        data.retention_days,
                                    )}
                                </p>
                            </div>
                        }
                            .into_any()
                    } else {
                        view! {
                            <p class="list-total" aria-live="polite">
                                {info.total_text(one, many)}
                            </p>
                            <SelectionToolbar selection />
                            <ul class="trash-list" aria-label=many>
                                {rows}
                            </ul>
                            <Pager info one many href />
                        }
                            .into_any()
                    }}
                }
            })
        })
    };

    view! {
        <Title text="Deleted Items" />
        <header class="page-head">
            <h1>"Guild settings"</h1>
        </header>
        <SettingsTabs />
        <div class="trash-head">
            <Transition fallback=|| ()>{head}</Transition>
        </div>
        <FilterForm
            active=Signal::derive(move || filter.get().map_or(0, |f| f.active_count()))
            label="Filter deleted items"
            path
            filtered=Signal::derive(move || filter.get().is_some_and(|f| f.is_filtered()))
            canonical=|p| crate::model::TrashFilter::from_params(p).ok().map(|f| f.to_query(1))
        >
            <input type="hidden" name="show" value=move || entity.get().as_str() />
            <InputField
                label="Search"
                name="q"
                kind="search"
                class="field--grow"
                placeholder="Caption, name or @handle"
                value=field(|f| f.q.clone())
            />
            <SelectField
                label="Platform"
                name="platform"
                any_label="All platforms"
                options=platform_options()
                value=field(|f| f.platform.map(|p| p.as_str().to_string()).unwrap_or_default())
            />
            <SelectField
                label="Purge"
                name="expiring"
                any_label="Any time"
                options=vec![("1".to_string(), format!("Within {EXPIRING_WITHIN_DAYS} days"))]
                value=field(|f| if f.expiring { "1".into() } else { String::new() })
            />
        </FilterForm>
        <BulkProgress run=bulk_run selection on_done=refresh />
        <section class="results" aria-label="Deleted items">
            <Transition fallback=|| view! { <p class="muted">"Loading deleted items…"</p> }>
                <ErrorBoundary fallback=|errors| {
                    view! { <ErrorPanel errors /> }
                }>{body}</ErrorBoundary>
            </Transition>
        </section>
        {move || {
            let e = entity.get();
            view! {
                <Show when=move || !selection.is_empty()>
                    <BulkBar entity=e selection run=bulk_run trash=true ask />
                </Show>
            }
        }}
    }
}

/// One trashed item: what it is, who deleted it when, days left, and what
/// a restore will do with it.
#[component]
fn TrashRow(
    item: TrashItem,
    show: Entity,
    now: DateTime<Utc>,
    /// The page's path, for the batch and account links.
    base: String,
    selection: SelectionState,
    restore_one: Callback<i64>,
) -> impl IntoView {
    let id = item.id;
    let expiring = item.expiring(now);
    let title = match show {
        Entity::Accounts => format!("@{} · {}", item.handle, item.text),
        Entity::Posts => format!("@{} · “{}”", item.handle, item.text),
    };
    let label = format!("Select {title}");
    let who = item
        .deleted_by
        .clone()
        .unwrap_or_else(|| "a former member".into());
    let place = format!(
        "{} · {}",
        item.group.clone().unwrap_or_else(|| "No group".into()),
        item.brand.clone().unwrap_or_else(|| "No brand".into())
    );
    let batch = item.batch_id.clone().map(|b| {
        let href = format!("{base}?show={}&batch={b}", show.as_str());
        view! {
            " · "
            <a href=href>"Show this deletion"</a>
        }
    });
    let posts = (show == Entity::Accounts && item.posts > 0).then(|| {
        view! {
            <span class="muted">
                {format!(" · {} deleted with it", count(item.posts, "post", "posts"))}
            </span>
        }
    });
    let note = item
        .restore_note()
        .map(|n| view! { <p class="trash-row__note">{n}</p> });
    let account = item.account_in_trash;
    let held = account.map(|_| {
        let href = format!(
            "{base}?show=accounts&q={}",
            crate::model::query::encode_component(&item.handle)
        );
        view! {
            <p class="trash-row__note">
                "Its account @"{item.handle.clone()}" is deleted too: "
                <a href=href>"restore the account"</a>" to bring this post back."
            </p>
        }
    });
    let class = move || {
        let mut c = String::from("trash-row");
        if expiring {
            c.push_str(" trash-row--expiring");
        }
        if selection.is_selected(id) {
            c.push_str(" card--selected");
        }
        c
    };
    view! {
        <li class=class data-id=id>
            <div class="card-select">
                <SelectBox selection id label />
            </div>
            <div class="trash-row__body">
                <p class="trash-row__title">
                    <PlatformBadge platform=item.platform />
                    " "
                    <strong>{title}</strong>
                </p>
                <p class="muted small">
                    "Deleted by "{who}" on "
                    <time datetime=item.deleted_at.to_rfc3339() title=datetime(item.deleted_at)>
                        {date(item.deleted_at)}
                    </time> {batch}" · "{place}{posts}
                </p>
                {note}
                {held}
            </div>
            <div class="trash-row__side">
                <span
                    class=if expiring { "days-left days-left--soon" } else { "days-left" }
                    title=format!("Deleted for good on {}", datetime(item.purge_at))
                >
                    {item.days_left_text(now)}
                </span>
                {account
                    .is_none()
                    .then(|| {
                        view! {
                            <button
                                class="btn btn-small"
                                type="button"
                                aria-haspopup="dialog"
                                on:click=move |_| restore_one.run(id)
                            >
                                "Restore"
                            </button>
                        }
                    })}
            </div>
        </li>
    }
}
