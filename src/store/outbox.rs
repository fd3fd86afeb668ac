//! The durable mail outbox. Messages are written in the same transaction as the change that
//! caused them; delivery happens outside any request.

use sqlx::Row;

use super::accounts::outbox_insert;
use super::{Store, StoreError};
use crate::core::mail::OutgoingMail;

/// A message waiting in the outbox.
#[derive(Debug, Clone)]
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
        let mut tx = self.pool.begin().await?;
        outbox_insert(&mut tx, mail, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Messages in the outbox, oldest first.
    pub async fn outbox(&self) -> Result<Vec<QueuedMail>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, kind, recipient, subject, body, state, created_at FROM mail_outbox ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(QueuedMail {
                    id: row.try_get("id")?,
                    kind: row.try_get("kind")?,
                    recipient: row.try_get("recipient")?,
                    subject: row.try_get("subject")?,
                    body: row.try_get("body")?,
                    state: row.try_get("state")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }
}
