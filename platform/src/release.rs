//! Date-tagged releases with notes from conventional commits, commit-message and branch-name
//! checks, and CODEOWNERS generated from the catalog.
//!
//! Commit messages are parsed with `git-conventional`; a release is tagged `vYYYY.MM.DD`
//! (`.1`, `.2` … for further releases the same day), its notes grouped by type (breaking
//! changes first) and, within a type, by project (the catalog folder a commit's files are in).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::delivery::is_release_tag;
use crate::git;

/// Commit types and their headings, in the order of the notes.
pub const TYPES: [(&str, &str); 11] = [
    ("feat", "Features"),
    ("fix", "Bug fixes"),
    ("perf", "Performance"),
    ("refactor", "Refactoring"),
    ("docs", "Documentation"),
    ("test", "Tests"),
    ("build", "Build"),
    ("ci", "CI"),
    ("chore", "Chores"),
    ("style", "Style"),
    ("revert", "Reverts"),
];

#[derive(Debug, Clone, Serialize)]
pub struct CommitInfo {
    pub sha: String,
    pub author: String,
    pub subject: String,
    pub message: String,
    pub files: Vec<String>,
    /// Parent count > 1.
    pub merge: bool,
}

/// Commits in `range` (`A..B` or a single revision for all of its history), newest first.
pub fn commits(root: &Path, range: &str) -> Result<Vec<CommitInfo>, git::GitError> {
    let out = git::run(
        root,
        &[
            "log",
            "--format=%x1e%H%x1f%ae%x1f%P%x1f%B%x1d",
            "--name-only",
            range,
        ],
    )?;
    let mut list = Vec::new();
    for chunk in out.split('\x1e').filter(|c| !c.trim().is_empty()) {
        let (head, files) = chunk.split_once('\x1d').unwrap_or((chunk, ""));
        let mut parts = head.splitn(4, '\x1f');
        let sha = parts.next().unwrap_or("").to_string();
        let author = parts.next().unwrap_or("").to_string();
        let parents = parts.next().unwrap_or("");
        let message = parts.next().unwrap_or("").trim().to_string();
        list.push(CommitInfo {
            subject: message.lines().next().unwrap_or("").to_string(),
            sha,
            author,
            merge: parents.split_whitespace().count() > 1,
            message,
            files: files
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
        });
    }
    Ok(list)
}

/// One problem of `commitlint`.
#[derive(Debug, Clone, Serialize)]
pub struct LintProblem {
    pub sha: String,
    pub subject: String,
    pub problem: String,
}

/// Checks commit messages in `range` against Conventional Commits (merge commits excepted).
pub fn commitlint(root: &Path, range: &str) -> Result<(usize, Vec<LintProblem>), git::GitError> {
    let list = commits(root, range)?;
    let mut problems = Vec::new();
    let checked = list.iter().filter(|c| !c.merge).count();
    for c in list.iter().filter(|c| !c.merge) {
        let mut fail = |p: String| {
            problems.push(LintProblem {
                sha: c.sha.clone(),
                subject: c.subject.clone(),
                problem: p,
            })
        };
        match git_conventional::Commit::parse(&c.message) {
            Err(e) => fail(format!(
                "not a conventional commit ({e}); write `type(scope): description`, types: {}",
                TYPES.map(|t| t.0).join(", ")
            )),
            Ok(cc) => {
                let t = cc.type_().as_str().to_lowercase();
                if !TYPES.iter().any(|(k, _)| *k == t) {
                    fail(format!(
                        "unknown type `{t}` (types: {})",
                        TYPES.map(|t| t.0).join(", ")
                    ));
                }
                if c.subject.chars().count() > 72 {
                    fail(format!(
                        "subject is {} characters; keep it within 72",
                        c.subject.chars().count()
                    ));
                }
                if cc.description().trim().is_empty() {
                    fail("empty description".into());
                }
            }
        }
    }
    Ok((checked, problems))
}

/// Checks a branch name: `work`, `dev`, `staging`, `main`, `hotfix/<description>`, or
/// `<domain>/<issue-id>-short-description` with a catalog domain (or `platform`, `docs`).
pub fn check_branch(catalog: &Catalog, name: &str) -> Result<(), String> {
    if ["work", "dev", "staging", "main"].contains(&name) {
        return Ok(());
    }
    let kebab = |s: &str| {
        !s.is_empty()
            && s.split('-').all(|w| {
                !w.is_empty()
                    && w.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
    };
    if let Some(rest) = name.strip_prefix("hotfix/") {
        return if kebab(rest) {
            Ok(())
        } else {
            Err(format!(
                "`{name}`: a hotfix branch is `hotfix/short-description` (lower-case, dashes)"
            ))
        };
    }
    let mut domains: Vec<String> = catalog
        .projects
        .iter()
        .map(|p| p.manifest.domain.get_ref().clone())
        .collect();
    domains.extend(["platform".to_string(), "docs".to_string()]);
    domains.sort();
    domains.dedup();
    let usage = format!(
        "`{name}`: name branches `<domain>/<issue-id>-short-description`, e.g. `backend/42-task-labels` (domains: {})",
        domains.join(", ")
    );
    let (domain, rest) = name.split_once('/').ok_or(usage.clone())?;
    if !domains.iter().any(|d| d == domain) {
        return Err(format!("{usage}; `{domain}` is not one"));
    }
    let (id, desc) = rest.split_once('-').ok_or(usage.clone())?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) || !kebab(desc) {
        return Err(usage);
    }
    Ok(())
}

/// The newest release tag reachable from `rev`.
pub fn previous_release(root: &Path, rev: &str) -> Option<String> {
    git::run(
        root,
        &[
            "tag",
            "--merged",
            rev,
            "--list",
            "v*",
            "--sort=-creatordate",
        ],
    )
    .ok()?
    .lines()
    .map(str::to_string)
    .filter(|t| is_release_tag(t))
    .max_by(|a, b| version_key(a).cmp(&version_key(b)))
}

fn version_key(tag: &str) -> Vec<u64> {
    tag.trim_start_matches('v')
        .split('.')
        .map(|p| p.parse().unwrap_or(0))
        .collect()
}

/// The tag for a release today: `vYYYY.MM.DD`, or with `.N` when that exists.
pub fn next_tag(root: &Path, today: chrono::NaiveDate) -> String {
    let base = format!("v{}", today.format("%Y.%m.%d"));
    let existing: Vec<String> = git::run(root, &["tag", "--list", &format!("{base}*")])
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    if !existing.contains(&base) {
        return base;
    }
    (1..)
        .map(|n| format!("{base}.{n}"))
        .find(|t| !existing.contains(t))
        .expect("a free suffix")
}

#[derive(Debug, Clone, Serialize)]
pub struct NoteEntry {
    pub sha: String,
    pub kind: String,
    pub scope: Option<String>,
    pub description: String,
    pub breaking: Option<String>,
    pub projects: Vec<String>,
    pub issues: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Release {
    pub tag: String,
    pub commit: String,
    pub previous: Option<String>,
    pub entries: Vec<NoteEntry>,
    /// Commits whose message is not conventional (listed under "Other").
    pub unconventional: Vec<String>,
    pub notes: String,
}

fn project_of(catalog: &Catalog, file: &str) -> String {
    catalog
        .projects
        .iter()
        .find(|p| Path::new(file).starts_with(&p.dir))
        .map(|p| p.id().to_string())
        .unwrap_or_else(|| "platform".to_string())
}

fn issues_in(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, _) in text.match_indices('#') {
        let digits: String = text[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        let before = text[..i].chars().last();
        if !digits.is_empty() && before.is_none_or(|c| !c.is_alphanumeric()) {
            let id = format!("#{digits}");
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

/// Builds the release of `commit` (notes since the previous release tag reachable from it).
pub fn plan_release(
    catalog: &Catalog,
    commit: &str,
    today: chrono::NaiveDate,
) -> Result<Release, git::GitError> {
    let root = &catalog.root;
    let previous = previous_release(root, commit);
    let range = match &previous {
        Some(p) => format!("{p}..{commit}"),
        None => commit.to_string(),
    };
    let mut entries = Vec::new();
    let mut unconventional = Vec::new();
    for c in commits(root, &range)?.into_iter().filter(|c| !c.merge) {
        let mut projects: Vec<String> = c.files.iter().map(|f| project_of(catalog, f)).collect();
        projects.sort();
        projects.dedup();
        match git_conventional::Commit::parse(&c.message) {
            Ok(cc) => entries.push(NoteEntry {
                sha: c.sha.clone(),
                kind: cc.type_().as_str().to_lowercase(),
                scope: cc.scope().map(|s| s.as_str().to_string()),
                description: cc.description().to_string(),
                breaking: cc.breaking().then(|| {
                    cc.breaking_description()
                        .unwrap_or(cc.description())
                        .to_string()
                }),
                projects,
                issues: issues_in(&c.message),
            }),
            Err(_) => unconventional.push(format!("{} {}", &c.sha[..7], c.subject)),
        }
    }
    entries.reverse();
    let tag = next_tag(root, today);
    let notes = render_notes(&tag, today, previous.as_deref(), &entries, &unconventional);
    Ok(Release {
        tag,
        commit: commit.to_string(),
        previous,
        entries,
        unconventional,
        notes,
    })
}

fn line(e: &NoteEntry) -> String {
    let mut s = String::new();
    if let Some(scope) = &e.scope {
        let _ = write!(s, "**{scope}:** ");
    }
    s.push_str(&e.description);
    if !e.issues.is_empty() {
        let _ = write!(s, " ({})", e.issues.join(", "));
    }
    let _ = write!(s, " ({})", &e.sha[..7]);
    s
}

/// Markdown notes: breaking changes first, then each type by project.
pub fn render_notes(
    tag: &str,
    date: chrono::NaiveDate,
    previous: Option<&str>,
    entries: &[NoteEntry],
    unconventional: &[String],
) -> String {
    let mut out = format!("## {tag} ({date})\n\n");
    if let Some(p) = previous {
        let _ = writeln!(out, "Changes since {p}.\n");
    }
    let breaking: Vec<&NoteEntry> = entries.iter().filter(|e| e.breaking.is_some()).collect();
    if !breaking.is_empty() {
        out.push_str("### ⚠ Breaking changes\n\n");
        for e in breaking {
            let _ = writeln!(
                out,
                "- {}: {} ({})",
                e.projects.join(", "),
                e.breaking.as_deref().unwrap_or(""),
                &e.sha[..7]
            );
        }
        out.push('\n');
    }
    for (kind, heading) in TYPES {
        let of_kind: Vec<&NoteEntry> = entries.iter().filter(|e| e.kind == kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {heading}\n");
        let mut by_project: BTreeMap<&str, Vec<&NoteEntry>> = BTreeMap::new();
        for e in &of_kind {
            for p in &e.projects {
                by_project.entry(p.as_str()).or_default().push(e);
            }
            if e.projects.is_empty() {
                by_project.entry("platform").or_default().push(e);
            }
        }
        for (project, list) in by_project {
            let _ = writeln!(out, "#### {project}\n");
            for e in list {
                let _ = writeln!(out, "- {}", line(e));
            }
            out.push('\n');
        }
    }
    let others: Vec<&NoteEntry> = entries
        .iter()
        .filter(|e| !TYPES.iter().any(|(k, _)| *k == e.kind))
        .collect();
    if !others.is_empty() || !unconventional.is_empty() {
        out.push_str("### Other\n\n");
        for e in others {
            let _ = writeln!(out, "- {}: {}", e.kind, line(e));
        }
        for u in unconventional {
            let _ = writeln!(out, "- {u}");
        }
        out.push('\n');
    }
    if entries.is_empty() && unconventional.is_empty() {
        out.push_str("No changes.\n\n");
    }
    out
}

/// Tags the release (annotated, the notes as message) and prepends the notes to
/// `CHANGELOG.md` in the working tree.
pub fn write_release(root: &Path, release: &Release) -> Result<(), crate::delivery::DeliveryError> {
    git::run(
        root,
        &[
            "tag",
            "-a",
            &release.tag,
            &release.commit,
            "-m",
            &release.notes,
        ],
    )?;
    let path = root.join("CHANGELOG.md");
    let old = fs::read_to_string(&path).unwrap_or_default();
    let body = old
        .strip_prefix("# Changelog\n")
        .unwrap_or(&old)
        .trim_start();
    fs::write(&path, format!("# Changelog\n\n{}{}", release.notes, body))?;
    crate::audit::record_or_warn(
        root,
        "release",
        &release.tag,
        &format!("release {} of {}", release.tag, release.commit),
        &release,
    );
    Ok(())
}

/// `.github/CODEOWNERS` from the catalog's owners (`@<org>/<owner>`).
pub fn codeowners(catalog: &Catalog, org: &str) -> String {
    let mut out = String::from(
        "# Generated by `portfolio codeowners` from the catalog's `owner` fields; do not edit.\n\n",
    );
    for p in &catalog.projects {
        let _ = writeln!(out, "/{}/ @{org}/{}", p.dir.display(), p.manifest.owner);
    }
    out
}
