//! `portfolio affected`: the projects a change touches.
//!
//! A project is affected when a file under its folder changed, when a shared file it builds
//! from changed, or when anything it depends on (transitively) is affected. Shared files:
//!
//! | changed path | affects |
//! |---|---|
//! | `crates/**`, `Cargo.toml`, `Cargo.lock`, `rust-toolchain.toml`, `.cargo/**` | every Rust project (`rust-*` kinds) |
//! | `package.json`, `package-lock.json` | every `npm-package` project |
//! | anything else outside `projects/` (docs, `platform/`, `Makefile`, `.ci/`) | no project; listed as `unowned` |
//!
//! "Changed" means: differs between REV and the working tree (committed, staged or not),
//! or is untracked and not ignored.

use std::path::Path;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::graph::Graph;
use crate::manifest::Kind;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AffectedProject {
    pub id: String,
    /// Why: `changed: <file>`, `shared: <file>` or `depends on <id>`.
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Affected {
    pub since: String,
    pub changed_files: usize,
    pub projects: Vec<AffectedProject>,
    /// Changed files that belong to no project and affect none.
    pub unowned: Vec<String>,
}

pub use crate::git::GitError as AffectedError;

fn git(root: &Path, args: &[&str]) -> Result<String, AffectedError> {
    crate::git::run(root, args)
}

/// Files changed since `since`, relative to `root` (which may be a subfolder of the work tree).
pub fn changed_files(root: &Path, since: &str) -> Result<Vec<String>, AffectedError> {
    let spec = format!("{since}^{{commit}}");
    if git(root, &["rev-parse", "--verify", "--quiet", &spec]).is_err() {
        return Err(AffectedError::UnknownRevision(since.to_string()));
    }
    let mut files: Vec<String> = git(root, &["diff", "--name-only", "--relative", since, "--"])?
        .lines()
        .chain(git(root, &["ls-files", "--others", "--exclude-standard"])?.lines())
        .map(str::to_string)
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}

/// Maps changed files to affected projects, then adds every dependent.
pub fn affected(catalog: &Catalog, graph: &Graph, since: &str, files: &[String]) -> Affected {
    let mut reasons: Vec<Option<String>> = vec![None; catalog.projects.len()];
    let mut unowned = Vec::new();
    for file in files {
        if let Some(rest) = file.strip_prefix("projects/") {
            let mut parts = rest.splitn(3, '/');
            if let (Some(domain), Some(name)) = (parts.next(), parts.next())
                && let Some(i) = catalog.position(&format!("{domain}/{name}"))
            {
                reasons[i].get_or_insert_with(|| format!("changed: {file}"));
                continue;
            }
            unowned.push(file.clone());
            continue;
        }
        let kinds: fn(Kind) -> bool = if is_rust_shared(file) {
            Kind::is_rust
        } else if file == "package.json" || file == "package-lock.json" {
            |k| k == Kind::NpmPackage
        } else {
            unowned.push(file.clone());
            continue;
        };
        for (i, p) in catalog.projects.iter().enumerate() {
            if kinds(p.kind()) {
                reasons[i].get_or_insert_with(|| format!("shared: {file}"));
            }
        }
    }
    let direct: Vec<usize> = (0..reasons.len())
        .filter(|&i| reasons[i].is_some())
        .collect();
    // Breadth-first over dependents so each reason names the nearest affected dependency.
    let mut queue: std::collections::VecDeque<usize> = direct.into();
    while let Some(i) = queue.pop_front() {
        for &d in &graph.dependents[i] {
            if reasons[d].is_none() {
                reasons[d] = Some(format!("depends on {}", catalog.projects[i].id()));
                queue.push_back(d);
            }
        }
    }
    Affected {
        since: since.to_string(),
        changed_files: files.len(),
        projects: reasons
            .into_iter()
            .enumerate()
            .filter_map(|(i, r)| {
                r.map(|reason| AffectedProject {
                    id: catalog.projects[i].id().to_string(),
                    reason,
                })
            })
            .collect(),
        unowned,
    }
}

fn is_rust_shared(file: &str) -> bool {
    file.starts_with("crates/")
        || file.starts_with(".cargo/")
        || matches!(
            file,
            "Cargo.toml" | "Cargo.lock" | "rust-toolchain.toml" | "rust-toolchain"
        )
}

/// The base `scripts/validate-local.sh` compares against: the first of `candidates` that
/// exists, else the root commit.
pub fn default_base(root: &Path, candidates: &[&str]) -> Option<String> {
    for c in candidates {
        if git(
            root,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{c}^{{commit}}"),
            ],
        )
        .is_ok()
        {
            return Some((*c).to_string());
        }
    }
    git(root, &["rev-list", "--max-parents=0", "HEAD"])
        .ok()
        .and_then(|s| s.lines().last().map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A catalog of a Rust library, a web app depending on it, and docs.
    fn catalog() -> (tempfile::TempDir, Catalog, Graph) {
        let dir = tempfile::tempdir().unwrap();
        for (id, kind, deps) in [
            ("core/lib", "rust-library", ""),
            ("web/app", "npm-package", "\"core/lib\""),
            ("docs/guide", "docs", ""),
        ] {
            let (domain, name) = id.split_once('/').unwrap();
            let p = dir.path().join("projects").join(id);
            std::fs::create_dir_all(&p).unwrap();
            std::fs::write(
                p.join("project.toml"),
                format!("id = \"{id}\"\nname = \"{name}\"\ndomain = \"{domain}\"\nsummary = \"s\"\nowner = \"o\"\ntier = 1\nlifecycle = \"active\"\nkind = \"{kind}\"\ndepends_on = [{deps}]\n"),
            )
            .unwrap();
        }
        let (catalog, diags) = Catalog::load(dir.path()).unwrap();
        assert!(diags.is_empty(), "{diags:?}");
        let (graph, diags) = Graph::build(&catalog);
        assert!(diags.is_empty());
        (dir, catalog, graph)
    }

    fn ids(a: &Affected) -> Vec<(&str, &str)> {
        a.projects
            .iter()
            .map(|p| (p.id.as_str(), p.reason.as_str()))
            .collect()
    }

    #[test]
    fn shared_rust_files_affect_rust_projects_and_their_dependents() {
        let (_d, c, g) = catalog();
        let a = affected(&c, &g, "HEAD", &["Cargo.lock".into()]);
        assert_eq!(
            ids(&a),
            [
                ("core/lib", "shared: Cargo.lock"),
                ("web/app", "depends on core/lib")
            ]
        );
        let a = affected(&c, &g, "HEAD", &["crates/telemetry/src/lib.rs".into()]);
        assert_eq!(
            ids(&a)[0],
            ("core/lib", "shared: crates/telemetry/src/lib.rs")
        );
    }

    #[test]
    fn npm_lock_files_affect_npm_projects_only() {
        let (_d, c, g) = catalog();
        let a = affected(&c, &g, "HEAD", &["package-lock.json".into()]);
        assert_eq!(ids(&a), [("web/app", "shared: package-lock.json")]);
    }

    #[test]
    fn project_files_affect_their_project_and_other_files_are_unowned() {
        let (_d, c, g) = catalog();
        let files = [
            "projects/docs/guide/README.md".to_string(),
            "docs/ARCHITECTURE.md".into(),
            "projects/gone/old/x".into(),
        ];
        let a = affected(&c, &g, "HEAD", &files);
        assert_eq!(
            ids(&a),
            [("docs/guide", "changed: projects/docs/guide/README.md")]
        );
        assert_eq!(a.unowned, ["docs/ARCHITECTURE.md", "projects/gone/old/x"]);
    }
}
