//! Storage: one method per use case, plain SQL with `$n` placeholders, migrations embedded and
//! versioned per backend. The rest of the program never sees SQL.

mod access_tokens;
mod account_search;
mod account_update;
mod accounts;
mod apps;
mod audit;
mod copy;
mod fault;
mod files;
mod flood;
mod health;
mod import;
mod legacy;
mod mfa;
mod name_folds;
mod outbox;
mod passkeys;
mod rows;
mod secret;
mod session_changes;
mod session_list;
mod sessions;
mod signing_keys;
mod webhooks;
mod writer;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use access_tokens::AccessTokenRow;
pub use account_search::{AccountSearch, FoundAccount};
pub use account_update::{AccountUpdate, Consequences, UpdateOutcome};
pub use accounts::{EndSessions, NewAccount};
pub use apps::AppRow;
pub use audit::{AuditFilter, AuditFold, AuditRow};
pub use copy::{CopyCounts, Snapshot};
pub use fault::Outage;
pub use files::{BackupError, backup_sqlite};
pub use flood::{FloodCount, NewFloodEvent};
pub use health::PoolUsage;
pub use import::{ImportCounts, ImportFailure, ImportRow};
pub use legacy::LegacyCounts;
pub use mfa::TotpRow;
pub use outbox::{Outcome, QueuedMail};
pub use passkeys::{CeremonyRow, NewCeremony, NewPasskey, PasskeyAdded, PasskeyRow};
pub use session_changes::{ChangeFeed, ChangedAccounts, POSTGRES_HEARTBEAT, SQLITE_POLL_INTERVAL};
pub use session_list::{LiveAt, SessionSummary};
pub use sessions::{LinkUse, NewSession};
pub use signing_keys::SigningKeyRow;
pub use webhooks::{NewWebhook, QueuedWebhook};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL {0:?}: use sqlite://FILE or postgres://USER@HOST/DATABASE")]
    UnsupportedUrl(String),
    #[error("the {0} is already taken")]
    Taken(UniqueField),
    #[error("cannot open the {backend} database at {address}: {cause}")]
    Unreachable {
        backend: &'static str,
        address: String,
        cause: String,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(
        "the target database already holds {0}; copy only into a new, empty database (drop and \
         create it again if it holds nothing worth keeping)"
    )]
    NotEmpty(String),
    #[error(
        "this database has columns that `latch copy` does not know ({0}), so a copy would leave \
         them behind; use the latch version that created them"
    )]
    Uncopied(String),
    #[error("an application called {0:?} already exists")]
    AppNameTaken(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("the database is busy: other writes of this server kept it for too long")]
    WriteQueue,
}

impl StoreError {
    /// Whether the database is unreachable, restarting or overloaded, so the same request may
    /// succeed shortly, as opposed to a fault in the request or the data.
    pub fn is_unavailable(&self) -> bool {
        self.outage().is_some()
    }
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

/// The database: SQLite for one machine, PostgreSQL for several nodes. Each method's SQL is
/// written once and compiled for both backends by [`with_pool!`].
#[derive(Clone)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the store's pool, whichever backend it is.
macro_rules! with_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
use with_pool;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a SQLite writer waits for another's lock before it is answered with 503.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a request waits for a database connection before it is answered with 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

impl Store {
    /// Opens the database named by `url`: `sqlite://FILE` (created if missing) or
    /// `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            files::create_private_database(url)?;
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                // A SQLite connection has no far end that could hang up while it sits idle,
                // so the ping sqlx sends before handing one out would only cost a round trip
                // to the connection's thread: a third of a lone statement's hand-offs.
                .test_before_acquire(false)
                .after_release(|conn, _| Box::pin(fault::outside_transaction(conn)))
                .connect_with(options.clone())
                .await
                .map_err(|e| health::unopenable(&options, e))?;
            Ok(Store::Sqlite(pool))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?.application_name("latch");
            health::reach_postgres(&options).await?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await?;
            Ok(Store::Postgres(pool))
        } else {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        }
    }

    /// Applies the migrations this database has not seen yet, then fills the data they
    /// leave to the program. On PostgreSQL, nodes starting together take turns through an
    /// advisory lock.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Store::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        self.fill_name_folds().await
    }

    pub async fn close(&self) {
        with_pool!(self, |pool| pool.close().await)
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "SQLite",
            Store::Postgres(_) => "PostgreSQL",
        }
    }
}

/// Turns a unique-constraint violation into the field it protects.
fn classify(error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &error
        && db.is_unique_violation()
    {
        let message = db.message();
        if message.contains("name_key") || message.contains("name_fold") {
            return StoreError::Taken(UniqueField::Name);
        }
        if message.contains("mail_key") {
            return StoreError::Taken(UniqueField::Mail);
        }
    }
    StoreError::Database(error)
}
