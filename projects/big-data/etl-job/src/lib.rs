//! `etl-job`: the lake's gold layer. Bronze's task events are staged into typed columns
//! ([`staging`]), SQL models kept as files ([`models`]) run on DataFusion with Spark's
//! functions ([`udf`]), each table's rows pass their checks ([`quality`]) and are committed
//! to a Delta table in one commit ([`store`]) carrying the run's watermark ([`run`]); every
//! step emits OpenLineage events ([`lineage`]). [`spark`] exports the same models for Spark;
//! [`compare`] checks two engines agree; [`generator`] writes a realistic bronze table.

pub mod compare;
pub mod generator;
pub mod lineage;
pub mod models;
pub mod quality;
pub mod run;
pub mod spark;
pub mod staging;
pub mod store;
pub mod udf;

/// A run's report in words, one line per step (what `etl-job run` prints).
pub fn describe(report: &run::Report) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let s = &report.staging;
    let bronze = s
        .bronze_version
        .map_or_else(|| "-".to_string(), |v| format!("v{v}"));
    if s.committed {
        let _ = writeln!(
            out,
            "staged    bronze {bronze}: {} file(s), {} task event(s){} ({:.2}s)",
            s.new_files,
            s.rows_added,
            if s.full_refresh { ", full refresh" } else { "" },
            s.seconds
        );
    } else {
        let _ = writeln!(
            out,
            "staged    bronze {bronze}: nothing new ({:.2}s)",
            s.seconds
        );
    }
    for t in &report.tables {
        let failed_warn = t
            .checks
            .iter()
            .filter(|c| !c.passed && c.severity == quality::Severity::Warn)
            .count();
        let passed = t.checks.iter().filter(|c| c.passed).count();
        let version = t.version.map_or_else(String::new, |v| format!(" v{v}"));
        match t.status.as_str() {
            "committed" => {
                let _ = write!(
                    out,
                    "committed {}{version}: {} row(s), {passed}/{} check(s) passed",
                    t.table,
                    t.rows.unwrap_or(0),
                    t.checks.len()
                );
                if failed_warn > 0 {
                    let _ = write!(out, ", {failed_warn} warning(s)");
                }
                let _ = writeln!(out, " ({:.2}s)", t.seconds);
            }
            "unchanged" => {
                let _ = writeln!(
                    out,
                    "unchanged {}{version}: its input did not change",
                    t.table
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "FAILED    {}: {}",
                    t.table,
                    t.error.as_deref().unwrap_or("unknown error")
                );
            }
        }
        for c in t
            .checks
            .iter()
            .filter(|c| !c.passed && c.severity == quality::Severity::Warn)
        {
            let _ = writeln!(out, "  warning: {} `{}`: {}", t.table, c.check, c.message);
        }
    }
    for e in &report.lineage_errors {
        let _ = writeln!(out, "  warning: {e}");
    }
    let _ = writeln!(
        out,
        "{} in {:.2}s (run {})",
        if report.ok { "done" } else { "failed" },
        report.seconds,
        report.run_id
    );
    out
}
