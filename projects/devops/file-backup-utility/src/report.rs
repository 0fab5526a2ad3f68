//! `report`: summaries of the last backup runs (each run is a snapshot with its summary) and of
//! the repository, as JSON, Markdown or a self-contained HTML page.

use serde::Serialize;

use crate::repo::{Repo, RepoError, Snapshot};

#[derive(Debug, Serialize)]
pub struct Report {
    pub repository: RepoStats,
    /// The last runs, newest first.
    pub runs: Vec<Run>,
}

#[derive(Debug, Serialize)]
pub struct RepoStats {
    pub id: String,
    pub snapshots: usize,
    pub packs: usize,
    pub blobs: usize,
    /// Bytes of the pack files.
    pub bytes_stored: u64,
}

#[derive(Debug, Serialize)]
pub struct Run {
    pub snapshot: String,
    #[serde(flatten)]
    pub snap: Snapshot,
}

/// The repository's figures and its `last` newest runs.
pub fn report(repo: &Repo, last: usize) -> Result<Report, RepoError> {
    let snaps = repo.snapshots()?;
    let packs: Vec<_> = crate::repo::data_files(&*repo.store)?
        .into_iter()
        .filter(|f| !f.is_partial())
        .collect();
    let bytes = packs.iter().map(|f| f.len).sum();
    let packs = packs.len();
    Ok(Report {
        repository: RepoStats {
            id: repo.config.id[..12].to_string(),
            snapshots: snaps.len(),
            packs,
            blobs: repo.index.len(),
            bytes_stored: bytes,
        },
        runs: snaps
            .into_iter()
            .rev()
            .take(last)
            .map(|(id, snap)| Run {
                snapshot: id[..12].to_string(),
                snap,
            })
            .collect(),
    })
}

/// Bytes for people: B, kB, MB, GB (powers of 1000).
pub fn human(b: u64) -> String {
    let mut v = b as f64;
    for unit in ["B", "kB", "MB", "GB"] {
        if v < 1000.0 || unit == "GB" {
            return if unit == "B" {
                format!("{b} B")
            } else {
                format!("{v:.1} {unit}")
            };
        }
        v /= 1000.0;
    }
    unreachable!()
}

const COLUMNS: [&str; 9] = [
    "time",
    "snapshot",
    "paths",
    "tags",
    "new",
    "changed",
    "unchanged",
    "read / added",
    "duration",
];

fn cells(r: &Run) -> [String; 9] {
    let s = &r.snap.summary;
    [
        r.snap
            .time
            .chars()
            .take(19)
            .collect::<String>()
            .replace('T', " "),
        r.snapshot.clone(),
        r.snap.paths.join(", "),
        r.snap.tags.join(", "),
        s.files_new.to_string(),
        s.files_changed.to_string(),
        s.files_unchanged.to_string(),
        format!("{} / {}", human(s.bytes_read), human(s.bytes_added)),
        format!("{:.1} s", s.duration_ms as f64 / 1000.0),
    ]
}

fn headline(r: &Report) -> String {
    let s = &r.repository;
    format!(
        "repository {}: {} snapshot(s), {} blob(s) in {} pack(s), {} stored",
        s.id,
        s.snapshots,
        s.blobs,
        s.packs,
        human(s.bytes_stored)
    )
}

pub fn markdown(r: &Report) -> String {
    let mut out = format!("# Backup report\n\n{}\n\n", headline(r));
    if r.runs.is_empty() {
        out.push_str("No runs yet.\n");
        return out;
    }
    out.push_str(&format!("| {} |\n", COLUMNS.join(" | ")));
    out.push_str(&format!("|{}\n", "---|".repeat(COLUMNS.len())));
    for run in &r.runs {
        let row: Vec<String> = cells(run).iter().map(|c| c.replace('|', "\\|")).collect();
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn html(r: &Report) -> String {
    let mut rows = String::new();
    for run in &r.runs {
        rows.push_str("<tr>");
        for c in cells(run) {
            rows.push_str(&format!("<td>{}</td>", esc(&c)));
        }
        rows.push_str("</tr>\n");
    }
    let head: String = COLUMNS
        .iter()
        .map(|c| format!("<th scope=\"col\">{}</th>", esc(c)))
        .collect();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Backup report</title>\n\
         <style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#1a1a1a}}\
         table{{border-collapse:collapse}}th,td{{border:1px solid #888;padding:.3rem .6rem;text-align:left}}\
         th{{background:#e8e8e8}}</style></head>\n<body><h1>Backup report</h1>\n<p>{}</p>\n\
         <table><thead><tr>{head}</tr></thead><tbody>\n{}</tbody></table>\n{}</body></html>\n",
        esc(&headline(r)),
        rows,
        if r.runs.is_empty() {
            "<p>No runs yet.</p>\n"
        } else {
            ""
        }
    )
}

/// Prometheus text for a Pushgateway after a backup run.
pub fn metrics(snap: &Snapshot, now_unix: i64) -> String {
    let s = &snap.summary;
    format!(
        "# TYPE backup_files_total gauge\n\
         backup_files_total{{state=\"new\"}} {}\n\
         backup_files_total{{state=\"changed\"}} {}\n\
         backup_files_total{{state=\"unchanged\"}} {}\n\
         # TYPE backup_bytes_total gauge\n\
         backup_bytes_total{{kind=\"read\"}} {}\n\
         backup_bytes_total{{kind=\"added\"}} {}\n\
         # TYPE backup_duration_seconds gauge\n\
         backup_duration_seconds {}\n\
         # TYPE backup_last_success_timestamp gauge\n\
         backup_last_success_timestamp {now_unix}\n",
        s.files_new,
        s.files_changed,
        s.files_unchanged,
        s.bytes_read,
        s.bytes_added,
        s.duration_ms as f64 / 1000.0
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn bytes_read_as_people_expect() {
        use super::human;
        assert_eq!(human(0), "0 B");
        assert_eq!(human(999), "999 B");
        assert_eq!(human(1_500), "1.5 kB");
        assert_eq!(human(12_345_678), "12.3 MB");
        assert_eq!(human(4_000_000_000_000), "4000.0 GB");
    }
}
