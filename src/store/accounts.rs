//! Account rows and their roles.

use sqlx::AssertSqlSafe;

use super::rows::{
    ACCOUNT_COLUMNS, ACCOUNT_WITH_ROLES, account_from_row, account_with_roles_from_row,
};
use super::{Store, StoreError, with_pool};
use crate::domain::accounts::{ADMINISTRATOR, Account, AccountState, unique_key};
use crate::domain::mail::OutgoingMail;
use crate::domain::names::name_fold;

/// What a new account row holds.
pub struct NewAccount {
    pub uuid: String,
    pub name: String,
    pub mail: Option<String>,
    pub password_hash: Option<String>,
    pub state: AccountState,
    pub roles: Vec<String>,
    pub now: i64,
}

/// Which sessions of an account a save ends.
#[derive(Debug, Clone, Copy)]
pub enum EndSessions<'a> {
    None,
    All,
    /// All but the session with this id hash.
    AllBut(&'a str),
}

/// The account with this id and its roles, read through `$conn`.
macro_rules! account_by_id_in {
    ($conn:expr, $id:expr) => {{
        let sql = AssertSqlSafe(format!(
            "SELECT {} FROM accounts a WHERE a.id = $1",
            $crate::store::rows::ACCOUNT_WITH_ROLES
        ));
        match sqlx::query(sql)
            .bind($id)
            .fetch_optional(&mut *$conn)
            .await?
        {
            None => None,
            Some(row) => Some($crate::store::rows::account_with_roles_from_row(&row)?),
        }
    }};
}
pub(super) use account_by_id_in;

/// Inserts `$new` and its roles through `$conn`; the new account's id. A taken name or mail
/// address comes back as the store's conflict error.
macro_rules! insert_account_in {
    ($conn:expr, $new:expr) => {{
        let new: &$crate::store::accounts::NewAccount = $new;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO accounts (uuid, name, name_key, name_fold, mail, mail_key, \
             password_hash, state, created_at, changed_at) \
             VALUES ($1, $2, $3, $9, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(&new.uuid)
        .bind(&new.name)
        .bind($crate::domain::accounts::unique_key(&new.name))
        .bind(&new.mail)
        .bind(
            new.mail
                .as_deref()
                .map($crate::domain::accounts::unique_key),
        )
        .bind(&new.password_hash)
        .bind(new.state.as_str())
        .bind(new.now)
        .bind($crate::domain::names::name_fold(&new.name))
        .fetch_one(&mut *$conn)
        .await
        .map_err($crate::store::classify)?;
        for role in &new.roles {
            sqlx::query("INSERT INTO account_roles (account_id, role) VALUES ($1, $2)")
                .bind(id)
                .bind(role)
                .execute(&mut *$conn)
                .await?;
        }
        id
    }};
}
pub(super) use insert_account_in;

/// Queues `$mail` in the outbox through `$conn`.
macro_rules! outbox_insert {
    ($conn:expr, $mail:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO mail_outbox (kind, recipient, subject, body, html_body, account_id, \
             created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind($mail.kind.as_str())
        .bind(&$mail.recipient)
        .bind(&$mail.subject)
        .bind(&$mail.body)
        .bind(&$mail.html)
        .bind($mail.account_id)
        .bind($now)
        .execute(&mut *$conn)
        .await?
    };
}
pub(super) use outbox_insert;

impl Store {
    /// Inserts the account, its roles and the mail `compose` writes for it, all or nothing.
    pub async fn insert_account(
        &self,
        new: &NewAccount,
        compose: impl FnOnce(&Account) -> Vec<OutgoingMail>,
    ) -> Result<Account, StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let id = insert_account_in!(tx, new);
            let account = account_by_id_in!(tx, id).ok_or_else(|| {
                StoreError::Corrupt("a new account vanished inside its transaction".into())
            })?;
            for mail in compose(&account) {
                outbox_insert!(tx, mail, new.now);
            }
            tx.commit().await?;
            Ok(account)
        })
    }

    pub async fn account_by_id(&self, id: i64) -> Result<Option<Account>, StoreError> {
        with_pool!(self, |pool| {
            let mut conn = pool.acquire().await?;
            Ok(account_by_id_in!(conn, id))
        })
    }

    /// The account whose name is `name` in any letter case or Unicode normalisation form.
    pub async fn account_by_name(&self, name: &str) -> Result<Option<Account>, StoreError> {
        self.account_where("a.name_fold = $1", &name_fold(name))
            .await
    }

    pub async fn account_by_mail(&self, mail: &str) -> Result<Option<Account>, StoreError> {
        self.account_where("a.mail_key = $1", &unique_key(mail))
            .await
    }

    async fn account_where(
        &self,
        condition: &str,
        value: &str,
    ) -> Result<Option<Account>, StoreError> {
        // No stored name or address holds a NUL, and PostgreSQL refuses one in a text value:
        // such a value matches no account, on either backend.
        if value.contains('\0') {
            return Ok(None);
        }
        let sql = format!("SELECT {ACCOUNT_WITH_ROLES} FROM accounts a WHERE {condition}");
        with_pool!(self, |pool| {
            let row = sqlx::query(AssertSqlSafe(sql.as_str()))
                .bind(value)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(account_with_roles_from_row).transpose()
        })
    }

    /// Which of `name` and `mail` other accounts than `except` already use.
    pub async fn taken(
        &self,
        name: Option<&str>,
        mail: Option<&str>,
        except: Option<i64>,
    ) -> Result<(bool, bool), StoreError> {
        let sql = "SELECT \
               EXISTS (SELECT 1 FROM accounts \
                       WHERE (name_fold = $4 OR name_key = $1) AND id <> $3), \
               EXISTS (SELECT 1 FROM accounts WHERE mail_key = $2 AND id <> $3)";
        let fold = name.map(name_fold);
        let name = name.map(unique_key);
        let mail = mail.map(unique_key);
        let except = except.unwrap_or(-1);
        with_pool!(self, |pool| Ok(sqlx::query_as::<_, (bool, bool)>(sql)
            .bind(&name)
            .bind(&mail)
            .bind(except)
            .bind(&fold)
            .fetch_one(pool)
            .await?))
    }

    pub async fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a ORDER BY a.id");
        let roles_sql = "SELECT account_id, role FROM account_roles ORDER BY role";
        let (mut accounts, roles) = with_pool!(self, |pool| {
            let rows = sqlx::query(AssertSqlSafe(sql.as_str()))
                .fetch_all(pool)
                .await?;
            let accounts = rows
                .iter()
                .map(account_from_row)
                .collect::<Result<Vec<_>, _>>()?;
            let roles: Vec<(i64, String)> = sqlx::query_as(roles_sql).fetch_all(pool).await?;
            (accounts, roles)
        });
        for (id, role) in roles {
            if let Some(account) = accounts.iter_mut().find(|a| a.id == id) {
                account.roles.push(role);
            }
        }
        Ok(accounts)
    }

    pub async fn active_administrator_mails(&self) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT a.mail FROM accounts a JOIN account_roles r ON r.account_id = a.id \
             WHERE r.role = $1 AND a.state = 'active' AND a.mail IS NOT NULL ORDER BY a.id";
        with_pool!(self, |pool| Ok(sqlx::query_scalar(sql)
            .bind(ADMINISTRATOR)
            .fetch_all(pool)
            .await?))
    }

    /// Every account's stored password hash, for reporting formats.
    pub async fn password_hashes(&self) -> Result<Vec<Option<String>>, StoreError> {
        let sql = "SELECT password_hash FROM accounts";
        with_pool!(self, |pool| Ok(sqlx::query_scalar(sql)
            .fetch_all(pool)
            .await?))
    }

    pub async fn count_accounts(&self) -> Result<i64, StoreError> {
        with_pool!(self, |pool| Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM accounts"
        )
        .fetch_one(pool)
        .await?))
    }

    /// Deletes the account; its sessions and roles go with it.
    pub async fn delete_account(&self, id: i64) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let done = sqlx::query("DELETE FROM accounts WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// Replaces the stored hash only if it is still `old`, so a concurrent password change wins.
    pub async fn upgrade_password_hash(
        &self,
        id: i64,
        old: &str,
        new: &str,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE accounts SET password_hash = $3 WHERE id = $1 AND password_hash = $2",
            )
            .bind(id)
            .bind(old)
            .bind(new)
            .execute(pool)
            .await?;
            Ok(())
        })
    }
}
