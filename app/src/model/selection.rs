//! What a bulk operation or an "export selected" acts on.
//!
//! A selection is a value the server resolves, not a list of ids the browser
//! has to hold: after "Select all 1,234 posts matching this view" it is the
//! view's filter plus the items the user unticked since.

use super::query::Params;
use serde::{Deserialize, Serialize};

/// Hand-picked ids are capped so one request stays small; beyond this the
/// UI offers "select all matching", which has no limit.
pub const MAX_SELECTED_IDS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Selection {
    /// Items ticked one by one (or by shift-click ranges).
    Ids(Vec<i64>),
    /// Every live item the filter matches, except the unticked ones.
    AllMatching { filter: Params, except: Vec<i64> },
}

impl Selection {
    /// How the selection was made, for audit entries and history.
    pub fn describe(&self) -> String {
        match self {
            Self::Ids(ids) => format!("{} picked by hand", ids.len()),
            // Deleted Items' "Show this deletion", and Undo.
            Self::AllMatching { filter, except }
                if except.is_empty() && filter.contains_key("batch") =>
            {
                "the items of one deletion".into()
            }
            Self::AllMatching { except, .. } if except.is_empty() => "all matching a view".into(),
            Self::AllMatching { except, .. } => {
                format!("all matching a view, {} unticked", except.len())
            }
        }
    }
}
