//! Load for the scoring service (what `bench/scoring.sh` runs):
//!
//! - `scoring-load features`: a synthetic feature table to train a model on;
//! - `scoring-load seed`: creates the topic and writes a project owned by a user into it, and
//!   prints an access token for that user (signed with `JWT_SECRET`), so the service has a
//!   project the token may score;
//! - `scoring-load bare`: the transport's ceiling (bare tonic and axum servers, fixed answers);
//! - `scoring-load grpc`: unary `Score` calls over `--connections` HTTP/2 connections with
//!   `--concurrency` calls in flight each, for `--seconds`; prints requests/s and latency
//!   percentiles (as JSON with `--json`).

use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use scoring_service::grpc::pb;
use uuid::Uuid;

#[derive(Parser)]
#[command(
    name = "scoring-load",
    version,
    about = "Load generator for the scoring service"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Prints a synthetic feature table (CSV, the contract's columns) to train a model on.
    Features {
        #[arg(long, default_value_t = 20_000)]
        rows: usize,
    },
    /// Writes project.created for a new project and owner; prints `PROJECT TOKEN`.
    Seed {
        #[arg(
            long,
            env = "KAFKA_BOOTSTRAP_SERVERS",
            default_value = "127.0.0.1:9092"
        )]
        bootstrap: String,
        #[arg(long, default_value = events::ENRICHED_TOPIC)]
        topic: String,
    },
    /// Unary Score calls for a while; prints the figures.
    Grpc(Load),
    /// The transport's ceiling on this machine: a bare tonic server of the same `Scoring`
    /// service answering a fixed score, and a bare axum `POST /v1/score` answering a fixed JSON
    /// (no auth, no layers, no model), for the same load to run against.
    Bare {
        #[arg(long, default_value = "127.0.0.1:18002")]
        addr: std::net::SocketAddr,
        #[arg(long, default_value = "127.0.0.1:15052")]
        grpc_addr: std::net::SocketAddr,
    },
}

#[derive(clap::Args)]
struct Load {
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    url: String,
    #[arg(long)]
    project: Uuid,
    #[arg(long, env = "SCORING_TOKEN")]
    token: String,
    #[arg(long, default_value_t = 4)]
    connections: usize,
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Seconds of warm-up not counted.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    #[arg(long)]
    json: bool,
}

fn seed(bootstrap: &str, topic: &str) -> anyhow::Result<()> {
    use rdkafka::ClientConfig;
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    use rdkafka::producer::{FutureProducer, FutureRecord};
    let key = std::env::var("JWT_SECRET")
        .map_err(|_| anyhow::anyhow!("JWT_SECRET must be set (the service's token key)"))?;
    let (project, owner) = (Uuid::new_v4(), Uuid::new_v4());
    let now = chrono::Utc::now();
    let event = events::Event::new(
        Uuid::new_v4().to_string(),
        "/scoring-load",
        now,
        events::EventData::ProjectCreated {
            project: events::ProjectSnapshot {
                id: project,
                name: "load".into(),
                description: None,
                owner_id: owner,
                created_at: now,
                updated_at: now,
            },
        },
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .create()?;
        let _ = admin
            .create_topics(
                &[NewTopic::new(topic, 1, TopicReplication::Fixed(1))],
                &AdminOptions::new(),
            )
            .await?;
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .create()?;
        let key = project.to_string();
        let payload = event.to_json();
        producer
            .send(
                FutureRecord::to(topic).key(&key).payload(&payload),
                Duration::from_secs(10),
            )
            .await
            .map_err(|(e, _)| e)?;
        anyhow::Ok(())
    })?;
    let token = access_token::Jwt::new(key.as_bytes(), 3600).issue(owner);
    println!("{project} {token}");
    Ok(())
}

struct Figures {
    requests: u64,
    errors: u64,
    latencies_us: Vec<u32>,
}

async fn grpc(load: Load) -> anyhow::Result<()> {
    let Load {
        url,
        project,
        token,
        connections,
        concurrency,
        seconds,
        warmup,
        json,
    } = load;
    let task = pb::Task {
        project_id: project.to_string(),
        priority: "high".into(),
        due_date: (chrono::Utc::now().date_naive() + chrono::Duration::days(5)).to_string(),
        label_count: 2,
        description_length: 120,
        has_assignee: true,
        created_at: String::new(),
    };
    let auth: tonic::metadata::MetadataValue<_> = format!("Bearer {token}").parse()?;
    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(warmup);
    let end = measure_from + Duration::from_secs_f64(seconds);
    let mut handles = Vec::new();
    for _ in 0..connections.max(1) {
        let channel = tonic::transport::Endpoint::from_shared(url.clone())?
            .tcp_nodelay(true)
            .connect()
            .await?;
        for _ in 0..concurrency.max(1) {
            let mut client = pb::scoring_client::ScoringClient::new(channel.clone());
            let (task, auth) = (task.clone(), auth.clone());
            handles.push(tokio::spawn(async move {
                let mut f = Figures {
                    requests: 0,
                    errors: 0,
                    latencies_us: Vec::with_capacity(1 << 16),
                };
                loop {
                    let t0 = Instant::now();
                    if t0 >= end {
                        break;
                    }
                    let mut req = tonic::Request::new(pb::ScoreRequest {
                        task: Some(task.clone()),
                    });
                    req.metadata_mut().insert("authorization", auth.clone());
                    let ok = client.score(req).await.is_ok();
                    if t0 >= measure_from {
                        f.requests += 1;
                        if !ok {
                            f.errors += 1;
                        }
                        f.latencies_us
                            .push(t0.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                    }
                }
                f
            }));
        }
    }
    let mut all = Figures {
        requests: 0,
        errors: 0,
        latencies_us: Vec::new(),
    };
    for h in handles {
        let f = h.await?;
        all.requests += f.requests;
        all.errors += f.errors;
        all.latencies_us.extend(f.latencies_us);
    }
    all.latencies_us.sort_unstable();
    let pct = |p: f64| -> f64 {
        if all.latencies_us.is_empty() {
            return 0.0;
        }
        let i =
            ((all.latencies_us.len() as f64 * p).ceil() as usize).clamp(1, all.latencies_us.len());
        f64::from(all.latencies_us[i - 1]) / 1000.0
    };
    let rps = all.requests as f64 / seconds;
    if json {
        println!(
            "{}",
            serde_json::json!({
                "requests": all.requests, "errors": all.errors, "seconds": seconds,
                "requests_per_second": rps, "p50_ms": pct(0.50), "p99_ms": pct(0.99),
                "p999_ms": pct(0.999), "connections": connections, "concurrency": concurrency,
            })
        );
    } else {
        println!(
            "gRPC Score: {rps:.0} req/s over {seconds:.0} s ({} requests, {} errors), \
             p50 {:.3} ms, p99 {:.3} ms, p99.9 {:.3} ms ({connections} connections × {concurrency} in flight)",
            all.requests,
            all.errors,
            pct(0.50),
            pct(0.99),
            pct(0.999)
        );
    }
    Ok(())
}

struct Bare;

#[tonic::async_trait]
impl pb::scoring_server::Scoring for Bare {
    async fn score(
        &self,
        _: tonic::Request<pb::ScoreRequest>,
    ) -> Result<tonic::Response<pb::ScoreResponse>, tonic::Status> {
        Ok(tonic::Response::new(pb::ScoreResponse {
            score: Some(pb::Score {
                probability: 0.5,
                late: true,
                threshold: 0.5,
                project_open_load: 1,
                project_throughput_28d: 1,
            }),
            model_version: 1,
        }))
    }

    async fn score_batch(
        &self,
        _: tonic::Request<pb::ScoreBatchRequest>,
    ) -> Result<tonic::Response<pb::ScoreBatchResponse>, tonic::Status> {
        Err(tonic::Status::unimplemented("bare"))
    }

    type WatchRiskStream = std::pin::Pin<
        Box<dyn tokio_stream::Stream<Item = Result<pb::ProjectRisk, tonic::Status>> + Send>,
    >;

    async fn watch_risk(
        &self,
        _: tonic::Request<pb::WatchRiskRequest>,
    ) -> Result<tonic::Response<Self::WatchRiskStream>, tonic::Status> {
        Err(tonic::Status::unimplemented("bare"))
    }
}

async fn bare(addr: std::net::SocketAddr, grpc_addr: std::net::SocketAddr) -> anyhow::Result<()> {
    let rest = axum::Router::new().route(
        "/v1/score",
        axum::routing::post(|_: axum::body::Bytes| async {
            axum::Json(serde_json::json!({"model_version": 1, "score": {"probability": 0.5,
                "late": true, "threshold": 0.5, "project_open_load": 1, "project_throughput_28d": 1}}))
        }),
    );
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let incoming = tonic::transport::server::TcpIncoming::bind(grpc_addr)?.with_nodelay(Some(true));
    eprintln!("bare servers: REST {addr}, gRPC {grpc_addr}");
    use axum::serve::ListenerExt as _;
    let listener = listener.tap_io(|t| {
        let _ = t.set_nodelay(true);
    });
    let grpc = tonic::transport::Server::builder()
        .add_service(pb::scoring_server::ScoringServer::new(Bare))
        .serve_with_incoming(incoming);
    let (a, b) = tokio::join!(axum::serve(listener, rest).into_future(), grpc);
    a?;
    b?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Cmd::Features { rows } => {
            print!("{}", mlops::synthetic::csv(&mlops::synthetic::tasks(rows)));
            Ok(())
        }
        Cmd::Seed { bootstrap, topic } => seed(&bootstrap, &topic),
        Cmd::Bare { addr, grpc_addr } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(bare(addr, grpc_addr)),
        Cmd::Grpc(load) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?
            .block_on(grpc(load)),
    }
}
