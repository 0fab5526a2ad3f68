//! The `portfolio` binary against fixture monorepos (`tests/fixtures/`), as a user runs it.
//! Each test copies its fixture to a temporary folder, so "nothing written" is checkable.

mod common;
use common::copy_dir;
use testkit::free_port;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

fn fixture(name: &str) -> tempfile::TempDir {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&src, dir.path());
    dir
}

/// Every file under `dir`, relative, for before/after comparisons.
fn files(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out
}

fn portfolio(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portfolio"))
        .arg("--root")
        .arg(root)
        .args(args)
        .env_remove("PORTFOLIO_ROOT")
        .output()
        .expect("run portfolio")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `validate` on a fixture and returns (exit code, problem lines); asserts nothing was written.
fn validate(name: &str) -> (i32, Vec<String>) {
    let dir = fixture(name);
    let before = files(dir.path());
    let out = portfolio(dir.path(), &["validate"]);
    assert_eq!(files(dir.path()), before, "validate must not write files");
    (
        out.status.code().unwrap(),
        stdout(&out).lines().map(str::to_string).collect(),
    )
}

#[test]
fn valid_fixture_validates_cleanly() {
    let (code, lines) = validate("valid");
    assert_eq!((code, lines), (0, vec![]));
}

#[test]
fn this_repository_validates_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = portfolio(root, &["validate"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn missing_runbook_section_is_reported_on_the_runbook() {
    assert_eq!(
        validate("missing-runbook-section"),
        (1, vec!["projects/core/store/ops/runbook.md:1: runbook is missing the `## Escalation ladder` section (guide §9)".into()])
    );
}

#[test]
fn dependency_cycle_is_reported_once_with_its_path() {
    assert_eq!(
        validate("cycle"),
        (
            1,
            vec!["projects/a/x/project.toml:9: dependency cycle: a/x -> a/y -> a/z -> a/x".into()]
        )
    );
}

#[test]
fn unknown_dependencies_are_reported_with_suggestions() {
    assert_eq!(
        validate("unknown-dependency"),
        (
            1,
            vec![
                "projects/a/x/project.toml:9: unknown dependency `a/yy` (did you mean `a/y`?)"
                    .into(),
                "projects/a/x/project.toml:9: unknown dependency `b/w`".into(),
            ]
        )
    );
}

#[test]
fn malformed_toml_is_one_line_at_its_position() {
    assert_eq!(
        validate("malformed-toml"),
        (
            1,
            vec!["projects/a/x/project.toml:4: malformed TOML: invalid basic string".into()]
        )
    );
}

#[test]
fn unknown_keys_are_all_reported_with_suggestions() {
    assert_eq!(
        validate("unknown-key"),
        (
            1,
            vec![
                "projects/a/x/project.toml:9: unknown key `dependson` (did you mean `depends_on`?)".into(),
                "projects/a/x/project.toml:12: unknown key `tset` in [tasks] (did you mean `test`?)".into(),
            ]
        )
    );
}

#[test]
fn broken_relative_links_are_reported() {
    assert_eq!(
        validate("broken-link"),
        (
            1,
            vec![
                "projects/a/x/README.md:3: broken link `../../../GONE.md#top`: GONE.md does not exist".into(),
                "projects/a/x/README.md:3: broken link `docs/design.md`: projects/a/x/docs/design.md does not exist".into(),
            ]
        )
    );
}

#[test]
fn validate_json_lists_problems() {
    let dir = fixture("cycle");
    let out = portfolio(dir.path(), &["validate", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["projects"], 3);
    assert_eq!(v["problems"][0]["path"], "projects/a/x/project.toml");
    assert_eq!(v["problems"][0]["line"], 9);
}

#[test]
fn a_broken_catalog_stops_every_command_with_the_problem() {
    let dir = fixture("malformed-toml");
    let before = files(dir.path());
    for args in [
        &["catalog", "list"][..],
        &["graph"],
        &["test"],
        &["up"],
        &["bootstrap"],
    ] {
        let out = portfolio(dir.path(), args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&out).starts_with("projects/a/x/project.toml:4: malformed TOML"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert_eq!(files(dir.path()), before);
}

#[test]
fn catalog_list_and_show() {
    let dir = fixture("valid");
    let out = portfolio(dir.path(), &["catalog", "list", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["core/api", "core/store", "web/ui"]);
    assert_eq!(v[1]["dependents"][0], "core/api");
    assert_eq!(v[1]["resolved_tasks"]["test"], "echo store tests ok");
    assert_eq!(v[2]["resolved_tasks"]["test"], "npm test", "kind default");

    let text = stdout(&portfolio(dir.path(), &["catalog", "list"]));
    assert!(text.lines().next().unwrap().starts_with("project"));
    assert!(text.contains("core/store  active"), "{text}");

    let show = portfolio(dir.path(), &["catalog", "show", "core/api"]);
    assert!(
        stdout(&show).contains("depends on core/store"),
        "{}",
        stdout(&show)
    );

    let unknown = portfolio(dir.path(), &["catalog", "show", "core/apj"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert_eq!(
        stderr(&unknown).trim(),
        "error: unknown project `core/apj` (did you mean `core/api`?)"
    );
}

#[test]
fn graph_renders_every_format() {
    let dir = fixture("valid");
    let mermaid = stdout(&portfolio(dir.path(), &["graph", "--format", "mermaid"]));
    assert_eq!(
        mermaid,
        "graph LR\n  core_store[\"core/store\"]\n  core_api[\"core/api\"]\n  web_ui[\"web/ui\"]\n  core_api --> core_store\n  web_ui --> core_api\n"
    );
    let text = stdout(&portfolio(dir.path(), &["graph"]));
    assert_eq!(
        text,
        "core/store [active]\ncore/api [experimental] -> core/store\nweb/ui [planned] -> core/api\n"
    );
    let dot = stdout(&portfolio(dir.path(), &["graph", "--format", "dot"]));
    assert!(dot.starts_with("digraph portfolio {") && dot.contains("\"web/ui\" -> \"core/api\";"));
    let json: serde_json::Value =
        serde_json::from_slice(&portfolio(dir.path(), &["graph", "--format", "json"]).stdout)
            .unwrap();
    assert_eq!(
        json["order"],
        serde_json::json!(["core/store", "core/api", "web/ui"])
    );

    let cyclic = fixture("cycle");
    let out = portfolio(cyclic.path(), &["graph", "--format", "mermaid"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("dependency cycle: a/x -> a/y -> a/z -> a/x"));
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn affected_follows_dependents_and_explains_why() {
    let dir = fixture("valid");
    git(dir.path(), &["init", "-q", "-b", "work"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-qm", "base"]);

    let none = portfolio(dir.path(), &["affected", "--since", "HEAD", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&none.stdout).unwrap();
    assert_eq!(v["projects"], serde_json::json!([]));

    fs::write(dir.path().join("projects/core/store/new.txt"), "x").unwrap();
    fs::create_dir_all(dir.path().join("crates/shared")).unwrap();
    fs::write(dir.path().join("crates/shared/lib.rs"), "").unwrap();
    fs::write(dir.path().join("NOTES.md"), "notes").unwrap();
    let out = portfolio(dir.path(), &["affected", "--since", "HEAD", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["projects"],
        serde_json::json!([
            {"id": "core/api", "reason": "depends on core/store"},
            {"id": "core/store", "reason": "changed: projects/core/store/new.txt"},
            {"id": "web/ui", "reason": "depends on core/api"},
        ])
    );
    // No Rust project here, so a shared crate affects nothing; other files belong to no project.
    assert_eq!(v["unowned"], serde_json::json!(["NOTES.md"]));
    assert_eq!(v["changed_files"], 3);

    let bad = portfolio(dir.path(), &["affected", "--since", "no-such-rev"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("`no-such-rev` is not a revision"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn test_runs_built_projects_in_order_and_writes_junit() {
    let dir = fixture("valid");
    let out = portfolio(dir.path(), &["test", "-j", "2"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let table = stdout(&out);
    let rows: Vec<&str> = table.lines().collect();
    assert!(rows[0].starts_with("project"));
    assert!(
        rows[1].starts_with("core/store") && rows[1].contains("passed"),
        "{table}"
    );
    assert!(
        rows[2].starts_with("core/api") && rows[2].contains("passed"),
        "{table}"
    );
    assert_eq!(rows.len(), 3, "planned web/ui is not run: {table}");
    let log = fs::read_to_string(
        dir.path()
            .join("target/portfolio/logs/test/core__store.log"),
    )
    .unwrap();
    assert_eq!(log, "store tests ok\n");
    let junit = fs::read_to_string(dir.path().join("target/portfolio/reports/test.xml")).unwrap();
    assert!(
        junit.contains("tests=\"2\"") && junit.contains("failures=\"0\""),
        "{junit}"
    );
}

#[test]
fn a_failing_task_fails_the_run_and_skips_its_dependents() {
    let dir = fixture("valid");
    let manifest = dir.path().join("projects/core/store/project.toml");
    let text = fs::read_to_string(&manifest)
        .unwrap()
        .replace("echo store tests ok", "echo boom; exit 3");
    fs::write(&manifest, text).unwrap();
    let out = portfolio(dir.path(), &["test", "--keep-going", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["project"], "core/store");
    assert_eq!(v[0]["result"], "failed");
    assert_eq!(v[1]["result"], "skipped");
    assert_eq!(v[1]["reason"], "dependency core/store did not pass");
    let junit = fs::read_to_string(dir.path().join("target/portfolio/reports/test.xml")).unwrap();
    assert!(
        junit.contains("failures=\"1\"") && junit.contains("boom"),
        "{junit}"
    );
}

#[test]
fn selecting_projects_by_id_and_by_affected() {
    let dir = fixture("valid");
    let out = portfolio(dir.path(), &["lint", "--project", "core/store", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["result"], "passed");

    let unknown = portfolio(dir.path(), &["lint", "--project", "core/stor"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("unknown project `core/stor` (did you mean `core/store`?)"));

    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-qm", "base"]);
    fs::write(dir.path().join("projects/core/api/x.txt"), "x").unwrap();
    let out = portfolio(
        dir.path(),
        &["test", "--affected", "--since", "HEAD", "--json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["project"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["core/api"]);
}

#[test]
fn a_task_command_that_does_not_exist_stops_before_anything_runs() {
    let dir = fixture("missing-program");
    let before = files(dir.path());
    let out = portfolio(dir.path(), &["test"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "projects/a/x/project.toml:12: task `test` runs `no-such-test-runner-xyz`, which is not installed or not on PATH\n\
         error: 1 task command(s) cannot run; nothing was started\n"
    );
    assert_eq!(files(dir.path()), before, "nothing may be written");
    // Other tasks of the same project are unaffected.
    assert!(portfolio(dir.path(), &["lint"]).status.success());
}

#[test]
fn bootstrap_writes_the_example_environment_and_check_detects_staleness() {
    let dir = fixture("valid");
    let check = portfolio(dir.path(), &["bootstrap", "--check", "--json"]);
    assert!(!dir.path().join("env").exists(), "--check writes nothing");
    let v: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(v["env_example_stale"], true);
    assert_eq!(check.status.code(), Some(1));
    let cargo = v["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tool"] == "cargo")
        .unwrap();
    assert_eq!(cargo["status"], "ok");
    assert_eq!(cargo["needed_by"][0], "platform");

    let out = portfolio(dir.path(), &["bootstrap"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let example = fs::read_to_string(dir.path().join("env/local.example")).unwrap();
    assert!(example.contains("# core/store (active): Keeps the records\n# Where the store listens\nSTORE_ADDR=127.0.0.1:18100\nSTORE_KEY=  # secret\n"), "{example}");
    assert!(stdout(&out).lines().next().unwrap().starts_with("tool"));
    assert!(
        portfolio(dir.path(), &["bootstrap", "--check"])
            .status
            .success()
    );
}

#[test]
fn up_with_nothing_runnable_says_so_and_succeeds() {
    let dir = fixture("valid");
    let out = portfolio(dir.path(), &["up"]);
    assert!(out.status.success());
    assert!(
        stderr(&out).starts_with("nothing to run"),
        "{}",
        stderr(&out)
    );
    let planned = portfolio(dir.path(), &["up", "web/ui"]);
    assert_eq!(planned.status.code(), Some(2));
    assert!(stderr(&planned).contains("web/ui is planned"));
}

/// The `served` fixture with a free port filled in.
fn served() -> (tempfile::TempDir, u16) {
    let dir = fixture("served");
    let port = free_port();
    let manifest = dir.path().join("projects/svc/web/project.toml");
    let text = fs::read_to_string(&manifest).unwrap();
    fs::write(&manifest, text.replace("__PORT__", &port.to_string())).unwrap();
    (dir, port)
}

fn status(root: &Path) -> serde_json::Value {
    serde_json::from_slice(&portfolio(root, &["status", "--json"]).stdout).unwrap()
}

/// Processes whose process group is `pgid` (from /proc).
fn group_members(pgid: u64) -> Vec<u64> {
    fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok())
        .filter(|pid| {
            fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| {
                    s.rsplit(')')
                        .next()
                        .and_then(|r| r.split_whitespace().nth(2))
                        .and_then(|g| g.parse::<u64>().ok())
                })
                == Some(pgid)
        })
        .collect()
}

#[test]
fn up_supervises_restarts_and_down_leaves_no_process_behind() {
    let (dir, port) = served();
    let url = format!("http://127.0.0.1:{port}/");

    let up = portfolio(dir.path(), &["up", "--detach"]);
    assert!(up.status.success(), "{}", stderr(&up));
    assert!(
        portfolio::supervisor::probe(&url, Duration::from_secs(1)),
        "web serves after up"
    );

    let s = status(dir.path());
    assert_eq!(s["running"], true);
    let ids: Vec<&str> = s["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["svc/db", "svc/web"], "dependency first");
    let supervisor_pid = s["supervisor_pid"].as_u64().unwrap();
    let db_pid = s["services"][0]["pid"].as_u64().unwrap();
    let web_pid = s["services"][1]["pid"].as_u64().unwrap();
    assert!(
        s["services"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["healthy"] == true),
        "{s}"
    );
    assert!(
        group_members(db_pid).len() >= 2,
        "db runs a shell and its sleep child"
    );

    let again = portfolio(dir.path(), &["up"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("already up"));

    // A crash is noticed and the service restarted.
    Command::new("kill")
        .args(["-9", &web_pid.to_string()])
        .status()
        .unwrap();
    testkit::wait_until("restart after kill -9", Duration::from_secs(20), || {
        let s = status(dir.path());
        s["services"][1]["restarts"] == 1 && s["services"][1]["healthy"] == true
    });
    let new_pid = status(dir.path())["services"][1]["pid"].as_u64().unwrap();
    assert_ne!(new_pid, web_pid);
    assert!(portfolio::supervisor::probe(&url, Duration::from_secs(1)));
    let log = portfolio(dir.path(), &["logs", "svc/web"]);
    assert!(stdout(&log).contains("(attempt 2)"), "{}", stdout(&log));

    let down = portfolio(dir.path(), &["down"]);
    assert!(down.status.success(), "{}", stderr(&down));
    assert_eq!(
        stderr(&down).trim(),
        "stopped 2 service(s): svc/db, svc/web"
    );
    assert!(
        !portfolio::supervisor::is_alive(supervisor_pid as u32),
        "supervisor gone"
    );
    for pgid in [db_pid, new_pid] {
        assert_eq!(
            group_members(pgid),
            Vec::<u64>::new(),
            "no orphan in group {pgid}"
        );
    }
    assert!(
        !portfolio::supervisor::probe(&url, Duration::from_millis(300)),
        "port closed"
    );
    assert!(!dir.path().join(".portfolio/run/state.json").exists());
    assert_eq!(status(dir.path())["running"], false);
    assert_eq!(
        stderr(&portfolio(dir.path(), &["down"])).trim(),
        "nothing is running"
    );
}

#[test]
fn up_in_the_foreground_stops_everything_on_ctrl_c() {
    let (dir, port) = served();
    let mut child = Command::new(env!("CARGO_BIN_EXE_portfolio"))
        .arg("--root")
        .arg(dir.path())
        .arg("up")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/");
    testkit::wait_until("services ready", Duration::from_secs(20), || {
        status(dir.path())["phase"] == "running"
    });
    let pids: Vec<u64> = status(dir.path())["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["pid"].as_u64().unwrap())
        .collect();
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let exit = child.wait().unwrap();
    let mut log = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut log).unwrap();
    assert!(exit.success(), "{exit}: {log}");
    assert!(
        log.contains("all 2 service(s) ready") && log.contains("stopping svc/web\nstopping svc/db"),
        "reverse order: {log}"
    );
    for pgid in pids {
        assert_eq!(
            group_members(pgid),
            Vec::<u64>::new(),
            "no orphan in group {pgid}"
        );
    }
    assert!(!portfolio::supervisor::probe(
        &url,
        Duration::from_millis(300)
    ));
    assert!(!dir.path().join(".portfolio/run/state.json").exists());
}

#[test]
fn a_service_that_cannot_start_fails_up_with_its_log() {
    let dir = fixture("served");
    let manifest = dir.path().join("projects/svc/web/project.toml");
    let text = fs::read_to_string(&manifest).unwrap().replace(
        "exec python3 -m http.server __PORT__ --bind 127.0.0.1",
        "echo cannot open the database >&2; exit 3",
    );
    fs::write(
        &manifest,
        text.replace("__PORT__", &free_port().to_string()),
    )
    .unwrap();
    let out = portfolio(dir.path(), &["up", "--detach"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(
            "svc/web did not become ready: it exited (exit status: 3) before it was ready"
        ),
        "{err}"
    );
    assert!(
        err.contains("cannot open the database"),
        "log tail shown: {err}"
    );
    // The dependency that did start was stopped again.
    testkit::wait_until("supervisor gone", Duration::from_secs(10), || {
        !dir.path().join(".portfolio/run/state.json").exists()
    });
    assert_eq!(status(dir.path())["running"], false);
}

#[test]
fn decommission_refuses_with_dependents_then_retires_in_reviewable_steps() {
    let dir = fixture("valid");
    let root = dir.path();
    let both = |o: &Output| format!("{}{}", stdout(o), String::from_utf8_lossy(&o.stderr));
    // core/store has a dependent (core/api), and core/api has one (web/ui, planned).
    let out = portfolio(
        root,
        &["decommission", "core/store", "--reason", "replaced"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert!(
        both(&out).contains("while other projects depend on it: core/api"),
        "{}",
        both(&out)
    );
    let before = files(root);
    let out = portfolio(root, &["decommission", "core/api", "--reason", "replaced"]);
    assert!(
        both(&out).contains("depend on it: web/ui"),
        "{}",
        both(&out)
    );
    assert_eq!(files(root), before, "a refusal writes nothing");

    // A planned project goes in one step.
    let out = portfolio(
        root,
        &[
            "decommission",
            "web/ui",
            "--reason",
            "the CLI replaces the UI",
        ],
    );
    assert!(out.status.success(), "{}", both(&out));
    let manifest = fs::read_to_string(root.join("projects/web/ui/project.toml")).unwrap();
    assert!(
        manifest.contains("lifecycle = \"decommissioned\""),
        "{manifest}"
    );
    assert!(
        manifest.contains("reason = \"the CLI replaces the UI\""),
        "{manifest}"
    );
    let adr = fs::read_to_string(root.join("projects/web/ui/adr/0001-decommission.md")).unwrap();
    assert!(
        adr.contains("- Status: accepted") && adr.contains("the CLI replaces the UI"),
        "{adr}"
    );
    // Then core/api (experimental, no dependents left that are not decommissioned).
    let out = portfolio(
        root,
        &["decommission", "core/api", "--reason", "merged into store"],
    );
    assert!(out.status.success(), "{}", both(&out));
    assert!(
        root.join("projects/core/api/adr/0002-decommission.md")
            .is_file()
    );

    // An active project: deprecated first (ADR proposed), valid, then finished.
    let out = portfolio(
        root,
        &[
            "decommission",
            "core/store",
            "--reason",
            "moved to S3",
            "--dry-run",
        ],
    );
    assert!(
        both(&out).contains("dry run: core/store: active → deprecated"),
        "{}",
        both(&out)
    );
    assert!(
        !root
            .join("projects/core/store/adr/0002-decommission.md")
            .exists()
    );
    let out = portfolio(
        root,
        &["decommission", "core/store", "--reason", "moved to S3"],
    );
    assert!(
        both(&out).contains("next: review and merge"),
        "{}",
        both(&out)
    );
    let adr_path = root.join("projects/core/store/adr/0002-decommission.md");
    assert!(
        fs::read_to_string(&adr_path)
            .unwrap()
            .contains("- Status: proposed")
    );
    let out = portfolio(root, &["validate"]);
    assert!(out.status.success(), "deprecated is valid: {}", both(&out));
    let list = stdout(&portfolio(root, &["catalog", "list"]));
    assert!(list.contains("deprecated (requested"), "{list}");

    // Its secret rules go with it; others stay.
    let key = secrets::Identity::generate().to_public().to_string();
    fs::write(
        root.join(".portfolio-secrets.toml"),
        format!("[[rule]]\npath = \"secrets/*/core__store.env\"\nrecipients = [\"{key}\"]\n\n[[rule]]\npath = \"secrets/**\"\nrecipients = [\"{key}\"]\n"),
    )
    .unwrap();
    let out = portfolio(
        root,
        &[
            "decommission",
            "core/store",
            "--reason",
            "ignored: the first reason stays",
        ],
    );
    assert!(out.status.success(), "{}", both(&out));
    assert!(
        both(&out).contains(".portfolio-secrets.toml: removed 1 rule(s)"),
        "{}",
        both(&out)
    );
    let rules = fs::read_to_string(root.join(".portfolio-secrets.toml")).unwrap();
    assert!(
        !rules.contains("core__store") && rules.contains("secrets/**"),
        "{rules}"
    );
    assert!(
        fs::read_to_string(&adr_path)
            .unwrap()
            .contains("- Status: accepted")
    );
    let manifest = fs::read_to_string(root.join("projects/core/store/project.toml")).unwrap();
    assert!(
        manifest.contains("reason = \"moved to S3\"") && manifest.contains("date = \""),
        "{manifest}"
    );
    assert_eq!(manifest.matches("[decommission]").count(), 1, "{manifest}");
    let out = portfolio(root, &["validate"]);
    assert!(out.status.success(), "{}", both(&out));
    let list = stdout(&portfolio(root, &["catalog", "list", "--markdown"]));
    assert!(list.contains("| decommissioned (20"), "{list}");
    assert!(list.contains("adr/0002-decommission.md"), "{list}");
    // Nothing runs it any more, and a second attempt says so.
    let out = portfolio(root, &["test"]);
    assert!(
        !stdout(&out).contains("core/store  test  passed"),
        "{}",
        both(&out)
    );
    let out = portfolio(root, &["decommission", "core/store", "--reason", "x"]);
    assert!(
        both(&out).contains("already decommissioned"),
        "{}",
        both(&out)
    );
}

#[test]
fn scorecard_levels_need_every_check_of_the_level_and_below() {
    let dir = fixture("valid");
    let root = dir.path();
    let card = |now: &str| -> serde_json::Value {
        let out = Command::new(env!("CARGO_BIN_EXE_portfolio"))
            .arg("--root")
            .arg(root)
            .args(["scorecard", "--json"])
            .env_remove("PORTFOLIO_ROOT")
            .env("PORTFOLIO_NOW", now)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        all.as_array()
            .unwrap()
            .iter()
            .find(|c| c["project"] == "core/store")
            .unwrap()
            .clone()
    };
    let failing = |c: &serde_json::Value| -> Vec<String> {
        c["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["ok"] == false)
            .map(|k| k["check"].as_str().unwrap().to_string())
            .collect()
    };
    // A one-line README keeps it below bronze.
    let c = card("2026-11-27T10:00:00Z");
    assert_eq!(c["level"], "none", "{c}");
    assert_eq!(failing(&c), ["readme", "dr-drill", "security", "coverage"]);
    fs::write(
        root.join("projects/core/store/README.md"),
        "# store\n\nStatus: active.\n\nKeeps the records in files.\n\nTest: portfolio test.\n",
    )
    .unwrap();
    // Runbook exercised a week ago: silver.
    assert_eq!(card("2026-11-27T10:00:00Z")["level"], "silver");
    // Four months later the runbook is stale: back to bronze, and it says why.
    let c = card("2027-03-27T10:00:00Z");
    assert_eq!(c["level"], "bronze", "{c}");
    let stale = c["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["check"] == "runbook-fresh")
        .unwrap();
    assert_eq!(stale["detail"], "last exercised 2026-11-20 (127 days ago)");
    // Planned projects are not rated.
    let out = portfolio(root, &["scorecard"]);
    assert!(
        stdout(&out).contains("| web/ui | planned | team-web | not rated |"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn runbook_check_finds_stale_runbooks_and_broken_alert_links() {
    let dir = fixture("valid");
    let root = dir.path();
    let run = |now: &str, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_portfolio"))
            .arg("--root")
            .arg(root)
            .args(args)
            .env_remove("PORTFOLIO_ROOT")
            .env("PORTFOLIO_NOW", now)
            .output()
            .unwrap()
    };
    // Fresh, no rules yet: passes, and says that alerts were not cross-checked.
    let out = run("2026-11-27T10:00:00Z", &["runbook", "check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("no alert rules"), "{}", stderr(&out));
    let json = run("2026-11-27T10:00:00Z", &["runbook", "check", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        json["runbooks"][0]["alerts"],
        serde_json::json!(["STORE-001"])
    );
    // Four months on: stale.
    let out = run("2027-03-27T10:00:00Z", &["runbook", "check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("projects/core/store/ops/runbook.md:3: not exercised for 127 days"),
        "{}",
        stdout(&out)
    );
    // Rules: one matches, one has no runbook, one links to a runbook that does not cite it.
    fs::write(
        root.join("projects/core/store/ops/store.rules.yml"),
        "groups:\n  - name: store\n    rules:\n      - alert: STORE-001\n        expr: up == 0\n        annotations:\n          runbook_url: projects/core/store/ops/runbook.md#dashboards-and-alert-ids\n      - alert: STORE-SLOW\n        expr: latency > 1\n      - alert: STORE-FULL\n        expr: disk > 0.9\n        annotations:\n          runbook_url: projects/core/store/ops/runbook.md\n",
    )
    .unwrap();
    let out = run("2026-11-27T10:00:00Z", &["runbook", "check"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("store.rules.yml:8: alert `STORE-SLOW` has no runbook_url"),
        "{text}"
    );
    assert!(text.contains("store.rules.yml:10: alert `STORE-FULL` links to projects/core/store/ops/runbook.md, which does not list it"), "{text}");
    assert!(!text.contains("STORE-001"), "{text}");
    // A runbook citing an alert no rule defines.
    let rb = root.join("projects/core/store/ops/runbook.md");
    let src = fs::read_to_string(&rb).unwrap();
    fs::write(
        &rb,
        src.replace(
            "STORE-001: store down.",
            "STORE-001: store down.\n- STORE-GONE: removed.",
        ),
    )
    .unwrap();
    let text = stdout(&run("2026-11-27T10:00:00Z", &["runbook", "check"]));
    assert!(
        text.contains(
            "runbook.md:10: alert `STORE-GONE` is cited here but no alert rule defines it"
        ),
        "{text}"
    );

    // A new runbook from the template passes the structure checks; it never overwrites.
    let out = run("2026-11-27T10:00:00Z", &["runbook", "new", "core/api"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let new = fs::read_to_string(root.join("projects/core/api/ops/runbook.md")).unwrap();
    assert!(
        new.contains("Last exercised: 2026-11-27") && new.contains("- API-DOWN:"),
        "{new}"
    );
    assert!(portfolio(root, &["validate"]).status.success());
    let out = run("2026-11-27T10:00:00Z", &["runbook", "new", "core/api"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("exists; edit it instead"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn dr_matrix_is_generated_from_the_manifests_and_checked_for_drift() {
    let dir = fixture("valid");
    let root = dir.path();
    let out = portfolio(root, &["dr", "matrix"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no DR project folder"),
        "{}",
        stderr(&out)
    );
    let dr = root.join("projects/strategy/disaster-recovery-plan");
    fs::create_dir_all(&dr).unwrap();
    fs::write(
        dr.join("project.toml"),
        "id = \"strategy/disaster-recovery-plan\"\nname = \"disaster-recovery-plan\"\ndomain = \"strategy\"\nsummary = \"DR\"\nowner = \"team-sre\"\ntier = 1\nlifecycle = \"planned\"\nkind = \"docs\"\n",
    )
    .unwrap();
    fs::write(dr.join("README.md"), "# DR\n\nStatus: planned.\n").unwrap();
    assert_eq!(
        portfolio(root, &["dr", "matrix", "--check"]).status.code(),
        Some(1)
    );
    assert!(portfolio(root, &["dr", "matrix"]).status.success());
    let m = fs::read_to_string(root.join("projects/strategy/disaster-recovery-plan/MATRIX.md"))
        .unwrap();
    assert!(
        m.contains("| core/store | 1 | team-core | active | 1h | 15m | `data/store` | [recovery](runbooks/core__store.md), [deploy and rollback](../../../projects/core/store/ops/runbook.md#deploy-and-rollback)"),
        "{m}"
    );
    assert!(m.contains("| never |"), "{m}");
    // A recovery runbook per stateful project: restore with file-backup, restart, check.
    let runbook = dr.join("runbooks/core__store.md");
    let rb = fs::read_to_string(&runbook).unwrap();
    assert!(
        rb.starts_with("# Recovery: core/store")
            && rb.contains("restore ID --target /tmp/restore --include \"$PWD/data/store\"")
            && rb.contains("portfolio up --detach core/store")
            && rb.contains("portfolio dr drill --project core/store"),
        "{rb}"
    );
    fs::write(&runbook, "edited by hand\n").unwrap();
    let out = portfolio(root, &["dr", "matrix", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("runbooks/core__store.md is out of date"),
        "{}",
        stdout(&out)
    );
    fs::write(dr.join("runbooks/gone__away.md"), "a project that left\n").unwrap();
    assert!(portfolio(root, &["dr", "matrix"]).status.success());
    assert!(
        !dr.join("runbooks/gone__away.md").exists(),
        "stale runbooks are removed"
    );
    assert_eq!(fs::read_to_string(&runbook).unwrap(), rb);
    assert!(
        portfolio(root, &["dr", "matrix", "--check"])
            .status
            .success()
    );
    // A manifest change makes it stale.
    let manifest = root.join("projects/core/store/project.toml");
    let text = fs::read_to_string(&manifest)
        .unwrap()
        .replace("rto = \"1h\"", "rto = \"30m\"");
    fs::write(&manifest, text).unwrap();
    let out = portfolio(root, &["dr", "matrix", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("is out of date"), "{}", stdout(&out));
}

/// `portfolio test` on a fixture with a Cargo workspace: the Rust project's tests run in one
/// nextest run with the workspace's other crates and the extra feature set, results come back
/// per project (and per crate folder), each listed test runs once, and a failure names the test
/// and skips the dependent project.
#[test]
fn rust_tests_run_once_over_the_workspace_with_results_per_project() {
    let dir = fixture("rust-workspace");
    let root = dir.path();
    let run = |args: &[&str], fail: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_portfolio"));
        cmd.arg("--root").arg(root).args(args);
        cmd.env_remove("PORTFOLIO_ROOT")
            .env_remove("PORTFOLIO_BIN_DIR");
        if fail {
            cmd.env("FIXTURE_FAIL", "1");
        } else {
            cmd.env_remove("FIXTURE_FAIL");
        }
        cmd.output().expect("run portfolio")
    };
    let results = |out: &Output| -> Vec<serde_json::Value> {
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
    };
    let find = |rs: &[serde_json::Value], project: &str| -> serde_json::Value {
        rs.iter()
            .find(|r| r["project"] == project)
            .unwrap_or_else(|| panic!("no row for {project} in {rs:?}"))
            .clone()
    };

    let out = run(&["test", "--json"], false);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rs = results(&out);
    let calc = find(&rs, "core/calc");
    assert_eq!(calc["result"], "passed");
    assert_eq!(calc["tests"]["passed"], 2, "{calc}");
    let util = find(&rs, "crates/util");
    assert_eq!(
        util["tests"]["passed"], 2,
        "plain, and extra_only from the feature run: {util}"
    );
    assert_eq!(find(&rs, "test inventory")["result"], "passed");
    let report = find(&rs, "core/report");
    assert_eq!(report["result"], "passed");
    let log = fs::read_to_string(root.join(report["log"].as_str().unwrap())).unwrap();
    assert!(
        log.contains("report sees /") && log.contains("/debug"),
        "the later task is pointed at the build's binaries: {log}"
    );
    let cargo_log = fs::read_to_string(root.join(calc["log"].as_str().unwrap())).unwrap();
    assert_eq!(
        cargo_log.matches("$ cargo nextest run").count(),
        2,
        "one workspace run and one feature-set run: {cargo_log}"
    );

    let out = run(&["test", "--json", "--keep-going"], true);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rs = results(&out);
    let calc = find(&rs, "core/calc");
    assert_eq!(calc["result"], "failed");
    assert!(
        calc["exit"]
            .as_str()
            .unwrap()
            .contains("calc tests::fails_on_request"),
        "{calc}"
    );
    assert_eq!(find(&rs, "core/report")["result"], "skipped");
    assert_eq!(
        find(&rs, "test inventory")["result"],
        "passed",
        "a failed test still ran once"
    );

    // One project: its package only, no inventory and no other crate.
    let out = run(&["test", "--json", "-p", "core/calc"], false);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rs = results(&out);
    assert_eq!(find(&rs, "core/calc")["tests"]["passed"], 2);
    assert!(
        rs.iter()
            .all(|r| r["project"] != "crates/util" && r["project"] != "test inventory"),
        "{rs:?}"
    );
}
