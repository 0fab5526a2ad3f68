//! Test harness: the real `task-api` binary on a random port, on SQLite or on a fresh
//! PostgreSQL database (when `TEST_DATABASE_URL` is set), optionally with a real broker.

#![allow(dead_code)]

use std::process::{Command, Stdio};
use std::time::Duration;

pub use testkit::{Process, free_port, wait_until};

use serde_json::{Value, json};

/// The databases to run against: SQLite always, PostgreSQL when the Makefile provides one.
pub fn backends() -> Vec<&'static str> {
    let mut b = vec!["sqlite"];
    if std::env::var("TEST_DATABASE_URL").is_ok() {
        b.push("postgres");
    }
    b
}

/// One broker per test binary, on a random port.
pub fn broker() -> &'static str {
    testkit::shared_broker()
}

pub struct App {
    pub base: String,
    pub child: Process,
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
            (None, _) => testkit::pg::fresh_database("api").expect("TEST_DATABASE_URL is set"),
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
        self.child.crash();
        self.child = start(&self.env, self.port);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

fn start(env: &[(String, String)], port: u16) -> Process {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_task-api"));
    cmd.envs(env.iter().map(|(k, v)| (k, v)))
        .env("TASK_API_ADDR", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null());
    let child = testkit::spawn(cmd).unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_until("the task API's readiness", Duration::from_secs(30), || {
        http()
            .get(&format!("{base}/readyz"))
            .call()
            .is_ok_and(|r| r.status() == 200)
    });
    child
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
