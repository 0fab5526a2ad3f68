//! The house formats of Markdown documents: ADRs, runbooks, and relative links.
//!
//! This module only reads text it is given; the file walking lives in `validate.rs`.

use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, Parser, Tag};

use crate::diag::{Diagnostic, line_of};

/// Sections every runbook carries (guide §9), as `##` headings, in any order.
pub const RUNBOOK_SECTIONS: [&str; 5] = [
    "Service overview and ownership",
    "Dashboards and alert IDs",
    "Deploy and rollback",
    "Common failure scenarios",
    "Escalation ladder",
];

/// Sections every ADR carries, as `##` headings.
pub const ADR_SECTIONS: [&str; 3] = ["Context", "Decision", "Consequences"];

/// Statuses an ADR may have.
pub const ADR_STATUSES: [&str; 5] = [
    "proposed",
    "accepted",
    "rejected",
    "deprecated",
    "superseded",
];

/// Headings (level ≥ 2) and `Key: value` lines of a document, outside fenced code.
struct Outline<'a> {
    title: Option<(usize, &'a str)>,
    headings: Vec<(usize, &'a str)>,
    fields: Vec<(usize, String, &'a str)>,
}

fn outline(src: &str) -> Outline<'_> {
    let mut out = Outline {
        title: None,
        headings: Vec::new(),
        fields: Vec::new(),
    };
    let mut fenced = false;
    for (n, raw) in src.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with("```") || line.starts_with("~~~") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        if let Some(t) = line.strip_prefix("# ") {
            out.title.get_or_insert((n + 1, t.trim()));
        } else if let Some(h) = line.strip_prefix("##") {
            out.headings.push((n + 1, h.trim_start_matches('#').trim()));
        } else {
            // `Status: accepted`, `- Date: 2026-01-01`, `**Last exercised:** 2026-01-01`
            let l = line.trim_start_matches(['-', '*', ' ']);
            if let Some((k, v)) = l.split_once(':') {
                let key = k.trim().trim_matches('*').trim().to_ascii_lowercase();
                if !key.is_empty() && key.len() <= 20 {
                    out.fields
                        .push((n + 1, key, v.trim().trim_matches('*').trim()));
                }
            }
        }
    }
    out
}

fn field<'a>(o: &'a Outline<'_>, key: &str) -> Option<&'a (usize, String, &'a str)> {
    o.fields.iter().find(|(_, k, _)| k == key)
}

/// Is `s` a real calendar date written `YYYY-MM-DD`?
pub fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// Checks an ADR: a `# ` title, `Status:` and `Date:` lines, and the three sections.
pub fn check_adr(path: &Path, src: &str) -> Vec<Diagnostic> {
    let o = outline(src);
    let mut diags = Vec::new();
    if o.title.is_none_or(|(_, t)| t.is_empty()) {
        diags.push(Diagnostic::new(path, 1, "ADR has no `# ` title"));
    }
    match field(&o, "status") {
        None => diags.push(Diagnostic::new(path, 1, "ADR has no `Status:` line")),
        Some((line, _, v)) => {
            let word = v
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if !ADR_STATUSES.contains(&word.as_str()) {
                diags.push(Diagnostic::new(
                    path,
                    *line,
                    format!("ADR status `{v}` is not one of {}", ADR_STATUSES.join(", ")),
                ));
            }
        }
    }
    match field(&o, "date") {
        None => diags.push(Diagnostic::new(path, 1, "ADR has no `Date:` line")),
        Some((line, _, v)) if !is_iso_date(v) => diags.push(Diagnostic::new(
            path,
            *line,
            format!("ADR date `{v}` is not a YYYY-MM-DD date"),
        )),
        Some(_) => {}
    }
    diags.extend(missing_sections(path, &o, &ADR_SECTIONS, "ADR", ""));
    diags
}

/// One diagnostic per `##` section of `required` that the document lacks.
fn missing_sections(
    path: &Path,
    o: &Outline<'_>,
    required: &[&str],
    what: &str,
    note: &str,
) -> Vec<Diagnostic> {
    required
        .iter()
        .filter(|section| {
            !o.headings
                .iter()
                .any(|(_, h)| h.eq_ignore_ascii_case(section))
        })
        .map(|section| {
            Diagnostic::new(
                path,
                1,
                format!("{what} is missing the `## {section}` section{note}"),
            )
        })
        .collect()
}

/// The `Last exercised:` date of a runbook, if it has a valid one.
pub fn runbook_last_exercised(src: &str) -> Option<String> {
    let o = outline(src);
    field(&o, "last exercised")
        .map(|(_, _, v)| v.to_string())
        .filter(|v| is_iso_date(v))
}

/// Checks a runbook: the five §9 sections and a `Last exercised: YYYY-MM-DD` line.
pub fn check_runbook(path: &Path, src: &str) -> Vec<Diagnostic> {
    let o = outline(src);
    let mut diags = missing_sections(path, &o, &RUNBOOK_SECTIONS, "runbook", " (guide §9)");
    match field(&o, "last exercised") {
        None => diags.push(Diagnostic::new(
            path,
            1,
            "runbook has no `Last exercised: YYYY-MM-DD` line",
        )),
        Some((line, _, v)) if !is_iso_date(v) => diags.push(Diagnostic::new(
            path,
            *line,
            format!("`Last exercised` date `{v}` is not a YYYY-MM-DD date"),
        )),
        Some(_) => {}
    }
    diags
}

/// A relative link of a Markdown file: its target and line.
#[derive(Debug, PartialEq, Eq)]
pub struct Link {
    pub line: usize,
    pub target: String,
}

/// Links and images whose target is a path in this repository (no scheme, not a bare anchor).
pub fn relative_links(src: &str) -> Vec<Link> {
    let mut links = Vec::new();
    for (event, range) in Parser::new(src).into_offset_iter() {
        let dest = match event {
            Event::Start(Tag::Link { dest_url, .. })
            | Event::Start(Tag::Image { dest_url, .. }) => dest_url,
            _ => continue,
        };
        let d = dest.trim();
        let has_scheme = d.split_once(':').is_some_and(|(s, _)| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        });
        if d.is_empty() || d.starts_with('#') || d.starts_with("//") || has_scheme {
            continue;
        }
        links.push(Link {
            line: line_of(src, range.start),
            target: d.to_string(),
        });
    }
    links
}

/// Where a relative link points on disk: `/x` is from the root, anything else from the
/// linking file's folder. Anchors and queries are dropped, `%20` decoded.
pub fn resolve_link(root: &Path, file: &Path, target: &str) -> PathBuf {
    let path = target
        .split(['#', '?'])
        .next()
        .unwrap_or("")
        .replace("%20", " ");
    let joined = match path.strip_prefix('/') {
        Some(abs) => root.join(abs),
        None => file.parent().unwrap_or(root).join(path),
    };
    normalize_path(&joined)
}

/// Removes `.` and `..` components without touching the file system.
pub fn normalize_path(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADR: &str = "# ADR 0001: Use TOML manifests\n\n- Status: accepted\n- Date: 2026-11-27\n\n## Context\nx\n## Decision\ny\n## Consequences\nz\n";

    const RUNBOOK: &str = "# Runbook\n\nLast exercised: 2026-11-20\n\n## Service overview and ownership\n## Dashboards and alert IDs\n## Deploy and rollback\n## Common failure scenarios\n## Escalation ladder\n";

    #[test]
    fn a_complete_adr_passes() {
        assert!(check_adr(Path::new("a.md"), ADR).is_empty());
    }

    #[test]
    fn adr_problems_are_each_reported() {
        let src = ADR
            .replace("accepted", "maybe")
            .replace("2026-11-27", "2026-02-30")
            .replace("## Decision\n", "");
        let msgs: Vec<String> = check_adr(Path::new("a.md"), &src)
            .iter()
            .map(|d| d.to_string())
            .collect();
        assert_eq!(
            msgs,
            [
                "a.md:3: ADR status `maybe` is not one of proposed, accepted, rejected, deprecated, superseded",
                "a.md:4: ADR date `2026-02-30` is not a YYYY-MM-DD date",
                "a.md:1: ADR is missing the `## Decision` section",
            ]
        );
    }

    #[test]
    fn a_complete_runbook_passes_and_has_its_date() {
        assert!(check_runbook(Path::new("r.md"), RUNBOOK).is_empty());
        assert_eq!(
            runbook_last_exercised(RUNBOOK).as_deref(),
            Some("2026-11-20")
        );
    }

    #[test]
    fn runbook_without_section_or_date_fails() {
        let src = RUNBOOK
            .replace("## Escalation ladder\n", "")
            .replace("Last exercised: 2026-11-20\n", "");
        let msgs: Vec<String> = check_runbook(Path::new("r.md"), &src)
            .iter()
            .map(|d| d.message.clone())
            .collect();
        assert_eq!(
            msgs,
            [
                "runbook is missing the `## Escalation ladder` section (guide §9)",
                "runbook has no `Last exercised: YYYY-MM-DD` line",
            ]
        );
    }

    #[test]
    fn headings_inside_code_fences_do_not_count() {
        let src = RUNBOOK.replace("## Escalation ladder\n", "```\n## Escalation ladder\n```\n");
        assert_eq!(check_runbook(Path::new("r.md"), &src).len(), 1);
    }

    #[test]
    fn finds_relative_links_with_lines_and_skips_urls_and_anchors() {
        let src = "intro\n[a](docs/A.md) [b](https://x.org) [c](#top)\n\n![img](../img.png)\n[m](mailto:x@y)\n";
        assert_eq!(
            relative_links(src),
            [
                Link {
                    line: 2,
                    target: "docs/A.md".into()
                },
                Link {
                    line: 4,
                    target: "../img.png".into()
                },
            ]
        );
    }

    #[test]
    fn resolves_links_from_file_or_root() {
        let root = Path::new("/r");
        assert_eq!(
            resolve_link(root, Path::new("/r/docs/x.md"), "y.md#s"),
            PathBuf::from("/r/docs/y.md")
        );
        assert_eq!(
            resolve_link(root, Path::new("/r/docs/x.md"), "/README.md"),
            PathBuf::from("/r/README.md")
        );
        assert_eq!(
            resolve_link(root, Path::new("/r/p/a/b/R.md"), "../../../docs/c.md"),
            PathBuf::from("/r/docs/c.md")
        );
    }

    #[test]
    fn iso_dates_are_real_dates() {
        assert!(is_iso_date("2024-02-29"));
        assert!(!is_iso_date("2023-02-29"));
        assert!(!is_iso_date("2023-13-01"));
        assert!(!is_iso_date("23-01-01"));
    }
}
