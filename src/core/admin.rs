//! Operator actions on accounts by name, as the command line performs them.

use secrecy::SecretString;

use super::accounts::{Account, AccountState};
use super::{Core, Error, now};
use crate::store::{AccountUpdate, Consequences, EndSessions, UpdateOutcome};

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

    /// Moves the account to `state`, on the command line's behalf.
    pub async fn set_account_state(
        &self,
        name: &str,
        state: AccountState,
    ) -> Result<Account, Error> {
        let client = super::ClientContext::command_line();
        self.set_account_state_by(name, state, &client).await
    }

    /// Moves the account to `state` on behalf of `client` (the command line, or an
    /// administrator in the console). Leaving the active state ends its sessions; activating
    /// a pending account tells its holder. Only the state is written.
    pub async fn set_account_state_by(
        &self,
        name: &str,
        state: AccountState,
        client: &super::ClientContext,
    ) -> Result<Account, Error> {
        let account = self.account_named(name).await?;
        let update = AccountUpdate {
            state: Some(state),
            ..AccountUpdate::default()
        };
        let now = now();
        let outcome = self
            .store
            .update_account(account.id, &update, now, |before, after| Consequences {
                end: if after.is_active() {
                    EndSessions::None
                } else {
                    EndSessions::All
                },
                mail: self.activation_notice(before, after, now),
            })
            .await?;
        self.sessions_changed(account.id);
        let (before, after) = saved(outcome)?;
        if before.state == AccountState::Pending && after.is_active() {
            self.mail_queued();
        }
        let subject = super::Subject::Account(&after);
        if before.state != AccountState::Blocked && after.state == AccountState::Blocked {
            self.record_audit(super::AuditEvent::AccountBlocked, subject, client, None)
                .await;
        } else if !before.is_active() && after.is_active() {
            let detail = match before.state {
                AccountState::Pending => "approved",
                _ => "unblocked",
            };
            let event = super::AuditEvent::AccountActivated;
            self.record_audit(event, subject, client, Some(detail))
                .await;
        }
        Ok(after)
    }

    /// Sets a new password and ends every session of the account. Only the password is
    /// written.
    pub async fn set_password(&self, name: &str, password: &SecretString) -> Result<(), Error> {
        super::passwords::check_bounds(password).map_err(|v| Error::Invalid(vec![v]))?;
        let account = self.account_named(name).await?;
        let update = AccountUpdate {
            password_hash: Some(self.passwords.hash(password).await?),
            ..AccountUpdate::default()
        };
        let outcome = self
            .store
            .update_account(account.id, &update, now(), |_, _| Consequences {
                end: EndSessions::All,
                mail: Vec::new(),
            })
            .await?;
        self.sessions_changed(account.id);
        let (_, account) = saved(outcome)?;
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
        self.sessions_changed(account.id);
        Ok(())
    }
}

/// The account before and after a change made without a session or a proven password, which
/// can only fail by the account's disappearing.
fn saved(outcome: UpdateOutcome) -> Result<(Account, Account), Error> {
    match outcome {
        UpdateOutcome::Saved { before, after } => Ok((*before, *after)),
        _ => Err(Error::NoSuchAccount),
    }
}
