//! The durable mail outbox. Messages are written in the same transaction as the change that
//! caused them; delivery happens outside any request.

use super::accounts::outbox_insert;
use super::{Store, StoreError, with_pool};
use crate::core::mail::OutgoingMail;

/// A message waiting in the outbox.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueuedMail {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub state: String,
    pub created_at: i64,
}

impl Store {
    pub async fn enqueue_mail(&self, mail: &OutgoingMail, now: i64) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let mut conn = pool.acquire().await?;
            outbox_insert!(conn, mail, now);
            Ok(())
        })
    }

    /// Messages in the outbox, oldest first.
    pub async fn outbox(&self) -> Result<Vec<QueuedMail>, StoreError> {
        let sql = "SELECT id, kind, recipient, subject, body, state, created_at FROM mail_outbox ORDER BY id";
        with_pool!(self, |pool| Ok(sqlx::query_as(sql).fetch_all(pool).await?))
    }
}
