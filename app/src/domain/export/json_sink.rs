//! JSON: one document, metadata first, then `items` with one object per
//! line (readable, and easy to split with line tools).

use super::columns::{Cell, Column};
use super::sink::{Meta, Out, Sink};
use super::{iso, ExportError};
use std::io::{BufWriter, Write};

/// Bumped when a field changes meaning or disappears (adding one is fine).
pub const FORMAT_VERSION: u32 = 1;

pub struct JsonSink {
    w: BufWriter<Out>,
    /// `"id":`, `"caption":` … pre-encoded once.
    keys: Vec<Vec<u8>>,
    meta: Meta,
    first: bool,
}

impl JsonSink {
    pub fn new(out: Out, columns: &[Column], meta: Meta) -> Self {
        let keys = columns
            .iter()
            .map(|c| {
                let mut k = serde_json::to_vec(c.key).expect("static key");
                k.push(b':');
                k
            })
            .collect();
        Self {
            w: BufWriter::with_capacity(256 * 1024, out),
            keys,
            meta,
            first: true,
        }
    }
}

impl Sink for JsonSink {
    fn begin(&mut self, total: u64) -> Result<(), ExportError> {
        let m = &self.meta;
        let head = serde_json::json!({
            "format_version": FORMAT_VERSION,
            "guild": { "slug": m.guild_slug, "name": m.guild_name },
            "entity": m.entity.as_str(),
            "scope": m.scope,
            "exported_at": m.exported_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "item_count": total,
        });
        // The header object without its closing brace, then the items.
        let text = serde_json::to_string(&head).map_err(|e| ExportError::Io(e.into()))?;
        self.w.write_all(&text.as_bytes()[..text.len() - 1])?;
        self.w.write_all(b",\"items\":[")?;
        Ok(())
    }

    fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), ExportError> {
        let w = &mut self.w;
        w.write_all(if self.first { b"\n{" } else { b",\n{" })?;
        self.first = false;
        let mut num = itoa::Buffer::new();
        let mut time = [0u8; 20];
        for (i, (cell, key)) in cells.iter().zip(&self.keys).enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            w.write_all(key)?;
            match *cell {
                Cell::Int(v) => w.write_all(num.format(v).as_bytes())?,
                Cell::Time(t) => {
                    w.write_all(b"\"")?;
                    w.write_all(iso::format(t, &mut time).as_bytes())?;
                    w.write_all(b"\"")?;
                }
                Cell::Null => w.write_all(b"null")?,
                Cell::Text(s) => {
                    serde_json::to_writer(&mut *w, s).map_err(|e| ExportError::Io(e.into()))?
                }
            }
        }
        w.write_all(b"}")?;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), ExportError> {
        self.w.write_all(b"\n]}\n")?;
        self.w.flush()?;
        Ok(())
    }
}
