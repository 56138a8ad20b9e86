//! What the review screen shows and what it asks of the outside world. No
//! I/O and no clock in here: the runtime turns `Effect`s into work and feeds
//! the results back as `Action`s.

use std::collections::BTreeSet;

use vigil_app::model::{Act, ActOutcome};
use vigil_domain::{Disposition, Item};

/// Items kept in memory around the cursor; the queue itself stays in the
/// store, however long it is.
pub const WINDOW: u64 = 200;

pub use vigil_app::screens::{Detail, Inquiry, Listing, Screen};

#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    /// Typing a filter (the text so far).
    Filter(String),
    /// Typing the note a decision needs.
    Note {
        disposition: Disposition,
        ids: Vec<i64>,
        text: String,
    },
    Help,
    /// Typing the reason for revealing an item's patient identifiers.
    Reveal {
        item: i64,
        text: String,
    },
    /// The command palette: what is typed, and which of its matches
    /// (`Keymap::find`, best first) Enter would run.
    Palette {
        text: String,
        selected: usize,
    },
    /// Typing the reason for an investigation from the item under the
    /// cursor: about whom (a record number or an account), and how the
    /// prompt names them (masked).
    Investigate {
        inquiry: Inquiry,
        about: String,
        shown: String,
        text: String,
    },
    /// Typing a note for the items' history.
    Comment {
        ids: Vec<i64>,
        text: String,
    },
    /// Typing an update to the incident selected on the incidents screen.
    IncidentUpdate {
        id: i64,
        text: String,
    },
    /// A bulk act (over `[tui] confirm_over` items, or over a critical
    /// one) waiting for `y`: what it would do, in words.
    Confirm {
        ids: Vec<i64>,
        act: Act,
        prompt: String,
    },
}

#[derive(Debug, Clone)]
pub struct State {
    /// Keys in force (defaults with the config's `[keys]`).
    pub keys: crate::keymap::Keymap,
    /// This session's review, recorded in the ledger when the screen
    /// closes: the items looked at (source, time), the filters used, and
    /// how many items were decided.
    pub session: Session,
    pub reviewer: String,
    pub store_label: String,
    pub mode: Mode,
    /// A line for the status bar, and whether it is an error.
    pub message: Option<(String, bool)>,
    pub notes_required: Vec<Disposition>,
    /// Acts over more items than this ask once before they run
    /// (`[tui] confirm_over`); so does any act over a critical item that
    /// is not the only one.
    pub confirm_over: usize,
    /// Ring the terminal's bell when a new critical item arrives
    /// (`[tui] bell`).
    pub bell: bool,
    /// Which page of the help is open (Tab turns it).
    pub help_page: usize,
    /// The one zone every time on the screen is shown in (`[tui]
    /// timezone`, else the rules' zone; `None` is UTC).
    pub zone: Option<chrono_tz::Tz>,
    /// The rule and source names a filter may use (empty until loaded).
    pub names: vigil_app::screens::FilterNames,
    pub quit: bool,
    /// The queue: the window of items loaded around the cursor, marks and the filter.
    pub queue: Queue,
    /// The detail pane beside the queue.
    pub pane: Pane,
    /// Which screen is shown, and its rows.
    pub screens: Screens,
    /// Blanking after no input.
    pub idle: Idle,
    /// What the background reports: pulls, coverage warnings, the store's health.
    pub background: Background,
}

/// The queue: the window of items loaded around the cursor, marks and the filter.
#[derive(Debug, Clone)]
pub struct Queue {
    /// Queue position of the last item marked with Mark: where `V` starts.
    pub mark_anchor: Option<u64>,
    /// The item under the cursor when a background refresh was asked for:
    /// the cursor stays on it when the new page arrives.
    pub keep: Option<i64>,
    /// The live count for the filter being typed: the text it is for, and
    /// the count or why the filter is bad.
    pub filter_count: Option<(String, Result<u64, String>)>,
    /// The window of items loaded, starting at queue position `offset`.
    pub items: Vec<Item>,
    pub offset: u64,
    pub total: u64,
    /// Queue position of the cursor.
    pub cursor: u64,
    pub marked: BTreeSet<i64>,
    pub filter: String,
    /// What `.` repeats.
    pub last_act: Option<Act>,
    /// The act sent and not yet answered, for the message that says what
    /// it did.
    pub in_flight: Option<Act>,
    /// The items of this reviewer's last decision: `u` reverts them all
    /// (a bulk decision is undone as one).
    pub undo: Vec<i64>,
    /// The newest item id when the screen opened: items after it are new
    /// until the reviewer opens them.
    pub baseline: Option<i64>,
    /// The newest critical item the bell has rung for.
    pub belled: i64,
    pub loading: bool,
    /// Rows the table shows: how far PageDown moves.
    pub page_rows: u64,
}

/// The detail pane beside the queue.
#[derive(Debug, Clone)]
pub struct Pane {
    /// The queue's share of the width (or height) beside the detail pane.
    pub split: u16,
    /// Keys move the detail pane's text rather than the queue's cursor.
    pub detail_focus: bool,
    /// Lines the detail pane is scrolled by.
    pub detail_scroll: u16,
    /// Fields masked until revealed (`[tui] mask`): `subject` (patient
    /// identifiers), `actor`, `client`.
    pub mask: Vec<String>,
    pub detail: Option<Detail>,
    pub show_detail: bool,
    /// Items whose patient identifiers the reviewer revealed (with a reason,
    /// in the ledger); all others are masked on screen.
    pub revealed: BTreeSet<i64>,
}

/// Which screen is shown, and its rows.
#[derive(Debug, Clone)]
pub struct Screens {
    pub screen: Screen,
    /// The non-queue screen's rows, when loaded.
    pub listing: Option<Listing>,
    /// The selected row of that listing: the screen scrolls to keep it.
    pub cursor: usize,
    /// The selected row is open: every column of it, whole.
    pub open: bool,
    /// What the investigation screen shows above its rows.
    pub heading: Option<String>,
}

/// Blanking after no input.
#[derive(Debug, Clone)]
pub struct Idle {
    /// Seconds of no input after which the screen blanks (0: never).
    pub idle_after: u64,
    /// The runtime's clock as of the last tick (seconds).
    pub clock: u64,
    /// When the last key came, on that clock.
    pub last_input: u64,
    /// The screen is blanked until a key is pressed.
    pub blanked: bool,
}

/// What the background reports: pulls, coverage warnings, the store's health.
#[derive(Debug, Clone)]
pub struct Background {
    /// Each configured source's background pull.
    pub pulls: std::collections::BTreeMap<String, Pull>,
    /// Since when (on `clock`) the store has not answered: the screen keeps
    /// its place and asks again every few seconds.
    pub store_down: Option<u64>,
    /// Sources needing attention from the coverage: (source, "overdue",
    /// "silent" or "source down"), shown on the status line.
    pub attention: Vec<(String, String)>,
    /// Items the background pulls filed since the screen opened that the
    /// reviewer has not opened yet.
    pub new_items: u64,
}

impl State {
    pub fn new(reviewer: String, store_label: String, notes_required: Vec<Disposition>) -> State {
        State {
            keys: crate::keymap::Keymap::default(),
            session: Session::default(),
            reviewer,
            store_label,
            mode: Mode::Normal,
            message: None,
            notes_required,
            confirm_over: 10,
            bell: false,
            help_page: 0,
            zone: None,
            names: Default::default(),
            quit: false,
            queue: Queue {
                items: Vec::new(),
                offset: 0,
                total: 0,
                cursor: 0,
                marked: BTreeSet::new(),
                filter: String::new(),
                loading: true,
                page_rows: 20,
                mark_anchor: None,
                keep: None,
                filter_count: None,
                last_act: None,
                in_flight: None,
                undo: Vec::new(),
                baseline: None,
                belled: 0,
            },
            pane: Pane {
                detail: None,
                show_detail: true,
                detail_focus: false,
                detail_scroll: 0,
                split: 55,
                revealed: BTreeSet::new(),
                mask: vec!["subject".into()],
            },
            screens: Screens {
                screen: Screen::Queue,
                listing: None,
                cursor: 0,
                open: false,
                heading: None,
            },
            idle: Idle {
                idle_after: 15 * 60,
                clock: 0,
                last_input: 0,
                blanked: false,
            },
            background: Background {
                pulls: Default::default(),
                attention: Vec::new(),
                store_down: None,
                new_items: 0,
            },
        }
    }

    /// Whether an item was filed after the screen opened and has not been
    /// opened since.
    pub fn is_new(&self, item: &Item) -> bool {
        self.queue.baseline.is_some_and(|b| item.id > b)
            && !self.session.seen.contains_key(&item.id)
    }

    /// The item under the cursor, if it is loaded.
    pub fn current(&self) -> Option<&Item> {
        let i = self.queue.cursor.checked_sub(self.queue.offset)?;
        self.queue.items.get(i as usize)
    }

    /// The items an action applies to: the marked ones, else the current.
    pub fn targets(&self) -> Vec<i64> {
        if self.queue.marked.is_empty() {
            self.current().map(|i| vec![i.id]).unwrap_or_default()
        } else {
            self.queue.marked.iter().copied().collect()
        }
    }
}

/// Something that happened: a key, or a result from the outside.
#[derive(Debug, Clone)]
pub enum Action {
    Key(crate::keymap::Key),
    /// A page of the queue arrived.
    Loaded {
        offset: u64,
        total: u64,
        items: Vec<Item>,
    },
    DetailLoaded(Box<Detail>),
    /// The review service answered (after the store committed).
    Acted(Vec<ActOutcome>),
    /// An incident was opened (after the store committed).
    Escalated {
        incident: i64,
        items: usize,
    },
    /// The reveal is in the ledger: show the item unmasked.
    Revealed(i64),
    /// A screen's rows arrived.
    Listed(Screen, Listing),
    /// An investigation ran (and is in the ledger): its heading and rows.
    Investigated(String, Listing),
    Failed(String),
    /// The store did not answer (a server restarting, a network drop): the
    /// request is tried again; a decision being saved is held and retried.
    StoreDown(String),
    /// Others changed these items (empty: some items) in the store.
    Changed(Vec<i64>),
    /// Sources overdue for review, silent, or down (from the coverage).
    Attention(Vec<(String, String)>),
    /// The screen has this many rows for the table.
    Resized(u64),
    /// Time passes (seconds on the runtime's clock): the reducer reads no
    /// clock of its own.
    Tick(u64),
    /// A background pull of a source started, finished or failed.
    Pull(String, Pull),
    /// How many items a filter being typed keeps, or why it is not valid.
    FilterCounted(String, Result<u64, String>),
    /// An incident was updated (committed): what it is now.
    IncidentUpdated(String),
    /// The store's newest item id (after each page): the first one is the
    /// baseline that tells new items from those there when the screen
    /// opened.
    Newest(i64),
    /// The rule and source names a filter may use.
    Names(vigil_app::screens::FilterNames),
}

pub use vigil_app::background::Pull;
pub use vigil_app::model::Session;

/// Work for the runtime.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadPage {
        filter: String,
        offset: u64,
    },
    LoadDetail(i64),
    Act {
        ids: Vec<i64>,
        act: Act,
    },
    /// Open an incident for these items (severity: the items' highest).
    Escalate {
        ids: Vec<i64>,
    },
    /// Record why the reviewer needs to see an item's patient identifiers.
    Reveal {
        item: i64,
        reason: String,
    },
    /// Load the rows of a screen other than the queue.
    LoadScreen(Screen),
    /// Count the items a filter being typed would keep.
    CountFilter(String),
    /// Load the rule and source names a filter may use.
    LoadNames,
    /// Run an investigation with the reviewer's reason.
    Investigate {
        inquiry: Inquiry,
        about: String,
        reason: String,
    },
    /// Ring the terminal's bell (a new critical item, `[tui] bell`).
    Bell,
    /// Update an incident as the reviewer typed it.
    UpdateIncident {
        id: i64,
        change: vigil_app::model::IncidentChange,
    },
}
