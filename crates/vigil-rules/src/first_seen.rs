//! First seen: an actor (past their learning period) logs in from a new
//! address, on a new host, or touches a database object for the first time.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use color_eyre::eyre::Result;

use super::knowledge::Key;
use super::{Ctx, Finding, Rule, RuleEvent, hhmm, is_access};
use vigil_domain::Severity;
use vigil_store::{Seen, Store};

fn key(actor: &str, what: &str, value: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (actor, what, value).hash(&mut h);
    h.finish()
}

pub struct FirstSeen {
    severity: Severity,
    learning: chrono::Duration,
    /// Each actor's first appearance (keyed in place: a lookup per access).
    first: HashMap<Key, DateTime<Utc>>,
    /// Hashes of (actor, what, value): a lookup per login, no allocation.
    known: HashSet<u64>,
    new_rows: Vec<Seen>,
}

impl FirstSeen {
    pub fn new(c: &crate::config::FirstSeen) -> Self {
        FirstSeen {
            severity: c.severity.unwrap_or(Severity::Low),
            learning: chrono::Duration::days(i64::from(c.learning_days)),
            first: HashMap::new(),
            known: HashSet::new(),
            new_rows: Vec::new(),
        }
    }

    fn what(w: &str) -> &'static str {
        match w {
            "client" => "client",
            "host" => "host",
            _ => "object",
        }
    }
}

impl Rule for FirstSeen {
    fn id(&self) -> &'static str {
        "first-seen"
    }
    fn title(&self) -> &'static str {
        "First time seen"
    }
    fn load(&mut self, store: &dyn Store) -> Result<()> {
        for s in store.seen()? {
            if s.what == "actor" {
                self.first.insert(Key::new(&s.actor), s.first_at);
            } else {
                self.known
                    .insert(key(&s.actor, Self::what(&s.what), &s.value));
            }
        }
        Ok(())
    }
    fn save(&mut self, store: &mut dyn Store) -> Result<()> {
        store.add_seen(&std::mem::take(&mut self.new_rows))
    }
    fn check<'a>(&mut self, e: &RuleEvent<'a>, ctx: &Ctx<'_>, out: &mut Vec<Finding<'a>>) {
        // Database objects come schema-qualified (`public.patients`, as
        // pgAudit writes them); a chart id an EHR or FHIR server reports is
        // not one, even when the demographics do not list it.
        let db = matches!(e.action, "read" | "write" | "ddl" | "function")
            && e.subject
                .is_some_and(|s| s.contains('.') && !s.contains('/'))
            && ctx.patient(e).is_none();
        if !is_access(e) && !db {
            return;
        }
        let Some(actor) = e.actor else { return };
        // An actor's very first appearance is the baseline, never a finding.
        let (since, newcomer) = match self.first.get(actor) {
            Some(t) => (*t, false),
            None => {
                self.first.insert(Key::new(actor), e.occurred_at);
                self.new_rows.push(Seen {
                    actor: actor.to_owned(),
                    what: "actor".into(),
                    value: String::new(),
                    first_at: e.occurred_at,
                });
                (e.occurred_at, true)
            }
        };
        let learning = newcomer || e.occurred_at - since < self.learning;
        let candidates = [
            ("client", e.client.filter(|_| e.action == "login")),
            ("host", e.host.filter(|_| e.action == "login")),
            ("object", e.subject.filter(|_| db)),
        ];
        for (what, value) in candidates {
            let Some(value) = value else { continue };
            if !self.known.insert(key(actor, what, value)) {
                continue;
            }
            self.new_rows.push(Seen {
                actor: actor.to_owned(),
                what: what.into(),
                value: value.to_owned(),
                first_at: e.occurred_at,
            });
            if learning {
                continue;
            }
            let noun = match what {
                "client" => "from address",
                "host" => "on host",
                _ => "database object",
            };
            out.push(Finding::of(
                self,
                e,
                self.severity,
                format!(
                    "{actor} {} {noun} {value} for the first time, at {} (known since {})",
                    if db { "touched" } else { "logged in" },
                    hhmm(ctx.local(e.occurred_at)),
                    since.format("%Y-%m-%d")
                ),
            ));
        }
    }
}
