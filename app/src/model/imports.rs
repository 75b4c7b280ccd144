//! Imports of Guildtrack's own exports, as the Exports page shows them.

use super::Entity;
use crate::format::thousands;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where an import is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportStatus {
    /// The dry run is reading the file; nothing is written.
    Checking,
    /// The dry run is done: waiting for an admin to confirm.
    Ready,
    Running,
    Done,
    /// The file was refused, or the import stopped on an error.
    Failed,
    Cancelled,
    /// Its server stopped mid-way; what was written stays.
    Interrupted,
}

impl ImportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Checking => "checking",
            Self::Ready => "ready",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "checking" => Self::Checking,
            "ready" => Self::Ready,
            "running" => Self::Running,
            "done" => Self::Done,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            "interrupted" => Self::Interrupted,
            _ => return None,
        })
    }

    /// Still moving: the page keeps watching it.
    pub fn is_busy(self) -> bool {
        matches!(self, Self::Checking | Self::Running)
    }
}

/// What the items of a file did, or would do.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCounts {
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    /// The first rejected items, each with its line (CSV) or item number
    /// (JSON) and reason.
    pub rejections: Vec<String>,
    /// Items that matched ones in Deleted Items: updated there, still
    /// deleted.
    pub kept_in_trash: i64,
    /// Groups and brands the file names that the guild lacks.
    pub groups: Vec<String>,
    pub brands: Vec<String>,
}

/// How many rejected items a summary names.
pub const REJECTIONS_SHOWN: usize = 20;

impl ImportCounts {
    pub fn items(&self) -> i64 {
        self.created + self.updated + self.unchanged + self.rejected
    }

    /// Adds a batch's counts; the names are kept once each, in order.
    pub fn add(&mut self, other: &ImportCounts) {
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.rejected += other.rejected;
        self.kept_in_trash += other.kept_in_trash;
        for r in &other.rejections {
            if self.rejections.len() < REJECTIONS_SHOWN {
                self.rejections.push(r.clone());
            }
        }
        for (mine, theirs) in [
            (&mut self.groups, &other.groups),
            (&mut self.brands, &other.brands),
        ] {
            for name in theirs {
                if !mine.contains(name) {
                    mine.push(name.clone());
                }
            }
        }
    }

    /// "300 accounts: 12 new, 288 update existing, 0 rejected".
    pub fn sentence(&self, entity: Entity) -> String {
        let mut s = format!(
            "{}: {} new, {} update existing",
            entity.count(self.items()),
            thousands(self.created),
            thousands(self.updated)
        );
        if self.unchanged > 0 {
            s.push_str(&format!(", {} unchanged", thousands(self.unchanged)));
        }
        s.push_str(&format!(", {} rejected", thousands(self.rejected)));
        if self.kept_in_trash > 0 {
            s.push_str(&format!(
                "; {} in Deleted Items stay deleted",
                thousands(self.kept_in_trash)
            ));
        }
        s
    }
}

/// One import as the Exports page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportJob {
    pub id: i64,
    pub file_name: String,
    pub size_bytes: i64,
    /// Known once the file's head was read.
    pub entity: Option<Entity>,
    pub status: ImportStatus,
    pub processed: i64,
    /// Items in the file, once the dry run has counted them.
    pub total: Option<i64>,
    pub dry_run: Option<ImportCounts>,
    /// What the import did, as far as it got.
    pub outcome: Option<ImportCounts>,
    pub error: Option<String>,
    pub requested_by: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl ImportJob {
    fn noun(&self) -> &'static str {
        match self.entity {
            Some(Entity::Accounts) => "accounts",
            Some(Entity::Posts) => "posts",
            None => "items",
        }
    }

    /// "Checking 4,000 items…", "Importing 4,500/30,000 posts…", "Done".
    pub fn progress_text(&self) -> String {
        let noun = self.noun();
        match self.status {
            ImportStatus::Checking => {
                format!(
                    "Checking the file: {} {noun} read…",
                    thousands(self.processed)
                )
            }
            ImportStatus::Ready => "Checked: waiting for confirmation".into(),
            ImportStatus::Running => match self.total {
                Some(total) => format!(
                    "Importing {}/{} {noun}…",
                    thousands(self.processed),
                    thousands(total)
                ),
                None => format!("Importing {} {noun}…", thousands(self.processed)),
            },
            ImportStatus::Done => "Imported".into(),
            ImportStatus::Failed => "Failed".into(),
            ImportStatus::Cancelled => "Cancelled".into(),
            ImportStatus::Interrupted => "Interrupted".into(),
        }
    }

    /// Percent done, for the progress bar.
    pub fn percent(&self) -> Option<u32> {
        let total = self.total.filter(|t| *t > 0)?;
        Some(((self.processed.min(total) * 100) / total) as u32)
    }

    /// The sentence for the history and the toast once it has ended.
    pub fn result_text(&self) -> String {
        let entity = self.entity.unwrap_or(Entity::Posts);
        match (self.status, &self.outcome) {
            (ImportStatus::Done, Some(o)) => format!("Imported {}.", o.sentence(entity)),
            (ImportStatus::Cancelled | ImportStatus::Interrupted, Some(o)) => format!(
                "Stopped after {} of {}: {}. What was written stays.",
                thousands(o.items()),
                entity.count(self.total.unwrap_or(o.items())),
                o.sentence(entity)
            ),
            (ImportStatus::Cancelled, None) => match &self.error {
                Some(why) => why.clone(),
                None => "Cancelled before anything was written.".into(),
            },
            (ImportStatus::Interrupted, None) => {
                "The server stopped before anything was written.".into()
            }
            (ImportStatus::Failed, _) => self
                .error
                .clone()
                .unwrap_or_else(|| "The import failed.".into()),
            (_, _) => self.progress_text(),
        }
    }
}
