//! Jobs from a config file (`file-backup run --config backup.yaml`): sources, excludes, the
//! repository and its replicas, retention, schedule. `file-backup units` writes a systemd timer
//! per job for the service template in `ops/systemd/`.
//!
//! ```yaml
//! jobs:
//!   platform-state:
//!     sources: [/srv/portfolio/.portfolio/data]
//!     exclude: ["*.tmp", logs]
//!     repository: /mnt/backup/portfolio
//!     password_file: /etc/file-backup/password
//!     copies: [/mnt/offsite/portfolio]
//!     retention: {keep_daily: 7, keep_weekly: 4, keep_monthly: 12}
//!     prune: true
//!     schedule: "*-*-* 02:30:00"
//! ```
//! Relative paths are relative to the config file's folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::copy::CopyReport;
use crate::prune::PruneReport;
use crate::repo::{Credentials, Repo, RepoError, Snapshot, read_identities};
use crate::retention::Policy;
use crate::{BackupOptions, backup, forget, read_exclude_file, read_password};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub jobs: BTreeMap<String, Job>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Job {
    pub sources: Vec<PathBuf>,
    #[serde(default)]
    pub exclude: Vec<String>,
    pub exclude_file: Option<PathBuf>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Stay on each source's file system.
    #[serde(default)]
    pub one_file_system: bool,
    pub repository: String,
    /// Else `identity_file`, `--password-file`, `--identity-file` or `FILE_BACKUP_PASSWORD`.
    pub password_file: Option<PathBuf>,
    /// Age identities for a key added with a recipient (instead of a password).
    pub identity_file: Option<PathBuf>,
    /// Replicas kept with `copy` after each run.
    #[serde(default)]
    pub copies: Vec<String>,
    pub retention: Option<Retention>,
    /// Prune after applying the retention.
    #[serde(default)]
    pub prune: bool,
    /// A systemd `OnCalendar` expression (default `daily`).
    pub schedule: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    #[serde(default)]
    pub keep_last: usize,
    #[serde(default)]
    pub keep_hourly: usize,
    #[serde(default)]
    pub keep_daily: usize,
    #[serde(default)]
    pub keep_weekly: usize,
    #[serde(default)]
    pub keep_monthly: usize,
    #[serde(default)]
    pub keep_yearly: usize,
}

impl Retention {
    pub fn policy(&self) -> Policy {
        Policy {
            last: self.keep_last,
            hourly: self.keep_hourly,
            daily: self.keep_daily,
            weekly: self.keep_weekly,
            monthly: self.keep_monthly,
            yearly: self.keep_yearly,
        }
    }
}

/// Reads and checks a config file; paths become absolute against its folder.
pub fn load(path: &Path) -> anyhow::Result<ConfigFile> {
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut cfg: ConfigFile =
        serde_yaml_ng::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let base = path
        .canonicalize()?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    anyhow::ensure!(!cfg.jobs.is_empty(), "{}: no jobs", path.display());
    for (name, job) in cfg.jobs.iter_mut() {
        let at = format!("{}: job `{name}`", path.display());
        anyhow::ensure!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{at}: a job name is lower-case letters, digits and '-' (it names a systemd unit)"
        );
        anyhow::ensure!(!job.sources.is_empty(), "{at}: `sources` is empty");
        if let Some(r) = &job.retention {
            anyhow::ensure!(
                !r.policy().is_empty(),
                "{at}: `retention` keeps nothing (give at least one keep_*)"
            );
        }
        if let Some(s) = &job.schedule {
            anyhow::ensure!(
                !s.trim().is_empty() && !s.contains('\n'),
                "{at}: `schedule` is one systemd OnCalendar expression"
            );
        }
        let abs = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        job.sources.iter_mut().for_each(abs);
        // Repositories are folders (relative to the config file) or URLs.
        let abs_repo = |r: &mut String| {
            if !r.contains("://") && Path::new(r.as_str()).is_relative() {
                *r = base.join(r.as_str()).display().to_string();
            }
        };
        abs_repo(&mut job.repository);
        job.copies.iter_mut().for_each(abs_repo);
        if let Some(p) = job.exclude_file.as_mut() {
            abs(p);
        }
        if let Some(p) = job.password_file.as_mut() {
            abs(p);
        }
        if let Some(p) = job.identity_file.as_mut() {
            abs(p);
        }
    }
    Ok(cfg)
}

/// What one job did.
#[derive(Debug, Serialize)]
pub struct JobResult {
    pub job: String,
    pub snapshot: String,
    pub summary: Snapshot,
    pub forgotten: Vec<String>,
    pub prune: Option<PruneReport>,
    pub copies: Vec<(String, CopyReport)>,
}

/// Runs one job: backup, retention (and prune), then each replica.
pub fn run(name: &str, job: &Job, fallback: Option<&Credentials>) -> anyhow::Result<JobResult> {
    let own = match (&job.identity_file, &job.password_file) {
        (Some(f), _) => Some(Credentials::Identities(read_identities(f)?)),
        (None, Some(f)) => Some(Credentials::Password(
            read_password(f).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?,
        )),
        (None, None) => None,
    };
    let creds = own.as_ref().or(fallback).ok_or_else(|| {
        anyhow::anyhow!(
            "job `{name}`: no password (set password_file or identity_file, --password-file or FILE_BACKUP_PASSWORD)"
        )
    })?;
    let store =
        crate::storage::open(&job.repository).map_err(|e| anyhow::anyhow!("job `{name}`: {e}"))?;
    let mut repo = Repo::open_with(store, creds)
        .map_err(|e| anyhow::anyhow!("job `{name}`: {}: {e}", job.repository))?;
    let mut excludes = job.exclude.clone();
    if let Some(f) = &job.exclude_file {
        excludes.extend(read_exclude_file(f)?);
    }
    let opts = BackupOptions {
        excludes,
        tags: job.tags.clone(),
        dry_run: false,
        one_file_system: job.one_file_system,
        progress: Default::default(),
    };
    let (snapshot, summary) = backup(&mut repo, &job.sources, &opts)?;
    let mut result = JobResult {
        job: name.to_string(),
        snapshot,
        summary,
        forgotten: Vec::new(),
        prune: None,
        copies: Vec::new(),
    };
    let lock = repo.lock()?;
    if let Some(r) = &job.retention {
        result.forgotten = forget(&repo, &r.policy(), false)?.0;
    }
    if job.prune {
        result.prune = Some(crate::prune::prune(&mut repo, false)?);
    }
    for target in &job.copies {
        let store = crate::storage::open(target)
            .map_err(|e| anyhow::anyhow!("job `{name}`: copy to {target}: {e}"))?;
        let report = crate::copy::copy(&repo, store, true)
            .map_err(|e: RepoError| anyhow::anyhow!("job `{name}`: copy to {target}: {e}"))?;
        result.copies.push((target.clone(), report));
    }
    drop(lock);
    Ok(result)
}

/// A systemd timer for each job, for the `file-backup@.service` template.
pub fn timers(cfg: &ConfigFile) -> Vec<(String, String)> {
    cfg.jobs
        .iter()
        .map(|(name, job)| {
            (
                format!("file-backup@{name}.timer"),
                format!(
                    "# Written by `file-backup units`: runs job `{name}` (file-backup@{name}.service).\n\
                     [Unit]\nDescription=file-backup job {name}\n\n\
                     [Timer]\nOnCalendar={}\nPersistent=true\nRandomizedDelaySec=10min\n\n\
                     [Install]\nWantedBy=timers.target\n",
                    job.schedule.as_deref().unwrap_or("daily")
                ),
            )
        })
        .collect()
}
