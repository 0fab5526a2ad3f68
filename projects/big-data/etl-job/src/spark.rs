//! `etl-job export-spark`: the Spark path. Writes a folder that runs the same models on Spark
//! SQL: the models' SQL and checks (the very files etl-job runs) and `etl_spark.py`, which
//! builds the staging view from bronze with `from_json` and runs the models in order.

use std::path::Path;

use crate::models::SHIPPED;

/// The PySpark runner.
pub const RUNNER: &str = include_str!("../spark/etl_spark.py");

/// Writes the runner to `dir/etl_spark.py` and the models to `dir/models/`; returns the files
/// written.
pub fn export(dir: &Path) -> anyhow::Result<Vec<String>> {
    let models = dir.join("models");
    std::fs::create_dir_all(&models)
        .map_err(|e| anyhow::anyhow!("creating {}: {e}", models.display()))?;
    let mut written = Vec::new();
    let mut write = |path: &Path, text: &str| -> anyhow::Result<()> {
        std::fs::write(path, text)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
        written.push(path.display().to_string());
        Ok(())
    };
    write(&dir.join("etl_spark.py"), RUNNER)?;
    for (name, text) in SHIPPED {
        write(&models.join(name), text)?;
    }
    Ok(written)
}
