//! Evidence bundles: one tar file with everything about a case (the item,
//! its events raw and parsed, decisions, incident timelines, the ledger
//! entries with their hashes) and a manifest of SHA-256 digests. The
//! manifest's own digest is printed and written to the ledger, so anyone
//! can check later that the bundle is the one exported.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr, eyre};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{Refused, Reviewer, record};
use vigil_domain::ledger::Entity;
use vigil_store::Store;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ManifestFile {
    path: String,
    sha256: String,
    bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    case: i64,
    created_at: String,
    created_by: String,
    ledger_head: String,
    files: Vec<ManifestFile>,
}

const MANIFEST: &str = "manifest.json";

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Writes the bundle for item `id` to `output`; returns the manifest digest.
pub fn export_case(
    store: &mut dyn Store,
    who: &Reviewer,
    now: DateTime<Utc>,
    id: i64,
    output: &Path,
) -> Result<String> {
    let item = store
        .item(id)?
        .ok_or_else(|| Refused(format!("no item {id}")))?;
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let pretty = |v: &serde_json::Value| -> Result<Vec<u8>> {
        let mut b = serde_json::to_vec_pretty(v)?;
        b.push(b'\n');
        Ok(b)
    };
    files.insert("item.json".into(), pretty(&serde_json::to_value(&item)?)?);

    let events = store.events_by_id(&item.event_ids)?;
    let parsed: Vec<_> = events.iter().map(|(e, _)| e).collect();
    files.insert(
        "events.json".into(),
        pretty(&serde_json::to_value(&parsed)?)?,
    );
    for (e, raw) in &events {
        // the exact bytes as read from the source, for evidence
        files.insert(format!("raw/{}.log", e.id), raw.clone());
    }
    files.insert(
        "decisions.json".into(),
        pretty(&serde_json::to_value(store.decisions(id)?)?)?,
    );
    let mut ledger = store.ledger_for(&Entity::Item(id).to_string())?;
    let mut incidents = Vec::new();
    for i in store
        .incidents()?
        .into_iter()
        .filter(|i| i.item_ids.contains(&id))
    {
        ledger.extend(store.ledger_for(&Entity::Incident(i.id).to_string())?);
        let notes = store.incident_notes(i.id)?;
        incidents.push(json!({ "incident": i, "timeline": notes }));
    }
    ledger.sort_by_key(|e| e.seq);
    files.insert("incidents.json".into(), pretty(&json!(incidents))?);
    files.insert(
        "ledger.json".into(),
        pretty(&serde_json::to_value(&ledger)?)?,
    );

    let v = store.verify_ledger()?;
    let manifest = Manifest {
        case: id,
        created_at: now.to_rfc3339(),
        created_by: who.name.clone(),
        ledger_head: format!("{}@{}", v.head_hash, v.head_seq),
        files: files
            .iter()
            .map(|(path, b)| ManifestFile {
                path: path.clone(),
                sha256: sha256_hex(b),
                bytes: b.len() as u64,
            })
            .collect(),
    };
    let manifest_bytes = pretty(&serde_json::to_value(&manifest)?)?;
    let digest = sha256_hex(&manifest_bytes);

    let file = vigil_domain::perms::create_private(output)
        .wrap_err_with(|| format!("cannot write {}", output.display()))?;
    let mut tar = tar::Builder::new(file);
    let mut add = |path: &str, bytes: &[u8]| -> Result<()> {
        let mut h = tar::Header::new_ustar();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o600);
        h.set_mtime(now.timestamp().max(0) as u64);
        h.set_cksum();
        tar.append_data(&mut h, format!("case-{id}/{path}"), bytes)?;
        Ok(())
    };
    add(MANIFEST, &manifest_bytes)?;
    for (path, b) in &files {
        add(path, b)?;
    }
    tar.into_inner()?.sync_all()?;

    store.review(&mut |tx| {
        record(
            tx,
            who,
            now,
            "export",
            Entity::Item(id).to_string(),
            json!({
                "item": id,
                "manifest_sha256": digest,
                "file": output.file_name().map(|n| n.to_string_lossy().into_owned()),
            }),
        )?;
        Ok(())
    })?;
    Ok(digest)
}

/// The result of checking a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleCheck {
    pub digest: String,
    /// The item the bundle is about, from its manifest.
    pub case: Option<i64>,
    pub problems: Vec<String>,
}

impl BundleCheck {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Re-hashes every file against the manifest, and the manifest against
/// `expected` (the digest printed at export, or found in the ledger).
pub fn check_bundle(path: &Path, expected: Option<&str>) -> Result<BundleCheck> {
    let f =
        std::fs::File::open(path).wrap_err_with(|| format!("cannot read {}", path.display()))?;
    let mut archive = tar::Archive::new(f);
    let mut contents: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let name = entry.path()?.to_string_lossy().into_owned();
        let name = name
            .split_once('/')
            .map(|(_, rest)| rest.to_owned())
            .unwrap_or(name);
        let mut buf = Vec::new();
        entry.read_to_end(&mut buf)?;
        contents.insert(name, buf);
    }
    let manifest_bytes = contents
        .remove(MANIFEST)
        .ok_or_else(|| eyre!("{} has no {MANIFEST}", path.display()))?;
    let digest = sha256_hex(&manifest_bytes);
    let mut problems = Vec::new();
    let mut case = None;
    match serde_json::from_slice::<Manifest>(&manifest_bytes) {
        Err(e) => problems.push(format!("the manifest cannot be read: {e}")),
        Ok(m) => {
            case = Some(m.case);
            for f in &m.files {
                match contents.remove(&f.path) {
                    None => problems.push(format!("{} is missing", f.path)),
                    Some(b) if sha256_hex(&b) != f.sha256 => {
                        problems.push(format!("{} was altered (its SHA-256 differs)", f.path))
                    }
                    Some(_) => {}
                }
            }
            for extra in contents.keys() {
                problems.push(format!("{extra} is not in the manifest"));
            }
        }
    }
    if let Some(e) = expected
        && !e.eq_ignore_ascii_case(&digest)
    {
        problems.push(format!(
            "the manifest's digest is {digest}, not the expected {e}: the manifest was altered"
        ));
    }
    Ok(BundleCheck {
        digest,
        case,
        problems,
    })
}
