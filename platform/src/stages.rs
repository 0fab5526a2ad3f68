//! `portfolio time`: the time budget of a run made of stages (`make test`).
//!
//! `time start` clears the record; `time run NAME -- CMD...` runs one stage and appends its
//! wall time and outcome to `target/portfolio/stages.json`; `time report` prints the table,
//! with the per-project rows of the stages that ran `portfolio lint|test` (read from
//! `target/portfolio/reports/<task>.json`), and a total.
//!
//! Invariant: a stage's exit code is the command's, so `make` stops where it would have
//! stopped without the timer; the record is written before that exit.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::runner::{Outcome, TaskResult};

/// One stage as recorded.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StageRecord {
    pub stage: String,
    pub seconds: f64,
    pub ok: bool,
    /// The command, as typed.
    pub command: String,
    /// RFC 3339 start time.
    pub started_at: String,
}

/// The record file.
pub fn record_path(root: &Path) -> PathBuf {
    crate::runner::output_dir(root).join("stages.json")
}

/// Where `portfolio lint|test` leave their per-project results.
pub fn results_path(root: &Path, task: crate::kinds::TaskName) -> PathBuf {
    crate::runner::output_dir(root)
        .join("reports")
        .join(format!("{task}.json"))
}

pub fn read(root: &Path) -> Vec<StageRecord> {
    fs::read(record_path(root))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn write(root: &Path, records: &[StageRecord]) -> io::Result<()> {
    let path = record_path(root);
    fs::create_dir_all(path.parent().expect("output folder"))?;
    fs::write(
        &path,
        serde_json::to_vec_pretty(records).expect("records serialise"),
    )
}

/// Clears the record: a new run begins.
pub fn start(root: &Path) -> io::Result<()> {
    write(root, &[])
}

/// Runs `command` as stage `name` in `root`, records it, and returns its exit status.
pub fn run(root: &Path, name: &str, command: &[String]) -> io::Result<ExitStatus> {
    let (program, args) = command
        .split_first()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no command to time"))?;
    let started_at = crate::delivery::now().to_rfc3339();
    let started = Instant::now();
    let status = Command::new(program)
        .args(args)
        .current_dir(root)
        .status()
        .map_err(|e| io::Error::new(e.kind(), format!("running `{program}`: {e}")))?;
    let mut records = read(root);
    records.push(StageRecord {
        stage: name.to_string(),
        seconds: started.elapsed().as_secs_f64(),
        ok: status.success(),
        command: shlex::try_join(command.iter().map(String::as_str)).unwrap_or_default(),
        started_at,
    });
    write(root, &records)?;
    Ok(status)
}

/// A stage with the per-project results it produced.
#[derive(Debug, Clone, Serialize)]
pub struct ReportRow {
    #[serde(flatten)]
    pub stage: StageRecord,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<TaskResult>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub stages: Vec<ReportRow>,
    pub total_seconds: f64,
    pub ok: bool,
}

/// The record with per-project rows attached to the stages named `lint` and `test`.
pub fn report(root: &Path) -> Report {
    let read_results = |task| -> Vec<TaskResult> {
        fs::read(results_path(root, task))
            .ok()
            .and_then(|b| serde_json::from_slice::<Vec<serde_json::Value>>(&b).ok())
            .map(|v| {
                v.into_iter()
                    .filter_map(|r| serde_json::from_value(r).ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    let stages: Vec<ReportRow> = read(root)
        .into_iter()
        .map(|stage| {
            let projects = match stage.stage.as_str() {
                "lint" => read_results(crate::kinds::TaskName::Lint),
                "test" => read_results(crate::kinds::TaskName::Test),
                _ => Vec::new(),
            };
            ReportRow { stage, projects }
        })
        .collect();
    Report {
        total_seconds: stages.iter().map(|s| s.stage.seconds).sum(),
        ok: stages.iter().all(|s| s.stage.ok),
        stages,
    }
}

/// Whether the row is a project of the workspace's one cargo run (its time is that run's).
fn shared_run(r: &TaskResult) -> bool {
    r.log
        .as_ref()
        .is_some_and(|l| l.file_name().is_some_and(|n| n == "workspace.log"))
}

fn clock(seconds: f64) -> String {
    let s = seconds.round() as u64;
    if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{seconds:.1}s")
    }
}

/// The table people read at the end of `make test`.
pub fn render(report: &Report) -> String {
    let mut rows = Vec::new();
    for r in &report.stages {
        rows.push(vec![
            r.stage.stage.clone(),
            clock(r.stage.seconds),
            if r.stage.ok { "ok" } else { "FAILED" }.to_string(),
            String::new(),
        ]);
        for p in &r.projects {
            let (result, detail) = match (&p.outcome, &p.tests) {
                (Outcome::Passed, Some(c)) if p.project == crate::runner::INVENTORY => {
                    ("ok", format!("{} listed tests, each run once", c.passed))
                }
                (Outcome::Passed, Some(c)) => {
                    ("ok", format!("{} tests (summed test time)", c.passed))
                }
                (Outcome::Passed, None) if shared_run(p) => {
                    ("ok", "one cargo run for the Rust projects".into())
                }
                (Outcome::Passed, None) => ("ok", String::new()),
                (Outcome::Failed { .. }, _) => ("FAILED", String::new()),
                (Outcome::Skipped { reason }, _) => ("skipped", reason.clone()),
            };
            rows.push(vec![
                format!("  {}", p.project),
                clock(p.duration_ms as f64 / 1000.0),
                result.to_string(),
                detail,
            ]);
        }
    }
    rows.push(vec![
        "total".into(),
        clock(report.total_seconds),
        if report.ok { "ok" } else { "FAILED" }.into(),
        String::new(),
    ]);
    crate::table::render(&["stage", "wall time", "result", "note"], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_timed_recorded_and_keep_their_exit_code() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        start(root).unwrap();
        let ok = run(root, "first", &["true".into()]).unwrap();
        let bad = run(root, "second", &["sh".into(), "-c".into(), "exit 3".into()]).unwrap();
        assert!(ok.success());
        assert_eq!(bad.code(), Some(3));
        let r = report(root);
        assert_eq!(r.stages.len(), 2);
        assert_eq!(r.stages[1].stage.command, "sh -c 'exit 3'");
        assert!(!r.ok);
        let table = render(&r);
        assert!(table.contains("second"), "{table}");
        assert!(
            table.lines().last().unwrap().starts_with("total"),
            "{table}"
        );
        start(root).unwrap();
        assert!(report(root).stages.is_empty(), "start clears the record");
    }

    #[test]
    fn a_missing_program_is_an_error_that_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let e = run(dir.path(), "x", &["no-such-program-xyz".into()]).unwrap_err();
        assert!(e.to_string().contains("no-such-program-xyz"), "{e}");
    }

    #[test]
    fn durations_read_as_minutes_past_a_minute() {
        assert_eq!(clock(4.25), "4.2s");
        assert_eq!(clock(754.0), "12m34s");
    }
}
