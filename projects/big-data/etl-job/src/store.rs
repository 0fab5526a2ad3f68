//! Delta tables as the ETL sees them: open (or learn that a table does not exist yet), list
//! and read live files in parallel, and commit a whole run's output for one table in one
//! commit whose metadata carries the run's watermark.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use deltalake::DeltaTable;
use deltalake::kernel::StructType;
use deltalake::kernel::engine::arrow_conversion::TryIntoKernel as _;
use futures_util::{StreamExt, TryStreamExt};
use serde_json::Value;

/// Opens the table `name` under `lake`; `None` when it has never been written.
pub async fn open(lake: &str, name: &str) -> anyhow::Result<Option<DeltaTable>> {
    lake::open_existing(lake, name).await
}

/// Opens `name`, creating it with `schema` (no partitions) on first use.
pub async fn open_or_create(
    lake: &str,
    name: &str,
    schema: &SchemaRef,
    comment: &str,
) -> anyhow::Result<DeltaTable> {
    let kernel: StructType = schema
        .as_ref()
        .try_into_kernel()
        .map_err(|e| anyhow::anyhow!("{name}: the schema has no Delta equivalent: {e}"))?;
    let short = name.rsplit('/').next().unwrap_or(name).to_string();
    lake::open_or_create(lake, name, |c| {
        c.with_table_name(short)
            .with_comment(comment)
            .with_columns(kernel.fields().cloned())
    })
    .await
}

/// The object-store paths of the table's live data files (empty before the first commit).
pub fn files(table: &DeltaTable) -> anyhow::Result<Vec<String>> {
    if table.version().is_none() {
        return Ok(Vec::new());
    }
    Ok(table
        .snapshot()?
        .log_data()
        .into_iter()
        .map(|add| add.object_store_path().to_string())
        .collect())
}

/// The app metadata of the table's latest commit (the watermark of the run that wrote it).
pub async fn last_metadata(table: &DeltaTable) -> anyhow::Result<HashMap<String, Value>> {
    let mut history = table.history(Some(1));
    match history.next().await {
        Some(info) => Ok(info?.info),
        None => Ok(HashMap::new()),
    }
}

/// Reads `paths` of `table` (every column), decoding up to `parallel` files at once on the
/// blocking pool, and hands each batch to `map` there (the staging step parses JSON in it).
pub async fn read_files<F>(
    table: &DeltaTable,
    paths: Vec<String>,
    parallel: usize,
    map: F,
) -> anyhow::Result<Vec<RecordBatch>>
where
    F: Fn(RecordBatch) -> anyhow::Result<RecordBatch> + Send + Sync + 'static,
{
    use deltalake::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use object_store::ObjectStoreExt as _;
    let store = table.object_store();
    let map = Arc::new(map);
    let results: Vec<Vec<RecordBatch>> = futures_util::stream::iter(paths)
        .map(|path| {
            let store = store.clone();
            let map = map.clone();
            async move {
                let location = object_store::path::Path::from(path.as_str());
                let bytes = async { store.get(&location).await?.bytes().await }
                    .await
                    .map_err(|e| anyhow::anyhow!("reading {path}: {e}"))?;
                tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<RecordBatch>> {
                    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
                        .and_then(|b| b.with_batch_size(16 * 1024).build())
                        .map_err(|e| anyhow::anyhow!("reading {path}: {e}"))?;
                    let mut out = Vec::new();
                    for batch in reader {
                        let batch = batch.map_err(|e| anyhow::anyhow!("reading {path}: {e}"))?;
                        out.push(map(batch).map_err(|e| anyhow::anyhow!("{path}: {e:#}"))?);
                    }
                    Ok(out)
                })
                .await?
            }
        })
        .buffer_unordered(parallel.max(1))
        .try_collect()
        .await?;
    Ok(results.into_iter().flatten().collect())
}

pub use lake::{Mode, commit};
