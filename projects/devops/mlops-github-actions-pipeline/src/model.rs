//! Training the late-task model: gradient-boosted trees (`forust-ml`, adr/0001) on the
//! time-ordered training part, boosting stopped early on the validation part, which also
//! picks the decision threshold (best F1). Deterministic: no sampling, one seed.

use std::path::Path;
use std::time::Instant;

use chrono::NaiveDate;
use forust_ml::metric::Metric;
use forust_ml::objective::ObjectiveType;
use forust_ml::{GradientBooster, Matrix};
use serde::{Deserialize, Serialize};

use crate::config::TrainConfig;

use crate::data::{Dataset, FEATURES, PRIORITIES};
use crate::metrics::{best_f1_threshold, roc_auc};

/// The registry's name of the model.
pub const MODEL_NAME: &str = "late-task";

/// What a scorer needs beside the trees: the features in order, their encoding, the
/// threshold. Deterministic (no times), so the artefact is byte-identical for a seed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelMeta {
    pub name: String,
    pub algorithm: String,
    pub features: Vec<String>,
    /// `priority` is encoded as its index here; booleans as 0/1; nulls as NaN.
    pub priority_encoding: Vec<String>,
    pub label: String,
    /// Predicted late when the probability is at least this.
    pub threshold: f64,
    pub trees: usize,
    pub params: TrainConfig,
}

/// The trained model: the trees and its meta.
pub struct Model {
    pub booster: GradientBooster,
    pub meta: ModelMeta,
}

/// How a training went (times vary run to run, so they are kept out of the artefact).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainReport {
    pub rows: usize,
    pub train_rows: usize,
    pub validation_rows: usize,
    pub test_rows: usize,
    pub unsettled_rows: usize,
    pub data_hash: String,
    pub data_source: String,
    pub train_window: (String, String),
    pub validation_window: (String, String),
    pub test_window: (String, String),
    pub validation_auc: Option<f64>,
    pub fit_seconds: f64,
    pub trees: usize,
    pub threshold: f64,
}

fn window(ds: &Dataset) -> (String, String) {
    ds.window()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .unwrap_or_default()
}

/// Fits on `ds`'s training part; returns the model, the report and the test part.
pub fn train(
    ds: &Dataset,
    source: &str,
    cfg: &TrainConfig,
) -> anyhow::Result<(Model, TrainReport, Dataset)> {
    let split = ds.split(cfg.train_share, cfg.validation_share);
    anyhow::ensure!(
        !split.train.is_empty() && !split.validation.is_empty() && !split.test.is_empty(),
        "{} row(s) with a known outcome are too few to split into train, validation and test",
        ds.rows
    );
    let (tr, va, te) = (
        ds.slice(split.train.clone()),
        ds.slice(split.validation.clone()),
        ds.slice(split.test.clone()),
    );
    let mut booster = GradientBooster::default()
        .set_objective_type(ObjectiveType::LogLoss)
        .set_iterations(cfg.iterations)
        .set_learning_rate(cfg.learning_rate)
        .set_max_depth(cfg.max_depth)
        .set_nbins(cfg.bins)
        .set_seed(cfg.seed)
        .set_evaluation_metric(Some(Metric::LogLoss))
        .set_early_stopping_rounds(Some(cfg.early_stopping_rounds));
    let started = Instant::now();
    let train_m = Matrix::new(&tr.matrix, tr.rows, FEATURES.len());
    let valid_m = Matrix::new(&va.matrix, va.rows, FEATURES.len());
    let weights = vec![1.0; va.rows];
    booster
        .fit_unweighted(
            &train_m,
            &tr.label,
            Some(vec![(valid_m, va.label.as_slice(), weights.as_slice())]),
        )
        .map_err(|e| anyhow::anyhow!("training: {e}"))?;
    let fit_seconds = started.elapsed().as_secs_f64();
    let trees = booster.prediction_iteration.unwrap_or(booster.trees.len());
    let mut model = Model {
        booster,
        meta: ModelMeta {
            name: MODEL_NAME.into(),
            algorithm: "gradient-boosted trees (forust-ml 0.8, log loss)".into(),
            features: FEATURES.iter().map(|s| s.to_string()).collect(),
            priority_encoding: PRIORITIES.iter().map(|s| s.to_string()).collect(),
            label: crate::data::LABEL.into(),
            threshold: 0.5,
            trees,
            params: cfg.clone(),
        },
    };
    let pv = model.predict(&va);
    model.meta.threshold = best_f1_threshold(&pv, &va.label);
    let report = TrainReport {
        rows: ds.rows,
        train_rows: tr.rows,
        validation_rows: va.rows,
        test_rows: te.rows,
        unsettled_rows: ds.unsettled,
        data_hash: ds.hash(),
        data_source: source.to_string(),
        train_window: window(&tr),
        validation_window: window(&va),
        test_window: window(&te),
        validation_auc: roc_auc(&pv, &va.label),
        fit_seconds,
        trees,
        threshold: model.meta.threshold,
    };
    Ok((model, report, te))
}

/// One task's features as a scorer knows them when the task is created: the serving side of
/// the encoding the training applies to `gold/task_features` ([`crate::data`]), so a live
/// score and the offline prediction of the same task agree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaskFeatures {
    /// The UTC creation date.
    pub created: NaiveDate,
    /// An index into [`PRIORITIES`].
    pub priority: usize,
    pub due_date: Option<NaiveDate>,
    pub label_count: u32,
    pub description_length: u32,
    pub has_assignee: bool,
    /// The project's open tasks just before this one was created.
    pub project_open_load: i64,
    /// The project's first completions in the 28 days before this task was created.
    pub project_throughput_28d: i64,
}

impl TaskFeatures {
    /// The model's input row, in [`FEATURES`] order.
    pub fn row(&self) -> [f64; 9] {
        let created = crate::data::days(self.created);
        [
            // The ETL's `dayofweek`: 1 = Sunday … 7 = Saturday (1970-01-01 was a Thursday).
            f64::from((created + 4).rem_euclid(7) + 1),
            self.priority as f64,
            f64::from(u8::from(self.due_date.is_some())),
            self.due_date
                .map_or(f64::NAN, |d| f64::from(crate::data::days(d) - created)),
            f64::from(self.label_count),
            f64::from(self.description_length),
            f64::from(u8::from(self.has_assignee)),
            self.project_open_load as f64,
            self.project_throughput_28d as f64,
        ]
    }
}

/// A priority's index in the model's encoding, when it is one of the API's.
pub fn priority_index(priority: &str) -> Option<usize> {
    PRIORITIES.iter().position(|p| *p == priority)
}

impl Model {
    /// The probability of late for one row in [`FEATURES`] order: the same sum of trees as
    /// [`Model::predict`], without a matrix, a thread pool or an allocation.
    pub fn predict_row(&self, row: &[f64; 9]) -> f64 {
        let b = &self.booster;
        let n = b.prediction_iteration.unwrap_or(b.trees.len());
        let z = b.trees[..n].iter().fold(b.base_score, |z, t| {
            z + t.predict_row_from_row_slice(row, &b.missing)
        });
        1.0 / (1.0 + (-z).exp())
    }

    /// Probabilities of late for every row of `ds`.
    pub fn predict(&self, ds: &Dataset) -> Vec<f64> {
        let m = Matrix::new(&ds.matrix, ds.rows, FEATURES.len());
        self.booster
            .predict(&m, true)
            .into_iter()
            .map(|z| 1.0 / (1.0 + (-z).exp()))
            .collect()
    }

    /// Writes `model.json` (the trees) and `model-meta.json` into `dir`.
    pub fn save(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
        let trees = self
            .booster
            .json_dump()
            .map_err(|e| anyhow::anyhow!("serialising the model: {e}"))?;
        write(&dir.join("model.json"), trees.as_bytes())?;
        write(
            &dir.join("model-meta.json"),
            &serde_json::to_vec_pretty(&self.meta)?,
        )?;
        Ok(())
    }

    /// Reads what [`Model::save`] wrote.
    pub fn load(dir: &Path) -> anyhow::Result<Model> {
        let read = |name: &str| {
            std::fs::read(dir.join(name))
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", dir.join(name).display()))
        };
        Model::from_bytes(
            &read("model.json")?,
            &read("model-meta.json")?,
            &dir.display().to_string(),
        )
    }

    /// The model from its two files' contents; `origin` names them in errors.
    pub fn from_bytes(trees: &[u8], meta: &[u8], origin: &str) -> anyhow::Result<Model> {
        let trees =
            std::str::from_utf8(trees).map_err(|e| anyhow::anyhow!("{origin}/model.json: {e}"))?;
        let booster = GradientBooster::from_json(trees)
            .map_err(|e| anyhow::anyhow!("{origin}/model.json: {e}"))?;
        let meta: ModelMeta = serde_json::from_slice(meta)
            .map_err(|e| anyhow::anyhow!("{origin}/model-meta.json: {e}"))?;
        anyhow::ensure!(
            meta.features == FEATURES,
            "{origin}: the model's features {:?} are not this version's {:?}",
            meta.features,
            FEATURES
        );
        Ok(Model { booster, meta })
    }
}

/// Writes a file, naming it on failure.
pub fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::read_csv;
    use crate::synthetic;

    #[test]
    fn a_served_row_scores_as_the_training_matrix_does() {
        let dir = tempfile::tempdir().unwrap();
        let rows = synthetic::tasks(600);
        let path = dir.path().join("features.csv");
        std::fs::write(&path, synthetic::csv(&rows)).unwrap();
        let ds = Dataset::from_raw(&read_csv(&path).unwrap()).unwrap();
        let (model, _, _) = train(&ds, "test", &TrainConfig::default()).unwrap();
        let offline = model.predict(&ds);
        let features: std::collections::HashMap<_, _> =
            rows.into_iter().map(|r| (r.id, r.features)).collect();
        let mut checked = 0;
        for (i, id) in ds.task_id.iter().enumerate() {
            let row = features[id].row();
            for (f, v) in row.iter().enumerate() {
                let want = ds.matrix[f * ds.rows + i];
                assert!(
                    v.to_bits() == want.to_bits() || (v.is_nan() && want.is_nan()),
                    "{id}: feature {} is {v}, the matrix has {want}",
                    FEATURES[f]
                );
            }
            let served = model.predict_row(&row);
            assert!(
                (served - offline[i]).abs() < 1e-12,
                "{id}: {served} vs {}",
                offline[i]
            );
            checked += 1;
        }
        assert!(checked > 400, "{checked} settled rows");
        assert_eq!(priority_index("urgent"), Some(3));
        assert_eq!(priority_index("URGENT"), None);
    }
}
