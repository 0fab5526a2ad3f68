//! Audit evidence (guide §10): a controls catalog, evidence written by the platform's own
//! actions, a hash chain that makes edits and deletions visible, and the coverage report.
//!
//! `audits/controls.toml` lists controls (`[[control]]`: `id`, `framework`, `title`,
//! `description`, `evidence` — the sources that produce evidence for it: `ci:<stage>` or
//! `ci:*`, `promotion`, `approval`, `rollback`, `freeze`, `release`, `access-review`,
//! `dr-drill`, `scanner`). Each event of a listed source writes, for every control that lists
//! it, `audits/<YYYY>/<control-id>/<time>-<source>-<subject>.json` and a Markdown summary
//! beside it, and appends a line to `audits/<YYYY>/chain.jsonl` holding the record's SHA-256,
//! its summary's, and the hash of the previous line (lines written before summaries were
//! chained lack the summary's). `verify` recomputes all of it. `PORTFOLIO_EVIDENCE=0`
//! turns recording off for runs that are not evidence.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    pub id: String,
    pub framework: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Sources whose events are evidence for this control.
    #[serde(default)]
    pub evidence: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ControlsFile {
    #[serde(default)]
    control: Vec<Control>,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("{path}: {message}")]
    Config { path: String, message: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub fn controls_path(root: &Path) -> PathBuf {
    root.join("audits/controls.toml")
}

/// The controls catalog; empty when the repository has none.
pub fn load_controls(root: &Path) -> Result<Vec<Control>, AuditError> {
    let path = controls_path(root);
    let Ok(text) = fs::read_to_string(&path) else {
        return Ok(vec![]);
    };
    let file: ControlsFile = toml::from_str(&text).map_err(|e| AuditError::Config {
        path: match e.span() {
            Some(s) => format!(
                "audits/controls.toml:{}",
                crate::diag::line_of(&text, s.start)
            ),
            None => "audits/controls.toml".into(),
        },
        message: e.message().to_string(),
    })?;
    let mut seen = std::collections::BTreeSet::new();
    for c in &file.control {
        let safe = !c.id.is_empty()
            && c.id
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '_'));
        if !safe || c.id.starts_with('.') {
            return Err(AuditError::Config {
                path: "audits/controls.toml".into(),
                message: format!(
                    "control id `{}` must be letters, digits, `.`, `-`, `_`",
                    c.id
                ),
            });
        }
        if !seen.insert(c.id.clone()) {
            return Err(AuditError::Config {
                path: "audits/controls.toml".into(),
                message: format!("control `{}` is listed twice", c.id),
            });
        }
    }
    Ok(file.control)
}

fn matches_source(pattern: &str, source: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => source.starts_with(prefix),
        None => pattern == source,
    }
}

/// One evidence record as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Evidence {
    pub control: String,
    pub framework: String,
    pub source: String,
    /// What it is about: a commit, an environment, a project.
    pub subject: String,
    pub at: String,
    pub recorded_by: String,
    /// One line for the summary.
    pub summary: String,
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ChainLine {
    seq: u64,
    at: String,
    path: String,
    sha256: String,
    /// The Markdown summary's SHA-256 (absent on lines written before summaries were chained).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    summary_sha256: Option<String>,
    prev: String,
    hash: String,
}

fn sha256_hex(bytes: &[u8]) -> String {
    crate::ci::hex(&Sha256::digest(bytes))
}

fn line_hash(l: &ChainLine) -> String {
    let (seq, at, path, sha256, prev) = (l.seq, &l.at, &l.path, &l.sha256, &l.prev);
    let mut text = format!("{seq}\n{at}\n{path}\n{sha256}\n{prev}");
    if let Some(md) = &l.summary_sha256 {
        text.push_str(&format!("\n{md}"));
    }
    sha256_hex(text.as_bytes())
}

/// The Markdown summary beside a record.
fn summary_path(json: &Path) -> PathBuf {
    json.with_extension("md")
}

fn chain_path(root: &Path, year: i32) -> PathBuf {
    root.join("audits")
        .join(year.to_string())
        .join("chain.jsonl")
}

fn read_chain(path: &Path) -> Vec<Result<ChainLine, String>> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

fn slug(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    s.trim_matches('-').chars().take(40).collect()
}

/// Records evidence of an event for every control that lists `source`. Returns the files
/// written (none when no control asks for this source or there is no catalog).
pub fn record(
    root: &Path,
    source: &str,
    subject: &str,
    summary: &str,
    data: serde_json::Value,
) -> Result<Vec<PathBuf>, AuditError> {
    // `PORTFOLIO_EVIDENCE=0`: a run that is not evidence (the Makefile's own checks).
    if std::env::var("PORTFOLIO_EVIDENCE").is_ok_and(|v| v == "0") {
        return Ok(vec![]);
    }
    let controls = load_controls(root)?;
    let at: DateTime<Utc> = crate::delivery::now();
    let by = crate::git::identity(root).unwrap_or_else(|| "unknown".into());
    let mut written = Vec::new();
    for c in controls
        .iter()
        .filter(|c| c.evidence.iter().any(|p| matches_source(p, source)))
    {
        let dir = root.join("audits").join(at.year().to_string()).join(&c.id);
        fs::create_dir_all(&dir)?;
        let stem = format!(
            "{}-{}-{}",
            at.format("%Y%m%dT%H%M%S%.3fZ"),
            slug(source),
            slug(subject)
        );
        let mut stem_unique = stem.clone();
        let mut n = 1;
        while dir.join(format!("{stem_unique}.json")).exists() {
            stem_unique = format!("{stem}-{n}");
            n += 1;
        }
        let ev = Evidence {
            control: c.id.clone(),
            framework: c.framework.clone(),
            source: source.to_string(),
            subject: subject.to_string(),
            at: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            recorded_by: by.clone(),
            summary: summary.to_string(),
            data: data.clone(),
        };
        let json = serde_json::to_vec_pretty(&ev).expect("evidence serialises");
        let json_path = dir.join(format!("{stem_unique}.json"));
        fs::write(&json_path, &json)?;
        let md = format!(
            "# Evidence for {} ({})\n\n- Control: {} — {}\n- Source: `{}`\n- Subject: `{}`\n- Recorded: {} by {}\n- Record: [{}]({}) (SHA-256 `{}`)\n\n{}\n",
            c.id,
            c.framework,
            c.id,
            c.title,
            source,
            subject,
            ev.at,
            by,
            json_path.file_name().unwrap().to_string_lossy(),
            json_path.file_name().unwrap().to_string_lossy(),
            sha256_hex(&json),
            summary
        );
        fs::write(summary_path(&json_path), &md)?;
        // Chain the record.
        let chain = chain_path(root, at.year());
        let lines = read_chain(&chain);
        let (seq, prev) = match lines.last() {
            Some(Ok(l)) => (l.seq + 1, l.hash.clone()),
            Some(Err(_)) => (lines.len() as u64, "broken".to_string()),
            None => (0, String::new()),
        };
        let rel = crate::diag::relative(root, &json_path)
            .display()
            .to_string();
        let mut line = ChainLine {
            seq,
            at: ev.at.clone(),
            path: rel,
            sha256: sha256_hex(&json),
            summary_sha256: Some(sha256_hex(md.as_bytes())),
            prev,
            hash: String::new(),
        };
        line.hash = line_hash(&line);
        let mut f = OpenOptions::new().create(true).append(true).open(&chain)?;
        writeln!(f, "{}", serde_json::to_string(&line).expect("serialises"))?;
        written.push(json_path);
    }
    Ok(written)
}

/// Records evidence, reporting (not failing on) a problem: the action it documents happened.
pub fn record_or_warn(
    root: &Path,
    source: &str,
    subject: &str,
    summary: &str,
    data: &impl Serialize,
) {
    let data = serde_json::to_value(data).expect("evidence data serialises");
    if let Err(e) = record(root, source, subject, summary, data) {
        eprintln!("warning: audit evidence for {source} not written: {e}");
    }
}

/// Every evidence record under `audits/<year>/<control>/` (all years), as stored; files that
/// do not parse are skipped (`verify` reports them).
pub fn all_evidence(root: &Path) -> Vec<Evidence> {
    let list = |dir: &Path| -> Vec<PathBuf> {
        fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect()
    };
    let mut out = Vec::new();
    for year in list(&root.join("audits"))
        .into_iter()
        .filter(|p| p.is_dir())
    {
        for control in list(&year).into_iter().filter(|p| p.is_dir()) {
            for f in list(&control) {
                if f.extension().and_then(|x| x.to_str()) != Some("json") {
                    continue;
                }
                if let Some(ev) = fs::read(&f)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<Evidence>(&b).ok())
                {
                    out.push(ev);
                }
            }
        }
    }
    out
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    pub records: usize,
    pub years: Vec<i32>,
    pub problems: Vec<String>,
}

/// Checks every year's chain against the records on disk.
pub fn verify(root: &Path) -> VerifyReport {
    let mut report = VerifyReport::default();
    let Ok(entries) = fs::read_dir(root.join("audits")) else {
        return report;
    };
    let mut years: Vec<i32> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    years.sort();
    for year in &years {
        let chain = chain_path(root, *year);
        let mut chained = std::collections::BTreeSet::new();
        let mut prev = String::new();
        for (i, line) in read_chain(&chain).into_iter().enumerate() {
            let l = match line {
                Ok(l) => l,
                Err(e) => {
                    report
                        .problems
                        .push(format!("audits/{year}/chain.jsonl: {e}"));
                    continue;
                }
            };
            let at = format!("audits/{year}/chain.jsonl:{}", i + 1);
            if l.seq != i as u64 {
                report.problems.push(format!(
                    "{at}: sequence {} where {i} was expected (a line was removed or inserted)",
                    l.seq
                ));
            }
            if l.prev != prev {
                report.problems.push(format!("{at}: does not follow the previous line (a line was removed, reordered or edited)"));
            }
            if line_hash(&l) != l.hash {
                report
                    .problems
                    .push(format!("{at}: the line was edited (hash mismatch)"));
            }
            prev = l.hash.clone();
            chained.insert(l.path.clone());
            match fs::read(root.join(&l.path)) {
                Err(_) => report
                    .problems
                    .push(format!("{}: deleted (chained at {at})", l.path)),
                Ok(bytes) if sha256_hex(&bytes) != l.sha256 => report.problems.push(format!(
                    "{}: edited after it was recorded (SHA-256 differs from {at})",
                    l.path
                )),
                Ok(_) => report.records += 1,
            }
            if let Some(want) = &l.summary_sha256 {
                let md = summary_path(Path::new(&l.path));
                match fs::read(root.join(&md)) {
                    Err(_) => report.problems.push(format!(
                        "{}: the summary was deleted (chained at {at})",
                        md.display()
                    )),
                    Ok(bytes) if &sha256_hex(&bytes) != want => report.problems.push(format!(
                        "{}: the summary was edited after it was recorded (SHA-256 differs from {at})",
                        md.display()
                    )),
                    Ok(_) => {}
                }
            }
        }
        // Records that the chain does not know.
        if let Ok(controls) = fs::read_dir(root.join("audits").join(year.to_string())) {
            for c in controls
                .filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
            {
                for f in fs::read_dir(c.path())
                    .into_iter()
                    .flatten()
                    .filter_map(Result::ok)
                {
                    let p = f.path();
                    if p.extension().and_then(|x| x.to_str()) == Some("json") {
                        let rel = crate::diag::relative(root, &p).display().to_string();
                        if !chained.contains(&rel) {
                            report
                                .problems
                                .push(format!("{rel}: not in the chain (added by hand?)"));
                        }
                    }
                }
            }
        }
    }
    report.years = years;
    report
}

#[derive(Debug, Clone, Serialize)]
pub struct ControlCoverage {
    pub id: String,
    pub framework: String,
    pub title: String,
    pub sources: Vec<String>,
    pub evidence: usize,
    pub latest: Option<String>,
    /// Sources listed for the control with no evidence in the period.
    pub gaps: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub year: i32,
    pub controls: Vec<ControlCoverage>,
    pub covered: usize,
    pub verify: VerifyReport,
}

/// The coverage matrix of `year`, from the records on disk.
pub fn report(root: &Path, year: i32) -> Result<Report, AuditError> {
    let controls = load_controls(root)?;
    let all = all_evidence(root);
    let year_prefix = year.to_string();
    let mut out = Vec::new();
    for c in &controls {
        let mut evidence: Vec<&Evidence> = all
            .iter()
            .filter(|e| e.control == c.id && e.at.starts_with(&year_prefix))
            .collect();
        evidence.sort_by(|a, b| a.at.cmp(&b.at));
        let mut by_source: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &evidence {
            for p in &c.evidence {
                if matches_source(p, &e.source) {
                    *by_source.entry(p.as_str()).or_default() += 1;
                }
            }
        }
        out.push(ControlCoverage {
            id: c.id.clone(),
            framework: c.framework.clone(),
            title: c.title.clone(),
            sources: c.evidence.clone(),
            evidence: evidence.len(),
            latest: evidence.last().map(|e| e.at.clone()),
            gaps: c
                .evidence
                .iter()
                .filter(|p| !by_source.contains_key(p.as_str()))
                .cloned()
                .collect(),
        });
    }
    Ok(Report {
        year,
        covered: out.iter().filter(|c| c.evidence > 0).count(),
        controls: out,
        verify: verify(root),
    })
}

pub fn render_markdown(r: &Report) -> String {
    let mut s = format!(
        "# Audit evidence {}\n\n{} of {} controls have evidence; chain: {} record(s), {} problem(s).\n\n| control | framework | title | evidence | latest | gaps |\n|---|---|---|---|---|---|\n",
        r.year,
        r.covered,
        r.controls.len(),
        r.verify.records,
        r.verify.problems.len()
    );
    for c in &r.controls {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            c.id,
            c.framework,
            c.title,
            c.evidence,
            c.latest.as_deref().unwrap_or("-"),
            if c.gaps.is_empty() {
                "-".to_string()
            } else {
                c.gaps.join(", ")
            }
        ));
    }
    for p in &r.verify.problems {
        s.push_str(&format!("\n- chain problem: {p}"));
    }
    s
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn render_html(r: &Report) -> String {
    let mut rows = String::new();
    for c in &r.controls {
        let class = if c.evidence == 0 {
            "gap"
        } else if c.gaps.is_empty() {
            "ok"
        } else {
            "partial"
        };
        rows.push_str(&format!(
            "<tr class=\"{class}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&c.id),
            esc(&c.framework),
            esc(&c.title),
            c.evidence,
            esc(c.latest.as_deref().unwrap_or("-")),
            esc(&if c.gaps.is_empty() { "-".to_string() } else { c.gaps.join(", ") })
        ));
    }
    let problems: String = r
        .verify
        .problems
        .iter()
        .map(|p| format!("<li>{}</li>", esc(p)))
        .collect();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Audit evidence {year}</title>\n<style>body{{font-family:system-ui,sans-serif;margin:2rem}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}}tr.ok td:nth-child(4){{background:#d8f5d8}}tr.partial td:nth-child(4){{background:#fff3c4}}tr.gap td:nth-child(4){{background:#f8d0d0}}</style></head>\n<body><h1>Audit evidence {year}</h1>\n<p>{covered} of {total} controls have evidence; chain: {records} record(s), {np} problem(s).</p>\n<table><thead><tr><th>control</th><th>framework</th><th>title</th><th>evidence</th><th>latest</th><th>gaps</th></tr></thead><tbody>\n{rows}</tbody></table>\n<ul>{problems}</ul></body></html>\n",
        year = r.year,
        covered = r.covered,
        total = r.controls.len(),
        records = r.verify.records,
        np = r.verify.problems.len(),
    )
}

/// One row of the access review: who can do what, and where that is decided.
#[derive(Debug, Clone, Serialize)]
pub struct Access {
    pub who: String,
    pub can: String,
    pub on: String,
    pub granted_by: String,
}

/// Who can approve promotions (environments), decrypt secrets (the rules of
/// `portfolio secrets`) and who owns what (the catalog).
pub fn access_review(
    root: &Path,
    catalog: &crate::catalog::Catalog,
) -> Result<Vec<Access>, crate::delivery::DeliveryError> {
    let mut rows = Vec::new();
    for env in crate::delivery::load_environments(root)?.values() {
        let file = format!("environments/{}.toml", env.name);
        if env.approvers.is_empty() && (env.gates.approvals > 0) {
            rows.push(Access {
                who: "anyone with repository access (no approvers list)".into(),
                can: "approve promotions".into(),
                on: env.name.clone(),
                granted_by: file.clone(),
            });
        }
        for a in &env.approvers {
            match a.strip_prefix('@') {
                Some(role) => {
                    for m in env.roles.get(role).into_iter().flatten() {
                        rows.push(Access {
                            who: m.clone(),
                            can: format!("approve promotions (role {role})"),
                            on: env.name.clone(),
                            granted_by: file.clone(),
                        });
                    }
                }
                None => rows.push(Access {
                    who: a.clone(),
                    can: "approve promotions".into(),
                    on: env.name.clone(),
                    granted_by: file.clone(),
                }),
            }
        }
    }
    if let Ok(rules) = crate::secretcmd::load_rules(root) {
        for r in rules {
            for who in &r.recipients {
                rows.push(Access {
                    who: who.clone(),
                    can: "decrypt secrets".into(),
                    on: r.path.clone(),
                    granted_by: crate::secretcmd::RULES_FILE.into(),
                });
            }
        }
    }
    for p in &catalog.projects {
        rows.push(Access {
            who: p.manifest.owner.clone(),
            can: "own (CODEOWNERS review)".into(),
            on: p.id().to_string(),
            granted_by: p.manifest_path.display().to_string(),
        });
    }
    Ok(rows)
}
