//! Trickle migration: a login that names an account latch does not have, or has without a
//! usable password hash, is put to the legacy site it replaces. When that site accepts it,
//! latch creates the account (or gives it the password) with an Argon2id hash of the
//! password, and the login goes on as any other. The core only asks through [`LegacyLogin`];
//! the client that speaks to the site lives in the delivery layer.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::accounts::{
    Account, AccountState, NameRules, check_mail, check_name_under, check_role, name_fold,
    normalize_name, unique_key,
};
use super::audit::{AuditEvent, ClientContext, Subject};
use super::login::LoginName;
use super::passwords::MAX_PASSWORD_BYTES;
use super::{Core, Error, now};
use crate::store::{LegacyCounts, NewAccount, StoreError};

/// What the legacy site says about the account that logged in there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LegacyAccount {
    pub name: String,
    pub mail: Option<String>,
    /// As the site names them; those latch cannot hold are dropped.
    pub roles: Vec<String>,
}

/// The legacy site could not be asked, or answered in a way that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LegacyError(pub String);

/// The answer to one question to the legacy site: the account if it accepted the login.
pub type LegacyAnswer<'a> =
    Pin<Box<dyn Future<Output = Result<Option<LegacyAccount>, LegacyError>> + Send + 'a>>;

/// A legacy site that can check a login.
pub trait LegacyLogin: Send + Sync {
    /// Logs in to the legacy site with `login` and `password`, reads the account and leaves
    /// no session behind there. `Ok(None)` when the site refuses the login.
    fn verify<'a>(&'a self, login: LoginName<'a>, password: &'a SecretString) -> LegacyAnswer<'a>;

    /// The longest the whole of [`LegacyLogin::verify`] may take.
    fn time_limit(&self) -> Duration;

    /// The rules the site's names follow.
    fn name_rules(&self) -> NameRules;
}

/// Whether the account has a password hash a login can be checked against.
pub fn has_usable_hash(account: &Account) -> bool {
    account
        .password_hash
        .as_deref()
        .is_some_and(|hash| !hash.is_empty() && !hash.starts_with('!'))
}

impl Core {
    /// Sends logins of accounts latch lacks to `site` from now on. Only the first call counts.
    pub fn use_legacy_login(&self, site: Arc<dyn LegacyLogin>) {
        if self.legacy.set(site).is_err() {
            tracing::warn!("a legacy site was already in use; the second one is ignored");
        }
    }

    /// How many accounts came over from the legacy site and how many still have no usable
    /// password hash.
    pub async fn legacy_counts(&self) -> Result<LegacyCounts, Error> {
        Ok(self.store.legacy_counts().await?)
    }

    /// For a login latch could not check itself (`local` is the account it names, if any):
    /// the account, created or given the password, if the legacy site accepts the login.
    /// `None` when there is no legacy site, the account has a usable hash (the site is never
    /// asked about those), or the site refuses, fails or is too slow: each is a wrong password.
    pub(super) async fn login_through_legacy(
        &self,
        login: LoginName<'_>,
        local: Option<&Account>,
        password: &SecretString,
        client: &ClientContext,
    ) -> Result<Option<Account>, Error> {
        let Some(site) = self.legacy.get() else {
            return Ok(None);
        };
        let length = password.expose_secret().len();
        if local.is_some_and(has_usable_hash) || length == 0 || length > MAX_PASSWORD_BYTES {
            return Ok(None);
        }
        let answer =
            match tokio::time::timeout(site.time_limit(), site.verify(login, password)).await {
                Ok(Ok(Some(answer))) => answer,
                Ok(Ok(None)) => return Ok(None),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "the legacy site could not check a login; it fails");
                    return Ok(None);
                }
                Err(_) => {
                    tracing::warn!(
                        limit = ?site.time_limit(),
                        "the legacy site did not answer a login in time; it fails"
                    );
                    return Ok(None);
                }
            };
        let migrated = match local {
            Some(local) if !same_account(local, &answer) => {
                tracing::warn!(
                    account = %local.name,
                    "the legacy site accepted a login as another account; it fails"
                );
                return Ok(None);
            }
            // Reported as inactive by the caller, and left as it is.
            Some(local) if !local.is_active() => return Ok(Some(local.clone())),
            Some(local) => {
                let hash = self.passwords.hash(password).await?;
                let completed = self
                    .store
                    .complete_legacy_account(local.id, &hash, now())
                    .await?;
                completed.map(|account| (account, "completed"))
            }
            None => self
                .create_from_legacy(answer, password, site.name_rules())
                .await?
                .map(|account| (account, "created")),
        };
        let Some((account, how)) = migrated else {
            return Ok(None);
        };
        self.sessions_changed(account.id);
        self.record_audit(
            AuditEvent::LegacyMigrated,
            Subject::Account(&account),
            client,
            Some(how),
        )
        .await;
        Ok(Some(account))
    }

    async fn create_from_legacy(
        &self,
        answer: LegacyAccount,
        password: &SecretString,
        rules: NameRules,
    ) -> Result<Option<Account>, Error> {
        let name = normalize_name(&answer.name);
        if let Err(violation) = check_name_under(rules, &name) {
            tracing::warn!(
                ?violation,
                "the legacy site accepted a login for a name latch cannot hold; it fails"
            );
            return Ok(None);
        }
        let new = NewAccount {
            uuid: uuid::Uuid::new_v4().to_string(),
            name,
            mail: answer.mail.filter(|mail| check_mail(mail).is_ok()),
            password_hash: Some(self.passwords.hash(password).await?),
            state: AccountState::Active,
            roles: usable_roles(answer.roles),
            now: now(),
        };
        match self.store.insert_legacy_account(&new).await {
            Ok(account) => Ok(Some(account)),
            Err(StoreError::Taken(field)) => {
                tracing::warn!(
                    ?field,
                    account = %new.name,
                    "the legacy site's account clashes with another latch account; the login fails"
                );
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Whether the legacy site's account is `local`: the same name, or the same mail address.
fn same_account(local: &Account, answer: &LegacyAccount) -> bool {
    let same_mail = match (&local.mail, &answer.mail) {
        (Some(ours), Some(theirs)) => unique_key(ours) == unique_key(theirs),
        _ => false,
    };
    same_mail || name_fold(&local.name) == name_fold(&normalize_name(&answer.name))
}

/// The roles latch can hold, each once; `authenticated` and the like are no roles here.
fn usable_roles(roles: Vec<String>) -> Vec<String> {
    let mut usable: Vec<String> = roles
        .into_iter()
        .filter(|role| check_role(role).is_ok())
        .collect();
    usable.sort();
    usable.dedup();
    usable
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_roles_latch_can_hold_come_over() {
        let roles = [
            "authenticated",
            "editor",
            "Bad Role",
            "editor",
            "administrator",
        ];
        assert_eq!(
            usable_roles(roles.iter().map(|r| r.to_string()).collect()),
            ["administrator", "editor"]
        );
    }

    #[test]
    fn an_unusable_or_missing_hash_is_no_password() {
        let mut account = Account {
            id: 1,
            uuid: "u".into(),
            name: "bob".into(),
            mail: None,
            password_hash: None,
            state: AccountState::Active,
            timezone: "UTC".into(),
            langcode: "en".into(),
            created_at: 0,
            changed_at: 0,
            access_at: 0,
            login_at: 0,
            roles: vec![],
        };
        assert!(!has_usable_hash(&account));
        account.password_hash = Some("!unusable".into());
        assert!(!has_usable_hash(&account));
        account.password_hash = Some("$argon2id$v=19$…".into());
        assert!(has_usable_hash(&account));
    }
}
