//! Events as the rules see them: borrowed views of a parsed event or a
//! stored one, so the engine reads both without copying their text.

use chrono::{DateTime, Utc};
use vigil_domain::Event;

use super::RuleEvent;

/// A parsed event, just stored under `id`, as the rules see it.
pub fn view_new(source_id: i64, id: i64, e: &vigil_domain::NewEvent) -> RuleEvent<'_> {
    RuleEvent {
        id,
        ..view_fields(
            source_id,
            e.occurred_at,
            e.outcome,
            &e.action,
            [&e.actor, &e.subject, &e.client, &e.host, &e.detail],
        )
    }
}

/// A stored event as the rules see it.
pub fn view<'a>(source_id: i64, e: &'a Event) -> RuleEvent<'a> {
    RuleEvent {
        id: e.id,
        ..view_fields(
            source_id,
            e.occurred_at,
            e.outcome,
            &e.action,
            [&e.actor, &e.subject, &e.client, &e.host, &e.detail],
        )
    }
}

/// The shared part of the two views: the text fields, borrowed.
fn view_fields<'a>(
    source_id: i64,
    occurred_at: DateTime<Utc>,
    outcome: vigil_domain::Outcome,
    action: &'a vigil_domain::SafeText,
    [actor, subject, client, host, detail]: [&'a Option<vigil_domain::SafeText>; 5],
) -> RuleEvent<'a> {
    let s = |t: &'a Option<vigil_domain::SafeText>| t.as_ref().map(|s| s.as_str());
    RuleEvent {
        id: 0,
        source_id,
        occurred_at,
        actor: s(actor),
        subject: s(subject),
        action: action.as_str(),
        outcome,
        client: s(client),
        host: s(host),
        detail: s(detail),
    }
}
