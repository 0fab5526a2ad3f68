//! The scoring service as a process: a model registered by the `mlops` binary, events on a
//! real broker, requests over REST (HTTP) and gRPC (tonic's client).

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use events::{Event, EventData, Priority, ProjectSnapshot, TaskSnapshot, TaskStatus};
use mlops::data::{Dataset, read_csv};
use mlops::model::TaskFeatures;
use mlops::registry::Registry;
use mlops::synthetic;
use scoring_service::grpc::pb;
use serde_json::{Value, json};
use testkit::{Process, free_port, spawn, wait_until, workspace_binary};
use uuid::Uuid;

const KEY: &str = "the task API's key, thirty-two bytes or more";

/// A registry with one version serving production, trained on the synthetic table.
struct Models {
    dir: tempfile::TempDir,
}

impl Models {
    fn new() -> Models {
        let dir = tempfile::tempdir().unwrap();
        let m = Models { dir };
        let v = m.register(1500);
        m.registry().set_stage("production", v, "test").unwrap();
        m
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("models")
    }

    fn registry(&self) -> Registry {
        Registry::open(&self.root().display().to_string()).unwrap()
    }

    /// Trains on `n` synthetic tasks and registers the run (the `mlops` binary).
    fn register(&self, n: usize) -> u32 {
        let csv = self.dir.path().join(format!("features-{n}.csv"));
        std::fs::write(&csv, synthetic::csv(&synthetic::tasks(n))).unwrap();
        let run = self.dir.path().join(format!("run-{n}"));
        let mlops = |args: &[&str]| {
            let out = Command::new(workspace_binary("mlops", "mlops"))
                .args(args)
                .env("MLOPS_REGISTRY", self.root())
                .env("PORTFOLIO_ACTOR", "ml-engineer")
                .output()
                .unwrap();
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        };
        let (code, _, err) = mlops(&[
            "train",
            "--csv",
            csv.to_str().unwrap(),
            "--out",
            run.to_str().unwrap(),
        ]);
        assert_eq!(code, Some(0), "mlops train: {err}");
        // The gates may fail on synthetic data; registering records that.
        mlops(&["evaluate", "--run", run.to_str().unwrap()]);
        let (code, out, err) = mlops(&["register", "--run", run.to_str().unwrap(), "--json"]);
        assert_eq!(code, Some(0), "mlops register: {err}");
        let card: Value = serde_json::from_str(&out).unwrap();
        card["version"].as_u64().unwrap() as u32
    }
}

fn event(time: DateTime<Utc>, data: EventData) -> (String, Vec<u8>) {
    let key = data.project_id().to_string();
    (
        key,
        Event::new(Uuid::new_v4().to_string(), "/test", time, data).to_json(),
    )
}

fn task(id: Uuid, project: Uuid, at: DateTime<Utc>) -> TaskSnapshot {
    TaskSnapshot {
        id,
        project_id: project,
        title: "t".into(),
        description: None,
        status: TaskStatus::Todo,
        priority: Priority::Medium,
        due_date: None,
        assignee_id: None,
        labels: vec![],
        position: 0.0,
        version: 1,
        created_at: at,
        updated_at: at,
        completed_at: None,
    }
}

/// A project owned by `owner` with `created` tasks, the first `completed` of them done.
fn project_events(
    project: Uuid,
    owner: Uuid,
    created: usize,
    completed: usize,
) -> Vec<(String, Vec<u8>)> {
    let now = Utc::now();
    let start = now - chrono::Duration::days(3);
    let mut out = vec![event(
        start,
        EventData::ProjectCreated {
            project: ProjectSnapshot {
                id: project,
                name: "p".into(),
                description: None,
                owner_id: owner,
                created_at: start,
                updated_at: start,
            },
        },
    )];
    let ids: Vec<Uuid> = (0..created).map(|_| Uuid::new_v4()).collect();
    for id in &ids {
        out.push(event(
            start,
            EventData::TaskCreated {
                task: task(*id, project, start),
            },
        ));
    }
    for id in ids.iter().take(completed) {
        out.push(event(
            now - chrono::Duration::days(1),
            EventData::TaskCompleted {
                task: task(*id, project, start),
            },
        ));
    }
    out
}

struct Scoring {
    process: Option<Process>,
    rest: String,
    grpc: String,
    data: tempfile::TempDir,
    topic: String,
    extra: Vec<(String, String)>,
    registry: PathBuf,
}

impl Scoring {
    fn start(models: &Models, topic: &str, extra: &[(&str, &str)]) -> Scoring {
        let mut s = Scoring {
            process: None,
            rest: String::new(),
            grpc: String::new(),
            data: tempfile::tempdir().unwrap(),
            topic: topic.to_string(),
            extra: extra
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            registry: models.root(),
        };
        s.launch();
        s
    }

    fn launch(&mut self) {
        let (rest, grpc) = (free_port(), free_port());
        self.rest = format!("http://127.0.0.1:{rest}");
        self.grpc = format!("http://127.0.0.1:{grpc}");
        let mut cmd = Command::new(workspace_binary("scoring-service", "scoring-service"));
        cmd.env("SCORING_ADDR", format!("127.0.0.1:{rest}"))
            .env("SCORING_GRPC_ADDR", format!("127.0.0.1:{grpc}"))
            .env("MLOPS_REGISTRY", &self.registry)
            .env("KAFKA_BOOTSTRAP_SERVERS", testkit::shared_broker())
            .env("SCORING_TOPIC", &self.topic)
            .env("SCORING_GROUP", format!("scoring-{}", self.topic))
            .env("PORTFOLIO_DATA_DIR", self.data.path())
            .env("JWT_SECRET", KEY)
            .env("SCORING_RELOAD_SECS", "0.2")
            .env("SCORING_SNAPSHOT_SECS", "0.2")
            .env_remove("PORTFOLIO_ROOT");
        for (k, v) in &self.extra {
            cmd.env(k, v);
        }
        self.process = Some(spawn(cmd).unwrap());
        let url = format!("{}/readyz", self.rest);
        wait_until(
            "the scoring service is ready",
            Duration::from_secs(60),
            || ureq::get(&url).call().is_ok(),
        );
    }

    /// SIGTERM, and the exit status.
    fn stop(&mut self) -> Option<std::process::ExitStatus> {
        self.process
            .take()
            .and_then(|mut p| p.terminate(Duration::from_secs(20)))
    }

    fn post(&self, token: &str, body: &Value) -> (u16, Value) {
        let r = ureq::post(&format!("{}/v1/score", self.rest))
            .header("authorization", &format!("Bearer {token}"))
            .config()
            .http_status_as_error(false)
            .build()
            .send_json(body)
            .unwrap();
        let status = r.status().as_u16();
        (status, r.into_body().read_json().unwrap_or(Value::Null))
    }

    fn get(&self, token: Option<&str>, path: &str) -> (u16, Value) {
        let mut req = ureq::get(&format!("{}{path}", self.rest))
            .config()
            .http_status_as_error(false)
            .build();
        if let Some(t) = token {
            req = req.header("authorization", &format!("Bearer {t}"));
        }
        let r = req.call().unwrap();
        let status = r.status().as_u16();
        (status, r.into_body().read_json().unwrap_or(Value::Null))
    }

    fn metrics(&self) -> String {
        ureq::get(&format!("{}/metrics", self.rest))
            .call()
            .unwrap()
            .into_body()
            .read_to_string()
            .unwrap()
    }

    fn risk(&self, token: &str, project: Uuid) -> Value {
        let (s, v) = self.get(Some(token), &format!("/v1/projects/{project}/risk"));
        assert_eq!(s, 200, "{v}");
        v
    }

    async fn client(&self) -> pb::scoring_client::ScoringClient<tonic::transport::Channel> {
        pb::scoring_client::ScoringClient::connect(self.grpc.clone())
            .await
            .unwrap()
    }
}

fn token(user: Uuid) -> String {
    access_token::Jwt::new(KEY.as_bytes(), 900).issue(user)
}

fn grpc_request<T>(msg: T, token: &str) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

/// A topic of its own with `events` in it.
fn topic(name: &str, events: &[(String, Vec<u8>)]) -> String {
    let topic = format!("{name}-{}", Uuid::new_v4().simple());
    let broker = testkit::shared_broker();
    testkit::kafka::create_topic(broker, &topic, 2);
    testkit::kafka::produce(broker, &topic, events);
    topic
}

fn wait_for_load(s: &Scoring, token: &str, project: Uuid, open: i64) {
    wait_until(
        &format!("open load {open}"),
        Duration::from_secs(30),
        || {
            let (status, v) = s.get(Some(token), &format!("/v1/projects/{project}/risk"));
            status == 200 && v["open_load"] == json!(open)
        },
    );
}

/// Tasks as the REST body takes them, and the same tasks' features for the offline model.
fn requests(project: Uuid, open: i64, done: i64) -> (Vec<Value>, Vec<TaskFeatures>) {
    let created: DateTime<Utc> = Utc::now();
    let mut bodies = Vec::new();
    let mut features = Vec::new();
    for i in 0..12u32 {
        let priority = ["low", "medium", "high", "urgent"][i as usize % 4];
        let due = (i % 3 != 0).then(|| created.date_naive() + chrono::Duration::days(i64::from(i)));
        bodies.push(json!({
            "project_id": project,
            "priority": priority,
            "due_date": due,
            "label_count": i % 4,
            "description_length": i * 17,
            "has_assignee": i % 2 == 0,
            "created_at": created,
        }));
        features.push(TaskFeatures {
            created: created.date_naive(),
            priority: i as usize % 4,
            due_date: due,
            label_count: i % 4,
            description_length: i * 17,
            has_assignee: i % 2 == 0,
            project_open_load: open,
            project_throughput_28d: done,
        });
    }
    (bodies, features)
}

/// The model's offline predictions: the matrix path (`Model::predict` on a table), not the
/// service's row path.
fn offline(models: &Models, version: u32, features: &[TaskFeatures]) -> Vec<f64> {
    let tasks: Vec<synthetic::Task> = features
        .iter()
        .enumerate()
        .map(|(i, f)| synthetic::Task {
            id: format!("q{i:03}"),
            features: *f,
            late: false,
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.csv");
    std::fs::write(&path, synthetic::csv(&tasks)).unwrap();
    let ds = Dataset::all_rows(&read_csv(&path).unwrap()).unwrap();
    models.registry().load_model(version).unwrap().predict(&ds)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scores_match_the_offline_model_over_rest_and_grpc() {
    let models = Models::new();
    let (project, owner) = (Uuid::new_v4(), Uuid::new_v4());
    let topic = topic("score", &project_events(project, owner, 7, 2));
    let s = Scoring::start(&models, &topic, &[]);
    let t = token(owner);
    wait_for_load(&s, &t, project, 5);
    let risk = s.risk(&t, project);
    assert_eq!(risk["throughput_28d"], json!(2), "{risk}");
    assert_eq!(risk["model_version"], json!(1), "{risk}");

    let (bodies, features) = requests(project, 5, 2);
    let want = offline(&models, 1, &features);
    let (status, v) = s.post(&t, &json!({ "tasks": bodies }));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["model_version"], json!(1));
    for (i, w) in want.iter().enumerate() {
        let got = v["scores"][i]["probability"].as_f64().unwrap();
        assert!(
            (got - w).abs() < 1e-9,
            "task {i}: served {got}, offline {w}"
        );
        assert_eq!(v["scores"][i]["project_open_load"], json!(5));
    }
    let (status, one) = s.post(&t, &json!({ "task": bodies[3] }));
    assert_eq!(status, 200, "{one}");
    assert!((one["score"]["probability"].as_f64().unwrap() - want[3]).abs() < 1e-9);

    let mut client = s.client().await;
    let batch: Vec<pb::Task> = bodies
        .iter()
        .map(|b| pb::Task {
            project_id: project.to_string(),
            priority: b["priority"].as_str().unwrap().into(),
            due_date: b["due_date"].as_str().unwrap_or("").into(),
            label_count: b["label_count"].as_u64().unwrap() as u32,
            description_length: b["description_length"].as_u64().unwrap() as u32,
            has_assignee: b["has_assignee"].as_bool().unwrap(),
            created_at: b["created_at"].as_str().unwrap().into(),
        })
        .collect();
    let r = client
        .score_batch(grpc_request(
            pb::ScoreBatchRequest {
                tasks: batch.clone(),
            },
            &t,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.model_version, 1);
    for (i, w) in want.iter().enumerate() {
        assert!((r.scores[i].probability - w).abs() < 1e-9, "gRPC task {i}");
    }
    let one = client
        .score(grpc_request(
            pb::ScoreRequest {
                task: Some(batch[5].clone()),
            },
            &t,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!((one.score.unwrap().probability - want[5]).abs() < 1e-9);

    // WatchRisk: the current figures, then a change as it happens.
    let mut watch = client
        .watch_risk(grpc_request(
            pb::WatchRiskRequest {
                project_id: project.to_string(),
            },
            &t,
        ))
        .await
        .unwrap()
        .into_inner();
    let first = watch.message().await.unwrap().unwrap();
    assert_eq!(
        (first.open_load, first.throughput_28d, first.model_version),
        (5, 2, 1)
    );
    let more = Uuid::new_v4();
    testkit::kafka::produce(
        testkit::shared_broker(),
        &topic,
        &[event(
            Utc::now(),
            EventData::TaskCreated {
                task: task(more, project, Utc::now()),
            },
        )],
    );
    let next = tokio::time::timeout(Duration::from_secs(20), watch.message())
        .await
        .expect("a change within 20 s")
        .unwrap()
        .unwrap();
    assert_eq!(next.open_load, 6);

    // Metrics name the route and the model version.
    let metrics = s.metrics();
    assert!(
        metrics.contains("scoring_request_duration_seconds"),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"route="/v1/score""#) && metrics.contains(r#"model_version="1""#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"route="/scoring.v1.Scoring/ScoreBatch""#),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_and_strangers_get_clear_errors_over_both_protocols() {
    let models = Models::new();
    let (project, owner, stranger) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let topic = topic("bad", &project_events(project, owner, 1, 0));
    let s = Scoring::start(&models, &topic, &[("SCORING_MAX_BATCH", "50")]);
    let t = token(owner);
    wait_for_load(&s, &t, project, 1);
    let p = project.to_string();

    let detail = |v: &Value| v["detail"].as_str().unwrap_or_default().to_string();
    let (st, v) = s.post(&t, &json!({"task": {"project_id": p}}));
    assert_eq!(st, 422, "{v}");
    assert!(detail(&v).contains("missing field `priority`"), "{v}");
    let (st, v) = s.post(&t, &json!({"tasks": [{"project_id": p, "priority": "low"}, {"project_id": p, "priority": "low", "label_count": "three"}]}));
    assert_eq!(st, 422, "{v}");
    assert!(detail(&v).contains("tasks[1].label_count"), "{v}");
    let (st, v) = s.post(&t, &json!({"task": {"project_id": p, "priority": "asap"}}));
    assert_eq!(st, 422);
    assert!(
        detail(&v).contains("task.priority") && detail(&v).contains("`asap`"),
        "{v}"
    );
    let many: Vec<Value> = (0..51)
        .map(|_| json!({"project_id": p, "priority": "low"}))
        .collect();
    let (st, v) = s.post(&t, &json!({"tasks": many}));
    assert_eq!(st, 413, "{v}");
    assert!(detail(&v).contains("1 to 50 tasks"), "{v}");
    let (st, v) = s.post(
        &t,
        &json!({"task": {"project_id": p, "priority": "low"}, "tasks": []}),
    );
    assert_eq!(st, 422, "{v}");
    // Someone else's project: the same answer as a project that does not exist.
    let (st, v) = s.post(
        &token(stranger),
        &json!({"task": {"project_id": p, "priority": "low"}}),
    );
    assert_eq!(st, 404, "{v}");
    let (st, _) = s.get(Some(&token(stranger)), &format!("/v1/projects/{p}/risk"));
    assert_eq!(st, 404);
    let (st, v) = s.get(None, &format!("/v1/projects/{p}/risk"));
    assert_eq!(st, 401, "{v}");
    let forged = access_token::Jwt::new(b"not the task API's key, not at all", 900).issue(owner);
    let (st, _) = s.get(Some(&forged), &format!("/v1/projects/{p}/risk"));
    assert_eq!(st, 401);

    let mut client = s.client().await;
    let good = pb::Task {
        project_id: p.clone(),
        priority: "low".into(),
        ..Default::default()
    };
    let e = client
        .score(grpc_request(
            pb::ScoreRequest {
                task: Some(pb::Task {
                    priority: String::new(),
                    ..good.clone()
                }),
            },
            &t,
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::InvalidArgument);
    assert_eq!(e.message(), "task.priority: missing");
    let e = client
        .score_batch(grpc_request(
            pb::ScoreBatchRequest {
                tasks: vec![
                    good.clone(),
                    pb::Task {
                        due_date: "tomorrow".into(),
                        ..good.clone()
                    },
                ],
            },
            &t,
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::InvalidArgument);
    assert!(
        e.message().starts_with("tasks[1].due_date: `tomorrow`"),
        "{}",
        e.message()
    );
    let e = client
        .score_batch(grpc_request(
            pb::ScoreBatchRequest {
                tasks: vec![good.clone(); 51],
            },
            &t,
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::InvalidArgument);
    assert!(e.message().contains("1 to 50 tasks"), "{}", e.message());
    let e = client
        .score(grpc_request(
            pb::ScoreRequest {
                task: Some(good.clone()),
            },
            &token(stranger),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::NotFound);
    // The container's probe: both protocols answer.
    let probe = |rest: &str, grpc: &str| {
        Command::new(workspace_binary("scoring-service", "scoring-service"))
            .arg("healthcheck")
            .env("SCORING_ADDR", rest.trim_start_matches("http://"))
            .env("SCORING_GRPC_ADDR", grpc.trim_start_matches("http://"))
            .output()
            .unwrap()
    };
    let ok = probe(&s.rest, &s.grpc);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let dead = format!("127.0.0.1:{}", free_port());
    let down = probe(&s.rest, &dead);
    assert!(!down.status.success());
    assert!(
        String::from_utf8_lossy(&down.stderr).contains(&dead),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    let e = client
        .score(tonic::Request::new(pb::ScoreRequest { task: Some(good) }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::Unauthenticated);
    assert!(e.message().contains("Bearer"), "{}", e.message());
}

#[test]
fn a_promotion_swaps_the_model_under_load_without_a_failed_request() {
    let models = Models::new();
    let (project, owner) = (Uuid::new_v4(), Uuid::new_v4());
    let topic = topic("swap", &project_events(project, owner, 3, 1));
    let s = Scoring::start(&models, &topic, &[]);
    let t = token(owner);
    wait_for_load(&s, &t, project, 2);
    let (bodies, _) = requests(project, 2, 1);
    let body = json!({ "tasks": bodies });
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicUsize::new(0));
    let sent = Arc::new(AtomicUsize::new(0));
    let versions = Arc::new(std::sync::Mutex::new(Vec::new()));
    let s = Arc::new(s);
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (s, t, body, stop, failures, sent, versions) = (
                s.clone(),
                t.clone(),
                body.clone(),
                stop.clone(),
                failures.clone(),
                sent.clone(),
                versions.clone(),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let (st, v) = s.post(&t, &body);
                    sent.fetch_add(1, Ordering::Relaxed);
                    if st != 200 {
                        failures.fetch_add(1, Ordering::Relaxed);
                    } else {
                        versions
                            .lock()
                            .unwrap()
                            .push(v["model_version"].as_u64().unwrap());
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let v2 = models.register(2000);
    models
        .registry()
        .set_stage("production", v2, "test")
        .unwrap();
    let t0 = Instant::now();
    wait_until("version 2 serving", Duration::from_secs(20), || {
        versions.lock().unwrap().last() == Some(&u64::from(v2))
    });
    let swap = t0.elapsed();
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let seen = versions.lock().unwrap().clone();
    assert_eq!(
        failures.load(Ordering::Relaxed),
        0,
        "of {} requests",
        sent.load(Ordering::Relaxed)
    );
    assert!(
        seen.contains(&1) && seen.contains(&u64::from(v2)),
        "versions answered: both"
    );
    // Once version 2 answered, version 1 never did again: the swap is atomic.
    let first_v2 = seen.iter().position(|v| *v == u64::from(v2)).unwrap();
    let late_v1 = seen[first_v2..].iter().filter(|v| **v == 1).count();
    assert!(
        late_v1 <= 4,
        "{late_v1} answers from version 1 after the swap (one in flight per worker at most)"
    );
    assert!(
        swap < Duration::from_secs(5),
        "swapped {swap:?} after the promotion"
    );
    let metrics = s.metrics();
    assert!(
        metrics.contains(&format!(
            "scoring_model_version{{service=\"scoring-service\"}} {v2}"
        )) || metrics.contains(&format!("scoring_model_version {v2}")),
        "{metrics}"
    );
}

#[test]
fn a_restart_resumes_the_aggregates_without_double_counting() {
    let models = Models::new();
    let (project, owner) = (Uuid::new_v4(), Uuid::new_v4());
    let topic = topic("restart", &project_events(project, owner, 6, 2));
    let mut s = Scoring::start(&models, &topic, &[]);
    let t = token(owner);
    wait_for_load(&s, &t, project, 4);
    let status = s.stop().expect("it stops on SIGTERM");
    assert!(status.success(), "{status:?}");
    let state: Value =
        serde_json::from_slice(&std::fs::read(s.data.path().join("aggregates.json")).unwrap())
            .unwrap();
    assert!(
        state["offsets"].as_object().is_some_and(|o| !o.is_empty()),
        "{state}"
    );
    // While it is down: two tasks created, one of the open ones completed.
    let later: Vec<Uuid> = (0..2).map(|_| Uuid::new_v4()).collect();
    let now = Utc::now();
    let mut more: Vec<_> = later
        .iter()
        .map(|id| {
            event(
                now,
                EventData::TaskCreated {
                    task: task(*id, project, now),
                },
            )
        })
        .collect();
    more.push(event(
        now,
        EventData::TaskCompleted {
            task: task(later[0], project, now),
        },
    ));
    testkit::kafka::produce(testkit::shared_broker(), &topic, &more);
    s.launch();
    wait_for_load(&s, &t, project, 5);
    std::thread::sleep(Duration::from_secs(2));
    let risk = s.risk(&t, project);
    assert_eq!(
        (risk["open_load"].clone(), risk["throughput_28d"].clone()),
        (json!(5), json!(3)),
        "{risk}"
    );
    let metrics = s.metrics();
    // Only the three new events were applied after the restart.
    let applied: f64 = metrics
        .lines()
        .find(|l| l.starts_with("scoring_events_applied_total"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    assert_eq!(applied, 3.0, "{metrics}");
}

#[test]
fn overload_is_shed_at_once_instead_of_queueing() {
    let models = Models::new();
    let (project, owner) = (Uuid::new_v4(), Uuid::new_v4());
    let topic = topic("shed", &project_events(project, owner, 1, 0));
    let s = Arc::new(Scoring::start(
        &models,
        &topic,
        &[
            ("SCORING_MAX_IN_FLIGHT", "1"),
            ("SCORING_MAX_BATCH", "1000"),
        ],
    ));
    let t = token(owner);
    wait_for_load(&s, &t, project, 1);
    let big: Vec<Value> = (0..1000).map(|i| json!({"project_id": project, "priority": "high", "due_date": "2030-01-01", "label_count": i % 5})).collect();
    let body = json!({ "tasks": big });
    let results = Arc::new(std::sync::Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (s, t, body, results) = (s.clone(), t.clone(), body.clone(), results.clone());
            std::thread::spawn(move || {
                for _ in 0..15 {
                    let started = Instant::now();
                    let (st, v) = s.post(&t, &body);
                    results.lock().unwrap().push((st, started.elapsed(), v));
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let results = results.lock().unwrap();
    let ok = results.iter().filter(|r| r.0 == 200).count();
    let shed: Vec<_> = results.iter().filter(|r| r.0 == 503).collect();
    assert!(ok > 0, "some requests were served");
    assert!(
        !shed.is_empty(),
        "with one slot and eight clients, some requests are shed"
    );
    assert_eq!(ok + shed.len(), results.len(), "only 200s and 503s");
    for (_, took, v) in &shed {
        assert!(v["detail"].as_str().unwrap().contains("overloaded"), "{v}");
        assert!(
            *took < Duration::from_millis(400),
            "a shed answer took {took:?}: it queued"
        );
    }
    let metrics = s.metrics();
    assert!(
        metrics.contains(
            r#"scoring_rejected_total{service="scoring-service",protocol="rest",reason="shed"}"#
        ) || metrics.contains("reason=\"shed\""),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_overload_is_unavailable_and_a_fast_caller_is_rate_limited() {
    let models = Models::new();
    let (project, owner) = (Uuid::new_v4(), Uuid::new_v4());
    let topic = topic("limits", &project_events(project, owner, 1, 0));
    let s = Scoring::start(
        &models,
        &topic,
        &[
            ("SCORING_MAX_IN_FLIGHT", "1"),
            ("SCORING_RATE_PER_CLIENT", "40"),
        ],
    );
    wait_for_load(&s, &token(owner), project, 1);
    let (bodies, _) = requests(project, 1, 0);
    let batch: Vec<pb::Task> = (0..1000)
        .map(|i| pb::Task {
            project_id: project.to_string(),
            priority: "high".into(),
            due_date: "2030-01-01".into(),
            label_count: i % 5,
            ..Default::default()
        })
        .collect();
    // Eight callers against one slot.
    let mut calls = Vec::new();
    for _ in 0..8 {
        let (mut client, batch) = (s.client().await, batch.clone());
        let t = token(owner);
        calls.push(tokio::spawn(async move {
            let mut codes = Vec::new();
            for _ in 0..10 {
                let r = client
                    .score_batch(grpc_request(
                        pb::ScoreBatchRequest {
                            tasks: batch.clone(),
                        },
                        &t,
                    ))
                    .await;
                codes.push(r.map(|_| tonic::Code::Ok).unwrap_or_else(|e| e.code()));
            }
            codes
        }));
    }
    let mut codes = Vec::new();
    for c in calls {
        codes.extend(c.await.unwrap());
    }
    // Every caller shares the owner's id, so the 40/s (burst 80) limit applies to all 80 calls:
    // at most 80 pass it; what passes it is served or shed.
    let ok = codes.iter().filter(|c| **c == tonic::Code::Ok).count();
    let shed = codes
        .iter()
        .filter(|c| **c == tonic::Code::Unavailable)
        .count();
    assert!(ok > 0 && shed > 0, "{codes:?}");
    assert!(
        codes.iter().all(|c| matches!(
            c,
            tonic::Code::Ok | tonic::Code::Unavailable | tonic::Code::ResourceExhausted
        )),
        "{codes:?}"
    );
    // One caller sending fast: its burst, then 429 with Retry-After over REST.
    let fast = token(Uuid::new_v4());
    let mut limited = None;
    for i in 0..200 {
        let r = ureq::post(&format!("{}/v1/score", s.rest))
            .header("authorization", &format!("Bearer {fast}"))
            .config()
            .http_status_as_error(false)
            .build()
            .send_json(json!({ "task": bodies[0] }))
            .unwrap();
        if r.status() == 429 {
            limited = Some((i, r.headers().get("retry-after").cloned()));
            break;
        }
    }
    let (at, retry) = limited.expect("a caller over its rate gets 429");
    assert!(at >= 40, "limited after {at} requests: the burst is 80");
    assert_eq!(retry.unwrap(), "1");
}
