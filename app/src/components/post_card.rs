use super::selection::{SelectBox, SelectionState};
use super::tags::{Assignment, PlatformBadge};
use crate::format::{compact, date, datetime, thousands};
use crate::model::Post;
use leptos::prelude::*;

#[component]
pub fn PostCard(post: Post, guild: String, selection: SelectionState) -> impl IntoView {
    let select_label = format!(
        "Select the post by @{} on {}",
        post.account_handle,
        date(post.posted_at)
    );
    let id = post.id;
    let account_href = format!("/g/{guild}/posts?account={}", post.account_id);
    let stat = |label: &'static str, n: i64| {
        view! {
            <div>
                <dt>{label}</dt>
                <dd title=thousands(n)>{compact(n)}</dd>
            </div>
        }
    };
    view! {
        <article
            class=move || {
                if selection.is_selected(id) {
                    "card post-card card--selected"
                } else {
                    "card post-card"
                }
            }
            data-id=post.id
            aria-label=format!("Post by @{} on {}", post.account_handle, date(post.posted_at))
        >
            <div class="card-select">
                <SelectBox selection id label=select_label />
            </div>
            <div class="card-body">
                <header class="card-head">
                    <PlatformBadge platform=post.platform />
                    <a class="handle" href=account_href>
                        "@"
                        {post.account_handle.clone()}
                    </a>
                    <time
                        class="muted"
                        datetime=post.posted_at.to_rfc3339()
                        title=datetime(post.posted_at)
                    >
                        {date(post.posted_at)}
                    </time>
                </header>
                <p class="caption">{post.caption.clone()}</p>
                <dl class="stats">
                    {stat("Views", post.views)} {stat("Likes", post.likes)}
                    {stat("Comments", post.comments)} {stat("Shares", post.shares)}
                </dl>
                <footer class="card-foot">
                    <Assignment group=post.group.clone() brand=post.brand.clone() />
                    <a
                        class="card-link"
                        href=post.url.clone()
                        target="_blank"
                        rel="noopener noreferrer"
                    >
                        "Open post ↗"
                        <span class="sr-only">" (opens on "{post.platform.label()}")"</span>
                    </a>
                </footer>
            </div>
        </article>
    }
}
