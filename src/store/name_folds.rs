//! Filling the folded-name key (migration 0007) for accounts created before it existed. The
//! fold is computed here, not in SQL, because SQLite has no Unicode normalisation.

use std::collections::HashSet;

use super::{Store, StoreError, with_pool};
use crate::core::accounts::name_fold;

/// How often a fill that lost a race with a concurrent registration is planned again.
const ATTEMPTS: usize = 3;

impl Store {
    /// Gives every account without a folded name key its key, oldest account first. An
    /// account whose key an older one already has keeps none and is named in the log: both
    /// accounts stay, and the younger cannot log in by name until one of them is renamed.
    pub(super) async fn fill_name_folds(&self) -> Result<(), StoreError> {
        let missing: i64 = with_pool!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM accounts WHERE name_fold IS NULL"
        )
        .fetch_one(pool)
        .await?);
        if missing == 0 {
            return Ok(());
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.fill_name_folds_once().await {
                Err(StoreError::Database(sqlx::Error::Database(e)))
                    if e.is_unique_violation() && attempt < ATTEMPTS => {}
                other => return other,
            }
        }
    }

    async fn fill_name_folds_once(&self) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let rows: Vec<(i64, String, Option<String>)> =
                sqlx::query_as("SELECT id, name, name_fold FROM accounts ORDER BY id")
                    .fetch_all(&mut *tx)
                    .await?;
            let mut taken: HashSet<String> = rows.iter().filter_map(|r| r.2.clone()).collect();
            let mut filled = 0usize;
            for (id, name, _) in rows.iter().filter(|r| r.2.is_none()) {
                let fold = name_fold(name);
                if !taken.insert(fold.clone()) {
                    let (older, older_name) = rows
                        .iter()
                        .find(|r| r.2.as_deref() == Some(fold.as_str()) || name_fold(&r.1) == fold)
                        .map_or((0, ""), |r| (r.0, r.1.as_str()));
                    tracing::warn!(
                        uid = id,
                        name = name.as_str(),
                        older_uid = older,
                        older_name,
                        "two accounts' names differ only in letter case or Unicode form; the \
                         younger cannot log in by name until one of them is renamed"
                    );
                    continue;
                }
                sqlx::query(
                    "UPDATE accounts SET name_fold = $2 WHERE id = $1 AND name_fold IS NULL",
                )
                .bind(id)
                .bind(&fold)
                .execute(&mut *tx)
                .await?;
                filled += 1;
            }
            tx.commit().await?;
            if filled > 0 {
                tracing::info!(accounts = filled, "folded-name keys filled in");
            }
            Ok(())
        })
    }
}
