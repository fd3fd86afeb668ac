//! Faults that lie with the database's surroundings rather than with a request or the data:
//! the server gone or restarting, a lock held too long, a full disk, a failing one. Each is
//! worth a retry once it passes, so clients get 503 with `Retry-After`, and the operator a log
//! line saying what to fix and where.

use std::path::Path;

use super::{Store, StoreError};

/// What keeps the database from answering for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// Unreachable, restarting or shutting down (connection refused or lost, SQLSTATE 08…,
    /// 57…), or no connection free in time.
    Unreachable,
    /// Another writer held the lock longer than the busy timeout (SQLite).
    Busy,
    /// No space left for the database: `SQLITE_FULL`, PostgreSQL's 53100 `disk_full`.
    DiskFull,
    /// The operating system failed to read or write the database file (`SQLITE_IOERR…`).
    Io,
    /// PostgreSQL lacks memory, connections or another resource (SQLSTATE 53…).
    Exhausted,
}

impl StoreError {
    /// The outage behind this error, if the same request may succeed once it passes.
    pub fn outage(&self) -> Option<Outage> {
        let error = match self {
            StoreError::Database(error) => error,
            StoreError::WriteQueue => return Some(Outage::Busy),
            _ => return None,
        };
        match error {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed => Some(Outage::Unreachable),
            sqlx::Error::Database(db) => {
                let code = db.code()?;
                if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                    sqlite_outage(code.parse().ok()?)
                } else {
                    postgres_outage(&code)
                }
            }
            _ => None,
        }
    }
}

/// SQLite result codes; the low byte of an extended code is its primary code.
fn sqlite_outage(code: i32) -> Option<Outage> {
    match code & 0xff {
        5 | 6 => Some(Outage::Busy),
        10 => Some(Outage::Io),
        13 => Some(Outage::DiskFull),
        _ => None,
    }
}

/// PostgreSQL SQLSTATEs: connection exception, insufficient resources, operator intervention
/// (shutdown, restart), and the system's I/O errors.
fn postgres_outage(sqlstate: &str) -> Option<Outage> {
    match sqlstate {
        "53100" => Some(Outage::DiskFull),
        "58030" => Some(Outage::Io),
        _ => match sqlstate.get(..2) {
            Some("08" | "57") => Some(Outage::Unreachable),
            Some("53") => Some(Outage::Exhausted),
            _ => None,
        },
    }
}

impl Store {
    /// What an operator needs to find the database: the SQLite file, or PostgreSQL's host and
    /// database (never the password).
    pub fn location(&self) -> String {
        match self {
            Store::Sqlite(pool) => pool.connect_options().get_filename().display().to_string(),
            Store::Postgres(pool) => {
                let options = pool.connect_options();
                format!(
                    "PostgreSQL database {:?} on {}:{}",
                    options.get_database().unwrap_or_default(),
                    options.get_host(),
                    options.get_port()
                )
            }
        }
    }

    /// Logs `outage` once, with where it is and what to do about it; `error` is the cause.
    pub fn report(&self, outage: Outage, error: &dyn std::fmt::Display) {
        let location = self.location();
        match (outage, self) {
            (Outage::DiskFull, Store::Sqlite(_)) => tracing::error!(
                database = %location,
                free_bytes = free_bytes(Path::new(&location)),
                error = %error,
                "the disk holding the database is full: writes get 503 until space is freed \
                 there, then resume by themselves; reads and session checks go on"
            ),
            (Outage::Io, Store::Sqlite(_)) => {
                let free = free_bytes(Path::new(&location));
                if free.is_some_and(|free| free < LOW_SPACE) {
                    tracing::error!(
                        database = %location, free_bytes = free, error = %error,
                        "the disk holding the database is full: writes get 503 until space is \
                         freed there, then resume by themselves"
                    )
                } else {
                    tracing::error!(
                        database = %location, free_bytes = free, error = %error,
                        "I/O error on the database file: check the disk holding it (the \
                         kernel log may say more); requests get 503 meanwhile"
                    )
                }
            }
            (Outage::DiskFull, Store::Postgres(_)) => tracing::error!(
                database = %location,
                error = %error,
                "PostgreSQL is out of disk space: writes get 503 until space is freed on the \
                 database server, then resume by themselves"
            ),
            (Outage::Exhausted | Outage::Io, _) => tracing::error!(
                database = %location,
                error = %error,
                "PostgreSQL lacks a resource (memory, connections, disk): requests get 503 \
                 until it recovers; see the database server's log"
            ),
            (Outage::Busy, _) => tracing::error!(
                database = %location,
                error = %error,
                "the database stayed locked past the busy timeout: requests get 503 meanwhile; \
                 if it goes on, look for another process holding a transaction on it"
            ),
            (Outage::Unreachable, _) => tracing::error!(
                database = %location,
                error = %error,
                "the database is unavailable: requests get 503 until it answers again, and \
                 latch reconnects by itself"
            ),
        }
    }
}

/// Whether a connection handed back to the pool may be reused: not if it is still inside a
/// transaction. On a full disk SQLite rolls a transaction back by itself, sqlx still counts
/// it open, its `ROLLBACK` then fails, and the connection went back to the pool in that
/// state: its next "transaction" was a savepoint in an implicit one that never ended and
/// kept the write lock, so every later write was `database is locked` until a restart.
pub(super) async fn outside_transaction(
    conn: &mut sqlx::SqliteConnection,
) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    // A connection that counts no transaction cannot gain one: sqlx rolls back a `BEGIN`
    // whose caller went away before its answer. Only a dropped transaction, whose rollback is
    // still queued, needs the round trip.
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    // Queued behind the rollback a dropped transaction sent, so the count below is final.
    conn.ping().await?;
    if conn.is_in_transaction() {
        tracing::warn!("closing a database connection left inside a failed transaction");
        return Ok(false);
    }
    Ok(true)
}

/// Less free space than this makes an I/O error a full disk.
const LOW_SPACE: u64 = 1 << 20;

/// Bytes free for unprivileged writers on the file system holding `path` (or, while the
/// file does not exist, its directory).
fn free_bytes(path: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        let at = if path.exists() { path } else { path.parent()? };
        let stat = rustix::fs::statvfs(at).ok()?;
        Some(stat.f_bavail.saturating_mul(stat.f_frsize))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_codes_name_their_outage() {
        // SQLITE_FULL, SQLITE_IOERR_WRITE, SQLITE_IOERR_SHMSIZE, SQLITE_BUSY_SNAPSHOT.
        assert_eq!(sqlite_outage(13), Some(Outage::DiskFull));
        assert_eq!(sqlite_outage(778), Some(Outage::Io));
        assert_eq!(sqlite_outage(4874), Some(Outage::Io));
        assert_eq!(sqlite_outage(517), Some(Outage::Busy));
        // A constraint failure is the request's fault.
        assert_eq!(sqlite_outage(2067), None);
    }

    #[test]
    fn sqlstates_name_their_outage() {
        // Numeric SQLSTATEs are not SQLite codes: 53100 once read as one was no outage.
        assert_eq!(postgres_outage("53100"), Some(Outage::DiskFull));
        assert_eq!(postgres_outage("53200"), Some(Outage::Exhausted));
        assert_eq!(postgres_outage("53300"), Some(Outage::Exhausted));
        assert_eq!(postgres_outage("57P01"), Some(Outage::Unreachable));
        assert_eq!(postgres_outage("08006"), Some(Outage::Unreachable));
        assert_eq!(postgres_outage("58030"), Some(Outage::Io));
        assert_eq!(postgres_outage("23505"), None);
    }

    #[test]
    fn lost_connections_are_outages() {
        let lost = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(
            StoreError::Database(sqlx::Error::Io(lost)).outage(),
            Some(Outage::Unreachable)
        );
        assert_eq!(
            StoreError::Database(sqlx::Error::PoolTimedOut).outage(),
            Some(Outage::Unreachable)
        );
        assert_eq!(StoreError::NotEmpty(String::new()).outage(), None);
    }
}
