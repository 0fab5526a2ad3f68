//! `train.toml`: the data contract, training parameters, gates, promotion and drift
//! thresholds. Every field has a default; unknown fields are refused with their name.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub data: DataConfig,
    pub train: TrainConfig,
    pub gates: GateConfig,
    pub promote: PromoteConfig,
    pub drift: DriftConfig,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    pub table: String,
    pub min_rows: usize,
    pub max_null_rate: f64,
    pub max_null_rate_days_until_due: f64,
    pub min_positive_rate: f64,
    pub max_positive_rate: f64,
    pub max_single_feature_auc: f64,
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            table: "gold/task_features".into(),
            min_rows: 1000,
            max_null_rate: 0.0,
            max_null_rate_days_until_due: 0.6,
            min_positive_rate: 0.02,
            max_positive_rate: 0.98,
            max_single_feature_auc: 0.95,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    pub seed: u64,
    pub iterations: usize,
    pub learning_rate: f32,
    pub max_depth: usize,
    pub bins: u16,
    pub train_share: f64,
    pub validation_share: f64,
    pub early_stopping_rounds: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            seed: 42,
            iterations: 100,
            learning_rate: 0.2,
            max_depth: 4,
            bins: 128,
            train_share: 0.70,
            validation_share: 0.15,
            early_stopping_rounds: 10,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct GateConfig {
    pub min_auc: f64,
    pub max_auc_drop: f64,
    pub slice_recall_tolerance: f64,
    pub min_slice_positives: usize,
    pub size_tiers: [i64; 2],
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            min_auc: 0.70,
            max_auc_drop: 0.005,
            slice_recall_tolerance: 0.15,
            min_slice_positives: 30,
            size_tiers: [10, 40],
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PromoteConfig {
    pub approvals: usize,
    pub environment: String,
}

impl Default for PromoteConfig {
    fn default() -> Self {
        PromoteConfig {
            approvals: 1,
            environment: "prod".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DriftConfig {
    pub window_days: i64,
    pub bins: usize,
    pub psi_warn: f64,
    pub psi_fail: f64,
}

impl Default for DriftConfig {
    fn default() -> Self {
        DriftConfig {
            window_days: 28,
            bins: 10,
            psi_warn: 0.1,
            psi_fail: 0.25,
        }
    }
}

impl Config {
    /// Reads `path`, or the defaults when `path` is `None`; names the file and the field on
    /// a bad value.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Config> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        let cfg: Config =
            toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        cfg.check()
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(cfg)
    }

    /// Values that parse but make no sense.
    pub fn check(&self) -> anyhow::Result<()> {
        let t = &self.train;
        anyhow::ensure!(
            t.train_share > 0.0 && t.validation_share > 0.0,
            "train.train_share and train.validation_share must be above 0"
        );
        anyhow::ensure!(
            t.train_share + t.validation_share < 1.0,
            "train.train_share + train.validation_share must leave a test share (they sum to {})",
            t.train_share + t.validation_share
        );
        anyhow::ensure!(t.iterations > 0, "train.iterations must be at least 1");
        anyhow::ensure!(
            t.learning_rate > 0.0 && t.learning_rate <= 1.0,
            "train.learning_rate must be in (0, 1]"
        );
        anyhow::ensure!(t.bins >= 2, "train.bins must be at least 2");
        anyhow::ensure!(
            (0.0..=1.0).contains(&self.gates.min_auc),
            "gates.min_auc must be in [0, 1]"
        );
        anyhow::ensure!(
            self.gates.size_tiers[0] < self.gates.size_tiers[1],
            "gates.size_tiers must be increasing"
        );
        anyhow::ensure!(self.drift.bins >= 2, "drift.bins must be at least 2");
        anyhow::ensure!(
            self.drift.psi_warn <= self.drift.psi_fail,
            "drift.psi_warn must not exceed drift.psi_fail"
        );
        anyhow::ensure!(
            self.drift.window_days > 0,
            "drift.window_days must be above 0"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_is_the_defaults() {
        let shipped: Config = toml::from_str(include_str!("../train.toml")).unwrap();
        assert_eq!(shipped, Config::default());
    }

    #[test]
    fn an_unknown_field_is_named() {
        let err = toml::from_str::<Config>("[train]\nseeds = 1\n").unwrap_err();
        assert!(err.to_string().contains("seeds"), "{err}");
    }

    #[test]
    fn shares_must_leave_a_test_set() {
        let mut c = Config::default();
        c.train.train_share = 0.9;
        c.train.validation_share = 0.1;
        assert!(c.check().unwrap_err().to_string().contains("test share"));
    }
}
