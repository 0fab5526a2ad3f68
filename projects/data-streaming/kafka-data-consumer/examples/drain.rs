//! The broker alone, for the consumer benchmark (`bench/kafka-consumer.sh`): reads a topic from
//! the beginning in a fresh consumer group until N messages arrived, with no processing, and
//! prints the rate.
//!   cargo run --release -p kafka-data-consumer --example drain -- BOOTSTRAP TOPIC N [GROUP]

use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::Message;
use rdkafka::consumer::{Consumer, StreamConsumer};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(bootstrap), Some(topic), Some(n)) = (args.next(), args.next(), args.next()) else {
        anyhow::bail!("usage: drain BOOTSTRAP TOPIC N [GROUP]");
    };
    let n: u64 = n.parse()?;
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set(
            "group.id",
            args.next()
                .unwrap_or_else(|| format!("drain-{}", uuid::Uuid::new_v4())),
        )
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("fetch.message.max.bytes", "8388608")
        .set("max.partition.fetch.bytes", "8388608")
        .create()?;
    consumer.subscribe(&[&topic])?;
    let (mut got, mut bytes) = (0u64, 0usize);
    let mut start = None;
    while got < n {
        let m = tokio::time::timeout(Duration::from_secs(30), consumer.recv())
            .await
            .map_err(|_| anyhow::anyhow!("only {got} of {n} messages within 30 s"))??;
        start.get_or_insert_with(Instant::now);
        bytes += m.payload().map_or(0, <[u8]>::len);
        got += 1;
    }
    let took = start.map_or(Duration::ZERO, |s| s.elapsed());
    println!(
        "  broker alone (rdkafka, no processing) {:>8.0} events/s  ({got} messages, {:.1} MB in {:.2} s)",
        got as f64 / took.as_secs_f64(),
        bytes as f64 / 1e6,
        took.as_secs_f64()
    );
    Ok(())
}
