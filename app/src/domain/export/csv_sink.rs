//! CSV: RFC 4180 (CRLF, quotes only where needed), UTF-8 with a BOM so Excel
//! reads non-Latin text, and OWASP's guard against formula injection.

use super::columns::{Cell, Column};
use super::sink::{Out, Sink};
use super::{iso, ExportError};
use std::io::Write;

pub struct CsvSink {
    w: csv::Writer<Out>,
    /// Reused for the `'`-prefixed copy of a risky text cell.
    guarded: String,
}

/// A text cell starting with one of these would be read as a formula (or
/// as the start of one) by spreadsheet programs.
fn needs_guard(s: &str) -> bool {
    matches!(
        s.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\0')
    )
}

impl CsvSink {
    pub fn new(mut out: Out, columns: &[Column]) -> Result<Self, ExportError> {
        out.write_all(b"\xEF\xBB\xBF")?;
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .quote_style(csv::QuoteStyle::Necessary)
            .buffer_capacity(256 * 1024)
            .from_writer(out);
        w.write_record(columns.iter().map(|c| c.title))?;
        Ok(Self {
            w,
            guarded: String::new(),
        })
    }
}

impl Sink for CsvSink {
    fn begin(&mut self, _total: u64) -> Result<(), ExportError> {
        Ok(())
    }

    fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), ExportError> {
        let mut num = itoa::Buffer::new();
        let mut time = [0u8; 20];
        for cell in cells {
            match *cell {
                Cell::Int(v) => self.w.write_field(num.format(v))?,
                Cell::Time(t) => self.w.write_field(iso::format(t, &mut time))?,
                Cell::Null => self.w.write_field("")?,
                Cell::Text(s) if needs_guard(s) => {
                    self.guarded.clear();
                    self.guarded.push('\'');
                    self.guarded.push_str(s);
                    self.w.write_field(&self.guarded)?;
                }
                Cell::Text(s) => self.w.write_field(s)?,
            }
        }
        self.w.write_record(None::<&[u8]>)?;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), ExportError> {
        let mut out = self
            .w
            .into_inner()
            .map_err(|e| ExportError::Io(e.into_error()))?;
        out.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risky_first_characters_are_guarded_and_others_are_not() {
        for s in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\0x"] {
            assert!(needs_guard(s), "{s:?}");
        }
        for s in ["", "a=1", " =1", "1", "é", "'quoted"] {
            assert!(!needs_guard(s), "{s:?}");
        }
    }
}
