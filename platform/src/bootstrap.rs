//! `portfolio bootstrap`: what this repository needs on a machine, what is there, and how to
//! get the rest. Also writes `env/local.example` from the manifests' `env` entries.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde::Serialize;

use crate::catalog::Catalog;

/// A tool the repository may need.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    pub id: &'static str,
    /// Command and argument that print the version.
    pub probe: &'static [&'static str],
    /// Oldest acceptable version, `major.minor`.
    pub min: &'static str,
    /// Debian package that provides it, when there is one.
    pub apt: Option<&'static str>,
    /// Else a crate `cargo install --locked` builds (`name@version`).
    pub cargo: Option<&'static str>,
    /// Needed whatever the catalog says (the platform's own build and tests).
    pub always: bool,
    /// Needed to run the platform (`portfolio up`), not only to test it.
    pub run: bool,
    pub purpose: &'static str,
}

/// Every tool `portfolio` knows. Projects name extra ones in `requires`.
pub const TOOLS: &[Tool] = &[
    Tool {
        id: "git",
        probe: &["git", "--version"],
        min: "2.40",
        apt: Some("git"),
        cargo: None,
        always: true,
        run: true,
        purpose: "version control, `affected`",
    },
    Tool {
        id: "cargo",
        probe: &["cargo", "--version"],
        min: "1.95",
        apt: None,
        cargo: None,
        always: true,
        run: true,
        purpose: "Rust workspace (rustup toolchain)",
    },
    Tool {
        id: "python3",
        probe: &["python3", "--version"],
        min: "3.11",
        apt: Some("python3"),
        cargo: None,
        always: true,
        run: false,
        purpose: "platform tests' fixture server",
    },
    Tool {
        id: "node",
        probe: &["node", "--version"],
        min: "20.0",
        apt: Some("nodejs"),
        cargo: None,
        always: false,
        run: true,
        purpose: "web builds and tests",
    },
    Tool {
        id: "npm",
        probe: &["npm", "--version"],
        min: "10.0",
        apt: Some("npm"),
        cargo: None,
        always: false,
        run: true,
        purpose: "web dependencies (npm workspaces)",
    },
    Tool {
        id: "chromium",
        probe: &["chromium", "--version"],
        min: "120.0",
        apt: Some("chromium"),
        cargo: None,
        always: true,
        run: false,
        purpose: "browser tests and the governance report check (headless)",
    },
    Tool {
        id: "postgresql",
        probe: &["pg_ctl", "--version"],
        min: "15.0",
        apt: Some("postgresql"),
        cargo: None,
        always: false,
        run: false,
        purpose: "services' tests on PostgreSQL",
    },
    Tool {
        id: "redis",
        probe: &["redis-server", "--version"],
        min: "7.0",
        apt: Some("redis-server"),
        cargo: None,
        always: false,
        run: false,
        purpose: "the task API's shared cache (REDIS_URL) and its tests",
    },
    Tool {
        id: "java",
        probe: &["java", "--version"],
        min: "17.0",
        apt: Some("openjdk-17-jre-headless"),
        cargo: None,
        always: false,
        run: false,
        purpose: "the ETL's Spark-equivalence test (PyPI pyspark in local mode)",
    },
    Tool {
        id: "openssl",
        probe: &["openssl", "version"],
        min: "3.0",
        apt: Some("openssl"),
        cargo: None,
        always: false,
        run: false,
        purpose: "TLS certificates for the admission webhook's tests and benchmark",
    },
    Tool {
        id: "cargo-deny",
        probe: &["cargo-deny", "--version"],
        min: "0.20",
        apt: None,
        cargo: Some("cargo-deny@0.20.2"),
        always: false,
        run: false,
        purpose: "CI security stage: licences, bans, sources (deny.toml)",
    },
    Tool {
        id: "cargo-cyclonedx",
        probe: &["cargo-cyclonedx", "cyclonedx", "--version"],
        min: "0.5",
        apt: None,
        cargo: Some("cargo-cyclonedx@0.5.9"),
        always: false,
        run: false,
        purpose: "CI security stage: a CycloneDX SBOM per package",
    },
    Tool {
        id: "terraform",
        probe: &["terraform", "version"],
        min: "1.6",
        apt: None,
        cargo: None,
        always: false,
        run: false,
        purpose: "IaC modules: fmt (validate needs provider plugins, unreachable here)",
    },
];

/// What the machine is being prepared for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Scope {
    /// Running the platform (`make up`): the toolchains that build and serve it.
    Up,
    /// Everything `make test` and CI run (the default).
    #[default]
    Test,
}

impl Scope {
    pub fn includes(self, tool: &Tool) -> bool {
        self == Scope::Test || tool.run
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Ok,
    Missing,
    TooOld,
    /// Missing or too old, but nothing built needs it yet.
    Optional,
}

#[derive(Debug, Clone, Serialize)]
pub struct ToolReport {
    pub tool: &'static str,
    pub required: String,
    pub found: Option<String>,
    pub status: Status,
    pub needed_by: Vec<String>,
    pub install: Option<String>,
    pub purpose: &'static str,
}

/// First `N.N[.N]` in a version banner (`cargo 1.95.0 (…)`, `v20.1.0`, `Terraform v1.6.0`).
pub fn parse_version(banner: &str) -> Option<String> {
    let start = banner.find(|c: char| c.is_ascii_digit())?;
    let v: String = banner[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let v = v.trim_end_matches('.').to_string();
    v.contains('.').then_some(v)
}

fn numbers(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// `found >= min`, comparing numerically part by part.
pub fn at_least(found: &str, min: &str) -> bool {
    numbers(found) >= numbers(min)
}

fn probe(tool: &Tool) -> Option<String> {
    let mut cmd = Command::new(tool.probe[0]);
    cmd.args(&tool.probe[1..]);
    // PostgreSQL's server binaries live outside PATH on Debian.
    if tool.id == "postgresql"
        && let Some(dir) = postgres_bin_dir()
    {
        cmd = Command::new(dir.join("pg_ctl"));
        cmd.arg("--version");
    }
    let out = cmd.output().ok()?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    parse_version(text.lines().next().unwrap_or(""))
}

/// The installed version of the tool with this id, if it is known and installed.
pub fn version_of(id: &str) -> Option<String> {
    TOOLS.iter().find(|t| t.id == id).and_then(probe)
}

/// The newest `/usr/lib/postgresql/<v>/bin` on this machine, if any.
pub fn postgres_bin_dir() -> Option<std::path::PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("pg_ctl").is_file())
        .collect();
    dirs.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
    });
    dirs.pop()
}

/// The tool table for `catalog`: which tools are needed by built projects, and their state.
pub fn check(catalog: &Catalog) -> Vec<ToolReport> {
    TOOLS
        .iter()
        .map(|tool| {
            let mut needed_by: Vec<String> = catalog
                .projects
                .iter()
                .filter(|p| p.lifecycle().is_built() && p.tools().iter().any(|t| t == tool.id))
                .map(|p| p.id().to_string())
                .collect();
            if tool.always {
                needed_by.insert(0, "platform".into());
            }
            let found = probe(tool);
            let good = found.as_deref().is_some_and(|f| at_least(f, tool.min));
            let status = match (&found, good, needed_by.is_empty()) {
                (_, true, _) => Status::Ok,
                (_, false, true) => Status::Optional,
                (None, false, false) => Status::Missing,
                (Some(_), false, false) => Status::TooOld,
            };
            ToolReport {
                tool: tool.id,
                required: format!(">= {}", tool.min),
                found,
                status,
                needed_by,
                install: tool
                    .apt
                    .map(|p| format!("apt-get install -y {p}"))
                    .or_else(|| tool.cargo.map(|c| format!("cargo install --locked {c}"))),
                purpose: tool.purpose,
            }
        })
        .collect()
}

/// Installs the missing tools that apt or `cargo install` provide. Returns the commands it
/// ran.
/// Installs what `reports` call missing or too old, limited to `scope`'s tools.
pub fn install(reports: &[ToolReport], scope: Scope) -> Result<Vec<String>, String> {
    let missing: Vec<&Tool> = reports
        .iter()
        .filter(|r| matches!(r.status, Status::Missing | Status::TooOld))
        .filter_map(|r| TOOLS.iter().find(|t| t.id == r.tool))
        .filter(|t| scope.includes(t))
        .collect();
    let packages: Vec<&str> = missing.iter().filter_map(|t| t.apt).collect();
    let crates: Vec<&str> = missing.iter().filter_map(|t| t.cargo).collect();
    let mut ran = Vec::new();
    for c in crates {
        let line = format!("cargo install --locked {c}");
        eprintln!("+ {line} (a few minutes, once)");
        // Its own target folder: the workspace's build cache stays as it is.
        let target = std::env::temp_dir().join("portfolio-cargo-install");
        let status = Command::new("cargo")
            .args(["install", "--locked", "--quiet", c])
            .env("CARGO_TARGET_DIR", &target)
            .status()
            .map_err(|e| format!("{line}: {e}"))?;
        ran.push(line.clone());
        if !status.success() {
            return Err(format!("`{line}` failed with {status}"));
        }
        let _ = std::fs::remove_dir_all(&target);
    }
    if packages.is_empty() {
        return Ok(ran);
    }
    let sudo: &[&str] = if nix::unistd::geteuid().is_root() {
        &[]
    } else {
        &["sudo"]
    };
    let run = |args: Vec<&str>, ran: &mut Vec<String>| -> Result<(), String> {
        let line = args.join(" ");
        eprintln!("+ {line}");
        let status = Command::new(args[0])
            .args(&args[1..])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map_err(|e| format!("{line}: {e}"))?;
        ran.push(line.clone());
        status
            .success()
            .then_some(())
            .ok_or_else(|| format!("`{line}` failed with {status}"))
    };
    let mut update = sudo.to_vec();
    update.extend(["apt-get", "update", "-q"]);
    run(update, &mut ran)?;
    let mut install = sudo.to_vec();
    install.extend(["apt-get", "install", "-y", "-q", "--no-install-recommends"]);
    install.extend(packages);
    run(install, &mut ran)?;
    Ok(ran)
}

/// The text of `env/local.example`: every project's env entries, secrets left blank.
pub fn env_example(catalog: &Catalog) -> String {
    let mut out = String::from(
        "# Generated by `portfolio bootstrap` from the manifests' [[env]] entries. Do not edit:\n\
         # copy to env/local (ignored by git) and change values there. Secrets are left blank;\n\
         # fill them from your secret store, never commit them.\n",
    );
    for p in catalog
        .projects
        .iter()
        .filter(|p| !p.manifest.env.is_empty())
    {
        let _ = writeln!(
            out,
            "\n# {} ({}): {}",
            p.id(),
            p.lifecycle(),
            p.manifest.summary
        );
        for var in &p.manifest.env {
            if !var.description.is_empty() {
                let _ = writeln!(out, "# {}", var.description);
            }
            if var.secret {
                let _ = writeln!(out, "{}=  # secret", var.name.get_ref());
            } else {
                let _ = writeln!(
                    out,
                    "{}={}",
                    var.name.get_ref(),
                    var.default.as_deref().unwrap_or("")
                );
            }
        }
    }
    out
}

/// Path of the generated example environment.
pub fn env_example_path(root: &Path) -> std::path::PathBuf {
    root.join("env/local.example")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions_from_banners() {
        assert_eq!(
            parse_version("cargo 1.95.0 (f2d3ce0bd 2026-03-21)").as_deref(),
            Some("1.95.0")
        );
        assert_eq!(parse_version("v20.20.2").as_deref(), Some("20.20.2"));
        assert_eq!(parse_version("Terraform v1.6.6").as_deref(), Some("1.6.6"));
        assert_eq!(
            parse_version("pg_ctl (PostgreSQL) 15.18").as_deref(),
            Some("15.18")
        );
        assert_eq!(
            parse_version("Chromium 156.0.8078.73 built on Debian").as_deref(),
            Some("156.0.8078.73")
        );
        assert_eq!(parse_version("no digits"), None);
    }

    #[test]
    fn compares_versions_numerically() {
        assert!(at_least("1.95.0", "1.95"));
        assert!(at_least("1.100", "1.95"));
        assert!(!at_least("1.9", "1.95"));
        assert!(at_least("20.20.2", "20.0"));
        assert!(!at_least("18.1", "20.0"));
    }
}
