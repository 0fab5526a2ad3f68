//! Promotion: a registered version serves `staging` or `production` only with passed gates
//! and intact signatures; production also needs approvals by the approvers of the
//! platform's production environment (`environments/prod.toml`, the rules of `portfolio
//! approve`: named approvers or `@role` members, never the one who registered the model).
//! Every promotion, refusal and rollback is written to the registry's history and, through
//! `portfolio audit record`, to the platform's audit evidence.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::config::PromoteConfig;
use crate::registry::{Approval, HistoryEntry, Registry, STAGES};

/// Who may approve: an environment's `approvers` and `roles`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Rules {
    /// The environment file the rules come from.
    #[serde(skip)]
    pub source: String,
    #[serde(default)]
    pub approvers: Vec<String>,
    #[serde(default)]
    pub roles: BTreeMap<String, Vec<String>>,
}

impl Rules {
    /// `environments/<env>.toml` under `repo` (only `approvers` and `roles` are read).
    pub fn load(repo: &Path, env: &str) -> anyhow::Result<Rules> {
        let path = repo.join("environments").join(format!("{env}.toml"));
        let text = std::fs::read_to_string(&path).map_err(|e| {
            anyhow::anyhow!(
                "reading {}: {e} (production approvals follow that environment's approvers; set promote.environment or --repo)",
                path.display()
            )
        })?;
        let value: toml::Value =
            toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let mut rules: Rules = value
            .try_into()
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        rules.source = path.display().to_string();
        Ok(rules)
    }

    /// Whether `who` may approve (no list: anyone).
    pub fn may_approve(&self, who: &str) -> bool {
        self.approvers.is_empty()
            || self.approvers.iter().any(|a| match a.strip_prefix('@') {
                Some(role) => self
                    .roles
                    .get(role)
                    .is_some_and(|m| m.iter().any(|x| x.eq_ignore_ascii_case(who))),
                None => a.eq_ignore_ascii_case(who),
            })
    }
}

/// The acting person: `PORTFOLIO_ACTOR`, else git's `user.email` in `repo`.
pub fn identity(repo: &Path) -> Option<String> {
    std::env::var("PORTFOLIO_ACTOR")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| git(repo, &["config", "user.email"]))
}

/// The commit checked out in `repo` (CI's own variables first).
pub fn commit(repo: &Path) -> String {
    ["GITHUB_SHA", "CI_COMMIT_SHA"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .or_else(|| git(repo, &["rev-parse", "HEAD"]))
        .unwrap_or_else(|| "unknown".into())
}

fn git(repo: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let s = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !s.is_empty()).then_some(s)
}

/// A rule said no (exit status 1, unlike errors in the input, 2).
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

macro_rules! refuse {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            return Err(Refused(format!($($arg)*)).into());
        }
    };
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn check_stage(stage: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        STAGES.contains(&stage),
        "unknown stage {stage:?}: one of {}",
        STAGES.join(", ")
    );
    Ok(())
}

/// Records `who`'s approval of `version` for production.
pub fn approve(
    reg: &Registry,
    rules: &Rules,
    version: u32,
    who: &str,
    comment: Option<String>,
) -> anyhow::Result<Approval> {
    let card = reg.card(version)?;
    refuse!(
        !card.registered_by.eq_ignore_ascii_case(who),
        "self-approval refused: {who} registered v{version} and production needs someone else's approval"
    );
    refuse!(
        rules.may_approve(who),
        "{who} may not approve production models: the approvers in {} are {}",
        rules.source,
        rules.approvers.join(", ")
    );
    refuse!(
        !reg.approvals()?.iter().any(|a| a.version == version
            && a.stage == "production"
            && a.by.eq_ignore_ascii_case(who)),
        "{who} already approved v{version} for production"
    );
    let a = Approval {
        version,
        stage: "production".into(),
        by: who.to_string(),
        at: now(),
        comment,
    };
    reg.add_approval(a.clone())?;
    Ok(a)
}

/// What a promotion did.
#[derive(Debug, Clone, Serialize)]
pub struct Promotion {
    pub stage: String,
    pub version: u32,
    pub replaced: Option<u32>,
    pub approvals: Vec<String>,
}

/// Why `version` may not serve `stage`, or `None` when it may.
fn refusal(
    reg: &Registry,
    rules: Option<&Rules>,
    cfg: &PromoteConfig,
    version: u32,
    stage: &str,
) -> anyhow::Result<(Option<String>, Vec<String>)> {
    let card = reg.card(version)?;
    if let Err(e) = reg.verify(version) {
        return Ok((Some(e.to_string()), vec![]));
    }
    if !card.gates_passed {
        let failed: Vec<String> = card
            .evaluation
            .gates
            .iter()
            .filter(|g| !g.passed)
            .map(|g| format!("{} ({})", g.name, g.detail))
            .collect();
        return Ok((
            Some(format!(
                "v{version} failed its gates: {}",
                failed.join("; ")
            )),
            vec![],
        ));
    }
    if stage != "production" {
        return Ok((None, vec![]));
    }
    let rules = rules.ok_or_else(|| anyhow::anyhow!("production needs approval rules"))?;
    let by: Vec<String> = reg
        .approvals()?
        .into_iter()
        .filter(|a| a.version == version && a.stage == "production")
        .filter(|a| rules.may_approve(&a.by) && !a.by.eq_ignore_ascii_case(&card.registered_by))
        .map(|a| a.by)
        .collect();
    if by.len() < cfg.approvals {
        return Ok((
            Some(format!(
                "v{version} has {} of the {} approval(s) production needs (`mlops approve --version {version}` by one of {})",
                by.len(),
                cfg.approvals,
                rules.approvers.join(", ")
            )),
            by,
        ));
    }
    Ok((None, by))
}

/// Promotes `version` to `stage`; a refusal is recorded and returned as the error.
pub fn promote(
    reg: &Registry,
    rules: Option<&Rules>,
    cfg: &PromoteConfig,
    version: u32,
    stage: &str,
    who: &str,
) -> anyhow::Result<Promotion> {
    check_stage(stage)?;
    let (refused, approvals) = refusal(reg, rules, cfg, version, stage)?;
    if let Some(why) = refused {
        reg.record(HistoryEntry {
            action: "refused".into(),
            stage: stage.into(),
            version: Some(version),
            from: None,
            by: who.into(),
            at: now(),
            detail: why.clone(),
        })?;
        return Err(Refused(format!("promotion refused: {why}")).into());
    }
    let replaced = reg.set_stage(stage, version, who)?;
    reg.record(HistoryEntry {
        action: "promoted".into(),
        stage: stage.into(),
        version: Some(version),
        from: replaced,
        by: who.into(),
        at: now(),
        detail: format!("approved by {}", approvals.join(", ")),
    })?;
    Ok(Promotion {
        stage: stage.into(),
        version,
        replaced,
        approvals,
    })
}

/// Puts back the version `stage` served before.
pub fn rollback(reg: &Registry, stage: &str, who: &str) -> anyhow::Result<(u32, u32)> {
    check_stage(stage)?;
    let (from, to) = reg.roll_back(stage, who)?;
    reg.record(HistoryEntry {
        action: "rolled-back".into(),
        stage: stage.into(),
        version: Some(to),
        from: Some(from),
        by: who.into(),
        at: now(),
        detail: format!("v{from} → v{to}"),
    })?;
    Ok((from, to))
}

/// Writes audit evidence with `portfolio audit record` (`PORTFOLIO_BIN`, else `portfolio` on
/// the PATH); returns the files written, or why none were.
pub fn evidence(
    repo: &Path,
    source: &str,
    subject: &str,
    summary: &str,
    data: &impl Serialize,
) -> Result<Vec<PathBuf>, String> {
    use std::io::Write as _;
    let bin = std::env::var("PORTFOLIO_BIN").unwrap_or_else(|_| "portfolio".into());
    let mut child = Command::new(&bin)
        .arg("--root")
        .arg(repo)
        .args(["audit", "record", "--json", "--source", source])
        .args(["--subject", subject, "--summary", summary, "--data", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("running {bin}: {e} (set PORTFOLIO_BIN to the platform CLI)"))?;
    let body = serde_json::to_vec(data).map_err(|e| e.to_string())?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(&body)
        .map_err(|e| format!("writing to {bin}: {e}"))?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "{bin} audit record: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("{bin} audit record: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_names_decide_who_approves() {
        let rules: Rules = toml::from_str(
            "approvers = [\"@cab\", \"ml-lead@x.example\"]\n[roles]\ncab = [\"a@x.example\"]\n",
        )
        .unwrap();
        assert!(rules.may_approve("A@x.example"));
        assert!(rules.may_approve("ml-lead@x.example"));
        assert!(!rules.may_approve("b@x.example"));
        assert!(Rules::default().may_approve("anyone@x.example"));
    }
}
