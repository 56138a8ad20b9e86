//! The roles of a shared PostgreSQL store, set up with the SQL `vigil store
//! grants` prints: the application role is neither owner nor superuser, the
//! ledger and decisions are INSERT-only for everyone, and only the sanctions
//! role sees or records sanctions, whatever vigil's own policy says.

use crate::common;

use chrono::Utc;
use common::*;
use vigil_domain::{Disposition, ItemKind, Severity};
use vigil_review::{Act, NewSanction, Policy, Reviewer, ops};
use vigil_store::NewItem;
use vigil_store::pg_grants::{Roles, grants_sql};

/// The test URL with another login role.
fn as_role(url: &str, role: &str) -> String {
    url.replacen("postgres@", &format!("{role}@"), 1)
}

fn raw(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap()
}

/// Why PostgreSQL refused a statement, or `None` if it ran.
fn refused(url: &str, sql: &str) -> Option<String> {
    raw(url).batch_execute(sql).err().map(|e| {
        e.as_db_error()
            .map(|d| d.message().to_owned())
            .unwrap_or(e.to_string())
    })
}

fn who(name: &str) -> Reviewer {
    Reviewer {
        name: name.into(),
        session: "s".into(),
    }
}

#[test]
fn roles_keep_the_ledger_append_only_and_sanctions_to_their_role() {
    let Some(owner) = pg_url() else { return };
    drop(open_url(&owner)); // migrated by the owner
    let schema = owner.rsplit("%3D").next().unwrap().to_owned();
    let p = std::process::id();
    let (app, alice, bob, hr) = (
        format!("vigil_t{p}_app"),
        format!("vigil_t{p}_alice"),
        format!("vigil_t{p}_bob"),
        format!("vigil_t{p}_hr"),
    );
    let sql = grants_sql(&Roles {
        schema: schema.clone(),
        app: app.clone(),
        reviewers: vec![alice.clone(), bob.clone()],
        sanctions: hr.clone(),
        sanction_viewers: vec![bob.clone()],
    })
    .unwrap();
    raw(&owner).batch_execute(&sql).unwrap();

    // the application role pulls and raises items; it owns nothing
    let app_url = as_role(&owner, &app);
    let mut s = open_url(&app_url);
    let src = source(&mut *s, "bastion");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    std::fs::write(
        &log,
        "Nov 20 23:14:00 ehr sshd[1]: Accepted password for nurse1 from 10.0.0.7 port 2 ssh2\n",
    )
    .unwrap();
    assert_eq!(ingest(&mut *s, &src, &log, true).events, 1);
    let items: Vec<NewItem> = (0..3)
        .map(|i| NewItem {
            kind: ItemKind::Finding,
            source_id: Some(src.id),
            occurred_at: Utc::now(),
            actor: Some(format!("user{i}")),
            subject: None,
            title: format!("finding {i}"),
            severity: Severity::High,
            group_key: Some(format!("roles:{i}")),
            rules: vec![("after-hours".into(), "at 23:14".into())],
            event_ids: vec![1],
            score: 0,
            score_note: None,
        })
        .collect();
    s.add_items(&items).unwrap();
    let mut c = raw(&app_url);
    let r = c
        .query_one(
            "SELECT rolsuper, (SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'ledger') FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .unwrap();
    assert!(!r.get::<_, bool>(0), "the application role is no superuser");
    assert_ne!(r.get::<_, String>(1), app, "nor the tables' owner");
    for sql in [
        "UPDATE ledger SET actor = 'x'",
        "DELETE FROM ledger",
        "UPDATE decisions SET note = 'x'",
        "DELETE FROM decisions",
        "DELETE FROM items",
        "DELETE FROM events",
        // day partitions go only by the owner's prune
        "DROP TABLE events_kept",
        "ALTER TABLE events DETACH PARTITION events_kept",
    ] {
        let why = refused(&app_url, sql).unwrap_or_else(|| panic!("{sql} ran as the app"));
        assert!(
            why.contains("permission denied") || why.contains("must be owner"),
            "{sql}: {why}"
        );
    }

    // a reviewer decides; the history is theirs to add to, not to change
    let alice_url = as_role(&owner, &alice);
    let mut a = open_url(&alice_url);
    let decide = Act::Decide {
        disposition: Disposition::Benign,
        note: Some("on call".into()),
        reopen: false,
    };
    let policy = Policy {
        // vigil's own policy would let alice: the database does not
        sanction_viewers: vec![alice.clone(), bob.clone()],
        ..Policy::default()
    };
    let out = ops::apply(
        &mut *a,
        &policy,
        &who(&alice),
        Utc::now(),
        &[1],
        &decide,
        None,
    )
    .unwrap();
    assert!(
        matches!(out[0], vigil_review::ActOutcome::Done { .. }),
        "{out:?}"
    );
    for sql in [
        "UPDATE decisions SET note = 'nothing to see'",
        "DELETE FROM decisions",
        "UPDATE ledger SET actor = 'x'",
        "DELETE FROM ledger",
        "TRUNCATE ledger",
        "DELETE FROM items",
        "UPDATE events SET actor_id = NULL",
        "INSERT INTO events (source_id, stream_id, \"offset\", seq, occurred_at, time_basis, action, outcome, raw) VALUES (1, 1, 0, 0, 0, 0, 'x', 'x', '')",
        // only ingest makes day partitions
        "SELECT vigil_add_day(1)",
    ] {
        let why = refused(&alice_url, sql).unwrap_or_else(|| panic!("{sql} ran as a reviewer"));
        assert!(why.contains("permission denied"), "{sql}: {why}");
    }
    assert_eq!(a.verify_ledger().unwrap().broken, None);

    // sanctions: bob (in the sanctions role) records one; alice sees none
    // and cannot record one, whatever vigil's policy says
    let sanction = NewSanction {
        member: "user0".into(),
        category: "snooping".into(),
        tier: "2".into(),
        sanction: "written warning".into(),
        decided_on: "2026-11-20".into(),
        incident_id: None,
        decision_ids: vec![],
        notice_sent: true,
        note: None,
        confirm_inconsistent: false,
    };
    let mut b = open_url(&as_role(&owner, &bob));
    ops::add_sanction(&mut *b, &policy, &who(&bob), Utc::now(), &sanction).unwrap();
    assert_eq!(
        ops::list_sanctions(&*b, &policy, &who(&bob)).unwrap().len(),
        1
    );
    assert_eq!(
        ops::list_sanctions(&*a, &policy, &who(&alice))
            .unwrap()
            .len(),
        0
    );
    let denied = ops::add_sanction(&mut *a, &policy, &who(&alice), Utc::now(), &sanction);
    let why = format!("{:#}", denied.unwrap_err());
    assert!(why.contains("row-level security"), "{why}");
    assert_eq!(b.verify_ledger().unwrap().broken, None);

    // clean up the roles (they are the server's, not this database's)
    drop((s, a, b, c));
    let mut o = raw(&owner);
    o.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
    for role in [&app, &alice, &bob, &hr, &format!("{app}_reviewers")] {
        let _ = o.batch_execute(&format!("DROP OWNED BY \"{role}\"; DROP ROLE \"{role}\""));
    }
}
