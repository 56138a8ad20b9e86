//! The demo's EHR side: a workforce roster, patient demographics, a watch
//! list, three days of chart-access reports and the encounters that explain
//! most of them, arranged so that every rule has something believable to
//! say.

use std::fmt::Write as _;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::America::New_York;

use vigil_domain::rng::Rng;

pub const ROSTER: &str = "roster.csv";
pub const PATIENTS: &str = "patients.csv";
pub const WATCHLIST: &str = "watchlist.txt";
pub const ACCESS: &str = "logs/ehr/access-report.csv";
pub const ENCOUNTERS_CSV: &str = "logs/adt/encounters.csv";
pub const ENCOUNTERS_FHIR: &str = "logs/adt/encounters.ndjson";

struct Nurse {
    account: &'static str,
    shift: (u32, u32),
}

const NURSES: &[Nurse] = &[
    Nurse {
        account: "nurse1",
        shift: (7, 19),
    },
    Nurse {
        account: "nurse2",
        shift: (19, 7),
    },
    Nurse {
        account: "nurse3",
        shift: (7, 19),
    },
    Nurse {
        account: "nurse7",
        shift: (7, 19),
    },
];

/// The roster, with termination dates relative to `today`.
pub fn roster(today: NaiveDate) -> String {
    let frank_left = today - Duration::days(3);
    format!(
        "id,name,accounts,department,status,terminated_on,address,supervisor,shift,relatives
E100,Alice Chen,alice,IT Operations,active,,1 Main St Springfield,E110,07:00-19:00,
E101,Bob Okafor,bob,IT Operations,active,,17 Pine St Springfield,E110,07:00-19:00,
E102,Carol Diaz,carol,IT Operations,active,,3 Cedar Ct Springfield,E110,07:00-19:00,
E103,Dave Lopez-Ward,dave;dlward,Database Administration,active,,12 Elm St Springfield,E110,08:00-18:00,
E104,Mallory Quinn,mallory,IT Operations (intern),active,,88 Ash Blvd Springfield,E100,09:00-17:00,
E110,Helen Ford,hford,Security Office,active,,5 Lake Dr Springfield,,08:00-17:00,
E200,Nina Lopez,nurse1;nlopez,Nursing Ward 3,active,,44 Oak Ave Apt 2 Springfield,E210,07:00-19:00,100900
E201,Raj Patel,nurse2;rpatel,Nursing Ward 3,active,,9 Birch Rd Springfield,E210,19:00-07:00,
E202,Mary Kim,nurse3;mkim,Nursing Ward 5,active,,250 River Rd Unit 4 Springfield,E210,07:00-19:00,
E203,Tom Brown,nurse7;tbrown,Nursing Ward 5,active,,61 Hill St Springfield,E210,07:00-19:00,
E204,Frank Miller,frank;fmiller,Nursing Ward 3,terminated,{frank_left},2 Bay Rd Springfield,E210,07:00-19:00,
E205,Sam Reyes,drreyes,Emergency Department,active,,77 Shore Ln Springfield,E220,,
E210,Grace Hall,ghall,Nursing Administration,active,,14 Vale St Springfield,,07:00-19:00,
E900,Deploy service account,deploy,IT Operations,active,,,E100,,
"
    )
}

/// Patient demographics: a few with a story, and many without.
pub fn patients(today: NaiveDate) -> String {
    let died = today - Duration::days(10);
    let mut s = format!(
        "mrn,name,address,date_of_death,vip,employee_id
100234,Ana Lopez,19 Maple St Springfield,,,
100900,Carlos Lopez-Garcia,44 Oak Ave Apt 2 Springfield,,,
100311,Mary Kim,250 River Rd Unit 4 Springfield,,,E202
100455,John Park,\"250 River Rd, Unit 4, Springfield\",,,
100777,Jordan Blake,1 Celebrity Way Springfield,,yes,
100888,Edward Harris,3 Old Mill Rd Springfield,{died},,
100512,Bob Okafor,17 Pine St Springfield,,,E101
100999,Riley Stone,8 Court St Springfield,,,
"
    );
    let first = [
        "James", "Linda", "Michael", "Susan", "David", "Karen", "Daniel", "Nancy",
    ];
    let last = [
        "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson",
    ];
    for i in 0..200 {
        let _ = writeln!(
            s,
            "{},{} {},{} Willow St Springfield,,,",
            101_000 + i,
            first[i % first.len()],
            last[(i / first.len()) % last.len()],
            i + 1
        );
    }
    s
}

pub const WATCH: &str = "# MRNs under a legal hold: every access is reviewed\n100999\n";

/// One access row; times are written in the hospital's local time.
fn row(
    out: &mut String,
    t: DateTime<Utc>,
    user: &str,
    mrn: &str,
    action: &str,
    ws: &str,
    reason: &str,
) {
    let local = t.with_timezone(&New_York);
    let _ = writeln!(
        out,
        "{user},{mrn},{},{action},{ws},\"{reason}\"",
        local.format("%m/%d/%Y %H:%M:%S")
    );
}

/// `h:m` on `day` in the hospital's zone (New York), as an instant.
pub(super) fn local(day: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    New_York
        .from_local_datetime(&day.and_hms_opt(h, m, 0).expect("valid time"))
        .earliest()
        .expect("not in a DST gap")
        .with_timezone(&Utc)
}

/// Three days of chart access ending at `end`: routine work inside shifts,
/// and the cases the rules are there for.
pub fn access_report(rng: &mut Rng, end: DateTime<Utc>) -> String {
    let mut rows: Vec<(DateTime<Utc>, String)> = Vec::new();
    let mut add =
        |t: DateTime<Utc>, user: &str, mrn: &str, action: &str, ws: &str, reason: &str| {
            let mut line = String::new();
            row(&mut line, t, user, mrn, action, ws, reason);
            rows.push((t, line));
        };
    let today = end.with_timezone(&New_York).date_naive();
    for back in (0..3).rev() {
        let day = today - Duration::days(back);
        for n in NURSES {
            let count = if n.account == "nurse7" && back == 1 {
                64
            } else {
                8 + rng.below(6)
            };
            for _ in 0..count {
                // inside the shift (a night shift starts the evening before)
                let len = (n.shift.1 + 24 - n.shift.0) % 24;
                let h = (n.shift.0 + rng.below(u64::from(len)) as u32) % 24;
                let t = local(day, h, rng.below(60) as u32);
                if t > end {
                    continue;
                }
                let mrn = format!("{}", 101_000 + rng.below(200));
                let action =
                    *rng.pick(&["View Chart", "View Chart", "View Results", "Print Summary"]);
                add(
                    t,
                    n.account,
                    &mrn,
                    action,
                    &format!("WS-{}", 10 + rng.below(20)),
                    "",
                );
            }
        }
    }
    let y = today - Duration::days(1);
    // The design card's example: a nurse opens the chart of a namesake at night.
    add(
        local(y, 23, 14),
        "nurse1",
        "100234",
        "View Chart",
        "WS-12",
        "",
    );
    add(
        local(y, 11, 2),
        "nurse1",
        "100900",
        "View Chart",
        "WS-12",
        "",
    );
    add(
        local(y, 10, 41),
        "nurse3",
        "100311",
        "View Results",
        "WS-21",
        "",
    );
    add(
        local(y, 14, 5),
        "nurse3",
        "100455",
        "View Chart",
        "WS-21",
        "",
    );
    add(
        local(y, 15, 30),
        "nurse3",
        "100999",
        "View Chart",
        "WS-21",
        "",
    );
    add(
        local(y, 2, 40),
        "nurse2",
        "100512",
        "View Chart",
        "WS-14",
        "",
    );
    add(
        local(y, 9, 15),
        "nurse7",
        "100888",
        "View Chart",
        "WS-25",
        "",
    );
    add(
        local(y, 13, 0),
        "frank",
        "101017",
        "View Chart",
        "WS-13",
        "",
    );
    add(
        local(y, 3, 20),
        "drreyes",
        "100777",
        "Break the Glass",
        "ED-1",
        "Break the glass: unconscious trauma patient, identity unconfirmed",
    );
    rows.sort_by_key(|(t, _)| *t);
    let mut out = String::from("User ID,MRN,Access Time,Action,Workstation,Reason\r\n");
    for (_, line) in rows {
        out.push_str(line.trim_end());
        out.push_str("\r\n");
    }
    out
}

/// The ward's admissions as the ADT system exports them: most of the
/// patients the nurses see routinely, the ward's four nurses on each care
/// team. The rest of their charts stay unexplained (the sample's business).
pub fn encounters_csv(end: DateTime<Utc>) -> String {
    let today = end.with_timezone(&New_York).date_naive();
    let admitted = local(today - Duration::days(4), 8, 0);
    let mut out = String::from("Visit,MRN,Admit Time,Discharge Time,Unit,Care Team,Class\r\n");
    for p in 0..170 {
        let _ = write!(
            out,
            "W{:04},{},{},,Medicine Ward 3,nurse1;nurse2;nurse3;nurse7,inpatient\r\n",
            p,
            101_000 + p,
            admitted.format("%Y-%m-%dT%H:%M:%SZ")
        );
    }
    out
}

/// The emergency department's encounters, from the FHIR server's bulk
/// export: the trauma patient drreyes treated overnight, so the night-time
/// access to a VIP's record is explained (the break-the-glass still asks
/// for a look).
pub fn encounters_fhir(end: DateTime<Utc>) -> String {
    let y = end.with_timezone(&New_York).date_naive() - Duration::days(1);
    let fmt = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    serde_json::json!({
        "resourceType": "Encounter",
        "id": "ED-2291",
        "status": "finished",
        "class": {"code": "EMER", "display": "emergency"},
        "subject": {"reference": "Patient/100777"},
        "participant": [{"individual": {"identifier": {"value": "drreyes"}, "display": "Dr. Ana Reyes"}}],
        "period": {"start": fmt(local(y, 3, 5)), "end": fmt(local(y, 9, 40))},
        "serviceProvider": {"display": "Emergency"}
    })
    .to_string()
        + "\n"
}
