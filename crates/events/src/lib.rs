//! The `events.tasks` contract: CloudEvents 1.0 in structured JSON mode, validated against
//! one JSON Schema (`schema/events.tasks.v1.json`) that every producer and consumer uses.
//!
//! - [`Event`] is the typed envelope; [`EventData`] the payload per `type`.
//! - [`Contract::decode`] parses bytes, validates them against the schema and returns the typed
//!   event, or a [`DecodeError`] that says what was wrong and where — the reason a consumer
//!   writes into a [`DeadLetter`] on [`DLQ_TOPIC`].
//! - [`Event::to_json`] serialises; producers validate with [`Contract::validate`] in tests.
//!
//! Versioning: `dataschema` is `urn:portfolio:schema:events.tasks:<N>`. A new version may only
//! add optional fields, so every earlier event still validates; `tests/golden/` keeps events
//! of each version and the tests check them against the current schema.
//!
//! Invariant: this crate does no I/O; it knows nothing of Kafka or databases.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The topic every change of the task domain is published to.
pub const TOPIC: &str = "events.tasks";
/// Poison messages, wrapped in a [`DeadLetter`].
pub const DLQ_TOPIC: &str = "events.tasks.dlq";
/// Validated, masked events forwarded by the stream consumer.
pub const ENRICHED_TOPIC: &str = "events.tasks.enriched";
/// The current schema version and its `dataschema` URI.
pub const SCHEMA_VERSION: u32 = 1;
pub const DATASCHEMA: &str = "urn:portfolio:schema:events.tasks:1";
/// The schema text, as committed.
pub const SCHEMA_JSON: &str = include_str!("../schema/events.tasks.v1.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TaskStatus {
    Todo,
    InProgress,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Priority {
    Low,
    Medium,
    High,
    Urgent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    Owner,
    Contributor,
    Viewer,
}

/// A task as it stands after the change (the wire form; the API's domain type converts to it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskSnapshot {
    pub id: Uuid,
    pub project_id: Uuid,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    pub status: TaskStatus,
    pub priority: Priority,
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
    #[serde(default)]
    pub assignee_id: Option<Uuid>,
    pub labels: Vec<String>,
    pub position: f64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectSnapshot {
    pub id: Uuid,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub owner_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A membership; `email` and `display_name` are PII that downstream consumers mask.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Membership {
    pub project_id: Uuid,
    pub user_id: Uuid,
    pub email: String,
    #[serde(default)]
    pub display_name: Option<String>,
    pub role: Role,
}

/// The payload, keyed by the CloudEvents `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum EventData {
    #[serde(rename = "task.created")]
    TaskCreated { task: TaskSnapshot },
    #[serde(rename = "task.updated")]
    TaskUpdated {
        task: TaskSnapshot,
        changed: Vec<String>,
    },
    #[serde(rename = "task.completed")]
    TaskCompleted { task: TaskSnapshot },
    #[serde(rename = "task.deleted")]
    TaskDeleted { task_id: Uuid, project_id: Uuid },
    #[serde(rename = "project.created")]
    ProjectCreated { project: ProjectSnapshot },
    #[serde(rename = "project.updated")]
    ProjectUpdated { project: ProjectSnapshot },
    #[serde(rename = "project.deleted")]
    ProjectDeleted { project_id: Uuid },
    #[serde(rename = "member.added")]
    MemberAdded(Membership),
    #[serde(rename = "member.role_changed")]
    MemberRoleChanged(Membership),
    #[serde(rename = "member.removed")]
    MemberRemoved { project_id: Uuid, user_id: Uuid },
}

impl EventData {
    /// The CloudEvents `type`, e.g. `task.created`.
    pub fn event_type(&self) -> &'static str {
        match self {
            EventData::TaskCreated { .. } => "task.created",
            EventData::TaskUpdated { .. } => "task.updated",
            EventData::TaskCompleted { .. } => "task.completed",
            EventData::TaskDeleted { .. } => "task.deleted",
            EventData::ProjectCreated { .. } => "project.created",
            EventData::ProjectUpdated { .. } => "project.updated",
            EventData::ProjectDeleted { .. } => "project.deleted",
            EventData::MemberAdded(_) => "member.added",
            EventData::MemberRoleChanged(_) => "member.role_changed",
            EventData::MemberRemoved { .. } => "member.removed",
        }
    }

    /// The project the change belongs to: the partition key, so one project's events stay in order.
    pub fn project_id(&self) -> Uuid {
        match self {
            EventData::TaskCreated { task }
            | EventData::TaskUpdated { task, .. }
            | EventData::TaskCompleted { task } => task.project_id,
            EventData::TaskDeleted { project_id, .. }
            | EventData::ProjectDeleted { project_id }
            | EventData::MemberRemoved { project_id, .. } => *project_id,
            EventData::ProjectCreated { project } | EventData::ProjectUpdated { project } => {
                project.id
            }
            EventData::MemberAdded(m) | EventData::MemberRoleChanged(m) => m.project_id,
        }
    }

    /// The entity the event is about (CloudEvents `subject`).
    pub fn subject(&self) -> String {
        match self {
            EventData::TaskCreated { task }
            | EventData::TaskUpdated { task, .. }
            | EventData::TaskCompleted { task } => {
                format!("tasks/{}", task.id)
            }
            EventData::TaskDeleted { task_id, .. } => format!("tasks/{task_id}"),
            EventData::ProjectCreated { project } | EventData::ProjectUpdated { project } => {
                format!("projects/{}", project.id)
            }
            EventData::ProjectDeleted { project_id } => format!("projects/{project_id}"),
            EventData::MemberAdded(m) | EventData::MemberRoleChanged(m) => {
                format!("projects/{}/members/{}", m.project_id, m.user_id)
            }
            EventData::MemberRemoved {
                project_id,
                user_id,
            } => format!("projects/{project_id}/members/{user_id}"),
        }
    }
}

/// A CloudEvents 1.0 envelope around [`EventData`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub specversion: String,
    /// Stable per change: a retried publish carries the same id, so consumers deduplicate by it.
    pub id: String,
    /// Producer, e.g. `/task-api`.
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub time: DateTime<Utc>,
    pub datacontenttype: String,
    pub dataschema: String,
    #[serde(flatten)]
    pub data: EventData,
}

impl Event {
    /// A new event of the current schema version with the given stable id.
    pub fn new(
        id: impl Into<String>,
        source: impl Into<String>,
        time: DateTime<Utc>,
        data: EventData,
    ) -> Event {
        Event {
            specversion: "1.0".into(),
            id: id.into(),
            source: source.into(),
            subject: Some(data.subject()),
            time,
            datacontenttype: "application/json".into(),
            dataschema: DATASCHEMA.into(),
            data,
        }
    }

    pub fn event_type(&self) -> &'static str {
        self.data.event_type()
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("events serialise")
    }
}

/// Why bytes are not a valid event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("malformed JSON at line {line} column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    /// Each entry is `<json pointer>: <what is wrong>`.
    #[error("schema violation: {}", .0.join("; "))]
    Schema(Vec<String>),
    #[error("event is larger than {limit} bytes ({size})")]
    TooLarge { size: usize, limit: usize },
}

impl DecodeError {
    /// A short machine-readable class for metrics and dead letters.
    pub fn kind(&self) -> &'static str {
        match self {
            DecodeError::Json { .. } => "malformed_json",
            DecodeError::Schema(_) => "schema_violation",
            DecodeError::TooLarge { .. } => "too_large",
        }
    }
}

/// The compiled schema. Build once ([`Contract::new`]) and share; validation is thread-safe.
pub struct Contract {
    validator: jsonschema::Validator,
    max_size: usize,
}

impl Contract {
    /// The largest event accepted by default (1 MiB, Kafka's default message size).
    pub const DEFAULT_MAX_SIZE: usize = 1024 * 1024;

    pub fn new() -> Contract {
        let schema: serde_json::Value =
            serde_json::from_str(SCHEMA_JSON).expect("committed schema is JSON");
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("committed schema compiles");
        Contract {
            validator,
            max_size: Self::DEFAULT_MAX_SIZE,
        }
    }

    /// Validates a parsed JSON value; on failure lists every violation with its location.
    pub fn validate(&self, value: &serde_json::Value) -> Result<(), DecodeError> {
        let errors: Vec<String> = self
            .validator
            .iter_errors(value)
            .map(|e| {
                let at = e.instance_path().to_string();
                format!("{}: {}", if at.is_empty() { "/" } else { &at }, e)
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::Schema(errors))
        }
    }

    /// Parses, validates and types an event.
    pub fn decode(&self, bytes: &[u8]) -> Result<Event, DecodeError> {
        if bytes.len() > self.max_size {
            return Err(DecodeError::TooLarge {
                size: bytes.len(),
                limit: self.max_size,
            });
        }
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| DecodeError::Json {
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })?;
        self.validate(&value)?;
        // The schema is stricter than the types, so a valid value always converts.
        serde_json::from_value(value).map_err(|e| DecodeError::Schema(vec![format!("/: {e}")]))
    }
}

impl Default for Contract {
    fn default() -> Self {
        Contract::new()
    }
}

/// What a consumer publishes to [`DLQ_TOPIC`] for a message it cannot process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// [`DecodeError::kind`] or another short class.
    pub kind: String,
    pub reason: String,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    #[serde(default)]
    pub key: Option<String>,
    /// The original bytes as text (lossy UTF-8), truncated to 64 KiB.
    pub payload: String,
    pub failed_at: DateTime<Utc>,
}

impl DeadLetter {
    pub const MAX_PAYLOAD: usize = 64 * 1024;

    pub fn new(
        error: &DecodeError,
        topic: &str,
        partition: i32,
        offset: i64,
        key: Option<&[u8]>,
        payload: &[u8],
    ) -> DeadLetter {
        DeadLetter::with_reason(
            error.kind(),
            &error.to_string(),
            topic,
            partition,
            offset,
            key,
            payload,
        )
    }

    /// A dead letter for any other reason (a sink that would not take the message, say).
    pub fn with_reason(
        kind: &str,
        reason: &str,
        topic: &str,
        partition: i32,
        offset: i64,
        key: Option<&[u8]>,
        payload: &[u8],
    ) -> DeadLetter {
        let cut = &payload[..payload.len().min(Self::MAX_PAYLOAD)];
        DeadLetter {
            kind: kind.into(),
            reason: reason.into(),
            topic: topic.into(),
            partition,
            offset,
            key: key.map(|k| String::from_utf8_lossy(k).into_owned()),
            payload: String::from_utf8_lossy(cut).into_owned(),
            failed_at: Utc::now(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task() -> TaskSnapshot {
        let t = DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        TaskSnapshot {
            id: Uuid::parse_str("0195f1a0-0000-7000-8000-000000000001").unwrap(),
            project_id: Uuid::parse_str("0195f1a0-0000-7000-8000-0000000000aa").unwrap(),
            title: "Write the runbook".into(),
            description: None,
            status: TaskStatus::Todo,
            priority: Priority::High,
            due_date: NaiveDate::from_ymd_opt(2026, 12, 1),
            assignee_id: None,
            labels: vec!["ops".into()],
            position: 1024.0,
            version: 1,
            created_at: t,
            updated_at: t,
            completed_at: None,
        }
    }

    fn event(data: EventData) -> Event {
        Event::new("evt-1", "/task-api", Utc::now(), data)
    }

    #[test]
    fn every_event_type_round_trips_and_validates() {
        let c = Contract::new();
        let t = task();
        let m = Membership {
            project_id: t.project_id,
            user_id: t.id,
            email: "ada@example.org".into(),
            display_name: Some("Ada".into()),
            role: Role::Viewer,
        };
        let p = ProjectSnapshot {
            id: t.project_id,
            name: "Launch".into(),
            description: None,
            owner_id: t.id,
            created_at: t.created_at,
            updated_at: t.updated_at,
        };
        let all = [
            EventData::TaskCreated { task: t.clone() },
            EventData::TaskUpdated {
                task: t.clone(),
                changed: vec!["title".into()],
            },
            EventData::TaskCompleted { task: t.clone() },
            EventData::TaskDeleted {
                task_id: t.id,
                project_id: t.project_id,
            },
            EventData::ProjectCreated { project: p.clone() },
            EventData::ProjectUpdated { project: p },
            EventData::ProjectDeleted {
                project_id: t.project_id,
            },
            EventData::MemberAdded(m.clone()),
            EventData::MemberRoleChanged(m),
            EventData::MemberRemoved {
                project_id: t.project_id,
                user_id: t.id,
            },
        ];
        for data in all {
            let e = event(data);
            let bytes = e.to_json();
            let back = c
                .decode(&bytes)
                .unwrap_or_else(|err| panic!("{}: {err}", e.event_type()));
            assert_eq!(back, e);
            assert_eq!(back.data.project_id(), task().project_id);
        }
    }

    #[test]
    fn the_envelope_is_cloudevents_structured_json() {
        let v: serde_json::Value =
            serde_json::from_slice(&event(EventData::TaskCreated { task: task() }).to_json())
                .unwrap();
        assert_eq!(v["specversion"], "1.0");
        assert_eq!(v["type"], "task.created");
        assert_eq!(v["datacontenttype"], "application/json");
        assert_eq!(v["dataschema"], DATASCHEMA);
        assert_eq!(v["subject"], format!("tasks/{}", task().id));
        assert_eq!(v["data"]["task"]["status"], "todo");
    }

    #[test]
    fn schema_violations_name_their_location() {
        let c = Contract::new();
        let mut v: serde_json::Value =
            serde_json::from_slice(&event(EventData::TaskCreated { task: task() }).to_json())
                .unwrap();
        v["data"]["task"]["status"] = "finished".into();
        v["data"]["task"]["extra"] = 1.into();
        let err = c.validate(&v).unwrap_err();
        let DecodeError::Schema(list) = &err else {
            panic!("{err}")
        };
        assert!(
            list.iter().any(|e| e.starts_with("/data/task/status:")),
            "{list:?}"
        );
        assert!(
            list.iter()
                .any(|e| e.starts_with("/data/task:") && e.contains("extra")),
            "{list:?}"
        );
        assert_eq!(err.kind(), "schema_violation");
    }

    #[test]
    fn unknown_types_malformed_json_and_oversized_events_are_refused() {
        let c = Contract::new();
        let mut v: serde_json::Value = serde_json::from_slice(
            &event(EventData::TaskDeleted {
                task_id: task().id,
                project_id: task().project_id,
            })
            .to_json(),
        )
        .unwrap();
        v["type"] = "task.exploded".into();
        assert_eq!(c.validate(&v).unwrap_err().kind(), "schema_violation");
        let err = c.decode(b"{\"specversion\": ").unwrap_err();
        assert!(matches!(err, DecodeError::Json { line: 1, .. }), "{err}");
        let big = vec![b' '; Contract::DEFAULT_MAX_SIZE + 1];
        assert_eq!(c.decode(&big).unwrap_err().kind(), "too_large");
    }

    #[test]
    fn dead_letters_keep_the_reason_and_a_bounded_payload() {
        let err = DecodeError::Schema(vec!["/type: bad".into()]);
        let payload = vec![b'x'; DeadLetter::MAX_PAYLOAD + 10];
        let d = DeadLetter::new(&err, TOPIC, 2, 41, Some(b"k"), &payload);
        assert_eq!(
            (d.kind.as_str(), d.partition, d.offset, d.key.as_deref()),
            ("schema_violation", 2, 41, Some("k"))
        );
        assert_eq!(d.payload.len(), DeadLetter::MAX_PAYLOAD);
        assert!(d.reason.contains("/type: bad"));
    }
}
