//! The outbox relay: publishes outbox rows to Kafka in the order they were written, with an
//! idempotent producer, and marks them sent. After a crash it resumes from the first unsent
//! row; a row published but not yet marked is published again with the same event id, which
//! consumers deduplicate.

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::producer::{FutureProducer, FutureRecord};
use tasks_domain::Store;
use tokio::sync::watch;

/// What `/readyz` reports about the relay.
pub type RelayStatus = String;

/// Partitions of `events.tasks` when the relay creates it.
pub const PARTITIONS: i32 = 3;

/// Creates the platform topics if they do not exist (a cluster without auto-creation).
pub async fn ensure_topics(bootstrap: &str) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()?;
    let topics = [events::TOPIC, events::DLQ_TOPIC, events::ENRICHED_TOPIC]
        .map(|t| NewTopic::new(t, PARTITIONS, TopicReplication::Fixed(1)));
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    for result in admin.create_topics(&topics, &opts).await? {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => anyhow::bail!("creating topic {topic}: {code}"),
        }
    }
    Ok(())
}

pub fn producer(bootstrap: &str) -> anyhow::Result<FutureProducer> {
    Ok(ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        .set("message.timeout.ms", "30000")
        .set("client.id", "task-api-relay")
        .create()?)
}

/// Runs until `shutdown` changes. Reports its state through `status`.
pub async fn run(
    store: Store,
    bootstrap: String,
    idle: Duration,
    status: watch::Sender<RelayStatus>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut topics_ready = false;
    let producer = match producer(&bootstrap) {
        Ok(p) => p,
        Err(e) => {
            let _ = status.send(format!("failing: {e}"));
            tracing::error!(error = %e, "relay cannot create its producer");
            return;
        }
    };
    let mut backoff = idle;
    loop {
        if *shutdown.borrow() {
            break;
        }
        if !topics_ready {
            match ensure_topics(&bootstrap).await {
                Ok(()) => topics_ready = true,
                Err(e) => {
                    let _ = status.send(format!("waiting for broker: {e}"));
                    tracing::warn!(error = %e, bootstrap, "relay cannot reach the broker yet");
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    let _ = tokio::time::timeout(backoff, shutdown.changed()).await;
                    continue;
                }
            }
        }
        match publish_batch(&store, &producer).await {
            Ok(0) => {
                let _ = status.send("ok".into());
                backoff = idle;
                let _ = tokio::time::timeout(idle, shutdown.changed()).await;
            }
            Ok(n) => {
                let _ = status.send("ok".into());
                metrics::counter!("task_api_outbox_published_total").increment(n as u64);
                backoff = idle;
            }
            Err(e) => {
                let _ = status.send(format!("failing: {e}"));
                metrics::counter!("task_api_outbox_publish_errors_total").increment(1);
                tracing::warn!(error = %e, "relay failed to publish; will retry");
                backoff = (backoff * 2).min(Duration::from_secs(5));
                let _ = tokio::time::timeout(backoff, shutdown.changed()).await;
            }
        }
    }
    tracing::info!("relay stopped");
}

/// Publishes up to 500 pending events; marks the successfully delivered prefix as sent.
async fn publish_batch(store: &Store, producer: &FutureProducer) -> anyhow::Result<usize> {
    let batch = store.pending_events(500).await?;
    if batch.is_empty() {
        return Ok(0);
    }
    let sends = batch.iter().map(|e| {
        let record = FutureRecord::to(&e.topic).key(&e.key).payload(&e.payload);
        producer.send(record, Duration::from_secs(30))
    });
    let results = futures_util::future::join_all(sends).await;
    // Only a prefix keeps per-project order: later rows are retried after the failed one.
    let delivered: Vec<String> = batch
        .iter()
        .zip(&results)
        .take_while(|(_, r)| r.is_ok())
        .map(|(e, _)| e.id.clone())
        .collect();
    store.mark_sent(&delivered).await?;
    if let Some((_, Err((err, _)))) = batch.iter().zip(&results).find(|(_, r)| r.is_err()) {
        anyhow::bail!(
            "{} of {} delivered; then: {err}",
            delivered.len(),
            batch.len()
        );
    }
    Ok(delivered.len())
}
