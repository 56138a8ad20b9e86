//! Explanations: why an access to a patient's record was expected, from
//! clinical context. An access is explained when the actor is on the care
//! team of one of the patient's encounters (`direct`), when the actor's
//! department holds one (`department`), when the actor's role (billing,
//! coding, lab…) works within its usual window around one (`role`), or when
//! the actor had an explained access to the patient shortly before
//! (`repeat`); otherwise it is unexplained. Each is a sentence a reviewer
//! can check, and the rules that look at relationships and times raise
//! nothing for an explained access.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::config::{Explain, Role};
use crate::knowledge::{FastMap, Knowledge, normalize};
use vigil_domain::{Encounter, Explained, Explanation, Template};

/// One encounter, indexed for per-access checks.
#[derive(Debug, Clone)]
struct Enc {
    e: Encounter,
    department: Option<String>,
    /// Roster entries of the care team, where the roster knows them.
    people: Vec<usize>,
    /// Every member is on the roster (so `people` says who is on the team).
    resolved: bool,
    /// The period widened by the margins (an open encounter's by
    /// `open_for`): worked out once, not per access.
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    /// The department as a number (`Explainer::dept_id`, 0 for none) and
    /// whether it was cancelled: compared per access, so not as text.
    dept: u32,
    cancelled: bool,
}

/// The department of someone the roster gives none.
static NO_DEPARTMENT: Option<String> = None;

/// A role template with its departments normalized.
#[derive(Debug, Clone)]
struct RoleIdx {
    role: Role,
    departments: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Explainer {
    pub active: bool,
    before: Duration,
    after: Duration,
    open_for: Duration,
    repeat: Duration,
    roles: Vec<RoleIdx>,
    by_patient: FastMap<String, Vec<Enc>>,
    /// Hash of (actor, patient) → the last explained access and how it was
    /// explained (a hash, not two strings: one entry per pair seen).
    last: FastMap<u64, (DateTime<Utc>, Explanation)>,
    sweep_patients: usize,
    sweep_window: Duration,
    zone: Option<Tz>,
    /// Per roster entry: its department normalized, as a number, and the
    /// roles it holds, worked out on first sight (every access asks).
    people: FastMap<usize, (Option<String>, u32, Vec<usize>)>,
    /// Normalized department names by number (from 1), so that an access
    /// compares numbers with each encounter rather than text.
    depts: FastMap<String, u32>,
    /// Approved templates: (actor department, encounter department), both
    /// normalized, and the template as approved.
    templates: Vec<(String, String, Template)>,
    no_treatment: bool,
    /// Hashes of the (actor, patient) pairs already given an unexplained
    /// first access, for the no-treatment check.
    untreated: crate::knowledge::FastSet<u64>,
    /// Each actor's recent unexplained accesses: (time, patient, event id).
    recent: FastMap<String, std::collections::VecDeque<(DateTime<Utc>, String, i64)>>,
    care_window: Duration,
    care_others: usize,
    /// Each patient's accesses within the care window: (time, hash of the
    /// actor), oldest first, so what ages out leaves from the front. Pruned
    /// as a whole every `PRUNE_EVERY` accesses, so patients not seen again
    /// do not stay.
    accessed: FastMap<String, std::collections::VecDeque<(DateTime<Utc>, u64)>>,
    observed: usize,
    latest: Option<DateTime<Utc>>,
}

/// How often the care window's memory drops what has aged out of it.
const PRUNE_EVERY: usize = 100_000;

/// A template mined from the data, for the privacy officer to approve.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Proposal {
    pub template: Template,
    /// Unexplained accesses it would explain, and by how many people.
    pub accesses: u64,
    pub actors: usize,
    /// How many times more often than chance.
    pub lift: f64,
}

/// What a curiosity sweep check found for one access.
pub enum Sweep {
    No,
    /// The access that crossed the threshold: the sweep's events and size.
    Started(Vec<i64>, usize),
    /// A later access in the same sweep.
    Continues,
}

fn dur(d: std::time::Duration) -> Duration {
    Duration::from_std(d).unwrap_or(Duration::zero())
}

impl Explainer {
    pub fn new(cfg: &Explain, zone: Option<Tz>) -> Explainer {
        Explainer {
            active: cfg.active,
            zone,
            before: dur(cfg.margin_before),
            after: dur(cfg.margin_after),
            open_for: dur(cfg.open_for),
            repeat: dur(cfg.repeat),
            roles: cfg
                .roles
                .iter()
                .map(|r| RoleIdx {
                    role: r.clone(),
                    departments: r.departments.iter().map(|d| normalize(d)).collect(),
                })
                .collect(),
            no_treatment: cfg.no_treatment,
            sweep_patients: cfg.sweep_patients,
            sweep_window: dur(cfg.sweep_window),
            care_window: dur(cfg.care_window),
            care_others: cfg.care_others,
            ..Explainer::default()
        }
    }

    /// The approved templates (from the ledger) that explain accesses too.
    pub fn set_templates(&mut self, templates: Vec<Template>) {
        self.templates = templates
            .into_iter()
            .map(|t| {
                (
                    normalize(&t.actor_department),
                    normalize(&t.encounter_department),
                    t,
                )
            })
            .collect();
    }

    /// Templates worth proposing, from stored unexplained accesses: pairs of
    /// the actor's department and the department of an encounter the access
    /// falls within, seen at least `min_accesses` times from at least
    /// `min_actors` people, `min_lift` times more often than the share of
    /// encounters in that department would give by chance.
    pub fn mine(
        &self,
        k: &Knowledge,
        unexplained: &[Explained],
        min_accesses: u64,
        min_actors: usize,
        min_lift: f64,
    ) -> Vec<Proposal> {
        let mut by_dept: FastMap<String, u64> = FastMap::default();
        let mut encounters: FastMap<String, u64> = FastMap::default();
        let mut total = 0u64;
        for list in self.by_patient.values() {
            for e in list {
                if let Some(d) = &e.department {
                    *encounters.entry(d.clone()).or_default() += 1;
                    total += 1;
                }
            }
        }
        type Pair = (u64, HashSet<String>, String, String);
        let mut pairs: FastMap<(String, String), Pair> = FastMap::default();
        for x in unexplained {
            let Some((_, p)) = k.person(&x.actor) else {
                continue;
            };
            let Some(shown) = p.department.clone() else {
                continue;
            };
            let a = normalize(&shown);
            let mut seen: HashSet<&str> = HashSet::new();
            for enc in self.by_patient.get(&x.patient).into_iter().flatten() {
                let Some(b) = &enc.department else { continue };
                let within = x.occurred_at >= enc.from && x.occurred_at <= enc.to;
                if !within || !seen.insert(b.as_str()) {
                    continue;
                }
                let e = pairs.entry((a.clone(), b.clone())).or_insert_with(|| {
                    let b_shown = enc.e.department.clone().unwrap_or_default();
                    (0, HashSet::new(), shown.clone(), b_shown)
                });
                e.0 += 1;
                e.1.insert(x.actor.clone());
            }
            if !seen.is_empty() {
                *by_dept.entry(a).or_default() += 1;
            }
        }
        let mut out: Vec<Proposal> = pairs
            .into_iter()
            .filter_map(|((a, b), (n, actors, shown_a, shown_b))| {
                let of_a = *by_dept.get(&a)? as f64;
                let share = *encounters.get(&b)? as f64 / total.max(1) as f64;
                let lift = (n as f64 / of_a) / share.max(f64::MIN_POSITIVE);
                let template = Template {
                    actor_department: shown_a,
                    encounter_department: shown_b,
                };
                let approved = self.templates.iter().any(|(_, _, x)| *x == template);
                let worth = n >= min_accesses && actors.len() >= min_actors && lift >= min_lift;
                (worth && !approved).then(|| Proposal {
                    template,
                    accesses: n,
                    actors: actors.len(),
                    lift: (lift * 10.0).round() / 10.0,
                })
            })
            .collect();
        out.sort_by(|x, y| {
            y.accesses
                .cmp(&x.accesses)
                .then(x.template.cmp(&y.template))
        });
        out
    }

    /// Whether an unexplained access makes (or continues) a curiosity sweep:
    /// many distinct patients' records opened unexplained in a short time.
    pub fn sweep(&mut self, x: &Explained) -> Sweep {
        if self.sweep_patients == 0 || x.is_explained() {
            return Sweep::No;
        }
        let window = self.sweep_window;
        let q = self.recent.entry(x.actor.clone()).or_default();
        while q
            .front()
            .is_some_and(|(t, _, _)| x.occurred_at - *t > window)
        {
            q.pop_front();
        }
        // (bounded: a sweep past the threshold needs no longer memory)
        if q.len() > self.sweep_patients * 4 {
            q.pop_front();
        }
        let before: HashSet<&str> = q.iter().map(|(_, p, _)| p.as_str()).collect();
        let was = before.len();
        let new = !before.contains(x.patient.as_str());
        q.push_back((x.occurred_at, x.patient.clone(), x.event_id));
        let now = was + usize::from(new);
        if now == self.sweep_patients && new {
            Sweep::Started(q.iter().map(|(_, _, id)| *id).collect(), now)
        } else if now > self.sweep_patients && new {
            Sweep::Continues
        } else {
            Sweep::No
        }
    }

    /// Takes in context (a later record with the same key replaces the
    /// earlier one).
    pub fn learn(&mut self, k: &Knowledge, context: &[Encounter]) {
        for e in context {
            let list = self.by_patient.entry(e.patient.clone()).or_default();
            // (merged as the store merges a later record for the same key)
            let merged = match list.iter().position(|x| x.e.key == e.key) {
                Some(i) => {
                    let old = list.swap_remove(i).e;
                    Encounter {
                        start: old.start.min(e.start),
                        end: e.end.or(old.end),
                        department: e.department.clone().or(old.department),
                        class: e.class.clone().or(old.class),
                        team: if e.team.is_empty() {
                            old.team
                        } else {
                            e.team.clone()
                        },
                        ..e.clone()
                    }
                }
                None => e.clone(),
            };
            let people: Vec<usize> = merged.team.iter().filter_map(|t| k.person_for(t)).collect();
            let end = merged.end.unwrap_or(merged.start + self.open_for);
            let department = merged.department.as_deref().map(normalize);
            let dept = dept_id(&mut self.depts, department.as_deref());
            let list = self.by_patient.entry(e.patient.clone()).or_default();
            list.push(Enc {
                from: merged.start - self.before,
                to: end + self.after,
                dept,
                cancelled: merged.kind == "cancelled",
                department,
                resolved: people.len() == merged.team.len(),
                people,
                e: merged,
            });
        }
    }

    /// The sentence of an explanation `explain` gave by an encounter (the
    /// stored note holds only the role; see `Explained::needs_sentence`).
    pub fn sentence(&self, x: &Explained) -> String {
        let enc = x.encounter.as_ref().and_then(|key| {
            self.by_patient
                .get(&x.patient)
                .and_then(|l| l.iter().find(|e| &e.e.key == key))
        });
        match enc {
            Some(enc) if x.needs_sentence() => x.sentence(&enc.e, self.zone),
            _ => x.note.clone(),
        }
    }

    /// Whether an unexplained access is a clinical worker's first to this
    /// patient with no treatment relationship (when that check is on).
    pub fn first_untreated(&mut self, k: &Knowledge, x: &Explained) -> bool {
        if !self.no_treatment || x.is_explained() {
            return false;
        }
        let Some((i, _)) = k.person(&x.actor) else {
            return false;
        };
        // (a role's department is not clinical: billing, lab, …)
        if self
            .people
            .get(&i)
            .is_some_and(|(_, _, roles)| !roles.is_empty())
        {
            return false;
        }
        self.untreated.insert(pair_hash(&x.actor, &x.patient))
    }

    /// Why the patient was in care when `actor` opened the record at `t`,
    /// if they were: an encounter open then (in any department), or
    /// `care_others` other people who opened the record within the care
    /// window before. Asked only of accesses no documentation explains.
    pub fn in_care(&self, actor: &str, patient: &str, t: DateTime<Utc>) -> Option<String> {
        if self.care_window <= Duration::zero() {
            return None;
        }
        for enc in self.by_patient.get(patient).into_iter().flatten() {
            if !enc.cancelled && t >= enc.from && t <= enc.to {
                return Some(format!(
                    "in care: {} was open",
                    vigil_domain::context_text::describe(&enc.e, self.zone)
                ));
            }
        }
        if self.care_others == 0 {
            return None;
        }
        let me = pair_hash(actor, "");
        // (a cutoff once, not a time difference per remembered access)
        let since = t - self.care_window;
        let mut others: Vec<u64> = self
            .accessed
            .get(patient)
            .into_iter()
            .flatten()
            .filter(|(at, who)| *who != me && *at <= t && *at >= since)
            .map(|(_, who)| *who)
            .collect();
        others.sort_unstable();
        others.dedup();
        (others.len() >= self.care_others).then(|| {
            format!(
                "in care: {} other people opened this record in the {} hours before",
                others.len(),
                self.care_window.num_hours()
            )
        })
    }

    /// Remembers an access for `in_care` (every access to a patient's
    /// record, explained or not).
    pub fn observe(&mut self, actor: &str, patient: &str, t: DateTime<Utc>) {
        if self.care_window <= Duration::zero() || self.care_others == 0 {
            return;
        }
        let window = self.care_window;
        let who = pair_hash(actor, "");
        let list = match self.accessed.get_mut(patient) {
            Some(l) => l,
            None => self.accessed.entry(patient.to_owned()).or_default(),
        };
        let since = t - window;
        // (accesses come in time order: the old ones are at the front)
        while list.front().is_some_and(|(at, _)| *at < since) {
            list.pop_front();
        }
        // (bounded: the check needs `care_others` distinct people)
        if list.len() >= 64 {
            list.pop_front();
        }
        list.push_back((t, who));
        self.latest = self.latest.max(Some(t));
        self.observed += 1;
        if self.observed.is_multiple_of(PRUNE_EVERY)
            && let Some(now) = self.latest
        {
            let since = now - window;
            self.accessed.retain(|_, l| {
                l.retain(|(at, _)| *at >= since);
                !l.is_empty()
            });
        }
    }

    /// How far back `remember` wants to see.
    pub fn memory(&self) -> Duration {
        let first = if self.no_treatment {
            first_contacts()
        } else {
            Duration::zero()
        };
        [self.repeat, self.care_window, self.sweep_window, first]
            .into_iter()
            .fold(Duration::zero(), Duration::max)
    }

    /// Takes in the stored explanations of accesses before `start` (newest
    /// first, from an earlier run), so that a run the next day still sees
    /// yesterday's explained access as the one a repeat follows, a pair's
    /// earlier contact as not the first, the last hour's unexplained
    /// accesses toward a sweep, and who opened a record lately.
    pub fn remember(&mut self, rows: &[Explained], start: DateTime<Utc>) {
        let mut sweep: Vec<&Explained> = Vec::new();
        for x in rows {
            let age = start - x.occurred_at;
            match x.kind {
                Explanation::Unexplained => {
                    if self.no_treatment && age <= first_contacts() {
                        self.untreated.insert(pair_hash(&x.actor, &x.patient));
                    }
                    if self.sweep_patients > 0 && age <= self.sweep_window {
                        sweep.push(x);
                    }
                }
                // (a repeat does not renew what it repeats, as in `explain`)
                Explanation::Repeat => {}
                kind if age <= self.repeat => {
                    let e = self
                        .last
                        .entry(pair_hash(&x.actor, &x.patient))
                        .or_insert((x.occurred_at, kind));
                    if x.occurred_at > e.0 {
                        *e = (x.occurred_at, kind);
                    }
                }
                _ => {}
            }
            if age <= self.care_window {
                self.observe(&x.actor, &x.patient, x.occurred_at);
            }
        }
        sweep.sort_by_key(|x| (x.occurred_at, x.event_id));
        for x in sweep {
            self.recent.entry(x.actor.clone()).or_default().push_back((
                x.occurred_at,
                x.patient.clone(),
                x.event_id,
            ));
        }
    }

    /// Whether any context names this patient.
    pub fn knows(&self, patient: &str) -> bool {
        self.by_patient.contains_key(patient)
    }

    /// How far around an encounter an access may be and still be explained
    /// by it: what a late encounter must look back over.
    pub fn reach(&self, e: &Encounter) -> (DateTime<Utc>, DateTime<Utc>) {
        let most_before = self
            .roles
            .iter()
            .map(|r| dur(r.role.before))
            .fold(self.before, Duration::max);
        let most_after = self
            .roles
            .iter()
            .map(|r| dur(r.role.after))
            .fold(self.after, Duration::max);
        (
            e.start - most_before,
            e.end.unwrap_or(e.start + self.open_for) + most_after,
        )
    }

    /// The explanation of one access by `actor` to `patient` at `t`.
    #[allow(clippy::too_many_arguments)]
    pub fn explain(
        &mut self,
        k: &Knowledge,
        event_id: i64,
        source_id: i64,
        actor: &str,
        patient: &str,
        t: DateTime<Utc>,
    ) -> Explained {
        let person = k.person(actor);
        let (dept, dept_no, role_ids) = match person {
            Some((i, p)) => {
                let (roles, depts) = (&self.roles, &mut self.depts);
                let e = self.people.entry(i).or_insert_with(|| {
                    let d = p.department.as_deref().map(normalize);
                    let r = match &d {
                        Some(d) => (0..roles.len())
                            .filter(|&r| roles[r].departments.iter().any(|x| x == d))
                            .collect(),
                        None => Vec::new(),
                    };
                    let no = dept_id(depts, d.as_deref());
                    (d, no, r)
                });
                (&e.0, e.1, e.2.as_slice())
            }
            None => (&NO_DEPARTMENT, 0, &[][..]),
        };
        let mut best: Option<(Explanation, &Enc, Option<&str>)> = None;
        for enc in self.by_patient.get(patient).into_iter().flatten() {
            if enc.cancelled {
                continue;
            }
            let within = t >= enc.from && t <= enc.to;
            // (by roster entry first: a string compare only for members the
            // roster does not know)
            let on_team = person.is_some_and(|(i, _)| enc.people.contains(&i))
                || (!enc.resolved && enc.e.team.iter().any(|m| m == actor));
            let found = if within && on_team {
                Some((Explanation::Direct, None))
            } else if within && dept_no != 0 && enc.dept == dept_no {
                Some((Explanation::Department, None))
            } else if let Some((_, _, tpl)) = self.templates.iter().find(|(a, b, _)| {
                within && dept.as_ref() == Some(a) && enc.department.as_ref() == Some(b)
            }) {
                Some((Explanation::Template, Some(tpl.actor_department.as_str())))
            } else {
                let end = enc.e.end.unwrap_or(enc.e.start + self.open_for);
                role_ids
                    .iter()
                    .map(|&r| &self.roles[r])
                    .find(|r| t >= enc.e.start - dur(r.role.before) && t <= end + dur(r.role.after))
                    .map(|r| (Explanation::Role, Some(r.role.name.as_str())))
            };
            if let Some((kind, role)) = found
                && best.as_ref().is_none_or(|(b, _, _)| rank(kind) < rank(*b))
            {
                best = Some((kind, enc, role));
            }
        }
        let key = pair_hash(actor, patient);
        let (kind, encounter, note) = match best {
            Some((kind, enc, role)) => {
                // Only the role (or nothing) for now: `fill_note` writes the
                // sentence when the row is stored, so a busy day's hundreds of
                // thousands of explanations are not held as sentences.
                let note = role.map(String::from).unwrap_or_default();
                self.last.insert(key, (t, kind));
                (kind, Some(enc.e.key.clone()), note)
            }
            None => match self.last.get(&key) {
                Some((at, how)) if t >= *at && t - *at <= self.repeat => (
                    Explanation::Repeat,
                    None,
                    format!(
                        "explained: a repeat access; {} explained an access to this patient at {}",
                        how,
                        local(*at, self.zone)
                    ),
                ),
                _ => {
                    let n = self.by_patient.get(patient).map_or(0, Vec::len);
                    let note = if n == 0 {
                        "unexplained: no encounter, appointment or care team for this patient"
                            .to_owned()
                    } else {
                        format!(
                            "unexplained: none of the patient's {n} encounters has the actor on its care team, in its department or in a role's window at this time"
                        )
                    };
                    (Explanation::Unexplained, None, note)
                }
            },
        };
        Explained {
            event_id,
            source_id,
            occurred_at: t,
            actor: actor.to_owned(),
            patient: patient.to_owned(),
            kind,
            encounter,
            note,
        }
    }
}

/// How far back a run looks for an earlier contact, so that a pair's
/// second unexplained access on another day is not a "first".
fn first_contacts() -> Duration {
    Duration::days(30)
}

/// The number of a normalized department (0 for none), numbered on first
/// sight.
fn dept_id(depts: &mut FastMap<String, u32>, d: Option<&str>) -> u32 {
    let Some(d) = d else { return 0 };
    if let Some(&n) = depts.get(d) {
        return n;
    }
    let n = depts.len() as u32 + 1;
    depts.insert(d.to_owned(), n);
    n
}

/// A hash of (actor, patient): one number per pair remembered, not two
/// strings.
fn pair_hash(actor: &str, patient: &str) -> u64 {
    use std::hash::BuildHasher;
    std::hash::BuildHasherDefault::<crate::knowledge::FxHasher>::default()
        .hash_one((actor, patient))
}

fn rank(k: Explanation) -> u8 {
    match k {
        Explanation::Direct => 0,
        Explanation::Department => 1,
        Explanation::Template => 2,
        Explanation::Role => 3,
        Explanation::Repeat => 4,
        Explanation::Unexplained => 5,
    }
}

use vigil_domain::context_text::local;
