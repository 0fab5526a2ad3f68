//! `admission-policy`: see the crate documentation and the project README.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use admission_policy::{Policies, default_dir, gatekeeper, params, read_manifests, webhook};
use clap::{Parser, Subcommand};

/// Kubernetes admission policies (Rego, evaluated with regorus): check manifests offline, run
/// the validating webhook, write Gatekeeper templates and OPA bundles.
///
/// Examples:
///   admission-policy list
///   admission-policy eval deploy/*.yaml --env prod
///   helm template my-app chart/ | admission-policy eval - --json
///   admission-policy serve --tls-cert tls.crt --tls-key tls.key --env prod
///   admission-policy gatekeeper --check
///   admission-policy bundle --out policies.tar.gz
#[derive(Parser)]
#[command(version, verbatim_doc_comment)]
struct Cli {
    /// The policy folder (*.rego and lib/k8s.rego; parameters in ../params/ENV.yaml).
    #[arg(long, global = true, env = "ADMISSION_POLICIES", value_name = "DIR")]
    policies: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// The policies with their titles.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Evaluate the objects of manifest files (multi-document YAML, `-` for standard input);
    /// exit 1 when any is denied or a file cannot be read.
    Eval {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Parameters of this environment (params/ENV.yaml: trusted registries, runtime classes).
        #[arg(long, default_value = "prod")]
        env: String,
        #[arg(long)]
        json: bool,
    },
    /// Run the validating admission webhook (AdmissionReview v1) over HTTPS.
    Serve {
        #[arg(long, env = "ADMISSION_LISTEN", default_value = "127.0.0.1:8443")]
        listen: String,
        #[arg(long, env = "ADMISSION_TLS_CERT", value_name = "PEM")]
        tls_cert: PathBuf,
        #[arg(long, env = "ADMISSION_TLS_KEY", value_name = "PEM")]
        tls_key: PathBuf,
        #[arg(long, env = "ADMISSION_ENV", default_value = "prod")]
        env: String,
        /// Append a JSON line per decision here (default: standard output).
        #[arg(long, value_name = "FILE")]
        audit_log: Option<PathBuf>,
    },
    /// Write the Gatekeeper ConstraintTemplates and per-environment Constraints (gatekeeper/).
    Gatekeeper {
        /// Only compare; exit 1 when a file is stale.
        #[arg(long)]
        check: bool,
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Pack the policies as an OPA bundle (.tar.gz with .manifest).
    Bundle {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[arg(long, default_value = env!("CARGO_PKG_VERSION"))]
        revision: String,
    },
    /// Latency figures: decisions in the process, and over HTTPS against URL when given.
    #[command(hide = true)]
    Bench {
        #[arg(long, default_value_t = 2000)]
        n: usize,
        /// Also write each object as an AdmissionReview body, one JSON line each (for an HTTPS
        /// client).
        #[arg(long, value_name = "FILE")]
        reviews: Option<PathBuf>,
        #[arg(value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("admission-policy: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let dir = cli.policies.clone().unwrap_or_else(default_dir);
    let policies = Policies::load(&dir)?;
    match cli.cmd {
        Cmd::List { json } => {
            if json {
                let v: Vec<_> = policies
                    .list
                    .iter()
                    .map(|p| serde_json::json!({"id": p.id, "title": p.title, "package": p.package(), "gatekeeper_kind": gatekeeper::kind(p)}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for p in &policies.list {
                    println!("{:30} {}", p.id, p.title);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Eval { files, env, json } => {
            let params = params(&dir, &env)?;
            let mut denied = 0usize;
            let mut errors = 0usize;
            let mut objects = 0usize;
            let mut report = Vec::new();
            for file in &files {
                let docs = if file.as_os_str() == "-" {
                    let tmp = std::env::temp_dir()
                        .join(format!("admission-stdin-{}", std::process::id()));
                    let mut text = String::new();
                    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
                    std::fs::write(&tmp, text)?;
                    let r = read_manifests(&tmp).map(|mut d| {
                        d.iter_mut().for_each(|d| d.file = PathBuf::from("-"));
                        d
                    });
                    let _ = std::fs::remove_file(&tmp);
                    r
                } else {
                    read_manifests(file)
                };
                let docs = match docs {
                    Ok(d) => d,
                    Err(e) => {
                        // The other files are still checked.
                        errors += 1;
                        eprintln!("error: {e:#}");
                        report.push(serde_json::json!({"file": file, "error": format!("{e:#}")}));
                        continue;
                    }
                };
                for d in docs {
                    objects += 1;
                    let violations = policies.evaluate(&d.object, &params)?;
                    if !violations.is_empty() {
                        denied += 1;
                    }
                    if !json {
                        for v in &violations {
                            println!(
                                "{}:{} {}: {}",
                                d.file.display(),
                                d.line,
                                d.name(),
                                v.message
                            );
                        }
                    }
                    report.push(serde_json::json!({
                        "file": d.file, "line": d.line, "object": d.name(),
                        "allowed": violations.is_empty(), "violations": violations,
                    }));
                }
            }
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "env": env, "objects": objects, "denied": denied, "errors": errors, "results": report,
                    }))?
                );
            } else {
                eprintln!(
                    "{objects} object(s) in {} file(s) under `{env}`: {denied} denied, {errors} unreadable",
                    files.len()
                );
            }
            Ok(if denied + errors > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Cmd::Serve {
            listen,
            tls_cert,
            tls_key,
            env,
            audit_log,
        } => {
            let params = params(&dir, &env)?;
            let tls = webhook::tls_config(&tls_cert, &tls_key)?;
            let audit: Box<dyn std::io::Write + Send> = match &audit_log {
                Some(p) => Box::new(
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(p)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
                ),
                None => Box::new(std::io::stdout()),
            };
            let hook = webhook::Webhook::new(policies, params, audit);
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(&listen)
                    .await
                    .map_err(|e| anyhow::anyhow!("{listen}: {e}"))?;
                eprintln!(
                    "admission webhook on https://{} (environment {env}): POST /validate, GET /metrics",
                    listener.local_addr()?
                );
                let stop = async {
                    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                        .expect("a SIGTERM handler");
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                };
                webhook::serve_tls(listener, tls, webhook::router(hook), stop).await
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Gatekeeper { check, out } => {
            let out = out.unwrap_or_else(|| dir.join("../gatekeeper"));
            let stale = gatekeeper::sync(&policies, &out, check)?;
            if check && !stale.is_empty() {
                for s in &stale {
                    println!(
                        "{}/{s} is out of date: run `admission-policy gatekeeper`",
                        out.display()
                    );
                }
                return Ok(ExitCode::from(1));
            }
            eprintln!(
                "{} Gatekeeper file(s) {} ({} policies)",
                gatekeeper::files(&policies)?.len(),
                if check { "are current" } else { "written" },
                policies.list.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Bundle { out, revision } => {
            let n = admission_policy::bundle(&policies, &revision, &out)?;
            eprintln!(
                "wrote {} ({n} Rego files, revision {revision})",
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Bench { n, reviews, files } => {
            let params = params(&dir, "prod")?;
            let mut docs = Vec::new();
            for f in &files {
                docs.extend(read_manifests(f)?);
            }
            anyhow::ensure!(!docs.is_empty(), "give manifest files to evaluate");
            if let Some(path) = &reviews {
                let mut text = String::new();
                for (i, d) in docs.iter().enumerate() {
                    text += &serde_json::json!({
                        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                        "request": {"uid": format!("bench-{i}"), "operation": "CREATE", "object": d.object},
                    })
                    .to_string();
                    text.push('\n');
                }
                std::fs::write(path, text)?;
            }
            let mut times = Vec::with_capacity(n);
            for i in 0..n {
                let d = &docs[i % docs.len()];
                let start = Instant::now();
                let _ = policies.evaluate(&d.object, &params)?;
                times.push(start.elapsed().as_secs_f64() * 1e3);
            }
            times.sort_by(|a, b| a.total_cmp(b));
            let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
            println!(
                "in-process: {n} decisions over {} object(s), {} policies: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
                docs.len(),
                policies.list.len(),
                pct(0.5),
                pct(0.99),
                times[times.len() - 1]
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
