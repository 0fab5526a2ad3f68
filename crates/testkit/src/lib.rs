//! The workspace's test kit: one copy of what integration tests need to run real processes.
//!
//! - [`free_port`], [`eventually`] and [`wait_until`]: ports and polling waits.
//! - [`process`]: child processes that cannot outlive the test process, even when it is killed
//!   with SIGKILL (a parent-death signal), and workspace binaries built at most once.
//! - [`broker`]: a throwaway `kafka-broker` on its own data folder, or one shared per process.
//! - [`capture`]: a fake HTTP endpoint (the Pushgateway's role) that records what it is sent.
//! - [`pg`]: a fresh PostgreSQL database per test on the server `TEST_DATABASE_URL` names.
//! - [`s3`]: a local S3-compatible server (moto).
//! - `kafka` (feature `kafka`): reading a topic back over the Kafka protocol.
//!
//! Invariant: this crate is a dev-dependency only; nothing in it is linked into a service.

pub mod broker;
pub mod capture;
#[cfg(feature = "kafka")]
pub mod kafka;
pub mod pg;
pub mod process;
pub mod s3;

use std::net::TcpStream;
use std::time::{Duration, Instant};

pub use broker::{Broker, shared_broker};
pub use capture::{CapturedRequest, HttpCapture};
pub use process::{Process, spawn, workspace_binary};
pub use s3::S3Server;

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("binding 127.0.0.1:0")
        .port()
}

/// A port `p` such that `p` and `p + 1` are both free right now (a service and its copy at
/// port offset 1).
pub fn free_port_pair() -> u16 {
    loop {
        let p = free_port();
        if p < 65000 && std::net::TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
}

/// Whether `f` turned true within `timeout`, asked every `poll`.
pub fn eventually(timeout: Duration, poll: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(poll);
    }
}

/// Fails the test with `what` unless `f` turns true within `timeout` (asked every 50 ms).
pub fn wait_until(what: &str, timeout: Duration, f: impl FnMut() -> bool) {
    assert!(
        eventually(timeout, Duration::from_millis(50), f),
        "{what}: not within {timeout:?}"
    );
}

/// Fails the test unless something accepts TCP connections on `addr` within `timeout`.
pub fn wait_for_tcp(addr: &str, timeout: Duration) {
    wait_until(&format!("a listener on {addr}"), timeout, || {
        TcpStream::connect(addr).is_ok()
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_bindable() {
        let port = free_port();
        assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_ok());
    }

    #[test]
    fn eventually_reports_both_outcomes() {
        let mut n = 0;
        assert!(eventually(Duration::from_secs(5), Duration::ZERO, || {
            n += 1;
            n == 3
        }));
        assert!(!eventually(
            Duration::from_millis(30),
            Duration::from_millis(5),
            || false
        ));
    }

    #[test]
    #[should_panic(expected = "the answer: not within")]
    fn wait_until_names_what_it_waited_for() {
        wait_until("the answer", Duration::from_millis(20), || false);
    }
}
