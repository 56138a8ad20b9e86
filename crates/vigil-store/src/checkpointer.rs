//! WAL checkpoints for large ingests: a thread with its own connection
//! copies committed pages into the database file while the writer goes on
//! inserting, and the writer starts the WAL over once it has grown past a
//! bound, so an ingest needs little more disk than its store.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use color_eyre::eyre::Result;
use rusqlite::Connection;

/// The WAL length, in bytes of pages, past which the writer starts it over
/// after a commit. SQLite reuses a WAL from its start only when a write
/// transaction begins on a log copied completely into the database; an
/// ingest begins its next transaction right after each commit, before a
/// background copy can finish, so without this the WAL grew to the size of
/// the whole ingest (752 MiB for a million FHIR records), each of
/// its pages newly allocated by the kernel and freed again at the end.
/// Starting over costs the writer one commit's copy and fsyncs while the
/// other threads wait, so it happens once per this many bytes rather than
/// at every commit.
pub(super) const WAL_RESTART_BYTES: i64 = 256 * 1024 * 1024;

/// What the writer and the thread share.
struct Shared {
    stop: AtomicBool,
    /// Held for each checkpoint, so the writer's own waits for the thread's.
    round: Mutex<()>,
}

/// A thread with its own connection that runs passive WAL checkpoints while
/// a large ingest is under way. The writer then rarely stops to copy pages
/// itself, and on two cores the copy overlaps with parsing and inserting.
pub(super) struct Checkpointer {
    shared: Arc<Shared>,
    /// Frames in the WAL after the writer's last commit (its WAL hook's).
    frames: Arc<AtomicI64>,
    /// `WAL_RESTART_BYTES` (or a test's bound) in frames of this store.
    restart_frames: i64,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread on the store at `path` and takes over `writer`'s
    /// WAL hook, which SQLite's own automatic checkpoints would otherwise
    /// use: those would copy on the writer at every commit.
    pub(super) fn start(
        writer: &mut Connection,
        path: &Path,
        wal: &Path,
        restart_bytes: i64,
    ) -> Result<Checkpointer> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(1))?;
        let page_size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        let wal = File::open(wal).ok();
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            round: Mutex::new(()),
        });
        let s = shared.clone();
        let handle = std::thread::Builder::new()
            .name("vigil-checkpoint".into())
            .spawn(move || {
                while !s.stop.load(Ordering::Relaxed) {
                    {
                        let _round = s.round.lock().unwrap_or_else(PoisonError::into_inner);
                        // PASSIVE never blocks the writer; a busy error just
                        // means "try again on the next round".
                        let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                    }
                    // The open transaction's pages go to disk now, rather
                    // than all at the fsync of its commit's checkpoint,
                    // which the writer waits for when it starts the WAL over.
                    if let Some(w) = &wal {
                        let _ = w.sync_data();
                    }
                    std::thread::sleep(Duration::from_millis(25));
                }
            })?;
        let frames = Arc::new(AtomicI64::new(0));
        let c = Checkpointer {
            shared,
            frames: frames.clone(),
            restart_frames: (restart_bytes / page_size.max(1)).max(1),
            handle: Some(handle),
        };
        // Last, so a failure above leaves the writer's automatic
        // checkpoints in place (and one here stops the thread, dropping c).
        writer.execute_batch("PRAGMA wal_autocheckpoint = 0")?;
        writer.wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, pages| {
            frames.store(i64::from(pages), Ordering::Relaxed);
            Ok(())
        }))?;
        Ok(c)
    }

    /// After a commit on `conn`: when the WAL has grown past the bound,
    /// copies what the thread has not yet copied, so the writer's next
    /// transaction starts the WAL over. A reader holding an old snapshot
    /// can keep the copy from completing; the WAL then grows until a later
    /// commit finds it free.
    pub(super) fn restart_if_long(&self, conn: &Connection) -> Result<()> {
        if self.frames.load(Ordering::Relaxed) < self.restart_frames {
            return Ok(());
        }
        let _round = self
            .shared
            .round
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
