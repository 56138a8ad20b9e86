//! Permission checks for files that hold secrets or say where secrets are, as
//! ssh and libpq do them: readable or writable by group or others, or owned
//! by someone else, is refused with the command that fixes it.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Why a file may not be trusted, with the fix spelled out.
pub fn check_private(path: &Path, what: &str) -> Result<(), String> {
    let md = std::fs::metadata(path)
        .map_err(|e| format!("cannot read {what} {}: {e}", path.display()))?;
    let euid = unsafe { libc::geteuid() };
    if md.uid() != euid {
        let me = crate::identity::user_name(euid).unwrap_or_else(|| euid.to_string());
        return Err(format!(
            "{what} {} is owned by uid {}, not by you ({me}); refusing to trust it. Fix: chown {me} {}",
            path.display(),
            md.uid(),
            path.display()
        ));
    }
    if md.mode() & 0o077 != 0 {
        return Err(format!(
            "{what} {} can be read or written by group or others (mode {:o}); refusing to use it. Fix: chmod 600 {}",
            path.display(),
            md.mode() & 0o777,
            path.display()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn group_or_world_access_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = check_private(&p, "config file").unwrap_err();
        assert!(err.contains("chmod 600"), "{err}");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o620)).unwrap();
        assert!(check_private(&p, "config file").is_err());
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(check_private(&p, "config file").is_ok());
    }
}
