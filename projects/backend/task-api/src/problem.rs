//! Errors as RFC 9457 `application/problem+json`, with field-level details.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tasks_domain::{DomainError, FieldError};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        kind: &str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Problem {
        Problem {
            kind: format!("urn:portfolio:problem:{kind}"),
            title,
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn invalid(errors: Vec<FieldError>) -> Problem {
        let n = errors.len();
        Problem {
            errors,
            ..Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "Invalid request",
                format!("{n} field(s) are invalid"),
            )
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Bad request",
            detail,
        )
    }

    pub fn unauthorized(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            detail,
        )
    }

    pub fn not_found() -> Problem {
        Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            "no such resource, or it is not yours to see",
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, Json(&self)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

impl From<DomainError> for Problem {
    fn from(e: DomainError) -> Problem {
        match e {
            DomainError::Invalid(errors) => Problem::invalid(errors),
            DomainError::NotFound => Problem::not_found(),
            DomainError::Forbidden(why) => {
                Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", why)
            }
            DomainError::Conflict(why) => {
                Problem::new(StatusCode::CONFLICT, "conflict", "Conflict", why)
            }
            DomainError::Stale { current } => Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "stale",
                "Precondition failed",
                format!(
                    "the resource changed: it is now at version {current} (ETag \"{current}\"); reload and retry"
                ),
            ),
            DomainError::Database(e) => internal(&e),
            DomainError::Migration(e) => internal(&e),
        }
    }
}

/// A 500 that says nothing about internals; `e` goes to the log only.
pub fn internal(e: &dyn std::fmt::Display) -> Problem {
    tracing::error!(error = %e, "internal error");
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Internal error",
        "the server failed; the request id identifies it in the logs",
    )
}

pub type ApiResult<T> = Result<T, Problem>;
