//! Kubernetes admission policies in Rego (`policies/`), evaluated with regorus.
//!
//! Every policy is a Rego package `admission.<id>` (file `policies/<id>.rego`, `id` in kebab
//! case) with a `violation` set of `{"msg": …}` objects over `input.review.object` and
//! `input.parameters` — Gatekeeper's input shape, so the same source is a Gatekeeper
//! `ConstraintTemplate` ([`gatekeeper`]) and an OPA bundle ([`bundle`]). Shared helpers are the
//! library `policies/lib/k8s.rego` (package `lib.k8s`). Every message starts with
//! `[<policy id>]`.

pub mod gatekeeper;
pub mod webhook;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::Serialize;

/// One policy: its id (`pod-no-host-path`), title (the `# title:` line) and Rego source.
#[derive(Debug, Clone)]
pub struct Policy {
    pub id: String,
    pub title: String,
    pub source: String,
}

impl Policy {
    /// The Rego package: `admission.<id with underscores>`.
    pub fn package(&self) -> String {
        format!("admission.{}", self.id.replace('-', "_"))
    }
}

/// A broken policy: which one and what it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub policy: String,
    pub message: String,
}

/// The policies of a folder, compiled once; [`Policies::evaluate`] takes an object.
#[derive(Clone)]
pub struct Policies {
    pub dir: PathBuf,
    pub list: Vec<Policy>,
    pub lib: String,
    engine: regorus::Engine,
    /// Engines ready for another evaluation (compiled once, reused: cloning one per request
    /// would cost more than the evaluation).
    pool: std::sync::Arc<std::sync::Mutex<Vec<regorus::Engine>>>,
}

/// The package that gathers every policy's violations in one evaluation (so the library's
/// rules are computed once per object); only in this engine, not in Gatekeeper or the bundle.
const ALL: &str = "data.admission_all.violations";

fn aggregator(list: &[Policy]) -> String {
    let mut s = String::from("package admission_all\n\nimport rego.v1\n\nviolations := {\n");
    for p in list {
        s += &format!(
            "\t\"{}\": {{v | some v in data.{}.violation}},\n",
            p.id,
            p.package()
        );
    }
    s + "}\n"
}

/// The policies shipped with this project (`policies/` next to `Cargo.toml`).
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("policies")
}

impl Policies {
    /// Loads `dir/*.rego` and `dir/lib/k8s.rego`; a syntax error names the file and line.
    pub fn load(dir: &Path) -> anyhow::Result<Policies> {
        let lib_path = dir.join("lib/k8s.rego");
        let lib = std::fs::read_to_string(&lib_path)
            .with_context(|| format!("{}: the policy library", lib_path.display()))?;
        let mut engine = regorus::Engine::new();
        engine
            .add_policy(lib_path.display().to_string(), lib.clone())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut list = Vec::new();
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("{}: the policy folder", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "rego"))
            .collect();
        files.sort();
        for path in files {
            let id = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let source =
                std::fs::read_to_string(&path).with_context(|| format!("{}", path.display()))?;
            let title = source
                .lines()
                .find_map(|l| l.strip_prefix("# title:"))
                .map(|t| t.trim().to_string())
                .with_context(|| format!("{}: no `# title:` line", path.display()))?;
            let policy = Policy { id, title, source };
            let package = format!("package {}", policy.package());
            if !policy.source.lines().any(|l| l.trim() == package) {
                bail!(
                    "{}: the package must be `{package}` (from the file name)",
                    path.display()
                );
            }
            engine
                .add_policy(path.display().to_string(), policy.source.clone())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            list.push(policy);
        }
        if list.is_empty() {
            bail!("{}: no policy (*.rego)", dir.display());
        }
        engine
            .add_policy("admission_all.rego".into(), aggregator(&list))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Policies {
            dir: dir.to_path_buf(),
            list,
            lib,
            engine,
            pool: Default::default(),
        })
    }

    /// The violations of one Kubernetes object under `params` (`registries`,
    /// `runtime_classes`), in policy order.
    pub fn evaluate(
        &self,
        object: &serde_json::Value,
        params: &serde_json::Value,
    ) -> anyhow::Result<Vec<Violation>> {
        let mut engine = self
            .pool
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_else(|| self.engine.clone());
        let input = serde_json::json!({
            "review": { "object": object, "kind": { "kind": object.get("kind") } },
            "parameters": params,
        });
        engine.set_input(regorus::Value::from_json_str(&input.to_string())?);
        let result = engine
            .eval_rule(ALL.to_string())
            .map_err(|e| anyhow::anyhow!("evaluating the policies: {e}"));
        if let Ok(mut p) = self.pool.lock() {
            p.push(engine);
        }
        let json: serde_json::Value = serde_json::from_str(&result?.to_json_str()?)?;
        let mut out = Vec::new();
        for p in &self.list {
            let mut msgs: Vec<String> = json[&p.id]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.get("msg").and_then(|m| m.as_str()).map(str::to_string))
                .collect();
            msgs.sort();
            out.extend(msgs.into_iter().map(|message| Violation {
                policy: p.id.clone(),
                message,
            }));
        }
        Ok(out)
    }
}

/// The parameters of an environment (`params/<env>.yaml` next to the policy folder).
pub fn params(policy_dir: &Path, env: &str) -> anyhow::Result<serde_json::Value> {
    let path = policy_dir.join("../params").join(format!("{env}.yaml"));
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{}: no parameters for environment `{env}`", path.display()))?;
    serde_yaml_ng::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// The environments that have parameters, sorted.
pub fn environments(policy_dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(policy_dir.join("../params"))
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".yaml"))
                .map(str::to_string)
        })
        .collect();
    out.sort();
    out
}

/// One Kubernetes object of a manifest file, with where it starts.
#[derive(Debug, Clone)]
pub struct Document {
    pub file: PathBuf,
    /// 1-based line of the document's first line.
    pub line: usize,
    pub object: serde_json::Value,
}

impl Document {
    /// `Kind/name` (`Kind/?` without a name).
    pub fn name(&self) -> String {
        format!(
            "{}/{}",
            self.object["kind"].as_str().unwrap_or("?"),
            self.object["metadata"]["name"].as_str().unwrap_or("?")
        )
    }
}

/// Files larger than this are refused (a manifest is kilobytes; a huge file is a mistake).
pub const MAX_FILE: u64 = 16 << 20;

/// The objects of a YAML file (multi-document; `List` kinds unpacked; empty documents
/// skipped). Binary, huge and malformed files are errors naming the file (and line).
pub fn read_manifests(file: &Path) -> anyhow::Result<Vec<Document>> {
    let meta = std::fs::metadata(file).with_context(|| format!("{}", file.display()))?;
    if meta.len() > MAX_FILE {
        bail!(
            "{}: {} bytes, more than the {} MiB a manifest may have",
            file.display(),
            meta.len(),
            MAX_FILE >> 20
        );
    }
    let bytes = std::fs::read(file).with_context(|| format!("{}", file.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{}: not a text file (binary data)", file.display()))?;
    // Document start lines, for messages.
    let mut starts = vec![1];
    for (i, l) in text.lines().enumerate() {
        if l.starts_with("---") && i > 0 {
            starts.push(i + 2);
        }
    }
    let mut out = Vec::new();
    for (n, doc) in serde_yaml_ng::Deserializer::from_str(&text).enumerate() {
        let value = <serde_json::Value as serde::Deserialize>::deserialize(doc).map_err(|e| {
            let line = e
                .location()
                .map(|l| l.line())
                .unwrap_or(starts.get(n).copied().unwrap_or(1));
            anyhow::anyhow!("{}:{line}: {}", file.display(), e)
        })?;
        let line = starts.get(n).copied().unwrap_or(1);
        match value {
            serde_json::Value::Null => {}
            serde_json::Value::Object(ref o)
                if o.get("kind").and_then(|k| k.as_str()) == Some("List") =>
            {
                for item in o
                    .get("items")
                    .and_then(|i| i.as_array())
                    .into_iter()
                    .flatten()
                {
                    out.push(Document {
                        file: file.to_path_buf(),
                        line,
                        object: item.clone(),
                    });
                }
            }
            serde_json::Value::Object(ref o) if o.contains_key("kind") => out.push(Document {
                file: file.to_path_buf(),
                line,
                object: value,
            }),
            _ => bail!(
                "{}:{line}: not a Kubernetes object (no `kind`)",
                file.display()
            ),
        }
    }
    Ok(out)
}

/// Packs the policies, the library and every environment's parameters as an OPA bundle: a
/// `.tar.gz` with `.manifest` (revision, roots), the Rego files and `data.json`
/// (`{"parameters": {env: params}}`).
pub fn bundle(policies: &Policies, revision: &str, out: &Path) -> anyhow::Result<usize> {
    let file = std::fs::File::create(out).with_context(|| format!("{}", out.display()))?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mut add = |name: &str, bytes: &[u8]| -> anyhow::Result<()> {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_cksum();
        tar.append_data(&mut h, name, bytes)?;
        Ok(())
    };
    let manifest = serde_json::json!({
        "revision": revision,
        "roots": ["admission", "lib/k8s", "parameters"],
        "rego_version": 1,
    });
    add(".manifest", manifest.to_string().as_bytes())?;
    add("lib/k8s.rego", policies.lib.as_bytes())?;
    let mut n = 1;
    for p in &policies.list {
        add(&format!("admission/{}.rego", p.id), p.source.as_bytes())?;
        n += 1;
    }
    let mut data = BTreeMap::new();
    for env in environments(&policies.dir) {
        data.insert(env.clone(), params(&policies.dir, &env)?);
    }
    add(
        "data.json",
        serde_json::json!({ "parameters": data })
            .to_string()
            .as_bytes(),
    )?;
    tar.into_inner()?.finish()?;
    Ok(n)
}
