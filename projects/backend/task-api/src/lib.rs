//! The task API: the system of record of the to-do product.
//!
//! `startup` builds the state (settings → database → JWT key) and the router; `routes/` hold
//! the handlers; cross-cutting behaviour is in tower layers: request ids, tracing, metrics,
//! timeouts, body limits and CORS. The outbox relay (`relay.rs`) runs beside the server.

pub mod auth;
pub mod edge;
pub mod extract;
pub mod hub;
pub mod limits;
pub mod openapi;
pub mod problem;
pub mod push;
pub mod relay;
pub mod routes;
pub mod settings;

use std::path::Path;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tasks_domain::Store;
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::CorsLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::Jwt;
use crate::problem::Problem;
pub use crate::settings::Settings;

/// What every handler reads. A request clones its route's service, state included, so it is
/// one `Arc`: a clone is a reference-count increment instead of copying the settings' strings
/// and the JWT keys (which also zeroise on drop). Fields are reached through `Deref`:
/// `state.store`.
#[derive(Clone)]
pub struct AppState(std::sync::Arc<State>);

impl AppState {
    pub fn new(state: State) -> AppState {
        AppState(std::sync::Arc::new(state))
    }
}

impl std::ops::Deref for AppState {
    type Target = State;

    fn deref(&self) -> &State {
        &self.0
    }
}

/// The fields of [`AppState`].
pub struct State {
    pub store: Store,
    pub jwt: Jwt,
    pub settings: Settings,
    pub telemetry: telemetry::Telemetry,
    pub relay_status: watch::Receiver<relay::RelayStatus>,
    /// A hash to verify against when the account does not exist (constant-time-ish login).
    pub dummy_hash: String,
    /// New events for the push stream (fed by `push::feed`).
    pub push: tokio::sync::broadcast::Sender<push::Pushed>,
    /// Becomes `true` when shutdown starts; long-lived responses end then.
    pub draining: watch::Receiver<bool>,
    /// Feature flags of this environment.
    pub flags: std::sync::Arc<routes::flags::FlagSet>,
    /// Changed shared counters, for the live counters' sockets (`hub.rs`).
    pub hub: tokio::sync::broadcast::Sender<hub::Changed>,
    /// Wakes the push feed after a write here, so its event goes out at once instead of at
    /// the next poll (writes of other instances are still found by polling).
    pub feed_wake: std::sync::Arc<tokio::sync::Notify>,
    /// The lake's `gold/kpis_daily`, read for `GET /v1/projects/{id}/kpis`.
    pub kpis: std::sync::Arc<routes::kpis::GoldKpis>,
}

/// The JWT key: `JWT_SECRET`, else a random key created once in the data folder (mode 0600).
pub fn jwt_secret(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    if let Some(s) = settings.jwt_secret.as_deref().filter(|s| !s.is_empty()) {
        return access_token::secret_key(s).map_err(anyhow::Error::msg);
    }
    let path = Path::new(&settings.portfolio_data_dir).join("jwt.key");
    if let Ok(key) = std::fs::read(&path) {
        return Ok(key);
    }
    std::fs::create_dir_all(&settings.portfolio_data_dir)?;
    let key = auth::random_token("").into_bytes();
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        f.write_all(&key)?;
    }
    tracing::warn!(path = %path.display(), "JWT_SECRET is not set: created a local signing key");
    Ok(key)
}

async fn not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "Not found",
        "no such route",
    )
}

pub fn router(state: AppState) -> Router {
    let s = &state.settings;
    let request_id = HeaderName::from_static("x-request-id");
    let cors = {
        let origins: Vec<HeaderValue> = s
            .cors_origins
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .filter_map(|o| o.parse().ok())
            .collect();
        CorsLayer::new()
            .allow_origin(origins)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PATCH,
                Method::PUT,
                Method::DELETE,
            ])
            .allow_headers([
                axum::http::header::AUTHORIZATION,
                axum::http::header::CONTENT_TYPE,
                axum::http::header::IF_MATCH,
                HeaderName::from_static("idempotency-key"),
            ])
            .expose_headers([axum::http::header::ETAG, request_id.clone()])
    };
    let api = Router::new()
        .route("/auth/register", post(routes::auth::register))
        .route("/auth/login", post(routes::auth::login))
        .route("/auth/refresh", post(routes::auth::refresh))
        .route("/auth/logout", post(routes::auth::logout))
        .route("/me", get(routes::auth::me))
        .route("/flags", get(routes::flags::list))
        .route("/api-keys", post(routes::auth::create_api_key))
        .route(
            "/projects",
            get(routes::projects::list).post(routes::projects::create),
        )
        .route(
            "/projects/{id}",
            get(routes::projects::get)
                .patch(routes::projects::update)
                .delete(routes::projects::delete),
        )
        .route(
            "/projects/{id}/members",
            get(routes::projects::members).put(routes::projects::put_member),
        )
        .route(
            "/projects/{id}/members/{user_id}",
            axum::routing::delete(routes::projects::remove_member),
        )
        .route(
            "/projects/{id}/tasks",
            get(routes::projects::tasks).post(routes::projects::create_task),
        )
        .route("/projects/{id}/analytics", get(routes::projects::analytics))
        .route("/projects/{id}/kpis", get(routes::kpis::kpis))
        .route("/projects/{id}/events", get(push::stream))
        .route("/projects/{id}/counters/{name}", get(hub::get))
        .route("/projects/{id}/counters/{name}/live", get(hub::live))
        .route(
            "/tasks/{id}",
            get(routes::tasks::get)
                .patch(routes::tasks::update)
                .delete(routes::tasks::delete),
        );
    Router::new()
        .nest("/v1", api)
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .route("/metrics", get(routes::health::metrics))
        .route(
            "/openapi.json",
            get(|| async { axum::Json(<openapi::ApiDoc as utoipa::OpenApi>::openapi()) }),
        )
        .merge(
            <utoipa_scalar::Scalar<_> as utoipa_scalar::Servable<_>>::with_url(
                "/docs",
                <openapi::ApiDoc as utoipa::OpenApi>::openapi(),
            ),
        )
        .fallback(not_found)
        // One `ServiceBuilder` stack instead of one `.layer` call per layer: each `Router::layer`
        // boxes every route once more, and a request clones and drops the whole boxed stack of
        // its route, so eight calls cost eight allocations per request and layer on top
        // (issue #33's profile). Outermost first.
        .layer(
            tower::ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(TraceLayer::new_for_http())
                .layer(CatchPanicLayer::custom(|_| {
                    problem::internal(&"a handler panicked").into_response()
                }))
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(cors)
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::SERVICE_UNAVAILABLE,
                    Duration::from_secs(s.request_timeout_secs),
                ))
                .layer(DefaultBodyLimit::max(s.body_limit_bytes))
                .layer(edge::EdgeLayer::new(
                    limits::Limits::new(
                        s.rate_limit_per_ip,
                        s.rate_limit_per_user,
                        state.jwt.clone(),
                    ),
                    state.feed_wake.clone(),
                )),
        )
        .with_state(state)
}

/// Connects, starts the relay, serves on `listener` until `shutdown` resolves, then stops the
/// relay after the in-flight requests finished.
pub async fn serve(
    settings: Settings,
    telemetry: telemetry::Telemetry,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let mut store = Store::connect(&settings.database_url()).await?;
    if let Some(url) = settings.redis_url.as_deref().filter(|u| !u.is_empty()) {
        store = store
            .with_redis(url, &settings.cache_prefix)
            .await
            .map_err(anyhow::Error::msg)?;
    }
    let jwt = Jwt::new(&jwt_secret(&settings)?, settings.access_token_ttl_secs);
    let flags = routes::flags::FlagSet::load(
        std::path::Path::new(&settings.flags_file),
        &settings.portfolio_env,
    )?;
    let (status_tx, status_rx) = watch::channel::<relay::RelayStatus>("disabled".into());
    // `draining` flips when shutdown starts (push streams end so connections can close);
    // `stop` after the server finished (background tasks end).
    let (draining_tx, draining) = watch::channel(false);
    let (stop_tx, stop_rx) = watch::channel(false);
    let push_tx = push::channel();
    let feed_wake = std::sync::Arc::new(tokio::sync::Notify::new());
    let feeder = tokio::spawn(push::feed(
        store.clone(),
        push_tx.clone(),
        feed_wake.clone(),
        stop_rx.clone(),
    ));
    tokio::spawn(hub::prune_ops(store.clone(), stop_rx.clone()));
    let relay = (!settings.kafka_bootstrap_servers.is_empty()).then(|| {
        let _ = status_tx.send("starting".into());
        tokio::spawn(relay::run(
            store.clone(),
            settings.kafka_bootstrap_servers.clone(),
            Duration::from_millis(settings.relay_interval_ms),
            status_tx,
            stop_rx,
        ))
    });
    let dummy_hash =
        tokio::task::spawn_blocking(|| auth::hash_password("not a real password")).await?;
    let settings_lake = settings.lake_url.clone();
    let state = AppState::new(State {
        store,
        jwt,
        settings,
        telemetry,
        relay_status: status_rx,
        dummy_hash,
        push: push_tx,
        draining,
        flags: std::sync::Arc::new(flags),
        hub: hub::channel(),
        feed_wake,
        kpis: std::sync::Arc::new(routes::kpis::GoldKpis::new(&settings_lake)),
    });
    tracing::info!(addr = %listener.local_addr()?, backend = ?state.store.backend, "task API listening");
    let shutdown = async move {
        shutdown.await;
        let _ = draining_tx.send(true);
    };
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    let _ = stop_tx.send(true);
    let _ = feeder.await;
    if let Some(r) = relay {
        let _ = r.await;
    }
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutting down");
}

/// `task-api healthcheck`: GET `/healthz` on the instance listening on `addr` (`host:port`; a
/// wildcard host is asked on loopback); `Ok` only on a 200 answer within three seconds. The
/// container image's HEALTHCHECK and the Helm chart's `helm test` pod run it.
pub async fn healthcheck(addr: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let ask = async {
        let mut target = tokio::net::lookup_host(addr)
            .await?
            .next()
            .ok_or_else(|| std::io::Error::other("no address"))?;
        if target.ip().is_unspecified() {
            target.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        let mut stream = tokio::net::TcpStream::connect(target).await?;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await?;
        let mut head = vec![0u8; 64];
        let n = stream.read(&mut head).await?;
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&head[..n]).into_owned())
    };
    let head = tokio::time::timeout(Duration::from_secs(3), ask)
        .await
        .with_context(|| format!("{addr}/healthz: no answer within 3 s"))?
        .with_context(|| format!("asking {addr}/healthz"))?;
    let status = head.lines().next().unwrap_or_default();
    anyhow::ensure!(
        status.split_whitespace().nth(1) == Some("200"),
        "{addr}/healthz answered `{status}`"
    );
    Ok(())
}
