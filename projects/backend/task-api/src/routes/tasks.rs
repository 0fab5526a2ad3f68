//! `/v1/tasks/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use tasks_domain::TaskPatch;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Actor;
use crate::extract::{Body, IfMatch, Path};
use crate::problem::ApiResult;
use crate::routes::projects::with_etag;

pub async fn get(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let t = state.store.task(actor.user_id, id).await?;
    Ok(with_etag(t.version, Json(t)))
}

pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    IfMatch(v): IfMatch,
    Body(patch): Body<TaskPatch>,
) -> ApiResult<Response> {
    let t = state.store.update_task(actor.user_id, id, patch, v).await?;
    Ok(with_etag(t.version, Json(t)))
}

pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    IfMatch(v): IfMatch,
) -> ApiResult<StatusCode> {
    state.store.delete_task(actor.user_id, id, v).await?;
    Ok(StatusCode::NO_CONTENT)
}
