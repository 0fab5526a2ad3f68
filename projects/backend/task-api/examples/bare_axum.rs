//! The HTTP ceiling of this machine for the task API's stack: a bare axum server of the same
//! axum, hyper and tokio versions (it is built from the task API's own dependencies), one route
//! returning a small JSON object, default multi-threaded runtime, no middleware.
//! `bench/http-ceiling.sh` runs it beside the task API and prints both figures and the ratio.
//!
//!   cargo run --release -p task-api --example bare_axum -- 127.0.0.1:8089

use axum::Json;
use axum::Router;
use axum::routing::get;
use serde_json::json;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8089".to_string());
    let app = Router::new().route(
        "/healthz",
        get(|| async { Json(json!({ "status": "ok" })) }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("bare axum listening on {addr}");
    axum::serve(listener, app).await?;
    Ok(())
}
