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
///   posture rules list --json
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
    },
    /// The rules.
    #[command(subcommand)]
    Rules(RulesCmd),
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
        Cmd::Scan {
            paths,
            format,
            fail_on,
            json,
            exclude,
        } => {
            for p in &paths {
                anyhow::ensure!(p.exists(), "{}: no such file or folder", p.display());
            }
            let start = std::time::Instant::now();
            let scan = posture::scan(&rules, &paths, &exclude)?;
            let elapsed = start.elapsed();
            if json {
                let mut s = report::summary(&scan);
                s["seconds"] = serde_json::json!(elapsed.as_secs_f64());
                println!("{s}");
            } else {
                match format {
                    Format::Table => print!("{}", report::table(&scan)),
                    Format::Json => {
                        println!("{}", serde_json::to_string_pretty(&report::json(&scan))?)
                    }
                    Format::Sarif => println!(
                        "{}",
                        serde_json::to_string_pretty(&report::sarif(&scan, &rules))?
                    ),
                }
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
            Ok(if failing > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}
