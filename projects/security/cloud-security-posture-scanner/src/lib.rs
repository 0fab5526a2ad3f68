//! `posture`: a cloud security posture scanner. [`inputs`] reads Terraform, plans, Kubernetes
//! YAML and Dockerfiles into resources; [`rules`] evaluates Rego rule packs over them with
//! regorus; [`scan`] puts the two together and applies inline suppressions; [`report`] writes
//! the findings.

pub mod baseline;
pub mod inputs;
pub mod report;
pub mod rules;

use std::path::PathBuf;

use serde::Serialize;

use inputs::InputError;
use rules::{RuleSet, Severity};

/// One broken rule on one resource.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: String,
    pub title: String,
    pub severity: Severity,
    pub file: String,
    pub line: usize,
    pub resource: String,
    pub message: String,
    pub remediation: String,
    pub fix: String,
    pub references: Vec<String>,
    /// Why it is suppressed (`# posture:ignore RULE reason`), when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
}

/// What a scan found.
#[derive(Debug, Default, Serialize)]
pub struct Scan {
    pub resources: usize,
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
}

impl Scan {
    /// Findings not suppressed, at or above `min`.
    pub fn failing(&self, min: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.suppressed.is_none() && f.severity >= min)
            .count()
    }
}

/// Scans `paths` with `rules`; units are evaluated on every core.
pub fn scan(rules: &RuleSet, paths: &[PathBuf], excludes: &[String]) -> anyhow::Result<Scan> {
    let (loaded, errors) = inputs::load(paths, excludes);
    // Small units are evaluated together (each evaluation has a fixed cost per rule); resources
    // keep their unit number, which references must share.
    let mut units: Vec<inputs::Unit> = Vec::new();
    for (n, u) in loaded.into_iter().enumerate() {
        let start_new = units
            .last()
            .is_none_or(|b| b.resources.len() + u.resources.len() > 400);
        if start_new {
            units.push(inputs::Unit::default());
        }
        let batch = units.last_mut().expect("a batch");
        for mut r in u.resources {
            r.id = batch.resources.len();
            r.unit = n;
            batch.resources.push(r);
        }
    }
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(units.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    type Out = (Vec<Finding>, Vec<InputError>);
    let results: Vec<anyhow::Result<Out>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    let mut errs = Vec::new();
                    let mut engine = rules.engine();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(unit) = units.get(i) else { break };
                        let (hits, failed) = rules.evaluate_with(&mut engine, unit)?;
                        for message in failed {
                            errs.push(InputError {
                                file: unit
                                    .resources
                                    .first()
                                    .map(|r| r.file.clone())
                                    .unwrap_or_default(),
                                line: 0,
                                message,
                            });
                        }
                        for h in hits {
                            let rule = &rules.rules[h.rule];
                            let Some(r) = unit.resources.get(h.resource) else {
                                continue;
                            };
                            let suppressed =
                                r.ignores
                                    .iter()
                                    .find(|(id, _)| id == &rule.id)
                                    .map(|(_, why)| {
                                        if why.is_empty() {
                                            "(no reason given)".to_string()
                                        } else {
                                            why.clone()
                                        }
                                    });
                            out.push(Finding {
                                rule: rule.id.clone(),
                                title: rule.title.clone(),
                                severity: rule.severity,
                                file: r.file.clone(),
                                line: r.line,
                                resource: r.address.clone(),
                                message: h.message,
                                remediation: rule.remediation.clone(),
                                fix: rule.fix.clone(),
                                references: rule.references.clone(),
                                suppressed,
                            });
                        }
                    }
                    Ok((out, errs))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a scan thread panicked")))
            })
            .collect()
    });
    let mut findings = Vec::new();
    let mut errors = errors;
    for r in results {
        let (f, e) = r?;
        findings.extend(f);
        errors.extend(e);
    }
    findings.sort_by(|a, b| {
        (b.severity, &a.file, a.line, &a.rule).cmp(&(a.severity, &b.file, b.line, &b.rule))
    });
    Ok(Scan {
        resources: units.iter().map(|u| u.resources.len()).sum(),
        findings,
        errors,
    })
}
