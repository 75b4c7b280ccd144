//! The SQLite reader: rusqlite on a blocking thread, not sqlx.
//!
//! Measured on a million posts: sqlx's SQLite driver took 4.4 s or more
//! just to read the rows; rusqlite (the same libsqlite3-sys 0.30 that sqlx
//! links, so one SQLite in the binary) read them in 0.25 s. Cells are
//! borrowed straight from SQLite's row buffer.

use super::columns::{Cell, Kind, MAX_COLUMNS};
use super::sink::{Out, SinkSpec};
use super::{ExportError, Outcome, Progress};
use crate::domain::{Arg, Sql};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Statement};
use std::path::Path;

fn bind(stmt: &mut Statement<'_>, sql: &Sql) -> Result<(), ExportError> {
    for (i, arg) in sql.args.iter().enumerate() {
        let name = format!("${}", i + 1);
        // A value may be referenced several times or (after a refactor) not
        // at all; bind by name so positions never matter.
        let Some(idx) = stmt.parameter_index(&name)? else {
            continue;
        };
        match arg {
            Arg::Int(v) => stmt.raw_bind_parameter(idx, v)?,
            Arg::OptInt(v) => stmt.raw_bind_parameter(idx, v)?,
            Arg::Text(v) => stmt.raw_bind_parameter(idx, v)?,
            Arg::OptText(v) => stmt.raw_bind_parameter(idx, v)?,
            Arg::Time(t) => stmt.raw_bind_parameter(idx, t.timestamp())?,
            Arg::OptTime(t) => stmt.raw_bind_parameter(idx, t.map(|t| t.timestamp()))?,
        }
    }
    Ok(())
}

fn cell<'r>(v: ValueRef<'r>, kind: Kind) -> Result<Cell<'r>, ExportError> {
    Ok(match (v, kind) {
        (ValueRef::Null, _) => Cell::Null,
        (ValueRef::Integer(i), Kind::Time) => Cell::Time(i),
        (ValueRef::Integer(i), _) => Cell::Int(i),
        (ValueRef::Text(t), _) => Cell::Text(
            std::str::from_utf8(t).map_err(|e| ExportError::Db(format!("invalid UTF-8: {e}")))?,
        ),
        (other, _) => {
            return Err(ExportError::Db(format!(
                "unexpected {:?} value in an export column",
                other.data_type()
            )))
        }
    })
}

fn open(db_path: &Path) -> Result<Connection, ExportError> {
    let conn = Connection::open_with_flags(
        db_path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // A small page cache and no memory map: an export reads each page once,
    // and mapped pages count towards the process's resident memory. (The
    // pool's 1 GiB map made a mere COUNT over a million posts show 200 MB of
    // RSS: the kernel maps the pages around each touched one.)
    conn.execute_batch("PRAGMA cache_size = -8192; PRAGMA mmap_size = 0")?;
    Ok(conn)
}

fn count_in(conn: &Connection, count: &Sql) -> Result<i64, ExportError> {
    let mut stmt = conn.prepare(&count.text)?;
    bind(&mut stmt, count)?;
    let mut r = stmt.raw_query();
    Ok(match r.next()? {
        Some(row) => row.get(0)?,
        None => 0,
    })
}

/// How many rows an export would have (decides instant or background).
pub fn count(db_path: &Path, count: &Sql) -> Result<i64, ExportError> {
    count_in(&open(db_path)?, count)
}

/// Counts and streams the rows of `rows` inside one read transaction (a
/// consistent snapshot: WAL readers never block the writer, nor it them).
pub fn export(
    db_path: &Path,
    rows: &Sql,
    count: &Sql,
    spec: SinkSpec,
    out: Out,
    progress: &Progress,
    collect_ids: bool,
) -> Result<Outcome, ExportError> {
    let columns = spec.columns;
    let conn = open(db_path)?;
    conn.execute_batch("BEGIN")?;
    let total = count_in(&conn, count)?;
    progress.set_total(total);

    let mut sink = spec.open(out)?;
    sink.begin(total.max(0) as u64)?;
    let mut stmt = conn.prepare(&rows.text)?;
    bind(&mut stmt, rows)?;
    let mut it = stmt.raw_query();
    let mut n: u64 = 0;
    let mut ids = Vec::new();
    while let Some(row) = it.next()? {
        // On the stack: no allocation per row.
        let mut cells = [Cell::Null; MAX_COLUMNS];
        for (i, c) in columns.iter().enumerate() {
            cells[i] = cell(row.get_ref(i)?, c.kind)?;
        }
        let cells = &cells[..columns.len()];
        if collect_ids {
            if let Cell::Int(id) = cells[0] {
                ids.push(id);
            }
        }
        sink.row(cells)?;
        n += 1;
        if n.is_multiple_of(1024) {
            progress.advance_to(n)?;
        }
    }
    drop(it);
    sink.finish()?;
    progress.advance_to(n)?;
    Ok(Outcome { rows: n, ids })
}
