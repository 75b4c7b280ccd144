use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// What the sign-in route reported, as the sentence to show. Each says
/// what is true: a busy database is never called a wrong password.
fn sign_in_problem(error: &str, minutes: Option<&str>) -> String {
    match error {
        "locked" => {
            let minutes = minutes.and_then(|m| m.parse::<u32>().ok()).unwrap_or(15);
            let unit = if minutes == 1 { "minute" } else { "minutes" };
            format!("Too many attempts. Try again in {minutes} {unit}.")
        }
        "unavailable" => "Sign-in is not available right now, so your password was not checked. \
                          Try again in a moment."
            .into(),
        _ => "That username and password do not match. Check both and try again.".into(),
    }
}

/// Sign-in. A plain HTML form posting to `/auth/login`, so it works before
/// (and without) the wasm.
#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let problem = move || {
        let q = query.read();
        q.get("error")
            .map(|error| sign_in_problem(&error, q.get("minutes").as_deref()))
    };
    let next = move || query.read().get("next").unwrap_or_else(|| "/".into());
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
            sign_in_problem("locked", Some("1")),
            "Too many attempts. Try again in 1 minute."
        );
        assert_eq!(
            sign_in_problem("locked", Some("12")),
            "Too many attempts. Try again in 12 minutes."
        );
        assert!(!sign_in_problem("unavailable", None).contains("do not match"));
        assert!(sign_in_problem("1", None).contains("do not match"));
    }
}
