use crate::model::GuildContext;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// Guild switcher, navigation and the signed-in user. Works without the
/// wasm: the switcher is a `<details>` list of links and sign-out is a form.
#[component]
pub fn Sidebar(ctx: GuildContext) -> impl IntoView {
    let location = use_location();
    // The switcher stays a <details> (works without the wasm); once hydrated,
    // picking a guild closes it, as a menu should.
    let switcher = NodeRef::<leptos::html::Details>::new();
    let close_switcher = move |_| {
        if let Some(details) = switcher.get() {
            details.set_open(false);
        }
    };
    let slug = ctx.guild.slug.clone();
    let link = move |section: &'static str, label: &'static str, icon: &'static str| {
        let href = format!("/g/{slug}/{section}");
        let here = href.clone();
        let current = move || location.pathname.get().starts_with(&here).then_some("page");
        view! {
            <li>
                <a class="nav-link" href=href aria-current=current>
                    <span class="nav-icon" aria-hidden="true">
                        {icon}
                    </span>
                    {label}
                </a>
            </li>
        }
    };
    let others = ctx
        .guilds
        .iter()
        .map(|g| {
            let current = (g.slug == ctx.guild.slug).then_some("true");
            view! {
                <li>
                    <a
                        href=format!("/g/{}/posts", g.slug)
                        aria-current=current
                        class="switcher-item"
                    >
                        <span class="switcher-name">{g.name.clone()}</span>
                        <span class="role-pill">{g.role.label()}</span>
                    </a>
                </li>
            }
        })
        .collect::<Vec<_>>();
    view! {
        <nav class="sidebar" aria-label="Main">
            <div class="brand-mark">
                <span class="brand-mark__logo" aria-hidden="true">
                    "G"
                </span>
                <span>"Guildtrack"</span>
            </div>
            <details class="guild-switcher" node_ref=switcher>
                <summary aria-label="Switch guild">
                    <span class="guild-avatar" aria-hidden="true">
                        {ctx.guild.name.chars().next().unwrap_or('?').to_string()}
                    </span>
                    <span class="guild-meta">
                        <span class="guild-name">{ctx.guild.name.clone()}</span>
                        <span class="guild-role">{ctx.guild.role.label()}</span>
                    </span>
                </summary>
                <ul class="switcher-list" on:click=close_switcher>
                    {others}
                </ul>
            </details>
            <ul class="nav-list">
                {link("accounts", "Accounts", "◎")} {link("posts", "Posts", "▤")}
                {link("exports", "Exports", "⇩")} {link("settings", "Guild settings", "⚙")}
            </ul>
            <AccountMenu
                display_name=ctx.user.display_name.clone()
                username=ctx.user.username.clone()
                discord_linkable=ctx.discord_linkable
            />
        </nav>
    }
}

/// The signed-in member's menu: who they are, and the two ways out. A
/// `<details>`, so it opens with the keyboard and without the wasm, and
/// each way out is a plain form post (the same-origin guard covers them).
#[component]
fn AccountMenu(display_name: String, username: String, discord_linkable: bool) -> impl IntoView {
    let initial = display_name.chars().next().unwrap_or('?').to_string();
    view! {
        <details class="account-menu">
            <summary aria-label=format!("Account: {display_name}")>
                <span class="user-avatar" aria-hidden="true">
                    {initial}
                </span>
                <span class="user-name">{display_name.clone()}</span>
            </summary>
            <div class="account-menu__panel">
                <p class="account-menu__who">
                    "Signed in as " <strong>{format!("@{username}")}</strong>
                </p>
                // A link: the round trip to Discord starts with a GET.
                {discord_linkable
                    .then(|| {
                        view! {
                            <a
                                class="btn btn-ghost btn-block"
                                href="/auth/discord/link"
                                rel="external"
                            >
                                "Link your Discord account"
                            </a>
                        }
                    })}
                <form method="post" action="/auth/logout">
                    <button class="btn btn-ghost btn-block" type="submit">
                        "Sign out"
                    </button>
                </form>
                <form method="post" action="/auth/logout-everywhere">
                    <button
                        class="btn btn-ghost btn-block"
                        type="submit"
                        aria-describedby="sign-out-everywhere-hint"
                    >
                        "Sign out everywhere"
                    </button>
                    <p class="hint" id="sign-out-everywhere-hint">
                        "Ends your sessions on every device, this one too."
                    </p>
                </form>
            </div>
        </details>
    }
}
