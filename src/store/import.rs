//! Bringing accounts over from other systems in one transaction: all rows or none.

use super::{Store, StoreError, classify, with_pool};
use crate::domain::accounts::{AccountState, unique_key};
use crate::domain::names::name_fold;

/// One account as another system stored it.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub name: String,
    pub mail: Option<String>,
    pub password_hash: Option<String>,
    pub roles: Vec<String>,
    pub state: AccountState,
    pub created_at: i64,
    pub access_at: i64,
    pub login_at: i64,
}

/// What an import did, or would do.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportCounts {
    pub created: usize,
    pub updated: usize,
    pub skipped: usize,
}

/// A row the database refused, by its index in the input.
#[derive(Debug)]
pub struct ImportFailure {
    pub index: usize,
    pub error: StoreError,
}

impl Store {
    /// Writes `rows`: unknown names become accounts; known names (in any letter case or
    /// normalisation form) are updated when `update_existing`, else skipped. Without `commit`
    /// the transaction is rolled back, so a dry run reports exactly what the import would do.
    pub async fn import_accounts(
        &self,
        rows: &[ImportRow],
        update_existing: bool,
        commit: bool,
        now: i64,
    ) -> Result<ImportCounts, ImportFailure> {
        let failed = |index| {
            move |error: sqlx::Error| ImportFailure {
                index,
                error: classify(error),
            }
        };
        let before = |error: sqlx::Error| ImportFailure {
            index: 0,
            error: error.into(),
        };
        let _turn = self
            .write_turn()
            .await
            .map_err(|error| ImportFailure { index: 0, error })?;
        // The write lock comes first on SQLite: a deferred transaction that read before a
        // running server wrote could not upgrade its stale snapshot (SQLITE_BUSY_SNAPSHOT).
        let begin = match self {
            Store::Sqlite(_) => "BEGIN IMMEDIATE",
            Store::Postgres(_) => "BEGIN",
        };
        with_pool!(self, |pool| {
            let mut tx = pool.begin_with(begin).await.map_err(before)?;
            let mut counts = ImportCounts::default();
            for (index, row) in rows.iter().enumerate() {
                let existing: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM accounts WHERE name_fold = $1")
                        .bind(name_fold(&row.name))
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(failed(index))?;
                let id = match existing {
                    Some(_) if !update_existing => {
                        counts.skipped += 1;
                        continue;
                    }
                    Some(id) => {
                        sqlx::query(
                            "UPDATE accounts SET name = $2, name_key = $3, mail = $4, mail_key = $5, \
                             password_hash = $6, state = $7, created_at = $8, access_at = $9, \
                             login_at = $10, changed_at = $11, name_fold = $12 WHERE id = $1",
                        )
                        .bind(id)
                        .bind(&row.name)
                        .bind(unique_key(&row.name))
                        .bind(&row.mail)
                        .bind(row.mail.as_deref().map(unique_key))
                        .bind(&row.password_hash)
                        .bind(row.state.as_str())
                        .bind(row.created_at)
                        .bind(row.access_at)
                        .bind(row.login_at)
                        .bind(now)
                        .bind(name_fold(&row.name))
                        .execute(&mut *tx)
                        .await
                        .map_err(failed(index))?;
                        sqlx::query("DELETE FROM account_roles WHERE account_id = $1")
                            .bind(id)
                            .execute(&mut *tx)
                            .await
                            .map_err(failed(index))?;
                        counts.updated += 1;
                        id
                    }
                    None => {
                        let id: i64 = sqlx::query_scalar(
                            "INSERT INTO accounts (uuid, name, name_key, mail, mail_key, password_hash, \
                             state, created_at, changed_at, access_at, login_at, name_fold) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                        )
                        .bind(uuid::Uuid::new_v4().to_string())
                        .bind(&row.name)
                        .bind(unique_key(&row.name))
                        .bind(&row.mail)
                        .bind(row.mail.as_deref().map(unique_key))
                        .bind(&row.password_hash)
                        .bind(row.state.as_str())
                        .bind(row.created_at)
                        .bind(now)
                        .bind(row.access_at)
                        .bind(row.login_at)
                        .bind(name_fold(&row.name))
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(failed(index))?;
                        counts.created += 1;
                        id
                    }
                };
                for role in &row.roles {
                    sqlx::query("INSERT INTO account_roles (account_id, role) VALUES ($1, $2)")
                        .bind(id)
                        .bind(role)
                        .execute(&mut *tx)
                        .await
                        .map_err(failed(index))?;
                }
            }
            if commit {
                tx.commit().await.map_err(before)?;
            } else {
                tx.rollback().await.map_err(before)?;
            }
            Ok(counts)
        })
    }
}
