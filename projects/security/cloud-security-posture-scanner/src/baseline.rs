//! Baseline files: findings known and accepted for a while, with an owner, a reason and an
//! expiry date.
//!
//! ```yaml
//! suppressions:
//!   - rule: AWS-S3-004
//!     resource: module.site.aws_s3_bucket.logs   # optional: every resource when absent
//!     file: projects/iac/terraform-s3-static-site/main.tf   # optional
//!     owner: team-cloud
//!     reason: access logs are write-once; versioning adds nothing
//!     expires: 2027-03-31
//! ```
//!
//! A matching finding is suppressed with `baseline (owner): reason`; an entry past its expiry
//! date suppresses nothing and fails the scan; `posture baseline write` records the current
//! findings.

use serde::{Deserialize, Serialize};

use crate::Finding;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub owner: String,
    pub reason: String,
    /// YYYY-MM-DD
    pub expires: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    #[serde(default)]
    pub suppressions: Vec<Entry>,
}

/// Today's date as YYYY-MM-DD (UTC).
pub fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && s.chars()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

impl Baseline {
    /// Reads a baseline (YAML or JSON); errors name the file and the entry.
    pub fn load(path: &std::path::Path) -> anyhow::Result<Baseline> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let b: Baseline = serde_yaml_ng::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        for (i, e) in b.suppressions.iter().enumerate() {
            anyhow::ensure!(
                valid_date(&e.expires),
                "{}: suppression {} ({}): `expires: {}` is not a YYYY-MM-DD date",
                path.display(),
                i + 1,
                e.rule,
                e.expires
            );
            anyhow::ensure!(
                !e.owner.trim().is_empty() && !e.reason.trim().is_empty(),
                "{}: suppression {} ({}) needs an owner and a reason",
                path.display(),
                i + 1,
                e.rule
            );
        }
        Ok(b)
    }

    fn matches(e: &Entry, f: &Finding) -> bool {
        e.rule == f.rule
            && e.resource.as_ref().is_none_or(|r| *r == f.resource)
            && e.file.as_ref().is_none_or(|p| f.file.ends_with(p.as_str()))
    }

    /// Suppresses the findings the live entries match; returns the expired entries.
    pub fn apply(&self, findings: &mut [Finding], today: &str) -> Vec<Entry> {
        let mut expired = Vec::new();
        for e in &self.suppressions {
            if e.expires.as_str() < today {
                expired.push(e.clone());
                continue;
            }
            for f in findings.iter_mut().filter(|f| f.suppressed.is_none()) {
                if Self::matches(e, f) {
                    f.suppressed = Some(format!(
                        "baseline ({}, until {}): {}",
                        e.owner, e.expires, e.reason
                    ));
                }
            }
        }
        expired
    }

    /// A baseline of `findings` (unsuppressed ones), one entry per rule and resource.
    pub fn of(findings: &[Finding], owner: &str, reason: &str, expires: &str) -> Baseline {
        let mut suppressions: Vec<Entry> = Vec::new();
        for f in findings.iter().filter(|f| f.suppressed.is_none()) {
            if suppressions.iter().any(|e| {
                e.rule == f.rule
                    && e.resource.as_deref() == Some(&f.resource)
                    && e.file.as_deref() == Some(&f.file)
            }) {
                continue;
            }
            suppressions.push(Entry {
                rule: f.rule.clone(),
                resource: Some(f.resource.clone()),
                file: Some(f.file.clone()),
                owner: owner.into(),
                reason: reason.into(),
                expires: expires.into(),
            });
        }
        Baseline { suppressions }
    }
}
