//! The catalog: every `projects/<domain>/<name>/project.toml` under a repository root.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::diag::{Diagnostic, line_of, normalize};
use crate::kinds::{TaskName, default_task, default_tools};
use crate::manifest::{self, Kind, Lifecycle, Manifest};

/// One project: its manifest and where it lives.
#[derive(Debug, Clone)]
pub struct Project {
    pub manifest: Manifest,
    /// Folder relative to the root, e.g. `projects/backend/task-api`.
    pub dir: PathBuf,
    /// `project.toml` relative to the root.
    pub manifest_path: PathBuf,
    source: String,
}

/// A task command as it will run, with the manifest line that defines it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedTask {
    pub command: String,
    /// The `[tasks]` line, or the `kind` line when the command is the kind's default.
    pub line: usize,
    pub from_kind: bool,
}

impl Project {
    pub fn id(&self) -> &str {
        self.manifest.id()
    }

    pub fn lifecycle(&self) -> Lifecycle {
        *self.manifest.lifecycle.get_ref()
    }

    pub fn kind(&self) -> Kind {
        *self.manifest.kind.get_ref()
    }

    /// The 1-based line of a byte offset in this project's manifest.
    pub fn line(&self, span: std::ops::Range<usize>) -> usize {
        line_of(&self.source, span.start)
    }

    /// The command behind `task`, if the project has one.
    pub fn task(&self, task: TaskName) -> Option<ResolvedTask> {
        let t = &self.manifest.tasks;
        let declared = match task {
            TaskName::Lint => &t.lint,
            TaskName::Test => &t.test,
            TaskName::Build => &t.build,
            TaskName::Run => &t.run,
        };
        let (command, line, from_kind) = match declared {
            Some(s) => (s.get_ref().clone(), self.line(s.span()), false),
            None => (
                default_task(self.kind(), task)?.to_string(),
                self.line(self.manifest.kind.span()),
                true,
            ),
        };
        let command = command.replace("{package}", self.manifest.package());
        (!command.trim().is_empty()).then_some(ResolvedTask {
            command,
            line,
            from_kind,
        })
    }

    /// Tools this project needs: its kind's defaults plus `requires`.
    pub fn tools(&self) -> Vec<String> {
        let mut tools: Vec<String> = default_tools(self.kind())
            .iter()
            .map(|s| s.to_string())
            .collect();
        tools.extend(self.manifest.requires.iter().map(|r| r.get_ref().clone()));
        tools.sort();
        tools.dedup();
        tools
    }
}

/// All projects, sorted by id.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub root: PathBuf,
    pub projects: Vec<Project>,
    index: HashMap<String, usize>,
}

impl Catalog {
    pub fn get(&self, id: &str) -> Option<&Project> {
        self.index.get(id).map(|&i| &self.projects[i])
    }

    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The index of `id`, or the user-facing error naming it with the nearest known id.
    pub fn resolve(&self, id: &str) -> Result<usize, String> {
        self.position(id)
            .ok_or_else(|| match crate::diag::suggest(id, self.ids()) {
                Some(s) => format!("unknown project `{id}` (did you mean `{s}`?)"),
                None => format!("unknown project `{id}`"),
            })
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.projects.iter().map(|p| p.id())
    }

    /// Loads every manifest under `root/projects`. Manifests that fail to parse are left out
    /// and reported; so are folders without a manifest and ids that do not match the path.
    pub fn load(root: &Path) -> Result<(Catalog, Vec<Diagnostic>), CatalogError> {
        let projects_dir = root.join("projects");
        if !projects_dir.is_dir() {
            return Err(CatalogError::NoProjects(root.to_path_buf()));
        }
        let mut diags = Vec::new();
        let mut projects = Vec::new();
        for domain in sorted_dirs(&projects_dir)? {
            for dir in sorted_dirs(&domain)? {
                let rel_dir = dir.strip_prefix(root).unwrap_or(&dir).to_path_buf();
                let manifest_path = rel_dir.join("project.toml");
                let source = match fs::read_to_string(dir.join("project.toml")) {
                    Ok(s) => s,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        diags.push(Diagnostic::new(
                            &rel_dir,
                            1,
                            "project folder has no project.toml",
                        ));
                        continue;
                    }
                    Err(e) => {
                        diags.push(Diagnostic::new(
                            &manifest_path,
                            1,
                            format!("cannot read: {e}"),
                        ));
                        continue;
                    }
                };
                match manifest::parse(&manifest_path, &source) {
                    Ok(manifest) => projects.push(Project {
                        manifest,
                        dir: rel_dir,
                        manifest_path,
                        source,
                    }),
                    Err(errs) => diags.extend(errs),
                }
            }
        }
        projects.sort_by(|a, b| a.id().cmp(b.id()));
        let mut index = HashMap::with_capacity(projects.len());
        for (i, p) in projects.iter().enumerate() {
            check_identity(p, &mut diags);
            if let Some(first) = index.insert(p.id().to_string(), i) {
                let other: &Project = &projects[first];
                diags.push(Diagnostic::new(
                    &p.manifest_path,
                    p.line(p.manifest.id.span()),
                    format!(
                        "id `{}` is also used by {}",
                        p.id(),
                        other.manifest_path.display()
                    ),
                ));
            }
        }
        normalize(&mut diags);
        Ok((
            Catalog {
                root: root.to_path_buf(),
                projects,
                index,
            },
            diags,
        ))
    }
}

/// `id`, `domain` and `name` must agree with the folder the manifest sits in.
fn check_identity(p: &Project, diags: &mut Vec<Diagnostic>) {
    let m = &p.manifest;
    let folder_domain = p
        .dir
        .parent()
        .and_then(|d| d.file_name())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let folder_name = p
        .dir
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let expected_id = format!("{folder_domain}/{folder_name}");
    if m.id() != expected_id {
        diags.push(Diagnostic::new(
            &p.manifest_path,
            p.line(m.id.span()),
            format!(
                "id `{}` does not match its folder: expected `{expected_id}`",
                m.id()
            ),
        ));
    }
    if m.domain.get_ref() != &folder_domain {
        diags.push(Diagnostic::new(
            &p.manifest_path,
            p.line(m.domain.span()),
            format!(
                "domain `{}` does not match its folder `{folder_domain}`",
                m.domain.get_ref()
            ),
        ));
    }
    if m.name.get_ref() != &folder_name {
        diags.push(Diagnostic::new(
            &p.manifest_path,
            p.line(m.name.span()),
            format!(
                "name `{}` does not match its folder `{folder_name}`",
                m.name.get_ref()
            ),
        ));
    }
}

fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>, CatalogError> {
    let read = fs::read_dir(dir).map_err(|e| CatalogError::Io(dir.to_path_buf(), e))?;
    let mut dirs: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// Errors that stop the catalog from being read at all (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{0}: no `projects/` folder here; pass --root or run inside the repository")]
    NoProjects(PathBuf),
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
}

/// The repository root: `explicit` if given, else the nearest ancestor of `start` that holds
/// a `projects/` folder.
pub fn find_root(explicit: Option<&Path>, start: &Path) -> Result<PathBuf, CatalogError> {
    if let Some(dir) = explicit {
        return if dir.join("projects").is_dir() {
            Ok(dir.to_path_buf())
        } else {
            Err(CatalogError::NoProjects(dir.to_path_buf()))
        };
    }
    start
        .ancestors()
        .find(|d| d.join("projects").is_dir())
        .map(Path::to_path_buf)
        .ok_or_else(|| CatalogError::NoProjects(start.to_path_buf()))
}
