use super::selection::{SelectBox, SelectionState};
use super::tags::{Assignment, PlatformBadge};
use crate::format::{compact, date, thousands};
use crate::model::{Account, AccountStatus};
use leptos::prelude::*;

#[component]
pub fn AccountCard(account: Account, guild: String, selection: SelectionState) -> impl IntoView {
    let select_label = format!("Select @{}", account.handle);
    let id = account.id;
    let initial = account
        .display_name
        .chars()
        .next()
        .unwrap_or('?')
        .to_string();
    let posts_href = format!("/g/{guild}/posts?account={}", account.id);
    let paused = account.status == AccountStatus::Paused;
    view! {
        <article
            class=move || {
                if selection.is_selected(id) {
                    "card account-card card--selected"
                } else {
                    "card account-card"
                }
            }
            data-id=account.id
            aria-label=format!("@{}", account.handle)
        >
            <div class="card-select">
                <SelectBox selection id label=select_label />
            </div>
            <div class="card-body">
                <header class="card-head">
                    <span
                        class=format!("avatar platform--{}", account.platform.as_str())
                        aria-hidden="true"
                    >
                        {initial}
                    </span>
                    <div class="card-title">
                        <h3 class="name">{account.display_name.clone()}</h3>
                        <a
                            class="handle"
                            href=account.profile_url.clone()
                            target="_blank"
                            rel="noopener noreferrer"
                        >
                            "@"
                            {account.handle.clone()}
                            <span class="sr-only">" (opens the profile)"</span>
                        </a>
                    </div>
                    <PlatformBadge platform=account.platform />
                </header>
                <dl class="stats">
                    <div>
                        <dt>"Followers"</dt>
                        <dd title=thousands(account.followers)>{compact(account.followers)}</dd>
                    </div>
                    <div>
                        <dt>"Posts"</dt>
                        <dd>{thousands(account.post_count)}</dd>
                    </div>
                    <div>
                        <dt>"Added"</dt>
                        <dd title=crate::format::datetime(
                            account.created_at,
                        )>{date(account.created_at)}</dd>
                    </div>
                </dl>
                <footer class="card-foot">
                    <span class=if paused {
                        "status status--paused"
                    } else {
                        "status status--active"
                    }>{account.status.label()}</span>
                    <Assignment group=account.group.clone() brand=account.brand.clone() />
                    <a class="card-link" href=posts_href>
                        "View posts →"
                    </a>
                </footer>
            </div>
        </article>
    }
}
