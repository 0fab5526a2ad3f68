//! The live counters' WebSocket hub: concurrent increments from several sockets are all
//! counted exactly once and every socket ends at the same value; resent operations are not
//! counted twice; viewers and strangers cannot change counters; the read-only figure follows
//! completed tasks.

mod common;

use std::net::TcpStream;
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

fn connect(app: &App, project: &str, name: &str, token: &str) -> Result<Socket, u16> {
    let url = app
        .url(&format!(
            "/v1/projects/{project}/counters/{name}/live?access_token={token}"
        ))
        .replacen("http://", "ws://", 1);
    match tungstenite::connect(url) {
        Ok((mut ws, _)) => {
            if let MaybeTlsStream::Plain(s) = ws.get_mut() {
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            }
            Ok(ws)
        }
        Err(tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(e) => panic!("connect: {e}"),
    }
}

/// The next JSON message (pings are answered by tungstenite itself).
fn next(ws: &mut Socket) -> Value {
    loop {
        match ws.read().expect("a message within 10 s") {
            Message::Text(t) => return serde_json::from_str(&t).unwrap(),
            Message::Close(_) => panic!("socket closed"),
            _ => continue,
        }
    }
}

fn increment(ws: &mut Socket, op: &str, by: i64) {
    ws.send(Message::Text(
        json!({"type": "increment", "op": op, "by": by})
            .to_string()
            .into(),
    ))
    .unwrap();
}

#[test]
fn concurrent_increments_are_never_lost_and_every_socket_agrees() {
    for backend in backends() {
        let app = App::spawn(backend);
        let (a, _, _) = register(&app, "a@example.org");
        let (b, _, _) = register(&app, "b@example.org");
        let p = project(&app, &a, "Kudos");
        invite(&app, &a, &p, "b@example.org", "contributor");

        let mut sockets: Vec<Socket> = [&a, &b]
            .into_iter()
            .map(|t| connect(&app, &p, "kudos", t).expect("members connect"))
            .collect();
        for ws in &mut sockets {
            assert_eq!(next(ws), json!({"type": "value", "value": 0}));
        }
        // Both users click 100 times at once; each socket reads its acks and the broadcasts.
        let handles: Vec<_> = sockets
            .into_iter()
            .enumerate()
            .map(|(who, mut ws)| {
                std::thread::spawn(move || {
                    for i in 0..100 {
                        increment(&mut ws, &format!("u{who}-{i}"), 1);
                    }
                    let (mut acks, mut last) = (0, 0);
                    while acks < 100 || last < 200 {
                        let m = next(&mut ws);
                        last = m["value"].as_i64().unwrap();
                        if m["type"] == "ack" {
                            acks += 1;
                        }
                    }
                    (acks, last)
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), (100, 200), "{backend}");
        }
        let r = get(&app, &format!("/v1/projects/{p}/counters/kudos"), &b);
        assert_eq!(r.body["value"], 200, "{backend}: {}", r.body);

        // A resent operation (its ack was lost) is acknowledged but not counted again.
        let mut ws = connect(&app, &p, "kudos", &a).unwrap();
        assert_eq!(next(&mut ws)["value"], 200);
        increment(&mut ws, "u0-7", 1);
        assert_eq!(
            next(&mut ws),
            json!({"type": "ack", "op": "u0-7", "value": 200})
        );
        // Bad messages are answered and the socket stays usable.
        ws.send(Message::Text("{\"type\":\"reset\"}".into()))
            .unwrap();
        assert_eq!(next(&mut ws)["code"], "bad-request");
        increment(&mut ws, "big", 5000);
        assert_eq!(next(&mut ws)["code"], "bad-request");
        increment(&mut ws, "last", 3);
        assert_eq!(next(&mut ws)["value"], 203);
    }
}

#[test]
fn viewers_read_strangers_are_refused_and_figures_are_read_only() {
    for backend in backends() {
        let app = App::spawn(backend);
        let (a, _, _) = register(&app, "a@example.org");
        let (v, _, _) = register(&app, "v@example.org");
        let (s, _, _) = register(&app, "s@example.org");
        let p = project(&app, &a, "Roles");
        invite(&app, &a, &p, "v@example.org", "viewer");

        assert_eq!(connect(&app, &p, "kudos", &s).err(), Some(404), "stranger");
        assert_eq!(connect(&app, &p, "kudos", "nonsense").err(), Some(401));
        assert_eq!(connect(&app, &p, "Bad_Name", &a).err(), Some(400));
        assert_eq!(
            get(&app, &format!("/v1/projects/{p}/counters/kudos"), &s).status,
            404
        );

        let mut viewer = connect(&app, &p, "kudos", &v).expect("viewers may watch");
        assert_eq!(next(&mut viewer)["value"], 0);
        increment(&mut viewer, "v1", 1);
        let m = next(&mut viewer);
        assert_eq!(
            (m["code"].as_str(), m["op"].as_str()),
            (Some("forbidden"), Some("v1"))
        );

        // The live figure: tasks completed today, pushed when a task is completed.
        let mut fig = connect(&app, &p, "tasks-completed-today", &v).unwrap();
        assert_eq!(next(&mut fig), json!({"type": "value", "value": 0}));
        let t = task(&app, &a, &p, "finish me");
        let r = patch(
            &app,
            &format!("/v1/tasks/{}", t["id"].as_str().unwrap()),
            &a,
            json!({"status": "done"}),
            None,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(next(&mut fig), json!({"type": "value", "value": 1}));
        increment(&mut fig, "f1", 1);
        assert_eq!(next(&mut fig)["code"], "read-only");
        let r = get(
            &app,
            &format!("/v1/projects/{p}/counters/tasks-completed-today"),
            &a,
        );
        assert_eq!(
            (r.body["value"].clone(), r.body["read_only"].clone()),
            (json!(1), json!(true))
        );
        let an = get(&app, &format!("/v1/projects/{p}/analytics"), &a).body;
        assert_eq!(an["completed_today"], 1);
        let weeks = an["completed_per_week"].as_array().unwrap();
        assert_eq!(weeks.len(), 8);
        assert_eq!(weeks[7]["completed"], 1, "this week is last: {an}");
    }
}

/// A flooding socket is held to its allowance: past the burst, messages are answered
/// `rate-limited` (with their op, to be resent) and never reach the store; after a pause the
/// socket works again.
#[test]
fn a_flooding_socket_is_rate_limited() {
    let app = App::spawn("sqlite");
    let (a, _, _) = register(&app, "a@example.org");
    let p = project(&app, &a, "Flood");
    let mut ws = connect(&app, &p, "kudos", &a).unwrap();
    assert_eq!(next(&mut ws)["value"], 0);
    for i in 0..600 {
        increment(&mut ws, &format!("f{i}"), 1);
    }
    let (mut acks, mut limited) = (0, 0);
    while acks + limited < 600 {
        let m = next(&mut ws);
        match m["type"].as_str() {
            Some("ack") => acks += 1,
            Some("error") => {
                assert_eq!(m["code"], "rate-limited", "{m}");
                assert!(
                    m["op"].as_str().is_some_and(|op| op.starts_with('f')),
                    "{m}"
                );
                limited += 1;
            }
            _ => {}
        }
    }
    assert!(limited > 0, "600 messages at once and none refused");
    assert!((200..550).contains(&acks), "{acks} acknowledged");
    let r = get(&app, &format!("/v1/projects/{p}/counters/kudos"), &a);
    assert_eq!(
        r.body["value"], acks,
        "refused messages never reached the store"
    );
    std::thread::sleep(Duration::from_millis(500));
    increment(&mut ws, "after-the-pause", 1);
    loop {
        let m = next(&mut ws);
        if m["type"] == "ack" {
            assert_eq!(m["op"], "after-the-pause");
            break;
        }
    }
}
