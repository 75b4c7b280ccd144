//! Reading an export back, an item at a time: the JSON document the export
//! writes (`format_version` 1), or a CSV with the export's column titles.
//!
//! Both are read with a pull parser on a blocking thread (`batches`), so a
//! file of any size costs one batch of memory. The file's head (format and
//! entity) is known before its first item; a file that is not an export is
//! refused there, before anything is read further.

use crate::domain::export::columns::{columns, Column, Kind};
use crate::domain::export::json_sink::FORMAT_VERSION;
use crate::model::Entity;
use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
        }
    }
}

/// What a file holds, read off its head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    pub format: Format,
    pub entity: Entity,
}

/// One item of the file: its export fields by JSON key (`handle`,
/// `posted_at`, …), and where it is, for messages ("line 18", "item 17").
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub place: Place,
    pub fields: Map<String, Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// A CSV record's first line (the header is line 1).
    Line(u64),
    /// A JSON item's number, from 1.
    Item(u64),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Line(n) => write!(f, "line {n}"),
            Self::Item(n) => write!(f, "item {n}"),
        }
    }
}

/// Why reading stopped.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file is not one Guildtrack can import; the sentence says why,
    /// for the member.
    #[error("{0}")]
    Refused(String),
    /// The reader was told to stop (the head was all it wanted, the job was
    /// cancelled, or its receiver went away).
    #[error("stopped")]
    Stopped,
    #[error("could not read the file: {0}")]
    Io(#[from] std::io::Error),
}

/// What the reader hands on.
pub enum Read {
    Head(Head),
    Item(Record),
}

/// What the reader's consumer answers: go on, or stop.
pub type Flow = Result<(), FileError>;

const NOT_AN_EXPORT: &str = "This file is not a Guildtrack export: Import takes the JSON or CSV \
     file of an accounts or posts export, as the Export dialog makes it.";

/// Reads `path` and hands its head, then each item, to `each`.
pub fn read(path: &Path, each: &mut dyn FnMut(Read) -> Flow) -> Result<(), FileError> {
    let mut r = BufReader::with_capacity(256 * 1024, std::fs::File::open(path)?);
    // The export's CSV starts with a UTF-8 byte order mark; skip it, and
    // any white space before a JSON document.
    let head = r.fill_buf()?;
    let skip = if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    r.consume(skip);
    let first = loop {
        let buf = r.fill_buf()?;
        match buf.first() {
            None => return Err(FileError::Refused("The file is empty.".into())),
            Some(b) if b.is_ascii_whitespace() => r.consume(1),
            Some(b) => break *b,
        }
    };
    match first {
        b'{' => read_json(r, each),
        b'[' => Err(FileError::Refused(format!(
            "{NOT_AN_EXPORT} (This JSON is a bare list; an export is an object with \
             format_version, entity and items.)"
        ))),
        _ => read_csv(r, each),
    }
}

/// The head alone, to refuse a wrong file while its upload is answered.
pub fn head(path: &Path) -> Result<Head, FileError> {
    let mut found = None;
    let mut take = |read: Read| match read {
        Read::Head(h) => {
            found = Some(h);
            Err(FileError::Stopped)
        }
        Read::Item(_) => Err(FileError::Stopped),
    };
    match read(path, &mut take) {
        Ok(()) | Err(FileError::Stopped) => {}
        Err(e) => return Err(e),
    }
    found.ok_or_else(|| FileError::Refused(format!("{NOT_AN_EXPORT} (It has no items.)")))
}

fn read_csv(r: impl std::io::Read, each: &mut dyn FnMut(Read) -> Flow) -> Result<(), FileError> {
    let mut csv = csv::ReaderBuilder::new().flexible(false).from_reader(r);
    let headers = csv
        .headers()
        .map_err(|_| FileError::Refused(NOT_AN_EXPORT.into()))?
        .clone();
    let titles: Vec<&str> = headers.iter().map(str::trim).collect();
    let entity = csv_entity(&titles)?;
    let layout = columns(entity);
    let by_position: Vec<&Column> = titles
        .iter()
        .map(|t| layout.iter().find(|c| c.title == *t).expect("checked"))
        .collect();
    each(Read::Head(Head {
        format: Format::Csv,
        entity,
    }))?;
    let mut record = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => {
                // csv counts the lines before a record's (0 for the header).
                let line = e.position().map_or(0, |p| p.line() + 1);
                return Err(FileError::Refused(match e.kind() {
                    csv::ErrorKind::UnequalLengths { .. } => format!(
                        "Line {line} of the CSV has a different number of cells than its header; \
                         nothing was imported."
                    ),
                    csv::ErrorKind::Utf8 { .. } => format!(
                        "Line {line} of the CSV is not UTF-8 text; save the file as UTF-8 \
                         and try again."
                    ),
                    _ => format!("The CSV could not be read at line {line}: {e}"),
                }));
            }
        }
        let line = record.position().map_or(0, |p| p.line() + 1);
        let mut fields = Map::new();
        for (column, cell) in by_position.iter().zip(record.iter()) {
            fields.insert(column.key.to_string(), csv_value(column.kind, cell));
        }
        each(Read::Item(Record {
            place: Place::Line(line),
            fields,
        }))?;
    }
}

/// Which export a CSV header is: every title must be one of its columns,
/// and those an import needs must be there.
fn csv_entity(titles: &[&str]) -> Result<Entity, FileError> {
    let fits = |entity: Entity| {
        let layout = columns(entity);
        titles.iter().all(|t| layout.iter().any(|c| c.title == *t))
            && required(entity)
                .iter()
                .all(|key| titles.iter().any(|t| title_of(entity, key) == Some(*t)))
    };
    for entity in [Entity::Accounts, Entity::Posts] {
        if fits(entity) {
            return Ok(entity);
        }
    }
    // Name what does not fit the export it looks most like.
    let likely = if titles.contains(&"Post URL") {
        Entity::Posts
    } else {
        Entity::Accounts
    };
    let layout = columns(likely);
    let unknown: Vec<String> = titles
        .iter()
        .filter(|t| !layout.iter().any(|c| c.title == **t))
        .map(|t| format!("“{t}”"))
        .collect();
    let missing: Vec<String> = required(likely)
        .iter()
        .filter_map(|key| title_of(likely, key))
        .filter(|title| !titles.contains(title))
        .map(|t| format!("“{t}”"))
        .collect();
    let mut why =
        String::from("This CSV is not in the layout of a Guildtrack export of accounts or posts:");
    if !unknown.is_empty() {
        why.push_str(&format!(
            " it has columns an export does not ({})",
            unknown.join(", ")
        ));
    }
    if !missing.is_empty() {
        if !unknown.is_empty() {
            why.push_str(" and");
        }
        why.push_str(&format!(
            " it lacks the columns an import needs ({})",
            missing.join(", ")
        ));
    }
    why.push_str(". Nothing was imported.");
    Err(FileError::Refused(why))
}

/// The fields an import cannot do without.
pub fn required(entity: Entity) -> &'static [&'static str] {
    match entity {
        Entity::Accounts => &["platform", "handle"],
        Entity::Posts => &["platform", "account_handle", "post_url", "posted_at"],
    }
}

pub fn title_of(entity: Entity, key: &str) -> Option<&'static str> {
    columns(entity)
        .iter()
        .find(|c| c.key == key)
        .map(|c| c.title)
}

/// A CSV cell as the JSON export has it: empty is null, a whole number in a
/// number column is a number, and the export's formula guard (a `'` before
/// `=`, `+`, `-`, `@`, tab or carriage return) is taken off.
fn csv_value(kind: Kind, cell: &str) -> Value {
    if cell.is_empty() {
        return Value::Null;
    }
    match kind {
        Kind::Int => match cell.trim().parse::<i64>() {
            Ok(n) => Value::from(n),
            Err(_) => Value::String(cell.to_string()),
        },
        Kind::Time => Value::String(cell.trim().to_string()),
        Kind::Text => {
            let guarded = cell.len() > 1
                && cell.starts_with('\'')
                && matches!(
                    cell.as_bytes()[1],
                    b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\0'
                );
            Value::String(if guarded { &cell[1..] } else { cell }.to_string())
        }
    }
}

fn read_json(r: impl std::io::Read, each: &mut dyn FnMut(Read) -> Flow) -> Result<(), FileError> {
    let mut de = serde_json::Deserializer::from_reader(r);
    let mut doc = Document {
        each,
        version: None,
        entity: None,
        stop: None,
    };
    let parsed = (&mut doc).deserialize(&mut de).and_then(|()| de.end());
    if let Some(stop) = doc.stop.take() {
        return Err(stop);
    }
    parsed.map_err(|e| {
        if e.is_io() {
            return FileError::Io(e.into());
        }
        FileError::Refused(format!(
            "The JSON could not be read at line {}, column {}: {}. Nothing was imported.",
            e.line(),
            e.column(),
            strip_position(&e.to_string())
        ))
    })
}

/// serde_json's message without its " at line L column C" tail (the
/// sentence gives the place itself).
fn strip_position(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}

/// The export document: `format_version`, `entity` and the rest of the
/// head, then `items`, read as they come.
struct Document<'a> {
    each: &'a mut dyn FnMut(Read) -> Flow,
    version: Option<u64>,
    entity: Option<Entity>,
    /// Why the consumer stopped the reading (serde only carries text).
    stop: Option<FileError>,
}

impl Document<'_> {
    fn head(&self) -> Result<Head, FileError> {
        match self.version {
            Some(v) if v == u64::from(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(FileError::Refused(format!(
                    "This export is format_version {v}; this Guildtrack imports format_version \
                     {FORMAT_VERSION}. Nothing was imported."
                )))
            }
            None => {
                return Err(FileError::Refused(format!(
                    "{NOT_AN_EXPORT} (The JSON has no format_version before its items.)"
                )))
            }
        }
        let entity = self.entity.ok_or_else(|| {
            FileError::Refused(format!(
                "{NOT_AN_EXPORT} (The JSON says neither \"entity\": \"accounts\" nor \"posts\" before its items.)"
            ))
        })?;
        Ok(Head {
            format: Format::Json,
            entity,
        })
    }
}

impl<'de> DeserializeSeed<'de> for &mut Document<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for &mut Document<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Guildtrack export object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut items_seen = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "format_version" => self.version = Some(map.next_value()?),
                "entity" => {
                    let name: String = map.next_value()?;
                    self.entity = Some(Entity::parse(&name).ok_or_else(|| {
                        A::Error::custom(format!(
                            "entity is “{name}”, and an import takes accounts or posts"
                        ))
                    })?);
                }
                "items" => {
                    let head = match self.head() {
                        Ok(h) => h,
                        Err(e) => return Err(self.stopped(e)),
                    };
                    if let Err(e) = (self.each)(Read::Head(head)) {
                        return Err(self.stopped(e));
                    }
                    map.next_value_seed(Items {
                        doc: &mut *self,
                        entity: head.entity,
                    })?;
                    items_seen = true;
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        if !items_seen {
            let e = match self.head() {
                Err(e) => e,
                Ok(_) => FileError::Refused(format!("{NOT_AN_EXPORT} (The JSON has no items.)")),
            };
            return Err(self.stopped(e));
        }
        Ok(())
    }
}

impl Document<'_> {
    /// Keeps `e` to return it as it is, and gives serde an error to unwind
    /// with.
    fn stopped<E: serde::de::Error>(&mut self, e: FileError) -> E {
        self.stop = Some(e);
        E::custom("stopped")
    }
}

struct Items<'d, 'a> {
    doc: &'d mut Document<'a>,
    entity: Entity,
}

impl<'de> DeserializeSeed<'de> for Items<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Items<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of items")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let layout = columns(self.entity);
        let mut n = 0u64;
        while let Some(fields) = seq.next_element::<Map<String, Value>>()? {
            n += 1;
            if let Some(unknown) = fields.keys().find(|k| !layout.iter().any(|c| c.key == *k)) {
                let e = FileError::Refused(format!(
                    "Item {n} has a field an export of {} does not: “{unknown}”. Nothing was \
                     imported.",
                    self.entity.as_str()
                ));
                return Err(self.doc.stopped(e));
            }
            let record = Record {
                place: Place::Item(n),
                fields,
            };
            if let Err(e) = (self.doc.each)(Read::Item(record)) {
                return Err(self.doc.stopped(e));
            }
        }
        Ok(())
    }
}

/// The whole file's items in batches of `size`, read on a blocking thread
/// and handed over a channel that holds two batches at most. Dropping it
/// stops the reader at its next batch.
pub struct Batches {
    rx: tokio::sync::mpsc::Receiver<Result<Vec<Record>, FileError>>,
    pub head: Head,
}

impl Batches {
    /// Starts reading `path`; answers once the head is read (or the file
    /// was refused).
    pub async fn open(path: &Path, size: usize) -> Result<Self, FileError> {
        let (tx, rx) = tokio::sync::mpsc::channel(2);
        let (head_tx, head_rx) = tokio::sync::oneshot::channel();
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || {
            let mut head_tx = Some(head_tx);
            let mut batch = Vec::with_capacity(size);
            let mut each = |read: Read| -> Flow {
                match read {
                    Read::Head(h) => {
                        if let Some(t) = head_tx.take() {
                            let _ = t.send(Ok(h));
                        }
                    }
                    Read::Item(r) => {
                        batch.push(r);
                        if batch.len() == size {
                            let full = std::mem::replace(&mut batch, Vec::with_capacity(size));
                            tx.blocking_send(Ok(full)).map_err(|_| FileError::Stopped)?;
                        }
                    }
                }
                Ok(())
            };
            let outcome = read(&path, &mut each);
            let last = std::mem::take(&mut batch);
            match outcome {
                Ok(()) => {
                    if !last.is_empty() {
                        let _ = tx.blocking_send(Ok(last));
                    }
                }
                Err(FileError::Stopped) => {}
                Err(e) => match head_tx.take() {
                    Some(t) => {
                        let _ = t.send(Err(e));
                    }
                    None => {
                        let _ = tx.blocking_send(Err(e));
                    }
                },
            }
            if let Some(t) = head_tx.take() {
                let _ = t.send(Err(FileError::Refused(format!(
                    "{NOT_AN_EXPORT} (It has no items.)"
                ))));
            }
        });
        let head = head_rx.await.map_err(|_| FileError::Stopped)??;
        Ok(Self { rx, head })
    }

    /// The next batch; `None` at the end of the file.
    pub async fn next(&mut self) -> Option<Result<Vec<Record>, FileError>> {
        self.rx.recv().await
    }
}
