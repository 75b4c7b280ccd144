//! `/invite/:token`: an invitation link. Whoever opens it sees the guild and
//! the role; signed out, they sign in first (with Discord or a password,
//! coming back here); signed in, one click joins.

use crate::api::{discord_sign_in_enabled, preview_invitation, RedeemInvitation};
use crate::components::error_panel::ErrorPanel;
use crate::model::members::InvitationPreview;
use crate::model::query::encode_component;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};
use leptos_router::{lazy_route, LazyRoute};

/// The route of the invitation page (opened once per member). Its code is a wasm module of its own, fetched when
/// the page is first opened (`#[lazy_route]`, split by tools/wasm-split),
/// so that the first load of Posts does not carry it.
pub struct InviteRoute;

#[lazy_route]
impl LazyRoute for InviteRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <InvitePage /> }.into_any()
    }
}

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = Memo::new(move |_| params.read().get("token").unwrap_or_default());
    let preview = Resource::new(move || token.get(), preview_invitation);
    let discord = Resource::new(|| (), |_| discord_sign_in_enabled());
    let redeem = ServerAction::<RedeemInvitation>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(joined)) = redeem.value().get() {
            navigate(
                &format!("/g/{}/posts", joined.guild_slug),
                Default::default(),
            );
        }
    });
    let here = move || format!("/invite/{}", token.get());
    let offer = move |p: InvitationPreview| {
        let invited = view! {
            <p class="lead">
                "You are invited to join " <strong>{p.guild_name.clone()}</strong> " as "
                {p.role.with_article()} "."
            </p>
        };
        if let Some(refusal) = p.status.refusal() {
            return view! {
                {invited}
                <p class="alert alert-error" role="alert">
                    {refusal}
                </p>
            }
            .into_any();
        }
        if !p.signed_in {
            let next = encode_component(&here());
            let with_discord = move || {
                let next = next.clone();
                Suspend::new(async move {
                    discord.await.unwrap_or(false).then(|| {
                        view! {
                            <a
                                class="btn btn-discord btn-block"
                                href=format!("/auth/discord?next={next}")
                                rel="external"
                            >
                                "Sign in with Discord to join"
                            </a>
                        }
                    })
                })
            };
            let password = format!("/login?next={}", encode_component(&here()));
            return view! {
                {invited}
                <p>"Sign in first; you come back here to join."</p>
                <Suspense fallback=|| ()>{with_discord}</Suspense>
                <a class="btn btn-ghost btn-block" href=password>
                    "Sign in with a password"
                </a>
            }
            .into_any();
        }
        if p.current_role.is_some_and(|r| r >= p.role) {
            let role = p.current_role.map(|r| r.with_article()).unwrap_or_default();
            return view! {
                {invited}
                <p>{format!("You are already a member, as {role}.")}</p>
                <a class="btn btn-primary btn-block" href=format!("/g/{}/posts", p.guild_slug)>
                    {format!("Open {}", p.guild_name)}
                </a>
            }
            .into_any();
        }
        let name = p.guild_name.clone();
        view! {
            {invited}
            {move || {
                redeem
                    .value()
                    .get()
                    .and_then(|r| r.err())
                    .map(|e| {
                        view! {
                            <p class="alert alert-error" role="alert">
                                {e.to_string()}
                            </p>
                        }
                    })
            }}
            <button
                class="btn btn-primary btn-block"
                type="button"
                disabled=move || redeem.pending().get()
                on:click=move |_| {
                    redeem
                        .dispatch(RedeemInvitation {
                            token: token.get_untracked(),
                        });
                }
            >
                {format!("Join {name}")}
            </button>
        }
        .into_any()
    };
    view! {
        <Title text="Invitation" />
        <main class="center-page">
            <section class="panel login" aria-labelledby="invite-title">
                <div class="brand-mark brand-mark--large">
                    <span class="brand-mark__logo" aria-hidden="true">
                        "G"
                    </span>
                    <span>"Guildtrack"</span>
                </div>
                <h1 id="invite-title">"Invitation"</h1>
                <Suspense fallback=|| view! { <p class="muted">"Loading the invitation…"</p> }>
                    <ErrorBoundary fallback=|errors| {
                        view! { <ErrorPanel errors /> }
                    }>
                        {move || Suspend::new(async move { preview.await.map(offer) })}
                    </ErrorBoundary>
                </Suspense>
            </section>
        </main>
    }
}
