//! What operators ask of the database itself: whether it answers, whether its schema is this
//! program's, how busy its connections are, and how much mail waits to be sent.

use std::collections::HashSet;
use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::SqliteConnectOptions;

use super::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS, Store, StoreError, with_pool};

/// How long the first connection at start may take before latch gives up, naming the server.
const FIRST_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The connections of the pool: lent out to a query, and open but waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    pub in_use: u32,
    pub idle: u32,
}

impl Store {
    /// Whether the database answers a query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query("SELECT 1").execute(pool).await?;
            Ok(())
        })
    }

    /// How many of this program's migrations the database has not applied.
    pub async fn pending_migrations(&self) -> Result<usize, StoreError> {
        let sql = "SELECT version FROM _sqlx_migrations WHERE success";
        let applied: HashSet<i64> = with_pool!(self, |pool| sqlx::query_scalar(sql)
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect());
        let migrator = match self {
            Store::Sqlite(_) => &SQLITE_MIGRATIONS,
            Store::Postgres(_) => &POSTGRES_MIGRATIONS,
        };
        Ok(migrator
            .iter()
            .filter(|m| m.migration_type.is_up_migration() && !applied.contains(&m.version))
            .count())
    }

    pub fn pool_usage(&self) -> PoolUsage {
        with_pool!(self, |pool| {
            let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX);
            PoolUsage {
                in_use: pool.size().saturating_sub(idle),
                idle,
            }
        })
    }

    /// Messages waiting to be sent (queued, including those waiting for a retry).
    pub async fn outbox_depth(&self) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM mail_outbox WHERE state = 'queued'";
        with_pool!(self, |pool| Ok(sqlx::query_scalar(sql)
            .fetch_one(pool)
            .await?))
    }

    /// Webhook events waiting to be delivered, retries included.
    pub async fn webhook_outbox_depth(&self) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM webhook_outbox WHERE state = 'queued'";
        with_pool!(self, |pool| Ok(sqlx::query_scalar(sql)
            .fetch_one(pool)
            .await?))
    }

    /// Whether an active account has the administrator role.
    pub async fn has_active_administrator(&self) -> Result<bool, StoreError> {
        Ok(!self.active_administrator_mails().await?.is_empty())
    }
}

/// A SQLite file that cannot be opened, named with SQLite's or the system's reason.
pub(super) fn unopenable(options: &SqliteConnectOptions, error: sqlx::Error) -> StoreError {
    let cause = match &error {
        sqlx::Error::Database(e) => e.message().to_string(),
        sqlx::Error::Io(e) => e.to_string(),
        _ => return StoreError::Database(error),
    };
    StoreError::Unreachable {
        backend: "SQLite",
        address: options.get_filename().display().to_string(),
        cause,
    }
}

/// Connects once to the PostgreSQL server `options` names, so that a server that cannot be
/// reached is reported with its host, port and the system's reason, rather than as the
/// pool's bare timeout.
pub(super) async fn reach_postgres(options: &PgConnectOptions) -> Result<(), StoreError> {
    let unreachable = |cause: String| StoreError::Unreachable {
        backend: "PostgreSQL",
        address: match options.get_socket() {
            Some(socket) => socket.display().to_string(),
            None => format!("{}:{}", options.get_host(), options.get_port()),
        },
        cause,
    };
    match tokio::time::timeout(FIRST_CONNECT_TIMEOUT, PgConnection::connect_with(options)).await {
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            Ok(())
        }
        Ok(Err(sqlx::Error::Io(e))) => Err(unreachable(e.to_string())),
        Ok(Err(sqlx::Error::Database(e))) => Err(unreachable(e.message().to_string())),
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Err(_) => Err(unreachable(format!(
            "no answer within {} s",
            FIRST_CONNECT_TIMEOUT.as_secs()
        ))),
    }
}
