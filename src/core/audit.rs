//! The audit trail: security events with time, account, client address and user agent, so
//! an operator can see who logged in, failed, was blocked or changed a password. Passwords
//! and tokens are never part of an event.
//!
//! Dialects pass a [`ClientContext`] into the core calls that record events; the core
//! records them. A failure to record is logged and never fails the request it describes.

use std::net::IpAddr;

use super::accounts::Account;
use super::{Core, Error, now};
use crate::store::{AuditFilter, AuditRow};

/// Longest user agent kept; the rest is cut so a client cannot fill the table.
const MAX_USER_AGENT_CHARS: usize = 255;

/// Who is on the other end of a request, as far as the server can tell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientContext {
    /// The client's address (behind a trusted proxy, the one it reported).
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl ClientContext {
    /// Work done by the operator on the command line.
    pub fn command_line() -> Self {
        Self {
            ip: None,
            user_agent: Some("latch command line".into()),
        }
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
}

impl AuditEvent {
    pub const ALL: [AuditEvent; 11] = [
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
        }
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
            Subject::Name(name) => (None, Some(name.to_string())),
        };
        let row = AuditRow {
            id: 0,
            created_at: now(),
            kind: event.as_str().to_string(),
            account_id,
            account_name,
            client_ip: client.ip.map(|ip| ip.to_string()),
            user_agent: client
                .user_agent
                .as_deref()
                .map(|ua| ua.chars().take(MAX_USER_AGENT_CHARS).collect()),
            detail: detail.map(str::to_string),
        };
        if let Err(error) = self.store.insert_audit(&row).await {
            tracing::warn!(%error, event = event.as_str(), "could not record an audit event");
        }
    }

    /// The newest audit events, newest first.
    pub async fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>, Error> {
        Ok(self.store.audit_events(filter).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_name_parses_back() {
        for event in AuditEvent::ALL {
            assert_eq!(AuditEvent::parse(event.as_str()), Some(event));
        }
        assert_eq!(AuditEvent::parse("nonsense"), None);
    }
}
