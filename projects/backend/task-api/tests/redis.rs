//! The shared read cache: instances started with `REDIS_URL` keep tasks and memberships in
//! one Redis, so a write through one instance is seen by the next read through any other at
//! once, and a Redis outage costs latency, not availability. A throwaway `redis-server` is
//! started here (`portfolio bootstrap --install` provides it).

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::json;

struct Redis {
    port: u16,
    process: Process,
    _dir: tempfile::TempDir,
}

impl Redis {
    fn start() -> Redis {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut cmd = Command::new("redis-server");
        cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null());
        let process = testkit::spawn(cmd).expect(
            "redis-server is missing: run `portfolio bootstrap --install` (apt redis-server)",
        );
        let redis = Redis {
            port,
            process,
            _dir: dir,
        };
        wait_until("redis-server's PONG", Duration::from_secs(10), || {
            redis.cli(&["PING"]).is_some_and(|o| o == "PONG")
        });
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// One `redis-cli` command; its output, or `None` when the server is unreachable.
    fn cli(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        (out.status.success() && !text.contains("Could not connect")).then_some(text)
    }

    fn exists(&self, key: &str) -> bool {
        self.cli(&["EXISTS", key]).as_deref() == Some("1")
    }
}

fn with_redis(backend: &'static str, redis: &Redis, prefix: &str, db: Option<String>) -> App {
    App::spawn_with(
        backend,
        Options {
            env: vec![
                ("REDIS_URL", redis.url()),
                ("TASK_API_CACHE_PREFIX", prefix.to_string()),
            ],
            database_url: db,
            ..Default::default()
        },
    )
}

#[test]
fn instances_share_the_cache_in_redis_and_survive_its_outage() {
    for backend in backends() {
        let mut redis = Redis::start();
        let prefix = format!("t-{backend}:");
        let a_app = with_redis(backend, &redis, &prefix, None);
        let b_app = with_redis(backend, &redis, &prefix, Some(a_app.database_url.clone()));
        let ready = call("GET", &b_app.url("/readyz"), None, None, &[]);
        assert_eq!(ready.body["cache"], "redis", "{backend}: {}", ready.body);

        let (a, _, _) = register(&a_app, "a@example.org");
        let (b, _, b_id) = register(&a_app, "b@example.org");
        let p = project(&a_app, &a, "Shared");
        let t = task(&a_app, &a, &p, "v1");
        let tid = t["id"].as_str().unwrap();
        let put = call(
            "PUT",
            &a_app.url(&format!("/v1/projects/{p}/members")),
            Some(&a),
            Some(json!({"email": "b@example.org", "role": "viewer"})),
            &[],
        );
        assert_eq!(put.status, 200, "{backend}: {}", put.body);

        // Reads through B fill the shared entries (the second one checks the membership).
        // The instances' event feeds drop entries of the writes above as they see them, so
        // read until both entries stay.
        let task_key = format!("{prefix}task:{tid}");
        let role_key = format!("{prefix}role:{p}:{b_id}");
        wait_until(
            "reads served from the cache",
            Duration::from_secs(10),
            || {
                for _ in 0..2 {
                    let r = get(&b_app, &format!("/v1/tasks/{tid}"), &b);
                    assert_eq!(r.body["title"], "v1", "{backend}");
                }
                redis.exists(&task_key) && redis.exists(&role_key)
            },
        );

        // A write through A drops the entry before it answers: B's next read is fresh, with no
        // wait for B's own event feed.
        let r = patch(
            &a_app,
            &format!("/v1/tasks/{tid}"),
            &a,
            json!({"title": "v2"}),
            None,
        );
        assert_eq!(r.status, 200, "{backend}: {}", r.body);
        assert!(!redis.exists(&task_key), "{backend}: stale entry kept");
        assert_eq!(
            get(&b_app, &format!("/v1/tasks/{tid}"), &b).body["title"],
            "v2",
            "{backend}"
        );

        // Removing B from the project takes effect on B's instance at once.
        let r = delete(&a_app, &format!("/v1/projects/{p}/members/{b_id}"), &a);
        assert_eq!(r.status, 204, "{backend}");
        assert_eq!(
            get(&b_app, &format!("/v1/tasks/{tid}"), &b).status,
            404,
            "{backend}"
        );

        // Redis goes away: reads and writes go on against the database.
        redis.process.crash();
        let r = patch(
            &a_app,
            &format!("/v1/tasks/{tid}"),
            &a,
            json!({"title": "v3"}),
            None,
        );
        assert_eq!(r.status, 200, "{backend}: {}", r.body);
        let r = get(&a_app, &format!("/v1/tasks/{tid}"), &a);
        assert_eq!(
            (r.status, r.body["title"].as_str()),
            (200, Some("v3")),
            "{backend}"
        );
        assert_eq!(
            get(&b_app, &format!("/v1/tasks/{tid}"), &b).status,
            404,
            "{backend}"
        );
    }
}

#[test]
fn an_unreachable_redis_stops_startup_with_the_reason() {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_task-api"))
        .env("PORTFOLIO_DATA_DIR", data.path())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/t.db", data.path().display()),
        )
        .env("KAFKA_BOOTSTRAP_SERVERS", "")
        .env("REDIS_URL", format!("redis://127.0.0.1:{}", free_port()))
        .env("TASK_API_ADDR", format!("127.0.0.1:{}", free_port()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("REDIS_URL"), "{stderr}");
}
