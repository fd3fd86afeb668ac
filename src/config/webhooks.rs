//! `[[webhooks]]`: receivers that hear about logins, blocks and password changes, signed as
//! the Standard Webhooks specification says; `[webhook_delivery]`: how delivery is retried.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::{ConfigSecret, Invalid, duration};

/// Every event a receiver can ask for.
pub const WEBHOOK_EVENTS: [&str; 11] = [
    "account.created",
    "account.blocked",
    "account.password_changed",
    "session.created",
    "session.ended",
    "login.failed",
    "flood.blocked",
    "mfa.enrolled",
    "mfa.removed",
    "mfa.recovery_code_used",
    "mfa.code_failed",
];

/// The prefix of a Standard Webhooks secret; the rest is base64.
pub const SECRET_PREFIX: &str = "whsec_";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Where events are POSTed (`http://` or `https://`).
    pub url: String,
    /// `whsec_` and base64 of at least 24 random bytes; signs every delivery.
    pub secret: ConfigSecret,
    /// The events this receiver gets; all of them when left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
}

impl WebhookConfig {
    /// The signing key: the secret's bytes after the prefix.
    pub fn key(&self) -> Vec<u8> {
        let text = self.secret.expose();
        STANDARD
            .decode(text.strip_prefix(SECRET_PREFIX).unwrap_or(text))
            .unwrap_or_default()
    }

    pub fn wants(&self, event: &str) -> bool {
        self.events.is_empty() || self.events.iter().any(|e| e == event)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookDeliveryConfig {
    /// How long a receiver may take to answer before the attempt counts as failed.
    #[serde(with = "duration::fractional_seconds")]
    pub timeout: Duration,
    /// The wait before the first retry; each further retry waits twice as long, at most
    /// six hours.
    #[serde(with = "duration::fractional_seconds")]
    pub first_retry: Duration,
    /// Attempts before a message is dead-lettered.
    pub max_attempts: u32,
}

impl Default for WebhookDeliveryConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            first_retry: Duration::from_secs(5),
            max_attempts: 8,
        }
    }
}

pub(super) fn validate(
    hooks: &[WebhookConfig],
    delivery: &WebhookDeliveryConfig,
) -> Result<(), Invalid> {
    for (index, hook) in hooks.iter().enumerate() {
        let key = |field: &str| format!("webhooks[{index}].{field}");
        let url = hook.url.trim();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        if rest.is_none_or(|r| r.is_empty() || r.starts_with('/')) {
            return Err(Invalid::new(
                key("url"),
                format!(
                    "{} = {url:?} must be an http:// or https:// URL",
                    key("url")
                ),
            ));
        }
        let secret = hook.secret.expose();
        let decoded = secret
            .strip_prefix(SECRET_PREFIX)
            .and_then(|b64| STANDARD.decode(b64).ok());
        if decoded.is_none_or(|bytes| bytes.len() < 24) {
            return Err(Invalid::new(
                key("secret"),
                format!(
                    "{} must be \"whsec_\" followed by base64 of at least 24 random bytes, \
                     e.g. from: echo whsec_$(head -c 32 /dev/urandom | base64)",
                    key("secret")
                ),
            ));
        }
        if let Some(unknown) = hook
            .events
            .iter()
            .find(|e| !WEBHOOK_EVENTS.contains(&e.as_str()))
        {
            return Err(Invalid::new(
                key("events"),
                format!(
                    "{} names {unknown:?}, which is no event; the events are {}",
                    key("events"),
                    WEBHOOK_EVENTS.join(", ")
                ),
            ));
        }
    }
    if delivery.timeout.is_zero() || delivery.first_retry.is_zero() || delivery.max_attempts == 0 {
        return Err(Invalid::new(
            "webhook_delivery",
            "webhook_delivery.timeout, .first_retry and .max_attempts must be above zero",
        ));
    }
    Ok(())
}
