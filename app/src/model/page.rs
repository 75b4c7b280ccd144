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
    pub fn page_count(&self) -> u32 {
        let size = i64::from(self.page_size.max(1));
        ((self.total + size - 1) / size).max(1) as u32
    }

    /// Index (1-based) of the first item on this page, for "26–50 of 1,234".
    pub fn first_index(&self) -> i64 {
        if self.items.is_empty() {
            0
        } else {
            i64::from(self.page - 1) * i64::from(self.page_size) + 1
        }
    }

    pub fn last_index(&self) -> i64 {
        if self.items.is_empty() {
            0
        } else {
            self.first_index() + self.items.len() as i64 - 1
        }
    }
}
