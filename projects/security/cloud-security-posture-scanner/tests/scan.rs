//! The scanner as a process and as a library: every rule against its fixtures, the platform's
//! own artefacts, the outputs, suppressions, user rule packs and bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

use posture::rules::{RuleSet, Severity, builtin_dir};

fn here() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn posture(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_posture"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn rules_of(scan: &posture::Scan) -> Vec<String> {
    scan.findings.iter().map(|f| f.rule.clone()).collect()
}

#[test]
fn every_rule_fires_on_its_failing_fixture_and_not_on_its_passing_one() {
    let rules = RuleSet::load(&[builtin_dir()]).unwrap();
    assert!(rules.rules.len() >= 31, "{} rules", rules.rules.len());
    for r in &rules.rules {
        let dir = here().join("tests/fixtures").join(&r.id);
        let pick = |prefix: &str| -> PathBuf {
            std::fs::read_dir(&dir)
                .unwrap_or_else(|_| {
                    panic!("rule {} has no fixtures in tests/fixtures/{}/", r.id, r.id)
                })
                .filter_map(|e| e.ok().map(|e| e.path()))
                .find(|p| p.file_name().unwrap().to_str().unwrap().starts_with(prefix))
                .unwrap_or_else(|| panic!("rule {} has no `{prefix}` fixture", r.id))
        };
        let fail = posture::scan(&rules, &[pick("fail")], &[]).unwrap();
        assert!(fail.errors.is_empty(), "{}: {:?}", r.id, fail.errors);
        assert!(
            rules_of(&fail).contains(&r.id),
            "{} must fire on its fail fixture: {:?}",
            r.id,
            rules_of(&fail)
        );
        let pass = posture::scan(&rules, &[pick("pass")], &[]).unwrap();
        assert!(pass.errors.is_empty(), "{}: {:?}", r.id, pass.errors);
        assert!(
            !rules_of(&pass).contains(&r.id),
            "{} must not fire on its pass fixture",
            r.id
        );
        assert!(
            !r.remediation.is_empty()
                && !r.fix.is_empty()
                && !r.references.is_empty()
                && r.description.len() > r.title.len(),
            "{}: metadata",
            r.id
        );
    }
}

/// The platform's Terraform modules (through their examples), the rendered chart and the
/// Dockerfiles: no unsuppressed finding at high or above (the broken copies kept as negative
/// tests are excluded).
#[test]
fn the_platforms_own_artefacts_have_no_high_findings() {
    let root = here().join("../../..");
    let p = |rel: &str| root.join(rel).display().to_string();
    let (code, out, err) = posture(&[
        "scan",
        &p("projects/iac"),
        &p("projects/orchestration/kubernetes-helm-chart/golden"),
        &p("projects/devops/container-images"),
        "--exclude",
        "*/tests/broken*",
        "--fail-on",
        "high",
        "--json",
    ]);
    assert_eq!(code, Some(0), "{out}{err}");
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(s["resources"].as_u64().unwrap() > 200, "{s}");
    assert_eq!(s["by_severity"]["critical"], 0);
    assert_eq!(s["by_severity"]["high"], 0);
    assert!(
        s["suppressed"].as_u64().unwrap() >= 2,
        "the documented exceptions: {s}"
    );
    assert_eq!(s["errors"], 0, "{s}");
    // Without the exclusion, the broken copies fail the gate.
    let (code, _, _) = posture(&["scan", &p("projects/iac"), "--fail-on", "high", "--json"]);
    assert_eq!(code, Some(1));
}

#[test]
fn sarif_json_and_table_outputs() {
    let f = here()
        .join("tests/fixtures/AWS-SG-001/fail")
        .display()
        .to_string();
    let (code, out, _) = posture(&["scan", &f, "--format", "sarif"]);
    assert_eq!(code, Some(0), "no --fail-on: exit 0");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert!(run["tool"]["driver"]["rules"].as_array().unwrap().len() >= 31);
    let results = run["results"].as_array().unwrap();
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "AWS-SG-001")
        .unwrap();
    assert_eq!(r["level"], "error");
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    assert!(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("main.tf")
    );
    let idx = r["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(run["tool"]["driver"]["rules"][idx]["id"], "AWS-SG-001");

    let (code, out, _) = posture(&["scan", &f, "--format", "json", "--fail-on", "critical"]);
    assert_eq!(code, Some(1));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let finding = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["rule"] == "AWS-SG-001")
        .unwrap();
    assert_eq!(finding["resource"], "aws_security_group.web");
    assert_eq!(finding["severity"], "critical");
    assert!(finding["fix"].as_str().unwrap().contains("from_port"));
    assert!(
        finding["references"][0]
            .as_str()
            .unwrap()
            .starts_with("CIS AWS")
    );
    let (_, table, _) = posture(&["scan", &f]);
    assert!(
        table.contains("CRITICAL AWS-SG-001") && table.contains("main.tf:1"),
        "{table}"
    );
}

#[test]
fn inline_suppressions_and_user_rule_packs() {
    let dir = tempfile::tempdir().unwrap();
    let tf = dir.path().join("main.tf");
    std::fs::write(
        &tf,
        "# posture:ignore AWS-KMS-001 rotation is handled by the key's owner team\nresource \"aws_kms_key\" \"main\" {\n  description = \"x\"\n}\n\nresource \"aws_kms_key\" \"other\" {\n  description = \"y\"\n}\n",
    )
    .unwrap();
    let rules = RuleSet::load(&[builtin_dir()]).unwrap();
    let scan = posture::scan(&rules, &[dir.path().to_path_buf()], &[]).unwrap();
    let kms: Vec<_> = scan
        .findings
        .iter()
        .filter(|f| f.rule == "AWS-KMS-001")
        .collect();
    assert_eq!(kms.len(), 2);
    assert_eq!(kms.iter().filter(|f| f.suppressed.is_some()).count(), 1);
    assert_eq!(
        kms.iter()
            .find(|f| f.suppressed.is_some())
            .unwrap()
            .suppressed
            .as_deref(),
        Some("rotation is handled by the key's owner team")
    );
    assert_eq!(scan.failing(Severity::Medium), 1);

    // A user's pack: a folder of rules, no rebuild.
    let pack = dir.path().join("my-rules");
    std::fs::create_dir_all(&pack).unwrap();
    std::fs::write(
        pack.join("ACME-001.rego"),
        "# id: ACME-001\n# title: KMS keys have a description starting with acme\n# severity: low\n# remediation: Name keys acme-…\n# fix: description = \"acme-…\"\n# references: ACME policy 7\npackage posture.rules.acme_001\n\nimport rego.v1\n\nimport data.posture.lib\n\nfindings contains {\"id\": k.id, \"message\": \"not an acme key\"} if {\n\tsome k in lib.of(\"aws_kms_key\")\n\tnot startswith(k.config.description, \"acme\")\n}\n",
    )
    .unwrap();
    let (code, out, err) = posture(&[
        "--rules",
        pack.to_str().unwrap(),
        "scan",
        dir.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let acme = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "ACME-001")
        .count();
    assert_eq!(acme, 2, "{out}");
    let (code, list, _) = posture(&["--rules", pack.to_str().unwrap(), "rules", "list", "--json"]);
    assert_eq!(code, Some(0));
    let l: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert!(
        l.as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "ACME-001" && r["pack"] == "my-rules")
    );
    // A broken user rule is a clear error naming its file.
    std::fs::write(pack.join("ACME-002.rego"), "# id: ACME-002\n# title: t\n# severity: urgent\n# remediation: r\npackage posture.rules.acme_002\n").unwrap();
    let (code, _, err) = posture(&["--rules", pack.to_str().unwrap(), "rules", "list"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("ACME-002.rego") && err.contains("severity `urgent`"),
        "{err}"
    );
}

/// HCL and YAML syntax errors, binary and huge files, cyclic modules: each named with its file
/// (and line), and the scan of the other files goes on. Plans are detected by content.
#[test]
fn bad_input_is_named_and_the_rest_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("broken-hcl")).unwrap();
    std::fs::write(
        d.join("broken-hcl/main.tf"),
        "resource \"aws_kms_key\" \"k\" {\n  description = \n}\n",
    )
    .unwrap();
    std::fs::create_dir_all(d.join("cycle/a")).unwrap();
    std::fs::create_dir_all(d.join("cycle/b")).unwrap();
    std::fs::write(
        d.join("cycle/a/main.tf"),
        "module \"b\" {\n  source = \"../b\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        d.join("cycle/b/main.tf"),
        "module \"a\" {\n  source = \"../a\"\n}\n\nresource \"aws_kms_key\" \"b\" {}\n",
    )
    .unwrap();
    std::fs::write(
        d.join("bad.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [x\n",
    )
    .unwrap();
    std::fs::write(d.join("blob.yaml"), [0u8, 255, 254, 0, 7]).unwrap();
    std::fs::File::create(d.join("huge.yaml"))
        .unwrap()
        .set_len(9 << 20)
        .unwrap();
    // A plan, named .txt: found by its content.
    std::fs::write(
        d.join("plan.txt"),
        r#"{"format_version":"1.2","planned_values":{"root_module":{"resources":[{"address":"aws_db_instance.x","type":"aws_db_instance","values":{"publicly_accessible":true,"storage_encrypted":true,"backup_retention_period":7}}]}}}"#,
    )
    .unwrap();
    let rules = RuleSet::load(&[builtin_dir()]).unwrap();
    let scan = posture::scan(&rules, &[d.to_path_buf()], &[]).unwrap();
    let errs: Vec<String> = scan
        .errors
        .iter()
        .map(|e| format!("{}:{} {}", e.file, e.line, e.message))
        .collect();
    let has = |needle: &str| errs.iter().any(|e| e.contains(needle));
    assert!(
        has("broken-hcl/main.tf:2 HCL syntax error")
            || has("broken-hcl/main.tf:3 HCL syntax error"),
        "{errs:#?}"
    );
    assert!(has("cyclic module reference"), "{errs:#?}");
    assert!(
        has("bad.yaml:4 YAML syntax error") || has("bad.yaml:5 YAML syntax error"),
        "{errs:#?}"
    );
    assert!(has("blob.yaml:0 binary file"), "{errs:#?}");
    assert!(has("huge.yaml:0 9437184 bytes"), "{errs:#?}");
    assert!(
        scan.findings.iter().any(|f| f.rule == "AWS-RDS-002"
            && f.resource == "aws_db_instance.x"
            && f.file.ends_with("plan.txt")),
        "the plan was scanned: {:?}",
        scan.findings
    );
    assert!(
        scan.findings
            .iter()
            .any(|f| f.rule == "AWS-KMS-001" && f.resource.ends_with("aws_kms_key.b")),
        "the cyclic module's own resources still count"
    );
}

/// Variables, locals and module arguments are resolved where static.
#[test]
fn variables_locals_and_modules_are_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("modules/db")).unwrap();
    std::fs::write(
        d.join("modules/db/main.tf"),
        "variable \"public\" {\n  type    = bool\n  default = false\n}\n\nlocals {\n  exposed = var.public\n}\n\nresource \"aws_db_instance\" \"this\" {\n  storage_encrypted       = true\n  backup_retention_period = 7\n  publicly_accessible     = local.exposed\n}\n",
    )
    .unwrap();
    std::fs::write(d.join("main.tf"), "module \"prod\" {\n  source = \"./modules/db\"\n  public = true\n}\n\nmodule \"dev\" {\n  source = \"./modules/db\"\n}\n").unwrap();
    let rules = RuleSet::load(&[builtin_dir()]).unwrap();
    let scan = posture::scan(&rules, &[d.to_path_buf()], &[]).unwrap();
    let public: Vec<&str> = scan
        .findings
        .iter()
        .filter(|f| f.rule == "AWS-RDS-002")
        .map(|f| f.resource.as_str())
        .collect();
    assert_eq!(
        public,
        ["module.prod.aws_db_instance.this"],
        "{:?}",
        scan.findings
    );
}

#[test]
fn junit_and_html_reports() {
    let dir = tempfile::tempdir().unwrap();
    let f = here()
        .join("tests/fixtures/AWS-RDS-002/fail")
        .display()
        .to_string();
    let junit = dir.path().join("posture.xml");
    let (code, out, err) = posture(&[
        "scan",
        &f,
        "--format",
        "junit",
        "--output",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.is_empty(), "the report went to the file");
    let x = std::fs::read_to_string(&junit).unwrap();
    assert!(
        x.starts_with("<?xml") && x.contains("<testsuites name=\"posture\""),
        "{x}"
    );
    assert!(x.contains("<testsuite name=\"AWS-RDS-002 RDS instances are not publicly accessible\" tests=\"1\" failures=\"1\""), "{x}");
    assert!(x.contains("<failure type=\"critical\" message=\"aws_db_instance.main is reachable from the internet\">"), "{x}");
    assert!(
        x.contains("<testcase classname=\"posture\" name=\"AWS-KMS-001\"/>"),
        "rules without findings pass: {x}"
    );
    let html = dir.path().join("posture.html");
    let (code, _, _) = posture(&["scan", &f, "--format", "html", "-o", html.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    let h = std::fs::read_to_string(&html).unwrap();
    assert!(
        h.starts_with("<!doctype html>") && h.contains("AWS-RDS-002") && !h.contains("<script"),
        "{h}"
    );
    assert!(
        h.contains("publicly_accessible = false"),
        "the fix is shown: {h}"
    );
}

#[test]
fn baselines_hide_known_findings_until_they_expire() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("main.tf"),
        "resource \"aws_kms_key\" \"a\" {\n  description = \"a\"\n}\n",
    )
    .unwrap();
    let base = d.join("baseline.yaml");
    let (code, _, err) = posture(&[
        "baseline",
        "write",
        base.to_str().unwrap(),
        d.to_str().unwrap(),
        "--owner",
        "team-cloud",
        "--reason",
        "rotation lands in Q1",
        "--expires",
        "2999-12-31",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let text = std::fs::read_to_string(&base).unwrap();
    assert!(
        text.contains("rule: AWS-KMS-001") && text.contains("owner: team-cloud"),
        "{text}"
    );
    // Known findings are suppressed; a new one shows.
    std::fs::write(
        d.join("more.tf"),
        "resource \"aws_kms_key\" \"b\" {\n  description = \"b\"\n}\n",
    )
    .unwrap();
    let (code, out, _) = posture(&[
        "scan",
        d.to_str().unwrap(),
        "--baseline",
        base.to_str().unwrap(),
        "--format",
        "json",
        "--fail-on",
        "medium",
    ]);
    assert_eq!(code, Some(1), "the new key fails the gate");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let open: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"].is_null())
        .map(|f| f["resource"].as_str().unwrap())
        .collect();
    assert_eq!(open, ["aws_kms_key.b"], "{v}");
    let supp = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["resource"] == "aws_kms_key.a")
        .unwrap();
    assert!(
        supp["suppressed"]
            .as_str()
            .unwrap()
            .contains("baseline (team-cloud, until 2999-12-31): rotation lands in Q1")
    );
    // An expired entry fails the scan and says so.
    std::fs::remove_file(d.join("more.tf")).unwrap();
    std::fs::write(&base, text.replace("2999-12-31", "2020-01-01")).unwrap();
    let (code, _, err) = posture(&[
        "scan",
        d.to_str().unwrap(),
        "--baseline",
        base.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains(
            "baseline entry for AWS-KMS-001 aws_kms_key.a (owner team-cloud) expired on 2020-01-01"
        ),
        "{err}"
    );
    // A malformed entry is refused with its place.
    std::fs::write(
        &base,
        "suppressions:\n  - rule: AWS-KMS-001\n    owner: x\n    reason: y\n    expires: soon\n",
    )
    .unwrap();
    let (code, _, err) = posture(&[
        "scan",
        d.to_str().unwrap(),
        "--baseline",
        base.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("suppression 1 (AWS-KMS-001): `expires: soon` is not a YYYY-MM-DD date"),
        "{err}"
    );
}

#[test]
fn metrics_go_to_the_pushgateway() {
    let gateway = testkit::HttpCapture::start();
    let f = here()
        .join("tests/fixtures/AWS-SG-001/fail")
        .display()
        .to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_posture"))
        .args(["scan", &f, "--json"])
        .env("PUSHGATEWAY_URL", &gateway.url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let push = gateway.expect_one();
    assert_eq!(
        (push.method.as_str(), push.path.as_str()),
        ("PUT", "/metrics/job/posture")
    );
    let body = push.text();
    assert!(
        body.contains("findings_total{severity=\"critical\"} 1")
            && body.contains("critical_findings 1"),
        "{body}"
    );
    assert!(
        body.contains("findings_total{severity=\"high\"} 1"),
        "{body}"
    );
}

/// Live posture: AWS describe output and an AWS Config snapshot, judged by the same rules.
#[test]
fn aws_exports_are_judged_by_the_same_rules() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("security-groups.json"),
        r#"{"SecurityGroups": [{"GroupId": "sg-0a1", "GroupName": "admin", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]},
                               {"GroupId": "sg-0b2", "GroupName": "web", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}]}"#,
    )
    .unwrap();
    std::fs::write(
        d.join("rds.json"),
        r#"{"DBInstances": [{"DBInstanceIdentifier": "orders", "StorageEncrypted": false, "PubliclyAccessible": true, "BackupRetentionPeriod": 7}]}"#,
    )
    .unwrap();
    std::fs::write(
        d.join("config-snapshot.json"),
        r#"{"configurationItems": [
            {"resourceType": "AWS::S3::Bucket", "resourceName": "acme-open", "configuration": {},
             "supplementaryConfiguration": {"PublicAccessBlockConfiguration": {"blockPublicAcls": true, "blockPublicPolicy": false, "ignorePublicAcls": true, "restrictPublicBuckets": true},
                                            "BucketVersioningConfiguration": {"status": "Enabled"},
                                            "ServerSideEncryptionConfiguration": {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]}}},
            {"resourceType": "AWS::KMS::Key", "resourceId": "key-1", "configuration": {"description": "k"}, "supplementaryConfiguration": {"KeyRotationStatus": false}}]}"#,
    )
    .unwrap();
    let rules = RuleSet::load(&[builtin_dir()]).unwrap();
    let scan = posture::scan(&rules, &[d.to_path_buf()], &[]).unwrap();
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    let got: std::collections::BTreeSet<(String, String)> = scan
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.resource.clone()))
        .collect();
    for want in [
        ("AWS-SG-001", "aws_security_group.sg-0a1"),
        ("AWS-RDS-001", "aws_db_instance.orders"),
        ("AWS-RDS-002", "aws_db_instance.orders"),
        ("AWS-S3-002", "aws_s3_bucket_public_access_block.acme-open"),
        ("AWS-KMS-001", "aws_kms_key.key-1"),
    ] {
        assert!(
            got.contains(&(want.0.to_string(), want.1.to_string())),
            "{want:?} in {got:?}"
        );
    }
    assert!(
        !got.iter()
            .any(|(r, res)| res == "aws_security_group.sg-0b2" && r == "AWS-SG-003"),
        "443 is allowed: {got:?}"
    );
    assert!(
        !got.iter()
            .any(|(r, _)| r == "AWS-S3-001" || r == "AWS-S3-004" || r == "AWS-S3-005"),
        "{got:?}"
    );
    let f = scan
        .findings
        .iter()
        .find(|f| f.rule == "AWS-RDS-002")
        .unwrap();
    assert!(f.file.ends_with("rds.json") && f.line == 1, "{f:?}");
}

/// Units are evaluated in batches, but references only join resources of one unit: a bucket
/// without a public access block is found even when another root module's bucket of the same
/// name has one.
#[test]
fn references_do_not_cross_units() {
    let dir = tempfile::tempdir().unwrap();
    for (name, with_block) in [("a", true), ("b", false)] {
        let d = dir.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        let mut tf =
            "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"acme-logs\"\n}\n".to_string();
        if with_block {
            tf += "\nresource \"aws_s3_bucket_public_access_block\" \"logs\" {\n  bucket                  = aws_s3_bucket.logs.id\n  block_public_acls       = true\n  block_public_policy     = true\n  ignore_public_acls      = true\n  restrict_public_buckets = true\n}\n";
        }
        std::fs::write(d.join("main.tf"), tf).unwrap();
    }
    let rules = RuleSet::load(&[builtin_dir()]).unwrap();
    let scan = posture::scan(&rules, &[dir.path().to_path_buf()], &[]).unwrap();
    let open: Vec<&str> = scan
        .findings
        .iter()
        .filter(|f| f.rule == "AWS-S3-001")
        .map(|f| f.file.as_str())
        .collect();
    assert_eq!(open.len(), 1, "{open:?}");
    assert!(open[0].ends_with("b/main.tf"), "{open:?}");
}
