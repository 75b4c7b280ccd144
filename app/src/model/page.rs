use serde::{Deserialize, Serialize};

/// The highest page number a list accepts. Far beyond any real list (it is
/// 2.5 million items at 25 a page) while keeping OFFSET arithmetic safe.
pub const MAX_PAGE: u32 = 100_000;

/// One page of a filtered list plus the total that matches the filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
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
    /// Items on this page.
    pub shown: usize,
}

impl PageInfo {
    pub fn page_count(&self) -> u32 {
        let size = i64::from(self.page_size.max(1));
        ((self.total + size - 1) / size).max(1) as u32
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
            shown: 0,
        };
        assert_eq!((empty.first_index(), empty.page_count()), (0, 1));
    }
}
