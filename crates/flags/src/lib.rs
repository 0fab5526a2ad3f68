//! Feature flags as data: `ops/feature-flags.toml` in each project.
//!
//! ```toml
//! [[flag]]
//! name = "task-labels"            # lower-case, digits, `-`, `.`, `_`
//! owner = "team-backend"
//! description = "Labels on tasks in the web app"
//! default = false                 # when the environment has no value
//! created = 2026-11-01
//! expires = 2027-02-01            # `portfolio flags check` fails after this day
//! environments = { dev = true, staging = true, prod = false }
//! ```
//!
//! Code refers to a flag as `flag("name")` (Rust, TypeScript, any language): that is how
//! `portfolio flags check` finds flags used but not declared, and declared but unused.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flag {
    pub name: String,
    pub owner: String,
    pub description: String,
    pub default: bool,
    #[serde(deserialize_with = "date")]
    pub created: NaiveDate,
    #[serde(deserialize_with = "date")]
    pub expires: NaiveDate,
    #[serde(default)]
    pub environments: BTreeMap<String, bool>,
}

/// A TOML date (`2026-11-01`, bare or quoted) as a `NaiveDate`.
fn date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Toml(toml::value::Datetime),
        Text(String),
    }
    let text = match Raw::deserialize(d)? {
        Raw::Toml(t) => t.to_string(),
        Raw::Text(s) => s,
    };
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a date (YYYY-MM-DD)")))
}

impl Flag {
    /// The value in `env`: its own value there, else the default.
    pub fn value(&self, env: &str) -> bool {
        self.environments.get(env).copied().unwrap_or(self.default)
    }

    pub fn expired(&self, today: NaiveDate) -> bool {
        today > self.expires
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    flag: Vec<Flag>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FlagError {
    /// `file:line: message`.
    #[error("{file}:{line}: {message}")]
    Invalid {
        file: String,
        line: usize,
        message: String,
    },
}

fn line_of(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())].matches('\n').count() + 1
}

/// Parses and checks a flags file: names valid and unique, `created` ≤ `expires`.
pub fn parse(file: &str, src: &str) -> Result<Vec<Flag>, FlagError> {
    let err = |line: usize, message: String| FlagError::Invalid {
        file: file.to_string(),
        line,
        message,
    };
    let parsed: File = toml::from_str(src).map_err(|e| {
        err(
            e.span().map(|s| line_of(src, s.start)).unwrap_or(1),
            e.message().to_string(),
        )
    })?;
    let line_of_flag = |name: &str| {
        src.find(&format!("\"{name}\""))
            .map(|o| line_of(src, o))
            .unwrap_or(1)
    };
    let mut seen = std::collections::BTreeSet::new();
    for f in &parsed.flag {
        if !is_valid_name(&f.name) {
            return Err(err(
                line_of_flag(&f.name),
                format!(
                    "flag name `{}`: use lower-case letters, digits, `-`, `.`, `_`",
                    f.name
                ),
            ));
        }
        if !seen.insert(f.name.clone()) {
            return Err(err(
                line_of_flag(&f.name),
                format!("flag `{}` is declared twice", f.name),
            ));
        }
        if f.expires < f.created {
            return Err(err(
                line_of_flag(&f.name),
                format!(
                    "flag `{}` expires ({}) before it was created ({})",
                    f.name, f.expires, f.created
                ),
            ));
        }
    }
    Ok(parsed.flag)
}

pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | '_'))
}

/// Reads a flags file; a missing file has no flags.
pub fn load(path: &Path) -> Result<Vec<Flag>, FlagError> {
    match std::fs::read_to_string(path) {
        Ok(src) => parse(&path.display().to_string(), &src),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(vec![]),
        Err(e) => Err(FlagError::Invalid {
            file: path.display().to_string(),
            line: 1,
            message: e.to_string(),
        }),
    }
}

/// The flags of `env` as name → value.
pub fn values(flags: &[Flag], env: &str) -> BTreeMap<String, bool> {
    flags
        .iter()
        .map(|f| (f.name.clone(), f.value(env)))
        .collect()
}

/// Flag names referenced in source text as `flag("name")` or `flag('name')`, with their
/// 1-based line numbers.
pub fn references(src: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (n, line) in src.lines().enumerate() {
        let mut rest = line;
        while let Some(i) = rest.find("flag(") {
            let before = rest[..i].chars().last();
            let after = rest[i + 5..].trim_start();
            rest = &rest[i + 5..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue;
            };
            let body = &after[1..];
            if let Some(end) = body.find(q) {
                let name = &body[..end];
                if is_valid_name(name) {
                    out.push((name.to_string(), n + 1));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = r#"
[[flag]]
name = "task-labels"
owner = "team-backend"
description = "Labels on tasks"
default = false
created = 2026-11-01
expires = 2027-02-01
environments = { dev = true, staging = true }
"#;

    #[test]
    fn values_per_environment_fall_back_to_the_default() {
        let flags = parse("f.toml", SRC).unwrap();
        assert!(flags[0].value("dev"));
        assert!(!flags[0].value("prod"));
        assert!(!flags[0].expired(NaiveDate::from_ymd_opt(2027, 2, 1).unwrap()));
        assert!(flags[0].expired(NaiveDate::from_ymd_opt(2027, 2, 2).unwrap()));
    }

    #[test]
    fn bad_files_are_named_with_their_line() {
        let e = parse("f.toml", &SRC.replace("owner", "owners")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("f.toml:4: unknown field `owners`"),
            "{e}"
        );
        let e = parse("f.toml", &format!("{SRC}{SRC}")).unwrap_err();
        assert!(e.to_string().contains("declared twice"), "{e}");
        let e = parse("f.toml", &SRC.replace("2027-02-01", "2026-01-01")).unwrap_err();
        assert!(
            e.to_string()
                .contains("expires (2026-01-01) before it was created"),
            "{e}"
        );
        let e = parse("f.toml", &SRC.replace("task-labels", "Task Labels")).unwrap_err();
        assert!(e.to_string().contains("use lower-case"), "{e}");
    }

    #[test]
    fn references_are_found_in_any_language() {
        let src = "if flags.flag(\"task-labels\") {}\nconst x = flag('dark-mode');\nmyflag(\"no\") ; flag(name)";
        assert_eq!(
            references(src),
            vec![("task-labels".to_string(), 1), ("dark-mode".to_string(), 2)]
        );
    }
}
