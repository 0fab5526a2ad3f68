//! `posture`: see the crate documentation and the project README.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use posture::report;
use posture::rules::{RuleSet, Severity, builtin_dir};

/// Cloud security posture scanner: Terraform (HCL and plan JSON), Kubernetes YAML and
/// Dockerfiles against Rego rule packs.
///
/// Examples:
///   posture scan projects/iac
///   posture scan infra/ deploy/ --format sarif > posture.sarif
///   posture scan . --fail-on high --json
///   posture scan . --rules my-rules/        # your packs beside the built-in ones
///   posture scan . --format junit --output posture.xml --baseline posture-baseline.yaml
///   posture baseline write posture-baseline.yaml . --owner team-cloud --reason "migration" --expires 2027-03-31
///   posture rules list --json
///
/// With PUSHGATEWAY_URL set, each scan pushes findings_total{severity} and critical_findings.
#[derive(Parser)]
#[command(version, verbatim_doc_comment)]
struct Cli {
    /// More rule packs: a folder of packs (sub-folders of *.rego) or of rules. Repeatable.
    #[arg(long, global = true, value_name = "DIR")]
    rules: Vec<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Scan files and folders (input types are detected by content).
    Scan {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Exit 1 when a finding (not suppressed) has this severity or more.
        #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
        fail_on: Option<Severity>,
        /// A JSON summary on standard output (counts by severity), for CI.
        #[arg(long)]
        json: bool,
        /// Skip paths matching this pattern (`*` matches anything, e.g. '*/tests/broken/*').
        /// Repeatable.
        #[arg(long, value_name = "GLOB")]
        exclude: Vec<String>,
        /// Known findings accepted until a date (owner, reason, expiry): they are suppressed and
        /// only new findings show; an expired entry fails the scan.
        #[arg(long, value_name = "FILE")]
        baseline: Option<PathBuf>,
        /// Write the report here instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Baseline files.
    #[command(subcommand)]
    Baseline(BaselineCmd),
    /// The rules.
    #[command(subcommand)]
    Rules(RulesCmd),
}

#[derive(Subcommand)]
enum BaselineCmd {
    /// Record the current findings of PATHS as a baseline file.
    Write {
        file: PathBuf,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long)]
        owner: String,
        #[arg(long)]
        reason: String,
        /// YYYY-MM-DD
        #[arg(long)]
        expires: String,
        #[arg(long, value_name = "GLOB")]
        exclude: Vec<String>,
    },
}

#[derive(Subcommand)]
enum RulesCmd {
    /// Every rule with its id, severity, pack and title.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
    Sarif,
    Junit,
    Html,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| format!("`{s}`: one of critical, high, medium, low"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("posture: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut dirs = vec![builtin_dir()];
    dirs.extend(cli.rules.iter().cloned());
    let rules = RuleSet::load(&dirs)?;
    match cli.cmd {
        Cmd::Rules(RulesCmd::List { json }) => {
            if json {
                println!("{}", serde_json::to_string_pretty(&rules.rules)?);
            } else {
                for r in &rules.rules {
                    println!(
                        "{:14} {:8} {:11} {}",
                        r.id,
                        r.severity.as_str(),
                        r.pack,
                        r.title
                    );
                }
                eprintln!("{} rule(s)", rules.rules.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Baseline(BaselineCmd::Write {
            file,
            paths,
            owner,
            reason,
            expires,
            exclude,
        }) => {
            let scan = posture::scan(&rules, &paths, &exclude)?;
            let b = posture::baseline::Baseline::of(&scan.findings, &owner, &reason, &expires);
            let text = serde_yaml_ng::to_string(&b)?;
            std::fs::write(
                &file,
                format!("# Written by `posture baseline write`; review each entry.\n{text}"),
            )
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            // Read back: the same checks as a hand-written file.
            posture::baseline::Baseline::load(&file)?;
            eprintln!(
                "wrote {} ({} entries)",
                file.display(),
                b.suppressions.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Scan {
            paths,
            format,
            fail_on,
            json,
            exclude,
            baseline,
            output,
        } => {
            for p in &paths {
                anyhow::ensure!(p.exists(), "{}: no such file or folder", p.display());
            }
            let baseline = baseline
                .as_deref()
                .map(posture::baseline::Baseline::load)
                .transpose()?;
            let start = std::time::Instant::now();
            let mut scan = posture::scan(&rules, &paths, &exclude)?;
            let expired = match &baseline {
                Some(b) => b.apply(&mut scan.findings, &posture::baseline::today()),
                None => Vec::new(),
            };
            let elapsed = start.elapsed();
            if let Ok(url) = std::env::var("PUSHGATEWAY_URL") {
                let url = format!("{}/metrics/job/posture", url.trim_end_matches('/'));
                if let Err(e) = ureq::put(&url)
                    .header("content-type", "text/plain; version=0.0.4")
                    .send(report::metrics(&scan).as_bytes())
                {
                    eprintln!("warning: pushing metrics to {url}: {e}");
                }
            }
            let text = match format {
                Format::Table => report::table(&scan),
                Format::Json => serde_json::to_string_pretty(&report::json(&scan))? + "\n",
                Format::Sarif => {
                    serde_json::to_string_pretty(&report::sarif(&scan, &rules))? + "\n"
                }
                Format::Junit => report::junit(&scan, &rules),
                Format::Html => report::html(&scan),
            };
            if let Some(out) = &output {
                std::fs::write(out, &text)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
            }
            if json {
                let mut s = report::summary(&scan);
                s["seconds"] = serde_json::json!(elapsed.as_secs_f64());
                s["expired_baseline_entries"] = serde_json::json!(expired.len());
                println!("{s}");
            } else if output.is_none() {
                print!("{text}");
            }
            for e in &expired {
                eprintln!(
                    "error: baseline entry for {} {} (owner {}) expired on {}: fix the finding or renew the entry",
                    e.rule,
                    e.resource.as_deref().unwrap_or("(every resource)"),
                    e.owner,
                    e.expires
                );
            }
            let s = report::summary(&scan);
            eprintln!(
                "{} resource(s), {} finding(s) ({} suppressed), {} unreadable, in {:.2} s",
                scan.resources,
                s["findings"],
                s["suppressed"],
                scan.errors.len(),
                elapsed.as_secs_f64()
            );
            let failing = fail_on.map(|min| scan.failing(min)).unwrap_or(0);
            Ok(if failing > 0 || !expired.is_empty() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}
