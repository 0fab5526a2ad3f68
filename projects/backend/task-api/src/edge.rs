//! The per-route edge of every request, in one tower layer: the rate limits (`limits.rs`),
//! the HTTP metrics (`http_requests_total`, `http_request_duration_seconds` by method, route
//! and status) and the push feed's wake-up after a successful write.
//!
//! One hand-written service instead of three `middleware::from_fn` layers because a request
//! passes it on the hot path: `from_fn` clones the whole service stack below it on every call
//! and the `metrics!` macros built their label strings per request; here the state is one
//! `Arc`, the inner service is called in place, and each (route, method, status) resolves its
//! metric handles once (`bench/http-ceiling.sh` measures the difference).

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::Method;
use axum::response::Response;
use metrics::{Counter, Histogram};
use tower::{Layer, Service};

use crate::limits::Limits;

/// The label of requests no route matched (the fallback's 404s).
const UNMATCHED: &str = "unmatched";

struct Shared {
    limits: Limits,
    feed_wake: Arc<tokio::sync::Notify>,
    metrics: RouteMetrics,
}

/// The layer; see the module docs.
#[derive(Clone)]
pub struct EdgeLayer(Arc<Shared>);

impl EdgeLayer {
    pub fn new(limits: Limits, feed_wake: Arc<tokio::sync::Notify>) -> EdgeLayer {
        EdgeLayer(Arc::new(Shared {
            limits,
            feed_wake,
            metrics: RouteMetrics::default(),
        }))
    }
}

impl<S> Layer<S> for EdgeLayer {
    type Service = Edge<S>;

    fn layer(&self, inner: S) -> Edge<S> {
        Edge {
            shared: self.0.clone(),
            inner,
        }
    }
}

#[derive(Clone)]
pub struct Edge<S> {
    shared: Arc<Shared>,
    inner: S,
}

impl<S> Service<Request> for Edge<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let start = Instant::now();
        let handles = self.shared.metrics.route(
            req.method(),
            req.extensions()
                .get::<MatchedPath>()
                .map_or(UNMATCHED, MatchedPath::as_str),
        );
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        if let Some(peer) = peer
            && let Some(refused) = self.shared.limits.refusal(peer, &mut req)
        {
            handles.record(refused.status().as_u16(), start);
            return Box::pin(std::future::ready(Ok(refused)));
        }
        let write = !req.method().is_safe();
        let shared = self.shared.clone();
        let response = self.inner.call(req);
        Box::pin(async move {
            let res = response.await?;
            handles.record(res.status().as_u16(), start);
            if write && res.status().is_success() {
                shared.feed_wake.notify_one();
            }
            Ok(res)
        })
    }
}

/// The metric handles of one route and method.
pub struct Handles {
    method: &'static str,
    route: &'static str,
    duration: Histogram,
    by_status: RwLock<Vec<(u16, Counter)>>,
}

impl Handles {
    fn record(&self, status: u16, start: Instant) {
        self.duration.record(start.elapsed().as_secs_f64());
        let counted = self
            .by_status
            .read()
            .expect("metrics lock")
            .iter()
            .find(|(s, _)| *s == status)
            .map(|(_, c)| c.increment(1))
            .is_some();
        if !counted {
            let counter = metrics::counter!(
                "http_requests_total",
                "method" => self.method,
                "route" => self.route,
                "status" => status.to_string()
            );
            counter.increment(1);
            self.by_status
                .write()
                .expect("metrics lock")
                .push((status, counter));
        }
    }
}

/// (route → method → handles), filled on first use. Routes and methods are the router's
/// finite set (unmatched paths share one entry), so the leaked label strings are bounded.
#[derive(Default)]
struct RouteMetrics {
    routes: RwLock<HashMap<String, Vec<Arc<Handles>>>>,
}

impl RouteMetrics {
    fn route(&self, method: &Method, route: &str) -> Arc<Handles> {
        let method = label(method);
        let find =
            |by_method: &Vec<Arc<Handles>>| by_method.iter().find(|h| h.method == method).cloned();
        if let Some(found) = self
            .routes
            .read()
            .expect("metrics lock")
            .get(route)
            .and_then(find)
        {
            return found;
        }
        let mut routes = self.routes.write().expect("metrics lock");
        let by_method = routes.entry(route.to_string()).or_default();
        if let Some(found) = find(by_method) {
            return found;
        }
        let method: &'static str = leak(method);
        let route: &'static str = leak(route);
        let handles = Arc::new(Handles {
            method,
            route,
            duration: metrics::histogram!(
                "http_request_duration_seconds",
                "method" => method,
                "route" => route
            ),
            by_status: RwLock::new(Vec::new()),
        });
        by_method.push(handles.clone());
        handles
    }
}

/// The method's label: the standard ones by name, any other as `OTHER` (so a client cannot
/// grow the label set).
fn label(method: &Method) -> &str {
    match method.as_str() {
        known @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" | "CONNECT"
        | "TRACE") => known,
        _ => "OTHER",
    }
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}
