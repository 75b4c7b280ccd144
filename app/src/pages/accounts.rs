use super::guild_layout::use_guild;
use super::list_support::{url_params, FilterForm, ListResults};
use crate::api::list_accounts;
use crate::components::account_card::AccountCard;
use crate::components::bulk_bar::BulkBar;
use crate::components::bulk_progress::BulkProgress;
use crate::components::error_panel::ErrorPanel;
use crate::components::export_dialog::ExportButton;
use crate::components::filter_fields::AccountFilterFields;
use crate::components::selection::{SelectionState, SelectionToolbar};
use crate::components::skeleton::CardSkeletons;
use crate::model::AccountFilter;
use crate::model::{BulkRun, Entity};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{lazy_route, LazyRoute};

/// The route of the Accounts list. Its code is a wasm module of its own, fetched when
/// the page is first opened (`#[lazy_route]`, split by tools/wasm-split),
/// so that the first load of Posts does not carry it.
pub struct AccountsRoute;

#[lazy_route]
impl LazyRoute for AccountsRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <AccountsPage /> }.into_any()
    }
}

#[component]
pub fn AccountsPage() -> impl IntoView {
    let guild = use_guild();
    let params = url_params();
    // A bad URL still renders the bar (with defaults); the list explains.
    let filter = Memo::new(move |_| AccountFilter::from_params(&params.get()).unwrap_or_default());
    let list = Resource::new(
        move || (guild.slug.get(), params.get()),
        |(g, p)| list_accounts(g, p),
    );
    let path = Signal::derive(move || format!("/g/{}/accounts", guild.slug.get()));
    let selection = SelectionState::new("account", "accounts");
    let bulk_run = RwSignal::new(None::<BulkRun>);
    Effect::new(move |_| {
        if let Some(Ok(page)) = list.get() {
            selection.show_page(
                &params.get_untracked(),
                page.items.iter().map(|a| a.id).collect(),
                page.total,
                page.estimated,
            );
        }
    });
    let refresh = Callback::new(move |_| {
        list.refetch();
        guild.data.refetch();
    });

    let bar = move || {
        Suspend::new(async move {
            let ctx = guild.data.await.ok()?;
            Some(view! {
                <FilterForm
                    active=Signal::derive(move || filter.get().active_count())
                    label="Filter accounts"
                    path
                    filtered=Signal::derive(move || filter.get().is_filtered())
                    canonical=|p| {
                        crate::model::AccountFilter::from_params(p).ok().map(|f| f.to_query(1))
                    }
                >
                    <AccountFilterFields ctx filter />
                </FilterForm>
            })
        })
    };

    let results = move || {
        Suspend::new(async move {
            list.await.map(|page| {
                let f = filter.get_untracked();
                let slug = guild.slug.get_untracked();
                let base = format!("/g/{slug}/accounts");
                let info = page.info();
                let cards = page
                    .items
                    .into_iter()
                    .map(|a| {
                        view! { <AccountCard account=a guild=slug.clone() selection /> }.into_any()
                    })
                    .collect();
                let filtered = f.is_filtered();
                let href = {
                    let base = base.clone();
                    Callback::new(move |n: u32| format!("{base}{}", f.to_query(n)))
                };
                view! {
                    {(info.shown > 0).then(|| view! { <SelectionToolbar selection /> })}
                    <ListResults
                        info
                        cards
                        one="account"
                        many="accounts"
                        filtered
                        href
                        clear_href=base
                    />
                }
            })
        })
    };

    view! {
        <Title text="Accounts" />
        <header class="page-head">
            <h1>"Accounts"</h1>
            <ExportButton
                entity=Entity::Accounts
                params
                guild=guild.slug
                filtered=Signal::derive(move || filter.get().is_filtered())
            />
        </header>
        <Transition fallback=|| ()>{bar}</Transition>
        <BulkProgress run=bulk_run selection on_done=refresh />
        <section class="results" aria-label="Accounts">
            <Transition fallback=|| view! { <CardSkeletons /> }>
                <ErrorBoundary fallback=|errors| {
                    view! { <ErrorPanel errors /> }
                }>{results}</ErrorBoundary>
            </Transition>
        </section>
        <Show when=move || !selection.is_empty()>
            <BulkBar entity=Entity::Accounts selection run=bulk_run />
        </Show>
    }
}
