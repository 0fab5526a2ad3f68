//! The repository against a real database: SQLite always; PostgreSQL when
//! `TEST_DATABASE_URL` names a server (the Makefile starts a throwaway one).

use tasks_domain::store::{RefreshUse, Store};
use tasks_domain::{
    DomainError, Email, NewProject, NewTask, Role, TaskPatch, TaskQuery, TaskStatus,
};
use uuid::Uuid;

async fn stores() -> Vec<(String, Store, Option<tempfile::TempDir>)> {
    stores_with_urls()
        .await
        .into_iter()
        .map(|(b, s, d, _)| (b, s, d))
        .collect()
}

/// As `stores`, with each database's URL.
async fn stores_with_urls() -> Vec<(String, Store, Option<tempfile::TempDir>, String)> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/t.db", dir.path().display());
    let mut out = vec![(
        "sqlite".to_string(),
        Store::connect(&url).await.unwrap(),
        Some(dir),
        url,
    )];
    if let Some(url) = testkit::pg::fresh_database("store") {
        out.push((
            "postgres".to_string(),
            Store::connect(&url).await.unwrap(),
            None,
            url,
        ));
    }
    out
}

fn email(s: &str) -> Email {
    let mut c = tasks_domain::Checks::default();
    Email::parse(&mut c, "/email", s)
}

fn new_task(title: &str) -> tasks_domain::ValidNewTask {
    NewTask {
        title: title.into(),
        description: None,
        status: None,
        priority: None,
        due_date: None,
        assignee_id: None,
        labels: vec![],
        position: None,
    }
    .validate()
    .unwrap()
}

#[tokio::test]
async fn roles_isolation_versions_and_outbox_on_every_backend() {
    for (backend, store, _dir) in stores().await {
        let ada = store
            .create_user(&email("ada@example.org"), Some("Ada"), "h")
            .await
            .unwrap();
        let bob = store
            .create_user(&email("bob@example.org"), None, "h")
            .await
            .unwrap();
        let eve = store
            .create_user(&email("eve@example.org"), None, "h")
            .await
            .unwrap();
        assert!(
            matches!(
                store
                    .create_user(&email("ADA@example.org"), None, "h")
                    .await,
                Err(DomainError::Conflict(_))
            ),
            "{backend}"
        );

        let p = store
            .create_project(
                ada.id,
                NewProject {
                    name: "Launch".into(),
                    description: None,
                },
            )
            .await
            .unwrap();
        let pid = p.project.id;
        store
            .put_member(ada.id, pid, &email("bob@example.org"), Role::Viewer)
            .await
            .unwrap();

        let t = store
            .create_task(ada.id, pid, new_task("Write docs"))
            .await
            .unwrap();
        assert_eq!((t.version, t.position), (1, 1024.0));
        let t2 = store
            .create_task(ada.id, pid, new_task("Ship"))
            .await
            .unwrap();
        assert_eq!(t2.position, 2048.0);

        // A viewer reads but cannot write; a stranger cannot even see it exists.
        assert_eq!(store.task(bob.id, t.id).await.unwrap().title, "Write docs");
        assert!(
            matches!(
                store.create_task(bob.id, pid, new_task("x")).await,
                Err(DomainError::Forbidden(_))
            ),
            "{backend}"
        );
        assert!(
            matches!(store.task(eve.id, t.id).await, Err(DomainError::NotFound)),
            "{backend}"
        );
        assert!(matches!(
            store
                .list_tasks(
                    eve.id,
                    pid,
                    &TaskQuery {
                        limit: 10,
                        ..Default::default()
                    }
                )
                .await,
            Err(DomainError::NotFound)
        ));
        assert!(matches!(
            store
                .update_task(
                    eve.id,
                    t.id,
                    TaskPatch {
                        title: Some("x".into()),
                        ..Default::default()
                    },
                    None
                )
                .await,
            Err(DomainError::NotFound)
        ));
        assert!(matches!(
            store.delete_task(eve.id, t.id, None).await,
            Err(DomainError::NotFound)
        ));
        assert!(store.list_projects(eve.id).await.unwrap().is_empty());

        // Optimistic concurrency.
        let done = store
            .update_task(
                ada.id,
                t.id,
                TaskPatch {
                    status: Some(TaskStatus::Done),
                    ..Default::default()
                },
                Some(1),
            )
            .await
            .unwrap();
        assert_eq!(done.version, 2);
        assert!(done.completed_at.is_some());
        assert!(matches!(
            store
                .update_task(
                    ada.id,
                    t.id,
                    TaskPatch {
                        title: Some("late".into()),
                        ..Default::default()
                    },
                    Some(1)
                )
                .await,
            Err(DomainError::Stale { current: 2 })
        ));

        // Pagination walks every task exactly once.
        for i in 0..5 {
            store
                .create_task(ada.id, pid, new_task(&format!("Bulk {i}")))
                .await
                .unwrap();
        }
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = store
                .list_tasks(
                    bob.id,
                    pid,
                    &TaskQuery {
                        limit: 3,
                        cursor: cursor.clone(),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            seen.extend(page.items.iter().map(|t| t.title.clone()));
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(seen.len(), 7, "{backend}: {seen:?}");
        let done_only = store
            .list_tasks(
                ada.id,
                pid,
                &TaskQuery {
                    limit: 50,
                    status: Some(TaskStatus::Done),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(done_only.items.len(), 1);
        let search = store
            .list_tasks(
                ada.id,
                pid,
                &TaskQuery {
                    limit: 50,
                    q: Some("BULK".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(search.items.len(), 5, "{backend}");

        let a = store.analytics(bob.id, pid).await.unwrap();
        assert_eq!((a.total, a.by_status["done"], a.overdue), (7, 1, 0));
        assert!((a.completion_rate - 1.0 / 7.0).abs() < 1e-9);

        // Every change is in the outbox, in order, as valid events.
        let contract = events::Contract::new();
        let pending = store.pending_events(100).await.unwrap();
        let types: Vec<String> = pending
            .iter()
            .map(|e| {
                contract
                    .decode(e.payload.as_bytes())
                    .unwrap()
                    .event_type()
                    .to_string()
            })
            .collect();
        assert_eq!(
            &types[..5],
            [
                "project.created",
                "member.added",
                "member.added",
                "task.created",
                "task.created"
            ],
            "{backend}"
        );
        assert_eq!(types[5], "task.completed");
        assert_eq!(types.len(), 11);
        store
            .mark_sent(&pending.iter().map(|e| e.id.clone()).collect::<Vec<_>>())
            .await
            .unwrap();
        assert_eq!(store.outbox_backlog().await.unwrap(), 0);
    }
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    for (backend, store, _dir) in stores().await {
        let u = store
            .create_user(&email("r@example.org"), None, "h")
            .await
            .unwrap();
        let family = Uuid::now_v7();
        let far = chrono::Utc::now() + chrono::Duration::days(1);
        store
            .insert_refresh_token(u.id, family, "one", far)
            .await
            .unwrap();
        assert_eq!(
            store.use_refresh_token("one").await.unwrap(),
            RefreshUse::Valid {
                user_id: u.id,
                family_id: family
            },
            "{backend}"
        );
        store
            .insert_refresh_token(u.id, family, "two", far)
            .await
            .unwrap();
        assert_eq!(
            store.use_refresh_token("one").await.unwrap(),
            RefreshUse::Reused,
            "replay is detected"
        );
        assert_eq!(
            store.use_refresh_token("two").await.unwrap(),
            RefreshUse::Reused,
            "the family is revoked"
        );
        assert_eq!(
            store.use_refresh_token("nope").await.unwrap(),
            RefreshUse::Invalid
        );
        store
            .insert_refresh_token(
                u.id,
                Uuid::now_v7(),
                "old",
                chrono::Utc::now() - chrono::Duration::seconds(1),
            )
            .await
            .unwrap();
        assert_eq!(
            store.use_refresh_token("old").await.unwrap(),
            RefreshUse::Invalid,
            "expired"
        );
    }
}

/// Many concurrent creates (SQLite commits them in groups): each writer gets its own answer
/// (a viewer 403, a stranger 404, a bad assignee a field error), every created task has one
/// event and a distinct position, and nothing of the refused jobs is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_commit_together_and_answer_each_writer() {
    for (backend, store, _dir) in stores().await {
        let ada = store
            .create_user(&email("ada@example.org"), None, "h")
            .await
            .unwrap();
        let vic = store
            .create_user(&email("vic@example.org"), None, "h")
            .await
            .unwrap();
        let eve = store
            .create_user(&email("eve@example.org"), None, "h")
            .await
            .unwrap();
        let project = store
            .create_project(
                ada.id,
                NewProject {
                    name: "Busy".into(),
                    description: None,
                },
            )
            .await
            .unwrap();
        let pid = project.project.id;
        store
            .put_member(ada.id, pid, &email("vic@example.org"), Role::Viewer)
            .await
            .unwrap();
        let before = store.outbox_backlog().await.unwrap();
        let mut jobs = tokio::task::JoinSet::new();
        for i in 0..300 {
            let store = store.clone();
            let (actor, mut input) = match i % 10 {
                3 => (vic.id, new_task("viewer")),
                7 => (eve.id, new_task("stranger")),
                _ => (ada.id, new_task(&format!("task {i}"))),
            };
            if i % 10 == 5 {
                input.assignee_id = Some(eve.id);
            }
            jobs.spawn(async move { (i, store.create_task(actor, pid, input).await) });
        }
        let mut positions = Vec::new();
        while let Some(joined) = jobs.join_next().await {
            let (i, result) = joined.unwrap();
            match (i % 10, result) {
                (3, Err(DomainError::Forbidden(_))) => {}
                (7, Err(DomainError::NotFound)) => {}
                (5, Err(DomainError::Invalid(errors))) => {
                    assert_eq!(errors[0].field, "/assignee_id", "{backend}")
                }
                (0..=9, Ok(task)) if ![3, 5, 7].contains(&(i % 10)) => {
                    assert_eq!(task.title, format!("task {i}"), "{backend}");
                    positions.push(task.position);
                }
                (_, other) => panic!("{backend}: job {i} got {other:?}"),
            }
        }
        assert_eq!(positions.len(), 210, "{backend}");
        positions.sort_by(f64::total_cmp);
        positions.dedup();
        assert_eq!(
            positions.len(),
            210,
            "{backend}: positions must be distinct"
        );
        assert_eq!(
            store.outbox_backlog().await.unwrap() - before,
            210,
            "{backend}: one event per created task"
        );
        let analytics = store.analytics(ada.id, pid).await.unwrap();
        assert_eq!(analytics.total, 210, "{backend}");
    }
}

/// The push-stream feed reads the outbox in commit order: an event whose transaction commits
/// after a later one's is delivered when it commits, not skipped (PostgreSQL runs writers
/// concurrently; SQLite's single writer commits in id order).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_never_skips_an_event_that_commits_late() {
    for (backend, store, _dir, db) in stores_with_urls().await {
        let ada = store
            .create_user(&email("ada@example.org"), None, "h")
            .await
            .unwrap();
        let project = store
            .create_project(
                ada.id,
                NewProject {
                    name: "Feed".into(),
                    description: None,
                },
            )
            .await
            .unwrap();
        let pid = project.project.id;
        let mut cursor = store.feed_start().await.unwrap();
        assert!(
            store.feed_next(&mut cursor, 100).await.unwrap().is_empty(),
            "{backend}"
        );
        store
            .create_task(ada.id, pid, new_task("one"))
            .await
            .unwrap();
        let seen = store.feed_next(&mut cursor, 100).await.unwrap();
        assert_eq!(seen.len(), 1, "{backend}");
        assert!(
            store.feed_next(&mut cursor, 100).await.unwrap().is_empty(),
            "{backend}: no repeats"
        );

        if backend == "postgres" {
            // A writer holds a transaction open with an event whose id is older than the next
            // committed one's.
            use sqlx::Connection;
            let mut slow = sqlx::PgConnection::connect(&db).await.unwrap();
            let mut tx = slow.begin().await.unwrap();
            let early_id = Uuid::now_v7().to_string();
            sqlx::query("INSERT INTO outbox (id, topic, event_key, payload, created_at, commit_seq) VALUES ($1, 'events.tasks', $2, '{}', 0, pg_current_xact_id()::text::bigint)")
                .bind(&early_id)
                .bind(pid.to_string())
                .execute(&mut *tx)
                .await
                .unwrap();
            store
                .create_task(ada.id, pid, new_task("two"))
                .await
                .unwrap();
            // Held back while the older transaction runs: nothing may be skipped over it.
            assert!(store.feed_next(&mut cursor, 100).await.unwrap().is_empty());
            tx.commit().await.unwrap();
            let ids: Vec<String> = store
                .feed_next(&mut cursor, 100)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.id)
                .collect();
            assert_eq!(ids.len(), 2, "{ids:?}");
            assert_eq!(
                ids[0], early_id,
                "the late commit comes first, in commit order"
            );
            assert!(store.feed_next(&mut cursor, 100).await.unwrap().is_empty());
        }
    }
}

#[tokio::test]
async fn old_counter_operation_ids_are_pruned() {
    for (backend, store, _dir) in stores().await {
        let ada = store
            .create_user(&email("ada@example.org"), None, "h")
            .await
            .unwrap();
        let p = store
            .create_project(
                ada.id,
                NewProject {
                    name: "Kudos".into(),
                    description: None,
                },
            )
            .await
            .unwrap();
        let c = store
            .increment_counter(ada.id, p.project.id, "kudos", "op-1", 1)
            .await
            .unwrap();
        assert!(c.applied, "{backend}");
        // A resend is not counted twice while its id is remembered.
        let c = store
            .increment_counter(ada.id, p.project.id, "kudos", "op-1", 1)
            .await
            .unwrap();
        assert_eq!((c.applied, c.value), (false, 1), "{backend}");
        let a_day_ago = chrono::Utc::now() - chrono::Duration::days(1);
        assert_eq!(
            store.prune_counter_ops(a_day_ago).await.unwrap(),
            0,
            "{backend}: recent ids stay"
        );
        let later = chrono::Utc::now() + chrono::Duration::seconds(1);
        assert_eq!(
            store.prune_counter_ops(later).await.unwrap(),
            1,
            "{backend}"
        );
        let c = store
            .increment_counter(ada.id, p.project.id, "kudos", "op-1", 1)
            .await
            .unwrap();
        assert_eq!(
            (c.applied, c.value),
            (true, 2),
            "{backend}: a forgotten id counts again"
        );
    }
}
