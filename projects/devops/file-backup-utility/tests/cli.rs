//! `file-backup` as a process: init, backup (dedup, skip unchanged), snapshots, ls, restore
//! (byte for byte and metadata), wrong password, no plaintext in the repository, a flipped
//! byte found on restore, the lock.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::Path;
use std::process::{Command, Output};

const PASS: &str = "correct horse battery staple";

fn fb(repo: &Path, pass: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_file-backup"))
        .arg("--repo")
        .arg(repo)
        .args(args)
        .env("FILE_BACKUP_PASSWORD", pass)
        .output()
        .unwrap()
}

fn ok(repo: &Path, args: &[&str]) -> String {
    let out = fb(repo, PASS, args);
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {text}");
    text
}

/// A source tree with odd names, empty and large files, duplicates, symlinks, permissions.
fn source(dir: &Path) {
    fs::create_dir_all(dir.join("nested/deeper")).unwrap();
    fs::write(dir.join("plain.txt"), "PLAINTEXT-MARKER hello\n").unwrap();
    fs::write(dir.join("empty"), "").unwrap();
    fs::write(dir.join("with space & ünïcödé"), "odd name").unwrap();
    fs::write(dir.join("-leading-dash"), "dash").unwrap();
    let big: Vec<u8> = (0..6_000_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    fs::write(dir.join("nested/big.bin"), &big).unwrap();
    fs::write(dir.join("nested/deeper/big-copy.bin"), &big).unwrap();
    let sparse = fs::File::create(dir.join("sparse.img")).unwrap();
    sparse.set_len(20_000_000).unwrap();
    symlink("plain.txt", dir.join("link-to-plain")).unwrap();
    symlink("/nowhere/at/all", dir.join("dangling")).unwrap();
    fs::set_permissions(dir.join("plain.txt"), fs::Permissions::from_mode(0o640)).unwrap();
    fs::set_permissions(dir.join("nested/deeper"), fs::Permissions::from_mode(0o750)).unwrap();
}

fn same_tree(a: &Path, b: &Path) {
    let mut names: Vec<_> = fs::read_dir(a)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    let mut other: Vec<_> = fs::read_dir(b)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    other.sort();
    assert_eq!(names, other, "{} vs {}", a.display(), b.display());
    for n in names {
        let (pa, pb) = (a.join(&n), b.join(&n));
        let (ma, mb) = (
            fs::symlink_metadata(&pa).unwrap(),
            fs::symlink_metadata(&pb).unwrap(),
        );
        assert_eq!(
            ma.file_type().is_symlink(),
            mb.file_type().is_symlink(),
            "{}",
            pa.display()
        );
        if ma.file_type().is_symlink() {
            assert_eq!(fs::read_link(&pa).unwrap(), fs::read_link(&pb).unwrap());
            continue;
        }
        assert_eq!(
            ma.mode() & 0o7777,
            mb.mode() & 0o7777,
            "mode of {}",
            pa.display()
        );
        assert_eq!(ma.mtime(), mb.mtime(), "mtime of {}", pa.display());
        if ma.is_dir() {
            same_tree(&pa, &pb);
        } else {
            assert!(
                fs::read(&pa).unwrap() == fs::read(&pb).unwrap(),
                "content of {}",
                pa.display()
            );
        }
    }
}

#[test]
fn backups_deduplicate_skip_unchanged_and_restore_exactly() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    let repo = work.path().join("repo");
    source(&src);
    ok(&repo, &["init"]);
    let out = fb(&repo, PASS, &["init"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds a repository"));

    let first: serde_json::Value = serde_json::from_str(&ok(
        &repo,
        &["backup", src.to_str().unwrap(), "--json", "--tag", "t1"],
    ))
    .unwrap();
    let s = &first["snapshot"]["summary"];
    assert_eq!(s["files_new"], 7, "{s}");
    // The duplicated 6 MB file is stored once, compressed: far less than the bytes read.
    let read = s["bytes_read"].as_u64().unwrap();
    let added = s["bytes_added"].as_u64().unwrap();
    assert!(read >= 32_000_000, "{s}");
    assert!(added < 7_000_000, "dedup and compression: {s}");

    // Nothing changed: nothing read, nothing stored.
    let second: serde_json::Value =
        serde_json::from_str(&ok(&repo, &["backup", src.to_str().unwrap(), "--json"])).unwrap();
    let s = &second["snapshot"]["summary"];
    assert_eq!(
        (
            s["files_unchanged"].as_u64(),
            s["bytes_read"].as_u64(),
            s["blobs_added"].as_u64()
        ),
        (Some(7), Some(0), Some(0)),
        "{s}"
    );
    assert_eq!(second["snapshot"]["parent"], first["id"]);

    // One file changed.
    fs::write(src.join("with space & ünïcödé"), "odd name, changed").unwrap();
    let third: serde_json::Value =
        serde_json::from_str(&ok(&repo, &["backup", src.to_str().unwrap(), "--json"])).unwrap();
    assert_eq!(third["snapshot"]["summary"]["files_changed"], 1);

    let snaps: serde_json::Value =
        serde_json::from_str(&ok(&repo, &["snapshots", "--json"])).unwrap();
    assert_eq!(snaps.as_array().unwrap().len(), 3);
    assert_eq!(snaps[0]["snapshot"]["tags"], serde_json::json!(["t1"]));
    let ls = ok(&repo, &["ls", "latest"]);
    assert!(
        ls.contains("nested/deeper/big-copy.bin") && ls.contains("symlink"),
        "{ls}"
    );

    // Restore equals the source, byte for byte and in metadata.
    let target = work.path().join("restored");
    let out = ok(
        &repo,
        &["restore", "latest", "--target", target.to_str().unwrap()],
    );
    assert!(out.contains("every blob verified"), "{out}");
    let restored = target.join(src.canonicalize().unwrap().strip_prefix("/").unwrap());
    same_tree(&src, &restored);

    // The repository holds no plaintext data or names.
    let mut stack = vec![repo.clone()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = fs::read(&p).unwrap();
                let text = String::from_utf8_lossy(&bytes);
                assert!(
                    !text.contains("PLAINTEXT-MARKER")
                        && !text.contains("big-copy")
                        && !text.contains("ünïcödé"),
                    "{}",
                    p.display()
                );
            }
        }
    }

    // A wrong password is one clear error.
    let out = fb(&repo, "wrong", &["snapshots"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong password"));

    // diff between the first and the last snapshot: one file's content changed.
    let first_id = first["id"].as_str().unwrap();
    let out = ok(&repo, &["diff", &first_id[..12], "latest"]);
    assert!(
        out.contains("M ") && out.contains("with space & ünïcödé") && out.contains("1 change(s)"),
        "{out}"
    );

    // forget: a policy is required; keep-last 2 removes the oldest of three.
    let out = fb(&repo, PASS, &["forget"]);
    assert_eq!(out.status.code(), Some(2));
    let out = ok(&repo, &["forget", "--keep-last", "2", "--dry-run"]);
    assert!(
        out.contains("would remove") && out.contains("2 kept"),
        "{out}"
    );
    assert_eq!(fs::read_dir(repo.join("snapshots")).unwrap().count(), 3);
    ok(&repo, &["forget", "--keep-last", "2"]);
    assert_eq!(fs::read_dir(repo.join("snapshots")).unwrap().count(), 2);
    ok(&repo, &["forget", "--keep-last", "3"]); // nothing to do
    assert_eq!(fs::read_dir(repo.join("snapshots")).unwrap().count(), 2);

    // verify: structure, then every byte of data.
    let out = ok(&repo, &["verify", "--read-data"]);
    assert!(
        out.contains("2 snapshot(s)") && out.contains("0 problem(s)"),
        "{out}"
    );

    // A flipped byte in a pack is found when reading it back.
    let mut packs = Vec::new();
    for d in fs::read_dir(repo.join("data")).unwrap() {
        for f in fs::read_dir(d.unwrap().path()).unwrap() {
            packs.push(f.unwrap().path());
        }
    }
    packs.sort_by_key(|p| fs::metadata(p).unwrap().len());
    let biggest = packs.last().unwrap();
    let mut bytes = fs::read(biggest).unwrap();
    // In the middle of the largest pack: inside a data chunk of the big files.
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    fs::write(biggest, bytes).unwrap();
    let out = fb(
        &repo,
        PASS,
        &[
            "restore",
            "latest",
            "--target",
            work.path().join("again").to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is damaged") && err.contains("authentication failed"),
        "{err}"
    );
}

#[test]
fn a_live_lock_refuses_a_second_writer() {
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    fs::create_dir_all(work.path().join("src")).unwrap();
    ok(&repo, &["init"]);
    // A lock held by a running process (pid 1 always exists).
    fs::write(
        repo.join("locks/other"),
        r#"{"host":"elsewhere","pid":1,"time":"2026-11-27T00:00:00Z"}"#,
    )
    .unwrap();
    let out = fb(
        &repo,
        PASS,
        &["backup", work.path().join("src").to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("locked by elsewhere (pid 1)"));
    // A lock of a dead process of this host is stale and removed (another host's lock holds:
    // see the S3 test).
    let host = fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    fs::write(
        repo.join("locks/other"),
        format!(r#"{{"host":"{host}","pid":4000000,"time":"2026-11-27T00:00:00Z"}}"#),
    )
    .unwrap();
    ok(
        &repo,
        &["backup", work.path().join("src").to_str().unwrap()],
    );
    assert_eq!(fs::read_dir(repo.join("locks")).unwrap().count(), 0);
}

/// Restores `repo`'s latest snapshot under `target` and checks it equals `src`.
fn restores_to(repo: &Path, src: &Path, target: &Path) {
    restores_to_with(repo, PASS, src, target)
}

/// [`restores_to`] with another password.
fn restores_to_with(repo: &Path, pass: &str, src: &Path, target: &Path) {
    let out = fb(
        repo,
        pass,
        &["restore", "latest", "--target", target.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    same_tree(
        src,
        &target.join(src.canonicalize().unwrap().strip_prefix("/").unwrap()),
    );
}

/// Writes `n` files of pseudo-random (incompressible) bytes, 40 KB each, named `<prefix><i>`.
fn random_files(dir: &Path, prefix: &str, n: u32) {
    fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        let mut x: u64 = prefix.bytes().fold(u64::from(i) + 1, |a, b| {
            a.wrapping_mul(1_000_003) ^ u64::from(b)
        }) | 1;
        let bytes: Vec<u8> = (0..40_000)
            .map(|_| {
                // xorshift64: incompressible, different per file
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        fs::write(dir.join(format!("{prefix}{i}")), bytes).unwrap();
    }
}

fn data_bytes(repo: &Path) -> u64 {
    let mut total = 0;
    for d in fs::read_dir(repo.join("data")).unwrap() {
        for f in fs::read_dir(d.unwrap().path()).unwrap() {
            total += f.unwrap().metadata().unwrap().len();
        }
    }
    total
}

fn json(text: &str) -> serde_json::Value {
    let line = text.lines().find(|l| l.starts_with('{')).unwrap_or(text);
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Two snapshots sharing one pack: the first has `old*` and `keep*`, the second `keep*` and
/// `new*`; the first is forgotten (without prune).
fn two_snapshots_one_forgotten(work: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let src = work.join("src");
    let repo = work.join("repo");
    random_files(&src, "old", 20);
    random_files(&src, "keep", 20);
    ok(&repo, &["init"]);
    ok(&repo, &["backup", src.to_str().unwrap()]);
    for i in 0..20 {
        fs::remove_file(src.join(format!("old{i}"))).unwrap();
    }
    random_files(&src, "new", 20);
    ok(&repo, &["backup", src.to_str().unwrap()]);
    ok(&repo, &["forget", "--keep-last", "1"]);
    (src, repo)
}

#[test]
fn prune_removes_what_no_snapshot_uses_and_the_rest_restores() {
    let work = tempfile::tempdir().unwrap();
    let (src, repo) = two_snapshots_one_forgotten(work.path());
    let before = data_bytes(&repo);
    let dry = json(&ok(&repo, &["prune", "--dry-run", "--json"]));
    // 20 files' data, and the trees that listed them.
    let unused = dry["blobs_unused"].as_u64().unwrap();
    assert!((20..30).contains(&unused), "{dry}");
    assert_eq!(data_bytes(&repo), before, "a dry run removes nothing");
    let report = json(&ok(&repo, &["prune", "--json"]));
    assert_eq!(report["blobs_unused"], unused, "{report}");
    assert_eq!(
        report["packs_repacked"], 1,
        "both snapshots shared one pack: {report}"
    );
    let after = data_bytes(&repo);
    assert!(
        after + 700_000 < before,
        "20 files of 40 KB freed: {before} -> {after}"
    );
    assert_eq!(
        report["bytes_freed"].as_u64().unwrap(),
        before - after,
        "{report}"
    );
    // Nothing left to do; the data is whole; the snapshot restores exactly.
    let again = json(&ok(&repo, &["prune", "--json"]));
    assert_eq!(
        (
            again["blobs_unused"].as_u64(),
            again["packs_repacked"].as_u64()
        ),
        (Some(0), Some(0)),
        "{again}"
    );
    ok(&repo, &["verify", "--read-data"]);
    restores_to(&repo, &src, &work.path().join("restore"));

    // forget --prune in one go.
    random_files(&src, "newer", 5);
    ok(&repo, &["backup", src.to_str().unwrap()]);
    let both = json(&ok(
        &repo,
        &["forget", "--keep-last", "1", "--prune", "--json"],
    ));
    assert_eq!(both["removed"].as_array().unwrap().len(), 1, "{both}");
    assert!(both["prune"]["blobs_used"].as_u64().unwrap() > 0, "{both}");
    ok(&repo, &["verify", "--read-data"]);
}

/// Runs `file-backup ARGS` until it stops at the pause point `point`, then kills it with
/// SIGKILL.
fn kill_9_at(repo: &Path, args: &[&str], point: &str) {
    use std::io::BufRead as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_file-backup"))
        .arg("--repo")
        .arg(repo)
        .args(args)
        .env("FILE_BACKUP_PASSWORD", PASS)
        .env("FILE_BACKUP_PAUSE_AT", point)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = Vec::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        let paused = line == format!("paused at {point}");
        seen.push(line);
        if paused {
            break;
        }
    }
    assert!(
        seen.last().is_some_and(|l| l.starts_with("paused at")),
        "{args:?} never reached {point}: {seen:?}"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

/// `kill -9` while a backup or a prune writes: `verify --read-data` passes, the next run
/// completes, and the snapshot restores exactly.
#[test]
fn kill_9_during_backup_or_prune_leaves_a_sound_repository() {
    for (cmd, point) in [
        ("backup", "pack-written"),
        ("prune", "pack-written"),
        ("prune", "prune-indexed"),
        ("prune", "prune-deleting"),
    ] {
        let work = tempfile::tempdir().unwrap();
        let (src, repo) = two_snapshots_one_forgotten(work.path());
        if cmd == "backup" {
            random_files(&src, "more", 10);
        }
        let args: Vec<&str> = match cmd {
            "backup" => vec!["backup", src.to_str().unwrap()],
            _ => vec!["prune"],
        };
        kill_9_at(&repo, &args, point);
        // verify exits 1 on any problem.
        ok(&repo, &["verify", "--read-data"]);
        ok(&repo, &args);
        if cmd == "prune" {
            let again = json(&ok(&repo, &["prune", "--json"]));
            assert_eq!(again["blobs_unused"], 0, "{cmd} at {point}: {again}");
            assert_eq!(again["packs_unknown"], 0, "{cmd} at {point}: {again}");
        }
        ok(&repo, &["verify", "--read-data"]);
        restores_to(&repo, &src, &work.path().join("restore"));
    }
}

#[test]
fn copy_keeps_a_replica_that_the_same_password_opens() {
    let work = tempfile::tempdir().unwrap();
    let (src, repo) = two_snapshots_one_forgotten(work.path());
    let replica = work.path().join("offsite/replica");
    let to = replica.to_str().unwrap();
    let first = json(&ok(&repo, &["copy", "--to", to, "--json"]));
    assert_eq!(first["created"], true, "{first}");
    assert_eq!(first["snapshots_copied"], 1, "{first}");
    let snapshots = |r: &Path| json(&ok(r, &["snapshots", "--json"]).replace('\n', ""));
    assert_eq!(snapshots(&replica), snapshots(&repo));
    ok(&replica, &["verify", "--read-data"]);
    let restore = |r: &Path, name: &str| restores_to(r, &src, &work.path().join(name));
    restore(&replica, "r1");
    // Up to date: nothing to copy.
    let again = json(&ok(&repo, &["copy", "--to", to, "--json"]));
    assert_eq!(
        (
            again["packs_copied"].as_u64(),
            again["bytes_copied"].as_u64()
        ),
        (Some(0), Some(0)),
        "{again}"
    );
    // The source prunes and backs up again: the replica follows, old packs and index go.
    ok(&repo, &["prune"]);
    random_files(&src, "later", 5);
    ok(&repo, &["backup", src.to_str().unwrap()]);
    let follow = json(&ok(&repo, &["copy", "--to", to, "--json"]));
    assert_eq!(follow["snapshots_copied"], 1, "{follow}");
    assert!(follow["packs_removed"].as_u64().unwrap() >= 1, "{follow}");
    assert!(follow["indexes_removed"].as_u64().unwrap() >= 1, "{follow}");
    ok(&replica, &["verify", "--read-data"]);
    restore(&replica, "r2");
    // --no-delete keeps what the source forgot.
    ok(&repo, &["forget", "--keep-last", "1"]);
    ok(&repo, &["copy", "--to", to, "--no-delete"]);
    assert_eq!(snapshots(&replica).as_array().unwrap().len(), 2);
    assert_eq!(snapshots(&repo).as_array().unwrap().len(), 1);
    // kill -9 after the packs are copied: the replica is sound, the next copy completes it.
    random_files(&src, "last", 5);
    ok(&repo, &["backup", src.to_str().unwrap()]);
    kill_9_at(&repo, &["copy", "--to", to], "copy-packed");
    ok(&replica, &["verify", "--read-data"]);
    ok(&repo, &["copy", "--to", to]);
    assert_eq!(snapshots(&replica), snapshots(&repo));
    restore(&replica, "r3");
    // Another repository, a non-empty folder and the repository itself are refused.
    let other = work.path().join("other");
    ok(&other, &["init"]);
    for (target, says) in [
        (other.as_path(), "holds another repository"),
        (src.as_path(), "is neither empty nor a replica"),
        (repo.as_path(), "is the repository itself"),
    ] {
        let out = fb(&repo, PASS, &["copy", "--to", target.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{err}");
    }
}

#[test]
fn report_summarises_the_runs_and_a_backup_pushes_its_metrics() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    let repo = work.path().join("repo");
    random_files(&src, "f", 3);
    ok(&repo, &["init"]);
    let gateway = testkit::HttpCapture::start();
    let backup = |gateway: &str, tag: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_file-backup"))
            .arg("--repo")
            .arg(&repo)
            .args(["backup", src.to_str().unwrap(), "--tag", tag])
            .env("FILE_BACKUP_PASSWORD", PASS)
            .env("PUSHGATEWAY_URL", gateway)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    backup(&gateway.url, "<b>nightly</b>");
    let push = gateway.expect_one();
    assert_eq!(push.method, "PUT");
    assert!(
        push.path.starts_with("/metrics/job/file-backup/instance/"),
        "{}",
        push.path
    );
    let body = push.text();
    for want in [
        "backup_files_total{state=\"new\"} 3\n",
        "backup_files_total{state=\"unchanged\"} 0\n",
        "backup_bytes_total{kind=\"read\"} 120000\n",
        "backup_duration_seconds ",
        "backup_last_success_timestamp ",
    ] {
        assert!(body.contains(want), "{want} in {body}");
    }
    // A gateway that is down is a warning; the backup stands.
    let err = backup("http://127.0.0.1:9", "again");
    assert!(err.contains("warning: pushing metrics"), "{err}");

    let md = ok(&repo, &["report"]);
    assert!(md.contains("2 snapshot(s)"), "{md}");
    assert!(md.contains("| time | snapshot | paths |"), "{md}");
    assert_eq!(md.matches("\n| 20").count(), 2, "two runs: {md}");
    let j = json(&ok(&repo, &["report", "--format", "json", "--last", "1"]).replace('\n', ""));
    let runs = j["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{j}");
    assert_eq!(runs[0]["tags"][0], "again", "newest first: {j}");
    assert_eq!(runs[0]["summary"]["files_unchanged"], 3, "{j}");
    assert_eq!(j["repository"]["snapshots"], 2, "{j}");
    let html = ok(&repo, &["report", "--format", "html"]);
    assert!(html.starts_with("<!doctype html>"), "{html}");
    assert!(
        html.contains("&lt;b&gt;nightly&lt;/b&gt;") && !html.contains("<b>"),
        "{html}"
    );
}

#[test]
fn jobs_from_a_config_file_back_up_keep_and_replicate() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    random_files(&w.join("data/a"), "a", 3);
    random_files(&w.join("data/b"), "b", 2);
    fs::write(w.join("data/a/skip.tmp"), "scratch").unwrap();
    fs::write(w.join("password"), format!("{PASS}\n")).unwrap();
    ok(&w.join("repo-a"), &["init"]);
    ok(&w.join("repo-b"), &["init"]);
    let config = w.join("backup.yaml");
    fs::write(
        &config,
        "jobs:\n  alpha:\n    sources: [data/a]\n    exclude: [\"*.tmp\"]\n    repository: repo-a\n    \
         password_file: password\n    copies: [offsite/a]\n    retention: {keep_last: 1}\n    \
         prune: true\n    schedule: \"*-*-* 02:30:00\"\n  beta:\n    sources: [data/b]\n    \
         repository: repo-b\n    tags: [nightly]\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        // beta has no password_file: it takes FILE_BACKUP_PASSWORD.
        let out = fb(
            &w.join("unused"),
            PASS,
            &[&["run", "--config", config.to_str().unwrap()], args].concat(),
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code(), text)
    };
    let (code, text) = run(&["--json"]);
    assert_eq!(code, Some(0), "{text}");
    let results: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), 2, "{text}");
    assert_eq!(results[0]["job"], "alpha");
    assert_eq!(
        results[0]["summary"]["summary"]["files_new"], 3,
        "*.tmp excluded: {text}"
    );
    assert_eq!(results[1]["summary"]["tags"][0], "nightly", "{text}");
    // A second run of alpha: retention keeps one snapshot, the replica follows.
    random_files(&w.join("data/a"), "later", 1);
    let (code, text) = run(&["--job", "alpha"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("job alpha: snapshot") && text.contains("1 forgotten"),
        "{text}"
    );
    assert!(!text.contains("job beta"), "{text}");
    for repo in [w.join("repo-a"), w.join("offsite/a")] {
        let snaps = json(&ok(&repo, &["snapshots", "--json"]).replace('\n', ""));
        assert_eq!(snaps.as_array().unwrap().len(), 1, "{}", repo.display());
        ok(&repo, &["verify", "--read-data"]);
    }
    // Clear errors: an unknown job, an unknown key (named with its place), a bad job name.
    let (code, text) = run(&["--job", "gamma"]);
    assert_eq!(code, Some(2), "a usage error");
    assert!(
        text.contains("no job `gamma`") && text.contains("(jobs: alpha, beta)"),
        "{text}"
    );
    let bad = w.join("bad.yaml");
    fs::write(
        &bad,
        "jobs:\n  alpha:\n    sources: [x]\n    repository: r\n    retain: 3\n",
    )
    .unwrap();
    let out = fb(w, PASS, &["run", "--config", bad.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bad.yaml") && err.contains("unknown field `retain`") && err.contains("line"),
        "{err}"
    );
    fs::write(
        &bad,
        "jobs:\n  Big Job:\n    sources: [x]\n    repository: r\n",
    )
    .unwrap();
    let out = fb(w, PASS, &["run", "--config", bad.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("a job name is lower-case"));
    // A job that fails (its repository is gone) fails the run (exit 1) after the others ran.
    fs::remove_dir_all(w.join("repo-b")).unwrap();
    let (code, text) = run(&[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("job alpha: snapshot") && text.contains("job beta failed"),
        "{text}"
    );

    // Timers for the service template; systemd itself checks the units.
    let units = w.join("units");
    ok(
        w,
        &[
            "units",
            "--config",
            config.to_str().unwrap(),
            "--out",
            units.to_str().unwrap(),
        ],
    );
    let alpha = fs::read_to_string(units.join("file-backup@alpha.timer")).unwrap();
    assert!(alpha.contains("OnCalendar=*-*-* 02:30:00"), "{alpha}");
    let beta = fs::read_to_string(units.join("file-backup@beta.timer")).unwrap();
    assert!(beta.contains("OnCalendar=daily"), "{beta}");
    let template = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/ops/systemd/file-backup@.service"
    ))
    .unwrap()
    .replace(
        "/usr/local/bin/file-backup",
        env!("CARGO_BIN_EXE_file-backup"),
    );
    for job in ["alpha", "beta"] {
        fs::write(units.join(format!("file-backup@{job}.service")), &template).unwrap();
    }
    let verify = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(units.join("file-backup@alpha.timer"))
        .arg(units.join("file-backup@alpha.service"))
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/ops/systemd/file-backup@.timer"
        ))
        .output()
        .expect("systemd-analyze");
    let said = String::from_utf8_lossy(&verify.stderr);
    assert!(verify.status.success() && said.trim().is_empty(), "{said}");
}

#[test]
fn age_recipients_and_second_passwords_open_the_repository() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let src = w.join("src");
    random_files(&src, "f", 2);
    let identity = |name: &str| {
        let id = age::x25519::Identity::generate();
        use age::secrecy::ExposeSecret as _;
        let path = w.join(name);
        fs::write(
            &path,
            format!(
                "# created by the test\n{}\n",
                id.to_string().expose_secret()
            ),
        )
        .unwrap();
        (path, id.to_public().to_string())
    };
    let (server_id, server_recipient) = identity("server.key");
    let (laptop_id, laptop_recipient) = identity("laptop.key");
    let with_identity = |repo: &Path, id: &Path, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_file-backup"))
            .arg("--repo")
            .arg(repo)
            .arg("--identity-file")
            .arg(id)
            .args(args)
            .env_remove("FILE_BACKUP_PASSWORD")
            .output()
            .unwrap()
    };
    // A repository with a password and an age recipient: both open it.
    let repo = w.join("repo");
    ok(&repo, &["init", "--recipient", &server_recipient]);
    let out = with_identity(&repo, &server_id, &["backup", src.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    ok(&repo, &["verify", "--read-data"]);
    // An identity without a key is one clear error (exit 1).
    let out = with_identity(&repo, &laptop_id, &["snapshots"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no key of this repository opens with the given age identity"),
        "{out:?}"
    );
    // key add / list / remove.
    ok(&repo, &["key", "add", "--recipient", &laptop_recipient]);
    fs::write(w.join("second"), "another long passphrase\n").unwrap();
    ok(
        &repo,
        &[
            "key",
            "add",
            "--new-password-file",
            w.join("second").to_str().unwrap(),
        ],
    );
    let keys = json(&ok(&repo, &["key", "list", "--json"]).replace('\n', ""));
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 4, "{keys:?}");
    assert_eq!(keys.iter().filter(|k| k["kind"] == "age").count(), 2);
    assert!(
        with_identity(&repo, &laptop_id, &["snapshots"])
            .status
            .success()
    );
    assert!(
        fb(&repo, "another long passphrase", &["snapshots"])
            .status
            .success()
    );
    let laptop_key = keys
        .iter()
        .find(|k| k["recipient"] == laptop_recipient.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok(&repo, &["key", "remove", &laptop_key[..12]]);
    assert_eq!(
        with_identity(&repo, &laptop_id, &["snapshots"])
            .status
            .code(),
        Some(1)
    );
    // Bad input: not a recipient; an identity file without identities.
    let out = fb(&repo, PASS, &["key", "add", "--recipient", "age1nonsense"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not an age recipient"));
    fs::write(w.join("empty.key"), "# nothing\n").unwrap();
    let out = with_identity(&repo, &w.join("empty.key"), &["snapshots"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no age identity"),
        "{out:?}"
    );
    // A repository with a recipient only (no password), and its last key cannot go.
    let only = w.join("only-age");
    let out = with_identity(
        &only,
        &server_id,
        &["init", "--recipient", &server_recipient],
    );
    assert!(out.status.success(), "{out:?}");
    let keys = with_identity(&only, &server_id, &["key", "list", "--json"]);
    let keys = json(&String::from_utf8_lossy(&keys.stdout).replace('\n', ""));
    let id = keys[0]["id"].as_str().unwrap().to_string();
    let out = with_identity(&only, &server_id, &["key", "remove", &id]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("last key"),
        "{out:?}"
    );
    // The key files hold no plaintext master key: the repository's own no-plaintext check
    // covers data; here the identity's secret never lands in the repository.
    for e in fs::read_dir(repo.join("keys")).unwrap() {
        let text = fs::read_to_string(e.unwrap().path()).unwrap();
        assert!(!text.contains("AGE-SECRET-KEY"), "{text}");
    }
}

/// Unmounts a test mount, also when the test fails.
struct Unmount(std::path::PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Whether the privileged parts (chown, mount) must run: `.ci/run` sets
/// `PORTFOLIO_PRIVILEGED_TESTS=require`, so CI fails instead of skipping them.
fn privileged_required() -> bool {
    std::env::var("PORTFOLIO_PRIVILEGED_TESTS").is_ok_and(|v| v == "require")
}

/// As root (as in CI here): owners come back, and `--one-file-system` keeps a tmpfs mounted
/// inside the source out (its mount point stays, empty). Another user gets their own files.
#[test]
fn owners_come_back_and_one_file_system_stays_on_its_file_system() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    let repo = work.path().join("repo");
    random_files(&src, "f", 1);
    let owned = src.join("owned.txt");
    fs::write(&owned, "someone else's").unwrap();
    let is_root = std::os::unix::fs::chown(&owned, Some(1234), Some(5678)).is_ok();
    if is_root {
        std::os::unix::fs::lchown(src.join("f0"), Some(42), Some(43)).unwrap();
    }
    let mnt = src.join("mnt");
    fs::create_dir(&mnt).unwrap();
    let mounted = is_root
        && Command::new("mount")
            .args(["-t", "tmpfs", "none"])
            .arg(&mnt)
            .status()
            .unwrap()
            .success();
    let _unmount = mounted.then(|| Unmount(mnt.clone()));
    if !mounted {
        assert!(
            !privileged_required(),
            "PORTFOLIO_PRIVILEGED_TESTS=require, but {}: owners and --one-file-system cannot be tested",
            if is_root {
                "mounting a tmpfs failed"
            } else {
                "this is not root"
            }
        );
        eprintln!(
            "SKIPPED: {} — owners{} are not exercised (CI requires them: PORTFOLIO_PRIVILEGED_TESTS=require)",
            if is_root {
                "mounting a tmpfs failed"
            } else {
                "not root"
            },
            if is_root { "" } else { " and mounts" }
        );
    }
    if mounted {
        fs::write(mnt.join("inside.txt"), "on another file system").unwrap();
    }
    ok(&repo, &["init"]);
    ok(
        &repo,
        &["backup", "--one-file-system", src.to_str().unwrap()],
    );
    let target = work.path().join("restore");
    ok(
        &repo,
        &["restore", "latest", "--target", target.to_str().unwrap()],
    );
    let back = target.join(src.canonicalize().unwrap().strip_prefix("/").unwrap());
    if is_root {
        let m = fs::metadata(back.join("owned.txt")).unwrap();
        assert_eq!((m.uid(), m.gid()), (1234, 5678));
        let m = fs::metadata(back.join("f0")).unwrap();
        assert_eq!((m.uid(), m.gid()), (42, 43));
    }
    if mounted {
        assert!(back.join("mnt").is_dir(), "the mount point stays");
        assert_eq!(fs::read_dir(back.join("mnt")).unwrap().count(), 0);
        // Without the flag the mounted file system is backed up too.
        ok(&repo, &["backup", src.to_str().unwrap()]);
        let listing = ok(&repo, &["ls", "latest"]);
        assert!(listing.contains("mnt/inside.txt"), "{listing}");
    }
}

/// Progress is drawn on a terminal (here a pseudo-terminal from util-linux `script`) and never
/// into a pipe.
#[test]
fn progress_shows_on_a_terminal_only() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    let repo = work.path().join("repo");
    random_files(&src, "f", 300); // 12 MB: long enough for a few frames
    ok(&repo, &["init"]);
    let bin = env!("CARGO_BIN_EXE_file-backup");
    let on_terminal = |args: &str| {
        let out = Command::new("script")
            .args([
                "-qec",
                &format!("{bin} --repo {} {args}", repo.display()),
                "/dev/null",
            ])
            .env("FILE_BACKUP_PASSWORD", PASS)
            .env("TERM", "xterm")
            .output()
            .expect("script (util-linux)");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let shown = on_terminal(&format!("backup {}", src.display()));
    assert!(
        shown.contains("backup ") && shown.contains("read ("),
        "{shown}"
    );
    let target = work.path().join("restore");
    let shown = on_terminal(&format!("restore latest --target {}", target.display()));
    assert!(
        shown.contains("restore [") && shown.contains("MiB"),
        "{shown}"
    );
    let shown = on_terminal("verify --read-data");
    assert!(
        shown.contains("verify [") && shown.contains("blobs"),
        "{shown}"
    );
    let replica = work.path().join("replica");
    let shown = on_terminal(&format!("copy --to {}", replica.display()));
    assert!(shown.contains("copy ["), "{shown}");
    // Half the files gone: the pack is partly used after forget, prune repacks it.
    for i in 0..150 {
        fs::remove_file(src.join(format!("f{i}"))).unwrap();
    }
    ok(&repo, &["backup", src.to_str().unwrap()]);
    ok(&repo, &["forget", "--keep-last", "1"]);
    let shown = on_terminal("prune");
    assert!(
        shown.contains("prune [") && shown.contains("blobs and packs"),
        "{shown}"
    );
    // Into a pipe: the summary line only.
    let piped = ok(&repo, &["verify", "--read-data"]);
    assert!(!piped.contains("verify ["), "{piped}");
    let piped = ok(&repo, &["backup", src.to_str().unwrap()]);
    assert!(!piped.contains("read ("), "{piped}");
    assert!(piped.contains("snapshot "), "{piped}");
}

/// Copies a folder tree (the fixture repository into a temporary folder).
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// `tests/fixtures/repo-v1` was written by the format-version-1 program (before index files and
/// pack headers were compressed): this program reads, verifies and restores it, and backs up
/// into it without changing its version. Git keeps no empty folders: `locks/` is missing.
#[test]
fn reads_and_extends_a_repository_of_format_version_1() {
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo-v1");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/repo-v1"),
        &repo,
    );
    let config = fs::read_to_string(repo.join("config")).unwrap();
    assert!(config.contains("\"version\": 1"), "{config}");
    let run = |args: &[&str]| {
        let out = fb(&repo, "fixture-v1", args);
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {text}");
        text
    };
    let snaps: serde_json::Value = serde_json::from_str(&run(&["snapshots", "--json"])).unwrap();
    assert_eq!(snaps.as_array().unwrap().len(), 1, "{snaps}");
    assert_eq!(snaps[0]["snapshot"]["tags"][0], "v1");
    run(&["verify", "--read-data"]);
    let target = work.path().join("restored");
    run(&["restore", "latest", "--target", target.to_str().unwrap()]);
    let src = target.join("tmp/v1src/src");
    assert_eq!(
        fs::read_to_string(src.join("hello.txt")).unwrap(),
        "hello, version 1\n"
    );
    let m = fs::metadata(src.join("hello.txt")).unwrap();
    assert_eq!(m.permissions().mode() & 0o777, 0o640);
    assert_eq!(m.mtime(), 1_767_323_045, "2026-01-02 03:04:05 UTC");
    assert_eq!(
        fs::read_to_string(src.join("sp ace & ünï.txt")).unwrap(),
        "ünïcödé name\n"
    );
    assert_eq!(fs::metadata(src.join("empty")).unwrap().len(), 0);
    assert_eq!(
        fs::read_link(src.join("link")).unwrap(),
        Path::new("hello.txt")
    );
    assert_eq!(fs::metadata(src.join("sub/bin.dat")).unwrap().len(), 60_000);
    // A backup into the old repository: it stays version 1 and everything still verifies.
    let more = work.path().join("more");
    random_files(&more, "m", 3);
    run(&["backup", more.to_str().unwrap()]);
    assert_eq!(fs::read_to_string(repo.join("config")).unwrap(), config);
    run(&["verify", "--read-data"]);
    restores_to_with(&repo, "fixture-v1", &more, &work.path().join("again"));
}

/// `restore --include` restores the paths named (and what is below them) only.
#[test]
fn restore_include_selects_paths() {
    let work = tempfile::tempdir().unwrap();
    let (repo, src) = (work.path().join("repo"), work.path().join("src"));
    source(&src);
    ok(&repo, &["init"]);
    ok(&repo, &["backup", src.to_str().unwrap()]);
    let base = src.canonicalize().unwrap().display().to_string();
    let target = work.path().join("some");
    ok(
        &repo,
        &[
            "restore",
            "latest",
            "--target",
            target.to_str().unwrap(),
            "--include",
            &format!("{base}/nested/deeper"),
            "--include",
            "*.txt",
        ],
    );
    let got = target.join(base.trim_start_matches('/'));
    same_tree(&src.join("nested/deeper"), &got.join("nested/deeper"));
    assert_eq!(
        fs::read(got.join("plain.txt")).unwrap(),
        fs::read(src.join("plain.txt")).unwrap()
    );
    for absent in ["empty", "sparse.img", "nested/big.bin", "link-to-plain"] {
        assert!(!got.join(absent).exists(), "{absent} was not included");
    }
    let out = fb(
        &repo,
        PASS,
        &[
            "restore",
            "latest",
            "--target",
            work.path().join("none").to_str().unwrap(),
            "--include",
            &format!("{base}/no/such/path"),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no/such/path: no such path in snapshot"),
        "{err}"
    );
    // `ls SNAPSHOT PATH` lists the same selection.
    let listed = ok(&repo, &["ls", "latest", &format!("{base}/nested")]);
    let paths: Vec<&str> = listed
        .lines()
        .filter_map(|l| l.split("  ").last())
        .collect();
    assert_eq!(
        paths,
        [
            format!("{base}/nested"),
            format!("{base}/nested/big.bin"),
            format!("{base}/nested/deeper"),
            format!("{base}/nested/deeper/big-copy.bin"),
        ],
        "{listed}"
    );
    let out = fb(&repo, PASS, &["ls", "latest", "/elsewhere"]);
    assert_eq!(out.status.code(), Some(2));
}

/// A local S3-compatible server: moto's server mode from PyPI (`scripts/moto.sh`, installed once
/// into a virtualenv outside the clone).
struct S3Server(testkit::S3Server);

impl S3Server {
    fn start() -> S3Server {
        S3Server(testkit::S3Server::start())
    }

    fn url(&self, path: &str) -> String {
        self.0.url(path)
    }

    /// `file-backup` with the S3 settings in its environment.
    fn fb(&self, repo: &str, args: &[&str]) -> (Option<i32>, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_file-backup"))
            .args(["--repo", repo])
            .args(args)
            .env("FILE_BACKUP_PASSWORD", PASS)
            .envs(self.0.env())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code(), text)
    }

    fn ok(&self, repo: &str, args: &[&str]) -> String {
        let (code, text) = self.fb(repo, args);
        assert_eq!(code, Some(0), "{repo} {args:?}: {text}");
        text
    }

    /// An object (moto takes any signature; objects are not public).
    fn get(&self, bucket: &str, key: &str) -> Vec<u8> {
        ureq::get(&self.url(&format!("{bucket}/{key}")))
            .header("authorization", Self::AUTH)
            .call()
            .unwrap()
            .body_mut()
            .read_to_vec()
            .unwrap()
    }

    fn put(&self, bucket: &str, key: &str, body: &[u8]) {
        ureq::put(&self.url(&format!("{bucket}/{key}")))
            .header("authorization", Self::AUTH)
            .send(body)
            .unwrap();
    }

    const AUTH: &str = "AWS4-HMAC-SHA256 Credential=test/20261127/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00";

    /// The object keys under `prefix` (moto lists for unsigned requests).
    fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let xml = ureq::get(&self.url(&format!("{bucket}?list-type=2&prefix={prefix}")))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap();
        xml.split("<Key>")
            .skip(1)
            .map(|k| k.split("</Key>").next().unwrap().to_string())
            .collect()
    }
}

/// Repositories on S3-compatible object storage: every command against `s3://BUCKET/PREFIX`,
/// replicas from a folder to S3 and back, a job backing up to a folder and S3, a flipped byte
/// in a pack found, locks, and clear errors.
#[test]
fn s3_targets_hold_repositories_and_replicas() {
    let s3 = S3Server::start();
    ureq::put(&s3.url("backups")).send_empty().unwrap();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let src = w.join("src");
    source(&src);
    let repo = "s3://backups/laptop";
    s3.ok(repo, &["init"]);
    let first = json(&s3.ok(repo, &["backup", src.to_str().unwrap(), "--json"]));
    assert!(
        first["snapshot"]["summary"]["bytes_added"]
            .as_u64()
            .unwrap()
            > 0
    );
    let again = json(&s3.ok(repo, &["backup", src.to_str().unwrap(), "--json"]));
    assert_eq!(again["snapshot"]["summary"]["bytes_added"], 0, "{again}");
    let keys = s3.keys("backups", "laptop/");
    assert!(
        keys.iter().any(|k| k.starts_with("laptop/data/"))
            && keys.contains(&"laptop/config".into()),
        "{keys:?}"
    );
    assert!(
        !keys.iter().any(|k| k.starts_with("laptop/locks/")),
        "locks are removed after each command: {keys:?}"
    );
    for k in &keys {
        let body = s3.get("backups", k);
        assert!(
            !body.windows(16).any(|w| w == b"PLAINTEXT-MARKER"),
            "plaintext in {k}"
        );
    }
    let snaps = json(&s3.ok(repo, &["snapshots", "--json"]).replace('\n', ""));
    assert_eq!(snaps.as_array().unwrap().len(), 2);
    assert!(
        s3.ok(repo, &["ls", "latest"])
            .contains("with space & ünïcödé")
    );
    s3.ok(repo, &["verify", "--read-data"]);
    let target = w.join("from-s3");
    s3.ok(
        repo,
        &["restore", "latest", "--target", target.to_str().unwrap()],
    );
    same_tree(
        &src,
        &target.join(src.canonicalize().unwrap().strip_prefix("/").unwrap()),
    );
    s3.ok(repo, &["forget", "--keep-last", "1", "--prune"]);
    s3.ok(repo, &["verify", "--read-data"]);
    assert!(
        s3.ok(repo, &["report", "--format", "md"])
            .contains("1 snapshot(s)")
    );

    // Replicas: a local repository to S3, and the S3 repository to a folder.
    let local = w.join("local");
    ok(&local, &["init"]);
    ok(&local, &["backup", src.to_str().unwrap()]);
    s3.ok(
        local.to_str().unwrap(),
        &["copy", "--to", "s3://backups/replica"],
    );
    s3.ok("s3://backups/replica", &["verify", "--read-data"]);
    let back = w.join("back");
    s3.ok(repo, &["copy", "--to", back.to_str().unwrap()]);
    ok(&back, &["verify", "--read-data"]);
    restores_to(&back, &src, &w.join("from-back"));
    let (code, text) = s3.fb(repo, &["copy", "--to", "s3://backups/replica"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("holds another repository"), "{text}");

    // A job backs up to a folder and keeps a replica on S3.
    fs::write(
        w.join("job.yaml"),
        "jobs:\n  home:\n    sources: [src]\n    repository: job-repo\n    copies: [\"s3://backups/job-replica\"]\n",
    )
    .unwrap();
    ok(&w.join("job-repo"), &["init"]);
    s3.ok(
        "unused",
        &["run", "--config", w.join("job.yaml").to_str().unwrap()],
    );
    s3.ok("s3://backups/job-replica", &["verify", "--read-data"]);

    // A flipped byte in a pack on S3 is found and named.
    let pack = s3
        .keys("backups", "replica/data/")
        .into_iter()
        .next()
        .unwrap();
    let mut body = s3.get("backups", &pack);
    body[100] ^= 0x55;
    s3.put("backups", &pack, &body);
    let (code, text) = s3.fb("s3://backups/replica", &["verify", "--read-data"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("authentication failed"), "{text}");

    // A lock of another host holds until `unlock`.
    s3.put(
        "backups",
        "laptop/locks/other",
        br#"{"host":"elsewhere","pid":1,"time":"2026-11-27T00:00:00Z"}"#,
    );
    let (code, text) = s3.fb(repo, &["backup", src.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("locked by elsewhere"), "{text}");
    s3.ok(repo, &["unlock"]);
    s3.ok(repo, &["backup", src.to_str().unwrap()]);

    // Clear errors: a bucket that does not exist, another scheme, a wrong password.
    let (code, text) = s3.fb("s3://no-such-bucket/x", &["snapshots"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("s3://no-such-bucket/x"), "{text}");
    let (code, text) = s3.fb("gs://bucket/x", &["snapshots"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("unsupported repository scheme gs://"),
        "{text}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_file-backup"))
        .args(["--repo", repo, "snapshots"])
        .env("FILE_BACKUP_PASSWORD", "wrong")
        .envs(s3.0.env())
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("wrong password"),
        "{out:?}"
    );
}

/// Hostile input: an empty password is refused; a key file asking Argon2 for 4 GiB is an error
/// naming it (not a panic or an allocation); a restore target with planted symlinks (a folder
/// of the snapshot, a file of the snapshot) never writes through them.
#[test]
fn hostile_keys_empty_passwords_and_planted_symlinks_are_refused() {
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    let out = fb(&repo, "", &["init"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("an empty password protects nothing"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let src = work.path().join("src");
    fs::create_dir_all(src.join("docs")).unwrap();
    fs::write(src.join("docs/report.txt"), "the report").unwrap();
    fs::write(src.join("notes.txt"), "the notes").unwrap();
    ok(&repo, &["init"]);
    ok(&repo, &["backup", src.to_str().unwrap()]);

    // The target already holds links where the snapshot has a folder and a file.
    let target = work.path().join("restore");
    let outside = work.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("precious.txt"), "do not touch").unwrap();
    let base = target.join(src.canonicalize().unwrap().strip_prefix("/").unwrap());
    fs::create_dir_all(&base).unwrap();
    symlink(&outside, base.join("docs")).unwrap();
    symlink(outside.join("precious.txt"), base.join("notes.txt")).unwrap();
    ok(
        &repo,
        &["restore", "latest", "--target", target.to_str().unwrap()],
    );
    assert_eq!(
        fs::read_to_string(outside.join("precious.txt")).unwrap(),
        "do not touch"
    );
    assert!(
        !outside.join("report.txt").exists(),
        "written through a link"
    );
    assert!(
        !fs::symlink_metadata(base.join("docs"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        fs::read_to_string(base.join("docs/report.txt")).unwrap(),
        "the report"
    );
    assert_eq!(
        fs::read_to_string(base.join("notes.txt")).unwrap(),
        "the notes"
    );
    // A link planted higher up, where the snapshot's absolute path begins.
    let target2 = work.path().join("restore2");
    fs::create_dir_all(&target2).unwrap();
    let first = src.canonicalize().unwrap();
    let top = first.components().nth(1).unwrap();
    symlink(&outside, target2.join(top)).unwrap();
    ok(
        &repo,
        &["restore", "latest", "--target", target2.to_str().unwrap()],
    );
    assert_eq!(
        fs::read_dir(&outside).unwrap().count(),
        1,
        "only precious.txt"
    );

    // A key file asking for 4 GiB of Argon2 memory.
    let keys: Vec<_> = fs::read_dir(repo.join("keys"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    for k in &keys {
        let mut v: serde_json::Value = serde_json::from_slice(&fs::read(k).unwrap()).unwrap();
        v["m_cost"] = serde_json::json!(4u64 << 20);
        fs::write(k, serde_json::to_vec(&v).unwrap()).unwrap();
    }
    let out = fb(&repo, PASS, &["snapshots"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("argon2 memory 4194304 KiB out of bounds"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}
