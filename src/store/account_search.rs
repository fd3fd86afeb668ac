//! Finding accounts by part of their name or mail address, a page at a time, for the admin
//! console.

use sqlx::{AssertSqlSafe, Row};

use super::rows::{ACCOUNT_WITH_ROLES, account_with_roles_from_row};
use super::{Store, StoreError, with_pool};
use crate::domain::accounts::{Account, AccountState};

/// Which accounts to list, and which page of them.
#[derive(Debug, Clone, Default)]
pub struct AccountSearch {
    /// Part of the name or mail address, compared without letter case.
    pub text: Option<String>,
    pub state: Option<AccountState>,
    pub offset: i64,
    pub limit: i64,
}

/// An account found, and whether it logs in with a second factor.
#[derive(Debug, Clone)]
pub struct FoundAccount {
    pub account: Account,
    pub second_factor: bool,
}

/// `text` as a `LIKE` pattern that matches it anywhere, its wildcards taken literally.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl Store {
    /// The accounts `search` matches, by id, at most `limit` from `offset`.
    pub async fn search_accounts(
        &self,
        search: &AccountSearch,
    ) -> Result<Vec<FoundAccount>, StoreError> {
        let pattern = search.text.as_deref().map(contains_pattern);
        let sql = format!(
            "SELECT {ACCOUNT_WITH_ROLES}, (EXISTS (SELECT 1 FROM mfa_totp t \
             WHERE t.account_id = a.id AND t.confirmed_at IS NOT NULL) \
             OR EXISTS (SELECT 1 FROM mfa_passkeys p WHERE p.account_id = a.id)) AS second_factor \
             FROM accounts a \
             WHERE ($1 IS NULL OR a.name_key LIKE $1 ESCAPE '\\' \
                 OR a.mail_key LIKE $1 ESCAPE '\\') \
             AND ($2 IS NULL OR a.state = $2) ORDER BY a.id LIMIT $3 OFFSET $4"
        );
        with_pool!(self, |pool| {
            let rows = sqlx::query(AssertSqlSafe(sql.as_str()))
                .bind(&pattern)
                .bind(search.state.map(AccountState::as_str))
                .bind(search.limit)
                .bind(search.offset)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|row| {
                    Ok(FoundAccount {
                        account: account_with_roles_from_row(row)?,
                        second_factor: row.try_get("second_factor")?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn wildcards_are_taken_literally() {
        assert_eq!(contains_pattern("Bo_b%"), "%bo\\_b\\%%");
    }
}
