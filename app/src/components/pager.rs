use crate::format::{count, thousands};
use crate::model::PageInfo;
use leptos::prelude::*;

/// "26–50 of 1,234 posts" with previous/next and a few page links.
#[component]
pub fn Pager(
    info: PageInfo,
    one: &'static str,
    many: &'static str,
    /// Builds the URL of page n.
    href: Callback<u32, String>,
) -> impl IntoView {
    let (page, page_count, total) = (info.page, info.page_count(), info.total);
    let (first, last) = (info.first_index(), info.last_index());
    let mut pages: Vec<u32> = [1, page.saturating_sub(1), page, page + 1, page_count]
        .into_iter()
        .filter(|p| *p >= 1 && *p <= page_count)
        .collect();
    pages.sort_unstable();
    pages.dedup();
    let mut items = Vec::new();
    let mut prev = 0;
    for p in pages {
        if p > prev + 1 {
            items.push(
                view! {
                    <li class="pager-gap" aria-hidden="true">
                        "…"
                    </li>
                }
                .into_any(),
            );
        }
        let current = (p == page).then_some("page");
        items.push(
            view! {
                <li>
                    <a
                        class="pager-link"
                        href=href.run(p)
                        aria-current=current
                        aria-label=format!("Page {p}")
                    >
                        {thousands(p as i64)}
                    </a>
                </li>
            }
            .into_any(),
        );
        prev = p;
    }
    let prev_link = (page > 1).then(|| {
        view! {
            <a class="btn btn-small" href=href.run(page - 1) rel="prev">
                "← Previous"
            </a>
        }
    });
    let next_link = (page < page_count).then(|| {
        view! {
            <a class="btn btn-small" href=href.run(page + 1) rel="next">
                "Next →"
            </a>
        }
    });
    view! {
        <nav class="pager" aria-label="Pages">
            <p class="pager-range">
                {if total == 0 {
                    count(0, one, many)
                } else {
                    format!(
                        "{}–{} of {}",
                        thousands(first),
                        thousands(last),
                        count(total, one, many),
                    )
                }}
            </p>
            <div class="pager-controls">
                {prev_link} <ol class="pager-pages">{items}</ol> {next_link}
            </div>
        </nav>
    }
}
