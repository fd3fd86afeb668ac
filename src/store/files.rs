//! SQLite's files on disk: created readable by their owner only (they hold password hashes,
//! session hashes and queued mail), and copied whole by an online backup.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use super::StoreError;

/// Creates the database file named by `url` with mode 0600 if it does not exist yet. SQLite
/// gives its -wal and -shm files the mode of the database file, so they follow.
pub(super) fn create_private_database(url: &str) -> Result<(), StoreError> {
    if url.contains(":memory:") || url.contains("mode=memory") {
        return Ok(());
    }
    let options = SqliteConnectOptions::from_str(url)?;
    // An existing file is left as it is; a missing directory or a read-only disk SQLite
    // reports in its own words when it opens the file.
    let _ = private_file(options.get_filename());
    Ok(())
}

/// Creates `path`, mode 0600; an existing file is refused.
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Writes a consistent copy of the SQLite database at `url` to `to`, which must not exist.
/// `VACUUM INTO` reads one snapshot, so a server may keep writing meanwhile (WAL lets readers
/// and the writer proceed together); the copy is compact and in one file.
pub async fn backup_sqlite(url: &str, to: &Path) -> Result<(), BackupError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(StoreError::from)?
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(30));
    let source = options.get_filename().to_path_buf();
    if !source.exists() {
        return Err(BackupError::NoDatabase(source.display().to_string()));
    }
    let io = |e: std::io::Error| BackupError::Target(to.display().to_string(), e);
    // An empty file is a valid target for VACUUM INTO, and this one is private from the start.
    private_file(to).map_err(io)?;
    let result = async {
        let mut conn = options.connect().await?;
        sqlx::query("VACUUM INTO $1")
            .bind(to.to_string_lossy().into_owned())
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        Ok::<(), sqlx::Error>(())
    }
    .await;
    if let Err(e) = result {
        let _ = std::fs::remove_file(to);
        return Err(StoreError::from(e).into());
    }
    // VACUUM INTO does not sync the copy; a backup should survive a power cut once reported.
    std::fs::File::open(to)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("there is no SQLite database at {0}; pass the server's --database or --config")]
    NoDatabase(String),
    #[error("cannot create the backup file {0} ({1}); name a new file in a writable directory")]
    Target(String, std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}
