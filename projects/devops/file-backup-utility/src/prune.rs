//! `prune`: removes the data no snapshot uses any more.
//!
//! Packs whose blobs are all unused are deleted; packs with some used blobs are repacked (the
//! used blobs copied into new packs, re-encrypted); packs on disk the index does not know (left
//! by a crash before an index was written) are deleted too. Crash safety comes from the order:
//!
//! 1. new packs are written (a crash leaves unknown packs: harmless, the next prune deletes them);
//! 2. one complete index of the remaining blobs is written atomically;
//! 3. every older index file is deleted (until then old and new entries both point at packs that
//!    still exist);
//! 4. the unused, repacked and unknown packs are deleted (nothing indexed points at them).
//!
//! A `kill -9` at any point leaves a repository that `verify --read-data` passes and that the
//! next `prune` finishes cleaning.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::load_tree;
use crate::repo::{PackWriter, Repo, RepoError, data_files, random_id};

/// What a prune found and did.
#[derive(Debug, Default, Serialize)]
pub struct PruneReport {
    pub blobs_used: usize,
    pub blobs_unused: usize,
    pub packs_kept: usize,
    pub packs_deleted: usize,
    pub packs_repacked: usize,
    /// Packs on disk that no index knew (a crashed run's leftovers).
    pub packs_unknown: usize,
    /// Bytes the data folder shrank by (a dry run: an estimate, without the new packs' headers).
    pub bytes_freed: u64,
    pub bytes_repacked: u64,
    pub dry_run: bool,
}

/// Every blob (data and tree) some snapshot reaches.
pub fn used_blobs(repo: &Repo) -> Result<HashSet<String>, RepoError> {
    let mut used = HashSet::new();
    let mut trees: Vec<String> = repo.snapshots()?.into_iter().map(|(_, s)| s.tree).collect();
    while let Some(id) = trees.pop() {
        // Trees are content-addressed: one shared by many snapshots is walked once.
        if !used.insert(id.clone()) {
            continue;
        }
        for node in load_tree(repo, &id)?.nodes {
            used.extend(node.content);
            trees.extend(node.subtree);
        }
    }
    Ok(used)
}

/// For tests of crash safety: with `FILE_BACKUP_PAUSE_AT=<point>` the process says so on stderr
/// and stops there until it is killed. Points: `pack-written` (backup, prune), `prune-indexed`,
/// `prune-deleting`, `copy-packed`.
pub fn pause_point(point: &str) {
    if std::env::var("FILE_BACKUP_PAUSE_AT").is_ok_and(|p| p == point) {
        eprintln!("paused at {point}");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}

/// Removes what no snapshot uses (see the module documentation). The caller holds the lock.
pub fn prune(repo: &mut Repo, dry_run: bool) -> Result<PruneReport, RepoError> {
    prune_with(repo, dry_run, &crate::progress::Progress::hidden())
}

/// [`prune`], counting the blobs repacked and the packs deleted on `progress`.
pub fn prune_with(
    repo: &mut Repo,
    dry_run: bool,
    progress: &crate::progress::Progress,
) -> Result<PruneReport, RepoError> {
    let used = used_blobs(repo)?;
    let mut report = PruneReport {
        dry_run,
        ..Default::default()
    };
    // pack → (used blob ids, unused bytes)
    let mut packs: HashMap<String, (Vec<String>, u64)> = HashMap::new();
    for (id, loc) in &repo.index {
        let entry = packs.entry(loc.pack.clone()).or_default();
        if used.contains(id) {
            entry.0.push(id.clone());
            report.blobs_used += 1;
        } else {
            entry.1 += loc.length;
            report.blobs_unused += 1;
        }
    }
    let mut doomed: Vec<String> = Vec::new();
    let mut repack: Vec<String> = Vec::new();
    for (pack, (used_ids, unused_bytes)) in &packs {
        if used_ids.is_empty() {
            report.packs_deleted += 1;
            doomed.push(pack.clone());
        } else if *unused_bytes > 0 {
            report.packs_repacked += 1;
            doomed.push(pack.clone());
            repack.extend(used_ids.iter().cloned());
        } else {
            report.packs_kept += 1;
        }
    }
    // Half-written files of crashed writers (the lock says no writer is alive).
    let mut partial = Vec::new();
    let mut sizes: HashMap<String, u64> = HashMap::new();
    for file in data_files(&*repo.store)? {
        if file.is_partial() {
            report.bytes_freed += file.len;
            partial.push(file.key);
        } else {
            if !packs.contains_key(&file.name) {
                report.packs_unknown += 1;
                doomed.push(file.name.clone());
            }
            sizes.insert(file.name, file.len);
        }
    }
    for pack in &doomed {
        report.bytes_freed += sizes.get(pack).copied().unwrap_or(0);
    }
    report.bytes_repacked = repack.iter().map(|id| repo.index[id].length).sum();
    report.bytes_freed = report.bytes_freed.saturating_sub(report.bytes_repacked);
    if dry_run {
        return Ok(report);
    }
    let size_before = data_size(repo)?;
    for key in partial {
        repo.store.remove(&key)?;
    }
    if doomed.is_empty() {
        report.bytes_freed = size_before.saturating_sub(data_size(repo)?);
        return Ok(report);
    }

    // 1. The used blobs of partly used packs into new packs.
    progress.set_total((repack.len() + doomed.len()) as u64);
    repack.sort(); // a stable order: packs of neighbours in id order
    {
        let mut writer = PackWriter::new(repo);
        for id in &repack {
            let kind = writer.repo().index[id].kind.clone();
            let plain = writer.repo().read_blob(id)?;
            writer.rewrite(&kind, &plain)?;
            progress.inc(1);
        }
        writer.finish()?;
    }
    // 2. One complete index of what stays.
    repo.index.retain(|id, _| used.contains(id));
    let old_indexes: Vec<String> = repo
        .store
        .list("index")?
        .into_iter()
        .map(|e| format!("index/{}", e.name))
        .collect();
    let sealed = repo.keys.seal_meta(
        repo.config.version,
        &serde_json::to_vec(&repo.index).expect("serialises"),
    );
    repo.store
        .write(&format!("index/{}", random_id()), &sealed)?;
    pause_point("prune-indexed");
    // 3. The older index files.
    for name in old_indexes {
        repo.store.remove(&name)?;
    }
    // 4. The packs nothing points at any more.
    for (n, pack) in doomed.iter().enumerate() {
        repo.store.remove(&Repo::pack_name(pack))?;
        progress.inc(1);
        if n == 0 {
            pause_point("prune-deleting");
        }
    }
    report.bytes_freed = size_before.saturating_sub(data_size(repo)?);
    Ok(report)
}

/// Bytes in the data folder.
fn data_size(repo: &Repo) -> Result<u64, RepoError> {
    Ok(data_files(&*repo.store)?.iter().map(|f| f.len).sum())
}
