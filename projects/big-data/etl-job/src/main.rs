//! `etl-job`: see the crate documentation and the project README.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use etl_job::{compare, generator, lineage, models, run, spark};

/// Computes the lake's gold tables from bronze with SQL models on DataFusion.
///
/// Examples:
///   etl-job gen-bronze --events 100000 --projects 20 --days 90   # a realistic bronze table
///   etl-job run                                 # stage what is new, rebuild changed tables
///   etl-job run --full-refresh --json           # rebuild everything from bronze
///   etl-job run --every 60s                     # as `portfolio up` runs it, /metrics on :9202
///   etl-job export-spark --out spark-job        # the same models for Spark SQL
///   python spark-job/etl_spark.py --lake .portfolio/data/lake --out /tmp/spark-gold
///   etl-job compare --other /tmp/spark-gold     # both engines' gold tables, row for row
#[derive(Parser)]
#[command(version, verbatim_doc_comment)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Args, Clone)]
struct LakeArgs {
    /// The lake root: a folder, file:// URL or s3://BUCKET/PREFIX (AWS_* variables configure
    /// S3, AWS_ENDPOINT_URL an S3-compatible server).
    #[arg(long, env = "LAKE_URL", default_value = ".portfolio/data/lake")]
    lake: String,
}

#[derive(Subcommand)]
enum Cmd {
    /// Stage bronze's new events and rebuild the gold tables whose input changed.
    ///
    /// Exits 1 when a table's error check fails (that table keeps its last version; the
    /// others are committed) and 2 on any other error.
    Run(RunArgs),
    /// Write a realistic bronze/task_events table (appends when it exists).
    GenBronze {
        #[command(flatten)]
        lake: LakeArgs,
        /// Events to write in all.
        #[arg(long, default_value_t = 100_000)]
        events: u64,
        #[arg(long, default_value_t = 20)]
        projects: u32,
        /// Days the events span, ending on --end.
        #[arg(long, default_value_t = 90)]
        days: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The window's last day (default: today, UTC).
        #[arg(long)]
        end: Option<NaiveDate>,
        /// Events per Delta commit.
        #[arg(long, default_value_t = 250_000)]
        batch: usize,
        /// Generate for this project id (repeatable; replaces --projects), e.g. a project
        /// of the task API whose KPIs you want to see.
        #[arg(long = "project-id", value_name = "UUID")]
        project_ids: Vec<uuid::Uuid>,
        #[arg(long)]
        json: bool,
    },
    /// Write the Spark version of the job: the models' SQL and a PySpark runner.
    ExportSpark {
        /// The folder to write (created).
        #[arg(long)]
        out: PathBuf,
    },
    /// Compare this lake's gold tables with another engine's (folders of Parquet by table).
    Compare {
        #[command(flatten)]
        lake: LakeArgs,
        /// The folder holding the other engine's gold/<table> folders.
        #[arg(long)]
        other: PathBuf,
        /// Largest difference allowed between two floats.
        #[arg(long, default_value_t = 1e-9)]
        tolerance: f64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    lake: LakeArgs,
    /// Restage all of bronze and rewrite every gold table.
    #[arg(long)]
    full_refresh: bool,
    /// The date the date-dependent tables are computed for (default: today, UTC).
    #[arg(long)]
    run_date: Option<NaiveDate>,
    /// Run the models of this folder (models.toml, <model>.sql, <model>.checks.toml) instead
    /// of the shipped ones.
    #[arg(long)]
    models: Option<PathBuf>,
    /// Append OpenLineage events to this JSONL file.
    #[arg(
        long,
        env = "ETL_LINEAGE_FILE",
        default_value = ".portfolio/data/etl/lineage.jsonl"
    )]
    lineage_file: PathBuf,
    /// Also post OpenLineage events to <URL>/api/v1/lineage.
    #[arg(long, env = "OPENLINEAGE_URL")]
    openlineage_url: Option<String>,
    /// Write the checks' results here (quality.json, quality.junit.xml).
    #[arg(
        long,
        env = "ETL_REPORT_DIR",
        default_value = ".portfolio/data/etl/reports"
    )]
    report_dir: PathBuf,
    /// Run again every INTERVAL (e.g. 60s, 5m) until stopped, serving /metrics.
    #[arg(long, value_parser = parse_interval)]
    every: Option<Duration>,
    /// Where --every serves /healthz, /readyz and /metrics.
    #[arg(long, env = "ETL_METRICS_ADDR", default_value = "127.0.0.1:9202")]
    metrics_addr: SocketAddr,
    /// Bronze files decoded at once (default: the machine's cores).
    #[arg(long)]
    parallel: Option<usize>,
    /// Print the run's report as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_interval(s: &str) -> Result<Duration, String> {
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{s}`: expected a number and a unit, like 60s or 5m"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("`{s}`: the unit is s, m or h")),
    };
    if secs == 0 {
        return Err("the interval must be at least 1s".into());
    }
    Ok(Duration::from_secs(secs))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let telemetry = match telemetry::init(&match telemetry::TelemetryConfig::from_env("etl-job") {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let code = runtime.block_on(async move {
        match main_async(cli, telemetry).await {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(2)
            }
        }
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    code
}

async fn main_async(cli: Cli, telemetry: telemetry::Telemetry) -> anyhow::Result<ExitCode> {
    match cli.cmd {
        Cmd::Run(args) => run_cmd(args, telemetry).await,
        Cmd::GenBronze {
            lake,
            events,
            projects,
            days,
            seed,
            end,
            batch,
            project_ids,
            json,
        } => {
            let spec = generator::Spec {
                events,
                projects,
                days,
                seed,
                end: end.unwrap_or_else(|| chrono::Utc::now().date_naive()),
                batch: batch.max(1),
                project_ids,
            };
            let quiet = json;
            let root = lake::resolve(&lake.lake);
            let summary = generator::generate(&root, &spec, &|n| {
                if !quiet {
                    eprintln!("  {n} / {events} events written");
                }
            })
            .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                println!(
                    "wrote {} events ({} tasks) to {}/bronze/task_events in {} commit(s), {} to {}",
                    summary.events,
                    summary.tasks,
                    lake.lake.trim_end_matches('/'),
                    summary.commits,
                    summary.first.map(|t| t.to_rfc3339()).unwrap_or_default(),
                    summary.last.map(|t| t.to_rfc3339()).unwrap_or_default(),
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::ExportSpark { out } => {
            let files = spark::export(&out)?;
            for f in &files {
                println!("wrote {f}");
            }
            println!(
                "run it: python {}/etl_spark.py --lake LAKE --out OUT   (pip install pyspark==3.5.7)",
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Compare {
            lake,
            other,
            tolerance,
            json,
        } => {
            let diffs = compare::compare(
                &lake::resolve(&lake.lake),
                &other,
                &models::shipped(),
                tolerance,
            )
            .await?;
            let identical = diffs.iter().all(|d| d.identical);
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "identical": identical, "tables": diffs
                    }))?
                );
            } else {
                for d in &diffs {
                    if d.identical {
                        println!("identical {} ({} rows)", d.table, d.rows);
                    } else {
                        println!(
                            "DIFFERENT {} ({} rows against {}):",
                            d.table, d.rows, d.other_rows
                        );
                        for line in &d.differences {
                            println!("  {line}");
                        }
                    }
                }
            }
            Ok(if identical {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

fn options(args: &RunArgs) -> anyhow::Result<run::Options> {
    Ok(run::Options {
        lake: lake::resolve(&args.lake.lake),
        full_refresh: args.full_refresh,
        run_date: args
            .run_date
            .unwrap_or_else(|| chrono::Utc::now().date_naive()),
        models: match &args.models {
            Some(dir) => models::from_dir(dir)?,
            None => models::shipped(),
        },
        lineage: lineage::Sink {
            file: Some(PathBuf::from(lake::resolve(
                &args.lineage_file.display().to_string(),
            ))),
            url: args.openlineage_url.clone().filter(|u| !u.is_empty()),
        },
        parallel: args.parallel.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
        }),
        crash_after: std::env::var("ETL_CRASH_AFTER")
            .ok()
            .filter(|s| !s.is_empty()),
    })
}

/// One run: its report on stdout, its checks' results in the report folder.
async fn once(args: &RunArgs) -> anyhow::Result<run::Report> {
    let mut opts = options(args)?;
    if args.run_date.is_none() {
        opts.run_date = chrono::Utc::now().date_naive();
    }
    let report = run::run(&opts).await?;
    let reports = PathBuf::from(lake::resolve(&args.report_dir.display().to_string()));
    run::write_quality(&report, &reports)?;
    record_metrics(&report);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", etl_job::describe(&report));
    }
    Ok(report)
}

fn record_metrics(report: &run::Report) {
    metrics::counter!("etl_runs_total", "outcome" => if report.ok { "ok" } else { "failed" })
        .increment(1);
    metrics::gauge!("etl_run_seconds").set(report.seconds);
    metrics::gauge!("etl_staged_rows").set(report.staging.rows as f64);
    if let Some(v) = report.staging.bronze_version {
        metrics::gauge!("etl_bronze_version").set(v as f64);
    }
    for t in &report.tables {
        if let Some(rows) = t.rows {
            metrics::gauge!("etl_table_rows", "table" => t.table.clone()).set(rows as f64);
        }
        let failed = t.checks.iter().filter(|c| !c.passed).count();
        metrics::gauge!("etl_table_failed_checks", "table" => t.table.clone()).set(failed as f64);
    }
    if report.ok {
        metrics::gauge!("etl_last_success_timestamp_seconds")
            .set(chrono::Utc::now().timestamp() as f64);
    }
}

async fn run_cmd(args: RunArgs, telemetry: telemetry::Telemetry) -> anyhow::Result<ExitCode> {
    let Some(every) = args.every else {
        let report = once(&args).await?;
        return Ok(if report.ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    };
    let listener = tokio::net::TcpListener::bind(args.metrics_addr)
        .await
        .map_err(|e| anyhow::anyhow!("listening on {}: {e}", args.metrics_addr))?;
    let telemetry = Arc::new(telemetry);
    let app = axum::Router::new()
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route("/readyz", axum::routing::get(|| async { "ok" }))
        .route(
            "/metrics",
            axum::routing::get(move || {
                let t = telemetry.clone();
                async move { t.render() }
            }),
        );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the metrics endpoint stopped");
        }
    });
    tracing::info!(every = ?every, addr = %args.metrics_addr, "running the ETL on a schedule");
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = tokio::signal::ctrl_c() => break,
            _ = terminate.recv() => break,
        }
        match once(&args).await {
            Ok(r) if r.ok => {}
            Ok(r) => {
                tracing::error!(run = %r.run_id, "the ETL run failed a check; the next run tries again")
            }
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "the ETL run failed; the next run tries again")
            }
        }
    }
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}
