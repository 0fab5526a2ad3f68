//! The consumer as a process between the real broker and a real Delta table: the producer's
//! `faults` profile in, exactly the valid events in `bronze/task_events`, exactly the faulty
//! ones in the dead-letter topic with their reasons, masked events forwarded; 200,000 events
//! through three `kill -9` of the consumer and a broker restart lose and duplicate nothing; and
//! the task API's writes reach `silver/tasks`.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use testkit::{Process, S3Server, free_port, wait_until};

/// Runs `cmd` to the end, fails the test with its standard error unless it succeeded, and
/// returns its standard output.
fn run_ok(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn binary(name: &str) -> PathBuf {
    testkit::workspace_binary(name, name)
}

fn broker() -> &'static str {
    testkit::shared_broker()
}

/// Topics, group and lake of one test.
struct Case {
    bootstrap: String,
    topic: String,
    dlq: String,
    forward: String,
    group: String,
    /// Holds the lake unless `url` points elsewhere, and the consumers' log beside it.
    lake: tempfile::TempDir,
    /// The lake root the consumer gets (`--lake`): the folder, or an `s3://` URL.
    url: String,
    /// The object store's settings, as the consumer's `AWS_*` environment.
    storage: Vec<(String, String)>,
}

impl Case {
    fn new() -> Case {
        Case::on(broker())
    }

    fn on(bootstrap: &str) -> Case {
        let n = free_port();
        let lake = tempfile::tempdir().unwrap();
        Case {
            bootstrap: bootstrap.to_string(),
            topic: format!("t{n}.events"),
            dlq: format!("t{n}.dlq"),
            forward: format!("t{n}.enriched"),
            group: format!("g{n}"),
            url: lake.path().to_str().unwrap().to_string(),
            lake,
            storage: Vec::new(),
        }
    }

    /// The same case with its lake in a bucket of the S3 server.
    fn in_bucket(mut self, s3: &S3Server, bucket: &str) -> Case {
        create_bucket(s3, bucket);
        self.url = format!("s3://{bucket}/lake");
        self.storage = s3.env();
        self
    }

    fn produce(&self, profile: &str, count: u64, rate: u64) {
        let out = run_ok(
            Command::new(binary("kafka-data-producer"))
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
                .env("KAFKA_BOOTSTRAP_SERVERS", &self.bootstrap)
                .env("RUST_LOG", "error"),
        );
        let s: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(s["sent"], count, "{s}");
    }

    fn consumer(&self, port: u16) -> Process {
        self.consumer_with(port, &[])
    }

    fn consumer_with(&self, port: u16, env: &[(&str, &str)]) -> Process {
        self.consumer_args(port, env, &["--batch-max", "500"])
    }

    fn consumer_args(&self, port: u16, env: &[(&str, &str)], args: &[&str]) -> Process {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kafka-data-consumer"));
        cmd.envs(self.storage.iter().map(|(k, v)| (k, v)))
            .envs(env.iter().copied())
            .args([
                "--topic",
                &self.topic,
                "--dlq-topic",
                &self.dlq,
                "--group",
                &self.group,
            ])
            .args(["--lake", &self.url])
            .args([
                "run",
                "--forward-topic",
                &self.forward,
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .args(args)
            .args(["--batch-wait-ms", "100", "--silver-interval-ms", "200"])
            .env("KAFKA_BOOTSTRAP_SERVERS", &self.bootstrap)
            .env("PII_TOKEN_KEY", "test-key-test-key-test-key")
            .env(
                "RUST_LOG",
                std::env::var("CONSUMER_TEST_LOG").unwrap_or("warn".into()),
            )
            .stdout(Stdio::null())
            .stderr(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(self.log())
                    .unwrap(),
            );
        testkit::spawn(cmd).unwrap()
    }

    /// Like [`wait_until`], failing with the tail of the consumers' log.
    fn wait(&self, what: &str, timeout: Duration, f: impl FnMut() -> bool) {
        if testkit::eventually(timeout, Duration::from_millis(100), f) {
            return;
        }
        let log = std::fs::read_to_string(self.log()).unwrap_or_default();
        panic!(
            "{what}: not within {timeout:?}\nconsumer log:\n{}",
            &log[log.floor_char_boundary(log.len().saturating_sub(4000))..]
        );
    }

    /// The consumers' standard error, for failure messages.
    fn log(&self) -> PathBuf {
        self.lake.path().with_extension("consumer.log")
    }

    /// One of the lake's tables, opened with the case's storage settings.
    async fn table(&self, name: &str) -> deltalake::DeltaTable {
        let url = kafka_data_consumer::lake::table_url(&self.url, name).unwrap();
        let options = self
            .storage
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        deltalake::open_table_with_storage_options(url, options)
            .await
            .unwrap_or_else(|e| panic!("opening {name} in {}: {e}", self.url))
    }

    fn silver(&self) -> BTreeMap<String, (String, i64)> {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let table = self.table("silver/tasks").await;
            kafka_data_consumer::silver::read(&table).await.unwrap()
        })
    }

    fn lake_ids(&self) -> Vec<String> {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let table = self.table("bronze/task_events").await;
            kafka_data_consumer::lake::event_id_list(&table)
                .await
                .unwrap()
        })
    }
}

/// Creates `bucket` on the S3 server.
fn create_bucket(s3: &S3Server, bucket: &str) {
    ureq::put(&s3.url(bucket)).send_empty().unwrap();
}

/// Every message of `topic` on `bootstrap` (at least `expect`, and whatever follows within 2 s).
fn read_all(bootstrap: &str, topic: &str, expect: usize) -> Vec<testkit::kafka::Record> {
    testkit::kafka::read_all(
        bootstrap,
        topic,
        expect,
        Duration::from_secs(2),
        Duration::from_secs(120),
    )
}

/// What the producer sent: the valid event ids, the number of faults, and the final state of
/// every task (status, version), computed here independently of the consumer.
struct Expected {
    valid: HashSet<String>,
    faults: usize,
    /// Partition and offset of every fault.
    fault_at: HashSet<(i32, i64)>,
    tasks: BTreeMap<String, (String, i64)>,
}

fn expected(case: &Case, n: usize) -> Expected {
    use events::EventData::*;
    let contract = events::Contract::new();
    let sent = read_all(&case.bootstrap, &case.topic, n);
    assert_eq!(sent.len(), n);
    let mut valid = HashSet::new();
    let mut faults = 0;
    let mut fault_at = HashSet::new();
    let mut tasks: BTreeMap<String, (String, i64)> = BTreeMap::new();
    for m in &sent {
        match contract.decode(&m.payload) {
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
            Err(_) => {
                faults += 1;
                fault_at.insert((m.partition, m.offset));
            }
        }
    }
    Expected {
        valid,
        faults,
        fault_at,
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
        ..
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

    let dlq = read_all(broker(), &case.dlq, faults);
    assert_eq!(dlq.len(), faults);
    for testkit::kafka::Record {
        payload, headers, ..
    } in &dlq
    {
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
    let out = run_ok(
        Command::new("bash")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tools/read-lake.sh"))
            .arg(case.lake.path()),
    );
    let read: serde_json::Value = serde_json::from_slice(&out).unwrap();
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
        let out = run_ok(
            Command::new(env!("CARGO_BIN_EXE_kafka-data-consumer"))
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
                .env("RUST_LOG", "error"),
        );
        String::from_utf8_lossy(&out).into_owned()
    };
    let dry = replay(&["--dry-run"]);
    assert!(
        dry.contains(&format!("would re-drive {faults} dead letter(s)")),
        "{dry}"
    );
    let malformed = dlq
        .iter()
        .filter(|m| m.headers["dlq.kind"] == "malformed_json")
        .count();
    assert!(malformed > 0);
    let real = replay(&["--kind", "malformed_json"]);
    assert!(
        real.contains(&format!("re-drove {malformed} dead letter(s)")),
        "{real}"
    );
    assert_eq!(
        read_all(broker(), &case.topic, n as usize + malformed).len(),
        n as usize + malformed
    );

    let forwarded = read_all(broker(), &case.forward, valid.len());
    assert_eq!(forwarded.len(), valid.len());
    let mut masked = 0;
    for m in &forwarded {
        let text = String::from_utf8_lossy(&m.payload);
        assert!(!text.contains("@example.org"), "PII forwarded: {text}");
        masked += text.matches("tok_").count();
    }
    assert!(masked > 0, "member events carry tokens");
}

/// Chaos: 200,000 events (5% faults) produced while the consumer is killed with SIGKILL three
/// times and the broker is restarted once; afterwards the lake holds every valid event exactly
/// once, `silver/tasks` matches, and every fault is in the dead-letter topic.
#[test]
fn chaos_kill_9_three_times_and_a_broker_restart_lose_and_duplicate_nothing() {
    let mut broker = testkit::Broker::start();
    let case = Case::on(&broker.addr);
    let n: u64 = 200_000;
    // Large batches, as in production: the lake takes one Delta commit per batch.
    // A consumer killed with SIGKILL never leaves its group: the next one waits until the broker
    // gives up on the dead member. After a broker restart tansu only does so at the rebalance
    // timeout (`max.poll.interval.ms`, 300 s by default), so the test shortens it.
    let consumer = |port| {
        case.consumer_args(
            port,
            &[],
            &["--batch-max", "5000", "-X", "group.instance.id=chaos"],
        )
    };
    let valid_so_far = |port| stats(port).map_or(0, |s| s["valid"].as_u64().unwrap());
    // The shipped `faults` mix, with fewer oversized messages: each is over 1 MiB, and a
    // thousand of them would make the run about reading a gigabyte through the local broker.
    let profile = case.lake.path().with_extension("chaos.yaml");
    std::fs::write(
        &profile,
        "name: chaos\ndescription: 5% faults of every kind\nrate: {per_second: 20000}\n\
         mix: {task.created: 30, task.updated: 40, task.completed: 15, task.deleted: 3, \
         project.created: 2, member.added: 5, member.role_changed: 2, member.removed: 1}\n\
         faults: {share: 0.05, kinds: {malformed_json: 300, schema_invalid: 300, \
         unknown_type: 300, oversized: 1}}\n",
    )
    .unwrap();
    // Produced first: the local broker in a debug build cannot serve a producer at full speed
    // and the consumer's reads and writes at the same time within a test's patience.
    case.produce(profile.to_str().unwrap(), n, 200_000);
    for round in 0..3 {
        let port = free_port();
        let mut c = consumer(port);
        case.wait(
            "the consumer lands events",
            Duration::from_secs(180),
            || valid_so_far(port) > 0,
        );
        if round == 1 {
            // The broker goes away under a working consumer, and comes back.
            broker.restart();
            let before = valid_so_far(port);
            case.wait(
                "the consumer lands events after the broker restart",
                Duration::from_secs(180),
                || valid_so_far(port) > before,
            );
        }
        c.kill().unwrap(); // SIGKILL
        c.wait().unwrap();
    }
    let Expected {
        valid,
        fault_at,
        tasks,
        ..
    } = expected(&case, n as usize);
    let port = free_port();
    let mut c = consumer(port);
    case.wait(
        "the lake holds every valid event",
        Duration::from_secs(300),
        || {
            // Reading the table is not free: look every two seconds.
            std::thread::sleep(Duration::from_secs(2));
            case.lake_ids().len() >= valid.len()
        },
    );
    silver_matches(&case, &tasks);
    c.kill().unwrap();
    c.wait().unwrap();
    let ids = case.lake_ids();
    let unique: HashSet<String> = ids.iter().cloned().collect();
    assert_eq!(ids.len(), unique.len(), "duplicates after crashes");
    assert_eq!(unique.len(), valid.len(), "every valid event, no other");
    assert_eq!(unique, valid);
    // Dead letters are at least once: every fault is there (a crash between the dead-letter
    // send and the lake commit sends some again), and nothing else.
    let dlq: HashSet<(i32, i64)> = read_all(&broker.addr, &case.dlq, fault_at.len())
        .iter()
        .map(|m| {
            (
                m.headers["dlq.partition"].parse().unwrap(),
                m.headers["dlq.offset"].parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        dlq, fault_at,
        "the dead-letter topic holds exactly the faults"
    );
}

/// With `PUSHGATEWAY_URL` the consumer PUTs its metrics to the gateway's job path.
#[test]
fn metrics_are_pushed_to_the_pushgateway() {
    let gateway = testkit::HttpCapture::start();
    let case = Case::new();
    case.produce("steady", 200, 2000);
    let port = free_port();
    let mut consumer = case.consumer_with(
        port,
        &[
            ("PUSHGATEWAY_URL", &gateway.url),
            ("PUSHGATEWAY_INTERVAL_SECS", "1"),
        ],
    );
    let push = gateway.first(Duration::from_secs(60), |r| {
        r.text().contains("consumer_events_total")
    });
    consumer.crash();
    let push = push.expect("a push with the consumer's counters");
    assert_eq!(
        (push.method.as_str(), push.path.as_str()),
        ("PUT", "/metrics/job/kafka-data-consumer")
    );
    let body = push.text();
    assert!(body.contains("result=\"valid\""), "{body}");
}

/// Calls the task API; returns the JSON body of a 2xx answer, fails the test otherwise.
fn api(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> serde_json::Value {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = ureq::http::Request::builder().method(method).uri(url);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let res = match body {
        Some(b) => agent.run(
            req.header("content-type", "application/json")
                .body(b.to_string())
                .unwrap(),
        ),
        None => agent.run(req.body(()).unwrap()),
    }
    .unwrap();
    let status = res.status().as_u16();
    let text = res.into_body().read_to_string().unwrap_or_default();
    assert!(
        (200..300).contains(&status),
        "{method} {url}: {status} {text}"
    );
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

/// Both services running: what a user does through the task API (its outbox publishes to
/// `events.tasks`) reaches `silver/tasks` through the consumer.
#[test]
fn task_api_writes_reach_silver_tasks() {
    let mut case = Case::new();
    case.topic = events::TOPIC.to_string();
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut cmd = Command::new(binary("task-api"));
    cmd.env(
        "DATABASE_URL",
        format!("sqlite://{}/tasks.db", data.path().display()),
    )
    .env("PORTFOLIO_DATA_DIR", data.path())
    .env("KAFKA_BOOTSTRAP_SERVERS", broker())
    .env("JWT_SECRET", "test-secret-test-secret-test-secret-42")
    .env("TASK_API_ADDR", format!("127.0.0.1:{port}"))
    .env("RUST_LOG", "warn")
    .stdout(Stdio::null());
    let mut task_api = testkit::spawn(cmd).unwrap();
    wait_until("the task API", Duration::from_secs(60), || {
        ureq::get(&format!("{base}/readyz")).call().is_ok()
    });
    let consumer_port = free_port();
    let mut consumer = case.consumer(consumer_port);

    let user = api(
        "POST",
        &format!("{base}/v1/auth/register"),
        None,
        Some(serde_json::json!({"email": "flow@example.org", "password": "correct horse battery"})),
    );
    let token = user["access_token"].as_str().unwrap().to_string();
    let t = Some(token.as_str());
    let project = api(
        "POST",
        &format!("{base}/v1/projects"),
        t,
        Some(serde_json::json!({"name": "Flow"})),
    );
    let p = project["id"].as_str().unwrap();
    let mut ids = Vec::new();
    for i in 0..6 {
        let task = api(
            "POST",
            &format!("{base}/v1/projects/{p}/tasks"),
            t,
            Some(serde_json::json!({"title": format!("Task {i}")})),
        );
        ids.push(task["id"].as_str().unwrap().to_string());
    }
    let task_url = |id: &str| format!("{base}/v1/tasks/{id}");
    api(
        "PATCH",
        &task_url(&ids[0]),
        t,
        Some(serde_json::json!({"status": "in_progress"})),
    );
    api(
        "PATCH",
        &task_url(&ids[0]),
        t,
        Some(serde_json::json!({"status": "done"})),
    );
    api(
        "PATCH",
        &task_url(&ids[1]),
        t,
        Some(serde_json::json!({"status": "in_progress", "priority": "high"})),
    );
    api("DELETE", &task_url(&ids[2]), t, None);

    // The final state, as the API itself reports it.
    let mut expected = BTreeMap::new();
    for id in ids.iter().filter(|id| **id != ids[2]) {
        let task = api("GET", &task_url(id), t, None);
        expected.insert(
            id.clone(),
            (
                task["status"].as_str().unwrap().to_string(),
                task["version"].as_i64().unwrap(),
            ),
        );
    }
    assert_eq!(expected[&ids[0]].0, "done");
    silver_matches(&case, &expected);
    consumer.kill().unwrap();
    consumer.wait().unwrap();
    task_api.kill().unwrap();
    task_api.wait().unwrap();
}

/// An object-storage lake is refused with a message naming the URL, before anything runs.
/// `s3://` lakes go through the same code: valid events land exactly once across a `kill -9`
/// (the restarted consumer rebuilds its state from the bucket), silver matches, and a second
/// engine reads both tables from the bucket.
#[test]
fn an_s3_lake_holds_each_valid_event_once_across_a_crash() {
    let s3 = S3Server::start();
    let case = Case::new().in_bucket(&s3, "lake-test");
    let n = 2000;
    case.produce("faults", n, 2000);
    let Expected {
        valid,
        faults,
        tasks,
        ..
    } = expected(&case, n as usize);
    let consumer = |port| case.consumer_args(port, &[], &["--batch-max", "200"]);
    let port = free_port();
    let mut first = consumer(port);
    case.wait(
        "the consumer lands events",
        Duration::from_secs(120),
        || stats(port).is_some_and(|s| s["valid"].as_u64().unwrap() > 0),
    );
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let port = free_port();
    let mut second = consumer(port);
    case.wait(
        "the lake holds every valid event",
        Duration::from_secs(180),
        || {
            std::thread::sleep(Duration::from_millis(500));
            case.lake_ids().len() >= valid.len()
        },
    );
    silver_matches(&case, &tasks);
    second.kill().unwrap();
    second.wait().unwrap();
    let ids = case.lake_ids();
    let unique: HashSet<String> = ids.iter().cloned().collect();
    assert_eq!(ids.len(), unique.len(), "duplicates in the bucket's lake");
    assert_eq!(unique, valid, "the lake holds exactly the valid events");
    assert!(
        read_all(broker(), &case.dlq, faults).len() >= faults,
        "every fault is dead-lettered"
    );

    // Nothing of the lake is on the local disk: it is all in the bucket.
    let local: Vec<_> = std::fs::read_dir(case.lake.path()).unwrap().collect();
    assert!(local.is_empty(), "{local:?}");

    // A second engine (PyPI deltalake with pyarrow) reads the tables from the bucket.
    let out = run_ok(
        Command::new("bash")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tools/read-lake.sh"))
            .arg(&case.url)
            .envs(case.storage.iter().map(|(k, v)| (k, v))),
    );
    let read: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(read["bronze"]["unique_event_ids"], valid.len(), "{read}");
    assert_eq!(read["silver"]["rows"], tasks.len(), "{read}");
}

#[test]
fn unsupported_lake_urls_are_refused_clearly() {
    for (lake, says) in [
        ("gs://bucket/lake", "gs:// lakes are not supported"),
        ("s3:///lake", "names a bucket"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_kafka-data-consumer"))
            .args(["--lake", lake, "run", "--listen", "127.0.0.1:0"])
            .env("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
            .env("PII_TOKEN_KEY", "test-key-test-key-test-key")
            .env("RUST_LOG", "error")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{lake}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("LAKE_URL `{lake}`")) && err.contains(says),
            "{lake}: {err}"
        );
    }
}
