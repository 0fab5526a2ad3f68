//! Static checks of the platform's infrastructure artefacts, run by `make test` next to the
//! real tools (terraform fmt, checkov, Helm's engine, kubernetes-validate):
//!
//! - [`terraform`]: Terraform modules parsed with `hcl-rs`: buckets encrypted and private, no
//!   security group or network ACL open to the world (but the documented load-balancer rule),
//!   every taggable resource tagged, RDS private, encrypted and backed up, variables and outputs
//!   described; and the README's inputs/outputs tables generated from the code ([`docs`]).
//! - [`kubernetes`]: rendered manifests against the restricted Pod Security Standard, images by
//!   digest, resources and probes.
//! - [`dockerfile`]: base images pinned by digest, non-root final stages without a shell, an
//!   explicit HEALTHCHECK decision, no secrets in build arguments.
//!
//! The cloud security posture scanner (issue #7) is meant to take these rules over.

pub mod bake;
pub mod dockerfile;
pub mod docs;
pub mod kubernetes;
pub mod terraform;

use serde::Serialize;
use std::path::{Path, PathBuf};

/// One broken rule, where it is and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Rule id, e.g. `TF020`.
    pub rule: &'static str,
    pub file: PathBuf,
    /// 1-based line of the resource or instruction.
    pub line: usize,
    /// Resource address (`aws_s3_bucket.site`), manifest (`Deployment/task-api`) or stage.
    pub resource: String,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {} {}: {}",
            self.file.display(),
            self.line,
            self.rule,
            self.resource,
            self.message
        )
    }
}

/// The 1-based line of the first line of `text` containing `needle` (1 when absent).
pub(crate) fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or(1)
}

/// Reads a file, naming it in the error.
pub(crate) fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))
}
