//! `copy --to DIR`: replicates the repository to a second target.
//!
//! Repository files never change once written (packs, index files, snapshots and keys are named
//! by random ids), so a replica is kept by copying the files it lacks, in an order that keeps it
//! sound at every step: packs, then index files, then snapshots; a replica created by `copy`
//! gets the same config and keys, so the same password opens it. Unless `--no-delete` is given,
//! what the source no longer has is then removed from the replica, in `prune`'s order:
//! snapshots, index files, packs. A `kill -9` at any point leaves a replica `verify` passes;
//! the next `copy` completes it.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use serde::Serialize;

use crate::prune::pause_point;
use crate::repo::{Config, Repo, RepoError, lock_at, write_atomic};

#[derive(Debug, Default, Serialize)]
pub struct CopyReport {
    /// The target was created by this copy.
    pub created: bool,
    pub packs_copied: usize,
    pub indexes_copied: usize,
    pub snapshots_copied: usize,
    pub bytes_copied: u64,
    pub snapshots_removed: usize,
    pub indexes_removed: usize,
    pub packs_removed: usize,
}

/// The files under `root/dir` (for `data`, `xx/<pack>`), temporary files left out.
fn files(root: &Path, dir: &str) -> Result<BTreeSet<String>, RepoError> {
    let mut out = BTreeSet::new();
    let base = root.join(dir);
    if !base.is_dir() {
        return Ok(out);
    }
    for e in fs::read_dir(&base)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with(".tmp") {
            continue;
        }
        if dir == "data" {
            for f in fs::read_dir(e.path())? {
                let f = f?.file_name().to_string_lossy().to_string();
                if !f.starts_with(".tmp") {
                    out.insert(format!("{name}/{f}"));
                }
            }
        } else {
            out.insert(name);
        }
    }
    Ok(out)
}

/// Copies `dir`'s files the target lacks; returns how many and their bytes.
fn copy_missing(from: &Path, to: &Path, dir: &str) -> Result<(usize, u64), RepoError> {
    let have = files(to, dir)?;
    let (mut n, mut bytes) = (0, 0);
    for f in files(from, dir)?.difference(&have) {
        let data = fs::read(from.join(dir).join(f))?;
        write_atomic(&to.join(dir).join(f), &data)?;
        n += 1;
        bytes += data.len() as u64;
    }
    Ok((n, bytes))
}

/// Removes `dir`'s files the source does not have; returns how many.
fn remove_extra(from: &Path, to: &Path, dir: &str) -> Result<usize, RepoError> {
    let keep = files(from, dir)?;
    let mut n = 0;
    for f in files(to, dir)?.difference(&keep) {
        fs::remove_file(to.join(dir).join(f))?;
        n += 1;
    }
    Ok(n)
}

/// Replicates `repo` (whose lock the caller holds) to `to`.
pub fn copy(repo: &Repo, to: &Path, delete: bool) -> Result<CopyReport, RepoError> {
    let mut report = CopyReport::default();
    let from = repo.root.as_path();
    if from.canonicalize()? == to.canonicalize().unwrap_or_else(|_| to.to_path_buf()) {
        return Err(RepoError::Damaged(
            to.display().to_string(),
            "is the repository itself; copy to a second target".into(),
        ));
    }
    let config = to.join("config");
    if config.is_file() {
        let theirs: Config = serde_json::from_slice(&fs::read(&config)?)
            .map_err(|e| RepoError::Damaged(config.display().to_string(), e.to_string()))?;
        if theirs.id != repo.config.id {
            return Err(RepoError::Damaged(
                to.display().to_string(),
                format!(
                    "holds another repository (id {}, this one is {}); copy keeps replicas of one repository",
                    &theirs.id[..12.min(theirs.id.len())],
                    &repo.config.id[..12.min(repo.config.id.len())]
                ),
            ));
        }
    } else {
        if to.is_dir() && fs::read_dir(to)?.next().is_some() {
            return Err(RepoError::Damaged(
                to.display().to_string(),
                "is neither empty nor a replica of this repository".into(),
            ));
        }
        for d in ["data", "index", "snapshots", "keys", "locks"] {
            fs::create_dir_all(to.join(d))?;
        }
        copy_missing(from, to, "keys")?;
        write_atomic(&config, &fs::read(from.join("config"))?)?;
        report.created = true;
    }
    let _lock = lock_at(to)?;
    copy_missing(from, to, "keys")?;
    let (n, b) = copy_missing(from, to, "data")?;
    report.packs_copied = n;
    report.bytes_copied += b;
    pause_point("copy-packed");
    let (n, b) = copy_missing(from, to, "index")?;
    report.indexes_copied = n;
    report.bytes_copied += b;
    let (n, b) = copy_missing(from, to, "snapshots")?;
    report.snapshots_copied = n;
    report.bytes_copied += b;
    if delete {
        report.snapshots_removed = remove_extra(from, to, "snapshots")?;
        report.indexes_removed = remove_extra(from, to, "index")?;
        report.packs_removed = remove_extra(from, to, "data")?;
    }
    Ok(report)
}
