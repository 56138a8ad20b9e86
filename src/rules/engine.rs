//! The rules engine: runs the enabled rules over stored events in time
//! order, feeds windowed rules the history before a batch, drops what a
//! suppression covers, draws the random sample, and turns findings into
//! review items grouped by rule, actor (or address) and day.
//!
//! It remembers the last event id it evaluated (`rules.cursor`), so after a
//! crash between an ingest commit and the rules, the next run catches up.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use color_eyre::eyre::Result;

use super::config::{RulesConfig, Sampling};
use super::{Ctx, Finding, GroupBy, Knowledge, Rule, RuleEvent, enabled, sampling, suppression};
use crate::domain::{Event, ItemKind, Severity};
use crate::query::Query;
use crate::store::{NewItem, Store, Suppression};

const CURSOR: &str = "rules.cursor";

/// Most events one item links to. A scanner's burst can run to hundreds of
/// thousands of lines in a day: the item is one decision either way, its
/// reason says what happened, and the filter in its reason lists them all.
pub const MAX_LINKED: usize = 1000;

/// What one evaluation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct EvalReport {
    pub events: u64,
    pub findings: u64,
    pub suppressed: u64,
    pub sampled: u64,
    pub items: u64,
}

impl EvalReport {
    pub fn add(&mut self, o: &EvalReport) {
        self.events += o.events;
        self.findings += o.findings;
        self.suppressed += o.suppressed;
        self.sampled += o.sampled;
        self.items += o.items;
    }
}

/// Findings not yet written: items merged by group key.
#[derive(Debug, Default)]
pub struct Pending {
    pub report: EvalReport,
    items: BTreeMap<String, NewItem>,
    max_id: i64,
    days: HashSet<(i64, NaiveDate)>,
}

impl Pending {
    fn merge_items(&mut self, items: Vec<NewItem>) {
        for it in items {
            let key = it.group_key.clone().unwrap_or_default();
            match self.items.get_mut(&key) {
                Some(have) => {
                    have.severity = have.severity.max(it.severity);
                    have.occurred_at = have.occurred_at.min(it.occurred_at);
                    // sorted and deduplicated once, in `apply`
                    have.event_ids.extend(it.event_ids);
                    for r in it.rules {
                        if !have.rules.iter().any(|(id, _)| *id == r.0) {
                            have.rules.push(r);
                        }
                    }
                }
                None => {
                    self.items.insert(key, it);
                }
            }
        }
    }

    /// Folds a later evaluation into this one.
    pub fn absorb(&mut self, other: Pending) {
        self.report.add(&other.report);
        self.max_id = self.max_id.max(other.max_id);
        self.days.extend(other.days);
        self.merge_items(other.items.into_values().collect());
    }
}

pub struct Engine {
    rules: Vec<Box<dyn Rule>>,
    knowledge: Knowledge,
    zone: Option<Tz>,
    sampling: Sampling,
    suppressions: Vec<Suppression>,
    /// Windowed rules have seen everything from here on.
    history_from: Option<DateTime<Utc>>,
    max_window: Option<Duration>,
    /// Source days whose sample minimum is already topped up.
    topped_up: HashSet<(i64, NaiveDate)>,
    today: NaiveDate,
    /// Events linked per group key in this run, to hold items to MAX_LINKED.
    linked: std::collections::HashMap<String, usize>,
}

/// A parsed event, just stored under `id`, as the rules see it.
pub fn view_new(source_id: i64, id: i64, e: &crate::domain::NewEvent) -> RuleEvent<'_> {
    RuleEvent {
        id,
        ..view_fields(
            source_id,
            e.occurred_at,
            e.outcome,
            &e.action,
            [&e.actor, &e.subject, &e.client, &e.host, &e.detail],
        )
    }
}

/// A stored event as the rules see it.
pub fn view<'a>(source_id: i64, e: &'a Event) -> RuleEvent<'a> {
    RuleEvent {
        id: e.id,
        ..view_fields(
            source_id,
            e.occurred_at,
            e.outcome,
            &e.action,
            [&e.actor, &e.subject, &e.client, &e.host, &e.detail],
        )
    }
}

/// The shared part of the two views: the text fields, borrowed.
fn view_fields<'a>(
    source_id: i64,
    occurred_at: DateTime<Utc>,
    outcome: crate::domain::Outcome,
    action: &'a crate::domain::SafeText,
    [actor, subject, client, host, detail]: [&'a Option<crate::domain::SafeText>; 5],
) -> RuleEvent<'a> {
    let s = |t: &'a Option<crate::domain::SafeText>| t.as_ref().map(|s| s.as_str());
    RuleEvent {
        id: 0,
        source_id,
        occurred_at,
        actor: s(actor),
        subject: s(subject),
        action: action.as_str(),
        outcome,
        client: s(client),
        host: s(host),
        detail: s(detail),
    }
}

impl Engine {
    /// Loads the rules' memory, the roster and patients (from the store) and
    /// the suppressions in force at `now`.
    pub fn new(
        cfg: &RulesConfig,
        watch: HashSet<String>,
        store: &dyn Store,
        now: DateTime<Utc>,
    ) -> Result<Engine> {
        let zone = cfg.timezone.as_deref().and_then(|z| z.parse::<Tz>().ok());
        let knowledge = Knowledge::new(store.people()?, store.patients()?, watch);
        let mut rules = enabled(cfg);
        for r in &mut rules {
            r.load(store)?;
        }
        let max_window = rules
            .iter()
            .filter_map(|r| r.window())
            .max()
            .and_then(|w| Duration::from_std(w).ok());
        let today = match zone {
            Some(z) => now.with_timezone(&z).date_naive(),
            None => now.date_naive(),
        };
        Ok(Engine {
            rules,
            knowledge,
            zone,
            sampling: cfg.sampling.clone(),
            suppressions: suppression::active(store, now)?,
            history_from: None,
            max_window,
            topped_up: HashSet::new(),
            today,
            linked: std::collections::HashMap::new(),
        })
    }

    fn day(&self, t: DateTime<Utc>) -> NaiveDate {
        match self.zone {
            Some(z) => t.with_timezone(&z).date_naive(),
            None => t.date_naive(),
        }
    }

    fn day_start(&self, d: NaiveDate) -> DateTime<Utc> {
        super::day_start(self.zone, d)
    }

    /// Shows windowed rules the failures before `start` they need.
    fn prime(&mut self, store: &dyn Store, start: DateTime<Utc>) -> Result<()> {
        let Some(window) = self.max_window else {
            return Ok(());
        };
        if self.history_from.is_some_and(|h| h <= start) {
            return Ok(());
        }
        let until = self.history_from.unwrap_or(start).min(start);
        let q = Query::default()
            .field("outcome", "failure")
            .after(start - window)
            .before(until);
        let mut history = Vec::new();
        store.for_each_event(&q, 0, &mut |e| {
            history.push(e);
            Ok(())
        })?;
        for e in &history {
            let v = view(0, e);
            for r in &mut self.rules {
                r.remember(&v);
            }
        }
        self.history_from = Some(start);
        Ok(())
    }

    /// Evaluates stored events (any order; they are sorted by time) without
    /// writing anything: the result is applied with `apply`, after the
    /// events' own transaction has committed.
    pub fn evaluate(&mut self, store: &dyn Store, events: &[RuleEvent<'_>]) -> Result<Pending> {
        if let Some(first) = events.iter().map(|e| e.occurred_at).min() {
            self.prime(store, first)?;
        }
        Ok(self.evaluate_primed(events))
    }

    /// Shows windowed rules the stored history before `start`, if they have
    /// not seen it: what `evaluate_primed` needs before a batch.
    pub fn prime_before(&mut self, store: &dyn Store, start: DateTime<Utc>) -> Result<()> {
        self.prime(store, start)
    }

    /// `evaluate` for a batch whose history `prime_before` has supplied: no
    /// store needed, so it can run on another thread while the store writes.
    pub fn evaluate_primed(&mut self, events: &[RuleEvent<'_>]) -> Pending {
        let mut p = Pending {
            report: EvalReport {
                events: events.len() as u64,
                ..EvalReport::default()
            },
            ..Pending::default()
        };
        if events.is_empty() {
            return p;
        }
        let mut order: Vec<&RuleEvent<'_>> = events.iter().collect();
        order.sort_by_key(|e| (e.occurred_at, e.id));

        // Sized up front: growing a vector of large structs batch after
        // batch costs more than the rules themselves.
        let mut findings = Vec::with_capacity(events.len());
        let ctx = Ctx {
            knowledge: &self.knowledge,
            zone: self.zone,
        };
        for e in &order {
            for r in &mut self.rules {
                r.check(e, &ctx, &mut findings);
            }
        }
        self.settle(findings, &order, &mut p);
        p.max_id = events.iter().map(|e| e.id).max().unwrap_or(0);
        p.days = order
            .iter()
            .map(|e| (e.source_id, self.day(e.occurred_at)))
            .filter(|(_, d)| *d < self.today)
            .collect();
        p
    }

    /// Drops what suppressions cover, draws the sample, groups the rest.
    fn settle(&self, mut findings: Vec<Finding<'_>>, events: &[&RuleEvent<'_>], p: &mut Pending) {
        let before = findings.len();
        let sup = &self.suppressions;
        findings.retain(|f: &Finding<'_>| {
            !sup.iter().any(|s| {
                s.covers(
                    f.actor.as_deref(),
                    f.subject.as_deref(),
                    f.rule,
                    f.occurred_at,
                )
            })
        });
        p.report.suppressed += (before - findings.len()) as u64;
        p.report.findings += findings.len() as u64;
        let mut items = self.group(&findings);
        if self.sampling.enabled && !events.is_empty() {
            let (samples, n) = self.sample(events, &findings);
            p.report.sampled += n;
            items.extend(samples);
        }
        p.merge_items(items);
    }

    /// Writes what `evaluate` found, after the rules that look at totals
    /// (which need the committed events) have had their say: items, the
    /// rules' memory, sample top-ups for finished days, and the cursor.
    pub fn apply(&mut self, store: &mut dyn Store, mut p: Pending) -> Result<EvalReport> {
        let mut findings: Vec<Finding<'static>> = Vec::new();
        {
            let ctx = Ctx {
                knowledge: &self.knowledge,
                zone: self.zone,
            };
            for r in &mut self.rules {
                r.finish(store, &ctx, &mut findings)?;
            }
        }
        self.settle(findings, &[], &mut p);
        let mut report = p.report;
        let linked = &mut self.linked;
        let items: Vec<NewItem> = p
            .items
            .into_values()
            .map(|mut i| {
                i.event_ids.sort_unstable();
                i.event_ids.dedup();
                let have = linked
                    .entry(i.group_key.clone().unwrap_or_default())
                    .or_insert(0);
                i.event_ids.truncate(MAX_LINKED.saturating_sub(*have));
                *have += i.event_ids.len();
                i
            })
            .collect();
        report.items = items.len() as u64;
        if !items.is_empty() {
            store.add_items(&items)?;
        }
        for r in &mut self.rules {
            r.save(store)?;
        }
        if self.sampling.enabled {
            report.sampled += self.top_up(store, &p.days)?;
        }
        let cursor: i64 = store
            .meta(CURSOR)?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        if p.max_id > cursor {
            store.set_meta(CURSOR, &p.max_id.to_string())?;
        }
        Ok(report)
    }

    /// `evaluate` and `apply` in one go, for events already committed.
    pub fn run(&mut self, store: &mut dyn Store, events: &[RuleEvent<'_>]) -> Result<EvalReport> {
        let p = self.evaluate(store, events)?;
        self.apply(store, p)
    }

    /// Evaluates stored events the rules have not seen (after a crash), or,
    /// with `since`, every event from that time on (a rerun after a config
    /// change: items are matched by their group keys, so none is doubled).
    pub fn catch_up(
        &mut self,
        store: &mut dyn Store,
        since: Option<DateTime<Utc>>,
    ) -> Result<EvalReport> {
        let mut after: i64 = match since {
            Some(_) => 0,
            None => store
                .meta(CURSOR)?
                .and_then(|c| c.parse().ok())
                .unwrap_or(0),
        };
        let mut total = EvalReport::default();
        loop {
            let batch = store.events_after(after, since, 50_000)?;
            let Some((_, last)) = batch.last() else { break };
            after = last.id;
            let views: Vec<RuleEvent<'_>> = batch.iter().map(|(s, e)| view(*s, e)).collect();
            total.add(&self.run(store, &views)?);
        }
        Ok(total)
    }

    /// Findings with the same rule, actor (or address) and day become one item.
    fn group(&self, findings: &[Finding<'_>]) -> Vec<NewItem> {
        let mut index: std::collections::HashMap<(&str, &str, NaiveDate), usize> =
            std::collections::HashMap::new();
        let mut items: Vec<NewItem> = Vec::new();
        for f in findings {
            let who: &str = match f.group_by {
                GroupBy::Actor => f.actor.as_deref().or(f.subject.as_deref()),
                GroupBy::Client => f.client.as_deref(),
                GroupBy::Host => f.host.as_deref(),
            }
            .unwrap_or("unknown");
            let day = self.day(f.occurred_at);
            let i = *index.entry((f.rule, who, day)).or_insert_with(|| {
                items.push(NewItem {
                    kind: ItemKind::Finding,
                    source_id: Some(f.source_id),
                    occurred_at: f.occurred_at,
                    actor: match f.group_by {
                        GroupBy::Actor => f.actor.as_deref().map(String::from),
                        GroupBy::Client | GroupBy::Host => None,
                    },
                    subject: f.subject.as_deref().map(String::from),
                    title: format!("{}: {who} on {day}", f.title),
                    severity: f.severity,
                    group_key: Some(format!("{}|{who}|{day}", f.rule)),
                    rules: vec![(f.rule.to_owned(), f.reason.clone())],
                    event_ids: Vec::new(),
                });
                items.len() - 1
            });
            let item = &mut items[i];
            item.severity = item.severity.max(f.severity);
            item.occurred_at = item.occurred_at.min(f.occurred_at);
            if item.subject.as_deref() != f.subject.as_deref() {
                item.subject = None;
            }
            item.event_ids.extend(&f.event_ids);
        }
        for i in &mut items {
            i.event_ids.sort_unstable();
            i.event_ids.dedup();
            if i.event_ids.len() > 1 {
                i.kind = ItemKind::Group;
            }
        }
        items
    }

    fn sample_item(&self, source_id: i64, day: NaiveDate, ids: Vec<i64>, note: &str) -> NewItem {
        NewItem {
            kind: ItemKind::Sample,
            source_id: Some(source_id),
            occurred_at: self.day_start(day),
            actor: None,
            subject: None,
            title: format!("Random sample of unflagged activity on {day}"),
            severity: Severity::Low,
            group_key: Some(format!("sample|{source_id}|{day}")),
            rules: vec![(
                "sample".into(),
                format!(
                    "random sample of events no rule flagged, {note}: rate {}, seed {}, day {day}; each event is drawn by a keyed hash of (seed, source, event id), so anyone can recompute the sample",
                    self.sampling.rate, self.sampling.seed
                ),
            )],
            event_ids: ids,
        }
    }

    /// The events of this batch the sample draws (and no rule flagged), as
    /// one item per source-day.
    fn sample(&self, events: &[&RuleEvent<'_>], findings: &[Finding<'_>]) -> (Vec<NewItem>, u64) {
        let s = &self.sampling;
        let mut chosen: HashSet<i64> = events
            .iter()
            .filter(|e| sampling::chosen(s.seed, s.rate, e.source_id, e.id))
            .map(|e| e.id)
            .collect();
        if chosen.is_empty() {
            return (Vec::new(), 0);
        }
        for f in findings {
            for id in &f.event_ids {
                chosen.remove(id);
            }
        }
        let mut by_day: BTreeMap<(i64, NaiveDate), Vec<i64>> = BTreeMap::new();
        for e in events.iter().filter(|e| chosen.contains(&e.id)) {
            by_day
                .entry((e.source_id, self.day(e.occurred_at)))
                .or_default()
                .push(e.id);
        }
        let n = by_day.values().map(|v| v.len() as u64).sum();
        let items = by_day
            .into_iter()
            .map(|((src, day), ids)| self.sample_item(src, day, ids, "drawn as the events arrived"))
            .collect();
        (items, n)
    }

    /// For finished days, draws more until the sample has its minimum: the
    /// unflagged events with the lowest draws, so the top-up is as blind as
    /// the sample.
    fn top_up(&mut self, store: &mut dyn Store, days: &HashSet<(i64, NaiveDate)>) -> Result<u64> {
        let mut added = 0;
        for &(src, day) in days {
            if !self.topped_up.insert((src, day)) {
                continue;
            }
            let key = format!("sample|{src}|{day}");
            let existing = store
                .item_by_key(&key)?
                .map(|i| i.event_ids.len())
                .unwrap_or(0);
            if existing >= self.sampling.minimum {
                continue;
            }
            let mut pool: Vec<(f64, i64)> = store
                .unflagged_events(
                    src,
                    self.day_start(day),
                    self.day_start(day + Duration::days(1)),
                )?
                .into_iter()
                .map(|id| (sampling::draw(self.sampling.seed, src, id), id))
                .collect();
            pool.sort_by(|a, b| a.0.total_cmp(&b.0));
            let ids: Vec<i64> = pool
                .into_iter()
                .take(self.sampling.minimum - existing)
                .map(|(_, id)| id)
                .collect();
            if ids.is_empty() {
                continue;
            }
            added += ids.len() as u64;
            let item = self.sample_item(src, day, ids, "topped up to the daily minimum");
            store.add_items(&[item])?;
        }
        Ok(added)
    }
}
