//! `docker-bake.hcl`: every built Rust service of the catalog has an image target, each target
//! names a stage that exists in its Dockerfile and builds for amd64 and arm64.

use std::collections::BTreeMap;
use std::path::Path;

use crate::terraform::{attr, label, text};
use crate::{Finding, line_of, read};

/// Built (not `planned`) projects of kind `rust-service`: id → Cargo package.
pub fn rust_services(root: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let projects = root.join("projects");
    for domain in std::fs::read_dir(&projects)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", projects.display()))?
    {
        let domain = domain?.path();
        if !domain.is_dir() {
            continue;
        }
        for p in std::fs::read_dir(&domain)? {
            let manifest = p?.path().join("project.toml");
            if !manifest.is_file() {
                continue;
            }
            let m: toml::Table = toml::from_str(&read(&manifest)?)
                .map_err(|e| anyhow::anyhow!("{}: {e}", manifest.display()))?;
            let s = |k: &str| m.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
            if s("kind") == "rust-service" && s("lifecycle") != "planned" {
                let package = m
                    .get("package")
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
                    .unwrap_or_else(|| s("name"));
                out.insert(s("id"), package);
            }
        }
    }
    Ok(out)
}

pub fn check(bake: &Path, root: &Path) -> anyhow::Result<Vec<Finding>> {
    let src = read(bake)?;
    let body =
        hcl::parse(&src).map_err(|e| anyhow::anyhow!("{}: not valid HCL: {e}", bake.display()))?;
    let mut out = Vec::new();
    let mut push = |rule, line, resource: String, message: String| {
        out.push(Finding {
            rule,
            file: bake.to_path_buf(),
            line,
            resource,
            message,
        })
    };
    let targets: Vec<&hcl::Block> = body
        .blocks()
        .filter(|b| b.identifier() == "target")
        .collect();
    let find = |name: &str| targets.iter().copied().find(|t| label(t, 0) == name);
    // An attribute of a target or, failing that, of the targets it inherits.
    fn lookup<'a>(
        t: &'a hcl::Block,
        key: &str,
        find: &dyn Fn(&str) -> Option<&'a hcl::Block>,
        depth: usize,
    ) -> Option<&'a hcl::Expression> {
        if let Some(e) = attr(t.body(), key) {
            return Some(e);
        }
        if depth > 8 {
            return None;
        }
        let parents = attr(t.body(), "inherits").map(text).unwrap_or_default();
        parents
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .filter(|p| !p.is_empty())
            .find_map(|p| find(p).and_then(|pt| lookup(pt, key, find, depth + 1)))
    }

    let mut packages = BTreeMap::new();
    for t in targets.iter().filter(|t| !label(t, 0).starts_with('_')) {
        let name = label(t, 0).to_string();
        let line = line_of(&src, &format!("target \"{name}\""));
        let package = lookup(t, "args", &find, 0).map(text).and_then(|a| {
            a.split("PACKAGE")
                .nth(1)
                .and_then(|r| r.split('"').nth(1).map(str::to_string))
        });
        match &package {
            Some(p) => {
                packages.insert(p.clone(), name.clone());
            }
            None => push(
                "BK001",
                line,
                name.clone(),
                "no PACKAGE build argument".into(),
            ),
        }
        let platforms = lookup(t, "platforms", &find, 0)
            .map(text)
            .unwrap_or_default();
        for arch in ["linux/amd64", "linux/arm64"] {
            if !platforms.contains(arch) {
                push(
                    "BK002",
                    line,
                    name.clone(),
                    format!("does not build {arch}"),
                );
            }
        }
        let dockerfile = lookup(t, "dockerfile", &find, 0)
            .map(text)
            .unwrap_or_default()
            .trim_matches('"')
            .to_string();
        let stage = lookup(t, "target", &find, 0)
            .map(text)
            .unwrap_or_default()
            .trim_matches('"')
            .to_string();
        let df = root.join(&dockerfile);
        match std::fs::read_to_string(&df) {
            Err(_) => push(
                "BK003",
                line,
                name.clone(),
                format!("Dockerfile {dockerfile:?} does not exist"),
            ),
            Ok(d) => {
                let has_stage = crate::dockerfile::instructions(&d)
                    .iter()
                    .any(|(_, op, rest)| {
                        op == "FROM" && rest.split_whitespace().last().is_some_and(|s| s == stage)
                    });
                if stage.is_empty() || !has_stage {
                    push(
                        "BK003",
                        line,
                        name.clone(),
                        format!("stage {stage:?} is not in {dockerfile}"),
                    );
                }
            }
        }
    }
    for (id, package) in rust_services(root)? {
        if !packages.contains_key(&package) {
            push(
                "BK004",
                1,
                id.clone(),
                format!("the service's package {package} has no image target"),
            );
        }
    }
    Ok(out)
}
