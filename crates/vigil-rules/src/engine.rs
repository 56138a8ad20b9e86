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

use super::cases::{Group, join_bursts, place};
use super::config::{RulesConfig, Sampling};
use super::explain::{Explainer, Sweep};
use super::rows::{Names, Row};
use super::view::view;
use super::{Ctx, Finding, Knowledge, Rule, RuleEvent, enabled, sampling};
use vigil_domain::query::Query;
use vigil_domain::{Encounter, Explained, Explanation, ItemKind, Severity};
use vigil_store::{NewItem, Store, Suppression};

const CURSOR: &str = "rules.cursor";
/// Source days read whose sample is still to be drawn.
const SAMPLE_DAYS: &str = "sampling.pending";

fn pending_days(store: &dyn Store) -> Result<HashSet<(i64, NaiveDate)>> {
    Ok(match store.meta(SAMPLE_DAYS)? {
        Some(v) if !v.is_empty() => serde_json::from_str(&v)?,
        _ => HashSet::new(),
    })
}

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
    /// Accesses given an explanation, and how many of them were explained.
    pub accesses: u64,
    pub explained: u64,
    /// Findings not raised because clinical context explains the access.
    pub findings_explained: u64,
    /// Earlier accesses a late encounter explained.
    pub reexplained: u64,
    /// Findings not raised because the patient was in care at the time
    /// (see `Explainer::in_care`).
    pub findings_in_care: u64,
}

impl EvalReport {
    pub fn add(&mut self, o: &EvalReport) {
        self.events += o.events;
        self.findings += o.findings;
        self.suppressed += o.suppressed;
        self.sampled += o.sampled;
        self.items += o.items;
        self.accesses += o.accesses;
        self.explained += o.explained;
        self.findings_explained += o.findings_explained;
        self.reexplained += o.reexplained;
        self.findings_in_care += o.findings_in_care;
    }
}

/// At most this many stored explanations are read back at the start of a
/// run (newest first): about 40 MiB for a moment, and two weeks of a
/// 2,000-person hospital; a busier store remembers its latest ones.
const MEMORY_ROWS: usize = 300_000;

/// The rules an access in care (but undocumented) raises nothing for:
/// the hour says nothing when the patient is being cared for, and a
/// co-worker flag only when the actor works with the employee (checked
/// apart).
fn in_care_drops(rule: &str) -> bool {
    matches!(rule, "after-hours" | "coworker")
}

/// Whether an explanation of this kind excuses a finding of this rule.
/// With `strict` (`department_excuses_coworker = false`), a department's
/// encounter does not excuse a co-worker finding: the shared department is
/// what makes the patient a colleague, and a colleague admitted to their
/// own unit is the record everyone on it is tempted to open.
fn explains(kind: Explanation, rule: &str, strict: bool) -> bool {
    !(strict && kind == Explanation::Department && rule == "coworker")
}

/// Findings not yet written, grouped: by rule and day, then by who (an
/// actor, an address or a host). Two levels, so a finding finds its group
/// by borrowed text, and titles and keys are written once per commit
/// rather than once per batch.
#[derive(Debug, Default)]
pub struct Pending {
    pub report: EvalReport,
    groups: Groups,
    /// Samples, by group key.
    samples: BTreeMap<String, NewItem>,
    max_id: i64,
    days: HashSet<(i64, NaiveDate)>,
    /// The explanations this evaluation gave, a batch's to a vector: a run
    /// gives one per access, and one vector grown to a million rows copied
    /// them over and over as it doubled.
    explained: Vec<Vec<Row>>,
    /// Context learned since the last apply: earlier accesses it may explain.
    context: Vec<Encounter>,
}

type Groups = std::collections::HashMap<
    (&'static str, NaiveDate),
    std::collections::HashMap<String, Group, foldhash::fast::RandomState>,
    foldhash::fast::RandomState,
>;

impl Pending {
    fn merge_samples(&mut self, items: Vec<NewItem>) {
        for it in items {
            match self
                .samples
                .get_mut(it.group_key.as_deref().unwrap_or_default())
            {
                Some(have) => have.event_ids.extend(it.event_ids),
                None => {
                    self.samples
                        .insert(it.group_key.clone().unwrap_or_default(), it);
                }
            }
        }
    }

    fn merge_group(&mut self, prefix: &'static str, day: NaiveDate, who: &str, g: Group) {
        let by_who = self.groups.entry((prefix, day)).or_default();
        match by_who.get_mut(who) {
            Some(have) => have.absorb(g),
            None => {
                by_who.insert(who.to_owned(), g);
            }
        }
    }

    /// Folds a later evaluation into this one.
    pub fn absorb(&mut self, other: Pending) {
        self.report.add(&other.report);
        self.max_id = self.max_id.max(other.max_id);
        self.days.extend(other.days);
        self.explained.extend(other.explained);
        self.context.extend(other.context);
        self.merge_samples(other.samples.into_values().collect());
        for ((rule, day), by_who) in other.groups {
            for (who, g) in by_who {
                self.merge_group(rule, day, &who, g);
            }
        }
    }

    /// The items to write, in group-key order (so ids come out the same
    /// run after run).
    fn into_items(self) -> Vec<NewItem> {
        // Only the accesses items link to: a day's explanations are many
        // more than its findings.
        let wanted: HashSet<i64> = self
            .groups
            .values()
            .flat_map(|m| m.values())
            .flat_map(|g| g.event_ids.iter().copied())
            .collect();
        let (mut accesses, mut explained) = (HashSet::new(), HashSet::new());
        for x in self
            .explained
            .iter()
            .flatten()
            .filter(|x| wanted.contains(&x.event_id))
        {
            accesses.insert(x.event_id);
            if x.is_explained() {
                explained.insert(x.event_id);
            }
        }
        let mut items: Vec<NewItem> = self
            .groups
            .into_iter()
            .flat_map(|((prefix, day), by_who)| {
                let (explained, accesses) = (&explained, &accesses);
                by_who
                    .into_iter()
                    .map(move |(who, g)| g.item(prefix, &who, day, explained, accesses))
            })
            .collect();
        items.extend(self.samples.into_values().map(|mut i| {
            i.event_ids.sort_unstable();
            i.event_ids.dedup();
            i
        }));
        items.sort_by(|a, b| a.group_key.cmp(&b.group_key));
        items
    }
}

/// The local day of times that mostly come in order: the zone conversion
/// is done once per day rather than once per time.
#[derive(Default)]
struct DayCache {
    /// The day last worked out, and its start and end in UTC.
    span: Option<(DateTime<Utc>, DateTime<Utc>, NaiveDate)>,
}

impl DayCache {
    fn of(&mut self, engine: &Engine, t: DateTime<Utc>) -> NaiveDate {
        if engine.zone.is_none() {
            return t.date_naive();
        }
        if let Some((from, to, d)) = self.span
            && t >= from
            && t < to
        {
            return d;
        }
        let d = engine.day(t);
        let from = engine.day_start(d);
        let to = d.succ_opt().map_or(from, |n| engine.day_start(n));
        // (a day whose bounds a zone change leaves unclear is not cached)
        if from <= t && t < to {
            self.span = Some((from, to, d));
        }
        d
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
    /// The explainer has read back what earlier runs explained.
    remembered: bool,
    max_window: Option<Duration>,
    today: NaiveDate,
    /// Events linked per group key in this run, to hold items to MAX_LINKED.
    linked: std::collections::HashMap<String, usize>,
    explainer: Explainer,
    /// The text of the explanations held until they are stored.
    names: Names,
    /// Rules that raise nothing for an explained access.
    explainable: Vec<&'static str>,
    /// A department explanation does not excuse a co-worker finding.
    strict_colleagues: bool,
    sweep_minutes: i64,
    /// Items a late encounter explained, for the review service to close.
    withdrawals: Vec<Withdrawal>,
}

/// An item whose every access clinical context now explains (documentation
/// arrived after the accesses): closed as explained if undecided, noted if
/// decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    pub item: i64,
    pub decided: bool,
    pub note: String,
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
        let mut explainer = Explainer::new(&cfg.explain, zone);
        if explainer.active {
            explainer.learn(&knowledge, &store.context()?);
            let entity = vigil_domain::ledger::Entity::ExplainTemplate.to_string();
            let entries = store.ledger_for(&entity)?;
            explainer.set_templates(vigil_domain::templates_in_force(
                entries
                    .iter()
                    .map(|e| (e.action.as_str(), e.payload.as_str())),
            ));
        }
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
            suppressions: active_suppressions(store, now)?,
            history_from: None,
            remembered: false,
            max_window,
            today,
            linked: std::collections::HashMap::new(),
            explainer,
            names: Names::default(),
            explainable: cfg.explainable(),
            strict_colleagues: !cfg.explain.department_excuses_coworker,
            sweep_minutes: (cfg.explain.sweep_window.as_secs() / 60) as i64,
            withdrawals: Vec::new(),
        })
    }

    fn day(&self, t: DateTime<Utc>) -> NaiveDate {
        match self.zone {
            Some(z) => t.with_timezone(&z).date_naive(),
            None => t.date_naive(),
        }
    }

    fn day_start(&self, d: NaiveDate) -> DateTime<Utc> {
        vigil_domain::time::day_start(self.zone, d)
    }

    /// Shows windowed rules the failures before `start` they need, and
    /// the explainer what it remembers from earlier runs.
    fn prime(&mut self, store: &dyn Store, start: DateTime<Utc>) -> Result<()> {
        if self.explainer.active && !self.remembered {
            self.remembered = true;
            let rows =
                store.recent_explanations(start - self.explainer.memory(), start, MEMORY_ROWS)?;
            self.explainer.remember(&rows, start);
        }
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
        let mut rows = Vec::new();
        let ctx = Ctx::new(&self.knowledge, self.zone);
        for e in &order {
            let from = findings.len();
            for r in &mut self.rules {
                r.check(e, &ctx, &mut findings);
            }
            join_bursts(&mut findings[from..]);
            // An access to a patient's record (any action the EHR names:
            // `view chart`, `print summary`), as the relationship rules see it.
            if self.explainer.active
                && e.outcome != vigil_domain::Outcome::Failure
                && let (Some(actor), Some(patient)) = (e.actor, e.subject)
                && (ctx.patient(e).is_some() || self.explainer.knows(patient))
            {
                let x = self.explainer.explain(
                    &self.knowledge,
                    e.id,
                    e.source_id,
                    actor,
                    patient,
                    e.occurred_at,
                );
                p.report.accesses += 1;
                if !x.is_explained() && findings[from..].iter().any(|f| in_care_drops(f.rule)) {
                    let explainable = &self.explainable;
                    if self
                        .explainer
                        .in_care(actor, patient, e.occurred_at)
                        .is_some()
                    {
                        let before = findings.len();
                        let k = &self.knowledge;
                        let mut i = from;
                        while i < findings.len() {
                            let f = &findings[i];
                            let drop = explainable.contains(&f.rule)
                                && in_care_drops(f.rule)
                                && (f.rule != "coworker" || !k.works_with(actor, patient));
                            if drop {
                                findings.swap_remove(i);
                            } else {
                                i += 1;
                            }
                        }
                        p.report.findings_in_care += (before - findings.len()) as u64;
                    }
                }
                self.explainer.observe(actor, patient, e.occurred_at);
                if x.is_explained() {
                    p.report.explained += 1;
                    let before = findings.len();
                    let explainable = &self.explainable;
                    let mut i = from;
                    while i < findings.len() {
                        if explainable.contains(&findings[i].rule)
                            && explains(x.kind, findings[i].rule, self.strict_colleagues)
                        {
                            findings.swap_remove(i);
                        } else {
                            i += 1;
                        }
                    }
                    p.report.findings_explained += (before - findings.len()) as u64;
                }
                let swept = match self.explainer.sweep(&x) {
                    Sweep::No => None,
                    Sweep::Started(ids, n) => Some((
                        ids,
                        format!(
                            "{actor} opened {n} patients' records with no clinical explanation within {} minutes, the latest at {}",
                            self.sweep_minutes,
                            super::hhmm(ctx.local(e.occurred_at))
                        ),
                    )),
                    Sweep::Continues => Some((vec![e.id], String::new())),
                };
                if self.explainer.first_untreated(&self.knowledge, &x) {
                    let reason = format!(
                        "{actor} opened the record of MRN {patient} for the first time at {}, with no encounter, care team or role that explains it",
                        super::hhmm(ctx.local(e.occurred_at))
                    );
                    findings.push(Finding::of_context(
                        e,
                        NO_TREATMENT,
                        reason,
                        vec![e.id],
                        true,
                    ));
                }
                if let Some((event_ids, reason)) = swept {
                    findings.push(Finding::of_context(e, SWEEP, reason, event_ids, false));
                }
                rows.push(self.names.row(&x));
            }
        }
        if !rows.is_empty() {
            p.explained.push(rows);
        }
        self.settle(findings, &order, &mut p);
        p.max_id = events.iter().map(|e| e.id).max().unwrap_or(0);
        // Events come in time order: the day is worked out again only when
        // one leaves the day before (a zone conversion per event costs more
        // than some rules).
        let mut days = DayCache::default();
        let mut last = None;
        for e in &order {
            let d = days.of(self, e.occurred_at);
            if d < self.today && last != Some((e.source_id, d)) {
                last = Some((e.source_id, d));
                p.days.insert((e.source_id, d));
            }
        }
        p
    }

    /// Drops what suppressions cover, draws the sample, groups the rest.
    fn settle(
        &mut self,
        mut findings: Vec<Finding<'_>>,
        events: &[&RuleEvent<'_>],
        p: &mut Pending,
    ) {
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
        if self.sampling.enabled && !events.is_empty() {
            let (samples, n) = self.sample(events, &findings);
            p.report.sampled += n;
            p.merge_samples(samples);
        }
        self.group(findings, p);
    }

    /// Writes what `evaluate` found, after the rules that look at totals
    /// (which need the committed events) have had their say: items, the
    /// rules' memory, sample top-ups for finished days, and the cursor.
    pub fn apply(&mut self, store: &mut dyn Store, p: Pending) -> Result<EvalReport> {
        let mut p = Some(p);
        let mut report = None;
        store.replayable(&mut |s| {
            if let Some(p) = p.take() {
                report = Some(self.apply_now(s, p)?);
            }
            Ok(())
        })?;
        Ok(report.unwrap_or_default())
    }

    /// Takes in clinical context just stored: later accesses are explained
    /// by it, and `apply` re-explains the earlier ones it covers.
    pub fn learn(&mut self, context: Vec<Encounter>) -> Pending {
        self.explainer.learn(&self.knowledge, &context);
        Pending {
            context,
            ..Pending::default()
        }
    }

    /// Templates worth approving, from the unexplained accesses stored
    /// between two times (see `Explainer::mine`).
    pub fn mine(
        &self,
        store: &dyn Store,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        min_accesses: u64,
        min_actors: usize,
        min_lift: f64,
    ) -> Result<Vec<super::explain::Proposal>> {
        let rows = store.unexplained(None, from, to)?;
        Ok(self
            .explainer
            .mine(&self.knowledge, &rows, min_accesses, min_actors, min_lift))
    }

    /// The items late context explained since the last call.
    pub fn take_withdrawals(&mut self) -> Vec<Withdrawal> {
        std::mem::take(&mut self.withdrawals)
    }

    /// Re-explains the stored unexplained accesses that new context covers,
    /// and finds the items every access of which is now explained.
    fn reexplain(&mut self, store: &mut dyn Store, context: &[Encounter]) -> Result<u64> {
        if !self.explainer.active || context.is_empty() {
            return Ok(0);
        }
        let mut now_explained = Vec::new();
        // One query per patient, over the union of its encounters' reach: a
        // first pull of the ADT export brings thousands of encounters.
        let mut reach: std::collections::BTreeMap<&str, (DateTime<Utc>, DateTime<Utc>)> =
            Default::default();
        for c in context {
            let (from, to) = self.explainer.reach(c);
            let r = reach.entry(c.patient.as_str()).or_insert((from, to));
            *r = (r.0.min(from), r.1.max(to));
        }
        for (patient, (from, to)) in reach {
            for old in store.unexplained(Some(patient), from, to)? {
                let x = self.explainer.explain(
                    &self.knowledge,
                    old.event_id,
                    old.source_id,
                    &old.actor,
                    &old.patient,
                    old.occurred_at,
                );
                if x.is_explained() {
                    now_explained.push(x);
                }
            }
        }
        store.put_explanations(&now_explained)?;
        let mut keys: Vec<String> = now_explained
            .iter()
            .map(|x| {
                format!(
                    "{}|{}|{}",
                    super::cases::CASE,
                    x.actor,
                    self.day(x.occurred_at)
                )
            })
            .collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let Some(item) = store.item_by_key(&key)? else {
                continue;
            };
            if !item
                .rules
                .iter()
                .all(|r| self.explainable.contains(&r.rule.as_str()))
            {
                continue;
            }
            let why = store.explanations(&item.event_ids)?;
            if why.len() != item.event_ids.len()
                || !why.iter().all(|x| {
                    x.is_explained()
                        && item
                            .rules
                            .iter()
                            .all(|r| explains(x.kind, &r.rule, self.strict_colleagues))
                })
            {
                continue;
            }
            let decided = !matches!(
                item.status,
                vigil_domain::Status::New | vigil_domain::Status::Reopened
            );
            let first = why
                .iter()
                .find(|x| x.encounter.is_some())
                .unwrap_or(&why[0]);
            self.withdrawals.push(Withdrawal {
                item: item.id,
                decided,
                note: format!(
                    "clinical context recorded after the review item explains all {} of its accesses ({})",
                    why.len(),
                    first.note
                ),
            });
        }
        Ok(now_explained.len() as u64)
    }

    fn apply_now(&mut self, store: &mut dyn Store, mut p: Pending) -> Result<EvalReport> {
        for page in p.explained.iter().flat_map(|b| b.chunks(10_000)) {
            let rows: Vec<Explained> = page.iter().map(|r| self.names.explained(r)).collect();
            store.put_explanations(&rows)?;
        }
        let context = std::mem::take(&mut p.context);
        p.report.reexplained += self.reexplain(store, &context)?;
        let mut findings: Vec<Finding<'static>> = Vec::new();
        {
            let ctx = Ctx::new(&self.knowledge, self.zone);
            for r in &mut self.rules {
                r.finish(store, &ctx, &mut findings)?;
            }
        }
        // A total (a volume spike) made only of explained accesses is
        // explained too.
        if !p.explained.is_empty() && !findings.is_empty() {
            let wanted: HashSet<i64> = findings
                .iter()
                .flat_map(|f| f.event_ids.iter().copied())
                .collect();
            let explained: HashSet<i64> = p
                .explained
                .iter()
                .flatten()
                .filter(|x| x.is_explained() && wanted.contains(&x.event_id))
                .map(|x| x.event_id)
                .collect();
            let before = findings.len();
            let explainable = &self.explainable;
            findings.retain(|f| {
                !(explainable.contains(&f.rule)
                    && !f.event_ids.is_empty()
                    && f.event_ids.iter().all(|id| explained.contains(id)))
            });
            p.report.findings_explained += (before - findings.len()) as u64;
        }
        self.settle(findings, &[], &mut p);
        let mut report = p.report;
        let days = std::mem::take(&mut p.days);
        let max_id = p.max_id;
        let mut items: Vec<NewItem> = p.into_items();
        super::cases::mark_repeat_offenders(store, &self.knowledge, &mut items)?;
        let linked = &mut self.linked;
        for i in &mut items {
            let key = i.group_key.clone().unwrap_or_default();
            let have = match linked.get_mut(&key) {
                Some(n) => n,
                None => {
                    // An item from an earlier run (the first half of a log,
                    // read yesterday) counts toward the cap too.
                    let before = match &i.group_key {
                        Some(k) => store.item_by_key(k)?.map_or(0, |it| it.event_ids.len()),
                        None => 0,
                    };
                    linked.entry(key).or_insert(before)
                }
            };
            i.event_ids.truncate(MAX_LINKED.saturating_sub(*have));
            *have += i.event_ids.len();
        }
        report.items = items.len() as u64;
        if !items.is_empty() {
            store.add_items(&items)?;
        }
        for r in &mut self.rules {
            r.save(store)?;
        }
        if self.sampling.enabled && !days.is_empty() {
            // Remembered in the store: a run that dies before `finish`
            // leaves them for the next one.
            let mut pending = pending_days(store)?;
            let before = pending.len();
            pending.extend(days);
            if pending.len() != before {
                store.set_meta(SAMPLE_DAYS, &serde_json::to_string(&pending)?)?;
            }
        }
        let cursor: i64 = store
            .meta(CURSOR)?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        if max_id > cursor {
            store.set_meta(CURSOR, &max_id.to_string())?;
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
            vigil_domain::progress::advance(batch.len() as u64);
        }
        Ok(total)
    }

    /// Groups findings into cases: one per actor and day across rules and
    /// sources, one per attack, and one per rule and address (or host) for
    /// the rest (see `cases`).
    fn group(&mut self, findings: Vec<Finding<'_>>, p: &mut Pending) {
        let mut days = DayCache::default();
        let zone = self.zone;
        for f in findings {
            let day = days.of(self, f.occurred_at);
            let by_actor = f.group_by == super::GroupBy::Actor;
            let at = place(&f);
            let by_who = p.groups.entry((at.prefix, day)).or_default();
            match by_who.get_mut(&*at.who) {
                Some(g) => g.add(f, by_actor, zone),
                None => {
                    let (label, who) = (at.label(), at.who.into_owned());
                    by_who.insert(who, Group::of(f, label, by_actor, zone));
                }
            }
        }
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
            score: 0,
            score_note: None,
        }
    }

    /// The events of this batch the sample draws (and no rule flagged), as
    /// one item per source-day.
    fn sample(&self, events: &[&RuleEvent<'_>], findings: &[Finding<'_>]) -> (Vec<NewItem>, u64) {
        let s = &self.sampling;
        // Only today's: a finished day is drawn whole by `finish`.
        let mut chosen: HashSet<i64> = events
            .iter()
            .filter(|e| sampling::chosen(s.seed, s.rate, e.source_id, e.id))
            .filter(|e| self.day(e.occurred_at) >= self.today)
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

    /// Draws the sample of every finished day this run or an interrupted
    /// one read: once a run has read all it will, from the stored events
    /// and the items every rule raised, so where a batch (or a crash)
    /// happened to fall changes nothing. The events the keyed hash draws
    /// that no rule flagged, then, up to the daily minimum, the unflagged
    /// events with the lowest draws, so the top-up is as blind as the
    /// sample. A day already sampled (today's, drawn as events arrived) is
    /// only topped up.
    pub fn finish(&mut self, store: &mut dyn Store) -> Result<u64> {
        if !self.sampling.enabled {
            return Ok(0);
        }
        let pending = pending_days(store)?;
        let (mut done, later): (Vec<_>, Vec<_>) =
            pending.into_iter().partition(|(_, d)| *d < self.today);
        if done.is_empty() {
            return Ok(0);
        }
        // (filed in one order, so the samples' ids come out the same run
        // after run, and the queue lists equal items the same way)
        done.sort_unstable();
        let mut added = 0;
        let mut flagged = sampling::Flagged::default();
        for &(src, day) in &done {
            let key = format!("sample|{src}|{day}");
            let existing = store.item_by_key(&key)?.map(|i| i.event_ids.len());
            // The lowest draws only: a sample never links more than
            // MAX_LINKED events, so a day of millions is never held.
            let mut lowest =
                sampling::Lowest::new(self.sampling.seed, src, MAX_LINKED, self.sampling.rate);
            let span = |d: NaiveDate| (self.day_start(d), self.day_start(d + Duration::days(1)));
            flagged.around(day, |d, each| {
                store.flagged_events(span(d).0, span(d).1, each)
            })?;
            let (from, to) = span(day);
            store.unflagged_events(src, from, to, &|id| flagged.holds(id), &mut |id| {
                lowest.offer(id)
            })?;
            let below_rate = lowest.below_rate;
            let pool = lowest.into_ids();
            let have = existing.unwrap_or(0);
            let drawn = if existing.is_none() { below_rate } else { 0 };
            let take = drawn
                .max(self.sampling.minimum.saturating_sub(have))
                .min(MAX_LINKED);
            let mut ids: Vec<i64> = pool.into_iter().take(take).collect();
            if ids.is_empty() {
                continue;
            }
            ids.sort_unstable();
            added += ids.len() as u64;
            let note = if existing.is_some() {
                "topped up to the daily minimum"
            } else {
                "drawn once the day's events were all read"
            };
            let item = self.sample_item(src, day, ids, note);
            store.add_items(&[item])?;
        }
        let later: HashSet<(i64, NaiveDate)> = later.into_iter().collect();
        store.set_meta(SAMPLE_DAYS, &serde_json::to_string(&later)?)?;
        Ok(added)
    }
}

/// The suppressions still in force at `now`.
fn active_suppressions(store: &dyn Store, now: DateTime<Utc>) -> Result<Vec<Suppression>> {
    Ok(store
        .suppressions()?
        .into_iter()
        .filter(|s| s.until > now)
        .collect())
}

/// The engine's own findings from explanations: (rule, title, severity).
const SWEEP: (&str, &str, Severity) = ("curiosity-sweep", "Curiosity sweep", Severity::High);
const NO_TREATMENT: (&str, &str, Severity) = (
    "no-treatment-relationship",
    "No treatment relationship",
    Severity::Medium,
);
