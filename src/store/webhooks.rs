//! The webhook outbox: events waiting for their receivers, claimed by one worker at a time
//! as mail is, so that several nodes never deliver the same event twice at once.

use super::outbox::claim_sql;
use super::{Outcome, Store, StoreError, with_pool};

/// An event in the outbox, for one receiver.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueuedWebhook {
    pub id: i64,
    /// The `webhook-id` header: the same for every attempt, so receivers can drop repeats.
    pub message_id: String,
    pub url: String,
    pub event: String,
    pub payload: String,
    /// `queued`, `delivered` or `dead`.
    pub state: String,
    pub attempts: i64,
    pub created_at: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
}

const COLUMNS: &str = "id, message_id, url, event, payload, state, attempts, created_at, \
     next_attempt_at, last_error, delivered_at";

/// One event for one receiver, to be queued.
pub struct NewWebhook<'a> {
    pub message_id: &'a str,
    pub url: &'a str,
    pub event: &'a str,
    pub payload: &'a str,
}

impl Store {
    /// Queues events, all or none.
    pub async fn enqueue_webhooks(
        &self,
        events: &[NewWebhook<'_>],
        now: i64,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            for event in events {
                sqlx::query(
                    "INSERT INTO webhook_outbox (message_id, url, event, payload, created_at, \
                     next_attempt_at) VALUES ($1, $2, $3, $4, $5, $5)",
                )
                .bind(event.message_id)
                .bind(event.url)
                .bind(event.event)
                .bind(event.payload)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// The newest `limit` events, newest first.
    pub async fn webhook_outbox(&self, limit: i64) -> Result<Vec<QueuedWebhook>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM webhook_outbox ORDER BY id DESC LIMIT $1"
        ));
        with_pool!(self, |pool| Ok(sqlx::query_as(sql)
            .bind(limit)
            .fetch_all(pool)
            .await?))
    }

    /// How many events are in each state.
    pub async fn webhook_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let sql = "SELECT state, COUNT(*) FROM webhook_outbox GROUP BY state ORDER BY state";
        with_pool!(self, |pool| Ok(sqlx::query_as(sql).fetch_all(pool).await?))
    }

    /// Takes the next due event for `worker` until `until`, counting the attempt (as
    /// [`Store::claim_mail`] does for mail).
    pub async fn claim_webhook(
        &self,
        worker: &str,
        now: i64,
        until: i64,
    ) -> Result<Option<QueuedWebhook>, StoreError> {
        let _turn = self.write_turn().await?;
        let sql = sqlx::AssertSqlSafe(claim_sql("webhook_outbox", COLUMNS));
        with_pool!(self, |pool| Ok(sqlx::query_as(sql)
            .bind(worker)
            .bind(now)
            .bind(until)
            .fetch_optional(pool)
            .await?))
    }

    /// Records how `worker`'s attempt at event `id` ended and releases the claim; false if the
    /// claim had lapsed.
    pub async fn finish_webhook(
        &self,
        id: i64,
        worker: &str,
        outcome: Outcome,
        error: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await?;
        let (state, next_attempt_at, delivered_at) = match outcome {
            Outcome::Delivered { .. } => ("delivered", None, Some(now)),
            Outcome::RetryAt(at) => ("queued", Some(at), None),
            Outcome::Dead => ("dead", None, None),
        };
        let sql = "UPDATE webhook_outbox SET state = $3, \
             next_attempt_at = COALESCE($4, next_attempt_at), delivered_at = $5, \
             last_error = $6, claimed_until = NULL \
             WHERE id = $1 AND claimed_by = $2 AND claimed_until IS NOT NULL";
        with_pool!(self, |pool| {
            let done = sqlx::query(sql)
                .bind(id)
                .bind(worker)
                .bind(state)
                .bind(next_attempt_at)
                .bind(delivered_at)
                .bind(error)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Queues a dead event for an attempt now, with a fresh attempt count; false if there is
    /// no dead event `id`.
    pub async fn retry_webhook(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await?;
        let sql = "UPDATE webhook_outbox SET state = 'queued', attempts = 0, \
             next_attempt_at = $2, last_error = NULL WHERE id = $1 AND state = 'dead'";
        with_pool!(self, |pool| Ok(sqlx::query(sql)
            .bind(id)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
            == 1))
    }

    /// Deletes delivered and dead events created at or before `before`; returns how many.
    pub async fn purge_webhooks(&self, before: i64) -> Result<u64, StoreError> {
        let _turn = self.write_turn().await?;
        let sql = "DELETE FROM webhook_outbox WHERE state IN ('delivered', 'dead') \
             AND created_at <= $1";
        with_pool!(self, |pool| Ok(sqlx::query(sql)
            .bind(before)
            .execute(pool)
            .await?
            .rows_affected()))
    }
}
