//! Flood events: failed logins and password-reset requests counted per event and identifier
//! over a sliding window.

use super::accounts::outbox_insert;
use super::{Store, StoreError, with_pool};
use crate::domain::mail::OutgoingMail;

/// The failures an identifier has within a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloodCount {
    pub count: i64,
    /// When the oldest counted failure happened, if any.
    pub oldest: Option<i64>,
}

/// A flood event to record now.
#[derive(Debug, Clone, Copy)]
pub struct NewFloodEvent<'a> {
    pub event: &'a str,
    pub identifier: &'a str,
    /// When no window counts it any more.
    pub expires_at: i64,
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
        let _turn = self.write_turn().await?;
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
        let _turn = self.write_turn().await?;
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
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let done = sqlx::query("DELETE FROM flood_events WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?;
            Ok(done.rows_affected())
        })
    }

    /// Records a password-reset request: its flood events and the mail it queues, if any,
    /// all or nothing in one transaction, so a request with mail costs what one without does.
    pub async fn record_password_request(
        &self,
        events: &[NewFloodEvent<'_>],
        mail: Option<&OutgoingMail>,
        now: i64,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            for event in events {
                sqlx::query(
                    "INSERT INTO flood_events (event, identifier, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(event.event)
                .bind(event.identifier)
                .bind(now)
                .bind(event.expires_at)
                .execute(&mut *tx)
                .await?;
            }
            if let Some(mail) = mail {
                outbox_insert!(tx, mail, now);
            }
            tx.commit().await?;
            Ok(())
        })
    }
}
