//! The REST interface (axum): `POST /v1/score`, `GET /v1/projects/{id}/risk`, `/healthz`,
//! `/readyz`, `/metrics`. Errors are `application/problem+json` (RFC 9457) naming what is
//! wrong and where.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{BoxError, Json, Router};
use serde::{Deserialize, Serialize};
use tower::ServiceBuilder;
use uuid::Uuid;

use crate::layers::{self, Limits};
use crate::scoring::{Score, TaskInput};
use crate::service::{Error, Service};

/// The body of `POST /v1/score`: one `task`, or a batch of `tasks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreBody {
    #[serde(default)]
    pub task: Option<TaskInput>,
    #[serde(default)]
    pub tasks: Option<Vec<TaskInput>>,
}

#[derive(Serialize)]
struct ScoreOne {
    model_version: u32,
    score: Score,
}

#[derive(Serialize)]
struct ScoreMany {
    model_version: u32,
    scores: Vec<Score>,
}

#[derive(Serialize)]
struct RiskBody {
    project_id: Uuid,
    open_load: i64,
    throughput_28d: i64,
    typical_probability: Option<f64>,
    model_version: Option<u32>,
    updated_at: Option<String>,
}

/// A problem document.
pub fn problem(status: StatusCode, detail: &str) -> Response {
    let body = serde_json::json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    let mut r = (status, Json(body)).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    r
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = match &self {
            Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Error::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::BatchSize { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::NoModel(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        let mut r = problem(status, &self.to_string());
        match self {
            Error::Unauthenticated(_) => {
                r.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Error::RateLimited => {
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        r
    }
}

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

async fn score(
    State(svc): State<Arc<Service>>,
    headers: HeaderMap,
    body: Result<Json<ScoreBody>, JsonRejection>,
) -> Response {
    let (user, _) = match svc.caller(authorization(&headers)) {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    let body = match body {
        Ok(Json(b)) => b,
        Err(rejection) => return json_problem(rejection),
    };
    let now = chrono::Utc::now();
    match (body.task, body.tasks) {
        (Some(task), None) => match svc.score(&user, std::slice::from_ref(&task), false, now) {
            Ok((model_version, mut scores)) => Json(ScoreOne {
                model_version,
                score: scores.pop().expect("one score"),
            })
            .into_response(),
            Err(e) => e.into_response(),
        },
        (None, Some(tasks)) => match svc.score(&user, &tasks, true, now) {
            Ok((model_version, scores)) => Json(ScoreMany {
                model_version,
                scores,
            })
            .into_response(),
            Err(e) => e.into_response(),
        },
        _ => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the body holds either `task` (one task) or `tasks` (a batch), not both or neither",
        ),
    }
}

/// A body that is not the expected JSON: serde's message with the field's path.
fn json_problem(rejection: JsonRejection) -> Response {
    let status = match &rejection {
        JsonRejection::JsonDataError(_) => StatusCode::UNPROCESSABLE_ENTITY,
        JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        JsonRejection::BytesRejection(_) => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_REQUEST,
    };
    problem(status, &rejection.body_text())
}

async fn risk(
    State(svc): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (user, _) = match svc.caller(authorization(&headers)) {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    let Ok(project) = Uuid::parse_str(&id) else {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("path: `{id}` is not a project id (a UUID)"),
        );
    };
    match svc.risk(&user, &project, chrono::Utc::now()) {
        Ok(r) => Json(RiskBody {
            project_id: r.project_id,
            open_load: r.figures.open_load,
            throughput_28d: r.figures.throughput_28d,
            typical_probability: r.typical_probability,
            model_version: r.model_version,
            updated_at: r.updated_at(),
        })
        .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn readyz(State(svc): State<Arc<Service>>) -> Response {
    let consuming = svc.consuming.load(std::sync::atomic::Ordering::Relaxed);
    match (svc.slot.version(), consuming) {
        (Some(v), true) => {
            Json(serde_json::json!({"status": "ready", "model_version": v})).into_response()
        }
        (None, _) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            &Error::NoModel(svc.stage.clone()).to_string(),
        ),
        (Some(_), false) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "the aggregates' consumer has no partitions yet",
        ),
    }
}

/// The REST router: `/v1` behind the shed / concurrency / timeout stack; the probes and
/// `/metrics` outside it, so an overloaded service still answers its health checks.
pub fn router(svc: Arc<Service>, limits: &Limits, metrics: Arc<telemetry::Telemetry>) -> Router {
    let guarded = ServiceBuilder::new()
        .layer(axum::error_handling::HandleErrorLayer::new(
            |e: BoxError| async move { overload(e) },
        ))
        .load_shed()
        .layer(tower::limit::GlobalConcurrencyLimitLayer::with_semaphore(
            limits.rest.clone(),
        ))
        .timeout(limits.timeout);
    let api = Router::new()
        .route("/v1/score", post(score))
        .route("/v1/projects/{id}/risk", get(risk))
        .route_layer(guarded)
        .layer(axum::middleware::from_fn(read_body))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    Router::new()
        .merge(api)
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route(
            "/metrics",
            get(move || {
                let m = metrics.clone();
                async move { m.render() }
            }),
        )
        .fallback(|| async { problem(StatusCode::NOT_FOUND, "no such route") })
        .layer(axum::middleware::from_fn_with_state(
            svc.clone(),
            layers::rest_metrics,
        ))
        .with_state(svc)
}

/// The largest request body taken (a batch of 1,000 tasks is about 200 KB).
const BODY_LIMIT: usize = 1 << 20;

/// Reads the whole body before the shed layer decides: a request shed with its body unread
/// would make the server close the connection under a client still sending, which sees a
/// broken pipe instead of the 503.
async fn read_body(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => {
            next.run(axum::extract::Request::from_parts(
                parts,
                axum::body::Body::from(bytes),
            ))
            .await
        }
        Err(_) => problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the body is larger than {BODY_LIMIT} bytes (or was cut off)"),
        ),
    }
}

/// A request the stack refused: shed (503 with Retry-After) or timed out (503).
fn overload(e: BoxError) -> Response {
    let (detail, timeout) = if e.is::<tower::load_shed::error::Overloaded>() {
        (
            "overloaded: too many requests in flight; retry shortly",
            false,
        )
    } else if e.is::<tower::timeout::error::Elapsed>() {
        ("the request took longer than the service's timeout", true)
    } else {
        ("the request failed", false)
    };
    metrics::counter!(
        "scoring_rejected_total",
        "protocol" => "rest",
        "reason" => if timeout { "timeout" } else { "shed" }
    )
    .increment(1);
    let mut r = problem(StatusCode::SERVICE_UNAVAILABLE, detail);
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}
