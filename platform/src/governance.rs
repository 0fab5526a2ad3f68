//! Governance (guide §13): `portfolio scorecard` rates every built project on a rubric, and
//! `portfolio governance report --quarter YYYYQn` assembles the quarterly review pack.
//!
//! Levels: a project reaches a level only when every check of that level and of the levels
//! below passes.
//! - bronze: README, owner, at least one ADR, a test task.
//! - silver: runbook exercised within 90 days, performance figures recorded (services and
//!   CLIs), no expired feature flags.
//! - gold: a passed DR drill within the quarter, a green security stage for the current commit,
//!   test coverage measured. (DR drills and coverage are not built yet, so no project is gold.)

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::catalog::{Catalog, Project};
use crate::kinds::TaskName;
use crate::manifest::Kind;

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub level: &'static str,
    pub check: &'static str,
    pub ok: bool,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scorecard {
    pub project: String,
    pub lifecycle: String,
    pub owner: String,
    /// `none`, `bronze`, `silver`, `gold`; `not rated` for projects that are not built.
    pub level: String,
    pub checks: Vec<Check>,
}

pub const LEVELS: [&str; 3] = ["bronze", "silver", "gold"];

/// The quarter `2026Q4` as (first day, last day).
pub fn quarter_bounds(q: &str) -> Result<(NaiveDate, NaiveDate), String> {
    let bad = || format!("`{q}` is not a quarter like 2026Q4");
    let (y, n) = q.split_once(['Q', 'q']).ok_or_else(bad)?;
    let y: i32 = y.parse().map_err(|_| bad())?;
    let n: u32 = n.parse().map_err(|_| bad())?;
    if !(1..=4).contains(&n) {
        return Err(bad());
    }
    let start = NaiveDate::from_ymd_opt(y, (n - 1) * 3 + 1, 1).ok_or_else(bad)?;
    let end = if n == 4 {
        NaiveDate::from_ymd_opt(y, 12, 31)
    } else {
        NaiveDate::from_ymd_opt(y, n * 3 + 1, 1).and_then(|d| d.pred_opt())
    }
    .ok_or_else(bad)?;
    Ok((start, end))
}

pub fn quarter_of(d: NaiveDate) -> String {
    format!("{}Q{}", d.year(), (d.month() - 1) / 3 + 1)
}

fn adrs(root: &Path, p: &Project) -> Vec<(String, String, String)> {
    // (file, status, date)
    let dir = root.join(&p.dir).join("adr");
    let mut out = Vec::new();
    for e in fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
    {
        let path = e.path();
        if path.extension().and_then(|x| x.to_str()) != Some("md") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap_or_default();
        let field = |name: &str| {
            text.lines()
                .map(|l| l.trim_start_matches("- ").trim())
                .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
                .unwrap_or_default()
        };
        out.push((
            crate::diag::relative(root, &path).display().to_string(),
            field("Status:"),
            field("Date:"),
        ));
    }
    out.sort();
    out
}

/// How many of `evidence` are of `source` about `subject` within [from, to].
fn evidence_count(
    evidence: &[crate::audit::Evidence],
    source: &str,
    subject: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> usize {
    evidence
        .iter()
        .filter(|ev| ev.source == source && ev.subject == subject)
        .filter(|ev| {
            ev.at
                .get(..10)
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .is_some_and(|d| d >= from && d <= to)
        })
        .count()
}

/// Scorecards of every project at `today`.
pub fn scorecards(catalog: &Catalog, today: NaiveDate) -> Vec<Scorecard> {
    let root = &catalog.root;
    let (flags, _) = crate::flagcheck::declared(catalog, today);
    let (q_start, q_end) = quarter_bounds(&quarter_of(today)).expect("a valid quarter");
    let head = crate::git::commit_of(root, "HEAD").ok();
    let evidence = crate::audit::all_evidence(root);
    let mut out = Vec::new();
    for p in &catalog.projects {
        let dir = root.join(&p.dir);
        if !p.lifecycle().is_built() {
            out.push(Scorecard {
                project: p.id().to_string(),
                lifecycle: p.lifecycle().to_string(),
                owner: p.manifest.owner.clone(),
                level: "not rated".into(),
                checks: vec![],
            });
            continue;
        }
        let mut checks = Vec::new();
        let mut check = |level: &'static str, check: &'static str, ok: bool, detail: String| {
            checks.push(Check {
                level,
                check,
                ok,
                detail,
            })
        };
        let readme = fs::read_to_string(dir.join("README.md")).unwrap_or_default();
        check(
            "bronze",
            "readme",
            readme.lines().count() >= 5,
            if readme.is_empty() {
                "no README.md".into()
            } else {
                format!("README.md, {} lines", readme.lines().count())
            },
        );
        check(
            "bronze",
            "owner",
            !p.manifest.owner.trim().is_empty(),
            p.manifest.owner.clone(),
        );
        let adr_list = adrs(root, p);
        check(
            "bronze",
            "adr",
            !adr_list.is_empty(),
            format!("{} ADR(s)", adr_list.len()),
        );
        let test = p.task(TaskName::Test);
        check(
            "bronze",
            "tests",
            test.is_some(),
            test.map(|t| format!("`{}`", t.command))
                .unwrap_or_else(|| "no test task".into()),
        );
        let runbook = fs::read_to_string(dir.join("ops/runbook.md")).unwrap_or_default();
        let exercised = crate::docs::runbook_last_exercised(&runbook)
            .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
        check(
            "silver",
            "runbook-fresh",
            exercised.is_some_and(|d| (today - d).num_days() <= 90),
            match exercised {
                Some(d) => format!("last exercised {d} ({} days ago)", (today - d).num_days()),
                None => "no runbook with a `Last exercised` date".into(),
            },
        );
        let needs_figures = matches!(p.kind(), Kind::RustService | Kind::RustCli);
        let has_figures = readme.contains("## Performance")
            && readme
                .split("## Performance")
                .nth(1)
                .is_some_and(|s| s.chars().any(|c| c.is_ascii_digit()));
        check(
            "silver",
            "performance",
            !needs_figures || has_figures,
            if !needs_figures {
                format!("not required for kind {}", p.kind())
            } else if has_figures {
                "figures in the README's Performance section".into()
            } else {
                "no figures in a `## Performance` section of the README".into()
            },
        );
        let expired: Vec<&str> = flags
            .iter()
            .filter(|f| f.project == p.id() && f.status == "expired")
            .map(|f| f.flag.name.as_str())
            .collect();
        check(
            "silver",
            "flags",
            expired.is_empty(),
            if expired.is_empty() {
                "no expired flags".into()
            } else {
                format!("expired: {}", expired.join(", "))
            },
        );
        let drills = evidence_count(&evidence, "dr-drill", p.id(), q_start, q_end);
        check(
            "gold",
            "dr-drill",
            drills > 0,
            if drills > 0 {
                format!("{drills} passed drill(s) in {}", quarter_of(today))
            } else {
                format!(
                    "no DR drill evidence in {} (DR drills are planned, issue #5)",
                    quarter_of(today)
                )
            },
        );
        let security = head
            .as_deref()
            .and_then(|h| crate::ci::read_record(root, h, "security"))
            .filter(|r| !r.dirty)
            .and_then(|r| {
                r.steps
                    .iter()
                    .find(|s| s.project == p.id())
                    .map(|s| s.outcome == crate::ci::StepOutcome::Passed)
            });
        check(
            "gold",
            "security",
            security == Some(true),
            match security {
                Some(true) => "security stage green for the current commit".into(),
                Some(false) => "security stage red for the current commit".into(),
                None => "no clean security-stage record for the current commit".into(),
            },
        );
        check(
            "gold",
            "coverage",
            false,
            "test coverage is not measured yet (planned)".into(),
        );
        let level = LEVELS
            .iter()
            .take_while(|l| checks.iter().filter(|c| c.level == **l).all(|c| c.ok))
            .last()
            .map(|l| l.to_string())
            .unwrap_or_else(|| "none".into());
        out.push(Scorecard {
            project: p.id().to_string(),
            lifecycle: p.lifecycle().to_string(),
            owner: p.manifest.owner.clone(),
            level,
            checks,
        });
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A horizontal bar chart as inline SVG (no scripts, no network).
fn bars(title: &str, data: &[(String, usize)]) -> String {
    let max = data.iter().map(|(_, v)| *v).max().unwrap_or(1).max(1);
    let row = 22;
    let h = row * data.len() + 30;
    let mut s = format!(
        "<figure><figcaption>{}</figcaption><svg role=\"img\" aria-label=\"{}\" width=\"520\" height=\"{h}\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(title),
        esc(title)
    );
    for (i, (label, v)) in data.iter().enumerate() {
        let y = 10 + i * row;
        let w = 300 * v / max;
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{}\" font-size=\"13\">{}</text><rect x=\"170\" y=\"{}\" width=\"{w}\" height=\"16\" fill=\"#4a7fb5\"/><text x=\"{}\" y=\"{}\" font-size=\"13\">{v}</text>",
            y + 13,
            esc(label),
            y,
            175 + w,
            y + 13
        );
    }
    s.push_str("</svg></figure>\n");
    s
}

#[derive(Debug, Clone, Serialize)]
pub struct Pack {
    pub quarter: String,
    pub generated: String,
    pub scorecards: Vec<Scorecard>,
    pub levels: BTreeMap<String, usize>,
    /// Projects with an RTO/RPO and whether a DR drill passed in the quarter.
    pub dr_readiness: Vec<(String, String, String, usize)>,
    /// (project, flag, expires, status)
    pub flag_debt: Vec<(String, String, String, String)>,
    /// ADRs still `proposed` after 30 days.
    pub stale_adrs: Vec<(String, String)>,
    pub evidence: crate::audit::Report,
}

/// The quarterly review pack.
pub fn pack(catalog: &Catalog, quarter: &str) -> Result<Pack, String> {
    let (start, end) = quarter_bounds(quarter)?;
    let today = crate::delivery::now().date_naive();
    let at = today.min(end).max(start);
    let cards = scorecards(catalog, at);
    let evidence = crate::audit::all_evidence(&catalog.root);
    let mut levels: BTreeMap<String, usize> = BTreeMap::new();
    for c in &cards {
        *levels.entry(c.level.clone()).or_default() += 1;
    }
    let root = &catalog.root;
    let dr_readiness = catalog
        .projects
        .iter()
        .filter(|p| p.lifecycle().is_built())
        .filter_map(|p| {
            let rto = p.manifest.rto.as_ref()?.get_ref().clone();
            let rpo = p
                .manifest
                .rpo
                .as_ref()
                .map(|r| r.get_ref().clone())
                .unwrap_or("-".into());
            Some((
                p.id().to_string(),
                rto,
                rpo,
                evidence_count(&evidence, "dr-drill", p.id(), start, end),
            ))
        })
        .collect();
    let (flags, _) = crate::flagcheck::declared(catalog, at);
    let flag_debt = flags
        .iter()
        .map(|f| {
            (
                f.project.clone(),
                f.flag.name.clone(),
                f.flag.expires.to_string(),
                f.status.clone(),
            )
        })
        .collect();
    let mut stale_adrs = Vec::new();
    let mut adr_dirs: Vec<std::path::PathBuf> =
        catalog.projects.iter().map(|p| p.dir.join("adr")).collect();
    adr_dirs.push("docs/adr".into());
    for dir in adr_dirs {
        for e in fs::read_dir(root.join(&dir))
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
        {
            let text = fs::read_to_string(e.path()).unwrap_or_default();
            let field = |name: &str| {
                text.lines()
                    .map(|l| l.trim_start_matches("- ").trim())
                    .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
            };
            if field("Status:").is_some_and(|s| s.starts_with("proposed"))
                && let Some(d) =
                    field("Date:").and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
                && (at - d).num_days() > 30
            {
                stale_adrs.push((
                    crate::diag::relative(root, &e.path()).display().to_string(),
                    d.to_string(),
                ));
            }
        }
    }
    let evidence = crate::audit::report(root, start.year()).map_err(|e| e.to_string())?;
    Ok(Pack {
        quarter: quarter.to_string(),
        generated: today.to_string(),
        scorecards: cards,
        levels,
        dr_readiness,
        flag_debt,
        stale_adrs,
        evidence,
    })
}

pub fn scorecards_markdown(cards: &[Scorecard]) -> String {
    let mut s = String::from(
        "| project | lifecycle | owner | level | failing checks |\n|---|---|---|---|---|\n",
    );
    for c in cards {
        let failing: Vec<String> = c
            .checks
            .iter()
            .filter(|k| !k.ok)
            .map(|k| format!("{} ({}): {}", k.check, k.level, k.detail))
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            c.project,
            c.lifecycle,
            c.owner,
            c.level,
            if failing.is_empty() {
                "-".into()
            } else {
                failing.join("; ")
            }
        );
    }
    s
}

pub fn pack_markdown(p: &Pack) -> String {
    let mut s = format!(
        "# Governance review {}\n\nGenerated {}.\n\n## Scorecards\n\n",
        p.quarter, p.generated
    );
    for (l, n) in &p.levels {
        let _ = writeln!(s, "- {l}: {n}");
    }
    s.push('\n');
    s.push_str(&scorecards_markdown(&p.scorecards));
    s.push_str("\n## DR readiness\n\n| project | RTO | RPO | drills passed this quarter |\n|---|---|---|---|\n");
    for (id, rto, rpo, n) in &p.dr_readiness {
        let _ = writeln!(s, "| {id} | {rto} | {rpo} | {n} |");
    }
    s.push_str("\n## Flag debt\n\n| project | flag | expires | status |\n|---|---|---|---|\n");
    for (pr, f, e, st) in &p.flag_debt {
        let _ = writeln!(s, "| {pr} | {f} | {e} | {st} |");
    }
    s.push_str("\n## Stale ADRs (proposed for more than 30 days)\n\n");
    if p.stale_adrs.is_empty() {
        s.push_str("None.\n");
    }
    for (f, d) in &p.stale_adrs {
        let _ = writeln!(s, "- {f} (since {d})");
    }
    s.push_str("\n## Evidence coverage\n\n");
    s.push_str(
        crate::audit::render_markdown(&p.evidence)
            .split_once('\n')
            .map(|x| x.1)
            .unwrap_or(""),
    );
    s
}

pub fn pack_html(p: &Pack) -> String {
    let level_data: Vec<(String, usize)> = ["gold", "silver", "bronze", "none", "not rated"]
        .iter()
        .map(|l| (l.to_string(), *p.levels.get(*l).unwrap_or(&0)))
        .collect();
    let evidence_data: Vec<(String, usize)> = p
        .evidence
        .controls
        .iter()
        .map(|c| (c.id.clone(), c.evidence))
        .collect();
    let mut cards = String::new();
    for c in p.scorecards.iter().filter(|c| c.level != "not rated") {
        let failing: Vec<String> = c
            .checks
            .iter()
            .filter(|k| !k.ok)
            .map(|k| format!("{} ({})", k.check, k.level))
            .collect();
        let _ = write!(
            cards,
            "<tr><td>{}</td><td>{}</td><td class=\"lvl {}\">{}</td><td>{}</td></tr>",
            esc(&c.project),
            esc(&c.owner),
            esc(&c.level),
            esc(&c.level),
            esc(&failing.join(", "))
        );
    }
    let mut flags = String::new();
    for (pr, f, e, st) in &p.flag_debt {
        let _ = write!(
            flags,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(pr),
            esc(f),
            esc(e),
            esc(st)
        );
    }
    let mut dr = String::new();
    for (id, rto, rpo, n) in &p.dr_readiness {
        let _ = write!(
            dr,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{n}</td></tr>",
            esc(id),
            esc(rto),
            esc(rpo)
        );
    }
    let stale: String = if p.stale_adrs.is_empty() {
        "<p>None.</p>".into()
    } else {
        format!(
            "<ul>{}</ul>",
            p.stale_adrs
                .iter()
                .map(|(f, d)| format!("<li>{} (since {})</li>", esc(f), esc(d)))
                .collect::<String>()
        )
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Governance review {q}</title>\n<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}}table{{border-collapse:collapse;margin:.5rem 0 1.5rem}}td,th{{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}}.lvl.gold{{background:#f5e08a}}.lvl.silver{{background:#dde3ea}}.lvl.bronze{{background:#e8c39e}}.lvl.none{{background:#f8d0d0}}figure{{margin:1rem 0}}</style></head>\n<body><h1>Governance review {q}</h1><p>Generated {g}.</p>\n<h2>Scorecards</h2>{chart}<table><thead><tr><th>project</th><th>owner</th><th>level</th><th>failing checks</th></tr></thead><tbody>{cards}</tbody></table>\n<h2>DR readiness</h2><table><thead><tr><th>project</th><th>RTO</th><th>RPO</th><th>drills passed</th></tr></thead><tbody>{dr}</tbody></table>\n<h2>Flag debt</h2><table><thead><tr><th>project</th><th>flag</th><th>expires</th><th>status</th></tr></thead><tbody>{flags}</tbody></table>\n<h2>Stale ADRs</h2>{stale}\n<h2>Evidence coverage</h2>{echart}<p>{covered} of {total} controls have evidence; chain problems: {np}.</p>\n</body></html>\n",
        q = esc(&p.quarter),
        g = esc(&p.generated),
        chart = bars("Projects per level", &level_data),
        echart = bars("Evidence records per control", &evidence_data),
        covered = p.evidence.covered,
        total = p.evidence.controls.len(),
        np = p.evidence.verify.problems.len(),
    )
}
