//! Settings: flags or the environment (`scoring-service --help` lists both).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

/// Scores tasks (the risk of missing their due date) with the model the model life cycle
/// promoted, over REST and gRPC, using each project's live open load and throughput from
/// `events.tasks.enriched`.
///
/// Auth: the task API's access tokens (`Authorization: Bearer …`, the same key); a caller
/// scores and watches only projects it owns or is a member of.
#[derive(Debug, Clone, Parser)]
#[command(name = "scoring-service", version, max_term_width = 100)]
pub struct Config {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// REST address (POST /v1/score, GET /v1/projects/{id}/risk, /healthz, /readyz, /metrics).
    #[arg(long, env = "SCORING_ADDR", default_value = "127.0.0.1:8002")]
    pub addr: SocketAddr,

    /// gRPC address (scoring.v1.Scoring, grpc.health.v1, server reflection).
    #[arg(long, env = "SCORING_GRPC_ADDR", default_value = "127.0.0.1:50051")]
    pub grpc_addr: SocketAddr,

    /// The model registry: a folder or s3://BUCKET/PREFIX.
    #[arg(long, env = "MLOPS_REGISTRY", default_value = ".portfolio/data/models")]
    pub registry: String,

    /// Which stage's version to serve: production or staging.
    #[arg(long, env = "SCORING_MODEL_STAGE", default_value = "production",
          value_parser = ["production", "staging"])]
    pub stage: String,

    /// Seconds between registry checks for a promotion (the model is swapped without a
    /// dropped request).
    #[arg(long, env = "SCORING_RELOAD_SECS", default_value_t = 2.0)]
    pub reload_secs: f64,

    /// Registry failures in a row that open the circuit breaker, and how long it stays open.
    #[arg(long, env = "SCORING_BREAKER_FAILURES", default_value_t = 3)]
    pub breaker_failures: u32,
    #[arg(long, env = "SCORING_BREAKER_SECS", default_value_t = 30.0)]
    pub breaker_secs: f64,

    /// Kafka-protocol broker with events.tasks.enriched; `none` runs without live aggregates.
    #[arg(
        long,
        env = "KAFKA_BOOTSTRAP_SERVERS",
        default_value = "127.0.0.1:9092"
    )]
    pub kafka: String,

    /// Consumer group (give each replica its own: every replica keeps every project).
    #[arg(long, env = "SCORING_GROUP", default_value = "scoring-service")]
    pub group: String,

    /// The topic the aggregates are built from.
    #[arg(long, env = "SCORING_TOPIC", default_value = events::ENRICHED_TOPIC)]
    pub topic: String,

    /// Folder of the aggregates' snapshot (aggregates.json, saved with its offsets).
    #[arg(
        long,
        env = "PORTFOLIO_DATA_DIR",
        default_value = ".portfolio/data/backend__scoring-service"
    )]
    pub data_dir: PathBuf,

    /// Seconds between snapshots (and offset commits).
    #[arg(long, env = "SCORING_SNAPSHOT_SECS", default_value_t = 5.0)]
    pub snapshot_secs: f64,

    /// File holding the task API's token key (used when JWT_SECRET is not set).
    #[arg(
        long,
        env = "JWT_KEY_FILE",
        default_value = ".portfolio/data/backend__task-api/jwt.key"
    )]
    pub jwt_secret_file: PathBuf,

    /// Requests handled at once per protocol; beyond it requests are shed at once with 503 /
    /// UNAVAILABLE instead of queueing.
    #[arg(long, env = "SCORING_MAX_IN_FLIGHT", default_value_t = 1024)]
    pub max_in_flight: usize,

    /// A request taking longer is answered 503 / DEADLINE_EXCEEDED.
    #[arg(long, env = "SCORING_TIMEOUT_MS", default_value_t = 500)]
    pub timeout_ms: u64,

    /// Requests per second per caller (by token subject), with a burst of twice that; 0: off.
    #[arg(long, env = "SCORING_RATE_PER_CLIENT", default_value_t = 20_000)]
    pub rate_per_client: u32,

    /// Most tasks in one batch.
    #[arg(long, env = "SCORING_MAX_BATCH", default_value_t = 1000)]
    pub max_batch: usize,

    /// Seconds in-flight requests get to finish after SIGTERM.
    #[arg(long, env = "SCORING_DRAIN_SECS", default_value_t = 10.0)]
    pub drain_secs: f64,
}

impl Config {
    /// A path of the settings, resolved against PORTFOLIO_ROOT when relative (under
    /// `portfolio up` the working folder is the project's).
    pub fn resolve(path: &std::path::Path) -> PathBuf {
        PathBuf::from(lake::resolve(&path.display().to_string()))
    }
}

/// What to do instead of serving.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Asks a running instance's gRPC health service (at --grpc-addr) and its REST /healthz;
    /// exits 0 when both answer SERVING / 200 (the container's probe: the image has no curl).
    Healthcheck,
}
