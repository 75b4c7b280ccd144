use super::{Named, Platform};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A tracked post with its latest counters, as shown on a post card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    pub id: i64,
    pub account_id: i64,
    pub account_handle: String,
    pub platform: Platform,
    pub url: String,
    pub caption: String,
    pub posted_at: DateTime<Utc>,
    pub views: i64,
    pub likes: i64,
    pub comments: i64,
    pub shares: i64,
    pub group: Option<Named>,
    pub brand: Option<Named>,
    pub created_at: DateTime<Utc>,
}
