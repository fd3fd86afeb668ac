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
    /// How many events the row stands for: more than one on a summary row.
    pub repeats: i64,
    /// When the newest of them happened.
    pub last_at: Option<i64>,
    /// The administrator who acted through the admin console, by name.
    pub actor: Option<String>,
}

/// Which events to read back.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only events of this account name (compared without letter case).
    pub account: Option<String>,
    /// Only events of this kind.
    pub kind: Option<String>,
    /// Only events at or after this time.
    pub since: Option<i64>,
    /// Only events before this time.
    pub until: Option<i64>,
    pub limit: i64,
}

/// How an event is folded: once its client has `after` rows of its kind since `since`, it
/// only counts on a summary row (detail `summary`, no account or user agent).
#[derive(Debug, Clone, Copy)]
pub struct AuditFold {
    pub since: i64,
    pub after: i64,
    pub summary: &'static str,
}

/// Rows a purge deletes per statement, so it never holds SQLite's write lock for long.
const PURGE_BATCH: i64 = 5_000;

impl Store {
    /// Appends `row`, or with `fold`, counts it on a summary row once its client has caused
    /// enough rows of its kind. The check and the insert are one statement: exact on SQLite,
    /// which writes one at a time; on PostgreSQL concurrent requests of one client may each
    /// add a row past the bound, so it grows by their number at most.
    pub async fn insert_audit(
        &self,
        row: &AuditRow,
        fold: Option<AuditFold>,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await?;
        let (Some(fold), Some(ip)) = (fold, &row.client_ip) else {
            return self.append_audit(row).await.map(|()| true);
        };
        let appended = with_pool!(self, |pool| sqlx::query(
            "INSERT INTO audit_events (created_at, kind, account_id, account_name, client_ip, \
             user_agent, detail, repeats, last_at, actor) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $12 WHERE (SELECT COUNT(*) \
             FROM audit_events WHERE client_ip = $5 AND kind = $2 AND created_at >= $10) < $11"
        )
        .bind(row.created_at)
        .bind(&row.kind)
        .bind(row.account_id)
        .bind(&row.account_name)
        .bind(ip)
        .bind(&row.user_agent)
        .bind(&row.detail)
        .bind(row.repeats)
        .bind(row.last_at)
        .bind(fold.since)
        .bind(fold.after)
        .bind(&row.actor)
        .execute(pool)
        .await?
        .rows_affected());
        if appended > 0 {
            return Ok(true);
        }
        let summary = AuditRow {
            account_id: None,
            account_name: None,
            user_agent: None,
            actor: None,
            detail: Some(fold.summary.to_string()),
            ..row.clone()
        };
        if !self.count_on_summary(&summary, fold.since).await? {
            self.append_audit(&summary).await?;
        }
        Ok(false)
    }

    async fn append_audit(&self, row: &AuditRow) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO audit_events (created_at, kind, account_id, account_name, \
                 client_ip, user_agent, detail, repeats, last_at, actor) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(row.created_at)
            .bind(&row.kind)
            .bind(row.account_id)
            .bind(&row.account_name)
            .bind(&row.client_ip)
            .bind(&row.user_agent)
            .bind(&row.detail)
            .bind(row.repeats)
            .bind(row.last_at)
            .bind(&row.actor)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Adds one to the client's summary row of this kind since `since`; false if it has none.
    async fn count_on_summary(&self, summary: &AuditRow, since: i64) -> Result<bool, StoreError> {
        with_pool!(self, |pool| {
            let done = sqlx::query(
                "UPDATE audit_events SET repeats = repeats + 1, last_at = $5 WHERE id = \
                 (SELECT id FROM audit_events WHERE client_ip = $1 AND kind = $2 \
                  AND created_at >= $3 AND detail = $4 AND account_name IS NULL \
                  ORDER BY id DESC LIMIT 1)",
            )
            .bind(&summary.client_ip)
            .bind(&summary.kind)
            .bind(since)
            .bind(&summary.detail)
            .bind(summary.created_at)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// Deletes the events that happened before `before`; returns how many.
    pub async fn purge_audit(&self, before: i64) -> Result<u64, StoreError> {
        let _turn = self.write_turn().await?;
        let mut total = 0;
        loop {
            let deleted = with_pool!(self, |pool| sqlx::query(
                "DELETE FROM audit_events WHERE id IN \
                 (SELECT id FROM audit_events WHERE created_at < $1 LIMIT $2)"
            )
            .bind(before)
            .bind(PURGE_BATCH)
            .execute(pool)
            .await?
            .rows_affected());
            total += deleted;
            if deleted < PURGE_BATCH as u64 {
                return Ok(total);
            }
        }
    }

    /// The newest events matching `filter`, newest first.
    pub async fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
        let account = filter.account.as_deref().map(str::to_lowercase);
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, AuditRow>(
                "SELECT id, created_at, kind, account_id, account_name, client_ip, user_agent, \
                 detail, repeats, last_at, actor FROM audit_events \
                 WHERE ($1 IS NULL OR LOWER(account_name) = $1) AND ($2 IS NULL OR kind = $2) \
                 AND ($4 IS NULL OR created_at >= $4) AND ($5 IS NULL OR created_at < $5) \
                 ORDER BY created_at DESC, id DESC LIMIT $3",
            )
            .bind(&account)
            .bind(&filter.kind)
            .bind(filter.limit)
            .bind(filter.since)
            .bind(filter.until)
            .fetch_all(pool)
            .await?)
        })
    }
}
