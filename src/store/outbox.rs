//! The durable mail outbox. Messages are written in the same transaction as the change that
//! caused them; delivery happens outside any request, by workers that claim one message at a
//! time so that several nodes never send the same message twice.

use super::accounts::outbox_insert;
use super::{Store, StoreError, with_pool};
use crate::domain::mail::OutgoingMail;

/// A message in the outbox.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueuedMail {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub html_body: Option<String>,
    /// `queued`, `sent`, `logged` (no SMTP configured) or `dead`.
    pub state: String,
    pub attempts: i64,
    pub created_at: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    /// The worker holding the message, or the one that last held it.
    pub claimed_by: Option<String>,
    pub sent_at: Option<i64>,
}

const COLUMNS: &str = "id, kind, recipient, subject, body, html_body, state, attempts, \
     created_at, next_attempt_at, last_error, claimed_by, sent_at";

/// How a delivery attempt ended.
#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    /// Handed to the SMTP server (`sent`) or written to the log (`logged`).
    Delivered { logged: bool },
    /// Failed; try again at this time.
    RetryAt(i64),
    /// Failed for good: the message is dead-lettered.
    Dead,
}

/// Claims the next due row of an outbox `table` (`$1` the worker, `$2` now, `$3` the claim's
/// end), counting the attempt, and returns its `columns`.
pub(super) fn claim_sql(table: &str, columns: &str) -> String {
    format!(
        "UPDATE {table} SET claimed_by = $1, claimed_until = $3, attempts = attempts + 1 \
         WHERE id = (SELECT id FROM {table} WHERE state = 'queued' \
             AND next_attempt_at <= $2 AND (claimed_until IS NULL OR claimed_until < $2) \
             ORDER BY next_attempt_at, id LIMIT 1) \
         AND state = 'queued' AND (claimed_until IS NULL OR claimed_until < $2) \
         RETURNING {columns}"
    )
}

impl Store {
    pub async fn enqueue_mail(&self, mail: &OutgoingMail, now: i64) -> Result<(), StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let mut conn = pool.acquire().await?;
            outbox_insert!(conn, mail, now);
            Ok(())
        })
    }

    /// Messages in the outbox, oldest first.
    pub async fn outbox(&self) -> Result<Vec<QueuedMail>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM mail_outbox ORDER BY id"));
        with_pool!(self, |pool| Ok(sqlx::query_as(sql).fetch_all(pool).await?))
    }

    /// Takes the next due message for `worker` until `until`, counting the attempt. The outer
    /// condition repeats the inner one so that, of two workers racing for the same row, the
    /// second finds it claimed (PostgreSQL re-checks it on the locked row; SQLite serialises
    /// writes) and gets nothing.
    pub async fn claim_mail(
        &self,
        worker: &str,
        now: i64,
        until: i64,
    ) -> Result<Option<QueuedMail>, StoreError> {
        let _turn = self.write_turn().await?;
        let sql = sqlx::AssertSqlSafe(claim_sql("mail_outbox", COLUMNS));
        with_pool!(self, |pool| Ok(sqlx::query_as(sql)
            .bind(worker)
            .bind(now)
            .bind(until)
            .fetch_optional(pool)
            .await?))
    }

    /// Records how `worker`'s attempt at message `id` ended and releases the claim. Returns
    /// false if the claim had lapsed and another worker holds the message now. A delivered
    /// message loses its text, which may hold a live one-time link; what went to whom and
    /// when stays.
    pub async fn finish_mail(
        &self,
        id: i64,
        worker: &str,
        outcome: Outcome,
        error: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await?;
        let (state, next_attempt_at, sent_at) = match outcome {
            Outcome::Delivered { logged: false } => ("sent", None, Some(now)),
            Outcome::Delivered { logged: true } => ("logged", None, Some(now)),
            Outcome::RetryAt(at) => ("queued", Some(at), None),
            Outcome::Dead => ("dead", None, None),
        };
        let sql = "UPDATE mail_outbox SET state = $3, \
             body = CASE WHEN $5 IS NULL THEN body ELSE '' END, \
             html_body = CASE WHEN $5 IS NULL THEN html_body END, \
             next_attempt_at = COALESCE($4, next_attempt_at), sent_at = $5, last_error = $6, \
             claimed_until = NULL WHERE id = $1 AND claimed_by = $2 AND claimed_until IS NOT NULL";
        with_pool!(self, |pool| {
            let done = sqlx::query(sql)
                .bind(id)
                .bind(worker)
                .bind(state)
                .bind(next_attempt_at)
                .bind(sent_at)
                .bind(error)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Queues message `id` (dead or waiting) for an attempt now, with a fresh attempt count.
    /// Returns its state before, or `None` if there is no such message. A sent message, or
    /// one a worker is sending right now, is left alone.
    pub async fn retry_mail(&self, id: i64, now: i64) -> Result<Option<String>, StoreError> {
        let _turn = self.write_turn().await?;
        let select = "SELECT state FROM mail_outbox WHERE id = $1";
        let update = "UPDATE mail_outbox SET state = 'queued', attempts = 0, \
             next_attempt_at = $2, last_error = NULL WHERE id = $1 AND state IN ('dead', 'queued') \
             AND (claimed_until IS NULL OR claimed_until < $2)";
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let state: Option<String> = sqlx::query_scalar(select)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            sqlx::query(update)
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(state)
        })
    }

    /// Queues every dead message again; returns how many.
    pub async fn retry_dead_mail(&self, now: i64) -> Result<u64, StoreError> {
        let _turn = self.write_turn().await?;
        let sql = "UPDATE mail_outbox SET state = 'queued', attempts = 0, next_attempt_at = $1, \
             last_error = NULL WHERE state = 'dead'";
        with_pool!(self, |pool| Ok(sqlx::query(sql)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()))
    }

    /// Deletes delivered messages created at or before `before`, and dead ones too if `dead`;
    /// returns how many.
    pub async fn purge_mail(&self, before: i64, dead: bool) -> Result<u64, StoreError> {
        let _turn = self.write_turn().await?;
        let sql = if dead {
            "DELETE FROM mail_outbox WHERE state IN ('sent', 'logged', 'dead') AND created_at <= $1"
        } else {
            "DELETE FROM mail_outbox WHERE state IN ('sent', 'logged') AND created_at <= $1"
        };
        with_pool!(self, |pool| Ok(sqlx::query(sql)
            .bind(before)
            .execute(pool)
            .await?
            .rows_affected()))
    }
}
