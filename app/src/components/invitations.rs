//! Guild settings → Invitation links (admins): make a link with a role, an
//! expiry and single or multiple use; it is shown once. The list shows each
//! link's state, and an active one can be revoked.

use crate::api::{guild_invitations, CreateInvitation, RevokeInvitation};
use crate::components::error_panel::ErrorPanel;
use crate::format;
use crate::model::members::{InvitationInfo, InvitationRequest, InvitationStatus, INVITATION_DAYS};
use crate::model::Role;
use crate::pages::guild_layout::use_guild;
use leptos::prelude::*;

/// The link as the admin copies it: this site's address and the path.
fn full_link(path: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        let origin = web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default();
        format!("{origin}{path}")
    }
    #[cfg(not(feature = "hydrate"))]
    {
        path.to_string()
    }
}

#[component]
pub fn Invitations() -> impl IntoView {
    let guild = use_guild();
    let loaded = Resource::new(move || guild.slug.get(), guild_invitations);
    let create = ServerAction::<CreateInvitation>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let role = RwSignal::new(Role::Viewer);
    let days = RwSignal::new(7i64);
    let single_use = RwSignal::new(true);
    let links = RwSignal::new(None::<Vec<InvitationInfo>>);
    let fresh = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(result) = create.value().get() {
            match result {
                Ok(new) => {
                    error.set(None);
                    fresh.set(Some(full_link(&new.path)));
                    links.update(|l| {
                        if let Some(l) = l {
                            l.insert(0, new.info);
                        }
                    });
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    });
    Effect::new(move |_| {
        if let Some(result) = revoke.value().get() {
            match result {
                Ok(list) => {
                    error.set(None);
                    links.set(Some(list));
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        fresh.set(None);
        create.dispatch(CreateInvitation {
            guild: guild.slug.get_untracked(),
            request: InvitationRequest {
                role: role.get_untracked(),
                days: days.get_untracked(),
                single_use: single_use.get_untracked(),
            },
        });
    };
    let row = move |i: InvitationInfo| {
        let id = i.id;
        let uses = if i.single_use {
            format!(
                "single use, {}",
                if i.uses > 0 { "used" } else { "not used yet" }
            )
        } else {
            format!(
                "multiple use, used {}",
                format::count(i.uses, "time", "times")
            )
        };
        let revoke_button = (i.status == InvitationStatus::Active).then(|| {
            view! {
                <button
                    class="btn btn-ghost btn-small"
                    type="button"
                    on:click=move |_| {
                        revoke
                            .dispatch(RevokeInvitation {
                                guild: guild.slug.get_untracked(),
                                id,
                            });
                    }
                >
                    "Revoke"
                </button>
            }
        });
        view! {
            <tr>
                <td data-label="Link">{format!("#{id}")}</td>
                <td data-label="Role">{i.role.label()}</td>
                <td data-label="Use">{uses}</td>
                <td data-label="Expires">{format::datetime(i.expires_at)}</td>
                <td data-label="State">{i.status.label()} " " {revoke_button}</td>
            </tr>
        }
    };
    let list = move || {
        Suspend::new(async move {
            loaded.await.map(|l| {
                if links.get_untracked().is_none() {
                    links.set(Some(l));
                }
                move || {
                    let l = links.get().unwrap_or_default();
                    if l.is_empty() {
                        return view! { <p class="muted">"No invitation links yet."</p> }
                            .into_any();
                    }
                    view! {
                        <div class="table-wrap">
                            <table class="table stack-table">
                                <thead>
                                    <tr>
                                        <th scope="col">"Link"</th>
                                        <th scope="col">"Role"</th>
                                        <th scope="col">"Use"</th>
                                        <th scope="col">"Expires"</th>
                                        <th scope="col">"State"</th>
                                    </tr>
                                </thead>
                                <tbody>{l.into_iter().map(row).collect::<Vec<_>>()}</tbody>
                            </table>
                        </div>
                    }
                    .into_any()
                }
            })
        })
    };
    view! {
        <form class="invite-form" on:submit=submit>
            <label class="field">
                <span>"Role"</span>
                <select on:change=move |ev| {
                    if let Some(r) = Role::parse(&event_target_value(&ev)) {
                        role.set(r);
                    }
                }>
                    {Role::ALL
                        .iter()
                        .map(|r| {
                            view! {
                                <option value=r.as_str() selected=*r == Role::Viewer>
                                    {r.label()}
                                </option>
                            }
                        })
                        .collect::<Vec<_>>()}
                </select>
            </label>
            <label class="field">
                <span>"Expires after"</span>
                <select on:change=move |ev| {
                    if let Ok(d) = event_target_value(&ev).parse() {
                        days.set(d);
                    }
                }>
                    {INVITATION_DAYS
                        .iter()
                        .map(|d| {
                            let label = format::count(*d, "day", "days");
                            view! {
                                <option value=d.to_string() selected=*d == 7>
                                    {label}
                                </option>
                            }
                        })
                        .collect::<Vec<_>>()}
                </select>
            </label>
            <label class="check">
                <input type="checkbox" bind:checked=single_use />
                <span>"Single use"</span>
            </label>
            <button class="btn btn-primary" type="submit" disabled=move || create.pending().get()>
                "Create invitation link"
            </button>
        </form>
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
        {move || {
            fresh
                .get()
                .map(|link| {
                    view! {
                        <div class="alert alert-success" role="status">
                            <p>"Copy this link now: it is not shown again."</p>
                            <label class="field">
                                <span>"Invitation link"</span>
                                <input
                                    readonly
                                    value=link
                                    on:focus=move |ev: leptos::ev::FocusEvent| {
                                        if let Some(input) = ev
                                            .target()
                                            .and_then(|t| {
                                                wasm_bindgen::JsCast::dyn_into::<
                                                    web_sys::HtmlInputElement,
                                                >(t)
                                                    .ok()
                                            })
                                        {
                                            input.select();
                                        }
                                    }
                                />
                            </label>
                        </div>
                    }
                })
        }}
        <Transition fallback=|| view! { <p class="muted">"Loading invitation links…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>{list}</ErrorBoundary>
        </Transition>
    }
}
