//! HTTP handlers. Each reads as the business rule; auth, limits, ids, metrics and errors are
//! layers and extractors (see `lib.rs`, `extract.rs`, `auth.rs`).

pub mod auth;
pub mod flags;
pub mod health;
pub mod kpis;
pub mod projects;
pub mod tasks;

use std::future::Future;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::auth::{Actor, sha256_hex};
use crate::problem::{ApiResult, Problem};

/// Runs a POST at most once per `Idempotency-Key`: a retry with the same key and body gets the
/// stored response (with `Idempotent-Replayed: true`); the same key with another body is a 409.
pub async fn idempotent<F, Fut>(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    what: &str,
    body: &[u8],
    run: F,
) -> ApiResult<Response>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ApiResult<(StatusCode, serde_json::Value)>>,
{
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let k = v.to_str().unwrap_or("").trim();
            if k.is_empty() || k.len() > 200 {
                return Err(Problem::bad_request(
                    "Idempotency-Key must be 1 to 200 visible characters",
                ));
            }
            Some(k.to_string())
        }
    };
    // Only requests that carry a key pay for hashing and the lookup.
    let hash = key
        .as_ref()
        .map(|_| sha256_hex(&format!("{what}\n{}", String::from_utf8_lossy(body))))
        .unwrap_or_default();
    if let Some(k) = &key
        && let Some((status, stored)) = state
            .store
            .idempotent_response(actor.user_id, k, &hash)
            .await?
    {
        let mut res = (
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            [(header::CONTENT_TYPE, "application/json")],
            stored,
        )
            .into_response();
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
        return Ok(res);
    }
    let (status, value) = run().await?;
    if let Some(k) = &key {
        state
            .store
            .store_idempotent_response(actor.user_id, k, &hash, status.as_u16(), &value.to_string())
            .await?;
    }
    Ok(match value.get("version").and_then(|v| v.as_i64()) {
        Some(version) => with_etag(version, (status, axum::Json(value))),
        None => (status, axum::Json(value)).into_response(),
    })
}

/// A response with the `ETag` of a resource version.
pub fn with_etag(version: i64, body: impl IntoResponse) -> Response {
    let mut res = body.into_response();
    if let Ok(v) = HeaderValue::from_str(&crate::extract::etag(version)) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}
