//! Outgoing mail: the sender, the outbox's retry policy, SMTP and per-kind message texts.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{ConfigSecret, Invalid, duration};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// Sender of every message, e.g. `latch <noreply@example.com>`.
    pub from: String,
    /// Attempts before a message that keeps failing temporarily is dead-lettered.
    pub max_attempts: u32,
    /// Wait before the first retry; each further retry waits twice as long (at most 6 h).
    #[serde(with = "duration::seconds")]
    pub retry_delay: Duration,
    /// Time a worker may hold a message while sending it; a worker that dies mid-send
    /// releases it after this.
    #[serde(with = "duration::seconds")]
    pub claim_timeout: Duration,
    /// Time between looks at the outbox (other nodes' messages, retries that fall due).
    #[serde(with = "duration::fractional_seconds")]
    pub poll_interval: Duration,
    /// Without SMTP, messages are also appended to this file (empty: log only).
    pub log_file: String,
    pub smtp: SmtpConfig,
    /// Per-kind overrides of the built-in texts, keyed by Drupal's mail keys
    /// (`register_no_approval_required`, `password_reset`, …).
    pub templates: BTreeMap<String, TemplateConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    /// SMTP server; empty means no SMTP: messages go to the log (and `mail.log_file`).
    pub host: String,
    pub port: u16,
    /// `none`, `starttls` or `implicit`.
    pub tls: SmtpTls,
    /// PEM file of certificates to trust besides the public roots: a private CA, or the
    /// server's self-signed certificate (empty: public roots only).
    pub ca_file: String,
    pub username: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<ConfigSecret>,
    /// Time one delivery may take before it counts as a temporary failure.
    #[serde(with = "duration::seconds")]
    pub timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    None,
    Starttls,
    Implicit,
}

/// A message text overriding the built-in one; unset parts keep the built-in text.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TemplateConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// When set, the message also carries this HTML alternative.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            from: "latch <noreply@localhost>".into(),
            max_attempts: 8,
            retry_delay: Duration::from_secs(60),
            claim_timeout: Duration::from_secs(300),
            poll_interval: Duration::from_secs(5),
            log_file: String::new(),
            smtp: SmtpConfig::default(),
            templates: BTreeMap::new(),
        }
    }
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: String::new(),
            port: 587,
            tls: SmtpTls::Starttls,
            ca_file: String::new(),
            username: String::new(),
            password: None,
            timeout: Duration::from_secs(30),
        }
    }
}

impl MailConfig {
    /// The checks this module can make alone; the message texts and the CA file are checked
    /// by their owners when the program starts.
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        for (key, value) in [
            ("mail.max_attempts", u64::from(self.max_attempts)),
            ("mail.retry_delay", self.retry_delay.as_secs()),
        ] {
            if value == 0 {
                return Err(Invalid::new(
                    key,
                    "mail.max_attempts and mail.retry_delay must be at least 1",
                ));
            }
        }
        if self.poll_interval.is_zero() {
            return Err(Invalid::new(
                "mail.poll_interval",
                "mail.poll_interval must be longer than 0",
            ));
        }
        if self.smtp.timeout.is_zero() {
            return Err(Invalid::new(
                "mail.smtp.timeout",
                "mail.smtp.timeout must be at least 1 second",
            ));
        }
        // A claim that lapses while its worker still sends would let a second worker send the
        // same message.
        if self.claim_timeout <= self.smtp.timeout {
            return Err(Invalid::new(
                "mail.claim_timeout",
                format!(
                    "mail.claim_timeout ({} s) must be longer than mail.smtp.timeout ({} s)",
                    self.claim_timeout.as_secs(),
                    self.smtp.timeout.as_secs()
                ),
            ));
        }
        if let Err(e) = self.from.parse::<lettre::message::Mailbox>() {
            return Err(Invalid::new(
                "mail.from",
                format!(
                    "mail.from = {:?} is not a mail address ({e}); write it as \
                     \"Name <user@host>\"",
                    self.from
                ),
            ));
        }
        if !self.smtp.ca_file.is_empty() && self.smtp.tls == SmtpTls::None {
            return Err(Invalid::new(
                "mail.smtp.ca_file",
                "mail.smtp.ca_file is set but mail.smtp.tls = \"none\" never uses it",
            ));
        }
        Ok(())
    }
}
