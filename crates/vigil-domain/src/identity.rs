//! Who is running vigil: the operating system's account for the real uid,
//! never `$USER`, which anyone can set.

use std::ffi::CStr;

/// The account name of `uid`, from the password database.
pub fn user_name(uid: libc::uid_t) -> Option<String> {
    let mut buf = vec![0u8; 4096];
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: all pointers are valid for the call; buf outlives the result.
    let rc = unsafe {
        libc::getpwuid_r(
            uid,
            &mut pwd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut result,
        )
    };
    if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
        return None;
    }
    // SAFETY: pw_name points into buf, NUL-terminated by getpwuid_r.
    let name = unsafe { CStr::from_ptr(pwd.pw_name) };
    Some(name.to_string_lossy().into_owned())
}

/// The reviewer's name: the real uid's account (or `uid:N` when it has none).
pub fn reviewer() -> String {
    let uid = unsafe { libc::getuid() };
    user_name(uid).unwrap_or_else(|| format!("uid:{uid}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn root_has_a_name_and_the_reviewer_is_the_real_uid() {
        assert_eq!(super::user_name(0).as_deref(), Some("root"));
        let uid = unsafe { libc::getuid() };
        assert_eq!(Some(super::reviewer()), super::user_name(uid));
    }
}
