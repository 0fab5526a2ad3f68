//! `mlops validate`: the training data's contract — schema and types, null rates, value
//! ranges, label balance, no leakage, enough rows — as a report (JSON and Markdown).

use serde::Serialize;

use crate::config::DataConfig;
use crate::data::{Column, Dataset, FEATURES, Kind, LABEL, LEAKAGE, PRIORITIES, RawTable, SCHEMA};
use crate::metrics::roc_auc;

/// One check of the contract.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// `schema`, `types`, `nulls`, `ranges`, `label`, `leakage`, `rows`.
    pub kind: &'static str,
    /// What was checked (a column, or the table).
    pub subject: String,
    pub passed: bool,
    /// The finding, with the numbers.
    pub detail: String,
}

/// The contract's verdict on one source.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub source: String,
    pub rows: usize,
    pub settled_rows: usize,
    pub positive_rate: Option<f64>,
    pub passed: bool,
    pub checks: Vec<Check>,
}

impl Report {
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.passed)
    }

    pub fn markdown(&self) -> String {
        let mut out = format!(
            "# Training data contract: {}\n\n**{}** — {} row(s), {} with a known outcome{}.\n\n",
            self.source,
            if self.passed { "passed" } else { "FAILED" },
            self.rows,
            self.settled_rows,
            self.positive_rate
                .map(|r| format!(", {:.1} % late", r * 100.0))
                .unwrap_or_default()
        );
        out.push_str("| check | subject | result | detail |\n|---|---|---|---|\n");
        for c in &self.checks {
            out.push_str(&format!(
                "| {} | `{}` | {} | {} |\n",
                c.kind,
                c.subject,
                if c.passed { "pass" } else { "**fail**" },
                c.detail.replace('|', "\\|")
            ));
        }
        out
    }
}

/// Valid ranges of the numeric features (inclusive; `None`: unbounded).
const RANGES: [(&str, Option<f64>, Option<f64>); 6] = [
    ("weekday", Some(1.0), Some(7.0)),
    ("label_count", Some(0.0), None),
    ("description_length", Some(0.0), None),
    ("project_open_load", Some(0.0), None),
    ("project_throughput_28d", Some(0.0), None),
    ("days_until_due", Some(-3660.0), Some(3660.0)),
];

/// Judges `raw` against the contract.
pub fn validate(raw: &RawTable, cfg: &DataConfig) -> Report {
    let mut checks = Vec::new();
    let mut push = |kind, subject: &str, passed, detail: String| {
        checks.push(Check {
            kind,
            subject: subject.to_string(),
            passed,
            detail,
        })
    };

    // Schema: every contract column, with its type; nothing else.
    let mut schema_ok = true;
    for (name, kind) in SCHEMA {
        match raw.get(name) {
            None => {
                schema_ok = false;
                push(
                    "schema",
                    name,
                    false,
                    format!("missing (a {kind:?} column)"),
                );
            }
            Some(c) if c.kind() != kind => {
                schema_ok = false;
                push(
                    "schema",
                    name,
                    false,
                    format!("is {:?}, the contract says {kind:?}", c.kind()),
                );
            }
            Some(_) => {}
        }
    }
    for name in &raw.order {
        if !SCHEMA.iter().any(|(n, _)| n == name) {
            schema_ok = false;
            push(
                "schema",
                name,
                false,
                "not in the contract (a new column needs a contract change and a review for leakage)"
                    .into(),
            );
        }
    }
    if schema_ok {
        push(
            "schema",
            "table",
            true,
            format!("{} columns as the contract lists", SCHEMA.len()),
        );
    }

    // Types: cells that do not parse (CSV sources).
    let mut by_column: std::collections::BTreeMap<&str, Vec<&crate::data::BadValue>> =
        Default::default();
    for b in &raw.bad_values {
        by_column.entry(b.column.as_str()).or_default().push(b);
    }
    for (column, bad) in &by_column {
        let first = bad[0];
        push(
            "types",
            column,
            false,
            format!(
                "{} value(s) are not {:?}; first at row {}: {:?}",
                bad.len(),
                first.expected,
                first.row,
                first.value
            ),
        );
    }
    if by_column.is_empty() {
        push(
            "types",
            "table",
            true,
            "every value has its column's type".into(),
        );
    }

    // Nulls.
    for name in FEATURES.iter().chain([&"task_id", &"created_date", &LABEL]) {
        let Some(c) = raw.get(name) else { continue };
        let rate = if raw.rows == 0 {
            0.0
        } else {
            c.nulls() as f64 / raw.rows as f64
        };
        let max = match *name {
            "days_until_due" => cfg.max_null_rate_days_until_due,
            n if FEATURES.contains(&n) => cfg.max_null_rate,
            _ => 0.0,
        };
        push(
            "nulls",
            name,
            rate <= max,
            format!("{:.2} % null (at most {:.2} %)", rate * 100.0, max * 100.0),
        );
    }

    // Ranges.
    for (name, lo, hi) in RANGES {
        let Some(Column::Number(v)) = raw.get(name) else {
            continue;
        };
        let outside: Vec<(usize, f64)> = v
            .iter()
            .enumerate()
            .filter_map(|(i, x)| x.map(|x| (i, x)))
            .filter(|(_, x)| lo.is_some_and(|l| *x < l) || hi.is_some_and(|h| *x > h))
            .collect();
        let bounds = format!(
            "[{}, {}]",
            lo.map_or("-∞".into(), |l| l.to_string()),
            hi.map_or("∞".into(), |h| h.to_string())
        );
        push(
            "ranges",
            name,
            outside.is_empty(),
            match outside.first() {
                None => format!("within {bounds}"),
                Some((i, x)) => format!(
                    "{} value(s) outside {bounds}; first at row {}: {x}",
                    outside.len(),
                    i + 1
                ),
            },
        );
    }
    if let Some(Column::Text(v)) = raw.get("priority") {
        let bad: Vec<(usize, &str)> = v
            .iter()
            .enumerate()
            .filter_map(|(i, x)| x.as_deref().map(|x| (i, x)))
            .filter(|(_, x)| !PRIORITIES.contains(x))
            .collect();
        push(
            "ranges",
            "priority",
            bad.is_empty(),
            match bad.first() {
                None => format!("one of {}", PRIORITIES.join(", ")),
                Some((i, x)) => format!(
                    "{} value(s) not one of {}; first at row {}: {x:?}",
                    bad.len(),
                    PRIORITIES.join(", "),
                    i + 1
                ),
            },
        );
    }

    // Rows, label balance and leakage need a table the model can read.
    let dataset = if schema_ok {
        Dataset::from_raw(raw).ok()
    } else {
        None
    };
    let (settled, rate) = match &dataset {
        Some(ds) => {
            let pos = ds.label.iter().filter(|&&y| y > 0.5).count();
            (ds.rows, (ds.rows > 0).then(|| pos as f64 / ds.rows as f64))
        }
        None => (0, None),
    };
    push(
        "rows",
        "table",
        settled >= cfg.min_rows,
        format!(
            "{settled} row(s) with a known outcome (at least {}); {} still open and not yet due",
            cfg.min_rows,
            dataset.as_ref().map_or(0, |d| d.unsettled)
        ),
    );
    if let Some(r) = rate {
        push(
            "label",
            LABEL,
            (cfg.min_positive_rate..=cfg.max_positive_rate).contains(&r),
            format!(
                "{:.2} % late (between {:.0} % and {:.0} %)",
                r * 100.0,
                cfg.min_positive_rate * 100.0,
                cfg.max_positive_rate * 100.0
            ),
        );
    }
    for name in LEAKAGE {
        push(
            "leakage",
            name,
            !FEATURES.contains(&name),
            "an input of the label, not a feature".into(),
        );
    }
    if let Some(ds) = &dataset {
        for (f, name) in FEATURES.iter().enumerate() {
            // A single feature that separates the classes almost perfectly knows the outcome.
            let x: Vec<f64> = ds
                .feature(f)
                .iter()
                .map(|v| if v.is_nan() { f64::MIN } else { *v })
                .collect();
            if let Some(auc) = roc_auc(&x, &ds.label) {
                let strength = auc.max(1.0 - auc);
                push(
                    "leakage",
                    name,
                    strength <= cfg.max_single_feature_auc,
                    format!(
                        "alone it ranks the label with AUC {strength:.3} (at most {:.2})",
                        cfg.max_single_feature_auc
                    ),
                );
            }
        }
    }

    let passed = checks.iter().all(|c| c.passed);
    Report {
        source: raw.source.clone(),
        rows: raw.rows,
        settled_rows: settled,
        positive_rate: rate,
        passed,
        checks,
    }
}

/// Kind names for messages.
impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}
