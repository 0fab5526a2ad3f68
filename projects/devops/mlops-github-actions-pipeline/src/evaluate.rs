//! `mlops evaluate`: the model's quality on the held-out newest part — ROC AUC, PR AUC,
//! Brier score, calibration, the confusion matrix at its threshold — and the gates: AUC above
//! a floor and not worse than production's on the same rows; no slice's recall far below the
//! overall recall.

use serde::{Deserialize, Serialize};

use crate::config::GateConfig;
use crate::data::{Dataset, PRIORITIES};
use crate::metrics::{CalibrationBin, Confusion, brier, calibration, pr_auc, roc_auc, show};
use crate::model::Model;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Metrics {
    pub rows: usize,
    pub positives: usize,
    pub roc_auc: Option<f64>,
    pub pr_auc: Option<f64>,
    pub brier: f64,
    pub threshold: f64,
    pub confusion: Confusion,
    pub recall: Option<f64>,
    pub precision: Option<f64>,
    pub calibration: Vec<CalibrationBin>,
}

impl Metrics {
    pub fn of(p: &[f64], y: &[f64], threshold: f64) -> Metrics {
        let confusion = Confusion::at(p, y, threshold);
        Metrics {
            rows: p.len(),
            positives: confusion.positives(),
            roc_auc: roc_auc(p, y),
            pr_auc: pr_auc(p, y),
            brier: brier(p, y),
            threshold,
            confusion,
            recall: confusion.recall(),
            precision: confusion.precision(),
            calibration: calibration(p, y, 10),
        }
    }
}

/// One group of a slice dimension.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SliceResult {
    pub dimension: String,
    pub group: String,
    pub rows: usize,
    pub positives: usize,
    pub recall: Option<f64>,
    pub roc_auc: Option<f64>,
    /// Whether it is judged (enough positives).
    pub gated: bool,
    pub passed: bool,
}

/// A gate's verdict.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Gate {
    pub name: String,
    pub passed: bool,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Evaluation {
    pub metrics: Metrics,
    pub slices: Vec<SliceResult>,
    /// Per dimension: the largest recall gap between two judged groups.
    pub equal_opportunity_difference: Vec<(String, f64)>,
    /// The production model's AUC on the same rows, when there is one.
    pub production: Option<ProductionComparison>,
    pub gates: Vec<Gate>,
    pub passed: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProductionComparison {
    pub version: u32,
    pub roc_auc: Option<f64>,
}

/// The slice groups of row `i`: project size tier, priority, has-assignee.
fn groups(ds: &Dataset, i: usize, tiers: [i64; 2]) -> [(&'static str, String); 3] {
    let load = ds.feature(7)[i];
    let tier = if load < tiers[0] as f64 {
        format!("small (<{})", tiers[0])
    } else if load < tiers[1] as f64 {
        format!("medium ({}–{})", tiers[0], tiers[1] - 1)
    } else {
        format!("large (≥{})", tiers[1])
    };
    let priority = PRIORITIES
        .get(ds.feature(1)[i] as usize)
        .map_or("unknown".to_string(), |p| p.to_string());
    let assignee = if ds.feature(6)[i] > 0.5 { "yes" } else { "no" };
    [
        ("project_size", tier),
        ("priority", priority),
        ("has_assignee", assignee.to_string()),
    ]
}

/// Evaluates `model` on `test`, against `production` (its version and model) when given.
pub fn evaluate(
    model: &Model,
    test: &Dataset,
    production: Option<(u32, &Model)>,
    gates: &GateConfig,
) -> Evaluation {
    let p = model.predict(test);
    let metrics = Metrics::of(&p, &test.label, model.meta.threshold);
    let overall_recall = metrics.recall.unwrap_or(0.0);

    let mut buckets: std::collections::BTreeMap<(&str, String), Vec<usize>> = Default::default();
    for i in 0..test.rows {
        for key in groups(test, i, gates.size_tiers) {
            buckets.entry(key).or_default().push(i);
        }
    }
    let mut slices = Vec::new();
    for ((dimension, group), rows) in buckets {
        let sp: Vec<f64> = rows.iter().map(|&i| p[i]).collect();
        let sy: Vec<f64> = rows.iter().map(|&i| test.label[i]).collect();
        let c = Confusion::at(&sp, &sy, model.meta.threshold);
        let gated = c.positives() >= gates.min_slice_positives;
        let recall = c.recall();
        slices.push(SliceResult {
            dimension: dimension.to_string(),
            group,
            rows: rows.len(),
            positives: c.positives(),
            recall,
            roc_auc: roc_auc(&sp, &sy),
            gated,
            passed: !gated
                || recall.unwrap_or(0.0) >= overall_recall - gates.slice_recall_tolerance,
        });
    }
    let mut eod = Vec::new();
    for dim in ["project_size", "priority", "has_assignee"] {
        let recalls: Vec<f64> = slices
            .iter()
            .filter(|s| s.dimension == dim && s.gated)
            .filter_map(|s| s.recall)
            .collect();
        if recalls.len() >= 2 {
            let max = recalls.iter().copied().fold(f64::MIN, f64::max);
            let min = recalls.iter().copied().fold(f64::MAX, f64::min);
            eod.push((dim.to_string(), max - min));
        }
    }

    let mut gate_list = Vec::new();
    let auc = metrics.roc_auc.unwrap_or(0.0);
    gate_list.push(Gate {
        name: "auc-floor".into(),
        passed: auc >= gates.min_auc,
        detail: format!("test ROC AUC {auc:.4} (at least {:.4})", gates.min_auc),
    });
    let production = production.map(|(version, prod)| {
        let pp = prod.predict(test);
        ProductionComparison {
            version,
            roc_auc: roc_auc(&pp, &test.label),
        }
    });
    match &production {
        Some(ProductionComparison {
            version,
            roc_auc: Some(prod_auc),
        }) => gate_list.push(Gate {
            name: "no-worse-than-production".into(),
            passed: auc >= prod_auc - gates.max_auc_drop,
            detail: format!(
                "test ROC AUC {auc:.4} vs production v{version}'s {prod_auc:.4} on the same rows (at most {:.4} lower)",
                gates.max_auc_drop
            ),
        }),
        _ => gate_list.push(Gate {
            name: "no-worse-than-production".into(),
            passed: true,
            detail: "no production model yet".into(),
        }),
    }
    let failing: Vec<String> = slices
        .iter()
        .filter(|s| !s.passed)
        .map(|s| {
            format!(
                "{}={} recall {:.3}",
                s.dimension,
                s.group,
                s.recall.unwrap_or(0.0)
            )
        })
        .collect();
    gate_list.push(Gate {
        name: "slice-recall".into(),
        passed: failing.is_empty(),
        detail: if failing.is_empty() {
            format!(
                "every slice with ≥ {} late tasks has recall ≥ {:.3} (overall {overall_recall:.3} − {:.2})",
                gates.min_slice_positives,
                overall_recall - gates.slice_recall_tolerance,
                gates.slice_recall_tolerance
            )
        } else {
            format!(
                "below {:.3} (overall {overall_recall:.3} − {:.2}): {}",
                overall_recall - gates.slice_recall_tolerance,
                gates.slice_recall_tolerance,
                failing.join(", ")
            )
        },
    });
    let passed = gate_list.iter().all(|g| g.passed);
    Evaluation {
        metrics,
        slices,
        equal_opportunity_difference: eod,
        production,
        gates: gate_list,
        passed,
    }
}

impl Evaluation {
    pub fn markdown(&self) -> String {
        let m = &self.metrics;
        let c = &m.confusion;
        let mut out = format!(
            "# Evaluation\n\n**{}** on {} test row(s), {} late.\n\n\
             | metric | value |\n|---|---|\n| ROC AUC | {} |\n| PR AUC | {} |\n| Brier score | {:.4} |\n\
             | threshold | {:.2} |\n| recall | {} |\n| precision | {} |\n\n\
             Confusion at the threshold:\n\n| | predicted late | predicted on time |\n|---|---|---|\n\
             | late | {} | {} |\n| on time | {} | {} |\n\n## Gates\n\n| gate | result | detail |\n|---|---|---|\n",
            if self.passed { "Passed" } else { "FAILED" },
            m.rows,
            m.positives,
            show(m.roc_auc),
            show(m.pr_auc),
            m.brier,
            m.threshold,
            show(m.recall),
            show(m.precision),
            c.tp,
            c.r#fn,
            c.fp,
            c.tn
        );
        for g in &self.gates {
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                g.name,
                if g.passed { "pass" } else { "**fail**" },
                g.detail
            ));
        }
        out.push_str("\n## Slices\n\n| slice | group | rows | late | recall | ROC AUC | gated | result |\n|---|---|---|---|---|---|---|---|\n");
        for s in &self.slices {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
                s.dimension,
                s.group,
                s.rows,
                s.positives,
                show(s.recall),
                show(s.roc_auc),
                if s.gated { "yes" } else { "no (few late)" },
                if s.passed { "pass" } else { "**fail**" }
            ));
        }
        out.push_str(
            "\nEqual-opportunity difference (largest recall gap between judged groups):\n\n",
        );
        for (dim, d) in &self.equal_opportunity_difference {
            out.push_str(&format!("- {dim}: {d:.4}\n"));
        }
        out.push_str("\n## Calibration\n\n| predicted | rows | mean predicted | observed |\n|---|---|---|---|\n");
        for b in &m.calibration {
            out.push_str(&format!(
                "| {:.1}–{:.1} | {} | {:.3} | {:.3} |\n",
                b.from, b.to, b.rows, b.mean_predicted, b.observed_rate
            ));
        }
        out
    }
}
