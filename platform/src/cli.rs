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
    #[command(
        after_help = "Examples:\n  portfolio graph\n  portfolio graph --format mermaid > docs/graph.md\n  portfolio graph --format json"
    )]
    Graph {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Projects changed since REV, plus every project that depends on them.
    #[command(
        after_help = "Shared files: crates/, Cargo.toml and Cargo.lock affect every Rust project; \
package.json and package-lock.json every npm project; other files outside projects/ affect none \
(listed as unowned). Uncommitted and untracked files count as changed.

Examples:
  portfolio affected --since origin/work
  portfolio affected --since HEAD~3 --json"
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
        after_help = "Every problem is printed as `path:line: message`; exit 1 when there is any.\n\nExamples:\n  portfolio validate\n  portfolio validate --json"
    )]
    Validate {
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
    /// Check (and optionally install) the tools this repository needs; write env/local.example.
    #[command(
        after_help = "Examples:\n  portfolio bootstrap --check\n  sudo portfolio bootstrap --install\n  portfolio bootstrap --json"
    )]
    Bootstrap {
        /// Only report; exit 1 when a required tool is missing or env/local.example is stale.
        #[arg(long, conflicts_with = "install")]
        check: bool,
        /// Install missing tools that Debian packages provide (apt-get).
        #[arg(long)]
        install: bool,
        /// What to prepare for: `up` installs and requires only what running needs (cargo,
        /// node, npm); `test` everything tests and CI use.
        #[arg(long = "for", value_enum, default_value = "test", value_name = "SCOPE")]
        scope: crate::bootstrap::Scope,
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
    /// Run each selected project's lint task.
    #[command(
        after_help = "Examples:\n  portfolio lint\n  portfolio lint -p backend/task-api\n  portfolio lint --affected --since origin/work -j 4 --keep-going --json"
    )]
    Lint(RunArgs),
    /// Run each selected project's test task.
    #[command(
        after_help = "Examples:\n  portfolio test\n  portfolio test -p backend/task-api\n  portfolio test --affected --since origin/work -j 4 --keep-going --json"
    )]
    Test(RunArgs),
    /// Run each selected project's build task.
    #[command(
        after_help = "Examples:\n  portfolio build\n  portfolio build -p backend/task-api\n  portfolio build --affected --since origin/work -j 4 --keep-going --json"
    )]
    Build(RunArgs),
    /// Start built projects' run commands under a supervisor (dependencies first).
    #[command(after_help = "Examples:\n  portfolio up --detach\n  portfolio up backend/task-api")]
    Up {
        /// Projects to start (with their dependencies); all runnable projects when omitted.
        ids: Vec<String>,
        /// Return once everything is ready and leave the supervisor running in the background.
        #[arg(short, long)]
        detach: bool,
    },
    /// Stop a running supervisor and every service it started.
    #[command(after_help = "Examples:\n  portfolio down\n  portfolio down --env staging")]
    Down {
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
        /// An environment's deployed copy (`portfolio promote`) instead of `portfolio up`'s.
        #[arg(long, value_name = "ENV")]
        env: Option<String>,
    },
    /// Health of the running services.
    #[command(
        after_help = "Examples:\n  portfolio status\n  portfolio status --env staging --json"
    )]
    Status {
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
        /// An environment's deployed copy (`portfolio promote`) instead of `portfolio up`'s.
        #[arg(long, value_name = "ENV")]
        env: Option<String>,
    },
    /// Print a service's log.
    #[command(
        after_help = "Examples:\n  portfolio logs backend/task-api -f\n  portfolio logs supervisor"
    )]
    Logs {
        id: String,
        /// Keep printing new lines until interrupted.
        #[arg(short, long)]
        follow: bool,
        /// An environment's deployed copy (`portfolio promote`) instead of `portfolio up`'s.
        #[arg(long, value_name = "ENV")]
        env: Option<String>,
    },
    /// Run a CI stage (or `all`) and write its record under `.portfolio/ci/<commit>/`.
    #[command(
        after_help = "Stages: lint, unit, integration, security, build (`all` runs these), and deploy and verify with --env. Definitions: ci/stages/<kind>.toml and ci/stages/workspace.toml; a project overrides a stage under [ci] in project.toml. A workspace command written { run = \"...\", when = [\"platform/**\", \"*.rs\"] } runs under --affected only when a changed file matches.

Examples:
  portfolio ci lint --affected --since origin/work
  portfolio ci all --keep-going --json
  portfolio ci verify --env staging"
    )]
    Ci(CiArgs),
    /// Time the stages of a longer run (`make test`) and print their budget.
    #[command(
        subcommand,
        after_help = "The record is target/portfolio/stages.json; the rows under `lint` and `test` come from \
target/portfolio/reports/<task>.json, written by `portfolio lint|test`.

Examples:
  portfolio time start
  portfolio time run build -- cargo build --workspace
  portfolio time report
  portfolio time report --json"
    )]
    Time(TimeCmd),
    /// Promote a commit to an environment: gates, branch, deploy, verify, record.
    #[command(
        after_help = "Gates (environments/<env>.toml): the commit reached the source environment, fast-forward only, not rolled back, green CI records for the exact commit, approvals, no freeze, change window, release tag. Every gate is checked and reported; when one fails nothing moves (exit 1) and the refusal is recorded.

Examples:
  portfolio promote --to dev
  portfolio promote --to staging --dry-run
  portfolio promote --to main --commit v2026.11.27 --json
  portfolio promote --to main --hotfix --commit hotfix/login-crash"
    )]
    Promote {
        /// Target environment.
        #[arg(long, value_name = "ENV")]
        to: String,
        /// Commit to promote (default: the head of the source).
        #[arg(long, value_name = "REV")]
        commit: Option<String>,
        /// Check the gates only; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Use the environment's hotfix gates (a fix branched from its branch).
        #[arg(long)]
        hotfix: bool,
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
    /// Approve a commit for an environment, as your git identity.
    #[command(after_help = "Example:
  portfolio approve --env staging --commit 1a2b3c4 --comment 'release checked'")]
    Approve {
        #[arg(long, value_name = "ENV")]
        env: String,
        #[arg(long, value_name = "REV")]
        commit: String,
        #[arg(long)]
        comment: Option<String>,
    },
    /// Stop promotions to an environment until `unfreeze`.
    #[command(after_help = "Example:
  portfolio freeze --env main --reason 'year-end freeze'")]
    Freeze {
        #[arg(long, value_name = "ENV")]
        env: String,
        #[arg(long)]
        reason: String,
    },
    /// Lift a freeze.
    #[command(after_help = "Example:\n  portfolio unfreeze --env prod")]
    Unfreeze {
        #[arg(long, value_name = "ENV")]
        env: String,
    },
    /// Put an environment back on its previous promoted commit (or --to), redeploy, verify.
    #[command(
        after_help = "The commit rolled back is blocked from promotion until `portfolio unblock --commit SHA`.

Example:
  portfolio rollback --env staging --reason 'login broken'"
    )]
    Rollback {
        #[arg(long, value_name = "ENV")]
        env: String,
        #[arg(long, value_name = "REV")]
        to: Option<String>,
        #[arg(long, default_value = "rolled back")]
        reason: String,
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
    /// Allow a rolled-back commit to be promoted again.
    #[command(after_help = "Example:\n  portfolio unblock --commit 1a2b3c4")]
    Unblock {
        #[arg(long, value_name = "REV")]
        commit: String,
    },
    /// What each environment runs, what waits to be promoted, freezes, unmerged hotfixes.
    #[command(after_help = "Examples:\n  portfolio envs\n  portfolio envs --json")]
    Envs {
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
    /// Tag a release `vYYYY.MM.DD[.N]` with notes from conventional commits; update CHANGELOG.md.
    #[command(after_help = "Examples:
  portfolio release --dry-run
  portfolio release --commit staging")]
    Release {
        /// Commit to release (default: HEAD).
        #[arg(long, value_name = "REV", default_value = "HEAD")]
        commit: String,
        /// Print the tag and notes; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
    /// Check commit messages against Conventional Commits.
    #[command(after_help = "Example:
  portfolio commitlint --since origin/work")]
    Commitlint {
        /// Check commits after REV (default: all of HEAD's history).
        #[arg(long, value_name = "REV")]
        since: Option<String>,
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
    /// Check a branch name (default: the current branch): `<domain>/<issue-id>-description`.
    #[command(
        after_help = "Examples:\n  portfolio branch-check\n  portfolio branch-check backend/42-task-labels"
    )]
    BranchCheck { name: Option<String> },
    /// Write `.github/CODEOWNERS` from the catalog's owners, or check it for drift.
    #[command(after_help = "Examples:\n  portfolio codeowners\n  portfolio codeowners --check")]
    Codeowners {
        /// Only check; exit 1 when the file differs from the catalog.
        #[arg(long)]
        check: bool,
        /// GitHub organisation of the owner teams.
        #[arg(long, default_value = "portfolio-platform")]
        org: String,
    },
    /// Feature flags of every project (`ops/feature-flags.toml`): list, and check expiry and use.
    #[command(subcommand)]
    Flags(FlagsCmd),
    /// Retire a project (guide §12): refused while others depend on it; ADR, lifecycle steps.
    #[command(
        after_help = "An active project goes to `deprecated` first (ADR proposed); run the \
command again after review to finish. Planned and experimental projects go in one step. The \
final step removes it from environments' deploy lists; up, CI, lint and test skip it; audit \
evidence and backups are kept.

Examples:
  portfolio decommission web3/simple-smart-contract --reason 'replaced by the payments API' --dry-run
  portfolio decommission web3/simple-smart-contract --reason 'replaced by the payments API'"
    )]
    Decommission {
        id: String,
        /// Why (goes into the ADR and the manifest).
        #[arg(long)]
        reason: String,
        /// Say what would change; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
    /// Encrypted secrets (guide §8): value-level encryption of YAML, JSON and .env files to age
    /// recipients chosen by path rules in .portfolio-secrets.toml.
    #[command(subcommand)]
    Secrets(SecretsCmd),
    /// A service's runtime environment for an environment: defaults, overrides, secrets.
    #[command(subcommand)]
    Env(EnvCmd),
    /// Runbooks (guide §9): freshness and alert cross-checks, and new ones from the template.
    #[command(subcommand)]
    Runbook(RunbookCmd),
    /// Disaster recovery: the RTO/RPO matrix and recovery index of the DR project.
    #[command(subcommand)]
    Dr(DrCmd),
    /// Rate every built project bronze/silver/gold on the governance rubric.
    #[command(
        after_help = "bronze: README, owner, ADR, tests. silver: runbook exercised within 90 \
days, performance figures (services, CLIs), no expired flags. gold: a DR drill passed this \
quarter, a green security stage for the current commit, coverage measured. A level needs all \
its checks and those below.

Examples:
  portfolio scorecard
  portfolio scorecard --html > scorecard.html"
    )]
    Scorecard {
        /// Machine-readable output (JSON on standard output).
        #[arg(long, conflicts_with = "html")]
        json: bool,
        /// A self-contained HTML page.
        #[arg(long)]
        html: bool,
    },
    /// The quarterly governance review pack.
    #[command(subcommand)]
    Governance(GovernanceCmd),
    /// Audit evidence: verify the chain, report coverage per control, review access.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Print the base revision `scripts/validate-local.sh` compares with.
    #[command(hide = true)]
    DefaultBase,
}

#[derive(Debug, Subcommand)]
pub enum CatalogCmd {
    /// One line per project.
    #[command(
        after_help = "Examples:\n  portfolio catalog list\n  portfolio catalog list --markdown\n  portfolio catalog list --json"
    )]
    List {
        /// Machine-readable output (JSON on standard output).
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// A Markdown table with links to each README (as in the repository's README).
        #[arg(long)]
        markdown: bool,
    },
    /// Everything the manifest says about one project, with resolved tasks and dependents.
    #[command(
        after_help = "Examples:\n  portfolio catalog show backend/task-api\n  portfolio catalog show backend/task-api --json"
    )]
    Show {
        id: String,
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SecretsCmd {
    /// Encrypt files in place to the recipients of the first matching rule.
    #[command(
        after_help = "Example:\n  portfolio secrets encrypt secrets/prod/backend__task-api.env"
    )]
    Encrypt {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Decrypt a file to standard output (or --output FILE, mode 0600); checks every value and
    /// the MAC.
    #[command(
        after_help = "Example:\n  portfolio secrets decrypt secrets/prod/backend__task-api.env --output /tmp/task-api.env"
    )]
    Decrypt {
        file: PathBuf,
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Decrypt into a private temporary file, open $VISUAL/$EDITOR, encrypt again.
    #[command(
        after_help = "Example:\n  EDITOR=nano portfolio secrets edit secrets/staging/backend__task-api.env"
    )]
    Edit { file: PathBuf },
    /// Re-encrypt every value under a new data key (same recipients).
    #[command(after_help = "Example:\n  portfolio secrets rotate secrets/prod/*.env")]
    Rotate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Give files to the recipients their rule names now. Adding recipients keeps the values
    /// as they are; removing one also rotates the data key (a removed recipient may have kept
    /// it), unless --no-rotate.
    #[command(
        after_help = "Examples:\n  portfolio secrets updatekeys secrets/staging/*.yaml      # after editing .portfolio-secrets.toml\n  portfolio secrets updatekeys --no-rotate secrets/x.env   # keep values; the removed recipient can still read them"
    )]
    Updatekeys {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Keep the data key when a recipient is removed (they can still decrypt the values
        /// with the key they had); by default it is rotated.
        #[arg(long)]
        no_rotate: bool,
    },
    /// For a new key set: update recipients and rotate the data key of every encrypted file
    /// under secrets/.
    #[command(
        after_help = "Example (after replacing the keys in .portfolio-secrets.toml):\n  portfolio secrets reseal"
    )]
    Reseal,
    /// Fail when a file under secrets/ is not encrypted or a secret appears in plain text
    /// anywhere in the tree (AWS keys, private key blocks, age keys, GitHub tokens).
    #[command(after_help = "Example:\n  portfolio secrets check --json")]
    Check {
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum EnvCmd {
    /// Manifest defaults, the environment's [deploy.env], then the decrypted
    /// secrets/<env>/<domain>__<name>.env|yaml|json. Without --output or a command, prints
    /// names and sources only (never values).
    #[command(after_help = "Examples:
  portfolio env render --env staging --project backend/task-api
  portfolio env render --env staging --project backend/task-api --output /run/task-api.env
  portfolio env render --env staging --project backend/task-api -- cargo run -p task-api")]
    Render {
        #[arg(long, value_name = "ENV")]
        env: String,
        #[arg(long, value_name = "ID")]
        project: String,
        /// Write KEY=VALUE lines to this file (mode 0600).
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Run this command with the environment (kept in memory).
        #[arg(last = true)]
        command: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DrCmd {
    /// Write projects/strategy/disaster-recovery-plan/MATRIX.md from the manifests (RTO, RPO,
    /// state, runbooks, last drill); --check fails when it is out of date.
    #[command(
        after_help = "Examples:\n  portfolio dr matrix\n  portfolio dr matrix --check\n  portfolio dr matrix --json"
    )]
    Matrix {
        #[arg(long, conflicts_with = "json")]
        check: bool,
        /// Machine-readable output (JSON on standard output); writes nothing.
        #[arg(long)]
        json: bool,
    },
    /// Run a disaster-recovery drill: back up, load, delete or corrupt the state, restore,
    /// restart; measure RTO and RPO against the manifest and check the data.
    #[command(
        after_help = "Each project needs state, rto, rpo and a [dr] table (load, count) in its \
manifest. The drill runs in a sandbox worktree of HEAD (.portfolio/drills/sandbox, kept as a build \
cache) on the ports and \
environment of projects/strategy/disaster-recovery-plan/drill.toml, so `portfolio up` may keep \
running. Exit 1 when a target is missed or data is lost; evidence goes to audits/ and a line to \
the DR project's EXERCISES.md.

Examples:
  portfolio dr drill --project backend/task-api
  portfolio dr drill --scenario corruption --json
  portfolio dr drill --project data-streaming/kafka-data-consumer --keep"
    )]
    Drill {
        /// Projects to drill (repeatable; default: every built project with a [dr] table).
        #[arg(long = "project", value_name = "ID")]
        projects: Vec<String>,
        #[arg(long, value_enum, default_value = "loss")]
        scenario: crate::drill::Scenario,
        /// Keep the sandbox's data and logs (the report and the backup stay either way).
        #[arg(long)]
        keep: bool,
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RunbookCmd {
    /// Sections, freshness (exercised within 90 days), alert IDs against the alert rules and
    /// every rule's runbook link.
    #[command(
        after_help = "Alert rules: Prometheus rule files named *.rules.yml under projects/, \
each alert with a `runbook_url` annotation (a path in this repository, optionally #anchor).

Example:\n  portfolio runbook check --json"
    )]
    Check {
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
    /// Write a project's ops/runbook.md from the house template (never overwrites).
    #[command(after_help = "Example:\n  portfolio runbook new devops/file-backup-utility")]
    New { id: String },
}

#[derive(Debug, Subcommand)]
pub enum GovernanceCmd {
    /// Scorecards, DR readiness, flag debt, stale ADRs and evidence coverage of a quarter, as
    /// Markdown and HTML (with charts) in --out.
    #[command(
        after_help = "Example:\n  portfolio governance report --quarter 2026Q4 --out target/governance"
    )]
    Report {
        /// The quarter, e.g. 2026Q4 (default: the current one).
        #[arg(long)]
        quarter: Option<String>,
        /// Folder for governance-<quarter>.md and .html (default: print Markdown).
        #[arg(long, value_name = "DIR")]
        out: Option<std::path::PathBuf>,
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum FlagsCmd {
    /// Every declared flag: owner, default, per-environment values, dates, status.
    #[command(
        after_help = "Examples:\n  portfolio flags list\n  portfolio flags list --env prod --json"
    )]
    List {
        /// Show each flag's value in this environment.
        #[arg(long, value_name = "ENV")]
        env: Option<String>,
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
    /// Fail on expired flags, flags read in code (`flag("name")`) but not declared, declared
    /// but never read, or declared twice.
    #[command(after_help = "Example:\n  portfolio flags check --json")]
    Check {
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Check every evidence record against the hash chain (edited, deleted, unchained).
    #[command(after_help = "Example:\n  portfolio audit verify --json")]
    Verify {
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
    /// Coverage matrix per control: evidence count, latest date, gaps.
    #[command(
        after_help = "Examples:\n  portfolio audit report\n  portfolio audit report --year 2026 --format html > audit.html"
    )]
    Report {
        /// Year of the evidence (default: this year).
        #[arg(long)]
        year: Option<i32>,
        #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
        format: ReportFormat,
    },
    /// Who can approve promotions and who owns what, for the quarterly sign-off (recorded as
    /// evidence).
    #[command(
        after_help = "Example:\n  portfolio audit access-review --json > access-review-2026Q4.json"
    )]
    AccessReview {
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
    /// Record evidence from a tool outside the platform (a model promotion, a scan): one
    /// record per control that lists the source, chained like the platform's own.
    #[command(
        after_help = "Example:\n  cat evidence.json | portfolio audit record --source promotion \\\n    --subject late-task-v3 --summary 'late-task v3 promoted to production' --data -\n\nSources are the controls' (audits/controls.toml): promotion, approval, rollback, scanner, …\nPrints the files written (none when no control lists the source)."
    )]
    Record {
        /// The evidence source a control lists (`promotion`, `rollback`, `scanner`, …).
        #[arg(long)]
        source: String,
        /// What the evidence is about (a commit, a model version); part of the file name.
        #[arg(long)]
        subject: String,
        /// One line for the Markdown summary.
        #[arg(long)]
        summary: String,
        /// A JSON file with the evidence's data, `-` for standard input.
        #[arg(long, value_name = "FILE")]
        data: PathBuf,
        /// Machine-readable output (JSON on standard output).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ReportFormat {
    Md,
    Html,
    Json,
}

#[derive(Debug, Args)]
pub struct CiArgs {
    /// lint, unit, integration, security, build, deploy, verify, or all.
    pub stage: String,
    /// Only this project (repeatable).
    #[arg(long = "project", short = 'p', value_name = "ID")]
    pub projects: Vec<String>,
    /// Only projects affected by changes since --since (others are skipped, with the reason).
    #[arg(long, requires = "since")]
    pub affected: bool,
    /// Git revision that --affected compares the working tree with.
    #[arg(long, value_name = "REV")]
    pub since: Option<String>,
    /// Continue after a failed step.
    #[arg(long)]
    pub keep_going: bool,
    /// Environment for deploy and verify.
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// Write audit evidence under audits/ for this run (the default only when `CI` is set;
    /// `PORTFOLIO_EVIDENCE=0` turns it off in any case).
    #[arg(long)]
    pub evidence: bool,
    /// Machine-readable records (JSON on standard output).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum TimeCmd {
    /// Clear the record: a new run begins.
    #[command(after_help = "Example:\n  portfolio time start")]
    Start,
    /// Run one stage, record its wall time and outcome; exits with the command's code.
    #[command(
        after_help = "Examples:\n  portfolio time run build -- cargo build --workspace\n  portfolio time run test -- scripts/with-postgres.sh portfolio test"
    )]
    Run {
        /// The stage's name in the table (`build`, `lint`, `test`, ...).
        name: String,
        /// The command and its arguments (after `--`).
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
    /// The table of stages and wall times, per project under `lint` and `test`, and a total.
    #[command(after_help = "Examples:\n  portfolio time report\n  portfolio time report --json")]
    Report {
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every command a user can run teaches by example in its `--help`.
    #[test]
    fn every_command_has_an_example_in_its_help() {
        fn leaves(cmd: &clap::Command, path: String, out: &mut Vec<(String, clap::Command)>) {
            let subs: Vec<&clap::Command> = cmd
                .get_subcommands()
                .filter(|s| !s.is_hide_set() && s.get_name() != "help")
                .collect();
            if subs.is_empty() {
                out.push((path.clone(), cmd.clone()));
            }
            for s in subs {
                leaves(s, format!("{path} {}", s.get_name()), out);
            }
        }
        let mut all = Vec::new();
        leaves(&super::Cli::command(), "portfolio".into(), &mut all);
        let missing: Vec<String> = all
            .into_iter()
            .filter(|(_, c)| {
                let mut c = c.clone();
                !c.render_long_help().to_string().contains("Example")
            })
            .map(|(p, _)| p)
            .collect();
        assert!(
            missing.is_empty(),
            "no example in the help of: {missing:#?}"
        );
    }
}
