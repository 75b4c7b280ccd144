//! List filters, parsed from and written back to the URL.
//!
//! The same parser runs in the browser (to build the request and the links)
//! and on the server (which never trusts the browser), so a bad URL gets the
//! same clear sentence everywhere.

use super::query::{to_query_string, Params};
use super::{AccountStatus, Entity, Platform, MAX_PAGE};
use crate::error::AppError;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

pub const PAGE_SIZES: [u32; 3] = [25, 50, 100];
const DEFAULT_PAGE_SIZE: u32 = 25;
/// Search text longer than this is refused rather than silently cut.
pub const MAX_SEARCH_LEN: usize = 200;

/// A brand or group filter: a specific one, or "not assigned to any".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Assigned {
    To(i64),
    Unassigned,
}

impl Assigned {
    pub fn to_param(self) -> String {
        match self {
            Self::To(id) => id.to_string(),
            Self::Unassigned => "none".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum PostSort {
    #[default]
    Newest,
    Oldest,
    MostViewed,
    MostLiked,
}

impl PostSort {
    pub const ALL: [PostSort; 4] = [
        Self::Newest,
        Self::Oldest,
        Self::MostViewed,
        Self::MostLiked,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Newest => "newest",
            Self::Oldest => "oldest",
            Self::MostViewed => "views",
            Self::MostLiked => "likes",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Newest => "Newest first",
            Self::Oldest => "Oldest first",
            Self::MostViewed => "Most viewed",
            Self::MostLiked => "Most liked",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum AccountSort {
    #[default]
    Handle,
    MostFollowers,
    Newest,
}

impl AccountSort {
    pub const ALL: [AccountSort; 3] = [Self::Handle, Self::MostFollowers, Self::Newest];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Handle => "handle",
            Self::MostFollowers => "followers",
            Self::Newest => "newest",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Handle => "Handle A–Z",
            Self::MostFollowers => "Most followers",
            Self::Newest => "Recently added",
        }
    }
}

/// Filters of the Accounts page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountFilter {
    pub q: String,
    pub platform: Option<Platform>,
    pub brand: Option<Assigned>,
    pub group: Option<Assigned>,
    pub status: Option<AccountStatus>,
    pub sort: AccountSort,
    pub page: u32,
    pub page_size: u32,
}

/// Filters of the Posts page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostFilter {
    pub q: String,
    pub platform: Option<Platform>,
    pub brand: Option<Assigned>,
    pub group: Option<Assigned>,
    pub account: Option<i64>,
    /// Posted on or after this day (UTC).
    pub from: Option<NaiveDate>,
    /// Posted on or before this day (UTC), inclusive.
    pub to: Option<NaiveDate>,
    pub min_views: Option<i64>,
    pub sort: PostSort,
    pub page: u32,
    pub page_size: u32,
}

/// The unfiltered view: page 1 at the default page size.
impl Default for AccountFilter {
    fn default() -> Self {
        Self {
            q: String::new(),
            platform: None,
            brand: None,
            group: None,
            status: None,
            sort: AccountSort::default(),
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

/// The unfiltered view: page 1 at the default page size.
impl Default for PostFilter {
    fn default() -> Self {
        Self {
            q: String::new(),
            platform: None,
            brand: None,
            group: None,
            account: None,
            from: None,
            to: None,
            min_views: None,
            sort: PostSort::default(),
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

/// Reads one optional parameter, treating an empty value as absent (an empty
/// `<select>` submits `platform=`).
fn param<'a>(p: &'a Params, key: &str) -> Option<&'a str> {
    p.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn parse_search(p: &Params) -> Result<String, AppError> {
    let q = param(p, "q").unwrap_or_default();
    if q.chars().count() > MAX_SEARCH_LEN {
        return Err(AppError::invalid(format!(
            "Search text is too long: keep it under {MAX_SEARCH_LEN} characters."
        )));
    }
    Ok(q.to_string())
}

fn parse_platform(p: &Params) -> Result<Option<Platform>, AppError> {
    param(p, "platform")
        .map(|v| {
            Platform::parse(v).ok_or_else(|| {
                AppError::invalid(format!(
                    "Unknown platform “{v}”. Choose one of: tiktok, instagram, youtube, x."
                ))
            })
        })
        .transpose()
}

fn parse_id(p: &Params, key: &str, what: &str) -> Result<Option<i64>, AppError> {
    param(p, key)
        .map(|v| {
            v.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| AppError::invalid(format!("“{v}” is not a valid {what} id.")))
        })
        .transpose()
}

fn parse_assigned(p: &Params, key: &str, what: &str) -> Result<Option<Assigned>, AppError> {
    if param(p, key) == Some("none") {
        return Ok(Some(Assigned::Unassigned));
    }
    Ok(parse_id(p, key, what)?.map(Assigned::To))
}

fn parse_page(p: &Params) -> Result<(u32, u32), AppError> {
    let page = match param(p, "page") {
        None => 1,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| {
                AppError::invalid(format!(
                    "Page “{v}” does not exist: pages are numbered from 1 to {MAX_PAGE}."
                ))
            })?,
    };
    let page_size = match param(p, "per_page") {
        None => DEFAULT_PAGE_SIZE,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| PAGE_SIZES.contains(n))
            .ok_or_else(|| AppError::invalid("Items per page must be 25, 50 or 100."))?,
    };
    Ok((page, page_size))
}

/// The `sort` parameter: one of `all` by its URL name, or the default.
fn parse_sort<T: Copy + Default>(
    p: &Params,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, AppError> {
    match param(p, "sort") {
        None => Ok(T::default()),
        Some(v) => all.iter().copied().find(|s| name(*s) == v).ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|s| name(*s)).collect();
            AppError::invalid(format!(
                "Unknown sort order “{v}”. Choose one of: {}.",
                names.join(", ")
            ))
        }),
    }
}

/// The years a date filter may name. chrono's `%Y` takes any signed year
/// (`-5000-01-01`), which PostgreSQL's timestamps cannot hold; and nothing
/// Guildtrack tracks is older than 1970.
const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

/// Every date of every filter is read here, so a date out of range is one
/// sentence and a 400 everywhere.
fn parse_date(p: &Params, key: &str, what: &str) -> Result<Option<NaiveDate>, AppError> {
    param(p, key)
        .map(|v| {
            let date = NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                AppError::invalid(format!(
                    "The {what} date “{v}” is not a date like 2026-02-07."
                ))
            })?;
            if !YEARS.contains(&date.year()) {
                return Err(AppError::invalid(format!(
                    "The {what} date “{v}” is out of range: pick a year from {} to {}.",
                    YEARS.start(),
                    YEARS.end()
                )));
            }
            Ok(date)
        })
        .transpose()
}

/// `from` and `to`, each optional, in order.
fn parse_date_range(p: &Params) -> Result<(Option<NaiveDate>, Option<NaiveDate>), AppError> {
    let from = parse_date(p, "from", "“from”")?;
    let to = parse_date(p, "to", "“to”")?;
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(AppError::invalid(
                "The “from” date is after the “to” date: swap them or widen the range.",
            ));
        }
    }
    Ok((from, to))
}

fn pair_if<T>(
    key: &'static str,
    v: Option<T>,
    f: impl Fn(T) -> String,
) -> Option<(&'static str, String)> {
    v.map(|v| (key, f(v)))
}

impl AccountFilter {
    pub fn from_params(p: &Params) -> Result<Self, AppError> {
        let (page, page_size) = parse_page(p)?;
        let sort = parse_sort(p, &AccountSort::ALL, AccountSort::as_str)?;
        let status = param(p, "status")
            .map(|v| {
                AccountStatus::parse(v).ok_or_else(|| {
                    AppError::invalid(format!("Unknown status “{v}”. Choose active or paused."))
                })
            })
            .transpose()?;
        Ok(Self {
            q: parse_search(p)?,
            platform: parse_platform(p)?,
            brand: parse_assigned(p, "brand", "brand")?,
            group: parse_assigned(p, "group", "group")?,
            status,
            sort,
            page,
            page_size,
        })
    }

    /// The URL query for this filter, without defaults, on page `page`.
    pub fn to_query(&self, page: u32) -> String {
        let pairs = [
            Some(("q", self.q.clone())).filter(|(_, q)| !q.is_empty()),
            pair_if("platform", self.platform, |v| v.as_str().into()),
            pair_if("brand", self.brand, Assigned::to_param),
            pair_if("group", self.group, Assigned::to_param),
            pair_if("status", self.status, |v| v.as_str().into()),
            Some(("sort", self.sort.as_str().into()))
                .filter(|_| self.sort != AccountSort::default()),
            Some(("per_page", self.page_size.to_string()))
                .filter(|_| self.page_size != DEFAULT_PAGE_SIZE),
            Some(("page", page.to_string())).filter(|_| page > 1),
        ];
        to_query_string(pairs.into_iter().flatten())
    }

    /// True when any filter narrows the list (drives the "clear filters" link
    /// and the empty-state wording).
    pub fn is_filtered(&self) -> bool {
        self.active_count() > 0
    }

    /// How many filters are set ("Filters (3)" on small screens).
    pub fn active_count(&self) -> usize {
        [
            !self.q.is_empty(),
            self.platform.is_some(),
            self.brand.is_some(),
            self.group.is_some(),
            self.status.is_some(),
        ]
        .into_iter()
        .filter(|set| *set)
        .count()
    }
}

impl PostFilter {
    pub fn from_params(p: &Params) -> Result<Self, AppError> {
        let (page, page_size) = parse_page(p)?;
        let sort = parse_sort(p, &PostSort::ALL, PostSort::as_str)?;
        let (from, to) = parse_date_range(p)?;
        let min_views = param(p, "min_views")
            .map(|v| {
                v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                    AppError::invalid(format!(
                        "Minimum views must be a whole number of 0 or more, not “{v}”."
                    ))
                })
            })
            .transpose()?;
        Ok(Self {
            q: parse_search(p)?,
            platform: parse_platform(p)?,
            brand: parse_assigned(p, "brand", "brand")?,
            group: parse_assigned(p, "group", "group")?,
            account: parse_id(p, "account", "account")?,
            from,
            to,
            min_views,
            sort,
            page,
            page_size,
        })
    }

    pub fn to_query(&self, page: u32) -> String {
        let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        let pairs = [
            Some(("q", self.q.clone())).filter(|(_, q)| !q.is_empty()),
            pair_if("platform", self.platform, |v| v.as_str().into()),
            pair_if("brand", self.brand, Assigned::to_param),
            pair_if("group", self.group, Assigned::to_param),
            pair_if("account", self.account, |v| v.to_string()),
            pair_if("from", self.from, day),
            pair_if("to", self.to, day),
            pair_if("min_views", self.min_views, |v| v.to_string()),
            Some(("sort", self.sort.as_str().into())).filter(|_| self.sort != PostSort::default()),
            Some(("per_page", self.page_size.to_string()))
                .filter(|_| self.page_size != DEFAULT_PAGE_SIZE),
            Some(("page", page.to_string())).filter(|_| page > 1),
        ];
        to_query_string(pairs.into_iter().flatten())
    }

    pub fn is_filtered(&self) -> bool {
        self.active_count() > 0
    }

    /// How many filters are set ("Filters (3)" on small screens).
    pub fn active_count(&self) -> usize {
        [
            !self.q.is_empty(),
            self.platform.is_some(),
            self.brand.is_some(),
            self.group.is_some(),
            self.account.is_some(),
            self.from.is_some(),
            self.to.is_some(),
            self.min_views.is_some(),
        ]
        .into_iter()
        .filter(|set| *set)
        .count()
    }
}

/// Filters of the Audit log page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// One of [`super::audit::AUDIT_ACTIONS`].
    pub action: Option<String>,
    /// A member's username.
    pub actor: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub page: u32,
}

/// Entries per page of the audit log.
pub const AUDIT_PAGE_SIZE: u32 = 50;

impl AuditFilter {
    pub fn from_params(p: &Params) -> Result<Self, AppError> {
        let (page, _) = parse_page(p)?;
        let action = param(p, "action")
            .map(|v| {
                super::audit::AUDIT_ACTIONS
                    .iter()
                    .find(|(name, _)| *name == v)
                    .map(|(name, _)| name.to_string())
                    .ok_or_else(|| {
                        let names: Vec<&str> = super::audit::AUDIT_ACTIONS
                            .iter()
                            .map(|(n, _)| *n)
                            .collect();
                        AppError::invalid(format!(
                            "Unknown action “{v}”. Choose one of: {}.",
                            names.join(", ")
                        ))
                    })
            })
            .transpose()?;
        let actor = param(p, "actor").map(|v| v.to_lowercase());
        let (from, to) = parse_date_range(p)?;
        Ok(Self {
            action,
            actor,
            from,
            to,
            page,
        })
    }

    pub fn to_query(&self, page: u32) -> String {
        let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        let pairs = [
            pair_if("action", self.action.clone(), |v| v),
            pair_if("actor", self.actor.clone(), |v| v),
            pair_if("from", self.from, day),
            pair_if("to", self.to, day),
            Some(("page", page.to_string())).filter(|_| page > 1),
        ];
        to_query_string(pairs.into_iter().flatten())
    }

    pub fn is_filtered(&self) -> bool {
        self.active_count() > 0
    }

    /// How many filters are set ("Filters (3)" on small screens).
    pub fn active_count(&self) -> usize {
        [
            self.action.is_some(),
            self.actor.is_some(),
            self.from.is_some(),
            self.to.is_some(),
        ]
        .into_iter()
        .filter(|set| *set)
        .count()
    }
}

/// The Deleted Items view: one tab per kind, then search and filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrashFilter {
    /// `show`: which tab (accounts or posts; posts by default).
    pub show: Entity,
    /// Handle, display name or caption.
    pub q: String,
    pub platform: Option<Platform>,
    /// `batch`: the items of one deletion.
    pub batch: Option<String>,
    /// `expiring=1`: only items purged within [`EXPIRING_WITHIN_DAYS`].
    pub expiring: bool,
    pub page: u32,
    pub page_size: u32,
}

/// Items this close to their purge are highlighted and counted in a banner.
pub const EXPIRING_WITHIN_DAYS: i64 = 7;

/// Longest deletion batch id accepted in a URL (they look like `delete-12`).
const MAX_BATCH_LEN: usize = 64;

impl TrashFilter {
    pub fn from_params(p: &Params) -> Result<Self, AppError> {
        let (page, page_size) = parse_page(p)?;
        let show = match param(p, "show") {
            None => Entity::Posts,
            Some(v) => Entity::parse(v).ok_or_else(|| {
                AppError::invalid(format!("Unknown tab “{v}”. Choose accounts or posts."))
            })?,
        };
        let batch = param(p, "batch")
            .map(|v| {
                if v.len() <= MAX_BATCH_LEN {
                    Ok(v.to_string())
                } else {
                    Err(AppError::invalid("That deletion batch id is too long."))
                }
            })
            .transpose()?;
        Ok(Self {
            show,
            q: parse_search(p)?,
            platform: parse_platform(p)?,
            batch,
            expiring: matches!(param(p, "expiring"), Some("1" | "true" | "on")),
            page,
            page_size,
        })
    }

    pub fn to_query(&self, page: u32) -> String {
        let pairs = [
            Some(("show", self.show.as_str().to_string())),
            Some(("q", self.q.clone())).filter(|(_, q)| !q.is_empty()),
            pair_if("platform", self.platform, |p| p.as_str().to_string()),
            pair_if("batch", self.batch.clone(), |b| b),
            Some(("expiring", "1".to_string())).filter(|_| self.expiring),
            Some(("per_page", self.page_size.to_string()))
                .filter(|_| self.page_size != DEFAULT_PAGE_SIZE),
            Some(("page", page.to_string())).filter(|_| page > 1),
        ];
        to_query_string(pairs.into_iter().flatten())
    }

    pub fn is_filtered(&self) -> bool {
        self.active_count() > 0
    }

    /// How many filters are set ("Filters (3)" on small screens).
    pub fn active_count(&self) -> usize {
        [
            !self.q.is_empty(),
            self.platform.is_some(),
            self.batch.is_some(),
            self.expiring,
        ]
        .into_iter()
        .filter(|set| *set)
        .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn an_empty_url_means_the_default_view() {
        let f = PostFilter::from_params(&Params::new()).unwrap();
        assert_eq!(f.page, 1);
        assert_eq!(f.page_size, 25);
        assert_eq!(f.sort, PostSort::Newest);
        assert!(!f.is_filtered());
        assert_eq!(f.to_query(1), "");
        assert_eq!(f, PostFilter::default());
    }

    #[test]
    fn a_filter_survives_the_round_trip_through_the_url() {
        let p = params(&[
            ("q", "héllo, \"world\""),
            ("platform", "tiktok"),
            ("brand", "3"),
            ("group", "none"),
            ("account", "42"),
            ("from", "2026-01-01"),
            ("to", "2026-02-07"),
            ("min_views", "1000"),
            ("sort", "views"),
            ("per_page", "50"),
            ("page", "3"),
        ]);
        let f = PostFilter::from_params(&p).unwrap();
        assert_eq!(f.brand, Some(Assigned::To(3)));
        assert_eq!(f.group, Some(Assigned::Unassigned));
        let q = f.to_query(f.page);
        assert!(
            q.starts_with("?q=h%C3%A9llo%2C%20%22world%22&platform=tiktok"),
            "{q}"
        );
        assert!(q.ends_with("&sort=views&per_page=50&page=3"), "{q}");
    }

    #[test]
    fn empty_values_from_empty_selects_are_ignored() {
        let f = AccountFilter::from_params(&params(&[("platform", ""), ("brand", " ")])).unwrap();
        assert_eq!(f, AccountFilter::from_params(&Params::new()).unwrap());
    }

    #[test]
    fn bad_values_get_a_sentence_that_says_what_to_do() {
        let cases = [
            (("platform", "myspace"), "Unknown platform “myspace”"),
            (
                ("page", "1000000000"),
                "pages are numbered from 1 to 100000",
            ),
            (("page", "0"), "pages are numbered from 1"),
            (("page", "-1"), "pages are numbered from 1"),
            (("per_page", "1000"), "25, 50 or 100"),
            (("account", "abc"), "not a valid account id"),
            (("brand", "1e3"), "not a valid brand id"),
            (("from", "07/02/2026"), "not a date like 2026-02-07"),
            (("min_views", "-5"), "0 or more"),
            (("sort", "random"), "Unknown sort order"),
        ];
        for ((k, v), expected) in cases {
            let err = PostFilter::from_params(&params(&[(k, v)])).unwrap_err();
            assert!(
                matches!(&err, AppError::Invalid(msg) if msg.contains(expected)),
                "{k}={v}: {err:?}"
            );
        }
    }

    #[test]
    fn over_long_search_text_is_refused() {
        let long = "a".repeat(MAX_SEARCH_LEN + 1);
        let err = AccountFilter::from_params(&params(&[("q", &long)])).unwrap_err();
        assert!(matches!(err, AppError::Invalid(m) if m.contains("too long")));
        let ok = "é".repeat(MAX_SEARCH_LEN);
        assert!(AccountFilter::from_params(&params(&[("q", &ok)])).is_ok());
    }

    #[test]
    fn a_reversed_date_range_is_refused() {
        let err = PostFilter::from_params(&params(&[("from", "2026-02-08"), ("to", "2026-02-07")]))
            .unwrap_err();
        assert!(matches!(err, AppError::Invalid(m) if m.contains("after")));
    }

    #[test]
    fn dates_outside_1970_to_9999_are_refused_with_a_sentence_everywhere() {
        for (k, v) in [
            ("from", "-5000-01-01"),
            ("to", "1969-12-31"),
            ("from", "+10000-01-01"),
        ] {
            let p = params(&[(k, v)]);
            let errors = [
                PostFilter::from_params(&p).unwrap_err(),
                AuditFilter::from_params(&p).unwrap_err(),
            ];
            for err in errors {
                assert!(
                    matches!(&err, AppError::Invalid(m) if m.contains("out of range") || m.contains("not a date")),
                    "{k}={v}: {err:?}"
                );
            }
        }
        let p = params(&[("from", "1970-01-01"), ("to", "9999-12-31")]);
        assert!(PostFilter::from_params(&p).is_ok());
    }
}
