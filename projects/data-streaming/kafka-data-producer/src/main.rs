//! `kafka-data-producer`: see the crate documentation and the project README.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json};
use axum::routing::{get, post};
use clap::{Parser, Subcommand};
use kafka_data_producer::{Control, Settings, profile};

/// Publishes task-domain events to Kafka from a workload profile.
///
/// Examples:
///   kafka-data-producer run                                  # the gentle `steady` profile
///   kafka-data-producer run --profile faults --count 10000 --json
///   kafka-data-producer run --profile my-load.yaml           # SIGHUP or PUT /profile reloads it
///   kafka-data-producer run --rate 50000 --duration 60 -X compression.type=lz4
///   kafka-data-producer profiles
///   kafka-data-producer check my-load.yaml
///   kafka-data-producer offsets --json                      # messages in events.tasks
#[derive(Parser)]
#[command(version, verbatim_doc_comment)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Send events until the profile's stop condition (or SIGINT/SIGTERM), then print a summary.
    Run(RunArgs),
    /// List the shipped profiles.
    Profiles {
        #[arg(long)]
        json: bool,
    },
    /// Check a profile file and print it as understood.
    Check { file: PathBuf },
    /// Messages in a topic: each partition's low and high watermark, and their total (a topic
    /// that does not exist yet has none).
    Offsets {
        /// Kafka bootstrap servers.
        #[arg(
            long,
            env = "KAFKA_BOOTSTRAP_SERVERS",
            default_value = "127.0.0.1:9092"
        )]
        bootstrap: String,
        #[arg(long, env = "PRODUCER_TOPIC", default_value = events::TOPIC)]
        topic: String,
        #[arg(long)]
        json: bool,
    },
}

/// Each partition's (low, high) watermark of `topic`; empty when the topic does not exist.
fn offsets(bootstrap: &str, topic: &str) -> anyhow::Result<Vec<(i32, i64, i64)>> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use std::time::Duration;
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "kafka-data-producer-offsets")
        .create()?;
    let timeout = Duration::from_secs(10);
    let metadata = consumer
        .fetch_metadata(Some(topic), timeout)
        .map_err(|e| anyhow::anyhow!("{bootstrap}: metadata of {topic}: {e}"))?;
    let mut out = Vec::new();
    for t in metadata.topics().iter().filter(|t| t.name() == topic) {
        if t.error().is_some() {
            continue; // unknown topic: no messages yet
        }
        for p in t.partitions() {
            let (low, high) = consumer
                .fetch_watermarks(topic, p.id(), timeout)
                .map_err(|e| anyhow::anyhow!("{topic}[{}]: watermarks: {e}", p.id()))?;
            out.push((p.id(), low, high));
        }
    }
    out.sort();
    Ok(out)
}

#[derive(clap::Args)]
struct RunArgs {
    /// A shipped profile (steady, burst, ramp, faults) or a YAML file.
    #[arg(long, env = "PRODUCER_PROFILE", default_value = "steady")]
    profile: String,
    /// Kafka bootstrap servers.
    #[arg(
        long,
        env = "KAFKA_BOOTSTRAP_SERVERS",
        default_value = "127.0.0.1:9092"
    )]
    bootstrap: String,
    #[arg(long, env = "PRODUCER_TOPIC", default_value = events::TOPIC)]
    topic: String,
    /// librdkafka setting passed through, e.g. -X security.protocol=SASL_SSL
    /// -X sasl.mechanism=SCRAM-SHA-512 -X sasl.username=... -X ssl.ca.location=...
    #[arg(short = 'X', long = "kafka", value_parser = parse_kv)]
    kafka: Vec<(String, String)>,
    /// Events per second, overriding the profile's rate and shape.
    #[arg(long)]
    rate: Option<f64>,
    /// Stop after this many events.
    #[arg(long)]
    count: Option<u64>,
    /// Stop after this many seconds.
    #[arg(long)]
    duration: Option<f64>,
    /// Metrics and control endpoint (/metrics, /healthz, GET|PUT /profile, POST /stop);
    /// `off` disables it.
    #[arg(long, env = "PRODUCER_LISTEN", default_value = "127.0.0.1:9200")]
    listen: String,
    /// Partitions of the topic when it has to be created; 0 leaves topic creation to the
    /// cluster.
    #[arg(long, default_value_t = 3)]
    partitions: i32,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("`{s}` is not KEY=VALUE"))
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Cmd::Run(args) => run(args),
        Cmd::Profiles { json } => {
            let list: Vec<_> = profile::SHIPPED
                .iter()
                .map(|(n, _)| profile::resolve(n).expect("shipped profiles parse"))
                .collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&list).unwrap());
            } else {
                for p in list {
                    println!("{:8} {}", p.name, p.description);
                }
            }
            Ok(())
        }
        Cmd::Offsets {
            bootstrap,
            topic,
            json,
        } => offsets(&bootstrap, &topic).map(|parts| {
            let total: i64 = parts.iter().map(|(_, low, high)| high - low).sum();
            if json {
                let partitions: Vec<_> = parts
                    .iter()
                    .map(|(p, low, high)| serde_json::json!({"partition": p, "low": low, "high": high}))
                    .collect();
                println!(
                    "{}",
                    serde_json::json!({"topic": topic, "messages": total, "partitions": partitions})
                );
            } else {
                for (p, low, high) in &parts {
                    println!("{topic}[{p}] {low}..{high}");
                }
                println!("{topic}: {total} message(s) in {} partition(s)", parts.len());
            }
        }),
        Cmd::Check { file } => profile::load(&file).map(|p| {
            println!("{}: profile `{}` is valid", file.display(), p.name);
            println!("{}", serde_yaml_ng::to_string(&p).unwrap());
        }),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kafka-data-producer: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

#[derive(Clone)]
struct App {
    control: Arc<Control>,
    telemetry: telemetry::Telemetry,
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    let telemetry = telemetry::init(&telemetry::TelemetryConfig::from_env(
        "kafka-data-producer",
    )?)?;
    let profile = profile::resolve(&args.profile)?;
    let control = Control::new(profile);
    let settings = Settings {
        bootstrap: args.bootstrap.clone(),
        topic: args.topic.clone(),
        kafka: args.kafka.clone(),
        rate: args.rate,
        count: args.count,
        duration: args.duration,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    if args.partitions > 0 {
        rt.block_on(kafka_data_producer::ensure_topic(
            &settings,
            args.partitions,
        ))?;
    }
    let app = App {
        control: control.clone(),
        telemetry: telemetry.clone(),
    };
    if args.listen != "off" {
        let addr: SocketAddr = args
            .listen
            .parse()
            .map_err(|e| anyhow::anyhow!("--listen `{}`: {e}", args.listen))?;
        let listener = rt
            .block_on(tokio::net::TcpListener::bind(addr))
            .map_err(|e| anyhow::anyhow!("binding {addr}: {e}"))?;
        let router = Router::new()
            .route("/metrics", get(metrics))
            .route("/healthz", get(|| async { "ok" }))
            .route("/profile", get(get_profile).put(put_profile))
            .route("/stop", post(stop))
            .with_state(app);
        rt.spawn(async move { axum::serve(listener, router).await });
    }
    let source = args.profile.clone();
    let c = control.clone();
    rt.spawn(async move { signals(c, source).await });

    let summary = kafka_data_producer::run(&settings, control)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "{}: {} enqueued, {} sent, {} failed in {:.1}s ({:.0}/s achieved, {:.0}/s target); latency p50 {:.1} ms, p99 {:.1} ms{}",
            summary.profile,
            summary.enqueued,
            summary.sent,
            summary.failed,
            summary.duration_seconds,
            summary.achieved_per_second,
            summary.target_per_second,
            summary.latency_ms.p50,
            summary.latency_ms.p99,
            if summary.fell_behind {
                format!(
                    "; the broker fell behind (max backlog {})",
                    summary.max_backlog
                )
            } else {
                String::new()
            }
        );
        for (k, [s, f]) in &summary.by_type {
            println!("  {k:22} {s:>10} sent {f:>8} failed");
        }
        if let Some(e) = &summary.last_error {
            println!("  last error: {e}");
        }
    }
    telemetry.shutdown();
    if summary.failed > 0 && summary.sent == 0 {
        anyhow::bail!("nothing was delivered to {}", settings.bootstrap);
    }
    Ok(())
}

/// SIGHUP reloads the profile from its file (a bad file is reported and the old profile kept);
/// SIGINT and SIGTERM stop after flushing.
async fn signals(control: Arc<Control>, source: String) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut hup), Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::hangup()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    loop {
        tokio::select! {
            _ = hup.recv() => match profile::resolve(&source) {
                Ok(p) => {
                    let g = control.reload(p);
                    eprintln!("kafka-data-producer: reloaded {source} (generation {g})");
                }
                Err(e) => eprintln!("kafka-data-producer: reload refused, keeping the running profile: {e:#}"),
            },
            _ = int.recv() => { control.stop(); return; }
            _ = term.recv() => { control.stop(); return; }
        }
    }
}

async fn metrics(State(app): State<App>) -> impl IntoResponse {
    (
        [("content-type", "text/plain; version=0.0.4")],
        app.telemetry.render(),
    )
}

async fn get_profile(State(app): State<App>) -> Json<profile::Profile> {
    Json(app.control.profile())
}

async fn put_profile(State(app): State<App>, body: String) -> impl IntoResponse {
    match profile::parse(&body, "request body") {
        Ok(p) => {
            let name = p.name.clone();
            let generation = app.control.reload(p);
            (
                StatusCode::OK,
                Json(serde_json::json!({"reloaded": name, "generation": generation})),
            )
        }
        Err(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(serde_json::json!({"error": format!("{e:#}")})),
        ),
    }
}

async fn stop(State(app): State<App>) -> Json<serde_json::Value> {
    app.control.stop();
    Json(serde_json::json!({"stopping": true}))
}
