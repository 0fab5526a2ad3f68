//! Classification metrics on predicted probabilities `p` and labels `y` (1.0 = late).

use serde::{Deserialize, Serialize};

/// ROC AUC by ranks (Mann–Whitney U; tied scores share their mean rank). `None` when only
/// one class is present.
pub fn roc_auc(p: &[f64], y: &[f64]) -> Option<f64> {
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let (mut rank_sum, mut pos) = (0.0, 0usize);
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && p[idx[j + 1]] == p[idx[i]] {
            j += 1;
        }
        let mean_rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if y[k] > 0.5 {
                rank_sum += mean_rank;
                pos += 1;
            }
        }
        i = j + 1;
    }
    let neg = p.len() - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    let (pos, neg) = (pos as f64, neg as f64);
    Some((rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg))
}

/// PR AUC as average precision (precision at each positive, by descending score; ties
/// handled as one step). `None` without positives.
pub fn pr_auc(p: &[f64], y: &[f64]) -> Option<f64> {
    let total_pos = y.iter().filter(|&&v| v > 0.5).count();
    if total_pos == 0 {
        return None;
    }
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    let (mut tp, mut seen, mut ap, mut last_recall) = (0usize, 0usize, 0.0, 0.0);
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && p[idx[j + 1]] == p[idx[i]] {
            j += 1;
        }
        for &k in &idx[i..=j] {
            seen += 1;
            if y[k] > 0.5 {
                tp += 1;
            }
        }
        let recall = tp as f64 / total_pos as f64;
        ap += (recall - last_recall) * (tp as f64 / seen as f64);
        last_recall = recall;
        i = j + 1;
    }
    Some(ap)
}

/// A metric for reports: four decimals, `–` when undefined.
pub fn show(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| format!("{v:.4}"))
}

/// Mean squared error of the probabilities.
pub fn brier(p: &[f64], y: &[f64]) -> f64 {
    if p.is_empty() {
        return 0.0;
    }
    p.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / p.len() as f64
}

/// One bin of the calibration table: predicted against observed rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    pub from: f64,
    pub to: f64,
    pub rows: usize,
    pub mean_predicted: f64,
    pub observed_rate: f64,
}

/// `bins` equal-width probability bins (empty bins left out).
pub fn calibration(p: &[f64], y: &[f64], bins: usize) -> Vec<CalibrationBin> {
    let mut sum_p = vec![0.0; bins];
    let mut sum_y = vec![0.0; bins];
    let mut n = vec![0usize; bins];
    for (a, b) in p.iter().zip(y) {
        let k = ((a * bins as f64) as usize).min(bins - 1);
        sum_p[k] += a;
        sum_y[k] += b;
        n[k] += 1;
    }
    (0..bins)
        .filter(|&k| n[k] > 0)
        .map(|k| CalibrationBin {
            from: k as f64 / bins as f64,
            to: (k + 1) as f64 / bins as f64,
            rows: n[k],
            mean_predicted: sum_p[k] / n[k] as f64,
            observed_rate: sum_y[k] / n[k] as f64,
        })
        .collect()
}

/// Counts at a threshold (predicted late when `p >= threshold`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    pub tp: usize,
    pub fp: usize,
    pub tn: usize,
    pub r#fn: usize,
}

impl Confusion {
    pub fn at(p: &[f64], y: &[f64], threshold: f64) -> Confusion {
        let mut c = Confusion::default();
        for (a, b) in p.iter().zip(y) {
            match (*a >= threshold, *b > 0.5) {
                (true, true) => c.tp += 1,
                (true, false) => c.fp += 1,
                (false, false) => c.tn += 1,
                (false, true) => c.r#fn += 1,
            }
        }
        c
    }

    /// True-positive rate (`None` without positives).
    pub fn recall(&self) -> Option<f64> {
        let pos = self.tp + self.r#fn;
        (pos > 0).then(|| self.tp as f64 / pos as f64)
    }

    pub fn precision(&self) -> Option<f64> {
        let pred = self.tp + self.fp;
        (pred > 0).then(|| self.tp as f64 / pred as f64)
    }

    pub fn f1(&self) -> f64 {
        match (self.precision(), self.recall()) {
            (Some(p), Some(r)) if p + r > 0.0 => 2.0 * p * r / (p + r),
            _ => 0.0,
        }
    }

    pub fn positives(&self) -> usize {
        self.tp + self.r#fn
    }
}

/// The threshold with the best F1 on (`p`, `y`): the validation set picks it.
pub fn best_f1_threshold(p: &[f64], y: &[f64]) -> f64 {
    let mut best = (0.5, -1.0);
    for k in 1..100 {
        let t = k as f64 / 100.0;
        let f1 = Confusion::at(p, y, t).f1();
        if f1 > best.1 {
            best = (t, f1);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_a_perfect_a_reversed_and_a_tied_ranking() {
        let y = [0.0, 0.0, 1.0, 1.0];
        assert_eq!(roc_auc(&[0.1, 0.2, 0.8, 0.9], &y), Some(1.0));
        assert_eq!(roc_auc(&[0.9, 0.8, 0.2, 0.1], &y), Some(0.0));
        assert_eq!(roc_auc(&[0.5, 0.5, 0.5, 0.5], &y), Some(0.5));
        assert_eq!(roc_auc(&[0.1, 0.2], &[1.0, 1.0]), None);
    }

    #[test]
    fn auc_matches_the_pair_count() {
        // 3 positives × 3 negatives: pairs ordered right = 7 of 9 (one tie counts half).
        let p = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9];
        let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0];
        let auc = roc_auc(&p, &y).unwrap();
        let mut good = 0.0;
        for i in 0..6 {
            for j in 0..6 {
                if y[i] > 0.5 && y[j] < 0.5 {
                    good += if p[i] > p[j] {
                        1.0
                    } else if p[i] == p[j] {
                        0.5
                    } else {
                        0.0
                    };
                }
            }
        }
        assert!((auc - good / 9.0).abs() < 1e-12, "{auc} vs {}", good / 9.0);
    }

    #[test]
    fn average_precision_and_brier() {
        let y = [1.0, 0.0, 1.0, 0.0];
        // Ranked: 1 (pos), 0 (neg), 2 (pos), 3 (neg) → AP = (1/1 + 2/3) / 2.
        let ap = pr_auc(&[0.9, 0.7, 0.6, 0.1], &y).unwrap();
        assert!((ap - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
        assert!((brier(&[1.0, 0.0, 0.5, 0.5], &y) - 0.125).abs() < 1e-12);
    }

    #[test]
    fn confusion_and_threshold() {
        let p = [0.9, 0.6, 0.4, 0.2];
        let y = [1.0, 0.0, 1.0, 0.0];
        let c = Confusion::at(&p, &y, 0.5);
        assert_eq!((c.tp, c.fp, c.tn, c.r#fn), (1, 1, 1, 1));
        assert_eq!(c.recall(), Some(0.5));
        assert_eq!(best_f1_threshold(&p, &y), 0.21);
        let cal = calibration(&p, &y, 2);
        assert_eq!(cal.len(), 2);
        assert_eq!(cal[1].rows, 2);
        assert!((cal[1].observed_rate - 0.5).abs() < 1e-12);
    }
}
