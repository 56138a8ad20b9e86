//! Acts on items: claim, release, decide, undo, approve, reject, reopen and
//! note. One call acts on many items in one transaction (a marked selection
//! of ten thousand is one commit); each item gets its own ledger entry, and
//! an item the rules refuse is reported without stopping the others.

use chrono::{DateTime, Utc};
use color_eyre::eyre::Result;
use serde::Serialize;
use serde_json::json;

use super::{Policy, Refusal, Reviewer, record, record_refusal};
use vigil_domain::ledger::Entity;
use vigil_domain::{Disposition, Status};
use vigil_store::ledger::with_state;
use vigil_store::{DecisionRow, ItemState, ReviewTx, Store};

/// What to do to each item.
#[derive(Debug, Clone, PartialEq)]
pub enum Act {
    Claim,
    Release,
    Decide {
        disposition: Disposition,
        note: Option<String>,
        /// Decide again an item that is decided or escalated.
        reopen: bool,
    },
    /// Revert this reviewer's own latest decision.
    Undo,
    /// A second reviewer confirms a decision that policy makes wait.
    Approve {
        note: Option<String>,
    },
    /// A second reviewer sends it back: the item is reopened.
    Reject {
        note: Option<String>,
    },
    Reopen {
        note: Option<String>,
    },
    Note {
        note: String,
    },
}

/// What happened to one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum ActOutcome {
    Done {
        item: i64,
        status: Status,
        decision: Option<String>,
        awaiting_approval: bool,
        /// Until when a claim holds (claims only).
        #[serde(skip_serializing_if = "Option::is_none")]
        until: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// The same client-made id was recorded before: a retry, nothing doubled.
    AlreadyRecorded { item: i64, decision: String },
    Refused {
        item: i64,
        reason: String,
        #[serde(skip)]
        refusal: Refusal,
    },
}

impl ActOutcome {
    pub fn item(&self) -> i64 {
        match self {
            ActOutcome::Done { item, .. }
            | ActOutcome::AlreadyRecorded { item, .. }
            | ActOutcome::Refused { item, .. } => *item,
        }
    }

    pub fn is_refused(&self) -> bool {
        matches!(self, ActOutcome::Refused { .. })
    }
}

fn refused(item: i64, refusal: Refusal) -> ActOutcome {
    ActOutcome::Refused {
        item,
        reason: refusal.to_string(),
        refusal,
    }
}

/// Applies `act` to every item in one transaction. `ids` are client-made
/// decision ids, one per item (fresh ones when `None`): replaying the same
/// call after an ambiguous failure records nothing twice.
pub fn apply(
    store: &mut dyn Store,
    policy: &Policy,
    who: &Reviewer,
    now: DateTime<Utc>,
    items: &[i64],
    act: &Act,
    ids: Option<&[String]>,
) -> Result<Vec<ActOutcome>> {
    let ids: Vec<String> = match ids {
        Some(ids) => ids.to_vec(),
        None => items
            .iter()
            .map(|_| uuid::Uuid::new_v4().to_string())
            .collect(),
    };
    let mut out = Vec::with_capacity(items.len());
    store.review(&mut |tx| {
        out.clear();
        tx.prefetch(items, &ids)?;
        for (item, id) in items.iter().zip(&ids) {
            out.push(act_on(tx, policy, who, now, *item, act, id)?);
        }
        Ok(())
    })?;
    Ok(out)
}

/// Whether `who` is, through the roster, the person whose activity this is.
fn is_self(tx: &mut dyn ReviewTx, who: &Reviewer, actor: &str) -> Result<bool> {
    if actor == who.name {
        return Ok(true);
    }
    let mine = tx.people_of(&who.name)?;
    if mine.is_empty() {
        return Ok(false);
    }
    let theirs = tx.people_of(actor)?;
    Ok(theirs.iter().any(|p| mine.contains(p)))
}

/// Records one review act on `item`, which leaves it as `after` (saved
/// here too, so the entry and the row cannot drift apart).
#[allow(clippy::too_many_arguments)]
fn write_decision(
    tx: &mut dyn ReviewTx,
    who: &Reviewer,
    now: DateTime<Utc>,
    item: &ItemState,
    after: &ItemState,
    id: &str,
    kind: &str,
    disposition: Option<Disposition>,
    note: Option<&str>,
    reverts: Option<&str>,
) -> Result<()> {
    let seq = record(
        tx,
        who,
        now,
        kind,
        Entity::Item(item.id).to_string(),
        with_state(
            json!({
                "decision": id,
                "item": item.id,
                "kind": kind,
                "disposition": disposition.map(|d| d.as_str()),
                "note": note,
                "reverts": reverts,
                "session": who.session,
                "prior_status": item.status.as_str(),
            }),
            after,
        ),
    )?;
    tx.put_item(after)?;
    tx.add_decision(&DecisionRow {
        id: id.to_owned(),
        item_id: item.id,
        kind: kind.to_owned(),
        reviewer: who.name.clone(),
        decided_at: now,
        disposition,
        note: note.map(str::to_owned),
        reverts: reverts.map(str::to_owned),
        prior_status: Some(item.status),
        session: Some(who.session.clone()),
        ledger_seq: seq,
    })
}

fn done(item: &ItemState, decision: Option<&str>) -> ActOutcome {
    ActOutcome::Done {
        item: item.id,
        status: item.status,
        decision: decision.map(str::to_owned),
        awaiting_approval: item.approval.as_deref() == Some("pending"),
        until: None,
    }
}

fn act_on(
    tx: &mut dyn ReviewTx,
    policy: &Policy,
    who: &Reviewer,
    now: DateTime<Utc>,
    item_id: i64,
    act: &Act,
    id: &str,
) -> Result<ActOutcome> {
    let Some(mut item) = tx.item(item_id)? else {
        return Ok(refused(item_id, Refusal::NotFound));
    };
    if let Some(prior) = tx.decision(id)? {
        if prior.item_id != item_id {
            return Err(super::Refused(format!(
                "decision id {id} was already used for item {}; item {item_id} is not decided: give it a decision id of its own",
                prior.item_id
            ))
            .into());
        }
        return Ok(ActOutcome::AlreadyRecorded {
            item: prior.item_id,
            decision: prior.id,
        });
    }
    let held_by_other = item
        .claim_holder(now)
        .filter(|(holder, _)| *holder != who.name)
        .map(|(holder, until)| Refusal::ClaimedBy {
            who: holder.to_owned(),
            until,
        });
    let open = matches!(item.status, Status::New | Status::Reopened);
    match act {
        Act::Claim => {
            if let Some(r) = held_by_other {
                return Ok(refused(item_id, r));
            }
            if !open {
                return Ok(refused(item_id, already(tx, &item)?));
            }
            let until = now + chrono::Duration::from_std(policy.claim_lease)?;
            item.claimed_by = Some(who.name.clone());
            item.claim_expires = Some(until);
            record(
                tx,
                who,
                now,
                "claim",
                Entity::Item(item_id).to_string(),
                json!({ "item": item_id, "until": until.to_rfc3339() }),
            )?;
            tx.put_item(&item)?;
            Ok(ActOutcome::Done {
                item: item_id,
                status: Status::Claimed,
                decision: None,
                awaiting_approval: false,
                until: Some(until),
            })
        }
        Act::Release => {
            if item.claim_holder(now).map(|(h, _)| h) != Some(who.name.as_str()) {
                return Ok(refused(item_id, Refusal::NotClaimedByYou));
            }
            item.claimed_by = None;
            item.claim_expires = None;
            record(
                tx,
                who,
                now,
                "release",
                Entity::Item(item_id).to_string(),
                json!({ "item": item_id }),
            )?;
            tx.put_item(&item)?;
            Ok(done(&item, None))
        }
        Act::Decide {
            disposition,
            note,
            reopen,
        } => decide(
            On {
                tx,
                policy,
                who,
                now,
                id,
            },
            item,
            held_by_other,
            open,
            disposition,
            note,
            reopen,
        ),
        Act::Undo => undo(
            On {
                tx,
                policy,
                who,
                now,
                id,
            },
            item,
        ),
        Act::Approve { note } | Act::Reject { note } => approve_or_reject(
            On {
                tx,
                policy,
                who,
                now,
                id,
            },
            item,
            act,
            note,
        ),
        Act::Reopen { note } => {
            if open {
                return Ok(done(&item, None));
            }
            let after = cleared(&item, Status::Reopened);
            write_decision(
                tx,
                who,
                now,
                &item,
                &after,
                id,
                "reopen",
                None,
                note.as_deref(),
                None,
            )?;
            Ok(done(&after, Some(id)))
        }
        Act::Note { note } => {
            record(
                tx,
                who,
                now,
                "note",
                Entity::Item(item_id).to_string(),
                json!({ "item": item_id, "note": note }),
            )?;
            Ok(done(&item, None))
        }
    }
}

/// What every act is done with: the open transaction, the policy, who and
/// when, and the act's decision id.
struct On<'a> {
    tx: &'a mut dyn ReviewTx,
    policy: &'a Policy,
    who: &'a Reviewer,
    now: DateTime<Utc>,
    id: &'a str,
}

/// A disposition for an open item (or a decided one, with `reopen`), for
/// approval first when the policy asks for a second reviewer.
fn decide(
    on: On<'_>,
    mut item: ItemState,
    held_by_other: Option<Refusal>,
    open: bool,
    disposition: &Disposition,
    note: &Option<String>,
    reopen: &bool,
) -> Result<ActOutcome> {
    let On {
        tx,
        policy,
        who,
        now,
        id,
    } = on;
    let item_id = item.id;
    if let Some(r) = held_by_other {
        return Ok(refused(item_id, r));
    }
    if let Some(actor) = item.actor.clone()
        && is_self(tx, who, &actor)?
    {
        let r = Refusal::SelfReview { actor };
        record_refusal(tx, who, now, item_id, &r)?;
        return Ok(refused(item_id, r));
    }
    let note = note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if policy.notes_required.contains(disposition) && note.is_none() {
        return Ok(refused(item_id, Refusal::NoteRequired(*disposition)));
    }
    if !open {
        if !reopen {
            return Ok(refused(item_id, already(tx, &item)?));
        }
        let reopen_id = uuid::Uuid::new_v4().to_string();
        let after = cleared(&item, Status::Reopened);
        write_decision(
            tx, who, now, &item, &after, &reopen_id, "reopen", None, note, None,
        )?;
        item = saved(after);
    }
    let mut after = item.clone();
    after.status = Status::Decided;
    after.disposition = Some(*disposition);
    after.decision_id = Some(id.to_owned());
    after.approval = policy
        .second_approval
        .contains(disposition)
        .then(|| "pending".to_owned());
    after.claimed_by = None;
    after.claim_expires = None;
    write_decision(
        tx,
        who,
        now,
        &item,
        &after,
        id,
        "decide",
        Some(*disposition),
        note,
        None,
    )?;
    Ok(done(&after, Some(id)))
}

/// Takes back the reviewer's own decision, within the undo window or the
/// session that made it.
fn undo(on: On<'_>, item: ItemState) -> Result<ActOutcome> {
    let On {
        tx,
        policy,
        who,
        now,
        id,
    } = on;
    let item_id = item.id;
    let Some(current) = item.decision_id.clone() else {
        return Ok(refused(item_id, Refusal::NothingToUndo));
    };
    let Some(d) = tx.decision(&current)? else {
        return Ok(refused(item_id, Refusal::NothingToUndo));
    };
    let window = chrono::Duration::from_std(policy.undo_window)?;
    let mine = d.reviewer == who.name
        && d.kind == "decide"
        && (d.session.as_deref() == Some(who.session.as_str()) || now - d.decided_at <= window);
    if !mine || item.approval.as_deref() == Some("approved") {
        return Ok(refused(item_id, Refusal::NothingToUndo));
    }
    let after = cleared(&item, d.prior_status.unwrap_or(Status::New));
    write_decision(
        tx,
        who,
        now,
        &item,
        &after,
        id,
        "revert",
        None,
        None,
        Some(&current),
    )?;
    Ok(done(&after, Some(id)))
}

/// A second reviewer's approval or rejection of a decision awaiting it.
fn approve_or_reject(
    on: On<'_>,
    item: ItemState,
    act: &Act,
    note: &Option<String>,
) -> Result<ActOutcome> {
    let On {
        tx, who, now, id, ..
    } = on;
    let item_id = item.id;
    if item.approval.as_deref() != Some("pending") {
        return Ok(refused(item_id, Refusal::NotAwaitingApproval));
    }
    let current = item.decision_id.clone().unwrap_or_default();
    let first = tx.decision(&current)?;
    if first.as_ref().is_some_and(|d| d.reviewer == who.name) {
        return Ok(refused(item_id, Refusal::OwnDecision));
    }
    if let Some(actor) = item.actor.clone()
        && is_self(tx, who, &actor)?
    {
        let r = Refusal::SelfReview { actor };
        record_refusal(tx, who, now, item_id, &r)?;
        return Ok(refused(item_id, r));
    }
    let note = note.as_deref();
    let after = if matches!(act, Act::Approve { .. }) {
        let mut after = item.clone();
        after.approval = Some("approved".into());
        let disposition = item.disposition;
        write_decision(
            tx,
            who,
            now,
            &item,
            &after,
            id,
            "approve",
            disposition,
            note,
            None,
        )?;
        after
    } else {
        let after = cleared(&item, Status::Reopened);
        write_decision(
            tx,
            who,
            now,
            &item,
            &after,
            id,
            "reject",
            None,
            note,
            Some(&current),
        )?;
        after
    };
    Ok(done(&after, Some(id)))
}

/// The item with the decision in force taken off, left in `status`.
fn cleared(item: &ItemState, status: Status) -> ItemState {
    ItemState {
        status,
        disposition: None,
        decision_id: None,
        approval: None,
        ..item.clone()
    }
}

/// The item as it stands once `put_item` has saved it.
fn saved(mut item: ItemState) -> ItemState {
    item.version += 1;
    item
}

/// The refusal for acting on an item that is no longer open.
fn already(tx: &mut dyn ReviewTx, item: &ItemState) -> Result<Refusal> {
    if item.status == Status::Escalated {
        return Ok(Refusal::Escalated);
    }
    let d = match &item.decision_id {
        Some(id) => tx.decision(id)?,
        None => None,
    };
    Ok(match d {
        Some(d) if item.approval.as_deref() == Some("pending") => {
            Refusal::AwaitingApproval { by: d.reviewer }
        }
        Some(d) => Refusal::AlreadyDecided {
            by: d.reviewer,
            at: d.decided_at,
            disposition: d
                .disposition
                .map(|x| x.as_str().to_owned())
                .unwrap_or_default(),
        },
        None => Refusal::AlreadyDecided {
            by: "someone".into(),
            at: item.claim_expires.unwrap_or_default(),
            disposition: item
                .disposition
                .map(|x| x.as_str().to_owned())
                .unwrap_or_default(),
        },
    })
}
