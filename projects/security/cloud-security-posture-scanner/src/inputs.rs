//! What the scanner reads, detected by content: Terraform directories (HCL; variables, locals
//! and local module calls resolved where they are static), Terraform plan JSON, Kubernetes YAML
//! (multi-document, rendered Helm output) and Dockerfiles. Each becomes a list of
//! [`Resource`]s; a file that cannot be read is an [`InputError`] and the scan goes on.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Value, json};

/// One thing rules look at.
#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    /// Position in its unit; rules answer with it.
    pub id: usize,
    /// Which scan unit it belongs to (units are evaluated in batches; references only join
    /// resources of one unit).
    pub unit: usize,
    pub file: String,
    pub line: usize,
    /// `aws_s3_bucket.logs`, `module.vpc.aws_vpc.this`, `Deployment/shop/web`, `Dockerfile`.
    pub address: String,
    /// The address inside its module (`aws_s3_bucket.logs`): what references in the module use.
    pub local: String,
    /// The resource type (`aws_s3_bucket`), Kubernetes kind, or `dockerfile`.
    #[serde(rename = "type")]
    pub rtype: String,
    /// `terraform`, `plan`, `kubernetes` or `dockerfile`.
    pub source: &'static str,
    pub config: Value,
    /// Rule ids suppressed inline (`# posture:ignore RULE-ID reason`).
    #[serde(skip)]
    pub ignores: Vec<(String, String)>,
}

/// A file that could not be read, parsed or resolved.
#[derive(Debug, Clone, Serialize)]
pub struct InputError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// Resources evaluated together (a Terraform root module with its modules, or one file).
#[derive(Debug, Default)]
pub struct Unit {
    pub resources: Vec<Resource>,
    /// The Terraform directories read for this unit.
    pub visited: Vec<PathBuf>,
}

/// Files larger than this are not read.
pub const MAX_FILE: u64 = 8 << 20;

/// Every unit under `paths` (files or directories, walked; hidden folders and `.terraform`
/// skipped), and what could not be read.
pub fn load(paths: &[PathBuf], excludes: &[String]) -> (Vec<Unit>, Vec<InputError>) {
    let mut units = Vec::new();
    let mut errors = Vec::new();
    let mut tf_dirs: Vec<PathBuf> = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
    for p in paths {
        walk(p, &mut files, &mut tf_dirs);
    }
    let skip = |p: &Path| {
        let s = p.display().to_string();
        excludes
            .iter()
            .any(|e| wildcard(e, &s) || wildcard(e, &format!("{s}/")))
    };
    tf_dirs.retain(|d| !skip(d));
    files.retain(|f| !skip(f));
    // Terraform: each directory with .tf files is a root unless another directory calls it as
    // a module (then it is scanned through that call).
    let called: std::collections::HashSet<PathBuf> =
        tf_dirs.iter().flat_map(|d| module_sources(d)).collect();
    let mut visited = std::collections::HashSet::new();
    // Roots first; then directories only reached through a cycle of module calls.
    for pass in 0..2 {
        for dir in &tf_dirs {
            let canon = dir.canonicalize().unwrap_or(dir.clone());
            if (pass == 0 && called.contains(&canon)) || visited.contains(&canon) {
                continue;
            }
            let mut unit = Unit::default();
            let mut stack = Vec::new();
            terraform_module(dir, "", &HashMap::new(), &mut stack, &mut unit, &mut errors);
            visited.extend(unit.visited.drain(..));
            units.push(unit);
        }
    }
    for f in files {
        match read_text(&f) {
            Err(e) => errors.push(e),
            Ok(text) => {
                let mut unit = Unit::default();
                match detect(&f, &text) {
                    Kind::Plan => plan(&f, &text, &mut unit, &mut errors),
                    Kind::Aws => aws(&f, &text, &mut unit, &mut errors),
                    Kind::Kubernetes => kubernetes(&f, &text, &mut unit, &mut errors),
                    Kind::Dockerfile => dockerfile(&f, &text, &mut unit),
                    Kind::Other => continue,
                }
                units.push(unit);
            }
        }
    }
    (units, errors)
}

fn walk(p: &Path, files: &mut Vec<PathBuf>, tf_dirs: &mut Vec<PathBuf>) {
    if p.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        if entries
            .iter()
            .any(|e| e.extension().is_some_and(|x| x == "tf") && e.is_file())
        {
            tf_dirs.push(p.to_path_buf());
        }
        for e in entries {
            let name = e.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with('.') || name == "node_modules" || name == "target" {
                continue;
            }
            if e.is_dir() {
                walk(&e, files, tf_dirs);
            } else if e.extension().is_none_or(|x| x != "tf") {
                files.push(e);
            }
        }
    } else if p.extension().is_some_and(|x| x == "tf") {
        if let Some(d) = p.parent() {
            tf_dirs.push(d.to_path_buf());
        }
    } else {
        files.push(p.to_path_buf());
    }
}

/// `*` matches any run of characters (`/` included); everything else literally.
pub fn wildcard(pattern: &str, s: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == s;
    }
    let mut rest = s;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(p) => rest = &rest[p + part.len()..],
                None => return false,
            }
        }
    }
    true
}

enum Kind {
    Aws,
    Plan,
    Kubernetes,
    Dockerfile,
    Other,
}

/// By content first: a JSON document with `planned_values` is a plan; YAML with `apiVersion`
/// and `kind` is Kubernetes; a text whose first instruction is FROM (or ARG) is a Dockerfile.
fn detect(path: &Path, text: &str) -> Kind {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        if text.contains("\"planned_values\"") || text.contains("\"resource_changes\"") {
            return Kind::Plan;
        }
        if AWS_KEYS.iter().any(|k| text.contains(&format!("\"{k}\""))) {
            return Kind::Aws;
        }
        return Kind::Other;
    }
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    let word = first
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    if word == "FROM"
        || (word == "ARG"
            && text
                .lines()
                .any(|l| l.trim_start().to_ascii_uppercase().starts_with("FROM ")))
    {
        return Kind::Dockerfile;
    }
    if text.lines().any(|l| l.starts_with("apiVersion:"))
        && text.lines().any(|l| l.starts_with("kind:"))
    {
        return Kind::Kubernetes;
    }
    if name == "Dockerfile" || name.ends_with(".Dockerfile") || name.starts_with("Dockerfile.") {
        return Kind::Dockerfile;
    }
    Kind::Other
}

fn read_text(path: &Path) -> Result<String, InputError> {
    let err = |line, message: String| InputError {
        file: path.display().to_string(),
        line,
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| err(0, e.to_string()))?;
    if meta.len() > MAX_FILE {
        return Err(err(
            0,
            format!(
                "{} bytes: larger than the {} MiB scanned",
                meta.len(),
                MAX_FILE >> 20
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| err(0, e.to_string()))?;
    String::from_utf8(bytes).map_err(|_| err(0, "binary file (not UTF-8 text): skipped".into()))
}

/// `# posture:ignore RULE reason` on `line` or on the comment lines right above it.
fn ignores_at(lines: &[&str], line: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut i = line; // 1-based: lines[i - 1] is the resource's line
    let mut first = true;
    while i >= 1 {
        let l = lines.get(i - 1).copied().unwrap_or("");
        if let Some(pos) = l.find("posture:ignore") {
            let rest = l[pos + "posture:ignore".len()..].trim();
            let mut words = rest.splitn(2, char::is_whitespace);
            if let Some(rule) = words.next().filter(|r| !r.is_empty()) {
                out.push((
                    rule.to_string(),
                    words.next().unwrap_or("").trim().to_string(),
                ));
            }
        } else if !first && !l.trim_start().starts_with('#') {
            break;
        }
        first = false;
        i -= 1;
    }
    out
}

// ---------------------------------------------------------------------------- Terraform

fn module_sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for f in tf_files(dir) {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let Ok(body) = hcl::parse(&text) else {
            continue;
        };
        for b in body.blocks().filter(|b| b.identifier() == "module") {
            if let Some(hcl::Expression::String(src)) = attr(b.body(), "source")
                && (src.starts_with("./") || src.starts_with("../"))
                && let Ok(c) = dir.join(src).canonicalize()
            {
                out.push(c);
            }
        }
    }
    out
}

fn tf_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .collect();
    v.sort();
    v
}

fn attr<'a>(body: &'a hcl::Body, key: &str) -> Option<&'a hcl::Expression> {
    body.attributes().find(|a| a.key() == key).map(|a| a.expr())
}

fn line_of(text: &str, needle: &str) -> usize {
    text.find(needle)
        .map(|i| text[..i].matches('\n').count() + 1)
        .unwrap_or(1)
}

/// An expression as JSON: its value when it is static under `ctx`, else its HCL text
/// (`aws_kms_key.main.arn`), so rules can still see that it is set and what it refers to.
fn expr_json(expr: &hcl::Expression, ctx: &hcl::eval::Context) -> Value {
    use hcl::eval::Evaluate as _;
    match expr.evaluate(ctx) {
        Ok(v) => serde_json::to_value(&v).unwrap_or(Value::Null),
        Err(_) => {
            let s = hcl::format::to_string(expr).unwrap_or_default();
            Value::String(s.split_whitespace().collect::<Vec<_>>().join(" "))
        }
    }
}

/// A block body as JSON: attributes by name, nested blocks as arrays under their name
/// (`dynamic "x"` blocks contribute their `content`).
fn body_json(body: &hcl::Body, ctx: &hcl::eval::Context) -> Value {
    let mut obj = serde_json::Map::new();
    for a in body.attributes() {
        obj.insert(a.key().to_string(), expr_json(a.expr(), ctx));
    }
    for b in body.blocks() {
        let (name, inner) = if b.identifier() == "dynamic" {
            let name = b
                .labels()
                .first()
                .map(|l| l.as_str().to_string())
                .unwrap_or_default();
            let content = b.body().blocks().find(|c| c.identifier() == "content");
            match content {
                Some(c) => (name, body_json(c.body(), ctx)),
                None => continue,
            }
        } else {
            (b.identifier().to_string(), body_json(b.body(), ctx))
        };
        match obj.entry(name).or_insert_with(|| json!([])) {
            Value::Array(a) => a.push(inner),
            other => *other = json!([inner]),
        }
    }
    Value::Object(obj)
}

fn terraform_module(
    dir: &Path,
    prefix: &str,
    inputs: &HashMap<String, hcl::Value>,
    stack: &mut Vec<PathBuf>,
    unit: &mut Unit,
    errors: &mut Vec<InputError>,
) {
    let canon = dir.canonicalize().unwrap_or(dir.to_path_buf());
    unit.visited.push(canon.clone());
    stack.push(canon);
    let mut files: Vec<(PathBuf, String, hcl::Body)> = Vec::new();
    for f in tf_files(dir) {
        let text = match read_text(&f) {
            Ok(t) => t,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        match hcl::parse(&text) {
            Ok(body) => files.push((f, text, body)),
            Err(e) => {
                let msg = e.to_string();
                let line = msg
                    .split("line ")
                    .nth(1)
                    .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
                    .and_then(|n| n.parse().ok())
                    .or_else(|| {
                        msg.split(|c: char| !c.is_ascii_digit())
                            .find(|s| !s.is_empty())
                            .and_then(|n| n.parse().ok())
                    })
                    .unwrap_or(1);
                errors.push(InputError {
                    file: f.display().to_string(),
                    line,
                    message: format!("HCL syntax error: {}", msg.lines().next().unwrap_or("")),
                });
            }
        }
    }
    // Variables: the caller's values, else the defaults.
    let mut vars: BTreeMap<String, hcl::Value> = BTreeMap::new();
    let empty = hcl::eval::Context::new();
    for (_, _, body) in &files {
        for b in body.blocks().filter(|b| b.identifier() == "variable") {
            let name = b
                .labels()
                .first()
                .map(|l| l.as_str().to_string())
                .unwrap_or_default();
            if let Some(v) = inputs.get(&name) {
                vars.insert(name, v.clone());
            } else if let Some(d) = attr(b.body(), "default") {
                use hcl::eval::Evaluate as _;
                if let Ok(v) = d.evaluate(&empty) {
                    vars.insert(name, v);
                }
            }
        }
    }
    // Locals: evaluated in passes, so locals may refer to each other.
    let mut locals: BTreeMap<String, hcl::Value> = BTreeMap::new();
    let local_exprs: Vec<(String, hcl::Expression)> = files
        .iter()
        .flat_map(|(_, _, body)| body.blocks().filter(|b| b.identifier() == "locals"))
        .flat_map(|b| {
            b.body()
                .attributes()
                .map(|a| (a.key().to_string(), a.expr().clone()))
        })
        .collect();
    let ctx_of = |vars: &BTreeMap<String, hcl::Value>, locals: &BTreeMap<String, hcl::Value>| {
        let mut ctx = hcl::eval::Context::new();
        // jsonencode(), so IAM policies written inline become JSON rules can read.
        ctx.declare_func(
            "jsonencode",
            hcl::eval::FuncDef::builder()
                .param(hcl::eval::ParamType::Any)
                .build(|args| {
                    serde_json::to_string(&args[0])
                        .map(hcl::Value::String)
                        .map_err(|e| e.to_string())
                }),
        );
        ctx.declare_var(
            "var",
            hcl::Value::Object(vars.clone().into_iter().collect()),
        );
        ctx.declare_var(
            "local",
            hcl::Value::Object(locals.clone().into_iter().collect()),
        );
        ctx
    };
    for _ in 0..4 {
        let ctx = ctx_of(&vars, &locals);
        let mut changed = false;
        for (k, e) in &local_exprs {
            use hcl::eval::Evaluate as _;
            if !locals.contains_key(k)
                && let Ok(v) = e.evaluate(&ctx)
            {
                locals.insert(k.clone(), v);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let ctx = ctx_of(&vars, &locals);
    for (path, text, body) in &files {
        let lines: Vec<&str> = text.lines().collect();
        for b in body.blocks() {
            let labels: Vec<&str> = b.labels().iter().map(|l| l.as_str()).collect();
            match (b.identifier(), labels.as_slice()) {
                ("resource", [t, n]) => {
                    let line = line_of(text, &format!("resource \"{t}\" \"{n}\""));
                    // Suppressions above the block or anywhere inside it (to its closing brace).
                    let mut ignores = ignores_at(&lines, line);
                    for (i, l) in lines.iter().enumerate().skip(line) {
                        if l.starts_with('}') {
                            break;
                        }
                        if l.contains("posture:ignore") {
                            ignores.extend(ignores_at(&lines, i + 1).into_iter().take(1));
                        }
                    }
                    unit.resources.push(Resource {
                        id: unit.resources.len(),
                        unit: 0,
                        file: path.display().to_string(),
                        line,
                        address: format!("{prefix}{t}.{n}"),
                        local: format!("{t}.{n}"),
                        rtype: t.to_string(),
                        source: "terraform",
                        config: body_json(b.body(), &ctx),
                        ignores,
                    });
                }
                ("data", [t, n]) => {
                    let line = line_of(text, &format!("data \"{t}\" \"{n}\""));
                    unit.resources.push(Resource {
                        id: unit.resources.len(),
                        unit: 0,
                        file: path.display().to_string(),
                        line,
                        address: format!("{prefix}data.{t}.{n}"),
                        local: format!("data.{t}.{n}"),
                        rtype: format!("data.{t}"),
                        source: "terraform",
                        config: body_json(b.body(), &ctx),
                        ignores: ignores_at(&lines, line),
                    });
                }
                ("module", [n]) => {
                    let line = line_of(text, &format!("module \"{n}\""));
                    let Some(hcl::Expression::String(src)) = attr(b.body(), "source") else {
                        continue;
                    };
                    if !(src.starts_with("./") || src.starts_with("../")) {
                        continue; // registry and git modules are not fetched
                    }
                    let child = dir.join(src);
                    let Ok(child_canon) = child.canonicalize() else {
                        errors.push(InputError {
                            file: path.display().to_string(),
                            line,
                            message: format!("module \"{n}\": source {src} does not exist"),
                        });
                        continue;
                    };
                    if stack.contains(&child_canon) {
                        errors.push(InputError {
                            file: path.display().to_string(),
                            line,
                            message: format!(
                                "module \"{n}\": cyclic module reference ({src} is already being scanned)"
                            ),
                        });
                        continue;
                    }
                    let mut args = HashMap::new();
                    for a in b.body().attributes() {
                        use hcl::eval::Evaluate as _;
                        if let Ok(v) = a.expr().evaluate(&ctx) {
                            args.insert(a.key().to_string(), v);
                        }
                    }
                    terraform_module(
                        &child,
                        &format!("{prefix}module.{n}."),
                        &args,
                        stack,
                        unit,
                        errors,
                    );
                }
                _ => {}
            }
        }
    }
    stack.pop();
}

// ---------------------------------------------------------------------------- plan JSON

fn plan(path: &Path, text: &str, unit: &mut Unit, errors: &mut Vec<InputError>) {
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            errors.push(InputError {
                file: path.display().to_string(),
                line: e.line(),
                message: format!("not valid JSON: {e}"),
            });
            return;
        }
    };
    fn module(m: &Value, path: &Path, text: &str, unit: &mut Unit) {
        for r in m["resources"].as_array().into_iter().flatten() {
            let address = r["address"].as_str().unwrap_or("?").to_string();
            unit.resources.push(Resource {
                id: unit.resources.len(),
                unit: 0,
                file: path.display().to_string(),
                line: line_of(text, &format!("\"address\": \"{address}\""))
                    .max(line_of(text, &format!("\"address\":\"{address}\""))),
                rtype: r["type"].as_str().unwrap_or("?").to_string(),
                local: address
                    .rsplit_once("module.")
                    .map_or(address.clone(), |(_, rest)| {
                        rest.split_once('.')
                            .map_or(rest.to_string(), |(_, r)| r.to_string())
                    }),
                address,
                source: "plan",
                config: r["values"].clone(),
                ignores: Vec::new(),
            });
        }
        for c in m["child_modules"].as_array().into_iter().flatten() {
            module(c, path, text, unit);
        }
    }
    module(&v["planned_values"]["root_module"], path, text, unit);
}

// ---------------------------------------------------------------------------- Kubernetes

fn kubernetes(path: &Path, text: &str, unit: &mut Unit, errors: &mut Vec<InputError>) {
    let lines: Vec<&str> = text.lines().collect();
    let mut starts = vec![1];
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with("---") && i > 0 {
            starts.push(i + 2);
        }
    }
    for (n, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let start = starts.get(n).copied().unwrap_or(1);
        let v = match <Value as serde::Deserialize>::deserialize(doc) {
            Ok(v) => v,
            Err(e) => {
                errors.push(InputError {
                    file: path.display().to_string(),
                    line: e.location().map(|l| l.line()).unwrap_or(start),
                    message: format!("YAML syntax error: {e}"),
                });
                return;
            }
        };
        let Some(kind) = v["kind"].as_str() else {
            continue;
        };
        let end = starts.get(n + 1).copied().unwrap_or(lines.len() + 1);
        let mut ignores = Vec::new();
        for l in start..end {
            if lines
                .get(l - 1)
                .is_some_and(|t| t.contains("posture:ignore"))
            {
                ignores.extend(ignores_at(&lines, l));
            }
        }
        let ns = v["metadata"]["namespace"].as_str().unwrap_or("default");
        unit.resources.push(Resource {
            id: unit.resources.len(),
            unit: 0,
            file: path.display().to_string(),
            line: start,
            address: format!(
                "{kind}/{ns}/{}",
                v["metadata"]["name"].as_str().unwrap_or("?")
            ),
            local: String::new(),
            rtype: kind.to_string(),
            source: "kubernetes",
            config: v,
            ignores,
        });
    }
}

// ---------------------------------------------------------------------------- Dockerfiles

/// One resource per Dockerfile: its instructions (continuations joined) with lines and stages.
fn dockerfile(path: &Path, text: &str, unit: &mut Unit) {
    let lines: Vec<&str> = text.lines().collect();
    let mut instructions = Vec::new();
    let mut ignores = Vec::new();
    let mut i = 0;
    let mut stage = -1i64;
    // (name, base, own last USER) per stage
    let mut stages: Vec<(String, String, Option<String>)> = Vec::new();
    while i < lines.len() {
        let start = i + 1;
        let mut l = lines[i].trim().to_string();
        if l.contains("posture:ignore") {
            ignores.extend(ignores_at(&lines, start));
        }
        if l.is_empty() || l.starts_with('#') {
            i += 1;
            continue;
        }
        while l.ends_with('\\') && i + 1 < lines.len() {
            l.pop();
            i += 1;
            l.push(' ');
            l.push_str(lines[i].trim());
        }
        i += 1;
        let (cmd, value) = l.split_once(char::is_whitespace).unwrap_or((&l, ""));
        let cmd = cmd.to_ascii_uppercase();
        if cmd == "FROM" {
            stage += 1;
            let words: Vec<&str> = value
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            let base = words.first().copied().unwrap_or("").to_ascii_lowercase();
            let name = match words.as_slice() {
                [_, as_, n, ..] if as_.eq_ignore_ascii_case("as") => n.to_ascii_lowercase(),
                _ => String::new(),
            };
            stages.push((name, base, None::<String>));
        } else if cmd == "USER"
            && let Some(s) = stages.last_mut()
        {
            s.2 = Some(value.trim().to_string());
        }
        instructions
            .push(json!({"cmd": cmd, "value": value.trim(), "line": start, "stage": stage}));
    }
    // The user each stage runs as, inherited through `FROM <earlier stage>`; targets are the
    // stages no other stage builds on.
    let mut users: Vec<Option<String>> = Vec::new();
    for (i, (_, base, own)) in stages.iter().enumerate() {
        let inherited = stages[..i]
            .iter()
            .rposition(|(n, _, _)| !n.is_empty() && n == base)
            .and_then(|j| users[j].clone());
        users.push(own.clone().or(inherited));
    }
    // Stages other stages copy from (`COPY --from=builder`, `RUN --mount=…,from=builder`).
    let copied: Vec<String> = instructions
        .iter()
        .filter_map(|i| i["value"].as_str())
        .flat_map(|v| v.split([' ', ',']))
        .filter_map(|w| {
            w.strip_prefix("--from=")
                .or_else(|| w.strip_prefix("from="))
        })
        .map(str::to_ascii_lowercase)
        .collect();
    let targets: Vec<Value> = stages
        .iter()
        .enumerate()
        .filter(|(_, (name, _, _))| {
            name.is_empty() || !(stages.iter().any(|(_, b, _)| b == name) || copied.contains(name))
        })
        .map(|(i, (name, _, _))| json!({"stage": i, "name": name, "user": users[i]}))
        .collect();
    unit.resources.push(Resource {
        id: unit.resources.len(),
        unit: 0,
        file: path.display().to_string(),
        line: 1,
        local: String::new(),
        address: path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("Dockerfile")
            .to_string(),
        rtype: "dockerfile".into(),
        source: "dockerfile",
        config: json!({"instructions": instructions, "stages": stage + 1, "targets": targets}),
        ignores,
    });
}

// ---------------------------------------------------------------------------- AWS exports

/// The top-level keys of the exports read: `aws ec2 describe-security-groups`,
/// `aws rds describe-db-instances`, `aws cloudtrail describe-trails`,
/// `aws ecr describe-repositories`, `aws eks describe-cluster`, `aws lambda list-functions`,
/// and AWS Config snapshots (`configurationItems`).
const AWS_KEYS: [&str; 7] = [
    "SecurityGroups",
    "DBInstances",
    "trailList",
    "repositories",
    "cluster",
    "Functions",
    "configurationItems",
];

/// Live configuration, mapped onto the Terraform resource shapes, so the same rules judge an
/// account and its code.
fn aws(path: &Path, text: &str, unit: &mut Unit, errors: &mut Vec<InputError>) {
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            errors.push(InputError {
                file: path.display().to_string(),
                line: e.line(),
                message: format!("not valid JSON: {e}"),
            });
            return;
        }
    };
    let file = path.display().to_string();
    let mut push = |rtype: &str, name: &str, config: Value| {
        let line = line_of(text, &format!("\"{name}\""));
        unit.resources.push(Resource {
            id: unit.resources.len(),
            unit: 0,
            file: file.clone(),
            line,
            address: format!("{rtype}.{name}"),
            local: format!("{rtype}.{name}"),
            rtype: rtype.to_string(),
            source: "aws",
            config,
            ignores: Vec::new(),
        });
    };
    let get = |o: &Value, keys: &[&str]| -> Value {
        keys.iter()
            .map(|k| o[*k].clone())
            .find(|x| !x.is_null())
            .unwrap_or(Value::Null)
    };
    let security_group = |g: &Value| -> Value {
        let perms = get(g, &["IpPermissions", "ipPermissions"]);
        let ingress: Vec<Value> = perms
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                let all = get(p, &["IpProtocol", "ipProtocol"]) == json!("-1");
                let v4: Vec<Value> = get(p, &["IpRanges", "ipv4Ranges", "ipRanges"])
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| get(r, &["CidrIp", "cidrIp"]))
                    .collect();
                let v6: Vec<Value> = get(p, &["Ipv6Ranges", "ipv6Ranges"])
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| get(r, &["CidrIpv6", "cidrIpv6"]))
                    .collect();
                let port = |keys: &[&str], default: i64| {
                    if all {
                        json!(default)
                    } else {
                        get(p, keys).as_i64().map_or(json!(default), |n| json!(n))
                    }
                };
                json!({
                    "from_port": port(&["FromPort", "fromPort"], 0),
                    "to_port": port(&["ToPort", "toPort"], 65535),
                    "cidr_blocks": v4,
                    "ipv6_cidr_blocks": v6,
                })
            })
            .collect();
        json!({ "name": get(g, &["GroupName", "groupName"]), "ingress": ingress })
    };
    let db = |d: &Value| -> Value {
        json!({
            "identifier": get(d, &["DBInstanceIdentifier", "dBInstanceIdentifier"]),
            "storage_encrypted": get(d, &["StorageEncrypted", "storageEncrypted"]),
            "publicly_accessible": get(d, &["PubliclyAccessible", "publiclyAccessible"]),
            "backup_retention_period": get(d, &["BackupRetentionPeriod", "backupRetentionPeriod"]),
        })
    };
    let s = |x: &Value| x.as_str().unwrap_or("?").to_string();
    for g in v["SecurityGroups"].as_array().into_iter().flatten() {
        push("aws_security_group", &s(&g["GroupId"]), security_group(g));
    }
    for d in v["DBInstances"].as_array().into_iter().flatten() {
        push("aws_db_instance", &s(&d["DBInstanceIdentifier"]), db(d));
    }
    for t in v["trailList"].as_array().into_iter().flatten() {
        push(
            "aws_cloudtrail",
            &s(&t["Name"]),
            json!({
                "name": t["Name"],
                "is_multi_region_trail": t["IsMultiRegionTrail"],
                "enable_log_file_validation": t["LogFileValidationEnabled"],
                "kms_key_id": t["KmsKeyId"],
            }),
        );
    }
    for r in v["repositories"].as_array().into_iter().flatten() {
        push(
            "aws_ecr_repository",
            &s(&r["repositoryName"]),
            json!({
                "name": r["repositoryName"],
                "image_tag_mutability": r["imageTagMutability"],
            }),
        );
    }
    if v["cluster"].is_object() {
        let c = &v["cluster"];
        let vpc = &c["resourcesVpcConfig"];
        push(
            "aws_eks_cluster",
            &s(&c["name"]),
            json!({
                "name": c["name"],
                "vpc_config": [{
                    "endpoint_public_access": vpc["endpointPublicAccess"],
                    "endpoint_private_access": vpc["endpointPrivateAccess"],
                    "public_access_cidrs": vpc["publicAccessCidrs"],
                }],
            }),
        );
    }
    for f in v["Functions"].as_array().into_iter().flatten() {
        push(
            "aws_lambda_function",
            &s(&f["FunctionName"]),
            json!({
                "function_name": f["FunctionName"],
                "runtime": f["Runtime"],
            }),
        );
    }
    // AWS Config: configuration items of the types the rules know.
    for item in v["configurationItems"].as_array().into_iter().flatten() {
        let conf = &item["configuration"];
        let sup = &item["supplementaryConfiguration"];
        let name = item["resourceName"]
            .as_str()
            .or(item["resourceId"].as_str())
            .unwrap_or("?")
            .to_string();
        match item["resourceType"].as_str().unwrap_or("") {
            "AWS::S3::Bucket" => {
                push("aws_s3_bucket", &name, json!({ "bucket": name }));
                let pab = &sup["PublicAccessBlockConfiguration"];
                if pab.is_object() {
                    push(
                        "aws_s3_bucket_public_access_block",
                        &name,
                        json!({
                            "bucket": name,
                            "block_public_acls": pab["blockPublicAcls"],
                            "block_public_policy": pab["blockPublicPolicy"],
                            "ignore_public_acls": pab["ignorePublicAcls"],
                            "restrict_public_buckets": pab["restrictPublicBuckets"],
                        }),
                    );
                }
                let ver = &sup["BucketVersioningConfiguration"];
                if ver.is_object() {
                    push(
                        "aws_s3_bucket_versioning",
                        &name,
                        json!({
                            "bucket": name,
                            "versioning_configuration": [{ "status": ver["status"] }],
                        }),
                    );
                }
                let sse = &sup["ServerSideEncryptionConfiguration"];
                if let Some(rules) = sse["rules"].as_array() {
                    let rule: Vec<Value> = rules
                        .iter()
                        .map(|r| json!({ "apply_server_side_encryption_by_default": [{
                            "sse_algorithm": r["applyServerSideEncryptionByDefault"]["sseAlgorithm"],
                            "kms_master_key_id": r["applyServerSideEncryptionByDefault"]["kmsMasterKeyID"],
                        }] }))
                        .collect();
                    push(
                        "aws_s3_bucket_server_side_encryption_configuration",
                        &name,
                        json!({ "bucket": name, "rule": rule }),
                    );
                }
            }
            "AWS::EC2::SecurityGroup" => push("aws_security_group", &name, security_group(conf)),
            "AWS::RDS::DBInstance" => push("aws_db_instance", &name, db(conf)),
            "AWS::KMS::Key" => push(
                "aws_kms_key",
                &name,
                json!({
                    "description": conf["description"],
                    "enable_key_rotation": sup["KeyRotationStatus"].as_bool().or(conf["keyRotationEnabled"].as_bool()),
                }),
            ),
            _ => {}
        }
    }
}
