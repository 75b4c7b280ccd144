use super::guild_layout::use_guild;
use super::list_support::{url_params, FilterForm, ListResults};
use crate::api::list_posts;
use crate::components::bulk_bar::BulkBar;
use crate::components::bulk_progress::BulkProgress;
use crate::components::error_panel::ErrorPanel;
use crate::components::export_dialog::ExportButton;
use crate::components::filter_fields::PostFilterFields;
use crate::components::post_card::PostCard;
use crate::components::selection::{SelectionState, SelectionToolbar};
use crate::components::skeleton::CardSkeletons;
use crate::model::PostFilter;
use crate::model::{BulkRun, Entity};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PostsPage() -> impl IntoView {
    let guild = use_guild();
    let params = url_params();
    // A bad URL still renders the bar (with defaults); the list explains.
    let filter = Memo::new(move |_| PostFilter::from_params(&params.get()).unwrap_or_default());
    let list = Resource::new(
        move || (guild.slug.get(), params.get()),
        |(g, p)| list_posts(g, p),
    );
    let path = Signal::derive(move || format!("/g/{}/posts", guild.slug.get()));
    let selection = SelectionState::new("post", "posts");
    let bulk_run = RwSignal::new(None::<BulkRun>);
    Effect::new(move |_| {
        if let Some(Ok(data)) = list.get() {
            selection.show_page(
                &params.get_untracked(),
                data.page.items.iter().map(|p| p.id).collect(),
                data.page.total,
                data.page.estimated,
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
                    label="Filter posts"
                    path
                    filtered=Signal::derive(move || filter.get().is_filtered())
                    canonical=|p| {
                        crate::model::PostFilter::from_params(p).ok().map(|f| f.to_query(1))
                    }
                >
                    <PostFilterFields ctx filter />
                </FilterForm>
            })
        })
    };

    let results = move || {
        Suspend::new(async move {
            list.await.map(|data| {
                let f = filter.get_untracked();
                let slug = guild.slug.get_untracked();
                let base = format!("/g/{slug}/posts");
                let chip = data.account_handle.map(|h| {
                    let without = PostFilter {
                        account: None,
                        ..f.clone()
                    }
                    .to_query(1);
                    view! {
                        <p class="active-chip">
                            "Posts of "<strong>"@"{h}</strong>
                            <a
                                href=format!("{base}{without}")
                                aria-label="Show posts of all accounts"
                            >
                                "✕"
                            </a>
                        </p>
                    }
                });
                let info = data.page.info();
                let cards = data
                    .page
                    .items
                    .into_iter()
                    .map(|p| view! { <PostCard post=p guild=slug.clone() selection /> }.into_any())
                    .collect();
                let filtered = f.is_filtered();
                let href = {
                    let base = base.clone();
                    Callback::new(move |n: u32| format!("{base}{}", f.to_query(n)))
                };
                view! {
                    {chip}
                    {(info.shown > 0).then(|| view! { <SelectionToolbar selection /> })}
                    <ListResults
                        info
                        cards
                        one="post"
                        many="posts"
                        filtered
                        href
                        clear_href=base
                        grid_class="card-grid--posts"
                    />
                }
            })
        })
    };

    view! {
        <Title text="Posts" />
        <header class="page-head">
            <h1>"Posts"</h1>
            <ExportButton
                entity=Entity::Posts
                params
                guild=guild.slug
                filtered=Signal::derive(move || filter.get().is_filtered())
            />
        </header>
        <Transition fallback=|| ()>{bar}</Transition>
        <BulkProgress run=bulk_run selection on_done=refresh />
        <section class="results" aria-label="Posts">
            <Transition fallback=|| view! { <CardSkeletons /> }>
                <ErrorBoundary fallback=|errors| {
                    view! { <ErrorPanel errors /> }
                }>{results}</ErrorBoundary>
            </Transition>
        </section>
        <Show when=move || !selection.is_empty()>
            <BulkBar entity=Entity::Posts selection run=bulk_run />
        </Show>
    }
}
