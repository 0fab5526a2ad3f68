//! Each command of the CLI as a function that returns its outcome (the CLI prints it).

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::Config;
use crate::data::{self, Dataset, RawTable};
use crate::drift::{self, DriftReport};
use crate::evaluate::{self, Evaluation};
use crate::model::{self, Model, TrainReport};
use crate::promote::{self, Promotion, Rules};
use crate::registry::{Card, Registry};
use crate::validate::{self, Report};

/// Where things are: the options every command shares.
#[derive(Debug, Clone)]
pub struct Env {
    pub config: Config,
    pub lake: String,
    pub registry: String,
    pub repo: PathBuf,
}

/// The data source: a CSV file when given, else the lake's table.
pub fn load(env: &Env, csv: Option<&Path>) -> anyhow::Result<RawTable> {
    match csv {
        Some(p) => data::read_csv(p),
        None => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()?;
            rt.block_on(data::read_lake(&env.lake, &env.config.data.table))
        }
    }
}

/// `validate`: the report, also written as `validation.json` and `validation.md` in `out`.
pub fn validate(env: &Env, csv: Option<&Path>, out: Option<&Path>) -> anyhow::Result<Report> {
    let raw = load(env, csv)?;
    let report = validate::validate(&raw, &env.config.data);
    if let Some(dir) = out {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
        model::write(
            &dir.join("validation.json"),
            &serde_json::to_vec_pretty(&report)?,
        )?;
        model::write(&dir.join("validation.md"), report.markdown().as_bytes())?;
    }
    Ok(report)
}

/// `train`: fits and writes the run folder (model, meta, report, the test part).
pub fn train(env: &Env, csv: Option<&Path>, out: &Path) -> anyhow::Result<TrainReport> {
    train_on(env, &load(env, csv)?, out)
}

/// `train` on a table already read.
fn train_on(env: &Env, raw: &RawTable, out: &Path) -> anyhow::Result<TrainReport> {
    anyhow::ensure!(
        raw.bad_values.is_empty(),
        "{}: {} value(s) do not have their column's type; `mlops validate` lists them",
        raw.source,
        raw.bad_values.len()
    );
    let ds = Dataset::from_raw(raw)?;
    anyhow::ensure!(
        ds.rows >= env.config.data.min_rows,
        "{}: {} row(s) with a known outcome, data.min_rows is {}",
        raw.source,
        ds.rows,
        env.config.data.min_rows
    );
    let (model, report, test) = model::train(&ds, &raw.source, &env.config.train)?;
    model.save(out)?;
    model::write(
        &out.join("train-report.json"),
        &serde_json::to_vec_pretty(&report)?,
    )?;
    let mut file = std::fs::File::create(out.join("test-set.csv"))
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", out.join("test-set.csv").display()))?;
    let split = test.split(0.0, 0.0);
    data::write_matrix_csv(&test, &split, &mut file)?;
    // A new model: whatever an earlier evaluation of this folder said no longer holds.
    for stale in ["evaluation.json", "evaluation.md"] {
        let _ = std::fs::remove_file(out.join(stale));
    }
    Ok(report)
}

/// `evaluate`: the run's model on its test part, against production's; writes
/// `evaluation.json` and `evaluation.md` into the run.
pub fn evaluate(env: &Env, run: &Path) -> anyhow::Result<Evaluation> {
    let model = Model::load(run)?;
    let test = data::read_matrix_csv(&run.join("test-set.csv"))?;
    let reg = Registry::open(&env.registry)?;
    let production = reg.serving("production")?;
    let e = evaluate::evaluate(
        &model,
        &test,
        production.as_ref().map(|(v, m)| (*v, m)),
        &env.config.gates,
    );
    model::write(
        &run.join("evaluation.json"),
        &serde_json::to_vec_pretty(&e)?,
    )?;
    model::write(&run.join("evaluation.md"), e.markdown().as_bytes())?;
    Ok(e)
}

fn actor(env: &Env) -> anyhow::Result<String> {
    promote::identity(&env.repo).ok_or_else(|| {
        anyhow::anyhow!(
            "no identity: set PORTFOLIO_ACTOR or git's user.email (the registry records who acts)"
        )
    })
}

/// `register`: the run as the next version.
pub fn register(env: &Env, run: &Path) -> anyhow::Result<Card> {
    let reg = Registry::open(&env.registry)?;
    reg.register(run, &actor(env)?, &promote::commit(&env.repo))
}

/// `approve`.
pub fn approve(
    env: &Env,
    version: u32,
    comment: Option<String>,
) -> anyhow::Result<crate::registry::Approval> {
    let reg = Registry::open(&env.registry)?;
    let rules = Rules::load(&env.repo, &env.config.promote.environment)?;
    promote::approve(&reg, &rules, version, &actor(env)?, comment)
}

/// The outcome of a promotion or rollback, with where its evidence went.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded<T> {
    #[serde(flatten)]
    pub outcome: T,
    pub evidence: Vec<PathBuf>,
    /// Why no evidence was written, when none was.
    pub evidence_warning: Option<String>,
}

fn with_evidence<T: Serialize>(
    env: &Env,
    source: &str,
    subject: &str,
    summary: &str,
    outcome: T,
) -> Recorded<T> {
    match promote::evidence(&env.repo, source, subject, summary, &outcome) {
        Ok(evidence) => Recorded {
            outcome,
            evidence,
            evidence_warning: None,
        },
        Err(w) => Recorded {
            outcome,
            evidence: vec![],
            evidence_warning: Some(w),
        },
    }
}

/// `promote`, with audit evidence.
pub fn promote(env: &Env, version: u32, stage: &str) -> anyhow::Result<Recorded<Promotion>> {
    let p = promote_only(env, version, stage)?;
    let summary = format!(
        "model late-task v{version} promoted to {stage} by {}{}",
        promote::identity(&env.repo).unwrap_or_default(),
        p.replaced
            .map(|r| format!(" (replacing v{r})"))
            .unwrap_or_default()
    );
    Ok(with_evidence(
        env,
        "promotion",
        &format!("late-task-v{version}-{stage}"),
        &summary,
        p,
    ))
}

/// The promotion itself (the registry's history records it; no audit evidence).
fn promote_only(env: &Env, version: u32, stage: &str) -> anyhow::Result<Promotion> {
    let reg = Registry::open(&env.registry)?;
    let rules = if stage == "production" {
        Some(Rules::load(&env.repo, &env.config.promote.environment)?)
    } else {
        None
    };
    promote::promote(
        &reg,
        rules.as_ref(),
        &env.config.promote,
        version,
        stage,
        &actor(env)?,
    )
}

#[derive(Debug, Clone, Serialize)]
pub struct Rollback {
    pub stage: String,
    pub from: u32,
    pub to: u32,
}

/// `rollback`.
pub fn rollback(env: &Env, stage: &str) -> anyhow::Result<Recorded<Rollback>> {
    let reg = Registry::open(&env.registry)?;
    let who = actor(env)?;
    let (from, to) = promote::rollback(&reg, stage, &who)?;
    Ok(with_evidence(
        env,
        "rollback",
        &format!("late-task-{stage}-v{from}-to-v{to}"),
        &format!("model late-task {stage} rolled back from v{from} to v{to} by {who}"),
        Rollback {
            stage: stage.into(),
            from,
            to,
        },
    ))
}

/// One registered version as `status` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct VersionLine {
    pub version: u32,
    pub registered_at: String,
    pub registered_by: String,
    pub roc_auc: Option<f64>,
    pub gates_passed: bool,
    pub stages: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub registry: String,
    pub versions: Vec<VersionLine>,
    pub stages: std::collections::BTreeMap<String, crate::registry::Stage>,
    pub history: Vec<crate::registry::HistoryEntry>,
}

/// `status`.
pub fn status(env: &Env) -> anyhow::Result<Status> {
    let reg = Registry::open(&env.registry)?;
    let stages = reg.stages()?;
    let mut versions = Vec::new();
    for v in reg.versions()? {
        let Ok(card) = reg.card(v) else { continue };
        versions.push(VersionLine {
            version: v,
            registered_at: card.registered_at,
            registered_by: card.registered_by,
            roc_auc: card.evaluation.metrics.roc_auc,
            gates_passed: card.gates_passed,
            stages: stages
                .iter()
                .filter(|(_, s)| s.version == v)
                .map(|(n, _)| n.clone())
                .collect(),
        });
    }
    Ok(Status {
        registry: reg.store.describe(),
        versions,
        stages,
        history: reg.history()?,
    })
}

/// `drift`: the serving model's training window (production, else staging) against the
/// lake's last `drift.window_days` days, or against `current` (a CSV of the contract's
/// columns).
pub fn drift(env: &Env, current: Option<&Path>) -> anyhow::Result<DriftReport> {
    let reg = Registry::open(&env.registry)?;
    let stages = reg.stages()?;
    let (stage, serving) = ["production", "staging"]
        .iter()
        .find_map(|s| stages.get(*s).map(|v| (*s, v.version)))
        .ok_or_else(|| {
            anyhow::anyhow!("no model serves production or staging: drift compares with a serving model's training data")
        })?;
    let card = reg.card(serving)?;
    let model = reg.load_model(serving)?;
    let lake = load(env, None)?;
    let all = Dataset::all_rows(&lake)?;
    let parse = |d: &str| {
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(data::days)
            .map_err(|e| anyhow::anyhow!("v{serving}'s card: window date {d:?}: {e}"))
    };
    let (from, to) = (
        parse(&card.training.train_window.0)?,
        parse(&card.training.train_window.1)?,
    );
    let reference = all.since(from);
    let end = reference.created_date.partition_point(|&d| d <= to);
    let reference = reference.slice(0..end);
    let (cname, cur) = match current {
        Some(p) => {
            let raw = data::read_csv(p)?;
            (raw.source.clone(), Dataset::all_rows(&raw)?)
        }
        None => {
            let since = all.as_of - (env.config.drift.window_days as i32) + 1;
            (
                format!(
                    "{} created {} to {}",
                    lake.source,
                    data::date(since),
                    data::date(all.as_of)
                ),
                all.since(since),
            )
        }
    };
    anyhow::ensure!(
        reference.rows > 0 && cur.rows > 0,
        "nothing to compare: {} reference row(s), {} recent row(s)",
        reference.rows,
        cur.rows
    );
    Ok(drift::compare(
        (
            &format!(
                "v{serving} ({stage}) training window {from_d} to {to_d}",
                from_d = card.training.train_window.0,
                to_d = card.training.train_window.1
            ),
            &reference,
        ),
        (&cname, &cur),
        Some(&model),
        &env.config.drift,
    ))
}

/// Pushes `body` to the Pushgateway at `url` (job `mlops-drift`).
pub fn push_metrics(url: &str, body: &str) -> anyhow::Result<()> {
    let target = format!(
        "{}/metrics/job/mlops-drift/model/late-task",
        url.trim_end_matches('/')
    );
    ureq::put(&target)
        .header("content-type", "text/plain; version=0.0.4")
        .send(body)
        .map_err(|e| anyhow::anyhow!("pushing metrics to {target}: {e}"))?;
    Ok(())
}

/// `export`: the contract's columns (`matrix = false`) or the model's matrix with each
/// row's part (`matrix = true`, the baseline's input).
pub fn export(
    env: &Env,
    csv: Option<&Path>,
    matrix: bool,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<usize> {
    let raw = load(env, csv)?;
    if !matrix {
        data::write_csv(&raw, out)?;
        return Ok(raw.rows);
    }
    let ds = Dataset::from_raw(&raw)?;
    let split = ds.split(
        env.config.train.train_share,
        env.config.train.validation_share,
    );
    data::write_matrix_csv(&ds, &split, out)?;
    Ok(ds.rows)
}

/// What `ensure` did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Ensured {
    /// A model already serves staging.
    Serving { version: u32 },
    /// Too little data yet.
    Waiting { detail: String },
    /// Trained, registered and promoted to staging.
    Promoted { version: u32, roc_auc: Option<f64> },
    /// Trained and registered, but the gates refused it.
    Refused { version: u32, detail: String },
}

impl std::fmt::Display for Ensured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ensured::Serving { version } => write!(f, "late-task v{version} serves staging"),
            Ensured::Waiting { detail } => write!(f, "waiting for training data: {detail}"),
            Ensured::Promoted { version, roc_auc } => write!(
                f,
                "trained, registered and promoted late-task v{version} to staging (test ROC AUC {})",
                roc_auc.map_or("–".into(), |a| format!("{a:.4}"))
            ),
            Ensured::Refused { version, detail } => write!(
                f,
                "late-task v{version} registered but refused by its gates: {detail}"
            ),
        }
    }
}

/// `ensure`: keeps a model in staging — when none serves it and the data passes its
/// contract, validate → train → evaluate → register → promote to staging.
pub fn ensure(env: &Env, run: &Path) -> anyhow::Result<Ensured> {
    let reg = Registry::open(&env.registry)?;
    if let Some(s) = reg.stages()?.get("staging") {
        return Ok(Ensured::Serving { version: s.version });
    }
    let raw = match load(env, None) {
        Ok(raw) => raw,
        Err(e) => {
            return Ok(Ensured::Waiting {
                detail: e.to_string(),
            });
        }
    };
    let report = validate::validate(&raw, &env.config.data);
    if !report.passed {
        let why: Vec<String> = report
            .failures()
            .map(|c| format!("{} {}: {}", c.kind, c.subject, c.detail))
            .collect();
        return Ok(Ensured::Waiting {
            detail: why.join("; "),
        });
    }
    // The table validated above is the one trained on (read once).
    train_on(env, &raw, run)?;
    let e = evaluate(env, run)?;
    let card = register(env, run)?;
    if !e.passed {
        let failed: Vec<String> = e
            .gates
            .iter()
            .filter(|g| !g.passed)
            .map(|g| g.detail.clone())
            .collect();
        return Ok(Ensured::Refused {
            version: card.version,
            detail: failed.join("; "),
        });
    }
    // The local platform's own staging: the registry's history records it; audit evidence
    // is for the pipelines' promotions.
    promote_only(env, card.version, "staging")?;
    Ok(Ensured::Promoted {
        version: card.version,
        roc_auc: e.metrics.roc_auc,
    })
}
