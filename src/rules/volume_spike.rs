//! Volume spike: an actor opens far more patient records in a day than
//! their own baseline, or more than a fixed ceiling.

use std::collections::{BTreeSet, HashSet};

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use color_eyre::eyre::Result;

use super::{Ctx, Finding, Rule, RuleEvent};
use crate::domain::Severity;
use crate::query::Query;
use crate::store::Store;

pub struct VolumeSpike {
    severity: Severity,
    factor: f64,
    minimum: usize,
    ceiling: usize,
    baseline_days: u32,
    touched: BTreeSet<(String, NaiveDate, i64)>,
}

impl VolumeSpike {
    pub fn new(c: &crate::rules::config::VolumeSpike) -> Self {
        VolumeSpike {
            severity: c.severity.unwrap_or(Severity::Medium),
            factor: c.factor,
            minimum: c.minimum,
            ceiling: c.ceiling,
            baseline_days: c.baseline_days.max(1),
            touched: BTreeSet::new(),
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
    fn check<'a>(&mut self, e: &RuleEvent<'a>, ctx: &Ctx<'_>, _out: &mut Vec<Finding<'a>>) {
        if let (Some(actor), Some(_)) = (e.actor, ctx.patient(e)) {
            self.touched.insert((
                actor.to_owned(),
                ctx.local(e.occurred_at).date(),
                e.source_id,
            ));
        }
    }
    fn finish(
        &mut self,
        store: &dyn Store,
        ctx: &Ctx<'_>,
        out: &mut Vec<Finding<'static>>,
    ) -> Result<()> {
        let day_start = |d: NaiveDate| {
            let naive = d.and_hms_opt(0, 0, 0).expect("midnight");
            match ctx.zone {
                Some(z) => z
                    .from_local_datetime(&naive)
                    .earliest()
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_else(|| naive.and_utc()),
                None => naive.and_utc(),
            }
        };
        for (actor, day, source_id) in std::mem::take(&mut self.touched) {
            let from = day_start(day);
            let to = day_start(day + Duration::days(1));
            let mut today = HashSet::new();
            let mut ids = Vec::new();
            let q = Query::default()
                .field("actor", &actor)
                .after(from)
                .before(to);
            store.for_each_event(&q, 0, &mut |ev| {
                if let Some(s) = ev.subject.as_ref().map(|s| s.as_str())
                    && ctx.knowledge.patient(s).is_some()
                {
                    today.insert(s.to_owned());
                    if ids.len() < 1000 {
                        ids.push(ev.id);
                    }
                }
                Ok(())
            })?;
            let n = today.len();
            if n < self.minimum && n <= self.ceiling {
                continue;
            }
            let base_from = day_start(day - Duration::days(i64::from(self.baseline_days)));
            let mut before = HashSet::new();
            let q = Query::default()
                .field("actor", &actor)
                .after(base_from)
                .before(from);
            store.for_each_event(&q, 0, &mut |ev| {
                if let Some(s) = ev.subject.as_ref().map(|s| s.as_str())
                    && ctx.knowledge.patient(s).is_some()
                {
                    before.insert((ctx.local(ev.occurred_at).date(), s.to_owned()));
                }
                Ok(())
            })?;
            let avg = before.len() as f64 / f64::from(self.baseline_days);
            let over_ceiling = n > self.ceiling;
            let spike = n >= self.minimum && (n as f64) > self.factor * avg;
            if !(over_ceiling || spike) {
                continue;
            }
            let reason = if over_ceiling {
                format!(
                    "{actor} opened {n} patient records on {day}, over the ceiling of {} a day (their average over the previous {} days: {avg:.1})",
                    self.ceiling, self.baseline_days
                )
            } else {
                format!(
                    "{actor} opened {n} patient records on {day}, more than {}x their average of {avg:.1} a day over the previous {} days",
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
            });
        }
        Ok(())
    }
}
