//! The syslog kind over real auth logs from ../shared/corpus (read in place:
//! their licence does not allow copying them here), checked against counts
//! made independently of vigil's parser.

use crate::common;

use common::*;

#[test]
fn openssh_sample_counts_match_an_independent_count() {
    let Some(corpus) = corpus() else { return };
    let file = corpus.join("openssh/OpenSSH_2k.log");
    let text = std::fs::read_to_string(&file).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(dir.path());
    let src = source(&mut s, "labsz");
    let r = ingest(&mut s, &src, &file, true);

    // Independent count: sshd's "Failed <method>" lines (password, none),
    // with each "message repeated N times" line standing for N.
    let mut failed = 0u64;
    for line in text.lines() {
        if !line.contains(": Failed ") && !line.contains("[ Failed ") {
            continue;
        }
        if let Some(rest) = line.split("message repeated ").nth(1) {
            failed += rest.split(' ').next().unwrap().parse::<u64>().unwrap();
        } else {
            failed += 1;
        }
    }
    let repeats_extra = 8; // two lines that each stand for five
    assert_eq!(failed, 532);
    assert_eq!(count(&s, "action:login outcome:failure"), failed);
    // Every line is an event (the last one has no newline and is kept).
    assert_eq!(r.quarantined, 0);
    assert_eq!(r.events, 2000 + repeats_extra);
    let invalid = text
        .lines()
        .filter(|l| l.contains(": Invalid user "))
        .count() as u64;
    let prompt = text
        .lines()
        .filter(|l| l.contains("input_userauth_request: invalid user"))
        .count() as u64;
    assert_eq!(count(&s, "action:invalid-user"), invalid + prompt);
    let accepted = text
        .lines()
        .filter(|l| l.contains("Accepted password"))
        .count() as u64;
    assert_eq!(count(&s, "action:login outcome:success"), accepted);
}

#[test]
fn openssh_sample_fields_of_specific_records() {
    let Some(corpus) = corpus() else { return };
    let file = corpus.join("openssh/OpenSSH_2k.log");
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(dir.path());
    let src = source(&mut s, "labsz");
    ingest(&mut s, &src, &file, true);
    let all = events(&s, "");
    // Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!
    let first = &all[0];
    assert_eq!(
        first.occurred_at.format("%m-%d %H:%M:%S").to_string(),
        "12-10 06:55:46"
    );
    assert_eq!(first.time_basis, "assumed-utc+year-inferred");
    assert_eq!(first.host.as_ref().unwrap().as_str(), "LabSZ");
    assert_eq!(first.action.as_str(), "probe");
    assert_eq!(first.client.as_ref().unwrap().as_str(), "173.234.31.186");
    // Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186
    let e = &all[1];
    assert_eq!(e.action.as_str(), "invalid-user");
    assert_eq!(e.actor.as_ref().unwrap().as_str(), "webmaster");
    assert_eq!(e.outcome.as_str(), "failure");
    // the only successful login in the sample
    let ok = events(&s, "action:login outcome:success");
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0].actor.as_ref().unwrap().as_str(), "fztu");
    assert_eq!(ok[0].client.as_ref().unwrap().as_str(), "119.137.62.142");
    // the guessing burst from 183.62.140.253 is there, attributed to root
    let burst = events(
        &s,
        "client:183.62.140.253 action:login outcome:failure actor:root",
    );
    assert!(burst.len() >= 10, "{}", burst.len());
}

#[test]
fn linux_sample_matches_loghub_structured_csv() {
    let Some(corpus) = corpus() else { return };
    let file = corpus.join("linux-syslog/Linux_2k.log");
    let mut rdr =
        csv::Reader::from_path(corpus.join("linux-syslog/Linux_2k.log_structured.csv")).unwrap();
    let mut sshd_pam = 0u64;
    let mut su_pam = 0u64;
    let mut auth_fail = 0u64;
    let mut rows = 0u64;
    for rec in rdr.records() {
        let rec = rec.unwrap();
        rows += 1;
        // (Loghub's "Level" column holds the host; "Component" the tag.)
        let component = &rec[5];
        let content = &rec[7];
        match component {
            "sshd(pam_unix)" => sshd_pam += 1,
            "su(pam_unix)" => su_pam += 1,
            _ => {}
        }
        if component.ends_with("(pam_unix)")
            && (content.starts_with("authentication failure;")
                || content.starts_with("check pass; user unknown"))
        {
            auth_fail += 1;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(dir.path());
    let src = source(&mut s, "combo");
    let r = ingest(&mut s, &src, &file, true);
    assert_eq!(r.events + r.quarantined, rows);
    assert_eq!(r.quarantined, 0);
    assert_eq!(count(&s, "program:sshd"), sshd_pam);
    assert_eq!(count(&s, "program:su"), su_pam);
    assert_eq!(count(&s, "action:auth outcome:failure"), auth_fail);
    // Jun 15 02:04:59 combo sshd(pam_unix)[20882]: authentication failure; ... rhost=220-135-151-1.hinet-ip.hinet.net  user=root
    let e = events(&s, "client:220-135-151-1.hinet-ip.hinet.net actor:root");
    assert!(!e.is_empty());
    assert_eq!(
        e[0].occurred_at.format("%m-%d %H:%M:%S").to_string(),
        "06-15 02:04:59"
    );
    // su sessions name who became whom
    let su = events(&s, "program:su action:session-open");
    assert!(!su.is_empty());
}

#[test]
fn beats_auth_samples() {
    let Some(corpus) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(dir.path());
    let src = source(&mut s, "beats");
    ingest(
        &mut s,
        &src,
        &corpus.join("linux-syslog/beats__system-auth-test__test.log"),
        true,
    );
    ingest(
        &mut s,
        &src,
        &corpus.join("linux-syslog/beats__system-auth-test__timestamp.log"),
        true,
    );
    let sudo = events(&s, "action:sudo actor:vagrant");
    assert_eq!(sudo[0].subject.as_ref().unwrap().as_str(), "root");
    let pk = events(&s, "action:login outcome:success client:10.0.2.2");
    assert_eq!(pk[0].actor.as_ref().unwrap().as_str(), "vagrant");
    // 2019-06-14T13:01:15.412+01:30 localhost pam: user nobody logged out.
    let out = events(&s, "action:logout");
    assert_eq!(
        out[0].occurred_at.to_rfc3339(),
        "2019-06-14T11:31:15.412+00:00"
    );
    assert_eq!(out[0].time_basis, "explicit");
}
