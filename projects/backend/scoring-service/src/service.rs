//! What both protocols share: the model slot, the aggregates, the caller check (token, rate
//! limit, membership) and the scoring operations, with one error type that each protocol
//! turns into its own answer.

use std::num::NonZeroU32;
use std::sync::RwLock;

use access_token::Jwt;
use chrono::{DateTime, Utc};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::aggregates::{Aggregates, ProjectFigures};
use crate::scoring::{self, At, FieldError, Score, TaskInput};
use crate::serving::Slot;

/// Why a request was not answered with a score.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// No token, or not one of ours, or expired.
    Unauthenticated(&'static str),
    /// The caller went over its rate.
    RateLimited,
    /// A bad field.
    Invalid(FieldError),
    /// More tasks than the batch limit (or none).
    BatchSize { got: usize, max: usize },
    /// No project of that id that the caller is a member of (the same answer whether it
    /// exists or not, so ids cannot be probed).
    NotFound(Uuid),
    /// No model loaded yet.
    NoModel(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Unauthenticated(why) => write!(f, "{why}"),
            Error::RateLimited => write!(f, "too many requests from this caller; slow down"),
            Error::Invalid(e) => write!(f, "{e}"),
            Error::BatchSize { got, max } => {
                write!(f, "tasks: a batch holds 1 to {max} tasks, this one {got}")
            }
            Error::NotFound(p) => write!(f, "no project {p} that you are a member of"),
            Error::NoModel(stage) => write!(
                f,
                "no model is serving yet: the registry's {stage} stage has no version (promote one with `mlops promote`)"
            ),
        }
    }
}

/// The shared state.
pub struct Service {
    pub slot: Slot,
    pub aggregates: RwLock<Aggregates>,
    /// Projects whose figures changed (for `WatchRisk`).
    pub changes: broadcast::Sender<Uuid>,
    pub stage: String,
    pub max_batch: usize,
    jwt: Jwt,
    limiter: Option<DefaultKeyedRateLimiter<Uuid>>,
    /// Set once the consumer has its partitions (or runs without a broker).
    pub consuming: std::sync::atomic::AtomicBool,
    /// The latency histograms' handles.
    pub latency: crate::layers::LatencyHandles,
}

impl Service {
    pub fn new(jwt_key: &[u8], stage: &str, max_batch: usize, rate_per_client: u32) -> Service {
        let limiter = NonZeroU32::new(rate_per_client).map(|r| {
            let burst = r.saturating_mul(NonZeroU32::new(2).expect("2"));
            RateLimiter::keyed(Quota::per_second(r).allow_burst(burst))
        });
        Service {
            slot: Slot::default(),
            aggregates: RwLock::new(Aggregates::default()),
            changes: broadcast::channel(1024).0,
            stage: stage.to_string(),
            max_batch,
            jwt: Jwt::new(jwt_key, 0),
            limiter,
            consuming: std::sync::atomic::AtomicBool::new(false),
            latency: crate::layers::LatencyHandles::default(),
        }
    }

    /// The caller of a request with this `authorization` value; counts against its rate.
    /// Returns the user and the token's expiry (Unix seconds).
    pub fn caller(&self, authorization: Option<&str>) -> Result<(Uuid, u64), Error> {
        let header = authorization.ok_or(Error::Unauthenticated(
            "missing credentials: send `authorization: Bearer <access token>` (the task API's)",
        ))?;
        let token = access_token::bearer_token(header).ok_or(Error::Unauthenticated(
            "the authorization scheme must be Bearer",
        ))?;
        let (user, exp) = self.jwt.verify_until(token).ok_or(Error::Unauthenticated(
            "the access token is invalid or expired",
        ))?;
        if let Some(l) = &self.limiter
            && l.check_key(&user).is_err()
        {
            return Err(Error::RateLimited);
        }
        Ok((user, exp))
    }

    /// Scores `tasks` for `user`; every task's project must be one of the user's.
    pub fn score(
        &self,
        user: &Uuid,
        tasks: &[TaskInput],
        batch: bool,
        now: DateTime<Utc>,
    ) -> Result<(u32, Vec<Score>), Error> {
        if tasks.is_empty() || tasks.len() > self.max_batch {
            return Err(Error::BatchSize {
                got: tasks.len(),
                max: self.max_batch,
            });
        }
        let checked = tasks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let at = if batch { At::Tasks(i) } else { At::Task };
                t.check(at, now).map_err(Error::Invalid)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let model = self
            .slot
            .current()
            .ok_or_else(|| Error::NoModel(self.stage.clone()))?;
        let aggregates = self.aggregates.read().expect("aggregates lock");
        let mut scores = Vec::with_capacity(checked.len());
        for c in &checked {
            if !aggregates.is_member(&c.project_id, user) {
                return Err(Error::NotFound(c.project_id));
            }
            scores.push(scoring::score(c, &aggregates, &model));
        }
        Ok((model.version, scores))
    }

    /// The project's live risk for `user`.
    pub fn risk(&self, user: &Uuid, project: &Uuid, now: DateTime<Utc>) -> Result<Risk, Error> {
        let aggregates = self.aggregates.read().expect("aggregates lock");
        if !aggregates.is_member(project, user) {
            return Err(Error::NotFound(*project));
        }
        let figures = aggregates.figures(project, now.timestamp_micros());
        let model = self.slot.current();
        let typical = model
            .as_ref()
            .map(|m| scoring::typical(*project, now, &aggregates, m).probability);
        Ok(Risk {
            project_id: *project,
            figures,
            typical_probability: typical,
            model_version: model.map(|m| m.version),
        })
    }
}

/// A project's live risk.
#[derive(Debug, Clone, PartialEq)]
pub struct Risk {
    pub project_id: Uuid,
    pub figures: ProjectFigures,
    /// What a typical new task would score (no model yet: none).
    pub typical_probability: Option<f64>,
    pub model_version: Option<u32>,
}

impl Risk {
    pub fn updated_at(&self) -> Option<String> {
        (self.figures.updated_us > 0)
            .then(|| DateTime::from_timestamp_micros(self.figures.updated_us))
            .flatten()
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    }
}
