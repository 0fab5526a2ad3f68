//! Telemetry every Rust service of the platform uses: `tracing` logs (text or JSON, filtered
//! by `RUST_LOG`) and Prometheus metrics through the `metrics` facade.
//!
//! A service calls [`init`] once at start-up and serves [`Telemetry::render`] at `/metrics`.
//! Invariant: this crate does no network I/O of its own; serving `/metrics` is the
//! service's job (its HTTP stack), so there is one listener per service.
//!
//! With the `otlp` cargo feature, spans are also exported over OTLP/HTTP (protobuf) when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set (plain HTTP, e.g. a collector on the same host).

use std::io::Write;
use std::str::FromStr;
use std::sync::Mutex;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Layered, SubscriberExt};
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines, for terminals.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

impl FromStr for LogFormat {
    type Err = TelemetryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "text" | "pretty" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(TelemetryError::BadFormat(other.to_string())),
        }
    }
}

/// Settings of [`init`]; [`TelemetryConfig::from_env`] reads the usual variables.
#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    /// Service name, added to every log line and as the `service` label of every metric.
    pub service: String,
    pub format: LogFormat,
    /// An `EnvFilter` directive such as `info,tower_http=debug`.
    pub filter: String,
    /// OTLP/HTTP base URL (`http://127.0.0.1:4318`); spans go to `<url>/v1/traces`.
    pub otlp_endpoint: Option<String>,
}

impl TelemetryConfig {
    /// `RUST_LOG` (default [`default_filter`]: the service's own INFO, dependencies' warnings),
    /// `LOG_FORMAT` (`text` or `json`, default `text`) and `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// (unset: no trace export).
    pub fn from_env(service: &str) -> Result<Self, TelemetryError> {
        let format = match std::env::var("LOG_FORMAT") {
            Ok(v) => v.parse()?,
            Err(_) => LogFormat::Text,
        };
        Ok(TelemetryConfig {
            service: service.to_string(),
            format,
            filter: std::env::var("RUST_LOG").unwrap_or_else(|_| default_filter(service)),
            otlp_endpoint: std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
                .ok()
                .filter(|s| !s.is_empty()),
        })
    }
}

/// The log filter when `RUST_LOG` is unset: INFO from the service's own crate (`task-api` →
/// `task_api`) and the workspace's shared crates, WARN and above from dependencies (whose INFO
/// lines, such as a Delta commit's, are per-operation noise to an operator).
pub fn default_filter(service: &str) -> String {
    let own = service.replace('-', "_");
    format!("warn,{own}=info,tasks_domain=info,events=info,telemetry=info,config=info")
}

#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("LOG_FORMAT `{0}` is not one of text, json")]
    BadFormat(String),
    #[error("RUST_LOG `{0}` is not a valid filter: {1}")]
    BadFilter(String, String),
    #[error("telemetry is already initialised in this process")]
    AlreadyInitialised,
    #[error(
        "OTEL_EXPORTER_OTLP_ENDPOINT is set but this binary was built without the `otlp` feature"
    )]
    OtlpNotBuilt,
    #[error("OTLP exporter for `{0}`: {1}")]
    Otlp(String, String),
}

/// Keeps trace export alive; [`TraceGuard::shutdown`] flushes what is still buffered.
#[derive(Clone, Default)]
pub struct TraceGuard {
    #[cfg(feature = "otlp")]
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl TraceGuard {
    /// Flushes and stops trace export (a no-op without OTLP). Call before the process exits.
    pub fn shutdown(&self) {
        #[cfg(feature = "otlp")]
        if let Some(p) = &self.provider {
            let _ = p.shutdown();
        }
    }
}

/// Handle to the installed telemetry; keep it for the life of the service.
#[derive(Clone)]
pub struct Telemetry {
    prometheus: PrometheusHandle,
    traces: TraceGuard,
}

impl Telemetry {
    /// Flushes exported traces; call before exit.
    pub fn shutdown(&self) {
        self.traces.shutdown();
    }

    /// The Prometheus text exposition of every metric recorded so far.
    pub fn render(&self) -> String {
        self.prometheus.render()
    }
}

/// A Prometheus recorder labelled with the service name. Not installed: for [`init`] and tests.
/// Histograms are exported as Prometheus histograms with these buckets (seconds), so they
/// aggregate across instances.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

pub fn prometheus_recorder(service: &str) -> PrometheusRecorder {
    PrometheusBuilder::new()
        .add_global_label("service", service)
        .set_buckets(&LATENCY_BUCKETS)
        .expect("static, non-empty buckets")
        .build_recorder()
}

fn filter(cfg: &TelemetryConfig) -> Result<EnvFilter, TelemetryError> {
    EnvFilter::try_new(&cfg.filter)
        .map_err(|e| TelemetryError::BadFilter(cfg.filter.clone(), e.to_string()))
}

type Base = Layered<EnvFilter, Registry>;

/// Builds the subscriber for `cfg` (logs to `writer`, plus OTLP export when configured).
/// [`init`] installs it globally with standard error as the writer; tests use a buffer.
pub fn subscriber<W>(
    cfg: &TelemetryConfig,
    writer: W,
) -> Result<(Box<dyn tracing::Subscriber + Send + Sync>, TraceGuard), TelemetryError>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let fmt = tracing_subscriber::fmt::layer().with_writer(writer);
    let mut layers: Vec<Box<dyn Layer<Base> + Send + Sync>> = vec![match cfg.format {
        LogFormat::Json => fmt
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .boxed(),
        LogFormat::Text => fmt.with_target(true).boxed(),
    }];
    let guard = match &cfg.otlp_endpoint {
        None => TraceGuard::default(),
        Some(endpoint) => {
            let (layer, guard) = otlp_layer(&cfg.service, endpoint)?;
            layers.push(layer);
            guard
        }
    };
    let sub = tracing_subscriber::registry()
        .with(filter(cfg)?)
        .with(layers);
    Ok((Box::new(sub), guard))
}

#[cfg(feature = "otlp")]
fn otlp_layer(
    service: &str,
    endpoint: &str,
) -> Result<(Box<dyn Layer<Base> + Send + Sync>, TraceGuard), TelemetryError> {
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_otlp::{Protocol, WithExportConfig};
    let url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(&url)
        .build()
        .map_err(|e| TelemetryError::Otlp(url.clone(), e.to_string()))?;
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name(service.to_string())
                .build(),
        )
        .build();
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer(service.to_string()));
    Ok((
        layer.boxed(),
        TraceGuard {
            provider: Some(provider),
        },
    ))
}

#[cfg(not(feature = "otlp"))]
fn otlp_layer(
    _: &str,
    _: &str,
) -> Result<(Box<dyn Layer<Base> + Send + Sync>, TraceGuard), TelemetryError> {
    Err(TelemetryError::OtlpNotBuilt)
}

/// How often [`init`]'s upkeep folds the histograms' raw samples into their buckets.
pub const UPKEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// A histogram keeps every recorded sample until it is folded into its buckets, which a
/// render does, or an upkeep. Without this thread a service that nobody scrapes grows by one
/// sample (8 bytes and change) per request.
fn spawn_upkeep(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_INTERVAL);
                handle.run_upkeep();
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start the metrics upkeep thread: histograms grow until /metrics is scraped");
    }
}

/// Installs logging, metrics and (when configured) trace export for the whole process.
/// Call once, first thing in `main`; call [`Telemetry::shutdown`] before exit.
pub fn init(cfg: &TelemetryConfig) -> Result<Telemetry, TelemetryError> {
    let recorder = prometheus_recorder(&cfg.service);
    let handle = recorder.handle();
    let (sub, traces) = subscriber(cfg, std::io::stderr)?;
    tracing::subscriber::set_global_default(sub).map_err(|_| TelemetryError::AlreadyInitialised)?;
    // `log` records (librdkafka's warnings and errors through rdkafka, for one) become events
    // under the same filter; without this they were dropped.
    tracing_log::LogTracer::init().map_err(|_| TelemetryError::AlreadyInitialised)?;
    metrics::set_global_recorder(recorder).map_err(|_| TelemetryError::AlreadyInitialised)?;
    spawn_upkeep(handle.clone());
    tracing::info!(service = %cfg.service, otlp = cfg.otlp_endpoint.is_some(), "telemetry initialised");
    Ok(Telemetry {
        prometheus: handle,
        traces,
    })
}

/// A `MakeWriter` over a shared buffer, for asserting on log output in tests.
#[derive(Clone, Default)]
pub struct BufferWriter(pub std::sync::Arc<Mutex<Vec<u8>>>);

impl BufferWriter {
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("buffer lock")).into_owned()
    }
}

impl Write for BufferWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("buffer lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BufferWriter {
    type Writer = BufferWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(format: LogFormat, filter: &str) -> TelemetryConfig {
        TelemetryConfig {
            service: "svc".into(),
            format,
            filter: filter.into(),
            otlp_endpoint: None,
        }
    }

    #[test]
    fn json_logs_are_one_object_per_line_with_fields() {
        let buf = BufferWriter::default();
        let (sub, _) = subscriber(&cfg(LogFormat::Json, "info"), buf.clone()).unwrap();
        tracing::subscriber::with_default(sub, || {
            tracing::info!(task_id = 7, "task created");
            tracing::debug!("filtered out");
        });
        let out = buf.contents();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 1, "{out}");
        let v: serde_json::Value = serde_json::from_str(lines[0]).expect("a JSON object");
        assert_eq!(v["message"], "task created");
        assert_eq!(v["task_id"], 7);
        assert_eq!(v["level"], "INFO");
    }

    #[test]
    fn the_default_filter_keeps_the_services_info_and_quiets_dependencies() {
        let buf = BufferWriter::default();
        let c = cfg(LogFormat::Text, &default_filter("kafka-data-consumer"));
        let (sub, _) = subscriber(&c, buf.clone()).unwrap();
        tracing::subscriber::with_default(sub, || {
            tracing::info!(target: "kafka_data_consumer::run", "own line");
            tracing::info!(target: "deltalake_core::kernel", "dependency chatter");
            tracing::warn!(target: "deltalake_core::kernel", "dependency warning");
        });
        let out = buf.contents();
        assert!(out.contains("own line"), "{out}");
        assert!(!out.contains("dependency chatter"), "{out}");
        assert!(out.contains("dependency warning"), "{out}");
    }

    #[test]
    fn text_logs_respect_the_filter() {
        let buf = BufferWriter::default();
        let (sub, _) = subscriber(&cfg(LogFormat::Text, "warn"), buf.clone()).unwrap();
        tracing::subscriber::with_default(sub, || {
            tracing::info!("quiet");
            tracing::warn!("loud");
        });
        let out = buf.contents();
        assert!(out.contains("loud") && !out.contains("quiet"), "{out}");
    }

    #[test]
    fn bad_settings_are_named() {
        assert_eq!(
            "xml".parse::<LogFormat>().unwrap_err().to_string(),
            "LOG_FORMAT `xml` is not one of text, json"
        );
        let err = subscriber(&cfg(LogFormat::Text, "info,=[bad"), std::io::sink)
            .err()
            .unwrap();
        assert!(
            err.to_string()
                .starts_with("RUST_LOG `info,=[bad` is not a valid filter"),
            "{err}"
        );
    }

    #[test]
    fn metrics_render_in_prometheus_format_with_service_label() {
        let recorder = prometheus_recorder("task-api");
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            metrics::counter!("tasks_created_total", "project" => "p1").increment(3);
            metrics::histogram!("request_seconds").record(0.25);
        });
        let text = handle.render();
        assert!(
            text.contains("tasks_created_total{service=\"task-api\",project=\"p1\"} 3"),
            "{text}"
        );
        assert!(text.contains("# TYPE request_seconds histogram"), "{text}");
        assert!(
            text.contains("request_seconds_bucket{service=\"task-api\",le=\"0.25\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("request_seconds_bucket{service=\"task-api\",le=\"0.1\"} 0"),
            "{text}"
        );
    }

    #[cfg(not(feature = "otlp"))]
    #[test]
    fn an_otlp_endpoint_without_the_feature_is_an_error_not_silence() {
        let mut c = cfg(LogFormat::Text, "info");
        c.otlp_endpoint = Some("http://127.0.0.1:4318".into());
        assert!(matches!(
            subscriber(&c, std::io::sink),
            Err(TelemetryError::OtlpNotBuilt)
        ));
    }

    #[cfg(feature = "otlp")]
    #[test]
    fn spans_are_exported_over_otlp_http_protobuf() {
        let collector = testkit::HttpCapture::start();
        let mut c = cfg(LogFormat::Text, "info");
        c.service = "task-api".into();
        c.otlp_endpoint = Some(collector.url.clone());
        let (sub, guard) = subscriber(&c, std::io::sink).unwrap();
        tracing::subscriber::with_default(sub, || {
            let span = tracing::info_span!("checkout_span", order = 42);
            let _entered = span.enter();
            tracing::info!("inside the span");
        });
        guard.shutdown();
        let export = collector
            .next(std::time::Duration::from_secs(20))
            .expect("collector got a request");
        assert_eq!(
            (export.method.as_str(), export.path.as_str()),
            ("POST", "/v1/traces")
        );
        assert_eq!(
            export.header("content-type"),
            Some("application/x-protobuf")
        );
        let has = |needle: &[u8]| export.body.windows(needle.len()).any(|w| w == needle);
        assert!(
            has(b"checkout_span") && has(b"task-api"),
            "span name and service in the protobuf body"
        );
    }
}
