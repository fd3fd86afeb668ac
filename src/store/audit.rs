//! The audit trail: security events, appended and read back newest first.

use super::{Store, StoreError, with_pool};

/// One event as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub created_at: i64,
    pub kind: String,
    pub account_id: Option<i64>,
    pub account_name: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: Option<String>,
}

/// Which events to read back.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only events of this account name (compared without letter case).
    pub account: Option<String>,
    /// Only events of this kind.
    pub kind: Option<String>,
    pub limit: i64,
}

impl Store {
    pub async fn insert_audit(&self, row: &AuditRow) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO audit_events \
                 (created_at, kind, account_id, account_name, client_ip, user_agent, detail) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(row.created_at)
            .bind(&row.kind)
            .bind(row.account_id)
            .bind(&row.account_name)
            .bind(&row.client_ip)
            .bind(&row.user_agent)
            .bind(&row.detail)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// The newest events matching `filter`, newest first.
    pub async fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
        let account = filter.account.as_deref().map(str::to_lowercase);
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, AuditRow>(
                "SELECT id, created_at, kind, account_id, account_name, client_ip, user_agent, \
                 detail FROM audit_events \
                 WHERE ($1 IS NULL OR LOWER(account_name) = $1) AND ($2 IS NULL OR kind = $2) \
                 ORDER BY created_at DESC, id DESC LIMIT $3",
            )
            .bind(&account)
            .bind(&filter.kind)
            .bind(filter.limit)
            .fetch_all(pool)
            .await?)
        })
    }
}
