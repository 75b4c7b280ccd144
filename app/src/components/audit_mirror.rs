//! Guild settings → Audit log → "Post to Discord" (admins): the channel's
//! webhook, the kinds of entries posted, a test message, and what went
//! wrong.

use crate::api::{audit_mirror, SaveAuditMirror, TestAuditMirror};
use crate::components::error_panel::ErrorPanel;
use crate::components::form_status::FormStatus;
use crate::format::datetime;
use crate::model::audit_mirror::{AuditMirror, MIRROR_KINDS};
use crate::pages::guild_layout::use_guild;
use leptos::prelude::*;

/// Where the mirror stands: off, posting, or stopped by itself.
fn status(m: &AuditMirror) -> AnyView {
    if let Some(reason) = &m.disabled_reason {
        return view! {
            <p class="alert alert-warning" role="status">
                "Not posting: "
                {reason.clone()}
            </p>
        }
        .into_any();
    }
    match (&m.webhook_hint, m.enabled) {
        (Some(hint), true) => {
            let waiting = (m.waiting > 0).then(|| {
                format!(
                    " {} waiting to go.",
                    crate::format::count(m.waiting, "post is", "posts are")
                )
            });
            view! {
                <p role="status">
                    "Posting to the channel of webhook " <code>{hint.clone()}</code> "." {waiting}
                </p>
            }
            .into_any()
        }
        (Some(_), false) => view! { <p class="muted">"Posting is off."</p> }.into_any(),
        (None, _) => {
            view! { <p class="muted">"The audit log is not posted to Discord."</p> }.into_any()
        }
    }
}

/// Posts Discord did not take, newest first.
fn failures(m: &AuditMirror) -> Option<AnyView> {
    (!m.failures.is_empty()).then(|| {
        let items = m
            .failures
            .iter()
            .map(|f| {
                view! {
                    <li>
                        <strong>{f.title.clone()}</strong>
                        " · "
                        {datetime(f.at)}
                        ": "
                        {f.error.clone()}
                    </li>
                }
            })
            .collect_view();
        view! {
            <div class="alert alert-error" role="status">
                <p>"Not posted (given up):"</p>
                <ul>{items}</ul>
            </div>
        }
        .into_any()
    })
}

#[component]
pub fn AuditMirrorSection() -> impl IntoView {
    let guild = use_guild();
    let loaded = Resource::new(move || guild.slug.get(), audit_mirror);
    let save = ServerAction::<SaveAuditMirror>::new();
    let test = ServerAction::<TestAuditMirror>::new();
    let webhook_url = RwSignal::new(String::new());
    let kinds = RwSignal::new(Vec::<String>::new());
    let enabled = RwSignal::new(true);
    let current = RwSignal::new(None::<AuditMirror>);
    let show = move |m: AuditMirror| {
        kinds.set(m.kinds.clone());
        enabled.set(m.enabled || m.webhook_hint.is_none());
        webhook_url.set(String::new());
        current.set(Some(m));
    };
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(result) = save.value().get() {
            match result {
                Ok(m) => {
                    error.set(None);
                    saved.set(true);
                    show(m);
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
        save.dispatch(SaveAuditMirror {
            guild: guild.slug.get_untracked(),
            webhook_url: webhook_url.get_untracked(),
            kinds: kinds.get_untracked(),
            enabled: enabled.get_untracked(),
        });
    };
    let send_test = move |_| {
        test.dispatch(TestAuditMirror {
            guild: guild.slug.get_untracked(),
        });
    };
    let test_result = move || {
        test.value().get().map(|r| match r {
            Ok(said) => view! {
                <p class="alert alert-success" role="status">
                    {said}
                </p>
            }
            .into_any(),
            Err(e) => view! {
                <p class="alert alert-error" role="alert">
                    {e.to_string()}
                </p>
            }
            .into_any(),
        })
    };
    let kind_box = move |name: &'static str, label: &'static str| {
        let checked = move || kinds.get().iter().any(|k| k == name);
        let toggle = move |ev: leptos::ev::Event| {
            let on = event_target_checked(&ev);
            kinds.update(|ks| {
                ks.retain(|k| k != name);
                if on {
                    ks.push(name.to_string());
                }
            });
        };
        view! {
            <label class="choice__option">
                <input
                    type="checkbox"
                    name="kinds"
                    value=name
                    prop:checked=checked
                    on:change=toggle
                />
                <span>{label}</span>
            </label>
        }
    };
    let body = move || {
        Suspend::new(async move {
            loaded
                .await
                .map(|m| {
                    if current.get_untracked().is_none() {
                        show(m);
                    }
                    let available = current.get_untracked().is_some_and(|m| m.available);
                    if !available {
                        return view! {
                            <p class="muted">
                                "This server cannot post to Discord yet: its operator has to set SECRET_KEY (see the README)."
                            </p>
                        }
                            .into_any();
                    }
                    let has_webhook = move || {
                        current.get().is_some_and(|m| m.webhook_hint.is_some())
                    };
                    let placeholder = move || {
                        if has_webhook() {
                            "Saved. Paste a new URL to replace it".to_string()
                        } else {
                            "https://discord.com/api/webhooks/…".to_string()
                        }
                    };
                    let boxes = MIRROR_KINDS
                        .iter()
                        .map(|(name, label)| kind_box(name, label))
                        .collect_view();
                    view! {
                        {move || current.get().as_ref().map(status)}
                        {move || current.get().as_ref().and_then(failures)}
                        <form class="stack" on:submit=submit>
                            <label class="field">
                                <span>"Channel webhook URL"</span>
                                <input
                                    name="webhook_url"
                                    type="password"
                                    autocomplete="off"
                                    spellcheck="false"
                                    placeholder=placeholder
                                    bind:value=webhook_url
                                />
                                <small class="muted">
                                    "In Discord: the channel's settings → Integrations → Webhooks → New Webhook → Copy Webhook URL. \
                                     It is kept encrypted and never shown again."
                                </small>
                            </label>
                            <fieldset class="choice">
                                <legend>"Post these entries"</legend>
                                {boxes}
                            </fieldset>
                            <small class="muted">
                                "Each action is posted once, as a summary with its count, member, reason and a link here; \
                                 the items of a bulk action never are."
                            </small>
                            <label class="choice__option">
                                <input type="checkbox" name="enabled" bind:checked=enabled />
                                <span>"Post the chosen entries to this channel"</span>
                            </label>
                            <FormStatus error=error saved=saved />
                            {test_result}
                            <div class="form-actions mirror-actions">
                                <button
                                    class="btn btn-primary"
                                    type="submit"
                                    disabled=move || save.pending().get()
                                >
                                    {move || {
                                        if save.pending().get() { "Saving…" } else { "Save" }
                                    }}
                                </button>
                                <button
                                    class="btn"
                                    type="button"
                                    on:click=send_test
                                    disabled=move || test.pending().get() || !has_webhook()
                                >
                                    {move || {
                                        if test.pending().get() {
                                            "Sending…"
                                        } else {
                                            "Send test message"
                                        }
                                    }}
                                </button>
                            </div>
                        </form>
                    }
                        .into_any()
                })
        })
    };
    view! {
        <section class="panel" aria-labelledby="audit-mirror-title">
            <h2 id="audit-mirror-title">"Post to Discord"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| {
                    view! { <ErrorPanel errors /> }
                }>{body}</ErrorBoundary>
            </Transition>
        </section>
    }
}
