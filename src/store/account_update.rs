//! Changing an existing account row. A change names only the columns it sets, and is applied
//! to the row as it is when the change commits, not as it was when the request read it: a
//! self-service profile update that spent a password hash's time between its read and its
//! write must not put back a state or role an administrator changed meanwhile.

use sqlx::{AssertSqlSafe, Row};

use super::access_tokens::revoke_tokens_on_password_change;
use super::accounts::{EndSessions, outbox_insert};
use super::rows::{ACCOUNT_WITH_ROLES, account_with_roles_from_row};
use super::{Store, StoreError, classify, with_pool};
use crate::domain::accounts::{ADMINISTRATOR, Account, AccountState, unique_key};
use crate::domain::mail::OutgoingMail;
use crate::domain::names::name_fold;

/// The columns one change sets; `None` (or an empty role list) leaves a column as the row has
/// it at commit time.
#[derive(Debug, Default, Clone)]
pub struct AccountUpdate {
    pub name: Option<String>,
    /// `Some(None)` removes the address.
    pub mail: Option<Option<String>>,
    pub password_hash: Option<String>,
    pub state: Option<AccountState>,
    pub add_roles: Vec<String>,
    pub remove_roles: Vec<String>,
    pub timezone: Option<String>,
    pub langcode: Option<String>,
    /// The password hash the change was proven with: the change is refused if the account's
    /// password has been replaced since, so a proof of an old password does not count.
    pub proven_with: Option<Option<String>>,
    /// The session the change is made in (its id hash): the change is refused if that session
    /// has ended since, e.g. because its holder was blocked meanwhile.
    pub session: Option<String>,
    /// The change needs an administrator's rights: it is refused if the session's holder has
    /// lost the administrator role since.
    pub by_administrator: bool,
}

impl AccountUpdate {
    /// Whether the change sets no column at all.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.mail.is_none()
            && self.password_hash.is_none()
            && self.state.is_none()
            && self.add_roles.is_empty()
            && self.remove_roles.is_empty()
            && self.timezone.is_none()
            && self.langcode.is_none()
    }

    /// The account as this change leaves it, written at `now`.
    fn applied_to(&self, before: &Account, now: i64) -> Account {
        let mut after = before.clone();
        if let Some(name) = &self.name {
            after.name.clone_from(name);
        }
        if let Some(mail) = &self.mail {
            after.mail.clone_from(mail);
        }
        if let Some(hash) = &self.password_hash {
            after.password_hash = Some(hash.clone());
        }
        if let Some(state) = self.state {
            after.state = state;
        }
        if let Some(timezone) = &self.timezone {
            after.timezone.clone_from(timezone);
        }
        if let Some(langcode) = &self.langcode {
            after.langcode.clone_from(langcode);
        }
        after.changed_at = now;
        after.roles.retain(|role| !self.remove_roles.contains(role));
        after.roles.extend(self.add_roles.iter().cloned());
        after.roles.sort_unstable();
        after.roles.dedup();
        after
    }
}

/// What a committed change brings with it, decided from the row before and after it.
pub struct Consequences<'a> {
    pub end: EndSessions<'a>,
    pub mail: Vec<OutgoingMail>,
}

/// How a change ended.
#[derive(Debug)]
pub enum UpdateOutcome {
    /// Written: the account as it was just before the change, and after it.
    Saved {
        before: Box<Account>,
        after: Box<Account>,
    },
    /// The account no longer exists.
    Gone,
    /// The password the change was proven with has been replaced.
    StaleProof,
    /// The session the change was made in has ended.
    SessionEnded,
    /// The change needs an administrator, and the session's holder is no longer one.
    NoLongerPermitted,
}

impl Store {
    /// Applies `update` to account `id` in one transaction that holds the row (PostgreSQL) or
    /// the database (SQLite) for writing from its first statement, reads the row under that
    /// lock, and lets `consequences` decide from the fresh before and after which sessions end
    /// and what mail is queued with it.
    pub async fn update_account<'a>(
        &self,
        id: i64,
        update: &AccountUpdate,
        now: i64,
        consequences: impl FnOnce(&Account, &Account) -> Consequences<'a>,
    ) -> Result<UpdateOutcome, StoreError> {
        let _turn = self.write_turn().await?;
        let name_key = update.name.as_deref().map(unique_key);
        let fold = update.name.as_deref().map(name_fold);
        let mail_set = update.mail.is_some();
        let mail = update.mail.clone().flatten();
        let mail_key = mail.as_deref().map(unique_key);
        // The transaction holds the write lock before it reads: SQLite's database lock from
        // `BEGIN IMMEDIATE` (a deferred transaction could not upgrade a read snapshot that
        // another writer made stale), PostgreSQL's row lock from `FOR UPDATE`.
        let (begin, lock) = match self {
            Store::Sqlite(_) => ("BEGIN IMMEDIATE", ""),
            Store::Postgres(_) => ("BEGIN", " FOR UPDATE"),
        };
        // With the row, whether the session the change is made in still exists (NULL if not)
        // and whether its holder is an administrator: one statement for both.
        let read_locked = AssertSqlSafe(format!(
            "SELECT {ACCOUNT_WITH_ROLES}, \
             (SELECT EXISTS (SELECT 1 FROM account_roles r \
              WHERE r.account_id = s.account_id AND r.role = $3) \
              FROM sessions s WHERE s.id_hash = $2) AS holder_is_administrator \
             FROM accounts a WHERE a.id = $1{lock}"
        ));
        with_pool!(self, |pool| {
            let mut tx = pool.begin_with(begin).await?;
            let Some(row) = sqlx::query(read_locked)
                .bind(id)
                .bind(&update.session)
                .bind(ADMINISTRATOR)
                .fetch_optional(&mut *tx)
                .await?
            else {
                return Ok(UpdateOutcome::Gone);
            };
            let before = account_with_roles_from_row(&row)?;
            if let Some(proven) = &update.proven_with
                && *proven != before.password_hash
            {
                return Ok(UpdateOutcome::StaleProof);
            }
            if update.session.is_some() {
                let holder: Option<bool> = row.try_get("holder_is_administrator")?;
                match holder {
                    None => return Ok(UpdateOutcome::SessionEnded),
                    Some(false) if update.by_administrator => {
                        return Ok(UpdateOutcome::NoLongerPermitted);
                    }
                    Some(_) => {}
                }
            }
            sqlx::query(
                "UPDATE accounts SET name = COALESCE($2, name), \
                 name_key = COALESCE($3, name_key), name_fold = COALESCE($4, name_fold), \
                 mail = CASE WHEN $5 THEN $6 ELSE mail END, \
                 mail_key = CASE WHEN $5 THEN $7 ELSE mail_key END, \
                 password_hash = COALESCE($8, password_hash), state = COALESCE($9, state), \
                 timezone = COALESCE($10, timezone), langcode = COALESCE($11, langcode), \
                 changed_at = $12 WHERE id = $1",
            )
            .bind(id)
            .bind(&update.name)
            .bind(&name_key)
            .bind(&fold)
            .bind(mail_set)
            .bind(&mail)
            .bind(&mail_key)
            .bind(&update.password_hash)
            .bind(update.state.map(AccountState::as_str))
            .bind(&update.timezone)
            .bind(&update.langcode)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
            for role in &update.remove_roles {
                sqlx::query("DELETE FROM account_roles WHERE account_id = $1 AND role = $2")
                    .bind(id)
                    .bind(role)
                    .execute(&mut *tx)
                    .await?;
            }
            for role in &update.add_roles {
                sqlx::query(
                    "INSERT INTO account_roles (account_id, role) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(role)
                .execute(&mut *tx)
                .await?;
            }
            // The row is locked: after the change it is exactly `before` with it applied.
            let after = update.applied_to(&before, now);
            if update.password_hash.is_some() && before.password_hash != after.password_hash {
                revoke_tokens_on_password_change!(tx, id);
            }
            let Consequences { end, mail } = consequences(&before, &after);
            let keep = match end {
                EndSessions::None => None,
                EndSessions::All => Some(""),
                EndSessions::AllBut(id_hash) => Some(id_hash),
            };
            if let Some(keep) = keep {
                sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id_hash <> $2")
                    .bind(id)
                    .bind(keep)
                    .execute(&mut *tx)
                    .await?;
            }
            for message in &mail {
                outbox_insert!(tx, message, now);
            }
            tx.commit().await?;
            Ok(UpdateOutcome::Saved {
                before: Box::new(before),
                after: Box::new(after),
            })
        })
    }
}
