//! Workload profiles: YAML files describing what to send, how fast and with which faults.
//! Every field is documented in `profiles/README.md`; unknown fields are errors, and every error
//! names the file, the field and (for syntax) the line.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Event types the generator knows, in the `mix` of a profile.
pub const EVENT_TYPES: &[&str] = &[
    "task.created",
    "task.updated",
    "task.completed",
    "task.deleted",
    "project.created",
    "project.updated",
    "member.added",
    "member.role_changed",
    "member.removed",
];

/// Fault kinds, in `faults.kinds`.
pub const FAULT_KINDS: &[&str] = &[
    "malformed_json",
    "schema_invalid",
    "oversized",
    "unknown_type",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Seed of the generator: the same profile and seed give the same events (ids and times
    /// aside).
    #[serde(default = "default_seed")]
    pub seed: u64,
    pub rate: Rate,
    #[serde(default)]
    pub stop: Stop,
    #[serde(default)]
    pub keys: KeyStrategy,
    #[serde(default)]
    pub world: World,
    /// Relative weights of what happens next.
    pub mix: BTreeMap<String, u32>,
    #[serde(default)]
    pub payload: Payload,
    #[serde(default)]
    pub faults: Faults,
}

fn default_seed() -> u64 {
    42
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    /// Events per second (the base rate of every shape).
    pub per_second: f64,
    #[serde(default)]
    pub shape: Shape,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
pub enum Shape {
    #[default]
    Constant,
    /// `multiplier` × the base rate for `for_seconds` at the start of every `every_seconds`.
    Burst {
        every_seconds: f64,
        for_seconds: f64,
        multiplier: f64,
    },
    /// From the base rate to `to_per_second` over `over_seconds`, then constant.
    Ramp {
        to_per_second: f64,
        over_seconds: f64,
    },
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stop {
    /// Stop after this many events (faults included).
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(default)]
    pub duration_seconds: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStrategy {
    /// The project id: one project's events stay in order (what the task API does).
    #[default]
    Project,
    /// The entity (`tasks/<id>`, …).
    Entity,
    /// A random key per message.
    Random,
    /// No key (round-robin partitions).
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct World {
    pub users: usize,
    pub projects: usize,
    /// Share of new tasks whose due date is already past.
    pub overdue_share: f64,
    /// Upper bound of live tasks; beyond it new tasks replace deleted ones.
    pub max_tasks: usize,
}

impl Default for World {
    fn default() -> World {
        World {
            users: 50,
            projects: 10,
            overdue_share: 0.1,
            max_tasks: 100_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    /// Length of task descriptions, uniform between the two (bytes).
    pub description_bytes: [usize; 2],
}

impl Default for Payload {
    fn default() -> Payload {
        Payload {
            description_bytes: [0, 120],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    /// Share of messages replaced by a fault (0 to 1).
    #[serde(default)]
    pub share: f64,
    /// Relative weights of the fault kinds.
    #[serde(default = "default_fault_kinds")]
    pub kinds: BTreeMap<String, u32>,
    /// Size of an oversized message (above the contract's 1 MiB).
    #[serde(default = "default_oversized")]
    pub oversized_bytes: usize,
}

fn default_fault_kinds() -> BTreeMap<String, u32> {
    FAULT_KINDS.iter().map(|k| (k.to_string(), 1)).collect()
}

fn default_oversized() -> usize {
    events::Contract::DEFAULT_MAX_SIZE + 64 * 1024
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            share: 0.0,
            kinds: default_fault_kinds(),
            oversized_bytes: default_oversized(),
        }
    }
}

/// Parses and checks a profile; `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> anyhow::Result<Profile> {
    let p: Profile = serde_yaml_ng::from_str(text).map_err(|e| match e.location() {
        Some(l) => anyhow::anyhow!("{origin}:{}:{}: {e}", l.line(), l.column()),
        None => anyhow::anyhow!("{origin}: {e}"),
    })?;
    p.check().map_err(|m| anyhow::anyhow!("{origin}: {m}"))?;
    Ok(p)
}

pub fn load(path: &Path) -> anyhow::Result<Profile> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("reading profile {}: {e}", path.display()))?;
    parse(&text, &path.display().to_string())
}

/// The profiles shipped in `profiles/`, by name.
pub const SHIPPED: &[(&str, &str)] = &[
    ("steady", include_str!("../profiles/steady.yaml")),
    ("burst", include_str!("../profiles/burst.yaml")),
    ("ramp", include_str!("../profiles/ramp.yaml")),
    ("faults", include_str!("../profiles/faults.yaml")),
];

/// A shipped profile by name, or a file by path.
pub fn resolve(name_or_path: &str) -> anyhow::Result<Profile> {
    match SHIPPED.iter().find(|(n, _)| *n == name_or_path) {
        Some((n, text)) => parse(text, &format!("profiles/{n}.yaml")),
        None if Path::new(name_or_path).exists() => load(Path::new(name_or_path)),
        None => anyhow::bail!(
            "no profile `{name_or_path}`: give a file path or one of {}",
            SHIPPED
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl Profile {
    fn check(&self) -> Result<(), String> {
        let positive = |v: f64, what: &str| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!("{what} must be a positive number, not {v}"))
            }
        };
        positive(self.rate.per_second, "rate.per_second")?;
        match &self.rate.shape {
            Shape::Constant => {}
            Shape::Burst {
                every_seconds,
                for_seconds,
                multiplier,
            } => {
                positive(*every_seconds, "rate.shape.every_seconds")?;
                positive(*for_seconds, "rate.shape.for_seconds")?;
                positive(*multiplier, "rate.shape.multiplier")?;
                if for_seconds > every_seconds {
                    return Err("rate.shape.for_seconds is longer than every_seconds".into());
                }
            }
            Shape::Ramp {
                to_per_second,
                over_seconds,
            } => {
                positive(*to_per_second, "rate.shape.to_per_second")?;
                positive(*over_seconds, "rate.shape.over_seconds")?;
            }
        }
        if let Some(d) = self.stop.duration_seconds {
            positive(d, "stop.duration_seconds")?;
        }
        if self.mix.is_empty() || self.mix.values().all(|w| *w == 0) {
            return Err("mix needs at least one event type with a weight above 0".into());
        }
        for t in self.mix.keys() {
            if !EVENT_TYPES.contains(&t.as_str()) {
                return Err(format!(
                    "mix: unknown event type `{t}` (known: {})",
                    EVENT_TYPES.join(", ")
                ));
            }
        }
        if !(0.0..=1.0).contains(&self.faults.share) {
            return Err(format!(
                "faults.share must be between 0 and 1, not {}",
                self.faults.share
            ));
        }
        for k in self.faults.kinds.keys() {
            if !FAULT_KINDS.contains(&k.as_str()) {
                return Err(format!(
                    "faults.kinds: unknown fault `{k}` (known: {})",
                    FAULT_KINDS.join(", ")
                ));
            }
        }
        if self.faults.share > 0.0 && self.faults.kinds.values().all(|w| *w == 0) {
            return Err("faults.share is above 0 but every fault kind weighs 0".into());
        }
        let [lo, hi] = self.payload.description_bytes;
        if lo > hi || hi > 100_000 {
            return Err(format!(
                "payload.description_bytes [{lo}, {hi}]: the first must not exceed the second, nor the second 100000"
            ));
        }
        if self.world.users == 0 || self.world.projects == 0 || self.world.max_tasks == 0 {
            return Err("world.users, world.projects and world.max_tasks must be above 0".into());
        }
        if !(0.0..=1.0).contains(&self.world.overdue_share) {
            return Err("world.overdue_share must be between 0 and 1".into());
        }
        Ok(())
    }

    /// The target rate (events/s) `t` seconds after the profile took effect.
    pub fn rate_at(&self, t: f64) -> f64 {
        let base = self.rate.per_second;
        match &self.rate.shape {
            Shape::Constant => base,
            Shape::Burst {
                every_seconds,
                for_seconds,
                multiplier,
            } => {
                if t.rem_euclid(*every_seconds) < *for_seconds {
                    base * multiplier
                } else {
                    base
                }
            }
            Shape::Ramp {
                to_per_second,
                over_seconds,
            } => {
                let f = (t / over_seconds).clamp(0.0, 1.0);
                base + (to_per_second - base) * f
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_profiles_parse() {
        for (name, _) in SHIPPED {
            let p = resolve(name).unwrap();
            assert_eq!(&p.name, name);
        }
    }

    #[test]
    fn errors_name_the_field_and_line() {
        let bad = "name: x\nrate:\n  per_second: 10\n  speed: 3\nmix: {task.created: 1}\n";
        let e = parse(bad, "p.yaml").unwrap_err().to_string();
        assert!(e.starts_with("p.yaml:4:") && e.contains("speed"), "{e}");
        let e = parse(
            "name: x\nrate: {per_second: 0}\nmix: {task.created: 1}\n",
            "p.yaml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("rate.per_second must be a positive number"),
            "{e}"
        );
        let e = parse(
            "name: x\nrate: {per_second: 5}\nmix: {task.archived: 1}\n",
            "p.yaml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("unknown event type `task.archived`"), "{e}");
        let e = parse(
            "name: x\nrate: {per_second: 5}\nmix: {task.created: 1}\nfaults: {share: 1.5}\n",
            "p.yaml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("faults.share"), "{e}");
    }

    #[test]
    fn shapes_give_the_rate_over_time() {
        let mut p = resolve("steady").unwrap();
        p.rate.per_second = 100.0;
        p.rate.shape = Shape::Burst {
            every_seconds: 10.0,
            for_seconds: 2.0,
            multiplier: 5.0,
        };
        assert_eq!(p.rate_at(1.0), 500.0);
        assert_eq!(p.rate_at(5.0), 100.0);
        assert_eq!(p.rate_at(11.5), 500.0);
        p.rate.shape = Shape::Ramp {
            to_per_second: 300.0,
            over_seconds: 10.0,
        };
        assert_eq!(p.rate_at(0.0), 100.0);
        assert_eq!(p.rate_at(5.0), 200.0);
        assert_eq!(p.rate_at(60.0), 300.0);
    }
}
