//! The resilience and observability layers both servers wear: a global concurrency limit per
//! protocol with load shedding (a full service answers at once, never queues), a timeout, and
//! a latency histogram per route, outcome and model version.
//!
//! REST uses tower's `LoadShed`, `GlobalConcurrencyLimit` and `Timeout` under axum's
//! `HandleErrorLayer` ([`crate::http::router`]); gRPC the same three tower layers, their
//! errors mapped to `UNAVAILABLE` / `DEADLINE_EXCEEDED` statuses ([`grpc_stack`]).

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::Semaphore;
use tower::layer::util::{Identity, Stack};
use tower::{BoxError, Layer};

use crate::service::Service;

/// The limits the stacks share.
#[derive(Clone)]
pub struct Limits {
    pub rest: Arc<Semaphore>,
    pub grpc: Arc<Semaphore>,
    pub timeout: Duration,
}

impl Limits {
    pub fn new(max_in_flight: usize, timeout: Duration) -> Limits {
        Limits {
            rest: Arc::new(Semaphore::new(max_in_flight.max(1))),
            grpc: Arc::new(Semaphore::new(max_in_flight.max(1))),
            timeout,
        }
    }
}

/// The routes the latency histogram names (anything else is `other`, so a scan of random
/// paths cannot grow the metrics without bound).
const REST_ROUTES: &[&str] = &[
    "/v1/score",
    "/v1/projects/{id}/risk",
    "/healthz",
    "/readyz",
    "/metrics",
];
const GRPC_ROUTES: &[&str] = &[
    "/scoring.v1.Scoring/Score",
    "/scoring.v1.Scoring/ScoreBatch",
    "/scoring.v1.Scoring/WatchRisk",
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
];

fn known(route: &str, routes: &[&'static str]) -> &'static str {
    routes
        .iter()
        .find(|r| **r == route)
        .copied()
        .unwrap_or("other")
}

type HandleKey = (&'static str, &'static str, u16, Option<u32>);

/// The latency histograms' handles, one per protocol × route × status × model version,
/// registered once: looking a labelled histogram up in the recorder on every request (label
/// strings built, hashed and compared) cost about an eighth of the gRPC throughput.
#[derive(Default)]
pub struct LatencyHandles(
    std::sync::RwLock<std::collections::HashMap<HandleKey, metrics::Histogram>>,
);

impl LatencyHandles {
    fn get(&self, key: HandleKey) -> metrics::Histogram {
        if let Some(h) = self.0.read().expect("handles lock").get(&key) {
            return h.clone();
        }
        let (protocol, route, status, version) = key;
        let h = metrics::histogram!(
            "scoring_request_duration_seconds",
            "protocol" => protocol,
            "route" => route,
            "status" => status.to_string(),
            "model_version" => version.map_or_else(|| "none".to_string(), |v| v.to_string()),
        );
        self.0.write().expect("handles lock").insert(key, h.clone());
        h
    }

    /// Records one request's duration.
    pub fn record(
        &self,
        protocol: &'static str,
        route: &'static str,
        status: u16,
        model_version: Option<u32>,
        secs: f64,
    ) {
        self.get((protocol, route, status, model_version))
            .record(secs);
    }
}

/// Records `scoring_request_duration_seconds{protocol="rest", route, status, model_version}`.
pub async fn rest_metrics(State(svc): State<Arc<Service>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("other", |m| known(m.as_str(), REST_ROUTES));
    let started = Instant::now();
    let response = next.run(req).await;
    svc.latency.record(
        "rest",
        route,
        response.status().as_u16(),
        svc.slot.version(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// The layers of [`grpc_stack`], outermost last.
pub type GrpcStack = Stack<
    tower::timeout::TimeoutLayer,
    Stack<
        tower::limit::GlobalConcurrencyLimitLayer,
        Stack<tower::load_shed::LoadShedLayer, Stack<StatusOnError, Stack<GrpcMetrics, Identity>>>,
    >,
>;

/// The gRPC stack around tonic's router: metrics outermost, then shed / limit / timeout with
/// their errors turned into statuses.
pub fn grpc_stack(svc: Arc<Service>, limits: &Limits) -> tower::ServiceBuilder<GrpcStack> {
    tower::ServiceBuilder::new()
        .layer(GrpcMetrics { svc })
        .layer(StatusOnError)
        .load_shed()
        .layer(tower::limit::GlobalConcurrencyLimitLayer::with_semaphore(
            limits.grpc.clone(),
        ))
        .timeout(limits.timeout)
}

/// Turns a shed or a timeout into a trailers-only gRPC answer.
#[derive(Clone, Copy)]
pub struct StatusOnError;

impl<S> Layer<S> for StatusOnError {
    type Service = StatusOnErrorService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        StatusOnErrorService { inner }
    }
}

#[derive(Clone)]
pub struct StatusOnErrorService<S> {
    inner: S,
}

/// The status for an error of the stack.
pub fn status_of(e: &BoxError) -> tonic::Status {
    if e.is::<tower::load_shed::error::Overloaded>() {
        metrics::counter!("scoring_rejected_total", "protocol" => "grpc", "reason" => "shed")
            .increment(1);
        tonic::Status::unavailable("overloaded: too many requests in flight; retry shortly")
    } else if e.is::<tower::timeout::error::Elapsed>() {
        metrics::counter!("scoring_rejected_total", "protocol" => "grpc", "reason" => "timeout")
            .increment(1);
        tonic::Status::deadline_exceeded("the request took longer than the service's timeout")
    } else {
        tonic::Status::internal(format!("the request failed: {e}"))
    }
}

impl<S, Req, B> tower::Service<Req> for StatusOnErrorService<S>
where
    S: tower::Service<Req, Response = http::Response<B>>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    B: Default,
{
    type Response = http::Response<B>;
    type Error = std::convert::Infallible;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        match self.inner.poll_ready(cx) {
            Poll::Pending => Poll::Pending,
            // Readiness errors surface through `call` (LoadShed reports them there).
            Poll::Ready(_) => Poll::Ready(Ok(())),
        }
    }

    fn call(&mut self, req: Req) -> Self::Future {
        let fut = self.inner.call(req);
        Box::pin(async move {
            match fut.await {
                Ok(r) => Ok(r),
                Err(e) => Ok(status_of(&e.into()).into_http()),
            }
        })
    }
}

/// Records `scoring_request_duration_seconds{protocol="grpc", route, status, model_version}`
/// (route: the method's path; status: the gRPC code of a trailers-only answer, else `0`,
/// since a streamed answer's status arrives after the headers).
#[derive(Clone)]
pub struct GrpcMetrics {
    svc: Arc<Service>,
}

impl<S> Layer<S> for GrpcMetrics {
    type Service = GrpcMetricsService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        GrpcMetricsService {
            inner,
            svc: self.svc.clone(),
        }
    }
}

#[derive(Clone)]
pub struct GrpcMetricsService<S> {
    inner: S,
    svc: Arc<Service>,
}

impl<S, B, RB> tower::Service<http::Request<B>> for GrpcMetricsService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<RB>;
    type Error = S::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let route = known(req.uri().path(), GRPC_ROUTES);
        let svc = self.svc.clone();
        let started = Instant::now();
        let fut = self.inner.call(req);
        Box::pin(async move {
            let r = fut.await;
            if let Ok(resp) = &r {
                let code = resp
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                svc.latency.record(
                    "grpc",
                    route,
                    code,
                    svc.slot.version(),
                    started.elapsed().as_secs_f64(),
                );
            }
            r
        })
    }
}
