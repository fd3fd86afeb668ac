//! Storage: one method per use case, plain SQL with `$n` placeholders, migrations embedded and
//! versioned per backend. The rest of the program never sees SQL.

mod accounts;
mod outbox;
mod sessions;

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use accounts::{EndSessions, NewAccount};
pub use outbox::QueuedMail;
pub use sessions::NewSession;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL {0:?}: use sqlite://FILE")]
    UnsupportedUrl(String),
    #[error("the {0} is already taken")]
    Taken(UniqueField),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// The columns that are unique across accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueField {
    Name,
    Mail,
}

impl std::fmt::Display for UniqueField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UniqueField::Name => "name",
            UniqueField::Mail => "mail",
        })
    }
}

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

impl Store {
    /// Opens the database named by `url`, creating an SQLite file if it does not exist.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if !url.starts_with("sqlite:") {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        }
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }

    /// Applies the migrations this database has not seen yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        SQLITE_MIGRATIONS.run(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Turns a unique-constraint violation into the field it protects.
fn classify(error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &error
        && db.is_unique_violation()
    {
        let message = db.message();
        if message.contains("name_key") {
            return StoreError::Taken(UniqueField::Name);
        }
        if message.contains("mail_key") {
            return StoreError::Taken(UniqueField::Mail);
        }
    }
    StoreError::Database(error)
}
