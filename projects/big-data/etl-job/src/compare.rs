//! `etl-job compare`: the gold tables of this lake against another engine's output (a folder
//! of Parquet or Delta tables with the same names), row for row by each table's key, floats
//! within a tolerance. The Spark equivalence test and `bench/etl.sh` use it.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::datasource::MemTable;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use serde::Serialize;

use crate::models::{Materialized, Model};
use crate::store;

/// How one table compared.
#[derive(Debug, Clone, Serialize)]
pub struct TableDiff {
    pub table: String,
    pub rows: usize,
    pub other_rows: usize,
    /// Up to ten differences, in words.
    pub differences: Vec<String>,
    pub identical: bool,
}

/// Compares every table model's output under `lake` with `other/<table>`.
pub async fn compare(
    lake_root: &str,
    other: &Path,
    models: &[Model],
    tolerance: f64,
) -> anyhow::Result<Vec<TableDiff>> {
    let mut out = Vec::new();
    for model in models
        .iter()
        .filter(|m| m.materialized == Materialized::Table)
    {
        let table = model.table.as_deref().expect("table models name a table");
        let ctx = SessionContext::new();
        let Some(ours) = store::open(lake_root, table).await? else {
            anyhow::bail!("{lake_root} has no table {table}: run `etl-job run` first");
        };
        let batches = store::read_files(&ours, store::files(&ours)?, 2, Ok).await?;
        let schema = match batches.first() {
            Some(b) => b.schema(),
            None => anyhow::bail!("{table} is empty under {lake_root}"),
        };
        ctx.register_table("ours", Arc::new(MemTable::try_new(schema, vec![batches])?))?;
        let theirs = other.join(table);
        anyhow::ensure!(theirs.is_dir(), "{}: no such folder", theirs.display());
        ctx.register_parquet(
            "theirs",
            theirs
                .to_str()
                .ok_or_else(|| anyhow::anyhow!("{}: not UTF-8", theirs.display()))?,
            ParquetReadOptions::default(),
        )
        .await?;
        let order = model.key.join(", ");
        let load = |name: &str| {
            let ctx = ctx.clone();
            let sql = format!("SELECT * FROM {name} ORDER BY {order}");
            async move {
                let batches = ctx.sql(&sql).await?.collect().await?;
                anyhow::Ok(batches)
            }
        };
        let a = load("ours").await?;
        let b = load("theirs").await?;
        out.push(diff(table, &a, &b, tolerance)?);
    }
    Ok(out)
}

fn one(batches: &[RecordBatch]) -> anyhow::Result<Option<RecordBatch>> {
    match batches.first() {
        None => Ok(None),
        Some(first) => Ok(Some(concat_batches(&first.schema(), batches)?)),
    }
}

fn text(col: &ArrayRef) -> anyhow::Result<ArrayRef> {
    Ok(cast(col, &DataType::Utf8)?)
}

fn is_float(t: &DataType) -> bool {
    matches!(t, DataType::Float16 | DataType::Float32 | DataType::Float64)
}

/// Compares two sorted results column by column (by name).
pub fn diff(
    table: &str,
    a: &[RecordBatch],
    b: &[RecordBatch],
    tolerance: f64,
) -> anyhow::Result<TableDiff> {
    let a = one(a)?;
    let b = one(b)?;
    let rows = a.as_ref().map_or(0, RecordBatch::num_rows);
    let other_rows = b.as_ref().map_or(0, RecordBatch::num_rows);
    let mut differences = Vec::new();
    if rows != other_rows {
        differences.push(format!("{rows} rows against {other_rows}"));
    }
    if let (Some(a), Some(b)) = (&a, &b) {
        let schema = a.schema();
        for field in schema.fields() {
            let name = field.name();
            let Some(theirs) = b.column_by_name(name) else {
                differences.push(format!("column `{name}` is missing on the other side"));
                continue;
            };
            let ours = a.column_by_name(name).expect("own column");
            let n = rows.min(other_rows);
            if is_float(field.data_type()) || is_float(theirs.data_type()) {
                let x = cast(ours, &DataType::Float64)?;
                let y = cast(theirs, &DataType::Float64)?;
                let (x, y) = (
                    x.as_primitive::<Float64Type>(),
                    y.as_primitive::<Float64Type>(),
                );
                for i in 0..n {
                    let same = match (x.is_null(i), y.is_null(i)) {
                        (true, true) => true,
                        (false, false) => (x.value(i) - y.value(i)).abs() <= tolerance,
                        _ => false,
                    };
                    if !same && differences.len() < 10 {
                        differences.push(format!(
                            "row {i} `{name}`: {:?} against {:?}",
                            (!x.is_null(i)).then(|| x.value(i)),
                            (!y.is_null(i)).then(|| y.value(i))
                        ));
                    }
                }
            } else {
                let x = text(ours)?;
                let y = text(theirs)?;
                let (x, y) = (x.as_string::<i32>(), y.as_string::<i32>());
                for i in 0..n {
                    let same = (x.is_null(i) && y.is_null(i))
                        || (!x.is_null(i) && !y.is_null(i) && x.value(i) == y.value(i));
                    if !same && differences.len() < 10 {
                        differences.push(format!(
                            "row {i} `{name}`: {:?} against {:?}",
                            (!x.is_null(i)).then(|| x.value(i)),
                            (!y.is_null(i)).then(|| y.value(i))
                        ));
                    }
                }
            }
        }
        for field in b.schema().fields() {
            if a.column_by_name(field.name()).is_none() {
                differences.push(format!(
                    "column `{}` exists only on the other side",
                    field.name()
                ));
            }
        }
    }
    Ok(TableDiff {
        table: table.to_string(),
        rows,
        other_rows,
        identical: differences.is_empty(),
        differences,
    })
}
