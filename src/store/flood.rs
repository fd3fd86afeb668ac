//! Flood events: failed logins counted per event and identifier over a sliding window.

use super::{Store, StoreError, with_pool};

/// The failures an identifier has within a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloodCount {
    pub count: i64,
    /// When the oldest counted failure happened, if any.
    pub oldest: Option<i64>,
}

impl Store {
    /// Failures of `event` by `identifier` at or after `since`.
    pub async fn flood_count(
        &self,
        event: &str,
        identifier: &str,
        since: i64,
    ) -> Result<FloodCount, StoreError> {
        with_pool!(self, |pool| {
            let (count, oldest): (i64, Option<i64>) = sqlx::query_as(
                "SELECT COUNT(*), MIN(created_at) FROM flood_events \
                 WHERE event = $1 AND identifier = $2 AND created_at >= $3",
            )
            .bind(event)
            .bind(identifier)
            .bind(since)
            .fetch_one(pool)
            .await?;
            Ok(FloodCount { count, oldest })
        })
    }

    /// Records one failure, to be forgotten at `expires_at`.
    pub async fn register_flood(
        &self,
        event: &str,
        identifier: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO flood_events (event, identifier, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(event)
            .bind(identifier)
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Forgets every failure of `event` by `identifier`.
    pub async fn clear_flood(&self, event: &str, identifier: &str) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query("DELETE FROM flood_events WHERE event = $1 AND identifier = $2")
                .bind(event)
                .bind(identifier)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Deletes failures that no window counts any more; returns how many.
    pub async fn delete_expired_flood(&self, now: i64) -> Result<u64, StoreError> {
        with_pool!(self, |pool| {
            let done = sqlx::query("DELETE FROM flood_events WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?;
            Ok(done.rows_affected())
        })
    }
}
