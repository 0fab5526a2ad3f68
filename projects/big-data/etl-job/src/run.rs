//! One ETL run: stage what bronze gained since the last run, then run the models and commit
//! each gold table whose input changed, after its checks pass.
//!
//! Watermarks live in the tables' commit metadata: the staging table records the bronze
//! version it has staged (`etl.bronze_version`), every gold table the staging version and run
//! date it was built from (`etl.stg_version`, `etl.run_date`). So a finished run rerun changes
//! nothing, and a run killed anywhere leaves every table at its last commit; the next run sees
//! which tables are behind and brings them up to date.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDate;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use serde::Serialize;
use serde_json::{Value, json};

use crate::lineage::{Dataset, Lineage, Sink};
use crate::models::{Materialized, Model, Params};
use crate::quality::{self, Outcome, Severity};
use crate::staging;
use crate::store::{self, Mode};

/// What a run does.
#[derive(Debug, Clone)]
pub struct Options {
    /// The lake root: a folder, `file://` or `s3://BUCKET/PREFIX`.
    pub lake: String,
    /// Restage all of bronze and rewrite every table.
    pub full_refresh: bool,
    /// The date the date-dependent models compute for (default: today, UTC).
    pub run_date: NaiveDate,
    pub models: Vec<Model>,
    pub lineage: Sink,
    /// Files of bronze decoded at once (default: the machine's cores).
    pub parallel: usize,
    /// A test hook: abort the process right after the named step (`staging` or a model).
    pub crash_after: Option<String>,
}

/// How staging went.
#[derive(Debug, Clone, Serialize, Default)]
pub struct StagingReport {
    /// The bronze version staged after this run.
    pub bronze_version: Option<u64>,
    pub full_refresh: bool,
    pub new_files: usize,
    pub rows_added: usize,
    /// Rows in the staging table after the run.
    pub rows: usize,
    pub committed: bool,
    pub seconds: f64,
}

/// How one table went.
#[derive(Debug, Clone, Serialize)]
pub struct TableReport {
    pub model: String,
    pub table: String,
    /// `committed`, `unchanged` (its inputs did not change) or `failed`.
    pub status: String,
    pub rows: Option<usize>,
    pub version: Option<u64>,
    pub seconds: f64,
    pub checks: Vec<Outcome>,
    pub error: Option<String>,
}

/// The run's report (`--json` prints it).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub run_id: String,
    pub lake: String,
    pub run_date: NaiveDate,
    pub staging: StagingReport,
    pub tables: Vec<TableReport>,
    pub seconds: f64,
    /// Every table is committed or unchanged.
    pub ok: bool,
    pub lineage_errors: Vec<String>,
}

impl Report {
    /// Every check outcome of the run.
    pub fn outcomes(&self) -> Vec<Outcome> {
        self.tables
            .iter()
            .flat_map(|t| t.checks.iter().cloned())
            .collect()
    }
}

fn crash_point(options: &Options, step: &str) {
    if options.crash_after.as_deref() == Some(step) {
        tracing::warn!(step, "ETL_CRASH_AFTER: aborting the process");
        std::process::abort();
    }
}

fn meta_u64(meta: &HashMap<String, Value>, key: &str) -> Option<u64> {
    meta.get(key).and_then(Value::as_u64)
}

/// Runs the ETL once.
pub async fn run(options: &Options) -> anyhow::Result<Report> {
    let started = Instant::now();
    let lake_root = &options.lake;
    lake::parse_root(lake_root)?;
    let mut lineage = Lineage::new(options.lineage.clone(), lake_root);
    let params = Params {
        run_date: options.run_date,
    };

    let Some(bronze) = store::open(lake_root, staging::BRONZE).await? else {
        anyhow::bail!(
            "no table {} under {lake_root}: start the stream consumer (`portfolio up`) or \
             generate one with `etl-job gen-bronze --lake {lake_root}`",
            staging::BRONZE
        );
    };

    // 1. Staging.
    let t = Instant::now();
    let stg_input = Dataset::new(staging::BRONZE);
    let mut stg_output = Dataset::new(staging::TABLE);
    lineage.emit(lineage.event(
        "START",
        "staging",
        std::slice::from_ref(&stg_input),
        &[],
        None,
    ));
    let run_id = lineage.run_id.clone();
    let staged = stage(options, &bronze, &run_id).await;
    let (mut stg_table, mut staging_report) = match staged {
        Ok(v) => v,
        Err(e) => {
            let message = format!("{e:#}");
            lineage.emit(lineage.event("FAIL", "staging", &[stg_input], &[], Some(&message)));
            return Err(e);
        }
    };
    crash_point(options, "staging");
    stg_table.load().await?;
    let stg_version = stg_table.version().unwrap_or(0);
    let stg_batches = store::read_files(
        &stg_table,
        store::files(&stg_table)?,
        options.parallel,
        staging::conform,
    )
    .await?;
    staging_report.rows = stg_batches.iter().map(RecordBatch::num_rows).sum();
    staging_report.seconds = t.elapsed().as_secs_f64();
    stg_output.schema = Some(staging::schema().as_ref().clone());
    stg_output.rows = Some(staging_report.rows);
    lineage.emit(lineage.event(
        "COMPLETE",
        "staging",
        &[stg_input],
        &[stg_output.clone()],
        None,
    ));

    // 2. Models.
    let ctx = session(options.parallel);
    crate::udf::register(&ctx);
    ctx.register_table(
        "stg_task_events",
        Arc::new(MemTable::try_new(
            staging::schema(),
            partitions(stg_batches, options.parallel),
        )?),
    )?;
    let mut tables = Vec::new();
    for model in &options.models {
        let sql = model.render(&params);
        if model.materialized == Materialized::View {
            ctx.sql(&format!("CREATE VIEW {} AS {sql}", model.name))
                .await
                .map_err(|e| anyhow::anyhow!("model {}: {e}", model.name))?;
            continue;
        }
        let report = table_model(
            options,
            &ctx,
            model,
            &sql,
            stg_version,
            &mut lineage,
            &stg_output,
        )
        .await;
        tables.push(report);
        crash_point(options, &model.name);
    }
    let ok = tables.iter().all(|t| t.status != "failed");
    Ok(Report {
        run_id: lineage.run_id.clone(),
        lake: lake_root.clone(),
        run_date: options.run_date,
        staging: staging_report,
        tables,
        seconds: started.elapsed().as_secs_f64(),
        ok,
        lineage_errors: lineage.errors.clone(),
    })
}

fn session(parallel: usize) -> SessionContext {
    let config = SessionConfig::new()
        .with_target_partitions(parallel.max(1))
        .with_information_schema(false);
    SessionContext::new_with_config(config)
}

/// Deals `batches` round-robin into `n` partitions (DataFusion scans one per core).
fn partitions(batches: Vec<RecordBatch>, n: usize) -> Vec<Vec<RecordBatch>> {
    let n = n.max(1);
    let mut out = vec![Vec::new(); n];
    for (i, b) in batches.into_iter().enumerate() {
        out[i % n].push(b);
    }
    out
}

/// Stages bronze's new files (all of them on a full refresh) in one commit.
async fn stage(
    options: &Options,
    bronze: &deltalake::DeltaTable,
    run_id: &str,
) -> anyhow::Result<(deltalake::DeltaTable, StagingReport)> {
    let bronze_version = bronze.version().unwrap_or(0);
    let mut stg = store::open_or_create(
        &options.lake,
        staging::TABLE,
        &staging::schema(),
        "bronze/task_events' task events with typed columns (etl-job's staging)",
    )
    .await?;
    let meta = store::last_metadata(&stg).await?;
    let watermark = meta_u64(&meta, "etl.bronze_version");
    let current: Vec<String> = store::files(bronze)?;
    let mut full = options.full_refresh || watermark.is_none();
    let mut new_files = current.clone();
    if let (false, Some(w)) = (full, watermark) {
        if w > bronze_version {
            tracing::warn!(
                staged = w,
                bronze = bronze_version,
                "bronze is older than what was staged (recreated?): full refresh"
            );
            full = true;
        } else if w == bronze_version {
            new_files.clear();
        } else {
            let mut then = bronze.clone();
            then.load_version(w).await?;
            let before: HashSet<String> = store::files(&then)?.into_iter().collect();
            let now: HashSet<&String> = current.iter().collect();
            if before.iter().any(|f| !now.contains(f)) {
                tracing::warn!(
                    "bronze files staged earlier were removed (compaction?): full refresh"
                );
                full = true;
            } else {
                new_files.retain(|f| !before.contains(f));
            }
        }
    }
    let mut report = StagingReport {
        bronze_version: Some(bronze_version),
        full_refresh: full,
        new_files: new_files.len(),
        ..StagingReport::default()
    };
    if !full && watermark == Some(bronze_version) {
        return Ok((stg, report));
    }
    let batches = store::read_files(bronze, new_files, options.parallel, staging::stage).await?;
    report.rows_added = batches.iter().map(RecordBatch::num_rows).sum();
    let metadata = HashMap::from([
        ("etl.bronze_version".to_string(), json!(bronze_version)),
        ("etl.run_id".to_string(), json!(run_id)),
    ]);
    store::commit(
        &mut stg,
        &batches,
        if full { Mode::Overwrite } else { Mode::Append },
        metadata,
    )
    .await?;
    report.committed = true;
    Ok((stg, report))
}

/// The output's schema as written: every column nullable, no metadata (so a column that
/// happens to have no nulls in one run writes the same table schema as the next).
fn written_schema(schema: &Schema) -> SchemaRef {
    Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| Field::new(f.name(), f.data_type().clone(), true))
            .collect::<Vec<_>>(),
    ))
}

async fn table_model(
    options: &Options,
    ctx: &SessionContext,
    model: &Model,
    sql: &str,
    stg_version: u64,
    lineage: &mut Lineage,
    input: &Dataset,
) -> TableReport {
    let t = Instant::now();
    let table_name = model.table.clone().expect("table models name a table");
    let mut report = TableReport {
        model: model.name.clone(),
        table: table_name.clone(),
        status: "failed".into(),
        rows: None,
        version: None,
        seconds: 0.0,
        checks: Vec::new(),
        error: None,
    };
    let mut output = Dataset::new(&table_name);
    let inputs = [input.clone()];
    lineage.emit(lineage.event("START", &model.name, &inputs, &[output.clone()], None));
    let result: anyhow::Result<()> = async {
        let existing = store::open(&options.lake, &table_name).await?;
        let meta = match &existing {
            Some(t) => store::last_metadata(t).await?,
            None => HashMap::new(),
        };
        let up_to_date = !options.full_refresh
            && meta_u64(&meta, "etl.stg_version") == Some(stg_version)
            && (!model.uses_run_date
                || meta.get("etl.run_date").and_then(Value::as_str)
                    == Some(options.run_date.to_string().as_str()));
        if up_to_date {
            report.status = "unchanged".into();
            report.rows = meta_u64(&meta, "etl.rows").map(|r| r as usize);
            report.version = existing.as_ref().and_then(|t| t.version());
            return Ok(());
        }
        let order = model.key.join(", ");
        let df = ctx
            .sql(&format!("SELECT * FROM ({sql}) model ORDER BY {order}"))
            .await
            .map_err(|e| anyhow::anyhow!("model {}: {e}", model.name))?;
        let batches = df
            .collect()
            .await
            .map_err(|e| anyhow::anyhow!("model {}: {e}", model.name))?;
        let schema = match batches.first() {
            Some(b) => b.schema(),
            None => Arc::new(ctx.sql(sql).await?.schema().as_arrow().clone()),
        };
        let schema = written_schema(&schema);
        let batches: Vec<RecordBatch> = batches
            .into_iter()
            .map(|b| RecordBatch::try_new(schema.clone(), b.columns().to_vec()))
            .collect::<Result<_, _>>()?;
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        report.rows = Some(rows);
        output.schema = Some(schema.as_ref().clone());
        output.rows = Some(rows);

        // Checks on the candidate rows, before anything is written.
        let candidate = SessionContext::new();
        candidate.register_table(
            "candidate",
            Arc::new(MemTable::try_new(schema.clone(), vec![batches.clone()])?),
        )?;
        report.checks = quality::run(
            &candidate,
            &model.checks,
            &quality::Context {
                table: &table_name,
                run_date: options.run_date,
                previous_rows: meta_u64(&meta, "etl.rows").map(|r| r as usize),
                rows,
            },
        )
        .await?;
        let failed: Vec<&Outcome> = report
            .checks
            .iter()
            .filter(|o| !o.passed && o.severity == Severity::Error)
            .collect();
        if !failed.is_empty() {
            anyhow::bail!(
                "not committed: {}",
                failed
                    .iter()
                    .map(|o| format!("check `{}` failed: {}", o.check, o.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
        let mut table = match existing {
            Some(t) => t,
            None => {
                store::open_or_create(
                    &options.lake,
                    &table_name,
                    &schema,
                    &format!("etl-job model {} (see the etl-job README)", model.name),
                )
                .await?
            }
        };
        let metadata = HashMap::from([
            ("etl.stg_version".to_string(), json!(stg_version)),
            (
                "etl.run_date".to_string(),
                json!(options.run_date.to_string()),
            ),
            ("etl.rows".to_string(), json!(rows)),
            ("etl.run_id".to_string(), json!(lineage.run_id)),
        ]);
        store::commit(&mut table, &batches, Mode::Overwrite, metadata).await?;
        report.version = table.version();
        report.status = "committed".into();
        Ok(())
    }
    .await;
    report.seconds = t.elapsed().as_secs_f64();
    match result {
        Ok(()) => {
            lineage.emit(lineage.event("COMPLETE", &model.name, &inputs, &[output], None));
        }
        Err(e) => {
            let message = format!("{e:#}");
            lineage.emit(lineage.event("FAIL", &model.name, &inputs, &[output], Some(&message)));
            report.error = Some(message);
        }
    }
    report
}

/// Writes the checks' outcomes as `quality.json` and `quality.junit.xml` into `dir`.
pub fn write_quality(report: &Report, dir: &PathBuf) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
    let outcomes = report.outcomes();
    let json = serde_json::to_string_pretty(&json!({
        "run_id": report.run_id,
        "run_date": report.run_date,
        "checks": outcomes,
    }))?;
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))
    };
    write("quality.json", &json)?;
    write("quality.junit.xml", &quality::junit(&outcomes))?;
    Ok(())
}
