//! Webhook events: what happened (a login, a block, a password change…) queued for every
//! `[[webhooks]]` receiver that asked for it, in the durable webhook outbox. The delivery
//! worker signs and sends them outside any request, so a slow receiver never delays one.
//!
//! Events follow the audit trail: each audit event that a receiver can act on becomes one
//! webhook event, with the same subject and client. Payloads are
//! `{"type", "timestamp", "data"}` and hold no secret: never a password, session id or token.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use tokio::sync::Notify;

use super::audit::{AuditEvent, ClientContext, Subject};
use super::{Core, now, prefixed_tokens};
use crate::config::WebhookConfig;
use crate::store::NewWebhook;

/// The configured receivers (the worker signs with their secrets; the core only picks them).
pub(super) struct Receivers {
    receivers: Vec<WebhookConfig>,
    /// Woken when this node queues an event, so its worker sends at once.
    pub(super) signal: Arc<Notify>,
}

impl Receivers {
    pub(super) fn new(config: &[WebhookConfig]) -> Self {
        Self {
            receivers: config.to_vec(),
            signal: Arc::new(Notify::new()),
        }
    }

    fn wanting(&self, event: &str) -> impl Iterator<Item = &str> {
        self.receivers
            .iter()
            .filter(move |hook| hook.wants(event))
            .map(|hook| hook.url.as_str())
    }
}

/// The webhook event an audit event becomes, if any, and a reason where the type alone does
/// not say it.
fn event_for(audit: AuditEvent, detail: Option<&str>) -> Vec<(&'static str, Option<&'static str>)> {
    match audit {
        AuditEvent::Registered => vec![("account.created", None)],
        AuditEvent::LegacyMigrated if detail == Some("created") => {
            vec![("account.created", Some("legacy"))]
        }
        AuditEvent::AccountBlocked => vec![("account.blocked", None)],
        AuditEvent::PasswordChanged => vec![("account.password_changed", Some("changed"))],
        AuditEvent::PasswordReset if detail == Some(super::links::PASSWORD_SET) => vec![
            ("account.password_changed", Some("reset")),
            ("session.created", Some("one-time link")),
        ],
        AuditEvent::PasswordReset => vec![("session.created", Some("one-time link"))],
        AuditEvent::LoginSucceeded => vec![("session.created", Some("password"))],
        AuditEvent::Logout => vec![("session.ended", Some("logout"))],
        AuditEvent::SessionRevoked => vec![("session.ended", Some("revoked"))],
        AuditEvent::LoginFailed => vec![("login.failed", None)],
        AuditEvent::FloodBlocked => vec![("flood.blocked", None)],
        AuditEvent::MfaEnrolled => vec![("mfa.enrolled", None)],
        AuditEvent::MfaRemoved => vec![("mfa.removed", None)],
        AuditEvent::RecoveryCodeUsed => vec![("mfa.recovery_code_used", None)],
        AuditEvent::MfaCodeFailed => vec![("mfa.code_failed", None)],
        AuditEvent::PasswordResetRequested
        | AuditEvent::CsrfRejected
        | AuditEvent::TokenCreated
        | AuditEvent::TokenRevoked
        | AuditEvent::SecretRotated
        | AuditEvent::AccountActivated
        | AuditEvent::RolesChanged
        | AuditEvent::MailRetried
        | AuditEvent::LegacyMigrated => Vec::new(),
    }
}

impl Core {
    /// Queues the webhook events an audit event becomes. A failure is logged and never fails
    /// the request the event describes.
    pub(super) async fn announce(
        &self,
        audit: AuditEvent,
        subject: Subject<'_>,
        client: &ClientContext,
        detail: Option<&str>,
    ) {
        // Without receivers (the default) an event costs nothing more than this check.
        if self.webhooks.receivers.is_empty() {
            return;
        }
        let mut data = Map::new();
        match subject {
            Subject::Account(account) => {
                data.insert(
                    "account".into(),
                    json!({"id": account.id, "uuid": account.uuid, "name": account.name,
                           "mail": account.mail}),
                );
            }
            Subject::Name(name) => {
                data.insert("name".into(), json!(name));
            }
            Subject::Nobody => {}
        }
        data.insert("ip".into(), json!(client.ip.map(|ip| ip.to_string())));
        data.insert("dialect".into(), json!(client.dialect));
        self.queue_events(&event_for(audit, detail), &data).await;
    }

    /// Queues `session.ended` with reason `expired` for sessions found past their lifetime.
    pub(super) async fn announce_expired_sessions(&self, account_ids: &[i64]) {
        if self.webhooks.receivers.is_empty() {
            return;
        }
        for account_id in account_ids {
            let data = Map::from_iter([("account".into(), json!({"id": account_id}))]);
            self.queue_events(&[("session.ended", Some("expired"))], &data)
                .await;
        }
    }

    async fn queue_events(
        &self,
        events: &[(&'static str, Option<&'static str>)],
        data: &Map<String, Value>,
    ) {
        let now = now();
        let timestamp = super::rfc3339(now).unwrap_or_default();
        let mut queued = Vec::new();
        for (event, reason) in events {
            let mut data = data.clone();
            if let Some(reason) = reason {
                data.insert("reason".into(), json!(reason));
            }
            let payload = json!({"type": event, "timestamp": timestamp, "data": data}).to_string();
            for url in self.webhooks.wanting(event) {
                queued.push((
                    format!("msg_{}", prefixed_tokens::public_id()),
                    url,
                    *event,
                    payload.clone(),
                ));
            }
        }
        if queued.is_empty() {
            return;
        }
        let rows: Vec<NewWebhook<'_>> = queued
            .iter()
            .map(|(message_id, url, event, payload)| NewWebhook {
                message_id,
                url,
                event,
                payload,
            })
            .collect();
        match self.store.enqueue_webhooks(&rows, now).await {
            Ok(()) => self.webhooks.signal.notify_one(),
            Err(error) => tracing::warn!(%error, "could not queue webhook events"),
        }
    }

    /// What the webhook worker waits on besides its poll interval.
    pub fn webhook_signal(&self) -> Arc<Notify> {
        self.webhooks.signal.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_a_receiver_can_name_is_raised_by_some_audit_event() {
        let raised: Vec<&str> = AuditEvent::ALL
            .into_iter()
            .flat_map(|e| event_for(e, Some(super::super::links::PASSWORD_SET)))
            .chain(AuditEvent::ALL.into_iter().flat_map(|e| event_for(e, None)))
            .map(|(event, _)| event)
            .collect();
        for event in crate::config::WEBHOOK_EVENTS {
            assert!(raised.contains(&event), "{event}");
        }
    }
}
