//! A fresh PostgreSQL database per test, on the server `TEST_DATABASE_URL` names (the
//! Makefile's `scripts/with-postgres.sh` starts a throwaway one). Created with `psql`, which
//! ships with the server, so no SQL driver is linked into every test.

use std::process::Command;

/// Whether this run has a PostgreSQL server for tests.
pub fn available() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok()
}

/// The URL of a new, empty database named `<prefix>_<unique>`, or `None` when this run has no
/// PostgreSQL server.
pub fn fresh_database(prefix: &str) -> Option<String> {
    let base = std::env::var("TEST_DATABASE_URL").ok()?;
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("{prefix}_{}_{nanos:x}_{seq}", std::process::id());
    let out = Command::new("psql")
        .arg(&base)
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-c"])
        .arg(format!("CREATE DATABASE \"{name}\""))
        .output()
        .unwrap_or_else(|e| panic!("running psql to create a test database: {e}"));
    assert!(
        out.status.success(),
        "creating database {name} on {base}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (server, _) = base
        .rsplit_once('/')
        .unwrap_or_else(|| panic!("TEST_DATABASE_URL {base} names no database"));
    Some(format!("{server}/{name}"))
}
