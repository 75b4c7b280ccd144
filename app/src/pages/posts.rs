use super::guild_layout::use_guild;
use super::list_support::{
    named_options, page_size_options, platform_options, url_params, EmptyState,
};
use crate::api::list_posts;
use crate::components::error_panel::ErrorPanel;
use crate::components::fields::{InputField, SelectField};
use crate::components::pager::Pager;
use crate::components::post_card::PostCard;
use crate::components::skeleton::CardSkeletons;
use crate::format::count;
use crate::model::filter::Assigned;
use crate::model::{PostFilter, PostSort};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;

#[component]
pub fn PostsPage() -> impl IntoView {
    let guild = use_guild();
    let params = url_params();
    // A bad URL still renders the bar (with defaults); the list explains.
    let filter = Memo::new(move |_| {
        PostFilter::from_params(&params.get()).unwrap_or_else(|_| PostFilter {
            page: 1,
            page_size: 25,
            ..Default::default()
        })
    });
    let list = Resource::new(
        move || (guild.slug.get(), params.get()),
        |(g, p)| list_posts(g, p),
    );
    let path = move || format!("/g/{}/posts", guild.slug.get());

    let field = move |f: fn(&PostFilter) -> String| Signal::derive(move || f(&filter.get()));
    let bar = move || {
        Suspend::new(async move {
            let ctx = guild.data.await.ok()?;
            Some(view! {
                <Form method="GET" action=path attr:class="filter-bar" attr:role="search" attr:aria-label="Filter posts">
                    <InputField label="Search" name="q" kind="search" class="field--grow" placeholder="Caption or @handle"
                        value=field(|f| f.q.clone())/>
                    <SelectField label="Platform" name="platform" any_label="All platforms" options=platform_options()
                        value=field(|f| f.platform.map(|p| p.as_str().to_string()).unwrap_or_default())/>
                    <SelectField label="Brand" name="brand" any_label="All brands" options=named_options(&ctx.brands, "No brand")
                        value=field(|f| f.brand.map(Assigned::to_param).unwrap_or_default())/>
                    <SelectField label="Group" name="group" any_label="All groups" options=named_options(&ctx.groups, "No group")
                        value=field(|f| f.group.map(Assigned::to_param).unwrap_or_default())/>
                    <InputField label="From" name="from" kind="date" value=field(|f| f.from.map(|d| d.to_string()).unwrap_or_default())/>
                    <InputField label="To" name="to" kind="date" value=field(|f| f.to.map(|d| d.to_string()).unwrap_or_default())/>
                    <InputField label="Min. views" name="min_views" kind="number" class="field--narrow" placeholder="0"
                        value=field(|f| f.min_views.map(|v| v.to_string()).unwrap_or_default())/>
                    <SelectField label="Sort" name="sort"
                        options=PostSort::ALL.iter().map(|s| (s.as_str().to_string(), s.label().to_string())).collect()
                        value=field(|f| f.sort.as_str().to_string())/>
                    <SelectField label="Show" name="per_page" options=page_size_options() value=field(|f| f.page_size.to_string())/>
                    {move || filter.get().account.map(|id| view! { <input type="hidden" name="account" value=id.to_string()/> })}
                    <div class="filter-actions">
                        <button class="btn btn-primary" type="submit">"Apply"</button>
                        <Show when=move || filter.get().is_filtered()>
                            <a class="btn btn-ghost" href=path>"Clear filters"</a>
                        </Show>
                    </div>
                </Form>
            })
        })
    };

    let results = move || {
        Suspend::new(async move {
            list.await.map(|data| {
                let f = filter.get_untracked();
                let slug = guild.slug.get_untracked();
                let page = data.page;
                let chip = data.account_handle.map(|h| {
                    let without = PostFilter { account: None, ..f.clone() }.to_query(1);
                    view! {
                        <p class="active-chip">"Posts of "<strong>"@"{h}</strong>
                            <a href=format!("/g/{slug}/posts{without}") aria-label="Show posts of all accounts">"✕"</a>
                        </p>
                    }
                });
                let total_line = count(page.total, "post", "posts");
                let summary = view! { <p class="list-total" aria-live="polite">{total_line}</p> };
                if page.items.is_empty() {
                    let past_end = page.total > 0;
                    return view! {
                        {chip}{summary}
                        {if past_end {
                            view! { <div class="panel empty"><h2>"This page is past the end"</h2><a class="btn" href=format!("/g/{slug}/posts{}", f.to_query(page.page_count()))>"Go to the last page"</a></div> }.into_any()
                        } else {
                            view! { <EmptyState filtered=f.is_filtered() what="posts" clear_href=format!("/g/{slug}/posts")/> }.into_any()
                        }}
                    }.into_any();
                }
                let href = {
                    let f = f.clone();
                    let slug = slug.clone();
                    Callback::new(move |n: u32| format!("/g/{slug}/posts{}", f.to_query(n)))
                };
                let (first, last, page_count) = (page.first_index(), page.last_index(), page.page_count());
                let cards = page.items.into_iter().map(|p| view! { <PostCard post=p guild=slug.clone()/> }).collect::<Vec<_>>();
                view! {
                    {chip}{summary}
                    <div class="card-grid card-grid--posts">{cards}</div>
                    <Pager page=page.page page_count first last total=page.total one="post" many="posts" href/>
                }.into_any()
            })
        })
    };

    view! {
        <Title text="Posts"/>
        <header class="page-head">
            <h1>"Posts"</h1>
        </header>
        <Transition fallback=|| ()>{bar}</Transition>
        <section class="results" aria-label="Posts">
            <Transition fallback=|| view! { <CardSkeletons/> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors/> }>{results}</ErrorBoundary>
            </Transition>
        </section>
    }
}
