//! The broker binary speaks the Kafka protocol to a real client (librdkafka through rdkafka)
//! and keeps messages and committed offsets across a restart.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Message};

fn consumer(addr: &str, group: &str) -> StreamConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", addr)
        .set("group.id", group)
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer")
}

async fn take(c: &StreamConsumer, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    while out.len() < n {
        let m = tokio::time::timeout(Duration::from_secs(30), c.recv())
            .await
            .expect("message within 30 s")
            .expect("message");
        out.push(String::from_utf8(m.payload().unwrap().to_vec()).unwrap());
        c.commit_message(&m, CommitMode::Sync).expect("commit");
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn produce_consume_and_survive_a_restart() {
    let mut broker = testkit::Broker::start();
    let addr = broker.addr.clone();

    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &addr)
        .create()
        .unwrap();
    let created = admin
        .create_topics(
            &[NewTopic::new("events.test", 3, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await
        .expect("create topics");
    assert!(created.iter().all(|r| r.is_ok()), "{created:?}");

    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &addr)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .create()
        .unwrap();
    for i in 0..20 {
        let payload = format!("event-{i}");
        producer
            .send(
                FutureRecord::to("events.test")
                    .key("project-1")
                    .payload(&payload),
                Duration::from_secs(10),
            )
            .await
            .map_err(|(e, _)| e)
            .expect("delivered");
    }

    let c = consumer(&addr, "g1");
    c.subscribe(&["events.test"]).unwrap();
    let first = take(&c, 10).await;
    let expected: Vec<String> = (0..10).map(|i| format!("event-{i}")).collect();
    assert_eq!(first, expected, "one key, one partition: order is kept");
    drop(c);

    broker.stop();
    broker.start_again();
    let c = consumer(&addr, "g1");
    c.subscribe(&["events.test"]).unwrap();
    let rest = take(&c, 10).await;
    let expected: Vec<String> = (10..20).map(|i| format!("event-{i}")).collect();
    assert_eq!(
        rest, expected,
        "committed offsets and messages survived the restart"
    );
}
