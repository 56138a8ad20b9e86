//! PostgreSQL: rows to records, shared by every read.

use super::*;

pub(crate) const EVENT_FROM: &str =
    "events e JOIN sources s ON s.id = e.source_id LEFT JOIN actors a ON a.id = e.actor_id";
pub(crate) const STREAM_COLS: &str = "id, source_id, path, dev, inode, head_len, head_hash, \"offset\", records, parser_state, status";

pub(crate) fn event_row(r: &Row) -> (Event, Vec<u8>) {
    let outcome: String = r.get(8);
    let raw: Vec<u8> = r.get(10);
    (
        Event {
            id: r.get(0),
            source: SafeText::new(r.get::<_, &str>(1)),
            kind: SafeText::new(r.get::<_, &str>(2)),
            occurred_at: from_micros(r.get(3)),
            host: opt_text(r.get(4)),
            actor: opt_text(r.get(5)),
            subject: opt_text(r.get(6)),
            action: SafeText::new(r.get::<_, &str>(7)),
            outcome: outcome.parse().unwrap_or(Outcome::Unknown),
            client: opt_text(r.get(9)),
            raw: SafeText::from_bytes(&raw),
            program: opt_text(r.get(11)),
            detail: opt_text(r.get(12)),
            time_basis: TimeBasis::from_bits(r.get(13)).describe(),
        },
        raw,
    )
}

pub(crate) fn stream_row(r: &Row) -> Stream {
    Stream {
        id: r.get(0),
        source_id: r.get(1),
        path: r.get(2),
        dev: r.get::<_, Option<i64>>(3).map(|v| v as u64),
        inode: r.get::<_, Option<i64>>(4).map(|v| v as u64),
        head_len: r.get::<_, i64>(5) as u64,
        head_hash: r.get(6),
        offset: r.get::<_, i64>(7) as u64,
        records: r.get::<_, i64>(8) as u64,
        parser_state: r.get(9),
        status: r.get(10),
    }
}

pub(crate) fn ledger_row(r: &Row) -> LedgerEntry {
    LedgerEntry {
        seq: r.get(0),
        at: r.get(1),
        actor: r.get(2),
        action: r.get(3),
        entity: r.get(4),
        payload: r.get(5),
        prev_hash: r.get(6),
        hash: r.get(7),
        seal: r.get(8),
    }
}

pub(crate) fn decision_row(r: &Row) -> DecisionRow {
    let disposition: Option<String> = r.get(5);
    DecisionRow {
        id: r.get(0),
        item_id: r.get(1),
        kind: r.get(2),
        reviewer: r.get(3),
        decided_at: from_micros(r.get(4)),
        disposition: disposition.and_then(|d| d.parse().ok()),
        note: r.get(6),
        reverts: r.get(7),
        session: r.get(8),
        ledger_seq: r.get(9),
        prior_status: r.get::<_, Option<String>>(10).and_then(|s| s.parse().ok()),
    }
}

pub(crate) fn incident_row(r: &Row) -> Incident {
    let status: String = r.get(3);
    Incident {
        id: r.get(0),
        title: r.get(1),
        severity: r.get(2),
        status: IncidentStatus::parse(&status).unwrap_or(IncidentStatus::Open),
        assignee: r.get(4),
        outcome: r.get(5),
        opened_by: r.get(6),
        opened_at: from_micros(r.get(7)),
        closed_at: r.get::<_, Option<i64>>(8).map(from_micros),
        risk_update_needed: r.get(9),
        remote_key: r.get(10),
        item_ids: Vec::new(),
        event_ids: Vec::new(),
    }
}

pub(crate) fn sanction_row(r: &Row) -> Sanction {
    let ids: String = r.get(8);
    Sanction {
        id: r.get(0),
        member: r.get(1),
        category: r.get(2),
        tier: r.get(3),
        sanction: r.get(4),
        decided_by: r.get(5),
        decided_on: r.get(6),
        incident_id: r.get(7),
        decision_ids: serde_json::from_str(&ids).unwrap_or_default(),
        notice_sent: r.get(9),
        note: r.get(10),
    }
}

pub(crate) fn incident_links(c: &mut impl GenericClient, i: &mut Incident) -> Result<()> {
    i.item_ids = c
        .query(
            "SELECT item_id FROM incident_items WHERE incident_id = $1 ORDER BY item_id",
            &[&i.id],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    i.event_ids = c
        .query(
            "SELECT event_id FROM incident_events WHERE incident_id = $1 ORDER BY event_id",
            &[&i.id],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    Ok(())
}
