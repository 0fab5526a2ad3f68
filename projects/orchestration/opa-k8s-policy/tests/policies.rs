//! Every policy against its fixtures (at least one that must be denied and one that must pass,
//! or the test fails), the rendered Helm chart against every policy in every environment, the
//! CLI (`eval`, `gatekeeper --check`, `bundle`) as a process, and bad input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use admission_policy::{Policies, default_dir, environments, params, read_manifests};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_admission-policy"))
}

#[test]
fn every_policy_has_fixtures_that_must_fire_and_must_pass() {
    let policies = Policies::load(&default_dir()).unwrap();
    let prod = params(&default_dir(), "prod").unwrap();
    let mut seen: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for dir in std::fs::read_dir(fixtures()).unwrap() {
        let dir = dir.unwrap().path();
        let policy = dir.file_name().unwrap().to_str().unwrap().to_string();
        assert!(
            policies.list.iter().any(|p| p.id == policy),
            "tests/fixtures/{policy}: no such policy"
        );
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            let name = f.file_name().unwrap().to_str().unwrap().to_string();
            for doc in read_manifests(&f).unwrap() {
                let v = policies.evaluate(&doc.object, &prod).unwrap();
                let mine: Vec<_> = v.iter().filter(|v| v.policy == policy).collect();
                let entry = seen.entry(policy.clone()).or_default();
                if name.starts_with("deny-") {
                    assert!(
                        !mine.is_empty(),
                        "{policy}/{name} must be denied by {policy}: {v:?}"
                    );
                    for m in &mine {
                        assert!(
                            m.message.starts_with(&format!("[{policy}] ")),
                            "the message names the policy: {}",
                            m.message
                        );
                    }
                    entry.0 += 1;
                } else if name.starts_with("allow-") {
                    assert!(
                        v.is_empty(),
                        "{policy}/{name} must pass every policy: {v:?}"
                    );
                    entry.1 += 1;
                } else {
                    panic!("{policy}/{name}: fixtures are named deny-* or allow-*");
                }
            }
        }
    }
    for p in &policies.list {
        let (deny, allow) = seen.get(&p.id).copied().unwrap_or_default();
        assert!(
            deny >= 1 && allow >= 1,
            "policy {} needs a deny-* and an allow-* fixture in tests/fixtures/{}/ (has {deny} and {allow})",
            p.id,
            p.id
        );
    }
}

#[test]
fn the_rendered_helm_chart_passes_every_policy_in_every_environment() {
    let policies = Policies::load(&default_dir()).unwrap();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kubernetes-helm-chart/golden");
    let envs = environments(&default_dir());
    assert_eq!(envs, ["dev", "prod", "staging"]);
    let mut objects = 0;
    for f in std::fs::read_dir(&golden).unwrap() {
        let f = f.unwrap().path();
        for env in &envs {
            let params = params(&default_dir(), env).unwrap();
            for doc in read_manifests(&f).unwrap() {
                let v = policies.evaluate(&doc.object, &params).unwrap();
                assert!(
                    v.is_empty(),
                    "{}: {} in {env}: {v:?}",
                    f.display(),
                    doc.name()
                );
                objects += 1;
            }
        }
    }
    assert!(
        objects >= 20,
        "the chart renders workloads ({objects} objects)"
    );
}

/// The four denials the issue names, through the CLI: each message names its policy.
#[test]
fn eval_denies_with_messages_naming_the_policy() {
    let f = fixtures();
    let cases = [
        (
            "pod-no-privilege-escalation/deny-privileged-pod.yaml",
            "[pod-no-privilege-escalation] Pod/privileged: container web is privileged",
        ),
        (
            "image-pinned-digest/deny-latest.yaml",
            "[image-pinned-digest] Deployment/web: container web uses the latest tag",
        ),
        (
            "ns-required-labels/deny-namespace-without-labels.yaml",
            "[ns-required-labels] Namespace/shop: missing label(s) team, cost-center, data-classification",
        ),
        (
            "container-probes/deny-pod-without-probes.yaml",
            "[container-probes] Deployment/web: container web has no livenessProbe",
        ),
    ];
    for (file, want) in cases {
        let out = bin().arg("eval").arg(f.join(file)).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{file}: {text}");
        assert!(text.contains(want), "{file}: {text}");
    }
    let ok = bin()
        .args(["eval", "--json"])
        .arg(f.join("container-probes/allow-restricted-deployment.yaml"))
        .output()
        .unwrap();
    assert!(ok.status.success());
    let v: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(
        (v["objects"].as_u64(), v["denied"].as_u64()),
        (Some(1), Some(0)),
        "{v}"
    );
    // Standard input, e.g. from `helm template`.
    let mut child = bin()
        .args(["eval", "-", "--env", "dev"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        &std::fs::read(f.join("image-pinned-digest/deny-latest.yaml")).unwrap(),
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("-:1 Deployment/web: [image-pinned-digest]")
    );
}

/// YAML errors, binary and huge files are errors naming the file (and line); the other files
/// are still evaluated.
#[test]
fn bad_input_is_named_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yaml");
    std::fs::write(
        &broken,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n",
    )
    .unwrap();
    let binary = dir.path().join("binary.yaml");
    std::fs::write(&binary, [0u8, 159, 146, 150, 255, 0, 1]).unwrap();
    let huge = dir.path().join("huge.yaml");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(17 << 20)
        .unwrap();
    let not_k8s = dir.path().join("list.yaml");
    std::fs::write(&not_k8s, "- just\n- a list\n").unwrap();
    let good = fixtures().join("image-pinned-digest/deny-latest.yaml");
    let out = bin()
        .arg("eval")
        .args([&broken, &binary, &huge, &not_k8s, &good])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains(&format!("{}:5: did not find expected", broken.display()))
            && stderr.contains("at line 4"),
        "{stderr}"
    );
    assert!(stderr.contains("binary.yaml: not a text file"), "{stderr}");
    assert!(stderr.contains("huge.yaml: 17825792 bytes"), "{stderr}");
    assert!(
        stderr.contains("list.yaml:1: not a Kubernetes object"),
        "{stderr}"
    );
    assert!(
        stdout.contains("[image-pinned-digest]"),
        "the good file was evaluated: {stdout}"
    );
    assert!(stderr.contains("4 unreadable"), "{stderr}");
    // A broken policy is an error naming its file.
    let pol = dir.path().join("policies");
    std::fs::create_dir_all(pol.join("lib")).unwrap();
    std::fs::copy(default_dir().join("lib/k8s.rego"), pol.join("lib/k8s.rego")).unwrap();
    std::fs::write(
        pol.join("bad-policy.rego"),
        "# title: broken\npackage admission.bad_policy\n\nimport rego.v1\n\nviolation contains x if {\n",
    )
    .unwrap();
    let out = bin()
        .arg("--policies")
        .arg(&pol)
        .arg("list")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad-policy.rego"), "{err}");
}

#[test]
fn gatekeeper_files_are_current_and_the_bundle_holds_every_policy() {
    let out = bin().args(["gatekeeper", "--check"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let gk = Path::new(env!("CARGO_MANIFEST_DIR")).join("gatekeeper");
    let t = std::fs::read_to_string(gk.join("templates/pod-no-host-path.yaml")).unwrap();
    assert!(
        t.contains("kind: K8sPodNoHostPath") && t.contains("package admission.pod_no_host_path"),
        "{t}"
    );
    assert!(
        t.contains("package lib.k8s"),
        "the library travels in `libs`"
    );
    let c =
        std::fs::read_to_string(gk.join("constraints/prod/image-trusted-registry.yaml")).unwrap();
    assert!(
        c.contains("enforcementAction: deny") && c.contains("ghcr.io/portfolio-platform/"),
        "{c}"
    );
    let c =
        std::fs::read_to_string(gk.join("constraints/dev/image-trusted-registry.yaml")).unwrap();
    assert!(
        c.contains("enforcementAction: warn") && c.contains("registry.dev.portfolio.internal/"),
        "{c}"
    );
    // A stale copy is found.
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["gatekeeper", "--check", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));

    let bundle = dir.path().join("policies.tar.gz");
    let out = bin()
        .args(["bundle", "--out"])
        .arg(&bundle)
        .args(["--revision", "test-1"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = Command::new("tar")
        .arg("-tzf")
        .arg(&bundle)
        .output()
        .unwrap();
    let names = String::from_utf8_lossy(&list.stdout);
    for want in [
        ".manifest",
        "lib/k8s.rego",
        "admission/pod-no-host-path.rego",
        "data.json",
    ] {
        assert!(names.lines().any(|l| l == want), "{want} in {names}");
    }
    let manifest = Command::new("tar")
        .arg("-xzOf")
        .arg(&bundle)
        .arg(".manifest")
        .output()
        .unwrap();
    let m: serde_json::Value = serde_json::from_slice(&manifest.stdout).unwrap();
    assert_eq!(m["revision"], "test-1");
}

/// The same decisions from a second, independent Rego engine: rego-cpp (PyPI `regopy`, run by
/// `tools/regopy.sh`), over every fixture and the rendered chart. Real OPA could not be used
/// here: see the README.
#[test]
fn a_second_rego_engine_gives_the_same_decisions() {
    let policies = Policies::load(&default_dir()).unwrap();
    let prod = params(&default_dir(), "prod").unwrap();
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in std::fs::read_dir(fixtures()).unwrap() {
        for f in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            files.push(f.unwrap().path());
        }
    }
    for f in std::fs::read_dir(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../kubernetes-helm-chart/golden"),
    )
    .unwrap()
    {
        files.push(f.unwrap().path());
    }
    files.sort();
    let ids: Vec<serde_json::Value> = policies
        .list
        .iter()
        .map(|p| serde_json::json!([p.id, p.package()]))
        .collect();
    let mut cases = Vec::new();
    let mut mine = Vec::new();
    for f in &files {
        for doc in read_manifests(f).unwrap() {
            let v = policies.evaluate(&doc.object, &prod).unwrap();
            let mut by: BTreeMap<String, Vec<String>> = policies
                .list
                .iter()
                .map(|p| (p.id.clone(), Vec::new()))
                .collect();
            for x in v {
                by.get_mut(&x.policy).unwrap().push(x.message);
            }
            mine.push((format!("{} {}", f.display(), doc.name()), by));
            cases.push(serde_json::json!({
                "input": {"review": {"object": doc.object}, "parameters": prod},
                "policies": ids,
            }));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases.json");
    std::fs::write(&path, serde_json::to_string(&cases).unwrap()).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash")
        .arg(root.join("tools/regopy.sh"))
        .arg(root.join("tests/crosscheck.py"))
        .arg(default_dir())
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Vec<BTreeMap<String, Vec<String>>> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(theirs.len(), mine.len());
    let mut denials = 0;
    for ((what, a), b) in mine.iter().zip(&theirs) {
        assert_eq!(a, b, "{what}: regorus (left) and rego-cpp (right) disagree");
        denials += a.values().filter(|m| !m.is_empty()).count();
    }
    assert!(
        denials >= 25,
        "the comparison covers denials too ({denials})"
    );
}
