//! Review state on PostgreSQL: the `ReviewTx` the review service works
//! through, with the transaction's reads cached and its writes sent
//! set-wise at the end.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, bail};
use postgres::Row;

use super::super::ledger::{GENESIS, LedgerEntry, NewLedgerEntry};
use super::super::sqlite_review::{from_micros, micros};
use super::super::{
    DecisionRow, Incident, IncidentNote, ItemState, ReviewTx, Sanction, Suppression,
};
use super::{DECISION_COLS, INCIDENT_COLS, decision_row, incident_links, incident_row};
use crate::Risk;

/// The review service's view of one open PostgreSQL transaction. The items
/// it reads are locked (FOR UPDATE) and kept; items, decisions and ledger
/// entries it writes are kept too and written set-wise by `flush` before the
/// commit, so deciding 10,000 items is a handful of round trips, not 70,000.
/// Reads see the transaction's own writes through these caches.
pub(super) struct PgReviewTx<'a, 'b> {
    tx: &'a mut postgres::Transaction<'b>,
    /// Locked items as this transaction now has them (None: no such item).
    items: HashMap<i64, Option<ItemState>>,
    /// Items changed, with how many times.
    dirty: std::collections::BTreeMap<i64, i64>,
    decisions: HashMap<String, Option<DecisionRow>>,
    new_decisions: Vec<DecisionRow>,
    people: HashMap<String, Vec<String>>,
    /// The ledger's head as of this transaction's appends (the ledger lock
    /// is held, so nobody else appends meanwhile).
    head: Option<(i64, String)>,
    new_ledger: Vec<LedgerEntry>,
}

pub(super) const ITEM_STATE_COLS: &str = "id, title, actor, status, disposition, decision_id, approval, claimed_by, claim_expires, version";

pub(super) fn item_state_row(r: &Row) -> Result<ItemState> {
    ItemState::decode(crate::records::ItemColumns {
        review: crate::ItemReview {
            id: r.get(0),
            status: r.get(3),
            disposition: r.get(4),
            decision_id: r.get(5),
            approval: r.get(6),
        },
        title: r.get(1),
        actor: r.get(2),
        claimed_by: r.get(7),
        claim_expires: r.get::<_, Option<i64>>(8).map(from_micros),
        version: r.get(9),
    })
}

impl<'a, 'b> PgReviewTx<'a, 'b> {
    pub(super) fn new(tx: &'a mut postgres::Transaction<'b>) -> Self {
        PgReviewTx {
            tx,
            items: HashMap::new(),
            dirty: Default::default(),
            decisions: HashMap::new(),
            new_decisions: Vec::new(),
            people: HashMap::new(),
            head: None,
            new_ledger: Vec::new(),
        }
    }

    /// Writes what the transaction changed, before its commit.
    pub(super) fn flush(&mut self) -> Result<()> {
        if !self.dirty.is_empty() {
            let mut ids = Vec::new();
            let mut status = Vec::new();
            let mut disposition: Vec<Option<&str>> = Vec::new();
            let mut decision: Vec<Option<&str>> = Vec::new();
            let mut approval: Vec<Option<&str>> = Vec::new();
            let mut claimed_by: Vec<Option<&str>> = Vec::new();
            let mut claim_expires: Vec<Option<i64>> = Vec::new();
            let mut bumps_of = Vec::new();
            for (id, bumps) in &self.dirty {
                let Some(Some(i)) = self.items.get(id) else {
                    continue;
                };
                ids.push(*id);
                status.push(i.status.as_str());
                disposition.push(i.disposition.map(|d| d.as_str()));
                decision.push(i.decision_id.as_deref());
                approval.push(i.approval.as_deref());
                claimed_by.push(i.claimed_by.as_deref());
                claim_expires.push(i.claim_expires.map(micros));
                bumps_of.push(*bumps);
            }
            self.tx.execute(
                "UPDATE items SET status = v.status, disposition = v.disposition, decision_id = v.decision_id, approval = v.approval,
                        claimed_by = v.claimed_by, claim_expires = v.claim_expires, version = items.version + v.bumps, updated_at = $9
                 FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[])
                      AS v(id, status, disposition, decision_id, approval, claimed_by, claim_expires, bumps)
                 WHERE items.id = v.id",
                &[&ids, &status, &disposition, &decision, &approval, &claimed_by, &claim_expires, &bumps_of, &micros(Utc::now())],
            )?;
        }
        if !self.new_ledger.is_empty() {
            let l = &self.new_ledger;
            let seqs: Vec<i64> = l.iter().map(|e| e.seq).collect();
            let col = |f: fn(&LedgerEntry) -> &str| -> Vec<&str> { l.iter().map(f).collect() };
            self.tx.execute(
                "INSERT INTO ledger (seq, at, actor, action, entity, payload, prev_hash, hash, seal)
                 SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])",
                &[
                    &seqs,
                    &col(|e| &e.at),
                    &col(|e| &e.actor),
                    &col(|e| &e.action),
                    &col(|e| &e.entity),
                    &col(|e| &e.payload),
                    &col(|e| &e.prev_hash),
                    &col(|e| &e.hash),
                    &l.iter().map(|e| e.seal.as_deref()).collect::<Vec<_>>(),
                ],
            )?;
        }
        if !self.new_decisions.is_empty() {
            let n = &self.new_decisions;
            let ids: Vec<&str> = n.iter().map(|d| d.id.as_str()).collect();
            let items: Vec<i64> = n.iter().map(|d| d.item_id).collect();
            let kinds: Vec<&str> = n.iter().map(|d| d.kind.as_str()).collect();
            let reviewers: Vec<&str> = n.iter().map(|d| d.reviewer.as_str()).collect();
            let at: Vec<i64> = n.iter().map(|d| micros(d.decided_at)).collect();
            let disp: Vec<Option<&str>> = n
                .iter()
                .map(|d| d.disposition.map(|x| x.as_str()))
                .collect();
            let notes: Vec<Option<&str>> = n.iter().map(|d| d.note.as_deref()).collect();
            let reverts: Vec<Option<&str>> = n.iter().map(|d| d.reverts.as_deref()).collect();
            let sessions: Vec<Option<&str>> = n.iter().map(|d| d.session.as_deref()).collect();
            let seqs: Vec<i64> = n.iter().map(|d| d.ledger_seq).collect();
            let prior: Vec<Option<&str>> = n
                .iter()
                .map(|d| d.prior_status.map(|s| s.as_str()))
                .collect();
            self.tx.execute(
                "INSERT INTO decisions (id, item_id, kind, reviewer, decided_at, disposition, note, reverts, session, ledger_seq, prior_status)
                 SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[], $11::text[])",
                &[&ids, &items, &kinds, &reviewers, &at, &disp, &notes, &reverts, &sessions, &seqs, &prior],
            )?;
        }
        Ok(())
    }
}

impl ReviewTx for PgReviewTx<'_, '_> {
    fn prefetch(&mut self, items: &[i64], decisions: &[String]) -> Result<()> {
        let want: Vec<i64> = items
            .iter()
            .copied()
            .filter(|i| !self.items.contains_key(i))
            .collect();
        if !want.is_empty() {
            // In id order, so two transactions lock rows in one order.
            for r in self.tx.query(
                &format!(
                    "SELECT {ITEM_STATE_COLS} FROM items WHERE id = ANY($1) ORDER BY id FOR UPDATE"
                ),
                &[&want],
            )? {
                let i = item_state_row(&r)?;
                self.items.insert(i.id, Some(i));
            }
            for id in want {
                self.items.entry(id).or_insert(None);
            }
        }
        let want: Vec<&str> = decisions
            .iter()
            .map(String::as_str)
            .filter(|d| !self.decisions.contains_key(*d))
            .collect();
        if !want.is_empty() {
            for r in self.tx.query(
                &format!("SELECT {DECISION_COLS} FROM decisions WHERE id = ANY($1)"),
                &[&want],
            )? {
                let d = decision_row(&r);
                self.decisions.insert(d.id.clone(), Some(d));
            }
            for id in want {
                self.decisions.entry(id.to_owned()).or_insert(None);
            }
        }
        Ok(())
    }

    fn item(&mut self, id: i64) -> Result<Option<ItemState>> {
        if let Some(i) = self.items.get(&id) {
            return Ok(i.clone());
        }
        // FOR UPDATE: the row stays this transaction's until it commits.
        let i = self
            .tx
            .query_opt(
                &format!("SELECT {ITEM_STATE_COLS} FROM items WHERE id = $1 FOR UPDATE"),
                &[&id],
            )?
            .as_ref()
            .map(item_state_row)
            .transpose()?;
        self.items.insert(id, i.clone());
        Ok(i)
    }

    fn put_item(&mut self, i: &ItemState) -> Result<()> {
        let mut next = i.clone();
        next.version = i.version + 1;
        self.items.insert(i.id, Some(next));
        *self.dirty.entry(i.id).or_insert(0) += 1;
        Ok(())
    }

    fn item_event_ids(&mut self, id: i64) -> Result<Vec<i64>> {
        Ok(self
            .tx
            .query(
                "SELECT event_id FROM item_events WHERE item_id = $1 ORDER BY event_id",
                &[&id],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn decision(&mut self, id: &str) -> Result<Option<DecisionRow>> {
        if let Some(d) = self.decisions.get(id) {
            return Ok(d.clone());
        }
        let d = self
            .tx
            .query_opt(
                &format!("SELECT {DECISION_COLS} FROM decisions WHERE id = $1"),
                &[&id],
            )?
            .as_ref()
            .map(decision_row);
        self.decisions.insert(id.to_owned(), d.clone());
        Ok(d)
    }

    fn add_decision(&mut self, d: &DecisionRow) -> Result<()> {
        if matches!(self.decisions.get(&d.id), Some(Some(_))) {
            bail!("decision {} is already recorded", d.id);
        }
        self.decisions.insert(d.id.clone(), Some(d.clone()));
        self.new_decisions.push(d.clone());
        Ok(())
    }

    fn ledger(&mut self, e: &NewLedgerEntry) -> Result<LedgerEntry> {
        let (seq, prev) = match self.head.take() {
            Some(h) => h,
            None => match self.tx.query_opt(
                "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1",
                &[],
            )? {
                Some(r) => (r.get(0), r.get(1)),
                None => (0, GENESIS.to_owned()),
            },
        };
        let sealed = e.seal(seq + 1, &prev);
        self.head = Some((sealed.seq, sealed.hash.clone()));
        self.new_ledger.push(sealed.clone());
        Ok(sealed)
    }

    fn people_of(&mut self, account: &str) -> Result<Vec<String>> {
        if let Some(p) = self.people.get(account) {
            return Ok(p.clone());
        }
        let p: Vec<String> = self
            .tx
            .query(
                "SELECT person_id FROM person_accounts WHERE account = $1",
                &[&account],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        self.people.insert(account.to_owned(), p.clone());
        Ok(p)
    }

    fn add_incident(&mut self, i: &Incident) -> Result<i64> {
        let id: i64 = self
            .tx
            .query_one(
                "INSERT INTO incidents (title, severity, status, assignee, outcome, opened_by, opened_at, closed_at, risk_update_needed, remote_key, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                &[
                    &i.title,
                    &i.severity,
                    &i.status.as_str(),
                    &i.assignee,
                    &i.outcome,
                    &i.opened_by,
                    &micros(i.opened_at),
                    &i.closed_at.map(micros),
                    &i.risk_update_needed,
                    &i.remote_key,
                    &micros(Utc::now()),
                ],
            )?
            .get(0);
        self.tx.execute(
            "INSERT INTO incident_items (incident_id, item_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING",
            &[&id, &i.item_ids],
        )?;
        self.tx.execute(
            "INSERT INTO incident_events (incident_id, event_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING",
            &[&id, &i.event_ids],
        )?;
        Ok(id)
    }

    fn incident(&mut self, id: i64) -> Result<Option<Incident>> {
        let i = self
            .tx
            .query_opt(
                &format!("SELECT {INCIDENT_COLS} FROM incidents WHERE id = $1"),
                &[&id],
            )?
            .as_ref()
            .map(incident_row);
        match i {
            Some(mut i) => {
                incident_links(self.tx, &mut i)?;
                Ok(Some(i))
            }
            None => Ok(None),
        }
    }

    fn put_incident(&mut self, i: &Incident) -> Result<()> {
        self.tx.execute(
            "UPDATE incidents SET title = $1, severity = $2, status = $3, assignee = $4, outcome = $5, closed_at = $6, risk_update_needed = $7, remote_key = $8, updated_at = $9 WHERE id = $10",
            &[
                &i.title,
                &i.severity,
                &i.status.as_str(),
                &i.assignee,
                &i.outcome,
                &i.closed_at.map(micros),
                &i.risk_update_needed,
                &i.remote_key,
                &micros(Utc::now()),
                &i.id,
            ],
        )?;
        Ok(())
    }

    fn add_incident_note(&mut self, id: i64, n: &IncidentNote) -> Result<()> {
        self.tx.execute(
            "INSERT INTO incident_notes (incident_id, author, at, note) VALUES ($1, $2, $3, $4)",
            &[&id, &n.author, &micros(n.at), &n.note],
        )?;
        Ok(())
    }

    fn add_sanction(&mut self, s: &Sanction, at: DateTime<Utc>) -> Result<i64> {
        Ok(self
            .tx
            .query_one(
                "INSERT INTO sanctions (member, category, tier, sanction, decided_by, decided_on, incident_id, decision_ids, notice_sent, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                &[
                    &s.member,
                    &s.category,
                    &s.tier,
                    &s.sanction,
                    &s.decided_by,
                    &s.decided_on,
                    &s.incident_id,
                    &serde_json::to_string(&s.decision_ids)?,
                    &s.notice_sent,
                    &s.note,
                    &micros(at),
                ],
            )?
            .get(0))
    }

    fn add_suppression(&mut self, s: &Suppression, at: DateTime<Utc>) -> Result<i64> {
        Ok(self
            .tx
            .query_one(
                "INSERT INTO suppressions (actor, subject, rule, until, reason, owner, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                &[&s.actor, &s.subject, &s.rule, &micros(s.until), &s.reason, &s.owner, &micros(at)],
            )?
            .get(0))
    }

    fn risk(&mut self, id: i64) -> Result<Option<Risk>> {
        match self
            .tx
            .query_opt("SELECT data FROM risks WHERE id = $1 FOR UPDATE", &[&id])?
        {
            Some(row) => {
                let mut r: Risk = serde_json::from_str(row.get::<_, &str>(0))?;
                r.id = id;
                Ok(Some(r))
            }
            None => Ok(None),
        }
    }

    fn add_risk(&mut self, r: &Risk, at: DateTime<Utc>) -> Result<i64> {
        let id: i64 = self
            .tx
            .query_one(
                "INSERT INTO risks (asset, threat, vulnerability, likelihood, impact, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
                &[&r.asset, &r.threat, &r.vulnerability, &r.likelihood, &r.impact, &micros(at)],
            )?
            .get(0);
        self.put_risk(&Risk { id, ..r.clone() }, at)?;
        Ok(id)
    }

    fn put_risk(&mut self, r: &Risk, at: DateTime<Utc>) -> Result<()> {
        self.tx.execute(
            "UPDATE risks SET asset = $1, threat = $2, vulnerability = $3, likelihood = $4, impact = $5, residual = $6, treatment = $7, safeguards = $8, owner = $9, next_review = $10, data = $11, updated_at = $12 WHERE id = $13",
            &[
                &r.asset,
                &r.threat,
                &r.vulnerability,
                &r.likelihood,
                &r.impact,
                &r.residual(),
                &r.treatment,
                &serde_json::to_string(&r.safeguards)?,
                &r.owner,
                &r.next_review.map(|d| d.to_string()),
                &serde_json::to_string(r)?,
                &micros(at),
                &r.id,
            ],
        )?;
        Ok(())
    }
}
