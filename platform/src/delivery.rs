//! Promotion `work → dev → staging → main` with gates, approvals, freezes, rollbacks and the
//! local deploy target.
//!
//! Environments are files, `environments/<name>.toml` (see [`Environment`]). What happens to
//! them is kept under `.portfolio/delivery/`: `approvals.jsonl`, `promotions.jsonl` (every
//! attempt, refused ones included, with each gate's result), `freezes.json` and
//! `blocked.json` (commits rolled back, which may not be promoted again until cleared).
//!
//! The local deploy target checks the promoted commit out into a worktree of its own,
//! `.portfolio/envs/<env>/src`, and starts its services there with `portfolio up --detach`:
//! that copy has its own supervisor, logs and data folder (`.portfolio/` inside the worktree),
//! and the environment's `[deploy.env]` (ports) and `port_offset` (readiness URLs).
//!
//! The helm target checks the commit out the same way, then runs `helm upgrade --install` of
//! the `portfolio-service` chart for each service (values `services/<package>.yaml` and
//! `values.<env>.yaml`, the image digest from the build's `docker buildx bake --metadata-file`
//! output) in the environment's namespace and kube context, and verifies with `helm test`. The
//! helm binary is not needed: `scripts/iac/helm.sh` runs Helm's engine from PyPI.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Datelike, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::git;

/// `environments/<name>.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    #[serde(skip_deserializing)]
    pub name: String,
    /// The git branch that records what runs there (`dev`, `staging`, `main`).
    pub branch: String,
    /// Where commits come from: another environment's name, or a branch (`work`).
    pub source: String,
    #[serde(default)]
    pub gates: Gates,
    /// Gates for `promote --hotfix` (a fix branched from this environment's branch).
    #[serde(default)]
    pub hotfix_gates: Option<Gates>,
    /// Who may approve: e-mail addresses, or `@role` for a role below.
    #[serde(default)]
    pub approvers: Vec<String>,
    /// Named groups of people (e.g. `cab`).
    #[serde(default)]
    pub roles: BTreeMap<String, Vec<String>>,
    /// When promotions may happen (UTC), e.g. `"Mon-Thu 09:00-16:00"`; none: any time.
    #[serde(default)]
    pub change_windows: Vec<String>,
    #[serde(default)]
    pub deploy: Deploy,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Gates {
    /// CI stages that must have a green, clean record for the exact commit.
    #[serde(default)]
    pub ci: Vec<String>,
    /// Distinct approvals needed.
    #[serde(default)]
    pub approvals: usize,
    /// Whether the author of the commit may approve it.
    #[serde(default)]
    pub allow_self_approval: bool,
    /// The commit must carry a release tag (`vYYYY.MM.DD[.N]`).
    #[serde(default)]
    pub release_tag: bool,
    /// Enforce `change_windows`.
    #[serde(default)]
    pub change_window: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Deploy {
    /// `local` (the supervisor, in a worktree), `helm` (the chart, on a cluster) or `none`.
    #[serde(default = "default_target")]
    pub target: String,
    /// helm: the namespace of the releases.
    #[serde(default)]
    pub namespace: Option<String>,
    /// helm: the kubeconfig context (the current one when unset).
    #[serde(default)]
    pub kube_context: Option<String>,
    /// helm: the image digests, a `docker buildx bake --metadata-file` output (relative to the
    /// repository; one entry per bake target, named like the Cargo package).
    #[serde(default)]
    pub images: Option<String>,
    /// helm: `client` renders and checks every release without touching a cluster.
    #[serde(default)]
    pub dry_run: Option<String>,
    /// helm: the chart (relative to the repository).
    #[serde(default = "default_chart")]
    pub chart: String,
    /// Added to the port of every readiness URL of the copy.
    #[serde(default)]
    pub port_offset: u16,
    /// Variables for every service of the copy (ports, URLs).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Projects to start (with their dependencies); all runnable ones when empty.
    #[serde(default)]
    pub services: Vec<String>,
}

fn default_target() -> String {
    "none".into()
}

fn default_chart() -> String {
    "projects/orchestration/kubernetes-helm-chart".into()
}

impl Default for Deploy {
    fn default() -> Deploy {
        Deploy {
            target: default_target(),
            namespace: None,
            kube_context: None,
            images: None,
            dry_run: None,
            chart: default_chart(),
            port_offset: 0,
            env: BTreeMap::new(),
            services: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("unknown environment `{0}` (environments: {1})")]
    UnknownEnv(String, String),
    #[error("{path}: {message}")]
    Config { path: String, message: String },
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Git(#[from] git::GitError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Every environment of the repository, by name.
pub fn load_environments(root: &Path) -> Result<BTreeMap<String, Environment>, DeliveryError> {
    let dir = root.join("environments");
    let mut envs = BTreeMap::new();
    let Ok(entries) = fs::read_dir(&dir) else {
        return Ok(envs);
    };
    for e in entries.filter_map(Result::ok) {
        let path = e.path();
        if path.extension().and_then(|x| x.to_str()) != Some("toml") {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let rel = crate::diag::relative(root, &path).display().to_string();
        let text = fs::read_to_string(&path)?;
        let mut env: Environment = toml::from_str(&text).map_err(|e| DeliveryError::Config {
            path: match e.span() {
                Some(s) => format!("{rel}:{}", crate::diag::line_of(&text, s.start)),
                None => rel.clone(),
            },
            message: e.message().to_string(),
        })?;
        env.name = name.clone();
        for w in &env.change_windows {
            parse_window(w).map_err(|m| DeliveryError::Config {
                path: rel.clone(),
                message: format!("change window `{w}`: {m}"),
            })?;
        }
        for stage in env
            .gates
            .ci
            .iter()
            .chain(env.hotfix_gates.iter().flat_map(|g| &g.ci))
        {
            if !crate::ci::STAGES.contains(&stage.as_str()) {
                return Err(DeliveryError::Config {
                    path: rel.clone(),
                    message: format!("unknown CI stage `{stage}` in gates"),
                });
            }
        }
        envs.insert(name, env);
    }
    for env in envs.values() {
        if !envs.contains_key(&env.source) && env.source.contains('.') {
            return Err(DeliveryError::Config {
                path: format!("environments/{}.toml", env.name),
                message: format!(
                    "source `{}` is neither an environment nor a branch",
                    env.source
                ),
            });
        }
    }
    Ok(envs)
}

pub fn environment<'a>(
    envs: &'a BTreeMap<String, Environment>,
    name: &str,
) -> Result<&'a Environment, DeliveryError> {
    envs.get(name).ok_or_else(|| {
        DeliveryError::UnknownEnv(
            name.to_string(),
            envs.keys().cloned().collect::<Vec<_>>().join(", "),
        )
    })
}

/// `"Mon-Fri 09:00-17:00"` → (first weekday 0=Mon, last weekday, start, end).
fn parse_window(w: &str) -> Result<(u32, u32, NaiveTime, NaiveTime), String> {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let (days, hours) = w
        .trim()
        .split_once(' ')
        .ok_or("expected `Mon-Fri 09:00-17:00`")?;
    let day = |d: &str| {
        DAYS.iter()
            .position(|x| x.eq_ignore_ascii_case(d))
            .map(|i| i as u32)
            .ok_or(format!("unknown day `{d}` (Mon … Sun)"))
    };
    let (d0, d1) = match days.split_once('-') {
        Some((a, b)) => (day(a)?, day(b)?),
        None => (day(days)?, day(days)?),
    };
    let (h0, h1) = hours
        .trim()
        .split_once('-')
        .ok_or("expected hours as `09:00-17:00`")?;
    let time =
        |t: &str| NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| format!("`{t}` is not HH:MM"));
    Ok((d0, d1, time(h0)?, time(h1)?))
}

fn in_window(w: &str, now: DateTime<Utc>) -> bool {
    let Ok((d0, d1, t0, t1)) = parse_window(w) else {
        return false;
    };
    let d = now.weekday().num_days_from_monday();
    let t = now.time();
    let day_ok = if d0 <= d1 {
        d >= d0 && d <= d1
    } else {
        d >= d0 || d <= d1
    };
    day_ok && t >= t0 && t < t1
}

/// The clock, which tests may set with `PORTFOLIO_NOW` (RFC 3339).
pub fn now() -> DateTime<Utc> {
    std::env::var("PORTFOLIO_NOW")
        .ok()
        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(Utc::now)
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

// ----- state -----

fn state_dir(root: &Path) -> PathBuf {
    root.join(".portfolio/delivery")
}

/// Serialises delivery operations of one clone (two pipeline jobs promoting at once, say):
/// held until dropped; a second caller waits, saying so.
pub struct DeliveryLock(#[allow(dead_code)] nix::fcntl::Flock<fs::File>);

pub fn lock(root: &Path) -> Result<DeliveryLock, DeliveryError> {
    use nix::fcntl::{Flock, FlockArg};
    fs::create_dir_all(state_dir(root))?;
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(state_dir(root).join(".lock"))?;
    let file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(l) => return Ok(DeliveryLock(l)),
        Err((file, _)) => file,
    };
    eprintln!("waiting for another promotion, approval or rollback in this clone to finish…");
    Flock::lock(file, FlockArg::LockExclusive)
        .map(DeliveryLock)
        .map_err(|(_, e)| DeliveryError::Io(std::io::Error::from(e)))
}

fn append<T: Serialize>(root: &Path, file: &str, value: &T) -> std::io::Result<()> {
    fs::create_dir_all(state_dir(root))?;
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(state_dir(root).join(file))?;
    writeln!(f, "{}", serde_json::to_string(value).expect("serialises"))
}

fn read_lines<T: for<'de> Deserialize<'de>>(root: &Path, file: &str) -> Vec<T> {
    fs::read_to_string(state_dir(root).join(file))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn read_json<T: for<'de> Deserialize<'de> + Default>(root: &Path, file: &str) -> T {
    fs::read_to_string(state_dir(root).join(file))
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

fn write_json<T: Serialize>(root: &Path, file: &str, value: &T) -> std::io::Result<()> {
    fs::create_dir_all(state_dir(root))?;
    let tmp = state_dir(root).join(format!("{file}.tmp"));
    fs::write(&tmp, serde_json::to_vec_pretty(value).expect("serialises"))?;
    fs::rename(tmp, state_dir(root).join(file))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Approval {
    pub env: String,
    pub commit: String,
    pub by: String,
    pub at: String,
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Freeze {
    pub by: String,
    pub at: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Block {
    pub commit: String,
    pub env: String,
    pub by: String,
    pub at: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GateResult {
    pub gate: String,
    pub ok: bool,
    /// What was found, and when refused, what would satisfy the gate.
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Promotion {
    pub env: String,
    pub commit: String,
    /// The environment's commit before.
    pub previous: Option<String>,
    /// Where the commit came from (source environment or branch; `hotfix` for hotfixes).
    #[serde(default)]
    pub source: String,
    pub by: String,
    pub at: String,
    /// `promote`, `hotfix` or `rollback`.
    pub action: String,
    pub gates: Vec<GateResult>,
    /// `promoted`, `refused`, `dry-run`, `deploy-failed`, `verify-failed`, `rolled-back`.
    pub outcome: String,
    #[serde(default)]
    pub release: Option<String>,
    #[serde(default)]
    pub notes: Vec<String>,
}

pub fn promotions(root: &Path) -> Vec<Promotion> {
    read_lines(root, "promotions.jsonl")
}

pub fn approvals(root: &Path) -> Vec<Approval> {
    read_lines(root, "approvals.jsonl")
}

pub fn freezes(root: &Path) -> BTreeMap<String, Freeze> {
    read_json(root, "freezes.json")
}

pub fn blocked(root: &Path) -> Vec<Block> {
    read_json(root, "blocked.json")
}

/// Whether `who` may approve for `env` (no list: anyone).
fn may_approve(env: &Environment, who: &str) -> bool {
    env.approvers.is_empty()
        || env.approvers.iter().any(|a| match a.strip_prefix('@') {
            Some(role) => env
                .roles
                .get(role)
                .is_some_and(|m| m.iter().any(|x| x.eq_ignore_ascii_case(who))),
            None => a.eq_ignore_ascii_case(who),
        })
}

/// `portfolio approve`: records `who`'s approval of `commit` for `env`.
pub fn approve(
    root: &Path,
    env: &Environment,
    rev: &str,
    comment: Option<String>,
) -> Result<Approval, DeliveryError> {
    let _lock = lock(root)?;
    let commit = git::commit_of(root, rev)?;
    let who = git::identity(root).ok_or_else(|| {
        DeliveryError::Refused(
            "no identity: set git's user.email (or PORTFOLIO_ACTOR) to approve".into(),
        )
    })?;
    let author = git::author_email(root, &commit)?;
    let self_ok = env.gates.allow_self_approval
        || env
            .hotfix_gates
            .as_ref()
            .is_some_and(|g| g.allow_self_approval);
    if author.eq_ignore_ascii_case(&who) && !self_ok {
        return Err(DeliveryError::Refused(format!(
            "self-approval refused: {who} wrote {} and {} needs someone else's approval",
            short(&commit),
            env.name
        )));
    }
    if !may_approve(env, &who) {
        return Err(DeliveryError::Refused(format!(
            "{who} may not approve for {}: approvers are {}",
            env.name,
            env.approvers.join(", ")
        )));
    }
    if approvals(root)
        .iter()
        .any(|a| a.env == env.name && a.commit == commit && a.by.eq_ignore_ascii_case(&who))
    {
        return Err(DeliveryError::Refused(format!(
            "{who} already approved {} for {}",
            short(&commit),
            env.name
        )));
    }
    let a = Approval {
        env: env.name.clone(),
        commit,
        by: who,
        at: stamp(now()),
        comment,
    };
    append(root, "approvals.jsonl", &a)?;
    crate::audit::record_or_warn(
        root,
        "approval",
        &a.commit,
        &format!("{} approved {} for {}", a.by, a.commit, a.env),
        &a,
    );
    Ok(a)
}

pub fn freeze(root: &Path, env: &Environment, reason: &str) -> Result<Freeze, DeliveryError> {
    let _lock = lock(root)?;
    let mut all = freezes(root);
    let f = Freeze {
        by: git::identity(root).unwrap_or_else(|| "unknown".into()),
        at: stamp(now()),
        reason: reason.to_string(),
    };
    all.insert(env.name.clone(), f.clone());
    write_json(root, "freezes.json", &all)?;
    crate::audit::record_or_warn(
        root,
        "freeze",
        &env.name,
        &format!("{} froze {}: {}", f.by, env.name, f.reason),
        &f,
    );
    Ok(f)
}

/// Lifts a freeze; `false` when there was none.
pub fn unfreeze(root: &Path, env: &Environment) -> Result<bool, DeliveryError> {
    let _lock = lock(root)?;
    let mut all = freezes(root);
    let was = all.remove(&env.name).is_some();
    write_json(root, "freezes.json", &all)?;
    if was {
        crate::audit::record_or_warn(
            root,
            "freeze",
            &env.name,
            &format!(
                "{} lifted the freeze of {}",
                git::identity(root).unwrap_or_default(),
                env.name
            ),
            &serde_json::json!({ "env": env.name, "unfrozen": true }),
        );
    }
    Ok(was)
}

/// Clears a rolled-back commit so it may be promoted again; `false` when it was not blocked.
pub fn unblock(root: &Path, rev: &str) -> Result<bool, DeliveryError> {
    let _lock = lock(root)?;
    let commit = git::commit_of(root, rev)?;
    let mut all = blocked(root);
    let before = all.len();
    all.retain(|b| b.commit != commit);
    write_json(root, "blocked.json", &all)?;
    Ok(all.len() != before)
}

pub fn short(commit: &str) -> &str {
    &commit[..commit.len().min(10)]
}

/// A release tag: `vYYYY.MM.DD` or `vYYYY.MM.DD.N`.
pub fn is_release_tag(tag: &str) -> bool {
    let Some(rest) = tag.strip_prefix('v') else {
        return false;
    };
    let parts: Vec<&str> = rest.split('.').collect();
    (parts.len() == 3 || parts.len() == 4)
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && parts[0].len() == 4
        && parts[1].len() == 2
        && parts[2].len() == 2
}

/// The commit an environment runs (its branch), if it exists yet.
pub fn env_commit(root: &Path, env: &Environment) -> Option<String> {
    git::branch_commit(root, &env.branch)
}

/// The commit `promote` takes by default: the head of the source (environment or branch).
pub fn source_commit(
    root: &Path,
    envs: &BTreeMap<String, Environment>,
    env: &Environment,
) -> Result<String, DeliveryError> {
    let branch = envs
        .get(&env.source)
        .map(|s| s.branch.clone())
        .unwrap_or_else(|| env.source.clone());
    git::branch_commit(root, &branch).ok_or_else(|| {
        DeliveryError::Refused(format!(
            "the source of {} is `{}`, and branch `{branch}` does not exist",
            env.name, env.source
        ))
    })
}

/// Evaluates every gate of `env` for `commit` (all of them, so a refusal lists everything).
pub fn check_gates(
    root: &Path,
    envs: &BTreeMap<String, Environment>,
    env: &Environment,
    commit: &str,
    hotfix: bool,
) -> Result<Vec<GateResult>, DeliveryError> {
    let gates = if hotfix {
        env.hotfix_gates.clone().ok_or_else(|| {
            DeliveryError::Refused(format!(
                "{} has no hotfix gates ([hotfix_gates] in environments/{}.toml)",
                env.name, env.name
            ))
        })?
    } else {
        env.gates.clone()
    };
    let mut out = Vec::new();
    let mut gate = |gate: &str, ok: bool, detail: String| {
        out.push(GateResult {
            gate: gate.into(),
            ok,
            detail,
        })
    };
    // Where the commit comes from.
    if hotfix {
        let base = env_commit(root, env);
        let ok = base
            .as_deref()
            .is_none_or(|b| git::is_ancestor(root, b, commit));
        gate(
            "source",
            ok,
            if ok {
                format!("a fix on top of {}", env.branch)
            } else {
                format!(
                    "a hotfix must branch from `{}` (git switch -c hotfix/… {})",
                    env.branch, env.branch
                )
            },
        );
    } else {
        let src = source_commit(root, envs, env)?;
        let ok = git::is_ancestor(root, commit, &src);
        let from = match envs.get(&env.source) {
            Some(s) => format!("environment {} (branch {})", s.name, s.branch),
            None => format!("branch {}", env.source),
        };
        gate(
            "source",
            ok,
            if ok {
                format!("reached {from}")
            } else {
                format!(
                    "{} has not reached {from}: promote it there first",
                    short(commit)
                )
            },
        );
    }
    // Fast-forward only.
    if let Some(cur) = env_commit(root, env) {
        let ok = git::is_ancestor(root, &cur, commit);
        gate(
            "fast-forward",
            ok,
            if ok {
                format!("{} → {}", short(&cur), short(commit))
            } else {
                format!(
                    "{} is not a descendant of {} ({}'s commit): only fast-forwards are promoted; use `portfolio rollback` to go back",
                    short(commit),
                    short(&cur),
                    env.branch
                )
            },
        );
    }
    // Not rolled back.
    let blocked_by = blocked(root).into_iter().find(|b| b.commit == commit);
    gate(
        "not-rolled-back",
        blocked_by.is_none(),
        match &blocked_by {
            None => "not blocked".into(),
            Some(b) => format!(
                "rolled back from {} by {} at {} ({}); clear with `portfolio unblock --commit {}`",
                b.env,
                b.by,
                b.at,
                b.reason,
                short(commit)
            ),
        },
    );
    // CI records.
    for stage in &gates.ci {
        let rec = crate::ci::read_record(root, commit, stage);
        let (ok, detail) = match rec {
            None => (
                false,
                format!(
                    "no CI record of `{stage}` for {}: run `portfolio ci {stage}` on that commit",
                    short(commit)
                ),
            ),
            Some(r) if r.dirty => (
                false,
                format!(
                    "the `{stage}` record of {} was made with uncommitted changes: rerun on a clean tree",
                    short(commit)
                ),
            ),
            Some(r) if !r.ok => {
                let failed: Vec<String> = r
                    .steps
                    .iter()
                    .filter(|s| s.outcome == crate::ci::StepOutcome::Failed)
                    .map(|s| s.project.clone())
                    .collect();
                (
                    false,
                    format!(
                        "`{stage}` is red for {} (failed: {}): fix and rerun",
                        short(commit),
                        failed.join(", ")
                    ),
                )
            }
            Some(r) => (true, format!("`{stage}` green at {}", r.started_at)),
        };
        gate(&format!("ci:{stage}"), ok, detail);
    }
    // Approvals.
    if gates.approvals > 0 {
        let author = git::author_email(root, commit)?;
        let valid: BTreeSet<String> = approvals(root)
            .into_iter()
            .filter(|a| a.env == env.name && a.commit == commit)
            .filter(|a| may_approve(env, &a.by))
            .filter(|a| gates.allow_self_approval || !a.by.eq_ignore_ascii_case(&author))
            .map(|a| a.by.to_lowercase())
            .collect();
        let ok = valid.len() >= gates.approvals;
        gate(
            "approvals",
            ok,
            if ok {
                format!(
                    "{} of {}: {}",
                    valid.len(),
                    gates.approvals,
                    valid.into_iter().collect::<Vec<_>>().join(", ")
                )
            } else {
                format!(
                    "{} of {} approvals{}: `portfolio approve --env {} --commit {}` by {}",
                    valid.len(),
                    gates.approvals,
                    if valid.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", valid.into_iter().collect::<Vec<_>>().join(", "))
                    },
                    env.name,
                    short(commit),
                    if env.approvers.is_empty() {
                        "anyone but the author".to_string()
                    } else {
                        env.approvers.join(", ")
                    }
                )
            },
        );
    }
    // Freeze.
    let frozen = freezes(root).get(&env.name).cloned();
    gate(
        "no-freeze",
        frozen.is_none(),
        match &frozen {
            None => "not frozen".into(),
            Some(f) => format!(
                "{} is frozen since {} by {} ({}); `portfolio unfreeze --env {}` lifts it",
                env.name, f.at, f.by, f.reason, env.name
            ),
        },
    );
    // Change window.
    if gates.change_window && !env.change_windows.is_empty() {
        let t = now();
        let ok = env.change_windows.iter().any(|w| in_window(w, t));
        gate(
            "change-window",
            ok,
            if ok {
                format!("{} is inside {}", stamp(t), env.change_windows.join(" or "))
            } else {
                format!(
                    "{} ({}) is outside the change windows {} (UTC)",
                    stamp(t),
                    t.format("%a"),
                    env.change_windows.join(", ")
                )
            },
        );
    }
    // Release tag.
    if gates.release_tag {
        let tags: Vec<String> = git::tags_at(root, commit)
            .into_iter()
            .filter(|t| is_release_tag(t))
            .collect();
        let ok = !tags.is_empty();
        gate(
            "release-tag",
            ok,
            if ok {
                tags.join(", ")
            } else {
                format!(
                    "{} has no release tag: `portfolio release` on it first",
                    short(commit)
                )
            },
        );
    }
    Ok(out)
}

#[derive(Debug, Clone, Default)]
pub struct PromoteOptions {
    pub commit: Option<String>,
    pub dry_run: bool,
    pub hotfix: bool,
    pub progress: bool,
}

fn evidence(root: &Path, record: &Promotion) {
    let source = if record.action == "rollback" {
        "rollback"
    } else {
        "promotion"
    };
    crate::audit::record_or_warn(
        root,
        source,
        &format!("{}-{}", record.env, short(&record.commit)),
        &format!(
            "{} of {} to {} by {}: {} ({} of {} gates passed)",
            record.action,
            record.commit,
            record.env,
            record.by,
            record.outcome,
            record.gates.iter().filter(|g| g.ok).count(),
            record.gates.len()
        ),
        &record,
    );
}

/// `portfolio promote --to ENV`: gates, branch move, deploy, verify, record.
pub fn promote(
    root: &Path,
    envs: &BTreeMap<String, Environment>,
    env: &Environment,
    opts: &PromoteOptions,
) -> Result<Promotion, DeliveryError> {
    let _lock = lock(root)?;
    let commit = match &opts.commit {
        Some(rev) => git::commit_of(root, rev)?,
        None if opts.hotfix => {
            return Err(DeliveryError::Refused(
                "a hotfix names its commit: `--commit <sha or hotfix branch>`".into(),
            ));
        }
        None => source_commit(root, envs, env)?,
    };
    let gates = check_gates(root, envs, env, &commit, opts.hotfix)?;
    let previous = env_commit(root, env);
    let mut record = Promotion {
        env: env.name.clone(),
        commit: commit.clone(),
        previous: previous.clone(),
        source: if opts.hotfix {
            "hotfix".into()
        } else {
            env.source.clone()
        },
        by: git::identity(root).unwrap_or_else(|| "unknown".into()),
        at: stamp(now()),
        action: if opts.hotfix { "hotfix" } else { "promote" }.into(),
        gates,
        outcome: String::new(),
        release: git::tags_at(root, &commit)
            .into_iter()
            .find(|t| is_release_tag(t)),
        notes: vec![],
    };
    if record.gates.iter().any(|g| !g.ok) {
        record.outcome = "refused".into();
        append(root, "promotions.jsonl", &record)?;
        evidence(root, &record);
        return Ok(record);
    }
    if opts.dry_run {
        record.outcome = "dry-run".into();
        return Ok(record);
    }
    move_branch(root, &env.branch, &commit)?;
    record.outcome = deploy_and_verify(root, env, &commit, opts.progress, &mut record.notes);
    append(root, "promotions.jsonl", &record)?;
    evidence(root, &record);
    Ok(record)
}

fn move_branch(root: &Path, branch: &str, commit: &str) -> Result<(), DeliveryError> {
    if git::current_branch(root).as_deref() == Some(branch) {
        // The checked-out branch: move it with the work tree, fast-forward only.
        git::run(root, &["merge", "--ff-only", "-q", commit])?;
    } else {
        git::run(root, &["branch", "-f", branch, commit])?;
    }
    Ok(())
}

/// Deploys `commit` to `env` and verifies it; the outcome word for the record.
fn deploy_and_verify(
    root: &Path,
    env: &Environment,
    commit: &str,
    progress: bool,
    notes: &mut Vec<String>,
) -> String {
    match deploy(root, env, commit, progress) {
        Err(e) => {
            notes.push(format!("deploy: {e}"));
            "deploy-failed".into()
        }
        Ok(None) => "promoted".into(),
        Ok(Some(worktree)) => match verify(&worktree, env) {
            Ok(lines) => {
                notes.extend(lines);
                "promoted".into()
            }
            Err(e) => {
                notes.push(format!("verify: {e}"));
                "verify-failed".into()
            }
        },
    }
}

/// Where the local target keeps an environment's copy.
pub fn worktree(root: &Path, env: &str) -> PathBuf {
    root.join(".portfolio/envs").join(env).join("src")
}

/// The `deploy` stage: `None` when the environment has no deploy target.
pub fn deploy(
    root: &Path,
    env: &Environment,
    commit: &str,
    progress: bool,
) -> Result<Option<PathBuf>, DeliveryError> {
    match env.deploy.target.as_str() {
        "none" => Ok(None),
        "local" => {
            let wt = worktree(root, &env.name);
            if progress {
                eprintln!("deploy {} → {} ({})", short(commit), env.name, wt.display());
            }
            // Stop the running copy first (its supervisor state lives in the worktree).
            if wt.join(".portfolio/run/state.json").exists() {
                portfolio_cmd(&wt, &["down"])?;
            }
            checkout(root, &wt, commit)?;
            fs::create_dir_all(wt.join("env"))?;
            let mut local = String::from("# Written by `portfolio promote` from [deploy.env]\n");
            for (k, v) in &env.deploy.env {
                local.push_str(&format!("{k}={v}\n"));
            }
            fs::write(wt.join("env/local"), local)?;
            let mut args = vec!["up", "--detach"];
            args.extend(env.deploy.services.iter().map(String::as_str));
            portfolio_env_cmd(&wt, &args, env.deploy.port_offset)?;
            Ok(Some(wt))
        }
        "helm" => {
            let wt = worktree(root, &env.name);
            let releases = helm_releases(root, env)?;
            checkout(root, &wt, commit)?;
            for r in &releases {
                if progress {
                    eprintln!(
                        "deploy {} → {}: helm upgrade --install {} (namespace {})",
                        short(commit),
                        env.name,
                        r.name,
                        r.namespace
                    );
                }
                let values = wt
                    .join(&env.deploy.chart)
                    .join("services")
                    .join(format!("{}.yaml", r.name));
                if !values.is_file() {
                    return Err(DeliveryError::Refused(format!(
                        "{}: the chart at {} has no values for {} ({})",
                        env.name,
                        short(commit),
                        r.name,
                        crate::diag::relative(&wt, &values).display()
                    )));
                }
                let env_values = wt
                    .join(&env.deploy.chart)
                    .join(format!("values.{}.yaml", env.name));
                let mut args: Vec<String> = vec![
                    "upgrade".into(),
                    "--install".into(),
                    r.name.clone(),
                    wt.join(&env.deploy.chart).display().to_string(),
                    "-n".into(),
                    r.namespace.clone(),
                    "-f".into(),
                    values.display().to_string(),
                ];
                if env_values.is_file() {
                    args.extend(["-f".into(), env_values.display().to_string()]);
                }
                args.extend(["--set".into(), format!("image.digest={}", r.digest)]);
                match env.deploy.dry_run.as_deref() {
                    Some(mode) => args.extend(["--dry-run".into(), mode.into()]),
                    None => args.extend(["--wait".into(), "--timeout".into(), "300".into()]),
                }
                helm(&wt, env, args)?;
            }
            Ok(Some(wt))
        }
        other => Err(DeliveryError::Refused(format!(
            "deploy target `{other}` of {} is unknown (targets: local, helm, none)",
            env.name
        ))),
    }
}

/// Checks `commit` out into the environment's worktree (created on first use).
fn checkout(root: &Path, wt: &Path, commit: &str) -> Result<(), DeliveryError> {
    if wt.join(".git").exists() {
        git::run(wt, &["checkout", "-q", "--detach", "--force", commit])?;
    } else {
        fs::create_dir_all(wt.parent().expect("parent"))?;
        let _ = git::run(root, &["worktree", "prune"]);
        git::run(
            root,
            &[
                "worktree",
                "add",
                "-q",
                "--detach",
                "--force",
                &wt.display().to_string(),
                commit,
            ],
        )?;
    }
    Ok(())
}

/// One Helm release of the helm target.
#[derive(Debug, Clone)]
pub struct Release {
    /// The release, named like the service's Cargo package (and its bake target).
    pub name: String,
    pub namespace: String,
    pub digest: String,
}

/// The releases of a helm environment: one per service, with the digest of its image.
pub fn helm_releases(root: &Path, env: &Environment) -> Result<Vec<Release>, DeliveryError> {
    let cfg = |message: String| DeliveryError::Config {
        path: format!("environments/{}.toml", env.name),
        message,
    };
    let namespace = env
        .deploy
        .namespace
        .clone()
        .ok_or_else(|| cfg("[deploy] target `helm` needs `namespace`".into()))?;
    if env.deploy.services.is_empty() {
        return Err(cfg("[deploy] target `helm` needs `services`".into()));
    }
    if let Some(mode) = &env.deploy.dry_run
        && mode != "client"
    {
        return Err(cfg(format!(
            "[deploy] dry_run `{mode}`: only `client` is known"
        )));
    }
    let images_rel = env.deploy.images.clone().ok_or_else(|| {
        cfg(
            "[deploy] target `helm` needs `images` (docker buildx bake --metadata-file output)"
                .into(),
        )
    })?;
    let images_path = root.join(&images_rel);
    let text = fs::read_to_string(&images_path).map_err(|e| {
        DeliveryError::Refused(format!(
            "{}: image digests {images_rel}: {e} (write it with `docker buildx bake --metadata-file {images_rel}`)",
            env.name
        ))
    })?;
    let images: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| DeliveryError::Refused(format!("{images_rel}: not JSON: {e}")))?;
    let (catalog, _) =
        crate::catalog::Catalog::load(root).map_err(|e| DeliveryError::Refused(e.to_string()))?;
    let mut out = Vec::new();
    for id in &env.deploy.services {
        let p = catalog
            .projects
            .iter()
            .find(|p| p.id() == id)
            .ok_or_else(|| cfg(format!("[deploy] services: unknown project `{id}`")))?;
        let name = p.manifest.package().to_string();
        let digest = images
            .get(&name)
            .and_then(|t| t.get("containerimage.digest"))
            .and_then(|d| d.as_str())
            .filter(|d| {
                d.len() == 71
                    && d.starts_with("sha256:")
                    && d[7..].bytes().all(|b| b.is_ascii_hexdigit())
            })
            .ok_or_else(|| {
                DeliveryError::Refused(format!(
                    "{images_rel}: no sha256 `containerimage.digest` for the bake target `{name}` ({id})"
                ))
            })?;
        out.push(Release {
            name,
            namespace: namespace.clone(),
            digest: digest.to_string(),
        });
    }
    Ok(out)
}

/// Runs `scripts/iac/helm.sh` of the worktree with the environment's kube context.
fn helm(wt: &Path, env: &Environment, mut args: Vec<String>) -> Result<String, DeliveryError> {
    if let Some(ctx) = &env.deploy.kube_context {
        args.extend(["--kube-context".into(), ctx.clone()]);
    }
    let out = Command::new("bash")
        .arg(wt.join("scripts/iac/helm.sh"))
        .args(&args)
        .current_dir(wt)
        .output()?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        Ok(text)
    } else {
        Err(DeliveryError::Refused(format!(
            "{}: `helm {}` failed: {}",
            env.name,
            args.iter().take(3).cloned().collect::<Vec<_>>().join(" "),
            text.trim()
        )))
    }
}

fn portfolio_cmd(root: &Path, args: &[&str]) -> Result<String, DeliveryError> {
    portfolio_env_cmd(root, args, 0)
}

fn portfolio_env_cmd(root: &Path, args: &[&str], offset: u16) -> Result<String, DeliveryError> {
    let out = Command::new(std::env::current_exe()?)
        .arg("--root")
        .arg(root)
        .args(args)
        .env("PORTFOLIO_PORT_OFFSET", offset.to_string())
        .env_remove("PORTFOLIO_ROOT")
        .output()?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        Ok(text)
    } else {
        Err(DeliveryError::Refused(format!(
            "`portfolio {}` failed:\n{}",
            args.join(" "),
            text.trim()
        )))
    }
}

/// The `verify` stage: every service of the copy healthy, then each project's `verify` step
/// (a synthetic user journey) when it has one.
pub fn verify(worktree: &Path, env: &Environment) -> Result<Vec<String>, DeliveryError> {
    if env.deploy.target == "helm" {
        return verify_helm(worktree, env);
    }
    let status = crate::supervisor::status(worktree);
    if !status.running {
        return Err(DeliveryError::Refused(format!(
            "{}: nothing is running",
            env.name
        )));
    }
    let mut lines = Vec::new();
    for s in &status.services {
        if !s.healthy {
            return Err(DeliveryError::Refused(format!(
                "{}: {} is not healthy",
                env.name, s.id
            )));
        }
        lines.push(format!(
            "healthy {} {}",
            s.id,
            s.url.clone().unwrap_or_default()
        ));
    }
    let (catalog, _) = crate::catalog::Catalog::load(worktree)
        .map_err(|e| DeliveryError::Refused(e.to_string()))?;
    for p in &catalog.projects {
        let Some(cmd) = p.manifest.ci.get("verify").filter(|c| !c.trim().is_empty()) else {
            continue;
        };
        if !status.services.iter().any(|s| s.id == p.id()) {
            continue;
        }
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(cmd)
            .current_dir(worktree.join(&p.dir))
            .env("PORTFOLIO_ENV", &env.name)
            .env("PORTFOLIO_PORT_OFFSET", env.deploy.port_offset.to_string());
        for (k, v) in &env.deploy.env {
            c.env(k, v);
        }
        let out = c.output()?;
        if !out.status.success() {
            return Err(DeliveryError::Refused(format!(
                "{}: verify step of {} failed: {}",
                env.name,
                p.id(),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        lines.push(format!("verified {} (`{cmd}`)", p.id()));
    }
    Ok(lines)
}

/// The helm target's verification: `helm test` of every release (the chart's smoke pod), or,
/// for a client-side dry run, what was rendered.
fn verify_helm(worktree: &Path, env: &Environment) -> Result<Vec<String>, DeliveryError> {
    // The main clone holds the image digests; the worktree shares its git directory.
    let common = git::run(
        worktree,
        &["rev-parse", "--path-format=absolute", "--git-common-dir"],
    )?;
    let root = Path::new(common.trim())
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| worktree.to_path_buf());
    let releases = helm_releases(&root, env)?;
    let mut lines = Vec::new();
    for r in releases {
        if env.deploy.dry_run.is_some() {
            lines.push(format!(
                "rendered {} for namespace {} (dry run: no cluster contacted, nothing tested)",
                r.name, r.namespace
            ));
            continue;
        }
        helm(
            worktree,
            env,
            vec![
                "test".into(),
                r.name.clone(),
                "-n".into(),
                r.namespace.clone(),
            ],
        )?;
        lines.push(format!(
            "helm test {} (namespace {}): passed",
            r.name, r.namespace
        ));
    }
    Ok(lines)
}

/// `portfolio rollback --env ENV [--to SHA]`: back to the previous promoted commit (or `to`),
/// redeploy, verify, record; the commit rolled back is blocked from promotion.
pub fn rollback(
    root: &Path,
    env: &Environment,
    to: Option<&str>,
    reason: &str,
    progress: bool,
) -> Result<Promotion, DeliveryError> {
    let _lock = lock(root)?;
    let current = env_commit(root, env).ok_or_else(|| {
        DeliveryError::Refused(format!(
            "{} has never been promoted: nothing to roll back",
            env.name
        ))
    })?;
    let target = match to {
        Some(rev) => git::commit_of(root, rev)?,
        None => promotions(root)
            .into_iter()
            .rev()
            .filter(|p| p.env == env.name && p.outcome == "promoted" && p.commit != current)
            .find(|p| git::is_ancestor(root, &p.commit, &current))
            .map(|p| p.commit)
            .ok_or_else(|| {
                DeliveryError::Refused(format!(
                    "{} has no earlier promoted commit: name one with --to",
                    env.name
                ))
            })?,
    };
    if target == current {
        return Err(DeliveryError::Refused(format!(
            "{} already runs {}",
            env.name,
            short(&target)
        )));
    }
    let by = git::identity(root).unwrap_or_else(|| "unknown".into());
    git::run(root, &["branch", "-f", &env.branch, &target])?;
    let mut all = blocked(root);
    all.push(Block {
        commit: current.clone(),
        env: env.name.clone(),
        by: by.clone(),
        at: stamp(now()),
        reason: reason.to_string(),
    });
    write_json(root, "blocked.json", &all)?;
    let mut record = Promotion {
        env: env.name.clone(),
        commit: target.clone(),
        previous: Some(current),
        source: "rollback".into(),
        by,
        at: stamp(now()),
        action: "rollback".into(),
        gates: vec![],
        outcome: String::new(),
        release: git::tags_at(root, &target)
            .into_iter()
            .find(|t| is_release_tag(t)),
        notes: vec![format!("reason: {reason}")],
    };
    let outcome = deploy_and_verify(root, env, &target, progress, &mut record.notes);
    record.outcome = if outcome == "promoted" {
        "rolled-back".into()
    } else {
        outcome
    };
    append(root, "promotions.jsonl", &record)?;
    evidence(root, &record);
    Ok(record)
}

/// One row of `portfolio envs`.
#[derive(Debug, Clone, Serialize)]
pub struct EnvStatus {
    pub env: String,
    pub branch: String,
    pub commit: Option<String>,
    pub release: Option<String>,
    pub promoted_at: Option<String>,
    pub promoted_by: Option<String>,
    pub frozen: Option<String>,
    /// Commits in the source not yet here.
    pub waiting: usize,
    pub source: String,
    /// Hotfixes promoted here that have not reached `work` (or the first environment's source).
    pub hotfixes_not_in_work: Vec<String>,
}

pub fn status(
    root: &Path,
    envs: &BTreeMap<String, Environment>,
) -> Result<Vec<EnvStatus>, DeliveryError> {
    let all = promotions(root);
    let freezes = freezes(root);
    // `work` is the source that is a branch, not an environment.
    let work = envs
        .values()
        .find(|e| !envs.contains_key(&e.source))
        .map(|e| e.source.clone())
        .unwrap_or_else(|| "work".into());
    let mut order: Vec<&Environment> = Vec::new();
    let mut next = envs.values().find(|e| !envs.contains_key(&e.source));
    while let Some(e) = next {
        if order.iter().any(|o| o.name == e.name) {
            break;
        }
        order.push(e);
        next = envs.values().find(|x| x.source == e.name);
    }
    for e in envs.values() {
        if !order.iter().any(|o| o.name == e.name) {
            order.push(e);
        }
    }
    let mut out = Vec::new();
    for env in order {
        let commit = env_commit(root, env);
        let last = all.iter().rev().find(|p| {
            p.env == env.name && matches!(p.outcome.as_str(), "promoted" | "rolled-back")
        });
        let src_branch = envs
            .get(&env.source)
            .map(|s| s.branch.clone())
            .unwrap_or_else(|| env.source.clone());
        let waiting = match (&commit, git::branch_commit(root, &src_branch)) {
            (Some(c), Some(s)) => git::run(root, &["rev-list", "--count", &format!("{c}..{s}")])
                .ok()
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0),
            (None, Some(s)) => git::run(root, &["rev-list", "--count", &s])
                .ok()
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0),
            _ => 0,
        };
        let hotfixes_not_in_work = all
            .iter()
            .filter(|p| p.env == env.name && p.action == "hotfix" && p.outcome == "promoted")
            .filter(|p| !reached(root, &p.commit, &work))
            .map(|p| p.commit.clone())
            .collect();
        out.push(EnvStatus {
            env: env.name.clone(),
            branch: env.branch.clone(),
            release: commit.as_ref().and_then(|c| {
                git::tags_at(root, c)
                    .into_iter()
                    .find(|t| is_release_tag(t))
            }),
            commit,
            promoted_at: last.map(|p| p.at.clone()),
            promoted_by: last.map(|p| p.by.clone()),
            frozen: freezes.get(&env.name).map(|f| f.reason.clone()),
            waiting,
            source: env.source.clone(),
            hotfixes_not_in_work,
        });
    }
    Ok(out)
}

/// Whether the change of `commit` is in `branch`: an ancestor, or an equivalent patch
/// (cherry-picked) per `git cherry`.
pub fn reached(root: &Path, commit: &str, branch: &str) -> bool {
    if git::is_ancestor(root, commit, branch) {
        return true;
    }
    git::run(root, &["cherry", branch, commit, &format!("{commit}~1")])
        .map(|out| out.lines().all(|l| l.starts_with('-')) && !out.trim().is_empty())
        .unwrap_or(false)
}
