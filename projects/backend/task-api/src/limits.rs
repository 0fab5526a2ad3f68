//! Rate limits as a layer: one token bucket per client IP and one per user (the JWT's subject,
//! or the API key), with `429 Too Many Requests` and `Retry-After` when a bucket is empty.
//! A limit of 0 turns that bucket off (benchmarks do).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::problem::Problem;

#[derive(Clone)]
pub struct Limits {
    per_ip: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    per_user: Option<Arc<DefaultKeyedRateLimiter<String>>>,
}

fn limiter<K: std::hash::Hash + Eq + Clone>(
    per_second: u32,
) -> Option<Arc<DefaultKeyedRateLimiter<K>>> {
    let rate = NonZeroU32::new(per_second)?;
    let burst = NonZeroU32::new(per_second.saturating_mul(2)).unwrap_or(rate);
    Some(Arc::new(RateLimiter::keyed(
        Quota::per_second(rate).allow_burst(burst),
    )))
}

impl Limits {
    pub fn new(per_ip_per_second: u32, per_user_per_second: u32) -> Limits {
        Limits {
            per_ip: limiter(per_ip_per_second),
            per_user: limiter(per_user_per_second),
        }
    }
}

/// The caller's identity for the per-user bucket, without verifying the token (verification
/// is the handlers' job; a forged token only spends its own bucket).
fn user_key(req: &Request) -> Option<String> {
    let h = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = h.strip_prefix("Bearer ").unwrap_or(h).trim();
    if token.starts_with(crate::auth::API_KEY_PREFIX) {
        return Some(crate::auth::sha256_hex(token));
    }
    let payload = token.split('.').nth(1)?;
    Some(format!(
        "sub:{}",
        crate::auth::jwt_subject_unverified(payload)?
    ))
}

fn too_many(wait: std::time::Duration, what: &str) -> Response {
    let secs = wait.as_secs().max(1);
    let mut res = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "Too many requests",
        format!("the {what} limit is reached; retry in {secs} s"),
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

impl Limits {
    /// Takes a token from the caller's buckets (`peer`'s and, when the per-user limit is on,
    /// the token's subject's); the `429` answer when one is empty, `None` when it may pass.
    pub fn refusal(&self, peer: IpAddr, req: &Request) -> Option<Response> {
        let clock = DefaultClock::default();
        if let Some(l) = &self.per_ip
            && let Err(not_until) = l.check_key(&peer)
        {
            metrics::counter!("task_api_rate_limited_total", "by" => "ip").increment(1);
            return Some(too_many(not_until.wait_time_from(clock.now()), "per-IP"));
        }
        if let Some(l) = &self.per_user
            && let Some(key) = user_key(req)
            && let Err(not_until) = l.check_key(&key)
        {
            metrics::counter!("task_api_rate_limited_total", "by" => "user").increment(1);
            return Some(too_many(not_until.wait_time_from(clock.now()), "per-user"));
        }
        None
    }
}
