//! The gRPC interface (tonic): `scoring.v1.Scoring` from `proto/scoring/v1/scoring.proto`,
//! with `grpc.health.v1` and server reflection beside it.

use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use tokio_stream::Stream;
use tonic::{Code, Request, Response, Status};
use uuid::Uuid;

use crate::scoring::{At, FieldError, TaskInput};
use crate::service::{Error, Risk, Service};

/// The generated code.
pub mod pb {
    tonic::include_proto!("scoring.v1");
    /// The descriptor set, for reflection.
    pub const DESCRIPTOR: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/scoring_descriptor.bin"));
}

use pb::scoring_server::{Scoring, ScoringServer};

impl From<Error> for Status {
    fn from(e: Error) -> Status {
        let code = match &e {
            Error::Unauthenticated(_) => Code::Unauthenticated,
            Error::RateLimited => Code::ResourceExhausted,
            Error::Invalid(_) | Error::BatchSize { .. } => Code::InvalidArgument,
            Error::NotFound(_) => Code::NotFound,
            Error::NoModel(_) => Code::Unavailable,
        };
        Status::new(code, e.to_string())
    }
}

fn invalid(field: String, message: String) -> Error {
    Error::Invalid(FieldError { field, message })
}

/// A protobuf task as the shared input, every field checked (proto3 has no "missing": an
/// empty project id or priority is reported as missing).
fn task_input(t: Option<&pb::Task>, at: At) -> Result<TaskInput, Error> {
    let t = t.ok_or_else(|| invalid(at.to_string(), "missing".into()))?;
    let project_id = if t.project_id.is_empty() {
        return Err(invalid(format!("{at}.project_id"), "missing".into()));
    } else {
        Uuid::parse_str(&t.project_id).map_err(|_| {
            invalid(
                format!("{at}.project_id"),
                format!("`{}` is not a UUID", t.project_id),
            )
        })?
    };
    if t.priority.is_empty() {
        return Err(invalid(format!("{at}.priority"), "missing".into()));
    }
    let due_date = match t.due_date.as_str() {
        "" => None,
        d => Some(d.parse::<NaiveDate>().map_err(|_| {
            invalid(
                format!("{at}.due_date"),
                format!("`{d}` is not a date (YYYY-MM-DD)"),
            )
        })?),
    };
    let created_at = match t.created_at.as_str() {
        "" => None,
        c => Some(
            DateTime::parse_from_rfc3339(c)
                .map_err(|_| {
                    invalid(
                        format!("{at}.created_at"),
                        format!("`{c}` is not an RFC 3339 time"),
                    )
                })?
                .with_timezone(&Utc),
        ),
    };
    Ok(TaskInput {
        project_id,
        priority: t.priority.clone(),
        due_date,
        label_count: t.label_count,
        description_length: t.description_length,
        has_assignee: t.has_assignee,
        created_at,
    })
}

fn caller<T>(svc: &Service, req: &Request<T>) -> Result<(Uuid, u64), Status> {
    let auth = req
        .metadata()
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    svc.caller(auth).map_err(Status::from)
}

fn score_pb(s: &crate::scoring::Score) -> pb::Score {
    pb::Score {
        probability: s.probability,
        late: s.late,
        threshold: s.threshold,
        project_open_load: s.project_open_load,
        project_throughput_28d: s.project_throughput_28d,
    }
}

fn risk_pb(r: &Risk) -> pb::ProjectRisk {
    pb::ProjectRisk {
        project_id: r.project_id.to_string(),
        open_load: r.figures.open_load,
        throughput_28d: r.figures.throughput_28d,
        typical_probability: r.typical_probability.unwrap_or(f64::NAN),
        model_version: r.model_version.unwrap_or(0),
        updated_at: r.updated_at().unwrap_or_default(),
    }
}

/// The service implementation.
pub struct Api {
    pub svc: Arc<Service>,
}

type RiskStream = Pin<Box<dyn Stream<Item = Result<pb::ProjectRisk, Status>> + Send>>;

#[tonic::async_trait]
impl Scoring for Api {
    async fn score(
        &self,
        req: Request<pb::ScoreRequest>,
    ) -> Result<Response<pb::ScoreResponse>, Status> {
        let (user, _) = caller(&self.svc, &req)?;
        let task = task_input(req.get_ref().task.as_ref(), At::Task)?;
        let (model_version, scores) =
            self.svc
                .score(&user, std::slice::from_ref(&task), false, Utc::now())?;
        Ok(Response::new(pb::ScoreResponse {
            score: scores.first().map(score_pb),
            model_version,
        }))
    }

    async fn score_batch(
        &self,
        req: Request<pb::ScoreBatchRequest>,
    ) -> Result<Response<pb::ScoreBatchResponse>, Status> {
        let (user, _) = caller(&self.svc, &req)?;
        let tasks = &req.get_ref().tasks;
        // Before converting: an oversized batch is refused as such, not by its first bad task.
        if tasks.len() > self.svc.max_batch {
            return Err(Error::BatchSize {
                got: tasks.len(),
                max: self.svc.max_batch,
            }
            .into());
        }
        let inputs = tasks
            .iter()
            .enumerate()
            .map(|(i, t)| task_input(Some(t), At::Tasks(i)))
            .collect::<Result<Vec<_>, _>>()?;
        let (model_version, scores) = self.svc.score(&user, &inputs, true, Utc::now())?;
        Ok(Response::new(pb::ScoreBatchResponse {
            scores: scores.iter().map(score_pb).collect(),
            model_version,
        }))
    }

    type WatchRiskStream = RiskStream;

    async fn watch_risk(
        &self,
        req: Request<pb::WatchRiskRequest>,
    ) -> Result<Response<RiskStream>, Status> {
        let (user, exp) = caller(&self.svc, &req)?;
        let id = &req.get_ref().project_id;
        let project = Uuid::parse_str(id).map_err(|_| {
            Status::from(invalid(
                "project_id".into(),
                format!("`{id}` is not a UUID"),
            ))
        })?;
        let first = self.svc.risk(&user, &project, Utc::now())?;
        let mut changes = self.svc.changes.subscribe();
        let svc = self.svc.clone();
        let stream = async_stream(move |tx| async move {
            if tx.send(Ok(risk_pb(&first))).await.is_err() {
                return;
            }
            let expires = tokio::time::Instant::now()
                + std::time::Duration::from_secs(
                    exp.saturating_sub(Utc::now().timestamp().max(0) as u64),
                );
            loop {
                let changed = tokio::select! {
                    c = changes.recv() => c,
                    _ = tokio::time::sleep_until(expires) => {
                        let _ = tx.send(Err(Status::unauthenticated("the access token expired"))).await;
                        return;
                    }
                    _ = tx.closed() => return,
                };
                match changed {
                    Ok(p) if p != project => continue,
                    // Lagged: some changes were missed; the current figures cover them.
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
                let item = svc
                    .risk(&user, &project, Utc::now())
                    .map(|r| risk_pb(&r))
                    .map_err(Status::from);
                let end = item.is_err();
                if tx.send(item).await.is_err() || end {
                    return;
                }
            }
        });
        Ok(Response::new(stream))
    }
}

/// A stream fed by a task through a small channel (ends when the task returns).
fn async_stream<F, Fut>(f: F) -> RiskStream
where
    F: FnOnce(tokio::sync::mpsc::Sender<Result<pb::ProjectRisk, Status>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(f(tx));
    Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))
}

/// The scoring service, for the router.
pub fn server(svc: Arc<Service>) -> ScoringServer<Api> {
    ScoringServer::new(Api { svc }).max_decoding_message_size(1 << 20)
}
