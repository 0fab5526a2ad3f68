//! `portfolio validate`: every structural rule of the repository in one pass.
//!
//! Rules (each problem is one `path:line: message`):
//! - manifests parse, carry no unknown keys, and agree with their folder (see `catalog.rs`);
//! - field values: tier 1–3, `rto`/`rpo` durations, env names, secrets without defaults,
//!   readiness URLs, known tool ids, no HTTP/gRPC port claimed twice;
//! - dependencies exist, are not cyclic, and are not decommissioned for a built project;
//! - every project has a README; a planned project's README says it is planned;
//! - `experimental` and later need `adr/` with at least one ADR in the house format;
//!   `active` and `deprecated` need `ops/runbook.md` with the §9 sections and a date;
//! - task commands that name a file in the project (`./x.sh`) point at an existing file;
//! - relative links in Markdown resolve (folders named `target`, `node_modules`, `fixtures`
//!   and hidden folders are not scanned).

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::bootstrap::TOOLS;
use crate::catalog::{Catalog, CatalogError, Project};
use crate::diag::{Diagnostic, normalize, relative, suggest};
use crate::docs;
use crate::graph::Graph;
use crate::kinds::TaskName;
use crate::manifest::Lifecycle;

#[derive(Debug, Serialize)]
pub struct Report {
    pub projects: usize,
    pub markdown_files: usize,
    pub problems: Vec<Diagnostic>,
}

/// Validates the repository at `root`.
pub fn validate(root: &Path) -> Result<Report, CatalogError> {
    let (catalog, mut problems) = Catalog::load(root)?;
    let (graph, graph_problems) = Graph::build(&catalog);
    problems.extend(graph_problems);
    check_fields(&catalog, &mut problems);
    check_dependency_lifecycles(&catalog, &graph, &mut problems);
    check_ports(&catalog, &mut problems);
    for p in &catalog.projects {
        check_project_files(root, p, &mut problems);
        check_task_files(root, p, &mut problems);
    }
    let markdown_files = check_markdown_links(root, &mut problems);
    normalize(&mut problems);
    Ok(Report {
        projects: catalog.projects.len(),
        markdown_files,
        problems,
    })
}

fn is_duration(s: &str) -> bool {
    let (num, unit) = s.split_at(s.len().saturating_sub(1));
    !num.is_empty()
        && num.bytes().all(|b| b.is_ascii_digit())
        && matches!(unit, "s" | "m" | "h" | "d")
}

fn check_fields(catalog: &Catalog, problems: &mut Vec<Diagnostic>) {
    for p in &catalog.projects {
        let m = &p.manifest;
        let at = |span: std::ops::Range<usize>, msg: String| {
            Diagnostic::new(&p.manifest_path, p.line(span), msg)
        };
        if !(1..=3).contains(m.tier.get_ref()) {
            problems.push(at(
                m.tier.span(),
                format!("tier {} is out of range: use 1, 2 or 3", m.tier.get_ref()),
            ));
        }
        for (name, value) in [("rto", &m.rto), ("rpo", &m.rpo)] {
            if let Some(v) = value.as_ref().filter(|v| !is_duration(v.get_ref())) {
                problems.push(at(
                    v.span(),
                    format!(
                        "{name} `{}` is not a duration like 30s, 15m, 4h or 1d",
                        v.get_ref()
                    ),
                ));
            }
        }
        if m.summary.trim().is_empty() || m.owner.trim().is_empty() {
            problems.push(Diagnostic::new(
                &p.manifest_path,
                1,
                "summary and owner must not be empty",
            ));
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for var in &m.env {
            let name = var.name.get_ref();
            let line = p.line(var.name.span());
            let valid = name.starts_with(|c: char| c.is_ascii_uppercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if !valid {
                problems.push(Diagnostic::new(
                    &p.manifest_path,
                    line,
                    format!("env name `{name}` must be UPPER_SNAKE_CASE"),
                ));
            }
            if var.secret && var.default.is_some() {
                problems.push(Diagnostic::new(
                    &p.manifest_path,
                    line,
                    format!("env `{name}` is secret and must not have a default in git"),
                ));
            }
            if seen.insert(name, line).is_some() {
                problems.push(Diagnostic::new(
                    &p.manifest_path,
                    line,
                    format!("env `{name}` is declared twice"),
                ));
            }
        }
        if let Some(ready) = &m.tasks.ready {
            let r = ready.get_ref();
            if !(r.starts_with("http://") || r.starts_with("tcp://")) {
                problems.push(at(
                    ready.span(),
                    format!("ready `{r}` must start with http:// or tcp://"),
                ));
            }
            if p.task(TaskName::Run).is_none() {
                problems.push(at(
                    ready.span(),
                    "ready is set but the project has no run task".into(),
                ));
            }
        }
        for tool in &m.requires {
            if !TOOLS.iter().any(|t| t.id == tool.get_ref()) {
                let mut msg = format!("unknown tool `{}` in requires", tool.get_ref());
                if let Some(s) = suggest(tool.get_ref(), TOOLS.iter().map(|t| t.id)) {
                    msg.push_str(&format!(" (did you mean `{s}`?)"));
                }
                problems.push(at(tool.span(), msg));
            }
        }
    }
}

fn check_dependency_lifecycles(catalog: &Catalog, graph: &Graph, problems: &mut Vec<Diagnostic>) {
    for (i, p) in catalog.projects.iter().enumerate() {
        if !p.lifecycle().is_built() {
            continue;
        }
        for &j in &graph.deps[i] {
            let dep = &catalog.projects[j];
            if dep.lifecycle() == Lifecycle::Decommissioned {
                let line = p
                    .manifest
                    .depends_on
                    .iter()
                    .find(|d| d.get_ref() == dep.id())
                    .map(|d| p.line(d.span()))
                    .unwrap_or(1);
                problems.push(Diagnostic::new(
                    &p.manifest_path,
                    line,
                    format!("depends on `{}`, which is decommissioned", dep.id()),
                ));
            }
        }
    }
}

fn check_ports(catalog: &Catalog, problems: &mut Vec<Diagnostic>) {
    let mut owners: HashMap<u16, &Project> = HashMap::new();
    for p in &catalog.projects {
        for port in p
            .manifest
            .provides
            .http
            .iter()
            .chain(&p.manifest.provides.grpc)
        {
            match owners.get(port.get_ref()) {
                Some(other) if other.id() != p.id() => problems.push(Diagnostic::new(
                    &p.manifest_path,
                    p.line(port.span()),
                    format!("port {} is also provided by {}", port.get_ref(), other.id()),
                )),
                _ => {
                    owners.insert(*port.get_ref(), p);
                }
            }
        }
    }
}

fn check_project_files(root: &Path, p: &Project, problems: &mut Vec<Diagnostic>) {
    let dir = root.join(&p.dir);
    let lifecycle = p.lifecycle();
    let lifecycle_line = p.line(p.manifest.lifecycle.span());
    match fs::read_to_string(dir.join("README.md")) {
        Err(_) => problems.push(Diagnostic::new(
            &p.manifest_path,
            1,
            "project has no README.md",
        )),
        Ok(readme)
            if lifecycle == Lifecycle::Planned
                && !readme.to_ascii_lowercase().contains("planned") =>
        {
            problems.push(Diagnostic::new(
                p.dir.join("README.md"),
                1,
                "the project is planned but its README does not say so",
            ))
        }
        Ok(_) => {}
    }

    let adr_dir = dir.join("adr");
    let mut adrs = 0;
    if let Ok(entries) = fs::read_dir(&adr_dir) {
        let mut files: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for file in files {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !name.ends_with(".md") || name.eq_ignore_ascii_case("README.md") {
                continue;
            }
            let rel = relative(root, &file);
            let numbered = name.len() > 5
                && name[..4].bytes().all(|b| b.is_ascii_digit())
                && name.as_bytes()[4] == b'-';
            if !numbered {
                problems.push(Diagnostic::new(
                    &rel,
                    1,
                    "ADR file names are NNNN-short-title.md",
                ));
                continue;
            }
            match fs::read_to_string(&file) {
                Ok(src) => problems.extend(docs::check_adr(&rel, &src)),
                Err(e) => problems.push(Diagnostic::new(&rel, 1, format!("cannot read: {e}"))),
            }
            adrs += 1;
        }
    }
    if lifecycle >= Lifecycle::Experimental && lifecycle != Lifecycle::Decommissioned && adrs == 0 {
        problems.push(Diagnostic::new(
            &p.manifest_path,
            lifecycle_line,
            format!("lifecycle `{lifecycle}` requires adr/ with at least one ADR (NNNN-title.md)"),
        ));
    }

    if matches!(lifecycle, Lifecycle::Active | Lifecycle::Deprecated) {
        let runbook = p.dir.join("ops/runbook.md");
        match fs::read_to_string(root.join(&runbook)) {
            Ok(src) => problems.extend(docs::check_runbook(&runbook, &src)),
            Err(_) => problems.push(Diagnostic::new(
                &p.manifest_path,
                lifecycle_line,
                format!("lifecycle `{lifecycle}` requires ops/runbook.md, which is missing"),
            )),
        }
    }
}

/// A task whose program is a path (`./scripts/test.sh`) must name a file of the project.
fn check_task_files(root: &Path, p: &Project, problems: &mut Vec<Diagnostic>) {
    for task in [
        TaskName::Lint,
        TaskName::Test,
        TaskName::Build,
        TaskName::Run,
    ] {
        let Some(t) = p.task(task) else { continue };
        let Some(program) = crate::runner::program_of(&t.command) else {
            continue;
        };
        if program.contains('/') {
            let path = root.join(&p.dir).join(&program);
            if !path.is_file() {
                problems.push(Diagnostic::new(
                    &p.manifest_path,
                    t.line,
                    format!(
                        "task `{task}` runs `{program}`, which does not exist in {}",
                        p.dir.display()
                    ),
                ));
            }
        }
    }
}

const SKIPPED_DIRS: [&str; 3] = ["target", "node_modules", "fixtures"];

fn check_markdown_links(root: &Path, problems: &mut Vec<Diagnostic>) -> usize {
    let mut files = Vec::new();
    collect_files(
        root,
        &SKIPPED_DIRS,
        &|name| name.ends_with(".md"),
        &mut files,
    );
    for file in &files {
        let Ok(src) = fs::read_to_string(file) else {
            continue;
        };
        for link in docs::relative_links(&src) {
            let target = docs::resolve_link(root, file, &link.target);
            if !target.exists() {
                problems.push(Diagnostic::new(
                    relative(root, file),
                    link.line,
                    format!(
                        "broken link `{}`: {} does not exist",
                        link.target,
                        relative(root, &target).display()
                    ),
                ));
            }
        }
    }
    files.len()
}

/// Files under `dir` whose name `keep` accepts, skipping hidden folders and those named in
/// `skip` (shared by the Markdown, feature-flag and alert-rule scans).
pub fn collect_files(
    dir: &Path,
    skip: &[&str],
    keep: &dyn Fn(&str) -> bool,
    out: &mut Vec<PathBuf>,
) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            if !name.starts_with('.') && !skip.contains(&name.as_ref()) {
                collect_files(&entry.path(), skip, keep, out);
            }
        } else if keep(&name) {
            out.push(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_have_a_number_and_a_unit() {
        for ok in ["30s", "15m", "4h", "1d"] {
            assert!(is_duration(ok), "{ok}");
        }
        for bad in ["", "h", "4", "4 h", "1w", "-1h"] {
            assert!(!is_duration(bad), "{bad}");
        }
    }
}
