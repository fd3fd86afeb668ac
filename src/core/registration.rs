//! Creating accounts: by visitors under the registration policy, or by administrators.

use secrecy::{ExposeSecret, SecretString};

use super::accounts::{
    Account, AccountState, Field, NameRules, RegistrationMode, Violation, check_mail,
    check_name_under, check_role, normalize_name,
};
use super::audit::{AuditEvent, ClientContext, Subject};
use super::mail::{MailKind, OutgoingMail};
use super::passwords::Holder;
use super::{Core, Error, now, taken_as_invalid};
use crate::store::NewAccount;

/// Submitted data for a new account.
#[derive(Debug, Default)]
pub struct Registration {
    pub name: String,
    pub mail: Option<String>,
    pub password: Option<SecretString>,
    /// Only administrators may choose these.
    pub state: Option<AccountState>,
    pub roles: Vec<String>,
    /// The rules the new name follows: the registering dialect's.
    pub name_rules: NameRules,
}

/// Who is creating the account.
#[derive(Debug, Clone, Copy)]
pub enum Registrar {
    /// An anonymous visitor, subject to the registration policy.
    Visitor,
    /// An administrator (or the operator's command line); `notify` mails the new holder a
    /// login link.
    Administrator { notify: bool },
}

/// What the registration policy grants a registrant. The core decides it; a dialect asks
/// before it reads a form, and only words the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrationTerms {
    /// Whether the registrant may create an account at all.
    pub allowed: bool,
    /// What becomes of a password the registrant sends.
    pub password: SentPassword,
    by_visitor: bool,
}

/// What becomes of a password sent at registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentPassword {
    /// It becomes the account's password; a visitor must send one.
    Kept,
    /// The site verifies addresses: the holder chooses a password through the mailed one-time
    /// link, so a visitor may not set one now.
    SetThroughMailedLink,
}

impl RegistrationTerms {
    /// Whether a visitor's new account may be logged in at once: the visitor chose its
    /// password and no administrator has to approve it first.
    pub fn signs_in(&self, account: &Account) -> bool {
        self.by_visitor && self.password == SentPassword::Kept && account.is_active()
    }
}

impl Core {
    /// The rules `password` breaks on its own, before it belongs to anyone (so not the
    /// similarity to a name or address): what a form validating the field alone reports.
    pub fn password_faults(&self, password: &SecretString) -> Vec<Violation> {
        self.passwords.check_new(password, Holder::default())
    }

    /// The terms on which a visitor, or an administrator (`by_administrator`), registers.
    pub fn registration_terms(&self, by_administrator: bool) -> RegistrationTerms {
        if by_administrator {
            return RegistrationTerms {
                allowed: true,
                password: SentPassword::Kept,
                by_visitor: false,
            };
        }
        RegistrationTerms {
            allowed: self.registration.mode != RegistrationMode::AdminOnly,
            password: if self.registration.verify_mail {
                SentPassword::SetThroughMailedLink
            } else {
                SentPassword::Kept
            },
            by_visitor: true,
        }
    }

    /// Creates an account on the operator's behalf, or a visitor's through [`Self::register_from`].
    pub async fn register(
        &self,
        registration: Registration,
        by: Registrar,
    ) -> Result<Account, Error> {
        self.create(registration, by, &ClientContext::command_line(), false)
            .await
    }

    /// Creates an account for a request from `client`, under the password policy.
    pub async fn register_from(
        &self,
        registration: Registration,
        by: Registrar,
        client: &ClientContext,
    ) -> Result<Account, Error> {
        self.create(registration, by, client, true).await
    }

    async fn create(
        &self,
        mut registration: Registration,
        by: Registrar,
        client: &ClientContext,
        password_policy: bool,
    ) -> Result<Account, Error> {
        let visitor = matches!(by, Registrar::Visitor);
        registration.name = normalize_name(&registration.name);
        if visitor {
            // An empty password is no password.
            registration.password = registration
                .password
                .filter(|p| !p.expose_secret().is_empty());
            let terms = self.registration_terms(false);
            if !terms.allowed {
                return Err(Error::RegistrationClosed);
            }
            match (terms.password, &registration.password) {
                (SentPassword::Kept, None) => return Err(Error::PasswordRequired),
                (SentPassword::SetThroughMailedLink, Some(_)) => {
                    return Err(Error::PasswordNotAllowed);
                }
                _ => {}
            }
            if registration.state.is_some() {
                return Err(Error::FieldNotAllowed(Field::State));
            }
            if !registration.roles.is_empty() {
                return Err(Error::FieldNotAllowed(Field::Roles));
            }
        }

        let mut violations = Vec::new();
        if let Err(v) = check_name_under(registration.name_rules, &registration.name) {
            violations.push(v);
        }
        match registration.mail.as_deref() {
            Some(mail) => violations.extend(check_mail(mail).err()),
            None if visitor => violations.push(Violation::MailMissing),
            None => {}
        }
        if let Some(password) = &registration.password {
            if password_policy {
                let holder = Holder {
                    name: Some(&registration.name),
                    mail: registration.mail.as_deref(),
                };
                violations.extend(self.passwords.check_new(password, holder));
            } else {
                violations.extend(super::passwords::check_bounds(password).err());
            }
        }
        for role in &registration.roles {
            violations.extend(check_role(role).err());
        }
        let (name_taken, mail_taken) = self
            .store
            .taken(Some(&registration.name), registration.mail.as_deref(), None)
            .await?;
        if name_taken && !violations.iter().any(|v| v.field() == Field::Name) {
            violations.push(Violation::NameTaken {
                name: registration.name.clone(),
            });
        }
        if mail_taken && !violations.iter().any(|v| v.field() == Field::Mail) {
            let mail = registration.mail.clone().unwrap_or_default();
            violations.push(Violation::MailTaken { mail });
        }
        if !violations.is_empty() {
            return Err(Error::Invalid(violations));
        }

        let password_hash = match &registration.password {
            Some(p) if !p.expose_secret().is_empty() => Some(self.passwords.hash(p).await?),
            _ => None,
        };
        let state = match (by, self.registration.mode) {
            (Registrar::Administrator { .. }, _) => {
                registration.state.unwrap_or(AccountState::Active)
            }
            (Registrar::Visitor, RegistrationMode::VisitorsAdminApproval) => AccountState::Pending,
            (Registrar::Visitor, _) => AccountState::Active,
        };
        let mut roles = registration.roles;
        roles.sort();
        roles.dedup();
        let new = NewAccount {
            uuid: uuid::Uuid::new_v4().to_string(),
            name: registration.name,
            mail: registration.mail,
            password_hash,
            state,
            roles,
            now: now(),
        };
        let administrators = self.administrator_addresses().await?;
        let result = self
            .store
            .insert_account(&new, |account| {
                self.registration_mail(account, by, &administrators, new.now)
            })
            .await;
        // Another request may have taken the name or mail between the check and the insert.
        let account = result.map_err(|e| taken_as_invalid(e, &new.name, new.mail.as_deref()))?;
        self.mail_queued();
        let detail = matches!(by, Registrar::Administrator { .. }).then_some("by an administrator");
        self.record_audit(
            AuditEvent::Registered,
            Subject::Account(&account),
            client,
            detail,
        )
        .await;
        Ok(account)
    }

    fn registration_mail(
        &self,
        account: &Account,
        by: Registrar,
        administrators: &[String],
        now: i64,
    ) -> Vec<OutgoingMail> {
        let Some(mail) = account.mail.as_deref() else {
            return Vec::new();
        };
        let compose = |kind, to: &str| self.letters.compose(kind, account, to, now);
        match by {
            Registrar::Administrator { notify: false } => Vec::new(),
            Registrar::Administrator { notify: true } => {
                vec![compose(MailKind::AdminCreated, mail)]
            }
            Registrar::Visitor if account.state == AccountState::Pending => {
                let mut out = vec![compose(MailKind::PendingApproval, mail)];
                out.extend(
                    administrators
                        .iter()
                        .map(|to| compose(MailKind::PendingApprovalAdmin, to)),
                );
                out
            }
            Registrar::Visitor => vec![compose(MailKind::Welcome, mail)],
        }
    }

    /// Where administrator notices go: the site address, or every active administrator.
    async fn administrator_addresses(&self) -> Result<Vec<String>, Error> {
        if self.registration.mode != RegistrationMode::VisitorsAdminApproval {
            return Ok(Vec::new());
        }
        if !self.site_mail.is_empty() {
            return Ok(vec![self.site_mail.clone()]);
        }
        Ok(self.store.active_administrator_mails().await?)
    }
}
