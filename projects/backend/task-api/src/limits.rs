//! Rate limits as a layer: one token bucket per client IP and one per user (the JWT's subject,
//! or the API key), with `429 Too Many Requests` and `Retry-After` when a bucket is empty.
//! A limit of 0 turns that bucket off (benchmarks do).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::auth::{Jwt, VerifiedUser};
use crate::problem::Problem;

#[derive(Clone)]
pub struct Limits {
    per_ip: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    per_user: Option<Arc<DefaultKeyedRateLimiter<String>>>,
    /// Checks access tokens before their subject gets a bucket (the same cache the
    /// handlers' check uses).
    jwt: Jwt,
    /// Checks since the buckets were last pruned.
    checks: Arc<AtomicU64>,
}

/// Every this many checks the buckets of callers that have been quiet long enough to be full
/// again are dropped, so random addresses or keys cannot grow the maps without bound.
const PRUNE_EVERY: u64 = 4096;

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
    pub fn new(per_ip_per_second: u32, per_user_per_second: u32, jwt: Jwt) -> Limits {
        Limits {
            per_ip: limiter(per_ip_per_second),
            per_user: limiter(per_user_per_second),
            jwt,
            checks: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Drops the buckets that are full again (a caller quiet for long enough); returns how
    /// many buckets remain.
    pub fn prune(&self) -> usize {
        fn prune<K: std::hash::Hash + Eq + Clone>(
            l: &Option<Arc<DefaultKeyedRateLimiter<K>>>,
        ) -> usize {
            l.as_ref().map_or(0, |l| {
                l.retain_recent();
                l.shrink_to_fit();
                l.len()
            })
        }
        prune(&self.per_ip) + prune(&self.per_user)
    }
}

/// The caller's identity for the per-user bucket: the user of a valid access token (recorded
/// in the request as [`VerifiedUser`] for the handler), or the hash of an API key. A token
/// whose signature does not check out gets no bucket of its own (the handler refuses it; the
/// per-IP bucket still counts it), so a forged token naming a victim's id cannot spend the
/// victim's bucket.
fn user_key(req: &mut Request, jwt: &Jwt) -> Option<String> {
    let token = crate::auth::bearer(req.headers()).ok().flatten()?;
    if token.starts_with(crate::auth::API_KEY_PREFIX) {
        return Some(format!("key:{}", crate::auth::sha256_hex(token)));
    }
    let (user, exp) = jwt.verify_until(token)?;
    req.extensions_mut().insert(VerifiedUser(user, exp));
    Some(format!("sub:{user}"))
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
    pub fn refusal(&self, peer: IpAddr, req: &mut Request) -> Option<Response> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.prune();
        }
        let clock = DefaultClock::default();
        if let Some(l) = &self.per_ip
            && let Err(not_until) = l.check_key(&peer)
        {
            metrics::counter!("task_api_rate_limited_total", "by" => "ip").increment(1);
            return Some(too_many(not_until.wait_time_from(clock.now()), "per-IP"));
        }
        if let Some(l) = &self.per_user
            && let Some(key) = user_key(req, &self.jwt)
            && let Err(not_until) = l.check_key(&key)
        {
            metrics::counter!("task_api_rate_limited_total", "by" => "user").increment(1);
            return Some(too_many(not_until.wait_time_from(clock.now()), "per-user"));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(token: &str) -> Request {
        Request::builder()
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(axum::body::Body::empty())
            .unwrap()
    }

    #[test]
    fn a_forged_token_never_spends_its_subjects_bucket() {
        let jwt = Jwt::new(b"the service's key, the service's key", 900);
        let limits = Limits::new(0, 1, jwt.clone());
        let victim = uuid::Uuid::new_v4();
        let forged = Jwt::new(b"someone else's key, someone else's", 900).issue(victim);
        let peer: IpAddr = [127, 0, 0, 1].into();
        for _ in 0..10 {
            assert!(limits.refusal(peer, &mut request(&forged)).is_none());
        }
        let genuine = jwt.issue(victim);
        assert!(
            limits.refusal(peer, &mut request(&genuine)).is_none(),
            "burst of 2"
        );
        assert!(limits.refusal(peer, &mut request(&genuine)).is_none());
        assert!(
            limits.refusal(peer, &mut request(&genuine)).is_some(),
            "now empty"
        );
    }

    #[test]
    fn idle_buckets_are_pruned() {
        let limits = Limits::new(1000, 0, Jwt::new(b"k k k k k k k k k k k k k k k k", 900));
        let mut req = request("none");
        for i in 0..=255u8 {
            assert!(limits.refusal([10, 0, 0, i].into(), &mut req).is_none());
        }
        assert_eq!(limits.per_ip.as_ref().unwrap().len(), 256);
        // A bucket of 1000/s with a burst of 2000 is full again after 2 s.
        std::thread::sleep(std::time::Duration::from_millis(2100));
        assert_eq!(limits.prune(), 0);
    }
}
