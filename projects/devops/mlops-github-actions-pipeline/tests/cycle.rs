//! The life cycle through the CLI, on a lake the ETL builds from generated events: the
//! contract, reproducible training, the gates, the registry, approvals, rollback, drift.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

/// A lake with `gold/task_features` (≈14,500 tasks over 120 days), built once per run.
fn lake() -> &'static str {
    static LAKE: OnceLock<(tempfile::TempDir, String)> = OnceLock::new();
    &LAKE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().join("lake").display().to_string();
            let etl = testkit::workspace_binary("etl-job", "etl-job");
            let generated = Command::new(&etl)
                .args([
                    "gen-bronze",
                    "--lake",
                    &root,
                    "--projects",
                    "8",
                    "--days",
                    "120",
                ])
                .args(["--events", "40000", "--seed", "7", "--end", "2026-12-01"])
                .output()
                .unwrap();
            check(&generated, 0, "gen-bronze");
            let run = Command::new(&etl)
                .args(["run", "--lake", &root, "--run-date", "2026-12-01"])
                .env("ETL_LINEAGE_FILE", dir.path().join("lineage.jsonl"))
                .env("ETL_REPORT_DIR", dir.path().join("reports"))
                .output()
                .unwrap();
            check(&run, 0, "etl-job run");
            (dir, root)
        })
        .1
}

fn check(out: &Output, code: i32, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}: exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A repository as the platform knows one: environments (approvers) and audit controls.
struct Repo {
    dir: tempfile::TempDir,
}

const APPROVER: &str = "release-manager@portfolio.example";
const ML_ENGINEER: &str = "ml-engineer@portfolio.example";

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let ws = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
        std::fs::create_dir_all(dir.path().join("projects")).unwrap();
        std::fs::create_dir_all(dir.path().join("environments")).unwrap();
        std::fs::create_dir_all(dir.path().join("audits")).unwrap();
        std::fs::copy(
            ws.join("environments/prod.toml"),
            dir.path().join("environments/prod.toml"),
        )
        .unwrap();
        std::fs::copy(
            ws.join("audits/controls.toml"),
            dir.path().join("audits/controls.toml"),
        )
        .unwrap();
        Repo { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `mlops` acting as `who` on this repository, the shared lake and its own registry.
    fn mlops(&self, who: &str) -> Command {
        self.mlops_on(who, &self.path().join("registry").display().to_string())
    }

    /// `mlops` on the registry `registry`.
    fn mlops_on(&self, who: &str, registry: &str) -> Command {
        self.mlops_at(who, lake(), registry)
    }

    /// `mlops` on the lake `lake` and the registry `registry`.
    fn mlops_at(&self, who: &str, lake: &str, registry: &str) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mlops"));
        cmd.current_dir(self.path())
            .env_remove("MLOPS_CONFIG")
            .env_remove("PUSHGATEWAY_URL")
            .env_remove("PORTFOLIO_ROOT")
            .env("PORTFOLIO_ACTOR", who)
            .env(
                "PORTFOLIO_BIN",
                testkit::workspace_binary("portfolio", "portfolio"),
            )
            .env("PORTFOLIO_EVIDENCE", "1")
            .args(["--lake", lake, "--repo"])
            .arg(self.path())
            .args(["--registry", registry]);
        cmd
    }

    fn run(&self, who: &str, args: &[&str], code: i32) -> Output {
        let out = self.mlops(who).args(args).output().unwrap();
        check(&out, code, &format!("mlops {}", args.join(" ")));
        out
    }

    fn json(&self, who: &str, args: &[&str], code: i32) -> Value {
        let out = self.run(who, args, code);
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "mlops {}: not JSON ({e}): {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    fn config(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// train → evaluate → register; the version registered.
    fn cycle(&self, run: &str, extra: &[&str], evaluate_code: i32) -> u64 {
        let mut train = vec!["train", "--out", run];
        train.extend_from_slice(extra);
        self.run(ML_ENGINEER, &train, 0);
        // Global options go before the command; `extra` holds only --config.
        let mut args: Vec<&str> = extra.to_vec();
        args.extend(["evaluate", "--run", run, "--json"]);
        let e = self.json(ML_ENGINEER, &args, evaluate_code);
        assert_eq!(e["passed"], evaluate_code == 0, "{e}");
        let card = self.json(ML_ENGINEER, &["register", "--run", run, "--json"], 0);
        card["version"].as_u64().unwrap()
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_contract_holds_on_the_etl_output() {
    let repo = Repo::new();
    let r = repo.json(ML_ENGINEER, &["validate", "--json", "--out", "reports"], 0);
    assert_eq!(r["passed"], true, "{r}");
    assert!(r["settled_rows"].as_u64().unwrap() > 10_000, "{r}");
    let rate = r["positive_rate"].as_f64().unwrap();
    assert!(rate > 0.02 && rate < 0.5, "{rate}");
    let md = std::fs::read_to_string(repo.path().join("reports/validation.md")).unwrap();
    assert!(md.contains("**passed**"), "{md}");
}

#[test]
fn validate_fails_on_a_planted_bad_column() {
    let repo = Repo::new();
    let csv = repo.path().join("features.csv");
    repo.run(ML_ENGINEER, &["export", "--out", csv.to_str().unwrap()], 0);
    // The export reads back as a source that passes.
    repo.run(
        ML_ENGINEER,
        &["validate", "--csv", csv.to_str().unwrap()],
        0,
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (priority, labels) = (col("priority"), col("label_count"));

    let plant = |name: &str, edit: &dyn Fn(&mut Vec<String>)| -> Value {
        let mut copy = lines.clone();
        edit(&mut copy);
        let path = repo.path().join(name);
        std::fs::write(&path, copy.join("\n") + "\n").unwrap();
        repo.json(
            ML_ENGINEER,
            &["validate", "--json", "--csv", path.to_str().unwrap()],
            1,
        )
    };
    let failed = |r: &Value, kind: &str, subject: &str| -> String {
        let c = r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == kind && c["subject"] == subject && c["passed"] == false)
            .unwrap_or_else(|| panic!("no failed {kind} check on {subject}: {r}"));
        c["detail"].as_str().unwrap().to_string()
    };
    let set = |row: &mut String, c: usize, v: &str| {
        let mut cells: Vec<String> = row.split(',').map(str::to_string).collect();
        cells[c] = v.to_string();
        *row = cells.join(",");
    };

    let r = plant("priority.csv", &|l| set(&mut l[5], priority, "critical"));
    assert!(
        failed(&r, "ranges", "priority").contains("row 5: \"critical\""),
        "{r}"
    );

    let r = plant("types.csv", &|l| set(&mut l[3], labels, "three"));
    assert!(failed(&r, "types", "label_count").contains("row 3"), "{r}");

    let r = plant("leak.csv", &|l| {
        // A copy of the label under another name: a new column, refused by the schema.
        for (i, row) in l.iter_mut().enumerate() {
            let cell = if i == 0 {
                "was_late".to_string()
            } else {
                row.rsplit(',').next().unwrap().to_string()
            };
            row.push(',');
            row.push_str(&cell);
        }
    });
    assert!(
        failed(&r, "schema", "was_late").contains("not in the contract"),
        "{r}"
    );
    let r = plant("few.csv", &|l| l.truncate(200));
    assert!(failed(&r, "rows", "table").contains("at least 1000"), "{r}");
}

#[test]
fn training_is_reproducible_and_gates_and_approvals_decide_promotion() {
    let repo = Repo::new();
    // Same seed, same data: byte-identical artefacts.
    repo.run(ML_ENGINEER, &["train", "--out", "run-a"], 0);
    repo.run(ML_ENGINEER, &["train", "--out", "run-b"], 0);
    for f in ["model.json", "model-meta.json", "test-set.csv"] {
        assert_eq!(
            std::fs::read(repo.path().join("run-a").join(f)).unwrap(),
            std::fs::read(repo.path().join("run-b").join(f)).unwrap(),
            "{f} differs between two trainings with one seed"
        );
    }

    let v1 = repo.cycle("run-a", &[], 0);
    assert_eq!(v1, 1);
    repo.run(ML_ENGINEER, &["verify", "--version", "1"], 0);
    repo.run(
        ML_ENGINEER,
        &["promote", "--version", "1", "--to", "staging"],
        0,
    );

    // Production: not without an approval, not by the registrant, not by a stranger.
    let out = repo.run(
        ML_ENGINEER,
        &["promote", "--version", "1", "--to", "production"],
        1,
    );
    assert!(
        stderr(&out).contains("0 of the 1 approval"),
        "{}",
        stderr(&out)
    );
    let out = repo.run(ML_ENGINEER, &["approve", "--version", "1"], 1);
    assert!(
        stderr(&out).contains("self-approval refused"),
        "{}",
        stderr(&out)
    );
    let out = repo.run(
        "someone@portfolio.example",
        &["approve", "--version", "1"],
        1,
    );
    assert!(stderr(&out).contains("may not approve"), "{}", stderr(&out));
    repo.run(APPROVER, &["approve", "--version", "1"], 0);
    let p = repo.json(
        ML_ENGINEER,
        &["promote", "--version", "1", "--to", "production", "--json"],
        0,
    );
    assert_eq!(p["approvals"][0], APPROVER, "{p}");
    let evidence = p["evidence"].as_array().unwrap();
    assert!(!evidence.is_empty(), "no audit evidence: {p}");
    let record = std::fs::read_to_string(evidence[0].as_str().unwrap()).unwrap();
    assert!(record.contains("late-task"), "{record}");

    // A weaker model (one shallow tree) is refused: worse than production on the same rows.
    let weak = repo.config(
        "weak.toml",
        "[train]\niterations = 1\nmax_depth = 1\n[gates]\nmin_auc = 0.5\n",
    );
    let weak = weak.to_str().unwrap();
    let v2 = repo.cycle("run-weak", &["--config", weak], 1);
    let card = std::fs::read_to_string(
        repo.path()
            .join(format!("registry/late-task/v{v2}/evaluation.md")),
    )
    .unwrap();
    assert!(
        card.contains("| no-worse-than-production | **fail**"),
        "{card}"
    );
    let out = repo.run(
        ML_ENGINEER,
        &["promote", "--version", &v2.to_string(), "--to", "staging"],
        1,
    );
    assert!(
        stderr(&out).contains("failed its gates"),
        "{}",
        stderr(&out)
    );

    // A tampered artefact is refused too.
    let model = repo.path().join("registry/late-task/v1/model.json");
    let original = std::fs::read(&model).unwrap();
    std::fs::write(&model, [original.as_slice(), b" "].concat()).unwrap();
    let out = repo.run(ML_ENGINEER, &["verify", "--version", "1"], 2);
    assert!(
        stderr(&out).contains("changed since it was registered"),
        "{}",
        stderr(&out)
    );
    std::fs::write(&model, &original).unwrap();

    // A second good version in production, then rolled back to the first.
    let v3 = repo.cycle("run-c", &[], 0);
    repo.run(APPROVER, &["approve", "--version", &v3.to_string()], 0);
    repo.run(
        ML_ENGINEER,
        &[
            "promote",
            "--version",
            &v3.to_string(),
            "--to",
            "production",
        ],
        0,
    );
    let s = repo.json(ML_ENGINEER, &["status", "--json"], 0);
    assert_eq!(s["stages"]["production"]["version"], v3, "{s}");
    let r = repo.json(
        ML_ENGINEER,
        &["rollback", "--stage", "production", "--json"],
        0,
    );
    assert_eq!(
        (r["from"].as_u64(), r["to"].as_u64()),
        (Some(v3), Some(1)),
        "{r}"
    );
    let s = repo.json(ML_ENGINEER, &["status", "--json"], 0);
    assert_eq!(s["stages"]["production"]["version"], 1, "{s}");
    let actions: Vec<&str> = s["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "promoted",
            "refused",
            "promoted",
            "refused",
            "promoted",
            "rolled-back"
        ],
        "{s}"
    );
    // Nothing further back: a clear refusal, the stage untouched.
    let out = repo.run(ML_ENGINEER, &["rollback", "--stage", "production"], 2);
    assert!(
        stderr(&out).contains("no earlier version"),
        "{}",
        stderr(&out)
    );
    // The platform's chain holds the evidence intact.
    let verify = Command::new(testkit::workspace_binary("portfolio", "portfolio"))
        .args(["audit", "verify", "--json", "--root"])
        .arg(repo.path())
        .output()
        .unwrap();
    check(&verify, 0, "portfolio audit verify");
}

#[test]
fn drift_detects_a_planted_shift_and_not_an_unshifted_sample() {
    let repo = Repo::new();
    let v = repo.cycle("run", &[], 0);
    repo.run(
        ML_ENGINEER,
        &["promote", "--version", &v.to_string(), "--to", "staging"],
        0,
    );
    let card: Value = serde_json::from_slice(
        &std::fs::read(
            repo.path()
                .join(format!("registry/late-task/v{v}/card.json")),
        )
        .unwrap(),
    )
    .unwrap();
    let (from, to) = (
        card["training"]["train_window"][0]
            .as_str()
            .unwrap()
            .to_string(),
        card["training"]["train_window"][1]
            .as_str()
            .unwrap()
            .to_string(),
    );
    // The default comparison: the lake's last 28 days against the training window. On the
    // generated data open loads grow for good (3 tasks in 16 are never closed), so that is
    // drift, and the inputs that do not move stay stable.
    let out = repo.run(ML_ENGINEER, &["drift", "--json"], 1);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        r["current"]
            .as_str()
            .unwrap()
            .contains("created 2026-11-04 to 2026-12-01"),
        "{r}"
    );
    assert!(r["current_rows"].as_u64().unwrap() > 1000, "{r}");
    let status_of = |n: &str| {
        r["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["feature"] == n)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status_of("project_open_load"), "drift", "{r}");
    assert_eq!(status_of("has_assignee"), "stable", "{r}");
    let csv = repo.path().join("all.csv");
    repo.run(ML_ENGINEER, &["export", "--out", csv.to_str().unwrap()], 0);
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    let cols: Vec<&str> = header.split(',').collect();
    let at = |n: &str| cols.iter().position(|c| *c == n).unwrap();
    let (date, priority, desc) = (at("created_date"), at("priority"), at("description_length"));
    // A sample of the training window itself (every third task): nothing moved.
    let sample: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>())
        .filter(|c| c[date] >= from && c[date] <= to)
        .step_by(3)
        .collect();
    let write = |name: &str, rows: &[Vec<String>]| {
        let mut out = header.clone() + "\n";
        for r in rows {
            out.push_str(&r.join(","));
            out.push('\n');
        }
        let p = repo.path().join(name);
        std::fs::write(&p, out).unwrap();
        p
    };
    let same = write("same.csv", &sample);
    let r = repo.json(
        ML_ENGINEER,
        &["drift", "--json", "--current", same.to_str().unwrap()],
        0,
    );
    assert_eq!(r["status"], "stable", "{r}");
    // The same tasks, all urgent and with long descriptions: priority, description length
    // and the predictions move.
    let shifted: Vec<Vec<String>> = sample
        .iter()
        .map(|c| {
            let mut c = c.clone();
            c[priority] = "urgent".into();
            let d: f64 = c[desc].parse().unwrap_or(0.0);
            c[desc] = (d * 4.0 + 200.0).to_string();
            c
        })
        .collect();
    let shifted = write("shifted.csv", &shifted);
    let r = repo.json(
        ML_ENGINEER,
        &["drift", "--json", "--current", shifted.to_str().unwrap()],
        1,
    );
    assert_eq!(r["status"], "drift", "{r}");
    let by_name = |n: &str| {
        r["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["feature"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(by_name("priority")["status"], "drift", "{r}");
    assert_eq!(by_name("description_length")["status"], "drift", "{r}");
    assert_eq!(by_name("weekday")["status"], "stable", "{r}");

    // The figures reach a Pushgateway.
    let gw = testkit::HttpCapture::start();
    let out = repo
        .mlops(ML_ENGINEER)
        .args(["drift", "--current", shifted.to_str().unwrap()])
        .env("PUSHGATEWAY_URL", &gw.url)
        .output()
        .unwrap();
    check(&out, 1, "drift with a Pushgateway");
    let pushed = gw.expect_one();
    assert_eq!(pushed.method, "PUT");
    assert!(
        pushed
            .path
            .ends_with("/metrics/job/mlops-drift/model/late-task"),
        "{}",
        pushed.path
    );
    let body = pushed.text();
    assert!(
        body.contains("mlops_feature_psi{model=\"late-task\",feature=\"priority\"}"),
        "{body}"
    );
    assert!(
        body.contains("mlops_drift_status{model=\"late-task\"} 2"),
        "{body}"
    );
}

#[test]
fn the_registry_works_in_a_bucket() {
    let s3 = testkit::S3Server::start();
    let repo = Repo::new();
    repo.run(ML_ENGINEER, &["train", "--out", "run"], 0);
    repo.run(ML_ENGINEER, &["evaluate", "--run", "run"], 0);
    let bucket = |args: &[&str], code: i32| -> Output {
        let mut cmd = repo.mlops_on(ML_ENGINEER, "s3://models/registry");
        cmd.envs(s3.env());
        let out = cmd.args(args).output().unwrap();
        check(&out, code, &format!("mlops {} (S3)", args.join(" ")));
        out
    };
    ureq::put(&s3.url("models")).send_empty().unwrap();
    bucket(&["register", "--run", "run"], 0);
    bucket(&["register", "--run", "run"], 0);
    bucket(&["promote", "--version", "2", "--to", "staging"], 0);
    bucket(&["verify", "--version", "2"], 0);
    let out = bucket(&["status", "--json"], 0);
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["versions"].as_array().unwrap().len(), 2, "{s}");
    assert_eq!(s["stages"]["staging"]["version"], 2, "{s}");
}

#[test]
fn ensure_waits_for_data_then_keeps_a_model_in_staging() {
    let repo = Repo::new();
    let registry = repo.path().join("registry").display().to_string();
    let empty = repo.path().join("no-lake").display().to_string();
    let ensure = |lake: &str| -> Value {
        let out = repo
            .mlops_at(ML_ENGINEER, lake, &registry)
            .args(["ensure", "--json", "--run", "run"])
            .output()
            .unwrap();
        check(&out, 0, "mlops ensure");
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let r = ensure(&empty);
    assert_eq!(r["outcome"], "waiting", "{r}");
    assert!(
        r["detail"].as_str().unwrap().contains("gold/task_features"),
        "{r}"
    );
    let r = ensure(lake());
    assert_eq!(r["outcome"], "promoted", "{r}");
    assert_eq!(r["version"], 1, "{r}");
    let r = ensure(lake());
    assert_eq!(r, serde_json::json!({"outcome": "serving", "version": 1}));
    let s = repo.json(ML_ENGINEER, &["status", "--json"], 0);
    assert_eq!(s["stages"]["staging"]["version"], 1, "{s}");
    assert!(s["stages"].get("production").is_none(), "{s}");
}
