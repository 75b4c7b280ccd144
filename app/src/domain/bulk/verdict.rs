//! The per-item rule of a bulk action: may this item be changed now, or
//! does it fail, and why? "Failures are items, not errors": an item that
//! changed under the member since they confirmed is reported with a reason,
//! never changed silently and never allowed to stop the run.
//!
//! Pure, so every case is a line of the table in the tests below.

use crate::model::FailureReason;
use chrono::{DateTime, Utc};

/// What a chunk needs to know of each item to decide whether it may be
/// changed: only these columns, so a chunk reads little.
#[derive(sqlx::FromRow, Debug, Clone, Copy)]
pub(super) struct State {
    pub id: i64,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// What a chunk found of one of its items.
#[derive(Debug, Clone, Copy)]
pub(super) enum Seen<'a> {
    /// Not in the guild (any more).
    Gone,
    /// Passed the quick check: live and unchanged, or trashed before the
    /// confirm, as the action expects.
    AsExpected,
    /// Needs a look at its state.
    Check(&'a State),
}

/// The rest of what decides an item's fate, read once per chunk (and, for
/// `blocked`, per item) inside the chunk's transaction.
#[derive(Debug, Clone, Copy)]
pub(super) struct Facts {
    /// The member still has the role the action needs.
    pub allowed: bool,
    /// The group or brand a reassign moves to still exists.
    pub targets_there: bool,
    /// The action works on trashed items (restore, purge), not live ones.
    pub in_trash: bool,
    /// When the member reviewed the selection.
    pub as_of: DateTime<Utc>,
    /// Why a restore must leave this item in the trash, if it must.
    pub blocked: Option<FailureReason>,
}

/// `None` when the item may be changed; otherwise the reason it fails. The
/// checks go from the run's to the item's: a member who lost the role fails
/// every item the same way, whatever state each is in.
pub(super) fn verdict(seen: Seen<'_>, facts: &Facts) -> Option<FailureReason> {
    if !facts.allowed {
        return Some(FailureReason::NotAllowed);
    }
    let state = match seen {
        Seen::Gone => return Some(FailureReason::Removed),
        Seen::AsExpected => None,
        Seen::Check(state) => Some(state),
    };
    if let Some(s) = state {
        let changed_since = |t: DateTime<Utc>| t > facts.as_of;
        match (facts.in_trash, s.deleted_at) {
            // Live items: deleted meanwhile, or edited after the confirm.
            (false, Some(_)) => return Some(FailureReason::Removed),
            (false, None) if changed_since(s.updated_at) => return Some(FailureReason::Changed),
            // Trashed items: restored meanwhile, or deleted again since.
            (true, None) => return Some(FailureReason::NotInTrash),
            (true, Some(at)) if changed_since(at) => return Some(FailureReason::Changed),
            _ => {}
        }
    }
    if !facts.targets_there {
        return Some(FailureReason::TargetGone);
    }
    facts.blocked
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use FailureReason::*;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 12, minute, 0).unwrap()
    }

    /// The confirm happened at minute 30.
    const AS_OF: u32 = 30;

    fn facts(in_trash: bool) -> Facts {
        Facts {
            allowed: true,
            targets_there: true,
            in_trash,
            as_of: at(AS_OF),
            blocked: None,
        }
    }

    fn state(updated: u32, deleted: Option<u32>) -> State {
        State {
            id: 1,
            updated_at: at(updated),
            deleted_at: deleted.map(at),
        }
    }

    #[test]
    fn each_case_of_an_item_gets_its_verdict() {
        let live = facts(false);
        let trash = facts(true);
        let no_role = Facts {
            allowed: false,
            ..live
        };
        let no_target = Facts {
            targets_there: false,
            ..live
        };
        let blocked = Facts {
            blocked: Some(HandleTaken),
            ..trash
        };
        let unchanged_live = state(10, None);
        let edited_live = state(40, None);
        let deleted_meanwhile = state(10, Some(40));
        let trashed_before = state(10, Some(20));
        let trashed_again = state(10, Some(45));
        let restored_meanwhile = state(40, None);

        #[rustfmt::skip]
        let table: Vec<(&str, Seen, &Facts, Option<FailureReason>)> = vec![
            ("a quick-checked live item is changed",        Seen::AsExpected,                    &live,      None),
            ("an unchanged live item is changed",           Seen::Check(&unchanged_live),        &live,      None),
            ("a live item edited after the confirm",        Seen::Check(&edited_live),           &live,      Some(Changed)),
            ("a live item deleted meanwhile",               Seen::Check(&deleted_meanwhile),     &live,      Some(Removed)),
            ("an item no longer in the guild",              Seen::Gone,                          &live,      Some(Removed)),
            ("a trashed item, trashed before the confirm",  Seen::Check(&trashed_before),        &trash,     None),
            ("a trashed item restored meanwhile",           Seen::Check(&restored_meanwhile),    &trash,     Some(NotInTrash)),
            ("a trashed item deleted again since",          Seen::Check(&trashed_again),         &trash,     Some(Changed)),
            ("a member without the role, any item",         Seen::AsExpected,                    &no_role,   Some(NotAllowed)),
            ("a member without the role, a gone item",      Seen::Gone,                          &no_role,   Some(NotAllowed)),
            ("a reassign whose group is gone",              Seen::AsExpected,                    &no_target, Some(TargetGone)),
            ("a reassign whose group is gone, checked",     Seen::Check(&unchanged_live),        &no_target, Some(TargetGone)),
            ("an item's own change beats a gone target",    Seen::Check(&edited_live),           &no_target, Some(Changed)),
            ("a restore blocked by a live handle",          Seen::AsExpected,                    &blocked,   Some(HandleTaken)),
            ("a blocked restore, checked",                  Seen::Check(&trashed_before),        &blocked,   Some(HandleTaken)),
            ("a restored-meanwhile item is not blocked",    Seen::Check(&restored_meanwhile),    &blocked,   Some(NotInTrash)),
        ];
        for (case, seen, facts, expected) in table {
            assert_eq!(verdict(seen, facts), expected, "{case}");
        }
    }

    #[test]
    fn an_edit_at_the_very_moment_of_the_confirm_is_not_a_change() {
        let item = state(AS_OF, None);
        assert_eq!(verdict(Seen::Check(&item), &facts(false)), None);
        let trashed = state(10, Some(AS_OF));
        assert_eq!(verdict(Seen::Check(&trashed), &facts(true)), None);
    }
}
