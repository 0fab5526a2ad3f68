//! The producer as a process against the real local broker (tansu, built from this workspace):
//! exact counts and fault shares read back over the Kafka protocol, rate accuracy, reload by
//! SIGHUP and by the control endpoint, and bad profiles.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use testkit::{free_port, wait_until};

fn producer(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kafka-data-producer"));
    c.args(args)
        .env("KAFKA_BOOTSTRAP_SERVERS", testkit::shared_broker())
        .env("RUST_LOG", "warn");
    c
}

fn summary(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "producer failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every message of `topic` (expecting `n`).
fn consume(topic: &str, n: usize) -> Vec<Vec<u8>> {
    testkit::kafka::read_all(
        testkit::shared_broker(),
        topic,
        n,
        Duration::ZERO,
        Duration::from_secs(60),
    )
    .into_iter()
    .map(|r| r.payload)
    .collect()
}

#[test]
fn a_faults_run_delivers_every_message_and_the_faults_fail_the_contract() {
    let topic = format!("events.tasks.test-{}", free_port());
    let n = 4_000;
    let out = producer(&[
        "run",
        "--profile",
        "faults",
        "--count",
        &n.to_string(),
        "--rate",
        "4000",
        "--topic",
        &topic,
        "--listen",
        "off",
        "--json",
    ])
    .output()
    .unwrap();
    let s = summary(&out);
    assert_eq!(s["enqueued"], n);
    assert_eq!(s["sent"], n, "{s}");
    assert_eq!(s["failed"], 0, "{s}");

    let got = consume(&topic, n);
    assert_eq!(got.len(), n, "messages read back");
    let contract = events::Contract::new();
    let mut valid = std::collections::BTreeMap::<String, u64>::new();
    let mut faults = 0u64;
    for payload in &got {
        match contract.decode(payload) {
            Ok(e) => *valid.entry(e.event_type().to_string()).or_default() += 1,
            Err(_) => faults += 1,
        }
    }
    // The summary's per-type counts are what the broker holds.
    let by_type = s["by_type"].as_object().unwrap();
    let summary_faults: u64 = by_type
        .iter()
        .filter(|(k, _)| k.starts_with("fault:"))
        .map(|(_, v)| v[0].as_u64().unwrap())
        .sum();
    assert_eq!(faults, summary_faults);
    for (t, count) in &valid {
        assert_eq!(by_type[t][0].as_u64().unwrap(), *count, "{t}");
    }
    let share = faults as f64 / n as f64;
    assert!((0.03..0.07).contains(&share), "fault share {share}");
    assert!(by_type.contains_key("fault:oversized"), "{by_type:?}");

    // `offsets` counts them over the Kafka protocol (the DR drill's count of the broker); a
    // topic that does not exist has none.
    let offsets = summary(
        &producer(&["offsets", "--topic", &topic, "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(offsets["messages"], n, "{offsets}");
    assert_eq!(
        offsets["partitions"].as_array().unwrap().len(),
        3,
        "{offsets}"
    );
    let none = summary(
        &producer(&["offsets", "--topic", "no.such.topic", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(none["messages"], 0, "{none}");
}

#[test]
fn the_target_rate_is_held_within_two_percent() {
    let topic = format!("events.tasks.test-{}", free_port());
    let out = producer(&[
        "run",
        "--profile",
        "steady",
        "--rate",
        "3000",
        "--duration",
        "4",
        "--topic",
        &topic,
        "--listen",
        "off",
        "--json",
    ])
    .output()
    .unwrap();
    let s = summary(&out);
    let achieved = s["achieved_per_second"].as_f64().unwrap();
    assert!(
        (achieved - 3000.0).abs() / 3000.0 < 0.02,
        "achieved {achieved}/s for 3000/s: {s}"
    );
    assert_eq!(s["fell_behind"], false, "{s}");
    assert_eq!(s["failed"], 0);
}

fn http(method: &str, url: &str, body: Option<&str>) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let resp = match (method, body) {
        ("PUT", Some(b)) => agent.put(url).send(b),
        ("POST", _) => agent.post(url).send_empty(),
        _ => agent.get(url).call(),
    };
    match resp {
        Ok(mut r) => (r.status().as_u16(), r.body_mut().read_to_string().unwrap()),
        Err(e) => (0, e.to_string()),
    }
}

#[test]
fn profiles_reload_by_sighup_and_by_the_control_endpoint_without_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("load.yaml");
    let profile = |name: &str, rate: u32| {
        format!(
            "name: {name}\nrate: {{per_second: {rate}}}\nmix: {{task.created: 1, task.updated: 1}}\n"
        )
    };
    std::fs::write(&file, profile("slow", 100)).unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let topic = format!("events.tasks.test-{port}");
    let mut cmd = producer(&[
        "run",
        "--profile",
        file.to_str().unwrap(),
        "--duration",
        "120",
        "--topic",
        &topic,
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--json",
    ]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = testkit::spawn(cmd).unwrap();
    wait_until("the producer's health", Duration::from_secs(20), || {
        http("GET", &format!("{base}/healthz"), None).0 == 200
    });
    let name = || {
        let (_, body) = http("GET", &format!("{base}/profile"), None);
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["name"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(name(), "slow");

    // A bad profile is refused with its reason; the running one stays.
    let (status, body) = http(
        "PUT",
        &format!("{base}/profile"),
        Some("name: x\nrate: {per_second: -1}\nmix: {task.created: 1}\n"),
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("rate.per_second"), "{body}");
    assert_eq!(name(), "slow");
    let (status, body) = http(
        "PUT",
        &format!("{base}/profile"),
        Some(&profile("fast", 1000)),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(name(), "fast");

    // SIGHUP rereads the file; a broken file is reported and changes nothing.
    std::fs::write(&file, profile("hupped", 200)).unwrap();
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success()
    );
    wait_until("the reload by SIGHUP", Duration::from_secs(10), || {
        name() == "hupped"
    });
    std::fs::write(&file, "name: [unclosed\n").unwrap();
    assert!(
        Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success()
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(name(), "hupped");

    let (_, metrics) = http("GET", &format!("{base}/metrics"), None);
    assert!(metrics.contains("producer_events_sent_total"), "{metrics}");
    assert!(
        metrics.contains("producer_produce_latency_seconds"),
        "{metrics}"
    );

    assert_eq!(http("POST", &format!("{base}/stop"), None).0, 200);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("reload refused"), "{stderr}");
    let s = summary(&out);
    assert_eq!(s["reloads"], 2, "{s}");
    assert_eq!(s["profile"], "hupped");
    assert_eq!(s["failed"], 0);
    assert_eq!(
        s["sent"], s["enqueued"],
        "nothing in flight was dropped: {s}"
    );
}

#[test]
fn bad_profiles_and_arguments_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    std::fs::write(
        &file,
        "name: x\nrate:\n  per_second: 10\n  sped: 2\nmix: {task.created: 1}\n",
    )
    .unwrap();
    let out = producer(&["check", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.yaml:4:") && err.contains("sped"), "{err}");
    let out = producer(&["run", "--profile", "nonesuch"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("steady, burst, ramp, faults"));
    let out = producer(&["profiles"]).output().unwrap();
    let list = String::from_utf8_lossy(&out.stdout);
    for p in ["steady", "burst", "ramp", "faults"] {
        assert!(list.contains(p), "{list}");
    }
}
