//! The columns of each export, in order. CSV headers, JSON field names and
//! XLSX headers all come from here, so the three formats cannot drift apart.

use crate::model::Entity;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Int,
    Text,
    /// Unix seconds: ISO 8601 UTC in CSV/JSON, a date cell in XLSX.
    Time,
}

#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// JSON field name; stable, part of the export format.
    pub key: &'static str,
    /// CSV/XLSX header.
    pub title: &'static str,
    pub kind: Kind,
    /// XLSX column width in characters.
    pub width: f64,
}

const fn col(key: &'static str, title: &'static str, kind: Kind, width: f64) -> Column {
    Column {
        key,
        title,
        kind,
        width,
    }
}

pub const ACCOUNT_COLUMNS: [Column; 13] = [
    col("id", "ID", Kind::Int, 10.0),
    col("platform", "Platform", Kind::Text, 11.0),
    col("handle", "Handle", Kind::Text, 22.0),
    col("display_name", "Display name", Kind::Text, 26.0),
    col("profile_url", "Profile URL", Kind::Text, 40.0),
    col("group", "Group", Kind::Text, 16.0),
    col("brand", "Brand", Kind::Text, 16.0),
    col("status", "Status", Kind::Text, 9.0),
    col("followers", "Followers", Kind::Int, 12.0),
    col("post_count", "Posts", Kind::Int, 9.0),
    col("created_at", "Created at (UTC)", Kind::Time, 19.0),
    col("updated_at", "Updated at (UTC)", Kind::Time, 19.0),
    // Last, so the columns before it keep their places in files and
    // spreadsheets made before the ingest API.
    col("external_id", "External ID", Kind::Text, 22.0),
];

pub const POST_COLUMNS: [Column; 14] = [
    col("id", "ID", Kind::Int, 10.0),
    col("account_handle", "Account", Kind::Text, 22.0),
    col("platform", "Platform", Kind::Text, 11.0),
    col("post_url", "Post URL", Kind::Text, 40.0),
    col("caption", "Caption", Kind::Text, 60.0),
    col("posted_at", "Posted at (UTC)", Kind::Time, 19.0),
    col("views", "Views", Kind::Int, 12.0),
    col("likes", "Likes", Kind::Int, 10.0),
    col("comments", "Comments", Kind::Int, 10.0),
    col("shares", "Shares", Kind::Int, 10.0),
    col("group", "Group", Kind::Text, 16.0),
    col("brand", "Brand", Kind::Text, 16.0),
    col("created_at", "Added at (UTC)", Kind::Time, 19.0),
    // The platform's post id: what an import matches a post by.
    col("external_id", "External ID", Kind::Text, 22.0),
];

/// The widest export; rows are assembled in arrays of this size.
pub const MAX_COLUMNS: usize = 14;

pub fn columns(entity: Entity) -> &'static [Column] {
    match entity {
        Entity::Accounts => &ACCOUNT_COLUMNS,
        Entity::Posts => &POST_COLUMNS,
    }
}

/// One value of a row, borrowed from the reader's buffer (no copy per cell).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell<'a> {
    Int(i64),
    Text(&'a str),
    /// Unix seconds, UTC.
    Time(i64),
    Null,
}

/// An owned row, for readers that cannot lend their buffer across threads.
#[derive(Clone, Debug, PartialEq)]
pub enum OwnedCell {
    Int(i64),
    Text(String),
    Time(i64),
    Null,
}

impl OwnedCell {
    pub fn as_cell(&self) -> Cell<'_> {
        match self {
            Self::Int(v) => Cell::Int(*v),
            Self::Text(s) => Cell::Text(s),
            Self::Time(t) => Cell::Time(*t),
            Self::Null => Cell::Null,
        }
    }
}
