//! Settings: defaults → optional TOML file (`TASK_API_CONFIG`) → shared platform variables
//! (`DATABASE_URL`, `REDIS_URL`, `KAFKA_BOOTSTRAP_SERVERS`, `JWT_SECRET`, `PORTFOLIO_DATA_DIR`) →
//! `TASK_API_*` variables.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// `TASK_API_ADDR`: where to listen.
    pub addr: String,
    /// `DATABASE_URL`: `sqlite://…` (default, under the data folder) or `postgres://…`.
    pub database_url: Option<String>,
    /// `REDIS_URL`: `redis://…` puts the read cache in Redis, shared by every instance;
    /// unset or empty: an in-process cache.
    pub redis_url: Option<String>,
    /// `TASK_API_CACHE_PREFIX`: prefix of this service's keys in Redis.
    pub cache_prefix: String,
    /// `KAFKA_BOOTSTRAP_SERVERS`: where the outbox relay publishes; empty disables the relay.
    pub kafka_bootstrap_servers: String,
    /// `JWT_SECRET`: HMAC key for access tokens; when unset, a random key is created once and
    /// kept in the data folder (mode 0600).
    pub jwt_secret: Option<String>,
    /// `PORTFOLIO_ENV`: the environment this instance runs in (flag values); `local` by default.
    pub portfolio_env: String,
    /// `TASK_API_FLAGS_FILE`: the feature flags (relative to the working folder, which is the
    /// project folder under `portfolio up`).
    pub flags_file: String,
    /// `PORTFOLIO_DATA_DIR`: the service's data folder.
    pub portfolio_data_dir: String,
    /// `TASK_API_ACCESS_TOKEN_TTL_SECS`.
    pub access_token_ttl_secs: u64,
    /// `TASK_API_REFRESH_TOKEN_TTL_SECS`.
    pub refresh_token_ttl_secs: u64,
    /// `TASK_API_CORS_ORIGINS`: comma-separated origins allowed cross-origin (none by default:
    /// the web app is served from the same origin).
    pub cors_origins: String,
    /// `TASK_API_BODY_LIMIT_BYTES`.
    pub body_limit_bytes: usize,
    /// `TASK_API_REQUEST_TIMEOUT_SECS`.
    pub request_timeout_secs: u64,
    /// `TASK_API_RELAY_INTERVAL_MS`: how often the relay looks for new outbox rows when idle.
    pub relay_interval_ms: u64,
    /// `TASK_API_RATE_LIMIT_PER_IP`: requests per second per client IP (burst: twice); 0 = off.
    pub rate_limit_per_ip: u32,
    /// `TASK_API_RATE_LIMIT_PER_USER`: requests per second per user or API key; 0 = off.
    pub rate_limit_per_user: u32,
    /// `LAKE_URL`: the Delta lake whose `gold/kpis_daily` (etl-job's) the KPI endpoint reads:
    /// a folder (relative to the repository under `portfolio up`) or `s3://BUCKET/PREFIX`.
    pub lake_url: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            addr: "127.0.0.1:8000".into(),
            database_url: None,
            redis_url: None,
            cache_prefix: "task-api:".into(),
            kafka_bootstrap_servers: "127.0.0.1:9092".into(),
            jwt_secret: None,
            portfolio_data_dir: ".portfolio/data/backend__task-api".into(),
            portfolio_env: "local".into(),
            flags_file: "ops/feature-flags.toml".into(),
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            cors_origins: String::new(),
            body_limit_bytes: 64 * 1024,
            request_timeout_secs: 10,
            relay_interval_ms: 50,
            rate_limit_per_ip: 500,
            rate_limit_per_user: 200,
            lake_url: ".portfolio/data/lake".into(),
        }
    }
}

impl Settings {
    pub fn load() -> Result<Settings, config::ConfigError> {
        let file = std::env::var_os("TASK_API_CONFIG").map(std::path::PathBuf::from);
        config::load_with_shared(
            &Settings::default(),
            file.as_deref(),
            &[
                "DATABASE_URL",
                "REDIS_URL",
                "KAFKA_BOOTSTRAP_SERVERS",
                "JWT_SECRET",
                "PORTFOLIO_DATA_DIR",
                "PORTFOLIO_ENV",
                "LAKE_URL",
            ],
            "TASK_API_",
        )
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| format!("sqlite://{}/tasks.db", self.portfolio_data_dir))
    }
}
