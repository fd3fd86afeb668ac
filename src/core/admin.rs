//! Operator actions on accounts by name, as the command line performs them.

use secrecy::SecretString;

use super::accounts::{Account, AccountState};
use super::mail::MailKind;
use super::{Core, Error, now};
use crate::store::EndSessions;

impl Core {
    pub async fn list_accounts(&self) -> Result<Vec<Account>, Error> {
        Ok(self.store.list_accounts().await?)
    }

    pub async fn account_named(&self, name: &str) -> Result<Account, Error> {
        self.store
            .account_by_name(name)
            .await?
            .ok_or(Error::NoSuchAccount)
    }

    /// Moves the account to `state`. Leaving the active state ends its sessions; activating
    /// a pending account tells its holder.
    pub async fn set_account_state(
        &self,
        name: &str,
        state: AccountState,
    ) -> Result<Account, Error> {
        let mut account = self.account_named(name).await?;
        let before = account.state;
        account.state = state;
        let now = now();
        let end = if state == AccountState::Active {
            EndSessions::None
        } else {
            EndSessions::All
        };
        let mut notices = Vec::new();
        if before == AccountState::Pending
            && state == AccountState::Active
            && let Some(mail) = account.mail.as_deref()
        {
            notices.push(
                self.letters
                    .compose(MailKind::Activated, &account, mail, now),
            );
        }
        self.store
            .save_account(&account, end, &notices, now)
            .await?;
        if !notices.is_empty() {
            self.mail_queued();
        }
        Ok(account)
    }

    /// Sets a new password and ends every session of the account.
    pub async fn set_password(&self, name: &str, password: &SecretString) -> Result<(), Error> {
        super::passwords::check_bounds(password).map_err(|v| Error::Invalid(vec![v]))?;
        let mut account = self.account_named(name).await?;
        account.password_hash = Some(self.passwords.hash(password).await?);
        self.store
            .save_account(&account, EndSessions::All, &[], now())
            .await?;
        let client = super::ClientContext::command_line();
        let subject = super::Subject::Account(&account);
        self.record_audit(super::AuditEvent::PasswordChanged, subject, &client, None)
            .await;
        Ok(())
    }

    /// Deletes the account with its sessions and roles.
    pub async fn delete_account(&self, name: &str) -> Result<(), Error> {
        let account = self.account_named(name).await?;
        self.store.delete_account(account.id).await?;
        Ok(())
    }
}
