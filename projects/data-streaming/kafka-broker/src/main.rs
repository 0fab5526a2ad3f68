//! `kafka-broker`: the platform's local Kafka-protocol broker.
//!
//! Embeds tansu (Apache-2.0) with its SQLite storage engine, so topics and offsets survive a
//! restart. Listens on `KAFKA_BROKER_LISTEN` (default `127.0.0.1:9092`) and keeps its data in
//! `<data dir>/tansu.db`. Clients reach it with `KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092`; the
//! same clients reach Apache Kafka by changing only that variable (see `compose.kafka.yml`).

use std::path::PathBuf;
use tokio::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use tansu_broker::broker::Broker;
use tansu_broker::coordinator::group::administrator::Controller;
use tansu_storage::StorageContainer;
use url::Url;

/// Local Kafka-protocol broker (tansu, SQLite storage).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on; also the address advertised to clients.
    #[arg(long, env = "KAFKA_BROKER_LISTEN", default_value = "127.0.0.1:9092")]
    listen: String,
    /// Folder for the broker's SQLite database.
    #[arg(
        long,
        env = "PORTFOLIO_DATA_DIR",
        default_value = ".portfolio/data/data-streaming__kafka-broker"
    )]
    data_dir: PathBuf,
    /// Cluster id reported to clients.
    #[arg(long, env = "KAFKA_CLUSTER_ID", default_value = "portfolio-local")]
    cluster_id: String,
    /// Broker node id.
    #[arg(long, env = "KAFKA_NODE_ID", default_value_t = 111)]
    node_id: i32,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let mut cfg = telemetry::TelemetryConfig::from_env("kafka-broker")?;
    if std::env::var_os("RUST_LOG").is_none() {
        // tansu's SQLite storage logs every refused request at ERROR, such as a client's
        // create-topic of a topic that exists (answered with TOPIC_ALREADY_EXISTS, which
        // clients expect): per-request noise, not a broker fault. RUST_LOG overrides.
        cfg.filter.push_str(",tansu_storage::lite=off");
    }
    let _telemetry = telemetry::init(&cfg)?;

    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating {}", args.data_dir.display()))?;
    // tansu resolves `sqlite://<file>` against the working directory.
    std::env::set_current_dir(&args.data_dir)
        .with_context(|| format!("entering {}", args.data_dir.display()))?;
    let listener = Url::parse(&format!("tcp://{}", args.listen))
        .with_context(|| format!("KAFKA_BROKER_LISTEN `{}`", args.listen))?;
    let storage = Url::parse("sqlite://tansu.db").expect("static URL");
    tracing::info!(listen = %args.listen, data_dir = %args.data_dir.display(), "starting broker");

    type LocalBroker = Broker<Controller<StorageContainer>, StorageContainer>;
    let broker = LocalBroker::builder()
        .node_id(args.node_id)
        .cluster_id(args.cluster_id)
        .incarnation_id(uuid::Uuid::now_v7())
        .advertised_listener(listener.clone())
        .storage(storage)
        .listener(listener)
        .silent(true)
        .build()
        .await
        .context("building the broker")?;
    index_headers(std::path::Path::new("tansu.db"))
        .await
        .context("indexing record headers in tansu.db")?;
    broker
        .main(Instant::now())
        .await
        .context("running the broker")?;
    tracing::info!("broker stopped");
    Ok(())
}

/// tansu 0.6's SQLite schema has no index on `header`, and a fetch looks up the headers of every
/// record it returns. Once a topic holds messages with headers (the consumer's dead-letter topic
/// has five per message) every fetched record scanned the whole table, and fetching from the
/// broker slowed to a few hundred records per second. The index turns that into a lookup; it is
/// created once, on the schema tansu has just made.
async fn index_headers(db: &std::path::Path) -> Result<()> {
    let db = libsql::Builder::new_local(db).build().await?;
    let conn = db.connect()?;
    conn.execute(
        "create index if not exists header_record on header (topition, offset_id)",
        (),
    )
    .await?;
    Ok(())
}
