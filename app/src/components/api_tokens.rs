//! Guild settings → API tokens (admins): make a token for the tracker or a
//! script, with a name, a scope and an expiry; it is shown once. The list
//! shows each token's last use, and a live one can be revoked (with a
//! second click: the tracker using it stops at once).

use crate::api::{guild_api_tokens, CreateApiToken, RevokeApiToken};
use crate::components::error_panel::ErrorPanel;
use crate::format;
use crate::model::api_tokens::{TokenInfo, TokenRequest, TokenScope, TokenStatus, TOKEN_DAYS};
use crate::pages::guild_layout::use_guild;
use leptos::prelude::*;

#[component]
pub fn ApiTokens() -> impl IntoView {
    let guild = use_guild();
    let loaded = Resource::new(move || guild.slug.get(), guild_api_tokens);
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let name = RwSignal::new(String::new());
    let scope = RwSignal::new(TokenScope::Ingest);
    let days = RwSignal::new(Some(90i64));
    let tokens = RwSignal::new(None::<Vec<TokenInfo>>);
    let fresh = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    // The token whose Revoke was clicked once and waits for the second.
    let confirming = RwSignal::new(None::<i64>);
    Effect::new(move |_| {
        if let Some(result) = create.value().get() {
            match result {
                Ok(new) => {
                    error.set(None);
                    name.set(String::new());
                    fresh.set(Some(new.token));
                    tokens.update(|l| {
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
            confirming.set(None);
            match result {
                Ok(list) => {
                    error.set(None);
                    tokens.set(Some(list));
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        fresh.set(None);
        create.dispatch(CreateApiToken {
            guild: guild.slug.get_untracked(),
            request: TokenRequest {
                name: name.get_untracked(),
                scope: scope.get_untracked(),
                days: days.get_untracked(),
            },
        });
    };
    let row = move |t: TokenInfo| {
        let id = t.id;
        let token_name = t.name.clone();
        let revoke_button = (t.status == TokenStatus::Active).then(|| {
            let label = move || {
                if confirming.get() == Some(id) {
                    "Confirm revoke".to_string()
                } else {
                    "Revoke".to_string()
                }
            };
            view! {
                <button
                    class="btn btn-ghost btn-small"
                    type="button"
                    aria-label=format!("Revoke the token {token_name}")
                    on:click=move |_| {
                        if confirming.get_untracked() == Some(id) {
                            revoke
                                .dispatch(RevokeApiToken {
                                    guild: guild.slug.get_untracked(),
                                    id,
                                });
                        } else {
                            confirming.set(Some(id));
                        }
                    }
                >
                    {label}
                </button>
            }
        });
        view! {
            <tr>
                <td data-label="Name">{t.name}</td>
                <td data-label="Scope">{t.scope.as_str()}</td>
                <td data-label="Token">
                    <code>{format!("gt_…{}", t.hint)}</code>
                </td>
                <td data-label="Last used">
                    {t.last_used_at.map(format::datetime).unwrap_or_else(|| "Never".into())}
                </td>
                <td data-label="Expires">
                    {t.expires_at.map(format::datetime).unwrap_or_else(|| "Never".into())}
                </td>
                <td data-label="State">{t.status.label()} " " {revoke_button}</td>
            </tr>
        }
    };
    let list = move || {
        Suspend::new(async move {
            loaded.await.map(|l| {
                if tokens.get_untracked().is_none() {
                    tokens.set(Some(l));
                }
                move || {
                    let l = tokens.get().unwrap_or_default();
                    if l.is_empty() {
                        return view! { <p class="muted">"No API tokens yet."</p> }.into_any();
                    }
                    view! {
                        <div class="table-wrap">
                            <table class="table stack-table" aria-label="API tokens">
                                <thead>
                                    <tr>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"Scope"</th>
                                        <th scope="col">"Token"</th>
                                        <th scope="col">"Last used"</th>
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
        <p class="muted">
            "A token lets the tracker or a script send and read this guild's accounts and posts through the "
            <a href="/api/v1/openapi.json" rel="external">
                "ingest API"
            </a> ". It works for this guild only."
        </p>
        <form class="invite-form" on:submit=submit>
            <label class="field">
                <span>"Name"</span>
                <input
                    type="text"
                    required
                    maxlength="60"
                    placeholder="Tracker bot"
                    prop:value=name
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
            </label>
            <label class="field">
                <span>"Scope"</span>
                <select on:change=move |ev| {
                    if let Some(s) = TokenScope::parse(&event_target_value(&ev)) {
                        scope.set(s);
                    }
                }>
                    {TokenScope::ALL
                        .iter()
                        .map(|s| {
                            view! {
                                <option value=s.as_str() selected=*s == TokenScope::Ingest>
                                    {s.label()}
                                </option>
                            }
                        })
                        .collect::<Vec<_>>()}
                </select>
            </label>
            <label class="field">
                <span>"Expires after"</span>
                <select on:change=move |ev| {
                    days.set(event_target_value(&ev).parse().ok());
                }>
                    {TOKEN_DAYS
                        .iter()
                        .map(|d| {
                            let label = format::count(*d, "day", "days");
                            view! {
                                <option value=d.to_string() selected=*d == 90>
                                    {label}
                                </option>
                            }
                        })
                        .collect::<Vec<_>>()} <option value="never">"Never"</option>
                </select>
            </label>
            <button class="btn btn-primary" type="submit" disabled=move || create.pending().get()>
                "Create API token"
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
                .map(|token| {
                    view! {
                        <div class="alert alert-success" role="status">
                            <p>"Copy this token now: it is not shown again."</p>
                            <label class="field">
                                <span>"API token"</span>
                                <input readonly class="token-value" value=token />
                            </label>
                            <p class="muted">
                                "Send it as " <code>"Authorization: Bearer gt_…"</code> "."
                            </p>
                        </div>
                    }
                })
        }}
        <Transition fallback=|| view! { <p class="muted">"Loading API tokens…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>{list}</ErrorBoundary>
        </Transition>
    }
}
