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
    /// An upper bound of the sheet XML written so far, all sheets: decides
    /// ZIP64 at the end (see [`needs_zip64`]).
    xml_bound: u64,
}

/// Bytes of XML markup around one cell, at most: `<c r="XFD1048576"
/// s="99" t="inlineStr"><is><t xml:space="preserve">` and its closing tags
/// come to 76; a number's `<v>` with 24 digits is shorter.
const CELL_MARKUP_BOUND: u64 = 96;
/// `<row r="1048576" spans="1:16">` and `</row>`.
const ROW_MARKUP_BOUND: u64 = 64;
/// Everything but the sheets (styles, workbook, relationships, the zip's
/// own headers and directory), with room to spare: a few KiB in practice.
const OTHER_PARTS_BOUND: u64 = 16 << 20;

/// The most bytes rust_xlsxwriter can write for `s` inside `<t>`: `&` →
/// `&amp;`, `<`/`>` → `&lt;`/`&gt;`, a control character → `_x001F_`, a
/// `_` starting a literal `_xHHHH_` → `_x005F_`, U+FFFE/U+FFFF → `_xFFFE_`.
fn escaped_len_bound(s: &str) -> u64 {
    let extra: u64 = s
        .bytes()
        .map(|b| match b {
            b'&' => 4,
            b'<' | b'>' => 3,
            b'_' => 6,
            b'\t' | b'\n' => 0,
            0..=0x1f => 6,
            0xef => 4,
            _ => 0,
        })
        .sum();
    s.len() as u64 + extra
}

/// ZIP64 only when the file could pass what plain ZIP can address.
///
/// Plain ZIP records sizes and offsets in 32 bits, so it holds entries and
/// archives under 4 GiB. LibreOffice 7.4 refuses a workbook whose entries
/// all carry ZIP64 headers ("source file could not be loaded"), so they are
/// used only when needed. The bound is the sheets' XML size, counted from
/// every cell written with its worst-case escaping, plus the other parts; a
/// compressed entry is never larger than its data plus deflate's 5 bytes per
/// 64 KiB block, hence the 0.1% margin. The whole archive under the bound
/// means every entry and offset is too.
fn needs_zip64(xml_bound: u64) -> bool {
    xml_bound + xml_bound / 1000 + OTHER_PARTS_BOUND > u64::from(u32::MAX)
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
            xml_bound: 0,
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
        let mut bound = ROW_MARKUP_BOUND;
        for (i, c) in self.columns.iter().enumerate() {
            ws.set_column_width(i as u16, c.width)?;
            ws.write_string_with_format(0, i as u16, c.title, &self.header)?;
            bound += CELL_MARKUP_BOUND + escaped_len_bound(c.title);
        }
        self.xml_bound += bound;
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
        let mut bound = ROW_MARKUP_BOUND;
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
                    let s = fit_cell(s);
                    bound += escaped_len_bound(&s);
                    ws.write_string(row, col, s)?;
                }
                (Cell::Null, Kind::Int | Kind::Text | Kind::Time) => {}
            }
            bound += CELL_MARKUP_BOUND;
        }
        self.xml_bound += bound;
        self.row += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), ExportError> {
        self.close_sheet()?;
        let zip64 = needs_zip64(self.xml_bound);
        self.book.use_zip_large_file(zip64);
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
    fn escaping_is_bounded_from_above() {
        assert_eq!(escaped_len_bound("plain"), 5);
        // Each of these grows to at most the bound when rust_xlsxwriter escapes it.
        for (s, escaped) in [
            ("a&b", "a&amp;b"),
            ("<>", "&lt;&gt;"),
            ("\u{1}", "_x0001_"),
            ("_x0041_", "_x005F_x0041_"),
            ("\u{FFFF}", "_xFFFF_"),
            ("tab\tand\nnewline", "tab\tand\nnewline"),
        ] {
            assert!(
                escaped_len_bound(s) >= escaped.len() as u64,
                "{s:?}: {} < {}",
                escaped_len_bound(s),
                escaped.len()
            );
        }
    }

    #[test]
    fn zip64_only_near_4_gib() {
        assert!(!needs_zip64(0));
        assert!(!needs_zip64(1 << 30));
        assert!(!needs_zip64(4_000_000_000));
        assert!(needs_zip64(u64::from(u32::MAX) - (8 << 20)));
        assert!(needs_zip64(5 << 30));
    }

    #[test]
    fn the_unix_epoch_is_excel_day_25569() {
        assert_eq!(excel_serial(0), 25_569.0);
        assert_eq!(excel_serial(86_400 + 43_200), 25_570.5);
    }
}
