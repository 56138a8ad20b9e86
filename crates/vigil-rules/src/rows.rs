//! Explanations as a run holds them until they are stored: a busy day has
//! hundreds of thousands, so each is a few numbers, its text interned once
//! per run (actors, patients and encounter keys repeat), and they become
//! `Explained` rows only a page at a time when written.

use chrono::{DateTime, Utc};

use crate::knowledge::FastMap;
use vigil_domain::{Explained, Explanation};

/// One access's explanation, compactly.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub event_id: i64,
    pub source_id: i64,
    pub at: DateTime<Utc>,
    pub kind: Explanation,
    actor: u32,
    patient: u32,
    /// 0: none.
    encounter: u32,
    note: u32,
}

impl Row {
    pub fn is_explained(&self) -> bool {
        self.kind != Explanation::Unexplained
    }
}

/// Text seen in a run's explanations, by number (0 is the empty text).
#[derive(Debug)]
pub struct Names {
    text: Vec<String>,
    ids: FastMap<String, u32>,
}

impl Default for Names {
    fn default() -> Self {
        Names {
            text: vec![String::new()],
            ids: FastMap::default(),
        }
    }
}

impl Names {
    fn id(&mut self, s: &str) -> u32 {
        if s.is_empty() {
            return 0;
        }
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.text.len() as u32;
        self.text.push(s.to_owned());
        self.ids.insert(s.to_owned(), i);
        i
    }

    pub fn row(&mut self, x: &Explained) -> Row {
        Row {
            event_id: x.event_id,
            source_id: x.source_id,
            at: x.occurred_at,
            kind: x.kind,
            actor: self.id(&x.actor),
            patient: self.id(&x.patient),
            encounter: x.encounter.as_deref().map_or(0, |e| self.id(e)),
            note: self.id(&x.note),
        }
    }

    pub fn explained(&self, r: &Row) -> Explained {
        let t = |i: u32| self.text[i as usize].clone();
        Explained {
            event_id: r.event_id,
            source_id: r.source_id,
            occurred_at: r.at,
            actor: t(r.actor),
            patient: t(r.patient),
            kind: r.kind,
            encounter: (r.encounter != 0).then(|| t(r.encounter)),
            note: t(r.note),
        }
    }
}
