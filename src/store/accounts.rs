//! Account rows and their roles.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{Store, StoreError, classify};
use crate::core::accounts::{ADMINISTRATOR, Account, AccountState, unique_key};
use crate::core::mail::OutgoingMail;

/// Which sessions of an account a save ends.
#[derive(Debug, Clone, Copy)]
pub enum EndSessions<'a> {
    None,
    All,
    /// All but the session with this id hash.
    AllBut(&'a str),
}

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

const ACCOUNT_COLUMNS: &str = "a.id, a.uuid, a.name, a.mail, a.password_hash, a.state, a.timezone, \
     a.langcode, a.created_at, a.changed_at, a.access_at, a.login_at";

pub(super) fn account_from_row(row: &SqliteRow) -> Result<Account, StoreError> {
    let state: String = row.try_get("state")?;
    Ok(Account {
        id: row.try_get("id")?,
        uuid: row.try_get("uuid")?,
        name: row.try_get("name")?,
        mail: row.try_get("mail")?,
        password_hash: row.try_get("password_hash")?,
        state: AccountState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("account state {state:?}")))?,
        timezone: row.try_get("timezone")?,
        langcode: row.try_get("langcode")?,
        created_at: row.try_get("created_at")?,
        changed_at: row.try_get("changed_at")?,
        access_at: row.try_get("access_at")?,
        login_at: row.try_get("login_at")?,
        roles: Vec::new(),
    })
}

impl Store {
    /// Inserts the account, its roles and the mail `compose` writes for it, all or nothing.
    pub async fn insert_account(
        &self,
        new: &NewAccount,
        compose: impl FnOnce(&Account) -> Vec<OutgoingMail>,
    ) -> Result<Account, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO accounts (uuid, name, name_key, mail, mail_key, password_hash, state, \
             created_at, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(&new.uuid)
        .bind(&new.name)
        .bind(unique_key(&new.name))
        .bind(&new.mail)
        .bind(new.mail.as_deref().map(unique_key))
        .bind(&new.password_hash)
        .bind(new.state.as_str())
        .bind(new.now)
        .fetch_one(&mut *tx)
        .await
        .map_err(classify)?;
        for role in &new.roles {
            sqlx::query("INSERT INTO account_roles (account_id, role) VALUES ($1, $2)")
                .bind(id)
                .bind(role)
                .execute(&mut *tx)
                .await?;
        }
        let account = Self::account_in(&mut tx, id).await?.ok_or_else(|| {
            StoreError::Corrupt("a new account vanished inside its transaction".into())
        })?;
        for mail in compose(&account) {
            outbox_insert(&mut tx, &mail, new.now).await?;
        }
        tx.commit().await?;
        Ok(account)
    }

    pub async fn account_by_id(&self, id: i64) -> Result<Option<Account>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        Self::account_in(&mut conn, id).await
    }

    pub async fn account_by_name(&self, name: &str) -> Result<Option<Account>, StoreError> {
        self.account_where("a.name_key = $1", &unique_key(name)).await
    }

    pub async fn account_by_mail(&self, mail: &str) -> Result<Option<Account>, StoreError> {
        self.account_where("a.mail_key = $1", &unique_key(mail)).await
    }

    /// Which of `name` and `mail` other accounts than `except` already use.
    pub async fn taken(
        &self,
        name: Option<&str>,
        mail: Option<&str>,
        except: Option<i64>,
    ) -> Result<(bool, bool), StoreError> {
        let row = sqlx::query(
            "SELECT \
               EXISTS (SELECT 1 FROM accounts WHERE name_key = $1 AND id <> $3) AS name_taken, \
               EXISTS (SELECT 1 FROM accounts WHERE mail_key = $2 AND id <> $3) AS mail_taken",
        )
        .bind(name.map(unique_key))
        .bind(mail.map(unique_key))
        .bind(except.unwrap_or(-1))
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("name_taken")?, row.try_get("mail_taken")?))
    }

    pub async fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a ORDER BY a.id"));
        let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
        let mut accounts = rows.iter().map(account_from_row).collect::<Result<Vec<_>, _>>()?;
        let roles = sqlx::query("SELECT account_id, role FROM account_roles ORDER BY role")
            .fetch_all(&self.pool)
            .await?;
        for row in roles {
            let id: i64 = row.try_get("account_id")?;
            if let Some(account) = accounts.iter_mut().find(|a| a.id == id) {
                account.roles.push(row.try_get("role")?);
            }
        }
        Ok(accounts)
    }

    pub async fn active_administrator_mails(&self) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT a.mail FROM accounts a JOIN account_roles r ON r.account_id = a.id \
             WHERE r.role = $1 AND a.state = 'active' AND a.mail IS NOT NULL ORDER BY a.id",
        )
        .bind(ADMINISTRATOR)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn count_accounts(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&self.pool).await?)
    }

    /// Writes `account`, replaces its roles, ends the sessions `end` names and queues `mail`,
    /// all in one transaction.
    pub async fn save_account(
        &self,
        account: &Account,
        end: EndSessions<'_>,
        mail: &[OutgoingMail],
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        Self::update_account_in(&mut tx, account, now).await?;
        sqlx::query("DELETE FROM account_roles WHERE account_id = $1")
            .bind(account.id)
            .execute(&mut *tx)
            .await?;
        for role in &account.roles {
            sqlx::query("INSERT INTO account_roles (account_id, role) VALUES ($1, $2)")
                .bind(account.id)
                .bind(role)
                .execute(&mut *tx)
                .await?;
        }
        let keep = match end {
            EndSessions::None => None,
            EndSessions::All => Some(""),
            EndSessions::AllBut(id_hash) => Some(id_hash),
        };
        if let Some(keep) = keep {
            sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id_hash <> $2")
                .bind(account.id)
                .bind(keep)
                .execute(&mut *tx)
                .await?;
        }
        for message in mail {
            outbox_insert(&mut tx, message, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deletes the account; its sessions and roles go with it.
    pub async fn delete_account(&self, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM accounts WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    async fn update_account_in(
        conn: &mut sqlx::SqliteConnection,
        account: &Account,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE accounts SET name = $2, name_key = $3, mail = $4, mail_key = $5, \
             password_hash = $6, state = $7, timezone = $8, langcode = $9, changed_at = $10 \
             WHERE id = $1",
        )
        .bind(account.id)
        .bind(&account.name)
        .bind(unique_key(&account.name))
        .bind(&account.mail)
        .bind(account.mail.as_deref().map(unique_key))
        .bind(&account.password_hash)
        .bind(account.state.as_str())
        .bind(&account.timezone)
        .bind(&account.langcode)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(classify)?;
        Ok(())
    }

    /// Replaces the stored hash only if it is still `old`, so a concurrent password change wins.
    pub async fn upgrade_password_hash(&self, id: i64, old: &str, new: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE accounts SET password_hash = $3 WHERE id = $1 AND password_hash = $2")
            .bind(id)
            .bind(old)
            .bind(new)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn account_where(&self, condition: &str, value: &str) -> Result<Option<Account>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE {condition}"));
        let mut conn = self.pool.acquire().await?;
        let Some(row) = sqlx::query(sql).bind(value).fetch_optional(&mut *conn).await? else {
            return Ok(None);
        };
        let mut account = account_from_row(&row)?;
        account.roles = Self::roles_in(&mut conn, account.id).await?;
        Ok(Some(account))
    }

    async fn account_in(conn: &mut sqlx::SqliteConnection, id: i64) -> Result<Option<Account>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1"));
        let Some(row) = sqlx::query(sql).bind(id).fetch_optional(&mut *conn).await? else {
            return Ok(None);
        };
        let mut account = account_from_row(&row)?;
        account.roles = Self::roles_in(conn, id).await?;
        Ok(Some(account))
    }

    pub(super) async fn roles_in(conn: &mut sqlx::SqliteConnection, id: i64) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT role FROM account_roles WHERE account_id = $1 ORDER BY role")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?)
    }
}

pub(super) async fn outbox_insert(
    conn: &mut sqlx::SqliteConnection,
    mail: &OutgoingMail,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO mail_outbox (kind, recipient, subject, body, account_id, created_at, \
         next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(mail.kind.as_str())
    .bind(&mail.recipient)
    .bind(&mail.subject)
    .bind(&mail.body)
    .bind(mail.account_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
