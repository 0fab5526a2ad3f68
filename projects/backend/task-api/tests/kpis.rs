//! `GET /v1/projects/{id}/kpis` over a real lake: bronze events of a project written with the
//! shared `lake` crate, gold computed by the real `etl-job` binary, read through the API by a
//! member (and refused to a stranger).

mod common;

use std::time::Duration;

use chrono::{TimeZone, Utc};
use common::*;
use serde_json::Value;

fn snapshot(
    project: uuid::Uuid,
    id: u128,
    hour: u32,
    completed: Option<u32>,
) -> events::TaskSnapshot {
    let at = |h: u32| {
        Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap() + chrono::Duration::hours(h.into())
    };
    events::TaskSnapshot {
        id: uuid::Uuid::from_u128(id),
        project_id: project,
        title: "t".into(),
        description: None,
        status: if completed.is_some() {
            events::TaskStatus::Done
        } else {
            events::TaskStatus::Todo
        },
        priority: events::Priority::Medium,
        due_date: Some(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()),
        assignee_id: None,
        labels: vec![],
        position: 1.0,
        version: 1,
        created_at: at(hour),
        updated_at: at(completed.unwrap_or(hour)),
        completed_at: completed.map(at),
    }
}

fn row(n: i64, data: events::EventData, time: chrono::DateTime<Utc>) -> lake::BronzeRow {
    let project = data.project_id();
    let event = events::Event::new(format!("e{n}"), "/task-api", time, data);
    lake::BronzeRow {
        event_id: event.id.clone(),
        event_type: event.event_type().into(),
        source: "/task-api".into(),
        subject: Some(event.data.subject()),
        time,
        project_id: project.to_string(),
        event: String::from_utf8(event.to_json()).unwrap(),
        topic: events::TOPIC.into(),
        partition: 0,
        offset: n,
    }
}

#[test]
fn members_read_their_projects_daily_kpis_from_the_gold_table() {
    let lake_dir = tempfile::tempdir().unwrap();
    let lake_root = lake_dir.path().join("lake").display().to_string();
    let app = App::spawn_with(
        "sqlite",
        Options {
            env: vec![("LAKE_URL", lake_root.clone())],
            ..Options::default()
        },
    );
    let (a, _, _) = register(&app, "kpi-a@example.org");
    let (b, _, _) = register(&app, "kpi-b@example.org");
    let p = project(&app, &a, "KPIs");
    let path = format!("/v1/projects/{p}/kpis?from=2026-11-01&to=2026-12-03");

    // Before the ETL has written anything: an empty answer, not an error.
    let empty = get(&app, &path, &a);
    assert_eq!(empty.status, 200, "{}", empty.body);
    assert_eq!(empty.body["table_version"], Value::Null);
    assert_eq!(empty.body["days"], serde_json::json!([]));

    // Two tasks created on 30 November, one completed 10 hours after its creation.
    let pid: uuid::Uuid = p.parse().unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
    let rows = vec![
        row(
            1,
            events::EventData::TaskCreated {
                task: snapshot(pid, 1, 1, None),
            },
            t0 + chrono::Duration::hours(1),
        ),
        row(
            2,
            events::EventData::TaskCreated {
                task: snapshot(pid, 2, 2, None),
            },
            t0 + chrono::Duration::hours(2),
        ),
        row(
            3,
            events::EventData::TaskCompleted {
                task: snapshot(pid, 1, 1, Some(11)),
            },
            t0 + chrono::Duration::hours(11),
        ),
    ];
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut bronze = lake::open_bronze(&lake_root).await.unwrap();
        lake::append(
            &mut bronze,
            &rows,
            "test",
            events::TOPIC,
            &Default::default(),
        )
        .await
        .unwrap();
    });
    let etl = testkit::workspace_binary("etl-job", "etl-job");
    let out = std::process::Command::new(etl)
        .args(["run", "--lake", &lake_root, "--run-date", "2026-12-03"])
        .arg("--lineage-file")
        .arg(lake_dir.path().join("lineage.jsonl"))
        .arg("--report-dir")
        .arg(lake_dir.path().join("reports"))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // The API reads the new table version within its recheck interval.
    let mut body = Value::Null;
    wait_until("the KPIs in the API", Duration::from_secs(20), || {
        body = get(&app, &path, &a).body;
        body["days"].as_array().is_some_and(|d| !d.is_empty())
    });
    assert_eq!(body["project_id"], p.as_str());
    assert!(body["table_version"].as_u64().is_some());
    let day = &body["days"][0];
    assert_eq!(day["date"], "2026-11-30");
    assert_eq!(day["tasks_created"], 2);
    assert_eq!(day["tasks_completed"], 1);
    assert_eq!(day["cycle_time_p50_hours"], 10.0);
    assert_eq!(day["on_time_rate"], 1.0);

    // A stranger gets the same 404 as for a project that does not exist.
    assert_eq!(get(&app, &path, &b).status, 404);
    // Bad ranges are named.
    let r = get(
        &app,
        &format!("/v1/projects/{p}/kpis?from=2026-12-03&to=2026-11-01"),
        &a,
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "from");
    let r = get(
        &app,
        &format!("/v1/projects/{p}/kpis?from=2020-01-01&to=2026-11-01"),
        &a,
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let r = get(&app, &format!("/v1/projects/{p}/kpis?from=yesterday"), &a);
    assert_eq!(r.status, 422, "{}", r.body);
    // Outside the range: nothing.
    let r = get(
        &app,
        &format!("/v1/projects/{p}/kpis?from=2026-12-01&to=2026-12-03"),
        &a,
    );
    assert_eq!(r.body["days"], serde_json::json!([]));
}
