//! The staging table `etl/stg_task_events`: bronze's task events with the fields the models
//! need pulled out of the CloudEvents JSON into typed columns. It is the engine adapter of
//! the DataFusion path (the Spark runner builds the same view with `from_json`); the models'
//! SQL reads only this table, never the JSON.
//!
//! Columns (the contract the SQL models and the Spark runner share):
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `event_id` | string | the CloudEvents id |
//! | `type` | string | `task.created`, `task.updated`, `task.completed` or `task.deleted` |
//! | `time_us` | bigint | bronze's `time`, microseconds since the epoch (UTC) |
//! | `event_date` | date | the UTC date of `time` |
//! | `project_id` | string | |
//! | `kafka_partition`, `kafka_offset` | int, bigint | where the event was read |
//! | `task_id` | string | the task's id (the snapshot's, or `task_id` of a deletion) |
//! | `created_at_us`, `completed_at_us` | bigint | the snapshot's timestamps, µs (null for deletions; `completed_at_us` null while open) |
//! | `completed_date` | date | the UTC date of `completed_at` |
//! | `due_date` | date | |
//! | `priority`, `status` | string | |
//! | `label_count`, `description_length` | int | labels, characters of the description (0 when none) |
//! | `has_assignee` | boolean | |

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanBuilder, Date32Builder, Int32Array, Int32Builder, Int64Array,
    Int64Builder, RecordBatch, StringBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Field, Schema, SchemaRef, TimeUnit, TimestampMicrosecondType,
};
use serde::Deserialize;

/// The staging table's name under the lake root.
pub const TABLE: &str = "etl/stg_task_events";

/// The bronze table the staging step reads.
pub const BRONZE: &str = "bronze/task_events";

/// The task event types the models read; other events (projects, members) are not staged.
pub const TASK_TYPES: [&str; 4] = [
    "task.created",
    "task.updated",
    "task.completed",
    "task.deleted",
];

/// The staging table's Arrow schema.
pub fn schema() -> SchemaRef {
    let s = |n: &str, nullable| Field::new(n, DataType::Utf8, nullable);
    Arc::new(Schema::new(vec![
        s("event_id", false),
        s("type", false),
        Field::new("time_us", DataType::Int64, false),
        Field::new("event_date", DataType::Date32, false),
        s("project_id", false),
        Field::new("kafka_partition", DataType::Int32, false),
        Field::new("kafka_offset", DataType::Int64, false),
        s("task_id", false),
        Field::new("created_at_us", DataType::Int64, true),
        Field::new("completed_at_us", DataType::Int64, true),
        Field::new("completed_date", DataType::Date32, true),
        Field::new("due_date", DataType::Date32, true),
        s("priority", true),
        s("status", true),
        Field::new("label_count", DataType::Int32, true),
        Field::new("description_length", DataType::Int32, true),
        Field::new("has_assignee", DataType::Boolean, true),
    ]))
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    data: Data<'a>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow)]
    task: Option<Task<'a>>,
    #[serde(borrow)]
    task_id: Option<Cow<'a, str>>,
}

/// The fields of the contract's `TaskSnapshot` that the models read.
#[derive(Deserialize)]
struct Task<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    status: Cow<'a, str>,
    #[serde(borrow)]
    priority: Cow<'a, str>,
    #[serde(default)]
    due_date: Option<NaiveDate>,
    #[serde(default, borrow)]
    description: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    assignee_id: Option<Cow<'a, str>>,
    labels: Vec<serde::de::IgnoredAny>,
    created_at: DateTime<Utc>,
    #[serde(default)]
    completed_at: Option<DateTime<Utc>>,
}

const EPOCH_DAYS_CE: i32 = 719_163;

fn days(d: NaiveDate) -> i32 {
    use chrono::Datelike;
    d.num_days_from_ce() - EPOCH_DAYS_CE
}

fn utc_date_days(us: i64) -> i32 {
    us.div_euclid(86_400_000_000) as i32
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> anyhow::Result<&'a ArrayRef> {
    batch
        .column_by_name(name)
        .ok_or_else(|| anyhow::anyhow!("bronze has no column `{name}`"))
}

/// Stages one bronze batch: task events only, JSON parsed into typed columns. An event whose
/// JSON does not carry what its type promises is an error naming it (bronze holds validated
/// events only, so that is a contract break worth stopping for).
pub fn stage(batch: RecordBatch) -> anyhow::Result<RecordBatch> {
    let ids = column(&batch, "event_id")?.as_string::<i32>();
    let types = column(&batch, "type")?.as_string::<i32>();
    let projects = column(&batch, "project_id")?.as_string::<i32>();
    let json = column(&batch, "event")?.as_string::<i32>();
    let time = cast(
        column(&batch, "time")?,
        &DataType::Timestamp(TimeUnit::Microsecond, None),
    )?;
    let time = time.as_primitive::<TimestampMicrosecondType>();
    let partitions = cast(column(&batch, "kafka_partition")?, &DataType::Int32)?;
    let partitions = partitions
        .as_any()
        .downcast_ref::<Int32Array>()
        .expect("cast to Int32");
    let offsets = cast(column(&batch, "kafka_offset")?, &DataType::Int64)?;
    let offsets = offsets
        .as_any()
        .downcast_ref::<Int64Array>()
        .expect("cast to Int64");

    let n = batch.num_rows();
    let mut event_id = StringBuilder::with_capacity(n, n * 36);
    let mut kind = StringBuilder::with_capacity(n, n * 14);
    let mut time_us = Int64Builder::with_capacity(n);
    let mut event_date = Date32Builder::with_capacity(n);
    let mut project_id = StringBuilder::with_capacity(n, n * 36);
    let mut partition = Int32Builder::with_capacity(n);
    let mut offset = Int64Builder::with_capacity(n);
    let mut task_id = StringBuilder::with_capacity(n, n * 36);
    let mut created_at = Int64Builder::with_capacity(n);
    let mut completed_at = Int64Builder::with_capacity(n);
    let mut completed_date = Date32Builder::with_capacity(n);
    let mut due_date = Date32Builder::with_capacity(n);
    let mut priority = StringBuilder::with_capacity(n, n * 6);
    let mut status = StringBuilder::with_capacity(n, n * 6);
    let mut label_count = Int32Builder::with_capacity(n);
    let mut description_length = Int32Builder::with_capacity(n);
    let mut has_assignee = BooleanBuilder::with_capacity(n);

    for i in 0..n {
        let t = types.value(i);
        if !TASK_TYPES.contains(&t) {
            continue;
        }
        let id = ids.value(i);
        let env: Envelope = serde_json::from_str(json.value(i))
            .map_err(|e| anyhow::anyhow!("event {id} ({t}): {e}"))?;
        let tid = match (&env.data.task, &env.data.task_id) {
            (Some(task), _) => task.id.as_ref(),
            (None, Some(tid)) => tid.as_ref(),
            (None, None) => anyhow::bail!("event {id} ({t}) carries neither a task nor a task_id"),
        };
        if time.is_null(i) {
            anyhow::bail!("event {id} ({t}) has no time");
        }
        let us = time.value(i);
        event_id.append_value(id);
        kind.append_value(t);
        time_us.append_value(us);
        event_date.append_value(utc_date_days(us));
        project_id.append_value(projects.value(i));
        partition.append_value(partitions.value(i));
        offset.append_value(offsets.value(i));
        task_id.append_value(tid);
        match &env.data.task {
            Some(task) => {
                created_at.append_value(task.created_at.timestamp_micros());
                let done = task.completed_at.map(|c| c.timestamp_micros());
                completed_at.append_option(done);
                completed_date.append_option(done.map(utc_date_days));
                due_date.append_option(task.due_date.map(days));
                priority.append_value(&task.priority);
                status.append_value(&task.status);
                label_count.append_value(task.labels.len() as i32);
                description_length.append_value(
                    task.description
                        .as_deref()
                        .map_or(0, |d| d.chars().count() as i32),
                );
                has_assignee.append_value(task.assignee_id.is_some());
            }
            None => {
                created_at.append_null();
                completed_at.append_null();
                completed_date.append_null();
                due_date.append_null();
                priority.append_null();
                status.append_null();
                label_count.append_null();
                description_length.append_null();
                has_assignee.append_null();
            }
        }
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(event_id.finish()),
        Arc::new(kind.finish()),
        Arc::new(time_us.finish()),
        Arc::new(event_date.finish()),
        Arc::new(project_id.finish()),
        Arc::new(partition.finish()),
        Arc::new(offset.finish()),
        Arc::new(task_id.finish()),
        Arc::new(created_at.finish()),
        Arc::new(completed_at.finish()),
        Arc::new(completed_date.finish()),
        Arc::new(due_date.finish()),
        Arc::new(priority.finish()),
        Arc::new(status.finish()),
        Arc::new(label_count.finish()),
        Arc::new(description_length.finish()),
        Arc::new(has_assignee.finish()),
    ];
    Ok(RecordBatch::try_new(schema(), columns)?)
}

/// Reads staging batches back in the staging schema (Parquet keeps the types, but a file
/// read back may carry field metadata or nullability of its own).
pub fn conform(batch: RecordBatch) -> anyhow::Result<RecordBatch> {
    let schema = schema();
    let columns = schema
        .fields()
        .iter()
        .map(|f| {
            let c = column(&batch, f.name())?;
            Ok(if c.data_type() == f.data_type() {
                c.clone()
            } else {
                cast(c, f.data_type())?
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(schema, columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_days_since_the_epoch() {
        assert_eq!(days(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap()), 1);
        assert_eq!(utc_date_days(86_400_000_000 - 1), 0);
        assert_eq!(utc_date_days(-1), -1);
    }
}
