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

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// JUnit XML: a test suite per rule, a failing test case per finding (suppressed ones
/// skipped), and one passing case for a rule that found nothing, so every rule is listed.
pub fn junit(scan: &Scan, rules: &RuleSet) -> String {
    let mut suites = String::new();
    let (mut total, mut failures, mut skipped) = (0, 0, 0);
    for r in &rules.rules {
        let mine: Vec<_> = scan.findings.iter().filter(|f| f.rule == r.id).collect();
        let mut cases = String::new();
        let (mut t, mut fl, mut sk) = (0, 0, 0);
        for f in &mine {
            t += 1;
            let name = xml(&format!("{} {}", r.id, f.resource));
            let class = xml(&f.file);
            match &f.suppressed {
                Some(why) => {
                    sk += 1;
                    cases += &format!(
                        "    <testcase classname=\"{class}\" name=\"{name}\"><skipped message=\"{}\"/></testcase>\n",
                        xml(why)
                    );
                }
                None => {
                    fl += 1;
                    cases += &format!(
                        "    <testcase classname=\"{class}\" name=\"{name}\"><failure type=\"{}\" message=\"{}\">{}:{}\n{}\n\nFix: {}\n{}</failure></testcase>\n",
                        f.severity.as_str(),
                        xml(&f.message),
                        xml(&f.file),
                        f.line,
                        xml(&f.title),
                        xml(&f.remediation),
                        xml(&f.fix)
                    );
                }
            }
        }
        if mine.is_empty() {
            t += 1;
            cases += &format!(
                "    <testcase classname=\"posture\" name=\"{}\"/>\n",
                xml(&r.id)
            );
        }
        total += t;
        failures += fl;
        skipped += sk;
        suites += &format!(
            "  <testsuite name=\"{}\" tests=\"{t}\" failures=\"{fl}\" skipped=\"{sk}\" errors=\"0\">\n{cases}  </testsuite>\n",
            xml(&format!("{} {}", r.id, r.title))
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"posture\" tests=\"{total}\" failures=\"{failures}\" skipped=\"{skipped}\" errors=\"{}\">\n{suites}</testsuites>\n",
        scan.errors.len()
    )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A self-contained HTML report (no external assets; every value escaped).
pub fn html(scan: &Scan) -> String {
    let s = summary(scan);
    let mut rows = String::new();
    for f in &scan.findings {
        rows += &format!(
            "<tr class=\"{sev}{sup}\"><td><span class=\"sev\">{sev}</span></td><td>{rule}</td><td>{file}:{line}</td><td><code>{res}</code></td><td>{msg}<details><summary>Fix</summary><p>{rem}</p><pre>{fix}</pre><p class=\"refs\">{refs}</p></details>{why}</td></tr>\n",
            sev = f.severity.as_str(),
            sup = if f.suppressed.is_some() {
                " suppressed"
            } else {
                ""
            },
            rule = html_escape(&f.rule),
            file = html_escape(&f.file),
            line = f.line,
            res = html_escape(&f.resource),
            msg = html_escape(&f.message),
            rem = html_escape(&f.remediation),
            fix = html_escape(&f.fix),
            refs = html_escape(&f.references.join("; ")),
            why = f
                .suppressed
                .as_ref()
                .map(|w| format!("<p class=\"why\">Suppressed: {}</p>", html_escape(w)))
                .unwrap_or_default(),
        );
    }
    let errors: String = scan
        .errors
        .iter()
        .map(|e| {
            format!(
                "<li>{}:{} — {}</li>",
                html_escape(&e.file),
                e.line,
                html_escape(&e.message)
            )
        })
        .collect();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>posture report</title><style>\
body{{font:14px system-ui,sans-serif;margin:2rem;color:#1b1b1b}}table{{border-collapse:collapse;width:100%}}\
td,th{{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}}\
.sev{{font-weight:600;text-transform:uppercase}}.critical .sev{{color:#8b0000}}.high .sev{{color:#b34700}}\
.medium .sev{{color:#7a6000}}.low .sev{{color:#235a97}}.suppressed{{opacity:.6}}pre{{background:#f4f4f4;padding:.5rem}}\
</style></head><body>\n<h1>posture report</h1>\n<p>{res} resources; {n} findings (critical {c}, high {h}, medium {m}, low {l}); {sup} suppressed; {err} unreadable inputs.</p>\n\
<table><thead><tr><th>severity</th><th>rule</th><th>where</th><th>resource</th><th>finding</th></tr></thead><tbody>\n{rows}</tbody></table>\n{errs}</body></html>\n",
        res = s["resources"],
        n = s["findings"],
        c = s["by_severity"]["critical"],
        h = s["by_severity"]["high"],
        m = s["by_severity"]["medium"],
        l = s["by_severity"]["low"],
        sup = s["suppressed"],
        err = s["errors"],
        errs = if errors.is_empty() {
            String::new()
        } else {
            format!("<h2>Unreadable inputs</h2><ul>{errors}</ul>")
        },
    )
}

/// The Prometheus text pushed to a Pushgateway: `findings_total{severity}` and
/// `critical_findings` (unsuppressed findings).
pub fn metrics(scan: &Scan) -> String {
    let s = summary(scan);
    let mut out = String::from("# TYPE findings_total gauge\n");
    for sev in ["critical", "high", "medium", "low"] {
        out += &format!(
            "findings_total{{severity=\"{sev}\"}} {}\n",
            s["by_severity"][sev]
        );
    }
    out += &format!(
        "# TYPE critical_findings gauge\ncritical_findings {}\n",
        s["by_severity"]["critical"]
    );
    out
}
