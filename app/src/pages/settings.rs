use super::guild_layout::use_guild;
use crate::api::guild_members;
use crate::components::error_panel::ErrorPanel;
use crate::model::Role;
use leptos::prelude::*;
use leptos_meta::Title;

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

/// Guild settings: who is in the guild and what each role may do.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let guild = use_guild();
    // Only admins may list members: others are told so without a request
    // that would only come back 403.
    let members = Resource::new(
        move || guild.slug.get(),
        move |slug| async move {
            let ctx = guild.data.await?;
            if ctx.guild.role < Role::Admin {
                return Ok(None);
            }
            guild_members(slug).await.map(Some)
        },
    );
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
    let rows = move || {
        Suspend::new(async move {
            members.await.map(|list| {
                let Some(list) = list else {
                    return view! {
                        <tr>
                            <td colspan="3" class="muted">
                                "Only a guild admin can see the member list."
                            </td>
                        </tr>
                    }
                    .into_any();
                };
                list.into_iter()
                    .map(|m| {
                        view! {
                            <tr>
                                <td>{m.display_name}</td>
                                <td>
                                    <code>{m.username}</code>
                                </td>
                                <td>
                                    <span class="role-pill">{m.role.label()}</span>
                                </td>
                            </tr>
                        }
                    })
                    .collect::<Vec<_>>()
                    .into_any()
            })
        })
    };
    view! {
        <Title text="Guild settings" />
        <header class="page-head">
            <h1>"Guild settings"</h1>
        </header>
        <SettingsTabs />
        <Transition fallback=|| ()>{header}</Transition>
        <section class="panel">
            <h2>"Members"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading members…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                    <table class="table">
                        <thead>
                            <tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"Username"</th>
                                <th scope="col">"Role"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </ErrorBoundary>
            </Transition>
            <p class="muted small">
                "Members are added from the server: "
                <code>"server member add <guild> <username> <role>"</code>"."
            </p>
        </section>
    }
}
