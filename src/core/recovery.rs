//! Password reset requests: a one-time login link mailed through the outbox.

use super::audit::{AuditEvent, ClientContext, Subject};
use super::mail::{LinkPath, MailKind};
use super::{Core, Error, now};

/// How a client names the account it wants to recover.
#[derive(Debug)]
pub enum AccountLookup {
    Name(String),
    Mail(String),
    /// A mail address, or else a name (Drupal 7 tries the address first).
    NameOrMail(String),
}

impl Core {
    /// Queues a password-reset message if an active account with a mail address matches.
    /// Unknown and inactive accounts get the same answer, so the endpoint reveals nothing.
    pub async fn request_password_reset(
        &self,
        lookup: AccountLookup,
        client: &ClientContext,
    ) -> Result<(), Error> {
        self.request_password_reset_with(lookup, None, client).await
    }

    /// [`Self::request_password_reset`] with the mailed link shaped by `path`.
    pub async fn request_password_reset_with(
        &self,
        lookup: AccountLookup,
        path: Option<LinkPath<'_>>,
        client: &ClientContext,
    ) -> Result<(), Error> {
        let account = match &lookup {
            AccountLookup::Name(name) => self.store.account_by_name(name).await?,
            AccountLookup::Mail(mail) => self.store.account_by_mail(mail).await?,
            AccountLookup::NameOrMail(text) => match self.store.account_by_mail(text).await? {
                Some(account) => Some(account),
                None => self.store.account_by_name(text).await?,
            },
        };
        // Recorded either way, so both answers cost the same database write.
        let subject = match (&account, &lookup) {
            (Some(account), _) => Subject::Account(account),
            (
                None,
                AccountLookup::Name(t) | AccountLookup::Mail(t) | AccountLookup::NameOrMail(t),
            ) => Subject::Name(t),
        };
        self.record_audit(AuditEvent::PasswordResetRequested, subject, client, None)
            .await;
        let Some(account) = account.filter(|a| a.is_active()) else {
            tracing::info!("password reset requested for no active account");
            return Ok(());
        };
        let Some(mail) = account.mail.as_deref() else {
            return Ok(());
        };
        let now = now();
        let message = self
            .letters
            .compose_with(MailKind::PasswordReset, &account, mail, now, path);
        self.store.enqueue_mail(&message, now).await?;
        self.mail_queued();
        Ok(())
    }
}
