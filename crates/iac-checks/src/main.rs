//! `iac-checks`: static checks of Terraform modules, rendered Kubernetes manifests and
//! Dockerfiles; and the Terraform modules' README tables.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use iac_checks::{Finding, bake, dockerfile, docs, kubernetes, terraform};

/// Static checks of the platform's infrastructure artefacts. Exit status: 0 clean, 1 findings
/// (or a README out of step), 2 unreadable input.
///
/// Examples:
///   iac-checks terraform projects/iac/secure-vpc-infra projects/iac/secure-vpc-infra/examples/prod
///   iac-checks kubernetes projects/orchestration/kubernetes-helm-chart/golden/*.yaml
///   iac-checks dockerfile projects/devops/container-images/rust-service.Dockerfile --json
///   iac-checks bake projects/devops/container-images/docker-bake.hcl --root .
///   iac-checks docs projects/iac/rds-postgresql-infra --write
#[derive(Parser)]
#[command(version, verbatim_doc_comment)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
    /// Print the findings as a JSON array.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum Cmd {
    /// Check Terraform module directories (each directory's *.tf files, not subdirectories).
    Terraform {
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
    /// Check Kubernetes manifests (multi-document YAML, e.g. `helm template` output).
    Kubernetes {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Check Dockerfiles.
    Dockerfile {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Check a docker-bake.hcl: every built rust-service of the catalog has a target, each
    /// target's stage exists, amd64 and arm64 are built.
    Bake {
        file: PathBuf,
        /// The repository (catalog and Dockerfile paths are relative to it).
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
    /// Check (or with --write, regenerate) the inputs/outputs tables of module READMEs.
    Docs {
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Rewrite the README section between the BEGIN_TF_DOCS/END_TF_DOCS markers.
        #[arg(long)]
        write: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("iac-checks: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<bool> {
    let mut findings: Vec<Finding> = Vec::new();
    match &cli.cmd {
        Cmd::Terraform { dirs } => {
            for d in dirs {
                findings.extend(terraform::check_dir(d)?);
            }
        }
        Cmd::Kubernetes { files } => {
            for f in files {
                findings.extend(kubernetes::check_file(f)?);
            }
        }
        Cmd::Dockerfile { files } => {
            for f in files {
                findings.extend(dockerfile::check_file(f)?);
            }
        }
        Cmd::Bake { file, root } => findings.extend(bake::check(file, root)?),
        Cmd::Docs { dirs, write } => {
            let mut ok = true;
            for d in dirs {
                match docs::check(d)? {
                    None => println!("{}: README tables in step", d.display()),
                    Some(want) if *write => {
                        std::fs::write(d.join("README.md"), want)?;
                        println!("{}: README tables rewritten", d.display());
                    }
                    Some(_) => {
                        ok = false;
                        println!(
                            "{}: README inputs/outputs tables differ from the code; run `iac-checks docs {} --write`",
                            d.display(),
                            d.display()
                        );
                    }
                }
            }
            return Ok(ok);
        }
    }
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&findings)?);
    } else {
        for f in &findings {
            println!("{f}");
        }
        println!(
            "{} finding{}",
            findings.len(),
            if findings.len() == 1 { "" } else { "s" }
        );
    }
    Ok(findings.is_empty())
}
