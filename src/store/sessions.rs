//! Session rows, keyed by the hash of the session id.

use sqlx::Row;

use super::access_tokens::revoke_tokens_on_password_change;
use super::rows::{account_with_roles, account_with_roles_from_row};
use super::{Store, StoreError, with_pool};
use crate::domain::accounts::Account;
use crate::domain::sessions::StoredSession;

/// A one-time login link being used up by the login it opens: the account must still be as
/// the link saw it, so two uses of one link cannot both succeed.
pub struct LinkUse<'a> {
    pub login_at_was: i64,
    pub password_hash_was: Option<&'a str>,
    /// A password set with the link; every session of the account ends with it.
    pub new_password_hash: Option<&'a str>,
}

pub struct NewSession<'a> {
    pub id_hash: &'a str,
    /// What its owner sees and ends it by; not a secret.
    pub public_id: &'a str,
    pub account_id: i64,
    pub csrf_seed: &'a str,
    pub now: i64,
    pub expires_at: i64,
    pub client_ip: Option<String>,
    /// The interface the session was opened through (a dialect's name), if known.
    pub dialect: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// The session and its account with roles, in one query.
const SESSION_SQL: &str = concat!(
    "SELECT s.id_hash, s.csrf_seed, s.created_at AS s_created_at, s.last_seen_at, s.expires_at, \
     s.dialect, ",
    account_with_roles!(),
    " FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.id_hash = $1"
);

impl Store {
    /// Stores a new session and records the login on the account; the session it replaces,
    /// if any, is deleted in the same transaction. With `link`, the login uses up a one-time
    /// link: returns false, changing nothing, if the link was used up meanwhile.
    pub async fn insert_session(
        &self,
        new: &NewSession<'_>,
        replacing: Option<&str>,
        link: Option<&LinkUse<'_>>,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            if let Some(link) = link {
                let done = sqlx::query(
                    "UPDATE accounts SET login_at = $2, access_at = $2, \
                     password_hash = COALESCE($5, password_hash), \
                     changed_at = CASE WHEN $5 IS NULL THEN changed_at ELSE $2 END \
                     WHERE id = $1 AND state = 'active' AND login_at = $3 \
                     AND (password_hash = $4 OR (password_hash IS NULL AND $4 IS NULL))",
                )
                .bind(new.account_id)
                .bind(new.now)
                .bind(link.login_at_was)
                .bind(link.password_hash_was)
                .bind(link.new_password_hash)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                if link.new_password_hash.is_some() {
                    sqlx::query("DELETE FROM sessions WHERE account_id = $1")
                        .bind(new.account_id)
                        .execute(&mut *tx)
                        .await?;
                    revoke_tokens_on_password_change!(tx, new.account_id);
                }
            }
            if let Some(old) = replacing {
                sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                    .bind(old)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "INSERT INTO sessions (id_hash, account_id, csrf_seed, created_at, last_seen_at, \
                 expires_at, client_ip, dialect, public_id, user_agent) \
                 VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9)",
            )
            .bind(new.id_hash)
            .bind(new.account_id)
            .bind(new.csrf_seed)
            .bind(new.now)
            .bind(new.expires_at)
            .bind(&new.client_ip)
            .bind(new.dialect)
            .bind(new.public_id)
            .bind(new.user_agent)
            .execute(&mut *tx)
            .await?;
            if link.is_none() {
                sqlx::query("UPDATE accounts SET login_at = $2, access_at = $2 WHERE id = $1")
                    .bind(new.account_id)
                    .bind(new.now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// The session with this id hash and its account, roles included, in one query: this
    /// runs on nearly every request, and each query is a round trip to the database (or, on
    /// SQLite, to its connection's thread).
    pub async fn session(
        &self,
        id_hash: &str,
    ) -> Result<Option<(StoredSession, Account)>, StoreError> {
        with_pool!(self, |pool| {
            let Some(row) = sqlx::query(SESSION_SQL)
                .bind(id_hash)
                .fetch_optional(pool)
                .await?
            else {
                return Ok(None);
            };
            let session = StoredSession {
                id_hash: row.try_get("id_hash")?,
                csrf_seed: row.try_get("csrf_seed")?,
                created_at: row.try_get("s_created_at")?,
                last_seen_at: row.try_get("last_seen_at")?,
                expires_at: row.try_get("expires_at")?,
                dialect: row.try_get("dialect")?,
            };
            Ok(Some((session, account_with_roles_from_row(&row)?)))
        })
    }

    /// Records activity on the session and its account.
    pub async fn touch_session(
        &self,
        id_hash: &str,
        account_id: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1")
                .bind(id_hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE accounts SET access_at = $2 WHERE id = $1")
                .bind(account_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Keeps a dialect's note on a live session; false if the session is gone.
    pub async fn set_session_note(&self, id_hash: &str, note: &str) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let done = sqlx::query("UPDATE sessions SET note = $1 WHERE id_hash = $2")
                .bind(note)
                .bind(id_hash)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// The note a dialect kept on a session, if any.
    pub async fn session_note(&self, id_hash: &str) -> Result<Option<String>, StoreError> {
        with_pool!(self, |pool| {
            let note: Option<Option<String>> =
                sqlx::query_scalar("SELECT note FROM sessions WHERE id_hash = $1")
                    .bind(id_hash)
                    .fetch_optional(pool)
                    .await?;
            Ok(note.flatten())
        })
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let done = sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(id_hash)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// Deletes sessions idle since before `idle_before` or past their absolute expiry;
    /// returns the account of each.
    pub async fn delete_expired_sessions(
        &self,
        idle_before: i64,
        now: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
                "DELETE FROM sessions WHERE last_seen_at < $1 OR expires_at <= $2 \
                 RETURNING account_id",
            )
            .bind(idle_before)
            .bind(now)
            .fetch_all(pool)
            .await?)
        })
    }

    pub async fn count_sessions(&self) -> Result<i64, StoreError> {
        with_pool!(self, |pool| Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM sessions"
        )
        .fetch_one(pool)
        .await?))
    }
}
