//! Volume spike: an actor opens far more patient records in a day than
//! their own baseline, or more than a fixed ceiling.

use std::collections::{BTreeSet, HashSet};
use std::hash::BuildHasher;

use super::knowledge::{FastMap, FastSet, Key};

use chrono::{Duration, NaiveDate};
use color_eyre::eyre::Result;

use super::{Ctx, Finding, Rule, RuleEvent};
use vigil_domain::Severity;
use vigil_store::Store;

pub struct VolumeSpike {
    severity: Severity,
    factor: f64,
    minimum: usize,
    ceiling: usize,
    baseline_days: u32,
    touched: BTreeSet<(String, NaiveDate, i64)>,
    /// Patient records each actor opened per day, as far as this run has
    /// seen (seeded from the store the first time an actor-day comes up),
    /// and whether it was reported: the store is asked once per actor-day,
    /// not once per batch.
    days: FastMap<Key, FastMap<NaiveDate, DayCount>>,
    /// Keys the records a day counts: a record is kept as a 64-bit hash
    /// of its MRN under this run's random seed, not a copy of the MRN (a
    /// million accesses are most of a million actor-record-days). Two of
    /// an actor's records that hash alike on one day would count as one:
    /// odds of about one in 10^13 for a thousand records, and no way to
    /// aim for it without the seed.
    record_key: foldhash::fast::RandomState,
    /// The store held no evaluated events when this run began: everything
    /// there is to count is in `days`.
    fresh: bool,
}

#[derive(Default)]
struct DayCount {
    seeded: bool,
    /// The records opened (see `record_key`).
    subjects: FastSet<u64>,
    ids: Vec<i64>,
    reported: bool,
    baseline: Option<f64>,
    /// Queued for `finish` already.
    touched: bool,
}

impl VolumeSpike {
    pub fn new(c: &crate::config::VolumeSpike) -> Self {
        VolumeSpike {
            severity: c.severity.unwrap_or(Severity::Medium),
            factor: c.factor,
            minimum: c.minimum,
            ceiling: c.ceiling,
            baseline_days: c.baseline_days.max(1),
            touched: BTreeSet::new(),
            days: FastMap::default(),
            record_key: Default::default(),
            fresh: false,
        }
    }
}

impl Rule for VolumeSpike {
    fn id(&self) -> &'static str {
        "volume-spike"
    }
    fn title(&self) -> &'static str {
        "Unusual number of records opened"
    }
    fn load(&mut self, store: &dyn Store) -> Result<()> {
        self.fresh = store
            .meta("rules.cursor")?
            .is_none_or(|c| c.parse::<i64>().is_ok_and(|c| c <= 0));
        Ok(())
    }
    fn check<'a>(&mut self, e: &RuleEvent<'a>, ctx: &Ctx<'_>, _out: &mut Vec<Finding<'a>>) {
        // The subject is the patient's MRN, as the lookup matched it: its
        // text is at hand, where the patient's own copy is a cache miss.
        if let (Some(actor), Some(mrn), Some(_)) = (e.actor, e.subject, ctx.patient(e)) {
            let day = ctx.local(e.occurred_at).date();
            // Allocates only the first time an actor, a day or a record comes up:
            // this runs for every access to a patient's record.
            let per = match self.days.get_mut(actor) {
                Some(m) => m,
                None => self.days.entry(Key::new(actor)).or_default(),
            };
            let d = per.entry(day).or_default();
            if d.subjects.insert(self.record_key.hash_one(mrn)) && d.ids.len() < 1000 {
                d.ids.push(e.id);
            }
            if !d.reported && !d.touched {
                d.touched = true;
                self.touched.insert((actor.to_owned(), day, e.source_id));
            }
        }
    }
    fn finish(
        &mut self,
        store: &dyn Store,
        ctx: &Ctx<'_>,
        out: &mut Vec<Finding<'static>>,
    ) -> Result<()> {
        let day_start = |d: NaiveDate| vigil_domain::time::day_start(ctx.zone, d);
        for (actor, day, source_id) in std::mem::take(&mut self.touched) {
            let from = day_start(day);
            let to = day_start(day + Duration::days(1));
            let fresh = self.fresh;
            let Some(d) = self
                .days
                .get_mut(actor.as_str())
                .and_then(|m| m.get_mut(&day))
            else {
                continue;
            };
            d.touched = false;
            if !d.seeded && !fresh {
                // earlier runs may have seen part of this day
                for (id, _, subject) in store.actor_activity(&actor, from, to)? {
                    if let Some(s) = subject
                        && ctx.knowledge.patient(&s).is_some()
                        && d.subjects.insert(self.record_key.hash_one(s.as_str()))
                        && d.ids.len() < 1000
                    {
                        d.ids.push(id);
                    }
                }
            }
            d.seeded = true;
            let n = d.subjects.len();
            if d.reported || (n < self.minimum && n <= self.ceiling) {
                continue;
            }
            let ids = d.ids.clone();
            let cached = d.baseline;
            let avg = match cached {
                Some(a) => a,
                None => {
                    let first = day - Duration::days(i64::from(self.baseline_days));
                    // (records, days with any): the average of the days the
                    // actor worked, not of the calendar
                    let (seen, days) = if fresh {
                        // this run has seen everything the store holds
                        let counts: Vec<usize> = first
                            .iter_days()
                            .take_while(|x| *x < day)
                            .filter_map(|x| self.days.get(actor.as_str()).and_then(|m| m.get(&x)))
                            .map(|d| d.subjects.len())
                            .filter(|n| *n > 0)
                            .collect();
                        (counts.iter().sum::<usize>(), counts.len())
                    } else {
                        let mut before = HashSet::new();
                        for (_, at, subject) in
                            store.actor_activity(&actor, day_start(first), from)?
                        {
                            if let Some(s) = subject
                                && ctx.knowledge.patient(&s).is_some()
                            {
                                before.insert((ctx.local(at).date(), s));
                            }
                        }
                        let active: HashSet<NaiveDate> = before.iter().map(|(d, _)| *d).collect();
                        (before.len(), active.len())
                    };
                    // no history at all: only the ceiling can speak
                    let a = if days == 0 {
                        f64::INFINITY
                    } else {
                        seen as f64 / days as f64
                    };
                    if let Some(d) = self
                        .days
                        .get_mut(actor.as_str())
                        .and_then(|m| m.get_mut(&day))
                    {
                        d.baseline = Some(a);
                    }
                    a
                }
            };
            let over_ceiling = n > self.ceiling;
            let spike = n >= self.minimum && (n as f64) > self.factor * avg;
            if !(over_ceiling || spike) {
                continue;
            }
            if let Some(d) = self
                .days
                .get_mut(actor.as_str())
                .and_then(|m| m.get_mut(&day))
            {
                d.reported = true;
            }
            let reason = if over_ceiling {
                let base = if avg.is_finite() {
                    format!(
                        "their average on working days in the previous {}: {avg:.1}",
                        self.baseline_days
                    )
                } else {
                    "no earlier activity to compare with".to_owned()
                };
                format!(
                    "{actor} opened {n} patient records on {day}, over the ceiling of {} a day ({base})",
                    self.ceiling
                )
            } else {
                format!(
                    "{actor} opened {n} patient records on {day}, more than {}x their average of {avg:.1} a working day over the previous {} days",
                    self.factor, self.baseline_days
                )
            };
            out.push(Finding {
                rule: self.id(),
                title: self.title(),
                severity: self.severity,
                reason,
                event_ids: ids,
                source_id,
                occurred_at: from,
                actor: Some(std::borrow::Cow::Owned(actor.clone())),
                subject: None,
                client: None,
                host: None,
                group_by: super::GroupBy::Actor,
                late_reason: None,
            });
        }
        Ok(())
    }
}
