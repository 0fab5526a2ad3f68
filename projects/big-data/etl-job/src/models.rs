//! The SQL models: `models/models.toml` lists them in run order; each is `<name>.sql` with
//! its checks in `<name>.checks.toml`. The project's own models are compiled into the binary;
//! `--models DIR` runs a folder of the same layout instead (what `export-spark` writes).

use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::quality::{self, Check};

/// The project's models, as shipped: (file name, text).
pub const SHIPPED: &[(&str, &str)] = &[
    ("models.toml", include_str!("../models/models.toml")),
    ("task_state.sql", include_str!("../models/task_state.sql")),
    ("kpis_daily.sql", include_str!("../models/kpis_daily.sql")),
    (
        "kpis_daily.checks.toml",
        include_str!("../models/kpis_daily.checks.toml"),
    ),
    (
        "project_health.sql",
        include_str!("../models/project_health.sql"),
    ),
    (
        "project_health.checks.toml",
        include_str!("../models/project_health.checks.toml"),
    ),
    (
        "task_features.sql",
        include_str!("../models/task_features.sql"),
    ),
    (
        "task_features.checks.toml",
        include_str!("../models/task_features.checks.toml"),
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Materialized {
    View,
    Table,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    materialized: Materialized,
    table: Option<String>,
    #[serde(default)]
    key: Vec<String>,
    #[serde(default)]
    uses_run_date: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    model: Vec<Entry>,
}

/// One model, ready to run.
#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub materialized: Materialized,
    /// The output table under the lake root (table models).
    pub table: Option<String>,
    pub key: Vec<String>,
    pub uses_run_date: bool,
    /// The SQL with `{{…}}` parameters unreplaced.
    pub sql: String,
    pub checks: Vec<Check>,
}

/// The run's parameters substituted into the SQL.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    pub run_date: NaiveDate,
}

impl Params {
    /// The end of the run's UTC day, µs since the epoch.
    pub fn as_of_us(&self) -> i64 {
        let next = self.run_date.succ_opt().unwrap_or(self.run_date);
        next.and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc()
            .timestamp_micros()
    }
}

impl Model {
    /// The SQL with the run's parameters in place.
    pub fn render(&self, params: &Params) -> String {
        self.sql
            .replace(
                "{{run_date}}",
                &params.run_date.format("%Y-%m-%d").to_string(),
            )
            .replace("{{as_of_us}}", &params.as_of_us().to_string())
    }
}

/// Loads models from `files` (name → text); `origin` names the set in errors.
pub fn load(files: &dyn Fn(&str) -> Option<String>, origin: &str) -> anyhow::Result<Vec<Model>> {
    let manifest_text =
        files("models.toml").ok_or_else(|| anyhow::anyhow!("{origin}: no models.toml"))?;
    let manifest: Manifest =
        toml::from_str(&manifest_text).map_err(|e| anyhow::anyhow!("{origin}/models.toml: {e}"))?;
    let mut out = Vec::new();
    for e in manifest.model {
        anyhow::ensure!(
            e.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{origin}/models.toml: model name `{}` must be lower-case letters, digits and _",
            e.name
        );
        anyhow::ensure!(
            (e.materialized == Materialized::Table) == e.table.is_some(),
            "{origin}/models.toml: model `{}`: a table model names its `table`, a view does not",
            e.name
        );
        anyhow::ensure!(
            e.materialized == Materialized::View || !e.key.is_empty(),
            "{origin}/models.toml: table model `{}` needs a `key`",
            e.name
        );
        let sql_name = format!("{}.sql", e.name);
        let sql = files(&sql_name)
            .ok_or_else(|| anyhow::anyhow!("{origin}: model `{}` has no {sql_name}", e.name))?;
        let checks_name = format!("{}.checks.toml", e.name);
        let checks = match files(&checks_name) {
            Some(text) => quality::parse(&text, &format!("{origin}/{checks_name}"))?,
            None => Vec::new(),
        };
        out.push(Model {
            name: e.name,
            materialized: e.materialized,
            table: e.table,
            key: e.key,
            uses_run_date: e.uses_run_date,
            sql,
            checks,
        });
    }
    Ok(out)
}

/// The shipped models.
pub fn shipped() -> Vec<Model> {
    load(
        &|name| {
            SHIPPED
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| t.to_string())
        },
        "models",
    )
    .expect("the shipped models load (tested)")
}

/// The models of a folder.
pub fn from_dir(dir: &Path) -> anyhow::Result<Vec<Model>> {
    if !dir.is_dir() {
        anyhow::bail!("--models {}: no such folder", dir.display());
    }
    load(
        &|name| std::fs::read_to_string(dir.join(name)).ok(),
        &dir.display().to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_models_load_and_render() {
        let models = shipped();
        let names: Vec<_> = models.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "task_state",
                "kpis_daily",
                "project_health",
                "task_features"
            ]
        );
        let params = Params {
            run_date: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
        };
        let health = models[2].render(&params);
        assert!(health.contains("DATE '2026-12-03'"));
        // 2026-12-04T00:00:00Z
        assert!(health.contains("1796342400000000"), "{health}");
        assert!(!health.contains("{{"));
    }

    #[test]
    fn a_broken_manifest_is_named() {
        let files = |name: &str| match name {
            "models.toml" => Some("[[model]]\nname = \"x\"\nmaterialized = \"table\"\n".into()),
            _ => None,
        };
        let err = load(&files, "mine").unwrap_err().to_string();
        assert!(err.contains("mine/models.toml: model `x`"), "{err}");
    }
}
