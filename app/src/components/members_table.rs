//! Guild settings → Members (admins): every member with their avatar, role
//! and where it comes from, when they joined and were last seen; an admin
//! changes the role set by hand, removes a member, or removes their access
//! until they are invited again.

use crate::api::{guild_members, RemoveMember, SetMemberRole};
use crate::components::error_panel::ErrorPanel;
use crate::format;
use crate::model::members::{MemberInfo, MembersPage};
use crate::model::Role;
use crate::pages::guild_layout::use_guild;
use leptos::prelude::*;

/// A removal waiting for its confirmation: whom, and whether their access
/// goes too. One value, so the row shows one question at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Confirm {
    Nothing,
    Remove { user_id: i64, until_invited: bool },
}

fn avatar(m: &MemberInfo) -> AnyView {
    match &m.avatar_url {
        Some(url) => {
            view! { <img class="member-avatar" src=url.clone() alt="" width="32" height="32" /> }
                .into_any()
        }
        None => {
            let initial = m.display_name.chars().next().unwrap_or('?').to_string();
            view! {
                <span class="user-avatar member-avatar" aria-hidden="true">
                    {initial}
                </span>
            }
            .into_any()
        }
    }
}

/// The choices of the "set by hand" select: none (when Discord gives a
/// role to fall back to), then each role.
fn manual_choices(m: &MemberInfo) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    if m.discord_role.is_some() {
        out.push(("", "None (Discord's role)"));
    }
    out.extend(Role::ALL.iter().map(|r| (r.as_str(), r.label())));
    out
}

#[component]
pub fn MembersTable() -> impl IntoView {
    let guild = use_guild();
    let loaded = Resource::new(move || guild.slug.get(), guild_members);
    let set_role = ServerAction::<SetMemberRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let shown = RwSignal::new(None::<MembersPage>);
    let error = RwSignal::new(None::<String>);
    let confirm = RwSignal::new(Confirm::Nothing);
    let done = move |result: Option<Result<MembersPage, crate::error::AppError>>| {
        if let Some(result) = result {
            match result {
                Ok(page) => {
                    error.set(None);
                    shown.set(Some(page));
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    };
    Effect::new(move |_| done(set_role.value().get()));
    Effect::new(move |_| done(remove.value().get()));

    let row = move |m: MemberInfo| {
        let user_id = m.user_id;
        let name = m.display_name.clone();
        let current = m.manual_role.map(|r| r.as_str()).unwrap_or("");
        let choices = manual_choices(&m)
            .into_iter()
            .map(|(value, label)| {
                view! {
                    <option value=value selected=value == current>
                        {label}
                    </option>
                }
            })
            .collect::<Vec<_>>();
        let on_role = move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            set_role.dispatch(SetMemberRole {
                guild: guild.slug.get_untracked(),
                user_id,
                role: Role::parse(&value),
            });
        };
        let asking = move || match confirm.get() {
            Confirm::Remove {
                user_id: id,
                until_invited,
            } if id == user_id => Some(until_invited),
            _ => None,
        };
        let question = {
            let name = name.clone();
            move || {
                asking().map(|until_invited| {
                    let text = if until_invited {
                        format!("Remove {name} and keep them out until they are invited again?")
                    } else {
                        format!("Remove {name} from the guild?")
                    };
                    view! {
                        <div class="member-confirm" role="group" aria-label="Confirm removal">
                            <span>{text}</span>
                            <button
                                class="btn btn-danger btn-small"
                                type="button"
                                on:click=move |_| {
                                    confirm.set(Confirm::Nothing);
                                    remove
                                        .dispatch(RemoveMember {
                                            guild: guild.slug.get_untracked(),
                                            user_id,
                                            until_invited,
                                        });
                                }
                            >
                                "Remove"
                            </button>
                            <button
                                class="btn btn-ghost btn-small"
                                type="button"
                                on:click=move |_| confirm.set(Confirm::Nothing)
                            >
                                "Cancel"
                            </button>
                        </div>
                    }
                })
            }
        };
        let you = m
            .is_you
            .then(|| view! { <span class="muted">" (you)"</span> });
        let last_seen = m
            .last_seen_at
            .map(format::date)
            .unwrap_or_else(|| "Not yet".into());
        view! {
            <tr>
                <td data-label="Member">
                    <div class="member-who">
                        {avatar(&m)} <div>
                            <strong>{m.display_name.clone()}</strong>
                            {you}
                            <div class="muted small">{format!("@{}", m.username)}</div>
                        </div>
                    </div>
                </td>
                <td data-label="Role">
                    <span class="role-pill">{m.role.label()}</span>
                    <div class="muted small">{m.source.clone()}</div>
                </td>
                <td data-label="Joined">{format::date(m.joined_at)}</td>
                <td data-label="Last seen">{last_seen}</td>
                <td data-label="Set by hand">
                    <label class="sr-only" for=format!("manual-role-{user_id}")>
                        {format!("Role set by hand for {name}")}
                    </label>
                    <select
                        id=format!("manual-role-{user_id}")
                        on:change=on_role
                        disabled=move || set_role.pending().get()
                    >
                        {choices}
                    </select>
                    <div class="member-actions">
                        <button
                            class="btn btn-ghost btn-small"
                            type="button"
                            on:click=move |_| {
                                confirm
                                    .set(Confirm::Remove {
                                        user_id,
                                        until_invited: false,
                                    })
                            }
                        >
                            "Remove"
                        </button>
                        <button
                            class="btn btn-ghost btn-small"
                            type="button"
                            on:click=move |_| {
                                confirm
                                    .set(Confirm::Remove {
                                        user_id,
                                        until_invited: true,
                                    })
                            }
                        >
                            "Remove access"
                        </button>
                    </div>
                    {question}
                </td>
            </tr>
        }
    };

    let table = move |page: MembersPage| {
        let removed = (!page.removed.is_empty()).then(|| {
            let names = page
                .removed
                .iter()
                .map(|r| {
                    format!(
                        "{} (@{}, {})",
                        r.display_name,
                        r.username,
                        format::date(r.removed_at)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            view! {
                <p class="muted small">
                    "Access removed until invited again: " {names}
                    ". An invitation link lets them back in."
                </p>
            }
        });
        view! {
            <div class="table-wrap">
                <table class="table stack-table">
                    <thead>
                        <tr>
                            <th scope="col">"Member"</th>
                            <th scope="col">"Role"</th>
                            <th scope="col">"Joined"</th>
                            <th scope="col">"Last seen"</th>
                            <th scope="col">"Set by hand"</th>
                        </tr>
                    </thead>
                    <tbody>{page.members.into_iter().map(row).collect::<Vec<_>>()}</tbody>
                </table>
            </div>
            {removed}
        }
    };
    let body = move || {
        Suspend::new(async move {
            loaded.await.map(|page| {
                if shown.get_untracked().is_none() {
                    shown.set(Some(page));
                }
                move || shown.get().map(table)
            })
        })
    };
    view! {
        {move || {
            error
                .get()
                .map(|e| {
                    view! {
                        <p class="alert alert-error" role="alert">
                            {e}
                        </p>
                    }
                })
        }}
        <Transition fallback=|| view! { <p class="muted">"Loading members…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>{body}</ErrorBoundary>
        </Transition>
        <p class="muted small">
            "A role set by hand raises a member above what Discord gives, never below. “Remove” takes a member out; \
             one that Discord admits is back at their next check (within 15 minutes) unless you choose “Remove access”, \
             which keeps them out until they redeem an invitation."
        </p>
    }
}
