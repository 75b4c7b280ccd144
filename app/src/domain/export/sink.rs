//! Where rows go: one writer per format behind a small trait, fed one row at
//! a time so memory does not grow with the export.

use super::columns::{Cell, Column};
use super::{csv_sink::CsvSink, json_sink::JsonSink, xlsx_sink::XlsxSink, ExportError};
use crate::model::{Entity, ExportFormat};
use chrono::{DateTime, Utc};
use std::io::Write;
use std::path::PathBuf;

pub type Out = Box<dyn Write + Send>;

/// What the JSON header says about the export.
#[derive(Clone, Debug)]
pub struct Meta {
    pub guild_slug: String,
    pub guild_name: String,
    pub entity: Entity,
    /// `{"kind": "view", "filters": {...}}` and the like.
    pub scope: serde_json::Value,
    pub exported_at: DateTime<Utc>,
}

/// Excel's limits (ECMA-376; REFERENCE.md).
pub const XLSX_MAX_DATA_ROWS: u32 = 1_048_575;
pub const XLSX_MAX_CELL_CHARS: usize = 32_767;

#[derive(Clone, Debug)]
pub struct XlsxOptions {
    /// Constant-memory worksheets spill their rows here.
    pub tempdir: PathBuf,
    /// Data rows per sheet before continuing on "Posts (2)"; tests lower it.
    pub max_rows_per_sheet: u32,
}

pub trait Sink {
    /// Called once, before any row, with the number of rows that follow.
    fn begin(&mut self, total: u64) -> Result<(), ExportError>;
    fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), ExportError>;
    /// Writes what is left and flushes the output.
    fn finish(self: Box<Self>) -> Result<(), ExportError>;
}

/// Everything needed to open a sink; `Send`, so it can be built on the
/// thread that writes.
pub struct SinkSpec {
    pub format: ExportFormat,
    pub meta: Meta,
    pub columns: &'static [Column],
    pub xlsx: XlsxOptions,
}

impl SinkSpec {
    pub fn open(self, out: Out) -> Result<Box<dyn Sink>, ExportError> {
        Ok(match self.format {
            ExportFormat::Csv => Box::new(CsvSink::new(out, self.columns)?),
            ExportFormat::Json => Box::new(JsonSink::new(out, self.columns, self.meta)),
            ExportFormat::Xlsx => {
                Box::new(XlsxSink::new(out, self.columns, &self.meta, self.xlsx)?)
            }
        })
    }
}
