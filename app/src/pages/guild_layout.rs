use crate::api::get_guild_context;
use crate::components::export_tracker::{ExportActivity, ExportTracker};
use crate::components::sidebar::Sidebar;
use crate::error::AppError;
use crate::model::GuildContext;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect};
use leptos_router::hooks::use_params_map;

/// The current guild's context, shared by the layout and its pages.
#[derive(Clone, Copy)]
pub struct GuildCtx {
    pub slug: Memo<String>,
    pub data: Resource<Result<GuildContext, AppError>>,
}

pub fn use_guild() -> GuildCtx {
    expect_context::<GuildCtx>()
}

/// `/g/:guild/*`: sidebar plus the page.
#[component]
pub fn GuildLayout() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("guild").unwrap_or_default());
    let data = Resource::new(move || slug.get(), get_guild_context);
    provide_context(GuildCtx { slug, data });
    provide_context(ExportTracker::new(slug));

    view! {
        <div class="app-shell">
            <a class="skip-link" href="#main">
                "Skip to content"
            </a>
            <Transition fallback=|| {
                view! { <nav class="sidebar" aria-label="Main"></nav> }
            }>
                {move || Suspend::new(async move {
                    data.await.ok().map(|ctx| view! { <Sidebar ctx /> })
                })}
            </Transition>
            <main class="content" id="main" tabindex="-1">
                <Outlet />
            </main>
            <ExportActivity />
        </div>
    }
}

/// `/g/:guild`: the posts list is the guild's home.
#[component]
pub fn GuildIndex() -> impl IntoView {
    let slug = use_guild().slug;
    view! { <Redirect path=format!("/g/{}/posts", slug.get_untracked()) /> }
}
