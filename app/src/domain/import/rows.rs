//! An export's item turned back into what the ingest API applies: the
//! item is reshaped into an API item and checked by the API's own checks
//! (`ingest::wire`), so a file and the tracker meet the same limits. What
//! the API does not take (dates, a post's own group and brand) is read
//! here.

use super::file::{title_of, Format, Place, Record};
use crate::domain::ingest::{wire, AccountInput, AccountKey, PostInput};
use crate::model::Entity;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// An item that cannot be applied, with its sentence ("line 18: Views:
/// must be a whole number ≥ 0").
pub type Refusal = String;

/// The items of one batch, checked: those to apply, each with its place,
/// and those refused.
pub struct Checked<T> {
    pub items: Vec<(Place, T)>,
    pub refused: Vec<Refusal>,
    /// Where each key (platform and handle, or platform and post id) came
    /// first in the batch.
    seen: HashMap<(String, String), Place>,
}

impl<T> Checked<T> {
    fn with_capacity(n: usize) -> Self {
        Self {
            items: Vec::with_capacity(n),
            refused: Vec::new(),
            seen: HashMap::new(),
        }
    }

    /// Keeps `input`, unless its key came earlier in the batch (as the API
    /// refuses it): "line 5: the same account as line 2".
    fn keep_once(&mut self, key: (String, String), place: Place, input: T, what: &str) {
        if let Some(first) = self.seen.get(&key) {
            self.refused.push(format!(
                "{place}: the same {what} as {first}; each {what} may come once"
            ));
            return;
        }
        self.seen.insert(key, place);
        self.items.push((place, input));
    }
}

/// How a field of the API is called in the file: the export's key in
/// JSON, its column title in CSV.
fn field_name(entity: Entity, format: Format, api_field: &str) -> String {
    let key = match (entity, api_field) {
        (Entity::Posts, "account") => "account_handle",
        (Entity::Posts, "url") => "post_url",
        (_, other) => other,
    };
    match format {
        Format::Json => key.to_string(),
        Format::Csv => title_of(entity, key).unwrap_or(key).to_string(),
    }
}

/// The API's reason ("posts[0].views: must be …") said of the file's item.
fn reworded(entity: Entity, format: Format, place: Place, reason: &str) -> Refusal {
    let rest = reason
        .split_once(']')
        .map(|(_, rest)| rest)
        .unwrap_or(reason);
    match rest.strip_prefix('.').and_then(|r| r.split_once(": ")) {
        Some((field, why)) => format!("{place}: {}: {why}", field_name(entity, format, field)),
        None => format!("{place}{}", rest),
    }
}

fn text(fields: &Map<String, Value>, key: &str) -> Option<String> {
    match fields.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// A name column: absent leaves the stored one, empty or null is "none".
fn name(fields: &Map<String, Value>, key: &str) -> Option<Option<String>> {
    match fields.get(key) {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(s)) if s.trim().is_empty() => Some(None),
        Some(v) => Some(text_of(v)),
    }
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// A time column, as the export writes it (`2026-12-01T18:30:00Z`).
fn time(
    fields: &Map<String, Value>,
    key: &str,
    entity: Entity,
    format: Format,
    place: Place,
) -> Result<Option<DateTime<Utc>>, Refusal> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| {
                format!(
                    "{place}: {}: must be a date and time such as 2026-12-01T18:30:00Z",
                    field_name(entity, format, key)
                )
            }),
        Some(_) => Err(format!(
            "{place}: {}: must be a date and time such as 2026-12-01T18:30:00Z",
            field_name(entity, format, key)
        )),
    }
}

/// Copies the fields the API takes under their API names; a field the
/// file lacks stays out (the API then leaves the stored value).
fn api_item(fields: &Map<String, Value>, pairs: &[(&str, &str)]) -> Value {
    let mut item = Map::new();
    for (api, key) in pairs {
        if let Some(v) = fields.get(*key) {
            item.insert((*api).to_string(), v.clone());
        }
    }
    Value::Object(item)
}

/// The accounts of a batch. Within a batch an account may come once; a
/// second one with the same handle is refused (as the API refuses it).
pub fn accounts(format: Format, records: Vec<Record>) -> Checked<AccountInput> {
    let entity = Entity::Accounts;
    let mut out = Checked::with_capacity(records.len());
    for r in records {
        let f = &r.fields;
        let mut api = api_item(
            f,
            &[
                ("platform", "platform"),
                ("handle", "handle"),
                ("display_name", "display_name"),
                ("profile_url", "profile_url"),
                ("status", "status"),
                ("followers", "followers"),
            ],
        );
        let obj = api.as_object_mut().expect("object");
        if let Some(e) = text(f, "external_id") {
            obj.insert("external_id".into(), json!(e));
        }
        for key in ["group", "brand"] {
            if let Some(n) = name(f, key) {
                obj.insert(key.into(), json!(n));
            }
        }
        let checked = wire::accounts(vec![api]);
        let mut input = match checked {
            Ok(mut v) => v.remove(0),
            Err(rejections) => {
                out.refused
                    .push(reworded(entity, format, r.place, &rejections[0].reason));
                continue;
            }
        };
        let dates = time(f, "created_at", entity, format, r.place)
            .and_then(|c| Ok((c, time(f, "updated_at", entity, format, r.place)?)));
        match dates {
            Ok((created, updated)) => {
                input.created_at = created;
                input.updated_at = updated.or(created);
            }
            Err(why) => {
                out.refused.push(why);
                continue;
            }
        }
        let key = (input.platform.as_str().to_string(), input.handle.clone());
        out.keep_once(key, r.place, input, "account");
    }
    out
}

/// The posts of a batch, checked against the clock `now`. A post exported
/// before posts had external ids (an empty External ID) is matched by its
/// address, which becomes its external id.
pub fn posts(format: Format, records: Vec<Record>, now: DateTime<Utc>) -> Checked<PostInput> {
    let entity = Entity::Posts;
    let mut out = Checked::with_capacity(records.len());
    for r in records {
        let f = &r.fields;
        let mut api = api_item(
            f,
            &[
                ("platform", "platform"),
                ("account", "account_handle"),
                ("url", "post_url"),
                ("caption", "caption"),
                ("posted_at", "posted_at"),
                ("views", "views"),
                ("likes", "likes"),
                ("comments", "comments"),
                ("shares", "shares"),
            ],
        );
        let obj = api.as_object_mut().expect("object");
        let external = text(f, "external_id").or_else(|| text(f, "post_url"));
        if let Some(e) = external {
            obj.insert("external_id".into(), json!(e));
        }
        let checked = wire::posts(vec![api], now);
        let mut input = match checked {
            Ok(mut v) => v.remove(0),
            Err(rejections) => {
                out.refused
                    .push(reworded(entity, format, r.place, &rejections[0].reason));
                continue;
            }
        };
        match time(f, "created_at", entity, format, r.place) {
            Ok(created) => input.created_at = created,
            Err(why) => {
                out.refused.push(why);
                continue;
            }
        }
        input.group = name(f, "group");
        input.brand = name(f, "brand");
        let key = (
            input.platform.as_str().to_string(),
            input.external_id.clone(),
        );
        out.keep_once(key, r.place, input, "post");
    }
    out
}

/// How a post of the batch names its account, for the audit entry.
pub fn account_handle(input: &PostInput) -> &str {
    match &input.account {
        AccountKey::Handle(h) | AccountKey::External(h) => h,
    }
}
