//! `scoring-service` (the guide's `backend/rust-microservice`): scores tasks, the risk of
//! missing their due date, with the model the model life cycle promoted, over REST (axum)
//! and gRPC (tonic), using each project's live open load and throughput.
//!
//! Rooms: [`config`] (flags and environment), [`serving`] (the model slot, hot reload, the
//! registry's circuit breaker), [`aggregates`] (the live per-project figures and members),
//! [`consumer`] (the topic into the aggregates, exactly once across restarts), [`scoring`]
//! (a task checked at the edge, its score), [`service`] (what both protocols share: caller,
//! rate limit, membership, errors), [`layers`] (shed, concurrency limit, timeout, latency
//! metrics), [`http`] and [`grpc`] (the two interfaces). [`run`] wires them; `main.rs`
//! only parses the flags.

pub mod aggregates;
pub mod config;
pub mod consumer;
pub mod grpc;
pub mod http;
pub mod layers;
pub mod scoring;
pub mod service;
pub mod serving;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::watch;

pub use config::Config;
use service::Service;
use serving::{Breaker, Check, Reloader};

/// The token key: `JWT_SECRET`, else the task API's key file (waiting for it a while: under
/// `portfolio up` the task API creates it when it first starts).
fn jwt_key(cfg: &Config) -> anyhow::Result<Vec<u8>> {
    if let Ok(s) = std::env::var("JWT_SECRET")
        && !s.is_empty()
    {
        return access_token::secret_key(&s).map_err(anyhow::Error::msg);
    }
    let path = Config::resolve(&cfg.jwt_secret_file);
    for _ in 0..60 {
        match std::fs::read(&path) {
            Ok(k) if !k.is_empty() => return Ok(k),
            _ => std::thread::sleep(Duration::from_millis(500)),
        }
    }
    anyhow::bail!(
        "no token key: set JWT_SECRET (the task API's) or JWT_KEY_FILE; {} does not exist",
        path.display()
    )
}

/// Keeps the model slot on the registry's stage until `stop`.
async fn reload_loop(
    svc: Arc<Service>,
    mut r: Reloader,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let slot_svc = svc.clone();
        let (back, result) = tokio::task::spawn_blocking(move || {
            let res = r.check(&slot_svc.slot);
            (r, res)
        })
        .await
        .expect("the registry check does not panic");
        r = back;
        metrics::gauge!("scoring_registry_breaker")
            .set(f64::from(r.breaker.state(std::time::Instant::now()) as u8));
        match result {
            Ok(Check::Swapped { from, to }) => {
                metrics::gauge!("scoring_model_version").set(f64::from(to));
                metrics::counter!("scoring_model_reloads_total").increment(1);
                tracing::info!(from = ?from, to, stage = %r.stage, "serving a new model version");
            }
            Ok(Check::Same | Check::Skipped) => {}
            Err(e) => {
                metrics::counter!("scoring_model_reload_failures_total").increment(1);
                tracing::warn!(error = %e, registry = %r.registry.store.describe(),
                    "checking the model registry failed; the loaded model keeps serving");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}

async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// `scoring-service healthcheck`: the gRPC health service says SERVING (a model is loaded and
/// the consumer runs) and REST `/healthz` answers.
pub async fn healthcheck(cfg: &Config) -> anyhow::Result<()> {
    use tonic_health::pb::health_client::HealthClient;
    let local = |mut a: std::net::SocketAddr| {
        if a.ip().is_unspecified() {
            a.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        a
    };
    let grpc = local(cfg.grpc_addr);
    let ask = async {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{grpc}"))?
            .connect()
            .await?;
        let r = HealthClient::new(channel)
            .check(tonic_health::pb::HealthCheckRequest {
                service: "scoring.v1.Scoring".into(),
            })
            .await?
            .into_inner();
        anyhow::Ok(r.status)
    };
    let status = tokio::time::timeout(Duration::from_secs(3), ask)
        .await
        .with_context(|| format!("{grpc}: no gRPC health answer within 3 s"))?
        .with_context(|| format!("asking the gRPC health service at {grpc}"))?;
    anyhow::ensure!(
        status == tonic_health::pb::health_check_response::ServingStatus::Serving as i32,
        "{grpc}: scoring.v1.Scoring is not serving (no model loaded yet, or the consumer has no partitions)"
    );
    let rest = local(cfg.addr);
    let mut stream =
        tokio::time::timeout(Duration::from_secs(3), tokio::net::TcpStream::connect(rest))
            .await
            .with_context(|| format!("{rest}: no answer within 3 s"))?
            .with_context(|| format!("connecting to {rest}"))?;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await?;
    let mut head = vec![0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(3), stream.read(&mut head)).await??;
    let line = String::from_utf8_lossy(&head[..n])
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    anyhow::ensure!(
        line.split_whitespace().nth(1) == Some("200"),
        "{rest}/healthz answered `{line}`"
    );
    Ok(())
}

/// Runs the service until SIGTERM or Ctrl-C, then drains in-flight requests.
pub async fn run(cfg: Config) -> anyhow::Result<()> {
    let telemetry = Arc::new(
        telemetry::init(&telemetry::TelemetryConfig::from_env("scoring-service")?)
            .context("starting telemetry")?,
    );
    let key = jwt_key(&cfg)?;
    let svc = Arc::new(Service::new(
        &key,
        &cfg.stage,
        cfg.max_batch,
        cfg.rate_per_client,
    ));
    let registry_root = lake::resolve(&cfg.registry);
    let reloader = Reloader {
        registry: mlops::registry::Registry::open(&registry_root)
            .with_context(|| format!("opening the model registry {registry_root}"))?,
        stage: cfg.stage.clone(),
        breaker: Breaker::new(
            cfg.breaker_failures,
            Duration::from_secs_f64(cfg.breaker_secs.max(0.0)),
        ),
    };
    let (stop_tx, stop) = watch::channel(false);
    let reload = tokio::spawn(reload_loop(
        svc.clone(),
        reloader,
        Duration::from_secs_f64(cfg.reload_secs.max(0.05)),
        stop.clone(),
    ));
    let consumer = if cfg.kafka == "none" {
        svc.consuming
            .store(true, std::sync::atomic::Ordering::Relaxed);
        None
    } else {
        let settings = consumer::Settings {
            bootstrap: cfg.kafka.clone(),
            group: cfg.group.clone(),
            topic: cfg.topic.clone(),
            state_file: Config::resolve(&cfg.data_dir).join("aggregates.json"),
            snapshot_every: Duration::from_secs_f64(cfg.snapshot_secs.max(0.05)),
        };
        Some(tokio::spawn(consumer::run(
            svc.clone(),
            settings,
            stop.clone(),
        )))
    };

    let limits = layers::Limits::new(cfg.max_in_flight, Duration::from_millis(cfg.timeout_ms));
    let rest = http::router(svc.clone(), &limits, telemetry.clone());
    let rest_listener = tokio::net::TcpListener::bind(cfg.addr)
        .await
        .with_context(|| format!("binding the REST address {}", cfg.addr))?;
    let grpc_listener = tokio::net::TcpListener::bind(cfg.grpc_addr)
        .await
        .with_context(|| format!("binding the gRPC address {}", cfg.grpc_addr))?;

    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_not_serving::<grpc::pb::scoring_server::ScoringServer<grpc::Api>>()
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(grpc::pb::DESCRIPTOR)
        .build_v1()
        .context("building gRPC reflection")?;
    let grpc_router = tonic::transport::Server::builder()
        .layer(layers::grpc_stack(svc.clone(), &limits))
        .add_service(health)
        .add_service(reflection)
        .add_service(grpc::server(svc.clone()));
    // The health service follows readiness.
    {
        let svc = svc.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let mut serving = false;
            loop {
                let ready = svc.slot.version().is_some()
                    && svc.consuming.load(std::sync::atomic::Ordering::Relaxed);
                if ready != serving {
                    serving = ready;
                    if ready {
                        health_reporter
                            .set_serving::<grpc::pb::scoring_server::ScoringServer<grpc::Api>>()
                            .await;
                    } else {
                        health_reporter
                            .set_not_serving::<grpc::pb::scoring_server::ScoringServer<grpc::Api>>()
                            .await;
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                    _ = stop.changed() => return,
                }
            }
        });
    }
    tracing::info!(rest = %cfg.addr, grpc = %cfg.grpc_addr, stage = %cfg.stage,
        registry = %registry_root, "scoring-service listening");

    let (sig_tx, sig) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = sig_tx.send(true);
    });
    let wait = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    use axum::serve::ListenerExt as _;
    let rest_listener = rest_listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let rest_server = axum::serve(rest_listener, rest).with_graceful_shutdown(wait(sig.clone()));
    let grpc_incoming =
        tonic::transport::server::TcpIncoming::from(grpc_listener).with_nodelay(Some(true));
    let grpc_server = grpc_router.serve_with_incoming_shutdown(grpc_incoming, wait(sig.clone()));
    let drain = Duration::from_secs_f64(cfg.drain_secs.max(0.0));
    let servers = async {
        let (a, b) = tokio::join!(rest_server, grpc_server);
        a.context("REST server")?;
        b.context("gRPC server")?;
        anyhow::Ok(())
    };
    tokio::pin!(servers);
    let mut sig_wait = sig.clone();
    tokio::select! {
        r = &mut servers => r?,
        _ = sig_wait.wait_for(|s| *s) => {
            tracing::info!(drain_secs = drain.as_secs_f64(), "stopping: draining in-flight requests");
            match tokio::time::timeout(drain, &mut servers).await {
                Ok(r) => r?,
                Err(_) => tracing::warn!("in-flight requests still running after the drain time; stopping anyway"),
            }
        }
    }
    let _ = stop_tx.send(true);
    let _ = reload.await;
    if let Some(c) = consumer {
        c.await.context("the consumer task")??;
    }
    telemetry.shutdown();
    tracing::info!("scoring-service stopped");
    Ok(())
}
