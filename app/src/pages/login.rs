use crate::api::discord_sign_in_enabled;
use crate::model::query::encode_component;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::{lazy_route, LazyRoute};

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What the sign-in routes reported, as the sentence to show. Each says
/// what is true: a busy database is never called a wrong password.
/// `minutes` and `seconds` come with a lock and a Discord rate limit.
fn sign_in_problem(error: &str, minutes: Option<&str>, seconds: Option<&str>) -> String {
    let number =
        |n: Option<&str>, default| n.and_then(|m| m.parse::<u32>().ok()).unwrap_or(default);
    match error {
        "locked" => format!(
            "Too many attempts. Try again in {}.",
            plural(number(minutes, 15), "minute", "minutes")
        ),
        "unavailable" => "Sign-in is not available right now, so your password was not checked. \
                          Try again in a moment."
            .into(),
        "discord_declined" => "You cancelled the sign-in on Discord, so nothing changed. \
                               Sign in again when you are ready."
            .into(),
        "discord_state" => "That Discord sign-in expired or was started in another browser. \
                            Start it again from this page."
            .into(),
        "discord_busy" => format!(
            "Discord asked us to slow down. Try again in {}.",
            plural(number(seconds, 5), "second", "seconds")
        ),
        "discord_down" => "Discord is not answering right now, so you could not be signed in. \
                           Try again in a few minutes, or sign in with a password."
            .into(),
        "discord_no_servers" => "None of your Discord servers use Guildtrack yet. \
                                 Ask an admin of your server for an invitation."
            .into(),
        "discord_taken" => "That Discord account is already linked to another Guildtrack user, \
                            so it was not linked to yours."
            .into(),
        "discord_off" => "Sign-in with Discord is not set up on this server. \
                          Sign in with your username and password."
            .into(),
        _ => "That username and password do not match. Check both and try again.".into(),
    }
}

/// The route of the sign-in page. Its code is a wasm module of its own,
/// fetched when the page is opened (`#[lazy_route]`, split by
/// tools/wasm-split): a signed-in member's first load of Posts does not
/// carry it, and the form posts without the wasm anyway.
pub struct LoginRoute;

#[lazy_route]
impl LazyRoute for LoginRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <LoginPage /> }.into_any()
    }
}

/// Sign-in. A plain HTML form posting to `/auth/login`, so it works before
/// (and without) the wasm.
#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let problem = move || {
        let q = query.read();
        q.get("error").map(|error| {
            sign_in_problem(
                &error,
                q.get("minutes").as_deref(),
                q.get("seconds").as_deref(),
            )
        })
    };
    let next = move || query.read().get("next").unwrap_or_else(|| "/".into());
    let discord = Resource::new(|| (), |_| discord_sign_in_enabled());
    // A link, not a button of the form: it works before (and without) the
    // wasm, and carries `next` through the round trip.
    let discord_button = move || {
        Suspend::new(async move {
            discord.await.unwrap_or(false).then(|| {
                let href = format!("/auth/discord?next={}", encode_component(&next()));
                view! {
                    // rel="external": a server route, not one of the app's
                    // pages, so the router must let the browser go there.
                    <a class="btn btn-discord btn-block" href=href rel="external">
                        "Sign in with Discord"
                    </a>
                    <p class="login-or" aria-hidden="true">
                        "or"
                    </p>
                }
            })
        })
    };
    view! {
        <Title text="Sign in" />
        <main class="center-page">
            <form class="panel login" method="post" action="/auth/login">
                <div class="brand-mark brand-mark--large">
                    <span class="brand-mark__logo" aria-hidden="true">
                        "G"
                    </span>
                    <span>"Guildtrack"</span>
                </div>
                <h1>"Sign in"</h1>
                {move || {
                    problem()
                        .map(|text| {
                            view! {
                                <p class="alert alert-error" role="alert">
                                    {text}
                                </p>
                            }
                        })
                }}
                <Suspense fallback=|| ()>{discord_button}</Suspense>
                <input type="hidden" name="next" value=next />
                <label class="field">
                    <span>"Username"</span>
                    <input name="username" autocomplete="username" required autofocus />
                </label>
                <label class="field">
                    <span>"Password"</span>
                    <input
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                    />
                </label>
                <button class="btn btn-primary btn-block" type="submit">
                    "Sign in"
                </button>
            </form>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::sign_in_problem;

    #[test]
    fn each_sign_in_problem_has_its_own_true_sentence() {
        assert_eq!(
            sign_in_problem("locked", Some("1"), None),
            "Too many attempts. Try again in 1 minute."
        );
        assert_eq!(
            sign_in_problem("locked", Some("12"), None),
            "Too many attempts. Try again in 12 minutes."
        );
        assert!(!sign_in_problem("unavailable", None, None).contains("do not match"));
        assert!(sign_in_problem("1", None, None).contains("do not match"));
        assert_eq!(
            sign_in_problem("discord_busy", None, Some("3")),
            "Discord asked us to slow down. Try again in 3 seconds."
        );
        assert!(sign_in_problem("discord_no_servers", None, None)
            .starts_with("None of your Discord servers use Guildtrack yet."));
        for code in [
            "discord_declined",
            "discord_state",
            "discord_down",
            "discord_taken",
            "discord_off",
        ] {
            assert!(
                !sign_in_problem(code, None, None).contains("do not match"),
                "{code}"
            );
        }
    }
}
