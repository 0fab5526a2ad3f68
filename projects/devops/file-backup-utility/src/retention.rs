//! Retention policies of `forget`, as restic defines them: `--keep-last N` keeps the N newest
//! snapshots; `--keep-hourly/daily/weekly/monthly/yearly N` keep, for each of the last N hours
//! (days, ISO weeks, months, years) that have snapshots, the newest snapshot of it. A snapshot
//! is kept when any rule keeps it.

use chrono::{DateTime, Datelike, Timelike, Utc};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    pub last: usize,
    pub hourly: usize,
    pub daily: usize,
    pub weekly: usize,
    pub monthly: usize,
    pub yearly: usize,
}

impl Policy {
    pub fn is_empty(&self) -> bool {
        *self == Policy::default()
    }
}

/// A rule's bucket of a time: the hour, day, ISO week, month or year it falls in.
type Bucket = fn(&DateTime<Utc>) -> (i32, u32, u32);

/// For snapshot times (any order), whether each is kept; the same order as given.
pub fn keep(times: &[DateTime<Utc>], p: &Policy) -> Vec<bool> {
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by(|a, b| times[*b].cmp(&times[*a]));
    let mut kept = vec![false; times.len()];
    for (n, &i) in order.iter().enumerate() {
        if n < p.last {
            kept[i] = true;
        }
    }
    let rules: [(usize, Bucket); 5] = [
        (p.hourly, |t| (t.year(), t.ordinal(), t.hour())),
        (p.daily, |t| (t.year(), t.ordinal(), 0)),
        (p.weekly, |t| (t.iso_week().year(), t.iso_week().week(), 0)),
        (p.monthly, |t| (t.year(), t.month(), 0)),
        (p.yearly, |t| (t.year(), 0, 0)),
    ];
    for (n, bucket) in rules {
        let mut last = None;
        let mut count = 0;
        for &i in &order {
            if count >= n {
                break;
            }
            let b = bucket(&times[i]);
            if last != Some(b) {
                kept[i] = true;
                last = Some(b);
                count += 1;
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// One snapshot a day at 03:00 for 40 days, plus a second one on the last day at 15:00.
    fn series() -> Vec<DateTime<Utc>> {
        let start = t("2026-10-01T03:00:00Z");
        let mut v: Vec<_> = (0..40).map(|d| start + chrono::Days::new(d)).collect();
        v.push(t("2026-11-09T15:00:00Z"));
        v
    }

    fn kept_times(p: Policy) -> Vec<String> {
        let times = series();
        let k = keep(&times, &p);
        let mut out: Vec<String> = times
            .iter()
            .zip(k)
            .filter(|(_, k)| *k)
            .map(|(t, _)| t.format("%m-%d %H").to_string())
            .collect();
        out.sort();
        out
    }

    #[test]
    fn each_policy_keeps_exactly_what_it_says() {
        let table: Vec<(Policy, Vec<&str>)> = vec![
            (
                Policy {
                    last: 2,
                    ..Default::default()
                },
                vec!["11-09 03", "11-09 15"],
            ),
            // Daily: the newest of each of the last 3 days that have snapshots.
            (
                Policy {
                    daily: 3,
                    ..Default::default()
                },
                vec!["11-07 03", "11-08 03", "11-09 15"],
            ),
            (
                Policy {
                    hourly: 2,
                    ..Default::default()
                },
                vec!["11-09 03", "11-09 15"],
            ),
            // Weekly (ISO weeks): Sun 11-08 ends week 45, Mon 11-09 starts week 46.
            (
                Policy {
                    weekly: 2,
                    ..Default::default()
                },
                vec!["11-08 03", "11-09 15"],
            ),
            (
                Policy {
                    monthly: 3,
                    ..Default::default()
                },
                vec!["10-31 03", "11-09 15"],
            ),
            (
                Policy {
                    yearly: 5,
                    ..Default::default()
                },
                vec!["11-09 15"],
            ),
            // Rules combine: a snapshot kept by any rule stays.
            (
                Policy {
                    last: 1,
                    daily: 2,
                    monthly: 2,
                    ..Default::default()
                },
                vec!["10-31 03", "11-08 03", "11-09 15"],
            ),
            (Policy::default(), vec![]),
        ];
        for (policy, want) in table {
            assert_eq!(kept_times(policy), want, "{policy:?}");
        }
    }

    #[test]
    fn order_of_input_does_not_matter() {
        let mut times = series();
        times.reverse();
        let k = keep(
            &times,
            &Policy {
                last: 1,
                ..Default::default()
            },
        );
        assert_eq!(k.iter().filter(|x| **x).count(), 1);
        assert!(k[0], "the newest, first in this order");
    }
}
