//! Guildtrack's application crate: the Leptos UI, the server functions, the
//! types that cross the wire and, behind the `ssr` feature, the domain
//! services.

#![recursion_limit = "256"]

pub mod api;
pub mod components;
#[cfg(feature = "ssr")]
pub mod domain;
pub mod error;
pub mod format;
pub mod model;
#[cfg(feature = "ssr")]
pub mod page_policy;
pub mod pages;
pub mod split_loader;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Link, Meta, MetaTags, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, Lazy, SsrMode,
};

/// Whether the wasm has taken over the page. Server-rendered and before
/// hydration it is `false`: controls that do nothing without the wasm (the
/// selection checkboxes) are shown disabled until then, rather than ticked
/// and silently unticked when hydration catches up.
#[derive(Clone, Copy)]
pub struct Hydrated(pub RwSignal<bool>);

impl Hydrated {
    /// `true` once hydrated; `false` when no App provided it (tests).
    pub fn get() -> bool {
        use_context::<Hydrated>().is_some_and(|h| h.0.get())
    }
}

#[cfg(feature = "hydrate")]
thread_local! {
    /// The App's `Hydrated`, for `finish_hydration`, which the entry point
    /// calls from outside the reactive tree.
    static HYDRATED: std::cell::Cell<Option<Hydrated>> = const { std::cell::Cell::new(None) };
}

/// Marks the page live, once the wasm has hydrated all of it, a lazy
/// route's page included (frontend/src/lib.rs calls it): turns `Hydrated`
/// on, and sets `data-hydrated` on the body, which the browser tests wait
/// for. Not an effect in `App`: effects run as soon as the shell is
/// hydrated, before a lazy page is, and a control hydrated after `Hydrated`
/// turned on would keep the server's `disabled` (hydration does not rewrite
/// an attribute it finds in place).
#[cfg(feature = "hydrate")]
pub fn finish_hydration() {
    if let Some(hydrated) = HYDRATED.with(std::cell::Cell::get) {
        hydrated.0.set(true);
    }
    if let Some(body) = document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    page_policy::send();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                // The CSS under its hashed name when release builds hash
                // them (scripts/run), else plain `/pkg/guildtrack.css`.
                <HashedStylesheet options=options.clone() id="leptos" />
                <split_loader::SplitLoaderPreload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    // Turned on by `finish_hydration` once the whole page is live.
    let hydrated = Hydrated(RwSignal::new(false));
    provide_context(hydrated);
    #[cfg(feature = "hydrate")]
    HYDRATED.with(|cell| cell.set(Some(hydrated)));

    // Sign-in, the guild chooser, Accounts, Exports, the settings pages and the invitation
    // page load their code on first visit (`Lazy`, see pages/), so the first load of
    // Posts carries little beyond Posts' own code (BENCHMARKS.md). Bound
    // here: leptosfmt drops the braces a turbofish needs inside `view!`.
    let login_page = Lazy::<pages::login::LoginRoute>::new();
    let home_page = Lazy::<pages::home::HomeRoute>::new();
    let invite_page = Lazy::<pages::invite::InviteRoute>::new();
    let accounts_page = Lazy::<pages::accounts::AccountsRoute>::new();
    let exports_page = Lazy::<pages::exports::ExportsRoute>::new();
    let settings_page = Lazy::<pages::settings::SettingsRoute>::new();
    let audit_page = Lazy::<pages::audit::AuditRoute>::new();
    let trash_page = Lazy::<pages::trash::TrashRoute>::new();

    view! {
        <Link rel="icon" href="/favicon.svg" />
        <Meta
            name="description"
            content="Guildtrack: the social-media tracker for Discord communities."
        />
        <Title formatter=|text: String| {
            if text.is_empty() { "Guildtrack".to_string() } else { format!("{text} · Guildtrack") }
        } />
        <Router>
            <Routes fallback=pages::not_found::NotFound>
                <Route path=path!("/login") view=login_page />
                <Route path=path!("/invite/:token") view=invite_page />
                <Route path=path!("/") view=home_page />
                // Async: a guild page is sent once its data is in, so an
                // error page can carry its status (see `ErrorPanel`).
                <ParentRoute
                    path=path!("/g/:guild")
                    view=pages::guild_layout::GuildLayout
                    ssr=SsrMode::Async
                >
                    <Route path=path!("") view=pages::guild_layout::GuildIndex />
                    <Route path=path!("accounts") view=accounts_page />
                    <Route path=path!("posts") view=pages::posts::PostsPage />
                    <Route path=path!("exports") view=exports_page />
                    <Route path=path!("settings") view=settings_page />
                    <Route path=path!("settings/audit") view=audit_page />
                    <Route path=path!("settings/trash") view=trash_page />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
