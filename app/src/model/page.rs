use crate::format::count;
use serde::{Deserialize, Serialize};

/// The highest page number a list accepts. Far beyond any real list (it is
/// 2.5 million items at 25 a page) while keeping OFFSET arithmetic safe.
pub const MAX_PAGE: u32 = 100_000;

/// One page of a filtered list plus the total that matches the filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    /// `total` is an estimate ("about 170,000"): a search too big to count
    /// in time (see the server's `domain::estimate`).
    #[serde(default)]
    pub estimated: bool,
    pub page: u32,
    pub page_size: u32,
}

impl<T> Page<T> {
    /// The page without its items: what counts and pagers need.
    pub fn info(&self) -> PageInfo {
        PageInfo {
            page: self.page,
            page_size: self.page_size,
            total: self.total,
            estimated: self.estimated,
            shown: self.items.len(),
        }
    }

    pub fn page_count(&self) -> u32 {
        self.info().page_count()
    }
}

/// Where a page sits in its list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageInfo {
    pub page: u32,
    pub page_size: u32,
    pub total: i64,
    /// `total` is an estimate: the last page is not known.
    pub estimated: bool,
    /// Items on this page.
    pub shown: usize,
}

impl PageInfo {
    pub fn page_count(&self) -> u32 {
        let size = i64::from(self.page_size.max(1));
        ((self.total + size - 1) / size).max(1) as u32
    }

    /// Whether a next page may hold items. With an estimated total only a
    /// full page says so: the estimate may be short or long of the end.
    pub fn has_next(&self) -> bool {
        if self.estimated {
            self.shown == self.page_size as usize
        } else {
            self.page < self.page_count()
        }
    }

    /// "1,234 posts", or "about 170,000 posts" for an estimate.
    pub fn total_text(&self, one: &str, many: &str) -> String {
        let exact = count(self.total, one, many);
        if self.estimated {
            format!("about {exact}")
        } else {
            exact
        }
    }

    /// Index (1-based) of the first item on this page, for "26–50 of 1,234".
    pub fn first_index(&self) -> i64 {
        if self.shown == 0 {
            0
        } else {
            i64::from(self.page - 1) * i64::from(self.page_size) + 1
        }
    }

    pub fn last_index(&self) -> i64 {
        if self.shown == 0 {
            0
        } else {
            self.first_index() + self.shown as i64 - 1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_positions_read_like_the_pager_says() {
        let info = PageInfo {
            page: 2,
            page_size: 25,
            total: 51,
            estimated: false,
            shown: 25,
        };
        assert_eq!(
            (info.first_index(), info.last_index(), info.page_count()),
            (26, 50, 3)
        );
        let last = PageInfo {
            page: 3,
            shown: 1,
            ..info
        };
        assert_eq!((last.first_index(), last.last_index()), (51, 51));
        let empty = PageInfo {
            page: 1,
            page_size: 25,
            total: 0,
            estimated: false,
            shown: 0,
        };
        assert_eq!((empty.first_index(), empty.page_count()), (0, 1));
    }

    #[test]
    fn an_estimated_total_reads_about_and_a_full_page_may_have_a_next() {
        let info = PageInfo {
            page: 4,
            page_size: 25,
            total: 50,
            estimated: true,
            shown: 25,
        };
        assert_eq!(info.total_text("post", "posts"), "about 50 posts");
        assert!(info.has_next(), "a full page past the estimate goes on");
        let short = PageInfo { shown: 3, ..info };
        assert!(!short.has_next(), "a short page is the last");
        let exact = PageInfo {
            estimated: false,
            page: 2,
            ..info
        };
        assert_eq!(exact.total_text("post", "posts"), "50 posts");
        assert!(!exact.has_next(), "page 2 of an exact 50 is the last");
    }
}
