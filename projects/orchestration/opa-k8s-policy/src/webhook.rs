//! `admission-policy serve`: a Kubernetes validating admission webhook (AdmissionReview v1)
//! over TLS that answers with the same policies as `eval`.
//!
//! - `POST /validate`: an `AdmissionReview` in, an `AdmissionReview` out — `allowed: false` with
//!   every violation in `status.message` (each names its policy), or allowed. A request without
//!   an object (a DELETE) is allowed. A malformed body gets HTTP 400 with a JSON `error`; a
//!   review whose object cannot be evaluated is refused (fail closed) with the reason.
//! - `GET /metrics`: `admission_decisions_total{policy,result}`,
//!   `admission_requests_total{result}` and the `admission_decision_seconds` histogram.
//! - `GET /healthz`.
//!
//! Each decision is a JSON line in the audit log (time, uid, operation, kind, namespace, name,
//! allowed, violations, microseconds).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::Policies;

/// Latency buckets of `admission_decision_seconds`.
const BUCKETS: [f64; 9] = [
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.05, 0.25,
];

#[derive(Default)]
struct Metrics {
    decisions: BTreeMap<(String, &'static str), u64>,
    requests: BTreeMap<&'static str, u64>,
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

pub struct Webhook {
    policies: Policies,
    params: serde_json::Value,
    metrics: Mutex<Metrics>,
    audit: Mutex<Box<dyn std::io::Write + Send>>,
}

impl Webhook {
    pub fn new(
        policies: Policies,
        params: serde_json::Value,
        audit: Box<dyn std::io::Write + Send>,
    ) -> Arc<Webhook> {
        Arc::new(Webhook {
            policies,
            params,
            metrics: Mutex::new(Metrics::default()),
            audit: Mutex::new(audit),
        })
    }

    /// The answer to one AdmissionReview body: (HTTP status, JSON).
    pub fn review(&self, body: &[u8]) -> (StatusCode, serde_json::Value) {
        let start = Instant::now();
        let review: serde_json::Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => return self.malformed(format!("the body is not JSON: {e}")),
        };
        if review["kind"] != "AdmissionReview" {
            return self.malformed("not an AdmissionReview (kind)".into());
        }
        let api = review["apiVersion"].as_str().unwrap_or("");
        if api != "admission.k8s.io/v1" {
            return self.malformed(format!(
                "apiVersion `{api}`: this webhook answers admission.k8s.io/v1"
            ));
        }
        let request = &review["request"];
        let Some(uid) = request["uid"].as_str() else {
            return self.malformed("request.uid is missing".into());
        };
        let object = &request["object"];
        let (allowed, violations, error) = if object.is_null() {
            (true, Vec::new(), None) // DELETE and CONNECT carry no object
        } else if !object.is_object() || object["kind"].as_str().is_none() {
            (
                false,
                Vec::new(),
                Some("request.object is not a Kubernetes object".to_string()),
            )
        } else {
            match self.policies.evaluate(object, &self.params) {
                Ok(v) => (v.is_empty(), v, None),
                Err(e) => (
                    false,
                    Vec::new(),
                    Some(format!("policy evaluation failed: {e}")),
                ),
            }
        };
        let elapsed = start.elapsed();
        let mut response = json!({ "uid": uid, "allowed": allowed });
        if !allowed {
            let message = match &error {
                Some(e) => e.clone(),
                None => violations
                    .iter()
                    .map(|v| v.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            };
            response["status"] = json!({
                "code": if error.is_some() { 400 } else { 403 },
                "reason": if error.is_some() { "BadRequest" } else { "Forbidden" },
                "message": message,
            });
        }
        self.record(&violations, allowed, elapsed.as_secs_f64());
        let name = object["metadata"]["name"].as_str().unwrap_or("");
        let line = json!({
            "time": now_rfc3339(),
            "uid": uid,
            "operation": request["operation"],
            "kind": object["kind"],
            "namespace": request["namespace"],
            "name": name,
            "allowed": allowed,
            "violations": violations,
            "error": error,
            "micros": elapsed.as_micros() as u64,
        });
        if let Ok(mut w) = self.audit.lock() {
            let _ = writeln!(w, "{line}");
            let _ = w.flush();
        }
        (
            StatusCode::OK,
            json!({
                "apiVersion": "admission.k8s.io/v1",
                "kind": "AdmissionReview",
                "response": response,
            }),
        )
    }

    fn malformed(&self, error: String) -> (StatusCode, serde_json::Value) {
        if let Ok(mut m) = self.metrics.lock() {
            *m.requests.entry("malformed").or_default() += 1;
        }
        (StatusCode::BAD_REQUEST, json!({ "error": error }))
    }

    fn record(&self, violations: &[crate::Violation], allowed: bool, seconds: f64) {
        let Ok(mut m) = self.metrics.lock() else {
            return;
        };
        *m.requests
            .entry(if allowed { "allowed" } else { "denied" })
            .or_default() += 1;
        for p in &self.policies.list {
            let denied = violations.iter().any(|v| v.policy == p.id);
            *m.decisions
                .entry((p.id.clone(), if denied { "deny" } else { "allow" }))
                .or_default() += 1;
        }
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                m.buckets[i] += 1;
            }
        }
        m.count += 1;
        m.sum += seconds;
    }

    /// Prometheus text exposition.
    pub fn metrics_text(&self) -> String {
        let m = self.metrics.lock().unwrap_or_else(|e| e.into_inner());
        let mut s = String::from(
            "# HELP admission_decisions_total Decisions by policy and result.\n# TYPE admission_decisions_total counter\n",
        );
        for ((p, r), n) in &m.decisions {
            s += &format!("admission_decisions_total{{policy=\"{p}\",result=\"{r}\"}} {n}\n");
        }
        s += "# HELP admission_requests_total Admission requests by outcome.\n# TYPE admission_requests_total counter\n";
        for (r, n) in &m.requests {
            s += &format!("admission_requests_total{{result=\"{r}\"}} {n}\n");
        }
        s += "# HELP admission_decision_seconds Time to decide one request.\n# TYPE admission_decision_seconds histogram\n";
        for (i, b) in BUCKETS.iter().enumerate() {
            s += &format!(
                "admission_decision_seconds_bucket{{le=\"{b}\"}} {}\n",
                m.buckets[i]
            );
        }
        s += &format!(
            "admission_decision_seconds_bucket{{le=\"+Inf\"}} {}\nadmission_decision_seconds_sum {}\nadmission_decision_seconds_count {}\n",
            m.count, m.sum, m.count
        );
        s
    }
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub fn router(hook: Arc<Webhook>) -> Router {
    Router::new()
        .route(
            "/validate",
            post(
                |State(h): State<Arc<Webhook>>, body: axum::body::Bytes| async move {
                    let (status, json) = h.review(&body);
                    (status, axum::Json(json)).into_response()
                },
            ),
        )
        .route(
            "/metrics",
            get(|State(h): State<Arc<Webhook>>| async move {
                Response::builder()
                    .header(header::CONTENT_TYPE, "text/plain; version=0.0.4")
                    .body(axum::body::Body::from(h.metrics_text()))
                    .expect("a valid response")
            }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .with_state(hook)
}

/// A TLS server configuration from PEM files (certificate chain, private key).
pub fn tls_config(cert: &Path, key: &Path) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| anyhow::anyhow!("{}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("{}: {e}", cert.display()))?;
    anyhow::ensure!(!certs.is_empty(), "{}: no certificate", cert.display());
    let key =
        PrivateKeyDer::from_pem_file(key).map_err(|e| anyhow::anyhow!("{}: {e}", key.display()))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(certs, key)?;
    Ok(Arc::new(config))
}

/// Serves `router` over TLS on `listener` until the future `stop` completes.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: Router,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    tokio::pin!(stop);
    loop {
        let (tcp, _peer): (tokio::net::TcpStream, SocketAddr) = tokio::select! {
            r = listener.accept() => r?,
            _ = &mut stop => return Ok(()),
        };
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let _ = tcp.set_nodelay(true);
            let Ok(stream) = acceptor.accept(tcp).await else {
                return; // a failed handshake concerns that client only
            };
            let service = hyper_util::service::TowerToHyperService::new(app);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}
