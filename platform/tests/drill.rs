//! `portfolio dr drill` as a process on a temporary git repository (fixture `drill`): a
//! Python service keeping lines in a file is loaded, backed up with the real `file-backup`,
//! loaded again, its state deleted or corrupted, restored and restarted; the measured RTO and
//! RPO, the counts, the checksum, the evidence and the exercise log are checked, and so are a
//! missed target, a broken hook and projects that cannot be drilled.

mod common;
use common::copy_dir;
use testkit::free_port;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace's `file-backup`, built once.
fn file_backup() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let status = Command::new(env!("CARGO"))
        .args(["build", "-q", "--locked", "-p", "file-backup"])
        .current_dir(root)
        .status()
        .unwrap();
    assert!(status.success(), "building file-backup");
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    target.join("debug/file-backup")
}

struct Repo {
    dir: tempfile::TempDir,
    bin: PathBuf,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/drill"),
            dir.path(),
        );
        let port = free_port().to_string();
        for f in [
            "projects/svc/store/project.toml",
            "projects/strategy/disaster-recovery-plan/drill.toml",
        ] {
            let p = dir.path().join(f);
            fs::write(
                &p,
                fs::read_to_string(&p).unwrap().replace("__PORT__", &port),
            )
            .unwrap();
        }
        let repo = Repo {
            dir,
            bin: file_backup(),
        };
        repo.commit("chore: the fixture");
        repo
    }

    fn git(&self, args: &[&str]) {
        let out = Command::new("git")
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
    }

    fn commit(&self, message: &str) {
        if !self.dir.path().join(".git").exists() {
            self.git(&["init", "-q", "-b", "main"]);
            self.git(&["config", "user.email", "alice@example.org"]);
            self.git(&["config", "user.name", "Alice"]);
        }
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    fn drill(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_portfolio"))
            .arg("--root")
            .arg(self.dir.path())
            .args(["dr", "drill"])
            .args(args)
            .env_remove("PORTFOLIO_ROOT")
            .env_remove("PORTFOLIO_EVIDENCE")
            .env("FILE_BACKUP_BIN", &self.bin)
            .output()
            .unwrap()
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

fn results(out: &Output) -> Vec<serde_json::Value> {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

#[test]
fn a_drill_measures_recovery_checks_the_data_and_records_evidence() {
    let repo = Repo::new();
    for scenario in ["loss", "corruption"] {
        let out = repo.drill(&["--project", "svc/store", "--scenario", scenario, "--json"]);
        assert!(out.status.success(), "{}", text(&out));
        let r = &results(&out)[0];
        assert_eq!(r["passed"], true, "{r}");
        assert_eq!(r["scenario"], scenario);
        // Backed up after one load, a second load before the disaster, recovered to the backup.
        assert_eq!(
            r["counts_at_backup"],
            serde_json::json!({"lines": 10}),
            "{r}"
        );
        assert_eq!(
            r["counts_at_disaster"],
            serde_json::json!({"lines": 20}),
            "{r}"
        );
        assert_eq!(
            r["counts_after_recovery"],
            serde_json::json!({"lines": 10}),
            "{r}"
        );
        assert_eq!(r["checksum_match"], true);
        let rto = r["rto_seconds"].as_f64().unwrap();
        let rpo = r["rpo_seconds"].as_f64().unwrap();
        assert!(rto > 0.0 && rto < 60.0 && rpo > 0.0 && rpo < 60.0, "{r}");
        let folder = repo.path().join(r["folder"].as_str().unwrap());
        let report = fs::read_to_string(folder.join("report.md")).unwrap();
        assert!(
            report.contains("Result: **passed**") && report.contains("| restore |"),
            "{report}"
        );
    }
    // Evidence for both controls, chained; the exercise log has both drills; nothing runs.
    for control in ["CIS-11", "ISO-A.8.13"] {
        let dir = repo.path().join("audits").join(chrono_year()).join(control);
        let n = fs::read_dir(&dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "json")
            })
            .count();
        assert_eq!(n, 2, "{}", dir.display());
    }
    let verify = Command::new(env!("CARGO_BIN_EXE_portfolio"))
        .arg("--root")
        .arg(repo.path())
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(verify.status.success(), "{}", text(&verify));
    let log = fs::read_to_string(
        repo.path()
            .join("projects/strategy/disaster-recovery-plan/EXERCISES.md"),
    )
    .unwrap();
    assert_eq!(log.matches("| svc/store |").count(), 2, "{log}");
    assert!(
        log.contains("| Corruption |") && log.contains("| intact | passed |"),
        "{log}"
    );
    let status = Command::new(env!("CARGO_BIN_EXE_portfolio"))
        .arg("--root")
        .arg(repo.path().join(".portfolio/drills/sandbox"))
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&status.stdout).contains("\"running\": false"),
        "{}",
        text(&status)
    );
}

fn chrono_year() -> String {
    // The evidence folder is the current year's.
    let out = Command::new("date").arg("+%Y").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn missed_targets_broken_hooks_and_undrillable_projects_fail_clearly() {
    let repo = Repo::new();
    // An RTO no recovery can meet: the drill runs, reports and fails (exit 1).
    let manifest = repo.path().join("projects/svc/store/project.toml");
    let original = fs::read_to_string(&manifest).unwrap();
    fs::write(&manifest, original.replace("rto = \"1h\"", "rto = \"0s\"")).unwrap();
    repo.commit("test: an impossible RTO");
    let out = repo.drill(&["--project", "svc/store"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("FAILED; RTO") && text(&out).contains("(target 0s)"),
        "{}",
        text(&out)
    );
    // A count hook that prints no JSON names the step and the command.
    fs::write(
        &manifest,
        original.replace("python3 client.py count", "echo not-json"),
    )
    .unwrap();
    repo.commit("test: a broken count hook");
    let out = repo.drill(&["--project", "svc/store"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("svc/store: count: `echo not-json` printed no JSON object"),
        "{}",
        text(&out)
    );
    // Projects that cannot be drilled, and unknown ones: usage errors (exit 2).
    let out = repo.drill(&["--project", "svc/docs"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("svc/docs cannot be drilled: its manifest has no state, no rto, no rpo, no [dr] load and count"),
        "{}",
        text(&out)
    );
    let out = repo.drill(&["--project", "svc/stor"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("svc/stor"), "{}", text(&out));
}
