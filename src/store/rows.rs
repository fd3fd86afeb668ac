//! Turning rows into domain values, for either backend.

use sqlx::{ColumnIndex, Decode, Row, Type};

use super::StoreError;
use crate::domain::accounts::{Account, AccountState};

/// The account columns every account query selects, from `accounts a`.
macro_rules! account_columns {
    () => {
        "a.id, a.uuid, a.name, a.mail, a.password_hash, a.state, a.timezone, a.langcode, \
         a.created_at, a.changed_at, a.access_at, a.login_at"
    };
}

pub(super) const ACCOUNT_COLUMNS: &str = account_columns!();

/// [`ACCOUNT_COLUMNS`] and the account's roles in one column, `roles`, which
/// [`account_with_roles_from_row`] reads: one query instead of two. Role names are machine
/// names (letters, digits, `_`), so a space separates them; `string_agg` is PostgreSQL's and
/// (since 3.44) SQLite's.
macro_rules! account_with_roles {
    () => {
        concat!(
            $crate::store::rows::account_columns!(),
            ", (SELECT string_agg(r.role, ' ') FROM account_roles r WHERE r.account_id = a.id) \
             AS roles"
        )
    };
}
pub(super) use {account_columns, account_with_roles};

pub(super) const ACCOUNT_WITH_ROLES: &str = account_with_roles!();

/// An account and its roles from a row of [`ACCOUNT_WITH_ROLES`].
pub(super) fn account_with_roles_from_row<'r, R>(row: &'r R) -> Result<Account, StoreError>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
{
    let mut account = account_from_row(row)?;
    let roles: Option<String> = row.try_get("roles")?;
    account.roles = roles
        .as_deref()
        .unwrap_or_default()
        .split(' ')
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect();
    account.roles.sort_unstable();
    Ok(account)
}

pub(super) fn account_from_row<'r, R>(row: &'r R) -> Result<Account, StoreError>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
{
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
