//! The PostgreSQL reader: sqlx streaming (`fetch`, never `fetch_all`) in a
//! REPEATABLE READ, READ ONLY transaction, so the count and the rows come
//! from one snapshot. Rows cross to a blocking thread in batches, because
//! the writers (file I/O, XLSX compression) must not stall the runtime.

use super::columns::{Cell, Column, Kind, OwnedCell, MAX_COLUMNS};
use super::sink::{Out, SinkSpec};
use super::{ExportError, Outcome, Progress};
use crate::domain::Sql;
use futures::TryStreamExt;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{PgPool, Row};
use std::sync::Arc;

const BATCH: usize = 1000;

fn query(sql: &Sql) -> sqlx::query::Query<'_, sqlx::Postgres, PgArguments> {
    crate::domain::db::bind_pg(sqlx::query(&sql.text), &sql.args)
}

fn owned(row: &PgRow, columns: &[Column]) -> Result<Vec<OwnedCell>, sqlx::Error> {
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            Ok(match c.kind {
                Kind::Int => row.try_get::<Option<i64>, _>(i)?.map(OwnedCell::Int),
                Kind::Time => row.try_get::<Option<i64>, _>(i)?.map(OwnedCell::Time),
                Kind::Text => row.try_get::<Option<String>, _>(i)?.map(OwnedCell::Text),
            }
            .unwrap_or(OwnedCell::Null))
        })
        .collect()
}

pub async fn export(
    pool: &PgPool,
    rows: &Sql,
    count: &Sql,
    spec: SinkSpec,
    out: Out,
    progress: Arc<Progress>,
    collect_ids: bool,
) -> Result<Outcome, ExportError> {
    let columns = spec.columns;
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let total: i64 = query(count).fetch_one(&mut *tx).await?.try_get(0)?;
    progress.set_total(total);

    let (send, mut recv) = tokio::sync::mpsc::channel::<Vec<Vec<OwnedCell>>>(4);
    let writer_progress = progress.clone();
    let writer = tokio::task::spawn_blocking(move || -> Result<Outcome, ExportError> {
        let mut sink = spec.open(out)?;
        sink.begin(total.max(0) as u64)?;
        let mut n = 0u64;
        let mut ids = Vec::new();
        while let Some(batch) = recv.blocking_recv() {
            for row in &batch {
                let mut cells = [Cell::Null; MAX_COLUMNS];
                for (slot, c) in cells.iter_mut().zip(row) {
                    *slot = c.as_cell();
                }
                let cells = &cells[..row.len()];
                if collect_ids {
                    if let Some(OwnedCell::Int(id)) = row.first() {
                        ids.push(*id);
                    }
                }
                sink.row(cells)?;
                n += 1;
            }
            writer_progress.advance_to(n)?;
        }
        sink.finish()?;
        writer_progress.advance_to(n)?;
        Ok(Outcome { rows: n, ids })
    });

    let mut stream = query(rows).fetch(&mut *tx);
    let mut batch = Vec::with_capacity(BATCH);
    let mut read_error = None;
    loop {
        match stream.try_next().await {
            Ok(Some(row)) => {
                batch.push(owned(&row, columns)?);
                if batch.len() == BATCH
                    && send
                        .send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                        .await
                        .is_err()
                {
                    // The writer stopped (cancelled or failed); its result
                    // says why.
                    break;
                }
            }
            Ok(None) => {
                if !batch.is_empty() {
                    let _ = send.send(batch).await;
                }
                break;
            }
            Err(e) => {
                read_error = Some(e);
                break;
            }
        }
    }
    drop(stream);
    drop(send);
    let written = writer
        .await
        .map_err(|e| ExportError::Db(format!("export writer panicked: {e}")))?;
    if let Some(e) = read_error {
        return Err(e.into());
    }
    tx.rollback().await.ok();
    written
}
