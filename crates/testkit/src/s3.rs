//! A local S3-compatible server: moto's server mode from PyPI (`scripts/moto.sh` installs it
//! once, pinned, into a virtualenv outside the clone). Any signature is accepted.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::{Process, spawn};

pub struct S3Server {
    pub port: u16,
    _process: Process,
}

impl S3Server {
    /// Starts moto on a free port; the first run on a machine installs it (up to 5 minutes).
    pub fn start() -> S3Server {
        let port = crate::free_port();
        let mut cmd = Command::new("bash");
        cmd.arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../scripts/moto.sh"
        ))
        .arg(port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        let process = spawn(cmd).expect("starting scripts/moto.sh");
        crate::wait_for_tcp(&format!("127.0.0.1:{port}"), Duration::from_secs(300));
        S3Server {
            port,
            _process: process,
        }
    }

    /// `http://127.0.0.1:PORT/<path>`
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }

    /// The `AWS_*` environment that points an S3 client (object_store, boto) at this server.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            (
                "AWS_ENDPOINT_URL",
                self.url("").trim_end_matches('/').to_string(),
            ),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}
