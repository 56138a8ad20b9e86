//! Cases: findings become review items by what they are about, not by the
//! rule that made them. All findings about one actor on one day, across
//! rules and sources, are one case that lists every reason; one attack
//! (bursts by account and by address, a success after failures, unknown
//! accounts tried from the same address) is one item, titled by what it
//! is. Each item carries a risk score, and a sentence saying what it is
//! made of, that the queue sorts by.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::{Finding, GroupBy};
use vigil_domain::{ItemKind, Severity};
use vigil_store::NewItem;

/// The rules whose findings make up an attack on logins.
pub const ATTACK_RULES: &[&str] = &["failed-burst", "success-after-failures", "unknown-account"];

/// Prefix of the group keys of an actor's case and of an attack.
pub const CASE: &str = "case";
pub const ATTACK: &str = "attack";

/// Where a finding goes: the key's prefix (`case`, `attack`, or the rule's
/// own id), who it is about, and how a title names them. Borrowed from the
/// finding where it can be: a scanner's day is hundreds of thousands of
/// findings, and almost all of them join a group that already exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place<'f> {
    pub prefix: &'static str,
    pub who: Cow<'f, str>,
    label: Label,
}

/// How a title names `who`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    /// As it is.
    Who,
    /// `from` an address.
    From,
    /// `against` an account (`who` is `account NAME`).
    Against,
    /// `on` a host (`who` is `host NAME`).
    On,
    UnknownAddress,
}

impl Place<'_> {
    /// How the group's title names who it is about.
    pub fn label(&self) -> String {
        let who = &*self.who;
        match self.label {
            Label::Who => who.to_owned(),
            Label::From => format!("from {who}"),
            Label::Against => format!("against {who}"),
            Label::On => format!("on {who}"),
            Label::UnknownAddress => "from an unknown address".to_owned(),
        }
    }
}

/// The place of a finding from one of the `ATTACK_RULES`: the address a
/// burst comes from (the engine files a finding whose event is part of an
/// address's burst with that address), the account of a burst spread over
/// many addresses, or the host scanners try unknown names on. Keyed by what
/// the finding itself says, never by what came first, so a day read in two
/// halves files it where a day read whole does.
pub fn attack<'f>(f: &'f Finding<'_>) -> Place<'f> {
    let client = f.client.as_deref();
    let by_client =
        f.group_by == GroupBy::Client || (f.rule == "success-after-failures" && client.is_some());
    let (who, label) = match (by_client, client, f.actor.as_deref(), f.host.as_deref()) {
        (true, Some(c), _, _) => (Cow::Borrowed(c), Label::From),
        (_, _, Some(a), _) if f.group_by == GroupBy::Actor => {
            (Cow::Owned(format!("account {a}")), Label::Against)
        }
        (_, _, _, Some(h)) => (Cow::Owned(format!("host {h}")), Label::On),
        _ => (Cow::Borrowed("unknown"), Label::UnknownAddress),
    };
    Place {
        prefix: ATTACK,
        who,
        label,
    }
}

/// Files the login findings of an event that is part of an address's burst
/// with that address: the account burst and the unknown names it tried
/// are the same attack.
pub fn join_bursts(findings: &mut [Finding<'_>]) {
    let burst = findings
        .iter()
        .any(|f| f.group_by == GroupBy::Client && ATTACK_RULES.contains(&f.rule));
    if burst {
        for f in findings.iter_mut() {
            if ATTACK_RULES.contains(&f.rule) && f.client.is_some() {
                f.group_by = GroupBy::Client;
            }
        }
    }
}

/// Where a finding goes.
pub fn place<'f>(f: &'f Finding<'_>) -> Place<'f> {
    if ATTACK_RULES.contains(&f.rule) {
        return attack(f);
    }
    let who: &str = match f.group_by {
        GroupBy::Actor => f.actor.as_deref().or(f.subject.as_deref()),
        GroupBy::Client => f.client.as_deref(),
        GroupBy::Host => f.host.as_deref(),
    }
    .unwrap_or("unknown");
    Place {
        prefix: if f.group_by == GroupBy::Actor {
            CASE
        } else {
            f.rule
        },
        who: Cow::Borrowed(who),
        label: Label::Who,
    }
}

/// The findings about one actor (or attack) on one day.
#[derive(Debug)]
pub struct Group {
    pub label: String,
    pub source_id: i64,
    /// More than one source contributed.
    pub sources: HashSet<i64>,
    pub occurred_at: DateTime<Utc>,
    pub actor: Option<String>,
    /// The subjects its findings name (patients, for access cases).
    pub subjects: HashSet<String>,
    pub severity: Severity,
    /// Each rule's title and the reason of its first finding.
    pub rules: Vec<(&'static str, &'static str, String)>,
    pub event_ids: Vec<i64>,
}

impl Group {
    /// A group of one finding.
    pub fn of(f: Finding<'_>, label: String, actor: bool, zone: Option<Tz>) -> Group {
        let mut g = Group {
            label,
            source_id: f.source_id,
            sources: HashSet::new(),
            occurred_at: f.occurred_at,
            actor: None,
            subjects: HashSet::new(),
            severity: f.severity,
            rules: Vec::new(),
            event_ids: Vec::new(),
        };
        g.add(f, actor, zone);
        g
    }

    /// Whether the group still lacks a reason for `rule` (it has none of
    /// its findings, or only ones without a sentence).
    fn lacks_reason(&self, rule: &str) -> bool {
        !self
            .rules
            .iter()
            .any(|(r, _, reason)| *r == rule && !reason.is_empty())
    }

    /// Adds a finding, without first making a group of it: most findings
    /// join a group that exists. A rule that leaves its reason to the
    /// group has it written once, for the finding that opens the group (or
    /// its rule in the group).
    pub fn add(&mut self, mut f: Finding<'_>, actor: bool, zone: Option<Tz>) {
        if f.late_reason.is_some() && self.lacks_reason(f.rule) {
            f.reason = f.written_reason(zone);
        }
        self.note_rule(f.rule, f.title, f.reason);
        self.note_time(f.occurred_at, f.source_id, f.severity);
        self.sources.insert(f.source_id);
        if let Some(s) = f.subject
            && self.subjects.len() < 50
            && !self.subjects.contains(&*s)
        {
            self.subjects.insert(s.into_owned());
        }
        if actor && self.actor.is_none() {
            self.actor = f.actor.map(Cow::into_owned);
        }
        self.note_ids(f.event_ids);
    }

    pub fn absorb(&mut self, o: Group) {
        for (rule, title, reason) in o.rules {
            self.note_rule(rule, title, reason);
        }
        self.note_time(o.occurred_at, o.source_id, o.severity);
        self.sources.extend(o.sources);
        // (a bounded set: a sweep over thousands of charts names 50 of them)
        for s in o.subjects {
            if self.subjects.len() < 50 {
                self.subjects.insert(s);
            }
        }
        if self.actor.is_none() {
            self.actor = o.actor;
        }
        self.note_ids(o.event_ids);
    }

    pub fn note_rule(&mut self, rule: &'static str, title: &'static str, reason: String) {
        match self.rules.iter_mut().find(|(r, _, _)| *r == rule) {
            // (rules write a reason for the first finding of a day only;
            // if that one was suppressed, a later one that has a reason
            // serves)
            Some(have) if have.2.is_empty() => have.2 = reason,
            Some(_) => {}
            None => self.rules.push((rule, title, reason)),
        }
    }

    fn note_time(&mut self, at: DateTime<Utc>, source_id: i64, severity: Severity) {
        self.severity = self.severity.max(severity);
        if at < self.occurred_at {
            self.occurred_at = at;
            self.source_id = source_id;
        }
    }

    fn note_ids(&mut self, ids: Vec<i64>) {
        // sorted and deduplicated once, in `item`; but an item links only
        // its lowest MAX_LINKED ids, so a group a scanner feeds all day
        // (hundreds of thousands of failures) keeps no more than a few
        // times that (its score's unexplained share is then that of the
        // accesses it links)
        self.event_ids.extend(ids);
        if self.event_ids.len() > 4 * super::engine::MAX_LINKED {
            self.event_ids.sort_unstable();
            self.event_ids.dedup();
            self.event_ids.truncate(super::engine::MAX_LINKED);
        }
    }

    fn title(&self, prefix: &str, day: NaiveDate) -> String {
        let has = |r: &str| self.rules.iter().any(|(x, _, _)| *x == r);
        if prefix == ATTACK {
            let what = if has("success-after-failures") {
                "Login after password guessing"
            } else if has("failed-burst") {
                "Password guessing"
            } else if let Some(account) = self.label.strip_prefix("against account ") {
                // (the roster check: a login by a name nobody holds)
                return format!("Account no one on the roster holds: {account} on {day}");
            } else {
                "Unknown accounts tried"
            };
            return format!("{what} {} on {day}", self.label);
        }
        let mut titles: Vec<&str> = self.rules.iter().map(|(_, t, _)| *t).collect();
        titles.dedup();
        let what = match titles.len() {
            0 => "Finding".to_owned(),
            1 => titles[0].to_owned(),
            2 => format!("{} and {}", titles[0], titles[1].to_lowercase()),
            n => format!("{} and {} more", titles[0], n - 1),
        };
        format!("{what}: {} on {day}", self.label)
    }

    /// The review item, its score worked out: the severity's band (100 a
    /// step), then up to 99 more for more reasons, more distinct patients,
    /// more than one source, and an unexplained share of the accesses.
    pub fn item(
        self,
        prefix: &str,
        who: &str,
        day: NaiveDate,
        explained: &HashSet<i64>,
        accesses: &HashSet<i64>,
    ) -> NewItem {
        let mut event_ids = self.event_ids.clone();
        event_ids.sort_unstable();
        event_ids.dedup();
        let title = self.title(prefix, day);
        let mut parts = vec![format!(
            "{} severity {}",
            self.severity,
            self.severity.rank() * 100
        )];
        let mut extra = 0i64;
        let reasons = self.rules.len() as i64;
        if reasons > 1 {
            let n = ((reasons - 1) * 15).min(45);
            extra += n;
            parts.push(format!("{reasons} reasons +{n}"));
        }
        let patients = self.subjects.len() as i64;
        if prefix == CASE && patients > 1 {
            let n = (patients.min(10) - 1) * 3;
            extra += n;
            parts.push(format!("{patients} distinct patients +{n}"));
        }
        if self.sources.len() > 1 {
            extra += 10;
            parts.push(format!("{} sources +10", self.sources.len()));
        }
        let linked_accesses: Vec<&i64> =
            event_ids.iter().filter(|e| accesses.contains(e)).collect();
        if !linked_accesses.is_empty() {
            let unexplained = linked_accesses
                .iter()
                .filter(|e| !explained.contains(e))
                .count();
            let share = unexplained * 100 / linked_accesses.len();
            let n = (share as i64 * 20 / 100).min(20);
            extra += n;
            parts.push(format!("{share}% of its accesses unexplained +{n}"));
        }
        let score = self.severity.rank() * 100 + extra.min(99);
        let single = self.rules.len() == 1;
        let rules = self
            .rules
            .into_iter()
            .map(|(rule, t, reason)| {
                (
                    rule.to_owned(),
                    if reason.is_empty() {
                        format!("{t}: {who} on {day}")
                    } else {
                        reason
                    },
                )
            })
            .collect();
        NewItem {
            kind: if event_ids.len() > 1 || !single {
                ItemKind::Group
            } else {
                ItemKind::Finding
            },
            source_id: Some(self.source_id),
            occurred_at: self.occurred_at,
            actor: self.actor,
            subject: if self.subjects.len() == 1 {
                self.subjects.into_iter().next()
            } else {
                None
            },
            rules,
            title,
            severity: self.severity,
            group_key: Some(format!("{prefix}|{who}|{day}")),
            event_ids,
            score,
            score_note: Some(format!("risk {score}: {}", parts.join(", "))),
        }
    }
}

/// An actor with earlier items decided as violations, or a sanction on
/// record, is a repeat offender: their case is raised a severity and
/// says why.
pub fn mark_repeat_offenders(
    store: &dyn vigil_store::Store,
    knowledge: &crate::Knowledge,
    items: &mut [NewItem],
) -> color_eyre::eyre::Result<()> {
    let cases: Vec<usize> = (0..items.len())
        .filter(|&i| {
            items[i].actor.is_some()
                && items[i]
                    .group_key
                    .as_deref()
                    .is_some_and(|k| k.starts_with("case|"))
        })
        .collect();
    if cases.is_empty() {
        return Ok(());
    }
    let sanctions = store.sanctions()?;
    // Violations by actor, read once: a count per case was a scan of every
    // item for each of a bastion's thousands of unknown-account cases, and
    // an actor's name with a `*` in it would have matched others' as a
    // pattern. (Names compare as stored items show them, as `SafeText`.)
    let q = vigil_domain::query::Query::default().field("disposition", "violation");
    let mut violations_of: HashMap<String, u64> = HashMap::new();
    let n = store.count_items(&q)?;
    if n > 0 {
        for it in store.items_page(&q, 0, n)? {
            if let Some(a) = it.actor {
                *violations_of.entry(a.into_string()).or_default() += 1;
            }
        }
    }
    for i in cases {
        let actor = items[i].actor.clone().unwrap_or_default();
        let violations = violations_of
            .get(vigil_domain::SafeText::new(&actor).as_str())
            .copied()
            .unwrap_or(0);
        let person = knowledge.person(&actor).map(|(_, p)| p.id.clone());
        let sanctioned = sanctions
            .iter()
            .filter(|s| s.member == actor || Some(&s.member) == person.as_ref())
            .count();
        if violations == 0 && sanctioned == 0 {
            continue;
        }
        let it = &mut items[i];
        let before = it.severity;
        it.severity = match it.severity {
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            _ => Severity::Critical,
        };
        let reason = format!(
            "{actor} is a repeat offender: {violations} earlier item(s) decided as violations and {sanctioned} sanction(s) on record, so this case is raised from {before} to {}",
            it.severity
        );
        it.score += (it.severity.rank() - before.rank()) * 100;
        it.score_note = it
            .score_note
            .take()
            .map(|n| format!("{n}, repeat offender: raised to {}", it.severity));
        it.rules.push(("repeat-offender".into(), reason));
    }
    Ok(())
}
