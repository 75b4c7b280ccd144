use super::guild_layout::use_guild;
use crate::components::api_tokens::ApiTokens;
use crate::components::discord_link::DiscordLinkSection;
use crate::components::invitations::Invitations;
use crate::components::members_table::MembersTable;
use crate::model::Role;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{lazy_route, LazyRoute};

fn role_explained(role: Role) -> &'static str {
    match role {
        Role::Viewer => "can browse and export.",
        Role::Editor => "can browse, export, delete, reassign and restore.",
        Role::Admin => "can do everything, including permanent deletes and guild settings.",
    }
}

/// The sections of Guild settings.
#[component]
pub fn SettingsTabs() -> impl IntoView {
    let slug = use_guild().slug;
    let location = leptos_router::hooks::use_location();
    let tab = move |section: &'static str, label: &'static str| {
        let href = move || format!("/g/{}/settings{section}", slug.get());
        let current = move || (location.pathname.get() == href()).then_some("page");
        view! {
            <a class="tab" href=href aria-current=current>
                {label}
            </a>
        }
    };
    view! {
        <nav class="tabs" aria-label="Guild settings">
            {tab("", "Members")}
            {tab("/trash", "Deleted Items")}
            {tab("/audit", "Audit log")}
        </nav>
    }
}

/// The route of Guild settings (members, invitations, the Discord link, API tokens). Its code is a wasm module of its own, fetched when
/// the page is first opened (`#[lazy_route]`, split by tools/wasm-split),
/// so that the first load of the list pages does not carry it.
pub struct SettingsRoute;

#[lazy_route]
impl LazyRoute for SettingsRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <SettingsPage /> }.into_any()
    }
}

/// Guild settings: who is in the guild and what each role may do; for
/// admins, the member list, invitation links and the Discord link.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let guild = use_guild();
    let header = move || {
        Suspend::new(async move {
            guild.data.await.ok().map(|ctx| {
                view! {
                    <p class="lead">
                        <strong>{ctx.guild.name.clone()}</strong>
                        " · "
                        <code>{ctx.guild.slug.clone()}</code>
                        " · You are "
                        <strong>{ctx.guild.role.label()}</strong>
                        " and "
                        {role_explained(ctx.guild.role)}
                    </p>
                }
            })
        })
    };
    // Members, invitations and the Discord link are an admin's; others are
    // told so without a request that would only come back 403.
    let admin_sections = move || {
        Suspend::new(async move {
            let admin = guild
                .data
                .await
                .is_ok_and(|ctx| ctx.guild.role == Role::Admin);
            if !admin {
                return view! {
                    <section class="panel">
                        <h2>"Members"</h2>
                        <p class="muted">"Only a guild admin can see and manage the members."</p>
                    </section>
                }
                .into_any();
            }
            view! {
                <section class="panel" aria-labelledby="members-title">
                    <h2 id="members-title">"Members"</h2>
                    <MembersTable />
                </section>
                <section class="panel" aria-labelledby="invitations-title">
                    <h2 id="invitations-title">"Invitation links"</h2>
                    <Invitations />
                </section>
                <DiscordLinkSection />
                <section class="panel" aria-labelledby="api-tokens-title">
                    <h2 id="api-tokens-title">"API tokens"</h2>
                    <ApiTokens />
                </section>
            }
            .into_any()
        })
    };
    view! {
        <Title text="Guild settings" />
        <header class="page-head">
            <h1>"Guild settings"</h1>
        </header>
        <SettingsTabs />
        <Transition fallback=|| ()>{header}</Transition>
        <Transition fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>{admin_sections}</Transition>
    }
}
