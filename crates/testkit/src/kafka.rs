//! Reading a topic back over the Kafka protocol, for tests that check what a producer, the
//! task API's outbox or the consumer wrote; creating a topic and writing records into it,
//! for tests of what consumes it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};

/// One message as read back.
#[derive(Debug, Clone)]
pub struct Record {
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    pub headers: BTreeMap<String, String>,
    pub partition: i32,
    pub offset: i64,
}

impl Record {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.payload).into_owned()
    }
}

/// A consumer of `topic` from its beginning, in a group of its own, committing nothing.
pub fn reader(bootstrap: &str, topic: &str) -> BaseConsumer {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", format!("testkit-reader-{}", crate::free_port()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("fetch.message.max.bytes", "8388608")
        .create()
        .expect("a Kafka consumer");
    consumer.subscribe(&[topic]).expect("subscribing");
    consumer
}

/// Every message of `topic`: reads until at least `expect` arrived and then nothing new came
/// for `settle` (so duplicates beyond `expect` are seen), or until `timeout`.
pub fn read_all(
    bootstrap: &str,
    topic: &str,
    expect: usize,
    settle: Duration,
    timeout: Duration,
) -> Vec<Record> {
    let consumer = reader(bootstrap, topic);
    let mut out = Vec::new();
    let end = Instant::now() + timeout;
    let mut idle_since = Instant::now();
    while Instant::now() < end && (out.len() < expect || idle_since.elapsed() < settle) {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            idle_since = Instant::now();
            out.push(record(&m));
        }
    }
    out
}

fn record(m: &rdkafka::message::BorrowedMessage<'_>) -> Record {
    let mut headers = BTreeMap::new();
    if let Some(h) = m.headers() {
        for i in 0..h.count() {
            let hd = h.get(i);
            headers.insert(
                hd.key.to_string(),
                String::from_utf8_lossy(hd.value.unwrap_or_default()).into_owned(),
            );
        }
    }
    Record {
        key: m.key().map(<[u8]>::to_vec),
        payload: m.payload().unwrap_or_default().to_vec(),
        headers,
        partition: m.partition(),
        offset: m.offset(),
    }
}

/// Creates `topic` with `partitions` partitions (the broker creates none on its own).
pub fn create_topic(bootstrap: &str, topic: &str, partitions: i32) {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("a Kafka admin client");
    // A thread of its own, so that async tests (inside a runtime) can call this too.
    let results = std::thread::scope(|s| {
        s.spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(admin.create_topics(
                    &[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
                    &AdminOptions::new(),
                ))
        })
        .join()
        .expect("the admin thread")
    })
    .expect("creating the topic");
    for r in results {
        if let Err((t, code)) = r {
            assert_eq!(
                code,
                rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists,
                "creating topic {t}"
            );
        }
    }
}

/// Writes `records` (key, payload) to `topic` and waits until the broker has them all.
pub fn produce(bootstrap: &str, topic: &str, records: &[(String, Vec<u8>)]) {
    use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .create()
        .expect("a Kafka producer");
    for (key, payload) in records {
        producer
            .send(BaseRecord::to(topic).key(key).payload(payload))
            .map_err(|(e, _)| e)
            .expect("queueing a record");
    }
    producer
        .flush(Duration::from_secs(30))
        .expect("the broker took the records");
}
