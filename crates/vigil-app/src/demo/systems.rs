//! The demo's other systems: the database host's journal and pgAudit log,
//! the EHR application server's audit.log, the FHIR server's AuditEvents and
//! the AWS account's CloudTrail, each with three days of routine work and
//! something worth a reviewer's look yesterday.

use std::io::Write as _;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::America::New_York;
use serde_json::json;

use vigil_domain::rng::Rng;

pub const JOURNAL: &str = "logs/ehr-db/journal.json";
pub const PGAUDIT: &str = "logs/ehr-db/postgresql.log";
pub const AUDITD: &str = "logs/ehr-app/audit.log";
pub const FHIR: &str = "logs/fhir/auditevents.ndjson";
pub const CLOUDTRAIL: &str = "logs/aws/111122223333_CloudTrail_us-east-1_demo.json.gz";

use super::ehr::local;

fn days(end: DateTime<Utc>) -> (NaiveDate, NaiveDate) {
    let today = end.with_timezone(&New_York).date_naive();
    (today, today - Duration::days(1))
}

/// Lines sorted by time, as a log has them.
fn sorted(mut v: Vec<(DateTime<Utc>, String)>, end: DateTime<Utc>) -> String {
    v.retain(|(t, _)| *t <= end);
    v.sort_by_key(|(t, _)| *t);
    let mut s = String::new();
    for (_, l) in v {
        s.push_str(&l);
        s.push('\n');
    }
    s
}

/// `journalctl -o json` of the database host: sshd and sudo, trusted, and
/// one message a user forged with `logger -t sshd`.
pub fn journal(rng: &mut Rng, end: DateTime<Utc>) -> String {
    let (today, y) = days(end);
    let mut seq = 4_000_000u64;
    let mut v = Vec::new();
    let mut entry = |t: DateTime<Utc>, comm: &str, uid: &str, ident: &str, msg: String| {
        seq += 1;
        let e = json!({
            "__CURSOR": format!("s=5f1e;i={seq:x};b=7c0d;m={:x};t={:x}", seq * 7, t.timestamp_micros()),
            "__REALTIME_TIMESTAMP": t.timestamp_micros().to_string(),
            "__SEQNUM": seq.to_string(),
            "_HOSTNAME": "ehr-db",
            "_TRANSPORT": "syslog",
            "_COMM": comm,
            "_UID": uid,
            "SYSLOG_IDENTIFIER": ident,
            "PRIORITY": "6",
            "MESSAGE": msg,
        });
        v.push((t, e.to_string()));
    };
    for back in (0..3).rev() {
        let day = today - Duration::days(back);
        let t = local(day, 9, 5 + rng.below(40) as u32);
        let port = 40_000 + rng.below(20_000);
        entry(
            t,
            "sshd",
            "0",
            "sshd",
            format!(
                "Accepted publickey for dave from 10.20.1.40 port {port} ssh2: ED25519 SHA256:k3y"
            ),
        );
        entry(
            t + Duration::minutes(4),
            "sudo",
            "0",
            "sudo",
            "    dave : TTY=pts/1 ; PWD=/home/dave ; USER=postgres ; COMMAND=/usr/bin/psql -c vacuum analyze".into(),
        );
        entry(
            t + Duration::minutes(50),
            "sshd",
            "0",
            "sshd",
            format!("Disconnected from user dave 10.20.1.40 port {port}"),
        );
    }
    // Yesterday 23:05: mallory, an intern on 09:00-17:00, on the database host.
    entry(
        local(y, 23, 5),
        "sshd",
        "0",
        "sshd",
        "Accepted password for mallory from 10.20.4.9 port 51515 ssh2".into(),
    );
    // …and a line made to look like sshd let root in: the journal knows
    // it came from `logger` run by uid 1004.
    entry(
        local(y, 23, 9),
        "logger",
        "1004",
        "sshd",
        "Accepted password for root from 10.20.1.40 port 22 ssh2".into(),
    );
    sorted(v, end)
}

/// PostgreSQL's log with pgAudit, `log_line_prefix = '%m [%p] %q%u@%d '`.
pub fn pgaudit(rng: &mut Rng, end: DateTime<Utc>) -> String {
    let (today, y) = days(end);
    let mut v = Vec::new();
    let mut stmt = 0u32;
    let mut add = |t: DateTime<Utc>, who: &str, audit: String| {
        stmt += 1;
        let pid = 3000 + stmt % 97;
        v.push((
            t,
            format!(
                "{} UTC [{pid}] {who}@ehr LOG:  AUDIT: {audit}",
                t.format("%Y-%m-%d %H:%M:%S%.3f")
            ),
        ));
    };
    for back in (0..3).rev() {
        let day = today - Duration::days(back);
        for _ in 0..30 {
            let t = local(day, 7 + rng.below(11) as u32, rng.below(60) as u32);
            let mrn = 100_000 + rng.below(1000);
            add(
                t,
                "ehr_app",
                format!(
                    "SESSION,1,1,READ,SELECT,TABLE,public.patients,SELECT name FROM patients WHERE mrn = {mrn},<not logged>"
                ),
            );
        }
        let t = local(day, 10, 15);
        add(
            t,
            "dave",
            "SESSION,1,1,WRITE,UPDATE,TABLE,public.appointments,\"UPDATE appointments\n   SET room = 'B2'\n WHERE id = 77\",<not logged>".into(),
        );
    }
    // Yesterday: dave grants the intern read access to patients, and his
    // second account changes the table.
    add(
        local(y, 16, 40),
        "dave",
        "SESSION,2,1,ROLE,GRANT,TABLE,,GRANT SELECT ON public.patients TO mallory,<not logged>"
            .into(),
    );
    add(
        local(y, 16, 44),
        "dlward",
        "SESSION,1,1,DDL,ALTER TABLE,TABLE,public.patients,ALTER TABLE public.patients ADD COLUMN notes text,<not logged>".into(),
    );
    // 23:10: the intern reads it, late at night.
    add(
        local(y, 23, 10),
        "mallory",
        "SESSION,1,1,READ,SELECT,TABLE,public.patients,\"SELECT name, address, date_of_birth\n  FROM patients\",<not logged>".into(),
    );
    sorted(v, end)
}

/// The EHR application server's audit.log, in ENRICHED format (names after
/// 0x1D), with a watch on the export folder: `-w /srv/ehr/exports -k phi_access`.
pub fn auditd(rng: &mut Rng, end: DateTime<Utc>) -> String {
    let (today, y) = days(end);
    let mut v = Vec::new();
    let mut serial = 81_000u32;
    fn stamp(t: DateTime<Utc>, s: u32) -> String {
        format!(
            "msg=audit({}.{:03}:{s})",
            t.timestamp(),
            t.timestamp_subsec_millis()
        )
    }
    fn login(
        serial: &mut u32,
        t: DateTime<Utc>,
        user: &str,
        uid: u32,
        ip: &str,
        ok: bool,
    ) -> String {
        *serial += 1;
        let res = if ok { "success" } else { "failed" };
        format!(
            "type=USER_LOGIN {}: pid={} uid=0 auid={uid} ses=3 msg='op=login id={uid} exe=\"/usr/sbin/sshd\" hostname={ip} addr={ip} terminal=/dev/pts/1 res={res}'\x1dUID=\"root\" AUID=\"{user}\" ID=\"{user}\"",
            stamp(t, *serial),
            7000 + *serial % 300
        )
    }
    for back in (0..3).rev() {
        let day = today - Duration::days(back);
        for (user, uid, ip) in [("alice", 1001, "10.20.1.15"), ("bob", 1002, "10.20.1.22")] {
            let t = local(day, 8 + rng.below(8) as u32, rng.below(60) as u32);
            v.push((t, login(&mut serial, t, user, uid, ip, true)));
        }
    }
    serial += 10;
    let mut next = || {
        serial += 1;
        serial
    };
    // Yesterday 02:20: dave copies the patient export at night.
    let t = local(y, 2, 20);
    let n = next();
    v.push((t, format!(
        "type=SYSCALL {}: arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd1 a2=0 a3=0 items=1 ppid=4100 pid=4188 auid=1004 uid=1004 gid=1004 euid=1004 suid=1004 fsuid=1004 egid=1004 sgid=1004 fsgid=1004 tty=pts2 ses=9 comm=\"cp\" exe=\"/usr/bin/cp\" key=\"phi_access\"\x1dARCH=x86_64 SYSCALL=openat AUID=\"dave\" UID=\"dave\"",
        stamp(t, n)
    )));
    v.push((t, format!("type=CWD {}: cwd=\"/home/dave\"", stamp(t, n))));
    v.push((t, format!(
        "type=PATH {}: item=0 name=\"/srv/ehr/exports/patients-full.csv\" inode=5120 dev=fd:01 mode=0100640 ouid=0 ogid=990 rdev=00:00 nametype=NORMAL",
        stamp(t, n)
    )));
    v.push((t, format!(
        "type=PROCTITLE {}: proctitle=6370002F7372762F6568722F6578706F7274732F70617469656E74732D66756C6C2E637376002F746D702F782E637376",
        stamp(t, n)
    )));
    // Yesterday 02:24: …and adds a local account.
    let t = local(y, 2, 24);
    v.push((t, format!(
        "type=ADD_USER {}: pid=4201 uid=0 auid=1004 ses=9 msg='op=add-user acct=\"tmpadmin\" exe=\"/usr/sbin/useradd\" hostname=ehr-app addr=? terminal=pts/2 res=success'\x1dUID=\"root\" AUID=\"dave\"",
        stamp(t, next())
    )));
    // Yesterday 13:00: five failed logins for carol from one address.
    for i in 0..6 {
        let t = local(y, 13, 0) + Duration::seconds(i * 15);
        v.push((
            t,
            login(&mut serial, t, "carol", 1003, "198.51.100.77", false),
        ));
    }
    sorted(v, end)
}

/// FHIR AuditEvents (NDJSON, a bulk export): chart reads by clinicians.
pub fn fhir(rng: &mut Rng, end: DateTime<Utc>) -> String {
    let (today, y) = days(end);
    let mut v = Vec::new();
    let mut n = 0u32;
    let mut ev = |t: DateTime<Utc>, who: &str, mrn: &str, purpose: Option<&str>| {
        n += 1;
        let mut agent = json!({
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/extra-security-role-type", "code": "humanuser"}]},
            "who": {"identifier": {"value": who}},
            "requestor": true,
            "network": {"address": format!("10.30.2.{}", 10 + n % 40), "type": "2"}
        });
        if let Some(p) = purpose {
            agent["purposeOfUse"] = json!([{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": p}]}]);
        }
        let e = json!({
            "resourceType": "AuditEvent",
            "id": format!("ae-{n}"),
            "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest", "display": "RESTful Operation"},
            "subtype": [{"system": "http://hl7.org/fhir/restful-interaction", "code": "read", "display": "read"}],
            "action": "R",
            "recorded": t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "outcome": "0",
            "agent": [agent],
            "source": {"observer": {"display": "fhir.ehr.example"}},
            "entity": [{"what": {"reference": format!("Patient/{mrn}")}, "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1"}, "role": {"code": "1"}}]
        });
        v.push((t, e.to_string()));
    };
    for back in (0..3).rev() {
        let day = today - Duration::days(back);
        for who in ["nurse1", "nurse3", "nurse7"] {
            for _ in 0..8 {
                let t = local(day, 8 + rng.below(10) as u32, rng.below(60) as u32);
                let mrn = format!("{}", 101_000 + rng.below(200));
                ev(t, who, &mrn, None);
            }
        }
    }
    // Yesterday 03:12: the ED physician breaks the glass on a VIP's chart.
    ev(local(y, 3, 12), "drreyes", "100777", Some("ETREAT"));
    // Yesterday 11:30: a nurse opens her own chart through the FHIR API.
    ev(local(y, 11, 30), "nurse3", "100311", None);
    sorted(v, end)
}

/// One CloudTrail delivery file (gzip, `{"Records":[…]}`) for the account.
pub fn cloudtrail(end: DateTime<Utc>) -> std::io::Result<Vec<u8>> {
    let (_, y) = days(end);
    let mut records = Vec::new();
    let mut id = 0u32;
    let mut ev = |t: DateTime<Utc>,
                  user: &str,
                  name: &str,
                  source: &str,
                  ip: &str,
                  extra: serde_json::Value| {
        id += 1;
        let identity = if user == "root" {
            json!({"type": "Root", "principalId": "111122223333", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"})
        } else {
            json!({"type": "IAMUser", "principalId": format!("AIDA{id:08}"), "arn": format!("arn:aws:iam::111122223333:user/{user}"), "accountId": "111122223333", "userName": user})
        };
        let mut e = json!({
            "eventVersion": "1.08", "userIdentity": identity,
            "eventTime": t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "eventSource": source, "eventName": name, "awsRegion": "us-east-1",
            "sourceIPAddress": ip, "userAgent": "aws-cli/2.15.0",
            "eventID": format!("00000000-0000-4000-8000-{id:012}"),
            "eventType": "AwsApiCall", "recipientAccountId": "111122223333"
        });
        if let (Some(o), Some(x)) = (e.as_object_mut(), extra.as_object()) {
            for (k, val) in x {
                o.insert(k.clone(), val.clone());
            }
        }
        records.push((t, e));
    };
    let login = |ok: bool| {
        json!({"eventType": "AwsConsoleSignIn", "requestParameters": null,
            "responseElements": {"ConsoleLogin": if ok { "Success" } else { "Failure" }},
            "additionalEventData": {"MFAUsed": "No"},
            "errorMessage": if ok { serde_json::Value::Null } else { json!("Failed authentication") }})
    };
    // Yesterday 15:02: six failed console sign-ins for alice from abroad,
    // then one that worked.
    for i in 0..6 {
        ev(
            local(y, 15, 2) + Duration::seconds(i * 20),
            "alice",
            "ConsoleLogin",
            "signin.amazonaws.com",
            "203.0.113.99",
            login(false),
        );
    }
    ev(
        local(y, 15, 5),
        "alice",
        "ConsoleLogin",
        "signin.amazonaws.com",
        "203.0.113.99",
        login(true),
    );
    // 15:09: bob gives the deploy user administrator rights.
    ev(
        local(y, 15, 9),
        "bob",
        "AttachUserPolicy",
        "iam.amazonaws.com",
        "10.20.1.22",
        json!({"requestParameters": {"userName": "deploy", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}}),
    );
    // 18:30: someone signs in as the account root.
    ev(
        local(y, 18, 30),
        "root",
        "ConsoleLogin",
        "signin.amazonaws.com",
        "198.51.100.200",
        login(true),
    );
    // Routine: reads of the PHI bucket's policy.
    ev(
        local(y, 10, 0),
        "carol",
        "GetBucketPolicy",
        "s3.amazonaws.com",
        "10.20.3.7",
        json!({"requestParameters": {"bucketName": "ehr-phi-exports"}}),
    );
    records.retain(|(t, _)| *t <= end);
    let body = json!({"Records": records.into_iter().map(|(_, e)| e).collect::<Vec<_>>()});
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(
        serde_json::to_string_pretty(&body)
            .unwrap_or_default()
            .as_bytes(),
    )?;
    gz.finish()
}
