//! Permission checks for files that hold secrets or say where secrets are, as
//! ssh and libpq do them: readable or writable by group or others, or owned
//! by someone else, is refused with the command that fixes it.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Creates (or truncates) a file only its owner can read: everything vigil
/// writes that can hold PHI. An existing file keeps no wider mode either.
pub fn create_private(path: &Path) -> std::io::Result<File> {
    let f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(f)
}

/// Writes a file only its owner can read (`create_private`), making its
/// folder first, only its owner's, when there is none.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::DirBuilderExt;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    create_private(path)?.write_all(bytes)
}

/// Refuses a path any of whose directories others could swap a file into:
/// world-writable without the sticky bit, along the path as given and along
/// the real path a symlink leads to.
fn check_directories(path: &Path, what: &str) -> Result<(), String> {
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let given = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    for p in [given, real] {
        for dir in p.ancestors().skip(1) {
            let Ok(md) = std::fs::metadata(dir) else {
                continue;
            };
            let mode = md.mode();
            if mode & 0o002 != 0 && mode & 0o1000 == 0 {
                return Err(format!(
                    "{what} {} is in {}, which anyone can write to (mode {:o}, no sticky bit), so anyone could replace it; refusing to use it. Fix: chmod o-w {} (or move the file to a private directory)",
                    path.display(),
                    dir.display(),
                    mode & 0o7777,
                    dir.display()
                ));
            }
        }
    }
    Ok(())
}

/// Why a file may not be trusted, with the fix spelled out.
pub fn check_private(path: &Path, what: &str) -> Result<(), String> {
    check_directories(path, what)?;
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

    #[test]
    fn a_world_writable_directory_without_the_sticky_bit_is_refused_even_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let open = dir.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let p = open.join("token");
        std::fs::write(&p, "x").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        let err = check_private(&p, "token file").unwrap_err();
        assert!(err.contains("chmod o-w"), "{err}");

        let private = dir.path().join("private");
        std::fs::create_dir(&private).unwrap();
        let link = private.join("token");
        std::os::unix::fs::symlink(&p, &link).unwrap();
        assert!(check_private(&link, "token file").is_err());

        // /tmp's sticky bit makes it safe enough, as ssh holds it
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o1777)).unwrap();
        assert!(check_private(&p, "token file").is_ok());
        assert!(check_private(&link, "token file").is_ok());
    }

    #[test]
    fn private_files_are_0600_even_when_they_existed_wider() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bundle.tar");
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        create_private(&p).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().mode() & 0o777, 0o600);
    }
}
