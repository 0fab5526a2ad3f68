//! The platform's access tokens: short-lived HS256 JWTs whose subject is a user id. The task
//! API issues them (`POST /v1/auth/login`); every service that accepts them (the task API,
//! the scoring service) checks them with the same key through [`Jwt`].
//!
//! Invariant: no I/O; the key comes from the caller.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Shortest `JWT_SECRET` accepted (an HMAC-SHA256 key of fewer bytes is guessable).
pub const MIN_SECRET_LEN: usize = 32;

/// The key from `JWT_SECRET`'s text, refused when shorter than [`MIN_SECRET_LEN`].
pub fn secret_key(text: &str) -> Result<Vec<u8>, String> {
    if text.len() < MIN_SECRET_LEN {
        return Err(format!(
            "JWT_SECRET must be at least {MIN_SECRET_LEN} characters"
        ));
    }
    Ok(text.as_bytes().to_vec())
}

/// The token of an `Authorization` header's value: `None` when the scheme is not Bearer.
pub fn bearer_token(header: &str) -> Option<&str> {
    header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
    iat: u64,
}

/// Signs and checks access tokens (HS256).
///
/// Checking a signature is about 40 % of an authenticated cached read's CPU (base64, two JSON
/// documents and a fresh HMAC key schedule per call, issue #33's profile), and a client sends
/// the same token with every request. So tokens whose signature was checked are remembered,
/// by their exact text, with their subject and expiry: a remembered token is still refused
/// the second it expires, and any other text, a forged one included, is checked in full.
#[derive(Clone)]
pub struct Jwt {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub ttl_secs: u64,
    verified: moka::sync::Cache<String, (Uuid, u64)>,
}

/// Checked tokens remembered at most (about 300 bytes each), and for how long.
const VERIFIED_CAPACITY: u64 = 10_000;
const VERIFIED_TTL: std::time::Duration = std::time::Duration::from_secs(60);

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Jwt {
    pub fn new(secret: &[u8], ttl_secs: u64) -> Jwt {
        Jwt {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            ttl_secs,
            verified: moka::sync::Cache::builder()
                .max_capacity(VERIFIED_CAPACITY)
                .time_to_live(VERIFIED_TTL)
                .build(),
        }
    }

    pub fn issue(&self, user: Uuid) -> String {
        let now = now_secs();
        let claims = Claims {
            sub: user.to_string(),
            iat: now,
            exp: now + self.ttl_secs,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signs")
    }

    /// The token's user when its signature is ours and it has not expired (no leeway: valid
    /// while `exp` ≥ now, as `jsonwebtoken` checks it).
    pub fn verify(&self, token: &str) -> Option<Uuid> {
        self.verify_until(token).map(|(user, _)| user)
    }

    /// As [`Jwt::verify`], with the token's expiry (Unix seconds): a stream opened with it
    /// ends then.
    pub fn verify_until(&self, token: &str) -> Option<(Uuid, u64)> {
        if let Some((user, exp)) = self.verified.get(token) {
            return (exp >= now_secs()).then_some((user, exp));
        }
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = 0;
        // A token that says it is not valid yet is not (ours carry no `nbf`; one that does
        // was made elsewhere).
        v.validate_nbf = true;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &v).ok()?;
        let user = Uuid::parse_str(&data.claims.sub).ok()?;
        self.verified
            .insert(token.to_string(), (user, data.claims.exp));
        Some((user, data.claims.exp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_checked_by_its_key_only() {
        let jwt = Jwt::new(b"the service's key, the service's key", 900);
        let user = Uuid::new_v4();
        let token = jwt.issue(user);
        assert_eq!(jwt.verify(&token), Some(user));
        // Remembered: the same answer from the cache.
        assert_eq!(jwt.verify(&token), Some(user));
        let other = Jwt::new(b"someone else's key, someone else's", 900);
        assert_eq!(other.verify(&token), None);
        let forged = other.issue(user);
        assert_eq!(jwt.verify(&forged), None);
        assert_eq!(jwt.verify("not.a.token"), None);
    }

    #[test]
    fn secrets_and_schemes_are_checked() {
        assert!(secret_key("short").unwrap_err().contains("at least 32"));
        assert_eq!(secret_key(&"k".repeat(32)).unwrap().len(), 32);
        assert_eq!(bearer_token("Bearer abc "), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
    }

    #[test]
    fn an_expired_token_is_refused() {
        let jwt = Jwt::new(b"the service's key, the service's key", 0);
        let claims = Claims {
            sub: Uuid::new_v4().to_string(),
            iat: 0,
            exp: 1,
        };
        let old =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &jwt.encoding).unwrap();
        assert_eq!(jwt.verify(&old), None);
    }
}
