//! `portfolio decommission ID --reason TEXT` (guide §12), in reviewable steps.
//!
//! - Refused while any other project (planned ones included) depends on it; the dependents
//!   are listed.
//! - A project that never ran in production (`planned`, `experimental`) goes to
//!   `decommissioned` in one step. An `active` one goes to `deprecated` first (the ADR is
//!   written with status *proposed*); running the command again after review finishes it.
//! - The final step: lifecycle `decommissioned`, the `[decommission]` table with date, reason
//!   and ADR, the ADR accepted, the project removed from environments' `deploy.services` and
//!   its secret rules (`.portfolio-secrets.toml` rules naming its files) removed;
//!   `up`, CI stages, lint and test skip it from then on (they run built lifecycles only).
//!   Audit evidence and backups are kept; the step is itself recorded as evidence
//!   (`decommission`).

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::catalog::Catalog;
use crate::manifest::Lifecycle;

#[derive(Debug, thiserror::Error)]
pub enum DecommissionError {
    #[error("{0}")]
    Unknown(String),
    #[error(
        "{id} cannot be decommissioned while other projects depend on it: {}\nmove them off it first (remove it from their depends_on) or decommission them",
        dependents.join(", ")
    )]
    HasDependents { id: String, dependents: Vec<String> },
    #[error("{0} is already decommissioned")]
    Already(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub id: String,
    pub from: String,
    pub to: String,
    pub adr: String,
    /// What changed, one line each.
    pub changes: Vec<String>,
    /// Whether another run is needed to finish.
    pub next_step: Option<String>,
}

fn today() -> String {
    crate::delivery::now().format("%Y-%m-%d").to_string()
}

/// Replaces the `lifecycle = …` line and the `[decommission]` table of a manifest's text.
fn edit_manifest(src: &str, lifecycle: Lifecycle, table: &str) -> String {
    let mut out = Vec::new();
    let mut in_decom = false;
    for line in src.lines() {
        let t = line.trim_start();
        if t.starts_with('[') {
            in_decom = t.starts_with("[decommission]");
        }
        if in_decom {
            continue;
        }
        if t.starts_with("lifecycle") && t.contains('=') && !t.starts_with("lifecycle_") {
            out.push(format!("lifecycle = \"{lifecycle}\""));
        } else {
            out.push(line.to_string());
        }
    }
    while out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    format!("{}\n\n{table}", out.join("\n"))
}

fn next_adr(dir: &Path) -> (u32, PathBuf) {
    let n = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.get(..4)?.parse::<u32>().ok())
        .max()
        .unwrap_or(0)
        + 1;
    (n, dir.join(format!("{n:04}-decommission.md")))
}

fn adr_text(
    n: u32,
    name: &str,
    status: &str,
    date: &str,
    reason: &str,
    dependents_note: &str,
) -> String {
    format!(
        "# ADR {n:04}: Decommission {name}\n\n- Status: {status}\n- Date: {date}\n\n## Context\n{reason}\n\n## Decision\nDecommission `{name}`: its lifecycle becomes `decommissioned`, so `portfolio up`, the CI\nstages, lint and test no longer run it and environments no longer deploy it. {dependents_note}\n\n## Consequences\nIts audit evidence under `audits/` and its backups are kept for their retention periods; its\ncode and documents stay in the repository as history. Anything that still needs what it did\nmust use its successor named in the context above.\n"
    )
}

/// Runs the next step of decommissioning `id`. With `dry_run`, changes nothing and says what
/// it would do.
pub fn decommission(
    catalog: &Catalog,
    id: &str,
    reason: &str,
    dry_run: bool,
) -> Result<Outcome, DecommissionError> {
    let root = &catalog.root;
    let i = catalog.resolve(id).map_err(DecommissionError::Unknown)?;
    let p = &catalog.projects[i];
    let id = p.id().to_string();
    let from = p.lifecycle();
    if from == Lifecycle::Decommissioned {
        return Err(DecommissionError::Already(id));
    }
    let dependents: Vec<String> = catalog
        .projects
        .iter()
        .filter(|q| q.lifecycle() != Lifecycle::Decommissioned)
        .filter(|q| q.manifest.depends_on.iter().any(|d| d.get_ref() == &id))
        .map(|q| q.id().to_string())
        .collect();
    if !dependents.is_empty() {
        return Err(DecommissionError::HasDependents { id, dependents });
    }
    let two_steps = matches!(from, Lifecycle::Active);
    let to = if two_steps {
        Lifecycle::Deprecated
    } else {
        Lifecycle::Decommissioned
    };
    let dir = root.join(&p.dir);
    let name = p.manifest.name.get_ref().clone();
    let date = today();
    let mut changes = Vec::new();
    // The ADR: written at the first step, accepted at the last.
    let existing_adr = p.manifest.decommission.as_ref().map(|d| dir.join(&d.adr));
    let (adr_path, adr_body) = match existing_adr.filter(|p| p.is_file()) {
        Some(path) => {
            let text = fs::read_to_string(&path)?;
            let accepted = text
                .lines()
                .map(|l| {
                    if l.trim_start_matches("- ").starts_with("Status:") {
                        "- Status: accepted".to_string()
                    } else {
                        l.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
                + "\n";
            (path, accepted)
        }
        None => {
            let (n, path) = next_adr(&dir.join("adr"));
            let status = if to == Lifecycle::Decommissioned {
                "accepted"
            } else {
                "proposed"
            };
            (
                path,
                adr_text(n, &name, status, &date, reason, "No project depends on it."),
            )
        }
    };
    let adr_rel = adr_path
        .strip_prefix(&dir)
        .unwrap_or(&adr_path)
        .display()
        .to_string();
    changes.push(format!(
        "{}: {}",
        crate::diag::relative(root, &adr_path).display(),
        if adr_path.is_file() {
            "accepted"
        } else {
            "written"
        }
    ));
    let reason = p
        .manifest
        .decommission
        .as_ref()
        .map(|d| d.reason.clone())
        .unwrap_or_else(|| reason.to_string());
    let requested = p
        .manifest
        .decommission
        .as_ref()
        .map(|d| d.requested.clone())
        .unwrap_or_else(|| date.clone());
    let mut table = format!(
        "[decommission]\nreason = {}\nadr = {}\nrequested = \"{requested}\"\n",
        toml_str(&reason),
        toml_str(&adr_rel)
    );
    if to == Lifecycle::Decommissioned {
        table.push_str(&format!("date = \"{date}\"\n"));
    }
    let manifest_path = root.join(&p.manifest_path);
    let src = fs::read_to_string(&manifest_path)?;
    let new_manifest = edit_manifest(&src, to, &table);
    changes.push(format!(
        "{}: lifecycle {from} → {to}",
        p.manifest_path.display()
    ));
    // Environments stop deploying it.
    let mut env_edits = Vec::new();
    if to == Lifecycle::Decommissioned {
        for e in fs::read_dir(root.join("environments"))
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
        {
            let path = e.path();
            let Ok(text) = fs::read_to_string(&path) else {
                continue;
            };
            let quoted = format!("\"{id}\"");
            if text.contains(&quoted) {
                let edited = text
                    .replace(&format!("{quoted}, "), "")
                    .replace(&format!(", {quoted}"), "")
                    .replace(&quoted, "");
                changes.push(format!(
                    "{}: removed from deploy.services",
                    crate::diag::relative(root, &path).display()
                ));
                env_edits.push((path, edited));
            }
        }
        // Nobody needs to decrypt its secrets any more: drop the rules for its files.
        let stem = id.replace('/', "__");
        let rules_path = root.join(crate::secretcmd::RULES_FILE);
        if let Ok(rules) = crate::secretcmd::load_rules(root)
            && rules
                .iter()
                .any(|r| r.path.contains(&stem) || r.path.contains(&p.dir.display().to_string()))
        {
            let kept: Vec<&crate::secretcmd::Rule> = rules
                .iter()
                .filter(|r| {
                    !r.path.contains(&stem) && !r.path.contains(&p.dir.display().to_string())
                })
                .collect();
            let mut text = String::from(
                "# Creation rules of `portfolio secrets` (rewritten by `portfolio decommission`).\n",
            );
            for r in &kept {
                text.push_str(&format!(
                    "\n[[rule]]\npath = {}\nrecipients = [{}]\n",
                    toml_str(&r.path),
                    r.recipients
                        .iter()
                        .map(|x| toml_str(x))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            changes.push(format!(
                "{}: removed {} rule(s) for its secrets",
                crate::secretcmd::RULES_FILE,
                rules.len() - kept.len()
            ));
            env_edits.push((rules_path, text));
        }
        changes.push("portfolio up, CI stages, lint and test: skipped from now on".into());
        changes.push(
            "kept: audit evidence under audits/ and backups, for their retention periods".into(),
        );
    }
    let outcome = Outcome {
        id: id.clone(),
        from: from.to_string(),
        to: to.to_string(),
        adr: crate::diag::relative(root, &adr_path).display().to_string(),
        changes,
        next_step: (to == Lifecycle::Deprecated).then(|| {
            format!("review and merge, then run `portfolio decommission {id} --reason …` again to finish")
        }),
    };
    if dry_run {
        return Ok(outcome);
    }
    fs::create_dir_all(adr_path.parent().expect("adr folder"))?;
    fs::write(&adr_path, adr_body)?;
    fs::write(&manifest_path, new_manifest)?;
    for (path, text) in env_edits {
        fs::write(path, text)?;
    }
    crate::audit::record_or_warn(
        root,
        "decommission",
        &id,
        &format!("{id}: {from} → {to} ({reason})"),
        &outcome,
    );
    Ok(outcome)
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}
