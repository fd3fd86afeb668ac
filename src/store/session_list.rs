//! Live sessions as their owners and the operator see them, and ending them by their public
//! identifier.

use super::{Store, StoreError, with_pool};

/// A session as listed: never its id, and its id hash only to tell the caller's own apart.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionSummary {
    pub public_id: String,
    pub id_hash: String,
    pub account_id: i64,
    pub account_name: String,
    pub dialect: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Which sessions count as live: seen since `seen_since` and not past their expiry at `now`.
#[derive(Debug, Clone, Copy)]
pub struct LiveAt {
    pub seen_since: i64,
    pub now: i64,
}

/// More than anyone reads in a listing; an account can hold more live sessions only if its
/// owner logs in thousands of times within a session's lifetime.
const MAX_LISTED: i64 = 1000;

impl Store {
    /// The live sessions of `account_id` (of every account for `None`), most recently seen
    /// first.
    pub async fn live_sessions(
        &self,
        account_id: Option<i64>,
        live: LiveAt,
    ) -> Result<Vec<SessionSummary>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT s.public_id, s.id_hash, s.account_id, a.name AS account_name, s.dialect, \
                 s.created_at, s.last_seen_at, s.expires_at, s.client_ip, s.user_agent \
                 FROM sessions s JOIN accounts a ON a.id = s.account_id \
                 WHERE ($1 IS NULL OR s.account_id = $1) AND s.last_seen_at >= $2 \
                 AND s.expires_at > $3 \
                 ORDER BY s.last_seen_at DESC, s.public_id LIMIT $4",
            )
            .bind(account_id)
            .bind(live.seen_since)
            .bind(live.now)
            .bind(MAX_LISTED)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Ends the session with this public identifier if it belongs to `owner` (to any account
    /// for `None`); returns the account it belonged to.
    pub async fn delete_session_by_public_id(
        &self,
        public_id: &str,
        owner: Option<i64>,
    ) -> Result<Option<i64>, StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
                "DELETE FROM sessions WHERE public_id = $1 AND ($2 IS NULL OR account_id = $2) \
                 RETURNING account_id",
            )
            .bind(public_id)
            .bind(owner)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Ends every session of the account but the one with id hash `keep`, if given; returns
    /// how many ended.
    pub async fn delete_sessions_of(
        &self,
        account_id: i64,
        keep: Option<&str>,
    ) -> Result<u64, StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let done = sqlx::query(
                "DELETE FROM sessions WHERE account_id = $1 AND ($2 IS NULL OR id_hash <> $2)",
            )
            .bind(account_id)
            .bind(keep)
            .execute(pool)
            .await?;
            Ok(done.rows_affected())
        })
    }
}
