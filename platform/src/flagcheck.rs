//! `portfolio flags list|check`: every project's `ops/feature-flags.toml` (format in the
//! `flags` crate), expiry, and references in code (`flag("name")`) against declarations.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;

use crate::catalog::Catalog;
use crate::diag::Diagnostic;

/// A declared flag with where it is declared.
#[derive(Debug, Clone, Serialize)]
pub struct Declared {
    pub project: String,
    pub file: String,
    pub line: usize,
    #[serde(flatten)]
    pub flag: flags::Flag,
    /// `ok`, `expiring` (within 14 days) or `expired`.
    pub status: String,
}

fn flags_file(p: &crate::catalog::Project) -> PathBuf {
    p.dir.join("ops/feature-flags.toml")
}

/// Every declared flag; problems in the files are diagnostics.
pub fn declared(catalog: &Catalog, today: NaiveDate) -> (Vec<Declared>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let mut diags = Vec::new();
    for p in &catalog.projects {
        let rel = flags_file(p);
        let path = catalog.root.join(&rel);
        let Ok(src) = fs::read_to_string(&path) else {
            continue;
        };
        match flags::parse(&rel.display().to_string(), &src) {
            Ok(list) => {
                for f in list {
                    let line = src
                        .find(&format!("\"{}\"", f.name))
                        .map(|o| crate::diag::line_of(&src, o))
                        .unwrap_or(1);
                    let status = if f.expired(today) {
                        "expired"
                    } else if f.expires <= today + chrono::Days::new(14) {
                        "expiring"
                    } else {
                        "ok"
                    };
                    out.push(Declared {
                        project: p.id().to_string(),
                        file: rel.display().to_string(),
                        line,
                        flag: f,
                        status: status.into(),
                    });
                }
            }
            Err(flags::FlagError::Invalid { line, message, .. }) => {
                diags.push(Diagnostic::new(&rel, line, message))
            }
        }
    }
    (out, diags)
}

const SOURCE_EXT: [&str; 7] = ["rs", "ts", "tsx", "js", "jsx", "py", "sh"];

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let is_source = |name: &str| {
        Path::new(name)
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| SOURCE_EXT.contains(&x))
    };
    crate::validate::collect_files(
        dir,
        &["target", "node_modules", "dist", "fixtures"],
        &is_source,
        out,
    );
}

/// `flag("name")` references in the sources of projects and shared crates: name → places.
pub fn references(root: &Path) -> BTreeMap<String, Vec<String>> {
    let mut files = Vec::new();
    walk(&root.join("projects"), &mut files);
    walk(&root.join("crates"), &mut files);
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in files {
        // The flags crate documents the syntax; its examples are not uses.
        if f.starts_with(root.join("crates/flags")) {
            continue;
        }
        let Ok(src) = fs::read_to_string(&f) else {
            continue;
        };
        for (name, line) in flags::references(&src) {
            out.entry(name).or_default().push(format!(
                "{}:{line}",
                crate::diag::relative(root, &f).display()
            ));
        }
    }
    out
}

/// `flags check`: expired flags, flags used but not declared, declared but not used, names
/// declared by two projects.
pub fn check(catalog: &Catalog, today: NaiveDate) -> Vec<Diagnostic> {
    let (declared, mut diags) = declared(catalog, today);
    let refs = references(&catalog.root);
    let mut by_name: BTreeMap<&str, &Declared> = BTreeMap::new();
    for d in &declared {
        if let Some(first) = by_name.insert(d.flag.name.as_str(), d) {
            diags.push(Diagnostic::new(
                Path::new(&d.file),
                d.line,
                format!(
                    "flag `{}` is also declared in {}:{}",
                    d.flag.name, first.file, first.line
                ),
            ));
        }
        if d.status == "expired" {
            diags.push(Diagnostic::new(
                Path::new(&d.file),
                d.line,
                format!(
                    "flag `{}` expired on {} (owner {}): remove it and its code paths, or extend `expires`",
                    d.flag.name, d.flag.expires, d.flag.owner
                ),
            ));
        }
        if !refs.contains_key(&d.flag.name) {
            diags.push(Diagnostic::new(
                Path::new(&d.file),
                d.line,
                format!(
                    "flag `{}` is declared but no code reads it (`flag(\"{}\")`): remove the declaration",
                    d.flag.name, d.flag.name
                ),
            ));
        }
    }
    for (name, places) in &refs {
        if !by_name.contains_key(name.as_str()) {
            for place in places {
                let (file, line) = place.rsplit_once(':').unwrap_or((place, "1"));
                diags.push(Diagnostic::new(
                    Path::new(file),
                    line.parse().unwrap_or(1),
                    format!(
                        "flag `{name}` is read here but not declared in any ops/feature-flags.toml"
                    ),
                ));
            }
        }
    }
    crate::diag::normalize(&mut diags);
    diags
}
