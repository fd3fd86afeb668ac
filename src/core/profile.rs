//! Changing an existing account: who may change which field, and what a change implies.

use std::collections::BTreeSet;

use secrecy::SecretString;

use super::accounts::{
    Account, AccountState, Field, NameRules, Violation, check_mail, check_name_under, check_role,
    normalize_name,
};
use super::audit::{AuditEvent, ClientContext, Subject};
use super::locale::{is_language, is_time_zone};
use super::mail::{MailKind, OutgoingMail};
use super::passwords::Holder;
use super::{Core, CurrentSession, Error, now, taken_as_invalid};
use crate::store::{AccountUpdate, Consequences, EndSessions, UpdateOutcome};

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
    /// The rules a new name follows: the dialect's that renames.
    pub name_rules: NameRules,
}

impl Core {
    /// The account `target` as `viewer` may see it: their own, or any for administrators.
    /// `viewer` is the account of a session just checked, read from the database or from
    /// memory kept in step with it, so their own account needs no second read; a change
    /// re-reads the row under its write lock anyway.
    pub async fn account_for(&self, viewer: &Account, target: i64) -> Result<Account, Error> {
        if viewer.id == target {
            return Ok(viewer.clone());
        }
        if !viewer.is_administrator() {
            return Err(Error::NotPermitted);
        }
        self.store
            .account_by_id(target)
            .await?
            .ok_or(Error::NoSuchAccount)
    }

    /// Applies `changes` to account `target` on behalf of the session's holder. A new password
    /// ends every other session of the account; blocking it ends them all. Only the fields
    /// that change are written, onto the account as it is when the change commits.
    pub async fn update_account(
        &self,
        actor: &CurrentSession,
        target: i64,
        changes: AccountChanges,
        client: &ClientContext,
    ) -> Result<Account, Error> {
        let admin = actor.account.is_administrator();
        let original = self.account_for(&actor.account, target).await?;

        let renamed = changes
            .name
            .as_deref()
            .map(normalize_name)
            .filter(|n| *n != original.name);
        let new_mail = changes
            .mail
            .clone()
            .filter(|m| m.as_deref() != original.mail.as_deref());
        let new_state = changes.state.filter(|s| *s != original.state);
        let (add_roles, remove_roles) = match &changes.roles {
            Some(roles) => role_changes(&original.roles, roles),
            None => (Vec::new(), Vec::new()),
        };
        if !admin {
            if renamed.is_some() {
                return Err(Error::FieldNotAllowed(Field::Name));
            }
            if new_state.is_some() {
                return Err(Error::FieldNotAllowed(Field::State));
            }
            if !add_roles.is_empty() || !remove_roles.is_empty() {
                return Err(Error::FieldNotAllowed(Field::Roles));
            }
        }

        let mut violations = Vec::new();
        if let Some(name) = &renamed {
            violations.extend(check_name_under(changes.name_rules, name).err());
        }
        match &new_mail {
            Some(Some(mail)) => violations.extend(check_mail(mail).err()),
            Some(None) if !admin => violations.push(Violation::MailMissing),
            _ => {}
        }
        if let Some(password) = &changes.password {
            let holder = Holder {
                name: Some(renamed.as_deref().unwrap_or(&original.name)),
                mail: match &new_mail {
                    Some(mail) => mail.as_deref(),
                    None => original.mail.as_deref(),
                },
            };
            violations.extend(self.passwords.check_new(password, holder));
        }
        if changes
            .timezone
            .as_deref()
            .is_some_and(|z| !is_time_zone(z))
        {
            violations.push(Violation::TimeZoneInvalid);
        }
        if changes.langcode.as_deref().is_some_and(|l| !is_language(l)) {
            violations.push(Violation::LanguageInvalid);
        }
        for role in changes.roles.iter().flatten() {
            violations.extend(check_role(role).err());
        }
        // An account registered with mail verification has no password to prove yet; the
        // session, opened through the mailed link, is its proof.
        let password_needs_proof = changes.password.is_some() && original.password_hash.is_some();
        let needs_proof = !admin && (new_mail.is_some() || password_needs_proof);
        let unproven = unproven(new_mail.is_some(), password_needs_proof);
        if needs_proof {
            let proven = self
                .prove_password(&original, changes.current_password.as_ref(), client.ip)
                .await?;
            if !proven {
                violations.extend(unproven.iter().cloned());
            }
        }
        let new_address = new_mail.clone().flatten();
        // Most changes (a time zone, a password) touch neither unique column.
        let (name_taken, mail_taken) = if renamed.is_none() && new_address.is_none() {
            (false, false)
        } else {
            self.store
                .taken(renamed.as_deref(), new_address.as_deref(), Some(target))
                .await?
        };
        if name_taken && !violations.iter().any(|v| v.field() == Field::Name) {
            violations.push(Violation::NameTaken {
                name: renamed.clone().unwrap_or_default(),
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

        let password_hash = match &changes.password {
            Some(password) => Some(self.passwords.hash(password).await?),
            None => None,
        };
        let password_changed = password_hash.is_some();
        let own = target == actor.account.id;
        // Rights the holder has only as an administrator, checked again when the change
        // commits: a demotion that lands meanwhile wins.
        let privileged = !own
            || renamed.is_some()
            || new_state.is_some()
            || !add_roles.is_empty()
            || !remove_roles.is_empty()
            || (admin && (new_mail.is_some() || password_needs_proof));
        let update = AccountUpdate {
            name: renamed,
            mail: new_mail,
            password_hash,
            state: new_state,
            add_roles,
            remove_roles,
            timezone: changes.timezone.filter(|t| *t != original.timezone),
            langcode: changes.langcode.filter(|l| *l != original.langcode),
            proven_with: needs_proof.then(|| original.password_hash.clone()),
            session: Some(actor.id_hash.clone()),
            by_administrator: privileged,
        };
        if update.is_empty() {
            // As in Drupal, saving the values an account already has changes nothing, not
            // even its `changed` time, and no cached session need be read again.
            return Ok(original);
        }
        let now = now();
        let outcome = self
            .store
            .update_account(target, &update, now, |before, after| {
                let end = if before.is_active() && !after.is_active() {
                    EndSessions::All
                } else if password_changed && own {
                    // The actor keeps the session they changed their password in.
                    EndSessions::AllBut(&actor.id_hash)
                } else if password_changed {
                    EndSessions::All
                } else {
                    EndSessions::None
                };
                Consequences {
                    end,
                    mail: self.activation_notice(before, after, now),
                }
            })
            .await
            .map_err(|e| {
                let name = update.name.as_deref().unwrap_or(&original.name);
                let mail = update.mail.clone().flatten();
                taken_as_invalid(e, name, mail.as_deref())
            })?;
        self.sessions_changed(target);
        let account = match outcome {
            UpdateOutcome::Saved { before, after } => {
                if before.state == AccountState::Pending && after.is_active() {
                    self.mail_queued();
                }
                if before.state != AccountState::Blocked && after.state == AccountState::Blocked {
                    let subject = Subject::Account(&after);
                    self.record_audit(AuditEvent::AccountBlocked, subject, client, None)
                        .await;
                }
                *after
            }
            UpdateOutcome::Gone => return Err(Error::NoSuchAccount),
            UpdateOutcome::SessionEnded | UpdateOutcome::NoLongerPermitted => {
                return Err(Error::NotPermitted);
            }
            UpdateOutcome::StaleProof => {
                // The password proven was replaced while this change waited.
                return Err(Error::Invalid(unproven));
            }
        };
        if password_changed {
            let detail = (!own).then_some("by an administrator");
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

    /// The mail telling a pending account's holder it has been activated, if this change
    /// activated it.
    pub(super) fn activation_notice(
        &self,
        before: &Account,
        after: &Account,
        now: i64,
    ) -> Vec<OutgoingMail> {
        match after.mail.as_deref() {
            Some(mail) if before.state == AccountState::Pending && after.is_active() => {
                vec![self.letters.compose(MailKind::Activated, after, mail, now)]
            }
            _ => Vec::new(),
        }
    }
}

/// The refusals of a mail or password change whose current password was not proven.
fn unproven(mail: bool, password: bool) -> Vec<Violation> {
    let mut violations = Vec::new();
    if mail {
        violations.push(Violation::CurrentPasswordRequired { field: Field::Mail });
    }
    if password {
        violations.push(Violation::CurrentPasswordRequired {
            field: Field::Password,
        });
    }
    violations
}

/// The roles to add and to remove to turn `current` into `wanted`.
fn role_changes(current: &[String], wanted: &[String]) -> (Vec<String>, Vec<String>) {
    let add = wanted
        .iter()
        .filter(|r| !current.contains(r))
        .cloned()
        .collect::<BTreeSet<_>>();
    let remove = current
        .iter()
        .filter(|r| !wanted.contains(r))
        .cloned()
        .collect::<BTreeSet<_>>();
    (add.into_iter().collect(), remove.into_iter().collect())
}
