//! Throughput of a running broker through rdkafka (the client every platform service uses):
//! produce N messages of 200 bytes with an idempotent producer (acks=all) to a new 3-partition
//! topic and wait for every delivery, then consume them all from the beginning.
//!
//!   cargo run --release -p kafka-broker --example throughput -- BOOTSTRAP [MESSAGES]
//!
//! `bench/kafka-broker.sh` starts a broker on a fresh data folder and runs this.

use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Message};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next().expect("usage: throughput BOOTSTRAP [MESSAGES]");
    let n: usize = args
        .next()
        .map(|s| s.parse().expect("MESSAGES is a number"))
        .unwrap_or(20_000);
    let topic = format!("bench.{}", std::process::id());
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &addr)
        .create()
        .expect("admin client");
    admin
        .create_topics(
            &[NewTopic::new(&topic, 3, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await
        .expect("create topic");
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &addr)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        .create()
        .expect("producer");
    let payload = vec![b'x'; 200];
    let start = Instant::now();
    let mut pending = Vec::with_capacity(n);
    for i in 0..n {
        let key = (i % 64).to_string();
        let mut record = FutureRecord::to(&topic).key(&key).payload(&payload);
        loop {
            match producer.send_result(record) {
                Ok(f) => {
                    pending.push(f);
                    break;
                }
                // The local queue is full: let deliveries catch up.
                Err((_, back)) => {
                    record = back;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        }
    }
    for f in pending {
        f.await.expect("not cancelled").expect("delivered");
    }
    let produced = start.elapsed();
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &addr)
        .set("group.id", format!("{topic}.reader"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    consumer.subscribe(&[&topic]).expect("subscribe");
    let start = Instant::now();
    let mut got = 0;
    while got < n {
        let m = tokio::time::timeout(Duration::from_secs(30), consumer.recv())
            .await
            .expect("messages keep coming")
            .expect("a message");
        assert_eq!(m.payload().map(<[u8]>::len), Some(200));
        got += 1;
    }
    let consumed = start.elapsed();
    let rate = |d: Duration| (n as f64 / d.as_secs_f64()) as u64;
    println!("kafka-broker throughput, {n} messages of 200 bytes, rdkafka, 3 partitions:");
    println!(
        "  produce (idempotent, acks=all, all delivered)  {:>7} msg/s  ({:.2} s)",
        rate(produced),
        produced.as_secs_f64()
    );
    println!(
        "  consume from the beginning                      {:>7} msg/s  ({:.2} s)",
        rate(consumed),
        consumed.as_secs_f64()
    );
}
