//! SQLite: an insert whose text and blobs SQLite reads in place. rusqlite
//! binds every text and blob as `SQLITE_TRANSIENT`, which makes SQLite copy
//! it (allocate, copy, free) before the row is built; for the events insert
//! that was about a tenth of the writer thread, the one thread ingest waits
//! on. Here a row's values are bound `SQLITE_STATIC`, stepped, and unbound
//! within one call, so nothing SQLite holds outlives the borrow it points
//! into.

use std::ffi::c_int;
use std::marker::PhantomData;

use rusqlite::{Connection, ffi};

/// One value of a row.
#[derive(Debug, Clone, Copy)]
pub(super) enum Bind<'a> {
    Int(i64),
    OptInt(Option<i64>),
    Text(Option<&'a str>),
    Blob(&'a [u8]),
}

impl<'a> Bind<'a> {
    pub(super) fn text(t: &'a Option<vigil_domain::SafeText>) -> Bind<'a> {
        Bind::Text(t.as_ref().map(vigil_domain::SafeText::as_str))
    }
}

/// A prepared statement on a connection it cannot outlive.
pub(super) struct BoundInsert<'c> {
    db: *mut ffi::sqlite3,
    stmt: *mut ffi::sqlite3_stmt,
    _conn: PhantomData<&'c Connection>,
}

/// The connection's error for a result code.
fn error(db: *mut ffi::sqlite3, rc: c_int) -> rusqlite::Error {
    // SAFETY: `db` is the open connection the statement was prepared on;
    // its message is copied before any other call can change it.
    let msg = unsafe {
        let p = ffi::sqlite3_errmsg(db);
        (!p.is_null()).then(|| std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned())
    };
    rusqlite::Error::SqliteFailure(ffi::Error::new(rc), msg)
}

impl<'c> BoundInsert<'c> {
    pub(super) fn prepare(conn: &'c Connection, sql: &str) -> rusqlite::Result<Self> {
        // SAFETY: the handle is used only while `conn` is borrowed, on this
        // thread (a `Connection` is not `Sync`), and the statement is
        // finalized in `drop`, before the borrow ends.
        let db = unsafe { conn.handle() };
        let mut stmt = std::ptr::null_mut();
        let len = c_int::try_from(sql.len()).map_err(|_| rusqlite::Error::InvalidQuery)?;
        // SAFETY: `sql` is valid for `len` bytes; `stmt` receives the
        // statement or null.
        let rc = unsafe {
            ffi::sqlite3_prepare_v3(
                db,
                sql.as_ptr().cast(),
                len,
                0,
                &mut stmt,
                std::ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK || stmt.is_null() {
            return Err(error(db, rc));
        }
        Ok(BoundInsert {
            db,
            stmt,
            _conn: PhantomData,
        })
    }

    /// Inserts one row (parameters `?1..` in order); returns the rows the
    /// statement changed. Every value is unbound again before this returns.
    pub(super) fn insert(&mut self, row: &[Bind<'_>]) -> rusqlite::Result<usize> {
        let bound = self.bind(row);
        let rc = match bound {
            // SAFETY: every parameter points into `row`, alive for this call.
            Ok(()) => unsafe { ffi::sqlite3_step(self.stmt) },
            Err(rc) => rc,
        };
        let result = if rc == ffi::SQLITE_DONE {
            // SAFETY: the connection is open.
            Ok(unsafe { ffi::sqlite3_changes64(self.db) } as usize)
        } else {
            Err(error(self.db, rc))
        };
        // SAFETY: resetting and clearing a valid statement; afterwards it
        // holds no pointer into `row`.
        unsafe {
            ffi::sqlite3_reset(self.stmt);
            ffi::sqlite3_clear_bindings(self.stmt);
        }
        result
    }

    fn bind(&mut self, row: &[Bind<'_>]) -> Result<(), c_int> {
        for (i, v) in row.iter().enumerate() {
            let at = (i + 1) as c_int;
            // SAFETY: text and blobs are bound SQLITE_STATIC: SQLite reads
            // them in place until the step in `insert`, which unbinds them
            // before `row`'s borrow ends. A zero-length value still passes
            // a non-null pointer, so it is empty, not NULL.
            let rc = unsafe {
                match *v {
                    Bind::Int(n) | Bind::OptInt(Some(n)) => {
                        ffi::sqlite3_bind_int64(self.stmt, at, n)
                    }
                    Bind::OptInt(None) | Bind::Text(None) => ffi::sqlite3_bind_null(self.stmt, at),
                    Bind::Text(Some(s)) => ffi::sqlite3_bind_text64(
                        self.stmt,
                        at,
                        s.as_ptr().cast(),
                        s.len() as u64,
                        ffi::SQLITE_STATIC(),
                        ffi::SQLITE_UTF8 as u8,
                    ),
                    Bind::Blob(b) => ffi::sqlite3_bind_blob64(
                        self.stmt,
                        at,
                        b.as_ptr().cast(),
                        b.len() as u64,
                        ffi::SQLITE_STATIC(),
                    ),
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(rc);
            }
        }
        Ok(())
    }
}

impl Drop for BoundInsert<'_> {
    fn drop(&mut self) {
        // SAFETY: the statement is valid and finalized once.
        unsafe {
            ffi::sqlite3_finalize(self.stmt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text, blobs (empty ones too), integers and NULLs arrive as bound,
    /// a constraint failure is an error naming it, and the statement goes
    /// on working after it.
    #[test]
    fn rows_arrive_as_bound_and_errors_are_reported() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (n INTEGER NOT NULL, o INTEGER, s TEXT, b BLOB NOT NULL) STRICT",
        )
        .unwrap();
        let mut ins = BoundInsert::prepare(&conn, "INSERT INTO t VALUES (?1, ?2, ?3, ?4)").unwrap();
        let text = String::from("héllo");
        let blob = vec![0u8, 1, 2];
        for row in [
            [
                Bind::Int(1),
                Bind::OptInt(Some(7)),
                Bind::Text(Some(&text)),
                Bind::Blob(&blob),
            ],
            [
                Bind::Int(2),
                Bind::OptInt(None),
                Bind::Text(None),
                Bind::Blob(&[]),
            ],
            [
                Bind::Int(3),
                Bind::OptInt(None),
                Bind::Text(Some("")),
                Bind::Blob(b"x"),
            ],
        ] {
            assert_eq!(ins.insert(&row).unwrap(), 1);
        }
        drop(text);
        let e = ins
            .insert(&[
                Bind::OptInt(None),
                Bind::OptInt(None),
                Bind::Text(None),
                Bind::Blob(b""),
            ])
            .unwrap_err();
        assert!(e.to_string().contains("NOT NULL"), "{e}");
        assert_eq!(
            ins.insert(&[
                Bind::Int(4),
                Bind::Int(0),
                Bind::Text(Some("after")),
                Bind::Blob(b"")
            ])
            .unwrap(),
            1
        );
        drop(ins);
        type Row = (i64, Option<i64>, Option<String>, Vec<u8>);
        let rows: Vec<Row> = conn
            .prepare("SELECT n, o, s, b FROM t ORDER BY n")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            rows,
            [
                (1, Some(7), Some("héllo".to_owned()), vec![0, 1, 2]),
                (2, None, None, vec![]),
                (3, None, Some(String::new()), b"x".to_vec()),
                (4, Some(0), Some("after".to_owned()), vec![]),
            ]
        );
    }
}
