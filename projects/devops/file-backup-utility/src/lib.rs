//! `file-backup`: deduplicating, encrypted backups (experimental). The repository format is in
//! [`repo`]; this module walks trees for `backup`, `ls` and `restore`.

pub mod chunker;
pub mod copy;
pub mod jobs;
pub mod progress;
pub mod prune;
pub mod repo;
pub mod report;
pub mod retention;
pub mod storage;

use std::fs;
use std::io::Read as _;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use repo::{PackWriter, Repo, RepoError, Snapshot, Summary};

/// One entry of a tree blob.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Node {
    pub name: String,
    /// `file`, `dir` or `symlink`.
    pub kind: String,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Modification time in nanoseconds since the epoch.
    pub mtime_ns: i128,
    pub size: u64,
    pub inode: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub content: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtree: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Tree {
    pub nodes: Vec<Node>,
}

fn load_tree(repo: &Repo, id: &str) -> Result<Tree, RepoError> {
    let bytes = repo.read_blob(id)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| RepoError::Damaged(format!("tree {id}"), e.to_string()))
}

fn mtime_ns(m: &fs::Metadata) -> i128 {
    m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128
}

fn node_of(name: String, m: &fs::Metadata, kind: &str) -> Node {
    Node {
        name,
        kind: kind.into(),
        mode: m.permissions().mode() & 0o7777,
        uid: m.uid(),
        gid: m.gid(),
        mtime_ns: mtime_ns(m),
        size: m.len(),
        inode: m.ino(),
        content: vec![],
        subtree: None,
        target: None,
    }
}

/// Options of one backup run.
#[derive(Debug, Clone, Default)]
pub struct BackupOptions {
    /// Exclude entries whose name or path matches one of these (`*` wildcards).
    pub excludes: Vec<String>,
    pub tags: Vec<String>,
    pub dry_run: bool,
    /// Do not descend into folders on another file system than their backed-up path (mount
    /// points are kept as empty folders).
    pub one_file_system: bool,
    /// Where the run reports progress (hidden by default).
    pub progress: progress::Progress,
}

fn wildcard(pattern: &str, s: &str) -> bool {
    // `*` matches any run of characters (including `/`), everything else literally.
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == s;
    }
    let mut rest = s;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(p) => rest = &rest[p + part.len()..],
                None => return false,
            }
        }
    }
    true
}

fn excluded(opts: &BackupOptions, path: &Path) -> bool {
    let full = path.to_string_lossy();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    opts.excludes
        .iter()
        .any(|p| wildcard(p, &name) || wildcard(p, &full))
}

struct Walker<'r, 'a> {
    packs: &'r mut PackWriter<'a>,
    opts: &'r BackupOptions,
    summary: Summary,
    /// The device of the path being backed up (for `one_file_system`).
    dev: u64,
    chunker: chunker::Chunker,
}

impl Walker<'_, '_> {
    /// Backs up directory `dir` (with `parent`'s tree of the same directory for unchanged
    /// files) and returns its tree id.
    fn dir(&mut self, dir: &Path, parent: Option<&Tree>) -> Result<String, RepoError> {
        let mut entries: Vec<fs::DirEntry> = fs::read_dir(dir)?.filter_map(|e| e.ok()).collect();
        entries.sort_by_key(|e| e.file_name());
        let mut tree = Tree::default();
        for e in entries {
            let path = e.path();
            if excluded(self.opts, &path) {
                continue;
            }
            let name = e.file_name().to_string_lossy().to_string();
            let m = fs::symlink_metadata(&path)?;
            let old = parent.and_then(|t| t.nodes.iter().find(|n| n.name == name));
            let ft = m.file_type();
            if ft.is_symlink() {
                let mut n = node_of(name, &m, "symlink");
                n.target = Some(fs::read_link(&path)?.to_string_lossy().to_string());
                tree.nodes.push(n);
            } else if ft.is_dir() && self.opts.one_file_system && m.dev() != self.dev {
                // A mount point: kept, empty.
                self.summary.dirs += 1;
                let mut n = node_of(name, &m, "dir");
                let empty = serde_json::to_vec(&Tree::default()).expect("serialises");
                n.subtree = Some(if self.opts.dry_run {
                    self.packs.repo().keys.blob_id(&empty)
                } else {
                    self.packs.add("tree", &empty)?
                });
                tree.nodes.push(n);
            } else if ft.is_dir() {
                self.summary.dirs += 1;
                let old_tree = match old.and_then(|o| o.subtree.as_deref()) {
                    Some(id) => load_tree(self.packs.repo(), id).ok(),
                    None => None,
                };
                let mut n = node_of(name, &m, "dir");
                n.subtree = Some(self.dir(&path, old_tree.as_ref())?);
                tree.nodes.push(n);
            } else if ft.is_file() {
                let mut n = node_of(name, &m, "file");
                // Unchanged by metadata: reuse the content without reading the file.
                if let Some(o) = old.filter(|o| {
                    o.kind == "file"
                        && o.size == n.size
                        && o.mtime_ns == n.mtime_ns
                        && o.inode == n.inode
                        && o.content.iter().all(|c| self.packs.has(c))
                }) {
                    n.content = o.content.clone();
                    self.summary.files_unchanged += 1;
                } else {
                    if old.is_some() {
                        self.summary.files_changed += 1;
                    } else {
                        self.summary.files_new += 1;
                    }
                    n.content = self.file(&path)?;
                }
                self.opts.progress.set_message(format!(
                    "{} files, {} new or changed, {} added",
                    self.summary.files_new
                        + self.summary.files_changed
                        + self.summary.files_unchanged,
                    self.summary.files_new + self.summary.files_changed,
                    report::human(self.packs.added_bytes())
                ));
                tree.nodes.push(n);
            }
            // Sockets, fifos and devices are skipped.
        }
        let bytes = serde_json::to_vec(&tree).expect("serialises");
        if self.opts.dry_run {
            return Ok(self.packs.repo().keys.blob_id(&bytes));
        }
        self.packs.add("tree", &bytes)
    }

    fn file(&mut self, path: &Path) -> Result<Vec<String>, RepoError> {
        let f = fs::File::open(path)?;
        let mut ids = Vec::new();
        let (packs, summary, opts) = (&mut *self.packs, &mut self.summary, self.opts);
        self.chunker.chunks(f, |chunk: &[u8]| {
            summary.bytes_read += chunk.len() as u64;
            opts.progress.inc(chunk.len() as u64);
            ids.push(if opts.dry_run {
                packs.repo().keys.blob_id(chunk)
            } else {
                packs.add("data", chunk)?
            });
            Ok::<(), RepoError>(())
        })?;
        Ok(ids)
    }
}

/// Backs up `paths` (directories) into one snapshot; returns its id and summary.
pub fn backup(
    repo: &mut Repo,
    paths: &[PathBuf],
    opts: &BackupOptions,
) -> Result<(String, Snapshot), RepoError> {
    let start = Instant::now();
    let _lock = repo.lock()?;
    let abs: Vec<PathBuf> = paths
        .iter()
        .map(fs::canonicalize)
        .collect::<Result<_, _>>()?;
    let names: Vec<String> = abs.iter().map(|p| p.display().to_string()).collect();
    // The newest snapshot of the same paths is the parent: its trees tell what is unchanged.
    let parent = repo
        .snapshots()?
        .into_iter()
        .rev()
        .find(|(_, s)| s.paths == names);
    let parent_root = match &parent {
        Some((_, s)) => load_tree(repo, &s.tree).ok(),
        None => None,
    };
    let chunker = chunker::Chunker::new(
        repo.config.chunk_min,
        repo.config.chunk_avg,
        repo.config.chunk_max,
    );
    let mut packs = PackWriter::new(repo);
    let mut walker = Walker {
        packs: &mut packs,
        opts,
        summary: Summary::default(),
        dev: 0,
        chunker,
    };
    let mut root = Tree::default();
    for (i, p) in abs.iter().enumerate() {
        let m = fs::metadata(p)?;
        if !m.is_dir() {
            return Err(RepoError::Io(std::io::Error::other(format!(
                "{}: back up folders (files are backed up with their folder)",
                p.display()
            ))));
        }
        // Each path is a node of the root, named by its position and path.
        let old = parent_root
            .as_ref()
            .and_then(|t| t.nodes.get(i))
            .and_then(|n| n.subtree.as_deref())
            .and_then(|id| load_tree(walker.packs.repo(), id).ok());
        let mut n = node_of(names[i].clone(), &m, "dir");
        walker.dev = m.dev();
        n.subtree = Some(walker.dir(p, old.as_ref())?);
        root.nodes.push(n);
    }
    let bytes = serde_json::to_vec(&root).expect("serialises");
    let root_id = if opts.dry_run {
        walker.packs.repo().keys.blob_id(&bytes)
    } else {
        walker.packs.add("tree", &bytes)?
    };
    let mut summary = walker.summary;
    packs.flush()?;
    summary.bytes_added = packs.added_bytes();
    summary.blobs_added = packs.added_blobs;
    if !opts.dry_run {
        packs.finish()?;
    }
    summary.duration_ms = start.elapsed().as_millis() as u64;
    let snap = Snapshot {
        time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        host: repo::hostname(),
        paths: names,
        tags: opts.tags.clone(),
        tree: root_id,
        parent: parent.map(|(id, _)| id),
        summary,
    };
    let id = if opts.dry_run {
        "(dry run)".to_string()
    } else {
        repo.save_snapshot(&snap)?
    };
    Ok((id, snap))
}

/// The patterns of an exclude file: one per line; blank lines and `#` comments skipped.
pub fn read_exclude_file(path: &Path) -> anyhow::Result<Vec<String>> {
    let text = fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect())
}

/// Removes the snapshots `policy` does not keep (the caller holds the lock); returns the removed
/// ids and how many stay.
pub fn forget(
    repo: &Repo,
    policy: &retention::Policy,
    dry_run: bool,
) -> Result<(Vec<String>, usize), RepoError> {
    let snaps = repo.snapshots()?;
    let times: Vec<chrono::DateTime<chrono::Utc>> = snaps
        .iter()
        .map(|(id, s)| {
            chrono::DateTime::parse_from_rfc3339(&s.time)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|_| RepoError::Damaged(format!("snapshot {id}"), "bad time".into()))
        })
        .collect::<Result<_, _>>()?;
    let kept = retention::keep(&times, policy);
    let mut removed = Vec::new();
    for ((id, _), k) in snaps.iter().zip(&kept) {
        if !k {
            if !dry_run {
                repo.forget_snapshot(id)?;
            }
            removed.push(id.clone());
        }
    }
    Ok((removed, kept.iter().filter(|k| **k).count()))
}

/// Every entry of a snapshot as (path, node), depth first.
pub fn list(repo: &Repo, snap: &Snapshot) -> Result<Vec<(String, Node)>, RepoError> {
    fn walk(
        repo: &Repo,
        tree: &Tree,
        prefix: &str,
        out: &mut Vec<(String, Node)>,
    ) -> Result<(), RepoError> {
        for n in &tree.nodes {
            let path = if prefix.is_empty() {
                n.name.clone()
            } else {
                format!("{prefix}/{}", n.name)
            };
            out.push((path.clone(), n.clone()));
            if let Some(id) = &n.subtree {
                walk(repo, &load_tree(repo, id)?, &path, out)?;
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(repo, &load_tree(repo, &snap.tree)?, "", &mut out)?;
    Ok(out)
}

/// Restores a snapshot under `target` (each backed-up folder under its own path), checking
/// every blob it reads. Returns (files, bytes).
pub fn restore(repo: &Repo, snap: &Snapshot, target: &Path) -> Result<(u64, u64), RepoError> {
    restore_with(repo, snap, target, &[], &progress::Progress::hidden())
}

/// Whether `path` (as `ls` shows it) is restored under `includes` (nothing given: everything):
/// an include names the path itself, a folder above it, or a folder below it (which needs its
/// parents); `*` matches any run of characters.
pub fn included(includes: &[String], path: &str, is_dir: bool) -> bool {
    includes.is_empty()
        || includes.iter().any(|inc| {
            let inc = inc.trim_end_matches('/');
            wildcard(inc, path)
                || path
                    .strip_prefix(inc)
                    .is_some_and(|rest| rest.starts_with('/'))
                || (is_dir
                    && inc
                        .strip_prefix(path)
                        .is_some_and(|rest| rest.starts_with('/')))
                || (inc.contains('*') && {
                    // A pattern may match a folder above `path`.
                    let mut p = path;
                    let mut hit = false;
                    while let Some(i) = p.rfind('/') {
                        p = &p[..i];
                        if wildcard(inc, p) {
                            hit = true;
                            break;
                        }
                    }
                    hit
                })
        })
}

/// [`restore`] of the entries `includes` selects, reporting bytes written to `progress`.
/// Blobs are read, decrypted, decompressed and checked on worker threads (one per core, a
/// bounded window ahead of the writer); files are written in order.
pub fn restore_with(
    repo: &Repo,
    snap: &Snapshot,
    target: &Path,
    includes: &[String],
    progress: &progress::Progress,
) -> Result<(u64, u64), RepoError> {
    fs::create_dir_all(target)?;
    let mut dirs: Vec<(PathBuf, Node)> = Vec::new();
    let mut files: Vec<(PathBuf, Node)> = Vec::new();
    fn go(
        repo: &Repo,
        tree: &Tree,
        dir: &Path,
        prefix: &str,
        includes: &[String],
        dirs: &mut Vec<(PathBuf, Node)>,
        files: &mut Vec<(PathBuf, Node)>,
    ) -> Result<(), RepoError> {
        let mut names = std::collections::HashSet::new();
        for n in &tree.nodes {
            // One entry per name: a crafted tree with a symlink and a folder of one name would
            // otherwise write through the link.
            if !names.insert(n.name.as_str()) {
                return Err(RepoError::Damaged(
                    format!("entry {:?}", n.name),
                    "appears twice in one folder".into(),
                ));
            }
            let unsafe_name = Path::new(&n.name).components().any(|c| {
                matches!(
                    c,
                    std::path::Component::ParentDir | std::path::Component::CurDir
                )
            }) || (n.name.contains('/') && !n.name.starts_with('/'))
                || n.name.is_empty();
            if unsafe_name {
                return Err(RepoError::Damaged(
                    format!("entry {:?}", n.name),
                    "unsafe name".into(),
                ));
            }
            let shown = if prefix.is_empty() {
                n.name.clone()
            } else {
                format!("{prefix}/{}", n.name)
            };
            if !included(includes, &shown, n.kind == "dir") {
                continue;
            }
            let path = dir.join(n.name.trim_start_matches('/'));
            // Never through a link: a symlink planted in the target where the snapshot has
            // a folder or a file is replaced, not followed out of the target.
            if n.name.starts_with('/') {
                unlink_in_the_way(dir, &path)?;
            } else if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                fs::remove_file(&path)?;
            }
            match n.kind.as_str() {
                "dir" => {
                    fs::create_dir_all(&path)?;
                    if let Some(id) = &n.subtree {
                        let sub = load_tree(repo, id)?;
                        go(repo, &sub, &path, &shown, includes, dirs, files)?;
                    }
                    dirs.push((path, n.clone()));
                }
                "symlink" => {
                    let _ = fs::remove_file(&path);
                    symlink(n.target.as_deref().unwrap_or(""), &path)?;
                    set_owner(&path, n)?;
                }
                _ => files.push((path, n.clone())),
            }
        }
        Ok(())
    }
    let root = load_tree(repo, &snap.tree)?;
    go(repo, &root, target, "", includes, &mut dirs, &mut files)?;
    let blobs: Vec<&str> = files
        .iter()
        .flat_map(|(_, n)| n.content.iter().map(String::as_str))
        .collect();
    let mut bytes = 0;
    read_ahead(repo, &blobs, |next| {
        for (path, n) in &files {
            let mut f = fs::File::create(path)?;
            for _ in &n.content {
                let data = next()?;
                std::io::Write::write_all(&mut f, &data)?;
                bytes += data.len() as u64;
                progress.inc(data.len() as u64);
            }
            f.set_len(n.size)?;
            drop(f);
            set_owner(path, n)?;
            set_mtime(path, n.mtime_ns)?;
            fs::set_permissions(path, fs::Permissions::from_mode(n.mode))?;
        }
        Ok(())
    })?;
    // Folders last (children changed their mtimes), deepest first.
    for (path, n) in dirs.iter().rev() {
        set_owner(path, n)?;
        set_mtime(path, n.mtime_ns)?;
        fs::set_permissions(path, fs::Permissions::from_mode(n.mode))?;
    }
    Ok((files.len() as u64, bytes))
}

/// Replaces every symlink between `root` and `path` (inclusive) with nothing, so the folders
/// created next are real ones inside `root`. A top-level entry names a whole absolute path
/// (`/home/ada/docs`) below the target; an attacker who can write the target could have
/// planted `home` as a link to `/`.
fn unlink_in_the_way(root: &Path, path: &Path) -> Result<(), RepoError> {
    let Ok(rest) = path.strip_prefix(root) else {
        return Ok(());
    };
    let mut at = root.to_path_buf();
    for c in rest.components() {
        at.push(c);
        match fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => fs::remove_file(&at)?,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    Ok(())
}

/// Reads `blobs` on worker threads, at most a window ahead of `consume`, which takes them in
/// order by calling the function it is given.
fn read_ahead(
    repo: &Repo,
    blobs: &[&str],
    consume: impl FnOnce(&mut dyn FnMut() -> Result<Vec<u8>, RepoError>) -> Result<(), RepoError>,
) -> Result<(), RepoError> {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Condvar, Mutex, mpsc};
    const WINDOW: usize = 8;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
    let next = AtomicUsize::new(0);
    // How many blobs the consumer has taken (usize::MAX: it stopped).
    let taken = (Mutex::new(0usize), Condvar::new());
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel::<(usize, Result<Vec<u8>, RepoError>)>();
        for _ in 0..workers {
            let (tx, next, taken) = (tx.clone(), &next, &taken);
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= blobs.len() {
                        return;
                    }
                    {
                        let mut t = taken.0.lock().unwrap_or_else(|e| e.into_inner());
                        while *t != usize::MAX && i >= *t + WINDOW {
                            t = taken.1.wait(t).unwrap_or_else(|e| e.into_inner());
                        }
                        if *t == usize::MAX {
                            return;
                        }
                    }
                    if tx.send((i, repo.read_blob(blobs[i]))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let mut ready: HashMap<usize, Result<Vec<u8>, RepoError>> = HashMap::new();
        let mut want = 0usize;
        let mut next_blob = || -> Result<Vec<u8>, RepoError> {
            let got = loop {
                if let Some(r) = ready.remove(&want) {
                    break r;
                }
                match rx.recv() {
                    Ok((i, r)) => {
                        ready.insert(i, r);
                    }
                    Err(_) => {
                        return Err(RepoError::Io(std::io::Error::other(
                            "a restore worker stopped",
                        )));
                    }
                }
            };
            want += 1;
            let (lock, cv) = &taken;
            *lock.lock().unwrap_or_else(|e| e.into_inner()) = want;
            cv.notify_all();
            got
        };
        let result = consume(&mut next_blob);
        // Stop the workers (on an error they would wait for the consumer forever).
        *taken.0.lock().unwrap_or_else(|e| e.into_inner()) = usize::MAX;
        taken.1.notify_all();
        result
    })
}

/// Restores the owner (user and group ids) where the process may: as root. Anyone else gets
/// their own files, as with `cp` (the permission error is not a failure).
fn set_owner(path: &Path, n: &Node) -> std::io::Result<()> {
    match std::os::unix::fs::lchown(path, Some(n.uid), Some(n.gid)) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Ok(()),
        other => other,
    }
}

fn set_mtime(path: &Path, ns: i128) -> std::io::Result<()> {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(ns.max(0) as u64);
    fs::File::options()
        .write(false)
        .read(true)
        .open(path)
        .or_else(|_| fs::File::open(path))?
        .set_modified(t)
}

/// Reads a password from a file (first line), for `--password-file`.
pub fn read_password(path: &Path) -> std::io::Result<String> {
    let mut s = String::new();
    fs::File::open(path)?.read_to_string(&mut s)?;
    Ok(s.lines().next().unwrap_or("").to_string())
}

/// What `verify` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    pub snapshots: usize,
    pub trees: usize,
    pub blobs_referenced: usize,
    pub blobs_read: usize,
    pub problems: Vec<String>,
}

/// Checks that every snapshot's trees load and every blob they reference is indexed and in a
/// pack of the right size; with `read_data`, also reads, decrypts and hashes the data blobs
/// (`subset_percent` of them, chosen by id, when below 100). Each problem names the snapshots
/// and files it affects.
pub fn verify(repo: &Repo, read_data: bool, subset_percent: u8) -> Result<VerifyReport, RepoError> {
    verify_with(
        repo,
        read_data,
        subset_percent,
        &progress::Progress::hidden(),
    )
}

/// [`verify`], counting the blobs checked on `progress`; data is read on worker threads.
pub fn verify_with(
    repo: &Repo,
    read_data: bool,
    subset_percent: u8,
    progress: &progress::Progress,
) -> Result<VerifyReport, RepoError> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut report = VerifyReport::default();
    // blob id → places ("snapshot-prefix:path") that use it
    let mut users: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let snaps = repo.snapshots()?;
    report.snapshots = snaps.len();
    fn walk(
        repo: &Repo,
        tree_id: &str,
        prefix: &str,
        snap: &str,
        users: &mut BTreeMap<String, BTreeSet<String>>,
        report: &mut VerifyReport,
    ) {
        let tree = match load_tree(repo, tree_id) {
            Ok(t) => t,
            Err(e) => {
                report.problems.push(format!(
                    "snapshot {snap}: tree of {}: {e}",
                    if prefix.is_empty() { "/" } else { prefix }
                ));
                return;
            }
        };
        report.trees += 1;
        for n in &tree.nodes {
            let path = if prefix.is_empty() {
                n.name.clone()
            } else {
                format!("{prefix}/{}", n.name)
            };
            for c in &n.content {
                users
                    .entry(c.clone())
                    .or_default()
                    .insert(format!("{snap}:{path}"));
            }
            if let Some(sub) = &n.subtree {
                walk(repo, sub, &path, snap, users, report);
            }
        }
    }
    for (id, s) in &snaps {
        walk(repo, &s.tree, "", &id[..12], &mut users, &mut report);
    }
    report.blobs_referenced = users.len();
    progress.set_total(users.len() as u64);
    let place = |places: &BTreeSet<String>| {
        let list: Vec<&str> = places.iter().map(String::as_str).take(5).collect();
        let more = places.len().saturating_sub(5);
        format!(
            "{}{}",
            list.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        )
    };
    let sizes: std::collections::HashMap<String, u64> = repo::data_files(&*repo.store)?
        .into_iter()
        .map(|f| (f.name, f.len))
        .collect();
    let mut to_read: Vec<&str> = Vec::new();
    for (blob, places) in &users {
        let Some(loc) = repo.index.get(blob) else {
            progress.inc(1);
            report.problems.push(format!(
                "blob {} is missing from the index; affects {}",
                &blob[..16],
                place(places)
            ));
            continue;
        };
        let size = sizes.get(&loc.pack).copied().unwrap_or(0);
        if size < loc.offset + loc.length {
            progress.inc(1);
            report.problems.push(format!(
                "pack {} is missing or truncated (blob {}); affects {}",
                &loc.pack[..16],
                &blob[..16],
                place(places)
            ));
            continue;
        }
        let chosen = subset_percent >= 100
            || u8::from_str_radix(&blob[..2], 16).unwrap_or(0) as u32 * 100
                < subset_percent as u32 * 256;
        if read_data && chosen {
            to_read.push(blob);
        } else {
            progress.inc(1);
        }
    }
    read_ahead(repo, &to_read, |next| {
        for blob in &to_read {
            report.blobs_read += 1;
            if let Err(e) = next() {
                report
                    .problems
                    .push(format!("{e}; affects {}", place(&users[*blob])));
            }
            progress.inc(1);
        }
        Ok(())
    })?;
    Ok(report)
}

/// Differences between two snapshots: (`+` added, `-` removed, `M` content changed,
/// `U` metadata only), by path.
pub fn diff(repo: &Repo, a: &Snapshot, b: &Snapshot) -> Result<Vec<(char, String)>, RepoError> {
    use std::collections::BTreeMap;
    let index = |s: &Snapshot| -> Result<BTreeMap<String, Node>, RepoError> {
        Ok(list(repo, s)?.into_iter().collect())
    };
    let (left, right) = (index(a)?, index(b)?);
    let mut out = Vec::new();
    for (path, n) in &left {
        match right.get(path) {
            None => out.push(('-', path.clone())),
            Some(m) if n.kind != m.kind || n.content != m.content || n.target != m.target => {
                out.push(('M', path.clone()))
            }
            Some(m)
                if n.kind != "dir"
                    && (n.mode != m.mode
                        || n.mtime_ns != m.mtime_ns
                        || n.uid != m.uid
                        || n.gid != m.gid) =>
            {
                out.push(('U', path.clone()))
            }
            _ => {}
        }
    }
    for path in right.keys() {
        if !left.contains_key(path) {
            out.push(('+', path.clone()));
        }
    }
    out.sort_by(|x, y| x.1.cmp(&y.1));
    Ok(out)
}
