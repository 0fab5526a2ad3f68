//! Delivery end to end, as a process on a temporary git repository (fixture `delivery`):
//! commits on `work` → CI records → dev → approvals → staging (a real local deploy) → CAB
//! approvals → release tag → prod, with every gate refused when its condition is missing,
//! rollback and the re-promotion block, hotfixes, same-day releases, commit and branch checks.

mod common;
use common::copy_dir;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

struct Repo {
    dir: tempfile::TempDir,
}

/// A weekday inside prod's change window, and a Saturday outside it.
const IN_WINDOW: &str = "2026-11-26T10:00:00Z";
const WEEKEND: &str = "2026-11-28T10:00:00Z";

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/delivery"),
            dir.path(),
        );
        let port = testkit::free_port_pair();
        for f in ["projects/svc/web/project.toml", "environments/staging.toml"] {
            let p = dir.path().join(f);
            let text = fs::read_to_string(&p)
                .unwrap()
                .replace("__STAGING_PORT__", &(port + 1).to_string())
                .replace("__PORT__", &port.to_string());
            fs::write(p, text).unwrap();
        }
        let repo = Repo { dir };
        repo.git(&["init", "-q", "-b", "work"]);
        repo.git(&["config", "user.email", "alice@example.org"]);
        repo.git(&["config", "user.name", "Alice"]);
        repo.commit_all("feat(web): serve the pages (#1)", "alice@example.org");
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn commit_all(&self, message: &str, author: &str) -> String {
        self.git(&["add", "-A"]);
        let out = Command::new("git")
            .args(["commit", "-q", "-m", message])
            .env("GIT_AUTHOR_EMAIL", author)
            .env("GIT_AUTHOR_NAME", author)
            .current_dir(self.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.git(&["rev-parse", "HEAD"])
    }

    /// `portfolio ARGS` as `actor` at time `now`.
    /// Runs `portfolio` as the pipeline does (`CI` set: stage runs are audit evidence).
    fn run(&self, actor: &str, now: &str, args: &[&str]) -> Output {
        self.run_in(actor, now, args, Some("true"))
    }

    /// Runs `portfolio` with `CI` set to `ci`, or unset.
    fn run_in(&self, actor: &str, now: &str, args: &[&str], ci: Option<&str>) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_portfolio"));
        cmd.arg("--root")
            .arg(self.path())
            .args(args)
            .env_remove("PORTFOLIO_ROOT")
            .env_remove("PORTFOLIO_EVIDENCE")
            .env("PORTFOLIO_ACTOR", actor)
            .env("PORTFOLIO_NOW", now);
        match ci {
            Some(v) => cmd.env("CI", v),
            None => cmd.env_remove("CI"),
        };
        cmd.output().unwrap()
    }

    fn ok(&self, actor: &str, args: &[&str]) -> String {
        let out = self.run(actor, IN_WINDOW, args);
        let text = text(&out);
        assert!(out.status.success(), "portfolio {args:?} failed:\n{text}");
        text
    }

    /// Runs a command that must be refused (exit 1) and returns its output.
    fn refused(&self, actor: &str, now: &str, args: &[&str]) -> String {
        let out = self.run(actor, now, args);
        let text = text(&out);
        assert_eq!(
            out.status.code(),
            Some(1),
            "portfolio {args:?} should be refused:\n{text}"
        );
        text
    }

    fn branch(&self, name: &str) -> String {
        self.git(&["rev-parse", &format!("refs/heads/{name}")])
    }

    fn ci(&self, stages: &[&str]) {
        for s in stages {
            self.ok("alice@example.org", &["ci", s]);
        }
    }
}

impl Drop for Repo {
    fn drop(&mut self) {
        let wt = self.path().join(".portfolio/envs/staging/src");
        if wt.exists() {
            let _ = Command::new(env!("CARGO_BIN_EXE_portfolio"))
                .arg("--root")
                .arg(&wt)
                .arg("down")
                .output();
        }
    }
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

const ALICE: &str = "alice@example.org";
const BOB: &str = "bob@example.org";
const CAROL: &str = "carol@example.org";
const DAVE: &str = "dave@example.org";
const ALL: [&str; 5] = ["lint", "unit", "integration", "security", "build"];

#[test]
fn work_to_prod_with_every_gate() {
    let repo = Repo::new();
    let c1 = repo.git(&["rev-parse", "HEAD"]);

    // dev: no CI record yet.
    let out = repo.refused(ALICE, IN_WINDOW, &["promote", "--to", "dev"]);
    assert!(out.contains("no CI record of `lint`"), "{out}");
    assert!(out.contains("no CI record of `unit`"), "{out}");
    assert!(!repo.git(&["branch", "--list", "dev"]).contains("dev"));

    // A dirty tree's record does not count.
    fs::write(repo.path().join("scratch.txt"), "x").unwrap();
    repo.ci(&["lint", "unit"]);
    let out = repo.refused(ALICE, IN_WINDOW, &["promote", "--to", "dev"]);
    assert!(out.contains("uncommitted changes"), "{out}");
    fs::remove_file(repo.path().join("scratch.txt")).unwrap();

    repo.ci(&["lint", "unit"]);
    let record: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(repo.path().join(format!(".portfolio/ci/{c1}/unit.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(record["commit"], c1.as_str());
    assert_eq!(record["ok"], true);
    assert!(record["tools"]["git"].is_string(), "{record}");
    repo.ok(ALICE, &["promote", "--to", "dev"]);
    assert_eq!(repo.branch("dev"), c1);

    // A red stage refuses, naming the stage and the project.
    fs::write(repo.path().join("projects/svc/web/FAIL"), "").unwrap();
    let c_red = repo.commit_all("fix(web): a change that breaks the tests", ALICE);
    let out = repo.run(ALICE, IN_WINDOW, &["ci", "unit"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    repo.ci(&["lint"]);
    let out = repo.refused(ALICE, IN_WINDOW, &["promote", "--to", "dev"]);
    assert!(
        out.contains("`unit` is red") && out.contains("svc/web"),
        "{out}"
    );
    assert_eq!(repo.branch("dev"), c1, "nothing moved");
    fs::remove_file(repo.path().join("projects/svc/web/FAIL")).unwrap();
    let c2 = repo.commit_all("fix(web): repair the tests\n\nRefs: #7", ALICE);
    assert_ne!(c2, c_red);
    repo.ci(&ALL);
    repo.ok(ALICE, &["promote", "--to", "dev"]);
    assert_eq!(repo.branch("dev"), c2);

    // staging: approvals; the author may not approve; an outsider may not either.
    let out = repo.refused(ALICE, IN_WINDOW, &["promote", "--to", "staging"]);
    assert!(out.contains("0 of 1 approvals"), "{out}");
    let out = repo.run(
        ALICE,
        IN_WINDOW,
        &["approve", "--env", "staging", "--commit", "dev"],
    );
    assert!(
        text(&out).contains("self-approval refused"),
        "{}",
        text(&out)
    );
    let out = repo.run(
        "eve@example.org",
        IN_WINDOW,
        &["approve", "--env", "staging", "--commit", "dev"],
    );
    assert!(text(&out).contains("may not approve"), "{}", text(&out));
    repo.ok(
        BOB,
        &[
            "approve",
            "--env",
            "staging",
            "--commit",
            "dev",
            "--comment",
            "looks good",
        ],
    );

    // A freeze refuses; unfreeze lifts it.
    repo.ok(
        BOB,
        &["freeze", "--env", "staging", "--reason", "audit week"],
    );
    let out = repo.refused(ALICE, IN_WINDOW, &["promote", "--to", "staging"]);
    assert!(
        out.contains("staging is frozen") && out.contains("audit week"),
        "{out}"
    );
    repo.ok(BOB, &["unfreeze", "--env", "staging"]);

    // The local deploy target: staging's copy runs on its own port and data folder.
    let out = repo.ok(ALICE, &["promote", "--to", "staging"]);
    assert!(out.contains("promoted"), "{out}");
    assert!(out.contains("verified svc/web"), "{out}");
    assert_eq!(repo.branch("staging"), c2);
    let wt = repo.path().join(".portfolio/envs/staging/src");
    assert_eq!(
        Command::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir(&wt)
            .output()
            .unwrap()
            .stdout,
        format!("{c2}\n").into_bytes()
    );
    assert!(wt.join(".portfolio/data").is_dir());
    let status = repo.run(ALICE, IN_WINDOW, &["status", "--env", "staging", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["running"], true, "{status}");
    assert_eq!(status["services"][0]["id"], "svc/web", "{status}");
    let out = repo.run(ALICE, IN_WINDOW, &["status", "--env", "prod"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("prod has no local deployment yet"),
        "{}",
        text(&out)
    );
    let port = fs::read_to_string(repo.path().join("environments/staging.toml"))
        .unwrap()
        .split("WEB_PORT = \"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert!(std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_ok());

    // prod: every gate at once on a Saturday without approvals or tag.
    let out = repo.refused(ALICE, WEEKEND, &["promote", "--to", "prod"]);
    for want in [
        "0 of 2 approvals",
        "outside the change windows",
        "has no release tag",
    ] {
        assert!(out.contains(want), "missing `{want}` in:\n{out}");
    }
    // CAB approvals: a non-member of the role is refused.
    let out = repo.run(
        BOB,
        IN_WINDOW,
        &["approve", "--env", "prod", "--commit", "staging"],
    );
    assert!(text(&out).contains("may not approve"), "{}", text(&out));
    repo.ok(CAROL, &["approve", "--env", "prod", "--commit", "staging"]);
    repo.ok(DAVE, &["approve", "--env", "prod", "--commit", "staging"]);
    let out = repo.refused(ALICE, IN_WINDOW, &["promote", "--to", "prod"]);
    assert!(
        out.contains("has no release tag") && !out.contains("0 of 2"),
        "{out}"
    );

    // The release: tag of the day, notes grouped by type and project.
    let out = repo.ok(ALICE, &["release", "--commit", "staging"]);
    assert!(out.contains("## v2026.11.26"), "{out}");
    let features = out.find("### Features").expect("features section");
    let fixes = out.find("### Bug fixes").expect("fixes section");
    assert!(features < fixes, "{out}");
    assert!(out.contains("#### svc/web"), "{out}");
    assert!(out.contains("**web:** repair the tests (#7)"), "{out}");
    assert_eq!(repo.git(&["tag", "--points-at", &c2]), "v2026.11.26");
    assert!(
        fs::read_to_string(repo.path().join("CHANGELOG.md"))
            .unwrap()
            .starts_with("# Changelog\n\n## v2026.11.26")
    );
    fs::remove_file(repo.path().join("CHANGELOG.md")).unwrap();

    let out = repo.ok(ALICE, &["promote", "--to", "prod"]);
    assert!(out.contains("promoted"), "{out}");
    assert_eq!(repo.branch("main"), c2);

    // Records: refusals and promotions, with their gates.
    let log = fs::read_to_string(repo.path().join(".portfolio/delivery/promotions.jsonl")).unwrap();
    let outcomes: Vec<String> = log
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["outcome"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        outcomes.iter().filter(|o| *o == "refused").count() >= 6,
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes.iter().filter(|o| *o == "promoted").count(),
        4,
        "{outcomes:?}"
    );

    // envs: which commit and release each environment runs.
    let envs: serde_json::Value = serde_json::from_str(
        &repo
            .ok(ALICE, &["envs", "--json"])
            .lines()
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    let names: Vec<&str> = envs
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["env"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dev", "staging", "prod"]);
    assert_eq!(envs[2]["release"], "v2026.11.26");

    // A second release the same day gets `.1`.
    fs::write(repo.path().join("projects/svc/lib/NOTES.md"), "x").unwrap();
    let c3 = repo.commit_all("feat(lib)!: a new interface", ALICE);
    let out = repo.ok(ALICE, &["release", "--commit", &c3]);
    assert!(out.contains("## v2026.11.26.1"), "{out}");
    let breaking = out.find("Breaking changes").expect("breaking section");
    assert!(breaking < out.find("### Features").unwrap(), "{out}");
    assert!(
        out.contains("#### svc/lib") && !out.contains("repair the tests"),
        "{out}"
    );
    let changelog = fs::read_to_string(repo.path().join("CHANGELOG.md")).unwrap();
    assert!(
        changelog.starts_with("# Changelog\n\n## v2026.11.26.1"),
        "{changelog}"
    );
    fs::remove_file(repo.path().join("CHANGELOG.md")).unwrap();

    // Rollback of staging: back to the earlier commit, the rolled-back one blocked.
    assert_eq!(
        repo.git(&["status", "--porcelain", "--", ".", ":(exclude)audits/2*"]),
        "",
        "a clean tree"
    );
    repo.ci(&ALL);
    repo.ok(ALICE, &["promote", "--to", "dev"]);
    repo.ok(CAROL, &["approve", "--env", "staging", "--commit", &c3]);
    repo.ok(ALICE, &["promote", "--to", "staging"]);
    assert_eq!(repo.branch("staging"), c3);
    let out = repo.ok(
        BOB,
        &["rollback", "--env", "staging", "--reason", "login broken"],
    );
    assert!(out.contains("rolled-back"), "{out}");
    assert_eq!(repo.branch("staging"), c2);
    let out = repo.refused(ALICE, IN_WINDOW, &["promote", "--to", "staging"]);
    assert!(
        out.contains("rolled back from staging") && out.contains("login broken"),
        "{out}"
    );
    repo.ok(BOB, &["unblock", "--commit", &c3]);
    repo.ok(ALICE, &["promote", "--to", "staging", "--dry-run"]);
    let out = repo.ok(ALICE, &["down", "--env", "staging"]);
    assert!(out.contains("stopped 1 service(s): svc/web"), "{out}");
    assert!(std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_err());
    let _ = c1;
}

#[test]
fn hotfixes_use_their_gates_and_must_reach_work() {
    let repo = Repo::new();
    let c1 = repo.git(&["rev-parse", "HEAD"]);
    repo.git(&["branch", "main", &c1]);
    repo.git(&["switch", "-q", "-c", "hotfix/login-crash", "main"]);
    fs::write(repo.path().join("projects/svc/web/FIX.md"), "fix").unwrap();
    let fix = repo.commit_all("fix(web): stop the login crash", ALICE);
    repo.ci(&["lint", "unit"]);
    let out = repo.refused(
        ALICE,
        IN_WINDOW,
        &["promote", "--to", "prod", "--hotfix", "--commit", &fix],
    );
    assert!(out.contains("0 of 1 approvals"), "{out}");
    assert!(
        !out.contains("release tag"),
        "hotfix gates have no tag gate: {out}"
    );
    repo.ok(CAROL, &["approve", "--env", "prod", "--commit", &fix]);
    repo.ok(
        ALICE,
        &["promote", "--to", "prod", "--hotfix", "--commit", &fix],
    );
    assert_eq!(repo.branch("main"), fix);
    let out = repo.ok(ALICE, &["envs"]);
    assert!(out.contains("has not reached work"), "{out}");
    repo.git(&["switch", "-q", "work"]);
    repo.git(&["cherry-pick", &fix]);
    let out = repo.ok(ALICE, &["envs"]);
    assert!(!out.contains("has not reached work"), "{out}");
}

#[test]
fn commit_messages_and_branch_names_are_checked() {
    let repo = Repo::new();
    let base = repo.git(&["rev-parse", "HEAD"]);
    fs::write(repo.path().join("a.txt"), "a").unwrap();
    repo.commit_all("updated stuff", ALICE);
    fs::write(repo.path().join("b.txt"), "b").unwrap();
    repo.commit_all("feat(web): fine", ALICE);
    let out = repo.refused(ALICE, IN_WINDOW, &["commitlint", "--since", &base]);
    assert!(
        out.contains("updated stuff: not a conventional commit"),
        "{out}"
    );
    assert!(out.contains("checked 2 commit(s): 1 problem(s)"), "{out}");
    let out = repo.run(ALICE, IN_WINDOW, &["commitlint", "--since", "no-such-rev"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    repo.ok(ALICE, &["branch-check", "svc/12-add-labels"]);
    repo.ok(ALICE, &["branch-check", "hotfix/login-crash"]);
    let out = repo.refused(ALICE, IN_WINDOW, &["branch-check", "backend/12-add-labels"]);
    assert!(out.contains("`backend` is not one"), "{out}");
    repo.refused(ALICE, IN_WINDOW, &["branch-check", "svc/add-labels"]);

    // CODEOWNERS from the catalog, and its drift check.
    repo.refused(ALICE, IN_WINDOW, &["codeowners", "--check"]);
    repo.ok(ALICE, &["codeowners"]);
    let owners = fs::read_to_string(repo.path().join(".github/CODEOWNERS")).unwrap();
    assert!(
        owners.contains("/projects/svc/web/ @portfolio-platform/team-web"),
        "{owners}"
    );
    repo.ok(ALICE, &["codeowners", "--check"]);
}

#[test]
fn affected_ci_skips_what_did_not_change_and_says_why() {
    let repo = Repo::new();
    let base = repo.git(&["rev-parse", "HEAD"]);
    fs::write(repo.path().join("projects/svc/web/page.html"), "<p>hi</p>").unwrap();
    repo.commit_all("feat(web): a page", ALICE);
    let out = repo.ok(ALICE, &["ci", "lint", "--affected", "--since", &base]);
    assert!(
        out.contains(&format!("skip lint svc/lib: not affected since {base}")),
        "{out}"
    );
    assert!(out.contains("lint svc/web"), "{out}");
    // A conditional workspace command waits for its paths; a full run runs it.
    let marker = repo.path().join(".portfolio/lib-check-ran");
    assert!(
        out.contains(&format!(
            "skip lint workspace: `mkdir -p .portfolio && touch .portfolio/lib-check-ran`: no change matching projects/svc/lib/** since {base}"
        )),
        "{out}"
    );
    assert!(!marker.exists());
    repo.ok(ALICE, &["ci", "lint"]);
    assert!(marker.exists());
    let out = repo.run(ALICE, IN_WINDOW, &["ci", "nonsense"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("unknown stage `nonsense`"),
        "{}",
        text(&out)
    );
    let out = repo.run(ALICE, IN_WINDOW, &["promote", "--to", "qa"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("unknown environment `qa` (environments: dev, prod, staging)"),
        "{}",
        text(&out)
    );
}

#[test]
fn audit_evidence_is_chained_verified_and_reported() {
    let repo = Repo::new();
    repo.ci(&["lint", "unit", "security"]);
    repo.ok(ALICE, &["promote", "--to", "dev"]);
    repo.refused(ALICE, IN_WINDOW, &["promote", "--to", "staging"]);
    repo.ok(BOB, &["approve", "--env", "staging", "--commit", "dev"]);
    repo.ok(BOB, &["freeze", "--env", "staging", "--reason", "audit"]);
    let review = repo.ok(CAROL, &["audit", "access-review"]);
    assert!(
        review.contains("bob@example.org") && review.contains("approve promotions"),
        "{review}"
    );
    assert!(review.contains("team-web"), "{review}");

    // Evidence does not make the tree dirty: CI records stay valid for promotion.
    repo.ci(&["integration"]);
    let rec: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(repo.path().join(format!(
            ".portfolio/ci/{}/integration.json",
            repo.git(&["rev-parse", "HEAD"])
        )))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(rec["dirty"], false);

    let out = repo.ok(ALICE, &["audit", "verify"]);
    assert!(out.contains("0 problem(s)"), "{out}");
    let report = repo.run(
        ALICE,
        IN_WINDOW,
        &["audit", "report", "--year", "2026", "--format", "json"],
    );
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    let by_id = |id: &str| {
        report["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()
            .clone()
    };
    // CC8.1: lint, unit, security, integration, two promotions (one refused), one approval.
    let cc = by_id("CC8.1");
    assert_eq!(cc["evidence"], 7, "{cc}");
    assert_eq!(
        cc["gaps"],
        serde_json::json!(["release", "rollback"]),
        "{cc}"
    );
    assert_eq!(by_id("A.8.32")["evidence"], 3); // two promotions, one freeze
    assert_eq!(by_id("A.5.18")["evidence"], 1);
    assert_eq!(by_id("CIS-16.12")["evidence"], 1);
    assert_eq!(by_id("CIS-16.12")["gaps"], serde_json::json!(["scanner"]));
    // The files on disk match the matrix.
    let files = fs::read_dir(repo.path().join("audits/2026/CC8.1"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().unwrap() == "json")
        .count();
    assert_eq!(files, 7);
    let html = repo.ok(ALICE, &["audit", "report", "--format", "html"]);
    assert!(
        html.starts_with("<!doctype html>") && html.contains("CC8.1"),
        "{html}"
    );

    // An edited record and a deleted one are found.
    let dir = repo.path().join("audits/2026/A.8.32");
    let mut records: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().unwrap() == "json")
        .collect();
    records.sort();
    let edited = fs::read_to_string(&records[0])
        .unwrap()
        .replace("\"recorded_by\": \"", "\"recorded_by\": \"mallory+");
    fs::write(&records[0], edited).unwrap();
    fs::remove_file(&records[1]).unwrap();
    // The Markdown summary is chained too: a softened summary is found.
    let summary = records[2].with_extension("md");
    let softened = fs::read_to_string(&summary).unwrap() + "\n(Approved retroactively.)\n";
    fs::write(&summary, softened).unwrap();
    let out = repo.refused(ALICE, IN_WINDOW, &["audit", "verify"]);
    assert!(out.contains("edited after it was recorded"), "{out}");
    assert!(out.contains("deleted (chained at"), "{out}");
    assert!(
        out.contains("the summary was edited after it was recorded"),
        "{out}"
    );
    assert!(out.contains("3 problem(s)"), "{out}");
}

#[test]
fn feature_flags_are_listed_and_checked() {
    let repo = Repo::new();
    let out = repo.ok(ALICE, &["flags", "check"]);
    assert!(
        out.contains("no expired, undeclared or unused flags"),
        "{out}"
    );
    let list = repo.run(
        ALICE,
        IN_WINDOW,
        &["flags", "list", "--env", "staging", "--json"],
    );
    let list: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(list[0]["name"], "dark-mode");
    assert_eq!(list[0]["value"], true);
    assert_eq!(list[0]["status"], "ok");
    let out = repo.ok(ALICE, &["flags", "list", "--env", "prod"]);
    assert!(out.contains("dark-mode") && out.contains("false"), "{out}");

    // Expired (the clock after 2026-12-31): named with file and line.
    let out = repo.refused(ALICE, "2027-01-05T10:00:00Z", &["flags", "check"]);
    assert!(
        out.contains(
            "projects/svc/web/ops/feature-flags.toml:2: flag `dark-mode` expired on 2026-12-31"
        ),
        "{out}"
    );
    // Read in code but not declared, and declared but not read.
    let js = repo.path().join("projects/svc/web/app.js");
    fs::write(&js, "export const f = (flag) => flag('new-nav');\n").unwrap();
    let out = repo.refused(ALICE, IN_WINDOW, &["flags", "check"]);
    assert!(
        out.contains("projects/svc/web/app.js:1: flag `new-nav` is read here but not declared"),
        "{out}"
    );
    assert!(
        out.contains("flag `dark-mode` is declared but no code reads it"),
        "{out}"
    );
    // A broken file is an error with its line, not a crash.
    fs::write(
        repo.path().join("projects/svc/web/ops/feature-flags.toml"),
        "[[flag]]\nname = \"x\"\nowner = 1\n",
    )
    .unwrap();
    let out = repo.refused(ALICE, IN_WINDOW, &["flags", "list"]);
    assert!(
        out.contains("projects/svc/web/ops/feature-flags.toml:3:"),
        "{out}"
    );
}

#[test]
fn delivery_operations_of_one_clone_wait_for_each_other() {
    let repo = Repo::new();
    repo.ci(&["lint", "unit"]);
    let lock = repo.path().join(".portfolio/delivery/.lock");
    fs::create_dir_all(lock.parent().unwrap()).unwrap();
    fs::write(&lock, "").unwrap();
    // Another job holds the lock for a second.
    let mut holder = Command::new("flock")
        .arg(&lock)
        .args(["sleep", "1"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let start = std::time::Instant::now();
    let out = repo.ok(ALICE, &["promote", "--to", "dev"]);
    assert!(out.contains("waiting for another promotion"), "{out}");
    assert!(start.elapsed() >= std::time::Duration::from_millis(500));
    holder.wait().unwrap();
    assert_eq!(repo.branch("dev"), repo.git(&["rev-parse", "HEAD"]));
}

/// The helm deploy target with the real chart and Helm's engine: refused without image digests,
/// a client-side dry run renders every service's release, and a real deploy without a cluster
/// fails with Helm's own message (no cluster runs on the build machines).
#[test]
fn helm_target_renders_releases_and_needs_digests_and_a_cluster() {
    let repo = Repo::new();
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let chart = "projects/orchestration/kubernetes-helm-chart";
    copy_dir(&real.join(chart), &repo.path().join(chart));
    fs::create_dir_all(repo.path().join("scripts/iac")).unwrap();
    for f in ["tools.sh", "helm.sh", "requirements.lock"] {
        fs::copy(
            real.join("scripts/iac").join(f),
            repo.path().join("scripts/iac").join(f),
        )
        .unwrap();
    }
    fs::write(
        repo.path().join(chart).join("services/web.yaml"),
        "service: web\nimage:\n  repository: ghcr.io/example/web\nport: 8080\n",
    )
    .unwrap();
    let env = "branch = \"review\"\nsource = \"work\"\n\n[deploy]\ntarget = \"helm\"\nnamespace = \"portfolio-review\"\nservices = [\"svc/web\"]\nimages = \"images.json\"\n";
    fs::write(
        repo.path().join("environments/review.toml"),
        format!("{env}dry_run = \"client\"\n"),
    )
    .unwrap();
    repo.commit_all("feat(web): a helm environment (#2)", ALICE);
    let fails = || {
        let out = repo.run(ALICE, IN_WINDOW, &["ci", "deploy", "--env", "review"]);
        assert!(!out.status.success(), "{}", text(&out));
        text(&out)
    };

    let missing = fails();
    assert!(
        missing.contains("images.json") && missing.contains("--metadata-file"),
        "{missing}"
    );
    fs::write(
        repo.path().join("images.json"),
        r#"{"web": {"containerimage.digest": "latest"}}"#,
    )
    .unwrap();
    let tag = fails();
    assert!(tag.contains("no sha256") && tag.contains("`web`"), "{tag}");

    let digest = format!("sha256:{}", "ab".repeat(32));
    fs::write(
        repo.path().join("images.json"),
        format!(r#"{{"web": {{"containerimage.digest": "{digest}"}}}}"#),
    )
    .unwrap();
    let out = repo.ok(ALICE, &["ci", "deploy", "--env", "review"]);
    assert!(
        out.contains("helm upgrade --install web (namespace portfolio-review)")
            && out.contains("rendered web for namespace portfolio-review"),
        "{out}"
    );

    // Not a dry run: Helm itself reports that no cluster answers.
    fs::write(repo.path().join("environments/review.toml"), env).unwrap();
    repo.commit_all("chore(web): deploy for real (#3)", ALICE);
    let real_deploy = fails();
    assert!(real_deploy.contains("cluster unreachable"), "{real_deploy}");
}

/// A stage run on a laptop is no audit evidence (nothing under `audits/`), unless asked for
/// with `--evidence`; in a pipeline (`CI` set) it is.
#[test]
fn ci_stages_are_evidence_only_in_a_pipeline_or_when_asked() {
    let repo = Repo::new();
    let evidence = || {
        fs::read_dir(repo.path().join("audits/2026/CC8.1"))
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                    .count()
            })
            .unwrap_or(0)
    };
    for ci in [None, Some(""), Some("false")] {
        let out = repo.run_in(ALICE, IN_WINDOW, &["ci", "lint"], ci);
        assert!(out.status.success(), "{}", text(&out));
    }
    assert_eq!(evidence(), 0, "local runs leave nothing under audits/");
    let out = repo.run_in(ALICE, IN_WINDOW, &["ci", "lint", "--evidence"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(evidence(), 1, "--evidence records the run");
    repo.ok(ALICE, &["ci", "lint"]);
    assert_eq!(evidence(), 2, "a pipeline run (CI=true) records it");
}
