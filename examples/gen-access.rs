//! Writes an EHR access-report benchmark workspace into DIR: a 10,000-person
//! roster, 100,000 patients, N chart accesses written three ways (an EHR
//! access report CSV, FHIR AuditEvents as NDJSON, and an audit.log with a
//! watch on the chart store, one record per access plus logins and sudo),
//! and a config naming them:
//! `cargo run --release --example gen-access -- DIR [ROWS]`.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use vigil_domain::rng::Rng;

const PEOPLE: u64 = 10_000;
const PATIENTS: u64 = 100_000;
/// With a number appended: some 2,000 distinct surnames, as a city has.
const SURNAMES: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Lopez",
    "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez",
    "Thompson", "White",
];

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("usage: gen-access DIR [ROWS]"));
    let rows: u64 = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    fs::create_dir_all(&dir)?;
    let mut rng = Rng::new(7);

    let mut w = BufWriter::new(File::create(dir.join("roster.csv"))?);
    writeln!(
        w,
        "id,name,accounts,department,status,terminated_on,address,supervisor,shift,relatives"
    )?;
    for i in 0..PEOPLE {
        let status = if i % 500 == 0 { "terminated" } else { "active" };
        let term = if i % 500 == 0 { "2026-09-15" } else { "" };
        // a third of the staff work nights
        let shift = if i % 3 == 0 {
            "19:00-07:00"
        } else {
            "07:00-19:00"
        };
        writeln!(
            w,
            "E{i},Staff {} {}{},u{i},Ward {},{status},{term},{} Oak St,E0,{shift},{}",
            i,
            SURNAMES[(i % 20) as usize],
            i % 97,
            i % 40,
            i,
            if i % 1000 == 0 {
                format!("{}", 500_000 + i)
            } else {
                String::new()
            }
        )?;
    }
    w.flush()?;

    let mut w = BufWriter::new(File::create(dir.join("patients.csv"))?);
    writeln!(w, "mrn,name,address,date_of_death,vip,employee_id")?;
    for i in 0..PATIENTS {
        let death = if i % 997 == 0 { "2026-09-01" } else { "" };
        let vip = if i % 1999 == 0 { "yes" } else { "" };
        let emp = if i % 50 == 0 {
            format!("E{}", i / 50)
        } else {
            String::new()
        };
        writeln!(
            w,
            "{},Patient {} {}{},{} Elm St,{death},{vip},{emp}",
            500_000 + i,
            i,
            SURNAMES[(i % 17) as usize],
            i % 89,
            i
        )?;
    }
    w.flush()?;

    let start: DateTime<Utc> = "2026-10-01T00:00:00Z".parse().expect("valid");
    let mut w = BufWriter::new(File::create(dir.join("access.csv"))?);
    let mut fhir = BufWriter::new(File::create(dir.join("fhir.ndjson"))?);
    let mut audit = BufWriter::new(File::create(dir.join("audit.log"))?);
    writeln!(w, "User ID,MRN,Access Time,Action,Workstation,Reason")?;
    let mut serial = 1_000u64;
    let mut t = start;
    for _ in 0..rows {
        t += Duration::milliseconds(rng.below(500) as i64 + 1);
        // whoever is on shift now (now and then someone who is not)
        let hour = t.format("%H").to_string().parse::<u64>().unwrap_or(0);
        let night = !(7..19).contains(&hour);
        let mut user = rng.below(PEOPLE / 3) * 3 + if night { 0 } else { 1 + rng.below(2) };
        if rng.below(100) == 0 {
            user = rng.below(PEOPLE);
        }
        let user = user.min(PEOPLE - 1);
        let mrn = 500_000 + rng.below(PATIENTS);
        let action = *rng.pick(&[
            "View Chart",
            "View Chart",
            "View Results",
            "Print Summary",
            "Edit Note",
        ]);
        let reason = if rng.below(5000) == 0 {
            "Break the glass: emergency"
        } else {
            ""
        };
        writeln!(
            w,
            "u{user},{mrn},{},{action},WS-{},{reason}",
            t.format("%Y-%m-%d %H:%M:%S"),
            user % 300
        )?;
        let (sub, code) = match action {
            "Edit Note" => ("update", "U"),
            _ => ("read", "R"),
        };
        let purpose = if reason.is_empty() {
            String::new()
        } else {
            r#","purposeOfUse":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"ETREAT"}]}]"#.to_owned()
        };
        writeln!(
            fhir,
            r#"{{"resourceType":"AuditEvent","id":"ae{serial}","type":{{"system":"http://terminology.hl7.org/CodeSystem/audit-event-type","code":"rest"}},"subtype":[{{"system":"http://hl7.org/fhir/restful-interaction","code":"{sub}"}}],"action":"{code}","recorded":"{}","outcome":"0","agent":[{{"who":{{"identifier":{{"value":"u{user}"}}}},"requestor":true,"network":{{"address":"10.1.{}.{}","type":"2"}}{purpose}}}],"source":{{"observer":{{"display":"fhir.bench"}}}},"entity":[{{"what":{{"reference":"Patient/{mrn}"}},"type":{{"code":"1"}},"role":{{"code":"1"}}}}]}}"#,
            t.format("%Y-%m-%dT%H:%M:%SZ"),
            user % 250,
            1 + user % 200
        )?;
        serial += 1;
        let stamp = format!(
            "{}.{:03}:{serial}",
            t.timestamp(),
            t.timestamp_subsec_millis()
        );
        let uid = 10_000 + user;
        match serial % 10 {
            // one access in ten is a login or a sudo command on the app server
            0 => writeln!(
                audit,
                "type=USER_LOGIN msg=audit({stamp}): pid={} uid=0 auid={uid} ses={} msg='op=login id={uid} exe=\"/usr/sbin/sshd\" hostname=10.1.0.{} addr=10.1.0.{} terminal=ssh res={}'",
                serial % 30_000,
                serial % 9000,
                user % 250,
                user % 250,
                if rng.below(50) == 0 {
                    "failed"
                } else {
                    "success"
                }
            )?,
            1 => writeln!(
                audit,
                "type=USER_CMD msg=audit({stamp}): pid={} uid={uid} auid={uid} ses={} msg='cwd=\"/srv/ehr\" cmd=73797374656D63746C20726573746172742065687220 exe=\"/usr/bin/sudo\" terminal=pts/1 res=success'",
                serial % 30_000,
                serial % 9000
            )?,
            // the rest: the chart file read under the watch rule
            _ => writeln!(
                audit,
                "type=SYSCALL msg=audit({stamp}): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd a2=0 a3=0 items=1 ppid=1 pid={} auid={uid} uid={uid} gid=100 euid={uid} suid={uid} fsuid={uid} egid=100 sgid=100 fsgid=100 tty=(none) ses={} comm=\"ehr-api\" exe=\"/opt/ehr/bin/ehr-api\" key=\"phi_access\"\ntype=PATH msg=audit({stamp}): item=0 name=\"/srv/ehr/charts/{mrn}.json\" inode={} dev=fd:01 mode=0100640 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL",
                serial % 30_000,
                serial % 9000,
                mrn
            )?,
        }
    }
    w.flush()?;
    fhir.flush()?;
    audit.flush()?;

    let cfg = dir.join("config.toml");
    fs::write(
        &cfg,
        r#"[store]
url = "sqlite:bench.db"

[[source]]
name = "ehr"
kind = "access-csv"
path = "access.csv"
[source.columns]
actor = "User ID"
subject = "MRN"
occurred_at = "Access Time"
action = "Action"
client = "Workstation"
detail = "Reason"

[[source]]
name = "fhir"
kind = "fhir-auditevent"
path = "fhir.ndjson"

[[source]]
name = "audit"
kind = "auditd"
path = "audit.log"

[roster]
path = "roster.csv"

[patients]
path = "patients.csv"
"#,
    )?;
    fs::set_permissions(&cfg, fs::Permissions::from_mode(0o600))?;
    Ok(())
}
