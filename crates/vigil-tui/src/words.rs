//! What the status line says: the question a bulk decision asks, what an
//! answered act did, and the background pulls in a few words. Pure text
//! from the state, neutralized where it holds outside text.

use super::state::{Pull, State};
use vigil_app::model::{Act, ActOutcome};
use vigil_domain::SafeText;

/// The question a bulk decision asks before it runs, if it must ask.
pub(crate) fn confirmation(s: &State, ids: &[i64], a: &Act) -> Option<String> {
    let Act::Decide { disposition, .. } = a else {
        return None;
    };
    if ids.len() < 2 {
        return None;
    }
    // (marked items outside the loaded window are not counted: their
    // severity is not known here)
    let critical = s
        .queue
        .items
        .iter()
        .filter(|i| i.severity == vigil_domain::Severity::Critical && ids.contains(&i.id))
        .count();
    if ids.len() <= s.confirm_over && critical == 0 {
        return None;
    }
    let crit = match critical {
        0 => String::new(),
        n => format!(", {n} of them critical"),
    };
    Some(format!(
        "decide {} items {disposition}{crit}? y decides them, any other key cancels",
        ids.len()
    ))
}

/// What an answered act did, in words: "decided 5 benign", "undid your
/// decision on #12", "claimed #7 until 14:30" (in the screen's zone), with
/// what was refused.
pub(crate) fn told(
    a: Option<&Act>,
    outcomes: &[ActOutcome],
    zone: Option<chrono_tz::Tz>,
) -> (String, bool) {
    let done: Vec<i64> = outcomes
        .iter()
        .filter(|o| !o.is_refused())
        .map(ActOutcome::item)
        .collect();
    let one = |verb: &str| match done.as_slice() {
        [] => String::new(),
        [id] => format!("{verb} #{id}"),
        more => format!("{verb} {} items", more.len()),
    };
    let mut text = match a {
        Some(Act::Decide { disposition, .. }) => {
            let waiting = outcomes
                .iter()
                .filter(|o| {
                    matches!(
                        o,
                        ActOutcome::Done {
                            awaiting_approval: true,
                            ..
                        }
                    )
                })
                .count();
            let mut t = match done.as_slice() {
                [] => String::new(),
                [id] => format!("decided #{id} {disposition}"),
                more => format!("decided {} {disposition}", more.len()),
            };
            if waiting > 0 {
                t.push_str(&format!(" ({waiting} waiting for a second reviewer)"));
            }
            if !t.is_empty() {
                t.push_str(" · u undoes");
            }
            t
        }
        Some(Act::Undo) => match done.as_slice() {
            [] => String::new(),
            [id] => format!("undid your decision on #{id}"),
            more => format!("undid your decisions on {} items", more.len()),
        },
        Some(Act::Claim) => {
            let until = outcomes.iter().find_map(|o| match o {
                ActOutcome::Done { until, .. } => *until,
                _ => None,
            });
            let mut t = one("claimed");
            if let Some(u) = until.filter(|_| !t.is_empty()) {
                t.push_str(&format!(
                    " until {}",
                    vigil_domain::time::local_format(zone, u, "%H:%M")
                ));
            }
            t
        }
        Some(Act::Release) => one("released"),
        Some(Act::Note { .. }) => one("noted"),
        Some(Act::Approve { .. }) => one("approved"),
        Some(Act::Reject { .. }) => one("sent back"),
        Some(Act::Reopen { .. }) => one("reopened"),
        None => format!("saved {}", done.len()),
    };
    let refused: Vec<&ActOutcome> = outcomes.iter().filter(|o| o.is_refused()).collect();
    if let Some(ActOutcome::Refused { item, reason, .. }) = refused.first() {
        if !text.is_empty() {
            text.push_str("; ");
        }
        text.push_str(&format!("#{item} refused: {reason}"));
        if refused.len() > 1 {
            text.push_str(&format!(" (and {} more refused)", refused.len() - 1));
        }
        return (text, true);
    }
    if text.is_empty() {
        text = "nothing changed".into();
    }
    (text, false)
}

/// The sources' background pulls in a few words, for the status line:
/// what is pulling or failing first, then stale ones, then "ok".
pub fn pulls_text(s: &State) -> String {
    let mut busy = Vec::new();
    let mut bad = Vec::new();
    let mut stale = Vec::new();
    let mut last_ok: Option<&str> = None;
    for (name, p) in &s.background.pulls {
        match p {
            Pull::Pulling => busy.push(format!("{name} pulling")),
            Pull::Error { retry, .. } => bad.push(format!("{name} error, retry {retry}")),
            Pull::Ok { stale: true, .. } => stale.push(name.as_str()),
            Pull::Ok { at, .. } => last_ok = Some(last_ok.map_or(at.as_str(), |l| l.max(at))),
        }
    }
    let mut parts: Vec<String> = busy.into_iter().chain(bad).collect();
    for what in ["overdue", "silent", "source down", "not pushed"] {
        let names: Vec<&str> = s
            .background
            .attention
            .iter()
            .filter(|(_, w)| w == what)
            .map(|(n, _)| n.as_str())
            .collect();
        if !names.is_empty() {
            parts.push(format!("{what}: {}", names.join(", ")));
        }
    }
    if !stale.is_empty() {
        parts.push(format!("stale: {}", stale.join(", ")));
    }
    if parts.is_empty()
        && let Some(at) = last_ok
    {
        parts.push(format!("sources ok {at}"));
    }
    if s.background.new_items > 0 {
        parts.insert(0, format!("{} new", s.background.new_items));
    }
    SafeText::new(&parts.join(" · ")).into_string()
}

/// Text for the status bar, neutralized like everything else on screen.
pub fn status_text(s: &State) -> SafeText {
    SafeText::new(
        &s.message
            .as_ref()
            .map(|(m, _)| m.clone())
            .unwrap_or_default(),
    )
}
