//! The live counters' hub: `GET /v1/projects/{id}/counters/{name}/live` as a WebSocket (the
//! role SignalR plays in the guide), used by the `<live-counter>` web component.
//!
//! The server is the authority: a client sends increments, each with its own operation id;
//! the store applies an id once (`Store::increment_counter`), so resends after a lost
//! acknowledgement or from an offline queue are never counted twice, and the single writer
//! means concurrent increments are never lost. Every applied change is broadcast to every
//! socket of the same counter on this instance.
//!
//! Messages are JSON. Server → client: `{"type":"value","value":N}` (on connect and after every
//! change), `{"type":"ack","op":ID,"value":N}`, `{"type":"error","op":ID?,"code":C,"message":M}`
//! (`forbidden`, `bad-request`, `read-only`, `unavailable`, `rate-limited`). Client → server:
//! `{"type":"increment","op":ID,"by":N}` with `ID` 1 to 64 of `[A-Za-z0-9_-]` and `N` 1 to 1000.
//!
//! Operation ids are remembered for [`OP_RETENTION`] (pruned hourly by [`prune_ops`]).
//!
//! A socket may send a burst of [`BURST`] messages, then [`RATE`] a second; beyond that each
//! message is answered `rate-limited` (with its `op`, so a client keeps and resends it) without
//! touching the store, and a socket that keeps flooding ([`CLOSE_AFTER`] refusals in a row) is
//! closed with 1008 (policy violation).
//!
//! Read-only figures share the protocol: `tasks-completed-today` is the project's number of
//! tasks completed today (UTC), recomputed when the push feed carries one of its events.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Actor;
use crate::extract::Path;
use crate::problem::{ApiResult, Problem};

/// Messages a socket may send at once, and a second after that.
pub const BURST: u32 = 200;
pub const RATE: u32 = 50;
/// Refused messages in a row after which the socket is closed.
pub const CLOSE_AFTER: u32 = 1000;

/// A socket's message allowance: governor's token bucket of [`BURST`] refilled at [`RATE`] a
/// second, and the refusals in a row.
struct Allowance {
    limiter: governor::DefaultDirectRateLimiter,
    refused: u32,
}

impl Allowance {
    fn new() -> Allowance {
        let rate = std::num::NonZeroU32::new(RATE).expect("RATE > 0");
        let burst = std::num::NonZeroU32::new(BURST).expect("BURST > 0");
        Allowance {
            limiter: governor::RateLimiter::direct(
                governor::Quota::per_second(rate).allow_burst(burst),
            ),
            refused: 0,
        }
    }

    /// Whether one more message may be handled now.
    fn take(&mut self) -> bool {
        if self.limiter.check().is_ok() {
            self.refused = 0;
            true
        } else {
            self.refused += 1;
            false
        }
    }
}

/// How long an operation id is remembered: an increment resent later than this (a client
/// offline for over a week) is counted again.
pub const OP_RETENTION: chrono::Duration = chrono::Duration::days(7);

/// Forgets operation ids older than [`OP_RETENTION`], once a minute after start and then
/// hourly, until `stop` flips.
pub async fn prune_ops(
    store: tasks_domain::store::Store,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut every = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_secs(60),
        Duration::from_secs(3600),
    );
    loop {
        tokio::select! {
            _ = async { stop.wait_for(|s| *s).await.map(|_| ()) } => return,
            _ = every.tick() => match store.prune_counter_ops(chrono::Utc::now() - OP_RETENTION).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(forgotten = n, "pruned counter operation ids older than 7 days"),
                Err(e) => tracing::warn!(error = %e, "pruning counter operation ids failed; retrying in an hour"),
            },
        }
    }
}

/// Read-only live figures, served over the same socket as counters.
pub const FIGURES: &[&str] = &["tasks-completed-today"];

/// A counter's new value, broadcast to the sockets of this instance.
#[derive(Clone, Debug)]
pub struct Changed {
    pub project: Uuid,
    pub name: String,
    pub value: i64,
}

pub fn channel() -> broadcast::Sender<Changed> {
    broadcast::channel(4096).0
}

/// A counter or figure name: 1 to 40 of `[a-z0-9._-]`, starting with a letter or digit.
pub fn valid_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && name.as_bytes()[0].is_ascii_alphanumeric()
}

fn valid_op(op: &str) -> bool {
    (1..=64).contains(&op.len())
        && op
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
enum ClientMessage {
    Increment { op: String, by: i64 },
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "lowercase")]
enum ServerMessage {
    Value {
        value: i64,
    },
    Ack {
        op: String,
        value: i64,
    },
    Error {
        #[serde(skip_serializing_if = "Option::is_none")]
        op: Option<String>,
        code: &'static str,
        message: String,
    },
}

/// A counter's value, as `GET /v1/projects/{id}/counters/{name}` answers it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CounterView {
    pub project_id: Uuid,
    pub name: String,
    pub value: i64,
    /// `true` for a read-only figure such as `tasks-completed-today`.
    pub read_only: bool,
}

fn check_name(name: &str) -> ApiResult<()> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(Problem::bad_request(
            "a counter name is 1 to 40 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit",
        ))
    }
}

async fn current(state: &AppState, user: Uuid, project: Uuid, name: &str) -> ApiResult<i64> {
    if FIGURES.contains(&name) {
        Ok(state.store.completed_today(user, project).await?)
    } else {
        Ok(state.store.counter(user, project, name).await?)
    }
}

#[utoipa::path(get, path = "/v1/projects/{id}/counters/{name}", tag = "counters", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "project id"), ("name" = String, Path, description = "counter name, or the figure `tasks-completed-today`")),
    responses((status = 200, body = CounterView), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    actor: Actor,
    Path((project, name)): Path<(Uuid, String)>,
) -> ApiResult<Json<CounterView>> {
    check_name(&name)?;
    let value = current(&state, actor.user_id, project, &name).await?;
    Ok(Json(CounterView {
        project_id: project,
        read_only: FIGURES.contains(&name.as_str()),
        name,
        value,
    }))
}

/// The WebSocket upgrade; membership is checked before it (a non-member gets 404).
pub async fn live(
    State(state): State<AppState>,
    actor: Actor,
    Path((project, name)): Path<(Uuid, String)>,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    check_name(&name)?;
    let value = current(&state, actor.user_id, project, &name).await?;
    let user = actor.user_id;
    // An API key with only the `read` scope may watch but not increment.
    let writer = actor.require(crate::auth::Scope::Write).is_ok();
    Ok(ws
        .max_message_size(4096)
        .on_upgrade(move |socket| session(state, socket, (user, writer), project, name, value)))
}

async fn send(socket: &mut WebSocket, msg: &ServerMessage) -> bool {
    let text = serde_json::to_string(msg).expect("messages serialise");
    socket.send(Message::Text(text.into())).await.is_ok()
}

async fn session(
    state: AppState,
    mut socket: WebSocket,
    (user, writer): (Uuid, bool),
    project: Uuid,
    name: String,
    value: i64,
) {
    let figure = FIGURES.contains(&name.as_str());
    let mut changes = state.hub.subscribe();
    let mut pushed = state.push.subscribe();
    let mut draining = state.draining.clone();
    let project_key = project.to_string();
    let mut last = value;
    if !send(&mut socket, &ServerMessage::Value { value }).await {
        return;
    }
    let mut ping = tokio::time::interval(Duration::from_secs(20));
    ping.tick().await;
    let mut allowance = Allowance::new();
    loop {
        tokio::select! {
            _ = async { draining.wait_for(|d| *d).await.map(|_| ()) } => {
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
            _ = ping.tick() => {
                if socket.send(Message::Ping(Default::default())).await.is_err() {
                    return;
                }
            }
            change = changes.recv(), if !figure => match change {
                // Counters only grow: a value at or below the last one sent is old news.
                Ok(c) if c.project == project && c.name == name && c.value > last => {
                    last = c.value;
                    if !send(&mut socket, &ServerMessage::Value { value: c.value }).await {
                        return;
                    }
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    // Missed changes: send the stored value instead.
                    if let Ok(v) = state.store.counter(user, project, &name).await {
                        last = v;
                        if !send(&mut socket, &ServerMessage::Value { value: v }).await {
                            return;
                        }
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            event = pushed.recv(), if figure => match event {
                Ok(e) if e.project != project_key => {}
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    match current(&state, user, project, &name).await {
                        Ok(v) if v != last => {
                            last = v;
                            if !send(&mut socket, &ServerMessage::Value { value: v }).await {
                                return;
                            }
                        }
                        Ok(_) => {}
                        // Removed from the project (or the project deleted): the socket ends.
                        Err(_) => return,
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => continue,
                };
                if !allowance.take() {
                    metrics::counter!("task_api_counter_messages_refused_total").increment(1);
                    if allowance.refused >= CLOSE_AFTER {
                        let _ = socket
                            .send(Message::Close(Some(axum::extract::ws::CloseFrame {
                                code: 1008,
                                reason: "too many messages".into(),
                            })))
                            .await;
                        return;
                    }
                    let op = match serde_json::from_str::<ClientMessage>(&text) {
                        Ok(ClientMessage::Increment { op, .. }) if valid_op(&op) => Some(op),
                        _ => None,
                    };
                    let refusal = ServerMessage::Error {
                        op,
                        code: "rate-limited",
                        message: format!("at most {RATE} messages a second per socket (bursts of {BURST}); resend later"),
                    };
                    if !send(&mut socket, &refusal).await {
                        return;
                    }
                    continue;
                }
                let reply = if writer {
                    handle(&state, user, project, &name, figure, &text).await
                } else {
                    ServerMessage::Error { op: None, code: "forbidden", message: "this API key has only the read scope".into() }
                };
                if let ServerMessage::Ack { value, .. } = &reply
                    && *value > last
                {
                    last = *value;
                    let _ = state.hub.send(Changed { project, name: name.clone(), value: *value });
                }
                if !send(&mut socket, &reply).await {
                    return;
                }
            }
        }
    }
}

async fn handle(
    state: &AppState,
    user: Uuid,
    project: Uuid,
    name: &str,
    figure: bool,
    text: &str,
) -> ServerMessage {
    let error = |op: Option<String>, code, message: &str| ServerMessage::Error {
        op,
        code,
        message: message.to_string(),
    };
    let msg = match serde_json::from_str::<ClientMessage>(text) {
        Ok(m) => m,
        Err(e) => {
            return error(
                None,
                "bad-request",
                &format!("expected {{\"type\":\"increment\",\"op\":ID,\"by\":N}}: {e}"),
            );
        }
    };
    let ClientMessage::Increment { op, by } = msg;
    if !valid_op(&op) {
        return error(
            None,
            "bad-request",
            "`op` is 1 to 64 of A-Z, a-z, 0-9, '-' and '_'",
        );
    }
    if !(1..=1000).contains(&by) {
        return error(Some(op), "bad-request", "`by` is 1 to 1000");
    }
    if figure {
        return error(Some(op), "read-only", "this figure cannot be changed");
    }
    match state
        .store
        .increment_counter(user, project, name, &op, by)
        .await
    {
        Ok(change) => {
            if change.applied {
                metrics::counter!("task_api_counter_increments_total").increment(1);
            }
            ServerMessage::Ack {
                op,
                value: change.value,
            }
        }
        Err(tasks_domain::DomainError::Forbidden(why)) => error(Some(op), "forbidden", why),
        Err(tasks_domain::DomainError::NotFound) => {
            error(Some(op), "forbidden", "not a member of this project")
        }
        Err(e) => {
            tracing::warn!(error = %e, "counter increment failed");
            error(
                Some(op),
                "unavailable",
                "the increment was not stored; retry",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_operation_ids_are_checked() {
        assert!(valid_name("kudos"));
        assert!(valid_name("tasks-completed-today"));
        assert!(!valid_name(""));
        assert!(!valid_name("-x"));
        assert!(!valid_name("Kudos"));
        assert!(!valid_name(&"a".repeat(41)));
        assert!(valid_op("0193c5a2-7f3e"));
        assert!(!valid_op("a b"));
        assert!(!valid_op(&"a".repeat(65)));
    }

    #[test]
    fn messages_have_the_documented_shape() {
        let m: ClientMessage =
            serde_json::from_str(r#"{"type":"increment","op":"a1","by":2}"#).expect("parses");
        let ClientMessage::Increment { op, by } = m;
        assert_eq!((op.as_str(), by), ("a1", 2));
        assert!(
            serde_json::from_str::<ClientMessage>(r#"{"type":"increment","op":"a","by":1,"x":1}"#)
                .is_err()
        );
        assert_eq!(
            serde_json::to_string(&ServerMessage::Ack {
                op: "a1".into(),
                value: 3
            })
            .unwrap(),
            r#"{"type":"ack","op":"a1","value":3}"#
        );
    }
}
