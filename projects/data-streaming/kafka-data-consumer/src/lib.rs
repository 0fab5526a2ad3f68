//! `kafka-data-consumer`: reads `events.tasks` in a consumer group, validates each message
//! against the `events` contract, masks PII, and writes to its sinks in this order:
//!
//! 1. **dead letters**: every invalid message to `events.tasks.dlq` with headers naming the
//!    reason and the original topic, partition and offset (at least once);
//! 2. **forward**: the masked event to `events.tasks.enriched` (at least once; downstream
//!    deduplicates by event id), side by side with
//! 3. **the lake**: `bronze/task_events` ([`lake`]), exactly once (offsets recorded in the same
//!    Delta commit, event ids deduplicated).
//!
//! Kafka offsets are committed only after all three succeeded. A sink failure is retried with
//! backoff; after the last try the batch's messages go to the dead-letter topic with the sink
//! error as the reason, so the consumer never stalls. Work is bounded: one batch at a time, so
//! a slow sink slows consumption instead of growing memory.

pub use lake;
pub mod mask;
pub mod silver;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::Message;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{Header, OwnedHeaders, OwnedMessage};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use serde::Serialize;
use tokio::sync::watch;

use lake::BronzeRow;
use mask::Masker;

#[derive(Clone)]
pub struct Settings {
    pub bootstrap: String,
    pub topic: String,
    pub group: String,
    /// Lake root: a folder or an `s3://` URL.
    pub lake: String,
    pub dlq_topic: String,
    /// `None` disables forwarding.
    pub forward_topic: Option<String>,
    /// librdkafka settings passed through (TLS, SASL/SCRAM).
    pub kafka: Vec<(String, String)>,
    pub batch_max: usize,
    pub batch_wait: Duration,
    /// `silver/tasks` is rewritten at most this often.
    pub silver_interval: Duration,
    /// Tries per sink before the batch is dead-lettered.
    pub sink_tries: u32,
    pub masker: Masker,
}

/// Counters for `/metrics`, `/readyz` and the tests.
#[derive(Default, Serialize)]
pub struct Stats {
    pub valid: AtomicU64,
    pub duplicates: AtomicU64,
    pub redelivered: AtomicU64,
    pub dead_letters: AtomicU64,
    pub batches: AtomicU64,
    /// The lake is open and the topic subscribed.
    pub ready: AtomicBool,
}

fn client(settings: &Settings) -> ClientConfig {
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", &settings.bootstrap);
    for (k, v) in &settings.kafka {
        cfg.set(k, v);
    }
    cfg
}

fn producer(settings: &Settings) -> anyhow::Result<FutureProducer> {
    Ok(client(settings)
        .set("client.id", "kafka-data-consumer")
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        .set("message.max.bytes", "8388608")
        .set("message.timeout.ms", "30000")
        .create()?)
}

/// Creates the topics the consumer writes when the cluster lacks them.
pub async fn ensure_topics(settings: &Settings, partitions: i32) -> anyhow::Result<()> {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    use rdkafka::error::RDKafkaErrorCode;
    let admin: AdminClient<DefaultClientContext> = client(settings).create()?;
    let mut names = vec![settings.topic.clone(), settings.dlq_topic.clone()];
    names.extend(settings.forward_topic.clone());
    let topics: Vec<NewTopic> = names
        .iter()
        .map(|t| NewTopic::new(t, partitions, TopicReplication::Fixed(1)))
        .collect();
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    for result in admin.create_topics(&topics, &opts).await? {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((t, code)) => anyhow::bail!("creating topic {t}: {code}"),
        }
    }
    Ok(())
}

/// A message that goes to the dead-letter topic, and why.
struct Dead {
    kind: String,
    reason: String,
    msg: OwnedMessage,
}

fn dead_letter(d: &Dead) -> (Vec<u8>, OwnedHeaders) {
    let m = &d.msg;
    let letter = events::DeadLetter::with_reason(
        &d.kind,
        &d.reason,
        m.topic(),
        m.partition(),
        m.offset(),
        m.key(),
        m.payload().unwrap_or_default(),
    );
    let partition = m.partition().to_string();
    let offset = m.offset().to_string();
    let headers = OwnedHeaders::new()
        .insert(Header {
            key: "dlq.kind",
            value: Some(d.kind.as_str()),
        })
        .insert(Header {
            key: "dlq.reason",
            value: Some(d.reason.as_str()),
        })
        .insert(Header {
            key: "dlq.topic",
            value: Some(m.topic()),
        })
        .insert(Header {
            key: "dlq.partition",
            value: Some(partition.as_str()),
        })
        .insert(Header {
            key: "dlq.offset",
            value: Some(offset.as_str()),
        });
    (serde_json::to_vec(&letter).expect("serialises"), headers)
}

/// Sends `records` (key, payload, headers) to `topic` and waits for every delivery.
async fn send_all(
    producer: &FutureProducer,
    topic: &str,
    records: &[(Option<String>, Vec<u8>, Option<OwnedHeaders>)],
) -> anyhow::Result<()> {
    let mut pending = Vec::with_capacity(records.len());
    for (key, payload, headers) in records {
        let mut r = FutureRecord::to(topic).payload(payload);
        if let Some(k) = key {
            r = r.key(k);
        }
        if let Some(h) = headers {
            r = r.headers(h.clone());
        }
        pending.push(
            producer
                .send_result(r)
                .map_err(|(e, _)| anyhow::anyhow!("{topic}: {e}"))?,
        );
    }
    for p in pending {
        match p.await {
            Ok(Ok(_)) => {}
            Ok(Err((e, _))) => anyhow::bail!("{topic}: {e}"),
            Err(_) => anyhow::bail!("{topic}: delivery cancelled"),
        }
    }
    Ok(())
}

/// Runs `f` up to `tries` times with exponential backoff (100 ms, doubling, at most 5 s).
async fn retry<T, F, Fut>(sink: &'static str, tries: u32, mut f: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut wait = Duration::from_millis(100);
    let mut last = None;
    for attempt in 1..=tries.max(1) {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) => {
                metrics::counter!("consumer_sink_retries_total", "sink" => sink).increment(1);
                tracing::warn!(sink, attempt, error = %e, "sink failed");
                last = Some(e);
                if attempt < tries {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
    Err(last.expect("at least one try"))
}

/// Consumes until `stop` turns true.
pub async fn run(
    settings: Settings,
    stats: Arc<Stats>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let bronze = lake::open_bronze(&settings.lake).await?;
    // One pass over bronze on start: the event ids seen, and silver rebuilt from the events.
    let (mut tasks, seen) = silver::rebuild(&bronze).await?;
    let contract = events::Contract::new();
    let mut cfg = client(&settings);
    cfg.set("group.id", &settings.group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("fetch.message.max.bytes", "8388608")
        .set("max.partition.fetch.bytes", "8388608")
        .set("statistics.interval.ms", "5000");
    // Pass-through settings win over these defaults.
    for (k, v) in &settings.kafka {
        cfg.set(k, v);
    }
    let consumer: StreamConsumer<LagReporter> = cfg.create_with_context(LagReporter)?;
    consumer.subscribe(&[&settings.topic])?;
    let producer = producer(&settings)?;
    let partitions: Vec<i32> = {
        let md = consumer.fetch_metadata(Some(&settings.topic), Duration::from_secs(10))?;
        md.topics()
            .first()
            .map(|t| t.partitions().iter().map(|p| p.id()).collect())
            .unwrap_or_default()
    };
    let in_lake =
        lake::committed_offsets(&bronze, &settings.group, &settings.topic, &partitions).await?;
    let mut silver_table = silver::open_silver(&settings.lake).await?;
    // Silver is derived from bronze: rebuilt on start, then kept up to date.
    tasks.dirty = true;
    let mut last_silver = Instant::now() - settings.silver_interval;
    tracing::info!(events = seen.len(), tasks = tasks.tasks.len(), offsets = ?in_lake, "lake opened");
    let mut bronze = Bronze {
        table: bronze,
        seen,
        in_lake,
    };
    stats.ready.store(true, Ordering::SeqCst);

    loop {
        // One batch: up to batch_max messages, or what arrived within batch_wait of the first.
        let mut batch: Vec<OwnedMessage> = Vec::new();
        let mut deadline: Option<Instant> = None;
        while batch.len() < settings.batch_max {
            let wait = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                None => Duration::from_millis(250),
            };
            tokio::select! {
                _ = stop.changed() => break,
                r = tokio::time::timeout(wait, consumer.recv()) => match r {
                    Err(_) => break,
                    Ok(Err(e)) => { tracing::warn!(error = %e, "receive"); break; }
                    Ok(Ok(m)) => {
                        deadline.get_or_insert_with(|| Instant::now() + settings.batch_wait);
                        batch.push(m.detach());
                    }
                }
            }
        }
        if *stop.borrow() {
            break;
        }
        if tasks.dirty && last_silver.elapsed() >= settings.silver_interval {
            last_silver = Instant::now();
            match silver::overwrite(&mut silver_table, &tasks).await {
                Ok(()) => tasks.dirty = false,
                Err(e) => {
                    metrics::counter!("consumer_sink_retries_total", "sink" => "silver")
                        .increment(1);
                    tracing::warn!(error = %e, "silver/tasks not written; retried after the next batch");
                    let _ = silver_table.load().await;
                }
            }
        }
        if batch.is_empty() {
            continue;
        }
        let started = Instant::now();
        let landed = process(&settings, &contract, &stats, &producer, &mut bronze, &batch).await?;
        for e in &landed {
            tasks.apply(e);
        }
        // Every sink succeeded (or dead-lettered what it could not take): commit the offsets.
        let mut tpl = TopicPartitionList::new();
        let mut next: BTreeMap<i32, i64> = BTreeMap::new();
        for m in &batch {
            let e = next.entry(m.partition()).or_insert(m.offset());
            *e = (*e).max(m.offset());
        }
        for (p, o) in &next {
            tpl.add_partition_offset(&settings.topic, *p, Offset::Offset(o + 1))?;
        }
        tracing::debug!(messages = batch.len(), landed = landed.len(), offsets = ?next, "committing");
        consumer.commit(&tpl, CommitMode::Sync)?;
        stats.batches.fetch_add(1, Ordering::Relaxed);
        metrics::histogram!("consumer_batch_seconds").record(started.elapsed().as_secs_f64());
    }
    if tasks.dirty {
        silver::overwrite(&mut silver_table, &tasks).await?;
    }
    Ok(())
}

/// Reports consumer lag from librdkafka's own statistics (every few seconds, per partition):
/// no extra requests to the broker. Asking the broker for watermarks instead put a ListOffsets
/// request behind a slow fetch on the same connection; its timeout closed the connection and
/// the fetch with it, again and again, and the consumer stalled.
pub struct LagReporter;

impl rdkafka::ClientContext for LagReporter {
    fn stats(&self, statistics: rdkafka::Statistics) {
        for topic in statistics.topics.values() {
            for (p, partition) in &topic.partitions {
                if *p >= 0 && partition.consumer_lag >= 0 {
                    metrics::gauge!("consumer_lag", "partition" => p.to_string())
                        .set(partition.consumer_lag as f64);
                }
            }
        }
    }
}

impl rdkafka::consumer::ConsumerContext for LagReporter {}

/// `bronze/task_events` and what the consumer knows of it: the event ids it holds and the last
/// offset it holds per partition.
struct Bronze {
    table: deltalake::DeltaTable,
    seen: HashSet<String>,
    in_lake: BTreeMap<i32, i64>,
}

async fn process(
    settings: &Settings,
    contract: &events::Contract,
    stats: &Stats,
    producer: &FutureProducer,
    bronze: &mut Bronze,
    batch: &[OwnedMessage],
) -> anyhow::Result<Vec<events::Event>> {
    let mut landed = Vec::new();
    let mut rows: Vec<BronzeRow> = Vec::new();
    let mut forward = Vec::new();
    let mut dead: Vec<Dead> = Vec::new();
    let mut offsets: BTreeMap<i32, i64> = BTreeMap::new();
    let mut batch_ids = HashSet::new();
    for m in batch {
        let p = m.partition();
        if bronze.in_lake.get(&p).is_some_and(|o| m.offset() <= *o) {
            // Already in the lake: redelivered after a crash between the lake commit and the
            // Kafka offset commit.
            stats.redelivered.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let o = offsets.entry(p).or_insert(m.offset());
        *o = (*o).max(m.offset());
        let payload = m.payload().unwrap_or_default();
        match contract.decode(payload) {
            Err(e) => dead.push(Dead {
                kind: e.kind().to_string(),
                reason: e.to_string(),
                msg: m.clone(),
            }),
            Ok(event) => {
                if bronze.seen.contains(&event.id) || !batch_ids.insert(event.id.clone()) {
                    stats.duplicates.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("consumer_events_total", "result" => "duplicate")
                        .increment(1);
                    continue;
                }
                let mut value = serde_json::to_value(&event).expect("events serialise");
                let text;
                let masked: events::Event = if settings.masker.mask(&mut value) > 0 {
                    text = serde_json::to_string(&value).expect("serialises");
                    serde_json::from_value(value).expect("masking keeps the shape")
                } else {
                    text = serde_json::to_string(&value).expect("serialises");
                    event.clone()
                };
                forward.push((
                    Some(event.data.project_id().to_string()),
                    text.clone().into_bytes(),
                    None,
                ));
                rows.push(BronzeRow {
                    event_id: event.id.clone(),
                    event_type: event.event_type().to_string(),
                    source: event.source.clone(),
                    subject: event.subject.clone(),
                    time: event.time,
                    project_id: event.data.project_id().to_string(),
                    event: text,
                    topic: m.topic().to_string(),
                    partition: p,
                    offset: m.offset(),
                });
                landed.push(masked);
            }
        }
    }

    // 1. Dead letters first (at least once): the lake commit below records the batch's offsets,
    // invalid messages included, so after it a redelivery would skip them.
    send_dead(settings, stats, producer, &dead).await?;
    // 2. Forward (at least once) and 3. the lake (with the offsets, exactly once) side by side.
    let mut sink_failed = Vec::new();
    let forward_sink = async {
        if let Some(topic) = &settings.forward_topic
            && !forward.is_empty()
            && let Err(e) = retry("forward", settings.sink_tries, || {
                send_all(producer, topic, &forward)
            })
            .await
        {
            tracing::error!(error = %e, "forwarding failed; the events stay in the lake");
            metrics::counter!("consumer_sink_failures_total", "sink" => "forward").increment(1);
        }
    };
    let lake_sink = async {
        if offsets.is_empty() {
            return Ok(());
        }
        let mut result = Err(anyhow::anyhow!("not tried"));
        let mut wait = Duration::from_millis(100);
        for attempt in 1..=settings.sink_tries.max(1) {
            result = lake::append(
                &mut bronze.table,
                &rows,
                &settings.group,
                &settings.topic,
                &offsets,
            )
            .await
            .map_err(|e| anyhow::anyhow!("bronze/task_events: {e}"));
            match &result {
                Ok(()) => break,
                Err(e) => {
                    metrics::counter!("consumer_sink_retries_total", "sink" => "lake").increment(1);
                    tracing::warn!(attempt, error = %e, "lake write failed");
                    // A failed commit may have left the table behind its log.
                    let _ = bronze.table.load().await;
                    if attempt < settings.sink_tries {
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(Duration::from_secs(5));
                    }
                }
            }
        }
        result
    };
    let ((), lake_result) = tokio::join!(forward_sink, lake_sink);
    match lake_result {
        Ok(()) => {
            for r in &rows {
                bronze.seen.insert(r.event_id.clone());
            }
            stats.valid.fetch_add(rows.len() as u64, Ordering::Relaxed);
            metrics::counter!("consumer_events_total", "result" => "valid")
                .increment(rows.len() as u64);
            bronze.in_lake.extend(offsets.iter());
        }
        Err(e) => {
            // The lake would not take them: dead-letter the batch's valid messages.
            let reason = format!("sink lake: {e:#}");
            for m in batch {
                if rows
                    .iter()
                    .any(|r| r.partition == m.partition() && r.offset == m.offset())
                {
                    sink_failed.push(Dead {
                        kind: "sink_failed".into(),
                        reason: reason.clone(),
                        msg: m.clone(),
                    });
                }
            }
        }
    }
    // The valid messages the lake would not take go to the dead-letter topic too.
    send_dead(settings, stats, producer, &sink_failed).await?;
    Ok(landed)
}

/// Sends dead letters and waits until the topic has every one (retried for long: the consumer
/// must not commit offsets past a message that is neither in the lake nor dead-lettered).
async fn send_dead(
    settings: &Settings,
    stats: &Stats,
    producer: &FutureProducer,
    dead: &[Dead],
) -> anyhow::Result<()> {
    if dead.is_empty() {
        return Ok(());
    }
    let records: Vec<_> = dead
        .iter()
        .map(|d| {
            let (payload, headers) = dead_letter(d);
            (
                d.msg.key().map(|k| String::from_utf8_lossy(k).into_owned()),
                payload,
                Some(headers),
            )
        })
        .collect();
    retry("dead-letter", settings.sink_tries.max(5) * 2, || {
        send_all(producer, &settings.dlq_topic, &records)
    })
    .await
    .map_err(|e| anyhow::anyhow!("the dead-letter topic does not take messages: {e:#}"))?;
    stats
        .dead_letters
        .fetch_add(dead.len() as u64, Ordering::Relaxed);
    for d in dead {
        metrics::counter!("consumer_events_total", "result" => "dead_letter", "kind" => d.kind.clone()).increment(1);
    }
    Ok(())
}

/// `replay`: re-drives dead letters to their original topic (after a fix). Reads the dead-letter
/// topic in its own consumer group from where the last replay stopped; returns how many were
/// re-sent (or, with `dry_run`, would be).
pub async fn replay(
    settings: &Settings,
    limit: Option<u64>,
    kinds: &[String],
    dry_run: bool,
) -> anyhow::Result<(u64, u64)> {
    let consumer: StreamConsumer = client(settings)
        .set("group.id", format!("{}-replay", settings.group))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()?;
    consumer.subscribe(&[&settings.dlq_topic])?;
    let producer = producer(settings)?;
    let (mut sent, mut skipped) = (0u64, 0u64);
    loop {
        if limit.is_some_and(|l| sent >= l) {
            break;
        }
        let m = match tokio::time::timeout(Duration::from_secs(3), consumer.recv()).await {
            Err(_) => break,
            Ok(m) => m?.detach(),
        };
        let letter: events::DeadLetter =
            match serde_json::from_slice(m.payload().unwrap_or_default()) {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(offset = m.offset(), error = %e, "not a dead letter; skipped");
                    skipped += 1;
                    continue;
                }
            };
        if !kinds.is_empty() && !kinds.contains(&letter.kind) {
            skipped += 1;
            continue;
        }
        if !dry_run {
            let records = vec![(
                letter.key.clone(),
                letter.payload.clone().into_bytes(),
                None,
            )];
            send_all(&producer, &letter.topic, &records).await?;
            let mut tpl = TopicPartitionList::new();
            tpl.add_partition_offset(m.topic(), m.partition(), Offset::Offset(m.offset() + 1))?;
            consumer.commit(&tpl, CommitMode::Sync)?;
        }
        sent += 1;
    }
    Ok((sent, skipped))
}
