//! The review screen: a keyboard-driven queue over the store.
//!
//! Elm-style: `update` (pure) turns actions into effects, a worker thread
//! with its own store connection runs the effects (latest page wins), and
//! `view::render` draws from a read-only state. The terminal is restored on
//! exit, on panic (ratatui's hook) and on SIGTERM/SIGHUP.

pub mod keymap;
pub mod state;
pub mod theme;
pub mod update;
pub mod view;

use std::io::IsTerminal;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use chrono::Utc;
use color_eyre::eyre::Result;
use crossterm::event::{self, Event as TermEvent, KeyEventKind};

use crate::config::Config;
use crate::query::Query;
use crate::review::{Reviewer, ops};
use crate::store::StoreUrl;
pub use state::{Action, Detail, Effect, Mode, State};

/// Whether there is a terminal to draw on.
pub fn interactive() -> bool {
    std::io::stdout().is_terminal() && std::io::stdin().is_terminal()
}

/// Patient names by identifier, from the store's demographics.
pub struct Patients(std::collections::HashMap<String, String>);

impl Patients {
    pub fn of(store: &dyn crate::store::Store) -> Result<Patients> {
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
    store: &dyn crate::store::Store,
    patients: &Patients,
    id: i64,
) -> Result<Option<Detail>> {
    let Some(item) = store.item(id)? else {
        return Ok(None);
    };
    let ids: Vec<i64> = item.event_ids.iter().take(50).copied().collect();
    let events: Vec<crate::domain::Event> = store
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
    let subjects = item.subject.iter().chain(
        events
            .iter()
            .chain(&related)
            .filter_map(|e| e.subject.as_ref()),
    );
    for s in subjects {
        if let Some(name) = patients.0.get(s.as_str()) {
            phi.push(s.as_str().to_owned());
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
    Ok(Some(Detail {
        decisions: store.decisions(id)?,
        history: store.ledger_for(&format!("item:{id}"))?,
        item,
        events,
        related,
        phi,
    }))
}

/// Runs effects against its own store connection; a newer page or detail
/// request replaces an older one still waiting.
fn worker(url: StoreUrl, config: Config, who: Reviewer, rx: Receiver<Effect>, tx: Sender<Action>) {
    let mut store = match url.open() {
        Ok(s) => s,
        Err(e) => {
            let _ = tx.send(Action::Failed(format!("store unavailable: {e:#}")));
            return;
        }
    };
    // The demographics, read once: a detail masks the names it may show.
    let mut patients: Option<Patients> = None;
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter());
        let last_page = batch
            .iter()
            .rposition(|e| matches!(e, Effect::LoadPage { .. }));
        let last_detail = batch
            .iter()
            .rposition(|e| matches!(e, Effect::LoadDetail(_)));
        let last_count = batch
            .iter()
            .rposition(|e| matches!(e, Effect::CountFilter(_)));
        for (i, fx) in batch.into_iter().enumerate() {
            let out = match fx {
                Effect::LoadPage { .. } if Some(i) != last_page => continue,
                Effect::LoadDetail(_) if Some(i) != last_detail => continue,
                Effect::CountFilter(_) if Some(i) != last_count => continue,
                Effect::CountFilter(f) => Ok(Action::FilterCounted(
                    f.clone(),
                    Query::parse(&f)
                        .map_err(|e| color_eyre::eyre::eyre!(e.to_string()))
                        .and_then(|q| store.count_items(&q))
                        .map_err(|e| format!("{e:#}")),
                )),
                Effect::LoadPage { filter, offset } => (|| -> Result<Action> {
                    let q = Query::parse(&filter)?;
                    let total = store.count_items(&q)?;
                    let items = store.items_page(&q, offset, state::WINDOW)?;
                    Ok(Action::Loaded {
                        offset,
                        total,
                        items,
                    })
                })(),
                Effect::LoadDetail(id) => (|| -> Result<Action> {
                    if patients.is_none() {
                        patients = Some(Patients::of(store.as_ref())?);
                    }
                    let known = patients.as_ref().expect("loaded above");
                    Ok(match load_detail(store.as_ref(), known, id)? {
                        Some(d) => Action::DetailLoaded(Box::new(d)),
                        None => Action::Failed(format!("item {id} is gone")),
                    })
                })(),
                Effect::Escalate { ids } => (|| -> Result<Action> {
                    let severity = ops::default_severity(store.as_ref(), &config.policy, &ids)?;
                    let inc = ops::escalate(
                        store.as_mut(),
                        &config.policy,
                        &who,
                        Utc::now(),
                        &ids,
                        &crate::review::NewIncident {
                            title: None,
                            severity,
                            assignee: None,
                            note: None,
                        },
                    )?;
                    Ok(Action::Escalated {
                        incident: inc.id,
                        items: ids.len(),
                    })
                })(),
                Effect::Reveal { item, reason } => store
                    .review(&mut |tx| {
                        tx.ledger(&crate::store::NewLedgerEntry {
                            at: Utc::now(),
                            actor: who.name.clone(),
                            action: "phi.reveal".into(),
                            entity: format!("item:{item}"),
                            payload: serde_json::json!({ "item": item, "reason": reason }),
                        })?;
                        Ok(())
                    })
                    .map(|()| Action::Revealed(item)),
                Effect::LoadScreen(screen) => {
                    listing(store.as_ref(), &config, &who, screen, Utc::now())
                        .map(|l| Action::Listed(screen, l))
                }
                Effect::Act { ids, act } => {
                    // The decision ids are made once: however often the act
                    // is retried while the store is away, it lands once.
                    let decision_ids: Vec<String> = ids
                        .iter()
                        .map(|_| uuid::Uuid::new_v4().to_string())
                        .collect();
                    let mut pause = Duration::from_secs(1);
                    loop {
                        let r = ops::apply(
                            store.as_mut(),
                            &config.policy,
                            &who,
                            Utc::now(),
                            &ids,
                            &act,
                            Some(&decision_ids),
                        );
                        match r {
                            Err(e) if crate::store::is_transient(&e) => {
                                let held = format!("{e:#}; your decision is held and retried");
                                if tx.send(Action::StoreDown(held)).is_err() {
                                    return;
                                }
                                std::thread::sleep(pause);
                                pause = (pause * 2).min(Duration::from_secs(10));
                            }
                            other => break other.map(Action::Acted),
                        }
                    }
                }
            };
            let a = match out {
                Ok(a) => a,
                Err(e) if crate::store::is_transient(&e) => Action::StoreDown(format!("{e:#}")),
                Err(e) => Action::Failed(format!("{e:#}")),
            };
            if tx.send(a).is_err() {
                return;
            }
        }
    }
}

/// The rows of a screen other than the queue, neutralized for display.
pub fn listing(
    store: &dyn crate::store::Store,
    config: &Config,
    who: &Reviewer,
    screen: state::Screen,
    now: chrono::DateTime<Utc>,
) -> Result<state::Listing> {
    use crate::domain::SafeText;
    use state::{Listing, Screen};
    let t = |s: &str| SafeText::new(s).into_string();
    let when = |d: Option<chrono::DateTime<Utc>>| {
        d.map(|d| d.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "-".into())
    };
    Ok(match screen {
        Screen::Queue => Listing::default(),
        Screen::Incidents => Listing {
            columns: vec!["ID", "SEVERITY", "STATUS", "OPENED", "ASSIGNEE", "ITEMS", "TITLE", "OUTCOME", "REMOTE"],
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
        },
        Screen::Sources => {
            let risks = store.risks()?;
            Listing {
                columns: vec!["SOURCE", "KIND", "HEALTH", "LAST SUCCESS", "NEXT RETRY", "EVENTS", "QUARANTINED", "GAPS", "LAST ERROR"],
                rows: store
                    .source_status()?
                    .into_iter()
                    .map(|s| {
                        let c = config.source(s.name.as_str());
                        let h = match c {
                            Some(c) => crate::sources::pull::health_of(c, Some(&s), &risks, &config.risk_scales, now).0,
                            None => crate::sources::pull::health(Some(&s), None, None, now),
                        };
                        vec![
                            s.name.into_string(),
                            s.kind.into_string(),
                            h.label(),
                            when(s.last_success_at),
                            when(h.next_retry),
                            s.events.to_string(),
                            s.quarantined.to_string(),
                            s.gaps.to_string(),
                            s.last_error.map(|e| e.into_string()).unwrap_or_default(),
                        ]
                    })
                    .collect(),
                empty: "No source has been read yet: `vigil pull` reads the configured ones.".into(),
            }
        }
        Screen::Sanctions => match ops::list_sanctions(store, &config.policy, who) {
            Ok(list) => Listing {
                columns: vec!["ID", "MEMBER", "CATEGORY", "TIER", "SANCTION", "DECIDED BY", "ON", "NOTICE"],
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
            },
            Err(e) => Listing {
                columns: vec![],
                rows: vec![],
                empty: t(&e.to_string()),
            },
        },
        Screen::Coverage => {
            // the last week, newest day first, as `vigil coverage` shows it
            let to = now.date_naive();
            let mut days = crate::review::coverage::days(
                store,
                config,
                to - chrono::Duration::days(6),
                to,
                now,
            )?;
            days.sort_by(|a, b| b.day.cmp(&a.day).then_with(|| a.source.cmp(&b.source)));
            Listing {
                columns: vec!["DAY", "SOURCE", "STATUS", "EVENTS", "ITEMS", "DECIDED", "CADENCE", "WHY"],
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
                            d.cadence.cadence.to_string(),
                            t(&d.cadence.why),
                        ]
                    })
                    .collect(),
                empty: "No sources: configure [[source]] entries to see their review coverage.".into(),
            }
        }
        Screen::Dashboard => {
            // the report's measures over the last 30 days
            let to = now.date_naive();
            let r = crate::review::report::build(store, config, to - chrono::Duration::days(29), to, now)?;
            let opt = |v: Option<f64>, unit: &str| v.map(|x| format!("{x}{unit}")).unwrap_or_else(|| "-".into());
            let m = &r.measures;
            let mut rows = vec![
                vec!["review coverage".into(), opt(m.coverage_pct, "%"), "of source-days with findings, fully reviewed".into()],
                vec!["activity to decision".into(), opt(m.median_hours_event_to_decision, " h"), "median".into()],
                vec!["escalation to closing".into(), opt(m.median_hours_incident_to_close, " h"), "median".into()],
                vec!["exceptions".into(), r.exceptions.len().to_string(), "overdue, silent or down source-days".into()],
                vec![
                    "ledger".into(),
                    if r.ledger.verified { "verified".into() } else { "BROKEN".into() },
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
            }
        }
        Screen::Risks => Listing {
            columns: vec!["ID", "ASSET", "THREAT", "INHERENT", "RESIDUAL", "TREATMENT", "ACCEPTED", "SAFEGUARDS", "OWNER", "NEXT REVIEW"],
            rows: store
                .risks()?
                .iter()
                .map(|r| {
                    let x = crate::review::risk::row(r, &config.risk_scales);
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
        },
    })
}

/// When a source is next due: its interval after a success; after a
/// failure, twice the interval per failure in a row (at most 15 minutes), so
/// a source that is down is retried without hammering it.
pub fn next_pull(interval: Duration, failures: u32) -> Duration {
    if failures == 0 {
        return interval;
    }
    let backoff = interval.saturating_mul(1u32 << failures.min(10));
    backoff
        .min(Duration::from_secs(15 * 60))
        .max(interval.min(Duration::from_secs(15 * 60)))
}

/// Pulls each configured source on its interval, one at a time (so a pull
/// still running is never started twice), on its own store connection,
/// reporting each start and outcome to the screen.
fn puller(url: StoreUrl, config: Config, tx: Sender<Action>) {
    let mut store = match url.open() {
        Ok(s) => s,
        Err(_) => return, // the worker reports the store as unavailable
    };
    let hhmm =
        |t: chrono::DateTime<Utc>| t.with_timezone(&chrono::Local).format("%H:%M").to_string();
    let mut due: std::collections::HashMap<String, (std::time::Instant, u32)> =
        std::collections::HashMap::new();
    // Coverage reads a fortnight of events: worked out again every few
    // minutes, not after every pull.
    let mut attention_at: Option<std::time::Instant> = None;
    let mut push_at: Option<std::time::Instant> = None;
    let mut witness_at: Option<std::time::Instant> = None;
    let mut last_new: std::collections::HashMap<String, chrono::DateTime<Utc>> =
        std::collections::HashMap::new();
    loop {
        let now = std::time::Instant::now();
        let due_now: Vec<&crate::config::SourceConfig> = config
            .sources
            .iter()
            .filter(|s| due.get(&s.name).is_none_or(|(at, _)| *at <= now))
            .collect();
        for s in &due_now {
            if tx
                .send(Action::Pull(s.name.clone(), state::Pull::Pulling))
                .is_err()
            {
                return;
            }
        }
        // One engine for the round: the rules' knowledge is loaded once,
        // not per source.
        let mut report = |s: &crate::config::SourceConfig, error: Option<String>, events, items| {
            let wall = Utc::now();
            let failures = due.get(&s.name).map_or(0, |(_, f)| *f);
            let p = match error {
                None => {
                    due.insert(
                        s.name.clone(),
                        (std::time::Instant::now() + next_pull(s.interval, 0), 0),
                    );
                    // Stale: nothing new for longer than the review cadence
                    // (counted from when the screen opened).
                    let since = *last_new.entry(s.name.clone()).or_insert(wall);
                    if events > 0 {
                        last_new.insert(s.name.clone(), wall);
                    }
                    let cadence = chrono::Duration::from_std(s.cadence.every()).unwrap_or_default();
                    state::Pull::Ok {
                        at: hhmm(wall),
                        events,
                        items,
                        stale: events == 0 && wall - since > cadence,
                    }
                }
                Some(message) => {
                    let wait = next_pull(s.interval, failures + 1);
                    due.insert(
                        s.name.clone(),
                        (std::time::Instant::now() + wait, failures + 1),
                    );
                    state::Pull::Error {
                        message,
                        retry: hhmm(wall + chrono::Duration::from_std(wait).unwrap_or_default()),
                    }
                }
            };
            tx.send(Action::Pull(s.name.clone(), p)).is_ok()
        };
        let mut gone = false;
        let round = if due_now.is_empty() {
            Ok(())
        } else {
            crate::sources::pull::pull_sources(
                store.as_mut(),
                &config,
                &due_now,
                Utc::now(),
                |s, r| {
                    gone |= !report(s, r.error, r.events, r.items);
                    Ok(())
                },
            )
        };
        if let Err(e) = round {
            // The rules could not be prepared (a roster file gone, say):
            // every source of the round is reported and retried.
            for s in &due_now {
                gone |= !report(s, Some(format!("{e:#}")), 0, 0);
            }
        }
        if gone {
            return;
        }
        // Incidents opened here or elsewhere go out to the configured
        // destinations; a failing push is retried on its own schedule.
        if !config.escalations.is_empty()
            && push_at.is_none_or(|t| t.elapsed() >= Duration::from_secs(30))
        {
            push_at = Some(std::time::Instant::now());
            let pushed = crate::sources::escalation::push_pending(
                store.as_mut(),
                &config.escalations,
                Utc::now(),
                |d| crate::sources::escalation::client(d, PUSH_RETRY),
            );
            if pushed.is_ok_and(|r| r.iter().any(|p| p.error.is_some())) {
                attention_at = None;
            }
        }
        // The day's decisions reach the witness while the screen is open.
        if config.ledger.enabled()
            && witness_at.is_none_or(|t| t.elapsed() >= Duration::from_secs(60))
        {
            witness_at = Some(std::time::Instant::now());
            if let Err(e) =
                crate::review::witness::maybe_checkpoint(store.as_ref(), &config.ledger, Utc::now())
            {
                tracing::error!("checkpoint: {e:#}");
            }
        }
        if attention_at.is_none_or(|t| t.elapsed() >= Duration::from_secs(300)) {
            attention_at = Some(std::time::Instant::now());
            if tx
                .send(Action::Attention(attention(store.as_ref(), &config)))
                .is_err()
            {
                return;
            }
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Retries of one push from the review screen: a destination that is down
/// holds the background thread for seconds, not minutes.
const PUSH_RETRY: crate::sources::http::Retry = crate::sources::http::Retry {
    max_attempts: 2,
    max_total: Duration::from_secs(10),
    base: Duration::from_millis(500),
    cap: Duration::from_secs(5),
};

/// Sources the last week's coverage says need attention: overdue for
/// review, silent when activity was expected (the last two days), or down;
/// and incidents whose push to a destination keeps failing.
pub fn attention(store: &dyn crate::store::Store, config: &Config) -> Vec<(String, String)> {
    let now = Utc::now();
    let today = now.date_naive();
    let Ok(days) =
        crate::review::coverage::days(store, config, today - chrono::Duration::days(6), today, now)
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
    if let Ok(failing) = crate::sources::escalation::failing(store, &config.escalations) {
        for (dest, incident, _) in failing {
            out.push((
                format!("incident {incident} to {dest}"),
                "not pushed".into(),
            ));
        }
    }
    out
}

/// Quits on SIGTERM and SIGHUP (an SSH drop) so the terminal is restored.
fn watch_signals(tx: Sender<Action>) {
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async move {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut term), Ok(mut hup)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::hangup()),
            ) else {
                return;
            };
            // Once the handlers are in, the default action (exit) is gone:
            // every signal that comes must end the screen, whatever state
            // it is in (a note half typed, a confirmation open).
            let code = tokio::select! {
                _ = term.recv() => 128 + libc::SIGTERM,
                _ = hup.recv() => 128 + libc::SIGHUP,
            };
            QUIT.store(true, std::sync::atomic::Ordering::SeqCst);
            let _ = tx.send(Action::Tick(0));
            // The screen's loop sees the flag within one poll; if it is
            // stuck (a write to a terminal that is gone), leave anyway.
            // Decisions are committed before they are shown, so none is
            // lost; an open transaction rolls back.
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(700)) => {}
                _ = term.recv() => {}
                _ = hup.recv() => {}
            }
            std::process::exit(code);
        });
    });
}

/// Set by SIGTERM or SIGHUP: the screen ends at once.
static QUIT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether the terminal is gone: a hung-up terminal fails its attributes
/// (EIO), or answers every poll at once with nothing to read.
fn terminal_gone(fast_empty_polls: u32) -> bool {
    // SAFETY: tcgetattr only writes the struct it is given.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    let attrs_fail = unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut t) } != 0;
    attrs_fail || fast_empty_polls > 100
}

/// Opens the review screen on a store until the reviewer quits.
pub fn run(url: &StoreUrl, config: &Config) -> Result<()> {
    // Open once up front so a bad store is an error before the screen.
    drop(url.open()?);
    let who = Reviewer::current();
    let (fx_tx, fx_rx) = channel::<Effect>();
    let (act_tx, act_rx) = channel::<Action>();
    {
        let (url, config, who, tx) = (url.clone(), config.clone(), who.clone(), act_tx.clone());
        std::thread::spawn(move || worker(url, config, who, fx_rx, tx));
    }
    if !config.sources.is_empty() {
        let (url, config, tx) = (url.clone(), config.clone(), act_tx.clone());
        std::thread::spawn(move || puller(url, config, tx));
    }
    {
        // Other reviewers' decisions show up within a second.
        let (url, tx) = (url.clone(), act_tx.clone());
        std::thread::spawn(move || {
            let _ = crate::store::watch::watch(&url, |ids| tx.send(Action::Changed(ids)).is_ok());
        });
    }
    watch_signals(act_tx.clone());
    let theme = view::Theme::load(
        &config.theme,
        config
            .file
            .clone()
            .unwrap_or_else(crate::config::paths::config_file)
            .parent(),
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
    )
    .map_err(|e| color_eyre::eyre::eyre!(e))?;
    let mut state = State::new(
        who.name.clone(),
        url.to_string(),
        config.policy.notes_required.clone(),
    );
    state.idle_after = config.idle_timeout.as_secs();
    state.mask = config.mask.clone();
    state.keys = keymap::Keymap::with(&config.keys).map_err(|e| color_eyre::eyre::eyre!(e))?;
    let started = std::time::Instant::now();
    let began = Utc::now();
    let mut terminal = ratatui::init();
    // Restores the terminal however this function is left (a return, an
    // error, an unwinding panic); ratatui's panic hook covers the rest.
    let _guard = RestoreOnDrop;
    (|| -> Result<()> {
        let mut pending = vec![Effect::LoadPage {
            filter: String::new(),
            offset: 0,
        }];
        let mut fast_empty_polls = 0u32;
        loop {
            for fx in pending.drain(..) {
                let _ = fx_tx.send(fx);
            }
            let size = terminal.size()?;
            let area = ratatui::layout::Rect::new(0, 0, size.width, size.height);
            let rows = view::table_rows(view::table_height(&state, area));
            if rows != state.page_rows {
                pending.extend(update::update(&mut state, Action::Resized(rows)));
            }
            terminal.draw(|f| view::render(&state, &theme, f))?;
            pending.extend(update::update(
                &mut state,
                Action::Tick(started.elapsed().as_secs()),
            ));
            let polled = std::time::Instant::now();
            let ready = event::poll(Duration::from_millis(50))?;
            if ready {
                fast_empty_polls = 0;
                if let TermEvent::Key(k) = event::read()?
                    && k.kind == KeyEventKind::Press
                {
                    pending.extend(update::update(&mut state, Action::Key(k)));
                }
            } else if polled.elapsed() < Duration::from_millis(5) {
                fast_empty_polls += 1;
            } else {
                fast_empty_polls = 0;
            }
            for a in act_rx.try_iter() {
                pending.extend(update::update(&mut state, a));
            }
            if state.quit || QUIT.load(std::sync::atomic::Ordering::SeqCst) {
                return Ok(());
            }
            if terminal_gone(fast_empty_polls) {
                tracing::warn!("the terminal hung up; the review screen ends");
                return Ok(());
            }
        }
    })()?;
    record_session(url, &who, &state.session, began, Utc::now())
}

/// The ledger entry for a review session: who looked at which sources'
/// items over which time window, with which filters, and how many they
/// decided. Nothing is recorded for a session that looked at nothing.
pub fn record_session(
    url: &StoreUrl,
    who: &Reviewer,
    session: &state::Session,
    began: chrono::DateTime<Utc>,
    ended: chrono::DateTime<Utc>,
) -> Result<()> {
    if session.seen.is_empty() && session.decided == 0 {
        return Ok(());
    }
    let mut sources: Vec<&str> = session
        .seen
        .values()
        .filter_map(|(s, _)| s.as_deref())
        .collect();
    sources.sort_unstable();
    sources.dedup();
    let from = session.seen.values().map(|(_, t)| *t).min();
    let to = session.seen.values().map(|(_, t)| *t).max();
    let mut store = url.open()?;
    store.append_ledger(&crate::store::NewLedgerEntry {
        at: ended,
        actor: who.name.clone(),
        action: "review.session".into(),
        entity: format!("session:{}", who.session),
        payload: serde_json::json!({
            "began": began.to_rfc3339(),
            "ended": ended.to_rfc3339(),
            "sources": sources,
            "activity_from": from.map(|t| t.to_rfc3339()),
            "activity_to": to.map(|t| t.to_rfc3339()),
            "filters": session.filters,
            "items_seen": session.seen.len(),
            "items_decided": session.decided,
        }),
    })?;
    Ok(())
}

/// Leaves raw mode and the alternate screen when dropped.
struct RestoreOnDrop;

impl Drop for RestoreOnDrop {
    fn drop(&mut self) {
        ratatui::restore();
    }
}
