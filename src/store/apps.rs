//! Applications and the hashes of their API tokens.

use super::{Store, StoreError, with_pool};

/// An application as stored; the token itself is never kept.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AppRow {
    pub id: i64,
    pub name: String,
    pub token_hint: String,
    pub created_at: i64,
}

impl Store {
    /// Adds an application; fails with [`StoreError::AppNameTaken`] if the name is in use.
    pub async fn insert_app(
        &self,
        name: &str,
        token_hash: &str,
        token_hint: &str,
        now: i64,
    ) -> Result<AppRow, StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            sqlx::query_as(
                "INSERT INTO apps (name, token_hash, token_hint, created_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id, name, token_hint, created_at",
            )
            .bind(name)
            .bind(token_hash)
            .bind(token_hint)
            .bind(now)
            .fetch_one(pool)
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(db) if db.is_unique_violation() => {
                    StoreError::AppNameTaken(name.to_string())
                }
                other => StoreError::Database(other),
            })
        })
    }

    /// The application whose token has this hash.
    pub async fn app_by_token_hash(&self, token_hash: &str) -> Result<Option<AppRow>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT id, name, token_hint, created_at FROM apps WHERE token_hash = $1",
            )
            .bind(token_hash)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Every application, oldest first.
    pub async fn list_apps(&self) -> Result<Vec<AppRow>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT id, name, token_hint, created_at FROM apps ORDER BY created_at, id",
            )
            .fetch_all(pool)
            .await?)
        })
    }

    /// Deletes the application called `name`; whether there was one.
    pub async fn delete_app(&self, name: &str) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let done = sqlx::query("DELETE FROM apps WHERE name = $1")
                .bind(name)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }
}
