//! A synthetic table of the contract's columns, for tests and demos of the model and of the
//! services that serve it: `n` tasks over 60 days, late more often when urgent, due soon and
//! in a loaded project. Deterministic.

use chrono::{Datelike, NaiveDate};

use crate::data::{PRIORITIES, SCHEMA};
use crate::model::TaskFeatures;

/// One synthetic task: its id, its features and its label.
#[derive(Debug, Clone)]
pub struct Task {
    pub id: String,
    pub features: TaskFeatures,
    pub late: bool,
}

/// `n` tasks created from 2026-01-01 over 60 days.
pub fn tasks(n: usize) -> Vec<Task> {
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date");
    (0..n)
        .map(|i| {
            let created = start + chrono::Duration::days((i * 60 / n.max(1)) as i64);
            let priority = i * 7 % 4;
            let due = (i % 5 != 0).then(|| created + chrono::Duration::days((i * 3 % 20) as i64));
            let load = (i * 13 % 40) as i64;
            Task {
                id: format!("t{i:05}"),
                features: TaskFeatures {
                    created,
                    priority,
                    due_date: due,
                    label_count: (i % 3) as u32,
                    description_length: (i * 31 % 200) as u32,
                    has_assignee: i % 2 == 0,
                    project_open_load: load,
                    project_throughput_28d: (i * 5 % 17) as i64,
                },
                late: due.is_some() && (priority + load as usize / 10 + (i % 3)) >= 4,
            }
        })
        .collect()
}

/// The tasks as a CSV of the contract's columns (what `mlops --csv` reads). The weekday is
/// computed here by chrono, independently of [`TaskFeatures::row`].
pub fn csv(tasks: &[Task]) -> String {
    let mut text = SCHEMA.map(|(c, _)| c).join(",") + "\n";
    for (i, t) in tasks.iter().enumerate() {
        let f = &t.features;
        let created = f.created;
        let weekday = created.weekday().num_days_from_sunday() + 1;
        text += &format!(
            "{},p1,{},{created},{weekday},{},{},{},{},{},{},{},{},{},,false,{}\n",
            t.id,
            i * 1000,
            PRIORITIES[f.priority],
            f.due_date.is_some(),
            f.due_date
                .map_or(String::new(), |d| (d - created).num_days().to_string()),
            f.label_count,
            f.description_length,
            f.has_assignee,
            f.project_open_load,
            f.project_throughput_28d,
            f.due_date.map_or(String::new(), |d| d.to_string()),
            t.late,
        );
    }
    text
}
