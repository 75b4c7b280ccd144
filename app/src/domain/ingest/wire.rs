//! The ingest API's bodies, and the checks that turn a batch's items into
//! [`AccountInput`]s and [`PostInput`]s.
//!
//! A batch is checked whole before anything is written: when any item is
//! malformed, the request is refused (400) with every bad item named
//! ("posts[17].views: must be a whole number ≥ 0") and nothing changes, so
//! a tracker never has to work out which half of a batch went in. Items
//! that are well formed but cannot be applied (an account that is not
//! there) are rejected one by one in a 200, beside the rest.

use super::{AccountInput, AccountKey, PostInput};
use crate::model::{AccountStatus, Platform};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// The most items a batch may hold.
pub const MAX_BATCH: usize = 1000;
pub const MAX_ID_CHARS: usize = 100;
pub const MAX_HANDLE_CHARS: usize = 100;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_URL_CHARS: usize = 2048;
pub const MAX_CAPTION_CHARS: usize = 10_000;
/// How far ahead of the server's clock a post's `posted_at` may be: clocks
/// and time zones go wrong by hours, not by days.
pub const MAX_AHEAD: Duration = Duration::days(1);

/// A whole number ≥ 0: a count of followers, views, likes, comments or
/// shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Count(pub i64);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        v.as_i64()
            .filter(|n| *n >= 0)
            .map(Count)
            .ok_or_else(|| serde::de::Error::custom("must be a whole number ≥ 0"))
    }
}

/// `Some(None)` for an explicit `null`, `None` when the field is absent:
/// "unassign" and "leave as it is" are different requests.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// `PUT /api/v1/guilds/{guild}/accounts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountsBatch {
    /// Up to 1,000 accounts.
    #[schema(value_type = Vec<AccountItem>)]
    pub accounts: Vec<serde_json::Value>,
    /// Create the groups and brands the items name when the guild has none
    /// by that name. Without it, such an item is rejected.
    #[serde(default)]
    pub create_missing: bool,
}

/// An account, matched by `external_id` when the guild has one with it,
/// otherwise by platform and handle. Fields left out are left as they are
/// (or take their default on a new account).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountItem {
    /// tiktok, instagram, youtube or x.
    #[schema(example = "tiktok")]
    pub platform: String,
    /// The handle, without spaces; a leading "@" is dropped.
    #[schema(example = "luna.dance")]
    pub handle: String,
    /// The tracker's own id of the account, which survives a change of
    /// handle.
    #[serde(default)]
    #[schema(example = "6712345678901234567")]
    pub external_id: Option<String>,
    /// Defaults to the handle.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Defaults to the platform's profile address for the handle.
    #[serde(default)]
    pub profile_url: Option<String>,
    /// active (the default) or paused.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 0)]
    pub followers: Option<Count>,
    /// A group by name; `null` takes the account out of its group.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub group: Option<Option<String>>,
    /// A brand by name; `null` takes the account off its brand.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub brand: Option<Option<String>>,
}

/// `PUT /api/v1/guilds/{guild}/posts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostsBatch {
    /// Up to 1,000 posts.
    #[schema(value_type = Vec<PostItem>)]
    pub posts: Vec<serde_json::Value>,
}

/// A post, matched by platform and `external_id`. Its account must be in
/// the guild already (send accounts first); name it by `account` (handle)
/// or `account_external_id`. Counts left out are left as they are (0 on a
/// new post).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostItem {
    /// tiktok, instagram, youtube or x: the account's platform.
    #[schema(example = "tiktok")]
    pub platform: String,
    /// The platform's id of the post.
    #[schema(example = "7301234567890123456")]
    pub external_id: String,
    /// The account's handle.
    #[serde(default)]
    #[schema(example = "luna.dance")]
    pub account: Option<String>,
    /// Or the account's external id.
    #[serde(default)]
    pub account_external_id: Option<String>,
    #[schema(example = "https://www.tiktok.com/@luna.dance/video/7301234567890123456")]
    pub url: String,
    /// Left as it is when left out ("" on a new post).
    #[serde(default)]
    pub caption: Option<String>,
    /// RFC 3339, at most a day ahead of the server's clock.
    #[schema(example = "2026-12-01T18:30:00Z")]
    pub posted_at: String,
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 0)]
    pub views: Option<Count>,
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 0)]
    pub likes: Option<Count>,
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 0)]
    pub comments: Option<Count>,
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 0)]
    pub shares: Option<Count>,
}

/// An item that was not applied, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Rejection {
    /// Its place in the batch, from 0.
    pub index: usize,
    #[schema(example = "posts[17].views: must be a whole number ≥ 0")]
    pub reason: String,
}

/// An item that matched one in Deleted Items: it was updated there and is
/// still in the trash. Tracking never undoes a member's delete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct KeptInTrash {
    pub index: usize,
    pub id: i64,
}

/// What a batch did. `created + updated + unchanged + rejected` is the
/// number of items sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UpsertReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    pub rejections: Vec<Rejection>,
    pub kept_in_trash: Vec<KeptInTrash>,
}

/// Every error answer of `/api/v1`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ApiError {
    /// What went wrong and how to fix it, in a sentence.
    pub error: String,
    /// On a 400 for a batch: each malformed item.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejections: Vec<Rejection>,
}

/// Checks one batch's worth of raw items: every malformed item is named.
fn each<T, I>(
    what: &str,
    raw: Vec<serde_json::Value>,
    mut check: impl FnMut(usize, T) -> Result<I, Rejection>,
) -> Result<Vec<I>, Vec<Rejection>>
where
    T: for<'de> Deserialize<'de>,
{
    let mut good = Vec::with_capacity(raw.len());
    let mut bad = Vec::new();
    for (index, value) in raw.into_iter().enumerate() {
        let item = serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
            let path = e.path().to_string();
            let at = if path == "." || path.is_empty() {
                String::new()
            } else {
                format!(".{path}")
            };
            Rejection {
                index,
                reason: format!("{what}[{index}]{at}: {}", e.inner()),
            }
        });
        match item.and_then(|t| check(index, t)) {
            Ok(i) => good.push(i),
            Err(r) => bad.push(r),
        }
    }
    if bad.is_empty() {
        Ok(good)
    } else {
        Err(bad)
    }
}

/// A field's check failed: `posts[3].url: must start with https://`.
fn field(what: &str, index: usize, name: &str, why: impl std::fmt::Display) -> Rejection {
    Rejection {
        index,
        reason: format!("{what}[{index}].{name}: {why}"),
    }
}

fn platform(what: &str, index: usize, s: &str) -> Result<Platform, Rejection> {
    Platform::parse(s).ok_or_else(|| {
        field(
            what,
            index,
            "platform",
            "must be one of tiktok, instagram, youtube or x",
        )
    })
}

/// An id or handle: 1 to `max` characters, none of them spaces.
fn token(what: &str, index: usize, name: &str, s: &str, max: usize) -> Result<String, Rejection> {
    if s.is_empty() {
        return Err(field(what, index, name, "must not be empty"));
    }
    if s.chars().count() > max {
        return Err(field(
            what,
            index,
            name,
            format!("is longer than {max} characters"),
        ));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(field(what, index, name, "must not contain spaces"));
    }
    Ok(s.to_string())
}

fn handle(what: &str, index: usize, name: &str, s: &str) -> Result<String, Rejection> {
    token(
        what,
        index,
        name,
        s.strip_prefix('@').unwrap_or(s),
        MAX_HANDLE_CHARS,
    )
}

fn text(what: &str, index: usize, name: &str, s: &str, max: usize) -> Result<String, Rejection> {
    if s.chars().count() > max {
        return Err(field(
            what,
            index,
            name,
            format!("is longer than {max} characters"),
        ));
    }
    Ok(s.to_string())
}

fn name(what: &str, index: usize, field_name: &str, s: &str) -> Result<String, Rejection> {
    let s = s.trim();
    if s.is_empty() {
        return Err(field(
            what,
            index,
            field_name,
            "must not be empty (send null to unassign)",
        ));
    }
    text(what, index, field_name, s, MAX_NAME_CHARS)
}

fn url(what: &str, index: usize, name: &str, s: &str) -> Result<String, Rejection> {
    if !(s.starts_with("https://") || s.starts_with("http://")) {
        return Err(field(
            what,
            index,
            name,
            "must start with https:// or http://",
        ));
    }
    token(what, index, name, s, MAX_URL_CHARS)
}

/// The first index of each key: a key sent twice in a batch is refused,
/// since the two could say different things and one would silently win.
struct Seen<K>(HashMap<K, usize>);

impl<K: std::hash::Hash + Eq> Seen<K> {
    fn new() -> Self {
        Self(HashMap::new())
    }

    /// `None` the first time `key` is seen; after that, where it was first.
    fn before(&mut self, key: K, index: usize) -> Option<usize> {
        match self.0.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(index);
                None
            }
        }
    }
}

fn twice(what: &str, index: usize, first: usize) -> Rejection {
    Rejection {
        index,
        reason: format!(
            "{what}[{index}]: the same {} as {what}[{first}]; send each once per batch",
            what.trim_end_matches('s')
        ),
    }
}

/// The accounts of a batch, checked.
pub fn accounts(raw: Vec<serde_json::Value>) -> Result<Vec<AccountInput>, Vec<Rejection>> {
    const W: &str = "accounts";
    let mut by_handle = Seen::new();
    let mut by_external = Seen::new();
    each(W, raw, |i, a: AccountItem| {
        let platform = platform(W, i, &a.platform)?;
        let handle = handle(W, i, "handle", &a.handle)?;
        let external_id = a
            .external_id
            .as_deref()
            .map(|e| token(W, i, "external_id", e, MAX_ID_CHARS))
            .transpose()?;
        let display_name = a
            .display_name
            .as_deref()
            .map(|n| name(W, i, "display_name", n))
            .transpose()?;
        let profile_url = a
            .profile_url
            .as_deref()
            .map(|u| url(W, i, "profile_url", u))
            .transpose()?;
        let status = a
            .status
            .as_deref()
            .map(|s| {
                AccountStatus::parse(s)
                    .ok_or_else(|| field(W, i, "status", "must be active or paused"))
            })
            .transpose()?;
        let group = a
            .group
            .map(|g| g.map(|g| name(W, i, "group", &g)).transpose())
            .transpose()?;
        let brand = a
            .brand
            .map(|b| b.map(|b| name(W, i, "brand", &b)).transpose())
            .transpose()?;
        if let Some(first) = by_handle.before((platform, handle.clone()), i) {
            return Err(twice(W, i, first));
        }
        if let Some(e) = &external_id {
            if let Some(first) = by_external.before((platform, e.clone()), i) {
                return Err(twice(W, i, first));
            }
        }
        Ok(AccountInput {
            platform,
            handle,
            external_id,
            display_name,
            profile_url,
            status,
            followers: a.followers.map(|c| c.0),
            group,
            brand,
            created_at: None,
            updated_at: None,
        })
    })
}

/// The posts of a batch, checked against the clock `now`.
pub fn posts(
    raw: Vec<serde_json::Value>,
    now: DateTime<Utc>,
) -> Result<Vec<PostInput>, Vec<Rejection>> {
    const W: &str = "posts";
    let mut seen = Seen::new();
    each(W, raw, |i, p: PostItem| {
        let platform = platform(W, i, &p.platform)?;
        let external_id = token(W, i, "external_id", &p.external_id, MAX_ID_CHARS)?;
        let account = match (&p.account, &p.account_external_id) {
            (Some(h), None) => AccountKey::Handle(handle(W, i, "account", h)?),
            (None, Some(e)) => {
                AccountKey::External(token(W, i, "account_external_id", e, MAX_ID_CHARS)?)
            }
            _ => {
                return Err(Rejection {
                    index: i,
                    reason: format!(
                        "{W}[{i}]: name its account by either account (the handle) or account_external_id"
                    ),
                })
            }
        };
        let url = url(W, i, "url", &p.url)?;
        let caption = p
            .caption
            .as_deref()
            .map(|c| text(W, i, "caption", c, MAX_CAPTION_CHARS))
            .transpose()?;
        // Kept to the second, as SQLite stores it: a fraction would make
        // every resend of the same post look changed.
        let posted_at = DateTime::parse_from_rfc3339(&p.posted_at)
            .map(|t| t.with_timezone(&Utc).trunc_subsecs(0))
            .map_err(|_| {
                field(
                    W,
                    i,
                    "posted_at",
                    "must be a date and time such as 2026-12-01T18:30:00Z (RFC 3339)",
                )
            })?;
        if posted_at > now + MAX_AHEAD {
            return Err(field(
                W,
                i,
                "posted_at",
                "is more than a day in the future; check the tracker's clock and time zone",
            ));
        }
        if let Some(first) = seen.before((platform, external_id.clone()), i) {
            return Err(twice(W, i, first));
        }
        Ok(PostInput {
            platform,
            external_id,
            account,
            url,
            caption,
            posted_at,
            views: p.views.map(|c| c.0),
            likes: p.likes.map(|c| c.0),
            comments: p.comments.map(|c| c.0),
            shares: p.shares.map(|c| c.0),
            group: None,
            brand: None,
            created_at: None,
        })
    })
}

/// A post as `GET …/posts` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PostOut {
    pub id: i64,
    pub external_id: Option<String>,
    pub platform: String,
    pub account_id: i64,
    pub account: String,
    pub url: String,
    pub caption: String,
    pub posted_at: DateTime<Utc>,
    pub views: i64,
    pub likes: i64,
    pub comments: i64,
    pub shares: i64,
    pub group: Option<String>,
    pub brand: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl PostOut {
    pub fn new(p: crate::model::Post, external_id: Option<String>) -> Self {
        Self {
            id: p.id,
            external_id,
            platform: p.platform.as_str().into(),
            account_id: p.account_id,
            account: p.account_handle,
            url: p.url,
            caption: p.caption,
            posted_at: p.posted_at,
            views: p.views,
            likes: p.likes,
            comments: p.comments,
            shares: p.shares,
            group: p.group.map(|n| n.name),
            brand: p.brand.map(|n| n.name),
            created_at: p.created_at,
        }
    }
}

/// An account as `GET …/accounts` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccountOut {
    pub id: i64,
    pub external_id: Option<String>,
    pub platform: String,
    pub handle: String,
    pub display_name: String,
    pub profile_url: String,
    pub status: String,
    pub followers: i64,
    /// Live posts.
    pub posts: i64,
    pub group: Option<String>,
    pub brand: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AccountOut {
    pub fn new(a: crate::model::Account, external_id: Option<String>) -> Self {
        Self {
            id: a.id,
            external_id,
            platform: a.platform.as_str().into(),
            handle: a.handle,
            display_name: a.display_name,
            profile_url: a.profile_url,
            status: a.status.as_str().into(),
            followers: a.followers,
            posts: a.post_count,
            group: a.group.map(|n| n.name),
            brand: a.brand.map(|n| n.name),
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// A page of a list, and where the next one starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    /// Items matching the filters, all pages together.
    pub total: i64,
    /// `total` is an estimate: a text search too big to count in time.
    pub estimated: bool,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}
