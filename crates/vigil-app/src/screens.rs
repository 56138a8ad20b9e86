//! The data of each screen: a queue item's detail (with the patient names
//! it may show, for masking), and the rows of the screens other than the
//! queue, already neutralized for display. Front ends draw these and never
//! query the store themselves.

use chrono::Utc;
use color_eyre::eyre::Result;

use crate::config::Config;
use vigil_domain::ledger::Entity;
use vigil_domain::query::Query;
use vigil_domain::{Event, Item, SafeText};
use vigil_review::{Reviewer, ops};
use vigil_store::{DecisionRow, LedgerEntry};

/// Everything about one item the detail pane shows.
#[derive(Debug, Clone)]
pub struct Detail {
    pub item: Item,
    pub events: Vec<Event>,
    pub decisions: Vec<DecisionRow>,
    pub history: Vec<LedgerEntry>,
    /// The same actor's other activity within an hour of the item.
    pub related: Vec<Event>,
    /// Patients' identifiers and names this detail may show (from the
    /// store's demographics): masked with the subject until revealed.
    pub phi: Vec<String>,
    /// Each shown access's explanation (event id, the sentence).
    pub explanations: Vec<(i64, SafeText)>,
}

/// The screens, in the order `1..6` and `[` `]` reach them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Queue,
    Incidents,
    Sources,
    Sanctions,
    Coverage,
    Risks,
    /// The effectiveness measures of the last 30 days.
    Dashboard,
    /// Each host's day: logins, failures, refusals, changes, unclassified.
    Hosts,
    /// The result of an investigation opened from an item (not a tab: it
    /// is asked for with a reason, and each run is a ledger entry).
    Investigation,
}

impl Screen {
    pub const ALL: [Screen; 8] = [
        Screen::Queue,
        Screen::Incidents,
        Screen::Sources,
        Screen::Sanctions,
        Screen::Coverage,
        Screen::Risks,
        Screen::Dashboard,
        Screen::Hosts,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Screen::Queue => "queue",
            Screen::Incidents => "incidents",
            Screen::Sources => "sources",
            Screen::Sanctions => "sanctions",
            Screen::Coverage => "coverage",
            Screen::Risks => "risks",
            Screen::Dashboard => "dashboard",
            Screen::Hosts => "hosts",
            Screen::Investigation => "investigation",
        }
    }
}

/// What the screens other than the queue show: rows of text, already safe.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Listing {
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    /// Said instead of rows when there is nothing (or nothing yet).
    pub empty: String,
    /// What is drawn above the rows, made from the same numbers.
    pub pictures: Vec<Picture>,
}

/// The rule and source names a filter may use, for refusing a typo.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FilterNames {
    /// Whether the names below were read (the screen's are not, at first).
    pub loaded: bool,
    pub rules: Vec<String>,
    pub sources: Vec<String>,
}

impl FilterNames {
    /// Every rule there is (and the item kinds no rule raises: tickets and
    /// the random sample), and every source the store has seen.
    pub fn of(store: &dyn vigil_store::Store) -> Result<FilterNames> {
        let mut rules: Vec<String> = vigil_rules::rule_ids()
            .iter()
            .map(|r| r.to_string())
            .collect();
        rules.extend(["ticket".to_owned(), "sample".to_owned()]);
        let mut sources: Vec<String> = store
            .source_status()?
            .into_iter()
            .map(|s| s.name.into_string())
            .collect();
        sources.sort();
        sources.dedup();
        Ok(FilterNames {
            loaded: true,
            rules,
            sources,
        })
    }

    /// Refuses a `rule:` or `source:` that names nothing there is, listing
    /// what there is (nothing is checked before the names are read).
    pub fn check(&self, q: &Query) -> std::result::Result<(), String> {
        if !self.loaded {
            return Ok(());
        }
        for (field, known) in [("rule", &self.rules), ("source", &self.sources)] {
            if let Some(e) = q.unknown_name(field, known) {
                return Err(e);
            }
        }
        Ok(())
    }
}

/// A picture a screen draws above its rows. Plain numbers: the front end
/// chooses the widget, and every picture stays readable without colour.
#[derive(Debug, Clone, PartialEq)]
pub enum Picture {
    /// Shares out of 100 (label, percent; `None` when there is nothing
    /// to measure yet).
    Gauges(Vec<(String, Option<f64>)>),
    /// Labelled bars, in order, one a line (findings per rule).
    Bars {
        title: String,
        bars: Vec<(String, u64)>,
    },
    /// Counts over time, oldest first, drawn upright with the first and
    /// last label under them (events per day).
    Histogram {
        title: String,
        bars: Vec<(String, u64)>,
    },
    /// One line of values per series, oldest first (events per source
    /// per day).
    Sparks {
        title: String,
        series: Vec<(String, Vec<u64>)>,
    },
    /// Counts in a grid, rows top to bottom (the risk register's
    /// likelihood × impact); `level` names each cell's band.
    Grid {
        title: String,
        rows: Vec<String>,
        columns: Vec<String>,
        cells: Vec<Vec<(u64, &'static str)>>,
    },
}

/// Patient names by identifier, from the store's demographics.
pub struct Patients(std::collections::HashMap<String, String>);

impl Patients {
    pub fn of(store: &dyn vigil_store::Store) -> Result<Patients> {
        Ok(Patients(
            store
                .patients()?
                .into_iter()
                .map(|p| (p.mrn, p.name))
                .collect(),
        ))
    }
}

/// An item with what the detail pane shows of it: its events, the same
/// actor's other activity within an hour, its decisions and history, and
/// the patient identifiers and names all of that may show.
pub fn load_detail(
    store: &dyn vigil_store::Store,
    patients: &Patients,
    zone: Option<chrono_tz::Tz>,
    id: i64,
) -> Result<Option<Detail>> {
    let Some(item) = store.item(id)? else {
        return Ok(None);
    };
    let ids: Vec<i64> = item.event_ids.iter().take(50).copied().collect();
    let events: Vec<vigil_domain::Event> = store
        .events_by_id(&ids)?
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    let related = match &item.actor {
        Some(a) => {
            let hour = chrono::Duration::hours(1);
            let q = Query::default()
                .field("actor", a.as_str())
                .after(item.occurred_at - hour)
                .before(item.occurred_at + hour);
            let mut v = Vec::new();
            store.for_each_event(&q, 40, &mut |e| {
                if !item.event_ids.contains(&e.id) {
                    v.push(e);
                }
                Ok(())
            })?;
            v
        }
        None => Vec::new(),
    };
    let mut phi = Vec::new();
    // A patient's identifier may be in the text as well as the subject (a
    // logged statement's `WHERE mrn = 100478`): every token of the text the
    // detail shows is looked up too.
    let shown = events
        .iter()
        .chain(&related)
        .flat_map(|e| [Some(&e.raw), e.detail.as_ref()].into_iter().flatten())
        .chain([&item.title]);
    let mut mentioned: Vec<&str> = Vec::new();
    for text in shown {
        mentioned.extend(
            text.as_str()
                .split(|c: char| !c.is_alphanumeric() && c != '-' && c != '_')
                .filter(|w| patients.0.contains_key(*w)),
        );
    }
    let subjects = item
        .subject
        .iter()
        .chain(
            events
                .iter()
                .chain(&related)
                .filter_map(|e| e.subject.as_ref()),
        )
        .map(|s| s.as_str())
        .chain(mentioned);
    for s in subjects {
        if let Some(name) = patients.0.get(s) {
            phi.push(s.to_owned());
            phi.push(name.clone());
            // a surname or given name alone, as a reason or a raw line names it
            phi.extend(
                name.split([' ', ','])
                    .filter(|w| w.chars().count() > 2)
                    .map(str::to_owned),
            );
        }
    }
    phi.sort_unstable();
    phi.dedup();
    let explanations = explanation_notes(store, zone, &store.explanations(&ids)?)?
        .into_iter()
        .map(|(id, n)| (id, SafeText::new(&n)))
        .collect();
    Ok(Some(Detail {
        explanations,
        decisions: store.decisions(id)?,
        history: store.ledger_for(&Entity::Item(id).to_string())?,
        item,
        events,
        related,
        phi,
    }))
}

/// Each explanation's sentence: as stored, or made from the encounter it
/// names (an explanation by an encounter stores only its role).
pub fn explanation_notes(
    store: &dyn vigil_store::Store,
    zone: Option<chrono_tz::Tz>,
    rows: &[vigil_domain::Explained],
) -> Result<Vec<(i64, String)>> {
    let mut by_patient: std::collections::HashMap<&str, Vec<vigil_domain::Encounter>> =
        std::collections::HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for x in rows {
        let note = match &x.encounter {
            Some(key) if x.needs_sentence() => {
                if !by_patient.contains_key(x.patient.as_str()) {
                    by_patient.insert(&x.patient, store.context_of(&x.patient)?);
                }
                match by_patient[x.patient.as_str()]
                    .iter()
                    .find(|e| &e.key == key)
                {
                    Some(enc) => x.sentence(enc, zone),
                    None => format!("explained ({}) by {key}, no longer in the context", x.kind),
                }
            }
            _ => x.note.clone(),
        };
        out.push((x.event_id, note));
    }
    Ok(out)
}

/// An incident update as typed on the incidents screen:
/// `status=contained assignee=bob outcome=host reimaged risk=no note=…`.
/// A value runs to the next `key=`; text with no key is a note.
pub fn incident_change(text: &str) -> Result<vigil_review::IncidentChange, String> {
    const KEYS: [&str; 5] = ["status", "assignee", "outcome", "risk", "note"];
    let key_of = |w: &str| {
        w.split_once('=')
            .and_then(|(k, _)| KEYS.iter().find(|x| **x == k).copied())
    };
    let mut parts: Vec<(&str, String)> = Vec::new();
    for w in text.split_whitespace() {
        match (key_of(w), parts.last_mut()) {
            (Some(k), _) => parts.push((k, w[k.len() + 1..].to_owned())),
            (None, Some((_, v))) => {
                if !v.is_empty() {
                    v.push(' ');
                }
                v.push_str(w);
            }
            (None, None) => parts.push(("note", w.to_owned())),
        }
    }
    let mut c = vigil_review::IncidentChange::default();
    for (k, v) in parts {
        let v = v.trim().to_owned();
        if v.is_empty() {
            return Err(format!("{k}= needs a value"));
        }
        match k {
            "status" => {
                c.status = Some(vigil_store::IncidentStatus::parse(&v).ok_or_else(|| {
                    format!(
                        "status {:?} is not one of {}",
                        vigil_domain::SafeText::new(&v).as_str(),
                        vigil_store::IncidentStatus::NAMES.join(", ")
                    )
                })?)
            }
            "assignee" => c.assignee = Some(v),
            "outcome" => c.outcome = Some(v),
            "risk" => {
                c.risk_update_needed = Some(match v.as_str() {
                    "yes" => true,
                    "no" => false,
                    _ => {
                        return Err(
                            "risk= is yes or no (does the risk register need an update?)".into(),
                        );
                    }
                })
            }
            _ => c.note = Some(v),
        }
    }
    if c == vigil_review::IncidentChange::default() {
        return Err("nothing to change: status=… assignee=… outcome=… risk=yes|no note=…".into());
    }
    Ok(c)
}

/// The rows of a screen other than the queue, neutralized for display.
pub fn listing(
    store: &dyn vigil_store::Store,
    config: &Config,
    who: &Reviewer,
    screen: Screen,
    now: chrono::DateTime<Utc>,
) -> Result<Listing> {
    use vigil_domain::SafeText;
    let t = |s: &str| SafeText::new(s).into_string();
    let when = |d: Option<chrono::DateTime<Utc>>| {
        d.map(|d| d.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "-".into())
    };
    Ok(match screen {
        // An investigation is run once, with its reason (`investigation`).
        Screen::Queue | Screen::Investigation => Listing::default(),
        Screen::Incidents => Listing {
            columns: vec![
                "ID", "SEVERITY", "STATUS", "OPENED", "ASSIGNEE", "ITEMS", "TITLE", "OUTCOME",
                "REMOTE",
            ],
            rows: store
                .incidents()?
                .into_iter()
                .map(|i| {
                    vec![
                        i.id.to_string(),
                        t(&i.severity),
                        i.status.as_str().to_owned(),
                        when(Some(i.opened_at)),
                        t(i.assignee.as_deref().unwrap_or("-")),
                        i.item_ids.len().to_string(),
                        t(&i.title),
                        t(i.outcome.as_deref().unwrap_or("")),
                        t(i.remote_key.as_deref().unwrap_or("")),
                    ]
                })
                .collect(),
            empty: "No incidents. `e` on queue items opens one.".into(),
            ..Default::default()
        },
        Screen::Sources => {
            let risks = store.risks()?;
            Listing {
                columns: vec![
                    "SOURCE",
                    "KIND",
                    "HEALTH",
                    "LAST SUCCESS",
                    "NEXT RETRY",
                    "EVENTS",
                    "QUARANTINED",
                    "GAPS",
                    "LAST ERROR",
                    "LATEST QUARANTINED",
                ],
                rows: store
                    .source_status()?
                    .into_iter()
                    .map(|s| -> Result<Vec<String>> {
                        let c = config.source(s.name.as_str());
                        let h = match c {
                            Some(c) => {
                                crate::pull::health_of(
                                    c,
                                    Some(&s),
                                    &risks,
                                    &config.risk_scales,
                                    now,
                                )
                                .0
                            }
                            None => crate::pull::health(Some(&s), None, None, now),
                        };
                        // where and why, not the lines: a quarantined line
                        // of an EHR export may name a patient
                        let latest = if s.quarantined == 0 {
                            String::new()
                        } else {
                            let q = store.latest_quarantine(s.name.as_str(), 3)?;
                            let mut said: Vec<String> = q
                                .iter()
                                .map(|r| {
                                    format!(
                                        "{}@{}: {}",
                                        // the file's name: the folder is the source's
                                        r.path.as_ref().map_or("-", |p| {
                                            p.as_str().rsplit('/').next().unwrap_or(p.as_str())
                                        }),
                                        r.offset.map_or("-".into(), |o| o.to_string()),
                                        r.reason.as_str()
                                    )
                                })
                                .collect();
                            said.push(format!(
                                "(the lines: vigil quarantine --source {})",
                                s.name.as_str()
                            ));
                            said.join("; ")
                        };
                        Ok(vec![
                            s.name.into_string(),
                            s.kind.into_string(),
                            h.label(),
                            when(s.last_success_at),
                            when(h.next_retry),
                            s.events.to_string(),
                            s.quarantined.to_string(),
                            s.gaps.to_string(),
                            s.last_error.map(|e| e.into_string()).unwrap_or_default(),
                            latest,
                        ])
                    })
                    .collect::<Result<_>>()?,
                empty: "No source has been read yet: `vigil pull` reads the configured ones."
                    .into(),
                ..Default::default()
            }
        }
        Screen::Sanctions => match ops::list_sanctions(store, &config.policy, who) {
            Ok(list) => Listing {
                columns: vec![
                    "ID",
                    "MEMBER",
                    "CATEGORY",
                    "TIER",
                    "SANCTION",
                    "DECIDED BY",
                    "ON",
                    "NOTICE",
                ],
                rows: list
                    .into_iter()
                    .map(|x| {
                        vec![
                            x.id.to_string(),
                            t(&x.member),
                            t(&x.category),
                            t(&x.tier),
                            t(&x.sanction),
                            t(&x.decided_by),
                            t(&x.decided_on),
                            if x.notice_sent { "sent" } else { "not sent" }.into(),
                        ]
                    })
                    .collect(),
                empty: "No sanctions recorded.".into(),
                ..Default::default()
            },
            Err(e) => Listing {
                columns: vec![],
                rows: vec![],
                empty: t(&e.to_string()),
                ..Default::default()
            },
        },
        Screen::Coverage => {
            // the last week, newest day first, as `vigil coverage` shows it
            let to = now.date_naive();
            let mut days = vigil_review::coverage::days(
                store,
                config,
                to - chrono::Duration::days(6),
                to,
                now,
            )?;
            days.sort_by(|a, b| b.day.cmp(&a.day).then_with(|| a.source.cmp(&b.source)));
            Listing {
                columns: vec![
                    "DAY",
                    "SOURCE",
                    "STATUS",
                    "EVENTS",
                    "ITEMS",
                    "DECIDED",
                    "EXPLAINED",
                    "CADENCE",
                    "WHY",
                ],
                rows: days
                    .into_iter()
                    .map(|d| {
                        vec![
                            d.day.to_string(),
                            t(&d.source),
                            d.status.to_owned(),
                            d.events.to_string(),
                            d.items.to_string(),
                            d.decided.to_string(),
                            d.explained_pct(),
                            d.cadence.cadence.to_string(),
                            t(&d.cadence.why),
                        ]
                    })
                    .collect(),
                empty: "No sources: configure [[source]] entries to see their review coverage."
                    .into(),
                ..Default::default()
            }
        }
        Screen::Dashboard => {
            // the report's measures over the last 30 days
            let to = now.date_naive();
            let r = vigil_review::report::measures(
                store,
                config,
                to - chrono::Duration::days(29),
                to,
                now,
            )?;
            let opt = |v: Option<f64>, unit: &str| {
                v.map(|x| format!("{x}{unit}"))
                    .unwrap_or_else(|| "-".into())
            };
            let m = &r.measures;
            let mut rows = vec![
                vec![
                    "review coverage".into(),
                    opt(m.coverage_pct, "%"),
                    "of source-days with findings, fully reviewed".into(),
                ],
                vec![
                    "explained accesses".into(),
                    opt(m.explained_pct, "%"),
                    "of patient-record accesses, by clinical context".into(),
                ],
                vec![
                    "activity to decision".into(),
                    opt(m.median_hours_event_to_decision, " h"),
                    "median".into(),
                ],
                vec![
                    "escalation to closing".into(),
                    opt(m.median_hours_incident_to_close, " h"),
                    "median".into(),
                ],
                vec![
                    "exceptions".into(),
                    r.exceptions.len().to_string(),
                    "overdue, silent or down source-days".into(),
                ],
                vec![
                    "ledger".into(),
                    if r.ledger.verified {
                        "verified".into()
                    } else {
                        "BROKEN".into()
                    },
                    format!("{} entries", r.ledger.entries),
                ],
            ];
            for x in &r.rules {
                rows.push(vec![
                    format!("rule {}", t(&x.rule)),
                    format!("{} items, {} decided", x.items, x.decided),
                    format!("false positives {}", opt(x.false_positive_pct, "%")),
                ]);
            }
            Listing {
                columns: vec!["LAST 30 DAYS", "VALUE", "DETAIL"],
                rows,
                empty: String::new(),
                pictures: dashboard_pictures(&r),
            }
        }
        Screen::Hosts => {
            // today and yesterday, in the review zone: what logwatch mails
            let zone = vigil_review::Settings::zone(config);
            let today = now
                .with_timezone(&zone.unwrap_or(chrono_tz::UTC))
                .date_naive();
            let from = vigil_domain::time::day_start(zone, today - chrono::Duration::days(1));
            let days = vigil_review::hosts::summarize(store, zone, from, now)?;
            Listing {
                columns: vec!["HOST", "DAY", "WHAT", "DETAIL"],
                rows: vigil_review::hosts::rows(&days)
                    .into_iter()
                    .map(|r| r.into_iter().map(|c| t(&c)).collect())
                    .collect(),
                empty: "No host activity today or yesterday: syslog, journald-json and auditd sources fill this screen.".into(),
                ..Default::default()
            }
        }
        Screen::Risks => {
            let risks = store.risks()?;
            Listing {
            columns: vec!["ID", "ASSET", "THREAT", "INHERENT", "RESIDUAL", "TREATMENT", "ACCEPTED", "SAFEGUARDS", "OWNER", "NEXT REVIEW"],
            pictures: if risks.is_empty() { Vec::new() } else { vec![risk_grid(&risks, &config.risk_scales)] },
            rows: risks
                .iter()
                .map(|r| {
                    let x = vigil_review::risk::row(r, &config.risk_scales);
                    vec![
                        x.id.to_string(),
                        x.asset.into_string(),
                        x.threat.into_string(),
                        x.inherent,
                        x.residual,
                        x.treatment,
                        t(&x.accepted),
                        x.safeguards,
                        x.owner.into_string(),
                        x.next_review,
                    ]
                })
                .collect(),
            empty: "The risk register is empty: `vigil risk add --asset … --threat … --vulnerability … --likelihood … --impact …` adds one.".into(),
            }
        }
    })
}

/// The dashboard's pictures: the two shares as gauges, events per day
/// (the period's histogram), findings per rule, and each source's days.
fn dashboard_pictures(r: &vigil_review::report::Report) -> Vec<Picture> {
    let m = &r.measures;
    let days: Vec<chrono::NaiveDate> = r.days.iter().map(|d| d.day).collect();
    let short = |d: &chrono::NaiveDate| d.format("%m-%d").to_string();
    let mut out = vec![Picture::Gauges(vec![
        ("review coverage".into(), m.coverage_pct),
        ("explained accesses".into(), m.explained_pct),
    ])];
    if r.days.iter().any(|d| d.events > 0) {
        out.push(Picture::Histogram {
            title: "events per day".into(),
            bars: r.days.iter().map(|d| (short(&d.day), d.events)).collect(),
        });
    }
    if r.rules.iter().any(|x| x.items > 0) {
        // the busiest first: the picture shows the top of the list
        let mut bars: Vec<(String, u64)> = r
            .rules
            .iter()
            .filter(|x| x.items > 0)
            .map(|x| (SafeText::new(&x.rule).into_string(), x.items))
            .collect();
        bars.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out.push(Picture::Bars {
            title: "findings per rule, most first".into(),
            bars,
        });
    }
    if !r.sources.is_empty() && !days.is_empty() {
        out.push(Picture::Sparks {
            title: format!(
                "events per source, {} to {}",
                short(&days[0]),
                short(&days[days.len() - 1])
            ),
            series: r
                .sources
                .iter()
                .map(|s| {
                    let v = days
                        .iter()
                        .map(|d| s.daily.get(d).copied().unwrap_or(0))
                        .collect();
                    (SafeText::new(&s.source).into_string(), v)
                })
                .collect(),
        });
    }
    out
}

/// The risk register as a likelihood × impact grid of inherent ratings:
/// how many risks stand in each cell, most likely at the top.
fn risk_grid(risks: &[vigil_store::Risk], scales: &vigil_review::risk::Scales) -> Picture {
    let (nl, ni) = (scales.likelihood.len(), scales.impact.len());
    let cells = (1..=nl as i64)
        .rev()
        .map(|l| {
            (1..=ni as i64)
                .map(|i| {
                    let n = risks
                        .iter()
                        .filter(|r| r.likelihood == l && r.impact == i)
                        .count();
                    (n as u64, scales.level(l * i))
                })
                .collect()
        })
        .collect();
    Picture::Grid {
        title: "inherent risk: likelihood × impact".into(),
        rows: scales.likelihood.iter().rev().cloned().collect(),
        columns: scales.impact.clone(),
        cells,
    }
}

/// Sources the last week's coverage says need attention: overdue for
/// review, silent when activity was expected (the last two days), or down;
/// and incidents whose push to a destination keeps failing.
pub fn attention(store: &dyn vigil_store::Store, config: &Config) -> Vec<(String, String)> {
    let now = Utc::now();
    let today = now.date_naive();
    let Ok(days) =
        vigil_review::coverage::days(store, config, today - chrono::Duration::days(6), today, now)
    else {
        return Vec::new();
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for d in &days {
        let recent = today - d.day <= chrono::Duration::days(2);
        let what = match d.status {
            "overdue" => "overdue",
            "silent" if recent => "silent",
            "source down" => "source down",
            _ => continue,
        };
        if !out.iter().any(|(n, w)| *n == d.source && w == what) {
            out.push((d.source.clone(), what.to_owned()));
        }
    }
    if let Ok(failing) = crate::escalation::failing(store, &config.escalations) {
        for (dest, incident, _) in failing {
            out.push((
                format!("incident {incident} to {dest}"),
                "not pushed".into(),
            ));
        }
    }
    out
}

/// The two investigations an item opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inquiry {
    /// Every access to the item's patient's record, the last year.
    Patient,
    /// Everything the item's actor did, the last 30 days.
    Person,
}

impl Inquiry {
    pub fn describe(self) -> &'static str {
        match self {
            Inquiry::Patient => "access report for the patient",
            Inquiry::Person => "activity timeline of",
        }
    }
}

/// Runs an investigation (recorded in the ledger with its reason) and
/// returns its heading and rows, times in the rules' zone.
pub fn investigation(
    store: &mut dyn vigil_store::Store,
    config: &Config,
    who: &Reviewer,
    inquiry: Inquiry,
    about: &str,
    reason: &str,
    now: chrono::DateTime<Utc>,
) -> Result<(String, Listing)> {
    use vigil_review::investigate;
    let t = |s: &str| SafeText::new(s).into_string();
    let zone = vigil_review::Settings::zone(config);
    let stamp = |d| vigil_domain::time::local_stamp(zone, d);
    let time_col = "TIME";
    let in_zone = format!("times {}", vigil_domain::time::zone_name(zone));
    Ok(match inquiry {
        Inquiry::Patient => {
            let r = investigate::access_report(
                store,
                who,
                about,
                now - chrono::Duration::days(investigate::ACCESS_REPORT_DAYS),
                now,
                reason,
                now,
            )?;
            let heading = format!(
                "accesses to {} (MRN {}) in the last year: {} by {} people · {in_zone} · ledger #{}",
                t(r.patient_name
                    .as_deref()
                    .unwrap_or("a patient not in the index")),
                t(&r.patient),
                r.accesses.len(),
                r.accessors.len(),
                r.ledger_seq
            );
            let rows = r
                .accesses
                .iter()
                .rev()
                .map(|a| {
                    vec![
                        stamp(a.at),
                        t(a.person.as_deref().unwrap_or(&a.account)),
                        t(a.department.as_deref().unwrap_or("")),
                        t(&a.system),
                        t(&a.action),
                        t(a.from.as_deref().unwrap_or("")),
                        t(a.explanation.as_deref().unwrap_or("")),
                        investigate::marks_text(&a.findings),
                    ]
                })
                .collect();
            (
                heading,
                Listing {
                    columns: vec![
                        time_col,
                        "WHO",
                        "DEPARTMENT",
                        "SYSTEM",
                        "ACTION",
                        "FROM",
                        "EXPLANATION",
                        "ITEMS",
                    ],
                    rows,
                    empty: "No access to this record in the last year.".into(),
                    ..Default::default()
                },
            )
        }
        Inquiry::Person => {
            let tl = investigate::activity(
                store,
                who,
                about,
                now - chrono::Duration::days(investigate::ACTIVITY_DAYS),
                now,
                reason,
                false,
                now,
            )?;
            let heading = format!(
                "activity of {} ({}) in the last 30 days: {} events, {} held by items · {in_zone} · ledger #{}",
                t(tl.name.as_deref().unwrap_or(about)),
                t(&tl.accounts.join(", ")),
                tl.steps.len(),
                tl.flagged,
                tl.ledger_seq
            );
            let rows = tl
                .steps
                .iter()
                .rev()
                .map(|x| {
                    vec![
                        stamp(x.at),
                        t(&x.system),
                        t(&x.account),
                        t(x.host.as_deref().unwrap_or("")),
                        t(&x.action),
                        x.outcome.clone(),
                        t(x.subject.as_deref().unwrap_or("")),
                        t(x.from.as_deref().unwrap_or("")),
                        investigate::marks_text(&x.findings),
                    ]
                })
                .collect();
            (
                heading,
                Listing {
                    columns: vec![
                        time_col, "SYSTEM", "ACCOUNT", "HOST", "ACTION", "OUTCOME", "SUBJECT",
                        "FROM", "ITEMS",
                    ],
                    rows,
                    empty: "Nothing in the last 30 days.".into(),
                    ..Default::default()
                },
            )
        }
    })
}
