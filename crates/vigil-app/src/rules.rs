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
        && changed(store, "roster.sha256", path)?
    {
        let people = knowledge::load_roster(path, cols)?;
        store.replace_people(&people)?;
        remember_hash(store, "roster.sha256", path)?;
    }
    if let Some((path, cols)) = &files.patients
        && changed(store, "patients.sha256", path)?
    {
        let patients = knowledge::load_patients(path, cols)?;
        store.replace_patients(&patients)?;
        remember_hash(store, "patients.sha256", path)?;
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

fn changed(store: &dyn Store, key: &str, path: &std::path::Path) -> Result<bool> {
    Ok(store.meta(key)?.as_deref() != Some(file_hash(path)?.as_str()))
}

fn remember_hash(store: &mut dyn Store, key: &str, path: &std::path::Path) -> Result<()> {
    let h = file_hash(path)?;
    store.set_meta(key, &h)
}
