//! Changing an existing account: who may change which field, and what a change implies.

use secrecy::SecretString;

use super::accounts::{
    Account, AccountState, Field, Violation, check_mail, check_name, check_role,
};
use super::audit::{AuditEvent, ClientContext, Subject};
use super::mail::MailKind;
use super::{Core, CurrentSession, Error, now, taken_as_invalid};
use crate::store::EndSessions;

/// Requested changes; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct AccountChanges {
    pub name: Option<String>,
    /// `Some(None)` removes the address (administrators only).
    pub mail: Option<Option<String>>,
    pub password: Option<SecretString>,
    /// The account's present password, required to change its mail or password unless the
    /// change is made by an administrator.
    pub current_password: Option<SecretString>,
    pub state: Option<AccountState>,
    pub roles: Option<Vec<String>>,
    pub timezone: Option<String>,
    pub langcode: Option<String>,
}

impl Core {
    /// The account `target` as `viewer` may see it: their own, or any for administrators.
    pub async fn account_for(&self, viewer: &Account, target: i64) -> Result<Account, Error> {
        if viewer.id != target && !viewer.is_administrator() {
            return Err(Error::NotPermitted);
        }
        self.store
            .account_by_id(target)
            .await?
            .ok_or(Error::NoSuchAccount)
    }

    /// Applies `changes` to account `target` on behalf of the session's holder. A new password
    /// ends every other session of the account; blocking it ends them all.
    pub async fn update_account(
        &self,
        actor: &CurrentSession,
        target: i64,
        changes: AccountChanges,
        client: &ClientContext,
    ) -> Result<Account, Error> {
        let admin = actor.account.is_administrator();
        let original = self.account_for(&actor.account, target).await?;
        let mut account = original.clone();

        let renamed = changes.name.as_ref().filter(|n| **n != original.name);
        let new_mail = changes
            .mail
            .clone()
            .filter(|m| m.as_deref() != original.mail.as_deref());
        if !admin {
            if renamed.is_some() {
                return Err(Error::FieldNotAllowed(Field::Name));
            }
            if changes.state.is_some_and(|s| s != original.state) {
                return Err(Error::FieldNotAllowed(Field::State));
            }
            if changes
                .roles
                .as_ref()
                .is_some_and(|r| !same_roles(r, &original.roles))
            {
                return Err(Error::FieldNotAllowed(Field::Roles));
            }
        }

        let mut violations = Vec::new();
        if let Some(name) = renamed {
            violations.extend(check_name(name).err());
        }
        match &new_mail {
            Some(Some(mail)) => violations.extend(check_mail(mail).err()),
            Some(None) if !admin => violations.push(Violation::MailMissing),
            _ => {}
        }
        if let Some(password) = &changes.password {
            violations.extend(self.passwords.check_new(password).err());
        }
        for role in changes.roles.iter().flatten() {
            violations.extend(check_role(role).err());
        }
        // An account registered with mail verification has no password to prove yet; the
        // session, opened through the mailed link, is its proof.
        let password_needs_proof = changes.password.is_some() && original.password_hash.is_some();
        if !admin && (new_mail.is_some() || password_needs_proof) {
            let proven = self
                .prove_password(&original, changes.current_password.as_ref(), client.ip)
                .await?;
            if !proven {
                if new_mail.is_some() {
                    violations.push(Violation::CurrentPasswordRequired { field: Field::Mail });
                }
                if password_needs_proof {
                    violations.push(Violation::CurrentPasswordRequired {
                        field: Field::Password,
                    });
                }
            }
        }
        let (name_taken, mail_taken) = self
            .store
            .taken(
                renamed.map(String::as_str),
                new_mail.clone().flatten().as_deref(),
                Some(target),
            )
            .await?;
        if name_taken && !violations.iter().any(|v| v.field() == Field::Name) {
            violations.push(Violation::NameTaken {
                name: renamed.cloned().unwrap_or_default(),
            });
        }
        if mail_taken && !violations.iter().any(|v| v.field() == Field::Mail) {
            violations.push(Violation::MailTaken {
                mail: new_mail.clone().flatten().unwrap_or_default(),
            });
        }
        if !violations.is_empty() {
            return Err(Error::Invalid(violations));
        }

        if let Some(name) = renamed {
            account.name = name.clone();
        }
        if let Some(mail) = new_mail {
            account.mail = mail;
        }
        if let Some(state) = changes.state {
            account.state = state;
        }
        if let Some(mut roles) = changes.roles {
            roles.sort();
            roles.dedup();
            account.roles = roles;
        }
        if let Some(timezone) = changes.timezone {
            account.timezone = timezone;
        }
        if let Some(langcode) = changes.langcode {
            account.langcode = langcode;
        }
        let password_changed = changes.password.is_some();
        if let Some(password) = &changes.password {
            account.password_hash = Some(self.passwords.hash(password).await?);
        }
        let deactivated = original.is_active() && !account.is_active();
        let end = if deactivated {
            EndSessions::All
        } else if password_changed && target == actor.account.id {
            // The actor keeps the session they changed their password in.
            EndSessions::AllBut(&actor.id_hash)
        } else if password_changed {
            EndSessions::All
        } else {
            EndSessions::None
        };
        let now = now();
        let mut notices = Vec::new();
        if original.state == AccountState::Pending
            && account.is_active()
            && let Some(mail) = account.mail.as_deref()
        {
            notices.push(
                self.letters
                    .compose(MailKind::Activated, &account, mail, now),
            );
        }
        self.store
            .save_account(&account, end, &notices, now)
            .await
            .map_err(|e| taken_as_invalid(e, &account.name, account.mail.as_deref()))?;
        if !notices.is_empty() {
            self.mail_queued();
        }
        account.changed_at = now;
        if password_changed {
            let detail = (target != actor.account.id).then_some("by an administrator");
            self.record_audit(
                AuditEvent::PasswordChanged,
                Subject::Account(&account),
                client,
                detail,
            )
            .await;
        }
        Ok(account)
    }
}

fn same_roles(a: &[String], b: &[String]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    a.dedup();
    b.sort();
    b.dedup();
    a == b
}
