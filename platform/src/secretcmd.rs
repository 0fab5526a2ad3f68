//! `portfolio secrets …` and `portfolio env render` (guide §8), over the `secrets` crate.
//!
//! Creation rules: `.portfolio-secrets.toml` at the root, `[[rule]]` entries with `path` (a
//! glob: `*` within a folder, `**` across folders) and `recipients` (age public keys); the first
//! rule matching a file's repository path chooses its recipients. Identities (private keys) come
//! from `PORTFOLIO_AGE_KEY` (the key itself) or the file `PORTFOLIO_AGE_KEY_FILE` (default
//! `~/.config/portfolio/age-keys.txt`). Values are never printed, except by `decrypt` to
//! standard output when asked.

use std::fs;
use std::path::{Path, PathBuf};

use secrets::Format;
use serde::{Deserialize, Serialize};

pub const RULES_FILE: &str = ".portfolio-secrets.toml";

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub path: String,
    pub recipients: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    rule: Vec<Rule>,
}

#[derive(Debug, thiserror::Error)]
pub enum SecretCmdError {
    #[error("{0}: {1}")]
    File(String, String),
    #[error("{RULES_FILE}: {0}")]
    Rules(String),
    #[error("{0}: no rule in {RULES_FILE} matches this path, so there is nobody to encrypt it to")]
    NoRule(String),
    #[error("{0}: unsupported file type (YAML, JSON or .env)")]
    Format(String),
    #[error(
        "no age identity: set PORTFOLIO_AGE_KEY or PORTFOLIO_AGE_KEY_FILE (default ~/.config/portfolio/age-keys.txt)"
    )]
    NoIdentity,
    #[error("{0}")]
    Other(String),
}

type Result<T, E = SecretCmdError> = std::result::Result<T, E>;

pub fn load_rules(root: &Path) -> Result<Vec<Rule>> {
    let Ok(text) = fs::read_to_string(root.join(RULES_FILE)) else {
        return Ok(vec![]);
    };
    let f: RulesFile = toml::from_str(&text).map_err(|e| {
        SecretCmdError::Rules(match e.span() {
            Some(s) => format!(
                "line {}: {}",
                crate::diag::line_of(&text, s.start),
                e.message()
            ),
            None => e.message().to_string(),
        })
    })?;
    for r in &f.rule {
        secrets::parse_recipients(&r.recipients)
            .map_err(|e| SecretCmdError::Rules(format!("rule `{}`: {e}", r.path)))?;
    }
    Ok(f.rule)
}

/// `*` within a path segment, `**` across segments, everything else literal.
pub fn glob_matches(pattern: &str, path: &str) -> bool {
    let mut re = String::from("^");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                    re.push_str("(?:.*/)?");
                } else {
                    re.push_str(".*");
                }
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).is_ok_and(|r| r.is_match(path))
}

fn rel(root: &Path, file: &Path) -> String {
    let abs = if file.is_absolute() {
        file.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(file))
            .unwrap_or(file.to_path_buf())
    };
    let abs = crate::docs::normalize_path(&abs);
    abs.strip_prefix(crate::docs::normalize_path(root))
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| file.display().to_string())
}

pub fn recipients_for(root: &Path, rules: &[Rule], file: &Path) -> Result<Vec<String>> {
    let path = rel(root, file);
    rules
        .iter()
        .find(|r| glob_matches(&r.path, &path))
        .map(|r| r.recipients.clone())
        .ok_or(SecretCmdError::NoRule(path))
}

pub fn identities() -> Result<Vec<secrets::Identity>> {
    let text = match std::env::var("PORTFOLIO_AGE_KEY") {
        Ok(k) if !k.is_empty() => k,
        _ => {
            let file = std::env::var("PORTFOLIO_AGE_KEY_FILE")
                .map(PathBuf::from)
                .unwrap_or_else(|_| {
                    PathBuf::from(std::env::var("HOME").unwrap_or_default())
                        .join(".config/portfolio/age-keys.txt")
                });
            fs::read_to_string(&file).map_err(|_| SecretCmdError::NoIdentity)?
        }
    };
    let ids = secrets::parse_identities(&text);
    if ids.is_empty() {
        return Err(SecretCmdError::NoIdentity);
    }
    Ok(ids)
}

fn format_of(file: &Path) -> Result<Format> {
    Format::of(file).ok_or_else(|| SecretCmdError::Format(file.display().to_string()))
}

fn read(file: &Path) -> Result<String> {
    fs::read_to_string(file)
        .map_err(|e| SecretCmdError::File(file.display().to_string(), e.to_string()))
}

/// Writes through a temporary file and a rename, mode 0600: a failure leaves the old file.
pub fn write_private(file: &Path, text: &str) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let err = |e: std::io::Error| SecretCmdError::File(file.display().to_string(), e.to_string());
    let tmp = file.with_extension(format!(
        "{}.tmp{}",
        file.extension().and_then(|e| e.to_str()).unwrap_or(""),
        std::process::id()
    ));
    {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(err)?;
        std::io::Write::write_all(&mut f, text.as_bytes()).map_err(err)?;
    }
    fs::rename(&tmp, file).map_err(err)
}

fn wrap(file: &Path, e: secrets::SecretsError) -> SecretCmdError {
    SecretCmdError::File(file.display().to_string(), e.to_string())
}

pub fn encrypt(root: &Path, file: &Path) -> Result<Vec<String>> {
    let rules = load_rules(root)?;
    let recipients = recipients_for(root, &rules, file)?;
    let format = format_of(file)?;
    let out = secrets::encrypt(&read(file)?, format, &recipients).map_err(|e| wrap(file, e))?;
    write_private(file, &out)?;
    Ok(recipients)
}

pub fn decrypt(file: &Path) -> Result<String> {
    let format = format_of(file)?;
    secrets::decrypt(&read(file)?, format, &identities()?).map_err(|e| wrap(file, e))
}

pub fn rotate(file: &Path) -> Result<()> {
    let format = format_of(file)?;
    let out = secrets::rotate(&read(file)?, format, &identities()?).map_err(|e| wrap(file, e))?;
    write_private(file, &out)
}

/// Gives the file to the recipients its rule names now; returns (before, after).
pub fn update_keys(root: &Path, file: &Path) -> Result<(Vec<String>, Vec<String>)> {
    let rules = load_rules(root)?;
    let want = recipients_for(root, &rules, file)?;
    let format = format_of(file)?;
    let text = read(file)?;
    let before = secrets::recipients_of(&text, format).map_err(|e| wrap(file, e))?;
    if before == want {
        return Ok((before, want));
    }
    let out =
        secrets::update_keys(&text, format, &identities()?, &want).map_err(|e| wrap(file, e))?;
    write_private(file, &out)?;
    Ok((before, want))
}

/// Decrypts to a private temporary file, runs the editor on it, encrypts the result again.
pub fn edit(root: &Path, file: &Path) -> Result<bool> {
    let format = format_of(file)?;
    let text = read(file)?;
    let plain = secrets::decrypt(&text, format, &identities()?).map_err(|e| wrap(file, e))?;
    let recipients = secrets::recipients_of(&text, format).map_err(|e| wrap(file, e))?;
    let dir = tempfile::Builder::new()
        .prefix("portfolio-secrets-")
        .tempdir()
        .map_err(|e| SecretCmdError::Other(e.to_string()))?;
    let tmp = dir.path().join(file.file_name().expect("a file name"));
    write_private(&tmp, &plain)?;
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".into());
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("editor")
        .arg(&tmp)
        .status()
        .map_err(|e| SecretCmdError::Other(format!("{editor}: {e}")))?;
    if !status.success() {
        return Err(SecretCmdError::Other(format!(
            "{editor} exited with {status}; nothing changed"
        )));
    }
    let edited = read(&tmp)?;
    if edited == plain {
        return Ok(false);
    }
    let _ = root;
    let out = secrets::encrypt(&edited, format, &recipients).map_err(|e| wrap(file, e))?;
    write_private(file, &out)?;
    Ok(true)
}

/// Files of the tree: tracked, plus untracked ones that are not ignored.
fn tree_files(root: &Path) -> Vec<String> {
    crate::git::run(
        root,
        &["ls-files", "--cached", "--others", "--exclude-standard"],
    )
    .map(|s| s.lines().map(str::to_string).collect())
    .unwrap_or_default()
}

/// Every encrypted file under `secrets/`.
pub fn encrypted_files(root: &Path) -> Vec<PathBuf> {
    tree_files(root)
        .into_iter()
        .filter(|f| f.starts_with("secrets/"))
        .map(|f| root.join(f))
        .filter(|p| {
            Format::of(p).is_some_and(|fmt| {
                fs::read_to_string(p).is_ok_and(|t| secrets::is_encrypted(&t, fmt))
            })
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub file: String,
    pub line: usize,
    pub problem: String,
}

/// `secrets check`: plaintext files under `secrets/`, and secrets in plain sight anywhere.
pub fn check(root: &Path) -> Vec<Finding> {
    let patterns: [(&str, &str); 4] = [
        ("AWS access key id", r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
        (
            "private key block",
            r"-----BEGIN ([A-Z]+ )*PRIVATE KEY-----",
        ),
        ("age secret key", r"AGE-SECRET-KEY-1[0-9A-Z]{58}"),
        ("GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    ];
    let res: Vec<(&str, regex::Regex)> = patterns
        .iter()
        .map(|(n, p)| (*n, regex::Regex::new(p).expect("valid pattern")))
        .collect();
    let mut out = Vec::new();
    for f in tree_files(root) {
        let path = root.join(&f);
        let Ok(bytes) = fs::read(&path) else {
            continue;
        };
        if bytes.len() > 5_000_000 || bytes.contains(&0) {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        if f.starts_with("secrets/") {
            match Format::of(&path) {
                Some(fmt) if !secrets::is_encrypted(&text, fmt) => out.push(Finding {
                    file: f.clone(),
                    line: 1,
                    problem: format!(
                        "not encrypted: run `portfolio secrets encrypt {f}` before committing"
                    ),
                }),
                None if !f.ends_with(".md") && !f.ends_with(".gitkeep") => out.push(Finding {
                    file: f.clone(),
                    line: 1,
                    problem: "not a YAML, JSON or .env file: secrets/ holds encrypted files only"
                        .into(),
                }),
                _ => {}
            }
        }
        for (n, line) in text.lines().enumerate() {
            for (name, re) in &res {
                if re.is_match(line) {
                    out.push(Finding {
                        file: f.clone(),
                        line: n + 1,
                        problem: format!("{name} in plain text: remove it, rotate it, keep it in secrets/ encrypted"),
                    });
                }
            }
        }
    }
    out
}

/// `env render`: the project's manifest defaults, the environment's `[deploy.env]`, then the
/// decrypted `secrets/<env>/<domain>__<name>.<yaml|json|env>` (nested keys joined with `_`).
pub fn render_env(
    root: &Path,
    catalog: &crate::catalog::Catalog,
    env: &crate::delivery::Environment,
    project: &str,
) -> Result<Vec<(String, String, &'static str)>> {
    let i = catalog.resolve(project).map_err(SecretCmdError::Other)?;
    let p = &catalog.projects[i];
    let mut vars: Vec<(String, String, &'static str)> = Vec::new();
    let mut set = |k: String, v: String, from: &'static str| {
        vars.retain(|(x, _, _)| *x != k);
        vars.push((k, v, from));
    };
    for v in &p.manifest.env {
        if let Some(d) = &v.default {
            set(v.name.get_ref().clone(), d.clone(), "manifest default");
        }
    }
    set("PORTFOLIO_ENV".into(), env.name.clone(), "environment");
    for (k, v) in &env.deploy.env {
        set(k.clone(), v.clone(), "environment");
    }
    let stem = p.id().replace('/', "__");
    for ext in ["env", "yaml", "yml", "json"] {
        let file = root
            .join("secrets")
            .join(&env.name)
            .join(format!("{stem}.{ext}"));
        if file.is_file() {
            let fmt = format_of(&file)?;
            let pairs = secrets::decrypt_pairs(&read(&file)?, fmt, &identities()?)
                .map_err(|e| wrap(&file, e))?;
            for (k, v) in pairs {
                set(k, v, "secret");
            }
        }
    }
    Ok(vars)
}
