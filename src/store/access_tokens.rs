//! Personal access tokens: the hashes of tokens users made for their scripts, never the tokens.

use sqlx::Row;

use super::rows::{account_with_roles, account_with_roles_from_row};
use super::{Store, StoreError, with_pool};
use crate::domain::accounts::Account;

/// A token as stored. `scopes` is space-separated.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccessTokenRow {
    pub id: String,
    pub account_id: i64,
    pub name: String,
    pub token_hint: String,
    pub scopes: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub keep_on_password_change: bool,
}

const TOKEN_COLUMNS: &str = "t.id, t.account_id, t.name, t.token_hint, t.scopes, t.created_at, \
     t.last_used_at, t.expires_at, t.keep_on_password_change";

/// The token with this hash and its account with roles, in one query.
const TOKEN_WITH_ACCOUNT_SQL: &str = concat!(
    "SELECT t.id AS t_id, t.account_id, t.name AS t_name, t.token_hint, t.scopes, \
     t.created_at AS t_created_at, t.last_used_at, t.expires_at, t.keep_on_password_change, ",
    account_with_roles!(),
    " FROM access_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.token_hash = $1"
);

/// Inside a transaction that changes an account's password: deletes the account's tokens but
/// those made to outlive a password change, so a password reset after a leak also ends the
/// leaked scripts' access.
macro_rules! revoke_tokens_on_password_change {
    ($tx:ident, $account_id:expr) => {
        sqlx::query(
            "DELETE FROM access_tokens WHERE account_id = $1 AND NOT keep_on_password_change",
        )
        .bind($account_id)
        .execute(&mut *$tx)
        .await?
    };
}
pub(super) use revoke_tokens_on_password_change;

impl Store {
    /// Stores a new token unless its account already holds `limit` of them; returns whether
    /// it was stored.
    pub async fn insert_access_token(
        &self,
        token: &AccessTokenRow,
        token_hash: &str,
        limit: i64,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let done = sqlx::query(
                "INSERT INTO access_tokens (id, account_id, name, token_hash, token_hint, scopes, \
                 created_at, expires_at, keep_on_password_change) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 \
                 WHERE (SELECT COUNT(*) FROM access_tokens WHERE account_id = $2) < $10",
            )
            .bind(&token.id)
            .bind(token.account_id)
            .bind(&token.name)
            .bind(token_hash)
            .bind(&token.token_hint)
            .bind(&token.scopes)
            .bind(token.created_at)
            .bind(token.expires_at)
            .bind(token.keep_on_password_change)
            .bind(limit)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// The token with this hash and its account.
    pub async fn access_token_by_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<(AccessTokenRow, Account)>, StoreError> {
        with_pool!(self, |pool| {
            let Some(row) = sqlx::query(TOKEN_WITH_ACCOUNT_SQL)
                .bind(token_hash)
                .fetch_optional(pool)
                .await?
            else {
                return Ok(None);
            };
            let token = AccessTokenRow {
                id: row.try_get("t_id")?,
                account_id: row.try_get("account_id")?,
                name: row.try_get("t_name")?,
                token_hint: row.try_get("token_hint")?,
                scopes: row.try_get("scopes")?,
                created_at: row.try_get("t_created_at")?,
                last_used_at: row.try_get("last_used_at")?,
                expires_at: row.try_get("expires_at")?,
                keep_on_password_change: row.try_get("keep_on_password_change")?,
            };
            Ok(Some((token, account_with_roles_from_row(&row)?)))
        })
    }

    /// The account's tokens, newest first.
    pub async fn access_tokens_of(
        &self,
        account_id: i64,
    ) -> Result<Vec<AccessTokenRow>, StoreError> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM access_tokens t WHERE t.account_id = $1 \
             ORDER BY t.created_at DESC, t.id"
        );
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(account_id)
                .fetch_all(pool)
                .await?)
        })
    }

    /// Records that the token was used.
    pub async fn touch_access_token(&self, id: &str, now: i64) -> Result<(), StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            sqlx::query("UPDATE access_tokens SET last_used_at = $2 WHERE id = $1")
                .bind(id)
                .bind(now)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Deletes the token with this id, if it belongs to `owner` (any account's for `None`);
    /// returns the deleted token.
    pub async fn delete_access_token(
        &self,
        id: &str,
        owner: Option<i64>,
    ) -> Result<Option<AccessTokenRow>, StoreError> {
        let _turn = self.write_turn().await?;
        let sql = format!(
            "DELETE FROM access_tokens WHERE id = $1 AND ($2 IS NULL OR account_id = $2) \
             RETURNING {}",
            TOKEN_COLUMNS.replace("t.", "")
        );
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(id)
                .bind(owner)
                .fetch_optional(pool)
                .await?)
        })
    }
}
