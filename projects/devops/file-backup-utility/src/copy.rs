//! `copy --to DIR|s3://BUCKET/PREFIX`: replicates the repository to a second target.
//!
//! Repository files never change once written (packs, index files, snapshots and keys are named
//! by random ids), so a replica is kept by copying the files it lacks, in an order that keeps it
//! sound at every step: packs, then index files, then snapshots; a replica created by `copy`
//! gets the same config and keys, so the same password opens it. Unless `--no-delete` is given,
//! what the source no longer has is then removed from the replica, in `prune`'s order:
//! snapshots, index files, packs. A `kill -9` at any point leaves a replica `verify` passes;
//! the next `copy` completes it.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::Serialize;

use crate::progress::Progress;
use crate::prune::pause_point;
use crate::repo::{Config, Repo, RepoError, lock_at};
use crate::storage::Store;

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

/// The objects under `dir` (for `data`, `xx/<pack>`), temporary files left out.
fn files(store: &dyn Store, dir: &str) -> Result<BTreeSet<String>, RepoError> {
    Ok(store
        .list(dir)?
        .into_iter()
        .map(|e| e.name)
        .filter(|n| !n.rsplit('/').next().unwrap_or(n).starts_with(".tmp"))
        .collect())
}

/// Copies `dir`'s objects the target lacks; returns how many and their bytes.
fn copy_missing(from: &dyn Store, to: &dyn Store, dir: &str) -> Result<(usize, u64), RepoError> {
    copy_missing_with(from, to, dir, &Progress::hidden())
}

/// [`copy_missing`], counting the bytes to copy and copied on `progress`.
fn copy_missing_with(
    from: &dyn Store,
    to: &dyn Store,
    dir: &str,
    progress: &Progress,
) -> Result<(usize, u64), RepoError> {
    let have = files(to, dir)?;
    let missing: Vec<(String, u64)> = from
        .list(dir)?
        .into_iter()
        .filter(|e| {
            !e.name
                .rsplit('/')
                .next()
                .unwrap_or(&e.name)
                .starts_with(".tmp")
                && !have.contains(&e.name)
        })
        .map(|e| (e.name, e.len))
        .collect();
    progress.set_total(missing.iter().map(|(_, len)| len).sum());
    let (mut n, mut bytes) = (0, 0);
    for (f, _) in &missing {
        let name = format!("{dir}/{f}");
        let data = from.read(&name)?;
        to.write(&name, &data)?;
        n += 1;
        bytes += data.len() as u64;
        progress.inc(data.len() as u64);
    }
    Ok((n, bytes))
}

/// Removes `dir`'s objects the source does not have; returns how many.
fn remove_extra(from: &dyn Store, to: &dyn Store, dir: &str) -> Result<usize, RepoError> {
    let keep = files(from, dir)?;
    let mut n = 0;
    for f in files(to, dir)?.difference(&keep) {
        to.remove(&format!("{dir}/{f}"))?;
        n += 1;
    }
    Ok(n)
}

/// Replicates `repo` (whose lock the caller holds) to `to`.
pub fn copy(repo: &Repo, to: Arc<dyn Store>, delete: bool) -> Result<CopyReport, RepoError> {
    copy_with(repo, to, delete, &Progress::hidden())
}

/// [`copy`], counting the pack bytes copied on `progress`.
pub fn copy_with(
    repo: &Repo,
    to: Arc<dyn Store>,
    delete: bool,
    progress: &Progress,
) -> Result<CopyReport, RepoError> {
    let mut report = CopyReport::default();
    let from = &*repo.store;
    if from.same_as(&*to) {
        return Err(RepoError::Damaged(
            to.location(),
            "is the repository itself; copy to a second target".into(),
        ));
    }
    if to.exists("config")? {
        let theirs: Config = serde_json::from_slice(&to.read("config")?)
            .map_err(|e| RepoError::Damaged(format!("{}/config", to.location()), e.to_string()))?;
        if theirs.id != repo.config.id {
            return Err(RepoError::Damaged(
                to.location(),
                format!(
                    "holds another repository (id {}, this one is {}); copy keeps replicas of one repository",
                    &theirs.id[..12.min(theirs.id.len())],
                    &repo.config.id[..12.min(repo.config.id.len())]
                ),
            ));
        }
    } else {
        if !to.is_empty()? {
            return Err(RepoError::Damaged(
                to.location(),
                "is neither empty nor a replica of this repository".into(),
            ));
        }
        to.prepare()?;
        copy_missing(from, &*to, "keys")?;
        to.write("config", &from.read("config")?)?;
        report.created = true;
    }
    let _lock = lock_at(to.clone())?;
    let to = &*to;
    copy_missing(from, to, "keys")?;
    let (n, b) = copy_missing_with(from, to, "data", progress)?;
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
