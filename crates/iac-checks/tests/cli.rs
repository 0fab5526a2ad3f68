//! `iac-checks` as a process: the platform's own artefacts pass, the deliberately broken copies
//! fail with the expected rules, and edge cases of each checker.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iac-checks"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

/// Rule ids reported (with --json), after asserting the exit status.
fn rules(args: &[&str], status: i32) -> Vec<String> {
    let mut all = args.to_vec();
    all.push("--json");
    let out = run(&all);
    assert_eq!(
        out.status.code(),
        Some(status),
        "{args:?}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if status == 2 {
        return Vec::new();
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

const MODULES: &[&str] = &[
    "projects/iac/secure-vpc-infra",
    "projects/iac/rds-postgresql-infra",
    "projects/iac/terraform-s3-static-site",
];

#[test]
fn the_platforms_artefacts_pass() {
    for m in MODULES {
        let mut dirs = vec![m.to_string()];
        for env in ["dev", "staging", "prod"] {
            dirs.push(format!("{m}/examples/{env}"));
        }
        let mut args = vec!["terraform"];
        args.extend(dirs.iter().map(String::as_str));
        assert!(rules(&args, 0).is_empty());
        assert!(run(&["docs", m]).status.success(), "README tables of {m}");
    }
    let golden: Vec<String> =
        std::fs::read_dir(root().join("projects/orchestration/kubernetes-helm-chart/golden"))
            .unwrap()
            .map(|e| e.unwrap().path().display().to_string())
            .collect();
    let services =
        std::fs::read_dir(root().join("projects/orchestration/kubernetes-helm-chart/services"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "yaml")
            })
            .count();
    assert!(services >= 2, "the chart's services/*.yaml");
    assert_eq!(
        golden.len(),
        3 * services,
        "one rendering per service and environment: {golden:?}"
    );
    let mut args = vec!["kubernetes"];
    args.extend(golden.iter().map(String::as_str));
    assert!(rules(&args, 0).is_empty());
    let df = "projects/devops/container-images/rust-service.Dockerfile";
    assert!(rules(&["dockerfile", df], 0).is_empty());
    let bake = "projects/devops/container-images/docker-bake.hcl";
    assert!(rules(&["bake", bake], 0).is_empty());
}

#[test]
fn broken_copies_fail_with_the_rule_that_names_the_problem() {
    let vpc = rules(
        &["terraform", "projects/iac/secure-vpc-infra/tests/broken"],
        1,
    );
    assert!(
        vpc.contains(&"TF020".into()) && vpc.contains(&"TF021".into()),
        "{vpc:?}"
    );
    let site = rules(
        &[
            "terraform",
            "projects/iac/terraform-s3-static-site/tests/broken",
        ],
        1,
    );
    for r in ["TF010", "TF011", "TF012"] {
        assert!(site.contains(&r.into()), "{r} in {site:?}");
    }
    let db = rules(
        &[
            "terraform",
            "projects/iac/rds-postgresql-infra/tests/broken",
        ],
        1,
    );
    assert_eq!(db, vec!["TF030"; 4]);
    let pod = rules(
        &[
            "kubernetes",
            "projects/orchestration/kubernetes-helm-chart/tests/broken/privileged-pod.yaml",
        ],
        1,
    );
    for r in ["K8S001", "K8S002", "K8S003", "K8S004", "K8S005", "K8S007"] {
        assert!(pod.contains(&r.into()), "{r} in {pod:?}");
    }
    let root_image = rules(
        &[
            "dockerfile",
            "projects/devops/container-images/tests/broken/root.Dockerfile",
        ],
        1,
    );
    for r in ["DF001", "DF002", "DF003", "DF004", "DF006", "DF007"] {
        assert!(root_image.contains(&r.into()), "{r} in {root_image:?}");
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn world_open_ingress_is_found_through_variables_and_the_exception_is_port_bound() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "main.tf",
        r#"
variable "admin_cidrs" {
  description = "Who may SSH"
  type        = list(string)
  default     = ["10.0.0.0/8", "0.0.0.0/0"]
}

resource "aws_vpc_security_group_ingress_rule" "ssh" {
  for_each          = toset(var.admin_cidrs)
  security_group_id = "sg-1"
  cidr_ipv4         = each.value
  from_port         = 22
  to_port           = 22
  ip_protocol       = "tcp"
  tags              = {}
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  security_group_id = "sg-1"
  cidr_ipv4         = "0.0.0.0/0"
  from_port         = 80
  to_port           = 80
  ip_protocol       = "tcp"
  tags              = {}
}

locals {
  rules = [{ egress = false, cidr = "0.0.0.0/0", from = 1024, to = 65535 }]
}
"#,
    );
    let dir = d.path().display().to_string();
    let found = rules(&["terraform", &dir], 1);
    // The variable's default reaches the rule; the allow-listed name does not help on port 80;
    // the ACL rule in locals spans 3389.
    assert_eq!(found, vec!["TF020", "TF020", "TF021"]);
}

#[test]
fn invalid_input_is_an_error_naming_the_file() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "main.tf", "resource \"aws_s3_bucket\" {\n");
    let out = run(&["terraform", &d.path().display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&f) && err.contains("not valid HCL"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    let out = run(&["terraform", &empty.path().display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no .tf files"));
}

#[test]
fn readme_tables_are_checked_and_rewritten() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "variables.tf",
        "variable \"name\" {\n  description = \"The | name\"\n  type        = string\n}\n",
    );
    write(
        d.path(),
        "outputs.tf",
        "output \"id\" {\n  description = \"The id.\"\n  value       = 1\n}\n",
    );
    let readme = write(
        d.path(),
        "README.md",
        "# m\n\n<!-- BEGIN_TF_DOCS -->\nstale\n<!-- END_TF_DOCS -->\n\nafter\n",
    );
    let dir = d.path().display().to_string();
    assert_eq!(run(&["docs", &dir]).status.code(), Some(1));
    assert!(run(&["docs", &dir, "--write"]).status.success());
    assert!(run(&["docs", &dir]).status.success());
    let text = std::fs::read_to_string(readme).unwrap();
    assert!(
        text.contains("| `name` | The \\| name | `string` | n/a | yes |"),
        "{text}"
    );
    assert!(
        text.contains("| `id` | The id. |") && text.ends_with("after\n"),
        "{text}"
    );
}

#[test]
fn dockerfile_stages_inherit_user_and_args_resolve() {
    let d = tempfile::tempdir().unwrap();
    let f = write(
        d.path(),
        "Dockerfile",
        "ARG BASE=debian:bookworm\nFROM ${BASE} AS build\nRUN make\n\
         FROM gcr.io/distroless/static@sha256:aaaa AS runtime\nUSER 65532\n\
         HEALTHCHECK NONE\nCOPY --from=build /out /app\n\
         FROM runtime AS svc\nENV API_TOKEN=x\n",
    );
    let found = rules(&["dockerfile", &f], 1);
    // build: unpinned (via the ARG); svc inherits USER and HEALTHCHECK from runtime; ENV secret.
    assert_eq!(found, vec!["DF004", "DF001"]);
}

#[test]
fn bake_needs_a_target_per_built_rust_service() {
    let d = tempfile::tempdir().unwrap();
    for (id, lifecycle) in [("backend/alpha", "active"), ("backend/beta", "planned")] {
        let name = id.split('/').nth(1).unwrap();
        write(
            d.path(),
            &format!("projects/{id}/project.toml"),
            &format!(
                "id = \"{id}\"\nname = \"{name}\"\nkind = \"rust-service\"\nlifecycle = \"{lifecycle}\"\n"
            ),
        );
    }
    write(
        d.path(),
        "Dockerfile",
        "FROM scratch AS runtime\nFROM runtime AS gamma\n",
    );
    let bake = write(
        d.path(),
        "docker-bake.hcl",
        "target \"gamma\" {\n  dockerfile = \"Dockerfile\"\n  target = \"gamma\"\n  platforms = [\"linux/amd64\"]\n  args = { PACKAGE = \"gamma\" }\n}\n\
         target \"delta\" {\n  dockerfile = \"Dockerfile\"\n  target = \"delta\"\n  platforms = [\"linux/amd64\", \"linux/arm64\"]\n  args = { PACKAGE = \"delta\" }\n}\n",
    );
    let root = d.path().display().to_string();
    let found = rules(&["bake", &bake, "--root", &root], 1);
    // gamma lacks arm64, delta's stage does not exist, alpha (active) has no target; beta is
    // planned and needs none yet.
    assert_eq!(found, vec!["BK002", "BK003", "BK004"]);
}
