//! One writer at a time per SQLite database in this process.
//!
//! SQLite lets one connection write at a time; the others wait in its busy handler, which
//! sleeps 1, 2, 5, 10 … up to 100 ms between tries. Under concurrent writes that turns into
//! tails of hundreds of milliseconds, and no order: a writer may lose every race. Writers of
//! this process instead queue for their turn on an async mutex, first come first served, and
//! each finds the database free when its turn comes. (Other processes — the command line —
//! still meet SQLite's busy handler, rarely.) PostgreSQL locks rows, not the database, so it
//! needs no turn.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use tokio::sync::OwnedMutexGuard;

use super::{Store, StoreError};

/// A writer's turn; the next writer's starts when it is dropped.
pub struct WriteTurn {
    _held: Option<OwnedMutexGuard<()>>,
}

/// The turn of each SQLite database this process has open, by file.
static TURNS: LazyLock<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> =
    LazyLock::new(Default::default);

fn turn_of(file: &Path) -> Arc<tokio::sync::Mutex<()>> {
    let mut turns = TURNS.lock().unwrap_or_else(|e| e.into_inner());
    turns.entry(file.to_path_buf()).or_default().clone()
}

impl Store {
    /// Waits for this process's turn to write to the database. Hold it across a write
    /// transaction or statement, and take no other turn meanwhile. Fails as busy after as
    /// long as SQLite itself would wait for another process's lock.
    pub(super) async fn write_turn(&self) -> Result<WriteTurn, StoreError> {
        match self {
            Store::Sqlite(pool) => {
                let turn = turn_of(pool.connect_options().get_filename());
                match tokio::time::timeout(super::SQLITE_BUSY_TIMEOUT, turn.lock_owned()).await {
                    Ok(held) => Ok(WriteTurn { _held: Some(held) }),
                    Err(_) => Err(StoreError::WriteQueue),
                }
            }
            Store::Postgres(_) => Ok(WriteTurn { _held: None }),
        }
    }
}
