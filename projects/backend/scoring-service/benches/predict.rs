//! A single prediction, and the whole scoring path of one task (checks, live figures,
//! features, trees), on a model trained on the synthetic table with the default parameters.
//!
//! `cargo bench -p scoring-service --bench predict`

use std::hint::black_box;

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use mlops::config::TrainConfig;
use mlops::data::{Dataset, read_csv};
use mlops::synthetic;
use scoring_service::aggregates::Aggregates;
use scoring_service::scoring::{TaskInput, score};
use scoring_service::serving::Loaded;
use uuid::Uuid;

fn model() -> Loaded {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("features.csv");
    std::fs::write(&path, synthetic::csv(&synthetic::tasks(20_000))).expect("writing the table");
    let ds = Dataset::from_raw(&read_csv(&path).expect("reading")).expect("a dataset");
    let (model, report, _) =
        mlops::model::train(&ds, "bench", &TrainConfig::default()).expect("training");
    eprintln!(
        "model: {} trees, depth {}",
        report.trees,
        TrainConfig::default().max_depth
    );
    Loaded { version: 1, model }
}

fn bench(c: &mut Criterion) {
    let loaded = model();
    let row = synthetic::tasks(1)[0].features.row();
    c.bench_function("predict_row (one task)", |b| {
        b.iter(|| loaded.model.predict_row(black_box(&row)))
    });
    let project = Uuid::new_v4();
    let aggregates = Aggregates::default();
    let input: TaskInput = serde_json::from_value(serde_json::json!({
        "project_id": project,
        "priority": "high",
        "due_date": "2026-12-20",
        "label_count": 2,
        "description_length": 120,
        "has_assignee": true,
        "created_at": "2026-12-08T10:00:00Z",
    }))
    .expect("a task");
    let now = Utc::now();
    c.bench_function("check + score (one task)", |b| {
        b.iter(|| {
            let checked = black_box(&input)
                .check(scoring_service::scoring::At::Task, now)
                .expect("valid");
            score(&checked, &aggregates, &loaded)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
