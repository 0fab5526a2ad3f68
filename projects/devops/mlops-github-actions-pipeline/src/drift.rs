//! `mlops drift`: how far the recent inputs (and the model's predictions on them) have moved
//! from what the model was trained on — the population stability index per feature, with
//! bins cut at the reference's deciles (plus one bin for nulls).

use serde::Serialize;

use crate::config::DriftConfig;
use crate::data::{Dataset, FEATURES};
use crate::model::Model;

/// `Σ (a − e) · ln(a / e)` over the bins, shares floored at 10⁻⁴ so an empty bin counts.
pub fn psi(expected: &[f64], actual: &[f64]) -> f64 {
    expected
        .iter()
        .zip(actual)
        .map(|(e, a)| {
            let (e, a) = (e.max(1e-4), a.max(1e-4));
            (a - e) * (a / e).ln()
        })
        .sum()
}

/// Bin edges at the reference's quantiles (distinct values only, so a feature with few
/// values gets one bin per value).
pub fn edges(reference: &[f64], bins: usize) -> Vec<f64> {
    let mut v: Vec<f64> = reference.iter().copied().filter(|x| !x.is_nan()).collect();
    v.sort_by(f64::total_cmp);
    let mut out: Vec<f64> = Vec::new();
    if v.is_empty() {
        return out;
    }
    for k in 1..bins {
        let x = v[(k * v.len() / bins).min(v.len() - 1)];
        if out.last().is_none_or(|l| *l < x) {
            out.push(x);
        }
    }
    out
}

/// Each bin's share: `x < edges[0]`, …, `x ≥ edges[last]`, then nulls.
pub fn shares(values: &[f64], edges: &[f64]) -> Vec<f64> {
    let mut counts = vec![0usize; edges.len() + 2];
    for x in values {
        let k = if x.is_nan() {
            edges.len() + 1
        } else {
            edges.partition_point(|e| e <= x)
        };
        counts[k] += 1;
    }
    let n = values.len().max(1) as f64;
    counts.iter().map(|&c| c as f64 / n).collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct FeatureDrift {
    pub feature: String,
    pub psi: f64,
    /// `stable`, `warn` or `drift`.
    pub status: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct DriftReport {
    pub reference: String,
    pub reference_rows: usize,
    pub current: String,
    pub current_rows: usize,
    pub features: Vec<FeatureDrift>,
    pub prediction: Option<FeatureDrift>,
    /// The worst status.
    pub status: &'static str,
}

fn status(psi: f64, cfg: &DriftConfig) -> &'static str {
    if psi > cfg.psi_fail {
        "drift"
    } else if psi > cfg.psi_warn {
        "warn"
    } else {
        "stable"
    }
}

/// Compares `current` with `reference`; with a model, its predictions too.
pub fn compare(
    reference: (&str, &Dataset),
    current: (&str, &Dataset),
    model: Option<&Model>,
    cfg: &DriftConfig,
) -> DriftReport {
    let (rname, r) = reference;
    let (cname, c) = current;
    let one = |name: &str, rv: &[f64], cv: &[f64]| {
        let e = edges(rv, cfg.bins);
        let value = psi(&shares(rv, &e), &shares(cv, &e));
        FeatureDrift {
            feature: name.to_string(),
            psi: value,
            status: status(value, cfg),
        }
    };
    let features: Vec<FeatureDrift> = FEATURES
        .iter()
        .enumerate()
        .map(|(f, name)| one(name, r.feature(f), c.feature(f)))
        .collect();
    let prediction = model.map(|m| one("prediction", &m.predict(r), &m.predict(c)));
    let worst = features
        .iter()
        .chain(prediction.iter())
        .map(|f| f.status)
        .max_by_key(|s| match *s {
            "drift" => 2,
            "warn" => 1,
            _ => 0,
        })
        .unwrap_or("stable");
    DriftReport {
        reference: rname.to_string(),
        reference_rows: r.rows,
        current: cname.to_string(),
        current_rows: c.rows,
        features,
        prediction,
        status: worst,
    }
}

impl DriftReport {
    /// Prometheus text for a Pushgateway.
    pub fn prometheus(&self, now_unix: i64) -> String {
        let mut out = String::from(
            "# HELP mlops_feature_psi Population stability index of a feature, recent window vs training window\n# TYPE mlops_feature_psi gauge\n",
        );
        for f in &self.features {
            out.push_str(&format!(
                "mlops_feature_psi{{model=\"late-task\",feature=\"{}\"}} {}\n",
                f.feature, f.psi
            ));
        }
        if let Some(p) = &self.prediction {
            out.push_str(&format!(
                "# HELP mlops_prediction_psi Population stability index of the model's predictions\n# TYPE mlops_prediction_psi gauge\nmlops_prediction_psi{{model=\"late-task\"}} {}\n",
                p.psi
            ));
        }
        let level = match self.status {
            "drift" => 2,
            "warn" => 1,
            _ => 0,
        };
        out.push_str(&format!(
            "# HELP mlops_drift_status 0 stable, 1 warn, 2 drift\n# TYPE mlops_drift_status gauge\nmlops_drift_status{{model=\"late-task\"}} {level}\n\
             # HELP mlops_drift_last_run_timestamp_seconds When drift was last measured\n# TYPE mlops_drift_last_run_timestamp_seconds gauge\nmlops_drift_last_run_timestamp_seconds{{model=\"late-task\"}} {now_unix}\n"
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n: usize, shift: f64) -> Vec<f64> {
        // A deterministic spread of values 0..100 (a low-discrepancy sequence).
        (0..n)
            .map(|i| ((i as f64 * 0.618_033_988_75).fract() * 100.0 + shift).floor())
            .collect()
    }

    #[test]
    fn psi_is_zero_for_the_same_sample_and_large_for_a_shift() {
        let r = sample(10_000, 0.0);
        let e = edges(&r, 10);
        assert!(psi(&shares(&r, &e), &shares(&r, &e)).abs() < 1e-12);
        let unshifted = sample(3_000, 0.0);
        assert!(psi(&shares(&r, &e), &shares(&unshifted, &e)) < 0.01);
        let shifted = sample(3_000, 30.0);
        assert!(psi(&shares(&r, &e), &shares(&shifted, &e)) > 0.25);
    }

    #[test]
    fn nulls_have_their_own_bin() {
        let r = vec![1.0, 2.0, f64::NAN, 4.0];
        let e = edges(&r, 4);
        let s = shares(&r, &e);
        assert_eq!(s.len(), e.len() + 2);
        assert!((s[s.len() - 1] - 0.25).abs() < 1e-12);
    }
}
