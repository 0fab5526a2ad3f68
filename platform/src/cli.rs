//! Command-line interface: argument definitions only. `main.rs` wires them to the library.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::graph::Format;

const EXAMPLES: &str = "Examples:
  portfolio validate                      check the whole repository
  portfolio catalog show backend/task-api one project, resolved tasks, dependents
  portfolio graph --format mermaid        the dependency graph for a Markdown page
  portfolio affected --since origin/work  what a branch touches, and why
  portfolio test --affected --since HEAD~1 -j 4 --keep-going
  portfolio up --detach && portfolio status && portfolio down

Exit codes: 0 ok; 1 problems found (validation errors, failed tasks, missing tools); 2 usage or \
environment error (bad arguments, no repository, unknown revision, missing program).";

const EXIT_CODES: &str = "Exit codes: 0 ok; 1 problems found (validation errors, failed tasks, missing tools); \
2 usage or environment error (bad arguments, no repository, unknown revision, missing program).";

/// Portfolio Platform: the deployment guide as commands.
///
/// Reads the project catalog (`projects/<domain>/<name>/project.toml`) and runs what the
/// guide describes: validation, the dependency graph, affected projects, tool bootstrap,
/// lint and test in dependency order, and a local process supervisor.
#[derive(Debug, Parser)]
#[command(name = "portfolio", version, after_help = EXIT_CODES, after_long_help = EXAMPLES, max_term_width = 100)]
pub struct Cli {
    /// Repository root (the folder holding `projects/`); found from the current folder by default.
    #[arg(long, global = true, env = "PORTFOLIO_ROOT", value_name = "DIR")]
    pub root: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// List and inspect the projects of the catalog.
    #[command(subcommand)]
    Catalog(CatalogCmd),
    /// Print the dependency graph (edges point from a project to what it depends on).
    Graph {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Projects changed since REV, plus every project that depends on them.
    #[command(
        after_help = "Shared files: crates/, Cargo.toml and Cargo.lock affect every Rust project; \
package.json and package-lock.json every npm project; other files outside projects/ affect none \
(listed as unowned). Uncommitted and untracked files count as changed."
    )]
    Affected {
        /// Git revision to compare the working tree with (branch, tag, commit).
        #[arg(long, value_name = "REV")]
        since: String,
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
    /// Check manifests, dependencies, lifecycle documents and Markdown links.
    #[command(
        after_help = "Every problem is printed as `path:line: message`; exit 1 when there is any."
    )]
    Validate {
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
    /// Check (and optionally install) the tools this repository needs; write env/local.example.
    Bootstrap {
        /// Only report; exit 1 when a required tool is missing or env/local.example is stale.
        #[arg(long, conflicts_with = "install")]
        check: bool,
        /// Install missing tools that Debian packages provide (apt-get).
        #[arg(long)]
        install: bool,
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
    /// Run each selected project's lint task.
    Lint(RunArgs),
    /// Run each selected project's test task.
    Test(RunArgs),
    /// Run each selected project's build task.
    Build(RunArgs),
    /// Start built projects' run commands under a supervisor (dependencies first).
    Up {
        /// Projects to start (with their dependencies); all runnable projects when omitted.
        ids: Vec<String>,
        /// Return once everything is ready and leave the supervisor running in the background.
        #[arg(short, long)]
        detach: bool,
    },
    /// Stop a running supervisor and every service it started.
    Down {
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
    /// Health of the running services.
    Status {
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
    /// Print a service's log.
    Logs {
        id: String,
        /// Keep printing new lines until interrupted.
        #[arg(short, long)]
        follow: bool,
    },
    /// Print the base revision `scripts/validate-local.sh` compares with.
    #[command(hide = true)]
    DefaultBase,
}

#[derive(Debug, Subcommand)]
pub enum CatalogCmd {
    /// One line per project.
    List {
        /// Machine-readable output (JSON on standard output).
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// A Markdown table with links to each README (as in the repository's README).
        #[arg(long)]
        markdown: bool,
    },
    /// Everything the manifest says about one project, with resolved tasks and dependents.
    Show {
        id: String,
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Only this project (repeatable); default: every built project.
    #[arg(long = "project", short = 'p', value_name = "ID")]
    pub projects: Vec<String>,
    /// Only projects affected by changes since --since.
    #[arg(long, requires = "since")]
    pub affected: bool,
    /// Git revision that --affected compares the working tree with.
    #[arg(long, value_name = "REV")]
    pub since: Option<String>,
    /// Tasks to run at once.
    #[arg(short = 'j', long, default_value_t = 2)]
    pub jobs: usize,
    /// Continue with independent projects after a failure.
    #[arg(long)]
    pub keep_going: bool,
    /// Machine-readable results (JSON on standard output) instead of the table.
    #[arg(long)]
    pub json: bool,
}
