use leptos::prelude::*;

/// Shows the errors an `ErrorBoundary` caught, as the sentences the server
/// wrote for the user.
#[component]
pub fn ErrorPanel(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let messages = move || {
        errors
            .get()
            .into_iter()
            .map(|(_, e)| view! { <li>{e.to_string()}</li> })
            .collect::<Vec<_>>()
    };
    view! {
        <div class="panel alert alert-error" role="alert">
            <h2>"This view could not be loaded"</h2>
            <ul class="error-list">{messages}</ul>
            <p>
                <a href="?">"Reset the filters"</a>
                " or "
                <a href="/">"go to your guilds"</a>
                "."
            </p>
        </div>
    }
}
