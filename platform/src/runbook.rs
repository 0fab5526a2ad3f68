//! `portfolio runbook check|new` (guide §9), beyond `validate`'s structure checks.
//!
//! `check`: every built project's `ops/runbook.md` has the §9 sections and was exercised within
//! 90 days; every alert ID it cites (lines `ALERT-ID: …`, bulleted or not, under *Dashboards
//! and alert IDs*)
//! exists in the alert rules, and every alert rule names a runbook (`runbook_url` or `runbook`
//! annotation) that exists and cites the alert. Alert rules are Prometheus rule files,
//! `*.rules.yml` / `*.rules.yaml` anywhere under `projects/`; they are read line by line for
//! `alert:` and `runbook_url:`/`runbook:` keys. Until the monitoring project ships rules there
//! are none, and `check` says so instead of passing silently.
//!
//! `new ID`: writes a project's runbook from the house template.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;

use crate::catalog::Catalog;
use crate::diag::Diagnostic;

/// Alert IDs cited in a runbook's *Dashboards and alert IDs* section, with their lines.
pub fn cited_alerts(src: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut in_section = false;
    for (n, line) in src.lines().enumerate() {
        let t = line.trim();
        if let Some(h) = t.strip_prefix("## ") {
            in_section = h.trim().eq_ignore_ascii_case("Dashboards and alert IDs");
            continue;
        }
        if !in_section {
            continue;
        }
        let rest = t
            .strip_prefix("- ")
            .or_else(|| t.strip_prefix("* "))
            .unwrap_or(t);
        let id: String = rest
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '-' || *c == '_')
            .collect();
        if id.len() >= 3 && id.contains('-') && rest[id.len()..].starts_with(':') {
            out.push((id, n + 1));
        }
    }
    out
}

/// An alert rule found in a rule file.
#[derive(Debug, Clone, Serialize)]
pub struct AlertRule {
    pub alert: String,
    pub file: String,
    pub line: usize,
    pub runbook: Option<String>,
}

fn rule_files(dir: &Path, out: &mut Vec<PathBuf>) {
    crate::validate::collect_files(
        dir,
        &["target", "node_modules"],
        &|name| name.ends_with(".rules.yml") || name.ends_with(".rules.yaml"),
        out,
    );
}

/// Alert rules under `projects/`, each with the runbook its annotations name.
pub fn alert_rules(root: &Path) -> Vec<AlertRule> {
    let mut files = Vec::new();
    rule_files(&root.join("projects"), &mut files);
    files.sort();
    let mut out: Vec<AlertRule> = Vec::new();
    for f in files {
        let rel = crate::diag::relative(root, &f).display().to_string();
        let Ok(src) = fs::read_to_string(&f) else {
            continue;
        };
        for (n, line) in src.lines().enumerate() {
            let t = line.trim().trim_start_matches("- ").trim();
            let value = |key: &str| {
                t.strip_prefix(key)
                    .map(|v| v.trim().trim_matches(['"', '\'']).to_string())
            };
            if let Some(a) = value("alert:") {
                out.push(AlertRule {
                    alert: a,
                    file: rel.clone(),
                    line: n + 1,
                    runbook: None,
                });
            } else if let Some(r) = value("runbook_url:").or_else(|| value("runbook:"))
                && let Some(last) = out.last_mut().filter(|l| l.file == rel)
            {
                last.runbook = Some(r);
            }
        }
    }
    out
}

#[derive(Debug, Clone, Serialize)]
pub struct RunbookStatus {
    pub project: String,
    pub runbook: String,
    pub last_exercised: Option<String>,
    pub days_since: Option<i64>,
    pub alerts: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub runbooks: Vec<RunbookStatus>,
    pub rules: usize,
    pub problems: Vec<String>,
    /// Said when there is nothing to cross-check against.
    pub notes: Vec<String>,
}

/// Runs every check; `today` decides freshness.
pub fn check(catalog: &Catalog, today: NaiveDate) -> CheckReport {
    let root = &catalog.root;
    let mut problems: Vec<Diagnostic> = Vec::new();
    let mut runbooks = Vec::new();
    let mut cited: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in catalog.projects.iter().filter(|p| p.lifecycle().is_built()) {
        let rel = p.dir.join("ops/runbook.md");
        let Ok(src) = fs::read_to_string(root.join(&rel)) else {
            if matches!(
                p.lifecycle(),
                crate::manifest::Lifecycle::Active | crate::manifest::Lifecycle::Deprecated
            ) {
                problems.push(Diagnostic::new(
                    &rel,
                    1,
                    "an active project needs ops/runbook.md",
                ));
            }
            continue;
        };
        problems.extend(crate::docs::check_runbook(&rel, &src));
        let last = crate::docs::runbook_last_exercised(&src);
        let days = last
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(|d| (today - d).num_days());
        if let Some(d) = days
            && d > 90
        {
            problems.push(Diagnostic::new(
                &rel,
                src.lines()
                    .position(|l| l.contains("Last exercised"))
                    .map(|i| i + 1)
                    .unwrap_or(1),
                format!(
                    "not exercised for {d} days (more than 90): run a drill of it and update `Last exercised`"
                ),
            ));
        }
        let alerts = cited_alerts(&src);
        for (a, _) in &alerts {
            cited
                .entry(a.clone())
                .or_default()
                .push(rel.display().to_string());
        }
        runbooks.push((
            rel.clone(),
            alerts.clone(),
            RunbookStatus {
                project: p.id().to_string(),
                runbook: rel.display().to_string(),
                last_exercised: last,
                days_since: days,
                alerts: alerts.into_iter().map(|(a, _)| a).collect(),
            },
        ));
    }
    let rules = alert_rules(root);
    let mut notes = Vec::new();
    if rules.is_empty() {
        notes.push(format!(
            "no alert rules (*.rules.yml under projects/) yet: the {} alert ID(s) cited by runbooks are not cross-checked",
            cited.len()
        ));
    } else {
        let defined: BTreeMap<&str, &AlertRule> =
            rules.iter().map(|r| (r.alert.as_str(), r)).collect();
        for (rel, alerts, _) in &runbooks {
            for (a, line) in alerts {
                if !defined.contains_key(a.as_str()) {
                    problems.push(Diagnostic::new(
                        rel,
                        *line,
                        format!("alert `{a}` is cited here but no alert rule defines it"),
                    ));
                }
            }
        }
        for r in &rules {
            match &r.runbook {
                None => problems.push(Diagnostic::new(
                    Path::new(&r.file),
                    r.line,
                    format!("alert `{}` has no runbook_url annotation", r.alert),
                )),
                Some(url) => {
                    let path = url.split('#').next().unwrap_or(url);
                    let rel = path.trim_start_matches('/');
                    if !root.join(rel).is_file() {
                        problems.push(Diagnostic::new(
                            Path::new(&r.file),
                            r.line,
                            format!("alert `{}` links to {url}, which does not exist", r.alert),
                        ));
                    } else if !cited
                        .get(&r.alert)
                        .is_some_and(|c| c.iter().any(|c| c == rel))
                    {
                        problems.push(Diagnostic::new(
                            Path::new(&r.file),
                            r.line,
                            format!(
                                "alert `{}` links to {rel}, which does not list it under `## Dashboards and alert IDs`",
                                r.alert
                            ),
                        ));
                    }
                }
            }
        }
    }
    crate::diag::normalize(&mut problems);
    CheckReport {
        runbooks: runbooks.into_iter().map(|(_, _, s)| s).collect(),
        rules: rules.len(),
        problems: problems.iter().map(|d| d.to_string()).collect(),
        notes,
    }
}

/// The house template for `id`, exercised `today`.
pub fn template(p: &crate::catalog::Project, today: NaiveDate) -> String {
    let alert = p
        .manifest
        .name
        .get_ref()
        .to_uppercase()
        .replace(['_', '.'], "-");
    let deps = if p.manifest.depends_on.is_empty() {
        "nothing".to_string()
    } else {
        p.manifest
            .depends_on
            .iter()
            .map(|d| format!("`{}`", d.get_ref()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "# {name} runbook\n\nLast exercised: {today}\n\n## Service overview and ownership\n{summary} Owner: {owner}. Depends on {deps}.\nWhere it runs, where its data lives (`{state}`), what breaks for users when it is down.\n\n## Dashboards and alert IDs\nWhat to look at first (health endpoint, `/metrics`, dashboards).\n- {alert}-DOWN: the health check fails for 1 minute.\n\n## Deploy and rollback\n`portfolio promote --to <env>`; `portfolio rollback --env <env> --reason \"…\"`. Migrations,\nbackups to take first, how to tell a deploy went well.\n\n## Common failure scenarios\n- Symptom: … Cause: … Fix: …\n\n## Escalation ladder\n1. On-call engineer of {owner}.\n2. {owner} lead.\n3. Platform engineering.\n",
        name = p.manifest.name.get_ref(),
        summary = p.manifest.summary.trim_end_matches('.').to_string() + ".",
        owner = p.manifest.owner,
        state = p
            .manifest
            .state
            .first()
            .cloned()
            .unwrap_or_else(|| "no state".into()),
    )
}

/// `runbook new ID`: writes `ops/runbook.md`; refuses to overwrite one.
pub fn scaffold(catalog: &Catalog, id: &str, today: NaiveDate) -> Result<PathBuf, String> {
    let i = catalog.resolve(id)?;
    let p = &catalog.projects[i];
    let rel = p.dir.join("ops/runbook.md");
    let path = catalog.root.join(&rel);
    if path.exists() {
        return Err(format!("{} exists; edit it instead", rel.display()));
    }
    fs::create_dir_all(path.parent().expect("ops folder")).map_err(|e| e.to_string())?;
    fs::write(&path, template(p, today)).map_err(|e| e.to_string())?;
    Ok(rel)
}
