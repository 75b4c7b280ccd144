//! The two kinds of item a guild tracks. Exports, bulk actions, the trash
//! and selections all work on one of them; its SQL vocabulary (table,
//! alias, FROM clauses) lives in `domain::entity_sql`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Entity {
    Accounts,
    Posts,
}

impl Entity {
    pub const ALL: [Self; 2] = [Self::Accounts, Self::Posts];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accounts => "accounts",
            Self::Posts => "posts",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }
    /// "account", "post": one of them, in sentences and audit targets.
    pub fn one(self) -> &'static str {
        match self {
            Self::Accounts => "account",
            Self::Posts => "post",
        }
    }
    /// "Accounts", for headings and sheet names.
    pub fn title(self) -> &'static str {
        match self {
            Self::Accounts => "Accounts",
            Self::Posts => "Posts",
        }
    }
    /// "1 account", "1,200 posts".
    pub fn count(self, n: i64) -> String {
        let noun = match (self, n) {
            (Self::Accounts, 1) => "account",
            (Self::Accounts, _) => "accounts",
            (Self::Posts, 1) => "post",
            (Self::Posts, _) => "posts",
        };
        format!("{} {noun}", crate::format::thousands(n))
    }
}
