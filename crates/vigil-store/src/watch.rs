//! Telling an open review screen that someone else changed the queue: on
//! PostgreSQL by LISTEN on the channel the items trigger notifies; on SQLite
//! by the file's data version, which moves when another connection commits.

use std::time::Duration;

use color_eyre::eyre::Result;
use postgres::fallible_iterator::FallibleIterator;

use super::StoreUrl;
use super::pg_connect::Connector;

/// The channel `vigil_item_changed()` notifies, with `schema:item id`.
pub const CHANNEL: &str = "vigil_items";

/// Calls `changed` with the ids of changed items (empty when the store
/// cannot say which) each time others commit changes, at most about once a
/// second, until it returns false. A store that goes away is waited for and
/// listened to again.
pub fn watch(url: &StoreUrl, mut changed: impl FnMut(Vec<i64>) -> bool) -> Result<()> {
    match url {
        StoreUrl::Postgres(t) => {
            let connector = Connector::new(t)?;
            loop {
                let mut client = match connector.connect() {
                    Ok(c) => c,
                    Err(_) => {
                        std::thread::sleep(Duration::from_secs(2));
                        continue;
                    }
                };
                let schema: String = match client
                    .batch_execute(&format!("LISTEN {CHANNEL}"))
                    .and_then(|()| client.query_one("SELECT current_schema()", &[]))
                {
                    Ok(r) => r.get(0),
                    Err(_) => {
                        std::thread::sleep(Duration::from_secs(2));
                        continue;
                    }
                };
                let mine = format!("{schema}:");
                // A change made while not listening would be missed: say
                // something changed each time listening (re)starts.
                if !changed(Vec::new()) {
                    return Ok(());
                }
                loop {
                    let mut ids = Vec::new();
                    let mut broken = false;
                    // The first notification, then whatever follows within
                    // a moment: one refresh for a burst of changes.
                    let mut wait = Duration::from_secs(1);
                    loop {
                        match client.notifications().timeout_iter(wait).next() {
                            Ok(Some(note)) => {
                                // another store in the same database
                                let Some(id) = note.payload().strip_prefix(&mine) else {
                                    continue;
                                };
                                if let Ok(id) = id.parse() {
                                    ids.push(id);
                                }
                                wait = Duration::from_millis(200);
                            }
                            Ok(None) => break,
                            Err(_) => {
                                broken = true;
                                break;
                            }
                        }
                    }
                    if broken || client.is_closed() {
                        break;
                    }
                    if !ids.is_empty() {
                        ids.sort_unstable();
                        ids.dedup();
                        if !changed(ids) {
                            return Ok(());
                        }
                    } else if client.is_valid(Duration::from_secs(5)).is_err() {
                        break;
                    }
                }
            }
        }
        StoreUrl::Sqlite(path) => {
            let conn = rusqlite::Connection::open_with_flags(
                path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )?;
            let version = || -> rusqlite::Result<i64> {
                conn.query_row("PRAGMA data_version", [], |r| r.get(0))
            };
            let mut last = version()?;
            loop {
                std::thread::sleep(Duration::from_secs(1));
                let now = version()?;
                if now != last {
                    last = now;
                    if !changed(Vec::new()) {
                        return Ok(());
                    }
                }
            }
        }
    }
}
