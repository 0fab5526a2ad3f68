//! `/v1/tasks/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use events::TaskSnapshot;
use tasks_domain::TaskPatch;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Actor;
use crate::extract::{Body, IfMatch, Path};
use crate::problem::{ApiResult, Problem};
use crate::routes::with_etag;

#[utoipa::path(get, path = "/v1/tasks/{id}", tag = "tasks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "task id")),
    responses((status = 200, body = TaskSnapshot, headers(("ETag" = String))), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let t = state.store.task(actor.user_id, id).await?;
    Ok(with_etag(t.version, Json(t)))
}

#[utoipa::path(patch, path = "/v1/tasks/{id}", tag = "tasks", security(("bearer" = [])), request_body = TaskPatch,
    params(("id" = Uuid, Path, description = "task id"), ("If-Match" = Option<String>, Header, description = "ETag of the version being changed")),
    responses((status = 200, body = TaskSnapshot), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json")))]
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

#[utoipa::path(delete, path = "/v1/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "task id"), ("If-Match" = Option<String>, Header, description = "ETag of the version being deleted")),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    IfMatch(v): IfMatch,
) -> ApiResult<StatusCode> {
    state.store.delete_task(actor.user_id, id, v).await?;
    Ok(StatusCode::NO_CONTENT)
}
