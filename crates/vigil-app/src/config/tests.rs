//! The config's own checks: each complaint names its line and fix.

use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(
        text,
        Some(Path::new("/etc/vigil/config.toml")),
        Path::new("/etc/vigil"),
    )
}

#[test]
fn a_full_config_parses() {
    let c = parse(
        r#"
[store]
url = "sqlite:vigil.db"

[reviewer]
claim_lease = "15m"
notes_required = ["violation"]

[[source]]
name = "bastion-auth"
kind = "syslog"
path = "/var/log/auth.log*"
timezone = "Europe/Berlin"
cadence = "daily"
risk = "high"

[[source]]
name = "old"
kind = "syslog"
path = "logs/secure*"
cadence = "12h"
"#,
    )
    .unwrap();
    assert_eq!(c.store.url, StoreUrl::Sqlite("/etc/vigil/vigil.db".into()));
    assert_eq!(c.policy.claim_lease, Duration::from_secs(900));
    assert_eq!(c.sources[0].timezone, Some(chrono_tz::Europe::Berlin));
    assert_eq!(c.sources[0].risk, Some(Severity::High));
    assert_eq!(
        c.sources[1].path.as_deref(),
        Some("/etc/vigil/logs/secure*")
    );
    assert_eq!(
        c.sources[1].cadence,
        Cadence::Every(Duration::from_secs(43200))
    );
    assert_eq!(c.sources[1].line, Some(17));
}

#[test]
fn errors_name_the_line_and_the_fix() {
    let e = parse("[store]\nurl = \"x.db\"\ncolour = 1\n").unwrap_err();
    assert_eq!(e.line, Some(3), "{e}");
    assert!(e.message.contains("unknown field `colour`"), "{e}");

    let e = parse("[[source]]\nname = \"a\"\nkind = \"sylog\"\npath = \"/x\"\n").unwrap_err();
    assert_eq!(e.line, Some(3), "{e}");
    assert!(
        e.message
            .contains("use one of: syslog, journald-json, auditd, pgaudit, fhir-auditevent, access-csv, cloudtrail"),
        "{e}"
    );

    let e = parse(
        "[[source]]\nname = \"a\"\nkind = \"syslog\"\npath = \"/x\"\ntimezone = \"Mars/Base\"\n",
    )
    .unwrap_err();
    assert_eq!(e.line, Some(5));
    assert!(e.message.contains("Europe/Berlin"), "{e}");

    let e = parse("\n[[source]]\nname = \"a\"\nkind = \"syslog\"\n").unwrap_err();
    assert_eq!(e.line, Some(2));
    assert!(e.message.contains("needs a path"), "{e}");

    let e = parse(
        "[[source]]\nname = \"a\"\nkind = \"syslog\"\npath = \"/x\"\ncommand = [\"journalctl\"]\n",
    )
    .unwrap_err();
    assert!(e.message.contains("remove `command`"), "{e}");
    let e = parse("[[source]]\nname = \"pg\"\nkind = \"pgaudit\"\npath = \"/x\"\n[source.zone_abbreviations]\nCET = \"one hour\"\n").unwrap_err();
    assert!(e.message.contains("write it as \"+01:00\""), "{e}");
    let c = parse("[[source]]\nname = \"pg\"\nkind = \"pgaudit\"\npath = \"/x\"\nlog_line_prefix = \"%t:%r:%u@%d:[%p]:\"\n[source.zone_abbreviations]\nCET = \"+01:00\"\nIST = \"+05:30\"\n").unwrap();
    assert_eq!(c.sources[0].zone_abbreviations["IST"], 19800);
    let c = parse("[[source]]\nname = \"j\"\nkind = \"journald-json\"\ncommand = [\"journalctl\", \"-o\", \"json\"]\n").unwrap();
    assert_eq!(c.sources[0].command.as_ref().unwrap().len(), 3);

    let e = parse(
        "[[source]]\nname = \"a\"\nkind = \"syslog\"\npath = \"/x\"\ncadence = \"sometimes\"\n",
    )
    .unwrap_err();
    assert!(e.message.contains("hourly, daily"), "{e}");

    let e = parse("[[source]]\nname = \"a\"\nkind = \"syslog\"\npath = \"/x\"\n[[source]]\nname = \"a\"\nkind = \"syslog\"\npath = \"/y\"\n").unwrap_err();
    assert_eq!(e.line, Some(5));
    assert!(e.message.contains("its own name"));

    let e = parse("[reviewer]\nnotes_required = [\"bad\"]\n").unwrap_err();
    assert!(e.message.contains("false-positive"), "{e}");
    assert!(
        e.to_string()
            .starts_with("config error in /etc/vigil/config.toml, line 2:"),
        "{e}"
    );
}

#[test]
fn durations() {
    assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
    assert_eq!(parse_duration("2w"), Ok(Duration::from_secs(1_209_600)));
    assert!(parse_duration("5").is_err());
    assert!(parse_duration("0s").is_err());
    assert!(parse_duration("5y").is_err());
}
