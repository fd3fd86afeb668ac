//! Who may register, how passwords are hashed, failed-login limits and how long the audit
//! trail is kept.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Invalid, duration};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistrationConfig {
    /// `admin_only`, `visitors` or `visitors_admin_approval`.
    pub mode: RegistrationMode,
    /// When on, visitors register without a password and receive a one-time login link.
    pub verify_mail: bool,
}

impl Default for RegistrationConfig {
    fn default() -> Self {
        Self {
            mode: RegistrationMode::Visitors,
            verify_mail: false,
        }
    }
}

/// Who may create accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationMode {
    /// Only administrators create accounts.
    AdminOnly,
    /// Visitors register and are active at once.
    Visitors,
    /// Visitors register; an administrator must approve the account before it can log in.
    VisitorsAdminApproval,
}

/// A longer minimum could exceed the 512-byte maximum and make every password invalid.
const MAX_PASSWORD_MIN_LENGTH: usize = 128;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordConfig {
    /// Argon2id memory cost in KiB.
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    /// Password hashes computed at once; further logins wait their turn.
    pub max_concurrent_hashes: usize,
    /// Requests that may wait for a hashing slot; past it they are refused at once with 503.
    pub max_queued_hashes: usize,
    /// Fewest characters a new password may have.
    pub min_length: usize,
    /// Refuse new passwords found in the built-in list of the most common ones.
    pub reject_common: bool,
    /// Refuse new passwords this similar to the account's name or mail address (Django's
    /// `UserAttributeSimilarityValidator`, 0.1 to 1.0); `0` turns the rule off.
    pub max_similarity: f64,
    /// Refuse new passwords made only of digits.
    pub reject_numeric: bool,
}

impl Default for PasswordConfig {
    fn default() -> Self {
        // OWASP's first recommended Argon2id setting: m=19 MiB, t=2, p=1.
        Self {
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            max_concurrent_hashes: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_queued_hashes: 64,
            // NIST SP 800-63B's minimum for passwords a person chooses.
            min_length: 8,
            reject_common: true,
            // Django's default.
            max_similarity: 0.7,
            reject_numeric: true,
        }
    }
}

impl PasswordConfig {
    pub(super) fn validate_concurrency(&self) -> Result<(), Invalid> {
        if self.max_concurrent_hashes == 0 {
            return Err(Invalid::new(
                "password.max_concurrent_hashes",
                "password.max_concurrent_hashes must be at least 1",
            ));
        }
        Ok(())
    }

    pub(super) fn validate_min_length(&self) -> Result<(), Invalid> {
        if self.min_length > MAX_PASSWORD_MIN_LENGTH {
            return Err(Invalid::new(
                "password.min_length",
                format!("password.min_length must be at most {MAX_PASSWORD_MIN_LENGTH}"),
            ));
        }
        let similarity = self.max_similarity;
        if similarity != 0.0 && !(0.1..=1.0).contains(&similarity) {
            return Err(Invalid::new(
                "password.max_similarity",
                "password.max_similarity must be 0 (off) or between 0.1 and 1.0",
            ));
        }
        Ok(())
    }
}

/// Failed-login limits, as Drupal's `user.flood` settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FloodConfig {
    pub enabled: bool,
    /// Failed logins from one client IP, whatever the account, within `ip_window`.
    pub ip_limit: u32,
    #[serde(with = "duration::seconds")]
    pub ip_window: Duration,
    /// Failed logins to one account (from one IP, unless `uid_only`) within `user_window`.
    pub user_limit: u32,
    #[serde(with = "duration::seconds")]
    pub user_window: Duration,
    /// Count an account's failures from every IP together.
    pub uid_only: bool,
    /// IPv6 clients are counted by this leading part of their address (one site's /64 is
    /// one client); IPv4 clients by their whole address.
    pub ipv6_prefix: u8,
    /// Password-reset requests from one client IP within `password_request_ip_window`
    /// (Drupal's `user.password_request_ip`); past it the request is refused.
    pub password_request_ip_limit: u32,
    #[serde(with = "duration::seconds")]
    pub password_request_ip_window: Duration,
    /// Reset mails to one account within `password_request_user_window` (Drupal's
    /// `user.password_request_user`); past it requests answer as usual but queue no mail.
    pub password_request_user_limit: u32,
    #[serde(with = "duration::seconds")]
    pub password_request_user_window: Duration,
}

impl Default for FloodConfig {
    fn default() -> Self {
        // Drupal's user.flood defaults.
        Self {
            enabled: true,
            ip_limit: 50,
            ip_window: Duration::from_secs(3600),
            user_limit: 5,
            user_window: Duration::from_secs(21_600),
            uid_only: false,
            ipv6_prefix: 64,
            // Drupal reads its password-request limits from the same user.flood settings.
            password_request_ip_limit: 50,
            password_request_ip_window: Duration::from_secs(3600),
            password_request_user_limit: 5,
            password_request_user_window: Duration::from_secs(21_600),
        }
    }
}

impl FloodConfig {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        let counts = [
            ("ip_limit", u64::from(self.ip_limit)),
            ("ip_window", self.ip_window.as_secs()),
            ("user_limit", u64::from(self.user_limit)),
            ("user_window", self.user_window.as_secs()),
            (
                "password_request_ip_limit",
                u64::from(self.password_request_ip_limit),
            ),
            (
                "password_request_ip_window",
                self.password_request_ip_window.as_secs(),
            ),
            (
                "password_request_user_limit",
                u64::from(self.password_request_user_limit),
            ),
            (
                "password_request_user_window",
                self.password_request_user_window.as_secs(),
            ),
        ];
        if let Some((key, _)) = counts.iter().find(|(_, value)| *value == 0) {
            return Err(Invalid::new(
                format!("flood.{key}"),
                format!("flood.{key} must be at least 1 (as every flood limit and window)"),
            ));
        }
        if self.ipv6_prefix == 0 || self.ipv6_prefix > 128 {
            return Err(Invalid::new(
                "flood.ipv6_prefix",
                "flood.ipv6_prefix must be between 1 and 128",
            ));
        }
        Ok(())
    }
}

/// How long the audit trail is kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// How long an event (and a delivered or dead message in the outbox) is kept; a plain
    /// number counts days; 0 keeps them forever.
    #[serde(with = "duration::days")]
    pub retain_days: Duration,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            retain_days: Duration::from_secs(365 * 86_400),
        }
    }
}
