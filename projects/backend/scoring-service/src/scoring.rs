//! A task to score, checked at the edge, and its score: the one path both protocols call.

use chrono::{DateTime, NaiveDate, Utc};
use mlops::model::{TaskFeatures, priority_index};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::aggregates::Aggregates;
use crate::serving::Loaded;

/// Largest label count and description length taken (the task API's own limits are lower).
pub const MAX_COUNT: u32 = 100_000;

/// A task as a client sends it (REST's JSON, gRPC's `Task` converted).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    pub project_id: Uuid,
    pub priority: String,
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
    #[serde(default)]
    pub label_count: u32,
    #[serde(default)]
    pub description_length: u32,
    #[serde(default)]
    pub has_assignee: bool,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

/// Where a task stands in a request, for naming its fields in errors: `task` alone, or
/// `tasks[i]` of a batch (formatted only when an error names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    Task,
    Tasks(usize),
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            At::Task => write!(f, "task"),
            At::Tasks(i) => write!(f, "tasks[{i}]"),
        }
    }
}

/// A bad field: where and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// A checked task: what the model needs besides the live figures.
#[derive(Debug, Clone, Copy)]
pub struct Checked {
    pub project_id: Uuid,
    pub priority: usize,
    pub due_date: Option<NaiveDate>,
    pub label_count: u32,
    pub description_length: u32,
    pub has_assignee: bool,
    pub created_at: DateTime<Utc>,
}

impl TaskInput {
    /// Checks the fields serde could not; `at` names the task in errors (`tasks[3]`).
    pub fn check(&self, at: At, now: DateTime<Utc>) -> Result<Checked, FieldError> {
        let bad = |field: &str, message: String| FieldError {
            field: format!("{at}.{field}"),
            message,
        };
        let priority = priority_index(&self.priority).ok_or_else(|| {
            bad(
                "priority",
                format!(
                    "`{}` is not one of low, medium, high, urgent",
                    self.priority
                ),
            )
        })?;
        for (name, v) in [
            ("label_count", self.label_count),
            ("description_length", self.description_length),
        ] {
            if v > MAX_COUNT {
                return Err(bad(name, format!("{v} is more than {MAX_COUNT}")));
            }
        }
        let created_at = self.created_at.unwrap_or(now);
        if let Some(due) = self.due_date {
            let days = (due - created_at.date_naive()).num_days();
            if days.abs() > 36_500 {
                return Err(bad(
                    "due_date",
                    format!("{due} is more than 100 years from the creation date"),
                ));
            }
        }
        Ok(Checked {
            project_id: self.project_id,
            priority,
            due_date: self.due_date,
            label_count: self.label_count,
            description_length: self.description_length,
            has_assignee: self.has_assignee,
            created_at,
        })
    }
}

/// One score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Score {
    pub probability: f64,
    pub late: bool,
    pub threshold: f64,
    pub project_open_load: i64,
    pub project_throughput_28d: i64,
}

/// Scores a checked task with `model` and the project's live figures at its creation time.
pub fn score(task: &Checked, aggregates: &Aggregates, model: &Loaded) -> Score {
    let figures = aggregates.figures(&task.project_id, task.created_at.timestamp_micros());
    let features = TaskFeatures {
        created: task.created_at.date_naive(),
        priority: task.priority,
        due_date: task.due_date,
        label_count: task.label_count,
        description_length: task.description_length,
        has_assignee: task.has_assignee,
        project_open_load: figures.open_load,
        project_throughput_28d: figures.throughput_28d,
    };
    let probability = model.model.predict_row(&features.row());
    let threshold = model.model.meta.threshold;
    Score {
        probability,
        late: probability >= threshold,
        threshold,
        project_open_load: figures.open_load,
        project_throughput_28d: figures.throughput_28d,
    }
}

/// What a typical task created now would score in `project`: medium priority, due in 7 days,
/// no labels, no description, unassigned (the figure `WatchRisk` and the risk route report).
pub fn typical(
    project: Uuid,
    now: DateTime<Utc>,
    aggregates: &Aggregates,
    model: &Loaded,
) -> Score {
    let task = Checked {
        project_id: project,
        priority: 1,
        due_date: Some(now.date_naive() + chrono::Duration::days(7)),
        label_count: 0,
        description_length: 0,
        has_assignee: false,
        created_at: now,
    };
    score(&task, aggregates, model)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> TaskInput {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn bad_fields_are_named() {
        let now = Utc::now();
        let p = Uuid::new_v4();
        let e = input(&format!(r#"{{"project_id":"{p}","priority":"asap"}}"#))
            .check(At::Task, now)
            .unwrap_err();
        assert_eq!(e.field, "task.priority");
        assert!(e.message.contains("`asap`"), "{e}");
        let e = input(&format!(
            r#"{{"project_id":"{p}","priority":"low","label_count":100001}}"#
        ))
        .check(At::Tasks(2), now)
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "tasks[2].label_count: 100001 is more than 100000"
        );
        let e = input(&format!(
            r#"{{"project_id":"{p}","priority":"low","due_date":"2999-01-01"}}"#
        ))
        .check(At::Task, now)
        .unwrap_err();
        assert_eq!(e.field, "task.due_date");
        let ok = input(&format!(
            r#"{{"project_id":"{p}","priority":"urgent","due_date":"2026-12-10","created_at":"2026-12-03T10:00:00Z"}}"#
        ))
        .check(At::Task, now)
        .unwrap();
        assert_eq!(ok.priority, 3);
        assert_eq!(ok.created_at.to_rfc3339(), "2026-12-03T10:00:00+00:00");
        // Unknown fields and wrong types are serde's to refuse.
        assert!(
            serde_json::from_str::<TaskInput>(&format!(
                r#"{{"project_id":"{p}","priority":"low","colour":1}}"#
            ))
            .is_err()
        );
    }
}
