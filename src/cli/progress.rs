//! Progress bars for long commands (ingest, pull, rules rerun), drawn on
//! standard error from `vigil_domain::progress` by a thread of their own,
//! so the work never waits on the terminal. Nothing is drawn when standard
//! error is not a terminal: scripts and pipes see only their output.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use vigil_domain::progress::{self, Unit};

/// A bar on standard error while it lives; cleared when dropped.
pub struct Bar {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Bar {
    /// Starts counting `what`, and draws it if standard error is a terminal.
    pub fn start(what: &str, unit: Unit) -> Bar {
        progress::start(what, unit);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::io::stderr().is_terminal().then(|| {
            let stop = stop.clone();
            std::thread::spawn(move || draw(&stop))
        });
        Bar { stop, thread }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn draw(stop: &AtomicBool) {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(8));
    let mut shape = None;
    while !stop.load(Ordering::Relaxed) {
        let s = progress::snapshot();
        let now = (s.unit, s.total > 0);
        if shape != Some(now) {
            bar.set_style(style(now.0, now.1));
            shape = Some(now);
        }
        if s.total > 0 {
            bar.set_length(s.total);
        }
        bar.set_position(s.done);
        bar.set_message(s.what);
        std::thread::sleep(Duration::from_millis(100));
    }
    bar.finish_and_clear();
}

/// A bar with a known total; a spinner with a rate without one.
fn style(unit: Unit, known: bool) -> ProgressStyle {
    let template = match (unit, known) {
        (Unit::Bytes, true) => {
            "{msg:24!} {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}"
        }
        (Unit::Bytes, false) => "{spinner} {msg} {bytes} {binary_bytes_per_sec}",
        (Unit::Events, true) => "{msg:24!} {wide_bar} {human_pos}/{human_len} events eta {eta}",
        (Unit::Events, false) => "{spinner} {msg} {human_pos} events {per_sec}",
    };
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}
