//! The feed of changes that can end a session or alter what a session check answers, by
//! account (see migration 0010): database triggers record them, whoever writes — this
//! process, another node, the command line, hand-written SQL.
//!
//! On PostgreSQL the triggers `NOTIFY` and a dedicated connection `LISTEN`s; a notification
//! arrives only after its transaction commits. On SQLite, where every writer shares one file,
//! the triggers add rows to `session_changes` and the feed reads the rows newer than the last
//! it saw; SQLite commits one writer at a time, so sequence numbers are commit-ordered and
//! none is skipped.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sqlx::postgres::{PgListener, PgPoolOptions};
use sqlx::{PgPool, SqlitePool};

use super::{Store, StoreError};

/// How often a SQLite feed reads the table: the bound on how long a change made by another
/// process takes to reach a running server.
pub const SQLITE_POLL_INTERVAL: Duration = Duration::from_millis(200);

/// How long a PostgreSQL feed may hear nothing before it checks its connection with a
/// notification of its own; one that has not come back by the next check means the
/// connection is dead even if the socket has not said so.
pub const POSTGRES_HEARTBEAT: Duration = Duration::from_secs(1);

/// Rows older than this are purged: a server reads the table several times a second.
const SQLITE_KEEP_SECONDS: i64 = 3600;

const CHANNEL: &str = "latch_session_changes";

/// What a heartbeat sends; account ids are digits, so it cannot be mistaken for one.
const PING_PREFIX: &str = "ping ";

/// The changes of one read: the accounts whose sessions must be looked up afresh.
pub type ChangedAccounts = Vec<i64>;

/// An open feed. If [`ChangeFeed::next`] fails, changes may have been missed: drop the feed,
/// stop trusting anything derived from before, and open a new one.
pub enum ChangeFeed {
    Sqlite {
        pool: SqlitePool,
        last_seq: i64,
    },
    Postgres {
        listener: Box<PgListener>,
        /// The main pool, to send heartbeats through another connection.
        pool: PgPool,
        /// Tells this feed's heartbeats from another node's.
        ping: String,
        /// When the heartbeat now on its way was sent.
        ping_sent: Option<Instant>,
    },
}

impl Store {
    /// Opens the feed. Every change committed after this returns is reported by the feed.
    pub async fn session_change_feed(&self) -> Result<ChangeFeed, StoreError> {
        match self {
            Store::Sqlite(pool) => {
                let last_seq: i64 =
                    sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM session_changes")
                        .fetch_one(pool)
                        .await?;
                Ok(ChangeFeed::Sqlite {
                    pool: pool.clone(),
                    last_seq,
                })
            }
            Store::Postgres(pool) => {
                // A connection of its own, outside the request pool, named so that an
                // operator can tell it in pg_stat_activity.
                let options = pool
                    .connect_options()
                    .as_ref()
                    .clone()
                    .application_name("latch session changes");
                let own = PgPoolOptions::new()
                    .max_connections(1)
                    .max_lifetime(None)
                    .idle_timeout(None)
                    .acquire_timeout(super::ACQUIRE_TIMEOUT)
                    .connect_with(options)
                    .await?;
                let mut listener = PgListener::connect_with(&own).await?;
                // A lost connection is reported rather than silently replaced.
                listener.eager_reconnect(false);
                listener.listen(CHANNEL).await?;
                let mut nonce = [0u8; 16];
                rand::fill(&mut nonce);
                let ping = format!("{PING_PREFIX}{}", URL_SAFE_NO_PAD.encode(nonce));
                Ok(ChangeFeed::Postgres {
                    listener: Box::new(listener),
                    pool: pool.clone(),
                    ping,
                    ping_sent: None,
                })
            }
        }
    }

    /// Deletes recorded changes every server has long read.
    pub async fn purge_session_changes(&self, now: i64) -> Result<u64, StoreError> {
        let _turn = self.write_turn().await?;
        match self {
            Store::Sqlite(pool) => Ok(sqlx::query(
                "DELETE FROM session_changes WHERE changed_at < $1",
            )
            .bind(now - SQLITE_KEEP_SECONDS)
            .execute(pool)
            .await?
            .rows_affected()),
            Store::Postgres(_) => Ok(0),
        }
    }
}

impl ChangeFeed {
    /// Waits for the next changes. An error means changes may have been lost.
    pub async fn next(&mut self) -> Result<ChangedAccounts, StoreError> {
        match self {
            ChangeFeed::Sqlite { pool, last_seq } => loop {
                tokio::time::sleep(SQLITE_POLL_INTERVAL).await;
                let rows: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT seq, account_id FROM session_changes WHERE seq > $1 ORDER BY seq",
                )
                .bind(*last_seq)
                .fetch_all(&*pool)
                .await?;
                if let Some((seq, _)) = rows.last() {
                    *last_seq = *seq;
                    return Ok(rows.into_iter().map(|(_, account)| account).collect());
                }
            },
            ChangeFeed::Postgres {
                listener,
                pool,
                ping,
                ping_sent,
            } => loop {
                match tokio::time::timeout(POSTGRES_HEARTBEAT, listener.try_recv()).await {
                    Ok(Ok(Some(notification))) => {
                        let payload = notification.payload();
                        if payload == ping.as_str() {
                            *ping_sent = None;
                        } else if let Ok(account) = payload.parse::<i64>() {
                            return Ok(vec![account]);
                        }
                    }
                    Ok(Ok(None)) => return Err(lost("the connection closed")),
                    Ok(Err(e)) => return Err(e.into()),
                    Err(_quiet) => {
                        if ping_sent.is_some_and(|at| at.elapsed() >= POSTGRES_HEARTBEAT) {
                            return Err(lost("a heartbeat did not come back"));
                        }
                        sqlx::query("SELECT pg_notify($1, $2)")
                            .bind(CHANNEL)
                            .bind(ping.as_str())
                            .execute(&*pool)
                            .await?;
                        ping_sent.get_or_insert_with(Instant::now);
                    }
                }
            },
        }
    }
}

fn lost(why: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(format!(
        "lost the connection that listens for session changes: {why}"
    )))
}
