//! The rules as a command runs them: the engine built from the whole
//! configuration, with the roster, patients and watch list it reads.

use chrono::{DateTime, Utc};
use color_eyre::eyre::Result;

use vigil_rules::{Engine, EvalReport, knowledge};
use vigil_store::Store;

/// The engine for a command: loads the roster and patients into the store
/// when their files changed, reads the watch list, and catches up on
/// events the rules have not seen. `None` when rules are switched off.
pub fn prepare(
    config: &crate::config::Config,
    store: &mut dyn Store,
    now: DateTime<Utc>,
) -> Result<Option<(Engine, EvalReport)>> {
    if !config.rules.enabled {
        return Ok(None);
    }
    let files = &config.knowledge;
    if let Some((path, cols)) = &files.roster
        && let Some(hash) = changed(store, "roster.sha256", path)?
    {
        let people = knowledge::load_roster(path, cols)?;
        store.replace_people(&people)?;
        store.set_meta("roster.sha256", &hash)?;
    }
    if let Some((path, cols)) = &files.patients
        && let Some(hash) = changed(store, "patients.sha256", path)?
    {
        let patients = knowledge::load_patients(path, cols)?;
        store.replace_patients(&patients)?;
        store.set_meta("patients.sha256", &hash)?;
    }
    let watch = match &files.watchlist {
        Some(p) => knowledge::load_watchlist(p)?,
        None => Default::default(),
    };
    let mut engine = Engine::new(&config.rules, watch, store, now)?;
    let caught_up = engine.catch_up(store, None)?;
    Ok(Some((engine, caught_up)))
}

fn file_hash(path: &std::path::Path) -> Result<String> {
    use sha2::Digest;
    let bytes = std::fs::read(path)
        .map_err(|e| color_eyre::eyre::eyre!("cannot read {}: {e}", path.display()))?;
    Ok(hex::encode(sha2::Sha256::digest(&bytes)))
}

/// The file's hash when it differs from the one stored under `key`. Read
/// once, before the file is loaded: if the file changes meanwhile, the
/// hash remembered is the older one and the next run loads it again,
/// where hashing after the load could remember content never loaded.
fn changed(store: &dyn Store, key: &str, path: &std::path::Path) -> Result<Option<String>> {
    let hash = file_hash(path)?;
    Ok((store.meta(key)?.as_deref() != Some(hash.as_str())).then_some(hash))
}

/// The reviewer name vigil records its own closing of explained items
/// under.
pub const EXPLAINER: &str = "vigil-explain";

/// Closes the items late clinical context explained: an undecided one is
/// decided benign with a note naming the context, a decided one gets the
/// note. Both are ledger entries, so "why did this item leave the queue" has
/// an answer. Returns how many were closed.
pub fn close_explained(
    config: &crate::config::Config,
    store: &mut dyn Store,
    engine: &mut Engine,
    now: DateTime<Utc>,
) -> Result<u64> {
    let found = engine.take_withdrawals();
    if found.is_empty() {
        return Ok(0);
    }
    let who = vigil_review::Reviewer {
        name: EXPLAINER.into(),
        session: uuid::Uuid::new_v4().to_string(),
    };
    let mut closed = 0;
    for w in found {
        let act = if w.decided {
            vigil_review::Act::Note { note: w.note }
        } else {
            vigil_review::Act::Decide {
                disposition: vigil_domain::Disposition::Benign,
                note: Some(w.note),
                reopen: false,
            }
        };
        let out =
            vigil_review::ops::apply(store, &config.policy, &who, now, &[w.item], &act, None)?;
        if !w.decided && out.iter().all(|o| !o.is_refused()) {
            closed += 1;
        }
    }
    Ok(closed)
}
