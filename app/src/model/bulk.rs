//! Bulk actions on a selection: what the browser asks for, what the
//! confirmation dialog shows, and the run the server reports back.

use super::export::Entity;
use super::guild::Role;
use super::selection::Selection;
use crate::format::thousands;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What to do with a group or brand when reassigning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// Leave it as it is on each item.
    Keep,
    /// Make the items unassigned.
    Clear,
    /// Move the items to this group or brand of the guild.
    Set(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BulkAction {
    /// Soft delete: the items go to the trash (accounts take their posts).
    Delete,
    /// Move the items to another group and/or brand.
    Reassign { group: Change, brand: Change },
    /// Bring trashed items back to their group and brand (accounts bring
    /// the posts deleted with them).
    Restore,
    /// Delete trashed items for good (accounts take their posts).
    Purge,
}

impl BulkAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delete => "delete",
            Self::Reassign { .. } => "reassign",
            Self::Restore => "restore",
            Self::Purge => "purge",
        }
    }

    /// Whether the action works on trashed items (Deleted Items) rather
    /// than live ones (the list pages).
    pub fn in_trash(self) -> bool {
        matches!(self, Self::Restore | Self::Purge)
    }

    /// The least role allowed to run it: editors change and restore, only
    /// admins delete for good.
    pub fn min_role(self) -> Role {
        match self {
            Self::Purge => Role::Admin,
            _ => Role::Editor,
        }
    }

    /// Deletes can be confirmed with the word `DELETE` as well as the count.
    fn is_destructive(self) -> bool {
        matches!(self, Self::Delete | Self::Purge)
    }
}

/// A bulk action on a selection of accounts or posts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkRequest {
    pub entity: Entity,
    pub selection: Selection,
    pub action: BulkAction,
}

/// What the confirmation dialog says, resolved by the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkPreview {
    /// The items the selection resolves to now.
    pub count: i64,
    /// "Delete 1,234 accounts and their 9,876 posts. …"
    pub sentence: String,
    /// The confirm button: "Delete 1,234 accounts".
    pub button: String,
    /// When the server resolved the selection: items changed after this by
    /// someone else are reported as failures rather than overwritten.
    pub as_of: DateTime<Utc>,
}

/// The confirmed request: what the user typed and the count they saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkConfirm {
    pub request: BulkRequest,
    pub confirmed_count: i64,
    pub typed: String,
    pub as_of: DateTime<Utc>,
    /// Optional, for the audit log.
    pub reason: String,
}

/// Whether `typed` confirms an action on `count` items: the count with or
/// without thousands separators (`1234`, `1,234`, `1 234`, `1.234`), or,
/// for deletes, the word `DELETE`. Restoring a single item needs no typing:
/// it destroys nothing and the item can be deleted again.
pub fn confirms(typed: &str, count: i64, action: BulkAction) -> bool {
    if !needs_typing(action, count) {
        return true;
    }
    let typed = typed.trim();
    if action.is_destructive() && typed == "DELETE" {
        return true;
    }
    digits_of(typed).is_some_and(|d| d == count.to_string())
}

/// `1234` or `1,234` (any one separator between groups of three) → `1234`.
fn digits_of(typed: &str) -> Option<String> {
    let is_sep = |c: char| matches!(c, ',' | '.' | ' ' | '\'' | '_' | '\u{a0}' | '\u{202f}');
    let groups: Vec<&str> = typed.split(is_sep).collect();
    let all_digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    let grouped =
        groups.len() == 1 || (groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3));
    (groups.iter().all(|g| all_digits(g)) && grouped).then(|| groups.concat())
}

/// Whether the confirmation dialog asks the user to type anything.
/// Whether `typed` is `count`, with or without thousands separators (the
/// confirmation of an export of selected items).
pub fn confirms_count(typed: &str, count: i64) -> bool {
    digits_of(typed.trim()).is_some_and(|d| d == count.to_string())
}

pub fn needs_typing(action: BulkAction, count: i64) -> bool {
    !(action == BulkAction::Restore && count == 1)
}

/// What the confirmation field asks for.
pub fn confirm_hint(count: i64, action: BulkAction) -> String {
    if action.is_destructive() {
        format!("Type {} or DELETE to confirm", thousands(count))
    } else {
        format!("Type {} to confirm", thousands(count))
    }
}

/// Why one item of a bulk action was not changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FailureReason {
    /// Deleted, or never in this guild, by the time its turn came.
    Removed,
    /// Someone else changed it after the selection was confirmed.
    Changed,
    /// The member's role no longer allows the action (changed mid-run).
    NotAllowed,
    /// The target group or brand was deleted during the run.
    TargetGone,
    /// Restore or permanent delete: the item left the trash meanwhile
    /// (restored, or purged).
    NotInTrash,
    /// Restore: a post whose account is still in the trash.
    AccountInTrash,
    /// Restore: a live account with the same platform and handle exists.
    HandleTaken,
}

impl FailureReason {
    pub fn sentence(self) -> &'static str {
        match self {
            Self::Removed => "It was deleted or no longer exists in this guild.",
            Self::Changed => {
                "Someone else changed it after you confirmed; review it and try again."
            }
            Self::NotAllowed => "Your role no longer allows this action.",
            Self::TargetGone => "The group or brand to move it to was deleted meanwhile.",
            Self::NotInTrash => "It is no longer in the trash: restored or deleted for good meanwhile.",
            Self::AccountInTrash => {
                "Its account is in the trash: restore the account, and the posts deleted with it come back too."
            }
            Self::HandleTaken => {
                "A live account with the same handle exists; delete it first, then restore this one."
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedItem {
    pub id: i64,
    pub name: String,
    pub reason: FailureReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunStatus {
    /// Waiting for the guild's other bulk actions to finish: one runs per
    /// guild at a time.
    Queued,
    Running,
    Done,
    /// The server stopped mid-run; the items not reached are unchanged.
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Interrupted => "interrupted",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Queued, Self::Running, Self::Done, Self::Interrupted]
            .into_iter()
            .find(|r| r.as_str() == s)
    }

    /// Not ended yet: the browser keeps polling.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Queued | Self::Running)
    }
}

/// "deleted" / "moved" / … for a run's action name, for result sentences.
pub fn past_tense(action: &str) -> &'static str {
    match action {
        "delete" => "deleted",
        "restore" => "restored",
        "purge" => "deleted for good",
        _ => "moved",
    }
}

/// At most this many failed items are named; the count is always exact.
pub const MAX_NAMED_FAILURES: usize = 1000;

/// A bulk action as it runs and once it is done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkRun {
    pub id: i64,
    pub entity: Entity,
    pub action: String,
    pub status: RunStatus,
    pub total: i64,
    pub processed: i64,
    pub succeeded: i64,
    pub failed: i64,
    /// The first [`MAX_NAMED_FAILURES`] failed items.
    pub failures: Vec<FailedItem>,
    pub summary: Option<String>,
    /// `delete-12`: the Deleted Items view of what a delete moved there.
    pub batch_id: String,
    /// While queued: the guild's bulk actions that run before this one.
    pub queue_ahead: Option<i64>,
}

impl BulkRun {
    /// "Deleting 1,500/100,000 posts…", or while it waits its turn:
    /// "Waiting for 1 other bulk action in this guild to finish. Yours
    /// starts next: delete 5,000 posts."
    pub fn progress_text(&self) -> String {
        if self.status == RunStatus::Queued {
            let ahead = self.queue_ahead.unwrap_or(1).max(1);
            let others = if ahead == 1 {
                "1 other bulk action".to_string()
            } else {
                format!("{} other bulk actions", thousands(ahead))
            };
            let when = if ahead == 1 { "next" } else { "after them" };
            return format!(
                "Waiting for {others} in this guild to finish. Yours starts {when}: {} {} {}.",
                self.action_verb(),
                thousands(self.total),
                self.entity.as_str()
            );
        }
        let verb = match self.action.as_str() {
            "delete" => "Deleting",
            "restore" => "Restoring",
            "purge" => "Deleting for good",
            _ => "Moving",
        };
        format!(
            "{verb} {}/{} {}…",
            thousands(self.processed),
            thousands(self.total),
            self.entity.as_str()
        )
    }

    /// "delete", "move", …: the action as a verb.
    fn action_verb(&self) -> &'static str {
        match self.action.as_str() {
            "delete" => "delete",
            "restore" => "restore",
            "purge" => "delete for good",
            _ => "move",
        }
    }

    pub fn percent(&self) -> u32 {
        if self.total <= 0 {
            return 0;
        }
        ((self.processed.min(self.total) * 100) / self.total) as u32
    }

    /// "12 deleted, 3 failed" (or "12 deleted").
    pub fn outcome_text(&self) -> String {
        let done = format!("{} {}", thousands(self.succeeded), past_tense(&self.action));
        let mut out = if self.failed > 0 {
            format!("{done}, {} failed", thousands(self.failed))
        } else {
            done
        };
        if self.status == RunStatus::Interrupted && self.processed == 0 {
            return format!(
                "Nothing {}: the server stopped before this action's turn came (the {} are \
                 unchanged)",
                past_tense(&self.action),
                self.entity.as_str()
            );
        }
        if self.status == RunStatus::Interrupted {
            let left = self.total - self.processed;
            out.push_str(&format!(
                "; the server stopped before the other {} (they are unchanged)",
                thousands(left)
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_confirms_with_or_without_separators() {
        for typed in ["1234", "1,234", " 1 234 ", "1.234", "1\u{202f}234"] {
            assert!(confirms(typed, 1234, BulkAction::Delete), "{typed:?}");
        }
        for typed in [
            "1233", "12345", "", "1,2a34", "-1234", "delete", "DELETE!", "12,34", "1,,234",
        ] {
            assert!(!confirms(typed, 1234, BulkAction::Delete), "{typed:?}");
        }
    }

    #[test]
    fn the_word_delete_confirms_deletes_only() {
        let reassign = BulkAction::Reassign {
            group: Change::Clear,
            brand: Change::Keep,
        };
        assert!(confirms("DELETE", 7, BulkAction::Delete));
        assert!(!confirms("DELETE", 7, reassign));
        assert!(confirms("7", 7, reassign));
        assert!(confirms("DELETE", 7, BulkAction::Purge));
        assert!(!confirms("DELETE", 7, BulkAction::Restore));
    }

    fn run(status: RunStatus, processed: i64, queue_ahead: Option<i64>) -> BulkRun {
        BulkRun {
            id: 1,
            entity: Entity::Posts,
            action: "delete".into(),
            status,
            total: 5000,
            processed,
            succeeded: processed,
            failed: 0,
            failures: Vec::new(),
            summary: None,
            batch_id: "delete-1".into(),
            queue_ahead,
        }
    }

    #[test]
    fn a_queued_run_says_what_it_waits_for_and_what_it_will_do() {
        assert_eq!(
            run(RunStatus::Queued, 0, Some(1)).progress_text(),
            "Waiting for 1 other bulk action in this guild to finish. Yours starts next: \
             delete 5,000 posts."
        );
        assert_eq!(
            run(RunStatus::Queued, 0, Some(3)).progress_text(),
            "Waiting for 3 other bulk actions in this guild to finish. Yours starts after \
             them: delete 5,000 posts."
        );
        assert_eq!(
            run(RunStatus::Running, 1500, None).progress_text(),
            "Deleting 1,500/5,000 posts…"
        );
    }

    #[test]
    fn an_interrupted_run_says_what_it_did_and_what_it_left() {
        assert_eq!(
            run(RunStatus::Interrupted, 2000, None).outcome_text(),
            "2,000 deleted; the server stopped before the other 3,000 (they are unchanged)"
        );
        assert_eq!(
            run(RunStatus::Interrupted, 0, None).outcome_text(),
            "Nothing deleted: the server stopped before this action's turn came (the posts \
             are unchanged)"
        );
    }

    #[test]
    fn restoring_one_item_needs_no_typing_but_more_do() {
        assert!(confirms("", 1, BulkAction::Restore));
        assert!(!confirms("", 2, BulkAction::Restore));
        assert!(!confirms("", 1, BulkAction::Purge));
    }
}
