//! The model registry: `<registry>/late-task/v<N>/` holds a registered version — the model
//! (`model.json`, `model-meta.json`), its reports (`train-report.json`, `evaluation.json`,
//! `evaluation.md`, `test-set.csv`), the model card (`card.md`, `card.json`) and
//! `signatures.json` (BLAKE3 of every other file). Beside the versions: `stages.json` (which
//! version serves `staging` and `production`, and the ones before, for rollback),
//! `approvals.json` and `history.json` (every promotion and rollback).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::evaluate::Evaluation;
use crate::metrics::show;
use crate::model::{MODEL_NAME, Model, ModelMeta, TrainReport};
use crate::store::Store;

/// The files a run folder must hold to be registered.
pub const RUN_FILES: [&str; 6] = [
    "model.json",
    "model-meta.json",
    "train-report.json",
    "test-set.csv",
    "evaluation.json",
    "evaluation.md",
];

pub const STAGES: [&str; 2] = ["staging", "production"];

/// The model card: what the model is, what it saw, how it did, what it cannot do.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Card {
    pub name: String,
    pub version: u32,
    pub registered_at: String,
    pub registered_by: String,
    /// The repository commit the model was trained from (`unknown` outside git).
    pub commit: String,
    pub algorithm: String,
    pub features: Vec<String>,
    pub label: String,
    pub threshold: f64,
    pub data: CardData,
    pub training: TrainReport,
    pub evaluation: Evaluation,
    pub gates_passed: bool,
    pub limitations: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CardData {
    pub source: String,
    pub hash: String,
    pub window: (String, String),
    pub rows: usize,
    pub unsettled_rows: usize,
}

const LIMITATIONS: [&str; 4] = [
    "Trained on what the task API's events say when a task is created; tasks edited later (new due date, new priority) are scored on their first state.",
    "Open tasks not yet due are left out of training and testing: their outcome is unknown, so recent weeks are under-represented.",
    "A project's load and throughput are its own history: new projects start with zeros and get little signal.",
    "The label is the due date the author chose; the model learns how people set due dates as much as how work goes.",
];

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Stage {
    pub version: u32,
    pub at: String,
    pub by: String,
    /// Versions this stage served before, oldest first (`rollback` pops the last).
    #[serde(default)]
    pub previous: Vec<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Approval {
    pub version: u32,
    pub stage: String,
    pub by: String,
    pub at: String,
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HistoryEntry {
    /// `promoted`, `refused`, `rolled-back`.
    pub action: String,
    pub stage: String,
    pub version: Option<u32>,
    pub from: Option<u32>,
    pub by: String,
    pub at: String,
    pub detail: String,
}

pub struct Registry {
    pub store: Store,
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Registry {
    pub fn open(root: &str) -> anyhow::Result<Registry> {
        Ok(Registry {
            store: Store::open(root)?,
        })
    }

    fn rel(file: &str) -> String {
        format!("{MODEL_NAME}/{file}")
    }

    fn read_json<T: serde::de::DeserializeOwned + Default>(&self, file: &str) -> anyhow::Result<T> {
        match self.store.get(&Self::rel(file))? {
            None => Ok(T::default()),
            Some(b) => serde_json::from_slice(&b)
                .map_err(|e| anyhow::anyhow!("{}/{}: {e}", self.store.describe(), Self::rel(file))),
        }
    }

    fn write_json(&self, file: &str, value: &impl Serialize) -> anyhow::Result<()> {
        self.store
            .put(&Self::rel(file), &serde_json::to_vec_pretty(value)?)
    }

    /// Registered versions, ascending.
    pub fn versions(&self) -> anyhow::Result<Vec<u32>> {
        let mut v: Vec<u32> = self
            .store
            .list(MODEL_NAME)?
            .iter()
            .filter_map(|n| n.strip_prefix('v')?.parse().ok())
            .collect();
        v.sort_unstable();
        Ok(v)
    }

    pub fn stages(&self) -> anyhow::Result<BTreeMap<String, Stage>> {
        self.read_json("stages.json")
    }

    pub fn approvals(&self) -> anyhow::Result<Vec<Approval>> {
        self.read_json("approvals.json")
    }

    pub fn history(&self) -> anyhow::Result<Vec<HistoryEntry>> {
        self.read_json("history.json")
    }

    pub fn record(&self, entry: HistoryEntry) -> anyhow::Result<()> {
        let mut h = self.history()?;
        h.push(entry);
        self.write_json("history.json", &h)
    }

    pub fn card(&self, version: u32) -> anyhow::Result<Card> {
        let rel = Self::rel(&format!("v{version}/card.json"));
        let bytes = self.store.get(&rel)?.ok_or_else(|| {
            anyhow::anyhow!(
                "no version {version} in {} (registered: {:?})",
                self.store.describe(),
                self.versions().unwrap_or_default()
            )
        })?;
        serde_json::from_slice(&bytes)
            .map_err(|e| anyhow::anyhow!("{}/{rel}: {e}", self.store.describe()))
    }

    /// Registers the run in `run` as the next version; returns its card.
    pub fn register(&self, run: &Path, by: &str, commit: &str) -> anyhow::Result<Card> {
        let mut files = BTreeMap::new();
        for f in RUN_FILES {
            let path = run.join(f);
            let bytes = std::fs::read(&path).map_err(|e| {
                let hint = if f.starts_with("evaluation") {
                    " (run `mlops evaluate` first)"
                } else {
                    " (run `mlops train` first)"
                };
                anyhow::anyhow!("{}: {e}{hint}", path.display())
            })?;
            files.insert(f.to_string(), bytes);
        }
        let meta: ModelMeta = serde_json::from_slice(&files["model-meta.json"])?;
        let training: TrainReport = serde_json::from_slice(&files["train-report.json"])?;
        let evaluation: Evaluation = serde_json::from_slice(&files["evaluation.json"])?;
        let version = self.versions()?.last().copied().unwrap_or(0) + 1;
        let card = Card {
            name: MODEL_NAME.into(),
            version,
            registered_at: now(),
            registered_by: by.to_string(),
            commit: commit.to_string(),
            algorithm: meta.algorithm.clone(),
            features: meta.features.clone(),
            label: meta.label.clone(),
            threshold: meta.threshold,
            data: CardData {
                source: training.data_source.clone(),
                hash: training.data_hash.clone(),
                window: (
                    training.train_window.0.clone(),
                    training.test_window.1.clone(),
                ),
                rows: training.rows,
                unsettled_rows: training.unsettled_rows,
            },
            gates_passed: evaluation.passed,
            training,
            evaluation,
            limitations: LIMITATIONS.iter().map(|s| s.to_string()).collect(),
        };
        files.insert("card.json".into(), serde_json::to_vec_pretty(&card)?);
        files.insert("card.md".into(), card.markdown().into_bytes());
        let signatures: BTreeMap<&String, String> = files
            .iter()
            .map(|(n, b)| (n, blake3::hash(b).to_hex().to_string()))
            .collect();
        let sig = serde_json::to_vec_pretty(&signatures)?;
        // The signatures go last: a version folder without them is an unfinished one.
        for (name, bytes) in &files {
            self.store
                .put(&Self::rel(&format!("v{version}/{name}")), bytes)?;
        }
        self.store
            .put(&Self::rel(&format!("v{version}/signatures.json")), &sig)?;
        Ok(card)
    }

    /// Checks every file of `version` against `signatures.json`.
    pub fn verify(&self, version: u32) -> anyhow::Result<()> {
        let base = format!("v{version}");
        let sig = self
            .store
            .get(&Self::rel(&format!("{base}/signatures.json")))?
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "version {version} has no signatures.json: it was never finished registering"
                )
            })?;
        let sig: BTreeMap<String, String> = serde_json::from_slice(&sig)?;
        for (name, want) in &sig {
            let bytes = self
                .store
                .get(&Self::rel(&format!("{base}/{name}")))?
                .ok_or_else(|| anyhow::anyhow!("version {version}: {name} is missing"))?;
            let got = blake3::hash(&bytes).to_hex().to_string();
            anyhow::ensure!(
                &got == want,
                "version {version}: {name} changed since it was registered (BLAKE3 {got}, signed {want})"
            );
        }
        Ok(())
    }

    /// Loads version `version`'s model (after checking its signatures).
    pub fn load_model(&self, version: u32) -> anyhow::Result<Model> {
        self.verify(version)?;
        let get = |f: &str| {
            self.store
                .get(&Self::rel(&format!("v{version}/{f}")))?
                .ok_or_else(|| anyhow::anyhow!("version {version}: {f} is missing"))
        };
        Model::from_bytes(
            &get("model.json")?,
            &get("model-meta.json")?,
            &format!("{} v{version}", self.store.describe()),
        )
    }

    /// The version serving `stage` and its model, when one does.
    pub fn serving(&self, stage: &str) -> anyhow::Result<Option<(u32, Model)>> {
        match self.stages()?.get(stage) {
            None => Ok(None),
            Some(s) => Ok(Some((s.version, self.load_model(s.version)?))),
        }
    }

    pub fn add_approval(&self, a: Approval) -> anyhow::Result<()> {
        let mut all = self.approvals()?;
        all.push(a);
        self.write_json("approvals.json", &all)
    }

    /// Makes `version` serve `stage`, keeping the one before for rollback.
    pub fn set_stage(&self, stage: &str, version: u32, by: &str) -> anyhow::Result<Option<u32>> {
        let mut stages = self.stages()?;
        let before = stages.get(stage).cloned();
        let mut previous = before
            .as_ref()
            .map(|s| s.previous.clone())
            .unwrap_or_default();
        if let Some(b) = &before {
            previous.push(b.version);
        }
        stages.insert(
            stage.to_string(),
            Stage {
                version,
                at: now(),
                by: by.to_string(),
                previous,
            },
        );
        self.write_json("stages.json", &stages)?;
        Ok(before.map(|b| b.version))
    }

    /// Puts the version `stage` served before back; returns (from, to).
    pub fn roll_back(&self, stage: &str, by: &str) -> anyhow::Result<(u32, u32)> {
        let mut stages = self.stages()?;
        let current = stages.get_mut(stage).ok_or_else(|| {
            anyhow::anyhow!("nothing serves {stage}: there is nothing to roll back")
        })?;
        let to = current.previous.pop().ok_or_else(|| {
            anyhow::anyhow!(
                "{stage} has served only v{}: there is no earlier version to roll back to",
                current.version
            )
        })?;
        let from = current.version;
        current.version = to;
        current.at = now();
        current.by = by.to_string();
        self.write_json("stages.json", &stages)?;
        Ok((from, to))
    }
}

impl Card {
    pub fn markdown(&self) -> String {
        let t = &self.training;
        let m = &self.evaluation.metrics;
        let mut out = format!(
            "# Model card: {} v{}\n\n\
             Predicts whether a task will be **late** (completed after its due date, or still open \
             past it) from what is known when it is created. Model: {}.\n\n\
             | | |\n|---|---|\n| registered | {} by {} |\n| commit | `{}` |\n| threshold | {:.2} |\n\
             | gates | {} |\n\n\
             ## Data\n\n- source: `{}`\n- BLAKE3 of the rows: `{}`\n- creation window: {} to {}\n\
             - rows with a known outcome: {} (train {}, validation {}, test {}); {} still open and not yet due, left out\n\
             - split by creation time: train {} to {}, validation {} to {}, test {} to {}\n\n\
             ## Features\n\n{}\n\n\
             ## Metrics (test part)\n\n| metric | value |\n|---|---|\n| ROC AUC | {} |\n| PR AUC | {} |\n\
             | Brier score | {:.4} |\n| recall | {} |\n| precision | {} |\n| trees | {} |\n| fit | {:.2} s |\n\n",
            self.name,
            self.version,
            self.algorithm,
            self.registered_at,
            self.registered_by,
            self.commit,
            self.threshold,
            if self.gates_passed {
                "passed"
            } else {
                "**failed**"
            },
            self.data.source,
            self.data.hash,
            self.data.window.0,
            self.data.window.1,
            t.rows,
            t.train_rows,
            t.validation_rows,
            t.test_rows,
            t.unsettled_rows,
            t.train_window.0,
            t.train_window.1,
            t.validation_window.0,
            t.validation_window.1,
            t.test_window.0,
            t.test_window.1,
            self.features
                .iter()
                .map(|f| format!("- `{f}`"))
                .collect::<Vec<_>>()
                .join("\n"),
            show(m.roc_auc),
            show(m.pr_auc),
            m.brier,
            show(m.recall),
            show(m.precision),
            t.trees,
            t.fit_seconds,
        );
        out.push_str("## Gates\n\n| gate | result | detail |\n|---|---|---|\n");
        for g in &self.evaluation.gates {
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                g.name,
                if g.passed { "pass" } else { "**fail**" },
                g.detail
            ));
        }
        out.push_str("\n## Slices\n\n| slice | group | rows | late | recall | ROC AUC |\n|---|---|---|---|---|---|\n");
        for s in &self.evaluation.slices {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                s.dimension,
                s.group,
                s.rows,
                s.positives,
                show(s.recall),
                show(s.roc_auc)
            ));
        }
        out.push_str("\nEqual-opportunity difference: ");
        out.push_str(
            &self
                .evaluation
                .equal_opportunity_difference
                .iter()
                .map(|(d, v)| format!("{d} {v:.4}"))
                .collect::<Vec<_>>()
                .join(", "),
        );
        out.push_str("\n\n## Limitations\n\n");
        for l in &self.limitations {
            out.push_str(&format!("- {l}\n"));
        }
        out
    }
}
