//! A throwaway `kafka-broker` (the workspace's tansu build) on a free port and its own data
//! folder: one per test that restarts it, or one shared by every test of a process.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use crate::process::{Process, spawn, workspace_binary};

/// A broker process; killed with the test process (see [`crate::process`]).
pub struct Broker {
    /// `127.0.0.1:PORT`, for `bootstrap.servers`.
    pub addr: String,
    process: Option<Process>,
    data: tempfile::TempDir,
}

impl Broker {
    /// Starts a broker on a free port with an empty data folder; returns once it listens.
    pub fn start() -> Broker {
        let data = tempfile::tempdir().expect("a data folder for the broker");
        let addr = format!("127.0.0.1:{}", crate::free_port());
        let process = Some(launch(&addr, data.path()));
        Broker {
            addr,
            process,
            data,
        }
    }

    /// Stops the broker gracefully (SIGTERM); its data stays for [`Broker::start_again`].
    pub fn stop(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.terminate(Duration::from_secs(30));
        }
    }

    /// Starts the stopped broker again on the same address and data.
    pub fn start_again(&mut self) {
        assert!(self.process.is_none(), "the broker still runs");
        self.process = Some(launch(&self.addr, self.data.path()));
    }

    /// Kills the broker (SIGKILL) and starts it again on the same address and data.
    pub fn restart(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.crash();
        }
        self.start_again();
    }
}

fn launch(addr: &str, data: &Path) -> Process {
    let mut cmd = Command::new(workspace_binary("kafka-broker", "kafka-broker"));
    cmd.env("KAFKA_BROKER_LISTEN", addr)
        .env("PORTFOLIO_DATA_DIR", data)
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let process = spawn(cmd).expect("starting kafka-broker");
    crate::wait_for_tcp(addr, Duration::from_secs(30));
    process
}

/// The broker shared by the tests of this process, started on first use: each test takes its
/// own topics and groups. (nextest runs every test in a process of its own.)
pub fn shared_broker() -> &'static str {
    static BROKER: OnceLock<Broker> = OnceLock::new();
    &BROKER.get_or_init(Broker::start).addr
}
