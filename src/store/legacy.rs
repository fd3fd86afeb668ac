//! Trickle migration's writes: an account created, or completed with its first usable
//! password hash, at a login the legacy site accepted, recorded as migrated in the same
//! transaction.

use sqlx::AssertSqlSafe;

use super::accounts::{NewAccount, account_by_id_in, insert_account_in};
use super::{Store, StoreError, with_pool};
use crate::domain::accounts::Account;

/// Hashes that are no password: none, or Django's unusable `!…`.
const UNUSABLE_HASH: &str =
    "(password_hash IS NULL OR password_hash = '' OR password_hash LIKE '!%')";

/// How many accounts came over from the legacy site, and how many still have no usable hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegacyCounts {
    pub migrated: i64,
    pub remaining: i64,
}

impl Store {
    /// Inserts the account and its roles and records it as created from the legacy site.
    pub async fn insert_legacy_account(&self, new: &NewAccount) -> Result<Account, StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let id = insert_account_in!(tx, new);
            sqlx::query(
                "INSERT INTO legacy_migrations (account_id, how, migrated_at) \
                 VALUES ($1, 'created', $2)",
            )
            .bind(id)
            .bind(new.now)
            .execute(&mut *tx)
            .await?;
            let account = account_by_id_in!(tx, id).ok_or_else(|| {
                StoreError::Corrupt("a new account vanished inside its transaction".into())
            })?;
            tx.commit().await?;
            Ok(account)
        })
    }

    /// Gives the account `hash` if it still has no usable one, and records it as completed
    /// from the legacy site; `None` if a password was set meanwhile (which then stands).
    pub async fn complete_legacy_account(
        &self,
        id: i64,
        hash: &str,
        now: i64,
    ) -> Result<Option<Account>, StoreError> {
        let _turn = self.write_turn().await?;
        let sql = AssertSqlSafe(format!(
            "UPDATE accounts SET password_hash = $2, changed_at = $3 \
             WHERE id = $1 AND {UNUSABLE_HASH}"
        ));
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(sql)
                .bind(id)
                .bind(hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Ok(None);
            }
            sqlx::query(
                "INSERT INTO legacy_migrations (account_id, how, migrated_at) \
                 VALUES ($1, 'completed', $2) ON CONFLICT (account_id) DO NOTHING",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let account = account_by_id_in!(tx, id);
            tx.commit().await?;
            Ok(account)
        })
    }

    pub async fn legacy_counts(&self) -> Result<LegacyCounts, StoreError> {
        let remaining = AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM accounts WHERE {UNUSABLE_HASH}"
        ));
        with_pool!(self, |pool| {
            let migrated: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM legacy_migrations")
                .fetch_one(pool)
                .await?;
            let remaining: i64 = sqlx::query_scalar(remaining).fetch_one(pool).await?;
            Ok(LegacyCounts {
                migrated,
                remaining,
            })
        })
    }
}
