//! The fingerprint of the server secret this database is served with.

use super::{Store, StoreError, with_pool};

impl Store {
    /// The recorded fingerprint, if any node has started on this database yet.
    pub async fn secret_fingerprint(&self) -> Result<Option<String>, StoreError> {
        with_pool!(self, |pool| Ok(sqlx::query_scalar(
            "SELECT fingerprint FROM secret_fingerprint WHERE id = 1"
        )
        .fetch_optional(pool)
        .await?))
    }

    /// Records `fingerprint` unless one is recorded already, and returns the one that stands:
    /// of two nodes starting together with different secrets, exactly one wins.
    pub async fn record_secret_fingerprint(
        &self,
        fingerprint: &str,
        now: i64,
    ) -> Result<String, StoreError> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO secret_fingerprint (id, fingerprint, recorded_at) VALUES (1, $1, $2) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(fingerprint)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(
                sqlx::query_scalar("SELECT fingerprint FROM secret_fingerprint WHERE id = 1")
                    .fetch_one(pool)
                    .await?,
            )
        })
    }

    /// Replaces the recorded fingerprint: a planned change of secret.
    pub async fn replace_secret_fingerprint(
        &self,
        fingerprint: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO secret_fingerprint (id, fingerprint, recorded_at) VALUES (1, $1, $2) \
                 ON CONFLICT (id) DO UPDATE SET fingerprint = $1, recorded_at = $2",
            )
            .bind(fingerprint)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(())
        })
    }
}
