//! `vigil init`: writes a commented starter config, so that a first run on
//! a bastion (where the README is not at hand) starts from a file that
//! loads, names this host's auth log when it is readable, and shows every
//! other section commented out with what it is for.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use color_eyre::eyre::{Result, WrapErr};

use super::UsageError;
use vigil_app::config::{Config, paths};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write it ("-" for standard output) [default: --config, else
    /// $XDG_CONFIG_HOME/vigil/config.toml]
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace a file that is already there
    #[arg(long)]
    pub force: bool,
}

/// The auth logs a Debian- or Red Hat-style host keeps, first readable one.
const AUTH_LOGS: [&str; 2] = ["/var/log/auth.log", "/var/log/secure"];

pub fn run(a: &InitArgs, config: Option<&Path>) -> Result<ExitCode> {
    let auth = AUTH_LOGS
        .iter()
        .find(|p| std::fs::File::open(p).is_ok())
        .copied();
    let text = starter(&paths::data_dir().join("vigil.db"), auth);
    let target = a
        .output
        .clone()
        .or_else(|| config.map(Path::to_path_buf))
        .unwrap_or_else(paths::config_file);
    if target == Path::new("-") {
        std::io::stdout().lock().write_all(text.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    if target.exists() && !a.force {
        return Err(UsageError(format!(
            "{} exists; vigil init leaves it as it is (--force replaces it, -o FILE writes elsewhere)",
            target.display()
        ))
        .into());
    }
    // (0600, in a 0700 folder if vigil makes it: vigil refuses a config
    // others can read, since it names secret files)
    vigil_domain::perms::write_private(&target, text.as_bytes())
        .wrap_err_with(|| format!("cannot write {}", target.display()))?;
    // What was written must load: the same checks every command makes.
    Config::load(&target, true)
        .map_err(|e| color_eyre::eyre::eyre!("the starter config does not load: {e}"))?;
    println!("wrote {}", target.display());
    match auth {
        Some(p) => println!(
            "its one source is this host's {p}; `vigil pull` reads it, `vigil` opens the review screen"
        ),
        None => println!(
            "no auth log is readable here: uncomment a [[source]] in it, then `vigil pull`"
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// The starter text: what is live loads as it is; the rest is commented.
fn starter(store: &Path, auth: Option<&str>) -> String {
    let source = match auth {
        Some(p) => format!(
            r#"[[source]]
name = "host-auth"
kind = "syslog"                           # sshd, sudo, su, PAM, useradd…
path = "{p}*"                  # a glob: rotated (and .gz) files are read too
timezone = "UTC"                          # the zone of headers that carry none
risk = "high"                             # low, medium, high, critical: sets the cadence
"#
        ),
        None => r#"# No auth log is readable on this host; a syslog source looks like:
# [[source]]
# name = "host-auth"
# kind = "syslog"
# path = "/var/log/auth.log*"
# timezone = "UTC"
"#
        .to_owned(),
    };
    format!(
        r#"# vigil's configuration: written by `vigil init`. Every key is optional
# but [store]; `vigil man` and `vigil <command> --help` say more.
# Relative paths are relative to this file. Keep it 0600: vigil refuses a
# config others can read.

[store]
url = "sqlite:{store}"
# url = "postgres://vigil@db.example.org/vigil"   # a store the team shares
# password_file = "/etc/vigil/pgpass"              # never a password in the URL

[rules]
timezone = "UTC"                          # the zone days and shifts are cut in
# [rules.after_hours]
# start = "07:00"
# end = "19:00"
# [rules.failed_burst]
# threshold = 5
# window = "10m"

# [reviewer]
# notes_required = ["violation", "follow-up"]
# second_approval = ["violation"]         # another reviewer approves these

# [sanctions]
# viewers = ["privacy-officer"]           # accounts that may see the register

# Who is who: rules about co-workers, family, terminated staff and VIPs need
# the roster and the patients' demographics.
# [roster]
# path = "/etc/vigil/roster.csv"          # id, name, accounts, department, status…
# [patients]
# path = "/etc/vigil/patients.csv"        # mrn, name, address, date_of_death, vip…

# [tui]
# timezone = "America/New_York"           # the zone the screen shows times in
# confirm_over = 10                       # bulk decisions over this many ask first
# bell = false                            # ring for a new critical item

# [ledger]
# key_file = "/etc/vigil/ledger.key"      # seals the ledger; made on first use
# witness_file = "/var/log/vigil-witness/checkpoints"

{source}
# An EHR's access report, exported as CSV:
# [[source]]
# name = "ehr"
# kind = "access-csv"
# path = "/srv/exports/ehr-access-*.csv"
# [source.columns]
# actor = "user"
# subject = "mrn"
# occurred_at = "time"
# action = "action"

# Clinical context, so that ordinary care is explained rather than queued:
# [[source]]
# name = "encounters"
# kind = "fhir-encounter"                 # also adt-csv, hl7-adt
# path = "/srv/exports/Encounter.ndjson"
"#,
        store = store.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_loads_with_and_without_an_auth_log() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("auth.log");
        std::fs::write(&log, "").unwrap();
        for auth in [Some(log.to_str().unwrap()), None] {
            let text = starter(&dir.path().join("vigil.db"), auth);
            let c = Config::parse(&text, None, dir.path()).unwrap();
            assert_eq!(c.sources.len(), usize::from(auth.is_some()));
        }
    }
}
