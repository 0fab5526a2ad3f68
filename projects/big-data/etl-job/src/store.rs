//! Delta tables as the ETL sees them: open (or learn that a table does not exist yet), list
//! and read live files in parallel, and commit a whole run's output for one table in one
//! commit whose metadata carries the run's watermark.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use deltalake::DeltaTable;
use deltalake::kernel::engine::arrow_conversion::TryIntoKernel as _;
use deltalake::kernel::transaction::CommitBuilder;
use deltalake::kernel::{Action, StructType};
use deltalake::protocol::{DeltaOperation, SaveMode};
use deltalake::writer::{DeltaWriter, RecordBatchWriter};
use futures_util::{StreamExt, TryStreamExt};
use serde_json::Value;

/// Opens the table `name` under `lake`; `None` when it has never been written.
pub async fn open(lake: &str, name: &str) -> anyhow::Result<Option<DeltaTable>> {
    let url = lake::table_url(lake, name)?;
    let mut table = deltalake::DeltaTableBuilder::from_url(url.clone())
        .and_then(|b| b.build())
        .map_err(|e| anyhow::anyhow!("opening {url}: {e}"))?;
    let exists = table
        .verify_deltatable_existence()
        .await
        .map_err(|e| anyhow::anyhow!("opening {url}: {e}"))?;
    if !exists {
        return Ok(None);
    }
    table
        .load()
        .await
        .map_err(|e| anyhow::anyhow!("opening {url}: {e}"))?;
    Ok(Some(table))
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

/// How a run's output replaces what the table held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every live file is removed in the same commit that adds the new ones.
    Overwrite,
    /// The new files are added beside the live ones.
    Append,
}

/// Writes `batches` to `table` in one commit carrying `metadata` (the watermark); with
/// [`Mode::Overwrite`] the same commit removes every file the table held, so readers see the
/// old state or the new one, never a mix.
pub async fn commit(
    table: &mut DeltaTable,
    batches: &[RecordBatch],
    mode: Mode,
    metadata: HashMap<String, Value>,
) -> anyhow::Result<()> {
    let mut actions: Vec<Action> = Vec::new();
    if batches.iter().any(|b| b.num_rows() > 0) {
        let mut writer = RecordBatchWriter::for_table(table)?;
        for batch in batches.iter().filter(|b| b.num_rows() > 0) {
            writer.write(batch.clone()).await?;
        }
        actions.extend(writer.flush().await?.into_iter().map(Action::Add));
    }
    let snapshot = table.snapshot()?;
    let store = table.log_store();
    if mode == Mode::Overwrite {
        let old: Vec<_> = snapshot
            .snapshot()
            .file_views(store.as_ref(), None)
            .try_collect()
            .await?;
        actions.extend(old.iter().map(|f| Action::Remove(f.remove_action(true))));
    }
    let operation = DeltaOperation::Write {
        mode: match mode {
            Mode::Overwrite => SaveMode::Overwrite,
            Mode::Append => SaveMode::Append,
        },
        partition_by: None,
        predicate: None,
    };
    CommitBuilder::default()
        .with_actions(actions)
        .with_app_metadata(metadata)
        .build(Some(snapshot), store.clone(), operation)
        .await?;
    table.load().await?;
    Ok(())
}
