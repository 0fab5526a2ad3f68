//! The task domain shared by the task API and (later) the GraphQL API.
//!
//! - `types`: values valid by construction and the inputs of write operations, with
//!   field-level validation.
//! - `store`: the repository on SQLite or PostgreSQL (one set of portable migrations, sqlx's
//!   `Any` driver). Every read and write takes the acting user and enforces membership and
//!   roles here, in one place: a non-member gets `NotFound` (existence is not leaked), a viewer
//!   gets `Forbidden` on writes. Every change writes its CloudEvent to the outbox in the same
//!   transaction.

mod cache;
pub mod store;
pub mod types;

pub use store::{
    ANALYTICS_WEEKS, Analytics, CounterChange, Member, Page, Project, Store, TaskQuery, User,
    WeekCount,
};
pub use types::*;

/// Everything that can go wrong in the domain; the API maps each to an HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// `If-Match` named a version that is no longer current.
    #[error("precondition failed: the resource is at version {current}")]
    Stale { current: i64 },
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

pub type Result<T, E = DomainError> = std::result::Result<T, E>;
