//! Writes an EHR access-report benchmark workspace into DIR: a 10,000-person
//! roster, 100,000 patients, an N-row access report, and a config naming
//! them: `cargo run --release --example gen-access -- DIR [ROWS]`.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use vigil::demo::authlog::Rng;

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
    writeln!(w, "User ID,MRN,Access Time,Action,Workstation,Reason")?;
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
    }
    w.flush()?;

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

[roster]
path = "roster.csv"

[patients]
path = "patients.csv"
"#,
    )?;
    fs::set_permissions(&cfg, fs::Permissions::from_mode(0o600))?;
    Ok(())
}
