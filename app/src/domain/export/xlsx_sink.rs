//! XLSX with rust_xlsxwriter in constant-memory mode: rows stream to a
//! temporary file per sheet, so a million rows cost no more memory than ten.

use super::columns::{Cell, Column, Kind};
use super::sink::{Meta, Out, Sink, XlsxOptions, XLSX_MAX_CELL_CHARS};
use super::ExportError;
use rust_xlsxwriter::{Format, Workbook, Worksheet};
use std::io::Write;

/// Appended to a cell cut at Excel's 32,767-character limit, so nobody
/// mistakes it for the whole text.
pub const TRUNCATION_MARKER: &str = "… [truncated: over 32,767 characters]";

/// Excel stores dates as days since 1899-12-30; 25,569 is 1970-01-01.
fn excel_serial(unix_secs: i64) -> f64 {
    unix_secs as f64 / 86_400.0 + 25_569.0
}

/// Cuts `s` to Excel's limit, marker included. Counted in chars, as Excel
/// counts UTF-16 units only past the BMP, which a char count never exceeds.
pub fn fit_cell(s: &str) -> std::borrow::Cow<'_, str> {
    // Fast path: a string of at most 32,767 bytes has at most that many chars.
    if s.len() <= XLSX_MAX_CELL_CHARS || s.chars().count() <= XLSX_MAX_CELL_CHARS {
        return s.into();
    }
    let keep = XLSX_MAX_CELL_CHARS - TRUNCATION_MARKER.chars().count();
    let mut out: String = s.chars().take(keep).collect();
    out.push_str(TRUNCATION_MARKER);
    out.into()
}

pub struct XlsxSink {
    out: Out,
    book: Workbook,
    columns: &'static [Column],
    title: &'static str,
    opts: XlsxOptions,
    header: Format,
    date: Format,
    /// Index of the sheet being written and its next row (0 = header).
    sheet: usize,
    row: u32,
}

impl XlsxSink {
    pub fn new(
        out: Out,
        columns: &'static [Column],
        meta: &Meta,
        opts: XlsxOptions,
    ) -> Result<Self, ExportError> {
        let mut book = Workbook::new();
        book.set_tempdir(&opts.tempdir)?;
        // Deflate is most of the time. A million posts (BENCHMARKS.md):
        // level 6 (the default) 11.9 s / 105 MB, level 3 8.7 s / 118 MB,
        // level 1 7.3 s / 165 MB. Level 3 keeps files near the smallest.
        book.set_zip_compression_level(3);
        book.use_zip_large_file(true);
        let mut sink = Self {
            out,
            book,
            columns,
            title: meta.entity.title(),
            opts,
            header: Format::new().set_bold(),
            date: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            sheet: 0,
            row: 0,
        };
        sink.add_sheet(1)?;
        Ok(sink)
    }

    /// Adds "Posts" or "Posts (2)" with its header row, frozen, and widths.
    fn add_sheet(&mut self, number: usize) -> Result<(), ExportError> {
        let name = if number == 1 {
            self.title.to_string()
        } else {
            format!("{} ({number})", self.title)
        };
        let ws = self.book.add_worksheet_with_constant_memory()?;
        ws.set_name(name)?;
        for (i, c) in self.columns.iter().enumerate() {
            ws.set_column_width(i as u16, c.width)?;
            ws.write_string_with_format(0, i as u16, c.title, &self.header)?;
        }
        ws.set_freeze_panes(1, 0)?;
        self.sheet = number - 1;
        self.row = 1;
        Ok(())
    }

    fn current(&mut self) -> Result<&mut Worksheet, ExportError> {
        Ok(self.book.worksheet_from_index(self.sheet)?)
    }

    /// The autofilter needs the last row, so it is set when a sheet is full
    /// or the export ends.
    fn close_sheet(&mut self) -> Result<(), ExportError> {
        let last_row = self.row.saturating_sub(1);
        let last_col = (self.columns.len() - 1) as u16;
        self.current()?.autofilter(0, 0, last_row, last_col)?;
        Ok(())
    }
}

impl Sink for XlsxSink {
    fn begin(&mut self, _total: u64) -> Result<(), ExportError> {
        Ok(())
    }

    fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), ExportError> {
        if self.row > self.opts.max_rows_per_sheet {
            self.close_sheet()?;
            self.add_sheet(self.sheet + 2)?;
        }
        let (row, date) = (self.row, self.date.clone());
        let columns = self.columns;
        let ws = self.current()?;
        for (i, (cell, column)) in cells.iter().zip(columns).enumerate() {
            let col = i as u16;
            match (*cell, column.kind) {
                (Cell::Int(v), _) => {
                    ws.write_number(row, col, v as f64)?;
                }
                (Cell::Time(t), _) => {
                    ws.write_number_with_format(row, col, excel_serial(t), &date)?;
                }
                // Text is always a string cell, never a formula.
                (Cell::Text(s), _) => {
                    ws.write_string(row, col, fit_cell(s))?;
                }
                (Cell::Null, Kind::Int | Kind::Text | Kind::Time) => {}
            }
        }
        self.row += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), ExportError> {
        self.close_sheet()?;
        self.book.save_to_writer(&mut self.out)?;
        self.out.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_cells_are_cut_to_the_limit_with_a_marker() {
        let long = "ж".repeat(40_000);
        let fitted = fit_cell(&long);
        assert_eq!(fitted.chars().count(), XLSX_MAX_CELL_CHARS);
        assert!(fitted.ends_with(TRUNCATION_MARKER));
        let exact = "a".repeat(XLSX_MAX_CELL_CHARS);
        assert_eq!(fit_cell(&exact), exact.as_str());
    }

    #[test]
    fn the_unix_epoch_is_excel_day_25569() {
        assert_eq!(excel_serial(0), 25_569.0);
        assert_eq!(excel_serial(86_400 + 43_200), 25_570.5);
    }
}
