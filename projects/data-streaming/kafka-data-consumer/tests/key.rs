//! The PII token key never lives in the lake it protects: outside development the consumer
//! refuses to start without one; under `portfolio up` it keeps a generated key outside the
//! lake (and moves an old one out of it); a key file inside the lake is refused.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

/// `kafka-data-consumer run` on `lake`, with no key in the environment unless `env` gives one.
/// Nothing listens on its broker address: the key is settled before any connection.
fn consumer(lake: &Path, env: &[(&str, &Path)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kafka-data-consumer"));
    cmd.env_remove("PII_TOKEN_KEY")
        .env_remove("PII_TOKEN_KEY_FILE")
        .env_remove("PORTFOLIO_ROOT")
        .env("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
        .env("RUST_LOG", "warn")
        .args(["run", "--listen", "127.0.0.1:0", "--lake"])
        .arg(lake);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn refused(out: &Output, what: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(what), "{err}");
}

#[test]
fn without_a_key_outside_development_it_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let out = consumer(&lake, &[]).output().unwrap();
    refused(&out, "neither PII_TOKEN_KEY nor PII_TOKEN_KEY_FILE is set");
    assert!(!lake.join(".pii-token-key").exists());
}

#[test]
fn a_key_file_inside_the_lake_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    std::fs::create_dir_all(&lake).unwrap();
    let key = lake.join("key");
    std::fs::write(&key, "a-key-of-sixteen-bytes-or-more\n").unwrap();
    let out = consumer(&lake, &[("PII_TOKEN_KEY_FILE", &key)])
        .output()
        .unwrap();
    refused(&out, "must not live inside the lake it protects");
    let missing = dir.path().join("no-such-key");
    let out = consumer(&lake, &[("PII_TOKEN_KEY_FILE", &missing)])
        .output()
        .unwrap();
    refused(&out, "cannot be read");
}

#[test]
fn in_development_the_key_is_kept_outside_the_lake_and_an_old_one_is_moved_out() {
    let root = tempfile::tempdir().unwrap();
    let lake = root.path().join(".portfolio/data/lake");
    std::fs::create_dir_all(&lake).unwrap();
    std::fs::write(lake.join(".pii-token-key"), "the-old-key-the-old-key\n").unwrap();
    let kept = root.path().join(".portfolio/secrets/pii-token-key");
    let child = testkit::spawn(consumer(&lake, &[("PORTFOLIO_ROOT", root.path())])).unwrap();
    testkit::wait_until("the key outside the lake", Duration::from_secs(30), || {
        kept.is_file()
    });
    drop(child);
    assert_eq!(
        std::fs::read_to_string(&kept).unwrap(),
        "the-old-key-the-old-key\n",
        "tokens stay stable"
    );
    assert!(
        !lake.join(".pii-token-key").exists(),
        "moved out of the lake"
    );
    use std::os::unix::fs::PermissionsExt as _;
    // A fresh development root gets a generated key, private to its owner.
    let fresh = tempfile::tempdir().unwrap();
    let lake = fresh.path().join("lake");
    let key = fresh.path().join(".portfolio/secrets/pii-token-key");
    let child = testkit::spawn(consumer(&lake, &[("PORTFOLIO_ROOT", fresh.path())])).unwrap();
    testkit::wait_until("a generated key", Duration::from_secs(30), || key.is_file());
    drop(child);
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    assert!(std::fs::read_to_string(&key).unwrap().trim().len() >= 32);
}
