//! Data quality checks declared beside each model (`<model>.checks.toml`), run on the rows a
//! run is about to commit. The kinds are dbt's and Great Expectations' everyday ones: not
//! null, unique keys, accepted values, ranges, row-count change against the last run, and
//! freshness. Each check is compiled to a SQL query that returns the offending rows, so a
//! failure names them.

use std::fmt::Write as _;

use chrono::NaiveDate;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};

/// What a failing check does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The table's commit is aborted.
    #[default]
    Error,
    /// Reported; the commit goes ahead.
    Warn,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Range {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RowCountChange {
    /// The largest allowed drop in rows against the last committed version, as a fraction
    /// (0.1 = 10 %).
    pub max_drop: f64,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Freshness {
    /// A DATE column.
    pub column: String,
    /// The newest value may be at most this many days before the run's date.
    pub max_age_days: i64,
}

/// One check as declared.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub name: String,
    #[serde(default)]
    pub severity: Severity,
    pub not_null: Option<Vec<String>>,
    pub unique: Option<Vec<String>>,
    /// The column of `range` and `accepted_values`.
    pub column: Option<String>,
    pub range: Option<Range>,
    pub accepted_values: Option<Vec<String>>,
    pub row_count_change: Option<RowCountChange>,
    pub freshness: Option<Freshness>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    check: Vec<Check>,
}

/// Parses a checks file; `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> anyhow::Result<Vec<Check>> {
    let file: File = toml::from_str(text).map_err(|e| anyhow::anyhow!("{origin}: {e}"))?;
    for (i, c) in file.check.iter().enumerate() {
        let kinds = [
            c.not_null.is_some(),
            c.unique.is_some(),
            c.range.is_some(),
            c.accepted_values.is_some(),
            c.row_count_change.is_some(),
            c.freshness.is_some(),
        ];
        let n = kinds.iter().filter(|k| **k).count();
        anyhow::ensure!(
            n == 1,
            "{origin}: check {} (`{}`) must have exactly one of not_null, unique, range, \
             accepted_values, row_count_change, freshness (it has {n})",
            i + 1,
            c.name
        );
        anyhow::ensure!(
            (c.range.is_some() || c.accepted_values.is_some()) == c.column.is_some(),
            "{origin}: check {} (`{}`): `column` goes with range and accepted_values, and only with them",
            i + 1,
            c.name
        );
    }
    Ok(file.check)
}

/// How a check went.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Outcome {
    pub table: String,
    pub check: String,
    pub severity: Severity,
    pub passed: bool,
    /// What failed, in words, with up to five offending rows.
    pub message: String,
    /// How many rows failed (rows for row checks; 0 for table checks).
    pub failing_rows: usize,
}

/// What the checks know besides the candidate rows.
pub struct Context<'a> {
    pub table: &'a str,
    pub run_date: NaiveDate,
    /// Rows of the last committed version, when there is one.
    pub previous_rows: Option<usize>,
    pub rows: usize,
}

fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// The SQL that returns the offending rows of a row check over the table `candidate`.
fn offending_sql(check: &Check) -> Option<String> {
    if let Some(cols) = &check.not_null {
        let cond = cols
            .iter()
            .map(|c| format!("{} IS NULL", ident(c)))
            .collect::<Vec<_>>()
            .join(" OR ");
        return Some(format!("SELECT * FROM candidate WHERE {cond}"));
    }
    if let Some(cols) = &check.unique {
        let list = cols.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
        return Some(format!(
            "SELECT {list}, COUNT(*) AS copies FROM candidate GROUP BY {list} HAVING COUNT(*) > 1"
        ));
    }
    let column = ident(check.column.as_deref()?);
    if let Some(range) = &check.range {
        let mut cond = Vec::new();
        if let Some(min) = range.min {
            cond.push(format!("{column} < {min:?}"));
        }
        if let Some(max) = range.max {
            cond.push(format!("{column} > {max:?}"));
        }
        if cond.is_empty() {
            return None;
        }
        return Some(format!(
            "SELECT * FROM candidate WHERE {column} IS NOT NULL AND ({})",
            cond.join(" OR ")
        ));
    }
    if let Some(values) = &check.accepted_values {
        let list = values
            .iter()
            .map(|v| literal(v))
            .collect::<Vec<_>>()
            .join(", ");
        return Some(format!(
            "SELECT * FROM candidate WHERE {column} IS NOT NULL AND CAST({column} AS VARCHAR) NOT IN ({list})"
        ));
    }
    None
}

/// Runs `checks` over the table `candidate` registered in `ctx`.
pub async fn run(
    ctx: &SessionContext,
    checks: &[Check],
    context: &Context<'_>,
) -> anyhow::Result<Vec<Outcome>> {
    let mut out = Vec::new();
    for check in checks {
        let (passed, message, failing_rows) = if let Some(sql) = offending_sql(check) {
            let count = ctx
                .sql(&format!("SELECT COUNT(*) FROM ({sql}) offending"))
                .await?
                .collect()
                .await?;
            let n = scalar_i64(&count).unwrap_or(0) as usize;
            if n == 0 {
                (true, "passed".to_string(), 0)
            } else {
                let sample = ctx.sql(&format!("{sql} LIMIT 5")).await?.collect().await?;
                (
                    false,
                    format!("{n} row(s) fail, e.g. {}", rows_text(&sample)?),
                    n,
                )
            }
        } else if let Some(change) = &check.row_count_change {
            match context.previous_rows {
                Some(prev) if prev > 0 => {
                    let drop = (prev as f64 - context.rows as f64) / prev as f64;
                    if drop > change.max_drop {
                        (
                            false,
                            format!(
                                "{} rows against {prev} in the last version: a drop of {:.1} % (at most {:.1} % allowed)",
                                context.rows,
                                drop * 100.0,
                                change.max_drop * 100.0
                            ),
                            0,
                        )
                    } else {
                        (true, format!("{} rows, {prev} before", context.rows), 0)
                    }
                }
                _ => (true, "no earlier version to compare with".to_string(), 0),
            }
        } else if let Some(fresh) = &check.freshness {
            let newest = ctx
                .sql(&format!(
                    "SELECT CAST(MAX({}) AS DATE) FROM candidate",
                    ident(&fresh.column)
                ))
                .await?
                .collect()
                .await?;
            let date = newest.iter().find(|b| b.num_rows() > 0).and_then(|b| {
                use datafusion::arrow::array::{Array, AsArray};
                use datafusion::arrow::datatypes::Date32Type;
                let days = b.column(0).as_primitive::<Date32Type>();
                (!days.is_null(0)).then(|| {
                    NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")
                        + chrono::Days::new(days.value(0) as u64)
                })
            });
            match date {
                None => (false, format!("no value in `{}`", fresh.column), 0),
                Some(d) => {
                    let age = (context.run_date - d).num_days();
                    if age > fresh.max_age_days {
                        (
                            false,
                            format!(
                                "newest `{}` is {d}, {age} days before {} (at most {} allowed)",
                                fresh.column, context.run_date, fresh.max_age_days
                            ),
                            0,
                        )
                    } else {
                        (true, format!("newest `{}` is {d}", fresh.column), 0)
                    }
                }
            }
        } else {
            (true, "nothing to check".to_string(), 0)
        };
        out.push(Outcome {
            table: context.table.to_string(),
            check: check.name.clone(),
            severity: check.severity,
            passed,
            message,
            failing_rows,
        });
    }
    Ok(out)
}

fn scalar_i64(batches: &[datafusion::arrow::record_batch::RecordBatch]) -> Option<i64> {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::Int64Type;
    let b = batches.iter().find(|b| b.num_rows() > 0)?;
    Some(b.column(0).as_primitive::<Int64Type>().value(0))
}

/// Rows as `{col: value, …}` objects, one after the other.
fn rows_text(batches: &[datafusion::arrow::record_batch::RecordBatch]) -> anyhow::Result<String> {
    let options = FormatOptions::default().with_null("null");
    let mut out = String::new();
    for batch in batches {
        let schema = batch.schema();
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()?;
        for row in 0..batch.num_rows() {
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push('{');
            for (i, f) in formatters.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write!(out, "{}: {}", schema.field(i).name(), f.value(row))?;
            }
            out.push('}');
        }
    }
    Ok(out)
}

/// The outcomes as JUnit XML: one test suite per table, one test case per check; a failed
/// `error` check is a failure, a failed `warn` check a skipped case with its message.
pub fn junit(outcomes: &[Outcome]) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut tables: Vec<&str> = outcomes.iter().map(|o| o.table.as_str()).collect();
    tables.dedup();
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"etl-job quality\">\n",
    );
    for table in tables {
        let cases: Vec<&Outcome> = outcomes.iter().filter(|o| o.table == table).collect();
        let failures = cases
            .iter()
            .filter(|o| !o.passed && o.severity == Severity::Error)
            .count();
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\">",
            esc(table),
            cases.len()
        );
        for o in cases {
            let _ = write!(
                xml,
                "    <testcase classname=\"{}\" name=\"{}\"",
                esc(table),
                esc(&o.check)
            );
            if o.passed {
                xml.push_str("/>\n");
            } else if o.severity == Severity::Error {
                let _ = writeln!(
                    xml,
                    ">\n      <failure message=\"{}\"/>\n    </testcase>",
                    esc(&o.message)
                );
            } else {
                let _ = writeln!(
                    xml,
                    ">\n      <skipped message=\"warn: {}\"/>\n    </testcase>",
                    esc(&o.message)
                );
            }
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_has_exactly_one_kind() {
        let err = parse(
            "[[check]]\nname = \"x\"\nnot_null = [\"a\"]\nunique = [\"a\"]\n",
            "t.checks.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("t.checks.toml: check 1 (`x`)"), "{err}");
        let err = parse(
            "[[check]]\nname = \"y\"\nrange = { min = 0 }\n",
            "t.checks.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("`column` goes with range"), "{err}");
        let err = parse(
            "[[check]]\nname = \"z\"\nunique = [\"a\"]\nsevere = 1\n",
            "f",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("severe"), "{err}");
    }

    #[tokio::test]
    async fn failing_rows_are_named_and_warnings_do_not_fail() {
        let ctx = SessionContext::new();
        ctx.sql("CREATE VIEW candidate AS SELECT * FROM (VALUES ('p1', 1.0), ('p1', -2.0), ('p2', 0.5)) t(project_id, rate)")
            .await
            .unwrap();
        let checks = parse(
            "[[check]]\nname = \"unique\"\nunique = [\"project_id\"]\n\
             [[check]]\nname = \"share\"\nseverity = \"warn\"\ncolumn = \"rate\"\nrange = { min = 0, max = 1 }\n\
             [[check]]\nname = \"drop\"\nrow_count_change = { max_drop = 0.1 }\n",
            "t",
        )
        .unwrap();
        let context = Context {
            table: "gold/t",
            run_date: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            previous_rows: Some(10),
            rows: 3,
        };
        let out = run(&ctx, &checks, &context).await.unwrap();
        assert!(!out[0].passed);
        assert!(
            out[0].message.contains("project_id: p1"),
            "{}",
            out[0].message
        );
        assert!(out[0].message.contains("copies: 2"), "{}", out[0].message);
        assert!(!out[1].passed && out[1].severity == Severity::Warn);
        assert!(out[1].message.contains("rate: -2.0"), "{}", out[1].message);
        assert!(!out[2].passed && out[2].message.contains("drop of 70.0 %"));
        let xml = junit(&out);
        assert!(xml.contains("failures=\"2\""), "{xml}");
        assert!(
            xml.contains("<skipped message=\"warn: 1 row(s) fail"),
            "{xml}"
        );
    }
}
