//! The repository: SQLite (default) or PostgreSQL through sqlx's `Any` driver, with one set
//! of portable migrations (`migrations/`).
//!
//! SQLite allows one writer at a time, so writes go through a one-connection pool while reads
//! use several; on PostgreSQL both are the same pool. Queries use `$n` placeholders, which both
//! drivers understand.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use events::{Event, EventData, Membership, ProjectSnapshot, TaskSnapshot};
use serde::Serialize;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use uuid::Uuid;

use crate::cache::ReadCache;
use crate::types::{Email, NewProject, ProjectPatch, Role, TaskPatch, TaskStatus, ValidNewTask};
use crate::{DomainError, Result};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Producer name in every event's `source`.
pub const EVENT_SOURCE: &str = "/task-api";

pub type Task = TaskSnapshot;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub display_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Project {
    #[serde(flatten)]
    pub project: ProjectSnapshot,
    /// The acting user's role in it.
    pub role: Role,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: Option<String>,
    pub role: Role,
}

/// Filters and keyset pagination of `list_tasks`.
#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    pub status: Option<TaskStatus>,
    pub assignee_id: Option<Uuid>,
    pub label: Option<String>,
    /// Case-insensitive substring of the title.
    pub q: Option<String>,
    pub overdue: bool,
    pub due_before: Option<NaiveDate>,
    pub limit: usize,
    /// Opaque cursor from the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Analytics {
    pub total: i64,
    pub by_status: HashMap<String, i64>,
    /// Done tasks over all tasks, 0 when there are none.
    pub completion_rate: f64,
    pub overdue: i64,
    /// Median hours from creation to completion over done tasks.
    pub median_cycle_time_hours: Option<f64>,
    /// Done tasks completed today (UTC).
    pub completed_today: i64,
    /// Tasks completed per ISO week (UTC), the last eight weeks, oldest first, this week last.
    pub completed_per_week: Vec<WeekCount>,
}

/// Tasks completed in one ISO week.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeekCount {
    /// ISO week, `2026-W48`.
    pub week: String,
    /// Monday of that week.
    pub starts: NaiveDate,
    pub completed: i64,
}

/// Weeks in [`Analytics::completed_per_week`].
pub const ANALYTICS_WEEKS: usize = 8;

/// A shared counter's value after a change (see [`Store::increment_counter`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterChange {
    pub value: i64,
    /// `false` when the operation id had been applied before (a resend): nothing changed.
    pub applied: bool,
}

/// A position of the push-stream feed in the outbox (see [`Store::feed_next`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedCursor {
    /// The writing transaction's id (PostgreSQL; 0 on SQLite).
    pub seq: i64,
    pub id: String,
}

/// A pending outbox row.
#[derive(Debug, Clone)]
pub struct OutboxEvent {
    pub id: String,
    pub topic: String,
    pub key: String,
    pub payload: String,
}

/// Outcome of presenting a refresh token.
#[derive(Debug, PartialEq, Eq)]
pub enum RefreshUse {
    /// Valid and now spent: issue a new pair in the same family.
    Valid { user_id: Uuid, family_id: Uuid },
    /// Already used or revoked: the family is revoked (token theft is assumed).
    Reused,
    /// Unknown or expired.
    Invalid,
}

/// A counter's stored value (0 before its first increment).
async fn counter_value<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
    project_id: Uuid,
    name: &str,
) -> Result<i64> {
    let value: Option<i64> =
        sqlx::query_scalar("SELECT value FROM counters WHERE project_id = $1 AND name = $2")
            .bind(project_id.to_string())
            .bind(name)
            .fetch_optional(db)
            .await?;
    Ok(value.unwrap_or(0))
}

fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn from_micros(v: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(v).unwrap_or_default()
}

fn uuid(row: &AnyRow, col: &str) -> Result<Uuid> {
    let s: String = row.try_get(col)?;
    Uuid::parse_str(&s).map_err(|e| DomainError::Database(sqlx::Error::Decode(Box::new(e))))
}

fn opt_uuid(row: &AnyRow, col: &str) -> Result<Option<Uuid>> {
    let s: Option<String> = row.try_get(col)?;
    s.map(|s| {
        Uuid::parse_str(&s).map_err(|e| DomainError::Database(sqlx::Error::Decode(Box::new(e))))
    })
    .transpose()
}

fn enum_from<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|e| DomainError::Database(sqlx::Error::Decode(Box::new(e))))
}

fn enum_str<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The columns `project_from` reads (with a `role` column added by each query).
const PROJECT_COLUMNS: &str =
    "p.id, p.name, p.description, p.owner_id, p.version, p.created_at, p.updated_at";

const TASK_COLUMNS: &str = "id, project_id, title, description, status, priority, due_date, assignee_id, labels, position, version, created_at, updated_at, completed_at";

/// `TASK_COLUMNS` qualified with the `t` alias, for joins.
const T_TASK_COLUMNS: &str = "t.id, t.project_id, t.title, t.description, t.status, t.priority, t.due_date, t.assignee_id, t.labels, t.position, t.version, t.created_at, t.updated_at, t.completed_at";

fn task_from(row: &AnyRow) -> Result<Task> {
    let due: Option<String> = row.try_get("due_date")?;
    let labels: String = row.try_get("labels")?;
    let completed: Option<i64> = row.try_get("completed_at")?;
    Ok(TaskSnapshot {
        id: uuid(row, "id")?,
        project_id: uuid(row, "project_id")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        status: enum_from(&row.try_get::<String, _>("status")?)?,
        priority: enum_from(&row.try_get::<String, _>("priority")?)?,
        due_date: due.and_then(|d| NaiveDate::from_str(&d).ok()),
        assignee_id: opt_uuid(row, "assignee_id")?,
        labels: serde_json::from_str(&labels).unwrap_or_default(),
        position: row.try_get("position")?,
        version: row.try_get("version")?,
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
        completed_at: completed.map(from_micros),
    })
}

fn project_from(row: &AnyRow) -> Result<Project> {
    Ok(Project {
        project: ProjectSnapshot {
            id: uuid(row, "id")?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            owner_id: uuid(row, "owner_id")?,
            created_at: from_micros(row.try_get("created_at")?),
            updated_at: from_micros(row.try_get("updated_at")?),
        },
        role: enum_from(&row.try_get::<String, _>("role")?)?,
        version: row.try_get("version")?,
    })
}

/// Maps a unique-constraint violation to `Conflict`.
fn unique(e: sqlx::Error, what: &'static str) -> DomainError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => DomainError::Conflict(what),
        _ => DomainError::Database(e),
    }
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The repository. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    pub backend: Backend,
    cache: ReadCache,
    /// The queue of the group-committing create task ([`Store::run_creates`]).
    creates: tokio::sync::mpsc::Sender<CreateJob>,
}

/// Most creates committed in one transaction.
const CREATE_BATCH: usize = 128;

struct CreateJob {
    actor: Uuid,
    project_id: Uuid,
    input: ValidNewTask,
    reply: tokio::sync::oneshot::Sender<Result<Option<Task>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Store {
    /// Connects to `url` (`sqlite://path` or `postgres://…`), creating a SQLite file and its
    /// folder if needed, and applies the migrations.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if let Some(path) = url.strip_prefix("sqlite://") {
            let file = path.split('?').next().unwrap_or(path);
            if let Some(dir) = std::path::Path::new(file)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir)
                    .map_err(|e| DomainError::Database(sqlx::Error::Io(e)))?;
            }
            let sep = if path.contains('?') { '&' } else { '?' };
            (
                Backend::Sqlite,
                if path.contains("mode=") {
                    url.to_string()
                } else {
                    format!("{url}{sep}mode=rwc")
                },
            )
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(DomainError::Database(sqlx::Error::Configuration(
                format!(
                    "DATABASE_URL must start with sqlite:// or postgres://, not `{}`",
                    url.split(':').next().unwrap_or("")
                )
                .into(),
            )));
        };
        let (creates, queue) = tokio::sync::mpsc::channel(4 * CREATE_BATCH);
        let store = match backend {
            Backend::Sqlite => {
                // WAL with synchronous=NORMAL: a crash of the process loses nothing committed;
                // a power cut may lose the last transactions (never corrupts). See the ADR.
                let options = || {
                    AnyPoolOptions::new().after_connect(|conn, _| {
                        Box::pin(async move {
                            sqlx::Executor::execute(&mut *conn, "PRAGMA synchronous = NORMAL")
                                .await?;
                            Ok(())
                        })
                    })
                };
                let write = options().max_connections(1).connect(&url).await?;
                sqlx::query("PRAGMA journal_mode = WAL")
                    .execute(&write)
                    .await?;
                let read = options().max_connections(8).connect(&url).await?;
                Store {
                    read,
                    write,
                    backend,
                    cache: ReadCache::local(),
                    creates,
                }
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .connect(&url)
                    .await?;
                Store {
                    read: pool.clone(),
                    write: pool,
                    backend,
                    cache: ReadCache::local(),
                    creates,
                }
            }
        };
        MIGRATOR.run(&store.write).await?;
        tokio::spawn(Self::run_creates(store.write.clone(), store.backend, queue));
        Ok(store)
    }

    /// Moves the read cache to Redis at `url` (shared by every instance that uses the same
    /// Redis and `prefix`). Fails with the reason when Redis cannot be reached.
    #[cfg(feature = "redis")]
    pub async fn with_redis(self, url: &str, prefix: &str) -> std::result::Result<Store, String> {
        let redis = crate::cache::redis_cache::RedisCache::connect(url, prefix)
            .await
            .map_err(|e| format!("REDIS_URL: cannot use Redis: {e}"))?;
        Ok(Store {
            cache: ReadCache::Redis(redis),
            ..self
        })
    }

    /// Where the read cache lives: `"local"` (in process) or `"redis"`.
    pub fn cache_kind(&self) -> &'static str {
        self.cache.kind()
    }

    /// For readiness checks: one round trip to the database.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    async fn begin(&self) -> Result<Tx> {
        Ok(self.write.begin().await?)
    }

    async fn outbox(tx: &mut Tx, data: EventData, now: DateTime<Utc>) -> Result<()> {
        let id = Uuid::now_v7().to_string();
        let key = data.project_id().to_string();
        let event = Event::new(id.clone(), EVENT_SOURCE, now, data);
        let payload = String::from_utf8(event.to_json()).expect("JSON is UTF-8");
        // On PostgreSQL the row carries its transaction's id (see `feed_next`).
        let postgres = (**tx).backend_name() == "PostgreSQL";
        let sql = if postgres {
            "INSERT INTO outbox (id, topic, event_key, payload, created_at, commit_seq) VALUES ($1, $2, $3, $4, $5, pg_current_xact_id()::text::bigint)"
        } else {
            "INSERT INTO outbox (id, topic, event_key, payload, created_at) VALUES ($1, $2, $3, $4, $5)"
        };
        sqlx::query(sql)
            .bind(id)
            .bind(events::TOPIC)
            .bind(key)
            .bind(payload)
            .bind(micros(now))
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    // ----- users and credentials -----

    pub async fn create_user(
        &self,
        email: &Email,
        display_name: Option<&str>,
        password_hash: &str,
    ) -> Result<User> {
        let now = Utc::now();
        let user = User {
            id: Uuid::now_v7(),
            email: email.as_str().to_string(),
            display_name: display_name.map(str::to_string),
            created_at: now,
        };
        sqlx::query("INSERT INTO users (id, email, display_name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(user.id.to_string())
            .bind(&user.email)
            .bind(user.display_name.clone())
            .bind(password_hash)
            .bind(micros(now))
            .execute(&self.write)
            .await
            .map_err(|e| unique(e, "an account with this e-mail exists"))?;
        Ok(user)
    }

    /// The user and password hash for a login.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>> {
        let row = sqlx::query(
            "SELECT id, email, display_name, password_hash, created_at FROM users WHERE email = $1",
        )
        .bind(email.trim().to_lowercase())
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| Ok((user_from(&r)?, r.try_get("password_hash")?)))
            .transpose()
    }

    pub async fn user(&self, id: Uuid) -> Result<User> {
        let row =
            sqlx::query("SELECT id, email, display_name, created_at FROM users WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&self.read)
                .await?
                .ok_or(DomainError::NotFound)?;
        user_from(&row)
    }

    pub async fn insert_refresh_token(
        &self,
        user_id: Uuid,
        family_id: Uuid,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(Uuid::now_v7().to_string())
            .bind(user_id.to_string())
            .bind(family_id.to_string())
            .bind(token_hash)
            .bind(micros(expires_at))
            .bind(micros(Utc::now()))
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Spends a refresh token. Presenting a spent or revoked one revokes its whole family.
    pub async fn use_refresh_token(&self, token_hash: &str) -> Result<RefreshUse> {
        let mut tx = self.begin().await?;
        let now = micros(Utc::now());
        let Some(row) = sqlx::query("SELECT user_id, family_id, expires_at, used_at, revoked_at FROM refresh_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(RefreshUse::Invalid);
        };
        let family_id = uuid(&row, "family_id")?;
        let used: Option<i64> = row.try_get("used_at")?;
        let revoked: Option<i64> = row.try_get("revoked_at")?;
        let reused = if used.is_some() || revoked.is_some() {
            true
        } else {
            if row.try_get::<i64, _>("expires_at")? <= now {
                return Ok(RefreshUse::Invalid);
            }
            // Conditional: of two refreshes racing with one token (PostgreSQL runs them side
            // by side), only the one whose update finds it unspent wins; the other is a reuse.
            sqlx::query("UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL")
                .bind(now)
                .bind(token_hash)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                != 1
        };
        if reused {
            sqlx::query("UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(family_id.to_string())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(RefreshUse::Reused);
        }
        tx.commit().await?;
        Ok(RefreshUse::Valid {
            user_id: uuid(&row, "user_id")?,
            family_id,
        })
    }

    /// Revokes the family of a refresh token (logout). Unknown tokens are ignored.
    pub async fn revoke_refresh_family(&self, token_hash: &str) -> Result<()> {
        sqlx::query("UPDATE refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $2)")
            .bind(micros(Utc::now()))
            .bind(token_hash)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn create_api_key(
        &self,
        user_id: Uuid,
        name: &str,
        key_hash: &str,
        scopes: &[String],
    ) -> Result<Uuid> {
        let id = Uuid::now_v7();
        sqlx::query("INSERT INTO api_keys (id, user_id, name, key_hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id.to_string())
            .bind(user_id.to_string())
            .bind(name)
            .bind(key_hash)
            .bind(scopes.join(" "))
            .bind(micros(Utc::now()))
            .execute(&self.write)
            .await?;
        Ok(id)
    }

    /// The owner and scopes of a live API key.
    pub async fn api_key(&self, key_hash: &str) -> Result<Option<(Uuid, Vec<String>)>> {
        let row = sqlx::query(
            "SELECT user_id, scopes FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(key_hash)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok((
                uuid(&r, "user_id")?,
                r.try_get::<String, _>("scopes")?
                    .split_whitespace()
                    .map(str::to_string)
                    .collect(),
            ))
        })
        .transpose()
    }

    // ----- access control -----

    /// The actor's role in a project; `NotFound` when not a member (or no such project).
    pub async fn role(&self, actor: Uuid, project_id: Uuid) -> Result<Role> {
        if let Some(role) = self.cache.role(project_id, actor).await {
            return Ok(role);
        }
        let role = member_role(&self.read, project_id, actor)
            .await?
            .ok_or(DomainError::NotFound)?;
        self.cache.put_role(project_id, actor, role).await;
        Ok(role)
    }

    /// Drops cached entries an event makes stale (events of other instances included).
    /// With Redis the writer has already invalidated the shared entry; doing it again closes
    /// the window in which a concurrent reader put back what it read before the write.
    pub async fn observe(&self, data: &EventData) {
        match data {
            EventData::TaskCreated { task }
            | EventData::TaskUpdated { task, .. }
            | EventData::TaskCompleted { task } => self.cache.forget_task(task.id).await,
            EventData::TaskDeleted { task_id, .. } => self.cache.forget_task(*task_id).await,
            EventData::MemberAdded(m) | EventData::MemberRoleChanged(m) => {
                self.cache.forget_role(m.project_id, m.user_id).await
            }
            EventData::MemberRemoved {
                project_id,
                user_id,
            } => self.cache.forget_role(*project_id, *user_id).await,
            EventData::ProjectDeleted { project_id } => {
                self.cache.forget_project(*project_id).await
            }
            EventData::ProjectCreated { .. } | EventData::ProjectUpdated { .. } => {}
        }
    }

    async fn role_in(tx: &mut Tx, actor: Uuid, project_id: Uuid) -> Result<Role> {
        member_role(&mut **tx, project_id, actor)
            .await?
            .ok_or(DomainError::NotFound)
    }

    async fn require_writer(tx: &mut Tx, actor: Uuid, project_id: Uuid) -> Result<Role> {
        let role = Self::role_in(tx, actor, project_id).await?;
        if role == Role::Viewer {
            return Err(DomainError::Forbidden("viewers cannot change this project"));
        }
        Ok(role)
    }

    async fn require_owner(tx: &mut Tx, actor: Uuid, project_id: Uuid) -> Result<()> {
        if Self::role_in(tx, actor, project_id).await? != Role::Owner {
            return Err(DomainError::Forbidden("only the project owner can do this"));
        }
        Ok(())
    }

    // ----- projects and members -----

    pub async fn create_project(&self, actor: Uuid, input: NewProject) -> Result<Project> {
        let input = input.validate()?;
        let owner = self.user(actor).await?;
        let now = Utc::now();
        let snapshot = ProjectSnapshot {
            id: Uuid::now_v7(),
            name: input.name,
            description: input.description,
            owner_id: actor,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO projects (id, name, description, owner_id, version, created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5)")
            .bind(snapshot.id.to_string())
            .bind(&snapshot.name)
            .bind(snapshot.description.clone())
            .bind(actor.to_string())
            .bind(micros(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO members (project_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(snapshot.id.to_string())
        .bind(actor.to_string())
        .bind(enum_str(&Role::Owner))
        .bind(micros(now))
        .execute(&mut *tx)
        .await?;
        Self::outbox(
            &mut tx,
            EventData::ProjectCreated {
                project: snapshot.clone(),
            },
            now,
        )
        .await?;
        let membership = Membership {
            project_id: snapshot.id,
            user_id: actor,
            email: owner.email,
            display_name: owner.display_name,
            role: Role::Owner,
        };
        Self::outbox(&mut tx, EventData::MemberAdded(membership), now).await?;
        tx.commit().await?;
        Ok(Project {
            project: snapshot,
            role: Role::Owner,
            version: 1,
        })
    }

    pub async fn list_projects(&self, actor: Uuid) -> Result<Vec<Project>> {
        let rows = sqlx::query(
            &format!(
            "SELECT {PROJECT_COLUMNS}, m.role \
             FROM projects p JOIN members m ON m.project_id = p.id WHERE m.user_id = $1 ORDER BY p.created_at, p.id"
        ))
        .bind(actor.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(project_from).collect()
    }

    pub async fn project(&self, actor: Uuid, id: Uuid) -> Result<Project> {
        let row = sqlx::query(
            &format!(
            "SELECT {PROJECT_COLUMNS}, m.role \
             FROM projects p JOIN members m ON m.project_id = p.id WHERE p.id = $1 AND m.user_id = $2"
        ))
        .bind(id.to_string())
        .bind(actor.to_string())
        .fetch_optional(&self.read)
        .await?
        .ok_or(DomainError::NotFound)?;
        project_from(&row)
    }

    pub async fn update_project(
        &self,
        actor: Uuid,
        id: Uuid,
        patch: ProjectPatch,
        if_match: Option<i64>,
    ) -> Result<Project> {
        let patch = patch.validate()?;
        let mut tx = self.begin().await?;
        Self::require_owner(&mut tx, actor, id).await?;
        let current: i64 = sqlx::query_scalar("SELECT version FROM projects WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        if if_match.is_some_and(|v| v != current) {
            return Err(DomainError::Stale { current });
        }
        let now = Utc::now();
        if let Some(name) = &patch.name {
            sqlx::query("UPDATE projects SET name = $1 WHERE id = $2")
                .bind(name)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        if let Some(d) = &patch.description {
            sqlx::query("UPDATE projects SET description = $1 WHERE id = $2")
                .bind(d.clone())
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE projects SET version = version + 1, updated_at = $1 WHERE id = $2")
            .bind(micros(now))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(&format!(
            "SELECT {PROJECT_COLUMNS}, 'owner' AS role FROM projects p WHERE p.id = $1"
        ))
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let project = project_from(&row)?;
        Self::outbox(
            &mut tx,
            EventData::ProjectUpdated {
                project: project.project.clone(),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(project)
    }

    pub async fn delete_project(&self, actor: Uuid, id: Uuid) -> Result<()> {
        let mut tx = self.begin().await?;
        Self::require_owner(&mut tx, actor, id).await?;
        sqlx::query("DELETE FROM tasks WHERE project_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM members WHERE project_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM projects WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        Self::outbox(
            &mut tx,
            EventData::ProjectDeleted { project_id: id },
            Utc::now(),
        )
        .await?;
        tx.commit().await?;
        self.cache.forget_project(id).await;
        Ok(())
    }

    pub async fn members(&self, actor: Uuid, project_id: Uuid) -> Result<Vec<Member>> {
        self.role(actor, project_id).await?;
        let rows = sqlx::query(
            "SELECT m.user_id, u.email, u.display_name, m.role FROM members m JOIN users u ON u.id = m.user_id \
             WHERE m.project_id = $1 ORDER BY m.created_at, m.user_id",
        )
        .bind(project_id.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Member {
                    user_id: uuid(r, "user_id")?,
                    email: r.try_get("email")?,
                    display_name: r.try_get("display_name")?,
                    role: enum_from(&r.try_get::<String, _>("role")?)?,
                })
            })
            .collect()
    }

    /// Adds (by e-mail of an existing account) or re-roles a member. Owner only.
    pub async fn put_member(
        &self,
        actor: Uuid,
        project_id: Uuid,
        email: &Email,
        role: Role,
    ) -> Result<Member> {
        if role == Role::Owner {
            return Err(DomainError::Forbidden("a project has exactly one owner"));
        }
        let mut tx = self.begin().await?;
        Self::require_owner(&mut tx, actor, project_id).await?;
        let row =
            sqlx::query("SELECT id, email, display_name, created_at FROM users WHERE email = $1")
                .bind(email.as_str())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(DomainError::Invalid(vec![crate::FieldError {
                    field: "/email".into(),
                    message: "no account has this e-mail".into(),
                }]))?;
        let user = user_from(&row)?;
        if user.id == actor {
            return Err(DomainError::Conflict("the owner's role cannot change"));
        }
        let existing = member_role(&mut *tx, project_id, user.id).await?;
        let now = Utc::now();
        if existing.is_some() {
            sqlx::query("UPDATE members SET role = $1 WHERE project_id = $2 AND user_id = $3")
                .bind(enum_str(&role))
                .bind(project_id.to_string())
                .bind(user.id.to_string())
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query("INSERT INTO members (project_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
                .bind(project_id.to_string())
                .bind(user.id.to_string())
                .bind(enum_str(&role))
                .bind(micros(now))
                .execute(&mut *tx)
                .await?;
        }
        let m = Membership {
            project_id,
            user_id: user.id,
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            role,
        };
        let data = if existing.is_some() {
            EventData::MemberRoleChanged(m)
        } else {
            EventData::MemberAdded(m)
        };
        Self::outbox(&mut tx, data, now).await?;
        tx.commit().await?;
        self.cache.forget_role(project_id, user.id).await;
        Ok(Member {
            user_id: user.id,
            email: user.email,
            display_name: user.display_name,
            role,
        })
    }

    pub async fn remove_member(&self, actor: Uuid, project_id: Uuid, user_id: Uuid) -> Result<()> {
        let mut tx = self.begin().await?;
        // Members may leave; the owner may remove anyone but themself.
        if actor != user_id {
            Self::require_owner(&mut tx, actor, project_id).await?;
        } else if Self::role_in(&mut tx, actor, project_id).await? == Role::Owner {
            return Err(DomainError::Conflict(
                "the owner cannot leave; delete the project instead",
            ));
        }
        let gone = sqlx::query("DELETE FROM members WHERE project_id = $1 AND user_id = $2")
            .bind(project_id.to_string())
            .bind(user_id.to_string())
            .execute(&mut *tx)
            .await?;
        if gone.rows_affected() == 0 {
            return Err(DomainError::NotFound);
        }
        Self::outbox(
            &mut tx,
            EventData::MemberRemoved {
                project_id,
                user_id,
            },
            Utc::now(),
        )
        .await?;
        tx.commit().await?;
        self.cache.forget_role(project_id, user_id).await;
        Ok(())
    }

    // ----- tasks -----

    async fn check_assignee(tx: &mut Tx, project_id: Uuid, assignee: Option<Uuid>) -> Result<()> {
        if let Some(a) = assignee {
            let member = member_role(&mut **tx, project_id, a).await?;
            if member.is_none() {
                return Err(DomainError::Invalid(vec![crate::FieldError {
                    field: "/assignee_id".into(),
                    message: "must be a member of the project".into(),
                }]));
            }
        }
        Ok(())
    }

    /// Creates a task through the group-commit queue ([`Store::run_creates`]).
    pub async fn create_task(
        &self,
        actor: Uuid,
        project_id: Uuid,
        input: ValidNewTask,
    ) -> Result<Task> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = CreateJob {
            actor,
            project_id,
            input,
            reply,
        };
        // Only when the runtime shuts down.
        let closed = || DomainError::Database(sqlx::Error::PoolClosed);
        self.creates.send(job).await.map_err(|_| closed())?;
        let inserted = answer.await.map_err(|_| closed())??;
        match inserted {
            Some(task) => Ok(task),
            None => {
                // Not inserted: say why (not a member → 404, viewer → 403).
                self.cache.forget_role(project_id, actor).await;
                Err(match self.role(actor, project_id).await? {
                    Role::Viewer => DomainError::Forbidden("viewers cannot change this project"),
                    _ => DomainError::Conflict("the project changed during the request; retry"),
                })
            }
        }
    }

    /// Inserts a task and its `task.created` event in `tx`; `None` when the actor may not
    /// write to the project (nothing is written then). The membership check and the next
    /// position are part of the INSERT itself, so they hold atomically with it. On PostgreSQL
    /// (`lock`) the project row is locked first: under READ COMMITTED two concurrent creates
    /// would otherwise read the same last position. SQLite's single writer needs no lock.
    async fn insert_task(
        tx: &mut Tx,
        lock: bool,
        actor: Uuid,
        project_id: Uuid,
        input: &ValidNewTask,
    ) -> Result<Option<Task>> {
        if lock {
            sqlx::query("SELECT 1 FROM projects WHERE id = $1 FOR UPDATE")
                .bind(project_id.to_string())
                .execute(&mut **tx)
                .await?;
        }
        if input.assignee_id.is_some() {
            Self::check_assignee(tx, project_id, input.assignee_id).await?;
        }
        let now = Utc::now();
        let mut task = TaskSnapshot {
            id: Uuid::now_v7(),
            project_id,
            title: input.title.clone(),
            description: input.description.clone(),
            status: input.status,
            priority: input.priority,
            due_date: input.due_date,
            assignee_id: input.assignee_id,
            labels: input.labels.clone(),
            position: 0.0,
            version: 1,
            created_at: now,
            updated_at: now,
            completed_at: (input.status == TaskStatus::Done).then_some(now),
        };
        let inserted: Option<f64> = sqlx::query_scalar(&format!(
            "INSERT INTO tasks ({TASK_COLUMNS}) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, \
                    COALESCE($10, (SELECT MAX(t.position) FROM tasks t WHERE t.project_id = $2) + 1024.0, 1024.0), \
                    $11, $12, $13, $14 \
             WHERE EXISTS (SELECT 1 FROM members m WHERE m.project_id = $2 AND m.user_id = $15 AND m.role <> 'viewer') \
             RETURNING position"
        ))
        .bind(task.id.to_string())
        .bind(project_id.to_string())
        .bind(&task.title)
        .bind(task.description.clone())
        .bind(enum_str(&task.status))
        .bind(enum_str(&task.priority))
        .bind(task.due_date.map(|d| d.to_string()))
        .bind(task.assignee_id.map(|a| a.to_string()))
        .bind(serde_json::to_string(&task.labels).expect("labels serialise"))
        .bind(input.position)
        .bind(task.version)
        .bind(micros(now))
        .bind(micros(now))
        .bind(task.completed_at.map(micros))
        .bind(actor.to_string())
        .fetch_optional(&mut **tx)
        .await?;
        let Some(position) = inserted else {
            return Ok(None);
        };
        task.position = position;
        Self::outbox(tx, EventData::TaskCreated { task: task.clone() }, now).await?;
        Ok(Some(task))
    }

    /// Group commit of task creation: one task commits the creates that queued up while the
    /// previous batch ran in one transaction, so a busy second pays two statements per task
    /// (three on PostgreSQL, with the project lock) instead of four round trips and a pool
    /// hand-off each. Jobs run grouped by project (arrival order within one), which also
    /// takes PostgreSQL's project locks in one order. When a database error hits a batch, it
    /// is rolled back and each job runs on its own, so one bad job never fails its neighbours.
    async fn run_creates(
        write: AnyPool,
        backend: Backend,
        mut queue: tokio::sync::mpsc::Receiver<CreateJob>,
    ) {
        let postgres = backend == Backend::Postgres;
        let mut batch = Vec::with_capacity(CREATE_BATCH);
        while queue.recv_many(&mut batch, CREATE_BATCH).await > 0 {
            let mut jobs = std::mem::take(&mut batch);
            jobs.sort_by_key(|job| job.project_id);
            match Self::commit_batch(&write, postgres, &jobs).await {
                Ok(results) => {
                    for (job, result) in jobs.into_iter().zip(results) {
                        let _ = job.reply.send(result);
                    }
                }
                Err(_) => {
                    for job in jobs {
                        let result = async {
                            let mut tx = write.begin().await?;
                            let inserted = Self::insert_task(
                                &mut tx,
                                postgres,
                                job.actor,
                                job.project_id,
                                &job.input,
                            )
                            .await?;
                            tx.commit().await?;
                            Ok(inserted)
                        }
                        .await;
                        let _ = job.reply.send(result);
                    }
                }
            }
        }
    }

    /// One transaction for `jobs`; per-job outcomes, or the database error that aborted it.
    async fn commit_batch(
        write: &AnyPool,
        postgres: bool,
        jobs: &[CreateJob],
    ) -> Result<Vec<Result<Option<Task>>>> {
        let mut tx = write.begin().await?;
        let mut results = Vec::with_capacity(jobs.len());
        let mut locked = None;
        for job in jobs {
            let lock = postgres && locked != Some(job.project_id);
            locked = Some(job.project_id);
            match Self::insert_task(&mut tx, lock, job.actor, job.project_id, &job.input).await {
                Err(DomainError::Database(e)) => return Err(DomainError::Database(e)),
                other => results.push(other),
            }
        }
        tx.commit().await?;
        Ok(results)
    }

    pub async fn task(&self, actor: Uuid, id: Uuid) -> Result<Task> {
        if let Some(task) = self.cache.task(id).await {
            self.role(actor, task.project_id).await?;
            return Ok(task);
        }
        let row = sqlx::query(&format!(
            "SELECT {T_TASK_COLUMNS} FROM tasks t JOIN members m ON m.project_id = t.project_id AND m.user_id = $2 WHERE t.id = $1"
        ))
        .bind(id.to_string())
        .bind(actor.to_string())
        .fetch_optional(&self.read)
        .await?
        .ok_or(DomainError::NotFound)?;
        let task = task_from(&row)?;
        self.cache.put_task(&task).await;
        Ok(task)
    }

    pub async fn list_tasks(
        &self,
        actor: Uuid,
        project_id: Uuid,
        q: &TaskQuery,
    ) -> Result<Page<Task>> {
        self.role(actor, project_id).await?;
        let limit = q.limit.clamp(1, 100);
        let mut sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE project_id = $1");
        let mut args: Vec<Arg> = vec![Arg::Text(project_id.to_string())];
        let mut push = |sql: &mut String, clause: &str, arg: Arg| {
            args.push(arg);
            sql.push_str(&clause.replace('?', &format!("${}", args.len())));
        };
        if let Some(s) = q.status {
            push(&mut sql, " AND status = ?", Arg::Text(enum_str(&s)));
        }
        if let Some(a) = q.assignee_id {
            push(&mut sql, " AND assignee_id = ?", Arg::Text(a.to_string()));
        }
        if let Some(l) = &q.label {
            push(
                &mut sql,
                " AND labels LIKE ?",
                Arg::Text(format!(
                    "%{}%",
                    serde_json::to_string(l).expect("label serialises")
                )),
            );
        }
        if let Some(text) = &q.q {
            let escaped = text
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            push(
                &mut sql,
                " AND LOWER(title) LIKE ? ESCAPE '\\'",
                Arg::Text(format!("%{escaped}%")),
            );
        }
        if q.overdue {
            push(
                &mut sql,
                " AND status <> 'done' AND due_date < ?",
                Arg::Text(Utc::now().date_naive().to_string()),
            );
        }
        if let Some(d) = q.due_before {
            push(&mut sql, " AND due_date < ?", Arg::Text(d.to_string()));
        }
        if let Some(cursor) = &q.cursor {
            let (pos, id) = decode_cursor(cursor).ok_or_else(|| {
                DomainError::Invalid(vec![crate::FieldError {
                    field: "cursor".into(),
                    message: "is not a cursor from this API".into(),
                }])
            })?;
            push(&mut sql, " AND (position > ?", Arg::Real(pos));
            push(&mut sql, " OR (position = ?", Arg::Real(pos));
            push(&mut sql, " AND id > ?))", Arg::Text(id));
        }
        sql.push_str(&format!(" ORDER BY position, id LIMIT {}", limit + 1));
        let mut query = sqlx::query(&sql);
        for a in args {
            query = match a {
                Arg::Text(s) => query.bind(s),
                Arg::Real(f) => query.bind(f),
            };
        }
        let rows = query.fetch_all(&self.read).await?;
        let mut items: Vec<Task> = rows.iter().map(task_from).collect::<Result<_>>()?;
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items
                .last()
                .map(|t| encode_cursor(t.position, &t.id.to_string()))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    pub async fn update_task(
        &self,
        actor: Uuid,
        id: Uuid,
        patch: TaskPatch,
        if_match: Option<i64>,
    ) -> Result<Task> {
        let patch = patch.validate()?;
        let mut tx = self.begin().await?;
        let row = sqlx::query(&format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        let mut task = task_from(&row.ok_or(DomainError::NotFound)?)?;
        Self::require_writer(&mut tx, actor, task.project_id).await?;
        if if_match.is_some_and(|v| v != task.version) {
            return Err(DomainError::Stale {
                current: task.version,
            });
        }
        let before = task.clone();
        let mut changed: Vec<String> = Vec::new();
        // Each present field replaces the stored one; the names of real changes go in the event.
        macro_rules! apply {
            ($($field:ident),*) => {$(
                if let Some(v) = patch.$field {
                    if v != task.$field {
                        changed.push(stringify!($field).into());
                    }
                    task.$field = v;
                }
            )*};
        }
        apply!(
            title,
            description,
            status,
            priority,
            due_date,
            assignee_id,
            labels,
            position
        );
        if changed.is_empty() {
            return Ok(before);
        }
        Self::check_assignee(&mut tx, task.project_id, task.assignee_id).await?;
        let now = Utc::now();
        task.completed_at = match (before.status, task.status) {
            (s, TaskStatus::Done) if s != TaskStatus::Done => Some(now),
            (_, TaskStatus::Done) => before.completed_at,
            _ => None,
        };
        task.version += 1;
        task.updated_at = now;
        let updated = sqlx::query(
            "UPDATE tasks SET title = $1, description = $2, status = $3, priority = $4, due_date = $5, assignee_id = $6, labels = $7, \
             position = $8, version = $9, updated_at = $10, completed_at = $11 WHERE id = $12 AND version = $13",
        )
        .bind(&task.title)
        .bind(task.description.clone())
        .bind(enum_str(&task.status))
        .bind(enum_str(&task.priority))
        .bind(task.due_date.map(|d| d.to_string()))
        .bind(task.assignee_id.map(|a| a.to_string()))
        .bind(serde_json::to_string(&task.labels).expect("labels serialise"))
        .bind(task.position)
        .bind(task.version)
        .bind(micros(now))
        .bind(task.completed_at.map(micros))
        .bind(id.to_string())
        .bind(before.version)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            // A concurrent writer got there first (PostgreSQL, read committed).
            return Err(DomainError::Stale {
                current: before.version + 1,
            });
        }
        let data = if task.status == TaskStatus::Done && before.status != TaskStatus::Done {
            EventData::TaskCompleted { task: task.clone() }
        } else {
            EventData::TaskUpdated {
                task: task.clone(),
                changed,
            }
        };
        Self::outbox(&mut tx, data, now).await?;
        tx.commit().await?;
        self.cache.forget_task(id).await;
        Ok(task)
    }

    pub async fn delete_task(&self, actor: Uuid, id: Uuid, if_match: Option<i64>) -> Result<()> {
        let mut tx = self.begin().await?;
        let row = sqlx::query("SELECT project_id, version FROM tasks WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(DomainError::NotFound)?;
        let project_id = uuid(&row, "project_id")?;
        let version: i64 = row.try_get("version")?;
        Self::require_writer(&mut tx, actor, project_id).await?;
        if if_match.is_some_and(|v| v != version) {
            return Err(DomainError::Stale { current: version });
        }
        sqlx::query("DELETE FROM tasks WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        Self::outbox(
            &mut tx,
            EventData::TaskDeleted {
                task_id: id,
                project_id,
            },
            Utc::now(),
        )
        .await?;
        tx.commit().await?;
        self.cache.forget_task(id).await;
        Ok(())
    }

    pub async fn analytics(&self, actor: Uuid, project_id: Uuid) -> Result<Analytics> {
        self.role(actor, project_id).await?;
        let rows = sqlx::query(
            "SELECT status, due_date, created_at, completed_at FROM tasks WHERE project_id = $1",
        )
        .bind(project_id.to_string())
        .fetch_all(&self.read)
        .await?;
        let today_date = Utc::now().date_naive();
        let today = today_date.to_string();
        let this_monday = today_date
            - chrono::Days::new(u64::from(
                chrono::Datelike::weekday(&today_date).num_days_from_monday(),
            ));
        let mut weeks: Vec<WeekCount> = (0..ANALYTICS_WEEKS as u64)
            .rev()
            .map(|back| {
                let starts = this_monday - chrono::Days::new(7 * back);
                let iso = chrono::Datelike::iso_week(&starts);
                WeekCount {
                    week: format!("{}-W{:02}", iso.year(), iso.week()),
                    starts,
                    completed: 0,
                }
            })
            .collect();
        let first_monday = weeks[0].starts;
        let mut completed_today = 0;
        let mut by_status: HashMap<String, i64> = ["todo", "in_progress", "done"]
            .into_iter()
            .map(|s| (s.to_string(), 0))
            .collect();
        let mut overdue = 0;
        let mut cycle: Vec<f64> = Vec::new();
        for r in &rows {
            let status: String = r.try_get("status")?;
            let due: Option<String> = r.try_get("due_date")?;
            if status != "done" && due.is_some_and(|d| d < today) {
                overdue += 1;
            }
            if let Some(done) = r.try_get::<Option<i64>, _>("completed_at")?
                && status == "done"
            {
                cycle.push((done - r.try_get::<i64, _>("created_at")?) as f64 / 3.6e9);
                let day = from_micros(done).date_naive();
                if day == today_date {
                    completed_today += 1;
                }
                if day >= first_monday {
                    let i = ((day - first_monday).num_days() / 7) as usize;
                    if let Some(w) = weeks.get_mut(i) {
                        w.completed += 1;
                    }
                }
            }
            *by_status.entry(status).or_default() += 1;
        }
        cycle.sort_by(f64::total_cmp);
        let median = match cycle.len() {
            0 => None,
            n if n % 2 == 1 => Some(cycle[n / 2]),
            n => Some((cycle[n / 2 - 1] + cycle[n / 2]) / 2.0),
        };
        let total = rows.len() as i64;
        let done = by_status.get("done").copied().unwrap_or(0);
        Ok(Analytics {
            total,
            by_status,
            completion_rate: if total == 0 {
                0.0
            } else {
                done as f64 / total as f64
            },
            overdue,
            median_cycle_time_hours: median,
            completed_today,
            completed_per_week: weeks,
        })
    }

    // ----- shared counters -----

    /// The value of counter `name` of the project (0 before its first increment); members only.
    pub async fn counter(&self, actor: Uuid, project_id: Uuid, name: &str) -> Result<i64> {
        self.role(actor, project_id).await?;
        counter_value(&self.read, project_id, name).await
    }

    /// Tasks of the project completed today (UTC), as [`Analytics::completed_today`] counts
    /// them, with one counting query (the live figure asks on every event of the project).
    pub async fn completed_today(&self, actor: Uuid, project_id: Uuid) -> Result<i64> {
        self.role(actor, project_id).await?;
        let midnight = Utc::now()
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc();
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM tasks WHERE project_id = $1 AND status = 'done' AND completed_at >= $2",
        )
        .bind(project_id.to_string())
        .bind(micros(midnight))
        .fetch_one(&self.read)
        .await?;
        Ok(n)
    }

    /// Forgets the operation ids applied before `before` (the hub prunes them daily): an
    /// increment resent after that is counted again. Returns how many were forgotten.
    pub async fn prune_counter_ops(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM counter_ops WHERE created_at < $1")
            .bind(micros(before))
            .execute(&self.write)
            .await?
            .rows_affected())
    }

    /// Adds `by` to counter `name` once per `op_id` (a resent operation changes nothing and
    /// answers the current value); viewers may not. One transaction on the single writer, so
    /// concurrent increments are never lost.
    pub async fn increment_counter(
        &self,
        actor: Uuid,
        project_id: Uuid,
        name: &str,
        op_id: &str,
        by: i64,
    ) -> Result<CounterChange> {
        let mut tx = self.begin().await?;
        Self::require_writer(&mut tx, actor, project_id).await?;
        let now = micros(Utc::now());
        let fresh = sqlx::query(
            "INSERT INTO counter_ops (op_id, project_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (op_id) DO NOTHING",
        )
        .bind(format!("{project_id}:{op_id}"))
        .bind(project_id.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let value: i64 = if fresh {
            sqlx::query_scalar(
                "INSERT INTO counters (project_id, name, value, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (project_id, name) DO UPDATE SET value = counters.value + excluded.value, updated_at = excluded.updated_at \
                 RETURNING value",
            )
            .bind(project_id.to_string())
            .bind(name)
            .bind(by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        } else {
            counter_value(&mut *tx, project_id, name).await?
        };
        tx.commit().await?;
        Ok(CounterChange {
            value,
            applied: fresh,
        })
    }

    // ----- outbox -----

    /// The oldest unsent events, in the order they were written.
    pub async fn pending_events(&self, limit: i64) -> Result<Vec<OutboxEvent>> {
        let rows = sqlx::query("SELECT id, topic, event_key, payload FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1")
            .bind(limit)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(outbox_from).collect()
    }

    /// Outbox rows written after `after` (an outbox id; `None`: from the start), oldest first,
    /// sent or not: the feed of the live push stream.
    /// Where a new push-stream feed starts: after everything committed so far.
    pub async fn feed_start(&self) -> Result<FeedCursor> {
        match self.backend {
            Backend::Sqlite => Ok(FeedCursor {
                seq: 0,
                id: sqlx::query_scalar::<_, Option<String>>("SELECT MAX(id) FROM outbox")
                    .fetch_one(&self.read)
                    .await?
                    .unwrap_or_default(),
            }),
            Backend::Postgres => {
                let row = sqlx::query(
                    "SELECT commit_seq, id FROM outbox WHERE commit_seq IS NOT NULL ORDER BY commit_seq DESC, id DESC LIMIT 1",
                )
                .fetch_optional(&self.read)
                .await?;
                Ok(match row {
                    Some(r) => FeedCursor {
                        seq: r.try_get("commit_seq")?,
                        id: r.try_get("id")?,
                    },
                    None => FeedCursor::default(),
                })
            }
        }
    }

    /// Outbox events after `cursor` in commit order, advancing it. On SQLite the single writer
    /// commits in id order. On PostgreSQL concurrent transactions commit in any order, so rows
    /// are read by writing transaction and only below the oldest transaction still running:
    /// an event whose transaction commits late is returned when it commits, never skipped.
    pub async fn feed_next(&self, cursor: &mut FeedCursor, limit: i64) -> Result<Vec<OutboxEvent>> {
        let rows = match self.backend {
            Backend::Sqlite => {
                sqlx::query(
                    "SELECT id, topic, event_key, payload FROM outbox WHERE id > $1 ORDER BY id LIMIT $2",
                )
                .bind(cursor.id.clone())
                .bind(limit)
                .fetch_all(&self.read)
                .await?
            }
            Backend::Postgres => {
                sqlx::query(
                    "SELECT id, topic, event_key, payload, commit_seq FROM outbox \
                     WHERE commit_seq < pg_snapshot_xmin(pg_current_snapshot())::text::bigint \
                       AND (commit_seq > $1 OR (commit_seq = $1 AND id > $2)) \
                     ORDER BY commit_seq, id LIMIT $3",
                )
                .bind(cursor.seq)
                .bind(cursor.id.clone())
                .bind(limit)
                .fetch_all(&self.read)
                .await?
            }
        };
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let e = outbox_from(r)?;
            if self.backend == Backend::Postgres {
                cursor.seq = r.try_get("commit_seq")?;
            }
            cursor.id = e.id.clone();
            out.push(e);
        }
        Ok(out)
    }

    pub async fn mark_sent(&self, ids: &[String]) -> Result<()> {
        let now = micros(Utc::now());
        let mut tx = self.begin().await?;
        for id in ids {
            sqlx::query("UPDATE outbox SET sent_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// How many events wait to be published, for metrics and readiness.
    pub async fn outbox_backlog(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
                .fetch_one(&self.read)
                .await?,
        )
    }

    // ----- idempotency keys -----

    /// A stored response for (user, key): `Ok(Some((status, body)))` when the same request was
    /// seen, `Err(Conflict)` when the key was used for a different request.
    pub async fn idempotent_response(
        &self,
        user: Uuid,
        key: &str,
        request_hash: &str,
    ) -> Result<Option<(u16, String)>> {
        let row = sqlx::query("SELECT request_hash, status, body FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2")
            .bind(user.to_string())
            .bind(key)
            .fetch_optional(&self.read)
            .await?;
        match row {
            None => Ok(None),
            Some(r) if r.try_get::<String, _>("request_hash")? == request_hash => Ok(Some((
                r.try_get::<i64, _>("status")? as u16,
                r.try_get("body")?,
            ))),
            Some(_) => Err(DomainError::Conflict(
                "this Idempotency-Key was used for a different request",
            )),
        }
    }

    pub async fn store_idempotent_response(
        &self,
        user: Uuid,
        key: &str,
        request_hash: &str,
        status: u16,
        body: &str,
    ) -> Result<()> {
        sqlx::query("INSERT INTO idempotency_keys (user_id, idem_key, request_hash, status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(user.to_string())
            .bind(key)
            .bind(request_hash)
            .bind(status as i64)
            .bind(body)
            .bind(micros(Utc::now()))
            .execute(&self.write)
            .await
            .map_err(|e| unique(e, "this Idempotency-Key is being used by a concurrent request"))?;
        Ok(())
    }
}

enum Arg {
    Text(String),
    Real(f64),
}

/// A user's role in a project, if a member: the one membership query, for the pool or a
/// transaction.
async fn member_role<'e, E>(ex: E, project_id: Uuid, user_id: Uuid) -> Result<Option<Role>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let role: Option<String> =
        sqlx::query_scalar("SELECT role FROM members WHERE project_id = $1 AND user_id = $2")
            .bind(project_id.to_string())
            .bind(user_id.to_string())
            .fetch_optional(ex)
            .await?;
    role.map(|r| enum_from(&r)).transpose()
}

fn outbox_from(r: &AnyRow) -> Result<OutboxEvent> {
    Ok(OutboxEvent {
        id: r.try_get("id")?,
        topic: r.try_get("topic")?,
        key: r.try_get("event_key")?,
        payload: r.try_get("payload")?,
    })
}

fn user_from(r: &AnyRow) -> Result<User> {
    Ok(User {
        id: uuid(r, "id")?,
        email: r.try_get("email")?,
        display_name: r.try_get("display_name")?,
        created_at: from_micros(r.try_get("created_at")?),
    })
}

fn encode_cursor(position: f64, id: &str) -> String {
    format!("{:016x}.{id}", position.to_bits())
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_cursor(cursor: &str) -> Option<(f64, String)> {
    if !cursor.is_ascii() || !cursor.len().is_multiple_of(2) || cursor.len() > 200 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&cursor[i..i + 2], 16).ok())
        .collect();
    let text = String::from_utf8(bytes?).ok()?;
    let (bits, id) = text.split_once('.')?;
    Uuid::parse_str(id).ok()?;
    Some((
        f64::from_bits(u64::from_str_radix(bits, 16).ok()?),
        id.to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_task_columns_follow_the_column_list() {
        let qualified: Vec<String> = TASK_COLUMNS.split(", ").map(|c| format!("t.{c}")).collect();
        assert_eq!(T_TASK_COLUMNS, qualified.join(", "));
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let id = Uuid::now_v7().to_string();
        let c = encode_cursor(2048.5, &id);
        assert_eq!(decode_cursor(&c), Some((2048.5, id)));
        for bad in ["", "zz", "abc", "00", &"ab".repeat(150), "aéa", "é1"] {
            assert_eq!(decode_cursor(bad), None, "{bad}");
        }
    }
}
