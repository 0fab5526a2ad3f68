//! Credentials: argon2id password hashes, short-lived JWT access tokens, rotating refresh
//! tokens and scoped API keys. Refresh tokens and API keys are random and stored only as
//! SHA-256 hashes.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::AppState;
use crate::problem::Problem;

/// Prefix of API keys, so they are recognisable in headers and secret scanners.
pub const API_KEY_PREFIX: &str = "pk_";

pub fn hash_password(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    // 16 random bytes from a v4 UUID's generator, as the salt.
    let salt = SaltString::encode_b64(Uuid::new_v4().as_bytes()).expect("16 bytes make a salt");
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes")
        .to_string()
}

pub fn verify_password(hash: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// 244 random bits from two v4 UUIDs, hex-encoded.
pub fn random_token(prefix: &str) -> String {
    format!(
        "{prefix}{}{}",
        Uuid::new_v4().simple(),
        Uuid::new_v4().simple()
    )
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// The token of the request's `Authorization` header: `Ok(None)` without one, a 401 problem
/// for a scheme other than `Bearer`. The rate limiter and [`Actor`] read the header through
/// this one function, so they agree on whose request it is.
pub fn bearer(headers: &HeaderMap) -> Result<Option<&str>, Problem> {
    let Some(h) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(None);
    };
    access_token::bearer_token(h)
        .map(Some)
        .ok_or_else(|| Problem::unauthorized("the Authorization scheme must be Bearer"))
}

/// The user whose access token the request's `Authorization` header carries, put in the
/// request's extensions by whoever checked it first (the per-user rate limit), so the
/// [`Actor`] extractor does not check the same token again.
#[derive(Debug, Clone, Copy)]
pub struct VerifiedUser(pub Uuid, pub u64);

pub use access_token::Jwt;

/// What an API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Scope {
    #[serde(rename = "read")]
    Read,
    #[serde(rename = "write")]
    Write,
}

/// The authenticated caller: a user with a JWT, or a service account's API key.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Uuid,
    /// `None` for a user's own token (everything the user may do).
    pub scopes: Option<Vec<Scope>>,
    /// When the access token expires (Unix seconds); `None` for an API key. Long-lived
    /// streams end then.
    pub expires_at: Option<u64>,
}

impl Actor {
    pub fn require(&self, scope: Scope) -> Result<(), Problem> {
        match &self.scopes {
            Some(s)
                if !(s.contains(&scope) || scope == Scope::Read && s.contains(&Scope::Write)) =>
            {
                Err(Problem::new(
                    axum::http::StatusCode::FORBIDDEN,
                    "scope",
                    "Insufficient scope",
                    format!(
                        "this API key lacks the `{}` scope",
                        if scope == Scope::Read {
                            "read"
                        } else {
                            "write"
                        }
                    ),
                ))
            }
            _ => Ok(()),
        }
    }
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let token = match bearer(&parts.headers)? {
            Some(t) => t.to_string(),
            // Browsers' EventSource and WebSocket cannot send headers: the push stream and
            // the counters' hub also take the token as `?access_token=`.
            None => stream_token(parts).ok_or_else(|| {
                Problem::unauthorized("send `Authorization: Bearer <access token or API key>`")
            })?,
        };
        let token = token.as_str();
        if token.starts_with(API_KEY_PREFIX) {
            let (user_id, scopes) = state
                .store
                .api_key(&sha256_hex(token))
                .await?
                .ok_or_else(|| Problem::unauthorized("unknown or revoked API key"))?;
            let scopes = scopes
                .iter()
                .filter_map(|s| serde_json::from_value(serde_json::Value::String(s.clone())).ok())
                .collect();
            let actor = Actor {
                user_id,
                scopes: Some(scopes),
                expires_at: None,
            };
            let write = !parts.method.is_safe();
            actor.require(if write { Scope::Write } else { Scope::Read })?;
            return Ok(actor);
        }
        let verified = parts.extensions.get::<VerifiedUser>().map(|v| (v.0, v.1));
        let (user_id, exp) = verified
            .or_else(|| state.jwt.verify_until(token))
            .ok_or_else(|| {
                Problem::unauthorized("the access token is invalid or expired; refresh it")
            })?;
        Ok(Actor {
            user_id,
            scopes: None,
            expires_at: Some(exp),
        })
    }
}

fn stream_token(parts: &Parts) -> Option<String> {
    let path = parts.uri.path();
    if parts.method != axum::http::Method::GET
        || !(path.ends_with("/events") || path.ends_with("/live"))
    {
        return None;
    }
    parts
        .uri
        .query()?
        .split('&')
        .find_map(|kv| kv.strip_prefix("access_token="))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_tokens_still_expire_and_forgeries_are_checked() {
        let jwt = Jwt::new(b"0123456789abcdef0123456789abcdef", 1);
        let user = Uuid::new_v4();
        let token = jwt.issue(user);
        assert_eq!(jwt.verify(&token), Some(user));
        assert_eq!(jwt.verify(&token), Some(user), "remembered");
        // The same claims under another key: not ours, remembered or not.
        let other = Jwt::new(b"another key, another key, another", 1).issue(user);
        assert_eq!(jwt.verify(&other), None);
        let mut tampered = token.clone();
        tampered.pop();
        assert_eq!(jwt.verify(&tampered), None);
        std::thread::sleep(std::time::Duration::from_millis(2100));
        assert_eq!(jwt.verify(&token), None, "expired while remembered");
    }

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let h = hash_password("correct horse battery");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse battery"));
        assert!(!verify_password(&h, "wrong horse battery"));
        assert!(!verify_password("not a hash", "x"));
    }

    #[test]
    fn access_tokens_carry_the_user_and_expire() {
        let jwt = Jwt::new(b"k", 60);
        let u = Uuid::now_v7();
        assert_eq!(jwt.verify(&jwt.issue(u)), Some(u));
        assert_eq!(
            Jwt::new(b"other", 60).verify(&jwt.issue(u)),
            None,
            "wrong key"
        );
        let expired = Jwt::new(b"k", 0);
        let t = expired.issue(u);
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(jwt.verify(&t), None, "expired");
    }

    #[test]
    fn tokens_are_random_and_prefixed() {
        let a = random_token(API_KEY_PREFIX);
        assert!(a.starts_with("pk_") && a.len() == 67);
        assert_ne!(a, random_token(API_KEY_PREFIX));
    }
}
