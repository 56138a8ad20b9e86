//! The review screen's side of the store: one connection on a worker
//! thread, answering the screen's requests (a page of the queue, a detail,
//! a screen's rows) and acting on items with retry. An act keeps its
//! decision ids across retries, so however often the store goes away while
//! it is being saved, it lands once.

use std::time::Duration;

use chrono::Utc;
use color_eyre::eyre::{Result, eyre};

use crate::config::Config;
use crate::screens::{self, Detail, Listing, Patients, Screen};
use vigil_domain::Item;
use vigil_domain::query::Query;
use vigil_review::{Act, ActOutcome, Reviewer, ops};
use vigil_store::{Store, StoreError, StoreUrl};

/// A reviewer's connection to the store, with what the screen reads once.
pub struct Desk {
    store: Box<dyn Store>,
    config: Config,
    who: Reviewer,
    /// The demographics, read at the first detail: a detail masks the names
    /// it may show.
    patients: Option<Patients>,
}

/// How long a held decision waits before its `attempt`-th retry (from 0):
/// one second, doubling, at most ten.
pub fn held_pause(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.min(4)).min(Duration::from_secs(10))
}

/// Whether an error is the store not answering, so the request is worth
/// repeating (and the screen says the store is down, not that it failed).
pub fn transient(e: &color_eyre::Report) -> bool {
    StoreError::is_transient(e)
}

impl Desk {
    pub fn open(url: &StoreUrl, config: Config, who: Reviewer) -> Result<Desk> {
        Ok(Desk {
            store: url.open()?,
            config,
            who,
            patients: None,
        })
    }

    /// How many items a filter keeps.
    pub fn count(&self, filter: &str) -> Result<u64> {
        let q = Query::parse(filter).map_err(|e| eyre!(e.to_string()))?;
        self.store.count_items(&q)
    }

    /// The queue's length under a filter and `window` items from `offset`.
    pub fn page(&self, filter: &str, offset: u64, window: u64) -> Result<(u64, Vec<Item>)> {
        let q = Query::parse(filter)?;
        let total = self.store.count_items(&q)?;
        Ok((total, self.store.items_page(&q, offset, window)?))
    }

    /// The newest item's id (0 with none): what the screen tells new items by.
    /// The names the screen's filter may use for rules and sources.
    pub fn filter_names(&self) -> Result<screens::FilterNames> {
        screens::FilterNames::of(self.store.as_ref())
    }

    pub fn newest(&self) -> Result<i64> {
        self.store.newest_item()
    }

    /// Everything the detail pane shows of an item; `None` once it is gone.
    pub fn detail(&mut self, id: i64) -> Result<Option<Detail>> {
        if self.patients.is_none() {
            self.patients = Some(Patients::of(self.store.as_ref())?);
        }
        let known = self.patients.as_ref().expect("loaded above");
        let zone = vigil_review::Settings::zone(&self.config);
        screens::load_detail(self.store.as_ref(), known, zone, id)
    }

    /// Runs an investigation with the reviewer's reason: its heading and rows.
    pub fn investigate(
        &mut self,
        inquiry: screens::Inquiry,
        about: &str,
        reason: &str,
    ) -> Result<(String, Listing)> {
        screens::investigation(
            self.store.as_mut(),
            &self.config,
            &self.who,
            inquiry,
            about,
            reason,
            Utc::now(),
        )
    }

    /// Opens an incident for items, at their highest severity; its id.
    pub fn escalate(&mut self, ids: &[i64]) -> Result<i64> {
        let policy = &self.config.policy;
        let severity = ops::default_severity(self.store.as_ref(), policy, ids)?;
        let inc = ops::escalate(
            self.store.as_mut(),
            policy,
            &self.who,
            Utc::now(),
            ids,
            &vigil_review::NewIncident {
                title: None,
                severity,
                assignee: None,
                note: None,
            },
        )?;
        Ok(inc.id)
    }

    /// Updates an incident from the incidents screen (the change as
    /// `screens::incident_change` read it); what it is now, in words.
    pub fn update_incident(
        &mut self,
        id: i64,
        change: &vigil_review::IncidentChange,
    ) -> Result<String> {
        let i = ops::update_incident(self.store.as_mut(), &self.who, Utc::now(), id, change)?;
        let mut said = format!("incident {id}: {}", i.status.as_str());
        if let Some(a) = &i.assignee {
            said.push_str(&format!(", assigned to {a}"));
        }
        if change.note.is_some() {
            said.push_str(", note added");
        }
        Ok(vigil_domain::SafeText::new(&said).into_string())
    }

    /// Records why the reviewer needs an item's patient identifiers.
    pub fn reveal(&mut self, item: i64, reason: &str) -> Result<()> {
        vigil_review::session::reveal(self.store.as_mut(), &self.who, item, reason, Utc::now())
    }

    /// The rows of a screen other than the queue.
    pub fn listing(&self, screen: Screen) -> Result<Listing> {
        screens::listing(
            self.store.as_ref(),
            &self.config,
            &self.who,
            screen,
            Utc::now(),
        )
    }

    /// Acts on items, retrying while the store does not answer. Before each
    /// retry `held` hears why the decision is held; it answers `false` when
    /// the screen is gone, and then `Ok(None)`: the act was not saved.
    pub fn act(
        &mut self,
        ids: &[i64],
        act: &Act,
        held: &mut dyn FnMut(String) -> bool,
        sleep: &mut dyn FnMut(Duration),
    ) -> Result<Option<Vec<ActOutcome>>> {
        // Made once: every retry carries the same ids, so the act lands once.
        let decision_ids: Vec<String> = ids
            .iter()
            .map(|_| uuid::Uuid::new_v4().to_string())
            .collect();
        let mut attempt = 0;
        loop {
            let r = ops::apply(
                self.store.as_mut(),
                &self.config.policy,
                &self.who,
                Utc::now(),
                ids,
                act,
                Some(&decision_ids),
            );
            match r {
                Err(e) if transient(&e) => {
                    if !held(format!("{e:#}; your decision is held and retried")) {
                        return Ok(None);
                    }
                    sleep(held_pause(attempt));
                    attempt += 1;
                }
                other => return other.map(Some),
            }
        }
    }
}

/// Opens the store once, so a bad one is an error before the screen.
pub fn check(url: &StoreUrl) -> Result<()> {
    url.open().map(drop)
}

/// Calls `changed` with the ids of items others changed (empty: some
/// items) until it answers `false`.
pub fn watch(url: &StoreUrl, changed: impl FnMut(Vec<i64>) -> bool) -> Result<()> {
    vigil_store::watch::watch(url, changed)
}

/// Records a review session in the ledger (nothing for one that looked at
/// nothing).
pub fn record_session(
    url: &StoreUrl,
    who: &Reviewer,
    session: &vigil_review::session::Session,
    began: chrono::DateTime<Utc>,
    ended: chrono::DateTime<Utc>,
) -> Result<()> {
    // no connection is opened for a session with nothing to record
    if session.is_empty() {
        return Ok(());
    }
    vigil_review::session::record(url.open()?.as_mut(), who, session, began, ended)
}

#[cfg(test)]
mod tests {
    use super::held_pause;
    use std::time::Duration;

    #[test]
    fn a_held_decision_backs_off_to_ten_seconds() {
        let secs: Vec<u64> = (0..7).map(|a| held_pause(a).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 10, 10, 10]);
        assert_eq!(held_pause(u32::MAX), Duration::from_secs(10));
    }
}
