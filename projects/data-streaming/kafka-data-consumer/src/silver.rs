//! `silver/tasks`: the current state of every task, derived from the bronze events (masked,
//! deduplicated by event id, in Kafka order per partition, so per task). Deleted tasks leave it.
//!
//! The state lives in memory and is rebuilt from `bronze/task_events` on start; after a batch
//! the consumer applies the batch's events and, at most every `interval`, overwrites the table
//! in one Delta commit (new files added, every old file removed). Bronze is the source of
//! truth: silver can always be rebuilt from it.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use deltalake::DeltaTable;
use deltalake::arrow::array::{
    Array, ArrayRef, Date32Array, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use deltalake::arrow::datatypes::{DataType as ArrowType, Field, Schema, TimeUnit};
use deltalake::kernel::{DataType, PrimitiveType, StructField};
use events::{Event, EventData, TaskSnapshot};

use crate::lake::read_columns;

/// Tasks by id, with the event that last changed each.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tasks {
    pub tasks: BTreeMap<String, (TaskSnapshot, String, DateTime<Utc>)>,
    pub dirty: bool,
}

impl Tasks {
    /// Applies one event (events of other entities are ignored).
    pub fn apply(&mut self, event: &Event) {
        match &event.data {
            EventData::TaskCreated { task }
            | EventData::TaskUpdated { task, .. }
            | EventData::TaskCompleted { task } => {
                let id = task.id.to_string();
                if self
                    .tasks
                    .get(&id)
                    .is_some_and(|(t, _, _)| t.version > task.version)
                {
                    return;
                }
                self.tasks
                    .insert(id, (task.clone(), event.id.clone(), event.time));
                self.dirty = true;
            }
            EventData::TaskDeleted { task_id, .. } => {
                self.dirty |= self.tasks.remove(&task_id.to_string()).is_some();
            }
            _ => {}
        }
    }
}

fn ts() -> ArrowType {
    ArrowType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn arrow_schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("task_id", ArrowType::Utf8, false),
        Field::new("project_id", ArrowType::Utf8, false),
        Field::new("title", ArrowType::Utf8, false),
        Field::new("description", ArrowType::Utf8, true),
        Field::new("status", ArrowType::Utf8, false),
        Field::new("priority", ArrowType::Utf8, false),
        Field::new("due_date", ArrowType::Date32, true),
        Field::new("assignee_id", ArrowType::Utf8, true),
        Field::new("labels", ArrowType::Utf8, false),
        Field::new("position", ArrowType::Float64, false),
        Field::new("version", ArrowType::Int64, false),
        Field::new("created_at", ts(), false),
        Field::new("updated_at", ts(), false),
        Field::new("completed_at", ts(), true),
        Field::new("last_event_id", ArrowType::Utf8, false),
        Field::new("last_event_time", ts(), false),
    ]))
}

fn delta_columns() -> Vec<StructField> {
    let p =
        |n: &str, t: PrimitiveType, nullable| StructField::new(n, DataType::Primitive(t), nullable);
    use PrimitiveType::*;
    vec![
        p("task_id", String, false),
        p("project_id", String, false),
        p("title", String, false),
        p("description", String, true),
        p("status", String, false),
        p("priority", String, false),
        p("due_date", Date, true),
        p("assignee_id", String, true),
        p("labels", String, false),
        p("position", Double, false),
        p("version", Long, false),
        p("created_at", Timestamp, false),
        p("updated_at", Timestamp, false),
        p("completed_at", Timestamp, true),
        p("last_event_id", String, false),
        p("last_event_time", Timestamp, false),
    ]
}

pub async fn open_silver(lake: &str) -> anyhow::Result<DeltaTable> {
    crate::lake::open_or_create(lake, "silver/tasks", |c| {
        c.with_table_name("tasks")
            .with_comment("The current state of every task, from bronze/task_events")
            .with_columns(delta_columns())
    })
    .await
}

fn enum_str<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn batch(tasks: &Tasks) -> anyhow::Result<RecordBatch> {
    let rows: Vec<_> = tasks.tasks.values().collect();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let s = |f: &dyn Fn(&TaskSnapshot) -> String| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|(t, _, _)| f(t)),
        ))
    };
    let time = |v: Vec<Option<i64>>| -> ArrayRef {
        Arc::new(TimestampMicrosecondArray::from(v).with_timezone("UTC"))
    };
    let columns: Vec<ArrayRef> = vec![
        s(&|t| t.id.to_string()),
        s(&|t| t.project_id.to_string()),
        s(&|t| t.title.clone()),
        Arc::new(StringArray::from_iter(
            rows.iter().map(|(t, _, _)| t.description.clone()),
        )),
        s(&|t| enum_str(&t.status)),
        s(&|t| enum_str(&t.priority)),
        Arc::new(Date32Array::from_iter(rows.iter().map(|(t, _, _)| {
            t.due_date.map(|d| (d - epoch).num_days() as i32)
        }))),
        Arc::new(StringArray::from_iter(
            rows.iter()
                .map(|(t, _, _)| t.assignee_id.map(|a| a.to_string())),
        )),
        s(&|t| t.labels.join(",")),
        Arc::new(Float64Array::from_iter_values(
            rows.iter().map(|(t, _, _)| t.position),
        )),
        Arc::new(Int64Array::from_iter_values(
            rows.iter().map(|(t, _, _)| t.version),
        )),
        time(
            rows.iter()
                .map(|(t, _, _)| Some(t.created_at.timestamp_micros()))
                .collect(),
        ),
        time(
            rows.iter()
                .map(|(t, _, _)| Some(t.updated_at.timestamp_micros()))
                .collect(),
        ),
        time(
            rows.iter()
                .map(|(t, _, _)| t.completed_at.map(|c| c.timestamp_micros()))
                .collect(),
        ),
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|(_, id, _)| id.clone()),
        )),
        time(
            rows.iter()
                .map(|(_, _, at)| Some(at.timestamp_micros()))
                .collect(),
        ),
    ];
    Ok(RecordBatch::try_new(arrow_schema(), columns)?)
}

/// Replaces the table's content with `tasks` in one commit.
pub async fn overwrite(table: &mut DeltaTable, tasks: &Tasks) -> anyhow::Result<()> {
    let batches = if tasks.tasks.is_empty() {
        Vec::new()
    } else {
        vec![batch(tasks)?]
    };
    lake::commit(table, &batches, lake::Mode::Overwrite, Default::default()).await
}

/// The task ids, statuses and versions in the table (for tests and checks).
pub async fn read(table: &DeltaTable) -> anyhow::Result<BTreeMap<String, (String, i64)>> {
    let mut out = BTreeMap::new();
    for b in read_columns(table, &["task_id", "status", "version"]).await? {
        let id = b
            .column(0)
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("task_id");
        let status = b
            .column(1)
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("status");
        let version = b
            .column(2)
            .as_any()
            .downcast_ref::<Int64Array>()
            .expect("version");
        for i in 0..b.num_rows() {
            out.insert(
                id.value(i).to_string(),
                (status.value(i).to_string(), version.value(i)),
            );
        }
    }
    Ok(out)
}

/// Rebuilds the state from the bronze table's events, in Kafka order per partition, in the same
/// pass collecting every event id the table holds (the consumer's duplicate filter).
pub async fn rebuild(bronze: &DeltaTable) -> anyhow::Result<(Tasks, HashSet<String>)> {
    let mut rows: Vec<(i32, i64, String)> = Vec::new();
    let mut ids = HashSet::new();
    let columns = ["event_id", "kafka_partition", "kafka_offset", "event"];
    for b in read_columns(bronze, &columns).await? {
        let col = |i: usize| b.column(i).as_any();
        let id = col(0).downcast_ref::<StringArray>().expect("event_id");
        let p = col(1).downcast_ref::<Int32Array>().expect("partition");
        let o = col(2).downcast_ref::<Int64Array>().expect("offset");
        let e = col(3).downcast_ref::<StringArray>().expect("event");
        for i in 0..b.num_rows() {
            ids.insert(id.value(i).to_string());
            if !e.is_null(i) {
                rows.push((p.value(i), o.value(i), e.value(i).to_string()));
            }
        }
    }
    rows.sort_by_key(|(p, o, _)| (*p, *o));
    let mut tasks = Tasks::default();
    for (_, _, json) in rows {
        let event: Event = serde_json::from_str(&json)?;
        tasks.apply(&event);
    }
    Ok((tasks, ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(version: i64, status: events::TaskStatus) -> Event {
        let now = Utc::now();
        let task = TaskSnapshot {
            id: uuid::Uuid::from_u128(1),
            project_id: uuid::Uuid::from_u128(2),
            title: "t".into(),
            description: None,
            status,
            priority: events::Priority::Low,
            due_date: None,
            assignee_id: None,
            labels: vec![],
            position: 1.0,
            version,
            created_at: now,
            updated_at: now,
            completed_at: None,
        };
        Event::new(
            format!("e{version}"),
            "/test",
            now,
            EventData::TaskUpdated {
                task,
                changed: vec![],
            },
        )
    }

    #[tokio::test]
    async fn overwrite_replaces_the_content_and_older_versions_lose() {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().to_str().unwrap();
        let mut table = open_silver(lake).await.unwrap();
        let mut tasks = Tasks::default();
        tasks.apply(&event(2, events::TaskStatus::InProgress));
        tasks.apply(&event(1, events::TaskStatus::Todo));
        overwrite(&mut table, &tasks).await.unwrap();
        let read_back = read(&open_silver(lake).await.unwrap()).await.unwrap();
        assert_eq!(
            read_back.values().collect::<Vec<_>>(),
            vec![&("in_progress".to_string(), 2)]
        );
        tasks.apply(&event(3, events::TaskStatus::Done));
        overwrite(&mut table, &tasks).await.unwrap();
        let read_back = read(&open_silver(lake).await.unwrap()).await.unwrap();
        assert_eq!(
            read_back.values().collect::<Vec<_>>(),
            vec![&("done".to_string(), 3)]
        );
    }
}
