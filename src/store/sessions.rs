//! Session rows, keyed by the hash of the session id.

use sqlx::Row;

use super::accounts::roles_in;
use super::rows::account_from_row;
use super::{Store, StoreError, with_pool};
use crate::core::accounts::Account;
use crate::core::sessions::StoredSession;

pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub account_id: i64,
    pub csrf_seed: &'a str,
    pub now: i64,
    pub expires_at: i64,
    pub client_ip: Option<String>,
}

impl Store {
    /// Stores a new session and records the login on the account; the session it replaces,
    /// if any, is deleted in the same transaction.
    pub async fn insert_session(
        &self,
        new: &NewSession<'_>,
        replacing: Option<&str>,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            if let Some(old) = replacing {
                sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                    .bind(old)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "INSERT INTO sessions (id_hash, account_id, csrf_seed, created_at, last_seen_at, \
                 expires_at, client_ip) VALUES ($1, $2, $3, $4, $4, $5, $6)",
            )
            .bind(new.id_hash)
            .bind(new.account_id)
            .bind(new.csrf_seed)
            .bind(new.now)
            .bind(new.expires_at)
            .bind(&new.client_ip)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE accounts SET login_at = $2, access_at = $2 WHERE id = $1")
                .bind(new.account_id)
                .bind(new.now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The session with this id hash and its account.
    pub async fn session(
        &self,
        id_hash: &str,
    ) -> Result<Option<(StoredSession, Account)>, StoreError> {
        let sql = "SELECT s.id_hash, s.csrf_seed, s.created_at AS s_created_at, s.last_seen_at, \
             s.expires_at, a.id, a.uuid, a.name, a.mail, a.password_hash, a.state, a.timezone, \
             a.langcode, a.created_at, a.changed_at, a.access_at, a.login_at \
             FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.id_hash = $1";
        with_pool!(self, |pool| {
            let mut conn = pool.acquire().await?;
            let Some(row) = sqlx::query(sql)
                .bind(id_hash)
                .fetch_optional(&mut *conn)
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
            };
            let mut account = account_from_row(&row)?;
            account.roles = roles_in!(conn, account.id);
            Ok(Some((session, account)))
        })
    }

    /// Records activity on the session and its account.
    pub async fn touch_session(
        &self,
        id_hash: &str,
        account_id: i64,
        now: i64,
    ) -> Result<(), StoreError> {
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

    pub async fn delete_session(&self, id_hash: &str) -> Result<bool, StoreError> {
        with_pool!(self, |pool| {
            let done = sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(id_hash)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// Deletes sessions idle since before `idle_before` or past their absolute expiry.
    pub async fn delete_expired_sessions(
        &self,
        idle_before: i64,
        now: i64,
    ) -> Result<u64, StoreError> {
        with_pool!(self, |pool| {
            let done =
                sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR expires_at <= $2")
                    .bind(idle_before)
                    .bind(now)
                    .execute(pool)
                    .await?;
            Ok(done.rows_affected())
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
