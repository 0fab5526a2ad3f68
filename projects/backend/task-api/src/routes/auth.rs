//! `/v1/auth/*`, `/v1/me`, `/v1/api-keys`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use tasks_domain::store::RefreshUse;
use tasks_domain::{Checks, Email, User, check_password};
use uuid::Uuid;

use crate::AppState;
use crate::auth::{
    API_KEY_PREFIX, Actor, Scope, hash_password, random_token, sha256_hex, verify_password,
};
use crate::extract::Body;
use crate::problem::{ApiResult, Problem};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Register {
    #[schema(max_length = 254, pattern = "^[^@\\s]+@[^@\\s.]+(\\.[^@\\s.]+)+$")]
    email: String,
    #[schema(min_length = 10, max_length = 128)]
    password: String,
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 120,
        pattern = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*\\S[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$"
    )]
    display_name: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    email: String,
    password: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    refresh_token: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Session {
    user: User,
    access_token: String,
    refresh_token: String,
    token_type: &'static str,
    expires_in: u64,
}

async fn session(state: &AppState, user: User, family: Uuid) -> ApiResult<Session> {
    let refresh = random_token("rt_");
    let expires =
        Utc::now() + chrono::Duration::seconds(state.settings.refresh_token_ttl_secs as i64);
    state
        .store
        .insert_refresh_token(user.id, family, &sha256_hex(&refresh), expires)
        .await?;
    Ok(Session {
        access_token: state.jwt.issue(user.id),
        refresh_token: refresh,
        token_type: "Bearer",
        expires_in: state.jwt.ttl_secs,
        user,
    })
}

#[utoipa::path(post, path = "/v1/auth/register", tag = "auth", request_body = Register,
    responses((status = 201, body = Session), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json")))]
pub async fn register(
    State(state): State<AppState>,
    Body(req): Body<Register>,
) -> ApiResult<(StatusCode, Json<Session>)> {
    let mut c = Checks::default();
    let email = Email::parse(&mut c, "/email", &req.email);
    check_password(&mut c, "/password", &req.password);
    let display = req
        .display_name
        .as_deref()
        .map(|d| c.text("/display_name", d, 1, 120));
    c.finish(())?;
    let password = req.password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| Problem::bad_request("hashing failed"))?;
    let user = state
        .store
        .create_user(&email, display.as_deref(), &hash)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(session(&state, user, Uuid::now_v7()).await?),
    ))
}

#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = Login,
    responses((status = 200, body = Session), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json")))]
pub async fn login(
    State(state): State<AppState>,
    Body(req): Body<Login>,
) -> ApiResult<Json<Session>> {
    // Same work whether or not the account exists, so timing does not reveal accounts.
    let (user, hash) = match state.store.user_by_email(&req.email).await? {
        Some((user, hash)) => (Some(user), hash),
        None => (None, state.dummy_hash.clone()),
    };
    let password = req.password;
    let ok = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
        .await
        .unwrap_or(false);
    let Some(user) = user.filter(|_| ok) else {
        return Err(Problem::unauthorized("wrong e-mail or password"));
    };
    Ok(Json(session(&state, user, Uuid::now_v7()).await?))
}

#[utoipa::path(post, path = "/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = Session), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json")))]
pub async fn refresh(
    State(state): State<AppState>,
    Body(req): Body<RefreshRequest>,
) -> ApiResult<Json<Session>> {
    match state
        .store
        .use_refresh_token(&sha256_hex(&req.refresh_token))
        .await?
    {
        RefreshUse::Valid { user_id, family_id } => {
            let user = state.store.user(user_id).await?;
            Ok(Json(session(&state, user, family_id).await?))
        }
        RefreshUse::Reused => Err(Problem::unauthorized(
            "this refresh token was already used: every session of its family is revoked; sign in again",
        )),
        RefreshUse::Invalid => Err(Problem::unauthorized(
            "unknown or expired refresh token; sign in again",
        )),
    }
}

#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json")))]
pub async fn logout(
    State(state): State<AppState>,
    Body(req): Body<RefreshRequest>,
) -> ApiResult<StatusCode> {
    state
        .store
        .revoke_refresh_family(&sha256_hex(&req.refresh_token))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = User), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn me(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<User>> {
    Ok(Json(state.store.user(actor.user_id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    #[schema(
        min_length = 1,
        max_length = 80,
        pattern = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*\\S[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$"
    )]
    name: String,
    scopes: Vec<Scope>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedApiKey {
    id: Uuid,
    name: String,
    scopes: Vec<Scope>,
    /// Shown once; only its hash is stored.
    key: String,
}

#[utoipa::path(post, path = "/v1/api-keys", tag = "auth", security(("bearer" = [])), request_body = NewApiKey,
    responses((status = 201, body = CreatedApiKey), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json")))]
pub async fn create_api_key(
    State(state): State<AppState>,
    actor: Actor,
    Body(req): Body<NewApiKey>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    if actor.scopes.is_some() {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "scope",
            "Forbidden",
            "API keys cannot create API keys",
        ));
    }
    let mut c = Checks::default();
    let name = c.text("/name", &req.name, 1, 80);
    if req.scopes.is_empty() {
        c.fail("/scopes", "name at least one of read, write");
    }
    c.finish(())?;
    let key = random_token(API_KEY_PREFIX);
    let scopes: Vec<String> = req
        .scopes
        .iter()
        .map(|s| {
            serde_json::to_value(s)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        })
        .collect();
    let id = state
        .store
        .create_api_key(actor.user_id, &name, &sha256_hex(&key), &scopes)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            id,
            name,
            scopes: req.scopes,
            key,
        }),
    ))
}
