//! `project.toml`: the manifest every project in the catalog carries.
//!
//! The field reference lives in `docs/catalog.md`; keep the two in step. Parsing never stops
//! at the first problem it can report: unknown keys are all collected (with a suggestion for
//! near-misses) and each one is located on its line.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::diag::{Diagnostic, line_of, suggest};

/// Where a project is in its life. Order matters: later stages need more evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lifecycle {
    Planned,
    Experimental,
    Active,
    Deprecated,
    Decommissioned,
}

impl Lifecycle {
    pub const ALL: [&'static str; 5] = [
        "planned",
        "experimental",
        "active",
        "deprecated",
        "decommissioned",
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL[self as usize]
    }

    /// Built projects can be linted, tested and run; planned and decommissioned ones cannot.
    pub fn is_built(self) -> bool {
        matches!(
            self,
            Lifecycle::Experimental | Lifecycle::Active | Lifecycle::Deprecated
        )
    }
}

impl fmt::Display for Lifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a project is made of; chooses default tasks and the tools it needs (see `kinds.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    RustService,
    RustCli,
    RustLibrary,
    RustLambda,
    NpmPackage,
    TerraformModule,
    HelmChart,
    RegoBundle,
    Solidity,
    ContainerImages,
    ComposeStack,
    PipelineTemplates,
    Process,
    Docs,
}

impl Kind {
    pub const ALL: [&'static str; 14] = [
        "rust-service",
        "rust-cli",
        "rust-library",
        "rust-lambda",
        "npm-package",
        "terraform-module",
        "helm-chart",
        "rego-bundle",
        "solidity",
        "container-images",
        "compose-stack",
        "pipeline-templates",
        "process",
        "docs",
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL[self as usize]
    }

    pub fn is_rust(self) -> bool {
        matches!(
            self,
            Kind::RustService | Kind::RustCli | Kind::RustLibrary | Kind::RustLambda
        )
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Interfaces a project offers or uses: HTTP ports, Kafka topics, tables.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Interfaces {
    #[serde(default)]
    pub http: Vec<Spanned<u16>>,
    #[serde(default)]
    pub grpc: Vec<Spanned<u16>>,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub tables: Vec<String>,
}

/// Commands run by `portfolio lint|test|build|up`. Absent means the kind's default; an empty
/// string means "this project has no such task".
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Tasks {
    pub lint: Option<Spanned<String>>,
    pub test: Option<Spanned<String>>,
    pub build: Option<Spanned<String>>,
    pub run: Option<Spanned<String>>,
    /// `http://host:port/path` (ready on a 2xx answer) or `tcp://host:port` (ready on connect).
    pub ready: Option<Spanned<String>>,
    /// Seconds `portfolio up` waits for readiness before giving up.
    pub ready_timeout: Option<u64>,
}

/// How a project was (or is being) decommissioned; written by `portfolio decommission`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Decommission {
    pub reason: String,
    /// The decision record, relative to the project folder.
    pub adr: String,
    /// When the first step ran (YYYY-MM-DD).
    pub requested: String,
    /// When it became `decommissioned`.
    #[serde(default)]
    pub date: Option<String>,
}

/// A variable of the project's runtime environment.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct EnvVar {
    pub name: Spanned<String>,
    pub default: Option<String>,
    #[serde(default)]
    pub secret: bool,
    #[serde(default)]
    pub description: String,
}

/// The manifest as written in `project.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Manifest {
    pub id: Spanned<String>,
    pub name: Spanned<String>,
    pub domain: Spanned<String>,
    pub summary: String,
    pub owner: String,
    pub tier: Spanned<u8>,
    pub lifecycle: Spanned<Lifecycle>,
    pub kind: Spanned<Kind>,
    /// The guide's name for this project, when ours differs.
    #[serde(default)]
    pub guide_entry: Option<String>,
    /// Cargo package name for Rust kinds; defaults to `name`.
    #[serde(default)]
    pub package: Option<String>,
    #[serde(default)]
    pub depends_on: Vec<Spanned<String>>,
    #[serde(default)]
    pub provides: Interfaces,
    #[serde(default)]
    pub consumes: Interfaces,
    #[serde(default)]
    pub tasks: Tasks,
    /// CI stage overrides: stage → command (`""` removes the stage); see `ci.rs`.
    #[serde(default)]
    pub ci: BTreeMap<String, String>,
    /// Tools beyond the kind's defaults that this project needs (ids from `portfolio bootstrap`).
    #[serde(default)]
    pub requires: Vec<Spanned<String>>,
    pub rto: Option<Spanned<String>>,
    pub rpo: Option<Spanned<String>>,
    #[serde(default)]
    pub state: Vec<String>,
    #[serde(default)]
    pub env: Vec<EnvVar>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub links: BTreeMap<String, String>,
    #[serde(default)]
    pub decommission: Option<Decommission>,
    /// How `portfolio dr drill` loads and counts the project's data.
    #[serde(default)]
    pub dr: Option<DrHooks>,
}

/// `[dr]`: commands run by a DR drill in the project's folder of the sandbox, with the drill's
/// environment, `PORTFOLIO_ROOT` (the sandbox) and `DR_WORK` (a scratch folder).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DrHooks {
    /// Writes data through the running service.
    pub load: String,
    /// Prints a JSON object of counts (numbers) of the service's data.
    pub count: String,
}

impl Manifest {
    pub fn id(&self) -> &str {
        self.id.get_ref()
    }

    pub fn package(&self) -> &str {
        self.package.as_deref().unwrap_or(self.name.get_ref())
    }
}

/// Parses a manifest. On failure, returns every problem found, each located in `path`.
/// Unknown keys are reported together with a syntax-valid manifest's type errors.
pub fn parse(path: &Path, src: &str) -> Result<Manifest, Vec<Diagnostic>> {
    let mut unknown: Vec<String> = Vec::new();
    let de = toml::de::Deserializer::new(src);
    let result: Result<Manifest, _> =
        serde_ignored::deserialize(de, |p| unknown.push(p.to_string()));
    let mut diags: Vec<Diagnostic> = unknown
        .iter()
        .map(|key_path| unknown_key(path, src, key_path))
        .collect();
    match result {
        Ok(m) if diags.is_empty() => Ok(m),
        Ok(_) => Err(diags),
        Err(e) => {
            // A syntax error makes the unknown-key list meaningless; report it alone.
            let line = e.span().map(|s| line_of(src, s.start)).unwrap_or(1);
            let message = explain_toml_error(e.message());
            if e.message().starts_with("missing field")
                || e.message().contains("invalid type")
                || e.message().starts_with("unknown variant")
                || e.message().contains("invalid value")
            {
                diags.push(Diagnostic::new(path, line, message));
            } else {
                diags = vec![Diagnostic::new(
                    path,
                    line,
                    format!("malformed TOML: {message}"),
                )];
            }
            Err(diags)
        }
    }
}

/// Keys accepted at each table of the manifest, for suggestions.
fn known_keys(table: &str) -> &'static [&'static str] {
    match table {
        "" => &[
            "id",
            "name",
            "domain",
            "summary",
            "owner",
            "tier",
            "lifecycle",
            "kind",
            "guide_entry",
            "package",
            "depends_on",
            "provides",
            "consumes",
            "tasks",
            "ci",
            "requires",
            "rto",
            "rpo",
            "state",
            "env",
            "tags",
            "links",
            "decommission",
            "dr",
        ],
        "provides" | "consumes" => &["http", "grpc", "topics", "tables"],
        "tasks" => &["lint", "test", "build", "run", "ready", "ready_timeout"],
        "env" => &["name", "default", "secret", "description"],
        "decommission" => &["reason", "adr", "requested", "date"],
        "dr" => &["load", "count"],
        _ => &[],
    }
}

fn unknown_key(path: &Path, src: &str, key_path: &str) -> Diagnostic {
    let segments: Vec<&str> = key_path.split('.').collect();
    let key = *segments.last().unwrap_or(&key_path);
    let table = segments
        .first()
        .filter(|_| segments.len() > 1)
        .copied()
        .unwrap_or("");
    let mut message = if table.is_empty() {
        format!("unknown key `{key}`")
    } else {
        format!("unknown key `{key}` in [{table}]")
    };
    if let Some(s) = suggest(key, known_keys(table).iter().copied()) {
        message.push_str(&format!(" (did you mean `{s}`?)"));
    }
    Diagnostic::new(path, locate_key(src, &segments), message)
}

/// The line where the key at `segments` is written. Handles top-level keys, `[table]`
/// sections, `[[array]]` entries (numeric segments) and, as a fallback, any `key =` line.
pub fn locate_key(src: &str, segments: &[&str]) -> usize {
    let key = segments.last().copied().unwrap_or("");
    let (table, index) = match segments {
        [t, i, _] => (*t, i.parse::<usize>().ok()),
        [t, _] => (*t, None),
        _ => ("", None),
    };
    let mut array_seen: usize = 0;
    let mut in_target = table.is_empty();
    for (n, raw) in src.lines().enumerate() {
        let line = raw.trim();
        if let Some(h) = line.strip_prefix("[[").and_then(|l| l.split("]]").next()) {
            if h.trim() == table {
                in_target = index.is_none_or(|i| i == array_seen);
                array_seen += 1;
            } else {
                in_target = false;
            }
            continue;
        }
        if let Some(h) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            in_target = h.trim() == table;
            continue;
        }
        if in_target && key_of(line) == Some(key) {
            return n + 1;
        }
    }
    // Inline tables and dotted keys: the first line that assigns the key anywhere.
    src.lines()
        .position(|l| {
            l.split([',', '{'])
                .any(|part| key_of(part.trim()) == Some(key))
        })
        .map(|n| n + 1)
        .unwrap_or(1)
}

fn key_of(line: &str) -> Option<&str> {
    let (k, _) = line.split_once('=')?;
    let k = k.trim().trim_matches('"').trim_matches('\'');
    let k = k.rsplit('.').next().unwrap_or(k).trim();
    (!k.is_empty()).then_some(k)
}

/// Rewrites serde's messages into the house voice and adds suggestions for enum values.
fn explain_toml_error(message: &str) -> String {
    let message = message.trim().trim_end_matches('.').to_string();
    if let Some(rest) = message.strip_prefix("unknown variant `")
        && let Some((value, expected)) = rest.split_once("`, expected ")
    {
        let options: Vec<&str> = expected
            .split(['`', ',', ' '])
            .filter(|s| !s.is_empty() && *s != "one" && *s != "of" && *s != "or")
            .collect();
        let mut out = format!(
            "unknown value `{value}`, expected one of {}",
            options.join(", ")
        );
        if let Some(s) = suggest(value, options.iter().copied()) {
            out.push_str(&format!(" (did you mean `{s}`?)"));
        }
        return out;
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = r#"
id = "backend/task-api"
name = "task-api"
domain = "backend"
summary = "System of record"
owner = "team-backend"
tier = 1
lifecycle = "planned"
kind = "rust-service"
depends_on = ["data-streaming/kafka-broker"]
rto = "1h"
rpo = "15m"

[provides]
http = [8000]
topics = ["events.tasks"]

[tasks]
ready = "http://127.0.0.1:8000/readyz"

[[env]]
name = "DATABASE_URL"
default = "sqlite://task-api.db"

[[env]]
name = "JWT_SECRET"
secret = true
"#;

    fn p() -> &'static Path {
        Path::new("projects/backend/task-api/project.toml")
    }

    #[test]
    fn parses_a_complete_manifest() {
        let m = parse(p(), VALID).expect("valid manifest");
        assert_eq!(m.id(), "backend/task-api");
        assert_eq!(*m.lifecycle.get_ref(), Lifecycle::Planned);
        assert_eq!(*m.kind.get_ref(), Kind::RustService);
        assert_eq!(m.depends_on[0].get_ref(), "data-streaming/kafka-broker");
        assert_eq!(line_of(VALID, m.depends_on[0].span().start), 10);
        assert_eq!(*m.provides.http[0].get_ref(), 8000);
        assert_eq!(m.env.len(), 2);
        assert!(m.env[1].secret);
        assert_eq!(m.package(), "task-api");
    }

    #[test]
    fn reports_every_unknown_key_on_its_line_with_a_suggestion() {
        let src = VALID
            .replace("rto = \"1h\"", "rto = \"1h\"\ndepends-on = []")
            .replace("ready = ", "redy = \"x\"\nready = ")
            .replace("secret = true", "secret = true\nsecrett = 1");
        let errs = parse(p(), &src).unwrap_err();
        let lines: Vec<String> = errs.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            lines,
            [
                "projects/backend/task-api/project.toml:12: unknown key `depends-on` (did you mean `depends_on`?)",
                "projects/backend/task-api/project.toml:20: unknown key `redy` in [tasks] (did you mean `ready`?)",
                "projects/backend/task-api/project.toml:30: unknown key `secrett` in [env] (did you mean `secret`?)",
            ]
        );
    }

    #[test]
    fn malformed_toml_is_one_line_with_its_position() {
        let src = "id = \"a/b\"\nname = \n";
        let errs = parse(p(), src).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].line, 2);
        assert!(
            errs[0].message.starts_with("malformed TOML:"),
            "{}",
            errs[0]
        );
    }

    #[test]
    fn bad_enum_value_suggests_the_nearest() {
        let src = VALID.replace("lifecycle = \"planned\"", "lifecycle = \"activ\"");
        let errs = parse(p(), &src).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].line, 8);
        assert!(
            errs[0].message.contains("did you mean `active`?"),
            "{}",
            errs[0].message
        );
    }

    #[test]
    fn missing_required_field_is_named() {
        let src = VALID.replace("owner = \"team-backend\"\n", "");
        let errs = parse(p(), &src).unwrap_err();
        assert!(
            errs[0].message.contains("missing field `owner`"),
            "{}",
            errs[0]
        );
    }
}
