//! `/v1/projects`, members, tasks of a project, analytics.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use events::TaskSnapshot;
use serde::{Deserialize, Serialize};
use tasks_domain::{
    Analytics, Checks, Email, Member, NewProject, NewTask, Page, Project, ProjectPatch, Role,
    TaskQuery, TaskStatus,
};
use uuid::Uuid;

use crate::AppState;
use crate::auth::Actor;
use crate::extract::{Body, IfMatch, JsonBytes, Path, Query, parse};
use crate::problem::{ApiResult, Problem};
use crate::routes::{idempotent, with_etag};

#[utoipa::path(get, path = "/v1/projects", tag = "projects", security(("bearer" = [])),
    responses((status = 200, body = Vec<Project>), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn list(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Vec<Project>>> {
    Ok(Json(state.store.list_projects(actor.user_id).await?))
}

#[utoipa::path(post, path = "/v1/projects", tag = "projects", security(("bearer" = [])), request_body = NewProject,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays the first response of a retried POST")),
    responses((status = 201, body = Project), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    JsonBytes(bytes): JsonBytes,
) -> ApiResult<Response> {
    idempotent(
        &state,
        &actor,
        &headers,
        "POST /v1/projects",
        &bytes,
        || async {
            let input: NewProject = parse(&bytes)?;
            let p = state.store.create_project(actor.user_id, input).await?;
            Ok((
                StatusCode::CREATED,
                serde_json::to_value(&p).expect("serialises"),
            ))
        },
    )
    .await
}

#[utoipa::path(get, path = "/v1/projects/{id}", tag = "projects", security(("bearer" = [])), params(("id" = Uuid, Path, description = "project id")),
    responses((status = 200, body = Project), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let p = state.store.project(actor.user_id, id).await?;
    Ok(with_etag(p.version, Json(p)))
}

#[utoipa::path(patch, path = "/v1/projects/{id}", tag = "projects", security(("bearer" = [])), request_body = ProjectPatch,
    params(("id" = Uuid, Path, description = "project id"), ("If-Match" = Option<String>, Header, description = "ETag of the version being changed")),
    responses((status = 200, body = Project), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    IfMatch(v): IfMatch,
    Body(patch): Body<ProjectPatch>,
) -> ApiResult<Response> {
    let p = state
        .store
        .update_project(actor.user_id, id, patch, v)
        .await?;
    Ok(with_etag(p.version, Json(p)))
}

#[utoipa::path(delete, path = "/v1/projects/{id}", tag = "projects", security(("bearer" = [])), params(("id" = Uuid, Path, description = "project id")),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.store.delete_project(actor.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/projects/{id}/members", tag = "members", security(("bearer" = [])), params(("id" = Uuid, Path, description = "project id")),
    responses((status = 200, body = Vec<Member>), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn members(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<Member>>> {
    Ok(Json(state.store.members(actor.user_id, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutMember {
    email: String,
    role: Role,
}

#[utoipa::path(put, path = "/v1/projects/{id}/members", tag = "members", security(("bearer" = [])), params(("id" = Uuid, Path, description = "project id")), request_body = PutMember,
    responses((status = 200, body = Member), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json")))]
/// Invite an existing account by e-mail, or change its role (owner only).
pub async fn put_member(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    Body(req): Body<PutMember>,
) -> ApiResult<Json<Member>> {
    let mut c = Checks::default();
    let email = Email::parse(&mut c, "/email", &req.email);
    c.finish(())?;
    Ok(Json(
        state
            .store
            .put_member(actor.user_id, id, &email, req.role)
            .await?,
    ))
}

#[utoipa::path(delete, path = "/v1/projects/{id}/members/{user_id}", tag = "members", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "project id"), ("user_id" = Uuid, Path, description = "member")),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn remove_member(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, user)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    state.store.remove_member(actor.user_id, id, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    #[serde(default)]
    status: Option<TaskStatus>,
    #[serde(default)]
    assignee_id: Option<Uuid>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    overdue: Option<bool>,
    #[serde(default)]
    due_before: Option<chrono::NaiveDate>,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    cursor: Option<String>,
}

pub const MAX_PAGE: usize = 100;

#[utoipa::path(get, path = "/v1/projects/{id}/tasks", tag = "tasks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "project id"), ListParams),
    responses((status = 200, body = Page<TaskSnapshot>), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn tasks(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<Page<tasks_domain::store::Task>>> {
    let mut c = Checks::default();
    let limit = p.limit.unwrap_or(50);
    if limit == 0 || limit > MAX_PAGE {
        c.fail("limit", format!("must be between 1 and {MAX_PAGE}"));
    }
    if p.q.as_ref().is_some_and(|q| q.chars().count() > 200)
        || p.label.as_ref().is_some_and(|l| l.chars().count() > 50)
    {
        c.fail("q", "search terms are at most 200 characters, labels 50");
    }
    c.finish(())?;
    let query = TaskQuery {
        status: p.status,
        assignee_id: p.assignee_id,
        label: p.label,
        q: p.q.filter(|q| !q.trim().is_empty()),
        overdue: p.overdue.unwrap_or(false),
        due_before: p.due_before,
        limit,
        cursor: p.cursor,
    };
    Ok(Json(
        state.store.list_tasks(actor.user_id, id, &query).await?,
    ))
}

#[utoipa::path(post, path = "/v1/projects/{id}/tasks", tag = "tasks", security(("bearer" = [])), request_body = NewTask,
    params(("id" = Uuid, Path, description = "project id"), ("Idempotency-Key" = Option<String>, Header, description = "replays the first response of a retried POST")),
    responses((status = 201, body = TaskSnapshot), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json")))]
pub async fn create_task(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    JsonBytes(bytes): JsonBytes,
) -> ApiResult<Response> {
    let what = format!("POST /v1/projects/{id}/tasks");
    idempotent(&state, &actor, &headers, &what, &bytes, || async {
        let input: NewTask = parse(&bytes)?;
        let task = state
            .store
            .create_task(actor.user_id, id, input.validate()?)
            .await?;
        Ok((
            StatusCode::CREATED,
            serde_json::to_value(&task).expect("serialises"),
        ))
    })
    .await
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AnalyticsView {
    project_id: Uuid,
    #[serde(flatten)]
    analytics: Analytics,
}

#[utoipa::path(get, path = "/v1/projects/{id}/analytics", tag = "projects", security(("bearer" = [])), params(("id" = Uuid, Path, description = "project id")),
    responses((status = 200, body = AnalyticsView), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn analytics(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<AnalyticsView>> {
    let mut analytics = state.store.analytics(actor.user_id, id).await?;
    if !state.flags.flag("analytics.cycle-time") {
        analytics.median_cycle_time_hours = None;
    }
    Ok(Json(AnalyticsView {
        project_id: id,
        analytics,
    }))
}
