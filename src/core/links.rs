//! One-time login links (`/user/reset/{uid}/{timestamp}/{hash}`), as mailed at registration,
//! approval and password reset: checking one, and logging in with it, optionally setting a
//! new password in the same step.

use secrecy::SecretString;

use super::accounts::Account;
use super::audit::{AuditEvent, ClientContext, Subject};
use super::mail::{LinkStatus, ONE_TIME_LINK_LIFETIME};
use super::passwords::Holder;
use super::sessions::hash_session_id;
use super::{Core, CurrentSession, Error, LoggedIn, now};
use crate::store::LinkUse;

/// A link that works now, and the account it opens.
#[derive(Debug)]
pub struct ValidLink {
    pub account: Account,
    pub expires_at: i64,
}

/// The audit detail of a link login that set a password.
pub(super) const PASSWORD_SET: &str = "password set";

impl Core {
    /// Checks a link without using it up (a confirmation page shows this, so mail scanners
    /// that fetch links do not spend them).
    pub async fn check_login_link(
        &self,
        uid: i64,
        timestamp: i64,
        hash: &str,
    ) -> Result<ValidLink, Error> {
        // Blocked, pending and deleted accounts get the same answer as a forged link.
        let Some(account) = self
            .store
            .account_by_id(uid)
            .await?
            .filter(Account::is_active)
        else {
            return Err(Error::LinkInvalid);
        };
        match self.letters.links().check(&account, timestamp, hash, now()) {
            LinkStatus::Valid => Ok(ValidLink {
                account,
                expires_at: timestamp + ONE_TIME_LINK_LIFETIME,
            }),
            LinkStatus::Expired => Err(Error::LinkExpired),
            LinkStatus::Invalid => Err(Error::LinkInvalid),
        }
    }

    /// Logs in with a link, using it up. With `password`, the account's password is set in
    /// the same transaction and every other session of the account ends. `previous` is the
    /// caller's own session of this account, if any, which the new one replaces.
    pub async fn login_with_link(
        &self,
        uid: i64,
        timestamp: i64,
        hash: &str,
        password: Option<&SecretString>,
        client: &ClientContext,
        previous: Option<&CurrentSession>,
    ) -> Result<LoggedIn, Error> {
        let link = self.check_login_link(uid, timestamp, hash).await;
        self.use_link(link, password, client, previous).await
    }

    /// Sets a new password with a link, using it up, without logging in (dialects whose reset
    /// confirmation sends the holder to log in afterwards). Every session of the account ends.
    /// With `mail`, the link counts only if it is that address's: another address gets the
    /// forged link's answer, so that it tells nothing about which addresses have accounts.
    pub async fn reset_password_with_link(
        &self,
        uid: i64,
        timestamp: i64,
        hash: &str,
        mail: Option<&str>,
        password: &SecretString,
        client: &ClientContext,
    ) -> Result<(), Error> {
        let link = self
            .check_login_link(uid, timestamp, hash)
            .await
            .and_then(|link| match mail {
                Some(mail) if !link.account.has_mail(mail) => Err(Error::LinkInvalid),
                _ => Ok(link),
            });
        let logged_in = self.use_link(link, Some(password), client, None).await?;
        self.store
            .delete_session(&hash_session_id(&logged_in.session_id))
            .await?;
        Ok(())
    }

    async fn use_link(
        &self,
        link: Result<ValidLink, Error>,
        password: Option<&SecretString>,
        client: &ClientContext,
        previous: Option<&CurrentSession>,
    ) -> Result<LoggedIn, Error> {
        // The password's faults come first, as Django's reset confirmation and Laravel's
        // validation report them.
        if let Some(password) = password {
            let account = link.as_ref().ok().map(|link| &link.account);
            let holder = Holder {
                name: account.map(|a| a.name.as_str()),
                mail: account.and_then(|a| a.mail.as_deref()),
            };
            let violations = self.passwords.check_new(password, holder);
            if !violations.is_empty() {
                return Err(Error::Invalid(violations));
            }
        }
        let link = link?;
        let new_password_hash = match password {
            Some(password) => Some(self.passwords.hash(password).await?),
            None => None,
        };
        let account = link.account;
        let uid = account.id;
        let previous = previous.filter(|p| p.account.id == uid);
        let password_hash_was = account.password_hash.clone();
        let used = LinkUse {
            login_at_was: account.login_at,
            password_hash_was: password_hash_was.as_deref(),
            new_password_hash: new_password_hash.as_deref(),
        };
        let logged_in = self
            .open_session(account, client, previous, Some(used))
            .await?;
        let detail = if password.is_some() {
            PASSWORD_SET
        } else {
            "logged in with a link"
        };
        self.clear_password_requests(&logged_in.account).await;
        let subject = Subject::Account(&logged_in.account);
        self.record_audit(AuditEvent::PasswordReset, subject, client, Some(detail))
            .await;
        tracing::info!(
            uid,
            password_set = password.is_some(),
            "logged in with a one-time link"
        );
        Ok(logged_in)
    }
}
