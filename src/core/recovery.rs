//! Password reset requests: a one-time login link mailed through the outbox, within Drupal's
//! password-request flood limits.
//!
//! A request does the same work whether or not an account matches: it composes a message,
//! and writes its flood events (and the message, when there is one to send) in one
//! transaction, so neither the answer nor its time tells which accounts exist.

use super::accounts::{Account, AccountState};
use super::audit::{AuditEvent, ClientContext, Subject};
use super::flood::{Claimant, FloodScope};
use super::mail::{LinkPath, MailKind};
use super::{Core, Error, later, now};
use crate::store::NewFloodEvent;

/// Drupal's event names.
const IP_EVENT: &str = "user.password_request_ip";
const USER_EVENT: &str = "user.password_request_user";

/// How a client names the account it wants to recover.
#[derive(Debug)]
pub enum AccountLookup {
    Name(String),
    Mail(String),
    /// A mail address, or else a name (Drupal 7 tries the address first).
    NameOrMail(String),
}

impl AccountLookup {
    fn text(&self) -> &str {
        match self {
            AccountLookup::Name(t) | AccountLookup::Mail(t) | AccountLookup::NameOrMail(t) => t,
        }
    }
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
    ///
    /// A client IP past `flood.password_request_ip_limit` is refused. An account past
    /// `flood.password_request_user_limit` gets no further mail, silently: the answer is the
    /// same as for any request, so the limit reveals nothing either.
    pub async fn request_password_reset_with(
        &self,
        lookup: AccountLookup,
        path: Option<LinkPath<'_>>,
        client: &ClientContext,
    ) -> Result<(), Error> {
        let config = self.flood.config().clone();
        let ip_key = self.flood.ip_identifier(client.ip);
        if config.enabled
            && let Some(retry_after) = self
                .blocked_for(
                    IP_EVENT,
                    &ip_key,
                    config.password_request_ip_limit,
                    config.password_request_ip_window,
                )
                .await?
        {
            let subject = Subject::Name(lookup.text());
            super::meters::flood_block("password_request");
            self.record_audit(
                AuditEvent::FloodBlocked,
                subject,
                client,
                Some("password reset"),
            )
            .await;
            return Err(Error::Flooded {
                scope: FloodScope::PasswordRequestIp,
                retry_after,
            });
        }
        let account = match &lookup {
            AccountLookup::Name(name) => self.store.account_by_name(name).await?,
            AccountLookup::Mail(mail) => self.store.account_by_mail(mail).await?,
            AccountLookup::NameOrMail(text) => match self.store.account_by_mail(text).await? {
                Some(account) => Some(account),
                None => self.store.account_by_name(text).await?,
            },
        };
        let (subject, claimant) = match (&account, &lookup) {
            (Some(account), _) => (Subject::Account(account), Claimant::Account(account)),
            (None, AccountLookup::Mail(mail)) => (Subject::Name(mail), Claimant::Mail(mail)),
            (None, AccountLookup::Name(t) | AccountLookup::NameOrMail(t)) => {
                (Subject::Name(t), Claimant::Name(t))
            }
        };
        // Recorded either way, so both answers cost the same database write.
        self.record_audit(AuditEvent::PasswordResetRequested, subject, client, None)
            .await;
        // Counted per account from any address, as Drupal does, so a reset link's flood
        // cannot be dodged by moving; unknown names are counted alike for the same work.
        let user_key = claimant.key();
        let allowed = !config.enabled
            || self
                .blocked_for(
                    USER_EVENT,
                    &user_key,
                    config.password_request_user_limit,
                    config.password_request_user_window,
                )
                .await?
                .is_none();
        let recipient = account
            .as_ref()
            .filter(|a| a.is_active())
            .and_then(|a| Some((a, a.mail.as_deref()?)));
        let now = now();
        // Composed either way (signing the link, rendering the templates), for the same work.
        let placeholder;
        let (to, address) = match recipient {
            Some(found) => found,
            None => {
                placeholder = placeholder_account(lookup.text(), now);
                (&placeholder, lookup.text())
            }
        };
        let message = self
            .letters
            .compose_with(MailKind::PasswordReset, to, address, now, path);
        let send = recipient.is_some() && allowed;
        let mut events = Vec::new();
        if config.enabled {
            events.push(NewFloodEvent {
                event: IP_EVENT,
                identifier: &ip_key,
                expires_at: later(now, config.password_request_ip_window),
            });
            if allowed {
                events.push(NewFloodEvent {
                    event: USER_EVENT,
                    identifier: &user_key,
                    expires_at: later(now, config.password_request_user_window),
                });
            }
        }
        self.store
            .record_password_request(&events, send.then_some(&message), now)
            .await?;
        if send {
            self.mail_queued();
        } else if recipient.is_some() {
            tracing::info!("password reset mail not sent: too many requests for the account");
        } else {
            tracing::info!("password reset requested for no active account");
        }
        Ok(())
    }
}

impl Core {
    /// A used reset link forgets the account's reset requests, as Drupal does, so its holder
    /// can ask again at once. Best effort: the login it follows has already succeeded.
    pub(super) async fn clear_password_requests(&self, account: &Account) {
        if !self.flood.config().enabled {
            return;
        }
        let key = Claimant::Account(account).key();
        if let Err(error) = self.store.clear_flood(USER_EVENT, &key).await {
            tracing::warn!(%error, "could not clear an account's password-reset requests");
        }
    }
}

/// An account that is never stored, to compose the message an unknown name would get.
fn placeholder_account(text: &str, now: i64) -> Account {
    Account {
        id: 0,
        uuid: String::new(),
        name: text.to_string(),
        mail: Some(text.to_string()),
        password_hash: None,
        state: AccountState::Active,
        timezone: String::new(),
        langcode: String::new(),
        created_at: now,
        changed_at: now,
        access_at: now,
        login_at: now,
        roles: Vec::new(),
    }
}
