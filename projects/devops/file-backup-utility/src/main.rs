//! `file-backup`: see `--help` and the README. Experimental: init, backup, snapshots, ls and
//! restore work; the other commands of issue #5 are planned.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use file_backup::progress::Progress;
use file_backup::repo::{Credentials, NewKey, Repo, RepoError};
use file_backup::{BackupOptions, backup, diff, list, read_password, restore_with};

/// Deduplicating, encrypted backups (experimental).
///
/// The repository and its password come from --repo / FILE_BACKUP_REPOSITORY and
/// --password-file / FILE_BACKUP_PASSWORD.
#[derive(Parser)]
#[command(
    name = "file-backup",
    version,
    max_term_width = 100,
    after_help = "Examples:
  export FILE_BACKUP_REPOSITORY=/mnt/backup/repo FILE_BACKUP_PASSWORD='correct horse'
  file-backup init
  file-backup backup ~/projects --exclude 'target' --tag daily
  file-backup snapshots
  file-backup restore latest --target /tmp/restore

Exit codes: 0 ok; 1 the operation failed (damage found, wrong password); 2 usage error."
)]
struct Cli {
    /// The repository: a folder, or s3://BUCKET/PREFIX on S3-compatible object storage
    /// (credentials, region and endpoint from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    /// AWS_REGION, AWS_ENDPOINT_URL, AWS_ALLOW_HTTP).
    #[arg(
        long,
        env = "FILE_BACKUP_REPOSITORY",
        global = true,
        value_name = "DIR|s3://BUCKET/PREFIX"
    )]
    repo: Option<String>,
    /// File whose first line is the password (else FILE_BACKUP_PASSWORD).
    #[arg(long, global = true, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Open the repository with age identities (AGE-SECRET-KEY-1… lines) instead of a password,
    /// through a key added with --recipient.
    #[arg(
        long,
        global = true,
        env = "FILE_BACKUP_IDENTITY_FILE",
        value_name = "FILE"
    )]
    identity_file: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create a repository: a key for the password (argon2id) and one per age recipient.
    #[command(
        after_help = "Examples:\n  file-backup --repo /mnt/backup/repo init\n  file-backup --repo /mnt/backup/repo init --recipient age1… (no password needed then)"
    )]
    Init {
        /// Also open with this age recipient's identity (repeatable).
        #[arg(long, value_name = "AGE_RECIPIENT")]
        recipient: Vec<String>,
    },
    /// The repository's keys: list, add (a password or an age recipient), remove.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Back up folders into a new snapshot; unchanged files are skipped by metadata.
    #[command(
        after_help = "Example:\n  file-backup backup /srv/data --exclude '*.tmp' --tag nightly"
    )]
    Backup {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Skip names or paths matching this pattern (`*` wildcards; repeatable).
        #[arg(long)]
        exclude: Vec<String>,
        /// Patterns to exclude, one per line.
        #[arg(long, value_name = "FILE")]
        exclude_file: Option<PathBuf>,
        #[arg(long)]
        tag: Vec<String>,
        /// Read and chunk everything but store nothing.
        #[arg(long)]
        dry_run: bool,
        /// Stay on each path's file system: mount points below it are kept as empty folders.
        #[arg(long, short = 'x')]
        one_file_system: bool,
        #[arg(long)]
        json: bool,
    },
    /// List snapshots, oldest first.
    #[command(after_help = "Example:\n  file-backup snapshots --json")]
    Snapshots {
        #[arg(long)]
        json: bool,
    },
    /// List the entries of a snapshot (`latest` or an id prefix), or those at and below PATH.
    #[command(
        after_help = "Examples:\n  file-backup ls latest\n  file-backup ls 3fa2 /home/ana/projects --json\n  file-backup ls latest '*.toml'"
    )]
    Ls {
        snapshot: String,
        /// A path as the full listing shows it (`*` matches any run of characters).
        path: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Check the repository: every snapshot's trees and blobs indexed and present; with
    /// --read-data also decrypt and hash the data (--subset N for N% of it).
    #[command(
        after_help = "Examples:\n  file-backup verify\n  file-backup verify --read-data --subset 10"
    )]
    Verify {
        #[arg(long)]
        read_data: bool,
        /// Percentage of data blobs to read with --read-data (chosen by id).
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u8).range(1..=100), requires = "read_data")]
        subset: u8,
        #[arg(long)]
        json: bool,
    },
    /// Remove snapshots a retention policy does not keep (their data stays until `prune`, or
    /// give --prune).
    #[command(
        after_help = "Example:\n  file-backup forget --keep-last 3 --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --dry-run\n  file-backup forget --keep-daily 7 --prune"
    )]
    Forget {
        #[arg(long, default_value_t = 0)]
        keep_last: usize,
        #[arg(long, default_value_t = 0)]
        keep_hourly: usize,
        #[arg(long, default_value_t = 0)]
        keep_daily: usize,
        #[arg(long, default_value_t = 0)]
        keep_weekly: usize,
        #[arg(long, default_value_t = 0)]
        keep_monthly: usize,
        #[arg(long, default_value_t = 0)]
        keep_yearly: usize,
        /// Say what would be removed; remove nothing.
        #[arg(long)]
        dry_run: bool,
        /// Then remove the data no remaining snapshot uses (as `prune`).
        #[arg(long)]
        prune: bool,
        #[arg(long)]
        json: bool,
    },
    /// Remove the data no snapshot uses: unused packs are deleted, partly used ones repacked,
    /// a crashed run's leftovers removed. Safe to interrupt at any point.
    #[command(after_help = "Examples:\n  file-backup prune --dry-run\n  file-backup prune --json")]
    Prune {
        /// Say what would be removed; remove nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Replicate the repository to a second target: copies what the target lacks (packs,
    /// index, snapshots, in that order) and removes what the source no longer has. A new
    /// target gets the same keys: the same password opens it.
    #[command(
        after_help = "Examples:\n  file-backup copy --to /mnt/offsite/repo\n  file-backup copy --to s3://backups/laptop --no-delete --json"
    )]
    Copy {
        /// The target (a folder or s3://BUCKET/PREFIX): empty or missing (created), or a replica
        /// made by an earlier copy.
        #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
        to: String,
        /// Keep snapshots and data the source has forgotten or pruned.
        #[arg(long)]
        no_delete: bool,
        #[arg(long)]
        json: bool,
    },
    /// Summaries of the last backup runs and of the repository: Markdown, HTML or JSON.
    #[command(
        after_help = "Examples:\n  file-backup report\n  file-backup report --format html --last 30 > report.html\n  file-backup report --format json"
    )]
    Report {
        #[arg(long, value_enum, default_value = "md")]
        format: ReportFormat,
        /// How many runs, newest first.
        #[arg(long, default_value_t = 10)]
        last: usize,
    },
    /// Run the jobs of a config file: backup, retention (and prune), then the replicas.
    #[command(after_help = "Examples:
  file-backup run --config /etc/file-backup/backup.yaml
  file-backup run --config backup.yaml --job platform-state --json

The config file (YAML; relative paths are relative to its folder):
  jobs:
    platform-state:
      sources: [/srv/portfolio/.portfolio/data]
      exclude: [\"*.tmp\", logs]            # and exclude_file: FILE
      tags: [nightly]
      repository: /mnt/backup/portfolio     # a folder or s3://BUCKET/PREFIX
      password_file: /etc/file-backup/password   # else --password-file / FILE_BACKUP_PASSWORD
      copies: [/mnt/offsite/portfolio, \"s3://backups/portfolio\"]   # replicas, kept with copy
      retention: {keep_daily: 7, keep_weekly: 4, keep_monthly: 12}
      prune: true
      schedule: \"*-*-* 02:30:00\"          # systemd OnCalendar, for `file-backup units`")]
    Run {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Only these jobs (repeatable; default: all, in name order).
        #[arg(long)]
        job: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Write a systemd timer per job of a config file (for ops/systemd/file-backup@.service).
    #[command(
        after_help = "Example:\n  file-backup units --config /etc/file-backup/backup.yaml --out /etc/systemd/system\n  systemctl enable --now file-backup@platform-state.timer"
    )]
    Units {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// What changed between two snapshots: + added, - removed, M content, U metadata only.
    #[command(after_help = "Example:\n  file-backup diff 3fa2 latest")]
    Diff {
        a: String,
        b: String,
        #[arg(long)]
        json: bool,
    },
    /// Remove the repository's locks, after a process holding one died.
    #[command(after_help = "Example:\n  file-backup unlock")]
    Unlock,
    /// Restore a snapshot under a folder, checking every blob it reads.
    #[command(
        after_help = "Each backed-up folder is restored under the target by its full path.\n\nExamples:\n  file-backup restore 3fa2 --target /tmp/restore\n  file-backup restore latest --target /tmp/r --include /home/ana/projects/site --include '*.toml'"
    )]
    Restore {
        snapshot: String,
        #[arg(long, value_name = "DIR")]
        target: PathBuf,
        /// Restore only this path (as `ls` shows it) and what is below it; `*` matches any run
        /// of characters. Repeatable.
        #[arg(long, value_name = "PATH")]
        include: Vec<String>,
    },
}

fn print_prune(r: &file_backup::prune::PruneReport) {
    let mb = |b: u64| b as f64 / 1e6;
    println!(
        "{} {} unused blob(s) of {}: {} pack(s) deleted, {} repacked ({:.1} MB copied), {} unknown removed, {} kept; {:.1} MB freed",
        if r.dry_run { "would prune" } else { "pruned" },
        r.blobs_unused,
        r.blobs_used + r.blobs_unused,
        r.packs_deleted,
        r.packs_repacked,
        mb(r.bytes_repacked),
        r.packs_unknown,
        r.packs_kept,
        mb(r.bytes_freed)
    );
}

#[derive(Subcommand)]
enum KeyCmd {
    /// The ways into the repository.
    #[command(after_help = "Example:\n  file-backup key list --json")]
    List {
        #[arg(long)]
        json: bool,
    },
    /// Add a key: an age recipient, or a second password.
    #[command(
        after_help = "Examples:\n  file-backup key add --recipient age1…\n  file-backup key add --new-password-file /etc/file-backup/second-password"
    )]
    Add {
        #[arg(
            long,
            value_name = "AGE_RECIPIENT",
            required_unless_present = "new_password_file",
            conflicts_with = "new_password_file"
        )]
        recipient: Option<String>,
        #[arg(long, value_name = "FILE")]
        new_password_file: Option<PathBuf>,
    },
    /// Remove a key by id prefix (never the last one).
    #[command(after_help = "Example:\n  file-backup key remove 3fa2")]
    Remove { id: String },
}

fn parse_recipient(r: &str) -> anyhow::Result<age::x25519::Recipient> {
    r.trim()
        .parse()
        .map_err(|e| anyhow::anyhow!("`{r}` is not an age recipient (age1…): {e}"))
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReportFormat {
    Md,
    Html,
    Json,
}

/// Pushes the run's metrics when `PUSHGATEWAY_URL` is set; a failed push is a warning (the
/// backup itself succeeded).
fn push_metrics(snap: &file_backup::repo::Snapshot) {
    let Ok(url) = std::env::var("PUSHGATEWAY_URL") else {
        return;
    };
    if url.is_empty() {
        return;
    }
    let target = format!(
        "{}/metrics/job/file-backup/instance/{}",
        url.trim_end_matches('/'),
        file_backup::repo::hostname()
    );
    let body = file_backup::report::metrics(snap, chrono::Utc::now().timestamp());
    if let Err(e) = ureq::put(&target)
        .header("content-type", "text/plain; version=0.0.4")
        .send(body.as_str())
    {
        eprintln!("warning: pushing metrics to {target}: {e}");
    }
}

/// The identity file's age identities, or the password.
fn credentials(cli: &Cli) -> anyhow::Result<Credentials> {
    if let Some(f) = &cli.identity_file {
        return Ok(Credentials::Identities(file_backup::repo::read_identities(
            f,
        )?));
    }
    Ok(Credentials::Password(password(cli)?))
}

fn password(cli: &Cli) -> anyhow::Result<String> {
    if let Some(f) = &cli.password_file {
        return read_password(f).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()));
    }
    std::env::var("FILE_BACKUP_PASSWORD").map_err(|_| {
        anyhow::anyhow!("no password: give --password-file or set FILE_BACKUP_PASSWORD")
    })
}

/// Jobs of `run` that failed (exit 1, like any failed operation).
#[derive(Debug, thiserror::Error)]
#[error("failed job(s): {}", .0.join(", "))]
struct JobsFailed(Vec<String>);

/// `run` and `units`: the config file names the repositories.
fn run_jobs(cli: &Cli) -> anyhow::Result<bool> {
    match &cli.cmd {
        Cmd::Run { config, job, json } => {
            let cfg = file_backup::jobs::load(config)?;
            for j in job {
                anyhow::ensure!(
                    cfg.jobs.contains_key(j),
                    "no job `{j}` in {} (jobs: {})",
                    config.display(),
                    cfg.jobs.keys().cloned().collect::<Vec<_>>().join(", ")
                );
            }
            let fallback = credentials(cli).ok();
            let mut failed = Vec::new();
            for (name, spec) in &cfg.jobs {
                if !job.is_empty() && !job.contains(name) {
                    continue;
                }
                match file_backup::jobs::run(name, spec, fallback.as_ref()) {
                    Ok(r) => {
                        if *json {
                            println!("{}", serde_json::to_string(&r)?);
                        } else {
                            let s = &r.summary.summary;
                            println!(
                                "job {name}: snapshot {} (files new {}, changed {}, unchanged {}; {} added); {} forgotten{}{}",
                                &r.snapshot[..12],
                                s.files_new,
                                s.files_changed,
                                s.files_unchanged,
                                file_backup::report::human(s.bytes_added),
                                r.forgotten.len(),
                                r.prune
                                    .as_ref()
                                    .map(|p| format!(
                                        ", {} freed",
                                        file_backup::report::human(p.bytes_freed)
                                    ))
                                    .unwrap_or_default(),
                                r.copies
                                    .iter()
                                    .map(|(t, c)| format!(
                                        ", copied to {} ({})",
                                        t,
                                        file_backup::report::human(c.bytes_copied)
                                    ))
                                    .collect::<String>()
                            );
                        }
                        push_metrics(&r.summary);
                    }
                    Err(e) => {
                        eprintln!("job {name} failed: {e:#}");
                        failed.push(name.clone());
                    }
                }
            }
            if !failed.is_empty() {
                return Err(JobsFailed(failed).into());
            }
            Ok(true)
        }
        Cmd::Units { config, out } => {
            let cfg = file_backup::jobs::load(config)?;
            std::fs::create_dir_all(out)?;
            for (name, text) in file_backup::jobs::timers(&cfg) {
                let path = out.join(&name);
                std::fs::write(&path, text)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                println!("wrote {}", path.display());
            }
            Ok(true)
        }
        _ => Ok(false),
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    if run_jobs(&cli)? {
        return Ok(());
    }
    let location = cli.repo.clone().ok_or_else(|| {
        anyhow::anyhow!(
            "no repository: give --repo DIR (or s3://BUCKET/PREFIX) or set FILE_BACKUP_REPOSITORY"
        )
    })?;
    let root = file_backup::storage::open(&location)?;
    if let Cmd::Init { recipient } = &cli.cmd {
        let recipients: Vec<_> = recipient
            .iter()
            .map(|r| parse_recipient(r))
            .collect::<anyhow::Result<_>>()?;
        let pass = if recipients.is_empty() {
            Some(password(&cli)?)
        } else {
            password(&cli).ok()
        };
        let repo = Repo::init_with(root.clone(), pass.as_deref(), &recipients)?;
        eprintln!(
            "created repository {} at {} ({} key(s))",
            &repo.config.id[..12],
            location,
            usize::from(pass.is_some()) + recipients.len()
        );
        return Ok(());
    }
    let creds = credentials(&cli)?;
    match cli.cmd {
        Cmd::Init { .. } => unreachable!("handled above"),
        Cmd::Key(cmd) => {
            let repo = Repo::open_with(root.clone(), &creds)?;
            match cmd {
                KeyCmd::List { json } => {
                    let keys = repo.key_list()?;
                    if json {
                        println!("{}", serde_json::to_string_pretty(&keys)?);
                    } else {
                        for k in keys {
                            println!(
                                "{}  {:<8}  {}  {}",
                                &k.id[..12],
                                k.kind,
                                k.created.chars().take(19).collect::<String>(),
                                k.recipient.unwrap_or_default()
                            );
                        }
                    }
                }
                KeyCmd::Add {
                    recipient,
                    new_password_file,
                } => {
                    let key = match (recipient, new_password_file) {
                        (Some(r), _) => NewKey::Recipient(parse_recipient(&r)?),
                        (None, Some(f)) => NewKey::Password(
                            read_password(&f)
                                .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?,
                        ),
                        (None, None) => unreachable!("clap requires one"),
                    };
                    let id = repo.key_add(&key)?;
                    eprintln!("added key {}", &id[..12]);
                }
                KeyCmd::Remove { id } => {
                    let gone = repo.key_remove(&id)?;
                    eprintln!("removed key {}", &gone[..12]);
                }
            }
        }
        Cmd::Backup {
            paths,
            mut exclude,
            exclude_file,
            tag,
            dry_run,
            one_file_system,
            json,
        } => {
            if let Some(f) = exclude_file {
                exclude.extend(file_backup::read_exclude_file(&f)?);
            }
            let mut repo = Repo::open_with(root.clone(), &creds)?;
            let opts = BackupOptions {
                excludes: exclude,
                tags: tag,
                dry_run,
                one_file_system,
                progress: if json {
                    Progress::hidden()
                } else {
                    Progress::bytes("backup")
                },
            };
            let result = backup(&mut repo, &paths, &opts);
            opts.progress.finish();
            let (id, snap) = result?;
            if !dry_run {
                push_metrics(&snap);
            }
            if json {
                println!("{}", serde_json::json!({ "id": id, "snapshot": snap }));
            } else {
                let s = &snap.summary;
                eprintln!(
                    "snapshot {} saved: files new {}, changed {}, unchanged {}; {} bytes read, {} added ({} blobs) in {:.2} s",
                    &id[..id.len().min(12)],
                    s.files_new,
                    s.files_changed,
                    s.files_unchanged,
                    s.bytes_read,
                    s.bytes_added,
                    s.blobs_added,
                    s.duration_ms as f64 / 1000.0
                );
            }
        }
        Cmd::Snapshots { json } => {
            let repo = Repo::open_with(root.clone(), &creds)?;
            let all = repo.snapshots()?;
            if json {
                let v: Vec<_> = all
                    .iter()
                    .map(|(id, s)| serde_json::json!({ "id": id, "snapshot": s }))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for (id, s) in &all {
                    println!(
                        "{}  {}  {}  {}",
                        &id[..12],
                        s.time,
                        s.paths.join(" "),
                        s.tags.join(",")
                    );
                }
            }
        }
        Cmd::Ls {
            snapshot,
            path,
            json,
        } => {
            let repo = Repo::open_with(root.clone(), &creds)?;
            let (id, snap) = repo.find_snapshot(&snapshot)?;
            let mut entries = list(&repo, &snap)?;
            if let Some(path) = &path {
                entries
                    .retain(|(p, _)| file_backup::included(std::slice::from_ref(path), p, false));
                anyhow::ensure!(
                    !entries.is_empty(),
                    "{path}: no such path in snapshot {} (see `file-backup ls {}`)",
                    &id[..12],
                    &id[..12]
                );
            }
            if json {
                let v: Vec<_> = entries
                    .iter()
                    .map(|(p, n)| serde_json::json!({ "path": p, "kind": n.kind, "size": n.size, "mode": format!("{:o}", n.mode) }))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for (p, n) in entries {
                    println!("{:<7} {:>6o} {:>12}  {p}", n.kind, n.mode, n.size);
                }
            }
        }
        Cmd::Verify {
            read_data,
            subset,
            json,
        } => {
            let repo = Repo::open_with(root.clone(), &creds)?;
            let progress = if json {
                Progress::hidden()
            } else {
                Progress::items("verify", 0, "blobs")
            };
            let r = file_backup::verify_with(&repo, read_data, subset, &progress);
            progress.finish();
            let r = r?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                for p in &r.problems {
                    println!("{p}");
                }
                eprintln!(
                    "{} snapshot(s), {} tree(s), {} blob(s) referenced, {} read: {} problem(s)",
                    r.snapshots,
                    r.trees,
                    r.blobs_referenced,
                    r.blobs_read,
                    r.problems.len()
                );
            }
            if !r.problems.is_empty() {
                return Err(RepoError::Damaged(
                    "the repository".into(),
                    format!("{} problem(s)", r.problems.len()),
                )
                .into());
            }
        }
        Cmd::Forget {
            keep_last,
            keep_hourly,
            keep_daily,
            keep_weekly,
            keep_monthly,
            keep_yearly,
            dry_run,
            prune,
            json,
        } => {
            use file_backup::retention::Policy;
            let policy = Policy {
                last: keep_last,
                hourly: keep_hourly,
                daily: keep_daily,
                weekly: keep_weekly,
                monthly: keep_monthly,
                yearly: keep_yearly,
            };
            if policy.is_empty() {
                anyhow::bail!(
                    "no policy: give at least one --keep-* (forgetting everything is not a policy)"
                );
            }
            let mut repo = Repo::open_with(root.clone(), &creds)?;
            let lock = repo.lock()?;
            let (removed, kept) = file_backup::forget(&repo, &policy, dry_run)?;
            let pruned = if prune {
                Some(file_backup::prune::prune(&mut repo, dry_run)?)
            } else {
                None
            };
            drop(lock);
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "removed": removed, "kept": kept, "dry_run": dry_run, "prune": pruned })
                );
            } else {
                for id in &removed {
                    println!(
                        "{} {}",
                        if dry_run { "would remove" } else { "removed" },
                        &id[..12]
                    );
                }
                eprintln!(
                    "{} kept, {} {}",
                    kept,
                    removed.len(),
                    if dry_run {
                        "would be removed"
                    } else {
                        "removed"
                    }
                );
                if let Some(r) = &pruned {
                    print_prune(r);
                }
            }
        }
        Cmd::Copy {
            to,
            no_delete,
            json,
        } => {
            let repo = Repo::open_with(root.clone(), &creds)?;
            let _lock = repo.lock()?;
            let target = file_backup::storage::open(&to)?;
            let progress = if json {
                Progress::hidden()
            } else {
                Progress::bar("copy", 0)
            };
            let r = file_backup::copy::copy_with(&repo, target, !no_delete, &progress);
            progress.finish();
            let r = r?;
            if json {
                println!("{}", serde_json::to_string(&r).expect("serialises"));
            } else {
                println!(
                    "{} {}: {} pack(s), {} index file(s), {} snapshot(s) copied ({:.1} MB); {} snapshot(s), {} index file(s), {} pack(s) removed",
                    if r.created {
                        "created replica"
                    } else {
                        "updated replica"
                    },
                    to,
                    r.packs_copied,
                    r.indexes_copied,
                    r.snapshots_copied,
                    r.bytes_copied as f64 / 1e6,
                    r.snapshots_removed,
                    r.indexes_removed,
                    r.packs_removed
                );
            }
        }
        Cmd::Report { format, last } => {
            use file_backup::report;
            let repo = Repo::open_with(root.clone(), &creds)?;
            let r = report::report(&repo, last)?;
            match format {
                ReportFormat::Md => print!("{}", report::markdown(&r)),
                ReportFormat::Html => print!("{}", report::html(&r)),
                ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&r)?),
            }
        }
        Cmd::Prune { dry_run, json } => {
            let mut repo = Repo::open_with(root.clone(), &creds)?;
            let _lock = repo.lock()?;
            let progress = if json {
                Progress::hidden()
            } else {
                Progress::items("prune", 0, "blobs and packs")
            };
            let report = file_backup::prune::prune_with(&mut repo, dry_run, &progress);
            progress.finish();
            let report = report?;
            if json {
                println!("{}", serde_json::to_string(&report).expect("serialises"));
            } else {
                print_prune(&report);
            }
        }
        Cmd::Diff { a, b, json } => {
            let repo = Repo::open_with(root.clone(), &creds)?;
            let (_, sa) = repo.find_snapshot(&a)?;
            let (_, sb) = repo.find_snapshot(&b)?;
            let changes = diff(&repo, &sa, &sb)?;
            if json {
                let v: Vec<_> = changes
                    .iter()
                    .map(|(c, p)| serde_json::json!({ "change": c.to_string(), "path": p }))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for (c, p) in &changes {
                    println!("{c} {p}");
                }
                eprintln!("{} change(s)", changes.len());
            }
        }
        Cmd::Unlock => {
            let repo = Repo::open_with(root.clone(), &creds)?;
            eprintln!("removed {} lock(s)", repo.unlock()?);
        }
        Cmd::Run { .. } | Cmd::Units { .. } => unreachable!("handled by run_jobs"),
        Cmd::Restore {
            snapshot,
            target,
            include,
        } => {
            let repo = Repo::open_with(root.clone(), &creds)?;
            let (id, snap) = repo.find_snapshot(&snapshot)?;
            let entries = list(&repo, &snap)?;
            if !include.is_empty() {
                for inc in &include {
                    anyhow::ensure!(
                        entries.iter().any(|(p, _)| file_backup::included(
                            std::slice::from_ref(inc),
                            p,
                            false
                        )),
                        "--include {inc}: no such path in snapshot {} (see `file-backup ls {}`)",
                        &id[..12],
                        &id[..12]
                    );
                }
            }
            let total = entries
                .iter()
                .filter(|(p, n)| n.kind == "file" && file_backup::included(&include, p, false))
                .map(|(_, n)| n.size)
                .sum();
            let progress = Progress::bar("restore", total);
            let result = restore_with(&repo, &snap, &target, &include, &progress);
            progress.finish();
            let (files, bytes) = result?;
            eprintln!(
                "restored snapshot {} to {}: {files} file(s), {bytes} bytes, every blob verified",
                &id[..12],
                target.display()
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if e.downcast_ref::<RepoError>().is_some() || e.downcast_ref::<JobsFailed>().is_some() {
                ExitCode::from(1)
            } else {
                ExitCode::from(2)
            }
        }
    }
}
