use crate::api::my_guilds;
use crate::components::error_panel::ErrorPanel;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::{lazy_route, LazyRoute};

/// The route of `/`. Its code is a wasm module of its own (`#[lazy_route]`,
/// split by tools/wasm-split): the server answers `/` with a redirect for
/// a member of a guild, so Posts' first load need not carry it.
pub struct HomeRoute;

#[lazy_route]
impl LazyRoute for HomeRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <HomePage /> }.into_any()
    }
}

/// `/`: straight to the first guild's posts, or an explanation when the
/// user belongs to no guild yet.
#[component]
pub fn HomePage() -> impl IntoView {
    let guilds = Resource::new(|| (), |_| my_guilds());
    view! {
        <Title text="" />
        <Suspense fallback=|| {
            view! {
                <main class="center-page">
                    <p class="muted">"Loading your guilds…"</p>
                </main>
            }
        }>
            <ErrorBoundary fallback=|errors| {
                view! {
                    <main class="center-page">
                        <ErrorPanel errors />
                    </main>
                }
            }>
                {move || Suspend::new(async move {
                    guilds
                        .await
                        .map(|list| match list
                            .iter()
                            .max_by(|a, b| a.role.cmp(&b.role).then_with(|| b.name.cmp(&a.name)))
                        {
                            Some(g) => {
                                Either::Left(
                                    // Where the user can do the most; then by name.
                                    view! { <Redirect path=format!("/g/{}/posts", g.slug) /> },
                                )
                            }
                            None => {
                                Either::Right(
                                    view! {
                                        <main class="center-page">
                                            <div class="panel">
                                                <h1>"No guilds yet"</h1>
                                                <p>
                                                    "You are not a member of any guild. Ask a guild admin to add you."
                                                </p>
                                                <form method="post" action="/auth/logout">
                                                    <button class="btn" type="submit">
                                                        "Sign out"
                                                    </button>
                                                </form>
                                            </div>
                                        </main>
                                    },
                                )
                            }
                        })
                })}
            </ErrorBoundary>
        </Suspense>
    }
}
