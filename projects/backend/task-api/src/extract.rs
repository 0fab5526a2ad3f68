//! Request extractors that turn bad input into problem documents.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use tasks_domain::FieldError;

use crate::problem::Problem;

/// A JSON body: `application/json`, within the body limit, well-formed, and of the right
/// shape (unknown fields refused). Errors name the field as a JSON pointer.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let JsonBytes(bytes) = JsonBytes::from_request(req, state).await?;
        parse(&bytes).map(Body)
    }
}

/// The raw bytes of a JSON body (media type and size checked), for handlers that also need
/// them as they came (idempotency keys hash the request).
pub struct JsonBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "media-type",
                "Unsupported media type",
                "send the body as application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e: BytesRejection| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Problem::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "too-large",
                        "Body too large",
                        "the request body exceeds the limit",
                    )
                } else {
                    Problem::bad_request(e.body_text())
                }
            })?;
        Ok(JsonBytes(bytes))
    }
}

/// Parses JSON with the failing field's location.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() {
            return Problem::bad_request(format!("malformed JSON: {inner}"));
        }
        let field = pointer(&e.path().to_string());
        Problem::invalid(vec![FieldError {
            field,
            message: inner.to_string(),
        }])
    })
}

/// `a.b[0].c` → `/a/b/0/c`; `.` → `/`.
fn pointer(path: &str) -> String {
    if path == "." || path.is_empty() {
        return "/".into();
    }
    let mut out = String::new();
    for part in path.split('.') {
        for piece in part.split('[') {
            let piece = piece.trim_end_matches(']');
            if !piece.is_empty() {
                out.push('/');
                out.push_str(piece);
            }
        }
    }
    out
}

/// `If-Match: "7"` → `Some(7)`; absent → `None`; `*` → `None` (any version).
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let Some(v) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let s = v.to_str().unwrap_or("").trim();
        if s == "*" {
            return Ok(IfMatch(None));
        }
        s.trim_start_matches("W/")
            .trim_matches('"')
            .parse::<i64>()
            .map(|n| IfMatch(Some(n)))
            .map_err(|_| {
                Problem::new(
                    StatusCode::PRECONDITION_FAILED,
                    "stale",
                    "Precondition failed",
                    format!("If-Match `{s}` is not an ETag of this API"),
                )
            })
    }
}

/// An ETag header value for a version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// Query strings with the same problem documents as bodies.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded_de(q);
        de.map(Query)
    }
}

fn serde_urlencoded_de<T: DeserializeOwned>(q: &str) -> Result<T, Problem> {
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{q}")
            .parse()
            .map_err(|_| Problem::bad_request("malformed query string"))?,
    )
    .map(|axum::extract::Query(v)| v)
    .map_err(|e| {
        Problem::invalid(vec![FieldError {
            field: "query".into(),
            message: e.body_text(),
        }])
    })
}

/// Path parameters with a problem document for malformed ids (instead of axum's plain text).
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|e| Problem::bad_request(format!("invalid path: {}", e.body_text())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_paths_become_json_pointers() {
        assert_eq!(pointer("title"), "/title");
        assert_eq!(pointer("labels[2]"), "/labels/2");
        assert_eq!(pointer("a.b[0].c"), "/a/b/0/c");
        assert_eq!(pointer("."), "/");
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct T {
        title: String,
        labels: Vec<String>,
    }

    #[test]
    fn bad_bodies_become_precise_problems() {
        let p = parse::<T>(br#"{"title": 3, "labels": []}"#).unwrap_err();
        assert_eq!((p.status, p.errors[0].field.as_str()), (422, "/title"));
        let p = parse::<T>(br#"{"title": "x", "labels": ["a", 1]}"#).unwrap_err();
        assert_eq!(p.errors[0].field, "/labels/1");
        let p = parse::<T>(br#"{"title": "x", "labels": [], "extra": 1}"#).unwrap_err();
        assert!(p.errors[0].message.contains("unknown field `extra`"));
        let p = parse::<T>(br#"{"title": "#).unwrap_err();
        assert_eq!(p.status, 400);
    }
}
