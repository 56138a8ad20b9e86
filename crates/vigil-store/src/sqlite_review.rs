//! Review state on SQLite: the `ReviewTx` the review service works through,
//! and the read side (items, decisions, incidents, sanctions) around it.

use chrono::{DateTime, Utc};
use color_eyre::eyre::Result;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::ledger::{GENESIS, LedgerEntry, NewLedgerEntry};
use super::{
    DecisionRow, Incident, IncidentNote, IncidentStatus, ItemState, ReviewTx, Risk, Sanction,
};

pub(super) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub(super) fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

/// The last entry's sequence number and hash, or the genesis before any.
pub(super) fn ledger_head(conn: &Connection) -> Result<(i64, String)> {
    Ok(conn
        .query_row(
            "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .unwrap_or((0, GENESIS.to_owned())))
}

/// Seals and inserts one entry after the current head.
pub(super) fn append_ledger(conn: &Connection, entry: &NewLedgerEntry) -> Result<LedgerEntry> {
    let (seq, prev) = ledger_head(conn)?;
    let sealed = entry.seal(seq + 1, &prev);
    conn.prepare_cached(
        "INSERT INTO ledger (seq, at, actor, action, entity, payload, prev_hash, hash, seal) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        sealed.seq,
        sealed.at,
        sealed.actor,
        sealed.action,
        sealed.entity,
        sealed.payload,
        sealed.prev_hash,
        sealed.hash,
        sealed.seal
    ])?;
    Ok(sealed)
}

pub(super) const LEDGER_COLS: &str =
    "seq, at, actor, action, entity, payload, prev_hash, hash, seal";

pub(super) fn ledger_row(r: &Row<'_>) -> rusqlite::Result<LedgerEntry> {
    Ok(LedgerEntry {
        seq: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        entity: r.get(4)?,
        payload: r.get(5)?,
        prev_hash: r.get(6)?,
        hash: r.get(7)?,
        seal: r.get(8)?,
    })
}

pub(super) const ITEM_STATE_COLS: &str = "id, title, actor, status, disposition, decision_id, approval, claimed_by, claim_expires, version";

pub(super) fn item_columns(r: &Row<'_>) -> rusqlite::Result<crate::records::ItemColumns> {
    Ok(crate::records::ItemColumns {
        review: crate::ItemReview {
            id: r.get(0)?,
            status: r.get(3)?,
            disposition: r.get(4)?,
            decision_id: r.get(5)?,
            approval: r.get(6)?,
        },
        title: r.get(1)?,
        actor: r.get(2)?,
        claimed_by: r.get(7)?,
        claim_expires: r.get::<_, Option<i64>>(8)?.map(from_micros),
        version: r.get(9)?,
    })
}

pub(super) const DECISION_COLS: &str = "id, item_id, kind, reviewer, decided_at, disposition, note, reverts, session, ledger_seq, prior_status";

pub(super) fn decision_row(r: &Row<'_>) -> rusqlite::Result<DecisionRow> {
    let disposition: Option<String> = r.get(5)?;
    Ok(DecisionRow {
        id: r.get(0)?,
        item_id: r.get(1)?,
        kind: r.get(2)?,
        reviewer: r.get(3)?,
        decided_at: from_micros(r.get(4)?),
        disposition: disposition.and_then(|d| d.parse().ok()),
        note: r.get(6)?,
        reverts: r.get(7)?,
        session: r.get(8)?,
        ledger_seq: r.get(9)?,
        prior_status: r.get::<_, Option<String>>(10)?.and_then(|s| s.parse().ok()),
    })
}

pub(super) const INCIDENT_COLS: &str = "id, title, severity, status, assignee, outcome, opened_by, opened_at, closed_at, risk_update_needed, remote_key";

pub(super) fn incident_row(r: &Row<'_>) -> rusqlite::Result<Incident> {
    let status: String = r.get(3)?;
    Ok(Incident {
        id: r.get(0)?,
        title: r.get(1)?,
        severity: r.get(2)?,
        status: IncidentStatus::parse(&status).unwrap_or(IncidentStatus::Open),
        assignee: r.get(4)?,
        outcome: r.get(5)?,
        opened_by: r.get(6)?,
        opened_at: from_micros(r.get(7)?),
        closed_at: r.get::<_, Option<i64>>(8)?.map(from_micros),
        risk_update_needed: r.get::<_, Option<i64>>(9)?.map(|v| v != 0),
        remote_key: r.get(10)?,
        item_ids: Vec::new(),
        event_ids: Vec::new(),
    })
}

pub(super) fn incident_links(conn: &Connection, i: &mut Incident) -> Result<()> {
    i.item_ids = conn
        .prepare_cached(
            "SELECT item_id FROM incident_items WHERE incident_id = ?1 ORDER BY item_id",
        )?
        .query_map([i.id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    i.event_ids = conn
        .prepare_cached(
            "SELECT event_id FROM incident_events WHERE incident_id = ?1 ORDER BY event_id",
        )?
        .query_map([i.id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(())
}

pub(super) const SANCTION_COLS: &str = "id, member, category, tier, sanction, decided_by, decided_on, incident_id, decision_ids, notice_sent, note";

pub(super) fn sanction_row(r: &Row<'_>) -> rusqlite::Result<Sanction> {
    let ids: String = r.get(8)?;
    Ok(Sanction {
        id: r.get(0)?,
        member: r.get(1)?,
        category: r.get(2)?,
        tier: r.get(3)?,
        sanction: r.get(4)?,
        decided_by: r.get(5)?,
        decided_on: r.get(6)?,
        incident_id: r.get(7)?,
        decision_ids: serde_json::from_str(&ids).unwrap_or_default(),
        notice_sent: r.get::<_, i64>(9)? != 0,
        note: r.get(10)?,
    })
}

/// The review service's view of one open SQLite transaction.
pub(super) struct SqliteReviewTx<'c> {
    pub conn: &'c Connection,
}

impl ReviewTx for SqliteReviewTx<'_> {
    fn item(&mut self, id: i64) -> Result<Option<ItemState>> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {ITEM_STATE_COLS} FROM items WHERE id = ?1"
            ))?
            .query_row([id], item_columns)
            .optional()?
            .map(ItemState::decode)
            .transpose()
    }

    fn put_item(&mut self, i: &ItemState) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE items SET status = ?1, disposition = ?2, decision_id = ?3, approval = ?4, claimed_by = ?5, claim_expires = ?6, version = version + 1, updated_at = ?7 WHERE id = ?8",
            )?
            .execute(params![
                i.status.as_str(),
                i.disposition.map(|d| d.as_str()),
                i.decision_id,
                i.approval,
                i.claimed_by,
                i.claim_expires.map(micros),
                micros(Utc::now()),
                i.id
            ])?;
        Ok(())
    }

    fn item_event_ids(&mut self, id: i64) -> Result<Vec<i64>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT event_id FROM item_events WHERE item_id = ?1 ORDER BY event_id",
            )?
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    fn decision(&mut self, id: &str) -> Result<Option<DecisionRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {DECISION_COLS} FROM decisions WHERE id = ?1"
            ))?
            .query_row([id], decision_row)
            .optional()?)
    }

    fn add_decision(&mut self, d: &DecisionRow) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO decisions (id, item_id, kind, reviewer, decided_at, disposition, note, reverts, session, ledger_seq, prior_status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                d.id,
                d.item_id,
                d.kind,
                d.reviewer,
                micros(d.decided_at),
                d.disposition.map(|x| x.as_str()),
                d.note,
                d.reverts,
                d.session,
                d.ledger_seq,
                d.prior_status.map(|s| s.as_str())
            ])?;
        Ok(())
    }

    fn ledger(&mut self, e: &NewLedgerEntry) -> Result<LedgerEntry> {
        append_ledger(self.conn, e)
    }

    fn people_of(&mut self, account: &str) -> Result<Vec<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT person_id FROM person_accounts WHERE account = ?1")?
            .query_map([account], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    fn add_incident(&mut self, i: &Incident) -> Result<i64> {
        let now = micros(Utc::now());
        self.conn.execute(
            "INSERT INTO incidents (title, severity, status, assignee, outcome, opened_by, opened_at, closed_at, risk_update_needed, remote_key, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                i.title,
                i.severity,
                i.status.as_str(),
                i.assignee,
                i.outcome,
                i.opened_by,
                micros(i.opened_at),
                i.closed_at.map(micros),
                i.risk_update_needed,
                i.remote_key,
                now
            ],
        )?;
        let id = self.conn.last_insert_rowid();
        for item in &i.item_ids {
            self.conn.execute(
                "INSERT OR IGNORE INTO incident_items (incident_id, item_id) VALUES (?1, ?2)",
                params![id, item],
            )?;
        }
        for ev in &i.event_ids {
            self.conn.execute(
                "INSERT OR IGNORE INTO incident_events (incident_id, event_id) VALUES (?1, ?2)",
                params![id, ev],
            )?;
        }
        Ok(id)
    }

    fn incident(&mut self, id: i64) -> Result<Option<Incident>> {
        let i = self
            .conn
            .prepare_cached(&format!(
                "SELECT {INCIDENT_COLS} FROM incidents WHERE id = ?1"
            ))?
            .query_row([id], incident_row)
            .optional()?;
        match i {
            Some(mut i) => {
                incident_links(self.conn, &mut i)?;
                Ok(Some(i))
            }
            None => Ok(None),
        }
    }

    fn put_incident(&mut self, i: &Incident) -> Result<()> {
        self.conn.execute(
            "UPDATE incidents SET title = ?1, severity = ?2, status = ?3, assignee = ?4, outcome = ?5, closed_at = ?6, risk_update_needed = ?7, remote_key = ?8, updated_at = ?9 WHERE id = ?10",
            params![
                i.title,
                i.severity,
                i.status.as_str(),
                i.assignee,
                i.outcome,
                i.closed_at.map(micros),
                i.risk_update_needed,
                i.remote_key,
                micros(Utc::now()),
                i.id
            ],
        )?;
        Ok(())
    }

    fn add_incident_note(&mut self, id: i64, n: &IncidentNote) -> Result<()> {
        self.conn.execute(
            "INSERT INTO incident_notes (incident_id, author, at, note) VALUES (?1, ?2, ?3, ?4)",
            params![id, n.author, micros(n.at), n.note],
        )?;
        Ok(())
    }

    fn add_suppression(&mut self, s: &super::Suppression, at: DateTime<Utc>) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO suppressions (actor, subject, rule, until, reason, owner, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![s.actor, s.subject, s.rule, micros(s.until), s.reason, s.owner, micros(at)],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    fn add_sanction(&mut self, s: &Sanction, at: DateTime<Utc>) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO sanctions (member, category, tier, sanction, decided_by, decided_on, incident_id, decision_ids, notice_sent, note, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                s.member,
                s.category,
                s.tier,
                s.sanction,
                s.decided_by,
                s.decided_on,
                s.incident_id,
                serde_json::to_string(&s.decision_ids)?,
                s.notice_sent,
                s.note,
                micros(at)
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    fn risk(&mut self, id: i64) -> Result<Option<Risk>> {
        let data: Option<String> = self
            .conn
            .query_row("SELECT data FROM risks WHERE id = ?1", [id], |r| r.get(0))
            .optional()?;
        Ok(match data {
            Some(d) => {
                let mut r: Risk = serde_json::from_str(&d)?;
                r.id = id;
                Some(r)
            }
            None => None,
        })
    }

    fn add_risk(&mut self, r: &Risk, at: DateTime<Utc>) -> Result<i64> {
        // The row is made, then filled as every change fills it.
        self.conn.execute(
            "INSERT INTO risks (asset, threat, vulnerability, likelihood, impact, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            params![r.asset, r.threat, r.vulnerability, r.likelihood, r.impact, micros(at)],
        )?;
        let id = self.conn.last_insert_rowid();
        self.put_risk(&Risk { id, ..r.clone() }, at)?;
        Ok(id)
    }

    fn put_risk(&mut self, r: &Risk, at: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE risks SET asset = ?1, threat = ?2, vulnerability = ?3, likelihood = ?4, impact = ?5, residual = ?6, treatment = ?7, safeguards = ?8, owner = ?9, next_review = ?10, data = ?11, updated_at = ?12 WHERE id = ?13",
            params![
                r.asset,
                r.threat,
                r.vulnerability,
                r.likelihood,
                r.impact,
                r.residual(),
                r.treatment,
                serde_json::to_string(&r.safeguards)?,
                r.owner,
                r.next_review.map(|d| d.to_string()),
                serde_json::to_string(r)?,
                micros(at),
                r.id
            ],
        )?;
        Ok(())
    }
}
