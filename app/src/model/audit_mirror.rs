//! Guild settings → Audit log → "Post to Discord": the audit log mirrored
//! to a Discord channel through its webhook.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The kinds of audit summaries an admin can choose to post: the action's
/// name in the log and what the settings call it.
pub const MIRROR_KINDS: [(&str, &str); 8] = [
    ("delete", "Bulk deletes"),
    ("reassign", "Reassignments"),
    ("restore", "Restores"),
    ("purge", "Permanent deletes"),
    ("auto_purge", "The automatic purge"),
    ("export", "Exports"),
    ("import", "Imports"),
    ("member", "Member changes"),
];

/// The mirror's settings and health, as admins see them. The webhook URL
/// itself is never sent back: it is a credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditMirror {
    /// Whether this server can post to Discord at all (`SECRET_KEY` set).
    pub available: bool,
    /// The webhook's id and the end of its token, once one is set:
    /// "…/webhooks/123456789012345678/…q4Xz".
    pub webhook_hint: Option<String>,
    /// The chosen [`MIRROR_KINDS`].
    pub kinds: Vec<String>,
    /// Posting; false when an admin turned it off or Discord said the
    /// webhook was deleted.
    pub enabled: bool,
    /// Why it stopped by itself.
    pub disabled_reason: Option<String>,
    /// Posts waiting to go (being retried, or next in line).
    pub waiting: i64,
    /// The latest posts Discord did not take, newest first.
    pub failures: Vec<MirrorFailure>,
}

/// A post that was given up on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MirrorFailure {
    pub at: DateTime<Utc>,
    /// The post's title ("Delete · 1,204 posts").
    pub title: String,
    pub error: String,
}

/// The label of a kind, or the name itself.
pub fn kind_label(kind: &str) -> &str {
    MIRROR_KINDS
        .iter()
        .find(|(name, _)| *name == kind)
        .map(|(_, label)| *label)
        .unwrap_or(kind)
}
