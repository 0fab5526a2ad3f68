//! `mlops`: the command line over the library (parsing, printing, exit status).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mlops::commands::{self, Env};
use mlops::config::Config;
use mlops::metrics::show;

const AFTER: &str = "\
The cycle, as CI runs it (.github/workflows/mlops.yml):
  mlops validate && mlops train && mlops evaluate && mlops register
  mlops promote --version 3 --to staging
  mlops approve --version 3            # by an approver of environments/prod.toml, not the registrant
  mlops promote --version 3 --to production
  mlops rollback --stage production
  mlops drift                          # exit 1 on drift; PUSHGATEWAY_URL gets the figures

Exit status: 0 done; 1 a gate, contract, approval rule or drift threshold said no; 2 an error
(bad input, unreadable lake or registry).";

#[derive(Debug, Parser)]
#[command(name = "mlops", version, about, after_help = AFTER, max_term_width = 100)]
struct Cli {
    /// The life cycle's settings (data contract, training, gates, drift); defaults when unset.
    #[arg(long, global = true, env = "MLOPS_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// The lake: a folder, file:// or s3://BUCKET/PREFIX.
    #[arg(
        long,
        global = true,
        env = "LAKE_URL",
        default_value = ".portfolio/data/lake"
    )]
    lake: String,
    /// The model registry: a folder or s3://BUCKET/PREFIX.
    #[arg(
        long,
        global = true,
        env = "MLOPS_REGISTRY",
        default_value = ".portfolio/data/models"
    )]
    registry: String,
    /// The repository (environments/ for approvers, git for the commit, audits/ for evidence).
    #[arg(long, global = true, env = "PORTFOLIO_ROOT", default_value = ".")]
    repo: PathBuf,
    #[command(subcommand)]
    command: Cmd,
}

const RUN: &str = ".portfolio/data/mlops/run";

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Check the training data's contract: schema, types, nulls, ranges, label balance,
    /// leakage, row count. Exit 1 when a check fails.
    #[command(
        after_help = "Examples:\n  mlops validate\n  mlops validate --csv features.csv --out reports/ --json"
    )]
    Validate {
        /// Read this CSV (the table's columns, as `mlops export` writes them) instead of the lake.
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
        /// Also write validation.json and validation.md here.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Train on the oldest part of the data (time-based split); writes the run folder.
    #[command(after_help = "Example:\n  mlops --config train.toml train --out runs/today")]
    Train {
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
        /// The run folder (model.json, model-meta.json, train-report.json, test-set.csv).
        #[arg(long, value_name = "DIR", default_value = RUN)]
        out: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Score the run's model on its test part; quality and slice gates (exit 1 on a failed gate).
    #[command(after_help = "Example:\n  mlops evaluate --run runs/today")]
    Evaluate {
        #[arg(long, value_name = "DIR", default_value = RUN)]
        run: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Register the evaluated run as the next version, with its model card and signatures.
    Register {
        #[arg(long, value_name = "DIR", default_value = RUN)]
        run: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Approve a version for production (you: PORTFOLIO_ACTOR or git's user.email).
    Approve {
        #[arg(long)]
        version: u32,
        #[arg(long)]
        comment: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Make a version serve a stage (passed gates; production: approvals too).
    Promote {
        #[arg(long)]
        version: u32,
        /// staging or production.
        #[arg(long, value_name = "STAGE")]
        to: String,
        #[arg(long)]
        json: bool,
    },
    /// Put back the version a stage served before.
    Rollback {
        /// staging or production.
        #[arg(long, value_name = "STAGE")]
        stage: String,
        #[arg(long)]
        json: bool,
    },
    /// Registered versions, what serves each stage, the history.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Check a version's files against its signatures.
    Verify {
        #[arg(long)]
        version: u32,
    },
    /// Population stability of each feature and of the predictions, recent window vs the
    /// serving model's training window. Exit 1 on drift; pushes to PUSHGATEWAY_URL when set.
    #[command(
        after_help = "Examples:\n  mlops drift\n  mlops drift --current scored-last-week.csv --json"
    )]
    Drift {
        /// Compare this CSV (the table's columns) instead of the lake's recent window.
        #[arg(long, value_name = "FILE")]
        current: Option<PathBuf>,
        /// Push the figures here (default: PUSHGATEWAY_URL; empty: not pushed).
        #[arg(long, value_name = "URL")]
        pushgateway: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Write the data as CSV: the table's columns, or with --matrix the model's features,
    /// label and each row's part (the scikit-learn baseline's input).
    Export {
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
        #[arg(long)]
        matrix: bool,
        /// The output file (`-`: standard output).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Keep a model in staging: when none serves it and the data passes its contract,
    /// validate → train → evaluate → register → promote to staging (`portfolio up` runs it).
    #[command(
        after_help = "Examples:\n  mlops ensure\n  mlops ensure --every 60   # as `portfolio up` runs it"
    )]
    Ensure {
        #[arg(long, value_name = "DIR", default_value = RUN)]
        run: PathBuf,
        /// Check again every this many seconds (until stopped), printing what changes.
        #[arg(long, value_name = "SECONDS")]
        every: Option<u64>,
        #[arg(long)]
        json: bool,
    },
}

fn json(v: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(v).expect("outcomes serialise")
    );
}

/// A run folder or the config file: relative to the repository under `portfolio up`, like
/// the lake.
fn at_root(p: PathBuf) -> PathBuf {
    PathBuf::from(lake::resolve(&p.display().to_string()))
}

fn warn_evidence(warning: &Option<String>) {
    if let Some(w) = warning {
        eprintln!("warning: audit evidence not written: {w}");
    }
}

fn run(cli: Cli) -> anyhow::Result<bool> {
    let env = Env {
        config: Config::load(cli.config.map(at_root).as_deref())?,
        // Relative to the repository under `portfolio up` (a URL is kept).
        lake: lake::resolve(&cli.lake),
        registry: cli.registry,
        // Absolute: `portfolio audit record --root` runs from elsewhere.
        repo: cli.repo.canonicalize().unwrap_or(cli.repo),
    };
    match cli.command {
        Cmd::Validate {
            csv,
            out,
            json: as_json,
        } => {
            let r = commands::validate(&env, csv.as_deref(), out.as_deref())?;
            if as_json {
                json(&r);
            } else {
                for c in r.failures() {
                    println!("FAIL {} {}: {}", c.kind, c.subject, c.detail);
                }
                eprintln!(
                    "{}: {} — {} row(s), {} with a known outcome, {}/{} check(s) passed",
                    r.source,
                    if r.passed {
                        "contract holds"
                    } else {
                        "contract broken"
                    },
                    r.rows,
                    r.settled_rows,
                    r.checks.iter().filter(|c| c.passed).count(),
                    r.checks.len()
                );
            }
            Ok(r.passed)
        }
        Cmd::Train {
            csv,
            out,
            json: as_json,
        } => {
            let out = at_root(out);
            let r = commands::train(&env, csv.as_deref(), &out)?;
            if as_json {
                json(&r);
            } else {
                eprintln!(
                    "trained {} tree(s) on {} row(s) ({} to {}) in {:.2}s; validation AUC {}, threshold {:.2}; run in {}",
                    r.trees,
                    r.train_rows,
                    r.train_window.0,
                    r.train_window.1,
                    r.fit_seconds,
                    show(r.validation_auc),
                    r.threshold,
                    out.display()
                );
            }
            Ok(true)
        }
        Cmd::Evaluate { run, json: as_json } => {
            let e = commands::evaluate(&env, &at_root(run))?;
            if as_json {
                json(&e);
            } else {
                for g in &e.gates {
                    println!(
                        "{} {}: {}",
                        if g.passed { "pass" } else { "FAIL" },
                        g.name,
                        g.detail
                    );
                }
                eprintln!(
                    "test ROC AUC {}, PR AUC {}, Brier {:.4} on {} row(s): gates {}",
                    show(e.metrics.roc_auc),
                    show(e.metrics.pr_auc),
                    e.metrics.brier,
                    e.metrics.rows,
                    if e.passed { "passed" } else { "FAILED" }
                );
            }
            Ok(e.passed)
        }
        Cmd::Register { run, json: as_json } => {
            let card = commands::register(&env, &at_root(run))?;
            if as_json {
                json(&card);
            } else {
                eprintln!(
                    "registered late-task v{} in {} (gates {}; card: v{}/card.md)",
                    card.version,
                    env.registry,
                    if card.gates_passed {
                        "passed"
                    } else {
                        "failed"
                    },
                    card.version
                );
            }
            Ok(true)
        }
        Cmd::Approve {
            version,
            comment,
            json: as_json,
        } => {
            let a = commands::approve(&env, version, comment)?;
            if as_json {
                json(&a);
            } else {
                eprintln!("{} approved late-task v{} for production", a.by, a.version);
            }
            Ok(true)
        }
        Cmd::Promote {
            version,
            to,
            json: as_json,
        } => {
            let r = commands::promote(&env, version, &to)?;
            if as_json {
                json(&r);
            } else {
                warn_evidence(&r.evidence_warning);
                eprintln!(
                    "late-task v{} now serves {}{}",
                    version,
                    to,
                    r.outcome
                        .replaced
                        .map(|v| format!(" (was v{v}; `mlops rollback --stage {to}` puts it back)"))
                        .unwrap_or_default()
                );
            }
            Ok(true)
        }
        Cmd::Rollback {
            stage,
            json: as_json,
        } => {
            let r = commands::rollback(&env, &stage)?;
            if as_json {
                json(&r);
            } else {
                warn_evidence(&r.evidence_warning);
                eprintln!(
                    "{} rolled back: v{} → v{}",
                    stage, r.outcome.from, r.outcome.to
                );
            }
            Ok(true)
        }
        Cmd::Status { json: as_json } => {
            let s = commands::status(&env)?;
            if as_json {
                json(&s);
            } else {
                println!(
                    "{:<8} {:<21} {:<28} {:>8} {:<6} stages",
                    "version", "registered", "by", "AUC", "gates"
                );
                for v in &s.versions {
                    println!(
                        "v{:<7} {:<21} {:<28} {:>8} {:<6} {}",
                        v.version,
                        v.registered_at,
                        v.registered_by,
                        show(v.roc_auc),
                        if v.gates_passed { "pass" } else { "fail" },
                        v.stages.join(", ")
                    );
                }
                if s.versions.is_empty() {
                    eprintln!(
                        "no model registered in {} yet (`mlops register`)",
                        s.registry
                    );
                }
            }
            Ok(true)
        }
        Cmd::Verify { version } => {
            mlops::registry::Registry::open(&env.registry)?.verify(version)?;
            eprintln!("late-task v{version}: every file matches its signature");
            Ok(true)
        }
        Cmd::Drift {
            current,
            pushgateway,
            json: as_json,
        } => {
            let r = commands::drift(&env, current.as_deref())?;
            if let Some(url) = pushgateway
                .or_else(|| std::env::var("PUSHGATEWAY_URL").ok())
                .filter(|u| !u.is_empty())
                && let Err(e) =
                    commands::push_metrics(&url, &r.prometheus(chrono::Utc::now().timestamp()))
            {
                // The drift figures are printed either way; a failed push is a warning.
                eprintln!("warning: {e}");
            }
            if as_json {
                json(&r);
            } else {
                for f in r.features.iter().chain(r.prediction.iter()) {
                    println!("{:<24} PSI {:>7.4}  {}", f.feature, f.psi, f.status);
                }
                eprintln!(
                    "{}: {} row(s) vs {} ({} row(s)): {}",
                    r.current, r.current_rows, r.reference, r.reference_rows, r.status
                );
            }
            Ok(r.status != "drift")
        }
        Cmd::Export { csv, matrix, out } => {
            let rows = if out.as_os_str() == "-" {
                commands::export(&env, csv.as_deref(), matrix, &mut std::io::stdout().lock())?
            } else {
                let mut f = std::fs::File::create(&out)
                    .map_err(|e| anyhow::anyhow!("writing {}: {e}", out.display()))?;
                commands::export(&env, csv.as_deref(), matrix, &mut f)?
            };
            eprintln!("exported {rows} row(s)");
            Ok(true)
        }
        Cmd::Ensure {
            run,
            every,
            json: as_json,
        } => {
            let run = at_root(run);
            let mut last = String::new();
            loop {
                // In a loop an error is reported and retried, not fatal.
                let line = match commands::ensure(&env, &run) {
                    Ok(r) if as_json => serde_json::to_string(&r).expect("serialises"),
                    Ok(r) => r.to_string(),
                    Err(e) if every.is_some() => format!("error: {e:#}"),
                    Err(e) => return Err(e),
                };
                if line != last {
                    println!("{line}");
                    last = line;
                }
                match every {
                    Some(s) => std::thread::sleep(std::time::Duration::from_secs(s.max(1))),
                    None => return Ok(!last.contains("refused")),
                }
            }
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) if e.downcast_ref::<mlops::promote::Refused>().is_some() => {
            eprintln!("refused: {e}");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
