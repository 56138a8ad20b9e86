//! The risk register on both stores: ratings on the configured scales,
//! every change a ledger entry, and the register as it stood on a past date.

use crate::common;

use chrono::{DateTime, NaiveDate, Utc};
use common::*;
use vigil_review::Reviewer;
use vigil_review::risk::{self, RiskChange, Scales};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn who(name: &str) -> Reviewer {
    Reviewer {
        name: name.into(),
        session: "s".into(),
    }
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn the_register_keeps_its_history(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store_on(b, dir.path()).unwrap();
    let scales = Scales::default();
    let ehr = risk::add(
        &mut *s,
        &scales,
        &who("po"),
        at("2026-10-01T09:00:00Z"),
        &RiskChange {
            asset: Some("EHR database".into()),
            sources: Some(vec!["ehr-db".into(), "ehr-access".into()]),
            threat: Some("insider snooping".into()),
            vulnerability: Some("broad read grants".into()),
            likelihood: Some("likely".into()),
            impact: Some("5".into()),
            safeguards: vec!["daily access review".into()],
            planned: vec![(
                "row-level grants".into(),
                Some("dba".into()),
                Some(day("2027-01-31")),
            )],
            owner: Some("privacy officer".into()),
            next_review: Some(day("2027-03-01")),
            ..RiskChange::default()
        },
    )
    .unwrap();
    assert_eq!((ehr.likelihood, ehr.impact, ehr.inherent()), (4, 5, 20));
    assert_eq!(scales.level(ehr.inherent()), "critical");
    let bastion = risk::add(
        &mut *s,
        &scales,
        &who("po"),
        at("2026-10-20T09:00:00Z"),
        &RiskChange {
            asset: Some("bastion".into()),
            threat: Some("password guessing".into()),
            vulnerability: Some("password logins allowed".into()),
            likelihood: Some("almost-certain".into()),
            impact: Some("minor".into()),
            ..RiskChange::default()
        },
    )
    .unwrap();

    // a month on: the safeguards are assessed and the residual accepted
    let change = RiskChange {
        residual_likelihood: Some("possible".into()),
        residual_impact: Some("major".into()),
        treatment: Some("accept".into()),
        accept: true,
        ..RiskChange::default()
    };
    let later = risk::update(
        &mut *s,
        &scales,
        &who("ciso"),
        at("2026-11-01T09:00:00Z"),
        ehr.id,
        &change,
    )
    .unwrap();
    assert_eq!(later.residual(), Some(12));
    assert_eq!(scales.level(12), "high");
    assert_eq!(later.accepted_by.as_deref(), Some("ciso"));
    assert_eq!(later.accepted_on, Some(day("2026-11-01")));
    assert_eq!(later.rating(), 12);

    // now
    let now = s.risks().unwrap();
    assert_eq!(now.len(), 2);
    assert_eq!(now[0], later);
    assert_eq!(now[0].sources, ["ehr-db", "ehr-access"]);
    assert_eq!(now[0].safeguards.len(), 2);
    assert!(now[0].safeguards[1].planned);
    // as it stood on 15 October: one risk, not yet assessed or accepted
    let then = risk::as_of(&*s, day("2026-10-15")).unwrap();
    assert_eq!(then.len(), 1);
    assert_eq!(then[0], ehr);
    assert_eq!(then[0].residual(), None);
    assert_eq!(then[0].accepted_by, None);
    // on the last day of October: both, the first still unaccepted
    let end_oct = risk::as_of(&*s, day("2026-10-31")).unwrap();
    assert_eq!(
        end_oct.iter().map(|r| r.id).collect::<Vec<_>>(),
        [ehr.id, bastion.id]
    );
    assert_eq!(end_oct[0].treatment, None);
    assert!(risk::as_of(&*s, day("2026-09-30")).unwrap().is_empty());
    assert_eq!(risk::as_of(&*s, day("2026-11-01")).unwrap()[0], later);

    // every change is in the ledger, which verifies
    let history = s.ledger_for(&format!("risk:{}", ehr.id)).unwrap();
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["risk.add", "risk.accept"]);
    assert_eq!(history[1].actor, "ciso");
    assert_eq!(s.verify_ledger().unwrap().broken, None);
}

fn what_the_register_refuses(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store_on(b, dir.path()).unwrap();
    let scales = Scales::default();
    let t = at("2026-11-01T09:00:00Z");
    let base = RiskChange {
        asset: Some("a".into()),
        threat: Some("t".into()),
        vulnerability: Some("v".into()),
        likelihood: Some("2".into()),
        impact: Some("2".into()),
        ..RiskChange::default()
    };
    let err = |r: color_eyre::Result<vigil_store::Risk>| r.unwrap_err().to_string();
    assert!(
        err(risk::add(
            &mut *s,
            &scales,
            &who("po"),
            t,
            &RiskChange {
                likelihood: Some("6".into()),
                ..base.clone()
            }
        ))
        .contains("use 1-5 or one of rare")
    );
    assert!(
        err(risk::add(
            &mut *s,
            &scales,
            &who("po"),
            t,
            &RiskChange {
                threat: None,
                ..base.clone()
            }
        ))
        .contains("needs --threat")
    );
    assert!(
        err(risk::add(
            &mut *s,
            &scales,
            &who("po"),
            t,
            &RiskChange {
                planned: vec![("x".into(), None, None)],
                ..base.clone()
            }
        ))
        .contains("owner and a due date")
    );
    let r = risk::add(&mut *s, &scales, &who("po"), t, &base).unwrap();
    let accept = RiskChange {
        accept: true,
        ..RiskChange::default()
    };
    assert!(
        err(risk::update(&mut *s, &scales, &who("po"), t, r.id, &accept))
            .contains("assess the residual")
    );
    let treat = RiskChange {
        treatment: Some("ignore".into()),
        ..RiskChange::default()
    };
    assert!(
        err(risk::update(&mut *s, &scales, &who("po"), t, r.id, &treat))
            .contains("mitigate, accept")
    );
    assert!(err(risk::update(&mut *s, &scales, &who("po"), t, 99, &treat)).contains("no risk 99"));
    // refusals changed nothing
    assert_eq!(s.ledger_for(&format!("risk:{}", r.id)).unwrap().len(), 1);
    // custom scales: three levels each, by name or number
    let three = Scales {
        likelihood: vec!["low".into(), "medium".into(), "high".into()],
        impact: vec!["low".into(), "medium".into(), "high".into()],
    };
    assert_eq!(three.parse("likelihood", "High").unwrap(), 3);
    assert_eq!(three.parse("impact", "2").unwrap(), 2);
    assert_eq!(three.level(9), "critical");
    assert_eq!(three.level(1), "low");
}

on_both_stores!(the_register_keeps_its_history, what_the_register_refuses);
