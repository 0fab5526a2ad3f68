//! The task API over HTTP, as clients use it, on SQLite and (with `TEST_DATABASE_URL`) on
//! PostgreSQL. Each test starts the real binary.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;

#[test]
fn auth_flows_rotation_and_expiry() {
    for backend in backends() {
        let app = App::spawn_with(
            backend,
            Options {
                env: vec![("TASK_API_ACCESS_TOKEN_TTL_SECS", "1".into())],
                ..Default::default()
            },
        );
        let (access, refresh, id) = register(&app, "ada@example.org");

        let dup = anon_post(
            &app,
            "/v1/auth/register",
            json!({"email": "ADA@example.org", "password": "another good one"}),
        );
        assert_eq!(dup.status, 409, "{backend}: {}", dup.body);
        let weak = anon_post(
            &app,
            "/v1/auth/register",
            json!({"email": "not-an-email", "password": "short"}),
        );
        assert_eq!(weak.status, 422);
        assert_eq!(
            weak.header("content-type"),
            Some("application/problem+json")
        );
        let fields: Vec<&str> = weak.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["/email", "/password"]);

        let me = get(&app, "/v1/me", &access);
        assert_eq!(
            (me.status, me.body["id"].as_str()),
            (200, Some(id.as_str()))
        );
        let anonymous = call("GET", &app.url("/v1/me"), None, None, &[]);
        assert_eq!(
            (anonymous.status, anonymous.header("www-authenticate")),
            (401, Some("Bearer"))
        );

        let wrong = anon_post(
            &app,
            "/v1/auth/login",
            json!({"email": "ada@example.org", "password": "wrong password!"}),
        );
        assert_eq!(wrong.status, 401);
        let nobody = anon_post(
            &app,
            "/v1/auth/login",
            json!({"email": "nobody@example.org", "password": "wrong password!"}),
        );
        assert_eq!(nobody.status, 401);
        let login = anon_post(
            &app,
            "/v1/auth/login",
            json!({"email": "ada@example.org", "password": "correct horse battery"}),
        );
        assert_eq!(login.status, 200);

        // Access tokens expire; refresh tokens rotate; a replayed refresh token revokes the family.
        std::thread::sleep(Duration::from_millis(2100));
        assert_eq!(
            get(&app, "/v1/me", &access).status,
            401,
            "expired access token"
        );
        let r1 = anon_post(&app, "/v1/auth/refresh", json!({"refresh_token": refresh}));
        assert_eq!(r1.status, 200, "{}", r1.body);
        let refresh2 = r1.body["refresh_token"].as_str().unwrap().to_string();
        assert_ne!(refresh2, refresh);
        assert_eq!(
            get(&app, "/v1/me", r1.body["access_token"].as_str().unwrap()).status,
            200
        );
        let replay = anon_post(&app, "/v1/auth/refresh", json!({"refresh_token": refresh}));
        assert_eq!(replay.status, 401);
        let after = anon_post(&app, "/v1/auth/refresh", json!({"refresh_token": refresh2}));
        assert_eq!(
            after.status, 401,
            "the whole family is revoked after a replay"
        );

        // Logout revokes the session's refresh token.
        let s = login.body["refresh_token"].as_str().unwrap();
        assert_eq!(
            anon_post(&app, "/v1/auth/logout", json!({"refresh_token": s})).status,
            204
        );
        assert_eq!(
            anon_post(&app, "/v1/auth/refresh", json!({"refresh_token": s})).status,
            401
        );
    }
}

#[test]
fn roles_and_cross_tenant_isolation() {
    for backend in backends() {
        let app = App::spawn(backend);
        let (a, _, _) = register(&app, "a@example.org");
        let (b, _, b_id) = register(&app, "b@example.org");
        let p = project(&app, &a, "A's project");
        let t = task(&app, &a, &p, "secret task");
        let tid = t["id"].as_str().unwrap();

        // B is a stranger: everything of A's is 404, lists are empty.
        for path in [
            format!("/v1/tasks/{tid}"),
            format!("/v1/projects/{p}"),
            format!("/v1/projects/{p}/tasks"),
            format!("/v1/projects/{p}/analytics"),
            format!("/v1/projects/{p}/members"),
        ] {
            assert_eq!(get(&app, &path, &b).status, 404, "{backend} GET {path}");
        }
        assert_eq!(get(&app, "/v1/projects", &b).body, json!([]));
        assert_eq!(
            patch(
                &app,
                &format!("/v1/tasks/{tid}"),
                &b,
                json!({"title": "mine"}),
                None
            )
            .status,
            404
        );
        assert_eq!(delete(&app, &format!("/v1/tasks/{tid}"), &b).status, 404);
        assert_eq!(
            post(
                &app,
                &format!("/v1/projects/{p}/tasks"),
                &b,
                json!({"title": "x"})
            )
            .status,
            404
        );
        assert_eq!(delete(&app, &format!("/v1/projects/{p}"), &b).status, 404);

        // As a viewer B reads but cannot write.
        let m = call(
            "PUT",
            &app.url(&format!("/v1/projects/{p}/members")),
            Some(&a),
            Some(json!({"email": "b@example.org", "role": "viewer"})),
            &[],
        );
        assert_eq!(m.status, 200, "{}", m.body);
        assert_eq!(get(&app, &format!("/v1/tasks/{tid}"), &b).status, 200);
        assert_eq!(
            post(
                &app,
                &format!("/v1/projects/{p}/tasks"),
                &b,
                json!({"title": "x"})
            )
            .status,
            403
        );
        assert_eq!(
            patch(
                &app,
                &format!("/v1/tasks/{tid}"),
                &b,
                json!({"status": "done"}),
                None
            )
            .status,
            403
        );
        assert_eq!(
            call(
                "PUT",
                &app.url(&format!("/v1/projects/{p}/members")),
                Some(&b),
                Some(json!({"email": "b@example.org", "role": "contributor"})),
                &[]
            )
            .status,
            403
        );

        // As a contributor B writes, and can be assigned.
        call(
            "PUT",
            &app.url(&format!("/v1/projects/{p}/members")),
            Some(&a),
            Some(json!({"email": "b@example.org", "role": "contributor"})),
            &[],
        );
        let r = patch(
            &app,
            &format!("/v1/tasks/{tid}"),
            &b,
            json!({"assignee_id": b_id, "status": "in_progress"}),
            None,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        // Removed, B is a stranger again.
        assert_eq!(
            delete(&app, &format!("/v1/projects/{p}/members/{b_id}"), &a).status,
            204
        );
        assert_eq!(get(&app, &format!("/v1/tasks/{tid}"), &b).status, 404);
    }
}

#[test]
fn bad_input_is_a_problem_document_and_writes_nothing() {
    for backend in backends() {
        let app = App::spawn_with(
            backend,
            Options {
                env: vec![("TASK_API_BODY_LIMIT_BYTES", "4096".into())],
                ..Default::default()
            },
        );
        let (a, _, _) = register(&app, "a@example.org");
        let p = project(&app, &a, "P");
        let tasks = format!("/v1/projects/{p}/tasks");
        let raw = |body: &str, ct: &str| {
            let r = http()
                .post(&app.url(&tasks))
                .header("authorization", &format!("Bearer {a}"))
                .header("content-type", ct)
                .send(body)
                .unwrap();
            let status = r.status().as_u16();
            let ct = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string());
            (status, ct, r.into_body().read_to_string().unwrap())
        };
        let cases = [
            ("{\"title\": ", "application/json", 400),
            ("{\"title\": 5}", "application/json", 422),
            (
                "{\"title\": \"x\", \"colour\": \"red\"}",
                "application/json",
                422,
            ),
            (
                "{\"title\": \"x\", \"status\": \"finished\"}",
                "application/json",
                422,
            ),
            (
                "{\"title\": \"x\", \"due_date\": \"2026-02-30\"}",
                "application/json",
                422,
            ),
            ("{\"title\": \"\"}", "application/json", 422),
            ("title=x", "application/x-www-form-urlencoded", 415),
        ];
        for (body, ct, want) in cases {
            let (status, ctype, text) = raw(body, ct);
            assert_eq!(status, want, "{backend} {body}: {text}");
            assert_eq!(ctype.as_deref(), Some("application/problem+json"), "{body}");
        }
        let big = format!("{{\"title\": \"{}\"}}", "x".repeat(5000));
        assert_eq!(raw(&big, "application/json").0, 413);
        let field = raw(
            "{\"title\": \"x\", \"labels\": [\"ok\", 7]}",
            "application/json",
        );
        assert!(field.2.contains("\"/labels/1\""), "{}", field.2);

        assert_eq!(get(&app, "/v1/tasks/not-a-uuid", &a).status, 400);
        assert_eq!(get(&app, &format!("{tasks}?limit=100000"), &a).status, 422);
        assert_eq!(get(&app, &format!("{tasks}?limit=-1"), &a).status, 422);
        assert_eq!(get(&app, &format!("{tasks}?cursor=zz"), &a).status, 422);
        assert_eq!(
            get(&app, &format!("{tasks}?cursor=a%C3%A9a"), &a).status,
            422,
            "non-ASCII cursor (found by schemathesis)"
        );
        assert_eq!(get(&app, &format!("{tasks}?sort=sideways"), &a).status, 422);
        assert_eq!(get(&app, "/v1/nowhere", &a).status, 404);

        // Nothing above was stored.
        assert_eq!(get(&app, &tasks, &a).body["items"], json!([]), "{backend}");
    }
}

#[test]
fn pagination_filters_etags_and_idempotency() {
    for backend in backends() {
        let app = App::spawn(backend);
        let (a, _, _) = register(&app, "a@example.org");
        let p = project(&app, &a, "P");
        let tasks = format!("/v1/projects/{p}/tasks");
        for i in 0..12 {
            let labels = if i % 3 == 0 {
                json!(["ops"])
            } else {
                json!([])
            };
            assert_eq!(
                post(
                    &app,
                    &tasks,
                    &a,
                    json!({"title": format!("Task {i:02}"), "labels": labels, "priority": "high"})
                )
                .status,
                201
            );
        }
        let mut titles = Vec::new();
        let mut url = format!("{tasks}?limit=5");
        loop {
            let page = get(&app, &url, &a);
            assert_eq!(page.status, 200);
            titles.extend(
                page.body["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["title"].as_str().unwrap().to_string()),
            );
            match page.body["next_cursor"].as_str() {
                Some(c) => url = format!("{tasks}?limit=5&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(
            titles,
            (0..12).map(|i| format!("Task {i:02}")).collect::<Vec<_>>(),
            "{backend}"
        );
        assert_eq!(
            get(&app, &format!("{tasks}?label=ops"), &a).body["items"]
                .as_array()
                .unwrap()
                .len(),
            4
        );
        assert_eq!(
            get(&app, &format!("{tasks}?q=task%2011"), &a).body["items"]
                .as_array()
                .unwrap()
                .len(),
            1
        );

        // ETag / If-Match.
        let t = get(&app, &format!("{tasks}?limit=1"), &a).body["items"][0].clone();
        let tid = t["id"].as_str().unwrap();
        let got = get(&app, &format!("/v1/tasks/{tid}"), &a);
        assert_eq!(got.header("etag"), Some("\"1\""));
        let ok = patch(
            &app,
            &format!("/v1/tasks/{tid}"),
            &a,
            json!({"status": "done"}),
            Some("\"1\""),
        );
        assert_eq!((ok.status, ok.header("etag")), (200, Some("\"2\"")));
        let stale = patch(
            &app,
            &format!("/v1/tasks/{tid}"),
            &a,
            json!({"title": "late"}),
            Some("\"1\""),
        );
        assert_eq!(stale.status, 412, "{backend}");
        assert_eq!(
            get(&app, &format!("/v1/tasks/{tid}"), &a).body["title"],
            t["title"],
            "the stale write changed nothing"
        );
        let analytics = get(&app, &format!("/v1/projects/{p}/analytics"), &a).body;
        assert_eq!(
            (
                analytics["total"].as_i64(),
                analytics["by_status"]["done"].as_i64()
            ),
            (Some(12), Some(1))
        );

        // Idempotent POST.
        let key = [("idempotency-key", "k-123")];
        let first = call(
            "POST",
            &app.url(&tasks),
            Some(&a),
            Some(json!({"title": "once"})),
            &key,
        );
        let again = call(
            "POST",
            &app.url(&tasks),
            Some(&a),
            Some(json!({"title": "once"})),
            &key,
        );
        assert_eq!((first.status, again.status), (201, 201));
        assert_eq!(first.body["id"], again.body["id"], "{backend}");
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        let other = call(
            "POST",
            &app.url(&tasks),
            Some(&a),
            Some(json!({"title": "twice"})),
            &key,
        );
        assert_eq!(other.status, 409);
        assert_eq!(
            get(&app, &format!("{tasks}?q=once"), &a).body["items"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
}

#[test]
fn api_keys_are_scoped() {
    let app = App::spawn("sqlite");
    let (a, _, _) = register(&app, "a@example.org");
    let p = project(&app, &a, "P");
    let key = post(
        &app,
        "/v1/api-keys",
        &a,
        json!({"name": "reporting", "scopes": ["read"]}),
    );
    assert_eq!(key.status, 201);
    let k = key.body["key"].as_str().unwrap();
    assert!(k.starts_with("pk_"));
    assert_eq!(get(&app, &format!("/v1/projects/{p}/tasks"), k).status, 200);
    assert_eq!(
        post(
            &app,
            &format!("/v1/projects/{p}/tasks"),
            k,
            json!({"title": "x"})
        )
        .status,
        403
    );
    assert_eq!(get(&app, "/v1/me", "pk_unknown").status, 401);
}

#[test]
fn health_readiness_and_metrics() {
    let app = App::spawn("sqlite");
    let (a, _, _) = register(&app, "a@example.org");
    get(&app, "/v1/projects", &a);
    let ready = call("GET", &app.url("/readyz"), None, None, &[]);
    assert_eq!(
        (
            ready.status,
            ready.body["database"].as_str(),
            ready.body["relay"].as_str()
        ),
        (200, Some("ok"), Some("disabled"))
    );
    assert!(
        call("GET", &app.url("/healthz"), None, None, &[])
            .header("x-request-id")
            .is_some()
    );
    let m = call("GET", &app.url("/metrics"), None, None, &[]);
    let text = m.body.as_str().unwrap();
    assert!(text.contains("http_requests_total{service=\"task-api\",method=\"GET\",route=\"/v1/projects\",status=\"200\"} 1"), "{text}");
    assert!(text.contains("task_api_outbox_backlog"), "{text}");
}

/// Every layer of the request stack keeps its behaviour (issue #33 reorganised it for speed):
/// request ids set and propagated, CORS for the configured origin only, the per-route metrics
/// (a refused request and an unmatched path included), the body limit and the timeout status.
#[test]
fn the_request_stack_keeps_every_layer() {
    let app = App::spawn_with(
        "sqlite",
        Options {
            env: vec![
                ("TASK_API_CORS_ORIGINS", "https://todo.example.org".into()),
                ("TASK_API_RATE_LIMIT_PER_USER", "1".into()),
            ],
            ..Options::default()
        },
    );
    let (a, _, _) = register(&app, "a@example.org");
    // A request id is made up when the client sends none, and the client's is echoed.
    let made = call("GET", &app.url("/healthz"), None, None, &[]);
    assert_eq!(
        made.header("x-request-id").map(str::len),
        Some(36),
        "a UUID"
    );
    let echoed = call(
        "GET",
        &app.url("/healthz"),
        None,
        None,
        &[("x-request-id", "req-from-the-client")],
    );
    assert_eq!(echoed.header("x-request-id"), Some("req-from-the-client"));
    // CORS: the configured origin is allowed, with the exposed headers; a foreign one is not.
    let preflight = |origin: &str| {
        call(
            "OPTIONS",
            &app.url("/v1/projects"),
            None,
            None,
            &[
                ("origin", origin),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "authorization,content-type",
                ),
            ],
        )
    };
    let ours = preflight("https://todo.example.org");
    assert_eq!(
        ours.header("access-control-allow-origin"),
        Some("https://todo.example.org")
    );
    assert!(
        ours.header("access-control-allow-methods")
            .is_some_and(|m| m.contains("POST"))
    );
    assert_eq!(
        preflight("https://evil.example.com").header("access-control-allow-origin"),
        None
    );
    let simple = call(
        "GET",
        &app.url("/v1/projects"),
        Some(&a),
        None,
        &[("origin", "https://todo.example.org")],
    );
    assert!(
        simple
            .header("access-control-expose-headers")
            .is_some_and(|h| h.to_ascii_lowercase().contains("etag"))
    );
    // The per-user limit (1/s, burst 2) refuses within the same second, and the refusal is
    // counted under its route.
    let statuses: Vec<u16> = (0..6).map(|_| get(&app, "/v1/me", &a).status).collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(
        call("GET", &app.url("/no/such/route"), None, None, &[]).status,
        404
    );
    let m = call("GET", &app.url("/metrics"), None, None, &[]);
    let text = m.body.as_str().unwrap();
    for line in [
        "http_requests_total{service=\"task-api\",method=\"GET\",route=\"/v1/me\",status=\"429\"}",
        "http_requests_total{service=\"task-api\",method=\"GET\",route=\"/v1/me\",status=\"200\"}",
        "http_requests_total{service=\"task-api\",method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
        "http_requests_total{service=\"task-api\",method=\"POST\",route=\"/v1/auth/register\",status=\"201\"} 1",
        "http_request_duration_seconds_bucket{service=\"task-api\",method=\"GET\",route=\"/v1/me\",le=\"0.001\"}",
        "http_request_duration_seconds_count{service=\"task-api\",method=\"GET\",route=\"/healthz\"} 2",
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
}

#[test]
fn openapi_document_describes_every_route() {
    let app = App::spawn("sqlite");
    let doc = call("GET", &app.url("/openapi.json"), None, None, &[]);
    assert_eq!(doc.status, 200);
    assert_eq!(doc.body["openapi"], "3.1.0");
    let paths = doc.body["paths"].as_object().unwrap();
    for p in [
        "/v1/auth/register",
        "/v1/auth/login",
        "/v1/auth/refresh",
        "/v1/auth/logout",
        "/v1/me",
        "/v1/api-keys",
        "/v1/projects",
        "/v1/projects/{id}",
        "/v1/projects/{id}/members",
        "/v1/projects/{id}/members/{user_id}",
        "/v1/projects/{id}/tasks",
        "/v1/projects/{id}/analytics",
        "/v1/projects/{id}/kpis",
        "/v1/tasks/{id}",
        "/v1/flags",
    ] {
        assert!(paths.contains_key(p), "{p} is documented");
    }
    assert_eq!(
        doc.body["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let docs = call("GET", &app.url("/docs"), None, None, &[]);
    assert_eq!(docs.status, 200);
    assert!(
        docs.body.as_str().unwrap().contains("/openapi.json")
            || docs.body.as_str().unwrap().contains("openapi"),
        "the docs page loads the document"
    );
}

#[test]
fn rate_limits_answer_429_with_retry_after_per_user() {
    let app = App::spawn_with(
        "sqlite",
        Options {
            env: vec![("TASK_API_RATE_LIMIT_PER_USER", "5".into())],
            ..Default::default()
        },
    );
    let (a, _, _) = register(&app, "a@example.org");
    let (b, _, _) = register(&app, "b@example.org");
    let statuses: Vec<u16> = (0..30).map(|_| get(&app, "/v1/me", &a).status).collect();
    assert!(
        statuses.contains(&200) && statuses.contains(&429),
        "{statuses:?}"
    );
    let limited = get(&app, "/v1/me", &a);
    assert_eq!(limited.status, 429);
    assert!(
        limited
            .header("retry-after")
            .is_some_and(|s| s.parse::<u64>().unwrap() >= 1)
    );
    assert_eq!(
        limited.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(
        get(&app, "/v1/me", &b).status,
        200,
        "another user has their own bucket"
    );
}

#[test]
fn caches_of_several_instances_follow_each_others_writes() {
    if !backends().contains(&"postgres") {
        return; // several instances need a shared server database
    }
    let a_app = App::spawn("postgres");
    let b_app = App::spawn_with(
        "postgres",
        Options {
            database_url: Some(a_app.database_url.clone()),
            ..Default::default()
        },
    );
    let (a, _, _) = register(&a_app, "a@example.org");
    let (b, _, b_id) = register(&a_app, "b@example.org");
    let p = project(&a_app, &a, "Shared");
    let t = task(&a_app, &a, &p, "v1");
    let tid = t["id"].as_str().unwrap();
    call(
        "PUT",
        &a_app.url(&format!("/v1/projects/{p}/members")),
        Some(&a),
        Some(json!({"email": "b@example.org", "role": "viewer"})),
        &[],
    );
    // Warm instance B's cache, then change the task and the membership through instance A.
    assert_eq!(
        get(&b_app, &format!("/v1/tasks/{tid}"), &b).body["title"],
        "v1"
    );
    assert_eq!(
        patch(
            &a_app,
            &format!("/v1/tasks/{tid}"),
            &a,
            json!({"title": "v2"}),
            None
        )
        .status,
        200
    );
    wait_until(
        "the edit seen by the member",
        Duration::from_secs(5),
        || get(&b_app, &format!("/v1/tasks/{tid}"), &b).body["title"] == "v2",
    );
    assert_eq!(
        delete(&a_app, &format!("/v1/projects/{p}/members/{b_id}"), &a).status,
        204
    );
    wait_until(
        "the removed member locked out",
        Duration::from_secs(5),
        || get(&b_app, &format!("/v1/tasks/{tid}"), &b).status == 404,
    );
}

#[test]
fn feature_flags_of_the_environment_are_served_and_applied() {
    // The project's own flags file, in the default environment.
    let app = App::spawn("sqlite");
    let r = call("GET", &app.url("/v1/flags"), None, None, &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["environment"], "local");
    assert_eq!(r.body["flags"]["analytics.cycle-time"], true);
    let (a, _, _) = register(&app, "a@example.org");
    let p = project(&app, &a, "Flags");
    let t = task(&app, &a, &p, "one");
    let tid = t["id"].as_str().unwrap();
    patch(
        &app,
        &format!("/v1/tasks/{tid}"),
        &a,
        json!({"status": "done"}),
        None,
    );
    let analytics = get(&app, &format!("/v1/projects/{p}/analytics"), &a).body;
    assert!(
        analytics["median_cycle_time_hours"].is_number(),
        "{analytics}"
    );

    // Another environment where the flag is off: the field is withheld.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("flags.toml");
    std::fs::write(
        &file,
        "[[flag]]\nname = \"analytics.cycle-time\"\nowner = \"t\"\ndescription = \"d\"\ndefault = true\ncreated = 2026-01-01\nexpires = 2099-01-01\nenvironments = { qa = false }\n",
    )
    .unwrap();
    let app = App::spawn_with(
        "sqlite",
        Options {
            env: vec![
                ("PORTFOLIO_ENV", "qa".into()),
                ("TASK_API_FLAGS_FILE", file.display().to_string()),
            ],
            ..Default::default()
        },
    );
    let r = call("GET", &app.url("/v1/flags"), None, None, &[]);
    assert_eq!(
        r.body,
        json!({"environment": "qa", "flags": {"analytics.cycle-time": false}})
    );
    let (a, _, _) = register(&app, "a@example.org");
    let p = project(&app, &a, "Flags");
    let analytics = get(&app, &format!("/v1/projects/{p}/analytics"), &a).body;
    assert!(
        analytics["median_cycle_time_hours"].is_null(),
        "{analytics}"
    );

    // A broken flags file stops start-up with the file and line.
    std::fs::write(&file, "[[flag]]\nname = 3\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_task-api"))
        .env("PORTFOLIO_DATA_DIR", dir.path())
        .env("KAFKA_BOOTSTRAP_SERVERS", "")
        .env("TASK_API_FLAGS_FILE", &file)
        .env("TASK_API_ADDR", format!("127.0.0.1:{}", free_port()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("flags.toml:2"), "{stderr}");
}

/// `task-api healthcheck` (the container image's HEALTHCHECK) succeeds against a running
/// instance, also when the address is the wildcard `0.0.0.0`, and fails when nothing listens.
#[test]
fn healthcheck_command_probes_a_running_instance() {
    let app = App::spawn("sqlite");
    let port = app.base.rsplit(':').next().unwrap().to_string();
    let probe = |addr: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_task-api"))
            .arg("healthcheck")
            .env("TASK_API_ADDR", addr)
            .env("PORTFOLIO_DATA_DIR", app.data.path())
            .output()
            .unwrap()
    };
    assert!(probe(&format!("127.0.0.1:{port}")).status.success());
    assert!(probe(&format!("0.0.0.0:{port}")).status.success());
    assert!(probe(&format!("localhost:{port}")).status.success());
    let closed = probe(&format!("127.0.0.1:{}", common::free_port()));
    assert!(!closed.status.success());
    let err = String::from_utf8_lossy(&closed.stderr);
    assert!(err.contains("healthz"), "{err}");
}

/// Forged and stale JWTs are refused with 401: `alg: none`, another algorithm with our key,
/// another key, expired, not yet valid, and claims changed under a genuine signature.
#[test]
fn forged_and_stale_tokens_are_refused() {
    use base64::Engine as _;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let app = App::spawn("sqlite");
    let (good, _, user) = register(&app, "a@example.org");
    let (_, _, other) = register(&app, "b@example.org");
    assert_eq!(get(&app, "/v1/projects", &good).status, 200);
    let secret = b"test-secret-test-secret-test-secret-42";
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = |sub: &str, iat: u64, exp: u64, nbf: Option<u64>| {
        let mut c = json!({"sub": sub, "iat": iat, "exp": exp});
        if let Some(nbf) = nbf {
            c["nbf"] = json!(nbf);
        }
        c
    };
    let sign = |alg, key: &[u8], c: &serde_json::Value| {
        jsonwebtoken::encode(&Header::new(alg), c, &EncodingKey::from_secret(key)).unwrap()
    };
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let fresh = claims(&user, now, now + 600, None);
    // The control: our key, our algorithm, valid claims — accepted.
    assert_eq!(
        get(
            &app,
            "/v1/projects",
            &sign(Algorithm::HS256, secret, &fresh)
        )
        .status,
        200
    );
    let good_parts: Vec<&str> = good.split('.').collect();
    let cases = [
        (
            "alg: none",
            format!(
                "{}.{}.",
                b64(br#"{"alg":"none","typ":"JWT"}"#),
                b64(fresh.to_string().as_bytes())
            ),
        ),
        ("HS512 with our key", sign(Algorithm::HS512, secret, &fresh)),
        (
            "another key",
            sign(
                Algorithm::HS256,
                b"another-secret-another-secret-0000",
                &fresh,
            ),
        ),
        (
            "expired",
            sign(
                Algorithm::HS256,
                secret,
                &claims(&user, now - 7200, now - 3600, None),
            ),
        ),
        (
            "not yet valid",
            sign(
                Algorithm::HS256,
                secret,
                &claims(&user, now, now + 7200, Some(now + 3600)),
            ),
        ),
        (
            "another user's id under a genuine signature",
            format!(
                "{}.{}.{}",
                good_parts[0],
                b64(claims(&other, now, now + 600, None).to_string().as_bytes()),
                good_parts[2]
            ),
        ),
        ("garbage", "not.a.token".to_string()),
    ];
    for (what, token) in cases {
        let r = get(&app, "/v1/projects", &token);
        assert_eq!(r.status, 401, "{what}: {}", r.body);
        assert_eq!(
            r.body["type"].as_str().map(|t| t.ends_with("unauthorized")),
            Some(true),
            "{what}: {}",
            r.body
        );
    }
}

/// Refreshes racing with one refresh token: exactly one wins, on both databases (PostgreSQL
/// runs them side by side; the spend is a conditional update, not a read then a write).
#[test]
fn concurrent_refreshes_with_one_token_succeed_once() {
    for backend in backends() {
        let app = App::spawn(backend);
        for round in 0..5 {
            let (_, refresh, _) = register(&app, &format!("racer{round}@example.org"));
            let barrier = std::sync::Barrier::new(8);
            let statuses: Vec<u16> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..8)
                    .map(|_| {
                        s.spawn(|| {
                            barrier.wait();
                            anon_post(&app, "/v1/auth/refresh", json!({"refresh_token": refresh}))
                                .status
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let won = statuses.iter().filter(|&&s| s == 200).count();
            assert_eq!(won, 1, "{backend} round {round}: {statuses:?}");
            assert!(
                statuses.iter().all(|&s| s == 200 || s == 401),
                "{backend}: {statuses:?}"
            );
        }
    }
}
