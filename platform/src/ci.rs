//! `portfolio ci STAGE|all`: the guide's CI stages, the same on a laptop and in any CI system.
//!
//! Stage definitions live in one file per project kind, `ci/stages/<kind>.toml`, plus
//! `ci/stages/workspace.toml` for steps that run once at the root (formatting, validation,
//! commit messages). Each stage is a table with `run` (a command or a list of commands, run
//! with `sh -c` in the project folder) and, for `build`, `artifacts` (paths whose SHA-256 goes
//! into the record). A project overrides a stage in its manifest's `[ci]` table (a command; an
//! empty string removes the stage). Placeholders: `{package}` (the Cargo package), `{target}`
//! (the Cargo target folder), `{root}` (the repository), `{portfolio}` (this program).
//!
//! A workspace command may be conditional: `{ run = "cmd", when = ["platform/**", "*.rs"] }`
//! runs under `--affected` only when a changed file matches one of the patterns (`dir/**`: under
//! `dir`; `*.ext`: any file with that extension; anything else: that exact path); a full run
//! always runs it.
//!
//! Every stage run writes a record, `.portfolio/ci/<commit>/<stage>.json`: commit, whether the
//! tree was dirty, inputs (projects and why others were skipped), tool versions, each step's
//! outcome and duration, artefact digests. Promotion gates read these records.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::catalog::{Catalog, Project};
use crate::graph::Graph;

/// The stages, in the order `ci all` runs them.
pub const STAGES: [&str; 7] = [
    "lint",
    "unit",
    "integration",
    "security",
    "build",
    "deploy",
    "verify",
];

/// The stages `ci all` runs (deploy and verify need an environment: `portfolio promote`).
pub const ALL: [&str; 5] = ["lint", "unit", "integration", "security", "build"];

#[derive(Debug, thiserror::Error)]
pub enum CiError {
    #[error(
        "unknown stage `{0}` (stages: lint, unit, integration, security, build, deploy, verify)"
    )]
    UnknownStage(String),
    #[error("{path}: {message}")]
    Definition { path: String, message: String },
    #[error(transparent)]
    Git(#[from] crate::git::GitError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// One stage of one kind (or of the workspace).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageDef {
    #[serde(default)]
    pub run: Commands,
    #[serde(default)]
    pub artifacts: Vec<String>,
}

/// `run = "cmd"` or `run = ["cmd", { run = "cmd", when = ["dir/**"] }]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
pub enum Commands {
    #[default]
    None,
    One(String),
    Many(Vec<Cmd>),
}

/// One command of a list, maybe conditional on what changed.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Cmd {
    Plain(String),
    When {
        run: String,
        /// Under `--affected`, run only when a changed file matches one of these.
        when: Vec<String>,
    },
}

impl Cmd {
    pub fn run(&self) -> &str {
        match self {
            Cmd::Plain(s) | Cmd::When { run: s, .. } => s,
        }
    }

    /// The patterns it waits for (empty: always runs).
    pub fn when(&self) -> &[String] {
        match self {
            Cmd::Plain(_) => &[],
            Cmd::When { when, .. } => when,
        }
    }
}

impl Commands {
    /// Every command, conditions ignored.
    pub fn list(&self) -> Vec<String> {
        self.cmds().iter().map(|c| c.run().to_string()).collect()
    }

    pub fn cmds(&self) -> Vec<Cmd> {
        match self {
            Commands::None => vec![],
            Commands::One(s) => vec![Cmd::Plain(s.clone())],
            Commands::Many(v) => v.clone(),
        }
    }
}

/// Whether `file` (a path relative to the repository) matches a `when` pattern: `dir/**` (under
/// `dir`), `*.ext` (that extension anywhere), or an exact path.
pub fn path_matches(pattern: &str, file: &str) -> bool {
    if let Some(dir) = pattern.strip_suffix("/**") {
        file.starts_with(dir) && file[dir.len()..].starts_with('/')
    } else if let Some(ext) = pattern.strip_prefix("*.") {
        file.rsplit('/')
            .next()
            .is_some_and(|name| name.ends_with(&format!(".{ext}")))
    } else {
        pattern == file
    }
}

/// Stage definitions of one file: stage name → definition.
pub type StageFile = BTreeMap<String, StageDef>;

/// Reads `ci/stages/<name>.toml`; a missing file has no stages.
pub fn load_stage_file(root: &Path, name: &str) -> Result<StageFile, CiError> {
    let path = root.join("ci/stages").join(format!("{name}.toml"));
    let Ok(text) = fs::read_to_string(&path) else {
        return Ok(StageFile::new());
    };
    let file: StageFile = toml::from_str(&text).map_err(|e| CiError::Definition {
        path: crate::diag::relative(root, &path).display().to_string(),
        message: e.message().to_string(),
    })?;
    for stage in file.keys() {
        if !STAGES.contains(&stage.as_str()) {
            return Err(CiError::Definition {
                path: crate::diag::relative(root, &path).display().to_string(),
                message: format!("unknown stage `{stage}` (stages: {})", STAGES.join(", ")),
            });
        }
    }
    Ok(file)
}

/// What one step did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepOutcome {
    Passed,
    Failed,
    Skipped,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepResult {
    /// Project id, or `workspace`.
    pub project: String,
    pub commands: Vec<String>,
    pub outcome: StepOutcome,
    /// Why it was skipped, or which command failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub duration_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Artifact {
    pub project: String,
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

/// The record of one stage run, read by promotion gates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageRecord {
    pub stage: String,
    pub commit: String,
    /// Uncommitted changes were present: the record does not vouch for the commit.
    pub dirty: bool,
    pub branch: Option<String>,
    pub started_at: String,
    pub duration_ms: u64,
    pub ok: bool,
    /// `--affected --since REV`, when given.
    pub since: Option<String>,
    pub steps: Vec<StepResult>,
    pub tools: BTreeMap<String, String>,
    pub artifacts: Vec<Artifact>,
    pub by: Option<String>,
}

pub fn records_dir(root: &Path, commit: &str) -> PathBuf {
    root.join(".portfolio/ci").join(commit)
}

pub fn record_path(root: &Path, commit: &str, stage: &str) -> PathBuf {
    records_dir(root, commit).join(format!("{stage}.json"))
}

/// The latest record of `stage` for `commit`, if any.
pub fn read_record(root: &Path, commit: &str, stage: &str) -> Option<StageRecord> {
    serde_json::from_str(&fs::read_to_string(record_path(root, commit, stage)).ok()?).ok()
}

#[derive(Debug, Clone, Default)]
pub struct StageOptions {
    /// Only projects affected since this revision.
    pub since: Option<String>,
    /// Only these projects (ids).
    pub projects: Vec<String>,
    /// Print each step as it starts and ends.
    pub progress: bool,
    /// Run the remaining steps after a failure.
    pub keep_going: bool,
    /// Write audit evidence for a clean tree's record (see [`evidence_wanted`]).
    pub evidence: bool,
}

/// Whether a stage run is evidence: asked for with `--evidence`, or in a CI system (`CI` set
/// to anything but empty, `0` or `false`); a local run leaves nothing under `audits/`.
pub fn evidence_wanted(flag: bool) -> bool {
    flag || std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"))
}

/// A step to run: its project (None for the workspace) and commands.
struct Step<'a> {
    project: Option<&'a Project>,
    commands: Vec<String>,
    artifacts: Vec<String>,
}

/// The Cargo target folder: `CARGO_TARGET_DIR`, else `<root>/target`.
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"))
}

fn expand(s: &str, p: Option<&Project>, root: &Path) -> String {
    let target = target_dir(root);
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "portfolio".into());
    let mut s = s
        .replace("{target}", &target.display().to_string())
        .replace("{root}", &root.display().to_string())
        .replace("{portfolio}", &shlex::try_quote(&exe).unwrap_or_default());
    if let Some(p) = p {
        s = s.replace("{package}", p.manifest.package());
    }
    s
}

/// Runs one stage (not deploy or verify: see `delivery`) and writes its record.
pub fn run_stage(
    catalog: &Catalog,
    graph: &Graph,
    stage: &str,
    opts: &StageOptions,
) -> Result<StageRecord, CiError> {
    if !STAGES.contains(&stage) {
        return Err(CiError::UnknownStage(stage.to_string()));
    }
    let root = &catalog.root;
    let started = Instant::now();
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let commit = crate::git::commit_of(root, "HEAD")?;
    let dirty = crate::git::is_dirty(root);
    let changed: Option<Vec<String>> = match &opts.since {
        Some(since) => Some(crate::affected::changed_files(root, since)?),
        None => None,
    };
    let affected: Option<BTreeMap<String, String>> = match (&opts.since, &changed) {
        (Some(since), Some(files)) => {
            let a = crate::affected::affected(catalog, graph, since, files);
            Some(a.projects.into_iter().map(|p| (p.id, p.reason)).collect())
        }
        _ => None,
    };
    let mut steps_out: Vec<StepResult> = Vec::new();
    let mut plan: Vec<Step> = Vec::new();
    let workspace = load_stage_file(root, "workspace")?;
    if let Some(def) = workspace.get(stage) {
        let mut commands = Vec::new();
        for cmd in def.run.cmds() {
            let wanted = match &changed {
                Some(files) if !cmd.when().is_empty() => files
                    .iter()
                    .any(|f| cmd.when().iter().any(|p| path_matches(p, f))),
                _ => true,
            };
            let line = expand(cmd.run(), None, root);
            if wanted {
                commands.push(line);
            } else {
                steps_out.push(StepResult {
                    project: "workspace".into(),
                    reason: Some(format!(
                        "`{}`: no change matching {} since {}",
                        cmd.run(),
                        cmd.when().join(", "),
                        opts.since.as_deref().unwrap_or("")
                    )),
                    commands: vec![line],
                    outcome: StepOutcome::Skipped,
                    duration_ms: 0,
                    log: None,
                });
            }
        }
        if !commands.is_empty() {
            plan.push(Step {
                project: None,
                commands,
                artifacts: def.artifacts.clone(),
            });
        }
    }
    let mut kinds: BTreeMap<String, StageFile> = BTreeMap::new();
    for &i in &graph.order {
        let p = &catalog.projects[i];
        let id = p.id().to_string();
        let skip = |reason: String| StepResult {
            project: id.clone(),
            commands: vec![],
            outcome: StepOutcome::Skipped,
            reason: Some(reason),
            duration_ms: 0,
            log: None,
        };
        if !opts.projects.is_empty() && !opts.projects.contains(&id) {
            continue;
        }
        if !p.lifecycle().is_built() {
            steps_out.push(skip(format!("{}: nothing built yet", p.lifecycle())));
            continue;
        }
        if let Some(a) = &affected
            && !a.contains_key(&id)
        {
            steps_out.push(skip(format!(
                "not affected since {}",
                opts.since.as_deref().unwrap_or("")
            )));
            continue;
        }
        let kind = p.kind().as_str().to_string();
        if !kinds.contains_key(&kind) {
            kinds.insert(kind.clone(), load_stage_file(root, &kind)?);
        }
        let def = kinds[&kind].get(stage).cloned().unwrap_or_default();
        let commands = match p.manifest.ci.get(stage) {
            Some(over) if over.trim().is_empty() => vec![],
            Some(over) => vec![over.clone()],
            None => def.run.list(),
        };
        if commands.is_empty() {
            steps_out.push(skip(format!("no `{stage}` step for kind {kind}")));
            continue;
        }
        plan.push(Step {
            project: Some(p),
            commands: commands.iter().map(|c| expand(c, Some(p), root)).collect(),
            artifacts: def
                .artifacts
                .iter()
                .map(|a| expand(a, Some(p), root))
                .collect(),
        });
    }
    let logs = records_dir(root, &commit).join("logs").join(stage);
    fs::create_dir_all(&logs)?;
    let mut artifacts = Vec::new();
    let mut failed = false;
    let total = plan.len();
    for (n, step) in plan.iter().enumerate() {
        let name = step.project.map(|p| p.id()).unwrap_or("workspace");
        if failed && !opts.keep_going {
            steps_out.push(StepResult {
                project: name.to_string(),
                commands: step.commands.clone(),
                outcome: StepOutcome::Skipped,
                reason: Some("an earlier step failed (use --keep-going)".into()),
                duration_ms: 0,
                log: None,
            });
            continue;
        }
        if opts.progress {
            eprintln!("[{}/{total}] {stage} {name}", n + 1);
        }
        let dir = step
            .project
            .map(|p| root.join(&p.dir))
            .unwrap_or_else(|| root.clone());
        let env = step
            .project
            .map(|p| crate::runner::project_env(root, p))
            .unwrap_or_default();
        let log_path = logs.join(format!("{}.log", name.replace('/', "__")));
        let mut log = fs::File::create(&log_path)?;
        let t = Instant::now();
        let mut reason = None;
        for cmd in &step.commands {
            let _ = writeln!(log, "$ {cmd}");
            let status = Command::new("sh")
                .arg("-c")
                .arg(cmd)
                .current_dir(&dir)
                .envs(env.iter().map(|(k, v)| (k, v)))
                .env("PORTFOLIO_CI_STAGE", stage)
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log.try_clone()?)
                .status()?;
            if !status.success() {
                reason = Some(format!("`{cmd}` exited with {status}"));
                break;
            }
        }
        let outcome = if reason.is_none() {
            StepOutcome::Passed
        } else {
            failed = true;
            StepOutcome::Failed
        };
        if outcome == StepOutcome::Passed {
            for a in &step.artifacts {
                let path = dir.join(a);
                match fs::read(&path) {
                    Ok(bytes) => artifacts.push(Artifact {
                        project: name.to_string(),
                        path: a.clone(),
                        sha256: hex(&sha2::Sha256::digest(&bytes)),
                        bytes: bytes.len() as u64,
                    }),
                    Err(e) => {
                        failed = true;
                        reason = Some(format!("artefact {a}: {e}"));
                    }
                }
            }
        }
        let duration_ms = t.elapsed().as_millis() as u64;
        if opts.progress {
            eprintln!(
                "      {} in {:.1}s{}",
                if reason.is_none() { "passed" } else { "FAILED" },
                duration_ms as f64 / 1000.0,
                reason
                    .as_ref()
                    .map(|r| format!(
                        ": {r} (log {})",
                        crate::diag::relative(root, &log_path).display()
                    ))
                    .unwrap_or_default()
            );
        }
        steps_out.push(StepResult {
            project: name.to_string(),
            commands: step.commands.clone(),
            outcome: if reason.is_none() {
                StepOutcome::Passed
            } else {
                StepOutcome::Failed
            },
            reason,
            duration_ms,
            log: Some(crate::diag::relative(root, &log_path).display().to_string()),
        });
    }
    let mut tools = BTreeMap::new();
    let mut wanted: Vec<String> = vec!["git".into()];
    for s in &steps_out {
        if s.outcome != StepOutcome::Skipped
            && let Some(p) = catalog.get(&s.project)
        {
            wanted.extend(p.tools());
        }
    }
    wanted.sort();
    wanted.dedup();
    for t in wanted {
        if let Some(v) = crate::bootstrap::version_of(&t) {
            tools.insert(t, v);
        }
    }
    let record = StageRecord {
        stage: stage.to_string(),
        commit: commit.clone(),
        dirty,
        branch: crate::git::current_branch(root),
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        ok: !steps_out.iter().any(|s| s.outcome == StepOutcome::Failed),
        since: opts.since.clone(),
        steps: steps_out,
        tools,
        artifacts,
        by: crate::git::identity(root),
    };
    let path = record_path(root, &commit, stage);
    fs::write(
        &path,
        serde_json::to_vec_pretty(&record).expect("record serialises"),
    )?;
    if !record.dirty && opts.evidence {
        crate::audit::record_or_warn(
            root,
            &format!("ci:{stage}"),
            &commit,
            &format!(
                "CI stage `{stage}` {} for commit {commit} ({} step(s) run)",
                if record.ok { "passed" } else { "failed" },
                record
                    .steps
                    .iter()
                    .filter(|s| s.outcome != StepOutcome::Skipped)
                    .count()
            ),
            &record,
        );
    }
    Ok(record)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_patterns_match_folders_extensions_and_exact_paths() {
        assert!(path_matches("platform/**", "platform/src/ci.rs"));
        assert!(!path_matches("platform/**", "platformer/x"));
        assert!(!path_matches("platform/**", "platform"));
        assert!(path_matches("*.rs", "projects/a/src/main.rs"));
        assert!(path_matches("*.rs", "build.rs"));
        assert!(!path_matches("*.rs", "projects/a/README.md"));
        assert!(path_matches("Cargo.lock", "Cargo.lock"));
        assert!(!path_matches("Cargo.lock", "projects/a/Cargo.lock"));
    }

    #[test]
    fn run_lists_mix_plain_and_conditional_commands() {
        let file: StageFile = toml::from_str(
            "[lint]\nrun = [\"a\", { run = \"b\", when = [\"crates/**\"] }]\n[unit]\nrun = \"c\"\n",
        )
        .unwrap();
        let lint = file["lint"].run.cmds();
        assert_eq!(lint[0].run(), "a");
        assert!(lint[0].when().is_empty());
        assert_eq!(
            (lint[1].run(), lint[1].when()),
            ("b", &["crates/**".to_string()][..])
        );
        assert_eq!(file["unit"].run.list(), ["c"]);
        let bad = toml::from_str::<StageFile>("[lint]\nrun = [{ run = \"b\", when = \"x\" }]\n");
        assert!(bad.is_err());
    }
}
