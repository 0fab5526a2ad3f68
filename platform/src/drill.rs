//! `portfolio dr drill`: a disaster-recovery drill on a stateful project, measured.
//!
//! For each project with `state`, `rto`, `rpo` and a `[dr]` table (`load` and `count` commands)
//! in its manifest, in a sandbox copy of the repository (a git worktree at
//! `.portfolio/drills/sandbox`, checked out at HEAD for each drill and kept between drills so
//! its builds are reused; on the ports and environment of
//! `projects/strategy/disaster-recovery-plan/drill.toml`), with the drill's backup repository,
//! scratch files and report under `.portfolio/drills/<stamp>-<project>/`:
//!
//! 1. start the project (with its dependencies), run `load`, record `count`;
//! 2. stop it and back its state up with `file-backup` (a cold, consistent copy), noting the
//!    state's checksum;
//! 3. start it again and run `load` once more: writes after the backup, what a disaster loses;
//! 4. the disaster: stop it, then delete its state (`loss`) or overwrite bytes in every state
//!    file (`corruption`);
//! 5. recover: restore the backup (file-backup checks every blob), put it in place, check the
//!    state's checksum against the backup's, start, wait until healthy;
//! 6. `count` again: nothing that was backed up may be missing.
//!
//! RTO is measured from the disaster to healthy again, RPO as the age of the newest restored
//! data (disaster time minus backup time); both are compared with the manifest's targets. The
//! report goes to the drill folder, evidence to `audits/` (control sources `dr-drill`) and a line
//! to the DR project's exercise log. A missed target or a failed check makes the drill fail.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::catalog::{Catalog, Project};

pub const CONFIG: &str = "projects/strategy/disaster-recovery-plan/drill.toml";
pub const EXERCISES: &str = "projects/strategy/disaster-recovery-plan/EXERCISES.md";

#[derive(Debug, thiserror::Error)]
pub enum DrillError {
    #[error("{0}")]
    Usage(String),
    #[error("{project}: {step}: {message}")]
    Step {
        project: String,
        step: String,
        message: String,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// `drill.toml`: where drills run.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrillConfig {
    /// Added to the services' ready URLs (their listen addresses come from `env`).
    #[serde(default)]
    pub port_offset: u16,
    /// The sandbox's `env/local`, also given to the hooks.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// The state is deleted.
    Loss,
    /// Bytes of every state file are overwritten.
    Corruption,
}

#[derive(Debug, Serialize)]
pub struct DrillResult {
    pub project: String,
    pub scenario: Scenario,
    pub started_at: String,
    pub rto_target: String,
    pub rpo_target: String,
    /// Seconds from the disaster until the service was healthy again.
    pub rto_seconds: f64,
    /// Age of the newest restored data at the disaster, in seconds.
    pub rpo_seconds: f64,
    pub rto_met: bool,
    pub rpo_met: bool,
    pub counts_at_backup: serde_json::Value,
    pub counts_at_disaster: serde_json::Value,
    pub counts_after_recovery: serde_json::Value,
    /// The restored state has the backup's checksum.
    pub checksum_match: bool,
    /// Every count after recovery is at least its value at backup time.
    pub nothing_backed_up_missing: bool,
    pub snapshot: String,
    pub backup_bytes: u64,
    /// Each step and its seconds.
    pub steps: Vec<(String, f64)>,
    pub passed: bool,
    pub folder: String,
}

impl DrillResult {
    /// The restored state is the backup's and nothing backed up is missing.
    pub fn data_intact(&self) -> bool {
        self.checksum_match && self.nothing_backed_up_missing
    }

    /// One line for people and the evidence record.
    pub fn summary(&self) -> String {
        format!(
            "DR drill of {} ({:?}): {}; RTO {:.1} s (target {}), RPO {:.1} s (target {}); data {}",
            self.project,
            self.scenario,
            if self.passed { "passed" } else { "FAILED" },
            self.rto_seconds,
            self.rto_target,
            self.rpo_seconds,
            self.rpo_target,
            if self.data_intact() { "intact" } else { "lost" }
        )
    }
}

/// Seconds of a manifest duration (`30s`, `15m`, `4h`, `1d`).
pub fn seconds(d: &str) -> Option<f64> {
    let (num, unit) = d.split_at(d.len().checked_sub(1)?);
    let n: f64 = num.parse().ok()?;
    Some(
        n * match unit {
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            _ => return None,
        },
    )
}

pub fn load_config(root: &Path) -> Result<DrillConfig, DrillError> {
    let path = root.join(CONFIG);
    match fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text)
            .map_err(|e| DrillError::Usage(format!("{CONFIG}: {}", e.message()))),
        Err(_) => Ok(DrillConfig::default()),
    }
}

/// The projects a drill covers: those named, else every built one with a `[dr]` table.
pub fn selected<'c>(catalog: &'c Catalog, ids: &[String]) -> Result<Vec<&'c Project>, DrillError> {
    let mut out = Vec::new();
    if ids.is_empty() {
        out.extend(catalog.projects.iter().filter(|p| {
            p.lifecycle().is_built() && p.manifest.dr.is_some() && !p.manifest.state.is_empty()
        }));
        if out.is_empty() {
            return Err(DrillError::Usage(
                "no project has a [dr] table with load and count commands and a state".into(),
            ));
        }
        return Ok(out);
    }
    for id in ids {
        let i = catalog.resolve(id).map_err(DrillError::Usage)?;
        let p = &catalog.projects[i];
        let missing: Vec<&str> = [
            ("state", p.manifest.state.is_empty()),
            ("rto", p.manifest.rto.is_none()),
            ("rpo", p.manifest.rpo.is_none()),
            ("[dr] load and count", p.manifest.dr.is_none()),
        ]
        .into_iter()
        .filter(|(_, m)| *m)
        .map(|(n, _)| n)
        .collect();
        if !missing.is_empty() {
            return Err(DrillError::Usage(format!(
                "{id} cannot be drilled: its manifest has no {}",
                missing.join(", no ")
            )));
        }
        if !p.lifecycle().is_built() {
            return Err(DrillError::Usage(format!(
                "{id} is {}: nothing runs yet",
                p.lifecycle()
            )));
        }
        out.push(p);
    }
    Ok(out)
}

/// One drill's running context.
struct Sandbox<'a> {
    root: &'a Path,
    project: &'a Project,
    dir: PathBuf,
    src: PathBuf,
    env: Vec<(String, String)>,
    backup_bin: PathBuf,
    steps: Vec<(String, f64)>,
    progress: bool,
}

impl Sandbox<'_> {
    fn fail(&self, step: &str, message: impl Into<String>) -> DrillError {
        DrillError::Step {
            project: self.project.id().to_string(),
            step: step.to_string(),
            message: message.into(),
        }
    }

    /// Runs `f` as the named step, timing it.
    fn step<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut Self) -> Result<T, DrillError>,
    ) -> Result<T, DrillError> {
        if self.progress {
            eprintln!("  {} {name}", self.project.id());
        }
        let t = Instant::now();
        let out = f(self)?;
        self.steps
            .push((name.to_string(), t.elapsed().as_secs_f64()));
        Ok(out)
    }

    fn command(&self, program: &Path) -> Command {
        let mut c = Command::new(program);
        c.envs(self.env.iter().map(|(k, v)| (k, v)))
            .env_remove("PORTFOLIO_ROOT");
        c
    }

    /// Runs `cmd`; its standard output, or a failure of `step` naming `what` with the output.
    fn checked(&self, step: &str, what: &str, cmd: &mut Command) -> Result<String, DrillError> {
        let out = cmd.output()?;
        if out.status.success() {
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        Err(self.fail(step, format!("`{what}` failed:\n{}", text.trim())))
    }

    fn portfolio(&self, step: &str, args: &[&str]) -> Result<String, DrillError> {
        self.checked(
            step,
            &format!("portfolio {}", args.join(" ")),
            self.command(&std::env::current_exe()?)
                .arg("--root")
                .arg(&self.src)
                .args(args),
        )
    }

    fn up(&self, step: &str) -> Result<(), DrillError> {
        self.portfolio(step, &["up", "--detach", self.project.id()])
            .map(|_| ())
    }

    fn down(&self, step: &str) -> Result<(), DrillError> {
        self.portfolio(step, &["down"]).map(|_| ())
    }

    /// Runs a `[dr]` hook in the project's folder of the sandbox; returns its standard output.
    fn hook(&self, step: &str, cmd: &str) -> Result<String, DrillError> {
        self.checked(
            step,
            cmd,
            self.command(Path::new("sh"))
                .arg("-c")
                .arg(cmd)
                .current_dir(self.src.join(&self.project.dir))
                .env("PORTFOLIO_ROOT", &self.src)
                .env("DR_WORK", self.dir.join("work")),
        )
    }

    fn count(&self, step: &str) -> Result<serde_json::Value, DrillError> {
        let dr = self.project.manifest.dr.as_ref().expect("selected");
        let out = self.hook(step, &dr.count)?;
        let v: serde_json::Value = serde_json::from_str(out.trim()).map_err(|e| {
            self.fail(
                step,
                format!("`{}` printed no JSON object ({e}): {out}", dr.count),
            )
        })?;
        if !v
            .as_object()
            .is_some_and(|o| o.values().all(|n| n.is_number()))
        {
            return Err(self.fail(
                step,
                format!(
                    "`{}` must print a JSON object of numbers, not {v}",
                    dr.count
                ),
            ));
        }
        Ok(v)
    }

    fn state_dirs(&self) -> Vec<PathBuf> {
        self.project
            .manifest
            .state
            .iter()
            .map(|s| self.src.join(s))
            .collect()
    }

    fn file_backup(&self, step: &str, args: &[&str]) -> Result<String, DrillError> {
        self.checked(
            step,
            &format!("file-backup {}", args.join(" ")),
            self.command(&self.backup_bin)
                .arg("--repo")
                .arg(self.dir.join("repo"))
                .arg("--password-file")
                .arg(self.dir.join("password"))
                .args(args)
                .env_remove("PUSHGATEWAY_URL"),
        )
    }
}

/// SHA-256 over every file under `dirs` (relative path, mode-independent content), sorted.
fn checksum(dirs: &[PathBuf]) -> std::io::Result<String> {
    let mut files = Vec::new();
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
        for e in fs::read_dir(dir)? {
            let e = e?;
            let ft = e.file_type()?;
            if ft.is_dir() {
                walk(base, &e.path(), out)?;
            } else if ft.is_file() {
                let rel = e
                    .path()
                    .strip_prefix(base)
                    .unwrap_or(&e.path())
                    .display()
                    .to_string();
                out.push((rel, e.path()));
            }
        }
        Ok(())
    }
    for (i, d) in dirs.iter().enumerate() {
        if d.is_dir() {
            let mut part = Vec::new();
            walk(d, d, &mut part)?;
            files.extend(part.into_iter().map(|(r, p)| (format!("{i}/{r}"), p)));
        }
    }
    files.sort();
    let mut h = sha2::Sha256::new();
    for (rel, path) in files {
        h.update(rel.as_bytes());
        h.update([0]);
        h.update(fs::read(path)?);
        h.update([0]);
    }
    Ok(crate::ci::hex(&h.finalize()))
}

/// Overwrites bytes in the middle of every file under `dir` (the corruption scenario).
fn corrupt(dir: &Path) -> std::io::Result<usize> {
    use std::io::{Seek, SeekFrom, Write};
    let mut n = 0;
    for e in fs::read_dir(dir)? {
        let e = e?;
        if e.file_type()?.is_dir() {
            n += corrupt(&e.path())?;
        } else if e.file_type()?.is_file() {
            let len = e.metadata()?.len();
            let mut f = fs::OpenOptions::new().write(true).open(e.path())?;
            let at = len / 2;
            f.seek(SeekFrom::Start(at))?;
            f.write_all(&vec![0xA5; (len - at).min(4096) as usize])?;
            n += 1;
        }
    }
    Ok(n)
}

/// Every count of `after` is at least its value in `before`.
fn nothing_missing(before: &serde_json::Value, after: &serde_json::Value) -> bool {
    before.as_object().is_some_and(|b| {
        b.iter().all(|(k, v)| {
            after
                .get(k)
                .and_then(|a| a.as_f64())
                .is_some_and(|a| a >= v.as_f64().unwrap_or(f64::MAX))
        })
    })
}

/// Builds, in the main checkout, every Rust service the sandbox may start and `file-backup`
/// (one `cargo build`), unless `PORTFOLIO_BIN_DIR` names binaries built already; returns the
/// folder of those binaries. The sandbox runs them instead of compiling its own copy of the
/// workspace.
fn prebuild(catalog: &Catalog) -> Result<PathBuf, DrillError> {
    let root = &catalog.root;
    let (graph, _) = crate::graph::Graph::build(catalog);
    let specs = crate::supervisor::services(catalog, &graph, &[])
        .map_err(|e| DrillError::Usage(e.to_string()))?;
    let mut packages = crate::supervisor::packages(&specs);
    if catalog
        .projects
        .iter()
        .any(|p| p.manifest.package() == "file-backup")
    {
        packages.push("file-backup");
    }
    crate::supervisor::build(root, &packages).map_err(|e| DrillError::Usage(e.to_string()))?;
    Ok(crate::supervisor::bin_dir(root))
}

/// Runs the drill on `project`.
pub fn drill(
    catalog: &Catalog,
    project: &Project,
    scenario: Scenario,
    keep: bool,
    progress: bool,
) -> Result<DrillResult, DrillError> {
    let root = &catalog.root;
    let cfg = load_config(root)?;
    let started = crate::delivery::now();
    let dir = root.join(".portfolio/drills").join(format!(
        "{}-{}",
        started.format("%Y%m%dT%H%M%SZ"),
        project.id().replace('/', "__")
    ));
    fs::create_dir_all(dir.join("work"))?;
    let src = root.join(".portfolio/drills/sandbox");
    let sandbox_err =
        |e: crate::git::GitError| DrillError::Usage(format!("the sandbox {}: {e}", src.display()));
    if src.join(".git").exists() {
        // A previous drill's sandbox: stop what may still run, then HEAD and no old data.
        if src.join(".portfolio/run/state.json").exists() {
            let _ = Command::new(std::env::current_exe()?)
                .arg("--root")
                .arg(&src)
                .arg("down")
                .env_remove("PORTFOLIO_ROOT")
                .output();
        }
        let head = crate::git::commit_of(root, "HEAD").map_err(sandbox_err)?;
        crate::git::run(&src, &["checkout", "-q", "--detach", "--force", &head])
            .map_err(sandbox_err)?;
    } else {
        let _ = crate::git::run(root, &["worktree", "prune"]);
        crate::git::run(
            root,
            &[
                "worktree",
                "add",
                "-q",
                "--detach",
                &src.display().to_string(),
                "HEAD",
            ],
        )
        .map_err(sandbox_err)?;
    }
    let _ = fs::remove_dir_all(src.join(".portfolio"));
    fs::create_dir_all(src.join("env"))?;
    let mut local = String::from("# Written by `portfolio dr drill` from drill.toml\n");
    for (k, v) in &cfg.env {
        local.push_str(&format!("{k}={v}\n"));
    }
    fs::write(src.join("env/local"), local)?;
    let target = crate::ci::target_dir(root);
    let bin_dir = prebuild(catalog)?;
    let mut env: Vec<(String, String)> = cfg.env.clone().into_iter().collect();
    env.push(("PORTFOLIO_PORT_OFFSET".into(), cfg.port_offset.to_string()));
    env.push(("CARGO_TARGET_DIR".into(), target.display().to_string()));
    env.push(("PORTFOLIO_BIN_DIR".into(), bin_dir.display().to_string()));
    env.push(("PORTFOLIO_EVIDENCE".into(), "0".into()));
    let mut sb = Sandbox {
        root,
        project,
        dir: dir.clone(),
        src: src.clone(),
        env,
        backup_bin: std::env::var_os("FILE_BACKUP_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| bin_dir.join("file-backup")),
        steps: Vec::new(),
        progress,
    };
    let result = run(&mut sb, scenario, started);
    // Whatever happened, nothing of the sandbox keeps running; its data goes unless `keep`
    // (the worktree stays: its build is the next drill's cache).
    let _ = sb.down("clean up");
    if !keep {
        let _ = fs::remove_dir_all(src.join(".portfolio/data"));
    }
    result
}

fn run(
    sb: &mut Sandbox,
    scenario: Scenario,
    started: chrono::DateTime<chrono::Utc>,
) -> Result<DrillResult, DrillError> {
    let dr = sb.project.manifest.dr.clone().expect("selected");
    let rto_target = sb
        .project
        .manifest
        .rto
        .as_ref()
        .map(|r| r.get_ref().clone())
        .unwrap_or_default();
    let rpo_target = sb
        .project
        .manifest
        .rpo
        .as_ref()
        .map(|r| r.get_ref().clone())
        .unwrap_or_default();
    sb.step("start", |sb| sb.up("start"))?;
    sb.step("load", |sb| sb.hook("load", &dr.load).map(|_| ()))?;
    let counts_at_backup = sb.step("count", |sb| sb.count("count"))?;
    sb.step("stop for the backup", |sb| sb.down("stop for the backup"))?;
    let states = sb.state_dirs();
    for s in &states {
        if !s.is_dir() {
            return Err(sb.fail(
                "backup",
                format!(
                    "the state folder {} does not exist after the load",
                    s.display()
                ),
            ));
        }
    }
    let digest = checksum(&states)?;
    // file-backup restores each folder under its canonical path.
    let canonical: Vec<PathBuf> = states
        .iter()
        .map(fs::canonicalize)
        .collect::<Result<_, _>>()?;
    let (snapshot, backup_bytes) = sb.step("backup", |sb| {
        write_secret(
            &sb.dir.join("password"),
            &format!("{}\n", throwaway_password()?),
        )?;
        sb.file_backup("backup", &["init"])?;
        let mut args = vec!["backup".to_string(), "--json".into()];
        args.extend(states.iter().map(|s| s.display().to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = sb.file_backup("backup", &args)?;
        let v: serde_json::Value = serde_json::from_str(out.trim())
            .map_err(|e| sb.fail("backup", format!("file-backup's JSON: {e}")))?;
        Ok((
            v["id"].as_str().unwrap_or_default().to_string(),
            v["snapshot"]["summary"]["bytes_read"].as_u64().unwrap_or(0),
        ))
    })?;
    let backup_at = Instant::now();
    sb.step("restart", |sb| sb.up("restart"))?;
    sb.step("load after the backup", |sb| {
        sb.hook("load after the backup", &dr.load).map(|_| ())
    })?;
    let counts_at_disaster = sb.step("count", |sb| sb.count("count"))?;

    // The disaster.
    let disaster = Instant::now();
    let rpo_seconds = disaster.duration_since(backup_at).as_secs_f64();
    sb.step("disaster", |sb| {
        sb.down("disaster")?;
        for s in &states {
            match scenario {
                Scenario::Loss => fs::remove_dir_all(s)?,
                Scenario::Corruption => {
                    corrupt(s)?;
                }
            }
        }
        Ok(())
    })?;
    // Recovery.
    sb.step("restore", |sb| {
        let staging = sb.dir.join("restore");
        let _ = fs::remove_dir_all(&staging);
        sb.file_backup(
            "restore",
            &[
                "restore",
                &snapshot,
                "--target",
                &staging.display().to_string(),
            ],
        )?;
        for (s, abs) in states.iter().zip(&canonical) {
            let from = staging.join(abs.strip_prefix("/").unwrap_or(abs));
            if s.exists() {
                fs::remove_dir_all(s)?;
            }
            fs::rename(&from, s).map_err(|e| {
                sb.fail(
                    "restore",
                    format!("moving {} into place: {e}", from.display()),
                )
            })?;
        }
        Ok(())
    })?;
    let checksum_match = checksum(&states)? == digest;
    sb.step("start after the restore", |sb| {
        sb.up("start after the restore")
    })?;
    let rto_seconds = disaster.elapsed().as_secs_f64();
    let counts_after_recovery = sb.step("count", |sb| sb.count("count"))?;
    sb.step("stop", |sb| sb.down("stop"))?;

    let rto_met = seconds(&rto_target).is_some_and(|t| rto_seconds <= t);
    let rpo_met = seconds(&rpo_target).is_some_and(|t| rpo_seconds <= t);
    let nothing_backed_up_missing = nothing_missing(&counts_at_backup, &counts_after_recovery);
    let result = DrillResult {
        project: sb.project.id().to_string(),
        scenario,
        started_at: started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        rto_target,
        rpo_target,
        rto_seconds,
        rpo_seconds,
        rto_met,
        rpo_met,
        counts_at_backup,
        counts_at_disaster,
        counts_after_recovery,
        checksum_match,
        nothing_backed_up_missing,
        snapshot,
        backup_bytes,
        steps: sb.steps.clone(),
        passed: rto_met && rpo_met && checksum_match && nothing_backed_up_missing,
        folder: crate::diag::relative(sb.root, &sb.dir)
            .display()
            .to_string(),
    };
    fs::write(sb.dir.join("report.md"), render(&result))?;
    fs::write(
        sb.dir.join("report.json"),
        serde_json::to_vec_pretty(&result).expect("serialises"),
    )?;
    Ok(result)
}

/// 256 bits from the operating system's CSPRNG, as hex: the drill's backup password.
fn throwaway_password() -> io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| io::Error::other(format!("the OS CSPRNG: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes a secret readable by its owner only (0600 from creation, never wider).
fn write_secret(path: &Path, contents: &str) -> io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let _ = fs::remove_file(path);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())
}

fn yes(b: bool) -> &'static str {
    if b { "met" } else { "MISSED" }
}

/// The drill report in Markdown.
pub fn render(r: &DrillResult) -> String {
    let mut out = format!(
        "# DR drill: {} ({:?})\n\n- Started: {}\n- Result: **{}**\n- RTO: {:.1} s measured, target {} — {}\n- RPO: {:.1} s measured, target {} — {}\n- Restored state matches the backup's checksum: {}\n- Nothing backed up is missing after recovery: {}\n- Counts: at backup {}, at the disaster {}, after recovery {}\n- Snapshot `{}` ({} bytes backed up)\n\n| step | seconds |\n|---|---|\n",
        r.project,
        r.scenario,
        r.started_at,
        if r.passed { "passed" } else { "FAILED" },
        r.rto_seconds,
        r.rto_target,
        yes(r.rto_met),
        r.rpo_seconds,
        r.rpo_target,
        yes(r.rpo_met),
        r.checksum_match,
        r.nothing_backed_up_missing,
        r.counts_at_backup,
        r.counts_at_disaster,
        r.counts_after_recovery,
        &r.snapshot[..r.snapshot.len().min(12)],
        r.backup_bytes
    );
    for (s, t) in &r.steps {
        out.push_str(&format!("| {s} | {t:.2} |\n"));
    }
    out
}

/// Appends the drill to the DR project's exercise log (created with its header if missing).
pub fn log_exercise(root: &Path, r: &DrillResult) -> std::io::Result<()> {
    use std::io::Write as _;
    let path = root.join(EXERCISES);
    if !path.exists() {
        fs::write(
            &path,
            "# DR exercise log\n\nAppended by `portfolio dr drill` (one line per drill; reports under `.portfolio/drills/`, evidence under `audits/`).\n\n| date | project | scenario | RTO measured / target | RPO measured / target | data | result |\n|---|---|---|---|---|---|---|\n",
        )?;
    }
    let mut f = fs::OpenOptions::new().append(true).open(&path)?;
    writeln!(
        f,
        "| {} | {} | {:?} | {:.1} s / {} | {:.1} s / {} | {} | {} |",
        r.started_at,
        r.project,
        r.scenario,
        r.rto_seconds,
        r.rto_target,
        r.rpo_seconds,
        r.rpo_target,
        if r.data_intact() { "intact" } else { "LOST" },
        if r.passed { "passed" } else { "FAILED" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_throwaway_password_is_random_and_private() {
        let a = throwaway_password().unwrap();
        let b = throwaway_password().unwrap();
        assert_eq!(a.len(), 64, "{a}");
        assert_ne!(a, b);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("password");
        fs::write(&path, "an older, world-readable file").unwrap();
        write_secret(&path, &a).unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
        assert_eq!(fs::read_to_string(&path).unwrap(), a);
    }

    #[test]
    fn durations_in_seconds() {
        assert_eq!(seconds("30s"), Some(30.0));
        assert_eq!(seconds("15m"), Some(900.0));
        assert_eq!(seconds("1h"), Some(3600.0));
        assert_eq!(seconds("1d"), Some(86400.0));
        assert_eq!(seconds("1w"), None);
        assert_eq!(seconds(""), None);
    }

    #[test]
    fn nothing_missing_compares_every_count() {
        let b = serde_json::json!({"tasks": 10, "users": 2});
        assert!(nothing_missing(
            &b,
            &serde_json::json!({"tasks": 10, "users": 3})
        ));
        assert!(!nothing_missing(
            &b,
            &serde_json::json!({"tasks": 9, "users": 3})
        ));
        assert!(!nothing_missing(&b, &serde_json::json!({"tasks": 10})));
    }

    #[test]
    fn corruption_changes_the_checksum_and_a_copy_keeps_it() {
        let d = tempfile::tempdir().unwrap();
        let s = d.path().join("state");
        fs::create_dir_all(s.join("sub")).unwrap();
        fs::write(s.join("a.db"), vec![1u8; 10_000]).unwrap();
        fs::write(s.join("sub/b"), "b").unwrap();
        let before = checksum(std::slice::from_ref(&s)).unwrap();
        assert_eq!(checksum(std::slice::from_ref(&s)).unwrap(), before);
        assert_eq!(corrupt(&s).unwrap(), 2);
        assert_ne!(checksum(std::slice::from_ref(&s)).unwrap(), before);
    }
}
