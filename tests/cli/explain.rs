//! Clinical context end to end through the real binary: each explanation
//! kind with its near misses, context in three formats giving the same
//! explanations, a late encounter closing an undecided item (and noting a
//! decided one), cases that combine rules and sources, and one attack as
//! one item.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use vigil_domain::{Explanation, Status};
use vigil_store::Store;

const ROSTER: &str = "id,name,accounts,department,shift
E1,Dana Reyes,doc1,Cardiology,07:00-19:00
E2,Ann Smith,nurse2,Cardiology,07:00-19:00
E3,Omar Haddad,onc1,Oncology,07:00-19:00
E4,Bea Lund,bill1,Billing,07:00-19:00
E5,Lee Park,lab1,Laboratory,07:00-19:00
";

const PATIENTS: &str = "mrn,name
P1,Carl Jensen
P2,Ida Moss
P3,Bob Smith
";

/// The accesses: (time, actor, patient, what the explanation must be).
const CASES: &[(&str, &str, &str, Explanation)] = &[
    (
        "2026-11-02T06:59:00Z",
        "doc1",
        "P1",
        Explanation::Unexplained,
    ), // 1 min before the margin
    ("2026-11-02T07:00:00Z", "doc1", "P1", Explanation::Direct),
    (
        "2026-11-02T10:00:00Z",
        "nurse2",
        "P1",
        Explanation::Department,
    ),
    (
        "2026-11-02T10:00:00Z",
        "onc1",
        "P1",
        Explanation::Unexplained,
    ), // wrong department
    (
        "2026-11-02T10:00:00Z",
        "doc1",
        "P2",
        Explanation::Unexplained,
    ), // another patient
    ("2026-11-02T13:00:00Z", "doc1", "P1", Explanation::Direct), // the margin's last minute
    ("2026-11-02T13:20:00Z", "doc1", "P1", Explanation::Repeat),
    (
        "2026-11-02T13:31:00Z",
        "doc1",
        "P1",
        Explanation::Unexplained,
    ), // past the repeat window
    ("2026-11-20T10:00:00Z", "bill1", "P1", Explanation::Role),
    (
        "2026-11-10T10:00:00Z",
        "lab1",
        "P1",
        Explanation::Unexplained,
    ), // past the lab window
];

fn workspace(dir: &Path, context_kind: &str, context: &str, columns: &str) {
    std::fs::write(dir.join("roster.csv"), ROSTER).unwrap();
    std::fs::write(dir.join("patients.csv"), PATIENTS).unwrap();
    std::fs::write(dir.join("context.dat"), context).unwrap();
    let mut acc = String::from("user,mrn,time\n");
    for (t, a, p, _) in CASES {
        acc.push_str(&format!("{a},{p},{t}\n"));
    }
    std::fs::write(dir.join("access.csv"), acc).unwrap();
    write_private(
        &dir.join("vigil.toml"),
        &format!(
            r#"[store]
url = "sqlite://{store}"
[roster]
path = "roster.csv"
[patients]
path = "patients.csv"
[rules.sampling]
enabled = false
[rules.explain]
margin_before = "1h"
margin_after = "1h"
repeat = "30m"

[[source]]
name = "context"
kind = "{context_kind}"
path = "context.dat"
{columns}

[[source]]
name = "ehr"
kind = "access-csv"
path = "access.csv"
[source.columns]
actor = "user"
subject = "mrn"
occurred_at = "time"
"#,
            store = dir.join("v.db").display()
        ),
    );
}

/// A workspace with no encounters and these accesses.
fn no_context(dir: &Path, accesses: &str) {
    workspace(
        dir,
        "adt-csv",
        "visit,mrn,admit,discharge,unit,team\n",
        ADT_COLUMNS,
    );
    std::fs::write(dir.join("access.csv"), accesses).unwrap();
}

/// Every item in the store.
fn all_items(s: &dyn Store) -> Vec<vigil_domain::Item> {
    s.items(&vigil_domain::query::Query::default(), 0).unwrap()
}

/// The one item there must be.
fn only(items: &[vigil_domain::Item]) -> &vigil_domain::Item {
    let titles: Vec<&str> = items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(items.len(), 1, "{titles:#?}");
    &items[0]
}

/// Runs `vigil pull` on the workspace and opens its store.
fn pull(dir: &Path) -> vigil_store::SqliteStore {
    let c = dir.join("vigil.toml");
    let o = vigil(dir, &["--config", c.to_str().unwrap(), "pull"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    common::open_store(&dir.join("v.db"))
}

const ADT_CSV: &str = "visit,mrn,admit,discharge,unit,team
V1,P1,2026-11-02T08:00:00Z,2026-11-02T12:00:00Z,Cardiology,doc1
";
const ADT_COLUMNS: &str = r#"[source.columns]
encounter = "visit"
patient = "mrn"
start = "admit"
end = "discharge"
department = "unit"
team = "team""#;

const FHIR: &str = r#"{"resourceType":"Encounter","id":"V1","status":"finished","class":{"code":"IMP","display":"inpatient"},"subject":{"reference":"Patient/P1"},"participant":[{"individual":{"identifier":{"value":"doc1"},"display":"Dana Reyes"}}],"period":{"start":"2026-11-02T08:00:00Z","end":"2026-11-02T12:00:00Z"},"serviceProvider":{"display":"Cardiology"}}
"#;

fn hl7() -> String {
    // One message per line, segments separated by CR, as many exports are.
    "MSH|^~\\&|ADT|HOSP|VIGIL|HOSP|20261102080000||ADT^A01^ADT_A01|1|P|2.5\rEVN|A01|20261102080000\rPID|1||P1^^^HOSP^MR||Jensen^Carl\rPV1|1|I|Cardiology^1^1||||doc1^Reyes^Dana||||||||||||V1\n\
MSH|^~\\&|ADT|HOSP|VIGIL|HOSP|20261102120000||ADT^A03^ADT_A03|2|P|2.5\rEVN|A03|20261102120000\rPID|1||P1^^^HOSP^MR||Jensen^Carl\rPV1|1|I|Cardiology^1^1||||doc1^Reyes^Dana||||||||||||V1\n"
        .to_owned()
}

/// Pulls the workspace and returns each access's explanation kind.
fn explanations(dir: &Path) -> Vec<(String, String, String, Explanation)> {
    let c = dir.join("vigil.toml");
    let o = vigil(dir, &["--config", c.to_str().unwrap(), "pull"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let s = common::open_store(&dir.join("v.db"));
    let ids: Vec<i64> = events(&s, "source:ehr").iter().map(|e| e.id).collect();
    let by_id: BTreeMap<i64, _> = s
        .explanations(&ids)
        .unwrap()
        .into_iter()
        .map(|x| (x.event_id, x))
        .collect();
    events(&s, "source:ehr")
        .into_iter()
        .map(|e| {
            let x = &by_id[&e.id];
            (
                e.occurred_at.to_rfc3339(),
                x.actor.clone(),
                x.patient.clone(),
                x.kind,
            )
        })
        .collect()
}

fn expected() -> Vec<(String, String, String, Explanation)> {
    let mut v: Vec<_> = CASES
        .iter()
        .map(|(t, a, p, k)| {
            (
                t.parse::<chrono::DateTime<chrono::Utc>>()
                    .unwrap()
                    .to_rfc3339(),
                a.to_string(),
                p.to_string(),
                *k,
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn each_explanation_kind_and_its_near_misses_from_adt_csv() {
    let d = tempfile::tempdir().unwrap();
    workspace(d.path(), "adt-csv", ADT_CSV, ADT_COLUMNS);
    let mut got = explanations(d.path());
    got.sort();
    assert_eq!(got, expected());
}

#[test]
fn fhir_and_hl7_context_explain_as_the_csv_does() {
    for (kind, text) in [("fhir-encounter", FHIR.to_owned()), ("hl7-adt", hl7())] {
        let d = tempfile::tempdir().unwrap();
        workspace(d.path(), kind, &text, "");
        let mut got = explanations(d.path());
        got.sort();
        assert_eq!(got, expected(), "{kind}");
    }
}

#[test]
fn the_detail_of_an_explained_access_says_by_which_encounter() {
    let d = tempfile::tempdir().unwrap();
    workspace(d.path(), "fhir-encounter", FHIR, "");
    explanations(d.path());
    let s = common::open_store(&d.path().join("v.db"));
    let ids: Vec<i64> = events(&s, "actor:doc1").iter().map(|e| e.id).collect();
    let rows: Vec<_> = s
        .explanations(&ids)
        .unwrap()
        .into_iter()
        .filter(|x| x.kind == Explanation::Direct)
        .collect();
    // (stored short; the sentence is made from the encounter when read)
    let notes = vigil_app::screens::explanation_notes(&s, None, &rows).unwrap();
    assert!(
        notes[0].1.contains("on the care team of encounter Encounter/V1, inpatient, Cardiology, 11-02 08:00 UTC–11-02 12:00 UTC"),
        "{notes:?}"
    );
    // …and `events --format json` carries it.
    let c = d.path().join("vigil.toml");
    let o = vigil(
        d.path(),
        &[
            "--config",
            c.to_str().unwrap(),
            "events",
            "--filter",
            "actor:doc1",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let direct: Vec<&serde_json::Value> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["explanation"]["kind"] == "direct")
        .collect();
    assert_eq!(direct.len(), 2, "{v}");
    assert!(
        direct[0]["explanation"]["note"]
            .as_str()
            .unwrap()
            .contains("care team of encounter Encounter/V1"),
        "{v}"
    );
    assert_eq!(direct[0]["explanation"]["encounter"], "Encounter/V1");
}

/// A relationship flag (same surname, after hours) for nurse2 opening Bob
/// Smith's record at 23:00, first with no context, then with an encounter
/// that puts her on the care team.
#[test]
fn a_late_encounter_closes_the_undecided_item_and_notes_the_decided_one() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    no_context(
        dir,
        "user,mrn,time\nnurse2,P3,2026-11-02T23:00:00Z\nonc1,P3,2026-11-03T23:30:00Z\n",
    );
    let c = dir.join("vigil.toml");
    let c = c.to_str().unwrap();
    assert!(vigil(dir, &["--config", c, "pull"]).status.success());
    let open = || common::open_store(&dir.join("v.db"));
    let items = open()
        .items(&vigil_domain::query::Query::default(), 0)
        .unwrap();
    let nurse = items
        .iter()
        .find(|i| i.actor.as_ref().map(|a| a.as_str()) == Some("nurse2"))
        .expect("nurse2's item");
    let onc = items
        .iter()
        .find(|i| i.actor.as_ref().map(|a| a.as_str()) == Some("onc1"))
        .expect("onc1's item");
    // One access, two rules: one case.
    let rules: Vec<&str> = nurse.rules.iter().map(|r| r.rule.as_str()).collect();
    assert!(
        rules.contains(&"same-surname") && rules.contains(&"after-hours"),
        "{rules:?}"
    );
    assert!(
        nurse
            .score_note
            .as_ref()
            .unwrap()
            .as_str()
            .contains("2 reasons"),
        "{:?}",
        nurse.score_note
    );
    let o = vigil(
        dir,
        &[
            "--config",
            c,
            "decide",
            &onc.id.to_string(),
            "-d",
            "false-positive",
            "--note",
            "checked with the unit",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));

    // The documentation arrives: both were on the care team.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("context.dat"))
        .unwrap();
    use std::io::Write;
    writeln!(
        f,
        "V9,P3,2026-11-02T20:00:00Z,2026-11-04T08:00:00Z,Cardiology,nurse2;onc1"
    )
    .unwrap();
    drop(f);
    let o = vigil(dir, &["--config", c, "pull"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = open();
    let nurse = s.item(nurse.id).unwrap().unwrap();
    assert_eq!(nurse.status, Status::Decided);
    assert_eq!(nurse.disposition, Some(vigil_domain::Disposition::Benign));
    let by = s.decisions(nurse.id).unwrap();
    assert_eq!(by[0].reviewer, "vigil-explain");
    assert!(
        by[0]
            .note
            .as_deref()
            .unwrap_or("")
            .contains("explains all 1 of its accesses"),
        "{by:?}"
    );
    let onc_after = s.item(onc.id).unwrap().unwrap();
    assert_eq!(
        onc_after.disposition,
        Some(vigil_domain::Disposition::FalsePositive)
    );
    let history = s.ledger_for(&format!("item:{}", onc.id)).unwrap();
    assert!(
        history
            .iter()
            .any(|h| h.payload.contains("clinical context recorded after")),
        "{history:?}"
    );
}

#[test]
fn one_brute_force_with_a_success_is_one_critical_item() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let mut log = String::new();
    for i in 0..12 {
        log.push_str(&format!(
            "Nov  2 10:00:{i:02} bastion sshd[{}]: Failed password for admin from 203.0.113.9 port {} ssh2\n",
            100 + i,
            40000 + i
        ));
    }
    log.push_str("Nov  2 10:00:30 bastion sshd[200]: Accepted password for admin from 203.0.113.9 port 41000 ssh2\n");
    std::fs::write(dir.join("auth.log"), log).unwrap();
    write_private(
        &dir.join("vigil.toml"),
        &format!(
            "[store]\nurl = \"sqlite://{}\"\n[rules.sampling]\nenabled = false\n[[source]]\nname = \"bastion\"\nkind = \"syslog\"\npath = \"auth.log\"\n",
            dir.join("v.db").display()
        ),
    );
    let c = dir.join("vigil.toml");
    let o = vigil(dir, &["--config", c.to_str().unwrap(), "pull"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = common::open_store(&dir.join("v.db"));
    let items = s.items(&vigil_domain::query::Query::default(), 0).unwrap();
    assert_eq!(
        items.len(),
        1,
        "{:#?}",
        items.iter().map(|i| i.title.as_str()).collect::<Vec<_>>()
    );
    let i = &items[0];
    assert_eq!(i.severity, vigil_domain::Severity::Critical);
    assert!(
        i.title
            .as_str()
            .starts_with("Login after password guessing from 203.0.113.9"),
        "{}",
        i.title.as_str()
    );
    let rules: Vec<&str> = i.rules.iter().map(|r| r.rule.as_str()).collect();
    assert!(
        rules.contains(&"failed-burst") && rules.contains(&"success-after-failures"),
        "{rules:?}"
    );
    assert_eq!(i.event_ids.len(), 13);
}

#[test]
fn a_case_combines_rules_and_sources() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    workspace(
        dir,
        "adt-csv",
        "visit,mrn,admit,discharge,unit,team\n",
        ADT_COLUMNS,
    );
    // Bob Smith's record from the EHR at 23:00, and from a second system
    // (the FHIR server's audit trail, here a second access report).
    std::fs::write(
        dir.join("access.csv"),
        "user,mrn,time\nnurse2,P3,2026-11-02T23:00:00Z\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("second.csv"),
        "user,mrn,time\nnurse2,P2,2026-11-02T15:00:00Z\nnurse2,P3,2026-11-02T23:05:00Z\n",
    )
    .unwrap();
    let mut cfg = std::fs::read_to_string(dir.join("vigil.toml")).unwrap();
    cfg.push_str(
        "\n[[source]]\nname = \"portal\"\nkind = \"access-csv\"\npath = \"second.csv\"\n[source.columns]\nactor = \"user\"\nsubject = \"mrn\"\noccurred_at = \"time\"\n",
    );
    write_private(&dir.join("vigil.toml"), &cfg);
    let s = pull(dir);
    let items = all_items(&s);
    let i = only(&items);
    let rules: Vec<&str> = i.rules.iter().map(|r| r.rule.as_str()).collect();
    assert!(
        rules.contains(&"same-surname") && rules.contains(&"after-hours"),
        "{rules:?}"
    );
    let sources: std::collections::BTreeSet<String> = s
        .events_by_id(&i.event_ids)
        .unwrap()
        .into_iter()
        .map(|(e, _)| e.source.into_string())
        .collect();
    assert_eq!(sources.len(), 2, "{sources:?}");
}

/// nurse2 opens a namesake's record on two days; the first case is decided
/// a violation, so the second is raised a severity and says why.
#[test]
fn a_repeat_offenders_case_is_raised_and_says_so() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    no_context(dir, "user,mrn,time\nnurse2,P3,2026-11-02T10:00:00Z\n");
    let roster = std::fs::read_to_string(dir.join("roster.csv")).unwrap();
    let roster = format!("{roster}E9,Bo Smith,nurse*,Cardiology,07:00-19:00\n");
    std::fs::write(dir.join("roster.csv"), roster).unwrap();
    let c = dir.join("vigil.toml");
    let c = c.to_str().unwrap();
    let s = pull(dir);
    let first = s.items(&vigil_domain::query::Query::default(), 0).unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].severity, vigil_domain::Severity::Medium);
    drop(s);
    let o = vigil(
        dir,
        &[
            "--config",
            c,
            "decide",
            &first[0].id.to_string(),
            "-d",
            "violation",
            "--note",
            "no reason to open it",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("access.csv"))
        .unwrap();
    use std::io::Write;
    writeln!(f, "nurse2,P3,2026-11-05T10:00:00Z").unwrap();
    // (an account whose name reads as a pattern is not nurse2's record)
    writeln!(f, "nurse*,P3,2026-11-05T11:00:00Z").unwrap();
    drop(f);
    assert!(vigil(dir, &["--config", c, "pull"]).status.success());
    let s = common::open_store(&dir.join("v.db"));
    let q = vigil_domain::query::Query::parse("status:new").unwrap();
    let mut second = s.items(&q, 0).unwrap();
    assert_eq!(second.len(), 2, "{second:?}");
    second.sort_by_key(|i| i.actor.as_ref().map(|a| a.as_str().to_owned()));
    assert_eq!(second[0].actor.as_ref().unwrap().as_str(), "nurse*");
    assert_eq!(second[0].severity, vigil_domain::Severity::Medium);
    assert!(second[0].rules.iter().all(|r| r.rule != "repeat-offender"));
    let second = &second[1..];
    assert_eq!(second[0].severity, vigil_domain::Severity::High);
    let why = second[0]
        .rules
        .iter()
        .find(|r| r.rule == "repeat-offender")
        .expect("a repeat-offender reason");
    assert!(
        why.reason
            .as_str()
            .contains("1 earlier item(s) decided as violations"),
        "{}",
        why.reason.as_str()
    );
}

/// Fifteen patients' records in forty-five minutes, none explained: a sweep.
#[test]
fn a_curiosity_sweep_over_unexplained_records_is_one_high_item() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    workspace(dir, "adt-csv", ADT_CSV, ADT_COLUMNS);
    let mut pats = String::from("mrn,name\n");
    let mut acc = String::from("user,mrn,time\n");
    for i in 0..15 {
        pats.push_str(&format!("Q{i},Pat Number{i}\n"));
        acc.push_str(&format!("onc1,Q{i},2026-11-02T10:{:02}:00Z\n", i * 3));
    }
    // (nine is not a sweep: a near miss by another actor)
    for i in 0..9 {
        acc.push_str(&format!("lab1,Q{i},2026-11-02T11:{:02}:00Z\n", i * 3));
    }
    std::fs::write(dir.join("patients.csv"), pats).unwrap();
    std::fs::write(dir.join("access.csv"), acc).unwrap();
    let s = pull(dir);
    let items = all_items(&s);
    let i = only(&items);
    assert_eq!(i.actor.as_ref().map(|a| a.as_str()), Some("onc1"));
    assert_eq!(i.severity, vigil_domain::Severity::High);
    assert!(
        i.rules[0]
            .reason
            .as_str()
            .contains("opened 10 patients' records with no clinical explanation within 60 minutes"),
        "{}",
        i.rules[0].reason.as_str()
    );
    assert_eq!(i.event_ids.len(), 15);
}

/// Dietitians open oncology patients' records all the time, with nothing
/// documented that says so: mining proposes "Nutrition → Oncology", which
/// explains nothing until it is approved (a ledger entry) and then does.
#[test]
fn a_mined_template_does_nothing_until_approved() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let mut roster = String::from(ROSTER);
    let mut context = String::from("visit,mrn,admit,discharge,unit,team\n");
    let mut pats = String::from("mrn,name\n");
    let mut acc = String::from("user,mrn,time\n");
    for r in 0..4 {
        roster.push_str(&format!("R{r},Dee Titian{r},rx{r},Nutrition,07:00-19:00\n"));
    }
    for p in 0..30 {
        pats.push_str(&format!("K{p},Onco Patient{p}\n"));
        context.push_str(&format!(
            "E{p},K{p},2026-11-02T08:00:00Z,2026-11-06T08:00:00Z,Oncology,doc1\n"
        ));
        acc.push_str(&format!(
            "rx{},K{p},2026-11-03T{:02}:{:02}:00Z\n",
            p % 4,
            8 + p / 6,
            (p % 6) * 9
        ));
    }
    // (other departments' patients, so Oncology is not every encounter)
    for p in 0..30 {
        pats.push_str(&format!("C{p},Cardio Patient{p}\n"));
        context.push_str(&format!(
            "F{p},C{p},2026-11-02T08:00:00Z,2026-11-06T08:00:00Z,Cardiology,doc1\n"
        ));
    }
    workspace(dir, "adt-csv", &context, ADT_COLUMNS);
    std::fs::write(dir.join("roster.csv"), roster).unwrap();
    std::fs::write(dir.join("patients.csv"), pats).unwrap();
    std::fs::write(dir.join("access.csv"), acc).unwrap();
    let c = dir.join("vigil.toml");
    let c = c.to_str().unwrap();
    assert!(vigil(dir, &["--config", c, "pull"]).status.success());
    let kinds = || -> Vec<Explanation> {
        let s = common::open_store(&dir.join("v.db"));
        let ids: Vec<i64> = events(&s, "source:ehr").iter().map(|e| e.id).collect();
        s.explanations(&ids)
            .unwrap()
            .into_iter()
            .map(|x| x.kind)
            .collect()
    };
    assert!(kinds().iter().all(|k| *k == Explanation::Unexplained));

    let o = vigil(
        dir,
        &[
            "--config", c, "explain", "mine", "--format", "json", "--days", "100000",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let first = &v.as_array().unwrap()[0];
    assert_eq!(first["template"]["actor_department"], "Nutrition", "{v}");
    assert_eq!(first["template"]["encounter_department"], "Oncology", "{v}");
    assert_eq!(first["accesses"], 30, "{v}");
    assert_eq!(first["actors"], 4, "{v}");
    // Proposed, not approved: a rerun changes nothing.
    assert!(
        vigil(dir, &["--config", c, "rules", "rerun"])
            .status
            .success()
    );
    assert!(kinds().iter().all(|k| *k == Explanation::Unexplained));

    let o = vigil(
        dir,
        &[
            "--config",
            c,
            "explain",
            "approve",
            "--actor-department",
            "Nutrition",
            "--encounter-department",
            "Oncology",
            "--note",
            "oncology dietitians see every patient on chemotherapy",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        vigil(dir, &["--config", c, "rules", "rerun"])
            .status
            .success()
    );
    assert!(
        kinds().iter().all(|k| *k == Explanation::Template),
        "{:?}",
        kinds()
    );
    let s = common::open_store(&dir.join("v.db"));
    let ledger = s.ledger_for("explain-template").unwrap();
    assert_eq!(ledger.len(), 1);
    assert!(
        ledger[0].payload.contains("oncology dietitians"),
        "{}",
        ledger[0].payload
    );
    let o = vigil(dir, &["--config", c, "verify"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

/// With `no_treatment = true`: a clinician's first unexplained access to a
/// patient is an item; a second access to the same patient, an explained
/// access, and a biller's unexplained one are not.
#[test]
fn no_treatment_relationship_is_a_clinicians_first_unexplained_access() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    workspace(dir, "adt-csv", ADT_CSV, ADT_COLUMNS);
    let cfg = std::fs::read_to_string(dir.join("vigil.toml")).unwrap();
    write_private(
        &dir.join("vigil.toml"),
        &cfg.replace(
            "[rules.explain]\n",
            "[rules.explain]\nno_treatment = true\n",
        ),
    );
    std::fs::write(
        dir.join("access.csv"),
        "user,mrn,time\nonc1,P2,2026-11-02T10:00:00Z\nonc1,P2,2026-11-02T10:05:00Z\ndoc1,P1,2026-11-02T10:00:00Z\nbill1,P2,2026-11-02T10:00:00Z\n",
    )
    .unwrap();
    let c = dir.join("vigil.toml");
    let o = vigil(dir, &["--config", c.to_str().unwrap(), "pull"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = common::open_store(&dir.join("v.db"));
    let items = s.items(&vigil_domain::query::Query::default(), 0).unwrap();
    assert_eq!(
        items.len(),
        1,
        "{:?}",
        items.iter().map(|i| i.title.as_str()).collect::<Vec<_>>()
    );
    assert_eq!(items[0].actor.as_ref().map(|a| a.as_str()), Some("onc1"));
    assert_eq!(items[0].rules[0].rule, "no-treatment-relationship");
    assert_eq!(items[0].event_ids.len(), 1);
}

/// What a run remembers comes back in the next one: doc1's direct access
/// at 13:00 makes the 13:20 access of a later pull a repeat, and onc1's
/// contact with P2 yesterday means today's is not a first contact.
#[test]
fn the_next_run_remembers_repeats_and_first_contacts() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    workspace(dir, "adt-csv", ADT_CSV, ADT_COLUMNS);
    let cfg = std::fs::read_to_string(dir.join("vigil.toml")).unwrap();
    write_private(
        &dir.join("vigil.toml"),
        &cfg.replace(
            "[rules.explain]\n",
            "[rules.explain]\nno_treatment = true\n",
        ),
    );
    let first = "user,mrn,time\ndoc1,P1,2026-11-02T13:00:00Z\nonc1,P2,2026-11-02T10:00:00Z\n";
    std::fs::write(dir.join("access.csv"), first).unwrap();
    drop(pull(dir));
    let more = "doc1,P1,2026-11-02T13:20:00Z\nonc1,P2,2026-11-03T10:00:00Z\n";
    std::fs::write(dir.join("access.csv"), format!("{first}{more}")).unwrap();
    let s = pull(dir);
    let evs = events(&s, "source:ehr");
    assert_eq!(evs.len(), 4);
    let ids: Vec<i64> = evs.iter().map(|e| e.id).collect();
    let kinds: BTreeMap<(String, String), Explanation> = s
        .explanations(&ids)
        .unwrap()
        .into_iter()
        .map(|x| ((x.actor.clone(), x.occurred_at.to_rfc3339()), x.kind))
        .collect();
    assert_eq!(
        kinds[&("doc1".to_owned(), "2026-11-02T13:20:00+00:00".to_owned())],
        Explanation::Repeat,
        "{kinds:?}"
    );
    // One no-treatment item: the first contact's, none for the second.
    let items = all_items(&s);
    let onc: Vec<_> = items
        .iter()
        .filter(|i| i.actor.as_ref().map(|a| a.as_str()) == Some("onc1"))
        .collect();
    assert_eq!(onc.len(), 1, "{items:#?}");
    assert_eq!(onc[0].event_ids.len(), 1);
}

/// A workspace where patient P4 is Ann Smith, employee E2 (nurse2 in
/// Cardiology), with one encounter, one more person on the roster and
/// these accesses (`user,mrn,time` rows).
fn colleague_admitted(dir: &Path, encounter: &str, person: &str, accesses: &str) {
    let adt = format!("visit,mrn,admit,discharge,unit,team\n{encounter}\n");
    workspace(dir, "adt-csv", &adt, ADT_COLUMNS);
    std::fs::write(dir.join("roster.csv"), format!("{ROSTER}{person}\n")).unwrap();
    std::fs::write(
        dir.join("patients.csv"),
        "mrn,name,employee_id\nP1,Carl Jensen,\nP4,Ann Smith,E2\n",
    )
    .unwrap();
    std::fs::write(dir.join("access.csv"), format!("user,mrn,time\n{accesses}")).unwrap();
}

/// An access no documentation explains, to a patient in care at the time,
/// raises no co-worker flag from outside the employee's department, and
/// still does from inside it or when the patient was not in care.
#[test]
fn a_coworker_flag_from_another_department_waits_for_a_patient_not_in_care() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    colleague_admitted(
        dir,
        "V2,P4,2026-11-05T08:00:00Z,2026-11-05T12:00:00Z,Oncology,onc1",
        "E7,Ravi Das,ortho1,Orthopedics,07:00-19:00",
        "ortho1,P4,2026-11-05T10:00:00Z
doc1,P4,2026-11-05T10:30:00Z
ortho1,P4,2026-11-09T10:00:00Z
onc1,P4,2026-11-12T09:00:00Z
lab1,P4,2026-11-12T09:30:00Z
ortho1,P4,2026-11-12T10:00:00Z
ortho1,P4,2026-11-14T10:01:00Z
",
    );
    let s = pull(dir);
    let mut got: Vec<(String, String)> = all_items(&s)
        .iter()
        .filter(|i| i.rules.iter().any(|r| r.rule == "coworker"))
        .map(|i| {
            (
                i.actor.as_ref().map(|a| a.to_string()).unwrap_or_default(),
                i.occurred_at.format("%m-%d").to_string(),
            )
        })
        .collect();
    got.sort();
    let want = [
        ("doc1", "11-05"),   // works with the employee: raised though in care
        ("lab1", "11-12"),   // one other person before: not yet in care
        ("onc1", "11-12"),   // nobody before, no encounter open
        ("ortho1", "11-09"), // not in care
        ("ortho1", "11-14"), // the others' accesses are 48 h 31 min before
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, d)| (a.to_string(), d.to_string()))
        .collect();
    assert_eq!(got, want);
}

/// A colleague admitted to their own unit: everyone on the unit has a
/// department explanation for the record. By default that excuses a
/// co-worker finding; with `department_excuses_coworker = false` only the
/// care team does, and a unit colleague off the team is flagged.
#[test]
fn a_department_explanation_does_not_excuse_opening_a_colleagues_record() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    colleague_admitted(
        dir,
        "V3,P4,2026-11-05T08:00:00Z,2026-11-05T12:00:00Z,Cardiology,doc1",
        "E8,Kim Roe,card2,Cardiology,07:00-19:00",
        "doc1,P4,2026-11-05T10:00:00Z
card2,P4,2026-11-05T10:30:00Z
",
    );
    let flagged = |dir: &Path| -> Vec<String> {
        let s = common::open_store(&dir.join("v.db"));
        all_items(&s)
            .iter()
            .filter(|i| i.rules.iter().any(|r| r.rule == "coworker"))
            .map(|i| i.actor.as_ref().map(|a| a.to_string()).unwrap_or_default())
            .collect()
    };
    pull(dir);
    assert!(flagged(dir).is_empty(), "{:?}", flagged(dir));
    let cfg = dir.join("vigil.toml");
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        "repeat = \"30m\"\n",
        "repeat = \"30m\"\ndepartment_excuses_coworker = false\n",
    );
    write_private(&cfg, &text);
    for f in ["v.db", "v.db-wal", "v.db-shm"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    let kinds: Vec<(String, Explanation)> = explanations(dir)
        .into_iter()
        .map(|(_, actor, _, kind)| (actor, kind))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("doc1".to_string(), Explanation::Direct),
            ("card2".to_string(), Explanation::Department),
        ]
    );
    assert_eq!(flagged(dir), vec!["card2".to_string()]);
}

#[test]
fn a_changed_roster_or_patient_file_is_loaded_again_and_an_unchanged_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    no_context(dir.path(), "user,mrn,time\n");
    let hash = |f: &str| {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(
            std::fs::read(dir.path().join(f)).unwrap(),
        ))
    };
    let s = pull(dir.path());
    assert_eq!(s.patients().unwrap().len(), 3);
    assert_eq!(s.meta("roster.sha256").unwrap(), Some(hash("roster.csv")));
    assert_eq!(
        s.meta("patients.sha256").unwrap(),
        Some(hash("patients.csv"))
    );
    drop(s);

    // a patient added: loaded on the next run, the new hash remembered
    let more = format!("{PATIENTS}P4,Ann Lee\n");
    std::fs::write(dir.path().join("patients.csv"), &more).unwrap();
    let s = pull(dir.path());
    assert_eq!(s.patients().unwrap().len(), 4);
    assert_eq!(
        s.meta("patients.sha256").unwrap(),
        Some(hash("patients.csv"))
    );
    drop(s);

    // unchanged: the store's copy is what the rules read, not the file again
    let mut s = common::open_store(&dir.path().join("v.db"));
    s.replace_patients(&[]).unwrap();
    drop(s);
    let s = pull(dir.path());
    assert!(s.patients().unwrap().is_empty());
}
