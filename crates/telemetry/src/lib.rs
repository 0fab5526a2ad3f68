//! Telemetry every Rust service of the platform uses: `tracing` logs (text or JSON, filtered
//! by `RUST_LOG`) and Prometheus metrics through the `metrics` facade.
//!
//! A service calls [`init`] once at start-up and serves [`Telemetry::render`] at `/metrics`.
//! Invariant: this crate does no network I/O of its own; serving `/metrics` is the
//! service's job (its HTTP stack), so there is one listener per service.
//!
//! OTLP trace export is planned (see the README); it is not built.

use std::io::Write;
use std::str::FromStr;
use std::sync::Mutex;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

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
}

impl TelemetryConfig {
    /// `RUST_LOG` (default `info`) and `LOG_FORMAT` (`text` or `json`, default `text`).
    pub fn from_env(service: &str) -> Result<Self, TelemetryError> {
        let format = match std::env::var("LOG_FORMAT") {
            Ok(v) => v.parse()?,
            Err(_) => LogFormat::Text,
        };
        Ok(TelemetryConfig {
            service: service.to_string(),
            format,
            filter: std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("LOG_FORMAT `{0}` is not one of text, json")]
    BadFormat(String),
    #[error("RUST_LOG `{0}` is not a valid filter: {1}")]
    BadFilter(String, String),
    #[error("telemetry is already initialised in this process")]
    AlreadyInitialised,
}

/// Handle to the installed telemetry; keep it for the life of the service.
#[derive(Clone)]
pub struct Telemetry {
    prometheus: PrometheusHandle,
}

impl Telemetry {
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

/// Builds the log subscriber for `cfg`, writing to `writer`. [`init`] installs it globally
/// with standard error as the writer; tests use a buffer.
pub fn subscriber<W>(
    cfg: &TelemetryConfig,
    writer: W,
) -> Result<Box<dyn tracing::Subscriber + Send + Sync>, TelemetryError>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter(cfg)?)
        .with_writer(writer);
    Ok(match cfg.format {
        LogFormat::Json => Box::new(
            builder
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .finish(),
        ),
        LogFormat::Text => Box::new(builder.with_target(true).finish()),
    })
}

/// Installs logging and metrics for the whole process. Call once, first thing in `main`.
pub fn init(cfg: &TelemetryConfig) -> Result<Telemetry, TelemetryError> {
    let recorder = prometheus_recorder(&cfg.service);
    let handle = recorder.handle();
    let sub = subscriber(cfg, std::io::stderr)?;
    tracing::subscriber::set_global_default(sub).map_err(|_| TelemetryError::AlreadyInitialised)?;
    metrics::set_global_recorder(recorder).map_err(|_| TelemetryError::AlreadyInitialised)?;
    tracing::info!(service = %cfg.service, "telemetry initialised");
    Ok(Telemetry { prometheus: handle })
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
        }
    }

    #[test]
    fn json_logs_are_one_object_per_line_with_fields() {
        let buf = BufferWriter::default();
        let sub = subscriber(&cfg(LogFormat::Json, "info"), buf.clone()).unwrap();
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
    fn text_logs_respect_the_filter() {
        let buf = BufferWriter::default();
        let sub = subscriber(&cfg(LogFormat::Text, "warn"), buf.clone()).unwrap();
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
}
