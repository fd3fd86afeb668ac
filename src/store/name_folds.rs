//! Filling the folded-name key (migration 0007) for accounts created before it existed. The
//! fold is computed here, not in SQL, because SQLite has no Unicode normalisation.

use std::collections::HashMap;

use super::{Store, StoreError, with_pool};
use crate::domain::names::name_fold;

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
            // Only the rows without a key are read: after the first start these are just the
            // colliding ones, so a large database is not read whole at every start.
            let rows: Vec<(i64, String)> =
                sqlx::query_as("SELECT id, name FROM accounts WHERE name_fold IS NULL ORDER BY id")
                    .fetch_all(&mut *tx)
                    .await?;
            let mut given: HashMap<String, (i64, String)> = HashMap::new();
            let mut filled = 0usize;
            for (id, name) in rows {
                let fold = name_fold(&name);
                let holder = match given.get(&fold) {
                    Some(holder) => Some(holder.clone()),
                    None => {
                        sqlx::query_as::<_, (i64, String)>(
                            "SELECT id, name FROM accounts WHERE name_fold = $1",
                        )
                        .bind(&fold)
                        .fetch_optional(&mut *tx)
                        .await?
                    }
                };
                if let Some((older_uid, older_name)) = holder {
                    tracing::warn!(
                        uid = id,
                        name = name.as_str(),
                        older_uid,
                        older_name = older_name.as_str(),
                        "two accounts' names differ only in letter case or Unicode form; this \
                         one cannot log in by name until one of them is renamed"
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
                given.insert(fold, (id, name));
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
