//! Deleted Items: trashed accounts and posts, how long each has left, and
//! what a restore will do with it.

use super::{Entity, Platform};
use crate::format::thousands;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One trashed account or post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrashItem {
    pub id: i64,
    pub platform: Platform,
    /// The account's handle (for a post, its author's).
    pub handle: String,
    /// Accounts: the display name. Posts: the caption.
    pub text: String,
    /// The group and brand a restore puts it back in; `None` when it had
    /// none, or when it had one that no longer exists (see `*_gone`).
    pub group: Option<String>,
    pub brand: Option<String>,
    /// It was in a group (brand) that has been deleted since: a restore
    /// leaves it unassigned.
    pub group_gone: bool,
    pub brand_gone: bool,
    pub deleted_at: DateTime<Utc>,
    /// Who deleted it; `None` when that member has been removed.
    pub deleted_by: Option<String>,
    pub batch_id: Option<String>,
    /// When the automatic purge removes it for good.
    pub purge_at: DateTime<Utc>,
    /// Accounts: the posts in the trash with it (same deletion).
    pub posts: i64,
    /// Posts: the author's account when that is in the trash too; the post
    /// comes back by restoring the account.
    pub account_in_trash: Option<i64>,
}

impl TrashItem {
    /// Whole days until the purge, rounded up: "30 days left" on the day of
    /// the delete, "1 day left" on the last day.
    pub fn days_left(&self, now: DateTime<Utc>) -> i64 {
        days_until(self.purge_at, now)
    }

    pub fn days_left_text(&self, now: DateTime<Utc>) -> String {
        match self.days_left(now) {
            0 => "purged within the hour".into(),
            1 => "1 day left".into(),
            n => format!("{n} days left"),
        }
    }

    /// Within [`super::filter::EXPIRING_WITHIN_DAYS`] of its purge.
    pub fn expiring(&self, now: DateTime<Utc>) -> bool {
        self.purge_at - now <= chrono::Duration::days(super::filter::EXPIRING_WITHIN_DAYS)
    }

    /// What a restore will not bring back as it was, if anything.
    pub fn restore_note(&self) -> Option<String> {
        let gone: Vec<&str> = [(self.group_gone, "group"), (self.brand_gone, "brand")]
            .into_iter()
            .filter(|(g, _)| *g)
            .map(|(_, w)| w)
            .collect();
        (!gone.is_empty()).then(|| {
            format!(
                "Its {} no longer exists: it comes back unassigned.",
                gone.join(" and ")
            )
        })
    }
}

/// Whole days from `now` to `at`, rounded up, never below 0.
pub fn days_until(at: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let secs = (at - now).num_seconds();
    if secs <= 0 {
        0
    } else {
        (secs + 86_399) / 86_400
    }
}

/// A page of the trash, with what the banner needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrashPage {
    pub entity: Entity,
    pub items: Vec<TrashItem>,
    pub total: i64,
    /// `total` is an estimate, as in [`super::Page::estimated`].
    #[serde(default)]
    pub estimated: bool,
    pub page: u32,
    pub page_size: u32,
    /// Accounts and posts purged within the warning window (whole trash).
    pub expiring: i64,
    /// Everything in the trash, per tab.
    pub accounts_total: i64,
    pub posts_total: i64,
    pub retention_days: i64,
    /// The server's now, for days left (the browser's clock may be off).
    pub now: DateTime<Utc>,
}

impl TrashPage {
    pub fn info(&self) -> super::PageInfo {
        super::PageInfo {
            page: self.page,
            page_size: self.page_size,
            total: self.total,
            estimated: self.estimated,
            shown: self.items.len(),
        }
    }

    /// "14 items will be permanently deleted within 7 days".
    pub fn expiring_text(&self) -> Option<String> {
        (self.expiring > 0).then(|| {
            format!(
                "{} {} will be permanently deleted within {} days",
                thousands(self.expiring),
                if self.expiring == 1 { "item" } else { "items" },
                super::filter::EXPIRING_WITHIN_DAYS
            )
        })
    }
}

/// What one run of the automatic purge removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurgeReport {
    /// Another server was purging; this run did nothing.
    pub skipped: bool,
    pub accounts: i64,
    /// Posts purged, their own and those of purged accounts.
    pub posts: i64,
    pub guilds: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn days_left_round_up_and_stop_at_zero() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        assert_eq!(days_until(now + Duration::days(30), now), 30);
        assert_eq!(days_until(now + Duration::hours(1), now), 1);
        assert_eq!(
            days_until(now + Duration::days(6) + Duration::hours(2), now),
            7
        );
        assert_eq!(days_until(now, now), 0);
        assert_eq!(days_until(now - Duration::days(2), now), 0);
    }
}
