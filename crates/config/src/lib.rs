//! Layered, typed configuration for every Rust service: defaults → file → environment.
//!
//! ```no_run
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Settings { addr: String, database: Database }
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Database { url: String, max_connections: u32 }
//!
//! let defaults = Settings {
//!     addr: "127.0.0.1:8000".into(),
//!     database: Database { url: "sqlite://tasks.db".into(), max_connections: 5 },
//! };
//! // TASK_API_ADDR=… overrides `addr`; TASK_API_DATABASE__URL=… overrides `database.url`.
//! let settings: Settings = config::load(&defaults, Some("task-api.toml".as_ref()), "TASK_API_").unwrap();
//! ```
//!
//! Every error names the key and the layer it came from, e.g.
//! ``database.max_connections` from environment variable TASK_API_DATABASE__MAX_CONNECTIONS:
//! invalid type: found string "many", expected u32``. Invariant: loading never writes.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::Serialize;
use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("config file {0} does not exist")]
    MissingFile(PathBuf),
    /// One line per problem, each naming the key and where its value came from.
    #[error("{}", .0.join("\n"))]
    Invalid(Vec<String>),
}

/// Loads `T`: `defaults`, then the TOML `file` (if given; it must exist), then environment
/// variables starting with `env_prefix` (`__` separates nested keys).
pub fn load<T: Serialize + DeserializeOwned>(
    defaults: &T,
    file: Option<&Path>,
    env_prefix: &str,
) -> Result<T, ConfigError> {
    load_with_shared(defaults, file, &[], env_prefix)
}

/// Like [`load`], but also reads the platform-wide variables in `shared` (e.g.
/// `DATABASE_URL`, `KAFKA_BOOTSTRAP_SERVERS`) as top-level keys, below the prefixed ones: a
/// service-specific `TASK_API_DATABASE_URL` wins over a shared `DATABASE_URL`.
pub fn load_with_shared<T: Serialize + DeserializeOwned>(
    defaults: &T,
    file: Option<&Path>,
    shared: &[&str],
    env_prefix: &str,
) -> Result<T, ConfigError> {
    let mut figment = Figment::from(Serialized::defaults(defaults));
    if let Some(path) = file {
        if !path.is_file() {
            return Err(ConfigError::MissingFile(path.to_path_buf()));
        }
        figment = figment.merge(Toml::file_exact(path));
    }
    if !shared.is_empty() {
        figment = figment.merge(Env::raw().only(shared));
    }
    figment = figment.merge(Env::prefixed(env_prefix).split("__"));
    figment
        .extract()
        .map_err(|e| ConfigError::Invalid(e.into_iter().map(|e| describe(e, env_prefix)).collect()))
}

fn describe(e: figment::Error, env_prefix: &str) -> String {
    let key = e.path.join(".");
    let origin = match &e.metadata {
        Some(m) if m.name.contains("environment") && m.name.contains(env_prefix) => {
            format!(
                " from environment variable {env_prefix}{}",
                e.path.join("__").to_uppercase()
            )
        }
        Some(m) if m.name.contains("environment") => {
            format!(
                " from environment variable {}",
                e.path.join("__").to_uppercase()
            )
        }
        Some(m) => match &m.source {
            Some(figment::Source::File(p)) => format!(" from {}", p.display()),
            _ => format!(" from {}", m.name),
        },
        None => String::new(),
    };
    let what = e.kind.to_string();
    if key.is_empty() {
        format!("config{origin}: {what}")
    } else {
        format!("`{key}`{origin}: {what}")
    }
}

#[cfg(test)]
// figment's Jail closures return its own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Settings {
        addr: String,
        database: Database,
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Database {
        url: String,
        max_connections: u32,
    }

    fn defaults() -> Settings {
        Settings {
            addr: "127.0.0.1:8000".into(),
            database: Database {
                url: "sqlite://a.db".into(),
                max_connections: 5,
            },
        }
    }

    /// Runs `f` in a figment `Jail`: environment variables it sets are set under the jail's
    /// lock (one jail at a time in the process) and restored when it ends, so tests never race
    /// on the process environment and no test code writes it directly.
    fn jailed(f: impl FnOnce(&mut figment::Jail) -> figment::error::Result<()>) {
        figment::Jail::expect_with(f);
    }

    #[test]
    fn defaults_alone() {
        assert_eq!(load(&defaults(), None, "CFG_T1_").unwrap(), defaults());
    }

    #[test]
    fn file_overrides_defaults_and_environment_overrides_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("svc.toml");
        std::fs::write(
            &path,
            "addr = \"0.0.0.0:9000\"\n[database]\nmax_connections = 20\n",
        )
        .unwrap();
        jailed(|jail| {
            jail.set_env("CFG_T2_DATABASE__MAX_CONNECTIONS", "50");
            let s: Settings = load(&defaults(), Some(&path), "CFG_T2_").unwrap();
            assert_eq!(s.addr, "0.0.0.0:9000");
            assert_eq!(s.database.url, "sqlite://a.db");
            assert_eq!(s.database.max_connections, 50);
            Ok(())
        });
    }

    #[test]
    fn a_bad_environment_value_names_key_and_variable() {
        jailed(|jail| {
            jail.set_env("CFG_T3_DATABASE__MAX_CONNECTIONS", "many");
            let err = load(&defaults(), None, "CFG_T3_").unwrap_err().to_string();
            assert_eq!(
                err,
                "`database.max_connections` from environment variable CFG_T3_DATABASE__MAX_CONNECTIONS: invalid type: found string \"many\", expected u32"
            );
            Ok(())
        });
    }

    #[test]
    fn a_bad_file_value_names_key_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("svc.toml");
        std::fs::write(&path, "[database]\nmax_connections = -1\n").unwrap();
        let err = load(&defaults(), Some(&path), "CFG_T4_")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!(
                "`database.max_connections` from {}: invalid value",
                path.display()
            )),
            "{err}"
        );
    }

    /// Settings whose key matches a shared variable's name (`cfg_t6_url` ↔ `CFG_T6_URL`).
    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Shared {
        cfg_t6_url: String,
    }

    #[test]
    fn shared_variables_are_read_and_prefixed_ones_win() {
        let d = Shared {
            cfg_t6_url: "sqlite://a.db".into(),
        };
        assert_eq!(
            load_with_shared(&d, None, &["CFG_T6_URL"], "CFG_T6X_").unwrap(),
            d
        );
        jailed(|jail| {
            jail.set_env("CFG_T6_URL", "postgres://shared");
            let s = load_with_shared(&d, None, &["CFG_T6_URL"], "CFG_T6X_").unwrap();
            assert_eq!(s.cfg_t6_url, "postgres://shared");
            assert_eq!(
                load(&d, None, "CFG_T6X_").unwrap(),
                d,
                "unlisted shared names are not read"
            );
            jail.set_env("CFG_T6X_CFG_T6_URL", "postgres://specific");
            let s = load_with_shared(&d, None, &["CFG_T6_URL"], "CFG_T6X_").unwrap();
            assert_eq!(s.cfg_t6_url, "postgres://specific");
            Ok(())
        });
    }

    #[derive(Debug, Serialize, Deserialize)]
    struct Port {
        cfg_t7_port: u16,
    }

    #[test]
    fn a_bad_shared_variable_is_named() {
        jailed(|jail| {
            jail.set_env("CFG_T7_PORT", "many");
            let err =
                load_with_shared(&Port { cfg_t7_port: 1 }, None, &["CFG_T7_PORT"], "CFG_T7X_")
                    .unwrap_err()
                    .to_string();
            assert!(
                err.starts_with(
                    "`cfg_t7_port` from environment variable CFG_T7_PORT: invalid type"
                ),
                "{err}"
            );
            Ok(())
        });
    }

    #[test]
    fn a_missing_file_is_an_error_not_silence() {
        let err = load(&defaults(), Some(Path::new("/no/such/svc.toml")), "CFG_T5_").unwrap_err();
        assert_eq!(err, ConfigError::MissingFile("/no/such/svc.toml".into()));
    }
}
