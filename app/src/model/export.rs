//! Export requests, jobs and file names: shared by the browser (which shows
//! the default name and the progress) and the server (which never trusts
//! either).

pub use super::entity::Entity;
use super::query::Params;
use super::selection::Selection;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ExportFormat {
    Csv,
    Json,
    Xlsx,
}

impl ExportFormat {
    pub const ALL: [Self; 3] = [Self::Csv, Self::Json, Self::Xlsx];
    pub fn ext(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
            Self::Xlsx => "xlsx",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.ext() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Csv => "CSV",
            Self::Json => "JSON",
            Self::Xlsx => "Excel (XLSX)",
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Json => "application/json",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// Which items an export contains. Trashed items never are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ExportScope {
    /// The filters on screen (the list page's URL query).
    View(Params),
    /// Every live item of the guild.
    All,
    /// A selection made with the bulk-action checkboxes.
    Selected(Selection),
}

impl ExportScope {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::View(_) => "view",
            Self::All => "all",
            Self::Selected(_) => "selection",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportRequest {
    pub entity: Entity,
    pub format: ExportFormat,
    pub scope: ExportScope,
    /// What the user typed; cleaned by [`clean_filename`]. Empty means the
    /// default name.
    pub filename: String,
    /// Required for a selection: exporting selected items is a bulk action,
    /// confirmed by typing the count like the others. Views and everything
    /// are one click.
    #[serde(default)]
    pub confirm: Option<ExportConfirm>,
}

/// The count the member saw for a selection and what they typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportConfirm {
    pub count: i64,
    pub typed: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobStatus {
    /// Waiting for a worker (or for one of the guild's 3 running slots).
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
    /// Done, but the file has been removed after the retention period.
    Expired,
}

impl JobStatus {
    pub const ALL: [Self; 6] = [
        Self::Queued,
        Self::Running,
        Self::Done,
        Self::Failed,
        Self::Cancelled,
        Self::Expired,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Queued => "Queued",
            Self::Running => "Running",
            Self::Done => "Ready",
            Self::Failed => "Failed",
            Self::Cancelled => "Cancelled",
            Self::Expired => "Expired",
        }
    }
    /// Still going: the UI keeps polling.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Queued | Self::Running)
    }
}

/// One export as the history and the progress bar show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportJob {
    pub id: i64,
    pub entity: Entity,
    pub format: ExportFormat,
    pub scope: String,
    pub filename: String,
    pub status: JobStatus,
    /// Items to export; known once the job has started (instant exports:
    /// at once).
    pub total: Option<i64>,
    pub processed: i64,
    pub size_bytes: Option<i64>,
    pub error: Option<String>,
    pub requested_by: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Under the instant limit: made while the user waited.
    pub instant: bool,
    /// For a queued job: how many of the guild's jobs are ahead of it.
    pub queue_ahead: Option<i64>,
    /// Where it was asked for when not here: `"discord"` for `/exportdata`.
    #[serde(default)]
    pub via: Option<String>,
}

impl ExportJob {
    /// Who asked for it, and where when not in the web app: "kai", or
    /// "via Discord by @kai" for `/exportdata`.
    pub fn requested_by_text(&self) -> String {
        match self.via.as_deref() {
            Some("discord") => format!("via Discord by @{}", self.requested_by),
            _ => self.requested_by.clone(),
        }
    }

    /// "Exporting 450/1,200 items…", "Queued: 2 exports ahead", "Ready".
    pub fn progress_text(&self) -> String {
        use crate::format::thousands;
        match self.status {
            JobStatus::Queued => match self.queue_ahead {
                Some(n) if n > 0 => format!(
                    "Queued: waiting for {n} other export{} of this guild to finish…",
                    if n == 1 { "" } else { "s" }
                ),
                _ => "Queued: starting…".into(),
            },
            JobStatus::Running => match self.total {
                Some(total) => format!(
                    "Exporting {}/{} items…",
                    thousands(self.processed),
                    thousands(total)
                ),
                None => "Counting items…".into(),
            },
            JobStatus::Done => format!("Ready: {}", self.entity.count(self.processed)),
            JobStatus::Failed => self
                .error
                .clone()
                .unwrap_or_else(|| "The export failed.".into()),
            JobStatus::Cancelled => "Cancelled".into(),
            JobStatus::Expired => "The file has expired".into(),
        }
    }

    /// 0–100 for the progress bar.
    pub fn percent(&self) -> u32 {
        match (self.status, self.total) {
            (JobStatus::Done, _) => 100,
            (_, Some(t)) if t > 0 => ((self.processed.min(t) * 100) / t) as u32,
            _ => 0,
        }
    }

    pub fn download_url(&self, guild: &str) -> String {
        format!("/g/{guild}/exports/{}/download", self.id)
    }
}

/// What an export would hold, before it starts (the dialog's counts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportPreview {
    pub count: i64,
    /// Under the instant limit: the file downloads at once.
    pub instant: bool,
    /// The name the file gets when the name field is left empty.
    pub default_filename: String,
    /// The history's Scope column: "TikTok · Nightfall Energy".
    pub label: String,
}

/// What starting an export gives back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ExportStarted {
    /// Small enough to make at once: the file is ready to download.
    Ready(ExportJob),
    /// A background job; poll it for progress.
    Queued(ExportJob),
}

/// Longest file name we hand to browsers (bytes, extension included); file
/// systems commonly allow 255.
pub const MAX_FILENAME_BYTES: usize = 120;

/// `{guild}-{entity}[-{part}]-{day}.{ext}`: the one shape of a default
/// name. `part` says what a filtered export holds (the server's
/// `naming::describe`); everything has none.
pub fn filename_of(
    guild_slug: &str,
    entity: Entity,
    part: Option<&str>,
    day: &str,
    format: ExportFormat,
) -> String {
    let middle = part
        .filter(|p| !p.is_empty())
        .map(|p| format!("-{p}"))
        .unwrap_or_default();
    format!(
        "{guild_slug}-{}{middle}-{day}.{}",
        entity.as_str(),
        format.ext()
    )
}

/// `sonuhaempire-posts-2026-02-07.csv`: everything, on `day`.
pub fn default_filename(
    guild_slug: &str,
    entity: Entity,
    day: NaiveDate,
    format: ExportFormat,
) -> String {
    filename_of(
        guild_slug,
        entity,
        None,
        &day.format("%Y-%m-%d").to_string(),
        format,
    )
}

/// Today's date (UTC) as `YYYY-MM-DD`, in the browser or on the server.
pub fn today() -> String {
    #[cfg(feature = "hydrate")]
    {
        let iso: String = web_sys::js_sys::Date::new_0().to_iso_string().into();
        iso.chars().take(10).collect()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        Utc::now().format("%Y-%m-%d").to_string()
    }
}

/// The default name for an export started now (the placeholder the user
/// sees; the server makes its own from its clock).
pub fn default_filename_for_today(
    guild_slug: &str,
    entity: Entity,
    format: ExportFormat,
) -> String {
    filename_of(guild_slug, entity, None, &today(), format)
}

/// A safe download name from what the user typed.
///
/// Unicode's format characters (general category Cf, Unicode 15.1). They
/// are invisible, and some reorder what follows them: with U+202E RIGHT-TO-
/// LEFT OVERRIDE, `report\u{202E}fdp.csv` shows as `reportvsc.pdf`. A file
/// name needs none of them, so they go. (Zero-width joiners go too: an
/// emoji family becomes its members, which is harmless.)
pub fn is_format_character(c: char) -> bool {
    const CF: [(u32, u32); 21] = [
        (0x00AD, 0x00AD),
        (0x0600, 0x0605),
        (0x061C, 0x061C),
        (0x06DD, 0x06DD),
        (0x070F, 0x070F),
        (0x0890, 0x0891),
        (0x08E2, 0x08E2),
        (0x180E, 0x180E),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x2064),
        (0x2066, 0x206F),
        (0xFEFF, 0xFEFF),
        (0xFFF9, 0xFFFB),
        (0x110BD, 0x110BD),
        (0x110CD, 0x110CD),
        (0x13430, 0x1343F),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0001, 0xE0001),
        (0xE0020, 0xE007F),
    ];
    let c = c as u32;
    CF.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c))
}

/// Path separators, control characters and characters Windows refuses
/// (`<>:"/\|?*`) become `-`; leading dots and spaces go (no hidden files, no
/// `..`); format characters ([`is_format_character`]) are removed; the
/// extension always follows the format; non-ASCII letters stay
/// (the header carries them with RFC 8187). An empty result falls back to
/// `default`. The name is only ever sent to the browser; files are stored
/// under `{guild}/{job}` keys.
pub fn clean_filename(input: &str, default: &str, format: ExportFormat) -> String {
    let ext = format!(".{}", format.ext());
    let mut stem: String = input
        .trim()
        .chars()
        .filter(|c| !is_format_character(*c))
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '-'
            } else {
                c
            }
        })
        .collect();
    // Whatever extension the user typed is replaced by the format's.
    for known in ExportFormat::ALL {
        let e = format!(".{}", known.ext());
        if stem.to_ascii_lowercase().ends_with(&e) {
            stem.truncate(stem.len() - e.len());
            break;
        }
    }
    let stem = stem
        .trim_start_matches(['.', ' ', '-'])
        .trim_end_matches(['.', ' ']);
    let mut stem = stem.to_string();
    let max = MAX_FILENAME_BYTES - ext.len();
    if stem.len() > max {
        let mut cut = max;
        while !stem.is_char_boundary(cut) {
            cut -= 1;
        }
        stem.truncate(cut);
    }
    if stem
        .chars()
        .all(|c| c == '-' || c == '_' || c.is_whitespace())
    {
        return default.to_string();
    }
    format!("{stem}{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = "alpha-posts-2026-02-07.csv";

    fn clean(s: &str) -> String {
        clean_filename(s, DEFAULT, ExportFormat::Csv)
    }

    #[test]
    fn the_default_name_has_guild_entity_day_and_extension() {
        let day = NaiveDate::from_ymd_opt(2026, 2, 7).unwrap();
        assert_eq!(
            default_filename("sonuhaempire", Entity::Posts, day, ExportFormat::Csv),
            "sonuhaempire-posts-2026-02-07.csv"
        );
    }

    #[test]
    fn path_traversal_cannot_leave_the_name() {
        assert_eq!(clean("../../etc/passwd"), "etc-passwd.csv");
        assert_eq!(clean("..\\..\\boot.ini"), "boot.ini.csv");
        assert_eq!(clean(".hidden"), "hidden.csv");
        assert!(!clean("a/b\\c").contains(['/', '\\']));
    }

    #[test]
    fn unicode_letters_stay_and_control_characters_go() {
        assert_eq!(clean("Отчёт 報告 📈"), "Отчёт 報告 📈.csv");
        assert_eq!(clean("a\nb\u{0}c"), "a-b-c.csv");
        assert_eq!(clean("q1: \"best\" <posts>?"), "q1- -best- -posts--.csv");
    }

    #[test]
    fn invisible_and_reordering_characters_cannot_disguise_the_name() {
        // Shown as "reportvsc.pdf" if the override stayed.
        assert_eq!(clean("report\u{202E}fdp.csv"), "reportfdp.csv");
        assert_eq!(
            clean("\u{200B}a\u{2066}b\u{2069}c\u{FEFF}\u{AD}\u{E0041}"),
            "abc.csv"
        );
        assert_eq!(clean("\u{202E}\u{200F}"), DEFAULT);
        assert!(!is_format_character('a') && !is_format_character('é'));
    }

    #[test]
    fn empty_or_meaningless_names_fall_back_to_the_default() {
        assert_eq!(clean(""), DEFAULT);
        assert_eq!(clean("   "), DEFAULT);
        assert_eq!(clean("///"), DEFAULT);
        assert_eq!(clean(".csv"), DEFAULT);
    }

    #[test]
    fn the_extension_follows_the_format() {
        assert_eq!(
            clean_filename("report.csv", DEFAULT, ExportFormat::Xlsx),
            "report.xlsx"
        );
        assert_eq!(
            clean_filename("report.XLSX", DEFAULT, ExportFormat::Json),
            "report.json"
        );
        assert_eq!(
            clean_filename("report.txt", DEFAULT, ExportFormat::Csv),
            "report.txt.csv"
        );
    }

    #[test]
    fn over_long_names_are_cut_on_a_character_boundary() {
        let long = "é".repeat(200);
        let name = clean(&long);
        assert!(name.len() <= MAX_FILENAME_BYTES, "{} bytes", name.len());
        assert!(name.ends_with(".csv"));
        assert!(name.starts_with("éé"));
    }

    #[test]
    fn progress_reads_as_item_counts() {
        let job = ExportJob {
            id: 1,
            entity: Entity::Posts,
            format: ExportFormat::Xlsx,
            scope: "Everything".into(),
            filename: "x.xlsx".into(),
            status: JobStatus::Running,
            total: Some(1200),
            processed: 450,
            size_bytes: None,
            error: None,
            requested_by: "demo".into(),
            created_at: Utc::now(),
            finished_at: None,
            expires_at: None,
            instant: false,
            queue_ahead: None,
            via: None,
        };
        assert_eq!(job.progress_text(), "Exporting 450/1,200 items…");
        assert_eq!(job.percent(), 37);
        assert_eq!(job.requested_by_text(), "demo");
        let from_discord = ExportJob {
            via: Some("discord".into()),
            ..job
        };
        assert_eq!(from_discord.requested_by_text(), "via Discord by @demo");
    }
}
