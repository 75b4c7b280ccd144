//! Guild settings → Discord: the Discord server the guild is linked to and
//! the rules that turn its members into guild members (admins only).

use crate::api::{guild_discord_link, SaveGuildDiscordLink};
use crate::components::error_panel::ErrorPanel;
use crate::components::form_status::FormStatus;
use crate::model::discord::{editor_roles_text, DiscordLink};
use crate::pages::guild_layout::use_guild;
use leptos::prelude::*;

/// The link as it stands: verified, waiting for an admin of the server,
/// or none.
fn link_status(link: &DiscordLink) -> AnyView {
    match (&link.server_id, &link.server_name) {
        (None, _) => view! { <p class="muted">"Not linked to a Discord server."</p> }.into_any(),
        (Some(_), Some(name)) => view! { <p>"Linked to " <strong>{name.clone()}</strong> " (verified)."</p> }
        .into_any(),
        (Some(id), None) => view! {
            <p class="alert alert-warning" role="status">
                "Linked to server "
                <code>{id.clone()}</code>
                ", not verified yet: its name appears here once an admin of that Discord server signs in with Discord."
            </p>
        }
        .into_any(),
    }
}

/// The section: the link's status and the form that changes it.
#[component]
pub fn DiscordLinkSection() -> impl IntoView {
    let guild = use_guild();
    let loaded = Resource::new(move || guild.slug.get(), guild_discord_link);
    let save = ServerAction::<SaveGuildDiscordLink>::new();
    let server_id = RwSignal::new(String::new());
    let editor_roles = RwSignal::new(String::new());
    let members_can_view = RwSignal::new(true);
    let current = RwSignal::new(None::<DiscordLink>);
    let show = move |link: DiscordLink| {
        server_id.set(link.server_id.clone().unwrap_or_default());
        editor_roles.set(editor_roles_text(&link.editor_roles));
        members_can_view.set(link.members_can_view);
        current.set(Some(link));
    };
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(result) = save.value().get() {
            match result {
                Ok(link) => {
                    error.set(None);
                    saved.set(true);
                    show(link);
                }
                Err(e) => {
                    saved.set(false);
                    error.set(Some(e.to_string()));
                }
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(false);
        save.dispatch(SaveGuildDiscordLink {
            guild: guild.slug.get_untracked(),
            server_id: server_id.get_untracked(),
            editor_roles: editor_roles.get_untracked(),
            members_can_view: members_can_view.get_untracked(),
        });
    };
    let body = move || {
        Suspend::new(async move {
            loaded.await.map(|link| {
                if current.get_untracked().is_none() {
                    show(link);
                }
                let status = move || current.get().as_ref().map(link_status);
                let not_configured = move || {
                    current.get().is_some_and(|l| !l.sign_in_enabled).then(|| {
                        view! {
                            <p class="muted small">
                                "Sign-in with Discord is not configured on this server yet (see the README), \
                                 so members cannot sign in with Discord until the operator sets it up."
                            </p>
                        }
                    })
                };
                view! {
                    {status}
                    {not_configured}
                    <form class="stack" on:submit=submit>
                        <label class="field">
                            <span>"Discord server id"</span>
                            <input
                                name="server_id"
                                inputmode="numeric"
                                autocomplete="off"
                                placeholder="e.g. 123456789012345678"
                                bind:value=server_id
                            />
                            <small class="muted">
                                "In Discord, turn on Developer Mode, right-click the server and choose “Copy Server ID”. Leave it blank to unlink."
                            </small>
                        </label>
                        <label class="field">
                            <span>"Editor roles"</span>
                            <textarea
                                name="editor_roles"
                                rows="3"
                                bind:value=editor_roles
                            ></textarea>
                            <small class="muted">
                                "One per line: the role's id, a space, then its name, like “123456789012345678 Moderators”. \
                                 The server's owner and members with Administrator or Manage Server are admins."
                            </small>
                        </label>
                        <label class="check">
                            <input
                                type="checkbox"
                                name="members_can_view"
                                bind:checked=members_can_view
                            />
                            <span>"All members of the server can view"</span>
                        </label>
                        <p class="muted small">
                            "Invitations and roles set here by an admin can raise a member above these rules, never lower them. \
                             Changes reach each member within 15 minutes."
                        </p>
                        <FormStatus error=error saved=saved />
                        <div>
                            <button
                                class="btn btn-primary"
                                type="submit"
                                disabled=move || save.pending().get()
                            >
                                {move || {
                                    if save.pending().get() {
                                        "Saving…"
                                    } else {
                                        "Save Discord link"
                                    }
                                }}
                            </button>
                        </div>
                    </form>
                }
            })
        })
    };
    view! {
        <section class="panel" aria-labelledby="discord-link-title">
            <h2 id="discord-link-title">"Discord"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| {
                    view! { <ErrorPanel errors /> }
                }>{body}</ErrorBoundary>
            </Transition>
        </section>
    }
}
