//! The guild's audit log as the Audit log page shows it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The actions the log can be filtered by: URL name and label.
pub const AUDIT_ACTIONS: [(&str, &str); 10] = [
    ("delete", "Delete"),
    ("reassign", "Reassign"),
    ("restore", "Restore"),
    ("purge", "Delete permanently"),
    ("auto_purge", "Automatic purge"),
    ("export", "Export"),
    ("import", "Import"),
    ("sign_in", "Sign-in"),
    ("member", "Members"),
    ("settings", "Guild settings"),
];

/// One entry: a single action, or a batch's summary (with its item count),
/// or, inside an expanded batch, one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The member's display name; `None` for the system (scheduled purge)
    /// or a member since removed.
    pub actor: Option<String>,
    pub action: String,
    pub summary: String,
    /// The reason given, when one was.
    pub reason: Option<String>,
    /// How the selection was made, for batch summaries.
    pub selection: Option<String>,
    pub batch_id: Option<String>,
    /// Item entries of this batch (summaries only).
    pub items: i64,
}
