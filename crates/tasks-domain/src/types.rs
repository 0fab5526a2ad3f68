//! Domain values that are valid by construction ("parse, don't validate"), and the inputs of
//! the write operations with their field-level validation.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use events::{Priority, Role, TaskStatus};

/// One field-level problem: the JSON pointer of the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Collects field errors so a request reports all of them at once.
#[derive(Debug, Default)]
pub struct Checks(pub Vec<FieldError>);

impl Checks {
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) -> String {
        let v = value.trim().to_string();
        let n = v.chars().count();
        if n < min {
            self.fail(
                field,
                if min == 1 {
                    "must not be empty".into()
                } else {
                    format!("must be at least {min} characters")
                },
            );
        } else if n > max {
            self.fail(field, format!("must be at most {max} characters"));
        }
        if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            self.fail(field, "must not contain control characters");
        }
        v
    }

    pub fn finish<T>(self, value: T) -> Result<T, crate::DomainError> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(crate::DomainError::Invalid(self.0))
        }
    }
}

/// A syntactically valid, lower-cased e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(checks: &mut Checks, field: &str, raw: &str) -> Email {
        let v = raw.trim().to_lowercase();
        let valid = v.len() <= 254
            && v.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !v.contains(char::is_whitespace)
                    && v.matches('@').count() == 1
            });
        if !valid {
            checks.fail(field, "must be an e-mail address");
        }
        Email(v)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a new password's length (NIST 800-63B: length over composition rules).
pub fn check_password(checks: &mut Checks, field: &str, raw: &str) {
    let n = raw.chars().count();
    if n < 10 {
        checks.fail(field, "must be at least 10 characters");
    } else if n > 128 {
        checks.fail(field, "must be at most 128 characters");
    }
}

pub const MAX_LABELS: usize = 20;

fn check_labels(checks: &mut Checks, labels: &[String]) -> Vec<String> {
    if labels.len() > MAX_LABELS {
        checks.fail("/labels", format!("at most {MAX_LABELS} labels"));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, l) in labels.iter().enumerate() {
        let v = checks.text(&format!("/labels/{i}"), l, 1, 50);
        if v.contains('"') || v.contains('\\') {
            checks.fail(
                &format!("/labels/{i}"),
                "must not contain quotes or backslashes",
            );
        }
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

fn check_position(checks: &mut Checks, p: f64) {
    if !p.is_finite() || p.abs() > 1e15 {
        checks.fail("/position", "must be a finite number within ±1e15");
    }
}

/// Input of `create_task`, as the API receives it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewTask {
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*\\S[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$"
        )
    )]
    pub title: String,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 10000,
            pattern = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$"
        )
    )]
    pub description: Option<String>,
    #[serde(default)]
    pub status: Option<TaskStatus>,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
    #[serde(default)]
    pub assignee_id: Option<Uuid>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub labels: Vec<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = -1e15, maximum = 1e15))]
    pub position: Option<f64>,
}

/// A validated [`NewTask`].
#[derive(Debug, Clone)]
pub struct ValidNewTask {
    pub title: String,
    pub description: Option<String>,
    pub status: TaskStatus,
    pub priority: Priority,
    pub due_date: Option<NaiveDate>,
    pub assignee_id: Option<Uuid>,
    pub labels: Vec<String>,
    pub position: Option<f64>,
}

impl NewTask {
    pub fn validate(self) -> Result<ValidNewTask, crate::DomainError> {
        let mut c = Checks::default();
        let title = c.text("/title", &self.title, 1, 200);
        let description = self
            .description
            .as_deref()
            .map(|d| c.text("/description", d, 0, 10_000))
            .filter(|d| !d.is_empty());
        let labels = check_labels(&mut c, &self.labels);
        if let Some(p) = self.position {
            check_position(&mut c, p);
        }
        check_date(&mut c, self.due_date);
        c.finish(ValidNewTask {
            title,
            description,
            status: self.status.unwrap_or(TaskStatus::Todo),
            priority: self.priority.unwrap_or(Priority::Medium),
            due_date: self.due_date,
            assignee_id: self.assignee_id,
            labels,
            position: self.position,
        })
    }
}

fn check_date(c: &mut Checks, d: Option<NaiveDate>) {
    if let Some(d) = d {
        let year = chrono::Datelike::year(&d);
        if !(1970..=9999).contains(&year) {
            c.fail("/due_date", "must be between 1970 and 9999");
        }
    }
}

/// A partial update: absent fields stay; `null` clears optional ones.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskPatch {
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*\\S[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$"
        )
    )]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 10000,
            pattern = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$"
        )
    )]
    pub description: Option<Option<String>>,
    #[serde(default)]
    pub status: Option<TaskStatus>,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default, deserialize_with = "double_option")]
    pub due_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "double_option")]
    pub assignee_id: Option<Option<Uuid>>,
    #[serde(default)]
    pub labels: Option<Vec<String>>,
    #[serde(default)]
    pub position: Option<f64>,
}

impl TaskPatch {
    pub fn validate(mut self) -> Result<TaskPatch, crate::DomainError> {
        let mut c = Checks::default();
        if let Some(t) = &self.title {
            self.title = Some(c.text("/title", t, 1, 200));
        }
        if let Some(Some(d)) = &self.description {
            let d = c.text("/description", d, 0, 10_000);
            self.description = Some((!d.is_empty()).then_some(d));
        }
        if let Some(l) = &self.labels {
            self.labels = Some(check_labels(&mut c, l));
        }
        if let Some(p) = self.position {
            check_position(&mut c, p);
        }
        if let Some(d) = self.due_date {
            check_date(&mut c, d);
        }
        let empty = self.title.is_none()
            && self.description.is_none()
            && self.status.is_none()
            && self.priority.is_none()
            && self.due_date.is_none()
            && self.assignee_id.is_none()
            && self.labels.is_none()
            && self.position.is_none();
        if empty {
            c.fail("/", "must change at least one field");
        }
        c.finish(self)
    }
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
fn double_option<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewProject {
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 120,
            pattern = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*\\S[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$"
        )
    )]
    pub name: String,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 2000,
            pattern = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$"
        )
    )]
    pub description: Option<String>,
}

impl NewProject {
    pub fn validate(self) -> Result<NewProject, crate::DomainError> {
        let mut c = Checks::default();
        let name = c.text("/name", &self.name, 1, 120);
        let description = self
            .description
            .as_deref()
            .map(|d| c.text("/description", d, 0, 2000))
            .filter(|d| !d.is_empty());
        c.finish(NewProject { name, description })
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectPatch {
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 120,
            pattern = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*\\S[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$"
        )
    )]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 2000,
            pattern = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$"
        )
    )]
    pub description: Option<Option<String>>,
}

impl ProjectPatch {
    pub fn validate(mut self) -> Result<ProjectPatch, crate::DomainError> {
        let mut c = Checks::default();
        if let Some(n) = &self.name {
            self.name = Some(c.text("/name", n, 1, 120));
        }
        if let Some(Some(d)) = &self.description {
            let d = c.text("/description", d, 0, 2000);
            self.description = Some((!d.is_empty()).then_some(d));
        }
        if self.name.is_none() && self.description.is_none() {
            c.fail("/", "must change at least one field");
        }
        c.finish(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_task_reports_every_bad_field() {
        let t = NewTask {
            title: "   ".into(),
            description: Some("ok".into()),
            status: None,
            priority: None,
            due_date: NaiveDate::from_ymd_opt(1900, 1, 1),
            assignee_id: None,
            labels: vec!["a".into(), "x".repeat(51)],
            position: Some(f64::NAN),
        };
        let crate::DomainError::Invalid(errs) = t.validate().unwrap_err() else {
            panic!()
        };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["/title", "/labels/1", "/position", "/due_date"]);
    }

    #[test]
    fn new_task_defaults_and_trims() {
        let t: NewTask =
            serde_json::from_str(r#"{"title":"  Ship it ","labels":["a","a","b"]}"#).unwrap();
        let v = t.validate().unwrap();
        assert_eq!(
            (v.title.as_str(), v.status, v.priority),
            ("Ship it", TaskStatus::Todo, Priority::Medium)
        );
        assert_eq!(v.labels, ["a", "b"]);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = serde_json::from_str::<NewTask>(r#"{"title":"x","colour":"red"}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `colour`"), "{err}");
    }

    #[test]
    fn patch_tells_absent_from_null() {
        let p: TaskPatch = serde_json::from_str(r#"{"due_date":null}"#).unwrap();
        assert_eq!(p.due_date, Some(None));
        let p: TaskPatch = serde_json::from_str(r#"{"title":"x"}"#).unwrap();
        assert_eq!(p.due_date, None);
        assert!(
            TaskPatch::default().validate().is_err(),
            "empty patch refused"
        );
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        let mut c = Checks::default();
        assert_eq!(
            Email::parse(&mut c, "/email", " Ada@Example.ORG ").as_str(),
            "ada@example.org"
        );
        assert!(c.0.is_empty());
        for bad in ["ada", "ada@", "@x.org", "a b@x.org", "a@@x.org", "a@x"] {
            let mut c = Checks::default();
            Email::parse(&mut c, "/email", bad);
            assert_eq!(c.0.len(), 1, "{bad}");
        }
    }
}
