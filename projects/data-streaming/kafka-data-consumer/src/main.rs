//! `kafka-data-consumer`: see the crate documentation and the project README.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json};
use axum::routing::get;
use clap::{Parser, Subcommand};
use kafka_data_consumer::{Settings, Stats, mask};

/// Validates, masks and writes events.tasks into the Delta lake, forwards them, and
/// dead-letters what it cannot process.
///
/// Examples:
///   kafka-data-consumer run                          # the local broker into .portfolio/data/lake
///   LAKE_URL=/srv/lake kafka-data-consumer run --batch-max 5000
///   LAKE_URL=s3://acme-lake/tasks AWS_REGION=eu-west-1 PII_TOKEN_KEY=… kafka-data-consumer run
///   kafka-data-consumer replay --dry-run             # what a replay would re-drive
///   kafka-data-consumer replay --kind schema_violation --limit 100
#[derive(Parser)]
#[command(version, verbatim_doc_comment)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args)]
struct Common {
    #[arg(
        long,
        env = "KAFKA_BOOTSTRAP_SERVERS",
        default_value = "127.0.0.1:9092",
        global = true
    )]
    bootstrap: String,
    #[arg(long, env = "CONSUMER_TOPIC", default_value = events::TOPIC, global = true)]
    topic: String,
    #[arg(
        long,
        env = "CONSUMER_GROUP",
        default_value = "kafka-data-consumer",
        global = true
    )]
    group: String,
    #[arg(long, env = "CONSUMER_DLQ_TOPIC", default_value = events::DLQ_TOPIC, global = true)]
    dlq_topic: String,
    /// Lake root: a folder, or s3://BUCKET/PREFIX (credentials, region and endpoint from the
    /// standard AWS_* variables; AWS_ENDPOINT_URL and AWS_ALLOW_HTTP=true for an S3-compatible
    /// server such as MinIO).
    #[arg(
        long,
        env = "LAKE_URL",
        default_value = ".portfolio/data/lake",
        global = true
    )]
    lake: String,
    /// librdkafka setting passed through (TLS, SASL/SCRAM), e.g. -X security.protocol=SSL.
    #[arg(short = 'X', long = "kafka", value_parser = parse_kv, global = true)]
    kafka: Vec<(String, String)>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Consume until SIGINT/SIGTERM.
    Run(RunArgs),
    /// Re-drive dead letters to their original topic.
    Replay {
        /// At most this many.
        #[arg(long)]
        limit: Option<u64>,
        /// Only dead letters of these kinds (malformed_json, schema_violation, too_large, sink_failed).
        #[arg(long = "kind")]
        kinds: Vec<String>,
        /// Count what would be re-driven; send and commit nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// Forward validated, masked events here; `off` disables forwarding.
    #[arg(long, env = "CONSUMER_FORWARD_TOPIC", default_value = events::ENRICHED_TOPIC)]
    forward_topic: String,
    /// Largest batch (messages) written to the lake in one commit.
    #[arg(long, default_value_t = 10000)]
    batch_max: usize,
    /// How long a batch waits for more messages after its first (milliseconds).
    #[arg(long, default_value_t = 500)]
    batch_wait_ms: u64,
    /// `silver/tasks` is rewritten at most this often (milliseconds).
    #[arg(long, default_value_t = 5000)]
    silver_interval_ms: u64,
    /// Tries per sink before a batch is dead-lettered.
    #[arg(long, default_value_t = 5)]
    sink_tries: u32,
    /// JSON pointers of the fields masked (default: member email and display name).
    #[arg(long = "mask")]
    mask: Vec<String>,
    /// Health, readiness and metrics endpoint.
    #[arg(long, env = "CONSUMER_LISTEN", default_value = "127.0.0.1:9201")]
    listen: String,
    /// Static group membership (`group.instance.id`): a restarted consumer with the same id
    /// takes its partitions back at once instead of waiting for the broker to drop the old
    /// member (one id per consumer instance, e.g. a StatefulSet pod name).
    #[arg(long, env = "CONSUMER_INSTANCE_ID")]
    instance_id: Option<String>,
    /// Partitions of the topics when they have to be created; 0 leaves it to the cluster.
    #[arg(long, default_value_t = 3)]
    partitions: i32,
}

fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("`{s}` is not KEY=VALUE"))
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    match rt.block_on(real_main(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kafka-data-consumer: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

/// The PII token key: `PII_TOKEN_KEY`, else the file `PII_TOKEN_KEY_FILE`; in development
/// (under `portfolio up`, which sets `PORTFOLIO_ROOT`) a random key created once in
/// `$PORTFOLIO_ROOT/.portfolio/secrets/pii-token-key` (mode 0600). Never a file inside the lake
/// it protects: whoever can read the lake must not be able to reverse its tokens. A key an
/// older version kept in `<lake>/.pii-token-key` is moved out (tokens stay stable).
fn token_key(lake: &str) -> anyhow::Result<String> {
    use std::path::{Path, PathBuf};
    let set = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let Some(k) = set("PII_TOKEN_KEY") {
        return Ok(k);
    }
    let (path, generated) = match (set("PII_TOKEN_KEY_FILE"), set("PORTFOLIO_ROOT")) {
        (Some(f), _) => (PathBuf::from(lake::resolve(&f)), false),
        (None, Some(root)) => (
            Path::new(&root).join(".portfolio/secrets/pii-token-key"),
            true,
        ),
        (None, None) => anyhow::bail!(
            "neither PII_TOKEN_KEY nor PII_TOKEN_KEY_FILE is set: outside development (`portfolio up`) the key of the PII tokens comes from the secret store (`portfolio env render`), never from the lake it protects"
        ),
    };
    let legacy = (!lake.contains("://")).then(|| Path::new(lake).join(".pii-token-key"));
    if !lake.contains("://") {
        let inside = std::path::absolute(&path)?.starts_with(std::path::absolute(lake)?);
        anyhow::ensure!(
            !inside,
            "{}: the PII token key must not live inside the lake it protects ({lake}); keep it in the secret store or a file outside the lake",
            path.display()
        );
    }
    if let Ok(k) = std::fs::read_to_string(&path) {
        let k = k.trim().to_string();
        anyhow::ensure!(
            !k.is_empty(),
            "{}: the PII token key file is empty",
            path.display()
        );
        return Ok(k);
    }
    anyhow::ensure!(
        generated,
        "PII_TOKEN_KEY_FILE {}: cannot be read (it holds the key of the PII tokens)",
        path.display()
    );
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
    }
    if let Some(old) = legacy.filter(|p| p.is_file()) {
        std::fs::rename(&old, &path)
            .map_err(|e| anyhow::anyhow!("moving {} out of the lake: {e}", old.display()))?;
        tracing::warn!(from = %old.display(), to = %path.display(), "moved the PII token key out of the lake");
        return token_key(lake);
    }
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let key = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| anyhow::anyhow!("creating {}: {e}", path.display()))?;
    writeln!(f, "{key}")?;
    Ok(key)
}

fn masker(lake: &str, fields: &[String]) -> anyhow::Result<mask::Masker> {
    let key = token_key(lake)?;
    let fields: Vec<String> = if fields.is_empty() {
        mask::DEFAULT_FIELDS.iter().map(|s| s.to_string()).collect()
    } else {
        fields.to_vec()
    };
    mask::Masker::new(key.as_bytes(), &fields)
}

#[derive(Clone)]
struct App {
    stats: Arc<Stats>,
    telemetry: telemetry::Telemetry,
}

async fn real_main(cli: Cli) -> anyhow::Result<()> {
    let telemetry = telemetry::init(&telemetry::TelemetryConfig::from_env(
        "kafka-data-consumer",
    )?)?;
    let mut c = cli.common;
    c.lake = lake::resolve(&c.lake);
    kafka_data_consumer::lake::parse_root(&c.lake)?;
    match cli.cmd {
        Cmd::Replay {
            limit,
            kinds,
            dry_run,
        } => {
            let settings = Settings {
                bootstrap: c.bootstrap,
                topic: c.topic,
                group: c.group,
                lake: c.lake,
                dlq_topic: c.dlq_topic,
                forward_topic: None,
                kafka: c.kafka,
                batch_max: 1,
                batch_wait: Duration::ZERO,
                silver_interval: Duration::ZERO,
                sink_tries: 1,
                masker: mask::Masker::new(b"replay-does-not-mask!", &[])?,
            };
            let (sent, skipped) =
                kafka_data_consumer::replay(&settings, limit, &kinds, dry_run).await?;
            println!(
                "{} {sent} dead letter(s) to their original topic; {skipped} skipped",
                if dry_run {
                    "would re-drive"
                } else {
                    "re-drove"
                }
            );
            Ok(())
        }
        Cmd::Run(args) => {
            let c_lake = c.lake.clone();
            let mut kafka = c.kafka;
            if let Some(id) = args.instance_id.filter(|id| !id.is_empty()) {
                kafka.push(("group.instance.id".into(), id));
            }
            let settings = Settings {
                bootstrap: c.bootstrap,
                topic: c.topic,
                group: c.group,
                lake: c.lake,
                dlq_topic: c.dlq_topic,
                forward_topic: (args.forward_topic != "off").then_some(args.forward_topic),
                kafka,
                batch_max: args.batch_max.max(1),
                batch_wait: Duration::from_millis(args.batch_wait_ms),
                silver_interval: Duration::from_millis(args.silver_interval_ms),
                sink_tries: args.sink_tries,
                masker: masker(&c_lake, &args.mask)?,
            };
            if args.partitions > 0 {
                kafka_data_consumer::ensure_topics(&settings, args.partitions).await?;
            }
            let stats = Arc::new(Stats::default());
            let addr: SocketAddr = args
                .listen
                .parse()
                .map_err(|e| anyhow::anyhow!("--listen `{}`: {e}", args.listen))?;
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| anyhow::anyhow!("binding {addr}: {e}"))?;
            let app = App {
                stats: stats.clone(),
                telemetry: telemetry.clone(),
            };
            let router = Router::new()
                .route("/healthz", get(|| async { "ok" }))
                .route("/readyz", get(readyz))
                .route("/metrics", get(metrics))
                .route("/stats", get(stats_json))
                .with_state(app);
            tokio::spawn(async move { axum::serve(listener, router).await });
            if let Ok(url) = std::env::var("PUSHGATEWAY_URL")
                && !url.is_empty()
            {
                tokio::spawn(push_metrics(url, telemetry.clone()));
            }
            let (tx, rx) = tokio::sync::watch::channel(false);
            tokio::spawn(async move {
                use tokio::signal::unix::{SignalKind, signal};
                let (Ok(mut int), Ok(mut term)) = (
                    signal(SignalKind::interrupt()),
                    signal(SignalKind::terminate()),
                ) else {
                    return;
                };
                tokio::select! { _ = int.recv() => {}, _ = term.recv() => {} }
                let _ = tx.send(true);
            });
            kafka_data_consumer::run(settings, stats, rx).await?;
            telemetry.shutdown();
            Ok(())
        }
    }
}

/// Pushes the metrics to a Prometheus Pushgateway every `PUSHGATEWAY_INTERVAL_SECS` (15 s).
async fn push_metrics(url: String, telemetry: telemetry::Telemetry) {
    let target = format!(
        "{}/metrics/job/kafka-data-consumer",
        url.trim_end_matches('/')
    );
    let every = std::env::var("PUSHGATEWAY_INTERVAL_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(15)
        .max(1);
    loop {
        let body = telemetry.render();
        let t = target.clone();
        let result = tokio::task::spawn_blocking(move || {
            ureq::put(&t)
                .header("content-type", "text/plain; version=0.0.4")
                .send(body.as_bytes())
        })
        .await;
        if let Ok(Err(e)) = result {
            tracing::warn!(error = %e, "pushing metrics to {target}");
        }
        tokio::time::sleep(Duration::from_secs(every)).await;
    }
}

async fn readyz(State(app): State<App>) -> impl IntoResponse {
    if app.stats.ready.load(Ordering::SeqCst) {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "opening the lake")
    }
}

async fn metrics(State(app): State<App>) -> impl IntoResponse {
    (
        [("content-type", "text/plain; version=0.0.4")],
        app.telemetry.render(),
    )
}

async fn stats_json(State(app): State<App>) -> Json<serde_json::Value> {
    Json(serde_json::to_value(&*app.stats).unwrap_or_default())
}
