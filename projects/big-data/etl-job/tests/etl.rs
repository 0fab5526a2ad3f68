//! etl-job through its command line, on real Delta tables: incremental runs and idempotency,
//! recovery from a run killed between commits, a planted bad row, lineage over HTTP, the
//! scheduled mode's metrics, an S3 lake, and the Spark path's equivalence.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use etl_job::compare;
use etl_job::models;
use serde_json::Value;
use testkit::{HttpCapture, S3Server, free_port, wait_until};

const RUN_DATE: &str = "2026-12-03";
const END: &str = "2026-12-02";

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_etl-job"));
    cmd.env("RUST_LOG", "warn");
    cmd
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

struct Lake {
    dir: tempfile::TempDir,
}

impl Lake {
    fn new() -> Lake {
        Lake {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn root(&self) -> String {
        self.dir.path().join("lake").display().to_string()
    }

    fn generate(&self, events: u64, seed: u64) {
        ok(
            bin()
                .args([
                    "gen-bronze",
                    "--lake",
                    &self.root(),
                    "--json",
                    "--projects",
                    "6",
                ])
                .args(["--days", "40", "--end", END, "--batch", "4000"])
                .args(["--events", &events.to_string(), "--seed", &seed.to_string()])
                .output()
                .unwrap(),
            "gen-bronze",
        );
    }

    fn run_cmd(&self, extra: &[&str]) -> Command {
        let mut cmd = bin();
        cmd.args(["run", "--json", "--lake", &self.root()]);
        if !extra.contains(&"--run-date") {
            cmd.args(["--run-date", RUN_DATE]);
        }
        cmd.arg("--lineage-file")
            .arg(self.dir.path().join("lineage.jsonl"))
            .arg("--report-dir")
            .arg(self.dir.path().join("reports"))
            .args(extra);
        cmd
    }

    fn run(&self, extra: &[&str]) -> Value {
        let out = ok(self.run_cmd(extra).output().unwrap(), "etl-job run");
        serde_json::from_str(&out).unwrap()
    }

    /// A copy of this lake in a new folder.
    fn copy(&self) -> Lake {
        let other = Lake::new();
        copy_dir(
            &self.dir.path().join("lake"),
            &other.dir.path().join("lake"),
        );
        other
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn table<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report:#}"))
}

fn statuses(report: &Value) -> Vec<String> {
    report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap().to_string())
        .collect()
}

/// Every gold table of `a` and `b`, compared row for row.
fn assert_same_gold(a: &Lake, b: &Lake) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        for model in models::shipped()
            .iter()
            .filter(|m| m.materialized == models::Materialized::Table)
        {
            let name = model.table.as_deref().unwrap();
            let read = |lake: String| async move {
                let t = etl_job::store::open(&lake, name).await.unwrap().unwrap();
                let batches =
                    etl_job::store::read_files(&t, etl_job::store::files(&t).unwrap(), 2, Ok)
                        .await
                        .unwrap();
                let ctx = datafusion::prelude::SessionContext::new();
                let schema = batches[0].schema();
                ctx.register_table(
                    "t",
                    std::sync::Arc::new(
                        datafusion::datasource::MemTable::try_new(schema, vec![batches]).unwrap(),
                    ),
                )
                .unwrap();
                ctx.sql(&format!(
                    "SELECT * FROM t ORDER BY {}",
                    model.key.join(", ")
                ))
                .await
                .unwrap()
                .collect()
                .await
                .unwrap()
            };
            let x = read(a.root()).await;
            let y = read(b.root()).await;
            let d = compare::diff(name, &x, &y, 1e-9).unwrap();
            assert!(d.identical, "{name}: {:#?}", d.differences);
            assert!(d.rows > 0, "{name} is empty");
        }
    });
}

#[test]
fn runs_are_incremental_idempotent_and_equal_to_a_full_refresh() {
    let lake = Lake::new();
    lake.generate(6_000, 1);
    let first = lake.run(&[]);
    assert_eq!(first["ok"], true, "{first:#}");
    assert_eq!(first["staging"]["full_refresh"], true);
    assert_eq!(statuses(&first), ["committed"; 3]);
    let kpis = table(&first, "gold/kpis_daily");
    assert_eq!(kpis["version"], 1);

    // Nothing new: nothing is written.
    let again = lake.run(&[]);
    assert_eq!(again["staging"]["committed"], false, "{again:#}");
    assert_eq!(statuses(&again), ["unchanged"; 3]);
    assert_eq!(table(&again, "gold/kpis_daily")["version"], 1);

    // New bronze data: only it is staged, the tables are rebuilt.
    lake.generate(2_000, 2);
    let third = lake.run(&[]);
    assert_eq!(third["staging"]["full_refresh"], false, "{third:#}");
    assert!(third["staging"]["rows_added"].as_u64().unwrap() <= 2_000);
    assert!(third["staging"]["new_files"].as_u64().unwrap() > 0);
    assert_eq!(statuses(&third), ["committed"; 3]);
    assert_eq!(table(&third, "gold/kpis_daily")["version"], 2);

    // A new day rewrites the tables that depend on the date, and only those.
    let next_day = lake.run(&["--run-date", "2026-12-04"]);
    assert_eq!(statuses(&next_day), ["unchanged", "committed", "committed"]);

    // The incremental state equals a rebuild from bronze.
    let rebuilt = lake.copy();
    let full = rebuilt.run(&["--full-refresh"]);
    assert_eq!(full["staging"]["full_refresh"], true);
    assert_eq!(statuses(&full), ["committed"; 3]);
    lake.run(&["--run-date", RUN_DATE]);
    assert_same_gold(&lake, &rebuilt);
}

#[test]
fn a_run_killed_between_commits_leaves_readable_tables_and_the_next_run_completes_it() {
    for step in ["staging", "kpis_daily", "project_health"] {
        let lake = Lake::new();
        lake.generate(4_000, 3);
        lake.run(&[]);
        lake.generate(1_500, 4);
        let out = lake
            .run_cmd(&[])
            .env("ETL_CRASH_AFTER", step)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{step}: the run was not aborted");
        // Every table is readable at a consistent version after the crash.
        let rt = tokio::runtime::Runtime::new().unwrap();
        let versions: Vec<u64> = rt.block_on(async {
            let mut v = Vec::new();
            for name in [
                "gold/kpis_daily",
                "gold/project_health",
                "gold/task_features",
            ] {
                let t = etl_job::store::open(&lake.root(), name)
                    .await
                    .unwrap()
                    .unwrap();
                etl_job::store::read_files(&t, etl_job::store::files(&t).unwrap(), 2, Ok)
                    .await
                    .unwrap();
                v.push(t.version().unwrap());
            }
            v
        });
        let expected: Vec<u64> = match step {
            "staging" => vec![1, 1, 1],
            "kpis_daily" => vec![2, 1, 1],
            _ => vec![2, 2, 1],
        };
        assert_eq!(versions, expected, "after a crash after {step}");
        // The next run finds the staged data and brings the rest up to date.
        let next = lake.run(&[]);
        assert_eq!(next["staging"]["committed"], false, "{step}: {next:#}");
        assert!(statuses(&next).iter().all(|s| s != "failed"));
        let rebuilt = lake.copy();
        rebuilt.run(&["--full-refresh"]);
        assert_same_gold(&lake, &rebuilt);
    }
}

#[test]
fn a_planted_bad_row_aborts_its_table_and_names_the_row() {
    let lake = Lake::new();
    lake.generate(3_000, 5);
    lake.run(&[]);
    // A completion that happened before its task was created: a negative cycle time.
    let project = uuid::Uuid::from_u128(0xbad);
    let task = events::TaskSnapshot {
        id: uuid::Uuid::from_u128(0xbad1),
        project_id: project,
        title: "planted".into(),
        description: None,
        status: events::TaskStatus::Done,
        priority: events::Priority::High,
        due_date: None,
        assignee_id: None,
        labels: vec![],
        position: 1.0,
        version: 2,
        created_at: Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap(),
        updated_at: Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap(),
        completed_at: Some(Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()),
    };
    let time = Utc.with_ymd_and_hms(2026, 12, 2, 13, 0, 0).unwrap();
    let event = events::Event::new(
        "planted-event",
        "/task-api",
        time,
        events::EventData::TaskCompleted { task },
    );
    let row = lake::BronzeRow {
        event_id: event.id.clone(),
        event_type: "task.completed".into(),
        source: "/task-api".into(),
        subject: None,
        time,
        project_id: project.to_string(),
        event: String::from_utf8(event.to_json()).unwrap(),
        topic: "events.tasks".into(),
        partition: 0,
        offset: 1_000_000,
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut bronze = lake::open_bronze(&lake.root()).await.unwrap();
        lake::append(
            &mut bronze,
            &[row],
            "test",
            "events.tasks",
            &Default::default(),
        )
        .await
        .unwrap();
    });
    let out = lake.run_cmd(&[]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let kpis = table(&report, "gold/kpis_daily");
    assert_eq!(kpis["status"], "failed");
    let error = kpis["error"].as_str().unwrap();
    assert!(error.contains("cycle times are not negative"), "{error}");
    assert!(error.contains(&project.to_string()), "{error}");
    assert!(error.contains("2026-12-02"), "{error}");
    // The other tables are committed; kpis_daily keeps its last version.
    assert_eq!(table(&report, "gold/project_health")["status"], "committed");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let version = rt.block_on(async {
        etl_job::store::open(&lake.root(), "gold/kpis_daily")
            .await
            .unwrap()
            .unwrap()
            .version()
    });
    assert_eq!(version, Some(1));
    let junit = std::fs::read_to_string(lake.dir.path().join("reports/quality.junit.xml")).unwrap();
    assert!(
        junit.contains("<failure message=\"1 row(s) fail"),
        "{junit}"
    );
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(lake.dir.path().join("reports/quality.json")).unwrap(),
    )
    .unwrap();
    assert!(
        json["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["passed"] == false && c["table"] == "gold/kpis_daily")
    );
    // The human output says the same.
    let out = bin()
        .args(["run", "--lake", &lake.root(), "--run-date", RUN_DATE])
        .arg("--lineage-file")
        .arg(lake.dir.path().join("l.jsonl"))
        .arg("--report-dir")
        .arg(lake.dir.path().join("r"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("FAILED    gold/kpis_daily: not committed"),
        "{text}"
    );
}

#[test]
fn lineage_events_reach_an_openlineage_endpoint_and_the_file() {
    let lake = Lake::new();
    lake.generate(2_000, 6);
    let receiver = HttpCapture::start();
    let out = lake
        .run_cmd(&[])
        .env("OPENLINEAGE_URL", &receiver.url)
        .output()
        .unwrap();
    ok(out, "run with OPENLINEAGE_URL");
    let mut events = Vec::new();
    while let Some(r) = receiver.next(Duration::from_secs(2)) {
        assert_eq!(r.path, "/api/v1/lineage");
        events.push(serde_json::from_str::<Value>(&r.text()).unwrap());
    }
    // START and COMPLETE for staging and each of the three tables.
    assert_eq!(events.len(), 8, "{events:#?}");
    let complete = events
        .iter()
        .find(|e| e["eventType"] == "COMPLETE" && e["job"]["name"] == "etl-job.kpis_daily")
        .unwrap();
    assert_eq!(complete["inputs"][0]["name"], "etl/stg_task_events");
    assert_eq!(complete["outputs"][0]["name"], "gold/kpis_daily");
    assert!(
        complete["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"]
            .as_u64()
            .unwrap()
            > 0
    );
    let fields = complete["outputs"][0]["facets"]["schema"]["fields"]
        .as_array()
        .unwrap();
    assert!(fields.iter().any(|f| f["name"] == "on_time_rate"));
    let run_ids: std::collections::HashSet<_> =
        events.iter().map(|e| e["run"]["runId"].clone()).collect();
    assert_eq!(run_ids.len(), 1);
    let file = std::fs::read_to_string(lake.dir.path().join("lineage.jsonl")).unwrap();
    assert_eq!(file.lines().count(), 8);
}

#[test]
fn the_scheduled_mode_runs_again_and_serves_metrics() {
    let lake = Lake::new();
    lake.generate(1_000, 7);
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut cmd = lake.run_cmd(&["--every", "1s", "--metrics-addr", &addr]);
    cmd.stdout(std::process::Stdio::null());
    let mut process = testkit::spawn(cmd).unwrap();
    let url = format!("http://{addr}/metrics");
    wait_until("two runs in /metrics", Duration::from_secs(60), || {
        ureq::get(&url)
            .call()
            .ok()
            .and_then(|mut r| r.body_mut().read_to_string().ok())
            .is_some_and(|m| {
                m.contains("etl_table_rows{service=\"etl-job\",table=\"gold/kpis_daily\"}")
                    && m.contains("etl_runs_total{service=\"etl-job\",outcome=\"ok\"} 2")
            })
    });
    let status = process.terminate(Duration::from_secs(10)).unwrap();
    assert!(status.success(), "{status}");
}

#[test]
fn a_lake_in_an_s3_bucket_works_the_same() {
    let s3 = S3Server::start();
    ureq::put(&s3.url("etl-lake")).send_empty().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = "s3://etl-lake/lake";
    let env = s3.env();
    let out = bin()
        .args([
            "gen-bronze",
            "--lake",
            root,
            "--events",
            "1500",
            "--days",
            "10",
            "--end",
            END,
        ])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    ok(out, "gen-bronze to S3");
    let run = |extra: &[&str]| -> Value {
        let out = bin()
            .args(["run", "--json", "--lake", root, "--run-date", RUN_DATE])
            .arg("--lineage-file")
            .arg(dir.path().join("l.jsonl"))
            .arg("--report-dir")
            .arg(dir.path().join("r"))
            .args(extra)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        serde_json::from_str(&ok(out, "run on S3")).unwrap()
    };
    let first = run(&[]);
    assert_eq!(statuses(&first), ["committed"; 3], "{first:#}");
    assert!(table(&first, "gold/kpis_daily")["rows"].as_u64().unwrap() > 0);
    assert_eq!(statuses(&run(&[])), ["unchanged"; 3]);
}

/// The Spark path: the exported job on PyPI's pyspark (local mode, the machine's Java 17)
/// gives the same gold tables as etl-job, row for row.
#[test]
fn spark_computes_the_same_gold_tables() {
    let lake = Lake::new();
    lake.generate(12_000, 8);
    lake.run(&[]);
    let job = lake.dir.path().join("spark-job");
    ok(
        bin()
            .arg("export-spark")
            .arg("--out")
            .arg(&job)
            .output()
            .unwrap(),
        "export-spark",
    );
    let spark_out = lake.dir.path().join("spark-gold");
    let pytool: PathBuf = [env!("CARGO_MANIFEST_DIR"), "../../../scripts/pytool.sh"]
        .iter()
        .collect();
    let out = Command::new("bash")
        .arg(pytool)
        .args([PYSPARK, "python"])
        .arg(job.join("etl_spark.py"))
        .args([
            "--lake",
            &lake.root(),
            "--run-date",
            RUN_DATE,
            "--driver-memory",
            "1g",
        ])
        .arg("--out")
        .arg(&spark_out)
        .output()
        .unwrap();
    ok(out, "the Spark job");
    let text = ok(
        bin()
            .args(["compare", "--lake", &lake.root()])
            .arg("--other")
            .arg(&spark_out)
            .output()
            .unwrap(),
        "compare",
    );
    assert_eq!(text.matches("identical ").count(), 3, "{text}");
}

/// The pinned PySpark (also in bench/etl.sh).
const PYSPARK: &str = "pyspark==3.5.7";
