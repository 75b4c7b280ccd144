use crate::format::{count, thousands};
use crate::model::PageInfo;
use leptos::prelude::*;

/// "26–50 of 1,234 posts" (or "of about 170,000 posts") with previous/next
/// and a few page links.
#[component]
pub fn Pager(
    info: PageInfo,
    one: &'static str,
    many: &'static str,
    /// Builds the URL of page n.
    href: Callback<u32, String>,
) -> impl IntoView {
    let (page, total) = (info.page, info.total);
    let (first, last) = (info.first_index(), info.last_index());
    // An estimated total has no known last page: link only to pages that
    // exist (this one and those before it) and to the next one.
    let last_page = if info.estimated {
        page + u32::from(info.has_next())
    } else {
        info.page_count()
    };
    let mut pages: Vec<u32> = [1, page.saturating_sub(1), page, page + 1, last_page]
        .into_iter()
        .filter(|p| *p >= 1 && *p <= last_page)
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
    let next_link = info.has_next().then(|| {
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
                        info.total_text(one, many),
                    )
                }}
            </p>
            <div class="pager-controls">
                {prev_link} <ol class="pager-pages">{items}</ol> {next_link}
            </div>
        </nav>
    }
}
