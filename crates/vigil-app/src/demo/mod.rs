//! The demo workspace: a config, sample sources with several days of
//! believable traffic (and something worth reviewing in each), all in one
//! folder with its own store, so a demo never touches a real one.

pub mod authlog;
mod ehr;
mod systems;

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveTime, Timelike, Utc};
use color_eyre::eyre::{Result, WrapErr, bail};

use authlog::{Header, write_line};
use vigil_domain::rng::Rng;

/// Marks a folder as a demo workspace vigil may overwrite.
pub const MARKER: &str = ".vigil-demo";

const CONFIG: &str = r#"# Vigil demo workspace, written by `vigil demo`.
# Paths are relative to this file. Copy it as a starting point for your own.

[store]
url = "sqlite:vigil.db"

# Who the reports are about: every report names the organization, its scope
# and its officers, and ends in a certification `vigil report --certify`
# records in the ledger.
[organization]
name = "Springfield General Hospital (demo)"
covered_entity = "Springfield General Hospital, a HIPAA covered entity (acute-care hospital)"
privacy_officer = "Dana Whitfield"
security_officer = "Sam Ortiz"
scope = "Every system that creates, receives, maintains or transmits ePHI for inpatient and outpatient care, and the hosts that administer them."
in_scope = ["EHR application and its access report", "FHIR API", "EHR database (PostgreSQL)", "bastion host", "AWS account"]
out_of_scope = ["public web site (holds no ePHI)", "guest Wi-Fi (no access to clinical systems)"]

[reviewer]
claim_lease = "30m"
notes_required = ["violation", "follow-up"]

# A Debian 12 bastion: rsyslog's RFC 3339 timestamps, rotated by rename.
[[source]]
name = "bastion-auth"
kind = "syslog"
path = "logs/bastion/auth.log*"
timezone = "UTC"
cadence = "daily"
risk = "high"

# The EHR application server: RHEL's /var/log/secure, local time, no year.
[[source]]
name = "ehr-app-secure"
kind = "syslog"
path = "logs/ehr-app/secure*"
timezone = "America/New_York"
cadence = "daily"
risk = "critical"

# Clinical context: the ADT system's admissions (CSV) and the FHIR server's
# Encounter export. Accesses they explain raise no relationship flags.
[[source]]
name = "adt-admissions"
kind = "adt-csv"
path = "logs/adt/encounters.csv"
timezone = "America/New_York"
[source.columns]
encounter = "Visit"
patient = "MRN"
start = "Admit Time"
end = "Discharge Time"
department = "Unit"
team = "Care Team"
type = "Class"

[[source]]
name = "fhir-encounters"
kind = "fhir-encounter"
path = "logs/adt/encounters.ndjson"

# The EHR's own access report: who opened which chart, exported as CSV.
[[source]]
name = "ehr-access"
kind = "access-csv"
path = "logs/ehr/access-report*.csv"
timezone = "America/New_York"
cadence = "daily"
risk = "critical"
[source.columns]
actor = "User ID"
subject = "MRN"
occurred_at = "Access Time"
action = "Action"
client = "Workstation"
detail = "Reason"

# The database host's journal, as `journalctl -o json` writes it. On the host
# itself, run journalctl instead of reading a file (the cursor is the
# checkpoint): command = ["journalctl", "-o", "json", "-u", "ssh.service"]
[[source]]
name = "ehr-db-journal"
kind = "journald-json"
path = "logs/ehr-db/journal.json*"
cadence = "daily"
risk = "high"

# pgAudit in the database's server log; the prefix is the server's
# log_line_prefix (csvlog files need none).
[[source]]
name = "ehr-db-pgaudit"
kind = "pgaudit"
path = "logs/ehr-db/postgresql*.log"
log_line_prefix = "%m [%p] %q%u@%d "
timezone = "UTC"
cadence = "daily"
risk = "critical"

# The EHR application server's audit.log (ENRICHED format), with a watch
# rule on the export folder: -w /srv/ehr/exports -k phi_access
[[source]]
name = "ehr-app-audit"
kind = "auditd"
path = "logs/ehr-app/audit.log*"
cadence = "daily"
risk = "critical"

# The FHIR server's AuditEvents, from a bulk export (NDJSON).
[[source]]
name = "fhir-audit"
kind = "fhir-auditevent"
path = "logs/fhir/*.ndjson"
cadence = "daily"
risk = "critical"

# CloudTrail delivery files copied from the trail's S3 bucket.
[[source]]
name = "aws-cloudtrail"
kind = "cloudtrail"
path = "logs/aws/*.json.gz"
cadence = "daily"
risk = "high"

# Who is who: accounts across systems, shifts, status, relatives.
[roster]
path = "roster.csv"

# Patient demographics for the relationship rules, and a watch list.
[patients]
path = "patients.csv"
watchlist = "watchlist.txt"

[rules]
timezone = "America/New_York"

[rules.first_seen]
learning_days = 0      # the demo has only three days of history

[sanctions]
viewers = []           # the accounts that may see and record sanctions (the demo adds yours)

# The ledger key seals every entry, and signed checkpoints of the ledger's
# head go to the witness (in real use on another host, append-only).
[ledger]
key_file = "ledger.key"
witness_file = "witness/checkpoints"
checkpoint_every = 50
"#;

/// Writes the demo workspace as of `end` and reads every source into its
/// store with the rules, as `vigil demo` does (for the screenshots and the
/// screen snapshots, which want a fixed clock).
pub fn load(
    dir: &Path,
    end: DateTime<Utc>,
) -> Result<(crate::config::Config, Box<dyn vigil_store::Store>)> {
    let ws = write_workspace(dir, end)?;
    let config = crate::config::Config::load(&ws.config, true)?;
    if let Some(path) = &config.ledger.key_file {
        use vigil_store::keys::{LedgerKey, install, sealer};
        let k = match sealer() {
            Some(k) => k,
            None => install(LedgerKey::load_or_create(path)?.0),
        };
        // One process, one ledger key (tests load several demos, at once):
        // the workspace gets the key this process seals with.
        if LedgerKey::load(path).ok().map(|f| f.public()) != Some(k.public()) {
            let _ = fs::remove_file(path);
            k.save(path)?;
        }
    }
    let mut store = config.store.url.open()?;
    let all: Vec<_> = config.sources.iter().collect();
    let admin = vigil_review::Reviewer {
        name: "vigil-admin".into(),
        session: "demo".into(),
    };
    if let Some(key) = vigil_store::keys::sealer() {
        vigil_review::witness::register(store.as_mut(), key, &admin)?;
    }
    vigil_review::policy::record_if_changed(
        store.as_mut(),
        &config,
        &admin,
        end - Duration::days(30),
    )?;
    crate::pull::pull_sources(store.as_mut(), &config, &all, end, |_, _| Ok(()))?;
    seed_risks(store.as_mut(), &config, end)?;
    // the first checkpoint, so `vigil verify` shows what a witness adds
    vigil_review::witness::maybe_checkpoint(store.as_ref(), &config.ledger, end)?;
    Ok((config, store))
}

/// A small risk register for the demo systems, unless it has one: added a
/// month before `end`, the EHR database's residual risk assessed and
/// accepted a week before.
pub fn seed_risks(
    store: &mut dyn vigil_store::Store,
    config: &crate::config::Config,
    end: DateTime<Utc>,
) -> Result<()> {
    use vigil_review::risk::{RiskChange, add, update};
    if !store.risks()?.is_empty() {
        return Ok(());
    }
    let po = vigil_review::Reviewer {
        name: "privacy-officer".into(),
        session: "demo".into(),
    };
    let scales = &config.risk_scales;
    let month_ago = end - Duration::days(30);
    let day = |d: i64| (end + Duration::days(d)).date_naive();
    let text = |s: &str| Some(s.to_owned());
    let ehr = add(
        store,
        scales,
        &po,
        month_ago,
        &RiskChange {
            asset: text("EHR database"),
            sources: Some(vec![
                "ehr-db-pgaudit".into(),
                "ehr-db-journal".into(),
                "ehr-access".into(),
            ]),
            threat: text("a workforce member browses charts without a need to know"),
            vulnerability: text("clinical roles can read every patient's chart"),
            likelihood: text("likely"),
            impact: text("severe"),
            safeguards: vec![
                "daily access review in vigil".into(),
                "break-the-glass prompt".into(),
            ],
            planned: vec![(
                "care-team based chart access".into(),
                text("ehr-admin"),
                Some(day(60)),
            )],
            treatment: text("mitigate"),
            owner: text("privacy officer"),
            next_review: Some(day(90)),
            ..RiskChange::default()
        },
    )?;
    update(
        store,
        scales,
        &po,
        end - Duration::days(7),
        ehr.id,
        &RiskChange {
            residual_likelihood: text("possible"),
            residual_impact: text("major"),
            accept: true,
            ..RiskChange::default()
        },
    )?;
    add(
        store,
        scales,
        &po,
        month_ago,
        &RiskChange {
            asset: text("bastion host"),
            sources: Some(vec!["bastion-auth".into()]),
            threat: text("password guessing from the internet"),
            vulnerability: text("password logins are allowed for some accounts"),
            likelihood: text("almost-certain"),
            impact: text("moderate"),
            safeguards: vec!["fail2ban".into()],
            planned: vec![(
                "keys only, passwords off".into(),
                text("sysadmin"),
                Some(day(14)),
            )],
            treatment: text("mitigate"),
            owner: text("infrastructure lead"),
            next_review: Some(day(30)),
            ..RiskChange::default()
        },
    )?;
    add(
        store,
        scales,
        &po,
        month_ago,
        &RiskChange {
            asset: text("AWS account"),
            sources: Some(vec!["aws-cloudtrail".into()]),
            threat: text("a leaked key changes IAM policies"),
            vulnerability: text("long-lived access keys"),
            likelihood: text("unlikely"),
            impact: text("severe"),
            safeguards: vec!["CloudTrail reviewed in vigil".into()],
            treatment: text("transfer"),
            owner: text("cloud lead"),
            next_review: Some(day(45)),
            ..RiskChange::default()
        },
    )?;
    Ok(())
}

/// What `write_workspace` wrote.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub dir: PathBuf,
    pub config: PathBuf,
    pub files: Vec<PathBuf>,
}

struct Line {
    t: DateTime<Utc>,
    host: &'static str,
    tag: String,
    msg: String,
}

/// Collects the lines of one host's log, in any order; sorted on write.
#[derive(Default)]
struct Log {
    lines: Vec<Line>,
    pid: u32,
}

impl Log {
    fn add(&mut self, t: DateTime<Utc>, host: &'static str, tag: &str, msg: impl Into<String>) {
        self.lines.push(Line {
            t,
            host,
            tag: tag.to_owned(),
            msg: msg.into(),
        });
    }

    fn next_pid(&mut self) -> u32 {
        self.pid += 7;
        20_000 + self.pid
    }

    /// An interactive ssh login with its session, sudo commands inside it,
    /// and the logout.
    fn ssh_session(
        &mut self,
        rng: &mut Rng,
        host: &'static str,
        t: DateTime<Utc>,
        user: &str,
        ip: &str,
        sudo: &[&str],
    ) {
        let pid = self.next_pid();
        let tag = format!("sshd[{pid}]");
        let port = 40_000 + rng.below(20_000);
        self.add(
            t,
            host,
            &tag,
            format!(
                "Accepted publickey for {user} from {ip} port {port} ssh2: ED25519 SHA256:{:x}",
                rng.next_u64()
            ),
        );
        self.add(
            t,
            host,
            &tag,
            format!("pam_unix(sshd:session): session opened for user {user}(uid=1001) by (uid=0)"),
        );
        let mut at = t;
        for cmd in sudo {
            at += Duration::minutes(2 + rng.below(20) as i64);
            self.add(
                at,
                host,
                "sudo",
                format!(
                    "{user} : TTY=pts/{} ; PWD=/home/{user} ; USER=root ; COMMAND={cmd}",
                    rng.below(4)
                ),
            );
        }
        at += Duration::minutes(5 + rng.below(60) as i64);
        self.add(
            at,
            host,
            &tag,
            format!("pam_unix(sshd:session): session closed for user {user}"),
        );
        self.add(
            at,
            host,
            &tag,
            format!("Disconnected from user {user} {ip} port {port}"),
        );
    }

    fn write(mut self, path: &Path, header: Header) -> Result<Vec<DateTime<Utc>>> {
        self.lines.sort_by_key(|l| l.t);
        let mut w = BufWriter::new(create_private(path)?);
        let mut times = Vec::with_capacity(self.lines.len());
        for l in &self.lines {
            write_line(&mut w, header, l.t, l.host, &l.tag, &l.msg)?;
            times.push(l.t);
        }
        w.flush()?;
        Ok(times)
    }
}

fn create_private(path: &Path) -> Result<File> {
    vigil_domain::perms::create_private(path)
        .wrap_err_with(|| format!("cannot write {}", path.display()))
}

/// `h:m` on the hospital's calendar day that `day` falls in (the staff
/// work in New York time, whatever zone a log writes).
fn at_time(day: DateTime<Utc>, h: u32, m: u32) -> DateTime<Utc> {
    use chrono::TimeZone;
    let tz = chrono_tz::America::New_York;
    let date = day.with_timezone(&tz).date_naive();
    let naive = date.and_time(NaiveTime::from_hms_opt(h, m, 0).expect("valid time"));
    tz.from_local_datetime(&naive)
        .earliest()
        .unwrap_or_else(|| tz.from_utc_datetime(&naive))
        .with_timezone(&Utc)
}

const OFFICE: &[&str] = &["10.20.1.15", "10.20.1.22", "10.20.3.7", "10.8.0.14"];
const ADMIN_CMDS: &[&str] = &[
    "/usr/bin/systemctl restart nginx",
    "/usr/bin/journalctl -u ehr-api --since today",
    "/usr/bin/apt-get upgrade -y",
    "/usr/sbin/ss -tlnp",
    "/usr/bin/certbot renew",
];

/// Internet background noise: scanners trying names.
fn probes(
    log: &mut Log,
    rng: &mut Rng,
    host: &'static str,
    day: DateTime<Utc>,
    n: u32,
    end: DateTime<Utc>,
) {
    for _ in 0..n {
        let t = day - Duration::hours(12) + Duration::seconds(rng.below(86_400) as i64);
        if t > end {
            continue;
        }
        let ip = format!(
            "45.{}.{}.{}",
            rng.below(256),
            rng.below(256),
            rng.below(254) + 1
        );
        let pid = log.next_pid();
        let tag = format!("sshd[{pid}]");
        let user = *rng.pick(&["admin", "test", "oracle", "ubnt", "support"]);
        log.add(
            t,
            host,
            &tag,
            format!(
                "Invalid user {user} from {ip} port {}",
                30_000 + rng.below(30_000)
            ),
        );
        log.add(
            t,
            host,
            &tag,
            format!(
                "Connection closed by invalid user {user} {ip} port {} [preauth]",
                30_000 + rng.below(30_000)
            ),
        );
    }
}

fn bastion(rng: &mut Rng, end: DateTime<Utc>) -> (Log, Log) {
    let host = "bastion";
    let today = at_time(end, 0, 0);
    let mut old = Log::default();
    let mut cur = Log::default();
    for back in (0..3).rev() {
        let day = today - Duration::days(back) + Duration::hours(12);
        let log = if back == 0 { &mut cur } else { &mut old };
        for user in ["alice", "bob", "carol"] {
            for _ in 0..2 + rng.below(2) {
                let t = at_time(day, 8 + rng.below(9) as u32, rng.below(60) as u32);
                if t > end {
                    continue;
                }
                let n = 1 + rng.below(3) as usize;
                let cmds: Vec<&str> = (0..n).map(|_| *rng.pick(ADMIN_CMDS)).collect();
                // each of them works from their own desk
                let ip = OFFICE[["alice", "bob", "carol"]
                    .iter()
                    .position(|u| *u == user)
                    .unwrap_or(0)];
                log.ssh_session(rng, host, t, user, ip, &cmds);
            }
        }
        probes(log, rng, host, day, 12, end);
    }

    // Two days ago: dave at his desk, as usual.
    let y = today - Duration::days(1);
    old.ssh_session(
        rng,
        host,
        at_time(y - Duration::days(1), 10, 30),
        "dave",
        "10.20.1.40",
        &[],
    );
    // Yesterday 02:13: dave, off hours, from an address never seen, becomes root.
    let t = at_time(y, 2, 13);
    old.ssh_session(rng, host, t, "dave", "185.220.101.7", &["/bin/su -"]);
    old.add(
        t + Duration::minutes(3),
        host,
        "su[31337]",
        "(to root) dave on pts/3",
    );
    old.add(
        t + Duration::minutes(3),
        host,
        "su[31337]",
        "pam_unix(su-l:session): session opened for user root(uid=0) by dave(uid=1004)",
    );

    // Yesterday 14:00: a password-guessing burst from one address.
    let burst = at_time(y, 14, 0);
    let ip = "203.0.113.45";
    for i in 0..40 {
        let t = burst + Duration::seconds(i * 9);
        let pid = old.next_pid();
        let tag = format!("sshd[{pid}]");
        let port = 50_000 + i as u64;
        if i % 4 == 0 {
            old.add(
                t,
                host,
                &tag,
                format!("Failed password for root from {ip} port {port} ssh2"),
            );
        } else {
            let user = *rng.pick(&["admin", "oracle", "postgres", "test", "ehr", "backup"]);
            old.add(
                t,
                host,
                &tag,
                format!("Invalid user {user} from {ip} port {port}"),
            );
            old.add(
                t,
                host,
                &tag,
                format!("Failed password for invalid user {user} from {ip} port {port} ssh2"),
            );
        }
    }
    old.add(
        burst + Duration::seconds(361),
        host,
        "sshd[29999]",
        format!("message repeated 7 times: [ Failed password for root from {ip} port 50040 ssh2]"),
    );
    old.add(
        burst + Duration::seconds(362),
        host,
        "sshd[29999]",
        "Disconnecting: Too many authentication failures for root [preauth]",
    );

    // Yesterday 03:40: failures, then the backup account gets in from
    // outside. (Everything worth a look sits in complete days, so the demo
    // shows the same findings whatever the time of day it is run.)
    let t0 = at_time(y, 3, 40);
    for i in 0..6 {
        old.add(
            t0 + Duration::seconds(i * 20),
            host,
            "sshd[30101]",
            format!(
                "Failed password for backup from 198.51.100.23 port {} ssh2",
                41_000 + i
            ),
        );
    }
    old.ssh_session(
        rng,
        host,
        t0 + Duration::seconds(150),
        "backup",
        "198.51.100.23",
        &["/usr/bin/tar czf /tmp/db.tgz /var/lib/ehr"],
    );
    // Yesterday 09:30: someone tries sudo without the right.
    let t1 = at_time(y, 9, 30);
    old.ssh_session(
        rng,
        host,
        t1 - Duration::minutes(5),
        "mallory",
        "10.20.4.9",
        &[],
    );
    old.add(
        t1,
        host,
        "sudo",
        "mallory : user NOT in sudoers ; TTY=pts/2 ; PWD=/home/mallory ; USER=root ; COMMAND=/bin/cat /etc/shadow",
    );
    // A scanner's user name carrying terminal escapes: shown, never obeyed.
    old.add(
        at_time(y, 16, 20),
        host,
        "sshd[30500]",
        "Invalid user \u{1b}]0;you have been pwned\u{7}\u{1b}[2J from 203.0.113.99 port 6666",
    );
    (old, cur)
}

fn ehr_app(rng: &mut Rng, end: DateTime<Utc>) -> Log {
    let host = "ehr-app";
    let today = at_time(end, 0, 0);
    let mut log = Log::default();
    for back in (0..3).rev() {
        let day = today - Duration::days(back) + Duration::hours(12);
        for h in (0..24).step_by(3) {
            let t = at_time(day, h, 1);
            if t > end {
                continue;
            }
            let pid = log.next_pid();
            log.add(
                t,
                host,
                &format!("crond[{pid}]"),
                "pam_unix(crond:session): session opened for user root by (uid=0)",
            );
            log.add(
                t + Duration::seconds(2),
                host,
                &format!("crond[{pid}]"),
                "pam_unix(crond:session): session closed for user root",
            );
        }
        let t = at_time(day, 12, 30);
        if t < end {
            log.ssh_session(
                rng,
                host,
                t,
                "deploy",
                "10.20.5.5",
                &["/usr/bin/systemctl restart ehr-api"],
            );
        }
        let t = at_time(day, 10 + rng.below(6) as u32, rng.below(60) as u32);
        if t < end {
            log.ssh_session(
                rng,
                host,
                t,
                "dave",
                "10.20.1.40",
                &["/usr/bin/psql -U postgres ehr"],
            );
        }
        probes(&mut log, rng, host, day, 4, end);
    }
    let y = today - Duration::days(1);
    log.add(at_time(y, 22, 47), host, "useradd[4411]", "new user: name=tempvendor, UID=1050, GID=1050, home=/home/tempvendor, shell=/bin/bash, from=/dev/pts/1");
    log.add(
        at_time(y, 22, 48),
        host,
        "passwd[4413]",
        "pam_unix(passwd:chauthtok): password changed for tempvendor",
    );
    log.ssh_session(
        rng,
        host,
        at_time(y, 23, 5),
        "tempvendor",
        "192.0.2.200",
        &["/usr/bin/mysqldump --all-databases"],
    );
    log.add(
        at_time(y, 23, 30),
        host,
        "su[4500]",
        "FAILED su for root by tempvendor",
    );
    log
}

/// Writes the demo workspace into `dir` with traffic ending at `end`.
/// Refuses a non-empty folder that is not an earlier demo.
pub fn write_workspace(dir: &Path, end: DateTime<Utc>) -> Result<Workspace> {
    if dir.exists() && fs::read_dir(dir)?.next().is_some() && !dir.join(MARKER).exists() {
        bail!(
            "{} is not empty and is not a vigil demo workspace; choose another --dir",
            dir.display()
        );
    }
    if dir.join(MARKER).exists() {
        // A fresh demo each time: the old store and logs go.
        for name in [
            "logs",
            "vigil.db",
            "vigil.db-wal",
            "vigil.db-shm",
            "witness",
            ehr::ROSTER,
            ehr::PATIENTS,
            ehr::WATCHLIST,
        ] {
            let p = dir.join(name);
            if p.is_dir() {
                fs::remove_dir_all(&p)?;
            } else if p.exists() {
                fs::remove_file(&p)?;
            }
        }
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir.join("witness"))?;
    let bastion_dir = dir.join("logs/bastion");
    let ehr_dir = dir.join("logs/ehr-app");
    let access_dir = dir.join("logs/ehr");
    let (db_dir, fhir_dir, aws_dir) = (
        dir.join("logs/ehr-db"),
        dir.join("logs/fhir"),
        dir.join("logs/aws"),
    );
    for d in [
        dir,
        bastion_dir.as_path(),
        ehr_dir.as_path(),
        access_dir.as_path(),
        db_dir.as_path(),
        fhir_dir.as_path(),
        aws_dir.as_path(),
    ] {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(d)?;
    }
    create_private(&dir.join(MARKER))?.write_all(b"written by vigil demo\n")?;
    let config = dir.join("config.toml");
    // The one running the demo may see its sanctions register: on a real
    // workspace only the configured viewers do.
    let me = toml::Value::String(vigil_domain::identity::reviewer()).to_string();
    let text = CONFIG.replacen("viewers = []", &format!("viewers = [{me}]"), 1);
    create_private(&config)?.write_all(text.as_bytes())?;

    let end = end.with_nanosecond(0).unwrap_or(end);
    let mut rng = Rng::new(0x5EED_2026);
    let (old, cur) = bastion(&mut rng, end);
    let rotated = bastion_dir.join("auth.log.1");
    let live = bastion_dir.join("auth.log");
    let old_times = old.write(&rotated, Header::Rfc3339)?;
    cur.write(&live, Header::Rfc3339)?;
    let secure = ehr_dir.join("secure");
    ehr_app(&mut rng, end).write(&secure, Header::Rfc3164(Some(chrono_tz::America::New_York)))?;
    // A line mangled on disk: quarantined and counted, never dropped silently.
    OpenOptions::new()
        .append(true)
        .open(&secure)?
        .write_all(b"\x00\x00\x00#012-- corrupted record after disk full --\n")?;
    let today = end
        .with_timezone(&chrono_tz::America::New_York)
        .date_naive();
    create_private(&dir.join(ehr::ROSTER))?.write_all(ehr::roster(today).as_bytes())?;
    create_private(&dir.join(ehr::PATIENTS))?.write_all(ehr::patients(today).as_bytes())?;
    create_private(&dir.join(ehr::WATCHLIST))?.write_all(ehr::WATCH.as_bytes())?;
    let access = dir.join(ehr::ACCESS);
    create_private(&access)?.write_all(ehr::access_report(&mut rng, end).as_bytes())?;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir.join("logs/adt"))?;
    let (adt, fhir_enc) = (
        dir.join(ehr::ENCOUNTERS_CSV),
        dir.join(ehr::ENCOUNTERS_FHIR),
    );
    create_private(&adt)?.write_all(ehr::encounters_csv(end).as_bytes())?;
    create_private(&fhir_enc)?.write_all(ehr::encounters_fhir(end).as_bytes())?;
    let mut files = vec![adt, fhir_enc, access];
    for (name, body) in [
        (
            systems::JOURNAL,
            systems::journal(&mut rng, end).into_bytes(),
        ),
        (
            systems::PGAUDIT,
            systems::pgaudit(&mut rng, end).into_bytes(),
        ),
        (systems::AUDITD, systems::auditd(&mut rng, end).into_bytes()),
        (systems::FHIR, systems::fhir(&mut rng, end).into_bytes()),
        (systems::CLOUDTRAIL, systems::cloudtrail(end)?),
    ] {
        let p = dir.join(name);
        create_private(&p)?.write_all(&body)?;
        files.push(p);
    }

    // mtimes anchor year inference: the live files were written just now,
    // the rotated one stopped at its last line.
    let rotated_end = old_times.last().copied().unwrap_or(end);
    for (f, t) in [(&rotated, rotated_end), (&live, end), (&secure, end)] {
        File::options()
            .write(true)
            .open(f)?
            .set_modified(t.into())?;
    }
    Ok(Workspace {
        dir: dir.to_path_buf(),
        config,
        files: [vec![rotated, live, secure], files].concat(),
    })
}
