//! Rules: which events need a human look, and a sentence saying why.
//!
//! Each rule is one file implementing `Rule`. The engine runs them over
//! newly stored events (incrementally, after each ingest commit, with the
//! history a windowed rule needs looked up from the store), drops what a
//! suppression covers, samples some unflagged events, and groups findings
//! with the same rule, actor (or address) and day into one review item, so a
//! burst of 400 failures is one decision, not 400.

pub mod config;
pub mod knowledge;

mod after_hours;
mod break_glass;
mod coworker;
mod deceased;
mod failed_burst;
mod family;
mod first_seen;
mod neighbour;
mod privileged;
mod same_address;
mod same_surname;
mod self_access;
mod shared_credentials;
mod success_after_failures;
mod system;
mod terminated;
mod unknown_account;
mod vip;
mod volume_spike;

mod cases;
mod engine;
pub mod explain;
mod rows;
mod sampling;
mod view;
mod window;

use std::borrow::Cow;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use color_eyre::eyre::Result;

pub use config::RulesConfig;
pub use engine::{Engine, EvalReport, Pending, Withdrawal};
pub use knowledge::Knowledge;
pub use view::{view, view_new};

use vigil_domain::{Outcome, Severity};
use vigil_store::Store;

/// An event as the rules see it: borrowed, cheap to make from a parsed
/// event or a stored one.
#[derive(Debug, Clone, Copy)]
pub struct RuleEvent<'a> {
    pub id: i64,
    pub source_id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub action: &'a str,
    pub outcome: Outcome,
    pub client: Option<&'a str>,
    pub host: Option<&'a str>,
    pub detail: Option<&'a str>,
}

/// What a finding is grouped by, besides rule and day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Actor,
    /// Failures from one address: one item per address.
    Client,
    /// Scanners try many names from many addresses: one item per host.
    Host,
}

/// One rule's verdict on one or more events. Borrows from the events it is
/// about: a busy day has hundreds of thousands of findings.
#[derive(Debug, Clone)]
pub struct Finding<'a> {
    pub rule: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// A full sentence a reviewer can act on.
    pub reason: String,
    pub event_ids: Vec<i64>,
    pub source_id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor: Option<Cow<'a, str>>,
    pub subject: Option<Cow<'a, str>>,
    pub client: Option<Cow<'a, str>>,
    pub host: Option<Cow<'a, str>>,
    pub group_by: GroupBy,
    /// Writes the reason when the finding's group first needs one, for a
    /// rule whose findings come by the hundred thousand into a few groups
    /// (the reason is then empty until the engine calls it).
    pub late_reason: Option<LateReason>,
}

/// A reason written from the finding itself and the reviewer's time zone.
pub type LateReason = fn(&Finding<'_>, Option<Tz>) -> String;

impl<'a> Finding<'a> {
    /// A finding about one event, grouped by its actor.
    pub fn of(
        rule: &dyn Rule,
        e: &RuleEvent<'a>,
        severity: Severity,
        reason: String,
    ) -> Finding<'a> {
        Finding {
            rule: rule.id(),
            title: rule.title(),
            severity,
            reason,
            event_ids: vec![e.id],
            source_id: e.source_id,
            occurred_at: e.occurred_at,
            actor: e.actor.map(Cow::Borrowed),
            subject: e.subject.map(Cow::Borrowed),
            client: e.client.map(Cow::Borrowed),
            host: e.host.map(Cow::Borrowed),
            group_by: GroupBy::Actor,
            late_reason: None,
        }
    }

    /// A finding the explanations make about an actor (and, with
    /// `patient`, the record): rules of the engine's own, with no `Rule`.
    pub fn of_context(
        e: &RuleEvent<'a>,
        (rule, title, severity): (&'static str, &'static str, Severity),
        reason: String,
        event_ids: Vec<i64>,
        patient: bool,
    ) -> Finding<'a> {
        Finding {
            rule,
            title,
            severity,
            reason,
            event_ids,
            source_id: e.source_id,
            occurred_at: e.occurred_at,
            actor: e.actor.map(Cow::Borrowed),
            subject: e.subject.filter(|_| patient).map(Cow::Borrowed),
            client: None,
            host: None,
            group_by: GroupBy::Actor,
            late_reason: None,
        }
    }

    /// The reason, written now if the rule left it to the group.
    pub fn written_reason(&self, zone: Option<Tz>) -> String {
        match self.late_reason {
            Some(write) if self.reason.is_empty() => write(self, zone),
            _ => self.reason.clone(),
        }
    }
}

/// What a rule may consult besides the event.
pub struct Ctx<'a> {
    pub knowledge: &'a Knowledge,
    pub zone: Option<Tz>,
    /// The last event's patient and roster lookups: a dozen rules ask
    /// again for the same event, and on an EHR report those hash lookups
    /// were the rules' largest cost.
    memo: std::cell::Cell<Memo<'a>>,
    /// The last time `local` converted: half a dozen rules ask for the
    /// same event's local time, and with a zone each asks chrono-tz to
    /// search its transitions.
    last_local: std::cell::Cell<Option<(DateTime<Utc>, NaiveDateTime)>>,
}

/// Which event (its id, and where its subject's and actor's text lie and
/// how long each is: the same slices of the batch's events) the lookups
/// are for, and what they found (`None`: not looked up yet).
#[derive(Clone, Copy, Default)]
struct Memo<'a> {
    event: (i64, [(usize, usize); 2]),
    patient: Option<Option<&'a knowledge::Known>>,
    person: Option<Option<(usize, &'a vigil_domain::Person)>>,
}

impl<'a> Ctx<'a> {
    pub fn new(knowledge: &'a Knowledge, zone: Option<Tz>) -> Ctx<'a> {
        Ctx {
            knowledge,
            zone,
            memo: Default::default(),
            last_local: Default::default(),
        }
    }

    /// The memo, reset when `e` is another event than the last.
    fn memo(&self, e: &RuleEvent<'_>) -> Memo<'a> {
        let at = |s: Option<&str>| s.map_or((0, 0), |s| (s.as_ptr() as usize, s.len()));
        let event = (e.id, [at(e.subject), at(e.actor)]);
        let m = self.memo.get();
        if m.event == event {
            m
        } else {
            Memo {
                event,
                ..Memo::default()
            }
        }
    }

    /// The patient an event's subject names, when demographics are loaded.
    pub fn patient(&self, e: &RuleEvent<'_>) -> Option<&'a knowledge::Known> {
        let mut m = self.memo(e);
        let p = *m
            .patient
            .get_or_insert_with(|| e.subject.and_then(|s| self.knowledge.patient(s)));
        self.memo.set(m);
        p
    }

    /// The roster entry of an event's actor.
    pub fn person(&self, e: &RuleEvent<'_>) -> Option<(usize, &'a vigil_domain::Person)> {
        let mut m = self.memo(e);
        let p = *m
            .person
            .get_or_insert_with(|| e.actor.and_then(|a| self.knowledge.person(a)));
        self.memo.set(m);
        p
    }
}

impl Ctx<'_> {
    /// Wall-clock time where the work happens (the rules' zone).
    pub fn local(&self, t: DateTime<Utc>) -> NaiveDateTime {
        match self.last_local.get() {
            Some((at, local)) if at == t => local,
            _ => {
                let local = local_in(self.zone, t);
                self.last_local.set(Some((t, local)));
                local
            }
        }
    }
}

/// Wall-clock time in `zone` (UTC without one): `Ctx::local`, for what is
/// written outside a rule's check (a late reason).
pub fn local_in(zone: Option<Tz>, t: DateTime<Utc>) -> NaiveDateTime {
    match zone {
        Some(z) => t.with_timezone(&z).naive_local(),
        None => t.naive_utc(),
    }
}

pub trait Rule: Send {
    /// Stable id, used in filters (`rule:after-hours`) and group keys.
    fn id(&self) -> &'static str;
    /// A few words for item titles.
    fn title(&self) -> &'static str;
    fn check<'a>(&mut self, e: &RuleEvent<'a>, ctx: &Ctx<'_>, out: &mut Vec<Finding<'a>>);
    /// How far back a windowed rule must see before a batch's first event.
    fn window(&self) -> Option<Duration> {
        None
    }
    /// An earlier event, shown to windowed rules before a batch.
    fn remember(&mut self, _e: &RuleEvent<'_>) {}
    /// Loads what the rule remembers between runs.
    fn load(&mut self, _store: &dyn Store) -> Result<()> {
        Ok(())
    }
    /// Saves what the rule learned in this run.
    fn save(&mut self, _store: &mut dyn Store) -> Result<()> {
        Ok(())
    }
    /// After a batch: rules that look at totals query the store here.
    fn finish(
        &mut self,
        _store: &dyn Store,
        _ctx: &Ctx<'_>,
        _out: &mut Vec<Finding<'static>>,
    ) -> Result<()> {
        Ok(())
    }
}

/// The actor, the patient and the actor's roster entry of a successful
/// access to a patient's record: what the relationship rules start from.
pub fn patient_access<'e, 'k>(
    e: &RuleEvent<'e>,
    ctx: &'k Ctx<'_>,
) -> Option<(
    &'e str,
    &'k knowledge::Known,
    usize,
    &'k vigil_domain::Person,
)> {
    if e.outcome == Outcome::Failure {
        return None;
    }
    let actor = e.actor?;
    let patient = ctx.patient(e)?;
    let (i, person) = ctx.person(e)?;
    Some((actor, patient, i, person))
}

/// `HH:MM` of a time, for reasons.
pub fn hhmm(t: NaiveDateTime) -> String {
    use chrono::Timelike;
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// The rules a config switches on, in a fixed order.
pub fn enabled(cfg: &RulesConfig) -> Vec<Box<dyn Rule>> {
    // Rules with nothing to tune but their severity.
    fn simple(
        r: &mut Vec<Box<dyn Rule>>,
        t: &config::Toggle,
        default: Severity,
        make: fn(Severity) -> Box<dyn Rule>,
    ) {
        if t.enabled {
            r.push(make(t.severity.unwrap_or(default)));
        }
    }
    let mut r: Vec<Box<dyn Rule>> = Vec::new();
    simple(&mut r, &cfg.self_access, Severity::High, |s| {
        Box::new(self_access::SelfAccess(s))
    });
    simple(&mut r, &cfg.family, Severity::High, |s| {
        Box::new(family::Family(s))
    });
    simple(&mut r, &cfg.same_surname, Severity::Medium, |s| {
        Box::new(same_surname::SameSurname(s))
    });
    simple(&mut r, &cfg.same_address, Severity::High, |s| {
        Box::new(same_address::SameAddress(s))
    });
    if cfg.neighbour.enabled {
        r.push(Box::new(neighbour::Neighbour {
            severity: cfg.neighbour.severity.unwrap_or(Severity::Medium),
            within_m: cfg.neighbour.within_m,
        }));
    }
    simple(&mut r, &cfg.coworker, Severity::Medium, |s| {
        Box::new(coworker::Coworker(s))
    });
    simple(&mut r, &cfg.vip, Severity::High, |s| Box::new(vip::Vip(s)));
    simple(&mut r, &cfg.deceased, Severity::High, |s| {
        Box::new(deceased::Deceased(s))
    });
    simple(&mut r, &cfg.terminated, Severity::Critical, |s| {
        Box::new(terminated::Terminated(s))
    });
    if cfg.after_hours.enabled {
        r.push(Box::new(after_hours::AfterHours::new(&cfg.after_hours)));
    }
    if cfg.volume_spike.enabled {
        r.push(Box::new(volume_spike::VolumeSpike::new(&cfg.volume_spike)));
    }
    if cfg.first_seen.enabled {
        r.push(Box::new(first_seen::FirstSeen::new(&cfg.first_seen)));
    }
    simple(&mut r, &cfg.break_glass, Severity::High, |s| {
        Box::new(break_glass::BreakGlass(s))
    });
    simple(&mut r, &cfg.privileged, Severity::Medium, |s| {
        Box::new(privileged::Privileged::new(s))
    });
    simple(&mut r, &cfg.privileged_group, Severity::High, |s| {
        Box::new(system::PrivilegedGroup::new(s))
    });
    simple(&mut r, &cfg.refused_privilege, Severity::Medium, |s| {
        Box::new(system::RefusedPrivilege::new(s))
    });
    simple(&mut r, &cfg.audit_tampering, Severity::High, |s| {
        Box::new(system::AuditTampering::new(s))
    });
    // One set of failure windows for both burst rules, counting in the
    // burst's window and keeping what the longer of the two needs.
    let (fb, saf) = (&cfg.failed_burst, &cfg.success_after_failures);
    let keep = if saf.enabled { saf.window } else { fb.window };
    let windows = window::Windows::shared(fb.window, keep);
    if fb.enabled {
        r.push(Box::new(failed_burst::FailedBurst::new(
            fb,
            windows.clone(),
        )));
    }
    simple(&mut r, &cfg.unknown_account, Severity::Low, |s| {
        Box::new(unknown_account::UnknownAccount(s))
    });
    if cfg.shared_credentials.enabled {
        r.push(Box::new(shared_credentials::SharedCredentials::new(
            cfg.shared_credentials.severity.unwrap_or(Severity::High),
            cfg.shared_credentials.window,
        )));
    }
    if cfg.success_after_failures.enabled {
        r.push(Box::new(success_after_failures::SuccessAfterFailures::new(
            saf, windows,
        )));
    }
    r
}

/// Every rule id, in order, for `vigil rules list` and suppressions: the
/// ids the rules themselves give (the default config switches all on).
pub fn rule_ids() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = enabled(&RulesConfig::default())
        .iter()
        .map(|r| r.id())
        .collect();
    // (the engine's own, from the explanations: no `Rule` of its own)
    ids.push("curiosity-sweep");
    ids.push("repeat-offender");
    ids.push("no-treatment-relationship");
    ids
}

/// Whether an event is someone getting in or getting at something: what
/// access rules look at (failures are the burst rules' business).
pub fn is_access(e: &RuleEvent<'_>) -> bool {
    e.outcome == Outcome::Success
        && matches!(
            e.action,
            "login"
                | "read"
                | "access"
                | "view"
                | "write"
                | "export"
                | "print"
                | "query"
                | "break-glass"
        )
}

/// The local day each actor (or address) was last given a reason by a
/// rule: an item keeps the reason of its first finding of the day, so a
/// rule need not write a sentence for each later one (a scanner's hundred
/// thousand failures, a busy admin's every sudo).
#[derive(Debug, Default)]
pub struct Told(std::collections::HashMap<String, chrono::NaiveDate, foldhash::fast::RandomState>);

impl Told {
    /// Whether `who` still needs a reason on `day` (and now has one).
    pub fn first(&mut self, who: &str, day: chrono::NaiveDate) -> bool {
        match self.0.get_mut(who) {
            Some(d) if *d == day => false,
            Some(d) => {
                *d = day;
                true
            }
            None => {
                self.0.insert(who.to_owned(), day);
                true
            }
        }
    }
}

/// Whether `hay` contains `needle` (lowercase ASCII), ignoring ASCII case,
/// without making a lowercased copy: rules test every event's detail.
pub fn contains_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let Some(&first) = n.first() else {
        return true;
    };
    let mut from = 0;
    while let Some(i) = memchr::memchr2(first, first.to_ascii_uppercase(), &h[from..]) {
        let at = from + i;
        if h.len() - at >= n.len() && h[at..at + n.len()].eq_ignore_ascii_case(n) {
            return true;
        }
        from = at + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::contains_ci;

    #[test]
    fn contains_ignoring_ascii_case() {
        assert!(contains_ci(
            "Used Break-The-Glass for MRN 1",
            "break-the-glass"
        ));
        assert!(contains_ci("reason: BTG", "btg"));
        assert!(contains_ci("bbtg", "btg"));
        assert!(!contains_ci("bt", "btg"));
        assert!(!contains_ci("b t g", "btg"));
        assert!(contains_ci("anything", ""));
        assert!(!contains_ci("", "x"));
    }
}
