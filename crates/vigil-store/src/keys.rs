//! The ledger key: an Ed25519 key in a file only its owner can read, never
//! in the store. It seals each ledger entry this process writes (a
//! signature over the entry's hash) and signs the checkpoints a witness
//! keeps, so someone holding the store file can neither forge an entry nor
//! rewrite the chain without it showing.

use std::path::Path;
use std::sync::OnceLock;

use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

/// The ledger entity every key entry (`key.add`, `key.rotate`) is about,
/// so the key history is one indexed lookup.
pub const KEY_ENTITY: &str = "ledger-key";

/// An Ed25519 signing key loaded from its file.
#[derive(Clone)]
pub struct LedgerKey {
    key: SigningKey,
}

impl std::fmt::Debug for LedgerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // never the secret half
        write!(f, "LedgerKey({})", self.id())
    }
}

impl LedgerKey {
    /// A new random key.
    pub fn generate() -> Result<LedgerKey> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|e| eyre!("no randomness for a new key: {e}"))?;
        Ok(LedgerKey {
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// Reads a PKCS#8 PEM key (as `openssl genpkey -algorithm ed25519`
    /// writes it), refusing a file group or others can read.
    pub fn load(path: &Path) -> Result<LedgerKey> {
        vigil_domain::perms::check_private(path, "ledger key").map_err(|m| eyre!(m))?;
        let pem = std::fs::read_to_string(path)
            .wrap_err_with(|| format!("cannot read the ledger key {}", path.display()))?;
        let key = SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
            eyre!(
                "the ledger key {} is not an Ed25519 private key in PEM ({e}); make one with `openssl genpkey -algorithm ed25519 -out {}`",
                path.display(),
                path.display()
            )
        })?;
        Ok(LedgerKey { key })
    }

    /// The key at `path`, or a new one written there (0600) when there is
    /// none yet; says which.
    pub fn load_or_create(path: &Path) -> Result<(LedgerKey, bool)> {
        if path.exists() {
            return Ok((LedgerKey::load(path)?, false));
        }
        let key = LedgerKey::generate()?;
        key.save(path)?;
        Ok((key, true))
    }

    /// Writes the key as PKCS#8 PEM to a new file, mode 0600.
    pub fn save(&self, path: &Path) -> Result<()> {
        if path.exists() {
            bail!(
                "{} exists already; refusing to overwrite a key",
                path.display()
            );
        }
        let pem = self
            .key
            .to_pkcs8_pem(Default::default())
            .map_err(|e| eyre!("cannot encode the key: {e}"))?;
        use std::io::Write;
        vigil_domain::perms::create_private(path)
            .and_then(|mut f| f.write_all(pem.as_bytes()))
            .wrap_err_with(|| format!("cannot write the ledger key {}", path.display()))
    }

    /// The public half, hex.
    pub fn public(&self) -> String {
        hex::encode(self.key.verifying_key().as_bytes())
    }

    /// A short name for the key: the first 16 hex digits of its public half.
    pub fn id(&self) -> String {
        key_id(&self.public())
    }

    /// The signature of `message`, hex.
    pub fn sign(&self, message: &[u8]) -> String {
        hex::encode(self.key.sign(message).to_bytes())
    }

    /// The seal of a ledger entry with this hash: `KEYID:SIGNATURE`.
    pub fn seal(&self, hash: &str) -> String {
        format!("{}:{}", self.id(), self.sign(hash.as_bytes()))
    }
}

/// The short name of a public key (hex).
pub fn key_id(public: &str) -> String {
    public.chars().take(16).collect()
}

/// Whether `signature` (hex) is `public`'s (hex) signature of `message`.
pub fn verify(public: &str, message: &[u8], signature: &str) -> bool {
    let Some(pk) = hex::decode(public)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
    else {
        return false;
    };
    let Some(sig) = hex::decode(signature)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
    else {
        return false;
    };
    pk.verify(message, &Signature::from_bytes(&sig)).is_ok()
}

/// Whether `seal` is `public`'s seal of an entry with this hash.
pub fn seal_is_valid(public: &str, hash: &str, seal: &str) -> bool {
    match seal.split_once(':') {
        Some((id, sig)) => id == key_id(public) && verify(public, hash.as_bytes(), sig),
        None => false,
    }
}

/// The key this process seals its ledger entries with, if one is
/// configured. Process-wide, like the user it runs as: every entry any
/// store connection of this process writes is sealed by it.
static SEALER: OnceLock<LedgerKey> = OnceLock::new();

/// Installs the process's ledger key (the first one installed stays).
pub fn install(key: LedgerKey) -> &'static LedgerKey {
    SEALER.get_or_init(|| key)
}

pub fn sealer() -> Option<&'static LedgerKey> {
    SEALER.get()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_round_trips_through_its_file_and_seals_verify() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ledger.key");
        let k = LedgerKey::generate().unwrap();
        k.save(&p).unwrap();
        let back = LedgerKey::load(&p).unwrap();
        assert_eq!(back.public(), k.public());
        let seal = k.seal("abc");
        assert!(seal_is_valid(&k.public(), "abc", &seal));
        assert!(!seal_is_valid(&k.public(), "abd", &seal));
        let other = LedgerKey::generate().unwrap();
        assert!(!seal_is_valid(&other.public(), "abc", &seal));
        assert!(!format!("{back:?}").contains(&hex::encode(back.key.to_bytes())));
        assert!(k.save(&p).is_err(), "an existing key is never overwritten");
    }

    #[test]
    fn a_readable_key_file_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ledger.key");
        LedgerKey::generate().unwrap().save(&p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        let e = LedgerKey::load(&p).unwrap_err().to_string();
        assert!(e.contains("chmod 600"), "{e}");
    }
}
