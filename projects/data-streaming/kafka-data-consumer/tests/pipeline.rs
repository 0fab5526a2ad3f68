//! The consumer as a process between the real broker and a real Delta table: the producer's
//! `faults` profile in, exactly the valid events in `bronze/task_events`, exactly the faulty
//! ones in the dead-letter topic with their reasons, masked events forwarded; and `kill -9`
//! mid-stream loses and duplicates nothing.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};

fn bin_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kafka-data-consumer"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what}: not within {timeout:?}");
}

fn binary(name: &str) -> PathBuf {
    if !bin_dir().join(name).is_file() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-q", "--locked", "-p", name])
            .status()
            .unwrap();
        assert!(status.success(), "building {name}");
    }
    bin_dir().join(name)
}

fn broker() -> &'static str {
    static BROKER: OnceLock<(String, Child, tempfile::TempDir)> = OnceLock::new();
    &BROKER
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let addr = format!("127.0.0.1:{}", free_port());
            let child = Command::new(binary("kafka-broker"))
                .env("KAFKA_BROKER_LISTEN", &addr)
                .env("PORTFOLIO_DATA_DIR", dir.path())
                .env("RUST_LOG", "error")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            wait_until("broker", Duration::from_secs(30), || {
                std::net::TcpStream::connect(&addr).is_ok()
            });
            (addr, child, dir)
        })
        .0
}

/// Topics, group and lake of one test.
struct Case {
    topic: String,
    dlq: String,
    forward: String,
    group: String,
    lake: tempfile::TempDir,
}

impl Case {
    fn new() -> Case {
        let n = free_port();
        Case {
            topic: format!("t{n}.events"),
            dlq: format!("t{n}.dlq"),
            forward: format!("t{n}.enriched"),
            group: format!("g{n}"),
            lake: tempfile::tempdir().unwrap(),
        }
    }

    fn produce(&self, profile: &str, count: u64, rate: u64) {
        let out = Command::new(binary("kafka-data-producer"))
            .args([
                "run",
                "--profile",
                profile,
                "--count",
                &count.to_string(),
                "--rate",
                &rate.to_string(),
            ])
            .args(["--topic", &self.topic, "--listen", "off", "--json"])
            .env("KAFKA_BOOTSTRAP_SERVERS", broker())
            .env("RUST_LOG", "error")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(s["sent"], count, "{s}");
    }

    fn consumer(&self, port: u16) -> Child {
        self.consumer_with(port, &[])
    }

    fn consumer_with(&self, port: u16, env: &[(&str, &str)]) -> Child {
        Command::new(env!("CARGO_BIN_EXE_kafka-data-consumer"))
            .envs(env.iter().copied())
            .args([
                "--topic",
                &self.topic,
                "--dlq-topic",
                &self.dlq,
                "--group",
                &self.group,
            ])
            .args(["--lake", self.lake.path().to_str().unwrap()])
            .args([
                "run",
                "--forward-topic",
                &self.forward,
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .args([
                "--batch-max",
                "500",
                "--batch-wait-ms",
                "100",
                "--silver-interval-ms",
                "200",
            ])
            .env("KAFKA_BOOTSTRAP_SERVERS", broker())
            .env("PII_TOKEN_KEY", "test-key-test-key-test-key")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(self.log())
                    .unwrap(),
            )
            .spawn()
            .unwrap()
    }

    /// The consumers' standard error, for failure messages.
    fn log(&self) -> PathBuf {
        self.lake.path().with_extension("consumer.log")
    }

    fn silver(&self) -> BTreeMap<String, (String, i64)> {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let table =
                kafka_data_consumer::silver::open_silver(self.lake.path().to_str().unwrap())
                    .await
                    .unwrap();
            kafka_data_consumer::silver::read(&table).unwrap()
        })
    }

    fn lake_ids(&self) -> Vec<String> {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let table = kafka_data_consumer::lake::open_bronze(self.lake.path().to_str().unwrap())
                .await
                .unwrap();
            kafka_data_consumer::lake::event_id_list(&table).unwrap()
        })
    }
}

/// Every message of `topic`: (payload, headers as a map).
fn read_all(topic: &str, expect: usize) -> Vec<(Vec<u8>, BTreeMap<String, String>)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker())
        .set("group.id", format!("reader-{}", free_port()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("fetch.message.max.bytes", "8388608")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let mut out = Vec::new();
    let end = Instant::now() + Duration::from_secs(60);
    let mut idle_since = Instant::now();
    while Instant::now() < end
        && (out.len() < expect || idle_since.elapsed() < Duration::from_secs(2))
    {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                idle_since = Instant::now();
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
                out.push((m.payload().unwrap_or_default().to_vec(), headers));
            }
            _ => {
                if out.len() >= expect && idle_since.elapsed() >= Duration::from_secs(2) {
                    break;
                }
            }
        }
    }
    out
}

/// What the producer sent: the valid event ids, the number of faults, and the final state of
/// every task (status, version), computed here independently of the consumer.
struct Expected {
    valid: HashSet<String>,
    faults: usize,
    tasks: BTreeMap<String, (String, i64)>,
}

fn expected(case: &Case, n: usize) -> Expected {
    use events::EventData::*;
    let contract = events::Contract::new();
    let sent = read_all(&case.topic, n);
    assert_eq!(sent.len(), n);
    let mut valid = HashSet::new();
    let mut faults = 0;
    let mut tasks: BTreeMap<String, (String, i64)> = BTreeMap::new();
    for (p, _) in &sent {
        match contract.decode(p) {
            Ok(e) => {
                match &e.data {
                    TaskCreated { task } | TaskUpdated { task, .. } | TaskCompleted { task } => {
                        let status = serde_json::to_value(task.status)
                            .unwrap()
                            .as_str()
                            .unwrap()
                            .to_string();
                        let id = task.id.to_string();
                        if tasks.get(&id).is_none_or(|(_, v)| *v <= task.version) {
                            tasks.insert(id, (status, task.version));
                        }
                    }
                    TaskDeleted { task_id, .. } => {
                        tasks.remove(&task_id.to_string());
                    }
                    _ => {}
                }
                valid.insert(e.id);
            }
            Err(_) => faults += 1,
        }
    }
    Expected {
        valid,
        faults,
        tasks,
    }
}

fn stats(port: u16) -> Option<serde_json::Value> {
    let body = ureq::get(&format!("http://127.0.0.1:{port}/stats"))
        .call()
        .ok()?
        .body_mut()
        .read_to_string()
        .ok()?;
    serde_json::from_str(&body).ok()
}

/// Waits until `silver/tasks` equals `tasks`, else fails naming the differences.
fn silver_matches(case: &Case, tasks: &BTreeMap<String, (String, i64)>) {
    let caught_up = (0..150).any(|_| {
        std::thread::sleep(Duration::from_millis(200));
        case.silver() == *tasks
    });
    if !caught_up {
        let silver = case.silver();
        let differing: Vec<_> = tasks
            .iter()
            .filter(|(k, v)| silver.get(*k) != Some(*v))
            .take(5)
            .map(|(k, v)| (k, v, silver.get(k)))
            .collect();
        let extra: Vec<_> = silver
            .iter()
            .filter(|(k, _)| !tasks.contains_key(*k))
            .take(5)
            .collect();
        let log = std::fs::read_to_string(case.log()).unwrap_or_default();
        panic!(
            "silver/tasks has {} tasks, expected {}; differing {differing:?}; extra {extra:?}\nconsumer log:\n{}",
            silver.len(),
            tasks.len(),
            &log[log.len().saturating_sub(3000)..]
        );
    }
}

#[test]
fn valid_events_land_once_faults_are_dead_lettered_and_pii_is_masked() {
    let case = Case::new();
    let n = 3000;
    case.produce("faults", n, 3000);
    let Expected {
        valid,
        faults,
        tasks,
    } = expected(&case, n as usize);
    let port = free_port();
    let mut consumer = case.consumer(port);
    wait_until("the consumer catches up", Duration::from_secs(120), || {
        stats(port).is_some_and(|s| {
            s["valid"].as_u64().unwrap() + s["dead_letters"].as_u64().unwrap() >= n
        })
    });
    let s = stats(port).unwrap();
    silver_matches(&case, &tasks);
    consumer.kill().unwrap();
    consumer.wait().unwrap();

    let ids = case.lake_ids();
    let unique: HashSet<String> = ids.iter().cloned().collect();
    assert_eq!(ids.len(), unique.len(), "duplicates in the lake");
    assert_eq!(unique, valid, "the lake holds exactly the valid events");
    assert_eq!(s["dead_letters"].as_u64().unwrap() as usize, faults, "{s}");

    let dlq = read_all(&case.dlq, faults);
    assert_eq!(dlq.len(), faults);
    for (payload, headers) in &dlq {
        let letter: events::DeadLetter = serde_json::from_slice(payload).unwrap();
        assert!(
            ["malformed_json", "schema_violation", "too_large"].contains(&letter.kind.as_str()),
            "{letter:?}"
        );
        assert_eq!(headers["dlq.kind"], letter.kind);
        assert!(!headers["dlq.reason"].is_empty());
        assert_eq!(headers["dlq.topic"], case.topic);
        assert_eq!(headers["dlq.offset"], letter.offset.to_string());
    }

    // A second engine (PyPI deltalake for the log, pyarrow for the Parquet) reads both tables.
    let out = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tools/read-lake.sh"))
        .arg(case.lake.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(read["bronze"]["rows"], valid.len(), "{read}");
    assert_eq!(read["bronze"]["unique_event_ids"], valid.len(), "{read}");
    let columns = read["bronze"]["columns"].to_string();
    for c in ["event_id", "type", "time", "event", "kafka_offset", "date"] {
        assert!(columns.contains(&format!("\"{c}\"")), "{c} in {columns}");
    }
    assert_eq!(read["silver"]["rows"], tasks.len(), "{read}");
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    for (status, _) in tasks.values() {
        *statuses.entry(status.clone()).or_default() += 1;
    }
    assert_eq!(
        read["silver"]["statuses"],
        serde_json::json!(statuses),
        "{read}"
    );

    // Replay: a dry run counts, a real one re-drives one kind to the original topic.
    let replay = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_kafka-data-consumer"))
            .args([
                "--topic",
                &case.topic,
                "--dlq-topic",
                &case.dlq,
                "--group",
                &case.group,
            ])
            .arg("replay")
            .args(args)
            .env("KAFKA_BOOTSTRAP_SERVERS", broker())
            .env("RUST_LOG", "error")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let dry = replay(&["--dry-run"]);
    assert!(
        dry.contains(&format!("would re-drive {faults} dead letter(s)")),
        "{dry}"
    );
    let malformed = dlq
        .iter()
        .filter(|(_, h)| h["dlq.kind"] == "malformed_json")
        .count();
    assert!(malformed > 0);
    let real = replay(&["--kind", "malformed_json"]);
    assert!(
        real.contains(&format!("re-drove {malformed} dead letter(s)")),
        "{real}"
    );
    assert_eq!(
        read_all(&case.topic, n as usize + malformed).len(),
        n as usize + malformed
    );

    let forwarded = read_all(&case.forward, valid.len());
    assert_eq!(forwarded.len(), valid.len());
    let mut masked = 0;
    for (payload, _) in &forwarded {
        let text = String::from_utf8_lossy(payload);
        assert!(!text.contains("@example.org"), "PII forwarded: {text}");
        masked += text.matches("tok_").count();
    }
    assert!(masked > 0, "member events carry tokens");
}

#[test]
fn kill_9_mid_stream_loses_and_duplicates_nothing() {
    let case = Case::new();
    let n = 20_000;
    case.produce("faults", n, 20_000);
    let Expected { valid, tasks, .. } = expected(&case, n as usize);
    for _ in 0..3 {
        let port = free_port();
        let mut consumer = case.consumer(port);
        wait_until("some progress", Duration::from_secs(60), || {
            stats(port).is_some_and(|s| s["batches"].as_u64().unwrap() >= 1)
        });
        consumer.kill().unwrap(); // SIGKILL
        consumer.wait().unwrap();
    }
    let port = free_port();
    let mut consumer = case.consumer(port);
    wait_until(
        "the lake holds every valid event",
        Duration::from_secs(180),
        || {
            // Reading the table is not free: look every two seconds.
            std::thread::sleep(Duration::from_secs(2));
            case.lake_ids().len() >= valid.len()
        },
    );
    silver_matches(&case, &tasks);
    consumer.kill().unwrap();
    consumer.wait().unwrap();
    let ids = case.lake_ids();
    let unique: HashSet<String> = ids.iter().cloned().collect();
    assert_eq!(ids.len(), unique.len(), "duplicates after crashes");
    assert_eq!(unique, valid);
}

/// With `PUSHGATEWAY_URL` the consumer PUTs its metrics to the gateway's job path.
#[test]
fn metrics_are_pushed_to_the_pushgateway() {
    use std::io::{BufRead, BufReader, Read, Write};
    let gateway = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", gateway.local_addr().unwrap());
    let case = Case::new();
    case.produce("steady", 200, 2000);
    let port = free_port();
    let mut consumer = case.consumer_with(
        port,
        &[
            ("PUSHGATEWAY_URL", &url),
            ("PUSHGATEWAY_INTERVAL_SECS", "1"),
        ],
    );
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in gateway.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut length = 0;
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                if h.trim().is_empty() {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .unwrap();
            if tx
                .send((request_line, String::from_utf8_lossy(&body).into_owned()))
                .is_err()
            {
                return;
            }
        }
    });
    let end = Instant::now() + Duration::from_secs(60);
    let mut seen = None;
    while Instant::now() < end {
        if let Ok((line, body)) = rx.recv_timeout(Duration::from_secs(5))
            && body.contains("consumer_events_total")
        {
            seen = Some((line, body));
            break;
        }
    }
    consumer.kill().unwrap();
    consumer.wait().unwrap();
    let (line, body) = seen.expect("a push with the consumer's counters");
    assert!(
        line.starts_with("PUT /metrics/job/kafka-data-consumer "),
        "{line}"
    );
    assert!(body.contains("result=\"valid\""), "{body}");
}
