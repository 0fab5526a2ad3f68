//! The live push stream: `GET /v1/projects/{id}/events` as Server-Sent Events.
//!
//! One feeder task tails the outbox table (every 100 ms, and at once after a write of this
//! instance) and broadcasts new events; each stream forwards its project's events. Tailing the
//! table rather than hooking handlers means every instance of the API sees every write, also
//! those of other instances on a shared PostgreSQL. Delivery is best effort (a slow client
//! that falls behind gets a `resync` event and should reload); the outbox relay, not this
//! stream, is the durable path.
//!
//! Access is checked when the stream opens and again on every membership or project event of
//! its project (a member removed, the project deleted): a listener who lost access is sent a
//! `revoked` event and the stream ends. A stream opened with an access token ends when the
//! token expires (the client refreshes and reconnects).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use tasks_domain::Store;
use tokio::sync::{broadcast, watch};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Actor;
use crate::extract::Path;
use crate::problem::ApiResult;

/// An event as the stream forwards it.
#[derive(Clone, Debug)]
pub struct Pushed {
    pub id: String,
    pub project: String,
    pub kind: String,
    pub payload: String,
}

pub fn channel() -> broadcast::Sender<Pushed> {
    broadcast::channel(1024).0
}

/// Tails the outbox in commit order (see `Store::feed_next`) until `shutdown` changes: every
/// 100 ms, and at once when `wake` is notified (a write of this instance).
pub async fn feed(
    store: Store,
    tx: broadcast::Sender<Pushed>,
    wake: std::sync::Arc<tokio::sync::Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut cursor = store.feed_start().await.unwrap_or_default();
    loop {
        match store.feed_next(&mut cursor, 500).await {
            Ok(batch) => {
                for e in batch {
                    let event = serde_json::from_str::<events::Event>(&e.payload).ok();
                    // Every instance sees every write here, so this is where caches hear of them.
                    if let Some(ev) = &event {
                        store.observe(&ev.data).await;
                    }
                    let kind = event
                        .map(|ev| ev.event_type().to_string())
                        .unwrap_or_default();
                    let _ = tx.send(Pushed {
                        id: e.id,
                        project: e.key,
                        kind,
                        payload: e.payload,
                    });
                }
            }
            Err(err) => tracing::warn!(error = %err, "push feed cannot read the outbox"),
        }
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
}

pub async fn stream(
    State(state): State<AppState>,
    actor: Actor,
    Path(project): Path<Uuid>,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    use futures_util::StreamExt as _;
    state.store.role(actor.user_id, project).await?;
    let user = actor.user_id;
    let key = project.to_string();
    let store = state.store.clone();
    let events = BroadcastStream::new(state.push.subscribe())
        .filter_map(move |r| {
            std::future::ready(match r {
                Ok(e) if e.project == key => Some(Ok(e)),
                Ok(_) => None,
                Err(BroadcastStreamRecvError::Lagged(n)) => Some(Err(n)),
            })
        })
        // Membership and project events may take this listener's access away: ask again.
        .then(move |e| {
            let store = store.clone();
            async move {
                let recheck = e
                    .as_ref()
                    .is_ok_and(|e| e.kind.starts_with("member.") || e.kind == "project.deleted");
                let revoked = recheck && store.role(user, project).await.is_err();
                (e, revoked)
            }
        })
        // A revoked listener gets a last `revoked` event, then the stream ends at once.
        .flat_map(|(e, revoked)| {
            let items = if revoked {
                vec![Some(SseEvent::default().event("revoked").data("{}")), None]
            } else {
                vec![Some(match e {
                    Ok(e) => SseEvent::default().id(e.id).event(e.kind).data(e.payload),
                    Err(n) => SseEvent::default()
                        .event("resync")
                        .data(format!("{{\"missed\":{n}}}")),
                })]
            };
            futures_util::stream::iter(items)
        })
        .take_while(|item| std::future::ready(item.is_some()))
        .filter_map(|item| std::future::ready(item.map(Ok::<_, Infallible>)));
    let mut draining = state.draining.clone();
    let expiry = actor.expires_at.map(|exp| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Duration::from_secs(exp.saturating_sub(now) + 1)
    });
    let events = events.take_until(async move {
        tokio::select! {
            _ = draining.wait_for(|d| *d) => {}
            _ = async {
                match expiry {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            } => {}
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
