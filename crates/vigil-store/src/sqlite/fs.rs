//! SQLite: which filesystem a store would live on. SQLite's locking is
//! unreliable on network and FUSE filesystems, so a store there is refused.

use std::path::Path;

/// The name of the network or FUSE filesystem `dir` is on, if it is on one.
/// SQLite's locking is unreliable there, so a store on one is refused.
pub fn network_fs_name(dir: &Path) -> Option<&'static str> {
    let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).ok()?;
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a writable statfs.
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    fs_magic_name(st.f_type as i64)
}

pub(super) fn fs_magic_name(magic: i64) -> Option<&'static str> {
    Some(match magic as u32 {
        0x6969 => "NFS",
        0x517B => "SMB",
        0xFF53_4D42 => "CIFS",
        0xFE53_4D42 => "SMB2",
        0x6573_5546 => "FUSE",
        0x7375_7245 => "Coda",
        0x564C => "NCP",
        0x5346_414F => "AFS",
        0x0102_1997 => "9P",
        0x00C3_6400 => "CephFS",
        0x0116_1970 => "GFS2",
        0x7461_636F => "OCFS2",
        0x0BD0_0BD0 => "Lustre",
        _ => return None,
    })
}
