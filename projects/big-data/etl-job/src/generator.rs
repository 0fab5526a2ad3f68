//! `etl-job gen-bronze`: a realistic `bronze/task_events` table in the stream consumer's exact
//! schema (through the shared `lake` crate, so the same writer), for the benchmark, the tests
//! and demos. Deterministic for a seed.
//!
//! Each project starts with a `project.created` event; tasks are created every day of the
//! window at a steady rate with a little noise, and each lives a life: a few updates, a
//! completion after a duration that depends on its priority (three quarters of tasks), now and
//! then a reopening and a second completion, a deletion (one in sixteen), or it stays open.
//! Events are emitted in time order and spread over three Kafka partitions by project.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use events::{Event, EventData, Priority, ProjectSnapshot, TaskSnapshot, TaskStatus};
use lake::BronzeRow;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    pub events: u64,
    pub projects: u32,
    pub days: u32,
    pub seed: u64,
    /// The last day of the window (default: today, UTC).
    pub end: NaiveDate,
    /// Events per Delta commit.
    pub batch: usize,
    /// Use these project ids (for a project that exists in the task API) instead of
    /// `projects` random ones.
    pub project_ids: Vec<Uuid>,
}

/// What was written.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub events: u64,
    pub tasks: u64,
    pub commits: u64,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    pub bronze_version: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Update,
    Complete,
    Reopen,
    Delete,
}

const PARTITIONS: i32 = 3;
const LABELS: [&str; 6] = ["bug", "feature", "ops", "docs", "urgent", "backend"];

fn pick_priority(rng: &mut SmallRng) -> Priority {
    match rng.random_range(0..100) {
        0..20 => Priority::Low,
        20..65 => Priority::Medium,
        65..90 => Priority::High,
        _ => Priority::Urgent,
    }
}

/// An exponentially distributed duration with the given mean in hours.
fn exp_hours(rng: &mut SmallRng, mean: f64) -> Duration {
    let u: f64 = rng.random_range(f64::EPSILON..1.0);
    Duration::microseconds((-u.ln() * mean * 3.6e9) as i64)
}

fn uuid(rng: &mut SmallRng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

struct Generator {
    rng: SmallRng,
    /// Live tasks with the number of steps still queued for each.
    tasks: HashMap<u64, (TaskSnapshot, u32)>,
    queue: BinaryHeap<Reverse<(DateTime<Utc>, u64, Step)>>,
    offsets: [i64; PARTITIONS as usize],
    projects: Vec<Uuid>,
    owner: Uuid,
    next_task: u64,
}

impl Generator {
    fn schedule(&mut self, at: DateTime<Utc>, n: u64, step: Step) {
        if let Some((_, pending)) = self.tasks.get_mut(&n) {
            *pending += 1;
        }
        self.queue.push(Reverse((at, n, step)));
    }

    fn partition(&self, project: Uuid) -> i32 {
        (project.as_u128() % PARTITIONS as u128) as i32
    }

    fn row(&mut self, time: DateTime<Utc>, data: EventData) -> BronzeRow {
        let project = data.project_id();
        let id = uuid(&mut self.rng).to_string();
        let event = Event::new(id.clone(), "/task-api", time, data);
        let partition = self.partition(project);
        let offset = self.offsets[partition as usize];
        self.offsets[partition as usize] += 1;
        BronzeRow {
            event_id: id,
            event_type: event.event_type().to_string(),
            source: event.source.clone(),
            subject: Some(event.data.subject()),
            time,
            project_id: project.to_string(),
            event: String::from_utf8(event.to_json()).expect("JSON is UTF-8"),
            topic: events::TOPIC.to_string(),
            partition,
            offset,
        }
    }

    fn create_task(&mut self, time: DateTime<Utc>) -> BronzeRow {
        let rng = &mut self.rng;
        let project = self.projects[rng.random_range(0..self.projects.len())];
        let priority = pick_priority(rng);
        let due_date = rng
            .random_bool(0.7)
            .then(|| time.date_naive() + Duration::days(rng.random_range(1..21)));
        let labels = (0..rng.random_range(0..4))
            .map(|_| LABELS[rng.random_range(0..LABELS.len())].to_string())
            .collect();
        let description = rng.random_bool(0.6).then(|| {
            let words = rng.random_range(2..30);
            (0..words)
                .map(|i| if i % 3 == 0 { "ship" } else { "the thing" })
                .collect::<Vec<_>>()
                .join(" ")
        });
        let task = TaskSnapshot {
            id: uuid(rng),
            project_id: project,
            title: format!("Task {}", self.next_task),
            description,
            status: TaskStatus::Todo,
            priority,
            due_date,
            assignee_id: rng.random_bool(0.75).then(|| uuid(rng)),
            labels,
            position: self.next_task as f64,
            version: 1,
            created_at: time,
            updated_at: time,
            completed_at: None,
        };
        let n = self.next_task;
        self.next_task += 1;
        self.tasks.insert(n, (task.clone(), 0));
        // Its future: updates, then a completion or a deletion (or neither).
        let updates = match self.rng.random_range(0..100) {
            0..40 => 0,
            40..75 => 1,
            75..95 => 2,
            _ => 3,
        };
        for _ in 0..updates {
            let at = time + exp_hours(&mut self.rng, 20.0);
            self.schedule(at, n, Step::Update);
        }
        let speed = match priority {
            Priority::Urgent => 0.4,
            Priority::High => 0.7,
            Priority::Medium => 1.0,
            Priority::Low => 1.6,
        };
        match self.rng.random_range(0..16) {
            0 => {
                let at = time + exp_hours(&mut self.rng, 48.0);
                self.schedule(at, n, Step::Delete);
            }
            1..=12 => {
                let at = time + exp_hours(&mut self.rng, 72.0 * speed);
                self.schedule(at, n, Step::Complete);
            }
            _ => {}
        }
        self.row(time, EventData::TaskCreated { task })
    }

    /// The next step of a task's life at `at`, or `None` when the task is gone.
    fn step(&mut self, at: DateTime<Utc>, n: u64, step: Step) -> Option<BronzeRow> {
        let (task, pending) = self.tasks.get_mut(&n)?;
        *pending -= 1;
        let mut task = task.clone();
        task.version += 1;
        task.updated_at = at;
        let data = match step {
            Step::Update => {
                let changed = if self.rng.random_bool(0.5) {
                    task.priority = pick_priority(&mut self.rng);
                    "priority"
                } else {
                    task.title = format!("{} (edited)", task.title);
                    "title"
                };
                if task.status == TaskStatus::Todo && self.rng.random_bool(0.5) {
                    task.status = TaskStatus::InProgress;
                }
                EventData::TaskUpdated {
                    task: task.clone(),
                    changed: vec![changed.to_string()],
                }
            }
            Step::Complete => {
                task.status = TaskStatus::Done;
                task.completed_at = Some(at);
                if self.rng.random_bool(0.05) {
                    let later = at + exp_hours(&mut self.rng, 30.0);
                    self.schedule(later, n, Step::Reopen);
                }
                EventData::TaskCompleted { task: task.clone() }
            }
            Step::Reopen => {
                task.status = TaskStatus::Todo;
                task.completed_at = None;
                let later = at + exp_hours(&mut self.rng, 24.0);
                self.schedule(later, n, Step::Complete);
                EventData::TaskUpdated {
                    task: task.clone(),
                    changed: vec!["status".to_string()],
                }
            }
            Step::Delete => {
                self.tasks.remove(&n);
                return Some(self.row(
                    at,
                    EventData::TaskDeleted {
                        task_id: task.id,
                        project_id: task.project_id,
                    },
                ));
            }
        };
        match self.tasks.get_mut(&n) {
            Some((_, 0)) => {
                self.tasks.remove(&n);
            }
            Some((t, _)) => *t = task,
            None => {}
        }
        Some(self.row(at, data))
    }
}

/// Appends `rows` to bronze in one commit recording each partition's last offset.
async fn flush(
    table: &mut deltalake::DeltaTable,
    rows: &mut Vec<BronzeRow>,
    offsets: &[i64; PARTITIONS as usize],
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let rows = std::mem::take(rows);
    let offsets: BTreeMap<i32, i64> = (0..PARTITIONS)
        .map(|p| (p, offsets[p as usize] - 1))
        .filter(|(_, o)| *o >= 0)
        .collect();
    summary.commits += 1;
    lake::append(table, &rows, "etl-job-gen-bronze", events::TOPIC, &offsets)
        .await
        .map_err(|e| anyhow::anyhow!("writing bronze: {e}"))
}

/// Writes `spec.events` events to `bronze/task_events` under `lake` (created if missing;
/// appended to if present).
pub async fn generate(
    lake_root: &str,
    spec: &Spec,
    progress: &dyn Fn(u64),
) -> anyhow::Result<Summary> {
    anyhow::ensure!(spec.events > 0, "--events must be at least 1");
    anyhow::ensure!(spec.projects > 0, "--projects must be at least 1");
    anyhow::ensure!(spec.days > 0, "--days must be at least 1");
    lake::parse_root(lake_root)?;
    let mut table = lake::open_bronze(lake_root).await?;
    let mut rng = SmallRng::seed_from_u64(spec.seed);
    let mut projects: Vec<Uuid> = (0..spec.projects).map(|_| uuid(&mut rng)).collect();
    if !spec.project_ids.is_empty() {
        projects = spec.project_ids.clone();
    }
    let owner = uuid(&mut rng);
    let mut g = Generator {
        rng,
        tasks: HashMap::new(),
        queue: BinaryHeap::new(),
        offsets: [0; PARTITIONS as usize],
        projects,
        owner,
        next_task: 0,
    };
    let start = spec.end - Duration::days(i64::from(spec.days) - 1);
    let start_time = start.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    // About 2.7 events per task: spread the tasks evenly over the window.
    let per_day = ((spec.events as f64 / 2.7) / f64::from(spec.days)).max(1.0);
    let mut rows: Vec<BronzeRow> = Vec::with_capacity(spec.batch.min(spec.events as usize));
    let mut summary = Summary {
        events: 0,
        tasks: 0,
        commits: 0,
        first: None,
        last: None,
        bronze_version: None,
    };
    let mut emitted = 0u64;
    // Every project's creation opens the window.
    for p in g.projects.clone() {
        if emitted == spec.events {
            break;
        }
        let project = ProjectSnapshot {
            id: p,
            name: format!("Project {}", &p.to_string()[..8]),
            description: None,
            owner_id: g.owner,
            created_at: start_time,
            updated_at: start_time,
        };
        rows.push(g.row(start_time, EventData::ProjectCreated { project }));
        emitted += 1;
    }
    let mut day = 0i64;
    while emitted < spec.events {
        let day_start = start_time + Duration::days(day);
        let day_end = day_start + Duration::days(1);
        let n = (per_day * g.rng.random_range(0.8..1.2)).round() as u64;
        let mut creations: Vec<DateTime<Utc>> = (0..n)
            .map(|_| day_start + Duration::microseconds(g.rng.random_range(0..86_400_000_000)))
            .collect();
        creations.sort();
        let mut creations = creations.into_iter().peekable();
        loop {
            if emitted >= spec.events {
                break;
            }
            let next_step = g
                .queue
                .peek()
                .map(|Reverse((t, _, _))| *t)
                .filter(|t| *t < day_end);
            let next_creation = creations.peek().copied();
            let row = match (next_step, next_creation) {
                (Some(s), Some(c)) if s < c => {
                    let Reverse((t, n, step)) = g.queue.pop().expect("peeked");
                    g.step(t, n, step)
                }
                (Some(_), None) => {
                    let Reverse((t, n, step)) = g.queue.pop().expect("peeked");
                    g.step(t, n, step)
                }
                (_, Some(c)) => {
                    creations.next();
                    summary.tasks += 1;
                    Some(g.create_task(c))
                }
                (None, None) => break,
            };
            if let Some(row) = row {
                summary.first.get_or_insert(row.time);
                summary.last = Some(row.time);
                rows.push(row);
                emitted += 1;
                if rows.len() >= spec.batch {
                    flush(&mut table, &mut rows, &g.offsets, &mut summary).await?;
                    progress(emitted);
                }
            }
        }
        day += 1;
    }
    if !rows.is_empty() {
        flush(&mut table, &mut rows, &g.offsets, &mut summary).await?;
        progress(emitted);
    }
    summary.events = emitted;
    summary.bronze_version = table.version();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_positive_and_near_their_mean() {
        let mut rng = SmallRng::seed_from_u64(7);
        let n = 20_000;
        let total: f64 = (0..n)
            .map(|_| exp_hours(&mut rng, 10.0).num_microseconds().unwrap() as f64 / 3.6e9)
            .sum();
        let mean = total / n as f64;
        assert!((9.5..10.5).contains(&mean), "{mean}");
    }
}
