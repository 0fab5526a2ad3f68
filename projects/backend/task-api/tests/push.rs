//! The live push stream (SSE): members see their project's changes as they happen; strangers
//! are refused; an open stream does not hold up a graceful shutdown.

mod common;

use std::io::BufRead;
use std::sync::mpsc;
use std::time::Duration;

use common::*;
use serde_json::{Value, json};

/// Opens an SSE stream (asserting here, on the test's thread, that it opened) and reads its
/// `event:`/`data:` pairs into a channel, which disconnects when the stream ends.
fn listen(url: String) -> mpsc::Receiver<(String, String)> {
    let res = http().get(&url).call().expect("stream opens");
    assert_eq!(res.status(), 200, "the stream opens");
    let body = res.into_body().into_reader();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut event = String::new();
        for line in std::io::BufReader::new(body).lines() {
            let Ok(line) = line else { break };
            if let Some(e) = line.strip_prefix("event:") {
                event = e.trim().to_string();
            } else if let Some(d) = line.strip_prefix("data:")
                && tx.send((event.clone(), d.trim().to_string())).is_err()
            {
                break;
            }
        }
    });
    rx
}

/// The project an event belongs to, whatever its type.
fn project_of(e: &Value) -> Option<&str> {
    let d = &e["data"];
    d["task"]["project_id"]
        .as_str()
        .or(d["project"]["id"].as_str())
        .or(d["project_id"].as_str())
}

#[test]
fn members_receive_their_projects_changes_live() {
    for backend in backends() {
        let app = App::spawn(backend);
        let (a, _, _) = register(&app, "a@example.org");
        let (b, _, _) = register(&app, "b@example.org");
        let p = project(&app, &a, "Live");
        let other = project(&app, &a, "Other");
        assert_eq!(
            get(&app, &format!("/v1/projects/{p}/events"), &b).status,
            404,
            "strangers cannot listen"
        );

        let rx = listen(app.url(&format!("/v1/projects/{p}/events?access_token={a}")));
        std::thread::sleep(Duration::from_millis(300));
        task(&app, &a, &other, "elsewhere");
        let t = task(&app, &a, &p, "here");
        let id = t["id"].as_str().unwrap();
        patch(
            &app,
            &format!("/v1/tasks/{id}"),
            &a,
            json!({"status": "done"}),
            None,
        );

        // Collect until the completion; events from just before the subscription may lead.
        let mut seen: Vec<(String, Value)> = Vec::new();
        while !seen.iter().any(|(k, _)| k == "task.completed") {
            let (kind, data) = rx
                .recv_timeout(Duration::from_secs(10))
                .expect("events within 10 s");
            seen.push((kind, serde_json::from_str(&data).unwrap()));
        }
        let kinds: Vec<&str> = seen.iter().map(|(k, _)| k.as_str()).collect();
        assert!(
            seen.iter()
                .any(|(k, e)| k == "task.created" && e["data"]["task"]["id"].as_str() == Some(id)),
            "{backend}: {kinds:?}"
        );
        for (_, e) in &seen {
            assert_eq!(
                project_of(e),
                Some(p.as_str()),
                "{backend}: only this project's events"
            );
        }
    }
}

#[test]
fn an_open_stream_does_not_block_graceful_shutdown() {
    let mut app = App::spawn("sqlite");
    let (a, _, _) = register(&app, "a@example.org");
    let p = project(&app, &a, "Live");
    let rx = listen(app.url(&format!("/v1/projects/{p}/events?access_token={a}")));
    std::thread::sleep(Duration::from_millis(300));
    std::process::Command::new("kill")
        .args(["-TERM", &app.child.id().to_string()])
        .status()
        .unwrap();
    let start = std::time::Instant::now();
    wait_until("the API's exit", Duration::from_secs(10), || {
        app.child.try_wait().unwrap().is_some()
    });
    assert!(start.elapsed() < Duration::from_secs(5), "stopped promptly");
    // The stream was open until the shutdown, and the shutdown ended it.
    ends_within(&rx, Duration::from_secs(5));
}

/// Waits for the stream behind `rx` to end (its channel disconnects), returning the events
/// seen before; fails if it is still open after `within`.
fn ends_within(rx: &mpsc::Receiver<(String, String)>, within: Duration) -> Vec<String> {
    let end = std::time::Instant::now() + within;
    let mut kinds = Vec::new();
    loop {
        match rx.recv_timeout(end.saturating_duration_since(std::time::Instant::now())) {
            Ok((kind, _)) => kinds.push(kind),
            Err(mpsc::RecvTimeoutError::Disconnected) => return kinds,
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("the stream is still open: {kinds:?}"),
        }
    }
}

#[test]
fn a_removed_member_stops_receiving_and_an_expired_token_ends_the_stream() {
    for backend in backends() {
        let app = App::spawn(backend);
        let (a, _, _) = register(&app, "a@example.org");
        let (b, _, b_id) = register(&app, "b@example.org");
        let p = project(&app, &a, "Shared");
        invite(&app, &a, &p, "b@example.org", "contributor");
        let rx = listen(app.url(&format!("/v1/projects/{p}/events?access_token={b}")));
        std::thread::sleep(Duration::from_millis(300));
        task(&app, &a, &p, "seen by b");
        let r = delete(&app, &format!("/v1/projects/{p}/members/{b_id}"), &a);
        assert_eq!(r.status, 204, "{backend}: {}", r.body);
        task(&app, &a, &p, "not for b any more");
        let kinds = ends_within(&rx, Duration::from_secs(10));
        assert!(
            kinds.contains(&"task.created".to_string()),
            "{backend}: {kinds:?}"
        );
        assert_eq!(
            kinds.last().map(String::as_str),
            Some("revoked"),
            "{backend}: {kinds:?}"
        );
        assert_eq!(
            kinds.iter().filter(|k| *k == "task.created").count(),
            1,
            "{backend}: nothing after the removal: {kinds:?}"
        );
    }
    // A stream opened with an access token ends when the token expires.
    let app = App::spawn_with(
        "sqlite",
        Options {
            env: vec![("TASK_API_ACCESS_TOKEN_TTL_SECS", "2".into())],
            ..Default::default()
        },
    );
    let (a, _, _) = register(&app, "a@example.org");
    let p = project(&app, &a, "Short");
    let rx = listen(app.url(&format!("/v1/projects/{p}/events?access_token={a}")));
    let opened = std::time::Instant::now();
    ends_within(&rx, Duration::from_secs(10));
    assert!(
        opened.elapsed() >= Duration::from_secs(1),
        "ended before the token expired"
    );
}
