//! The model being served: the registry's version for the configured stage, loaded after its
//! signatures check, swapped atomically when the stage moves (a request holds the model it
//! started with, so a swap drops none), and a circuit breaker around the registry so a broken
//! store is not hammered while the loaded model keeps serving.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use mlops::model::Model;
use mlops::registry::Registry;

/// A loaded model and its registry version.
pub struct Loaded {
    pub version: u32,
    pub model: Model,
}

/// The model slot every request reads ([`Slot::current`] is one atomic load).
#[derive(Default)]
pub struct Slot(ArcSwapOption<Loaded>);

impl Slot {
    pub fn current(&self) -> Option<Arc<Loaded>> {
        self.0.load_full()
    }

    pub fn version(&self) -> Option<u32> {
        self.0.load().as_ref().map(|l| l.version)
    }

    pub fn put(&self, loaded: Loaded) {
        self.0.store(Some(Arc::new(loaded)));
    }
}

/// The breaker's state, as `/metrics` reports it (`scoring_registry_breaker`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed = 0,
    Open = 1,
    HalfOpen = 2,
}

/// Opens after `threshold` failures in a row; while open, calls are refused for `cool_down`;
/// then one trial call (half-open) closes it again or re-opens it.
#[derive(Debug)]
pub struct Breaker {
    threshold: u32,
    cool_down: Duration,
    failures: u32,
    opened_at: Option<Instant>,
}

impl Breaker {
    pub fn new(threshold: u32, cool_down: Duration) -> Breaker {
        Breaker {
            threshold: threshold.max(1),
            cool_down,
            failures: 0,
            opened_at: None,
        }
    }

    pub fn state(&self, now: Instant) -> BreakerState {
        match self.opened_at {
            None => BreakerState::Closed,
            Some(t) if now.duration_since(t) < self.cool_down => BreakerState::Open,
            Some(_) => BreakerState::HalfOpen,
        }
    }

    /// Whether a call may go through now.
    pub fn allows(&self, now: Instant) -> bool {
        self.state(now) != BreakerState::Open
    }

    pub fn success(&mut self) {
        self.failures = 0;
        self.opened_at = None;
    }

    pub fn failure(&mut self, now: Instant) {
        self.failures += 1;
        if self.failures >= self.threshold || self.opened_at.is_some() {
            self.opened_at = Some(now);
        }
    }
}

/// What one registry check did.
#[derive(Debug, PartialEq, Eq)]
pub enum Check {
    /// The stage's version is the one loaded (or the stage has none yet).
    Same,
    /// Loaded a new version (the previous one, if any).
    Swapped { from: Option<u32>, to: u32 },
    /// The breaker is open: the registry was not asked.
    Skipped,
}

/// Watches the registry's `stage` and keeps [`Slot`] on its version.
pub struct Reloader {
    pub registry: Registry,
    pub stage: String,
    pub breaker: Breaker,
}

impl Reloader {
    /// Asks the registry once (blocking I/O: call it from a blocking thread).
    pub fn check(&mut self, slot: &Slot) -> anyhow::Result<Check> {
        let now = Instant::now();
        if !self.breaker.allows(now) {
            return Ok(Check::Skipped);
        }
        match self.load_if_moved(slot) {
            Ok(c) => {
                self.breaker.success();
                Ok(c)
            }
            Err(e) => {
                self.breaker.failure(now);
                Err(e)
            }
        }
    }

    fn load_if_moved(&self, slot: &Slot) -> anyhow::Result<Check> {
        let stages = self.registry.stages()?;
        let Some(stage) = stages.get(&self.stage) else {
            return Ok(Check::Same);
        };
        let from = slot.version();
        if from == Some(stage.version) {
            return Ok(Check::Same);
        }
        let model = self.registry.load_model(stage.version)?;
        slot.put(Loaded {
            version: stage.version,
            model,
        });
        Ok(Check::Swapped {
            from,
            to: stage.version,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_opens_cools_down_and_closes_on_a_good_trial() {
        let t0 = Instant::now();
        let mut b = Breaker::new(3, Duration::from_secs(10));
        b.failure(t0);
        b.failure(t0);
        assert_eq!(b.state(t0), BreakerState::Closed);
        b.failure(t0);
        assert_eq!(b.state(t0), BreakerState::Open);
        assert!(!b.allows(t0 + Duration::from_secs(9)));
        let later = t0 + Duration::from_secs(10);
        assert_eq!(b.state(later), BreakerState::HalfOpen);
        // A failed trial opens it again at once.
        b.failure(later);
        assert_eq!(b.state(later), BreakerState::Open);
        let trial = later + Duration::from_secs(10);
        assert!(b.allows(trial));
        b.success();
        assert_eq!(b.state(trial), BreakerState::Closed);
    }

    #[test]
    fn a_missing_registry_is_an_error_and_an_empty_stage_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let slot = Slot::default();
        let mut r = Reloader {
            registry: Registry::open(&dir.path().display().to_string()).unwrap(),
            stage: "production".into(),
            breaker: Breaker::new(1, Duration::from_secs(60)),
        };
        assert_eq!(r.check(&slot).unwrap(), Check::Same);
        assert!(slot.current().is_none());
        // A stages file that is not JSON fails the check and opens the breaker.
        std::fs::create_dir_all(dir.path().join("late-task")).unwrap();
        std::fs::write(dir.path().join("late-task/stages.json"), b"{").unwrap();
        assert!(r.check(&slot).is_err());
        assert_eq!(r.check(&slot).unwrap(), Check::Skipped);
    }
}
