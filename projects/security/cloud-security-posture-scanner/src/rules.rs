//! Rule packs: Rego files with their metadata in header comments, evaluated with regorus.
//!
//! A rule is `<pack>/<ID>.rego`, package `posture.rules.<id in lower case, `-` as `_`>`, with a
//! `findings` set of `{"id": <resource id>, "message": …}` over `input.resources` (resources by
//! type: `input.resources.aws_s3_bucket`, `input.resources.Deployment`,
//! `input.resources.dockerfile`) and `input.all`. Header comments:
//!
//! ```text
//! # id: AWS-S3-001
//! # title: S3 buckets block public access
//! # severity: high                      (critical, high, medium, low)
//! # description: …
//! # remediation: …
//! # fix: resource "aws_s3_bucket_public_access_block" "x" {   (repeatable: one line each)
//! # checkov: CKV_AWS_53, CKV_AWS_54      (optional: the same test in checkov)
//! # references: CIS AWS 2.1.5; NIST CSF PR.AC-3
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::Serialize;

use crate::inputs::Unit;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn parse(s: &str) -> Option<Severity> {
        match s.trim().to_ascii_lowercase().as_str() {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub id: String,
    pub pack: String,
    pub title: String,
    pub severity: Severity,
    pub description: String,
    pub remediation: String,
    pub fix: String,
    pub references: Vec<String>,
    /// The checkov checks that test the same thing (for comparisons).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checkov: Vec<String>,
    #[serde(skip)]
    pub file: PathBuf,
    #[serde(skip)]
    pub source: String,
}

impl Rule {
    pub fn package(&self) -> String {
        format!(
            "posture.rules.{}",
            self.id.to_ascii_lowercase().replace('-', "_")
        )
    }
}

/// What a rule found in a unit: the resource (by id) and the message.
#[derive(Debug, Clone)]
pub struct Hit {
    pub rule: usize,
    pub resource: usize,
    pub message: String,
}

pub struct RuleSet {
    pub rules: Vec<Rule>,
    engine: regorus::Engine,
}

/// The packs shipped with the scanner (`rules/` next to `Cargo.toml`).
pub fn builtin_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
}

fn parse_rule(pack: &str, path: &Path, source: String) -> anyhow::Result<Rule> {
    let mut meta: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for l in source.lines() {
        let Some(rest) = l.strip_prefix("# ") else {
            if l.starts_with("package ") {
                break;
            }
            continue;
        };
        if let Some((k, v)) = rest.split_once(':')
            && [
                "id",
                "title",
                "severity",
                "description",
                "remediation",
                "fix",
                "references",
                "checkov",
            ]
            .contains(&k)
        {
            meta.entry(k)
                .or_default()
                .push(v.strip_prefix(' ').unwrap_or(v).to_string());
        }
    }
    let one = |k: &str| -> anyhow::Result<String> {
        meta.get(k)
            .and_then(|v| v.first())
            .cloned()
            .with_context(|| format!("{}: no `# {k}:` line", path.display()))
    };
    let id = one("id")?;
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    if stem != id {
        bail!(
            "{}: the file name must be the rule id ({id}.rego)",
            path.display()
        );
    }
    let sev = one("severity")?;
    let rule = Rule {
        id,
        pack: pack.to_string(),
        title: one("title")?,
        severity: Severity::parse(&sev).with_context(|| {
            format!(
                "{}: severity `{sev}` is not critical, high, medium or low",
                path.display()
            )
        })?,
        description: one("description").unwrap_or_default(),
        remediation: one("remediation")?,
        fix: meta.get("fix").map(|v| v.join("\n")).unwrap_or_default(),
        references: one("references")
            .unwrap_or_default()
            .split(';')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        checkov: one("checkov")
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        file: path.to_path_buf(),
        source,
    };
    let package = format!("package {}", rule.package());
    if !rule.source.lines().any(|l| l.trim() == package) {
        bail!("{}: the package must be `{package}`", path.display());
    }
    Ok(rule)
}

impl RuleSet {
    /// Loads every `<pack>/*.rego` under each of `dirs` (the built-in packs and the users').
    /// Two rules with one id are an error.
    pub fn load(dirs: &[PathBuf]) -> anyhow::Result<RuleSet> {
        let mut rules: Vec<Rule> = Vec::new();
        let mut libs: Vec<(PathBuf, String)> = Vec::new();
        for dir in dirs {
            let mut packs: Vec<PathBuf> = std::fs::read_dir(dir)
                .with_context(|| format!("{}: a rule folder", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            packs.sort();
            // A folder of .rego files is itself a pack.
            let own: Vec<PathBuf> = packs
                .iter()
                .filter(|p| p.extension().is_some_and(|x| x == "rego"))
                .cloned()
                .collect();
            let mut groups: Vec<(String, Vec<PathBuf>)> = Vec::new();
            if !own.is_empty() {
                let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("custom");
                groups.push((name.to_string(), own));
            }
            for p in packs.iter().filter(|p| p.is_dir()) {
                let mut files: Vec<PathBuf> = std::fs::read_dir(p)?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|f| f.extension().is_some_and(|x| x == "rego"))
                    .collect();
                files.sort();
                let name = p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("")
                    .to_string();
                groups.push((name, files));
            }
            for (pack, files) in groups {
                if pack == "lib" {
                    // Libraries (packages `posture.lib.*`), shared by the rules.
                    for f in files {
                        let source = std::fs::read_to_string(&f)
                            .with_context(|| format!("{}", f.display()))?;
                        libs.push((f, source));
                    }
                    continue;
                }
                for f in files {
                    let source =
                        std::fs::read_to_string(&f).with_context(|| format!("{}", f.display()))?;
                    let rule = parse_rule(&pack, &f, source)?;
                    if let Some(other) = rules.iter().find(|r| r.id == rule.id) {
                        bail!(
                            "{}: rule {} is also defined in {}",
                            f.display(),
                            rule.id,
                            other.file.display()
                        );
                    }
                    rules.push(rule);
                }
            }
        }
        if rules.is_empty() {
            bail!("no rules found");
        }
        let mut engine = regorus::Engine::new();
        for (f, source) in &libs {
            engine
                .add_policy(f.display().to_string(), source.clone())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        for r in &rules {
            engine
                .add_policy(r.file.display().to_string(), r.source.clone())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let mut all = String::from("package posture_all\n\nimport rego.v1\n\nfindings := {\n");
        for r in &rules {
            all += &format!(
                "\t\"{}\": {{f | some f in data.{}.findings}},\n",
                r.id,
                r.package()
            );
        }
        all += "}\n";
        engine
            .add_policy("posture_all.rego".into(), all)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(RuleSet { rules, engine })
    }

    /// A compiled engine of the rules for one thread (cloning is the expensive part: reuse it
    /// for every unit the thread evaluates).
    pub fn engine(&self) -> regorus::Engine {
        self.engine.clone()
    }

    /// Every rule over one unit, and the rules that failed on it (named, with the error).
    pub fn evaluate(&self, unit: &Unit) -> anyhow::Result<(Vec<Hit>, Vec<String>)> {
        self.evaluate_with(&mut self.engine(), unit)
    }

    /// [`RuleSet::evaluate`] on an engine from [`RuleSet::engine`].
    pub fn evaluate_with(
        &self,
        engine: &mut regorus::Engine,
        unit: &Unit,
    ) -> anyhow::Result<(Vec<Hit>, Vec<String>)> {
        let mut failed = Vec::new();
        if unit.resources.is_empty() {
            return Ok((Vec::new(), failed));
        }
        let mut by_type: BTreeMap<&str, Vec<&crate::inputs::Resource>> = BTreeMap::new();
        for r in &unit.resources {
            by_type.entry(r.rtype.as_str()).or_default().push(r);
        }
        let input = serde_json::json!({ "resources": by_type, "all": unit.resources });
        engine.set_input(regorus::Value::from_json_str(&input.to_string())?);
        let json: serde_json::Value = match engine.eval_rule("data.posture_all.findings".into()) {
            Ok(out) => serde_json::from_str(&out.to_json_str()?)?,
            Err(_) => {
                // One rule failed on this input: evaluate them one by one, so the others still
                // report and the failing one is named.
                let mut all = serde_json::Map::new();
                for r in &self.rules {
                    match engine.eval_rule(format!("data.{}.findings", r.package())) {
                        Ok(v) => {
                            all.insert(r.id.clone(), serde_json::from_str(&v.to_json_str()?)?);
                        }
                        Err(e) => {
                            let last = e.to_string().lines().last().unwrap_or("").to_string();
                            failed.push(format!("rule {} failed on this input: {last}", r.id));
                        }
                    }
                }
                serde_json::Value::Object(all)
            }
        };
        let mut hits = Vec::new();
        for (i, r) in self.rules.iter().enumerate() {
            for f in json[&r.id].as_array().into_iter().flatten() {
                let Some(resource) = f["id"].as_u64() else {
                    bail!("rule {}: a finding without a resource id: {f}", r.id);
                };
                hits.push(Hit {
                    rule: i,
                    resource: resource as usize,
                    message: f["message"].as_str().unwrap_or(&r.title).to_string(),
                });
            }
        }
        hits.sort_by(|a, b| {
            (a.resource, a.rule, &a.message).cmp(&(b.resource, b.rule, &b.message))
        });
        Ok((hits, failed))
    }
}
