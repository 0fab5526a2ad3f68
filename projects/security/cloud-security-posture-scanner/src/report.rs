//! Findings as a terminal table, JSON and SARIF 2.1.0.

use serde_json::json;

use crate::Scan;
use crate::rules::{RuleSet, Severity};

pub fn table(scan: &Scan) -> String {
    let mut s = String::new();
    for f in scan.findings.iter().filter(|f| f.suppressed.is_none()) {
        s += &format!(
            "{:8} {:14} {}:{}  {}\n         {}\n         fix: {}\n",
            f.severity.as_str().to_uppercase(),
            f.rule,
            f.file,
            f.line,
            f.resource,
            f.message,
            f.remediation
        );
    }
    for e in &scan.errors {
        s += &format!("ERROR    {}:{}  {}\n", e.file, e.line, e.message);
    }
    s
}

pub fn summary(scan: &Scan) -> serde_json::Value {
    let mut by = std::collections::BTreeMap::new();
    for sev in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ] {
        by.insert(
            sev.as_str(),
            scan.findings
                .iter()
                .filter(|f| f.suppressed.is_none() && f.severity == sev)
                .count(),
        );
    }
    json!({
        "resources": scan.resources,
        "findings": scan.findings.iter().filter(|f| f.suppressed.is_none()).count(),
        "suppressed": scan.findings.iter().filter(|f| f.suppressed.is_some()).count(),
        "by_severity": by,
        "errors": scan.errors.len(),
    })
}

pub fn json(scan: &Scan) -> serde_json::Value {
    json!({ "summary": summary(scan), "findings": scan.findings, "errors": scan.errors })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// SARIF 2.1.0: every rule of the set in the driver, a result per finding (suppressed ones
/// carry an in-source suppression), input errors as tool notifications.
pub fn sarif(scan: &Scan, rules: &RuleSet) -> serde_json::Value {
    let driver_rules: Vec<_> = rules
        .rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id.replace('-', ""),
                "shortDescription": { "text": r.title },
                "fullDescription": { "text": if r.description.is_empty() { &r.title } else { &r.description } },
                "help": { "text": format!("{}\n{}", r.remediation, r.fix), "markdown": format!("{}\n\n```\n{}\n```", r.remediation, r.fix) },
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": {
                    "security-severity": match r.severity { Severity::Critical => "9.5", Severity::High => "8.0", Severity::Medium => "5.5", Severity::Low => "3.0" },
                    "tags": r.references,
                },
            })
        })
        .collect();
    let results: Vec<_> = scan
        .findings
        .iter()
        .map(|f| {
            let mut r = json!({
                "ruleId": f.rule,
                "ruleIndex": rules.rules.iter().position(|x| x.id == f.rule),
                "level": level(f.severity),
                "message": { "text": format!("{}: {}", f.resource, f.message) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.file },
                        "region": { "startLine": f.line.max(1) },
                    },
                    "logicalLocations": [{ "fullyQualifiedName": f.resource }],
                }],
            });
            if let Some(why) = &f.suppressed {
                r["suppressions"] = json!([{ "kind": "inSource", "justification": why }]);
            }
            r
        })
        .collect();
    let notifications: Vec<_> = scan
        .errors
        .iter()
        .map(|e| json!({
            "level": "error",
            "message": { "text": e.message },
            "locations": [{ "physicalLocation": { "artifactLocation": { "uri": e.file }, "region": { "startLine": e.line.max(1) } } }],
        }))
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "posture",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/portfolio-platform/portfolio/tree/main/projects/security/cloud-security-posture-scanner",
                "rules": driver_rules,
            } },
            "invocations": [{ "executionSuccessful": scan.errors.is_empty(), "toolExecutionNotifications": notifications }],
            "results": results,
        }],
    })
}
