//! `portfolio lint|test|build`: run one task over projects in dependency order, in parallel.
//!
//! Invariants: nothing is written (logs, reports) until every selected task's program has
//! been found; a task starts only after the same task of every selected dependency passed.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{IsTerminal, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::catalog::{Catalog, Project};
use crate::diag::Diagnostic;
use crate::graph::Graph;
use crate::kinds::TaskName;
use crate::workspace::{Batch, BatchReport, Workspace};

/// Shell builtins and keywords: not looked up on PATH.
const BUILTINS: [&str; 16] = [
    "cd", "exec", "true", "false", "test", "[", "echo", "export", "set", ":", ".", "source", "if",
    "for", "exit", "env",
];

/// The program a shell command runs first, when it can be told statically.
pub fn program_of(command: &str) -> Option<String> {
    let words = shlex::split(command)?;
    let word = words
        .into_iter()
        .find(|w| !(w.contains('=') && !w.starts_with('=') && !w.contains('/')))?;
    if BUILTINS.contains(&word.as_str()) || word.contains(['$', '`', '(', '{']) {
        return None;
    }
    Some(word)
}

/// Is `program` runnable from `dir` (a path to an existing file, or a name on PATH)?
pub fn program_exists(program: &str, dir: &Path) -> bool {
    if program.contains('/') {
        return dir.join(program).is_file();
    }
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|p| p.join(program).is_file()))
        .unwrap_or(false)
}

#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Explicit project ids; empty means every built project.
    pub projects: Vec<String>,
    /// Limit to these project indices (from `affected`), when set.
    pub only: Option<Vec<usize>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "result", rename_all = "lowercase")]
pub enum Outcome {
    Passed,
    Failed { exit: String },
    Skipped { reason: String },
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TaskResult {
    /// A project id, or a workspace folder (`platform`, `crates/telemetry`) that is no project.
    pub project: String,
    pub task: TaskName,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Wall time; for a project in the workspace run, the sum of its tests' times.
    pub duration_ms: u128,
    pub log: Option<PathBuf>,
    /// Test counts, for projects whose tests ran in the workspace run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tests: Option<crate::workspace::TestCounts>,
}

/// What will run: the Rust projects' workspace run (`batch`), then `steps` in topological
/// order, each a project index and its command.
#[derive(Debug)]
pub struct Plan {
    pub task: TaskName,
    pub batch: Option<Batch>,
    pub steps: Vec<(usize, String)>,
    pub skipped: Vec<TaskResult>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    UnknownProject(String),
    #[error("{}", .0.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))]
    MissingPrograms(Vec<Diagnostic>),
}

/// Chooses what runs and checks that every program exists. Writes nothing.
pub fn plan(
    catalog: &Catalog,
    graph: &Graph,
    task: TaskName,
    sel: &Selection,
) -> Result<Plan, PlanError> {
    let mut chosen = vec![sel.projects.is_empty(); catalog.projects.len()];
    for id in &sel.projects {
        let i = catalog.resolve(id).map_err(PlanError::UnknownProject)?;
        chosen[i] = true;
    }
    if let Some(only) = &sel.only {
        let mut keep = vec![false; chosen.len()];
        for &i in only {
            keep[i] = chosen[i];
        }
        chosen = keep;
    }
    let whole = sel.projects.is_empty() && sel.only.is_none();
    let mut batched = Vec::new();
    let mut steps = Vec::new();
    let mut skipped = Vec::new();
    let mut missing = Vec::new();
    for &i in &graph.order {
        if !chosen[i] {
            continue;
        }
        let p = &catalog.projects[i];
        let skip = |reason: String| TaskResult {
            project: p.id().to_string(),
            task,
            outcome: Outcome::Skipped { reason },
            duration_ms: 0,
            log: None,
            tests: None,
        };
        if !p.lifecycle().is_built() {
            if !sel.projects.is_empty() {
                skipped.push(skip(format!("{} project", p.lifecycle())));
            }
            continue;
        }
        let Some(t) = p.task(task) else {
            skipped.push(skip(format!("no {task} task")));
            continue;
        };
        if let Some(program) = program_of(&t.command)
            && !program_exists(&program, &catalog.root.join(&p.dir))
        {
            let origin = if t.from_kind {
                format!(" (default of kind `{}`)", p.kind())
            } else {
                String::new()
            };
            missing.push(Diagnostic::new(
                &p.manifest_path,
                t.line,
                format!(
                    "task `{task}` runs `{program}`{origin}, which is not installed or not on PATH"
                ),
            ));
            continue;
        }
        if crate::workspace::batched(p.kind(), task, t.from_kind) {
            batched.push(i);
        } else {
            steps.push((i, t.command));
        }
    }
    if !missing.is_empty() {
        return Err(PlanError::MissingPrograms(missing));
    }
    let batch = (!batched.is_empty()).then_some(Batch {
        task,
        projects: batched,
        whole,
    });
    Ok(Plan {
        task,
        batch,
        steps,
        skipped,
    })
}

#[derive(Debug, Clone)]
pub struct ExecOptions {
    pub jobs: usize,
    pub keep_going: bool,
    /// Live progress bars (only drawn on a terminal).
    pub progress: bool,
}

/// Where logs and reports go: `target/portfolio/` under the root.
pub fn output_dir(root: &Path) -> PathBuf {
    root.join("target/portfolio")
}

fn log_path(root: &Path, task: TaskName, id: &str) -> PathBuf {
    output_dir(root)
        .join("logs")
        .join(task.as_str())
        .join(format!("{}.log", id.replace('/', "__")))
}

/// Environment every task and service gets: the manifest's defaults (unless already set)
/// and where it stands.
pub fn project_env(root: &Path, p: &Project) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = p
        .manifest
        .env
        .iter()
        .filter(|v| std::env::var_os(v.name.get_ref()).is_none())
        .filter_map(|v| v.default.clone().map(|d| (v.name.get_ref().clone(), d)))
        .collect();
    env.push(("PORTFOLIO_ROOT".into(), root.display().to_string()));
    env.push(("PORTFOLIO_PROJECT".into(), p.id().to_string()));
    env.push((
        "PORTFOLIO_DATA_DIR".into(),
        root.join(".portfolio/data")
            .join(p.id().replace('/', "__"))
            .display()
            .to_string(),
    ));
    env
}

struct Running {
    step: usize,
    child: Child,
    started: Instant,
    bar: Option<ProgressBar>,
}

/// Runs the plan. Returns one result per step (plus the plan's skips), in plan order.
pub fn execute(
    catalog: &Catalog,
    graph: &Graph,
    plan: &Plan,
    opts: &ExecOptions,
) -> std::io::Result<Vec<TaskResult>> {
    let root = &catalog.root;
    let task = plan.task;
    let n = plan.steps.len();
    let position: HashMap<usize, usize> = plan
        .steps
        .iter()
        .enumerate()
        .map(|(s, (i, _))| (*i, s))
        .collect();
    // Dependencies among the selected steps only.
    let step_deps: Vec<Vec<usize>> = plan
        .steps
        .iter()
        .map(|(i, _)| {
            graph
                .with_dependencies(&[*i])
                .into_iter()
                .filter(|j| j != i)
                .filter_map(|j| position.get(&j).copied())
                .collect()
        })
        .collect();
    let mut results: Vec<Option<TaskResult>> = vec![None; n];
    let mut running: Vec<Running> = Vec::new();
    let mut stopped = false;
    // The workspace run goes first: it keeps both cores busy on its own.
    let mut batch_results = Vec::new();
    let mut batch_failed: Vec<usize> = Vec::new();
    // After the workspace's tests, its binaries are current: the other tasks use them
    // (`PORTFOLIO_BIN_DIR`) instead of building a second copy.
    let mut bin_env: Vec<(String, String)> = Vec::new();
    if let Some(batch) = &plan.batch {
        if task == TaskName::Test {
            let bins = crate::supervisor::bin_dir(root);
            bin_env.push(("PORTFOLIO_BIN_DIR".into(), bins.display().to_string()));
        }
        for (i, r) in execute_batch(catalog, batch, opts)? {
            if !matches!(r.outcome, Outcome::Passed) {
                stopped |= !opts.keep_going;
                batch_failed.extend(i);
            }
            batch_results.push(r);
        }
    }
    let draw = opts.progress && std::io::stderr().is_terminal();
    let multi = MultiProgress::new();
    let overall = draw.then(|| {
        let bar = multi.add(ProgressBar::new(n as u64));
        bar.set_style(
            ProgressStyle::with_template("{prefix:>8} [{bar:30}] {pos}/{len} {elapsed}")
                .unwrap()
                .progress_chars("=> "),
        );
        bar.set_prefix(task.as_str().to_string());
        bar
    });
    let spinner = ProgressStyle::with_template("  {spinner} {prefix} {elapsed}").unwrap();

    loop {
        // Start what can start.
        for s in 0..n {
            if results[s].is_some()
                || running.iter().any(|r| r.step == s)
                || running.len() >= opts.jobs.max(1)
            {
                continue;
            }
            let (i, command) = &plan.steps[s];
            let p = &catalog.projects[*i];
            let failed_dep = step_deps[s].iter().find(|&&d| {
                matches!(
                    results[d].as_ref().map(|r| &r.outcome),
                    Some(Outcome::Failed { .. } | Outcome::Skipped { .. })
                )
            });
            let failed_dep = failed_dep.map(|&d| plan.steps[d].0).or_else(|| {
                graph
                    .with_dependencies(&[*i])
                    .into_iter()
                    .find(|j| batch_failed.contains(j))
            });
            if let Some(d) = failed_dep {
                results[s] = Some(skipped(
                    p,
                    task,
                    format!("dependency {} did not pass", catalog.projects[d].id()),
                ));
                continue;
            }
            if stopped {
                results[s] = Some(skipped(
                    p,
                    task,
                    "not run: stopped after a failure (use --keep-going)".into(),
                ));
                continue;
            }
            if step_deps[s].iter().any(|&d| results[d].is_none()) {
                continue;
            }
            let log = log_path(root, task, p.id());
            fs::create_dir_all(log.parent().expect("log dir"))?;
            let out = File::create(&log)?;
            let child = Command::new("sh")
                .arg("-c")
                .arg(command)
                .current_dir(root.join(&p.dir))
                .envs(project_env(root, p))
                .envs(bin_env.iter().cloned())
                .stdin(Stdio::null())
                .stdout(out.try_clone()?)
                .stderr(out)
                .spawn()?;
            let bar = draw.then(|| {
                let b = multi.insert_before(
                    overall.as_ref().expect("overall bar"),
                    ProgressBar::new_spinner(),
                );
                b.set_style(spinner.clone());
                b.set_prefix(p.id().to_string());
                b.enable_steady_tick(Duration::from_millis(120));
                b
            });
            running.push(Running {
                step: s,
                child,
                started: Instant::now(),
                bar,
            });
        }
        if running.is_empty() {
            if results.iter().all(Option::is_some) {
                break;
            }
            // Only possible when steps wait on each other through skipped ones; settle them.
            continue;
        }
        std::thread::sleep(Duration::from_millis(40));
        let mut k = 0;
        while k < running.len() {
            let Some(status) = running[k].child.try_wait()? else {
                k += 1;
                continue;
            };
            let r = running.swap_remove(k);
            let p = &catalog.projects[plan.steps[r.step].0];
            let outcome = if status.success() {
                Outcome::Passed
            } else {
                stopped |= !opts.keep_going;
                Outcome::Failed {
                    exit: status.to_string(),
                }
            };
            let duration = r.started.elapsed();
            let mark = if outcome == Outcome::Passed {
                "ok  "
            } else {
                "FAIL"
            };
            let line = format!("{mark} {} {task} ({:.1}s)", p.id(), duration.as_secs_f64());
            match (&r.bar, &overall) {
                (Some(b), Some(o)) => {
                    b.finish_and_clear();
                    multi.remove(b);
                    o.inc(1);
                    let _ = multi.println(line);
                }
                _ => eprintln!("{line}"),
            }
            results[r.step] = Some(TaskResult {
                project: p.id().to_string(),
                task,
                outcome,
                duration_ms: duration.as_millis(),
                log: Some(crate::diag::relative(root, &log_path(root, task, p.id()))),
                tests: None,
            });
        }
    }
    if let Some(o) = overall {
        o.finish_and_clear();
    }
    let mut all = plan.skipped.clone();
    all.extend(batch_results);
    all.extend(results.into_iter().map(|r| r.expect("every step settled")));
    Ok(all)
}

fn skipped(p: &Project, task: TaskName, reason: String) -> TaskResult {
    TaskResult {
        project: p.id().to_string(),
        task,
        outcome: Outcome::Skipped { reason },
        duration_ms: 0,
        log: None,
        tests: None,
    }
}

/// Runs the plan's workspace run and turns it into one result per batched project (and, for
/// a whole run, per workspace folder that is no project), plus the test inventory.
fn execute_batch(
    catalog: &Catalog,
    batch: &Batch,
    opts: &ExecOptions,
) -> std::io::Result<Vec<(Option<usize>, TaskResult)>> {
    let root = &catalog.root;
    let task = batch.task;
    let ws = Workspace::load(root).map_err(std::io::Error::other)?;
    let log = log_path(root, task, "workspace");
    let rel_log = crate::diag::relative(root, &log);
    let draw = opts.progress && std::io::stderr().is_terminal();
    let spinner = draw.then(|| {
        let b = ProgressBar::new_spinner();
        b.set_style(ProgressStyle::with_template("  {spinner} {msg} {elapsed}").unwrap());
        b.enable_steady_tick(Duration::from_millis(120));
        b
    });
    let report = crate::workspace::run(catalog, &ws, batch, &log, |line| match &spinner {
        Some(b) => b.set_message(line.to_string()),
        None => eprintln!("     {line}   (output: {})", rel_log.display()),
    })?;
    if let Some(b) = spinner {
        b.finish_and_clear();
    }
    let mut out = Vec::new();
    let result = |project: String, outcome: Outcome, ms: u128, tests| TaskResult {
        project,
        task,
        outcome,
        duration_ms: ms,
        log: Some(rel_log.clone()),
        tests,
    };
    if task != TaskName::Test {
        for &i in &batch.projects {
            let outcome = match &report.exit {
                None => Outcome::Passed,
                Some(exit) => Outcome::Failed { exit: exit.clone() },
            };
            let r = result(
                catalog.projects[i].id().to_string(),
                outcome,
                report.wall.as_millis(),
                None,
            );
            out.push((Some(i), r));
        }
        print_batch_lines(&out, task, report.wall);
        return Ok(out);
    }
    let mut counts = report.by_package();
    let test_result = |project: String, c: crate::workspace::TestCounts| {
        let outcome = if c.failed > 0 {
            Outcome::Failed {
                exit: format!("{} test(s) failed: {}", c.failed, c.failures.join(", ")),
            }
        } else if c.passed + c.skipped == 0 && !report.success {
            Outcome::Failed {
                exit: report.exit.clone().unwrap_or_default(),
            }
        } else {
            Outcome::Passed
        };
        let ms = (c.test_seconds * 1000.0) as u128;
        result(project, outcome, ms, Some(c))
    };
    for &i in &batch.projects {
        let p = &catalog.projects[i];
        let c = counts.remove(p.manifest.package()).unwrap_or_default();
        out.push((Some(i), test_result(p.id().to_string(), c)));
    }
    if batch.whole {
        let folders = ws.packages(root);
        let project_packages: Vec<&str> = catalog
            .projects
            .iter()
            .map(|p| p.manifest.package())
            .collect();
        for (package, folder) in folders {
            if project_packages.contains(&package.as_str()) {
                continue;
            }
            let c = counts.remove(&package).unwrap_or_default();
            out.push((None, test_result(folder.display().to_string(), c)));
        }
        if report.success || !report.tests.is_empty() {
            out.push((
                None,
                inventory_result(catalog, &ws, batch, &report, &rel_log),
            ));
        }
    }
    print_batch_lines(&out, task, report.wall);
    Ok(out)
}

/// The check that the whole run executed each listed test exactly once.
fn inventory_result(
    catalog: &Catalog,
    ws: &Workspace,
    batch: &Batch,
    report: &BatchReport,
    log: &Path,
) -> TaskResult {
    let started = Instant::now();
    let mut counts = crate::workspace::TestCounts::default();
    let outcome = match crate::workspace::list(catalog, ws, batch) {
        Err(e) => Outcome::Failed { exit: e },
        Ok(listed) => {
            let problems = crate::workspace::inventory(&listed, &report.tests);
            counts.passed = listed
                .iter()
                .filter(|t| !problems.iter().any(|(p, _)| p == *t))
                .count();
            counts.failed = problems.len();
            if problems.is_empty() {
                Outcome::Passed
            } else {
                let shown: Vec<String> = problems
                    .iter()
                    .take(20)
                    .map(|(t, n)| format!("{t} (run {n} times)"))
                    .collect();
                counts.failures = shown.clone();
                Outcome::Failed {
                    exit: format!(
                        "{} test(s) not run exactly once: {}",
                        problems.len(),
                        shown.join("; ")
                    ),
                }
            }
        }
    };
    TaskResult {
        project: INVENTORY.into(),
        task: TaskName::Test,
        outcome,
        duration_ms: started.elapsed().as_millis(),
        log: Some(log.to_path_buf()),
        tests: Some(counts),
    }
}

/// The row of the test inventory in `portfolio test`'s results.
pub const INVENTORY: &str = "test inventory";

fn print_batch_lines(out: &[(Option<usize>, TaskResult)], task: TaskName, wall: Duration) {
    for (_, r) in out {
        let mark = match r.outcome {
            Outcome::Passed => "ok  ",
            Outcome::Failed { .. } => "FAIL",
            Outcome::Skipped { .. } => "skip",
        };
        let detail = match &r.tests {
            Some(c) if r.project == INVENTORY => format!(
                "{} listed tests run exactly once, {} not",
                c.passed, c.failed
            ),
            Some(c) => format!(
                "{} passed, {} failed, {:.1}s of tests",
                c.passed, c.failed, c.test_seconds
            ),
            None => format!("{:.1}s", r.duration_ms as f64 / 1000.0),
        };
        eprintln!("{mark} {} {task} ({detail})", r.project);
    }
    eprintln!("     workspace {task} run: {:.1}s wall", wall.as_secs_f64());
}

/// The last `n` lines of a log file.
pub fn tail(path: &Path, n: usize) -> String {
    let Ok(mut f) = File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)));
    let mut s = String::new();
    let _ = f.read_to_string(&mut s);
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Writes the results as JSON to `target/portfolio/reports/<task>.json` (read by
/// `portfolio time report`).
pub fn write_results(
    root: &Path,
    task: TaskName,
    results: &[TaskResult],
) -> std::io::Result<PathBuf> {
    let path = crate::stages::results_path(root, task);
    fs::create_dir_all(path.parent().expect("reports dir"))?;
    fs::write(
        &path,
        serde_json::to_vec_pretty(results).expect("results serialise"),
    )?;
    Ok(path)
}

/// Writes JUnit XML for the results to `target/portfolio/reports/<task>.xml`.
pub fn write_junit(
    root: &Path,
    task: TaskName,
    results: &[TaskResult],
) -> std::io::Result<PathBuf> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut suite = TestSuite::new(format!("portfolio {task}"));
    for r in results {
        let status = match &r.outcome {
            Outcome::Passed => TestCaseStatus::success(),
            Outcome::Failed { exit } => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(format!("{task} failed: {exit}"));
                s
            }
            Outcome::Skipped { reason } => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(reason.clone());
                s
            }
        };
        let mut case = TestCase::new(r.project.clone(), status);
        case.set_classname(format!("portfolio.{task}"));
        case.set_time(Duration::from_millis(r.duration_ms as u64));
        if let (Outcome::Failed { .. }, Some(log)) = (&r.outcome, &r.log) {
            case.set_system_out(tail(&root.join(log), 200));
        }
        suite.add_test_case(case);
    }
    let mut report = Report::new(format!("portfolio-{task}"));
    report.add_test_suite(suite);
    let path = output_dir(root).join("reports").join(format!("{task}.xml"));
    fs::create_dir_all(path.parent().expect("reports dir"))?;
    let xml = report.to_string().map_err(std::io::Error::other)?;
    fs::write(&path, xml)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_program_behind_a_command() {
        assert_eq!(program_of("cargo test -p x").as_deref(), Some("cargo"));
        assert_eq!(
            program_of("RUST_LOG=debug ./run.sh --fast").as_deref(),
            Some("./run.sh")
        );
        assert_eq!(program_of("cd sub && make"), None);
        assert_eq!(program_of("\"$HOME/bin/x\""), None);
        assert_eq!(program_of("unbalanced 'quote"), None);
    }

    #[test]
    fn looks_programs_up_on_path_or_in_the_folder() {
        let dir = std::env::temp_dir();
        assert!(program_exists("sh", &dir));
        assert!(!program_exists("surely-no-such-program-xyz", &dir));
        assert!(!program_exists("./no-such-script.sh", &dir));
    }
}
