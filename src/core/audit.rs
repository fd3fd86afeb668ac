//! The audit trail: security events with time, account, client address and user agent, so
//! an operator can see who logged in, failed, was blocked or changed a password. Passwords
//! and tokens are never part of an event.
//!
//! Dialects pass a [`ClientContext`] into the core calls that record events; the core
//! records them. A failure to record is logged and never fails the request it describes.
//!
//! The trail is bounded: text a client chooses is cut short, events an anonymous client can
//! cause at will are folded into one counting row past a few per client, and rows older than
//! `audit.retain_days` are purged.

use std::net::IpAddr;

use super::accounts::Account;
use super::{Core, Error, now, whole_seconds};
pub use crate::config::AuditConfig;
use crate::store::{AuditFilter, AuditFold, AuditRow};

/// Longest text kept per field; the rest is cut so a client cannot fill the table. Account
/// names have at most 60 characters, so a cut name was never an account's.
const MAX_NAME_CHARS: usize = 100;
pub(super) const MAX_USER_AGENT_CHARS: usize = 255;
const MAX_DETAIL_CHARS: usize = 255;

/// Events of one anonymous kind from one client address within this many seconds …
const FOLD_WINDOW: i64 = 600;
/// … are stored one by one up to this many, then counted on one summary row. Folding only
/// identical events would not bound a client that varies the name it tries.
const FOLD_AFTER: i64 = 20;
const FOLD_SUMMARY: &str = "more events of this kind from this client within 10 minutes, \
     counted here without their details";

/// What one purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub events: u64,
    pub messages: u64,
    pub webhook_events: u64,
}

/// Who is on the other end of a request, as far as the server can tell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientContext {
    /// The client's address (behind a trusted proxy, the one it reported).
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// The interface the request came through (a dialect's name), recorded on the sessions
    /// it opens. The core only stores it: it knows no dialect.
    pub dialect: Option<&'static str>,
    /// The administrator acting through the admin console, by name; recorded on every event
    /// the action causes. `None` for the account holder's own requests and the command line.
    pub actor: Option<String>,
}

impl ClientContext {
    /// Work done by the operator on the command line.
    pub fn command_line() -> Self {
        Self {
            ip: None,
            user_agent: Some("latch command line".into()),
            dialect: None,
            actor: None,
        }
    }

    /// The same client, acting as the administrator `account`.
    pub fn acting_as(mut self, account: &Account) -> Self {
        self.actor = Some(account.name.clone());
        self
    }
}

/// The kinds of security event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditEvent {
    LoginSucceeded,
    LoginFailed,
    Logout,
    Registered,
    PasswordChanged,
    PasswordResetRequested,
    /// A password set, or a login made, with a one-time link.
    PasswordReset,
    FloodBlocked,
    CsrfRejected,
    TokenCreated,
    TokenRevoked,
    /// A session ended by its owner or the operator, not by logging out in it.
    SessionRevoked,
    /// An active account blocked by an administrator.
    AccountBlocked,
    /// The operator made a new server secret the database's (`latch secret rotate`).
    SecretRotated,
    /// A second factor confirmed.
    MfaEnrolled,
    /// A second factor removed, by its holder or the operator.
    MfaRemoved,
    /// A recovery code used up.
    RecoveryCodeUsed,
    /// A wrong second-factor code.
    MfaCodeFailed,
    /// A blocked account unblocked, or a pending one approved, by an administrator.
    AccountActivated,
    /// An administrator changed an account's roles.
    RolesChanged,
    /// An administrator queued an undelivered message again.
    MailRetried,
    /// An account created, or given its password, at a login the legacy site accepted.
    LegacyMigrated,
}

impl AuditEvent {
    pub const ALL: [AuditEvent; 22] = [
        AuditEvent::LoginSucceeded,
        AuditEvent::LoginFailed,
        AuditEvent::Logout,
        AuditEvent::Registered,
        AuditEvent::PasswordChanged,
        AuditEvent::PasswordResetRequested,
        AuditEvent::PasswordReset,
        AuditEvent::FloodBlocked,
        AuditEvent::CsrfRejected,
        AuditEvent::TokenCreated,
        AuditEvent::TokenRevoked,
        AuditEvent::SessionRevoked,
        AuditEvent::AccountBlocked,
        AuditEvent::SecretRotated,
        AuditEvent::MfaEnrolled,
        AuditEvent::MfaRemoved,
        AuditEvent::RecoveryCodeUsed,
        AuditEvent::MfaCodeFailed,
        AuditEvent::AccountActivated,
        AuditEvent::RolesChanged,
        AuditEvent::MailRetried,
        AuditEvent::LegacyMigrated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditEvent::LoginSucceeded => "login",
            AuditEvent::LoginFailed => "login_failed",
            AuditEvent::Logout => "logout",
            AuditEvent::Registered => "register",
            AuditEvent::PasswordChanged => "password_change",
            AuditEvent::PasswordResetRequested => "password_reset_request",
            AuditEvent::PasswordReset => "password_reset",
            AuditEvent::FloodBlocked => "flood_block",
            AuditEvent::CsrfRejected => "csrf_reject",
            AuditEvent::TokenCreated => "token_create",
            AuditEvent::TokenRevoked => "token_revoke",
            AuditEvent::SessionRevoked => "session_revoke",
            AuditEvent::AccountBlocked => "account_block",
            AuditEvent::SecretRotated => "secret_rotate",
            AuditEvent::MfaEnrolled => "mfa_enrol",
            AuditEvent::MfaRemoved => "mfa_remove",
            AuditEvent::RecoveryCodeUsed => "mfa_recovery_code",
            AuditEvent::MfaCodeFailed => "mfa_code_failed",
            AuditEvent::AccountActivated => "account_activate",
            AuditEvent::RolesChanged => "roles_change",
            AuditEvent::MailRetried => "mail_retry",
            AuditEvent::LegacyMigrated => "legacy_migrate",
        }
    }

    /// Whether anyone can cause the event without credentials, as often as they like.
    fn is_anonymous(self) -> bool {
        matches!(
            self,
            AuditEvent::LoginFailed
                | AuditEvent::FloodBlocked
                | AuditEvent::CsrfRejected
                | AuditEvent::PasswordResetRequested
        )
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == text)
    }
}

/// Whom an event is about.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    Nobody,
    Account(&'a Account),
    /// A name that matched no account, such as one a failed login tried.
    Name(&'a str),
}

impl Core {
    /// Appends an event to the audit trail. `detail` is a short free text (a dialect, a
    /// reason, a token's label) and must never hold a secret.
    pub async fn record_audit(
        &self,
        event: AuditEvent,
        subject: Subject<'_>,
        client: &ClientContext,
        detail: Option<&str>,
    ) {
        let (account_id, account_name) = match subject {
            Subject::Nobody => (None, None),
            Subject::Account(account) => (Some(account.id), Some(account.name.clone())),
            Subject::Name(name) => (None, Some(cut(name, MAX_NAME_CHARS))),
        };
        let now = now();
        let row = AuditRow {
            id: 0,
            created_at: now,
            kind: event.as_str().to_string(),
            account_id,
            account_name,
            client_ip: client.ip.map(|ip| ip.to_string()),
            user_agent: client
                .user_agent
                .as_deref()
                .map(|ua| cut(ua, MAX_USER_AGENT_CHARS)),
            detail: detail.map(|d| cut(d, MAX_DETAIL_CHARS)),
            actor: client.actor.as_deref().map(|a| cut(a, MAX_NAME_CHARS)),
            repeats: 1,
            last_at: Some(now),
        };
        let fold = event.is_anonymous().then_some(AuditFold {
            since: now - FOLD_WINDOW,
            after: FOLD_AFTER,
            summary: FOLD_SUMMARY,
        });
        // An event folded into a counting row is not announced either: receivers get what the
        // trail keeps, so a client hammering the login cannot flood them.
        let folded = match self.store.insert_audit(&row, fold).await {
            Ok(stored_alone) => !stored_alone,
            Err(error) => {
                tracing::warn!(%error, event = event.as_str(), "could not record an audit event");
                false
            }
        };
        if !folded {
            self.announce(event, subject, client, detail).await;
        }
    }

    /// Deletes audit events, and delivered or dead messages and webhook events, older than
    /// `audit.retain_days`.
    pub async fn purge_old_records(&self) -> Result<Purged, Error> {
        if self.audit.retain_days.is_zero() {
            return Ok(Purged::default());
        }
        let before = now().saturating_sub(whole_seconds(self.audit.retain_days));
        Ok(Purged {
            events: self.store.purge_audit(before).await?,
            messages: self.store.purge_mail(before, true).await?,
            webhook_events: self.store.purge_webhooks(before).await?,
        })
    }

    /// The newest audit events, newest first.
    pub async fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>, Error> {
        Ok(self.store.audit_events(filter).await?)
    }
}

/// `text`, cut to `max` characters with a mark that it was cut.
/// NULs, which PostgreSQL refuses in text, become U+FFFD.
pub(super) fn cut(text: &str, max: usize) -> String {
    let text = text.replace('\0', "\u{FFFD}");
    if text.chars().nth(max).is_none() {
        return text;
    }
    let mut kept: String = text.chars().take(max - 1).collect();
    kept.push('…');
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_with_a_mark() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("exactly10!", 10), "exactly10!");
        assert_eq!(cut("ééééééééééé", 10), "ééééééééé…");
        assert_eq!(cut(&"x".repeat(32 * 1024), 100).chars().count(), 100);
        assert_eq!(cut("a\0b", 10), "a\u{FFFD}b");
    }

    #[test]
    fn every_event_name_parses_back() {
        for event in AuditEvent::ALL {
            assert_eq!(AuditEvent::parse(event.as_str()), Some(event));
        }
        assert_eq!(AuditEvent::parse("nonsense"), None);
    }
}
