//! `admission-policy serve` over HTTPS with real AdmissionReview requests: allowed, denied,
//! malformed (a clear error, never a crash), a DELETE, the metrics and the audit log.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

struct Server {
    _process: testkit::Process,
    port: u16,
    dir: tempfile::TempDir,
}

fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            "extendedKeyUsage=serverAuth",
            "-keyout",
        ])
        .arg(dir.path().join("key.pem"))
        .arg("-out")
        .arg(dir.path().join("cert.pem"))
        .output()
        .expect("openssl (Debian's openssl package) makes the test certificate");
    assert!(status.status.success(), "{status:?}");
    let port = testkit::free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_admission-policy"));
    cmd.args([
        "serve",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--env",
        "prod",
        "--tls-cert",
    ])
    .arg(dir.path().join("cert.pem"))
    .arg("--tls-key")
    .arg(dir.path().join("key.pem"))
    .arg("--audit-log")
    .arg(dir.path().join("audit.jsonl"));
    let process = testkit::spawn(cmd).unwrap();
    testkit::wait_for_tcp(&format!("127.0.0.1:{port}"), Duration::from_secs(30));
    Server {
        _process: process,
        port,
        dir,
    }
}

fn agent(dir: &Path) -> ureq::Agent {
    use ureq::tls::{Certificate, RootCerts, TlsConfig};
    let pem = std::fs::read(dir.join("cert.pem")).unwrap();
    let cert = Certificate::from_pem(&pem).unwrap().to_owned();
    ureq::Agent::config_builder()
        .tls_config(
            TlsConfig::builder()
                .root_certs(RootCerts::new_with_certs(&[cert]))
                .build(),
        )
        .http_status_as_error(false)
        .build()
        .new_agent()
}

fn fixture(rel: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(rel),
    )
    .unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn review(uid: &str, op: &str, object: serde_json::Value) -> String {
    serde_json::json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": { "uid": uid, "operation": op, "namespace": "shop", "object": object,
                     "kind": { "group": "apps", "version": "v1", "kind": "Deployment" } }
    })
    .to_string()
}

#[test]
fn the_webhook_answers_admission_reviews_over_https() {
    let s = start();
    let a = agent(s.dir.path());
    let url = format!("https://localhost:{}/validate", s.port);
    let post = |body: &str| {
        let mut r = a
            .post(&url)
            .header("content-type", "application/json")
            .send(body)
            .unwrap();
        let status = r.status().as_u16();
        let v: serde_json::Value = r.body_mut().read_json().unwrap();
        (status, v)
    };
    let (status, v) = post(&review(
        "u-allow",
        "CREATE",
        fixture("container-probes/allow-restricted-deployment.yaml"),
    ));
    assert_eq!(status, 200);
    assert_eq!(v["response"]["uid"], "u-allow");
    assert_eq!(v["response"]["allowed"], true, "{v}");

    let (status, v) = post(&review(
        "u-deny",
        "CREATE",
        fixture("pod-no-privilege-escalation/deny-privileged-pod.yaml"),
    ));
    assert_eq!(status, 200);
    assert_eq!(v["response"]["allowed"], false, "{v}");
    assert_eq!(v["response"]["status"]["code"], 403);
    let msg = v["response"]["status"]["message"].as_str().unwrap();
    assert!(
        msg.contains("[pod-no-privilege-escalation] Pod/privileged: container web is privileged"),
        "{msg}"
    );

    let (status, v) = post(&review("u-delete", "DELETE", serde_json::Value::Null));
    assert_eq!(
        (status, &v["response"]["allowed"]),
        (200, &serde_json::json!(true)),
        "{v}"
    );

    // Malformed requests: clear errors, and the server keeps serving.
    let (status, v) = post("{not json");
    assert_eq!(status, 400);
    assert!(v["error"].as_str().unwrap().contains("not JSON"), "{v}");
    let (status, v) =
        post(r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}"#);
    assert_eq!(status, 400);
    assert!(v["error"].as_str().unwrap().contains("request.uid"), "{v}");
    let (status, v) = post(
        r#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}"#,
    );
    assert_eq!(status, 400);
    assert!(
        v["error"].as_str().unwrap().contains("admission.k8s.io/v1"),
        "{v}"
    );
    let (status, v) = post(&review("u-odd", "CREATE", serde_json::json!("a string")));
    assert_eq!(status, 200);
    assert_eq!(v["response"]["allowed"], false);
    assert_eq!(v["response"]["status"]["code"], 400, "{v}");

    let (status, v) = post(&review(
        "u-after",
        "CREATE",
        fixture("container-probes/allow-restricted-deployment.yaml"),
    ));
    assert_eq!(
        (status, &v["response"]["allowed"]),
        (200, &serde_json::json!(true))
    );

    let metrics = a
        .get(&format!("https://localhost:{}/metrics", s.port))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    for want in [
        "admission_decisions_total{policy=\"pod-no-privilege-escalation\",result=\"deny\"} 1",
        "admission_requests_total{result=\"allowed\"} 3",
        "admission_requests_total{result=\"denied\"} 2",
        "admission_requests_total{result=\"malformed\"} 3",
        "admission_decision_seconds_count 5",
    ] {
        assert!(metrics.contains(want), "{want} in\n{metrics}");
    }
    let audit = std::fs::read_to_string(s.dir.path().join("audit.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "{audit}");
    assert_eq!(lines[1]["uid"], "u-deny");
    assert_eq!(lines[1]["allowed"], false);
    assert_eq!(
        lines[1]["violations"][0]["policy"],
        "pod-no-privilege-escalation"
    );
}
