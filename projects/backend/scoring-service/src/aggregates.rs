//! Live per-project aggregates from `events.tasks.enriched`: the two features the model needs
//! at a task's creation (`project_open_load`, `project_throughput_28d`) defined exactly as
//! the ETL's `gold/task_features` defines them, and who may see each project.
//!
//! - open load: tasks created minus tasks closed, a task closing at its first completion or
//!   its deletion, whichever came first (a reopened task stays closed, as in the ETL);
//! - throughput: first completions in the 28 days before now (`[now − 28 d, now)`);
//! - members: the project's owner and its `member.*` events.
//!
//! Applying is idempotent per task (a task is created, closed and completed at most once) and
//! per offset: [`Aggregates::apply`] skips what it has already applied, so a replay after a
//! restart counts nothing twice. The state and its offsets are saved together
//! ([`Aggregates::save`]) before the offsets are committed to the consumer group.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::Path;

use events::{Event, EventData};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// 28 days in microseconds (the ETL's window).
pub const WINDOW_US: i64 = 28 * 24 * 3600 * 1_000_000;

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
struct TaskMark {
    project: Uuid,
    closed: bool,
    completed: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct ProjectAgg {
    open: i64,
    /// First-completion times (µs), ascending.
    completions: VecDeque<i64>,
    /// Time of the last event that changed the project (µs).
    updated_us: i64,
    members: HashSet<Uuid>,
}

/// A project's live figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ProjectFigures {
    pub open_load: i64,
    pub throughput_28d: i64,
    pub updated_us: i64,
}

/// What applying one record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The project whose figures or members changed.
    Changed(Uuid),
    /// A valid event that changes nothing here (an update, a second completion).
    Unchanged,
    /// At or before the partition's applied offset: a replay.
    Replayed,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Aggregates {
    tasks: HashMap<Uuid, TaskMark>,
    projects: HashMap<Uuid, ProjectAgg>,
    /// Per partition, the next offset to apply.
    offsets: BTreeMap<i32, i64>,
    /// Records applied since the state began (replays excluded).
    pub applied: u64,
}

impl Aggregates {
    /// The next offset to apply per partition (what the consumer group should hold).
    pub fn offsets(&self) -> &BTreeMap<i32, i64> {
        &self.offsets
    }

    /// Applies one record of `events.tasks.enriched` read at (`partition`, `offset`).
    pub fn apply(&mut self, partition: i32, offset: i64, event: &Event) -> Applied {
        let next = self.offsets.entry(partition).or_insert(0);
        if offset < *next {
            return Applied::Replayed;
        }
        *next = offset + 1;
        self.applied += 1;
        let t = event.time.timestamp_micros();
        let changed = match &event.data {
            EventData::TaskCreated { task } => match self.tasks.entry(task.id) {
                std::collections::hash_map::Entry::Occupied(_) => None,
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(TaskMark {
                        project: task.project_id,
                        ..TaskMark::default()
                    });
                    self.projects.entry(task.project_id).or_default().open += 1;
                    Some(task.project_id)
                }
            },
            EventData::TaskCompleted { task } => self.complete(task.id, t),
            EventData::TaskDeleted { task_id, .. } => self.close(*task_id),
            EventData::TaskUpdated { .. } => None,
            EventData::ProjectCreated { project } => {
                let p = self.projects.entry(project.id).or_default();
                p.members.insert(project.owner_id);
                Some(project.id)
            }
            EventData::ProjectUpdated { .. } => None,
            EventData::ProjectDeleted { project_id } => {
                self.projects.remove(project_id);
                self.tasks.retain(|_, m| m.project != *project_id);
                Some(*project_id)
            }
            EventData::MemberAdded(m) | EventData::MemberRoleChanged(m) => {
                self.projects
                    .entry(m.project_id)
                    .or_default()
                    .members
                    .insert(m.user_id);
                Some(m.project_id)
            }
            EventData::MemberRemoved {
                project_id,
                user_id,
            } => {
                if let Some(p) = self.projects.get_mut(project_id) {
                    p.members.remove(user_id);
                }
                Some(*project_id)
            }
        };
        match changed {
            Some(project) => {
                if let Some(p) = self.projects.get_mut(&project) {
                    p.updated_us = p.updated_us.max(t);
                }
                Applied::Changed(project)
            }
            None => Applied::Unchanged,
        }
    }

    fn close(&mut self, task: Uuid) -> Option<Uuid> {
        let mark = self.tasks.get_mut(&task)?;
        if mark.closed {
            return None;
        }
        mark.closed = true;
        let project = mark.project;
        self.projects.entry(project).or_default().open -= 1;
        Some(project)
    }

    fn complete(&mut self, task: Uuid, t: i64) -> Option<Uuid> {
        let mark = self.tasks.get_mut(&task)?;
        if mark.completed {
            return None;
        }
        mark.completed = true;
        let project = mark.project;
        let p = self.projects.entry(project).or_default();
        let at = p.completions.partition_point(|&c| c <= t);
        p.completions.insert(at, t);
        self.close(task);
        Some(project)
    }

    /// The project's figures at `now_us` (zero for a project never seen).
    pub fn figures(&self, project: &Uuid, now_us: i64) -> ProjectFigures {
        match self.projects.get(project) {
            None => ProjectFigures {
                open_load: 0,
                throughput_28d: 0,
                updated_us: 0,
            },
            Some(p) => {
                let from = p.completions.partition_point(|&c| c < now_us - WINDOW_US);
                let to = p.completions.partition_point(|&c| c < now_us);
                ProjectFigures {
                    open_load: p.open,
                    throughput_28d: (to - from) as i64,
                    updated_us: p.updated_us,
                }
            }
        }
    }

    /// Whether `user` owns or is a member of `project`.
    pub fn is_member(&self, project: &Uuid, user: &Uuid) -> bool {
        self.projects
            .get(project)
            .is_some_and(|p| p.members.contains(user))
    }

    /// Drops completions that left every window before `now_us` (memory stays bounded by
    /// 28 days of completions, plus one mark per task).
    pub fn prune(&mut self, now_us: i64) {
        for p in self.projects.values_mut() {
            while p
                .completions
                .front()
                .is_some_and(|&c| c < now_us - WINDOW_US)
            {
                p.completions.pop_front();
            }
        }
    }

    /// Projects and tasks known.
    pub fn counts(&self) -> (usize, usize) {
        (self.projects.len(), self.tasks.len())
    }

    /// Writes the state and its offsets to `path` atomically (a temporary file renamed).
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        write_snapshot(path, &serde_json::to_vec(self)?)
    }

    /// The state saved at `path`; empty when there is none.
    pub fn load(path: &Path) -> anyhow::Result<Aggregates> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                anyhow::anyhow!(
                    "{}: {e} (move it away to rebuild the aggregates from the topic)",
                    path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Aggregates::default()),
            Err(e) => Err(anyhow::anyhow!("reading {}: {e}", path.display())),
        }
    }
}

/// Writes a serialised state to `path` atomically (a temporary file renamed), so the lock
/// that serialised it need not be held for the disk.
pub fn write_snapshot(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, bytes).map_err(|e| anyhow::anyhow!("writing {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .map_err(|e| anyhow::anyhow!("renaming {} into place: {e}", tmp.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use events::{Membership, Priority, ProjectSnapshot, Role, TaskSnapshot, TaskStatus};

    use super::*;

    const DAY_US: i64 = 24 * 3600 * 1_000_000;

    fn at(day: i64) -> DateTime<Utc> {
        Utc.timestamp_micros(1_796_342_400_000_000 + day * DAY_US)
            .unwrap()
    }

    fn task(id: Uuid, project: Uuid) -> TaskSnapshot {
        TaskSnapshot {
            id,
            project_id: project,
            title: "t".into(),
            description: None,
            status: TaskStatus::Todo,
            priority: Priority::Medium,
            due_date: None,
            assignee_id: None,
            labels: vec![],
            position: 0.0,
            version: 1,
            created_at: at(0),
            updated_at: at(0),
            completed_at: None,
        }
    }

    fn ev(day: i64, data: EventData) -> Event {
        Event::new(Uuid::new_v4().to_string(), "/test", at(day), data)
    }

    #[test]
    fn open_load_and_throughput_follow_the_etl_definitions() {
        let (p, a, b, c) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        let mut s = Aggregates::default();
        let mut o = 0;
        let mut apply = |s: &mut Aggregates, day, data| {
            o += 1;
            s.apply(0, o, &ev(day, data))
        };
        for t in [a, b, c] {
            apply(&mut s, 0, EventData::TaskCreated { task: task(t, p) });
        }
        assert_eq!(s.figures(&p, at(1).timestamp_micros()).open_load, 3);
        apply(&mut s, 1, EventData::TaskCompleted { task: task(a, p) });
        // A second completion (after a reopen) neither closes nor counts again.
        assert_eq!(
            apply(&mut s, 2, EventData::TaskCompleted { task: task(a, p) }),
            Applied::Unchanged
        );
        apply(
            &mut s,
            3,
            EventData::TaskDeleted {
                task_id: b,
                project_id: p,
            },
        );
        // Deleting a completed task does not close it twice.
        apply(
            &mut s,
            4,
            EventData::TaskDeleted {
                task_id: a,
                project_id: p,
            },
        );
        let f = s.figures(&p, at(5).timestamp_micros());
        assert_eq!((f.open_load, f.throughput_28d), (1, 1));
        // The completion on day 1 leaves the window 28 days later.
        assert_eq!(s.figures(&p, at(29).timestamp_micros()).throughput_28d, 1);
        assert_eq!(
            s.figures(&p, at(29).timestamp_micros() + 1).throughput_28d,
            0
        );
        // …and is not counted before it happened.
        assert_eq!(s.figures(&p, at(1).timestamp_micros()).throughput_28d, 0);
    }

    #[test]
    fn a_replayed_offset_counts_nothing_twice() {
        let p = Uuid::new_v4();
        let mut s = Aggregates::default();
        let e = ev(
            0,
            EventData::TaskCreated {
                task: task(Uuid::new_v4(), p),
            },
        );
        assert_eq!(s.apply(3, 10, &e), Applied::Changed(p));
        assert_eq!(s.apply(3, 10, &e), Applied::Replayed);
        assert_eq!(s.apply(3, 9, &e), Applied::Replayed);
        // The same event at a later offset (a producer retry) is still one task.
        assert_eq!(s.apply(3, 11, &e), Applied::Unchanged);
        assert_eq!(s.figures(&p, at(1).timestamp_micros()).open_load, 1);
        assert_eq!(s.offsets().get(&3), Some(&12));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/aggregates.json");
        s.save(&path).unwrap();
        let back = Aggregates::load(&path).unwrap();
        assert_eq!(back.figures(&p, at(1).timestamp_micros()).open_load, 1);
        assert_eq!(back.offsets(), s.offsets());
        std::fs::write(&path, b"{not json").unwrap();
        let err = Aggregates::load(&path).unwrap_err().to_string();
        assert!(
            err.contains("aggregates.json") && err.contains("rebuild"),
            "{err}"
        );
    }

    #[test]
    fn members_come_from_the_owner_and_member_events() {
        let (p, owner, other) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let mut s = Aggregates::default();
        let project = ProjectSnapshot {
            id: p,
            name: "p".into(),
            description: None,
            owner_id: owner,
            created_at: at(0),
            updated_at: at(0),
        };
        s.apply(0, 0, &ev(0, EventData::ProjectCreated { project }));
        assert!(s.is_member(&p, &owner) && !s.is_member(&p, &other));
        let m = Membership {
            project_id: p,
            user_id: other,
            email: "masked".into(),
            display_name: None,
            role: Role::Viewer,
        };
        s.apply(0, 1, &ev(0, EventData::MemberAdded(m)));
        assert!(s.is_member(&p, &other));
        s.apply(
            0,
            2,
            &ev(
                0,
                EventData::MemberRemoved {
                    project_id: p,
                    user_id: other,
                },
            ),
        );
        assert!(!s.is_member(&p, &other));
        s.apply(0, 3, &ev(0, EventData::ProjectDeleted { project_id: p }));
        assert!(!s.is_member(&p, &owner));
    }
}
