//! `portfolio`: parses arguments, calls the library, prints, and maps outcomes to exit codes.

use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use clap::Parser;
use serde::Serialize;

use portfolio::affected;
use portfolio::bootstrap::{self, Status};
use portfolio::catalog::{Catalog, find_root};
use portfolio::cli::{CatalogCmd, Cli, Cmd, RunArgs};
use portfolio::delivery;
use portfolio::diag::Diagnostic;
use portfolio::graph::{self, Graph};
use portfolio::kinds::TaskName;
use portfolio::release;
use portfolio::runner::{self, ExecOptions, Outcome, Selection};
use portfolio::supervisor::{self, UpError};
use portfolio::table;
use portfolio::validate;

/// Why a command did not succeed.
enum Failure {
    /// Problems were found and printed (exit 1).
    Problems,
    /// Problems to print as `path:line: message` (exit 1).
    Diagnostics(Vec<Diagnostic>),
    /// Usage or environment error (exit 2).
    Usage(String),
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Usage(e.to_string())
    }
}

type CmdResult = Result<(), Failure>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Problems) => ExitCode::from(1),
        Err(Failure::Diagnostics(diags)) => {
            for d in &diags {
                eprintln!("{d}");
            }
            eprintln!("{} problem(s)", diags.len());
            ExitCode::from(1)
        }
        Err(Failure::Usage(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn print_json<T: Serialize>(value: &T) {
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut out, value);
    let _ = writeln!(out);
}

/// Loads catalog and graph; any manifest or graph problem stops the command (exit 1).
fn load(root: &Path) -> Result<(Catalog, Graph), Failure> {
    let (catalog, mut diags) = Catalog::load(root)?;
    let (graph, graph_diags) = Graph::build(&catalog);
    diags.extend(graph_diags);
    if diags.is_empty() {
        Ok((catalog, graph))
    } else {
        portfolio::diag::normalize(&mut diags);
        Err(Failure::Diagnostics(diags))
    }
}

fn run(cli: Cli) -> CmdResult {
    let cwd = std::env::current_dir()?;
    let root = find_root(cli.root.as_deref(), &cwd)?;
    let root = root.canonicalize().unwrap_or(root);
    match cli.command {
        Cmd::Catalog(CatalogCmd::List { json, markdown }) => catalog_list(&root, json, markdown),
        Cmd::Catalog(CatalogCmd::Show { id, json }) => catalog_show(&root, &id, json),
        Cmd::Graph { format } => {
            let (catalog, graph) = load(&root)?;
            print!("{}", graph::render(&catalog, &graph, format));
            Ok(())
        }
        Cmd::Affected { since, json } => {
            let (catalog, graph) = load(&root)?;
            let files = affected::changed_files(&root, &since)?;
            let result = affected::affected(&catalog, &graph, &since, &files);
            if json {
                print_json(&result);
            } else if result.projects.is_empty() {
                eprintln!(
                    "no project affected by {} changed file(s) since {since}",
                    result.changed_files
                );
            } else {
                let rows: Vec<Vec<String>> = result
                    .projects
                    .iter()
                    .map(|p| vec![p.id.clone(), p.reason.clone()])
                    .collect();
                print!("{}", table::render(&["project", "why"], &rows));
            }
            Ok(())
        }
        Cmd::Validate { json } => {
            let started = Instant::now();
            let report = validate::validate(&root)?;
            if json {
                print_json(&report);
            } else {
                for d in &report.problems {
                    println!("{d}");
                }
                eprintln!(
                    "validated {} project(s) and {} Markdown file(s) in {} ms: {} problem(s)",
                    report.projects,
                    report.markdown_files,
                    started.elapsed().as_millis(),
                    report.problems.len()
                );
            }
            if report.problems.is_empty() {
                Ok(())
            } else {
                Err(Failure::Problems)
            }
        }
        Cmd::Bootstrap {
            check,
            install,
            scope,
            json,
        } => bootstrap_cmd(&root, check, install, scope, json),
        Cmd::Lint(args) => run_task(&root, TaskName::Lint, args),
        Cmd::Test(args) => run_task(&root, TaskName::Test, args),
        Cmd::Build(args) => run_task(&root, TaskName::Build, args),
        Cmd::Up { ids, detach } => up(&root, &ids, detach),
        Cmd::Down { json, env } => {
            let root = env_root(&root, env.as_deref())?;
            let report = supervisor::down(&root, Duration::from_secs(30))?;
            if json {
                print_json(&report);
            } else if report.was_running {
                eprintln!(
                    "stopped {} service(s): {}",
                    report.stopped.len(),
                    report.stopped.join(", ")
                );
            } else {
                eprintln!("nothing is running");
            }
            Ok(())
        }
        Cmd::Status { json, env } => {
            let root = env_root(&root, env.as_deref())?;
            let report = supervisor::status(&root);
            if json {
                print_json(&report);
            } else if !report.running {
                println!("not running (start with `portfolio up`)");
            } else {
                let rows: Vec<Vec<String>> = report
                    .services
                    .iter()
                    .map(|s| {
                        vec![
                            s.id.clone(),
                            format!("{:?}", s.status).to_lowercase(),
                            if s.healthy {
                                "healthy".into()
                            } else {
                                "unhealthy".into()
                            },
                            s.pid.map(|p| p.to_string()).unwrap_or("-".into()),
                            s.restarts.to_string(),
                            format!("{}s", s.uptime_s),
                            s.url.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                print!(
                    "{}",
                    table::render(
                        &[
                            "service", "state", "health", "pid", "restarts", "uptime", "url"
                        ],
                        &rows
                    )
                );
            }
            if report.services.iter().all(|s| s.healthy) {
                Ok(())
            } else {
                Err(Failure::Problems)
            }
        }
        Cmd::Logs { id, follow, env } => logs(&env_root(&root, env.as_deref())?, &id, follow),
        Cmd::Ci(args) => ci(&root, args),
        Cmd::Time(cmd) => time(&root, cmd),
        Cmd::Promote {
            to,
            commit,
            dry_run,
            hotfix,
            json,
        } => {
            let envs = delivery::load_environments(&root)?;
            let env = delivery::environment(&envs, &to)?;
            let opts = delivery::PromoteOptions {
                commit,
                dry_run,
                hotfix,
                progress: !json,
            };
            let record = delivery::promote(&root, &envs, env, &opts)?;
            report_promotion(&record, json)
        }
        Cmd::Approve {
            env,
            commit,
            comment,
        } => {
            let envs = delivery::load_environments(&root)?;
            let env = delivery::environment(&envs, &env)?;
            let a = delivery::approve(&root, env, &commit, comment)?;
            eprintln!(
                "approved {} for {} as {}",
                delivery::short(&a.commit),
                a.env,
                a.by
            );
            Ok(())
        }
        Cmd::Freeze { env, reason } => {
            let envs = delivery::load_environments(&root)?;
            let env = delivery::environment(&envs, &env)?;
            delivery::freeze(&root, env, &reason)?;
            eprintln!(
                "{} is frozen: promotions are refused until `portfolio unfreeze --env {}`",
                env.name, env.name
            );
            Ok(())
        }
        Cmd::Unfreeze { env } => {
            let envs = delivery::load_environments(&root)?;
            let env = delivery::environment(&envs, &env)?;
            if delivery::unfreeze(&root, env)? {
                eprintln!("{} is no longer frozen", env.name);
            } else {
                eprintln!("{} was not frozen", env.name);
            }
            Ok(())
        }
        Cmd::Rollback {
            env,
            to,
            reason,
            json,
        } => {
            let envs = delivery::load_environments(&root)?;
            let env = delivery::environment(&envs, &env)?;
            let record = delivery::rollback(&root, env, to.as_deref(), &reason, !json)?;
            report_promotion(&record, json)
        }
        Cmd::Unblock { commit } => {
            if delivery::unblock(&root, &commit)? {
                eprintln!("{commit} may be promoted again");
            } else {
                eprintln!("{commit} was not blocked");
            }
            Ok(())
        }
        Cmd::Envs { json } => {
            let envs = delivery::load_environments(&root)?;
            if envs.is_empty() {
                return Err(Failure::Usage(
                    "no environments: add environments/<name>.toml (see docs/delivery.md)".into(),
                ));
            }
            let rows = delivery::status(&root, &envs)?;
            if json {
                print_json(&rows);
            } else {
                let table_rows: Vec<Vec<String>> = rows
                    .iter()
                    .map(|r| {
                        vec![
                            r.env.clone(),
                            r.branch.clone(),
                            r.commit
                                .as_deref()
                                .map(delivery::short)
                                .unwrap_or("-")
                                .to_string(),
                            r.release.clone().unwrap_or("-".into()),
                            r.promoted_at.clone().unwrap_or("-".into()),
                            r.promoted_by.clone().unwrap_or("-".into()),
                            format!("{} from {}", r.waiting, r.source),
                            r.frozen
                                .clone()
                                .map(|f| format!("frozen: {f}"))
                                .unwrap_or_default(),
                        ]
                    })
                    .collect();
                print!(
                    "{}",
                    table::render(
                        &[
                            "env", "branch", "commit", "release", "promoted", "by", "waiting",
                            "notes"
                        ],
                        &table_rows
                    )
                );
                for r in &rows {
                    for h in &r.hotfixes_not_in_work {
                        println!(
                            "warning: hotfix {} promoted to {} has not reached work: merge or cherry-pick it",
                            delivery::short(h),
                            r.env
                        );
                    }
                }
            }
            Ok(())
        }
        Cmd::Release {
            commit,
            dry_run,
            json,
        } => {
            let (catalog, _) = load(&root)?;
            let sha = portfolio::git::commit_of(&root, &commit)?;
            let rel = release::plan_release(&catalog, &sha, delivery::now().date_naive())?;
            if !dry_run {
                release::write_release(&root, &rel)?;
            }
            if json {
                print_json(&rel);
            } else {
                print!("{}", rel.notes);
                if dry_run {
                    eprintln!(
                        "dry run: would tag {} on {}",
                        rel.tag,
                        delivery::short(&sha)
                    );
                } else {
                    eprintln!(
                        "tagged {} on {}; CHANGELOG.md updated (commit it); push with `git push origin {}`",
                        rel.tag,
                        delivery::short(&sha),
                        rel.tag
                    );
                }
            }
            Ok(())
        }
        Cmd::Commitlint { since, json } => {
            let range = match &since {
                Some(s) => {
                    portfolio::git::commit_of(&root, s)?;
                    format!("{s}..HEAD")
                }
                None => "HEAD".to_string(),
            };
            let (checked, problems) = release::commitlint(&root, &range)?;
            if json {
                print_json(&serde_json::json!({ "checked": checked, "problems": problems }));
            } else {
                for p in &problems {
                    println!("{} {}: {}", delivery::short(&p.sha), p.subject, p.problem);
                }
                eprintln!("checked {checked} commit(s): {} problem(s)", problems.len());
            }
            if problems.is_empty() {
                Ok(())
            } else {
                Err(Failure::Problems)
            }
        }
        Cmd::BranchCheck { name } => {
            let (catalog, _) = load(&root)?;
            let name = match name {
                Some(n) => n,
                None => portfolio::git::current_branch(&root).ok_or_else(|| {
                    Failure::Usage("detached HEAD: name the branch to check".into())
                })?,
            };
            match release::check_branch(&catalog, &name) {
                Ok(()) => {
                    eprintln!("branch `{name}` is well named");
                    Ok(())
                }
                Err(e) => {
                    println!("{e}");
                    Err(Failure::Problems)
                }
            }
        }
        Cmd::Codeowners { check, org } => {
            let (catalog, _) = load(&root)?;
            let want = release::codeowners(&catalog, &org);
            let path = root.join(".github/CODEOWNERS");
            let have = std::fs::read_to_string(&path).unwrap_or_default();
            if check {
                if have == want {
                    eprintln!(".github/CODEOWNERS matches the catalog");
                    Ok(())
                } else {
                    println!(
                        ".github/CODEOWNERS differs from the catalog's owners: run `portfolio codeowners`"
                    );
                    Err(Failure::Problems)
                }
            } else {
                std::fs::create_dir_all(root.join(".github"))?;
                std::fs::write(&path, want)?;
                eprintln!("wrote .github/CODEOWNERS");
                Ok(())
            }
        }
        Cmd::Audit(cmd) => audit_cmd(&root, cmd),
        Cmd::Flags(cmd) => flags_cmd(&root, cmd),
        Cmd::Secrets(cmd) => secrets_cmd(&root, cmd),
        Cmd::Dr(portfolio::cli::DrCmd::Drill {
            projects,
            scenario,
            keep,
            json,
        }) => {
            use portfolio::drill;
            let (catalog, _) = load(&root)?;
            let selected =
                drill::selected(&catalog, &projects).map_err(|e| Failure::Usage(e.to_string()))?;
            let mut results = Vec::new();
            let mut ok = true;
            for p in selected {
                if !json {
                    eprintln!("drill {} ({scenario:?})", p.id());
                }
                match drill::drill(&catalog, p, scenario, keep, !json) {
                    Ok(r) => {
                        let summary = r.summary();
                        portfolio::audit::record_or_warn(
                            &root, "dr-drill", &r.project, &summary, &r,
                        );
                        if !std::env::var("PORTFOLIO_EVIDENCE").is_ok_and(|v| v == "0")
                            && let Err(e) = drill::log_exercise(&root, &r)
                        {
                            eprintln!("warning: {}: {e}", drill::EXERCISES);
                        }
                        if !json {
                            println!("{summary} (report {}/report.md)", r.folder);
                        }
                        ok &= r.passed;
                        results.push(r);
                    }
                    Err(e) => {
                        eprintln!("drill of {} failed: {e}", p.id());
                        ok = false;
                    }
                }
            }
            if json {
                print_json(&results);
            }
            if ok { Ok(()) } else { Err(Failure::Problems) }
        }
        Cmd::Dr(portfolio::cli::DrCmd::Matrix { check, json }) => {
            use portfolio::dr;
            let (catalog, _) = load(&root)?;
            let rows = dr::rows(&catalog);
            if json {
                print_json(&rows);
                return Ok(());
            }
            let want = dr::outputs(&rows);
            let path = root.join(dr::MATRIX);
            if !path.parent().is_some_and(Path::is_dir) {
                return Err(Failure::Usage(format!(
                    "this repository has no DR project folder for {}",
                    dr::MATRIX
                )));
            }
            // Runbooks of projects that no longer have state.
            let wanted: std::collections::BTreeSet<&str> =
                want.iter().map(|(p, _)| p.as_str()).collect();
            let stale: Vec<String> = std::fs::read_dir(root.join(dr::RUNBOOKS))
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok())
                .map(|e| format!("{}/{}", dr::RUNBOOKS, e.file_name().to_string_lossy()))
                .filter(|p| p.ends_with(".md") && !wanted.contains(p.as_str()))
                .collect();
            if check {
                let mut outdated: Vec<&str> = want
                    .iter()
                    .filter(|(p, text)| {
                        std::fs::read_to_string(root.join(p)).unwrap_or_default() != *text
                    })
                    .map(|(p, _)| p.as_str())
                    .collect();
                outdated.extend(stale.iter().map(String::as_str));
                if outdated.is_empty() {
                    eprintln!(
                        "{} and {} recovery runbook(s) are current ({} project(s))",
                        dr::MATRIX,
                        want.len() - 1,
                        rows.len()
                    );
                    Ok(())
                } else {
                    for p in outdated {
                        println!("{p} is out of date: run `portfolio dr matrix`");
                    }
                    Err(Failure::Problems)
                }
            } else {
                for (p, text) in &want {
                    let path = root.join(p);
                    if let Some(dir) = path.parent() {
                        std::fs::create_dir_all(dir)?;
                    }
                    std::fs::write(&path, text)?;
                }
                for p in &stale {
                    std::fs::remove_file(root.join(p))?;
                }
                eprintln!(
                    "wrote {} and {} recovery runbook(s) under {} ({} project(s){})",
                    dr::MATRIX,
                    want.len() - 1,
                    dr::RUNBOOKS,
                    rows.len(),
                    if stale.is_empty() {
                        String::new()
                    } else {
                        format!(", {} stale removed", stale.len())
                    }
                );
                Ok(())
            }
        }
        Cmd::Env(portfolio::cli::EnvCmd::Render {
            env,
            project,
            output,
            command,
        }) => {
            use portfolio::secretcmd;
            let (catalog, _) = load(&root)?;
            let envs = delivery::load_environments(&root)?;
            let env = delivery::environment(&envs, &env)?;
            let vars = secretcmd::render_env(&root, &catalog, env, &project)?;
            if let Some(out) = output {
                let text: String = vars.iter().map(|(k, v, _)| format!("{k}={v}\n")).collect();
                secretcmd::write_private(&out, &text)?;
                eprintln!(
                    "wrote {} variable(s) to {} (mode 0600)",
                    vars.len(),
                    out.display()
                );
            }
            if let Some((program, args)) = command.split_first() {
                let status = std::process::Command::new(program)
                    .args(args)
                    .envs(vars.iter().map(|(k, v, _)| (k, v)))
                    .status()
                    .map_err(|e| Failure::Usage(format!("{program}: {e}")))?;
                return if status.success() {
                    Ok(())
                } else {
                    Err(Failure::Problems)
                };
            }
            let rows: Vec<Vec<String>> = vars
                .iter()
                .map(|(k, _, from)| vec![k.clone(), from.to_string()])
                .collect();
            print!("{}", table::render(&["variable", "from"], &rows));
            Ok(())
        }
        Cmd::Runbook(portfolio::cli::RunbookCmd::Check { json }) => {
            let (catalog, _) = load(&root)?;
            let r = portfolio::runbook::check(&catalog, delivery::now().date_naive());
            if json {
                print_json(&r);
            } else {
                for p in &r.problems {
                    println!("{p}");
                }
                for n in &r.notes {
                    eprintln!("note: {n}");
                }
                eprintln!(
                    "{} runbook(s), {} alert rule(s): {} problem(s)",
                    r.runbooks.len(),
                    r.rules,
                    r.problems.len()
                );
            }
            if r.problems.is_empty() {
                Ok(())
            } else {
                Err(Failure::Problems)
            }
        }
        Cmd::Runbook(portfolio::cli::RunbookCmd::New { id }) => {
            let (catalog, _) = load(&root)?;
            let rel = portfolio::runbook::scaffold(&catalog, &id, delivery::now().date_naive())
                .map_err(Failure::Usage)?;
            eprintln!(
                "wrote {}: fill in every section, then exercise it",
                rel.display()
            );
            Ok(())
        }
        Cmd::Scorecard { json, html } => {
            use portfolio::governance;
            let (catalog, _) = load(&root)?;
            let cards = governance::scorecards(&catalog, delivery::now().date_naive());
            if json {
                print_json(&cards);
            } else if html {
                let quarter = governance::quarter_of(delivery::now().date_naive());
                let pack = governance::pack(&catalog, &quarter).map_err(Failure::Usage)?;
                print!("{}", governance::pack_html(&pack));
            } else {
                print!("{}", governance::scorecards_markdown(&cards));
            }
            Ok(())
        }
        Cmd::Governance(portfolio::cli::GovernanceCmd::Report { quarter, out, json }) => {
            use portfolio::governance;
            let (catalog, _) = load(&root)?;
            let quarter =
                quarter.unwrap_or_else(|| governance::quarter_of(delivery::now().date_naive()));
            let pack = governance::pack(&catalog, &quarter).map_err(Failure::Usage)?;
            match out {
                Some(dir) => {
                    std::fs::create_dir_all(&dir)?;
                    let md = dir.join(format!("governance-{quarter}.md"));
                    let html = dir.join(format!("governance-{quarter}.html"));
                    std::fs::write(&md, governance::pack_markdown(&pack))?;
                    std::fs::write(&html, governance::pack_html(&pack))?;
                    if json {
                        print_json(&pack);
                    } else {
                        eprintln!("wrote {} and {}", md.display(), html.display());
                    }
                }
                None if json => print_json(&pack),
                None => print!("{}", governance::pack_markdown(&pack)),
            }
            Ok(())
        }
        Cmd::Decommission {
            id,
            reason,
            dry_run,
            json,
        } => {
            let (catalog, _) = load(&root)?;
            use portfolio::decommission::{DecommissionError, decommission};
            let o = decommission(&catalog, &id, &reason, dry_run).map_err(|e| match e {
                e @ DecommissionError::HasDependents { .. } => {
                    eprintln!("{e}");
                    Failure::Problems
                }
                e => e.into(),
            })?;
            if json {
                print_json(&o);
            } else {
                eprintln!(
                    "{}{}: {} → {}",
                    if dry_run { "dry run: " } else { "" },
                    o.id,
                    o.from,
                    o.to
                );
                for c in &o.changes {
                    eprintln!("  {c}");
                }
                if let Some(n) = &o.next_step {
                    eprintln!("next: {n}");
                }
            }
            Ok(())
        }
        Cmd::DefaultBase => {
            let base =
                affected::default_base(&root, &["origin/work", "work", "origin/main", "main"])
                    .ok_or_else(|| Failure::Usage("no git history to compare with".into()))?;
            println!("{base}");
            Ok(())
        }
    }
}

#[derive(Serialize)]
struct ProjectView<'a> {
    #[serde(flatten)]
    manifest: &'a portfolio::manifest::Manifest,
    path: String,
    resolved_tasks: std::collections::BTreeMap<&'static str, String>,
    dependents: Vec<&'a str>,
}

fn view<'a>(catalog: &'a Catalog, graph: &Graph, i: usize) -> ProjectView<'a> {
    let p = &catalog.projects[i];
    let resolved_tasks = [
        TaskName::Lint,
        TaskName::Test,
        TaskName::Build,
        TaskName::Run,
    ]
    .into_iter()
    .filter_map(|t| p.task(t).map(|r| (t.as_str(), r.command)))
    .collect();
    ProjectView {
        manifest: &p.manifest,
        path: p.dir.display().to_string(),
        resolved_tasks,
        dependents: graph.dependents[i]
            .iter()
            .map(|&j| catalog.projects[j].id())
            .collect(),
    }
}

/// The lifecycle as shown in lists: a decommissioned (or deprecating) project with its date
/// and ADR.
fn lifecycle_label(p: &portfolio::catalog::Project) -> String {
    match &p.manifest.decommission {
        Some(d) => format!(
            "{} ({}, {})",
            p.lifecycle(),
            d.date
                .as_deref()
                .unwrap_or(&format!("requested {}", d.requested)),
            d.adr
        ),
        None => p.lifecycle().to_string(),
    }
}

fn catalog_list(root: &Path, json: bool, markdown: bool) -> CmdResult {
    let (catalog, graph) = load(root)?;
    if markdown {
        println!("| project | kind | tier | lifecycle | summary |\n|---|---|---|---|---|");
        for p in &catalog.projects {
            println!(
                "| [{}]({}/README.md) | {} | {} | {} | {} |",
                p.id(),
                p.dir.display(),
                p.kind(),
                p.manifest.tier.get_ref(),
                lifecycle_label(p),
                p.manifest.summary.replace('|', "\\|")
            );
        }
        return Ok(());
    }
    if json {
        let views: Vec<ProjectView> = (0..catalog.projects.len())
            .map(|i| view(&catalog, &graph, i))
            .collect();
        print_json(&views);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = catalog
        .projects
        .iter()
        .map(|p| {
            vec![
                p.id().to_string(),
                lifecycle_label(p),
                p.kind().to_string(),
                p.manifest.tier.get_ref().to_string(),
                p.manifest.owner.clone(),
                p.manifest.summary.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        table::render(
            &["project", "lifecycle", "kind", "tier", "owner", "summary"],
            &rows
        )
    );
    Ok(())
}

fn catalog_show(root: &Path, id: &str, json: bool) -> CmdResult {
    let (catalog, graph) = load(root)?;
    let i = catalog.resolve(id).map_err(Failure::Usage)?;
    let v = view(&catalog, &graph, i);
    if json {
        print_json(&v);
        return Ok(());
    }
    let m = v.manifest;
    let list = |xs: Vec<String>| {
        if xs.is_empty() {
            "-".to_string()
        } else {
            xs.join(", ")
        }
    };
    println!("{}  ({})", m.id(), v.path);
    println!("  {}", m.summary);
    println!(
        "  lifecycle  {}   kind {}   tier {}   owner {}",
        m.lifecycle.get_ref(),
        m.kind.get_ref(),
        m.tier.get_ref(),
        m.owner
    );
    if let Some(g) = &m.guide_entry {
        println!("  guide      {g}");
    }
    println!(
        "  depends on {}",
        list(m.depends_on.iter().map(|d| d.get_ref().clone()).collect())
    );
    println!(
        "  used by    {}",
        list(v.dependents.iter().map(|s| s.to_string()).collect())
    );
    let ports = |i: &portfolio::manifest::Interfaces| {
        let mut xs: Vec<String> = i
            .http
            .iter()
            .map(|p| format!("http:{}", p.get_ref()))
            .collect();
        xs.extend(i.grpc.iter().map(|p| format!("grpc:{}", p.get_ref())));
        xs.extend(i.topics.iter().map(|t| format!("topic:{t}")));
        xs.extend(i.tables.iter().map(|t| format!("table:{t}")));
        xs
    };
    println!("  provides   {}", list(ports(&m.provides)));
    println!("  consumes   {}", list(ports(&m.consumes)));
    println!(
        "  rto / rpo  {} / {}",
        m.rto.as_ref().map(|s| s.get_ref().as_str()).unwrap_or("-"),
        m.rpo.as_ref().map(|s| s.get_ref().as_str()).unwrap_or("-")
    );
    println!("  state      {}", list(m.state.clone()));
    for (task, cmd) in &v.resolved_tasks {
        println!("  task {task:<5} {cmd}");
    }
    if let Some(r) = &m.tasks.ready {
        println!("  ready      {}", r.get_ref());
    }
    for e in &m.env {
        let value = if e.secret {
            "(secret)".to_string()
        } else {
            e.default.clone().unwrap_or_default()
        };
        println!("  env        {}={value}", e.name.get_ref());
    }
    Ok(())
}

fn bootstrap_cmd(
    root: &Path,
    check: bool,
    install: bool,
    scope: bootstrap::Scope,
    json: bool,
) -> CmdResult {
    let (catalog, _) = load(root)?;
    let mut reports = bootstrap::check(&catalog);
    if install {
        bootstrap::install(&reports, scope).map_err(Failure::Usage)?;
        if root.join("package-lock.json").is_file() {
            let status = std::process::Command::new("npm")
                .arg("ci")
                .current_dir(root)
                .status()?;
            if !status.success() {
                return Err(Failure::Usage(format!("`npm ci` failed with {status}")));
            }
        }
        reports = bootstrap::check(&catalog);
    }
    let example = bootstrap::env_example(&catalog);
    let example_path = bootstrap::env_example_path(root);
    let stale = std::fs::read_to_string(&example_path).ok().as_deref() != Some(example.as_str());
    let mut env_note = String::new();
    if !check && stale {
        std::fs::create_dir_all(example_path.parent().expect("env dir"))?;
        std::fs::write(&example_path, &example)?;
        env_note = format!(
            "wrote {}",
            portfolio::diag::relative(root, &example_path).display()
        );
    } else if check && stale {
        env_note = "env/local.example is out of date: run `portfolio bootstrap`".into();
    }
    if json {
        #[derive(Serialize)]
        struct Out<'a> {
            tools: &'a [bootstrap::ToolReport],
            env_example_stale: bool,
        }
        print_json(&Out {
            tools: &reports,
            env_example_stale: check && stale,
        });
    } else {
        let rows: Vec<Vec<String>> = reports
            .iter()
            .map(|r| {
                let needed = match r.needed_by.len() {
                    0 => "planned projects only".to_string(),
                    1..=3 => r.needed_by.join(", "),
                    n => format!("{}, … ({n} projects)", r.needed_by[..2].join(", ")),
                };
                vec![
                    r.tool.to_string(),
                    r.required.clone(),
                    r.found.clone().unwrap_or_else(|| "-".into()),
                    format!("{:?}", r.status).to_lowercase(),
                    needed,
                ]
            })
            .collect();
        print!(
            "{}",
            table::render(&["tool", "required", "found", "status", "needed by"], &rows)
        );
        for r in reports
            .iter()
            .filter(|r| matches!(r.status, Status::Missing | Status::TooOld))
        {
            let how = r
                .install
                .clone()
                .unwrap_or_else(|| "not packaged for Debian: see docs/DEPLOYMENT_GUIDE.md".into());
            eprintln!(
                "{}: {} ({}); install: {how}",
                r.tool,
                if r.status == Status::Missing {
                    "missing"
                } else {
                    "too old"
                },
                r.purpose
            );
        }
        if !env_note.is_empty() {
            eprintln!("{env_note}");
        }
    }
    let missing = reports.iter().any(|r| {
        matches!(r.status, Status::Missing | Status::TooOld)
            && bootstrap::TOOLS
                .iter()
                .any(|t| t.id == r.tool && scope.includes(t))
    });
    if missing || (check && stale) {
        Err(Failure::Problems)
    } else {
        Ok(())
    }
}

fn run_task(root: &Path, task: TaskName, args: RunArgs) -> CmdResult {
    let (catalog, graph) = load(root)?;
    let only = match (&args.since, args.affected) {
        (Some(since), true) => {
            let files = affected::changed_files(root, since)?;
            let result = affected::affected(&catalog, &graph, since, &files);
            Some(
                result
                    .projects
                    .iter()
                    .filter_map(|p| catalog.position(&p.id))
                    .collect(),
            )
        }
        _ => None,
    };
    let selection = Selection {
        projects: args.projects.clone(),
        only,
    };
    let plan = match runner::plan(&catalog, &graph, task, &selection) {
        Ok(plan) => plan,
        Err(runner::PlanError::MissingPrograms(diags)) => {
            for d in &diags {
                eprintln!("{d}");
            }
            return Err(Failure::Usage(format!(
                "{} task command(s) cannot run; nothing was started",
                diags.len()
            )));
        }
        Err(e) => return Err(e.into()),
    };
    if plan.steps.is_empty() {
        let built = catalog
            .projects
            .iter()
            .filter(|p| p.lifecycle().is_built())
            .count();
        eprintln!("nothing to {task}: {built} built project(s) selected none with a {task} task");
    }
    let opts = ExecOptions {
        jobs: args.jobs,
        keep_going: args.keep_going,
        progress: !args.json,
    };
    let results = runner::execute(&catalog, &graph, &plan, &opts)?;
    let report = runner::write_junit(root, task, &results)?;
    runner::write_results(root, task, &results)?;
    let failed: Vec<&runner::TaskResult> = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed { .. }))
        .collect();
    if args.json {
        print_json(&results);
    } else {
        let rows: Vec<Vec<String>> = results
            .iter()
            .map(|r| {
                let (result, detail) = match &r.outcome {
                    Outcome::Passed => ("passed".to_string(), String::new()),
                    Outcome::Failed { exit } => ("FAILED".to_string(), exit.clone()),
                    Outcome::Skipped { reason } => ("skipped".to_string(), reason.clone()),
                };
                vec![
                    r.project.clone(),
                    task.to_string(),
                    result,
                    format!("{:.1}s", r.duration_ms as f64 / 1000.0),
                    detail,
                ]
            })
            .collect();
        if !rows.is_empty() {
            print!(
                "{}",
                table::render(&["project", "task", "result", "duration", "detail"], &rows)
            );
        }
        for r in &failed {
            if let Some(log) = &r.log {
                eprintln!(
                    "\n--- {} {task} failed; last lines of {} ---",
                    r.project,
                    log.display()
                );
                eprintln!("{}", runner::tail(&root.join(log), 20));
            }
        }
        let passed = results
            .iter()
            .filter(|r| r.outcome == Outcome::Passed)
            .count();
        let skipped = results.len() - passed - failed.len();
        eprintln!(
            "JUnit report: {}",
            portfolio::diag::relative(root, &report).display()
        );
        eprintln!(
            "{task}: {passed} passed, {} failed, {skipped} skipped",
            failed.len()
        );
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::Problems)
    }
}

fn time(root: &Path, cmd: portfolio::cli::TimeCmd) -> CmdResult {
    use portfolio::cli::TimeCmd;
    use portfolio::stages;
    match cmd {
        TimeCmd::Start => Ok(stages::start(root)?),
        TimeCmd::Run { name, command } => {
            eprintln!("==> {name}");
            let status = stages::run(root, &name, &command)?;
            if status.success() {
                Ok(())
            } else {
                eprintln!(
                    "stage `{name}` failed ({status}); the table so far: portfolio time report"
                );
                std::process::exit(status.code().unwrap_or(1));
            }
        }
        TimeCmd::Report { json } => {
            let report = stages::report(root);
            if json {
                print_json(&report);
            } else {
                print!("{}", stages::render(&report));
                eprintln!(
                    "stage times: {}",
                    portfolio::diag::relative(root, &stages::record_path(root)).display()
                );
            }
            if report.ok {
                Ok(())
            } else {
                Err(Failure::Problems)
            }
        }
    }
}

fn up(root: &Path, ids: &[String], detach: bool) -> CmdResult {
    let (catalog, graph) = load(root)?;
    let specs = supervisor::services(&catalog, &graph, ids)?;
    if specs.is_empty() {
        let planned = catalog
            .projects
            .iter()
            .filter(|p| !p.lifecycle().is_built())
            .count();
        eprintln!(
            "nothing to run: no built project has a run task ({planned} of {} project(s) are planned or decommissioned)",
            catalog.projects.len()
        );
        return Ok(());
    }
    if let Some(state) =
        supervisor::read_state(root).filter(|s| supervisor::is_alive(s.supervisor_pid))
    {
        return Err(UpError::AlreadyRunning(state.supervisor_pid).into());
    }
    supervisor::build(root, &supervisor::packages(&specs)).map_err(|e| {
        eprintln!("{e}");
        Failure::Problems
    })?;
    if detach {
        return detach_supervisor(root, ids);
    }
    let stop = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&stop))?;
    signal_hook::flag::register(signal_hook::consts::SIGTERM, Arc::clone(&stop))?;
    let mut report = |line: &str| eprintln!("{line}");
    supervisor::supervise(root, specs, stop, &mut report).map_err(|e| match e {
        e @ UpError::StartFailed { .. } => {
            eprintln!("{e}");
            Failure::Problems
        }
        e => e.into(),
    })
}

fn secrets_cmd(root: &Path, cmd: portfolio::cli::SecretsCmd) -> CmdResult {
    use portfolio::cli::SecretsCmd;
    use portfolio::secretcmd;
    match cmd {
        SecretsCmd::Encrypt { files } => {
            for f in &files {
                let r = secretcmd::encrypt(root, f)?;
                eprintln!("encrypted {} for {} recipient(s)", f.display(), r.len());
            }
            Ok(())
        }
        SecretsCmd::Decrypt { file, output } => {
            let plain = secretcmd::decrypt(&file)?;
            match output {
                Some(out) => {
                    secretcmd::write_private(&out, &plain)?;
                    eprintln!(
                        "decrypted {} to {} (mode 0600)",
                        file.display(),
                        out.display()
                    );
                }
                None => print!("{plain}"),
            }
            Ok(())
        }
        SecretsCmd::Edit { file } => {
            if secretcmd::edit(root, &file)? {
                eprintln!("{} re-encrypted", file.display());
            } else {
                eprintln!("{}: no change", file.display());
            }
            Ok(())
        }
        SecretsCmd::Rotate { files } => {
            for f in &files {
                secretcmd::rotate(f)?;
                eprintln!("rotated the data key of {}", f.display());
            }
            Ok(())
        }
        SecretsCmd::Updatekeys { files, no_rotate } => {
            for f in &files {
                let (before, after) = secretcmd::update_keys(root, f)?;
                let removed = before.iter().filter(|r| !after.contains(r)).count();
                if before == after {
                    eprintln!("{}: recipients already up to date", f.display());
                } else if removed > 0 && !no_rotate {
                    secretcmd::rotate(f)?;
                    eprintln!(
                        "{}: {} → {} recipient(s); {removed} removed, so the data key was rotated and every value re-encrypted",
                        f.display(),
                        before.len(),
                        after.len()
                    );
                } else {
                    eprintln!(
                        "{}: {} → {} recipient(s), values unchanged",
                        f.display(),
                        before.len(),
                        after.len()
                    );
                    if removed > 0 {
                        eprintln!(
                            "warning: {}: the data key is unchanged (--no-rotate): the {removed} removed recipient(s) can still decrypt it with the key they had; run `portfolio secrets rotate {}`",
                            f.display(),
                            f.display()
                        );
                    }
                }
            }
            Ok(())
        }
        SecretsCmd::Reseal => {
            let files = secretcmd::encrypted_files(root);
            for f in &files {
                secretcmd::update_keys(root, f)?;
                secretcmd::rotate(f)?;
                eprintln!("resealed {}", portfolio::diag::relative(root, f).display());
            }
            eprintln!("{} file(s) resealed", files.len());
            Ok(())
        }
        SecretsCmd::Check { json } => {
            let findings = secretcmd::check(root);
            if json {
                print_json(&findings);
            } else {
                for f in &findings {
                    println!("{}:{}: {}", f.file, f.line, f.problem);
                }
                eprintln!("secrets check: {} finding(s)", findings.len());
            }
            if findings.is_empty() {
                Ok(())
            } else {
                Err(Failure::Problems)
            }
        }
    }
}

fn flags_cmd(root: &Path, cmd: portfolio::cli::FlagsCmd) -> CmdResult {
    use portfolio::cli::FlagsCmd;
    use portfolio::flagcheck;
    let (catalog, _) = load(root)?;
    let today = delivery::now().date_naive();
    match cmd {
        FlagsCmd::List { env, json } => {
            let (list, diags) = flagcheck::declared(&catalog, today);
            if !diags.is_empty() {
                return Err(Failure::Diagnostics(diags));
            }
            if json {
                let rows: Vec<serde_json::Value> = list
                    .iter()
                    .map(|d| {
                        let mut v = serde_json::to_value(d).expect("serialises");
                        if let Some(e) = &env {
                            v["value"] = serde_json::Value::Bool(d.flag.value(e));
                        }
                        v
                    })
                    .collect();
                print_json(&rows);
            } else if list.is_empty() {
                eprintln!("no feature flags (declare them in <project>/ops/feature-flags.toml)");
            } else {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|d| {
                        let envs = d
                            .flag
                            .environments
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(" ");
                        let mut row = vec![
                            d.flag.name.clone(),
                            d.project.clone(),
                            d.flag.owner.clone(),
                            d.flag.default.to_string(),
                            envs,
                        ];
                        if let Some(e) = &env {
                            row.push(d.flag.value(e).to_string());
                        }
                        row.push(d.flag.expires.to_string());
                        row.push(d.status.clone());
                        row
                    })
                    .collect();
                let mut head = vec!["flag", "project", "owner", "default", "environments"];
                let label = env.as_ref().map(|e| format!("in {e}"));
                if let Some(l) = &label {
                    head.push(l);
                }
                head.extend(["expires", "status"]);
                print!("{}", table::render(&head, &rows));
            }
            Ok(())
        }
        FlagsCmd::Check { json } => {
            let diags = flagcheck::check(&catalog, today);
            if json {
                let list: Vec<serde_json::Value> = diags
                    .iter()
                    .map(|d| serde_json::json!({ "problem": d.to_string() }))
                    .collect();
                print_json(&list);
            }
            if diags.is_empty() {
                if !json {
                    eprintln!("feature flags: no expired, undeclared or unused flags");
                }
                Ok(())
            } else if json {
                Err(Failure::Problems)
            } else {
                Err(Failure::Diagnostics(diags))
            }
        }
    }
}

fn audit_cmd(root: &Path, cmd: portfolio::cli::AuditCmd) -> CmdResult {
    use portfolio::audit;
    use portfolio::cli::{AuditCmd, ReportFormat};
    match cmd {
        AuditCmd::Verify { json } => {
            let r = audit::verify(root);
            if json {
                print_json(&r);
            } else {
                for p in &r.problems {
                    println!("{p}");
                }
                eprintln!(
                    "{} record(s) in {} year(s): {} problem(s)",
                    r.records,
                    r.years.len(),
                    r.problems.len()
                );
            }
            if r.problems.is_empty() {
                Ok(())
            } else {
                Err(Failure::Problems)
            }
        }
        AuditCmd::Report { year, format } => {
            use chrono::Datelike;
            let year = year.unwrap_or_else(|| delivery::now().year());
            let r = audit::report(root, year)?;
            match format {
                ReportFormat::Json => print_json(&r),
                ReportFormat::Md => print!("{}", audit::render_markdown(&r)),
                ReportFormat::Html => print!("{}", audit::render_html(&r)),
            }
            Ok(())
        }
        AuditCmd::Record {
            source,
            subject,
            summary,
            data,
            json,
        } => {
            let text = if data.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())
                    .map_err(|e| anyhow::anyhow!("reading the evidence from standard input: {e}"))?
            } else {
                std::fs::read_to_string(&data)
                    .map_err(|e| anyhow::anyhow!("reading {}: {e}", data.display()))?
            };
            let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                anyhow::anyhow!("the evidence data ({}) is not JSON: {e}", data.display())
            })?;
            let written = audit::record(root, &source, &subject, &summary, value)?;
            if json {
                print_json(&written);
            } else if written.is_empty() {
                eprintln!(
                    "no control in audits/controls.toml lists `{source}` (or PORTFOLIO_EVIDENCE=0): nothing recorded"
                );
            } else {
                for w in &written {
                    println!("{}", w.display());
                }
            }
            Ok(())
        }
        AuditCmd::AccessReview { json } => {
            let (catalog, _) = load(root)?;
            let rows = audit::access_review(root, &catalog)?;
            audit::record_or_warn(
                root,
                "access-review",
                "quarterly",
                &format!("access review listing {} grant(s)", rows.len()),
                &rows,
            );
            if json {
                print_json(&rows);
            } else {
                let table_rows: Vec<Vec<String>> = rows
                    .iter()
                    .map(|r| {
                        vec![
                            r.who.clone(),
                            r.can.clone(),
                            r.on.clone(),
                            r.granted_by.clone(),
                        ]
                    })
                    .collect();
                print!(
                    "{}",
                    table::render(&["who", "can", "on", "granted by"], &table_rows)
                );
            }
            Ok(())
        }
    }
}

/// The repository root, or with `env` the root of that environment's deployed copy.
fn env_root(root: &Path, env: Option<&str>) -> Result<PathBuf, Failure> {
    let Some(name) = env else {
        return Ok(root.to_path_buf());
    };
    let envs = delivery::load_environments(root)?;
    let env = delivery::environment(&envs, name)?;
    let wt = delivery::worktree(root, &env.name);
    if !wt.join(".git").exists() {
        return Err(Failure::Usage(format!(
            "{} has no local deployment yet (`portfolio promote --to {}`)",
            env.name, env.name
        )));
    }
    Ok(wt)
}

fn report_promotion(record: &delivery::Promotion, json: bool) -> CmdResult {
    if json {
        print_json(record);
    } else {
        for g in &record.gates {
            eprintln!(
                "{} {:<16} {}",
                if g.ok { "ok  " } else { "FAIL" },
                g.gate,
                g.detail
            );
        }
        for n in &record.notes {
            eprintln!("     {n}");
        }
        eprintln!(
            "{} {} → {}: {}",
            record.action,
            delivery::short(&record.commit),
            record.env,
            record.outcome
        );
    }
    if matches!(
        record.outcome.as_str(),
        "promoted" | "rolled-back" | "dry-run"
    ) {
        Ok(())
    } else {
        Err(Failure::Problems)
    }
}

fn ci(root: &Path, args: portfolio::cli::CiArgs) -> CmdResult {
    use portfolio::ci;
    let stages: Vec<&str> = match args.stage.as_str() {
        "all" => ci::ALL.to_vec(),
        s if ci::STAGES.contains(&s) => vec![s],
        s => {
            return Err(Failure::Usage(
                ci::CiError::UnknownStage(s.to_string()).to_string(),
            ));
        }
    };
    if matches!(stages[..], ["deploy"] | ["verify"]) {
        let name = args
            .env
            .ok_or_else(|| Failure::Usage(format!("`ci {}` needs --env ENV", args.stage)))?;
        let envs = delivery::load_environments(root)?;
        let env = delivery::environment(&envs, &name)?;
        let commit = portfolio::git::commit_of(root, "HEAD")?;
        let wt = if stages[0] == "deploy" {
            delivery::deploy(root, env, &commit, !args.json)?
        } else {
            Some(delivery::worktree(root, &env.name))
        };
        let Some(wt) = wt else {
            eprintln!("{} has no deploy target", env.name);
            return Ok(());
        };
        let lines = delivery::verify(&wt, env)?;
        if args.json {
            print_json(&lines);
        } else {
            for l in lines {
                eprintln!("{l}");
            }
        }
        return Ok(());
    }
    let (catalog, graph) = load(root)?;
    let opts = ci::StageOptions {
        since: args.since.filter(|_| args.affected),
        projects: args.projects,
        progress: !args.json,
        keep_going: args.keep_going,
        evidence: ci::evidence_wanted(args.evidence),
    };
    let mut records = Vec::new();
    let mut ok = true;
    for stage in stages {
        let rec = ci::run_stage(&catalog, &graph, stage, &opts)?;
        if !args.json {
            for s in &rec.steps {
                if s.outcome == ci::StepOutcome::Skipped {
                    eprintln!(
                        "skip {stage} {}: {}",
                        s.project,
                        s.reason.clone().unwrap_or_default()
                    );
                }
            }
            eprintln!(
                "{stage}: {} in {:.1}s{} (record {})",
                if rec.ok { "passed" } else { "FAILED" },
                rec.duration_ms as f64 / 1000.0,
                if rec.dirty {
                    ", uncommitted changes: not valid for promotion"
                } else {
                    ""
                },
                portfolio::diag::relative(root, &ci::record_path(root, &rec.commit, stage))
                    .display()
            );
        }
        ok &= rec.ok;
        records.push(rec);
        if !ok && !args.keep_going {
            break;
        }
    }
    if args.json {
        print_json(&records);
    }
    if ok { Ok(()) } else { Err(Failure::Problems) }
}

/// Starts `portfolio up` in a new process group with its output in the supervisor log, and
/// waits until it reports every service ready (or fails).
fn detach_supervisor(root: &Path, ids: &[String]) -> CmdResult {
    use std::os::unix::process::CommandExt;
    let log_path = supervisor::log_dir(root).join("supervisor.log");
    std::fs::create_dir_all(supervisor::log_dir(root))?;
    let log = std::fs::File::create(&log_path)?;
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .arg("--root")
        .arg(root)
        .arg("up")
        .args(ids)
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0)
        .spawn()?;
    loop {
        if let Some(status) = child.try_wait()? {
            eprintln!("{}", runner::tail(&log_path, 30));
            eprintln!("supervisor exited ({status}); log: {}", log_path.display());
            return Err(Failure::Problems);
        }
        if supervisor::read_state(root).is_some_and(|s| {
            s.supervisor_pid == child.id() && s.phase == supervisor::Phase::Running
        }) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = supervisor::status(root);
    for s in &status.services {
        eprintln!("ready  {}  {}", s.id, s.url.clone().unwrap_or_default());
    }
    eprintln!(
        "supervisor pid {} (log {}); stop with `portfolio down`",
        child.id(),
        portfolio::diag::relative(root, &log_path).display()
    );
    Ok(())
}

fn logs(root: &Path, id: &str, follow: bool) -> CmdResult {
    let (catalog, _) = load(root)?;
    if id != "supervisor" {
        catalog.resolve(id).map_err(Failure::Usage)?;
    }
    let path: PathBuf = supervisor::service_log(root, id);
    let mut file = std::fs::File::open(&path).map_err(|_| {
        Failure::Usage(format!(
            "no log for {id} yet at {} (has it been started with `portfolio up`?)",
            path.display()
        ))
    })?;
    let mut out = std::io::stdout().lock();
    std::io::copy(&mut file, &mut out)?;
    if !follow {
        return Ok(());
    }
    let stop = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&stop))?;
    let mut pos = file.stream_position()?;
    let mut buf = Vec::new();
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(200));
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if len < pos {
            pos = 0; // truncated or replaced
        }
        if len > pos {
            file = std::fs::File::open(&path)?;
            file.seek(SeekFrom::Start(pos))?;
            buf.clear();
            file.read_to_end(&mut buf)?;
            out.write_all(&buf)?;
            out.flush()?;
            pos += buf.len() as u64;
        }
    }
    Ok(())
}
