//! Incremental reading into a real SQLite file and a PostgreSQL database: both header forms, New Year,
//! hostile text, unfinished lines, re-ingest, rotation, truncation and two
//! readers of one file at once.

use crate::common;

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use common::*;
use vigil_app::ingest::pull;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn copy_with_mtime(from: &Path, to: &Path, mtime: &str) {
    fs::copy(from, to).unwrap();
    let t: DateTime<Utc> = mtime.parse().unwrap();
    File::options()
        .write(true)
        .open(to)
        .unwrap()
        .set_modified(t.into())
        .unwrap();
}

fn append(path: &Path, text: &str) {
    OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

fn rfc3164_across_new_year_with_no_trailing_newline(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = store_url_on(b, dir.path()).unwrap();
    let log = dir.path().join("auth.log");
    // The file was last written on Jan 1 2027: Dec 31 lines are 2026.
    copy_with_mtime(
        &fixture("auth-rfc3164-newyear.log"),
        &log,
        "2027-01-01T00:02:00Z",
    );
    let mut s = open_url(&url);
    let src = source(&mut *s, "bastion");
    let r = ingest(&mut *s, &src, &log, true);
    assert_eq!(r.quarantined, 0);
    assert_eq!(r.events, 6 + 2, "3x repeated line adds two");
    let all = events(&*s, "");
    assert_eq!(all[0].occurred_at.to_rfc3339(), "2026-12-31T23:59:58+00:00");
    assert_eq!(all[1].action.as_str(), "sudo");
    assert_eq!(all[1].actor.as_ref().unwrap().as_str(), "alice");
    assert_eq!(all[2].occurred_at.to_rfc3339(), "2027-01-01T00:00:03+00:00");
    // the last line, which has no newline, was taken because ingest is one-shot
    let last = all.last().unwrap();
    assert_eq!(last.action.as_str(), "session-close");
    assert_eq!(count(&*s, "actor:admin outcome:failure"), 4);
}

fn rfc3339_offsets_and_crlf(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = store_url_on(b, dir.path()).unwrap();
    let log = dir.path().join("auth.log");
    fs::copy(fixture("auth-rfc3339.log"), &log).unwrap();
    let mut s = open_url(&url);
    let src = source(&mut *s, "bastion");
    ingest(&mut *s, &src, &log, true);
    let all = events(&*s, "");
    assert_eq!(all.len(), 5);
    let t: Vec<_> = all
        .iter()
        .map(|e| (e.occurred_at.to_rfc3339(), e.time_basis.clone()))
        .collect();
    assert_eq!(
        t[0],
        ("2026-11-26T05:10:02.500+00:00".into(), "explicit".into())
    );
    assert_eq!(t[1].0, "2026-11-26T06:09:25.943276+00:00");
    assert_eq!(
        t[4],
        ("2026-11-26T07:00:00+00:00".into(), "assumed-utc".into())
    );
    let sudo = &all[0];
    assert_eq!(sudo.actor.as_ref().unwrap().as_str(), "bob");
    assert_eq!(sudo.subject.as_ref().unwrap().as_str(), "root");
    assert!(
        !sudo.raw.as_str().ends_with('\r'),
        "CR of CRLF is not part of the record"
    );
}

fn hostile_text_is_stored_neutralized_and_garbage_is_quarantined(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = store_url_on(b, dir.path()).unwrap();
    let log = dir.path().join("auth.log");
    fs::copy(fixture("hostile.log"), &log).unwrap();
    let mut s = open_url(&url);
    let src = source(&mut *s, "bastion");
    let r = ingest(&mut *s, &src, &log, true);
    assert_eq!(r.quarantined, 1);
    assert_eq!(r.events, 8);
    for e in events(&*s, "") {
        for field in [
            Some(e.raw.as_str()),
            e.actor.as_ref().map(|a| a.as_str()),
            e.client.as_ref().map(|a| a.as_str()),
        ]
        .into_iter()
        .flatten()
        {
            assert!(
                !field.chars().any(|c| c.is_control()
                    || ('\u{202A}'..='\u{202E}').contains(&c)
                    || ('\u{2066}'..='\u{2069}').contains(&c)),
                "control character survived in {field:?}"
            );
        }
    }
    let q = s.quarantine(None, 0).unwrap();
    assert_eq!(q.len(), 1);
    assert!(q[0].reason.as_str().contains("no syslog timestamp"));
    assert_eq!(q[0].raw.as_str(), "^[[31mnot a syslog line at all");
    assert!(q[0].offset.unwrap() > 0);
    // the raw bytes are kept exactly in the store, for evidence
    let first = events(&*s, "")[0].id;
    let (_, raw) = s.events_by_id(&[first]).unwrap().remove(0);
    assert!(raw.contains(&0x1b));
    let actors: Vec<String> = events(&*s, "action:invalid-user")
        .iter()
        .map(|e| e.actor.clone().unwrap().into_string())
        .collect();
    assert_eq!(actors[0], "^[]0;owned^G");
    assert_eq!(actors[4], "<U+009B>2J");
    assert_eq!(actors[5], "root^Mfake^H^H^H^@x");
    assert_eq!(actors[6], "<U+202E>nimda<U+2066>x<U+2069>");
}

fn reingesting_the_same_file_stores_nothing_twice(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = store_url_on(b, dir.path()).unwrap();
    let log = dir.path().join("auth.log");
    fs::copy(fixture("auth-rfc3339.log"), &log).unwrap();
    let mut s = open_url(&url);
    let src = source(&mut *s, "bastion");
    assert_eq!(ingest(&mut *s, &src, &log, true).events, 5);
    assert_eq!(ingest(&mut *s, &src, &log, true).events, 0);
    // a copy under another name is the same content: still nothing new
    let copy = dir.path().join("auth.log.copy");
    fs::copy(&log, &copy).unwrap();
    assert_eq!(ingest(&mut *s, &src, &copy, true).events, 0);
    assert_eq!(count(&*s, ""), 5);
}

fn a_live_file_holds_its_unfinished_line_until_the_newline_comes(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = store_url_on(b, dir.path()).unwrap();
    let log = dir.path().join("auth.log");
    fs::write(
        &log,
        "Nov 20 10:00:00 h sshd[1]: Accepted password for a from 10.0.0.1 port 1 ssh2\nNov 20 10:00:01 h sshd[1]: Failed password for b from 10.0",
    )
    .unwrap();
    let mut s = open_url(&url);
    let src = source(&mut *s, "h");
    let glob = dir.path().join("auth.log*").display().to_string();
    pull(&mut *s, &src, &glob, None).unwrap();
    assert_eq!(count(&*s, ""), 1, "the half-written line waits");
    append(&log, ".0.2 port 2 ssh2\n");
    pull(&mut *s, &src, &glob, None).unwrap();
    let all = events(&*s, "");
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].client.as_ref().unwrap().as_str(), "10.0.0.2");
}

fn rotation_by_rename_reads_every_line_once(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = store_url_on(b, dir.path()).unwrap();
    let log = dir.path().join("auth.log");
    let line = |n: u32| {
        format!(
            "Nov 20 10:00:{n:02} h sshd[{n}]: Accepted password for u{n} from 10.0.0.{n} port {n} ssh2\n"
        )
    };
    fs::write(&log, format!("{}{}{}", line(1), line(2), line(3))).unwrap();
    let mut s = open_url(&url);
    let src = source(&mut *s, "h");
    let glob = dir.path().join("auth.log*").display().to_string();
    pull(&mut *s, &src, &glob, None).unwrap();
    assert_eq!(count(&*s, ""), 3);
    // written after the last pull, then rotated away before the next one
    append(&log, &line(4));
    fs::rename(&log, dir.path().join("auth.log.1")).unwrap();
    fs::write(&log, format!("{}{}", line(5), line(6))).unwrap();
    let reports = pull(&mut *s, &src, &glob, None).unwrap();
    assert_eq!(reports.iter().map(|r| r.events).sum::<u64>(), 3);
    let actors: Vec<String> = events(&*s, "")
        .iter()
        .map(|e| e.actor.clone().unwrap().into_string())
        .collect();
    assert_eq!(actors, ["u1", "u2", "u3", "u4", "u5", "u6"]);
    // and again: nothing new
    pull(&mut *s, &src, &glob, None).unwrap();
    assert_eq!(count(&*s, ""), 6);
    assert!(s.gaps(None).unwrap().is_empty());
}

fn truncation_is_recorded_as_a_possible_gap(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = store_url_on(b, dir.path()).unwrap();
    let log = dir.path().join("auth.log");
    let line = |n: u32| {
        format!(
            "Nov 20 10:00:{n:02} h sshd[{n}]: Failed password for u{n} from 10.0.0.{n} port {n} ssh2\n"
        )
    };
    fs::write(&log, format!("{}{}{}", line(1), line(2), line(3))).unwrap();
    let mut s = open_url(&url);
    let src = source(&mut *s, "h");
    let glob = log.display().to_string();
    pull(&mut *s, &src, &glob, None).unwrap();
    // copytruncate: same inode, emptied, then written again
    OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .unwrap();
    append(&log, &line(9));
    let r = pull(&mut *s, &src, &glob, None).unwrap();
    assert_eq!(r[0].gaps, 1);
    assert_eq!(r[0].events, 1);
    let gaps = s.gaps(Some("h")).unwrap();
    assert_eq!(gaps.len(), 1);
    assert!(
        gaps[0].reason.as_str().contains("truncated"),
        "{}",
        gaps[0].reason
    );
    assert_eq!(gaps[0].offset, Some(line(1).len() as u64 * 3));
    assert_eq!(count(&*s, ""), 4);
    // truncated to nothing is noticed too
    OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .unwrap();
    pull(&mut *s, &src, &glob, None).unwrap();
    assert_eq!(s.gaps(Some("h")).unwrap().len(), 2);
}

fn copytruncate_rotation_reads_the_copy_or_records_a_gap(b: Backend) {
    let line = |n: u32| {
        format!(
            "Nov 20 10:{:02}:{:02} h sshd[{n}]: Accepted password for u{n} from 10.0.0.1 port {n} ssh2\n",
            n / 60,
            n % 60
        )
    };
    let lines = |r: std::ops::RangeInclusive<u32>| r.map(line).collect::<String>();
    // Both orders a glob can list the files in, and a glob that does not
    // reach the copy at all.
    // After the truncation the file gets a few lines, or more than it had.
    for (glob_of, copy_name, last) in [
        ("auth.log*", "auth.log.1", 39),
        ("auth.log*", "auth.log-a", 39),
        ("auth.log", "auth.log.1", 39),
        ("auth.log*", "auth.log.1", 99),
        ("auth.log*", "auth.log-a", 99),
        ("auth.log", "auth.log.1", 99),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let url = store_url_on(b, dir.path()).unwrap();
        let log = dir.path().join("auth.log");
        fs::write(&log, lines(1..=30)).unwrap();
        let mut s = open_url(&url);
        let src = source(&mut *s, "h");
        let glob = dir.path().join(glob_of).display().to_string();
        pull(&mut *s, &src, &glob, None).unwrap();
        assert_eq!(count(&*s, ""), 30);
        // written after the last pull; then logrotate copies and truncates
        append(&log, &lines(31..=37));
        fs::copy(&log, dir.path().join(copy_name)).unwrap();
        OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&log)
            .unwrap();
        append(&log, &lines(38..=last));
        pull(&mut *s, &src, &glob, None).unwrap();
        pull(&mut *s, &src, &glob, None).unwrap();
        let mut actors: Vec<u32> = events(&*s, "")
            .iter()
            .map(|e| e.actor.as_ref().unwrap().as_str()[1..].parse().unwrap())
            .collect();
        actors.sort_unstable();
        let mut once = actors.clone();
        once.dedup();
        assert_eq!(once, actors, "{glob_of} {copy_name}: no line twice");
        let missing = (1..=last).filter(|n| !actors.contains(n)).count();
        let gaps = s.gaps(Some("h")).unwrap();
        assert!(
            missing == 0 || !gaps.is_empty(),
            "{glob_of} {copy_name}: {missing} lines lost with no gap recorded"
        );
        assert!(
            (38..=last).all(|n| actors.contains(&n)),
            "the new lines are read"
        );
        if glob_of == "auth.log" {
            assert_eq!(missing, 7, "the copy is out of reach");
            assert!(
                gaps[0].reason.as_str().contains("copytruncate"),
                "{}",
                gaps[0].reason
            );
        }
    }
}

fn two_readers_of_one_file_store_it_once(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = store_url_on(b, dir.path()).unwrap();
    let log = dir.path().join("auth.log");
    let mut text = String::new();
    for n in 0..5000 {
        text.push_str(&format!(
            "Nov 20 10:{:02}:{:02} h sshd[{n}]: Failed password for u{} from 10.0.{}.{} port {n} ssh2\n",
            (n / 60) % 60,
            n % 60,
            n % 50,
            n / 250,
            n % 250
        ));
    }
    fs::write(&log, &text).unwrap();
    {
        let mut s = open_url(&url);
        source(&mut *s, "h");
    }
    let db = url.clone();
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let db = db.clone();
            let log = log.clone();
            std::thread::spawn(move || {
                let mut s = open_url(&db);
                let src = source(&mut *s, "h");
                ingest(&mut *s, &src, &log, true)
            })
        })
        .collect();
    let reports: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let s = open_url(&url);
    assert_eq!(count(&*s, ""), 5000, "{reports:?}");
    assert_eq!(reports.iter().map(|r| r.events).sum::<u64>(), 5000);
}

fn the_store_file_survives_a_reopen_with_its_checkpoints(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = store_url_on(b, dir.path()).unwrap();
    let log = dir.path().join("auth.log");
    fs::copy(fixture("auth-rfc3339.log"), &log).unwrap();
    {
        let mut s = open_url(&url);
        let src = source(&mut *s, "bastion");
        ingest(&mut *s, &src, &log, true);
    }
    let mut s = open_url(&url);
    let status = s.source_status().unwrap();
    assert_eq!(status[0].events, 5);
    assert_eq!(
        status[0].streams[0].offset,
        fs::metadata(&log).unwrap().len()
    );
    let src = source(&mut *s, "bastion");
    assert_eq!(ingest(&mut *s, &src, &log, true).events, 0);
}

/// The sources screen asks for a source's latest quarantined records; the
/// listing keeps them in the order they came.
fn the_latest_quarantined_records_come_newest_first(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some(mut s) = store_on(b, dir.path()) else {
        return;
    };
    let log = dir.path().join("auth.log");
    fs::write(
        &log,
        "first garbage\n\
         Nov 21 08:00:00 bastion sshd[10]: Accepted publickey for ann from 10.0.0.9 port 4000 ssh2\n\
         second garbage\n\
         third garbage\n",
    )
    .unwrap();
    let src = source(&mut *s, "bastion");
    assert_eq!(ingest(&mut *s, &src, &log, true).quarantined, 3);
    let raw = |q: Vec<vigil_store::QuarantineRow>| -> Vec<String> {
        q.into_iter().map(|r| r.raw.into_string()).collect()
    };
    assert_eq!(
        raw(s.latest_quarantine("bastion", 2).unwrap()),
        ["third garbage", "second garbage"]
    );
    assert_eq!(
        raw(s.quarantine(Some("bastion"), 0).unwrap()),
        ["first garbage", "second garbage", "third garbage"]
    );
    assert!(s.latest_quarantine("nowhere", 2).unwrap().is_empty());
}

fn every_access_is_found_by_its_patient(b: Backend) {
    // More accesses than one statement indexes at a time (and a remainder),
    // over patients whose keys sort apart from their MRNs.
    let dir = tempfile::tempdir().unwrap();
    let Some(mut s) = store_on(b, dir.path()) else {
        return;
    };
    let src = ehr_source(&mut *s);
    let mut csv = String::from("user,mrn,time,action,workstation\n");
    let mut expected: std::collections::BTreeMap<String, usize> = Default::default();
    for i in 0..1_003 {
        let mrn = format!("{}", 100_000 + (i * 7) % 13);
        *expected.entry(mrn.clone()).or_default() += 1;
        csv.push_str(&format!(
            "nurse{},{mrn},2026-11-20 {:02}:{:02}:00,view chart,WS-1\n",
            i % 5,
            8 + i / 60 % 10,
            i % 60
        ));
    }
    let f = dir.path().join("access.csv");
    fs::write(&f, csv).unwrap();
    assert_eq!(ingest(&mut *s, &src, &f, true).events, 1_003);
    let (from, to): (DateTime<Utc>, DateTime<Utc>) = (
        "2026-11-20T00:00:00Z".parse().unwrap(),
        "2026-11-21T00:00:00Z".parse().unwrap(),
    );
    for (mrn, n) in expected {
        let ids = s.patient_event_ids(&mrn, from, to).unwrap();
        assert_eq!(ids.len(), n, "{mrn}");
        assert_eq!(count(&*s, &format!("subject:{mrn}")), n as u64, "{mrn}");
    }
}

on_both_stores!(
    every_access_is_found_by_its_patient,
    the_latest_quarantined_records_come_newest_first,
    rfc3164_across_new_year_with_no_trailing_newline,
    rfc3339_offsets_and_crlf,
    hostile_text_is_stored_neutralized_and_garbage_is_quarantined,
    reingesting_the_same_file_stores_nothing_twice,
    a_live_file_holds_its_unfinished_line_until_the_newline_comes,
    rotation_by_rename_reads_every_line_once,
    truncation_is_recorded_as_a_possible_gap,
    copytruncate_rotation_reads_the_copy_or_records_a_gap,
    two_readers_of_one_file_store_it_once,
    the_store_file_survives_a_reopen_with_its_checkpoints,
);
