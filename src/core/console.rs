//! What the admin console does beyond the command line's account actions: finding accounts a
//! page at a time, setting roles, mailing a reset link, and the outbox. Each action is
//! recorded in the audit trail with the acting administrator ([`ClientContext::actor`]).

use std::collections::BTreeSet;

use super::accounts::{Account, Violation, check_role};
use super::audit::{AuditEvent, ClientContext, Subject};
use super::mail::MailKind;
use super::{Core, Error, now};
use crate::store::{
    AccountSearch, AccountUpdate, Consequences, EndSessions, FoundAccount, QueuedMail,
};

/// What retrying a message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailRetry {
    /// Queued for an attempt now, with a fresh attempt count.
    Queued,
    /// It was delivered already; it is not sent twice.
    Delivered,
    /// No such message.
    Missing,
}

impl Core {
    /// The accounts `search` matches, a page at a time.
    pub async fn find_accounts(&self, search: &AccountSearch) -> Result<Vec<FoundAccount>, Error> {
        Ok(self.store.search_accounts(search).await?)
    }

    /// Gives the named account exactly `roles` (beyond `authenticated`), on behalf of
    /// `client`. Only the roles are written, onto the account as it is at commit time.
    pub async fn set_roles(
        &self,
        name: &str,
        roles: &[String],
        client: &ClientContext,
    ) -> Result<Account, Error> {
        let violations: Vec<Violation> = roles.iter().filter_map(|r| check_role(r).err()).collect();
        if !violations.is_empty() {
            return Err(Error::Invalid(violations));
        }
        let account = self.account_named(name).await?;
        let wanted: BTreeSet<&String> = roles.iter().collect();
        let current: BTreeSet<&String> = account.roles.iter().collect();
        let update = AccountUpdate {
            add_roles: wanted.difference(&current).map(|r| (*r).clone()).collect(),
            remove_roles: current.difference(&wanted).map(|r| (*r).clone()).collect(),
            ..AccountUpdate::default()
        };
        let outcome = self
            .store
            .update_account(account.id, &update, now(), |_, _| Consequences {
                end: EndSessions::None,
                mail: Vec::new(),
            })
            .await?;
        // A session's holder is cached with their roles.
        self.sessions_changed(account.id);
        let crate::store::UpdateOutcome::Saved { after, .. } = outcome else {
            return Err(Error::NoSuchAccount);
        };
        let detail = format!("roles: {}", after.all_roles().join(", "));
        self.record_audit(
            AuditEvent::RolesChanged,
            Subject::Account(&after),
            client,
            Some(&detail),
        )
        .await;
        Ok(*after)
    }

    /// Mails the named account a one-time login link, as an administrator asks for it:
    /// without the flood limits of a visitor's request. False if the account is not active
    /// or has no mail address, so there is nobody to send it to.
    pub async fn send_password_reset(
        &self,
        name: &str,
        client: &ClientContext,
    ) -> Result<bool, Error> {
        let account = self.account_named(name).await?;
        let Some(mail) = account.mail.as_deref().filter(|_| account.is_active()) else {
            return Ok(false);
        };
        let now = now();
        let message = self
            .letters
            .compose_with(MailKind::PasswordReset, &account, mail, now, None);
        self.store.enqueue_mail(&message, now).await?;
        self.mail_queued();
        self.record_audit(
            AuditEvent::PasswordResetRequested,
            Subject::Account(&account),
            client,
            Some("sent by an administrator"),
        )
        .await;
        Ok(true)
    }

    /// Every message in the outbox, oldest first.
    pub async fn outbox(&self) -> Result<Vec<QueuedMail>, Error> {
        Ok(self.store.outbox().await?)
    }

    /// Queues message `id` (dead or waiting) for delivery now, with a fresh attempt count.
    pub async fn retry_mail(&self, id: i64, client: &ClientContext) -> Result<MailRetry, Error> {
        let retry = match self.store.retry_mail(id, now()).await?.as_deref() {
            None => return Ok(MailRetry::Missing),
            Some("sent" | "logged") => return Ok(MailRetry::Delivered),
            Some(_) => MailRetry::Queued,
        };
        self.mail_queued();
        let detail = format!("message {id}");
        self.record_audit(
            AuditEvent::MailRetried,
            Subject::Nobody,
            client,
            Some(&detail),
        )
        .await;
        Ok(retry)
    }
}
