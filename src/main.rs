//! The `vigil` binary: install error hooks and logging, parse the command
//! line, dispatch, and turn errors into the exit codes scripts rely on.

use std::process::ExitCode;

use clap::Parser;
use vigil::cli::{self, Cli, UsageError};
use vigil_app::config::ConfigError;
use vigil_domain::SafeText;
use vigil_domain::query::QueryError;

fn main() -> ExitCode {
    if let Err(e) = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .install()
    {
        eprintln!("vigil: cannot install error hooks: {e}");
    }
    // A closed stdout (`vigil show 5 | head`) ends the command quietly with
    // 141, as other Unix tools do, instead of a panic in println!. Sockets
    // are unaffected: Rust writes to them with MSG_NOSIGNAL.
    // SAFETY: restoring the default disposition of one signal, before any
    // thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    #[cfg(not(target_os = "linux"))]
    return_memory_promptly();
    vigil::logging::init();
    let cli = Cli::parse();
    match cli::run(cli) {
        Ok(code) => code,
        Err(e) if cli::output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let usage = e
                .chain()
                .any(|c| c.is::<ConfigError>() || c.is::<UsageError>() || c.is::<QueryError>());
            tracing::error!(error = %SafeText::new(&format!("{e:#}")), "command failed");
            // Error text can carry file names and log content: neutralize
            // each line before it reaches the terminal.
            for (i, line) in format!("{e:#}").lines().enumerate() {
                let prefix = if i == 0 { "vigil: error: " } else { "  " };
                eprintln!("{prefix}{}", SafeText::new(line));
            }
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

// Parsing and storing hand millions of small strings between two threads;
// mimalloc does that with far less overhead than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Has mimalloc give freed pages back at once and commit arena memory as
/// it is used. By default it keeps freed pages for a while and commits
/// ahead, which on a 1,000,000-line ingest with the rules held 135 MB at
/// peak for 78 MB in use, at no measurable cost in time
/// (`bench/bastion.sh`). The numbers are `mi_option_arena_eager_commit`
/// and `mi_option_purge_delay` in mimalloc.h's `mi_option_e`, the same in
/// its v2 and v3. On Linux this runs as a constructor, before the first
/// allocation makes the first arena (set from `main`, the arena is already
/// committed and the peak was 100 MB).
extern "C" fn return_memory_promptly() {
    const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: setting an option stores a number the allocator reads when
    // it next commits or purges; it allocates nothing, and any value is
    // valid for both.
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
    }
}

#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static RETURN_MEMORY_PROMPTLY: extern "C" fn() = return_memory_promptly;
