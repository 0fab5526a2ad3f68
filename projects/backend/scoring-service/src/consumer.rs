//! Feeds the aggregates from `events.tasks.enriched` in a consumer group.
//!
//! Exactly once into the in-memory state, across restarts: the state is saved to disk with
//! the next offset of every partition ([`Aggregates::save`]), and only then are those offsets
//! committed to the group. On restart the saved state is loaded and the group resumes from
//! its committed offsets; a record at or before the state's offset (saved, but the commit
//! did not happen) is skipped, and if the group is ahead of the state (its snapshot was
//! lost) the consumer seeks back to the state's offset, so nothing is counted twice or
//! missed.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::Message;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use tokio::sync::watch;

use crate::aggregates::{Aggregates, Applied, write_snapshot};
use crate::service::Service;

pub struct Settings {
    pub bootstrap: String,
    pub group: String,
    pub topic: String,
    pub state_file: std::path::PathBuf,
    pub snapshot_every: Duration,
}

/// Saves the state and commits its offsets (in that order).
fn checkpoint(svc: &Service, consumer: &StreamConsumer, s: &Settings) -> anyhow::Result<()> {
    // Serialised under the lock, written to disk without it.
    let (bytes, offsets) = {
        let state = svc.aggregates.read().expect("aggregates lock");
        (serde_json::to_vec(&*state)?, state.offsets().clone())
    };
    write_snapshot(&s.state_file, &bytes)?;
    if offsets.is_empty() {
        return Ok(());
    }
    let mut tpl = TopicPartitionList::new();
    for (p, o) in &offsets {
        tpl.add_partition_offset(&s.topic, *p, Offset::Offset(*o))?;
    }
    consumer.commit(&tpl, CommitMode::Sync)?;
    Ok(())
}

/// Runs until `stop` turns true; saves and commits once more before returning.
pub async fn run(
    svc: Arc<Service>,
    s: Settings,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let state = Aggregates::load(&s.state_file)?;
    let (projects, tasks) = state.counts();
    tracing::info!(
        state = %s.state_file.display(), projects, tasks, offsets = ?state.offsets(),
        "aggregates loaded"
    );
    *svc.aggregates.write().expect("aggregates lock") = state;
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &s.bootstrap)
        .set("group.id", &s.group)
        .set("client.id", "scoring-service")
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()?;
    consumer.subscribe(&[&s.topic])?;
    let contract = events::Contract::new();
    let mut last_save = Instant::now();
    let mut dirty = false;
    // One timer for the loop (not one per record): it wakes an idle consumer to report that
    // it caught up and to save.
    let mut tick = tokio::time::interval(s.snapshot_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Partitions already sought back to the state's offset (once each).
    let mut sought = std::collections::HashSet::new();
    loop {
        let msg = tokio::select! {
            m = consumer.recv() => Some(m),
            _ = tick.tick() => None,
            _ = stop.changed() => break,
        };
        if let Some(msg) = msg {
            let msg = match msg {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(error = %e, topic = %s.topic, "reading the topic failed; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
            svc.consuming.store(true, Ordering::Relaxed);
            let (partition, offset) = (msg.partition(), msg.offset());
            let expected = svc
                .aggregates
                .read()
                .expect("aggregates lock")
                .offsets()
                .get(&partition)
                .copied();
            if let Some(next) = expected
                && offset > next
                && sought.insert(partition)
            {
                tracing::warn!(
                    partition,
                    offset,
                    state_offset = next,
                    "the group is ahead of the saved aggregates; reading from the state's offset"
                );
                consumer.seek(
                    &s.topic,
                    partition,
                    Offset::Offset(next),
                    Duration::from_secs(10),
                )?;
                continue;
            }
            let Some(payload) = msg.payload() else {
                continue;
            };
            let event = match contract.decode(payload) {
                Ok(e) => e,
                Err(e) => {
                    // The consumer upstream validated it; a bad record here is skipped.
                    tracing::warn!(partition, offset, error = %e, "skipping an invalid event");
                    metrics::counter!("scoring_events_invalid_total").increment(1);
                    continue;
                }
            };
            let applied = svc
                .aggregates
                .write()
                .expect("aggregates lock")
                .apply(partition, offset, &event);
            if applied == Applied::Replayed {
                metrics::counter!("scoring_events_replayed_total").increment(1);
            } else {
                if let Applied::Changed(project) = applied {
                    let _ = svc.changes.send(project);
                }
                dirty = true;
                metrics::counter!("scoring_events_applied_total").increment(1);
            }
        } else if consumer.assignment().is_ok_and(|a| a.count() > 0) {
            // Caught up (no record for a while) with partitions assigned.
            svc.consuming.store(true, Ordering::Relaxed);
        }
        if dirty && last_save.elapsed() >= s.snapshot_every {
            svc.aggregates
                .write()
                .expect("aggregates lock")
                .prune(chrono::Utc::now().timestamp_micros());
            if let Err(e) = checkpoint(&svc, &consumer, &s) {
                tracing::error!(error = %e, "saving the aggregates failed; retrying at the next snapshot");
            } else {
                dirty = false;
            }
            last_save = Instant::now();
        }
    }
    if dirty {
        checkpoint(&svc, &consumer, &s)?;
    }
    tracing::info!("consumer stopped; aggregates saved");
    Ok(())
}
