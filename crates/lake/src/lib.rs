//! The Delta lake's shared ground: lake roots (a folder, `file://` or `s3://`), opening and
//! creating tables, and the contract of the bronze table, `bronze/task_events`: every valid
//! (masked) event as received, partitioned by the event's date, written with the `deltalake`
//! crate. The stream consumer writes it; the ETL (and its data generator) read and write it.
//!
//! Exactly once: each commit carries a Delta application transaction per Kafka partition
//! (`txn` action: app id `<group>/<topic>/<partition>`, version = the last offset written). On
//! start the consumer seeks every partition past the version recorded in the table, so messages
//! redelivered after a crash between the lake commit and the Kafka offset commit are skipped;
//! event ids already in the table are skipped too (a producer may publish an event twice).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use deltalake::arrow::array::{
    ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use deltalake::arrow::datatypes::{DataType as ArrowType, Field, Schema, TimeUnit};
use deltalake::kernel::transaction::CommitProperties;
use deltalake::kernel::{DataType, PrimitiveType, StructField, Transaction};
use deltalake::operations::create::CreateBuilder;
use deltalake::writer::{DeltaWriter, RecordBatchWriter};
use deltalake::{DeltaTable, DeltaTableError};
use futures_util::TryStreamExt as _;
use url::Url;

/// The Delta crate this lake is written with (its Arrow types for readers).
pub use deltalake;

/// One row of `bronze/task_events`.
#[derive(Debug, Clone, PartialEq)]
pub struct BronzeRow {
    pub event_id: String,
    pub event_type: String,
    pub source: String,
    pub subject: Option<String>,
    pub time: DateTime<Utc>,
    pub project_id: String,
    /// The masked CloudEvents JSON.
    pub event: String,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// The URL schemes a lake root may use besides a plain folder.
pub const SCHEMES: [&str; 3] = ["file", "s3", "s3a"];

/// Checks a lake root: `None` for a plain folder, else its URL (`file://` or
/// `s3://BUCKET/PREFIX`), refusing other schemes and bucket-less S3 URLs with the reason.
pub fn parse_root(lake: &str) -> anyhow::Result<Option<Url>> {
    if !lake.contains("://") {
        return Ok(None);
    }
    let url = Url::parse(lake).map_err(|e| anyhow::anyhow!("LAKE_URL `{lake}`: {e}"))?;
    anyhow::ensure!(
        SCHEMES.contains(&url.scheme()),
        "LAKE_URL `{lake}`: {}:// lakes are not supported (use a folder, file:// or s3://)",
        url.scheme()
    );
    if url.scheme().starts_with("s3") {
        anyhow::ensure!(
            url.host_str().is_some_and(|h| !h.is_empty()),
            "LAKE_URL `{lake}`: an s3:// URL names a bucket (s3://BUCKET/PREFIX)"
        );
        register_object_storage();
    }
    Ok(Some(url))
}

/// A relative folder (a lake root, or a file beside it) is relative to the repository under
/// `portfolio up` (which sets `PORTFOLIO_ROOT` and runs services in their project folder),
/// else to the working folder; URLs and absolute paths are kept.
pub fn resolve(path: &str) -> String {
    match std::env::var("PORTFOLIO_ROOT") {
        Ok(root) if !path.contains("://") && std::path::Path::new(path).is_relative() => {
            std::path::Path::new(&root).join(path).display().to_string()
        }
        _ => path.to_string(),
    }
}

/// The table's location under the lake root: a folder (created if missing), a `file://` URL,
/// or an `s3://BUCKET/PREFIX` URL.
pub fn table_url(lake: &str, table: &str) -> anyhow::Result<Url> {
    let joined = format!("{}/{table}", lake.trim_end_matches('/'));
    if parse_root(lake)?.is_some() {
        return Url::parse(&joined).map_err(|e| anyhow::anyhow!("LAKE_URL `{lake}`: {e}"));
    }
    let path = std::path::Path::new(&joined);
    std::fs::create_dir_all(path).map_err(|e| anyhow::anyhow!("creating {joined}: {e}"))?;
    let abs = path.canonicalize()?;
    Url::from_directory_path(&abs).map_err(|_| anyhow::anyhow!("{} is not a folder", abs.display()))
}

fn arrow_schema() -> Arc<Schema> {
    let ts = ArrowType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    Arc::new(Schema::new(vec![
        Field::new("event_id", ArrowType::Utf8, false),
        Field::new("type", ArrowType::Utf8, false),
        Field::new("source", ArrowType::Utf8, false),
        Field::new("subject", ArrowType::Utf8, true),
        Field::new("time", ts.clone(), false),
        Field::new("project_id", ArrowType::Utf8, false),
        Field::new("event", ArrowType::Utf8, false),
        Field::new("kafka_topic", ArrowType::Utf8, false),
        Field::new("kafka_partition", ArrowType::Int32, false),
        Field::new("kafka_offset", ArrowType::Int64, false),
        Field::new("ingested_at", ts, false),
        Field::new("date", ArrowType::Utf8, false),
    ]))
}

fn delta_columns() -> Vec<StructField> {
    let s = |n: &str, nullable| {
        StructField::new(n, DataType::Primitive(PrimitiveType::String), nullable)
    };
    vec![
        s("event_id", false),
        s("type", false),
        s("source", false),
        s("subject", true),
        StructField::new("time", DataType::Primitive(PrimitiveType::Timestamp), false),
        s("project_id", false),
        s("event", false),
        s("kafka_topic", false),
        StructField::new(
            "kafka_partition",
            DataType::Primitive(PrimitiveType::Integer),
            false,
        ),
        StructField::new(
            "kafka_offset",
            DataType::Primitive(PrimitiveType::Long),
            false,
        ),
        StructField::new(
            "ingested_at",
            DataType::Primitive(PrimitiveType::Timestamp),
            false,
        ),
        s("date", false),
    ]
}

/// Makes `s3://` (and `s3a://`) table URLs work in deltalake through the same code as folders:
/// object_store's S3 client, configured like the AWS tools from the `AWS_*` environment
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL` for an
/// S3-compatible server, `AWS_ALLOW_HTTP=true` for a plain-HTTP one), and Delta's default log
/// store. Its commits are conditional puts (`If-None-Match: *`, which S3 and compatible servers
/// honour), so several consumers of a group commit to one table without a lock table.
pub fn register_object_storage() {
    use deltalake::logstore::object_store::ObjectStoreScheme;
    use deltalake::logstore::object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
    use deltalake::logstore::object_store::path::Path;
    use deltalake::logstore::{
        LogStore, LogStoreFactory, ObjectStoreFactory, ObjectStoreRef, StorageConfig,
        default_logstore, logstore_factories, object_store_factories,
    };
    use deltalake::{DeltaResult, DeltaTableError};

    struct S3;
    impl ObjectStoreFactory for S3 {
        fn parse_url_opts(
            &self,
            url: &Url,
            config: &StorageConfig,
        ) -> DeltaResult<(ObjectStoreRef, Path)> {
            let mut builder = AmazonS3Builder::from_env().with_url(url.as_str());
            for (key, value) in &config.raw {
                if let Ok(key) = key.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
                    builder = builder.with_config(key, value);
                }
            }
            let store = builder.build()?;
            let (scheme, path) = ObjectStoreScheme::parse(url)
                .map_err(|e| DeltaTableError::InvalidTableLocation(format!("{url}: {e}")))?;
            debug_assert_eq!(scheme, ObjectStoreScheme::AmazonS3);
            Ok((Arc::new(store), path))
        }
    }
    impl LogStoreFactory for S3 {
        fn with_options(
            &self,
            prefixed_store: ObjectStoreRef,
            root_store: ObjectStoreRef,
            location: &Url,
            options: &StorageConfig,
        ) -> DeltaResult<Arc<dyn LogStore>> {
            Ok(default_logstore(
                prefixed_store,
                root_store,
                location,
                options,
            ))
        }
    }

    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let s3 = Arc::new(S3);
        for scheme in ["s3://", "s3a://"] {
            let url = Url::parse(scheme).expect("a scheme");
            object_store_factories().insert(url.clone(), s3.clone());
            logstore_factories().insert(url, s3.clone());
        }
    });
}

/// Opens the table `name` under `lake`; `None` when it has never been written (asked first,
/// so a missing table is no ERROR line from the Delta kernel).
pub async fn open_existing(lake: &str, name: &str) -> anyhow::Result<Option<DeltaTable>> {
    let url = table_url(lake, name)?;
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

/// Opens the table `name` under `lake`, creating it with `create` on first use. Whether it
/// exists is asked first: loading a missing table makes the Delta kernel log an ERROR ("No
/// files in log segment") that is no error on a first start.
pub async fn open_or_create(
    lake: &str,
    name: &str,
    create: impl FnOnce(CreateBuilder) -> CreateBuilder,
) -> anyhow::Result<DeltaTable> {
    if let Some(table) = open_existing(lake, name).await? {
        return Ok(table);
    }
    let url = table_url(lake, name)?;
    let table = deltalake::DeltaTableBuilder::from_url(url.clone())
        .and_then(|b| b.build())
        .map_err(|e| anyhow::anyhow!("opening {url}: {e}"))?;
    create(table.create())
        .await
        .map_err(|e| anyhow::anyhow!("creating {url}: {e}"))
}

/// Opens `bronze/task_events` under `lake`, creating it on first use.
pub async fn open_bronze(lake: &str) -> anyhow::Result<DeltaTable> {
    open_or_create(lake, "bronze/task_events", |c| {
        c.with_table_name("task_events")
            .with_comment("Every valid events.tasks event as received (PII masked), by event date")
            .with_columns(delta_columns())
            .with_partition_columns(["date"])
    })
    .await
}

/// The application-transaction id of one Kafka partition.
pub fn app_id(group: &str, topic: &str, partition: i32) -> String {
    format!("{group}/{topic}/{partition}")
}

/// The last offset the table holds for each partition (from its `txn` actions).
pub async fn committed_offsets(
    table: &DeltaTable,
    group: &str,
    topic: &str,
    partitions: &[i32],
) -> anyhow::Result<BTreeMap<i32, i64>> {
    let mut out = BTreeMap::new();
    let snapshot = table.snapshot()?;
    let store = table.log_store();
    for p in partitions {
        if let Some(v) = snapshot
            .transaction_version(store.as_ref(), app_id(group, topic, *p))
            .await?
        {
            out.insert(*p, v);
        }
    }
    Ok(out)
}

/// Every row's event id, duplicates kept (the tests count them).
pub async fn event_id_list(table: &DeltaTable) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::new();
    for batch in read_columns(table, &["event_id"]).await? {
        let col = batch
            .column(0)
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| anyhow::anyhow!("event_id is not a string column"))?;
        ids.extend(col.iter().flatten().map(str::to_string));
    }
    Ok(ids)
}

/// The named columns of every live file of the table, as Arrow batches, read through the
/// table's object store (a folder or a bucket alike).
pub async fn read_columns(
    table: &DeltaTable,
    columns: &[&str],
) -> anyhow::Result<Vec<RecordBatch>> {
    use deltalake::parquet::arrow::ProjectionMask;
    use deltalake::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let mut out = Vec::new();
    if table.version().is_none() {
        return Ok(out);
    }
    let store = table.object_store();
    let files: Vec<_> = table
        .snapshot()?
        .log_data()
        .into_iter()
        .map(|add| add.object_store_path())
        .collect();
    for path in files {
        // Data files are one batch each (a few MB at most): fetch whole, decode in memory.
        use object_store::ObjectStoreExt as _;
        let bytes = async { store.get(&path).await?.bytes().await }
            .await
            .map_err(|e| anyhow::anyhow!("reading {path}: {e}"))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes)
            .map_err(|e| anyhow::anyhow!("reading {path}: {e}"))?;
        let mask = ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
        let batches = builder
            .with_projection(mask)
            .build()?
            .collect::<Result<Vec<RecordBatch>, _>>()
            .map_err(|e| anyhow::anyhow!("reading {path}: {e}"))?;
        for batch in batches {
            // Projection keeps the file's column order: put them in the order asked for.
            let schema = batch.schema();
            let ordered: Vec<ArrayRef> = columns
                .iter()
                .map(|c| {
                    schema
                        .index_of(c)
                        .map(|i| batch.column(i).clone())
                        .map_err(|_| anyhow::anyhow!("{path}: no column {c}"))
                })
                .collect::<anyhow::Result<_>>()?;
            let fields: Vec<Field> = columns
                .iter()
                .map(|c| schema.field_with_name(c).cloned().expect("checked"))
                .collect();
            out.push(RecordBatch::try_new(
                Arc::new(Schema::new(fields)),
                ordered,
            )?);
        }
    }
    Ok(out)
}

/// Appends `rows` in one commit that also records `offsets` (partition → last offset).
pub async fn append(
    table: &mut DeltaTable,
    rows: &[BronzeRow],
    group: &str,
    topic: &str,
    offsets: &BTreeMap<i32, i64>,
) -> Result<(), DeltaTableError> {
    let now = Utc::now().timestamp_micros();
    let col = |f: &dyn Fn(&BronzeRow) -> String| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
    };
    let columns: Vec<ArrayRef> = vec![
        col(&|r| r.event_id.clone()),
        col(&|r| r.event_type.clone()),
        col(&|r| r.source.clone()),
        Arc::new(StringArray::from_iter(
            rows.iter().map(|r| r.subject.clone()),
        )),
        Arc::new(
            TimestampMicrosecondArray::from_iter_values(
                rows.iter().map(|r| r.time.timestamp_micros()),
            )
            .with_timezone("UTC"),
        ),
        col(&|r| r.project_id.clone()),
        col(&|r| r.event.clone()),
        col(&|r| r.topic.clone()),
        Arc::new(Int32Array::from_iter_values(
            rows.iter().map(|r| r.partition),
        )),
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.offset))),
        Arc::new(
            TimestampMicrosecondArray::from_iter_values(rows.iter().map(|_| now))
                .with_timezone("UTC"),
        ),
        col(&|r| r.time.format("%Y-%m-%d").to_string()),
    ];
    let batch = RecordBatch::try_new(arrow_schema(), columns)?;
    let txns = offsets
        .iter()
        .map(|(p, o)| Transaction::new(app_id(group, topic, *p), *o))
        .collect();
    let mut writer = RecordBatchWriter::for_table(table)?
        .with_commit_properties(CommitProperties::default().with_application_transactions(txns));
    if !rows.is_empty() {
        writer.write(batch).await?;
    }
    writer.flush_and_commit(table).await?;
    Ok(())
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
    metadata: std::collections::HashMap<String, serde_json::Value>,
) -> anyhow::Result<()> {
    let mut actions: Vec<deltalake::kernel::Action> = Vec::new();
    if batches.iter().any(|b| b.num_rows() > 0) {
        let mut writer = RecordBatchWriter::for_table(table)?;
        for batch in batches.iter().filter(|b| b.num_rows() > 0) {
            writer.write(batch.clone()).await?;
        }
        actions.extend(
            writer
                .flush()
                .await?
                .into_iter()
                .map(deltalake::kernel::Action::Add),
        );
    }
    let snapshot = table.snapshot()?;
    let store = table.log_store();
    if mode == Mode::Overwrite {
        let old: Vec<_> = snapshot
            .snapshot()
            .file_views(store.as_ref(), None)
            .try_collect::<Vec<_>>()
            .await?;
        actions.extend(
            old.iter()
                .map(|f| deltalake::kernel::Action::Remove(f.remove_action(true))),
        );
    }
    let operation = deltalake::protocol::DeltaOperation::Write {
        mode: match mode {
            Mode::Overwrite => deltalake::protocol::SaveMode::Overwrite,
            Mode::Append => deltalake::protocol::SaveMode::Append,
        },
        partition_by: None,
        predicate: None,
    };
    deltalake::kernel::transaction::CommitBuilder::default()
        .with_actions(actions)
        .with_app_metadata(metadata)
        .build(Some(snapshot), store.clone(), operation)
        .await?;
    table.load().await?;
    Ok(())
}
