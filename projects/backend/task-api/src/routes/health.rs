//! `/healthz` (the process answers), `/readyz` (the database answers), `/metrics`.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use crate::AppState;

pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let db = state.store.ping().await;
    let backlog = state.store.outbox_backlog().await.ok();
    let relay = state.relay_status.borrow().clone();
    let body = json!({
        "status": if db.is_ok() { "ready" } else { "not ready" },
        "database": if db.is_ok() { "ok" } else { "unreachable" },
        "outbox_backlog": backlog,
        "relay": relay,
        "cache": state.store.cache_kind(),
    });
    let status = if db.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    if let Ok(n) = state.store.outbox_backlog().await {
        metrics::gauge!("task_api_outbox_backlog").set(n as f64);
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.telemetry.render(),
    )
}
