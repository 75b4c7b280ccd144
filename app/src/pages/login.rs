use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Sign-in. A plain HTML form posting to `/auth/login`, so it works before
/// (and without) the wasm.
#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let failed = move || query.read().get("error").is_some();
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
                <Show when=failed>
                    <p class="alert alert-error" role="alert">
                        "That username and password do not match. Check both and try again."
                    </p>
                </Show>
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
