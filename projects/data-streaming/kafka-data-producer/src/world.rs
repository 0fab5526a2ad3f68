//! The simulated task domain: users, projects, memberships and tasks with their life cycles
//! (created → in progress → done, some overdue, some deleted). Each call to [`World::next_message`]
//! applies one change and returns its event, which always satisfies the `events.tasks`
//! contract; [`World::fault`] turns one into a deliberately bad message.

use chrono::{Duration, Utc};
use events::{
    Event, EventData, Membership, Priority, ProjectSnapshot, Role, TaskSnapshot, TaskStatus,
};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use crate::profile::{KeyStrategy, Profile};

/// One message to publish.
#[derive(Debug, Clone)]
pub struct Message {
    pub key: Option<String>,
    pub payload: Vec<u8>,
    /// The event type, or `fault:<kind>`.
    pub kind: &'static str,
    /// The event id (faults carry the id of the event they spoil).
    pub id: String,
}

struct User {
    id: Uuid,
    email: String,
    name: String,
}

struct Project {
    snapshot: ProjectSnapshot,
    members: Vec<(usize, Role)>,
}

pub struct World {
    rng: SmallRng,
    users: Vec<User>,
    projects: Vec<Project>,
    tasks: Vec<TaskSnapshot>,
    profile: Profile,
    weights: Vec<(&'static str, u32)>,
    fault_weights: Vec<(&'static str, u32)>,
}

const FIRST: &[&str] = &[
    "Ada", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Edsger", "Radia",
];
const LAST: &[&str] = &[
    "Lovelace", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen",
    "Dijkstra", "Perlman",
];
const VERBS: &[&str] = &[
    "Write", "Review", "Fix", "Plan", "Ship", "Test", "Refactor", "Document", "Measure", "Deploy",
];
const THINGS: &[&str] = &[
    "the login page",
    "the billing export",
    "the release notes",
    "the backup job",
    "the onboarding flow",
    "the search index",
    "the API limits",
    "the dashboard",
];
const LABELS: &[&str] = &["bug", "feature", "ops", "docs", "security", "ux", "data"];

fn pick<'a, T>(rng: &mut SmallRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn weighted(rng: &mut SmallRng, weights: &[(&'static str, u32)]) -> &'static str {
    let total: u32 = weights.iter().map(|(_, w)| w).sum();
    let mut n = rng.random_range(0..total.max(1));
    for (k, w) in weights {
        if n < *w {
            return k;
        }
        n -= w;
    }
    weights[0].0
}

fn intern(s: &str, table: &[&'static str]) -> &'static str {
    table.iter().find(|t| **t == s).copied().unwrap_or("?")
}

impl World {
    pub fn new(profile: &Profile) -> World {
        let mut rng = SmallRng::seed_from_u64(profile.seed);
        let users = (0..profile.world.users)
            .map(|i| {
                let first = *pick(&mut rng, FIRST);
                let last = *pick(&mut rng, LAST);
                User {
                    id: Uuid::from_u64_pair(profile.seed, i as u64),
                    email: format!(
                        "{}.{}{i}@example.org",
                        first.to_lowercase(),
                        last.to_lowercase()
                    ),
                    name: format!("{first} {last}"),
                }
            })
            .collect();
        let mut w = World {
            rng,
            users,
            projects: Vec::new(),
            tasks: Vec::new(),
            profile: profile.clone(),
            weights: Vec::new(),
            fault_weights: Vec::new(),
        };
        w.reconfigure(profile);
        w
    }

    /// Takes a reloaded profile's mix and faults; the world (users, projects, tasks) stays.
    pub fn reconfigure(&mut self, profile: &Profile) {
        self.weights = profile
            .mix
            .iter()
            .filter(|(_, w)| **w > 0)
            .map(|(k, w)| (intern(k, crate::profile::EVENT_TYPES), *w))
            .collect();
        self.fault_weights = profile
            .faults
            .kinds
            .iter()
            .filter(|(_, w)| **w > 0)
            .map(|(k, w)| (intern(k, crate::profile::FAULT_KINDS), *w))
            .collect();
        self.profile = profile.clone();
    }

    fn new_project(&mut self) -> EventData {
        let now = Utc::now();
        let owner = self.rng.random_range(0..self.users.len());
        let n = self.projects.len();
        let snapshot = ProjectSnapshot {
            id: Uuid::now_v7(),
            name: format!("{} {n}", pick(&mut self.rng, THINGS)),
            description: None,
            owner_id: self.users[owner].id,
            created_at: now,
            updated_at: now,
        };
        self.projects.push(Project {
            snapshot: snapshot.clone(),
            members: vec![(owner, Role::Owner)],
        });
        EventData::ProjectCreated { project: snapshot }
    }

    fn description(&mut self) -> Option<String> {
        let [lo, hi] = self.profile.payload.description_bytes;
        let len = self.rng.random_range(lo..=hi);
        (len > 0).then(|| {
            let mut s = String::with_capacity(len);
            while s.len() < len {
                let verb: &str = pick::<&str>(&mut self.rng, VERBS);
                s.push_str(verb);
                s.push(' ');
            }
            s.truncate(len);
            s
        })
    }

    fn new_task(&mut self) -> EventData {
        let p = self.rng.random_range(0..self.projects.len());
        let now = Utc::now();
        let overdue = self.rng.random_bool(self.profile.world.overdue_share);
        let due = if overdue {
            now.date_naive() - Duration::days(self.rng.random_range(1..30))
        } else {
            now.date_naive() + Duration::days(self.rng.random_range(1..60))
        };
        let members = &self.projects[p].members;
        let assignee = members[self.rng.random_range(0..members.len())].0;
        let title = format!(
            "{} {}",
            pick(&mut self.rng, VERBS),
            pick(&mut self.rng, THINGS)
        );
        let labels = (0..self.rng.random_range(0..3))
            .map(|_| pick(&mut self.rng, LABELS).to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let task = TaskSnapshot {
            id: Uuid::now_v7(),
            project_id: self.projects[p].snapshot.id,
            title,
            description: self.description(),
            status: TaskStatus::Todo,
            priority: *pick(
                &mut self.rng,
                &[
                    Priority::Low,
                    Priority::Medium,
                    Priority::High,
                    Priority::Urgent,
                ],
            ),
            due_date: self.rng.random_bool(0.7).then_some(due),
            assignee_id: Some(self.users[assignee].id),
            labels,
            position: (self.tasks.len() as f64 + 1.0) * 1024.0,
            version: 1,
            created_at: now,
            updated_at: now,
            completed_at: None,
        };
        if self.tasks.len() >= self.profile.world.max_tasks {
            let i = self.rng.random_range(0..self.tasks.len());
            self.tasks.swap_remove(i);
        }
        self.tasks.push(task.clone());
        EventData::TaskCreated { task }
    }

    fn change(&mut self, kind: &'static str) -> EventData {
        if self.projects.is_empty() || kind == "project.created" {
            return self.new_project();
        }
        // An open task by random probes (constant time however many tasks are done).
        let open = if matches!(kind, "task.updated" | "task.completed") && !self.tasks.is_empty() {
            (0..8)
                .map(|_| self.rng.random_range(0..self.tasks.len()))
                .find(|&i| self.tasks[i].status != TaskStatus::Done)
        } else {
            None
        };
        match kind {
            "task.updated" | "task.completed" if open.is_some() => {
                let i = open.expect("checked");
                let now = Utc::now();
                let t = &mut self.tasks[i];
                t.version += 1;
                t.updated_at = now;
                if kind == "task.completed" {
                    t.status = TaskStatus::Done;
                    t.completed_at = Some(now);
                    EventData::TaskCompleted { task: t.clone() }
                } else {
                    let changed = if t.status == TaskStatus::Todo {
                        t.status = TaskStatus::InProgress;
                        "status"
                    } else {
                        t.priority = Priority::High;
                        "priority"
                    };
                    EventData::TaskUpdated {
                        task: t.clone(),
                        changed: vec![changed.into()],
                    }
                }
            }
            "task.deleted" if !self.tasks.is_empty() => {
                let i = self.rng.random_range(0..self.tasks.len());
                let t = self.tasks.swap_remove(i);
                EventData::TaskDeleted {
                    task_id: t.id,
                    project_id: t.project_id,
                }
            }
            "project.updated" => {
                let p = self.rng.random_range(0..self.projects.len());
                let s = &mut self.projects[p].snapshot;
                s.updated_at = Utc::now();
                s.description = Some(format!("Updated at {}", s.updated_at.to_rfc3339()));
                EventData::ProjectUpdated { project: s.clone() }
            }
            "member.added" | "member.role_changed" | "member.removed" => {
                let p = self.rng.random_range(0..self.projects.len());
                let u = self.rng.random_range(0..self.users.len());
                let project_id = self.projects[p].snapshot.id;
                let existing = self.projects[p].members.iter().position(|(m, _)| *m == u);
                let user = &self.users[u];
                let membership = |role| Membership {
                    project_id,
                    user_id: user.id,
                    email: user.email.clone(),
                    display_name: Some(user.name.clone()),
                    role,
                };
                match (kind, existing) {
                    ("member.removed", Some(i)) if self.projects[p].members[i].1 != Role::Owner => {
                        self.projects[p].members.remove(i);
                        EventData::MemberRemoved {
                            project_id,
                            user_id: user.id,
                        }
                    }
                    ("member.role_changed", Some(i))
                        if self.projects[p].members[i].1 != Role::Owner =>
                    {
                        let role = if self.projects[p].members[i].1 == Role::Viewer {
                            Role::Contributor
                        } else {
                            Role::Viewer
                        };
                        let m = membership(role);
                        self.projects[p].members[i].1 = role;
                        EventData::MemberRoleChanged(m)
                    }
                    (_, None) => {
                        let m = membership(Role::Contributor);
                        self.projects[p].members.push((u, Role::Contributor));
                        EventData::MemberAdded(m)
                    }
                    _ => self.new_task(),
                }
            }
            _ => self.new_task(),
        }
    }

    fn key(&mut self, data: &EventData) -> Option<String> {
        match self.profile.keys {
            KeyStrategy::Project => Some(data.project_id().to_string()),
            KeyStrategy::Entity => Some(data.subject()),
            KeyStrategy::Random => {
                Some(Uuid::from_u64_pair(self.rng.random(), self.rng.random()).to_string())
            }
            KeyStrategy::None => None,
        }
    }

    /// The next change as a message: a valid event, or (at the profile's share) a fault.
    pub fn next_message(&mut self) -> Message {
        let kind = weighted(&mut self.rng, &self.weights);
        let data = self.change(kind);
        let key = self.key(&data);
        let event = Event::new(
            Uuid::now_v7().to_string(),
            "/kafka-data-producer",
            Utc::now(),
            data,
        );
        let share = self.profile.faults.share;
        if share > 0.0 && !self.fault_weights.is_empty() && self.rng.random_bool(share) {
            let fault = weighted(&mut self.rng, &self.fault_weights);
            return self.fault(event, key, fault);
        }
        Message {
            key,
            kind: event.event_type(),
            id: event.id.clone(),
            payload: event.to_json(),
        }
    }

    /// `event` spoiled in the way `fault` says.
    pub fn fault(&mut self, event: Event, key: Option<String>, fault: &'static str) -> Message {
        let mut value = serde_json::to_value(&event).expect("events serialise");
        let payload = match fault {
            "malformed_json" => {
                let text = event.to_json();
                let cut = self.rng.random_range(1..text.len().max(2));
                text[..cut].to_vec()
            }
            "schema_invalid" => {
                // A required field gone, or a status the contract does not know.
                if self.rng.random_bool(0.5) {
                    value.as_object_mut().unwrap().remove("source");
                } else {
                    value["specversion"] = serde_json::json!(3);
                }
                serde_json::to_vec(&value).unwrap()
            }
            "unknown_type" => {
                value["type"] = serde_json::json!("task.archived");
                serde_json::to_vec(&value).unwrap()
            }
            _ => {
                // Oversized: a valid shape padded beyond the contract's limit.
                let pad = "x".repeat(self.profile.faults.oversized_bytes);
                value["padding"] = serde_json::json!(pad);
                serde_json::to_vec(&value).unwrap()
            }
        };
        Message {
            key,
            payload,
            kind: match fault {
                "malformed_json" => "fault:malformed_json",
                "schema_invalid" => "fault:schema_invalid",
                "unknown_type" => "fault:unknown_type",
                _ => "fault:oversized",
            },
            id: event.id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::resolve;

    #[test]
    fn valid_events_satisfy_the_contract_and_life_cycles_hold() {
        let contract = events::Contract::new();
        let profile = resolve("steady").unwrap();
        let mut w = World::new(&profile);
        let mut seen = std::collections::HashMap::new();
        for _ in 0..5_000 {
            let m = w.next_message();
            let e = contract
                .decode(&m.payload)
                .unwrap_or_else(|e| panic!("{e}: {m:?}"));
            assert_eq!(e.event_type(), m.kind);
            *seen.entry(m.kind).or_insert(0) += 1;
            if let EventData::TaskCompleted { task } = &e.data {
                assert!(task.completed_at.is_some() && task.status == TaskStatus::Done);
            }
        }
        for t in [
            "task.created",
            "task.updated",
            "task.completed",
            "member.added",
        ] {
            assert!(seen.get(t).copied().unwrap_or(0) > 50, "{t}: {seen:?}");
        }
    }

    #[test]
    fn faults_come_at_their_share_and_fail_the_contract_for_their_reason() {
        let contract = events::Contract::new();
        let mut profile = resolve("faults").unwrap();
        profile.faults.oversized_bytes = events::Contract::DEFAULT_MAX_SIZE + 1;
        let mut w = World::new(&profile);
        let n = 20_000;
        let mut faults = 0;
        for _ in 0..n {
            let m = w.next_message();
            let Some(kind) = m.kind.strip_prefix("fault:") else {
                continue;
            };
            faults += 1;
            let err = contract.decode(&m.payload).unwrap_err();
            let want = match kind {
                "malformed_json" => "malformed_json",
                "oversized" => "too_large",
                _ => "schema_violation",
            };
            assert_eq!(err.kind(), want, "{kind}");
        }
        let share = faults as f64 / n as f64;
        assert!((0.04..0.06).contains(&share), "fault share {share}");
    }
}
