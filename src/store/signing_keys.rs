//! The key pairs that sign JWTs, the private half sealed by the core before it gets here.

use super::{Store, StoreError, with_pool};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SigningKeyRow {
    pub kid: String,
    pub algorithm: String,
    pub public_key: String,
    pub sealed_private_key: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

impl Store {
    /// Adds `key` as the one to sign with and retires every other key that was still active,
    /// in one transaction, so there is never a moment with no active key or two.
    pub async fn add_signing_key(&self, key: &SigningKeyRow) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL")
                .bind(key.created_at)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO signing_keys \
                 (kid, algorithm, public_key, sealed_private_key, created_at, retired_at) \
                 VALUES ($1, $2, $3, $4, $5, NULL)",
            )
            .bind(&key.kid)
            .bind(&key.algorithm)
            .bind(&key.public_key)
            .bind(&key.sealed_private_key)
            .bind(key.created_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Every key that is active or was retired at or after `retired_since`, newest first.
    pub async fn signing_keys(&self, retired_since: i64) -> Result<Vec<SigningKeyRow>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT kid, algorithm, public_key, sealed_private_key, created_at, retired_at \
                 FROM signing_keys WHERE retired_at IS NULL OR retired_at >= $1 \
                 ORDER BY created_at DESC, kid",
            )
            .bind(retired_since)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Deletes keys retired before `before`; how many.
    pub async fn delete_signing_keys_retired_before(&self, before: i64) -> Result<u64, StoreError> {
        with_pool!(self, |pool| {
            let done = sqlx::query("DELETE FROM signing_keys WHERE retired_at < $1")
                .bind(before)
                .execute(pool)
                .await?;
            Ok(done.rows_affected())
        })
    }
}
