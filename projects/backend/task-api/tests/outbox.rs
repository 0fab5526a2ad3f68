//! The transactional outbox against a real broker: every write's event arrives, valid against
//! the schema, one to one — also when the API is killed with SIGKILL during a burst of writes.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{ClientConfig, Message};
use serde_json::json;

/// Every event of `project` on `events.tasks`, in partition order, until `done` says enough.
fn consume(
    bootstrap: &str,
    project: &str,
    done: impl Fn(&[events::Event]) -> bool,
) -> Vec<events::Event> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c: StreamConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("group.id", format!("test-{}", uuid::Uuid::new_v4()))
            .set("auto.offset.reset", "earliest")
            .set("enable.auto.commit", "false")
            .create()
            .unwrap();
        c.subscribe(&[events::TOPIC]).unwrap();
        let contract = events::Contract::new();
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while !done(&out) {
            let m = tokio::time::timeout_at(deadline, c.recv())
                .await
                .expect("events arrive within 60 s")
                .unwrap();
            let event = contract
                .decode(m.payload().unwrap())
                .expect("every event validates against the schema");
            assert_eq!(
                m.key(),
                Some(event.data.project_id().to_string().as_bytes()),
                "keyed by project"
            );
            if event.data.project_id().to_string() == project {
                out.push(event);
            }
        }
        out
    })
}

#[test]
fn every_write_publishes_its_event_once_and_in_order() {
    let kafka = broker();
    for backend in backends() {
        let app = App::spawn_with(
            backend,
            Options {
                kafka: Some(kafka.to_string()),
                ..Default::default()
            },
        );
        let (a, _, _) = register(&app, &format!("{backend}@example.org"));
        let p = project(&app, &a, "Outbox");
        let mut expected = vec![
            ("project.created".to_string(), format!("projects/{p}")),
            ("member.added".to_string(), String::new()),
        ];
        let mut ids = Vec::new();
        for i in 0..10 {
            let t = task(&app, &a, &p, &format!("T{i}"));
            let id = t["id"].as_str().unwrap().to_string();
            expected.push(("task.created".into(), format!("tasks/{id}")));
            ids.push(id);
        }
        for id in &ids[..3] {
            assert_eq!(
                patch(
                    &app,
                    &format!("/v1/tasks/{id}"),
                    &a,
                    json!({"priority": "urgent"}),
                    None
                )
                .status,
                200
            );
            expected.push(("task.updated".into(), format!("tasks/{id}")));
        }
        assert_eq!(
            patch(
                &app,
                &format!("/v1/tasks/{}", ids[4]),
                &a,
                json!({"status": "done"}),
                None
            )
            .status,
            200
        );
        expected.push(("task.completed".into(), format!("tasks/{}", ids[4])));
        assert_eq!(
            delete(&app, &format!("/v1/tasks/{}", ids[5]), &a).status,
            204
        );
        expected.push(("task.deleted".into(), format!("tasks/{}", ids[5])));

        let got = consume(kafka, &p, |evs| evs.len() >= expected.len());
        let seen: Vec<(String, String)> = got
            .iter()
            .zip(&expected)
            .map(|(e, (_, want_subject))| {
                (
                    e.event_type().to_string(),
                    if want_subject.is_empty() {
                        String::new()
                    } else {
                        e.subject.clone().unwrap()
                    },
                )
            })
            .collect();
        assert_eq!(
            seen, expected,
            "{backend}: one event per write, in write order"
        );
        let unique: BTreeSet<&str> = got.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(unique.len(), got.len(), "no duplicates without a crash");
        let ready = call("GET", &app.url("/readyz"), None, None, &[]);
        assert_eq!(
            (
                ready.body["relay"].as_str(),
                ready.body["outbox_backlog"].as_i64()
            ),
            (Some("ok"), Some(0)),
            "{}",
            ready.body
        );
    }
}

#[test]
fn no_event_is_lost_when_the_api_is_killed_ten_times_during_writes() {
    let kafka = broker();
    let mut app = App::spawn_with(
        "sqlite",
        Options {
            kafka: Some(kafka.to_string()),
            ..Default::default()
        },
    );
    let (a, _, _) = register(&app, "crash@example.org");
    let p = project(&app, &a, "Crash");
    let url = app.url(&format!("/v1/projects/{p}/tasks"));
    let committed: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (committed, stop, token) = (committed.clone(), stop.clone(), a.clone());
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                // Connection errors while the API is down are expected; only 201s count.
                let r = http()
                    .post(&url)
                    .header("authorization", &format!("Bearer {token}"))
                    .header("content-type", "application/json")
                    .send(json!({"title": format!("burst {n}")}).to_string());
                if let Ok(r) = r {
                    if r.status() == 201 {
                        let v: serde_json::Value =
                            serde_json::from_str(&r.into_body().read_to_string().unwrap()).unwrap();
                        committed
                            .lock()
                            .unwrap()
                            .push(v["id"].as_str().unwrap().to_string());
                    }
                } else {
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        })
    };
    for _ in 0..10 {
        std::thread::sleep(Duration::from_millis(300));
        app.crash_and_restart();
    }
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    let committed = committed.lock().unwrap().clone();
    assert!(
        committed.len() >= 20,
        "the burst wrote tasks between crashes ({})",
        committed.len()
    );

    wait_until("an empty outbox", Duration::from_secs(60), || {
        call("GET", &app.url("/readyz"), None, None, &[]).body["outbox_backlog"] == 0
    });
    let want: BTreeSet<String> = committed.iter().cloned().collect();
    let got = consume(kafka, &p, |evs| {
        let created: BTreeSet<String> = evs
            .iter()
            .filter_map(|e| match &e.data {
                events::EventData::TaskCreated { task } => Some(task.id.to_string()),
                _ => None,
            })
            .collect();
        want.is_subset(&created)
    });
    // Duplicates after a crash carry the same event id and the same content.
    let mut by_id: HashMap<&str, &events::Event> = HashMap::new();
    for e in &got {
        if let Some(prev) = by_id.insert(e.id.as_str(), e) {
            assert_eq!(prev, e, "a re-sent event is identical");
        }
    }
    let created_in_broker = got
        .iter()
        .filter(|e| e.event_type() == "task.created")
        .map(|e| e.id.as_str())
        .collect::<BTreeSet<_>>()
        .len();
    assert!(
        created_in_broker >= committed.len(),
        "every committed task has its event: {created_in_broker} < {}",
        committed.len()
    );
}
