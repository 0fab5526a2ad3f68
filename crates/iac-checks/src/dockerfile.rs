//! Dockerfiles: base images pinned by digest and never `latest`, non-root leaf stages on a
//! shell-less base (distroless or scratch), an explicit HEALTHCHECK decision, no secrets in build
//! arguments or the environment, no remote `ADD`.

use std::collections::HashMap;
use std::path::Path;

use regex::Regex;

use crate::{Finding, read};

/// One build stage.
#[derive(Debug, Clone)]
pub struct Stage {
    pub name: Option<String>,
    /// The resolved `FROM` operand: an image reference or an earlier stage's name.
    pub from: String,
    pub line: usize,
    pub user: Option<String>,
    pub healthcheck: bool,
}

/// Instructions with their first line, continuation lines joined, comments dropped.
pub fn instructions(text: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut start = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if buf.is_empty() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        if buf.is_empty() {
            start = i + 1;
        }
        if let Some(part) = line.strip_suffix('\\') {
            buf.push_str(part);
            buf.push(' ');
            continue;
        }
        if !line.starts_with('#') {
            buf.push_str(line);
        }
        let (op, rest) = buf.split_once(char::is_whitespace).unwrap_or((&buf, ""));
        out.push((start, op.to_ascii_uppercase(), rest.trim().to_string()));
        buf.clear();
    }
    out
}

fn substitute(s: &str, args: &HashMap<String, String>) -> String {
    let re = Regex::new(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)").unwrap();
    re.replace_all(s, |c: &regex::Captures| {
        let name = c.get(1).or(c.get(2)).unwrap().as_str();
        args.get(name).cloned().unwrap_or_default()
    })
    .into_owned()
}

pub fn check_file(path: &Path) -> anyhow::Result<Vec<Finding>> {
    let text = read(path)?;
    Ok(check(path, &text))
}

pub fn check(path: &Path, text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |rule, line, resource: &str, message: String| {
        out.push(Finding {
            rule,
            file: path.to_path_buf(),
            line,
            resource: resource.to_string(),
            message,
        })
    };
    let secret =
        Regex::new(r"(?i)(password|passwd|secret|token|api_?key|private_?key|access_?key)")
            .unwrap();

    let mut global_args: HashMap<String, String> = HashMap::new();
    let mut stages: Vec<Stage> = Vec::new();
    let mut copied_from: Vec<String> = Vec::new();
    for (line, op, rest) in instructions(text) {
        let here = stages
            .last()
            .map(|s| {
                s.name
                    .clone()
                    .unwrap_or_else(|| format!("stage {}", stages.len() - 1))
            })
            .unwrap_or_else(|| "global".into());
        match op.as_str() {
            "ARG" | "ENV" => {
                let names: Vec<&str> = if op == "ARG" {
                    vec![rest.split('=').next().unwrap_or("").trim()]
                } else {
                    rest.split_whitespace()
                        .filter_map(|kv| kv.split('=').next())
                        .filter(|k| !k.is_empty())
                        .collect()
                };
                for n in &names {
                    if secret.is_match(n) {
                        push(
                            "DF004",
                            line,
                            &here,
                            format!("{op} {n} looks like a secret: use a BuildKit secret mount"),
                        );
                    }
                }
                if op == "ARG" && stages.is_empty() {
                    let (k, v) = rest.split_once('=').unwrap_or((&rest, ""));
                    global_args.insert(k.trim().into(), v.trim().trim_matches('"').into());
                }
            }
            "FROM" => {
                let words: Vec<&str> = rest
                    .split_whitespace()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                let from = substitute(words.first().copied().unwrap_or(""), &global_args);
                let name = match words.as_slice() {
                    [_, as_, n] if as_.eq_ignore_ascii_case("as") => Some(n.to_string()),
                    _ => None,
                };
                stages.push(Stage {
                    name,
                    from,
                    line,
                    user: None,
                    healthcheck: false,
                });
            }
            "USER" => {
                if let Some(s) = stages.last_mut() {
                    s.user = Some(rest.clone());
                }
            }
            "HEALTHCHECK" => {
                if let Some(s) = stages.last_mut() {
                    s.healthcheck = true;
                }
            }
            "COPY" => {
                if let Some(f) = rest
                    .split_whitespace()
                    .find_map(|w| w.strip_prefix("--from="))
                {
                    copied_from.push(f.to_string());
                }
            }
            "ADD" if rest.contains("http://") || rest.contains("https://") => {
                push(
                    "DF005",
                    line,
                    &here,
                    "ADD from a URL: download in a build stage with a checksum".into(),
                );
            }
            _ => {}
        }
    }

    let names: Vec<String> = stages.iter().filter_map(|s| s.name.clone()).collect();
    for s in &stages {
        let label = s.name.clone().unwrap_or_else(|| s.from.clone());
        if names.contains(&s.from) || s.from == "scratch" {
            continue;
        }
        if !s.from.contains("@sha256:") {
            push(
                "DF001",
                s.line,
                &label,
                format!("base image {:?} is not pinned by digest", s.from),
            );
        }
        let tag = s
            .from
            .split('@')
            .next()
            .unwrap_or("")
            .rsplit('/')
            .next()
            .unwrap_or("");
        if tag.ends_with(":latest") || (!tag.contains(':') && !s.from.contains('@')) {
            push(
                "DF002",
                s.line,
                &label,
                format!("base image {:?} floats (latest or no tag)", s.from),
            );
        }
    }

    // Leaf stages (built as targets, not used by other stages) are what ships.
    let used: Vec<&str> = stages
        .iter()
        .map(|s| s.from.as_str())
        .chain(copied_from.iter().map(|s| s.as_str()))
        .collect();
    for (i, s) in stages.iter().enumerate() {
        if s.name.as_deref().is_some_and(|n| used.contains(&n)) {
            continue;
        }
        let label = s.name.clone().unwrap_or_else(|| format!("stage {i}"));
        // Walk to the base image through parent stages.
        let mut chain = vec![s];
        while let Some(parent) = stages
            .iter()
            .find(|p| p.name.as_deref() == Some(chain.last().unwrap().from.as_str()))
        {
            if chain.len() > stages.len() {
                break;
            }
            chain.push(parent);
        }
        let user = chain.iter().find_map(|c| c.user.clone());
        match user.as_deref().map(|u| u.split(':').next().unwrap_or("")) {
            None => push(
                "DF003",
                s.line,
                &label,
                "final stage runs as root (no USER)".into(),
            ),
            Some("root" | "0") => push("DF003", s.line, &label, "final stage runs as root".into()),
            _ => {}
        }
        let base = &chain.last().unwrap().from;
        if !(base.contains("distroless") || base == "scratch") {
            push(
                "DF007",
                s.line,
                &label,
                format!(
                    "final stage is based on {base:?}, which has a shell (use distroless or scratch)"
                ),
            );
        }
        if !chain.iter().any(|c| c.healthcheck) {
            push(
                "DF006",
                s.line,
                &label,
                "no HEALTHCHECK decision (a probe, or HEALTHCHECK NONE with a reason)".into(),
            );
        }
    }
    out
}
