//! The report as one document (sections of paragraphs, facts, tables and
//! charts) that Markdown, HTML and PDF each draw: so the three show the
//! same content, section for section and number for number.

use vigil_review::report::*;

use super::opt;

/// A chart's bars: a name, a colour, one value per label.
pub struct Series {
    pub name: String,
    pub color: &'static str,
    pub values: Vec<u64>,
}

/// A bar chart with its title, axes and unit.
pub struct Chart {
    pub title: String,
    /// What the bars are of (the x axis), e.g. "day (America/New_York)".
    pub x: String,
    /// What they count (the y axis), with its unit.
    pub y: String,
    pub labels: Vec<String>,
    pub series: Vec<Series>,
}

impl Chart {
    pub fn max(&self) -> u64 {
        self.series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .max()
            .unwrap_or(0)
    }
}

pub enum Block {
    Para(String),
    /// Label: value lines.
    Facts(Vec<(String, String)>),
    /// A list of short lines.
    List(Vec<String>),
    Table {
        head: Vec<&'static str>,
        rows: Vec<Vec<String>>,
        /// Shown when there are no rows.
        none: &'static str,
    },
    Chart(Chart),
    /// A line to sign on: name, role.
    Sign(String, String),
}

pub struct Section {
    pub id: &'static str,
    pub title: String,
    pub blocks: Vec<Block>,
    /// Starts a new page when printed.
    pub new_page: bool,
}

pub struct Document {
    pub title: String,
    /// What every printed page's header says: the organization and period.
    pub running_head: String,
    pub sections: Vec<Section>,
}

const BLUE: &str = "#3465a4";
const GREEN: &str = "#4e9a06";
const ORANGE: &str = "#ce5c00";

fn n(v: u64) -> String {
    v.to_string()
}

/// The report, section by section, in the order an auditor reads it.
pub fn build(r: &Report) -> Document {
    let org = r.organization.as_ref();
    let period = format!("{} to {}", r.from, r.to);
    let org_name = org.map_or("(no [organization] configured)", |o| o.name.as_str());
    let mut sections = Vec::new();

    // 1. the summary page
    let s = &r.summary;
    let mut facts = vec![
        ("Organization".to_owned(), org_name.to_owned()),
        (
            "Covered entity".to_owned(),
            org.and_then(|o| o.covered_entity.clone())
                .unwrap_or_else(|| "-".into()),
        ),
        (
            "Period".to_owned(),
            format!("{period} (days in {})", r.zone),
        ),
        (
            "Prepared by".to_owned(),
            match &r.prepared_by.name {
                Some(name) => format!("{name} (account {})", r.prepared_by.account),
                None => format!("account {} (not on the roster)", r.prepared_by.account),
            },
        ),
        (
            "Generated".to_owned(),
            r.generated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        ),
        (
            "Review policy".to_owned(),
            match &r.policy {
                Some(p) => format!(
                    "version {} in force since {} (ledger entry {})",
                    short(&p.hash),
                    p.since,
                    p.ledger_seq
                ),
                None => "no version recorded by the end of the period".into(),
            },
        ),
        (
            "Ledger".to_owned(),
            if r.ledger.verified {
                format!(
                    "vigil verify passed: {} entries, head {} at entry {}",
                    r.ledger.entries,
                    short(&r.ledger.head_hash),
                    r.ledger.head_seq
                )
            } else {
                format!(
                    "vigil verify FAILED: {}",
                    r.ledger.problem.as_deref().unwrap_or("?")
                )
            },
        ),
        (
            "Signed checkpoint".to_owned(),
            match &r.ledger.checkpoint {
                Some(c) => format!(
                    "entry {} head {} signed {} by key {}",
                    c.seq,
                    short(&c.head),
                    c.at,
                    short(&c.key)
                ),
                None => "none (no [ledger] witness configured)".into(),
            },
        ),
        (
            "Certified".to_owned(),
            if r.certifications.is_empty() {
                "not yet (vigil report --certify records it)".into()
            } else {
                r.certifications
                    .iter()
                    .map(|c| {
                        format!(
                            "{} ({}) on {}",
                            c.name.as_deref().unwrap_or(&c.account),
                            c.role,
                            &c.at[..c.at.len().min(10)]
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            },
        ),
    ];
    if let Some(scope) = org.and_then(|o| o.scope.clone()) {
        facts.insert(2, ("Scope".into(), scope));
    }
    sections.push(Section {
        id: "summary",
        title: "Summary".into(),
        new_page: false,
        blocks: vec![
            Block::Facts(facts),
            Block::Table {
                head: vec!["measure", "value"],
                rows: vec![
                    vec![
                        "Source-days with flagged activity fully reviewed".into(),
                        opt(s.coverage_pct, "%"),
                    ],
                    vec!["Source-days in the period".into(), n(s.source_days)],
                    vec!["Source-days reviewed".into(), n(s.reviewed_days)],
                    vec!["Source-days overdue".into(), n(s.overdue_days)],
                    vec!["Source-days silent".into(), n(s.silent_days)],
                    vec!["Items raised".into(), n(s.items_raised)],
                    vec!["Items decided".into(), n(s.items_decided)],
                    vec!["Items escalated to incidents".into(), n(s.items_escalated)],
                    vec!["Incidents opened".into(), n(s.incidents_opened)],
                    vec!["Review acts made in the period".into(), n(s.decisions_made)],
                    vec![
                        "Median time from activity to decision".into(),
                        opt(s.median_hours_to_decision, " h"),
                    ],
                    vec![
                        "Median time from escalation to closing".into(),
                        opt(r.measures.median_hours_incident_to_close, " h"),
                    ],
                    vec![
                        "Accesses to patients' records explained by clinical context".into(),
                        opt(s.explained_pct, "%"),
                    ],
                    vec![
                        "Exceptions (overdue, silent or down)".into(),
                        n(s.exceptions),
                    ],
                ],
                none: "None.",
            },
        ],
    });

    // 2. scope
    if let Some(o) = org {
        let mut blocks = Vec::new();
        blocks.push(Block::Para(
            "Systems in scope (hold ePHI; reviewed):".into(),
        ));
        blocks.push(Block::List(if o.in_scope.is_empty() {
            vec!["(not listed in [organization] in_scope)".into()]
        } else {
            o.in_scope.clone()
        }));
        blocks.push(Block::Para("Systems out of scope:".into()));
        blocks.push(Block::List(if o.out_of_scope.is_empty() {
            vec!["none listed".into()]
        } else {
            o.out_of_scope.clone()
        }));
        blocks.push(Block::Para(
            "Sources read in the period, each with its review cadence:".into(),
        ));
        blocks.push(Block::List(
            r.sources
                .iter()
                .map(|x| format!("{}: {}", x.source, x.cadence))
                .collect(),
        ));
        sections.push(Section {
            id: "scope",
            title: "Scope".into(),
            new_page: false,
            blocks,
        });
    }

    // 3. coverage
    let day_axis = format!("day ({})", r.zone);
    sections.push(Section {
        id: "sources",
        title: "Sources and coverage".into(),
        new_page: true,
        blocks: vec![
            Block::Table {
                head: vec![
                    "source",
                    "cadence",
                    "events",
                    "items",
                    "decided",
                    "days reviewed",
                    "days overdue",
                    "days silent",
                    "quarantined",
                ],
                rows: r
                    .sources
                    .iter()
                    .map(|x| {
                        vec![
                            x.source.clone(),
                            x.cadence.clone(),
                            n(x.events),
                            n(x.items),
                            n(x.decided),
                            n(x.reviewed_days),
                            n(x.overdue_days),
                            n(x.silent_days),
                            n(x.quarantined),
                        ]
                    })
                    .collect(),
                none: "No source is configured.",
            },
            Block::Chart(Chart {
                title: "Items raised per day, and how many of them were decided".into(),
                x: day_axis.clone(),
                y: "items".into(),
                labels: r
                    .days
                    .iter()
                    .map(|d| d.day.format("%m-%d").to_string())
                    .collect(),
                series: vec![
                    Series {
                        name: "raised".into(),
                        color: BLUE,
                        values: r.days.iter().map(|d| d.items).collect(),
                    },
                    Series {
                        name: "decided".into(),
                        color: GREEN,
                        values: r.days.iter().map(|d| d.decided).collect(),
                    },
                ],
            }),
        ],
    });
    sections.push(Section {
        id: "exceptions",
        title: "Exceptions (overdue, silent or down)".into(),
        new_page: false,
        blocks: vec![Block::Table {
            head: vec![
                "day",
                "source",
                "status",
                "items",
                "decided",
                "why it is an exception",
            ],
            rows: r
                .exceptions
                .iter()
                .map(|d| {
                    vec![
                        d.day.to_string(),
                        d.source.clone(),
                        d.status.to_owned(),
                        n(d.items),
                        n(d.decided),
                        match d.status {
                            "silent" => format!(
                                "no events on a day the source is expected to log ({} cadence)",
                                d.cadence.cadence
                            ),
                            "source down" => "the source could not be read".into(),
                            _ => format!(
                                "flagged items not decided within the {} cadence ({})",
                                d.cadence.cadence, d.cadence.why
                            ),
                        },
                    ]
                })
                .collect(),
            none: "None.",
        }],
    });

    // 4. findings and reviews
    sections.push(Section {
        id: "rules",
        title: "Findings by rule".into(),
        new_page: true,
        blocks: vec![
            Block::Table {
                head: vec![
                    "rule",
                    "items",
                    "decided",
                    "false positives",
                    "false-positive rate",
                ],
                rows: r
                    .rules
                    .iter()
                    .map(|x| {
                        vec![
                            x.rule.clone(),
                            n(x.items),
                            n(x.decided),
                            n(x.false_positives),
                            opt(x.false_positive_pct, "%"),
                        ]
                    })
                    .collect(),
                none: "No rule raised an item.",
            },
            Block::Chart(Chart {
                title: "Items per rule".into(),
                x: "rule".into(),
                y: "items".into(),
                labels: r.rules.iter().map(|x| x.rule.clone()).collect(),
                series: vec![
                    Series {
                        name: "items".into(),
                        color: BLUE,
                        values: r.rules.iter().map(|x| x.items).collect(),
                    },
                    Series {
                        name: "false positives".into(),
                        color: ORANGE,
                        values: r.rules.iter().map(|x| x.false_positives).collect(),
                    },
                ],
            }),
        ],
    });
    sections.push(Section {
        id: "reviews",
        title: "Reviews".into(),
        new_page: false,
        blocks: vec![
            Block::Table {
                head: vec!["reviewer", "review acts"],
                rows: r
                    .reviewers
                    .iter()
                    .map(|x| vec![x.name.clone(), n(x.count)])
                    .collect(),
                none: "No review acts.",
            },
            Block::Table {
                head: vec!["disposition", "items"],
                rows: r
                    .dispositions
                    .iter()
                    .map(|x| vec![x.name.clone(), n(x.count)])
                    .collect(),
                none: "No decisions.",
            },
            Block::Chart(Chart {
                title: "Review acts per day, by the day they were made".into(),
                x: day_axis.clone(),
                y: "review acts".into(),
                labels: r
                    .decisions_by_day
                    .iter()
                    .map(|d| d.name.get(5..).unwrap_or(&d.name).to_owned())
                    .collect(),
                series: vec![Series {
                    name: "review acts".into(),
                    color: GREEN,
                    values: r.decisions_by_day.iter().map(|d| d.count).collect(),
                }],
            }),
        ],
    });
    sections.push(Section {
        id: "sample",
        title: "Sample of decisions".into(),
        new_page: true,
        blocks: vec![
            Block::Para(format!(
                "{} of the period's {} decisions, drawn at random with seed {} (vigil report --seed {} draws the same sample). Patient identifiers are masked.",
                r.sample.rows.len(),
                r.sample.population,
                r.sample.seed,
                r.sample.seed
            )),
            Block::Table {
                head: vec!["decided", "item", "reviewer", "disposition", "why it was raised", "note"],
                rows: r
                    .sample
                    .rows
                    .iter()
                    .map(|x| {
                        vec![
                            x.decided_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                            format!("#{} {}", x.item, x.title),
                            x.reviewer.clone(),
                            x.disposition.clone().unwrap_or_else(|| "-".into()),
                            x.reasons.join("; "),
                            x.note.clone().unwrap_or_default(),
                        ]
                    })
                    .collect(),
                none: "No decision was made in the period.",
            },
        ],
    });

    // 5. explanations
    if !r.explanations.is_empty() {
        sections.push(Section {
            id: "explained",
            title: "Explained accesses".into(),
            new_page: false,
            blocks: vec![Block::Table {
                head: vec!["source", "accesses", "explained", "share", "by explanation"],
                rows: r
                    .explanations
                    .iter()
                    .map(|x| {
                        vec![
                            x.source.clone(),
                            n(x.accesses),
                            n(x.explained),
                            opt(x.explained_pct, "%"),
                            x.by_kind
                                .iter()
                                .map(|(k, v)| format!("{k} {v}"))
                                .collect::<Vec<_>>()
                                .join(", "),
                        ]
                    })
                    .collect(),
                none: "None.",
            }],
        });
    }

    // 6. incidents, sanctions, risks, suppressions
    let mut blocks = vec![Block::Table {
        head: vec![
            "incident", "severity", "status", "opened", "closed", "items", "outcome",
        ],
        rows: r
            .incidents
            .iter()
            .map(|i| {
                vec![
                    n(i.id as u64),
                    i.severity.clone(),
                    i.status.clone(),
                    i.opened_at.format("%Y-%m-%d %H:%M").to_string(),
                    i.closed_at
                        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_else(|| "-".into()),
                    n(i.items as u64),
                    i.outcome.clone().unwrap_or_else(|| "-".into()),
                ]
            })
            .collect(),
        none: "No incident was opened.",
    }];
    for i in &r.incidents {
        blocks.push(Block::Para(format!("Incident {} timeline:", i.id)));
        blocks.push(Block::List(
            i.timeline
                .iter()
                .map(|s| {
                    let detail = if s.detail.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", s.detail)
                    };
                    format!(
                        "{} {} {}{detail}",
                        &s.at[..s.at.len().min(16)],
                        s.actor,
                        s.action
                    )
                })
                .collect(),
        ));
    }
    blocks.push(Block::Para(format!(
        "Sanctions recorded in the period: {} (the register is kept apart, for its viewers).",
        r.sanctions
    )));
    sections.push(Section {
        id: "incidents",
        title: "Escalations and sanctions".into(),
        new_page: true,
        blocks,
    });
    sections.push(Section {
        id: "risks",
        title: "Risk register changes".into(),
        new_page: false,
        blocks: vec![Block::Table {
            head: vec!["when", "risk", "asset", "change", "by"],
            rows: r
                .risk_changes
                .iter()
                .map(|c| {
                    vec![
                        c.at[..c.at.len().min(16)].to_owned(),
                        n(c.risk as u64),
                        c.asset.clone(),
                        c.action.clone(),
                        c.actor.clone(),
                    ]
                })
                .collect(),
            none: "No change to the risk register in the period.",
        }],
    });
    sections.push(Section {
        id: "suppressions",
        title: "Suppressions in force".into(),
        new_page: false,
        blocks: vec![Block::Table {
            head: vec!["id", "actor", "rule", "until", "owner", "reason"],
            rows: r
                .suppressions
                .iter()
                .map(|x| {
                    vec![
                        n(x.id as u64),
                        x.actor.clone(),
                        x.rule.clone().unwrap_or_else(|| "any".into()),
                        x.until.format("%Y-%m-%d").to_string(),
                        x.owner.clone(),
                        x.reason.clone(),
                    ]
                })
                .collect(),
            none: "None.",
        }],
    });
    if !r.hosts.is_empty() {
        sections.push(Section {
            id: "hosts",
            title: "Host activity by day".into(),
            new_page: true,
            blocks: vec![
                Block::Para(
                    "Failed logins count attempts, not lines; \"unclassified\" is what no parser understood."
                        .into(),
                ),
                Block::Table {
                    head: vec!["host", "day", "what", "detail"],
                    rows: vigil_review::hosts::rows(&r.hosts)
                        .into_iter()
                        .map(|row| row.to_vec())
                        .collect(),
                    none: "None.",
                },
            ],
        });
    }

    // 7. the certification
    let mut blocks = vec![Block::Para(r.statement.clone())];
    let officers: Vec<(String, String)> = org
        .map(|o| {
            [
                (o.privacy_officer.clone(), "Privacy officer"),
                (o.security_officer.clone(), "Security officer"),
            ]
            .into_iter()
            .filter_map(|(name, role)| Some((name?, role.to_owned())))
            .collect()
        })
        .unwrap_or_default();
    if officers.is_empty() {
        blocks.push(Block::Sign(
            "________________".into(),
            "Privacy officer".into(),
        ));
        blocks.push(Block::Sign(
            "________________".into(),
            "Security officer".into(),
        ));
    }
    for (name, role) in officers {
        blocks.push(Block::Sign(name, role));
    }
    blocks.push(Block::Table {
        head: vec!["certified by", "role", "on", "period", "ledger entry", "digest"],
        rows: r
            .certifications
            .iter()
            .map(|c| {
                vec![
                    match &c.name {
                        Some(name) => format!("{name} ({})", c.account),
                        None => c.account.clone(),
                    },
                    c.role.clone(),
                    c.at[..c.at.len().min(16)].to_owned(),
                    format!("{} to {}", c.from, c.to),
                    n(c.seq as u64),
                    short(&c.digest),
                ]
            })
            .collect(),
        none: "Not certified yet: vigil report --certify --role ROLE records a certification in the ledger.",
    });
    sections.push(Section {
        id: "certification",
        title: "Certification".into(),
        new_page: true,
        blocks,
    });

    Document {
        title: format!("Information system activity review: {period}"),
        running_head: format!("{org_name} · activity review {period}"),
        sections,
    }
}

/// The first 16 characters of a hash: enough to compare, short enough to print.
fn short(h: &str) -> String {
    h.chars().take(16).collect()
}
