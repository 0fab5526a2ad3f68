//! The Rust projects' `lint` and `test` as one cargo run over the workspace.
//!
//! One `cargo clippy -p X` or `cargo test -p X` per project resolves features per selection,
//! so shared crates are built again for every project and nothing is shared with the next
//! run. Here the Rust projects whose task is their kind's default are batched into one run
//! (`cargo clippy` / `cargo nextest run` over the selection, the whole workspace when
//! everything is selected), plus one small run per extra feature set declared in the root
//! `Cargo.toml` (`[workspace.metadata.portfolio] feature-sets`). Per-project results are read
//! back from nextest's JUnit report.
//!
//! Invariants: a whole run covers every workspace package (platform/ and crates/ too, under
//! their folder names); an extra feature set runs only the tests its filter selects, so each
//! test runs once; [`inventory`] proves that against `cargo nextest list`.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::kinds::TaskName;
use crate::manifest::Kind;

/// The nextest profiles of `.config/nextest.toml` this module relies on (JUnit output).
const PROFILE: &str = "portfolio";
const EXTRA_PROFILE: &str = "portfolio-extra";

/// A feature set beyond the workspace's defaults, with the tests that need it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct FeatureSet {
    pub package: String,
    pub features: String,
    /// nextest filter expression for the tests that exist only with these features.
    pub tests: String,
}

#[derive(Debug, Default, Deserialize)]
struct RootManifest {
    #[serde(default)]
    workspace: WorkspaceTable,
}

#[derive(Debug, Default, Deserialize)]
struct WorkspaceTable {
    #[serde(default)]
    members: Vec<String>,
    #[serde(default)]
    metadata: Metadata,
}

#[derive(Debug, Default, Deserialize)]
struct Metadata {
    #[serde(default)]
    portfolio: PortfolioMetadata,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct PortfolioMetadata {
    #[serde(default)]
    feature_sets: Vec<FeatureSet>,
}

/// What the root `Cargo.toml` says: members (folders) and extra feature sets.
#[derive(Debug, Default)]
pub struct Workspace {
    pub feature_sets: Vec<FeatureSet>,
    /// Workspace member folders (globs expanded), relative to the root.
    pub members: Vec<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("{0}: {1}")]
    Manifest(String, String),
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl Workspace {
    pub fn load(root: &Path) -> Result<Workspace, WorkspaceError> {
        let path = root.join("Cargo.toml");
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Workspace::default()),
            Err(e) => return Err(e.into()),
        };
        let m: RootManifest = toml::from_str(&text)
            .map_err(|e| WorkspaceError::Manifest(path.display().to_string(), e.to_string()))?;
        let mut members = Vec::new();
        for m in &m.workspace.members {
            match m.strip_suffix("/*") {
                Some(dir) => {
                    let mut found: Vec<PathBuf> = fs::read_dir(root.join(dir))?
                        .filter_map(Result::ok)
                        .filter(|e| e.path().join("Cargo.toml").is_file())
                        .map(|e| Path::new(dir).join(e.file_name()))
                        .collect();
                    found.sort();
                    members.extend(found);
                }
                None => members.push(PathBuf::from(m)),
            }
        }
        Ok(Workspace {
            feature_sets: m.workspace.metadata.portfolio.feature_sets,
            members,
        })
    }

    /// Package name → member folder, read from each member's `Cargo.toml`.
    pub fn packages(&self, root: &Path) -> BTreeMap<String, PathBuf> {
        #[derive(Deserialize)]
        struct Member {
            package: Option<Named>,
        }
        #[derive(Deserialize)]
        struct Named {
            name: String,
        }
        self.members
            .iter()
            .filter_map(|dir| {
                let text = fs::read_to_string(root.join(dir).join("Cargo.toml")).ok()?;
                let m: Member = toml::from_str(&text).ok()?;
                Some((m.package?.name, dir.clone()))
            })
            .collect()
    }
}

/// Whether `task` of a project of `kind` with this command joins the workspace run: a Rust
/// kind's default lint or test.
pub fn batched(kind: Kind, task: TaskName, from_kind: bool) -> bool {
    from_kind && matches!(task, TaskName::Lint | TaskName::Test) && kind.is_rust()
}

/// The Rust part of a lint or test run.
#[derive(Debug, Clone)]
pub struct Batch {
    pub task: TaskName,
    /// Catalog indices of the batched projects.
    pub projects: Vec<usize>,
    /// Everything is selected: run over the whole workspace.
    pub whole: bool,
}

impl Batch {
    fn selection(&self, catalog: &Catalog) -> Vec<String> {
        if self.whole {
            return vec!["--workspace".into()];
        }
        self.projects
            .iter()
            .flat_map(|&i| {
                [
                    "-p".to_string(),
                    catalog.projects[i].manifest.package().to_string(),
                ]
            })
            .collect()
    }

    fn selects(&self, catalog: &Catalog, package: &str) -> bool {
        self.whole
            || self
                .projects
                .iter()
                .any(|&i| catalog.projects[i].manifest.package() == package)
    }

    /// The cargo invocations, in order: the main run, then one per extra feature set.
    pub fn commands(&self, catalog: &Catalog, ws: &Workspace) -> Vec<Vec<String>> {
        let sel = self.selection(catalog);
        let extras = ws
            .feature_sets
            .iter()
            .filter(|f| self.selects(catalog, &f.package));
        let words = |s: &[&str]| s.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        let features = |f: &FeatureSet| words(&["-p", &f.package, "--features", &f.features]);
        let mut out = Vec::new();
        match self.task {
            TaskName::Lint => {
                let clippy = words(&["cargo", "clippy", "--locked", "-q"]);
                let deny = words(&["--all-targets", "--", "-D", "warnings"]);
                out.push([clippy.clone(), sel, deny.clone()].concat());
                for f in extras {
                    out.push([clippy.clone(), features(f), deny.clone()].concat());
                }
            }
            _ => {
                let nextest = |profile: &str| {
                    words(&[
                        "cargo",
                        "nextest",
                        "run",
                        "--locked",
                        "--profile",
                        profile,
                        "--no-fail-fast",
                    ])
                };
                out.push([nextest(PROFILE), sel].concat());
                for f in extras {
                    let filter = words(&["-E", &f.tests]);
                    out.push([nextest(EXTRA_PROFILE), features(f), filter].concat());
                }
            }
        }
        out
    }
}

/// One test as nextest reported it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct TestId {
    /// nextest's binary id: `package`, `package::test-file` or `package::bin/name`.
    pub binary: String,
    pub name: String,
}

impl TestId {
    pub fn package(&self) -> &str {
        self.binary.split("::").next().unwrap_or(&self.binary)
    }
}

impl std::fmt::Display for TestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.binary, self.name)
    }
}

/// Outcome of one test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TestOutcome {
    Passed,
    Failed,
    Skipped,
}

#[derive(Debug, Clone)]
pub struct TestRecord {
    pub id: TestId,
    pub outcome: TestOutcome,
    pub seconds: f64,
}

/// Counts per package (or folder), for the per-project view.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TestCounts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Sum of the tests' own times (they run in parallel: not wall time).
    pub test_seconds: f64,
    /// Names of the failed tests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
}

/// What one batch run did.
#[derive(Debug)]
pub struct BatchReport {
    /// Every command ran and succeeded.
    pub success: bool,
    /// How the first failing command ended, when one failed.
    pub exit: Option<String>,
    pub wall: Duration,
    /// Test records (test runs only), across the main and the extra runs.
    pub tests: Vec<TestRecord>,
    pub log: PathBuf,
}

impl BatchReport {
    /// Counts grouped by package name.
    pub fn by_package(&self) -> BTreeMap<String, TestCounts> {
        let mut out: BTreeMap<String, TestCounts> = BTreeMap::new();
        for t in &self.tests {
            let c = out.entry(t.id.package().to_string()).or_default();
            c.test_seconds += t.seconds;
            match t.outcome {
                TestOutcome::Passed => c.passed += 1,
                TestOutcome::Failed => {
                    c.failed += 1;
                    c.failures.push(t.id.to_string());
                }
                TestOutcome::Skipped => c.skipped += 1,
            }
        }
        out
    }
}

/// Reads nextest's JUnit report.
pub fn read_junit(path: &Path) -> Result<Vec<TestRecord>, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let report = quick_junit::Report::deserialize_from_str(&text)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for suite in &report.test_suites {
        for case in &suite.test_cases {
            use quick_junit::TestCaseStatus;
            let outcome = match &case.status {
                TestCaseStatus::Success { .. } => TestOutcome::Passed,
                TestCaseStatus::NonSuccess { .. } => TestOutcome::Failed,
                TestCaseStatus::Skipped { .. } => TestOutcome::Skipped,
            };
            out.push(TestRecord {
                id: TestId {
                    binary: suite.name.to_string(),
                    name: case.name.to_string(),
                },
                outcome,
                seconds: case.time.map(|t| t.as_secs_f64()).unwrap_or(0.0),
            });
        }
    }
    Ok(out)
}

/// nextest's store is `target/nextest` under the workspace root, whatever `CARGO_TARGET_DIR`
/// says (its `store.dir` default).
fn junit_path(root: &Path, profile: &str) -> PathBuf {
    root.join("target/nextest").join(profile).join("junit.xml")
}

/// Runs the batch, output to `log`; `on_line` hears which command starts.
pub fn run(
    catalog: &Catalog,
    ws: &Workspace,
    batch: &Batch,
    log: &Path,
    mut on_start: impl FnMut(&str),
) -> io::Result<BatchReport> {
    let root = &catalog.root;
    fs::create_dir_all(log.parent().expect("log folder"))?;
    let out = File::create(log)?;
    let started = Instant::now();
    let mut success = true;
    let mut exit = None;
    let mut tests = Vec::new();
    for (n, words) in batch.commands(catalog, ws).iter().enumerate() {
        let line = shlex::try_join(words.iter().map(String::as_str)).unwrap_or_default();
        on_start(&line);
        let profile = if n == 0 { PROFILE } else { EXTRA_PROFILE };
        let junit = junit_path(root, profile);
        let _ = fs::remove_file(&junit);
        use std::io::Write as _;
        writeln!(&out, "$ {line}")?;
        let status = Command::new(&words[0])
            .args(&words[1..])
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out.try_clone()?)
            .status()?;
        if !status.success() {
            success = false;
            exit.get_or_insert_with(|| format!("`{line}`: {status}"));
        }
        if batch.task == TaskName::Test {
            match read_junit(&junit) {
                Ok(t) => tests.extend(t),
                // No report: the build failed before any test ran (the log says why).
                Err(e) if junit.exists() => {
                    success = false;
                    exit.get_or_insert(e);
                }
                Err(_) => {}
            }
        }
    }
    Ok(BatchReport {
        success,
        exit,
        wall: started.elapsed(),
        tests,
        log: log.to_path_buf(),
    })
}

/// The workspace's tests as `cargo nextest list` sees them (ignored ones left out), over the
/// same selection and feature sets as [`run`].
pub fn list(catalog: &Catalog, ws: &Workspace, batch: &Batch) -> Result<Vec<TestId>, String> {
    let mut out = Vec::new();
    for words in batch.commands(catalog, ws) {
        // `cargo nextest run <args>` → `cargo nextest list <args> --message-format json`
        let mut words: Vec<String> = words
            .into_iter()
            .filter(|w| w != "--no-fail-fast")
            .collect();
        words[2] = "list".into();
        words.extend(["--message-format".into(), "json".into()]);
        let output = Command::new(&words[0])
            .args(&words[1..])
            .current_dir(&catalog.root)
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("running cargo nextest list: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "cargo nextest list failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        out.extend(parse_list(&output.stdout)?);
    }
    Ok(out)
}

/// The tests of nextest's `list --message-format json` that a run would execute.
pub fn parse_list(json: &[u8]) -> Result<Vec<TestId>, String> {
    let v: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| format!("nextest's test list: {e}"))?;
    let mut out = Vec::new();
    let suites = v["rust-suites"]
        .as_object()
        .ok_or("nextest's test list has no rust-suites")?;
    for (binary, suite) in suites {
        let Some(cases) = suite["testcases"].as_object() else {
            continue;
        };
        for (name, case) in cases {
            let matches = case["filter-match"]["status"].as_str() == Some("matches");
            if matches && !case["ignored"].as_bool().unwrap_or(false) {
                out.push(TestId {
                    binary: binary.clone(),
                    name: name.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// What is wrong between the listed tests and those that ran: `(test, times run)` for every
/// listed test not run exactly once, and every run test that is not listed.
pub fn inventory(listed: &[TestId], ran: &[TestRecord]) -> Vec<(TestId, usize)> {
    let mut runs: HashMap<&TestId, usize> = HashMap::new();
    for r in ran {
        *runs.entry(&r.id).or_default() += 1;
    }
    let mut problems: Vec<(TestId, usize)> = listed
        .iter()
        .map(|t| (t.clone(), runs.get(t).copied().unwrap_or(0)))
        .filter(|(_, n)| *n != 1)
        .collect();
    let known: std::collections::HashSet<&TestId> = listed.iter().collect();
    for (t, n) in runs {
        if !known.contains(t) {
            problems.push((t.clone(), n));
        }
    }
    problems.sort();
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(b: &str, n: &str) -> TestId {
        TestId {
            binary: b.into(),
            name: n.into(),
        }
    }

    fn rec(b: &str, n: &str) -> TestRecord {
        TestRecord {
            id: id(b, n),
            outcome: TestOutcome::Passed,
            seconds: 0.5,
        }
    }

    #[test]
    fn the_inventory_names_tests_run_twice_never_or_unlisted() {
        let listed = vec![id("a", "once"), id("a::it", "twice"), id("b", "never")];
        let ran = vec![
            rec("a", "once"),
            rec("a::it", "twice"),
            rec("a::it", "twice"),
            rec("c", "stray"),
        ];
        assert_eq!(
            inventory(&listed, &ran),
            vec![
                (id("a::it", "twice"), 2),
                (id("b", "never"), 0),
                (id("c", "stray"), 1)
            ]
        );
        assert!(inventory(&listed[..1], &ran[..1]).is_empty());
    }

    #[test]
    fn nextest_lists_are_read_without_ignored_or_filtered_tests() {
        let json = br#"{"rust-suites": {
            "task-api::api": {"testcases": {
                "a": {"ignored": false, "filter-match": {"status": "matches"}},
                "b": {"ignored": true, "filter-match": {"status": "matches"}},
                "c": {"ignored": false, "filter-match": {"status": "mismatch", "reason": "expression"}}
            }}}}"#;
        assert_eq!(parse_list(json).unwrap(), vec![id("task-api::api", "a")]);
        assert!(parse_list(b"[]").is_err());
    }

    #[test]
    fn junit_reports_become_records_per_package() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junit.xml");
        fs::write(
            &path,
            r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="nextest-run" tests="3" failures="1" errors="0">
  <testsuite name="task-api::api" tests="2" disabled="0" errors="0" failures="1">
    <testcase name="ok_one" classname="task-api::api" time="1.5"></testcase>
    <testcase name="bad_one" classname="task-api::api" time="0.5"><failure type="test failure">boom</failure></testcase>
  </testsuite>
  <testsuite name="telemetry" tests="1" disabled="0" errors="0" failures="0">
    <testcase name="tests::x" classname="telemetry" time="0.1"></testcase>
  </testsuite>
</testsuites>"#,
        )
        .unwrap();
        let report = BatchReport {
            success: false,
            exit: None,
            wall: Duration::ZERO,
            tests: read_junit(&path).unwrap(),
            log: path.clone(),
        };
        let by = report.by_package();
        assert_eq!(by["task-api"].passed, 1);
        assert_eq!(by["task-api"].failed, 1);
        assert_eq!(by["task-api"].failures, vec!["task-api::api bad_one"]);
        assert!((by["task-api"].test_seconds - 2.0).abs() < 1e-9);
        assert_eq!(by["telemetry"].passed, 1);
    }

    #[test]
    fn a_whole_run_is_one_workspace_command_plus_one_per_feature_set() {
        let ws = Workspace {
            feature_sets: vec![FeatureSet {
                package: "telemetry".into(),
                features: "otlp".into(),
                tests: "test(otlp)".into(),
            }],
            members: vec![],
        };
        let catalog = Catalog::default();
        let batch = Batch {
            task: TaskName::Test,
            projects: vec![],
            whole: true,
        };
        let cmds = batch.commands(&catalog, &ws);
        assert_eq!(cmds.len(), 2);
        assert!(cmds[0].contains(&"--workspace".to_string()));
        assert_eq!(
            cmds[1][cmds[1].len() - 6..],
            ["-p", "telemetry", "--features", "otlp", "-E", "test(otlp)"]
        );
        let partial = Batch {
            whole: false,
            ..batch
        };
        assert_eq!(
            partial.commands(&catalog, &ws).len(),
            1,
            "no telemetry selected"
        );
    }
}
