use leptos::prelude::*;

/// Shows the errors an `ErrorBoundary` caught, as the sentences the server
/// wrote for the user.
#[component]
pub fn ErrorPanel(errors: ArcRwSignal<Errors>) -> impl IntoView {
    // A server-rendered error page carries the status of its error: a
    // foreign guild is a 404, a bad filter a 400, not a 200 with an alert.
    // This takes effect because the guild's routes render in
    // `SsrMode::Async` (the status is sent after every resource resolved).
    #[cfg(feature = "ssr")]
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        let status = errors
            .get_untracked()
            .into_iter()
            .find_map(|(_, e)| {
                e.downcast_ref::<crate::error::AppError>()
                    .map(|e| e.status_code())
            })
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        opts.set_status(status);
    }
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
