//! Test harness: the real `task-api` binary on a random port, on SQLite or on a fresh
//! PostgreSQL database (when `TEST_DATABASE_URL` is set), optionally with a real broker.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The databases to run against: SQLite always, PostgreSQL when the Makefile provides one.
pub fn backends() -> Vec<&'static str> {
    let mut b = vec!["sqlite"];
    if std::env::var("TEST_DATABASE_URL").is_ok() {
        b.push("postgres");
    }
    b
}

fn fresh_pg_database() -> String {
    let base = std::env::var("TEST_DATABASE_URL").unwrap();
    let name = format!("api_{}", uuid::Uuid::new_v4().simple());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
    });
    format!("{}/{name}", base.rsplit_once('/').unwrap().0)
}

fn bin_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_task-api"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// One broker per test binary, built if needed, on a random port.
pub fn broker() -> &'static str {
    static BROKER: OnceLock<(String, Child, tempfile::TempDir)> = OnceLock::new();
    &BROKER
        .get_or_init(|| {
            // Workspace test runs build it already; a lone `cargo test -p task-api` builds it here.
            if !bin_dir().join("kafka-broker").is_file() {
                let status = Command::new(env!("CARGO"))
                    .args(["build", "-q", "--locked", "-p", "kafka-broker"])
                    .status()
                    .unwrap();
                assert!(status.success(), "building kafka-broker");
            }
            let dir = tempfile::tempdir().unwrap();
            let addr = format!("127.0.0.1:{}", free_port());
            let child = Command::new(bin_dir().join("kafka-broker"))
                .env("KAFKA_BROKER_LISTEN", &addr)
                .env("PORTFOLIO_DATA_DIR", dir.path())
                .env("RUST_LOG", "error")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            wait_until(Duration::from_secs(30), || {
                std::net::TcpStream::connect(&addr).is_ok()
            });
            (addr, child, dir)
        })
        .0
}

pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < timeout,
            "condition not met within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub struct App {
    pub base: String,
    pub child: Child,
    pub data: tempfile::TempDir,
    pub backend: &'static str,
    pub database_url: String,
    env: Vec<(String, String)>,
    port: u16,
}

#[derive(Default)]
pub struct Options {
    pub kafka: Option<String>,
    pub env: Vec<(&'static str, String)>,
    /// Share another instance's database.
    pub database_url: Option<String>,
}

impl App {
    pub fn spawn(backend: &'static str) -> App {
        App::spawn_with(backend, Options::default())
    }

    pub fn spawn_with(backend: &'static str, opts: Options) -> App {
        let data = tempfile::tempdir().unwrap();
        let database_url = match (opts.database_url, backend) {
            (Some(url), _) => url,
            (None, "sqlite") => format!("sqlite://{}/tasks.db", data.path().display()),
            (None, _) => fresh_pg_database(),
        };
        let mut env: Vec<(String, String)> = vec![
            ("DATABASE_URL".into(), database_url.clone()),
            (
                "PORTFOLIO_DATA_DIR".into(),
                data.path().display().to_string(),
            ),
            (
                "KAFKA_BOOTSTRAP_SERVERS".into(),
                opts.kafka.unwrap_or_default(),
            ),
            (
                "JWT_SECRET".into(),
                "test-secret-test-secret-test-secret-42".into(),
            ),
            ("RUST_LOG".into(), "warn".into()),
        ];
        env.extend(opts.env.into_iter().map(|(k, v)| (k.to_string(), v)));
        let port = free_port();
        let child = start(&env, port);
        App {
            base: format!("http://127.0.0.1:{port}"),
            child,
            data,
            backend,
            database_url,
            env,
            port,
        }
    }

    /// Kills the process with SIGKILL and starts it again on the same database and port.
    pub fn crash_and_restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = start(&self.env, self.port);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

fn start(env: &[(String, String)], port: u16) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_task-api"))
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("TASK_API_ADDR", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_until(Duration::from_secs(30), || {
        http()
            .get(&format!("{base}/readyz"))
            .call()
            .is_ok_and(|r| r.status() == 200)
    });
    child
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An agent that returns 4xx/5xx as responses, not errors.
pub fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn call(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Resp {
    let agent = http();
    let mut req = ureq::http::Request::builder().method(method).uri(url);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = match body {
        Some(b) => agent.run(
            req.header("content-type", "application/json")
                .body(b.to_string())
                .unwrap(),
        ),
        None => agent.run(req.body(()).unwrap()),
    }
    .expect("request");
    let status = res.status().as_u16();
    let headers = res
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let text = res.into_body().read_to_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Resp {
        status,
        headers,
        body,
    }
}

/// A POST without credentials (sign-up, sign-in, token refresh).
pub fn anon_post(app: &App, path: &str, body: Value) -> Resp {
    call("POST", &app.url(path), None, Some(body), &[])
}

pub fn get(app: &App, path: &str, token: &str) -> Resp {
    call("GET", &app.url(path), Some(token), None, &[])
}

pub fn post(app: &App, path: &str, token: &str, body: Value) -> Resp {
    call("POST", &app.url(path), Some(token), Some(body), &[])
}

pub fn patch(app: &App, path: &str, token: &str, body: Value, if_match: Option<&str>) -> Resp {
    let h: Vec<(&str, &str)> = if_match.map(|v| vec![("if-match", v)]).unwrap_or_default();
    call("PATCH", &app.url(path), Some(token), Some(body), &h)
}

pub fn delete(app: &App, path: &str, token: &str) -> Resp {
    call("DELETE", &app.url(path), Some(token), None, &[])
}

/// Registers a user and returns (access token, refresh token, user id).
pub fn register(app: &App, email: &str) -> (String, String, String) {
    let r = anon_post(
        app,
        "/v1/auth/register",
        json!({"email": email, "password": "correct horse battery"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    (
        r.body["access_token"].as_str().unwrap().into(),
        r.body["refresh_token"].as_str().unwrap().into(),
        r.body["user"]["id"].as_str().unwrap().into(),
    )
}

pub fn project(app: &App, token: &str, name: &str) -> String {
    let r = post(app, "/v1/projects", token, json!({"name": name}));
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

pub fn task(app: &App, token: &str, project: &str, title: &str) -> Value {
    let r = post(
        app,
        &format!("/v1/projects/{project}/tasks"),
        token,
        json!({"title": title}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

/// Adds the user with `email` to the project as `role` (the owner's call).
pub fn invite(app: &App, owner: &str, project: &str, email: &str, role: &str) {
    let m = call(
        "PUT",
        &app.url(&format!("/v1/projects/{project}/members")),
        Some(owner),
        Some(json!({"email": email, "role": role})),
        &[],
    );
    assert_eq!(m.status, 200, "{}", m.body);
}
