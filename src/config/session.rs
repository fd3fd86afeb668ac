//! How long sessions last and the cookie that carries them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Invalid, duration};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// Inactivity after which a session ends.
    #[serde(with = "duration::seconds")]
    pub idle_timeout: Duration,
    /// Time after login at which a session ends however active it is.
    #[serde(with = "duration::seconds")]
    pub lifetime: Duration,
    /// A session's last-access time is written at most once per this interval.
    #[serde(with = "duration::seconds")]
    pub write_interval: Duration,
    /// How many live sessions each server keeps in memory (0: none, every check reads the
    /// database). A full cache drops an arbitrary entry, which is read again at its next use.
    pub cache_entries: usize,
}

impl Default for SessionConfig {
    fn default() -> Self {
        // Drupal's gc_maxlifetime, cookie_lifetime and session_write_interval.
        Self {
            idle_timeout: Duration::from_secs(200_000),
            lifetime: Duration::from_secs(2_000_000),
            write_interval: Duration::from_secs(180),
            cache_entries: 10_000,
        }
    }
}

impl SessionConfig {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        for (key, value) in [
            ("session.idle_timeout", self.idle_timeout),
            ("session.lifetime", self.lifetime),
        ] {
            if value.is_zero() {
                return Err(Invalid::new(
                    key,
                    "session.idle_timeout and session.lifetime must be positive",
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CookieConfig {
    /// Fixed cookie name. Empty: Drupal's scheme, `SESS` (or `SSESS` when `secure`) followed by
    /// 32 hex digits derived from the cookie domain or the request host.
    pub name: String,
    pub domain: String,
    pub path: String,
    /// The `Secure` attribute. Unset: on when `public_url` is `https://` (see
    /// [`super::Config::cookie_secure`]), as behind a TLS proxy the server itself sees plain
    /// HTTP.
    pub secure: Option<bool>,
    pub http_only: bool,
    /// `lax`, `strict` or `none` (`none` requires `secure`).
    pub same_site: SameSite,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SameSite {
    Lax,
    Strict,
    None,
}

impl Default for CookieConfig {
    fn default() -> Self {
        Self {
            name: String::new(),
            domain: String::new(),
            path: "/".into(),
            secure: None,
            http_only: true,
            same_site: SameSite::Lax,
        }
    }
}

impl CookieConfig {
    /// `secure` is the resolved `Secure` attribute ([`super::Config::cookie_secure`]).
    pub(super) fn validate(&self, secure: bool) -> Result<(), Invalid> {
        if self.same_site == SameSite::None && !secure {
            return Err(Invalid::new(
                "cookie.same_site",
                "cookie.same_site = \"none\" needs cookie.secure = true",
            ));
        }
        if !self.path.starts_with('/') {
            return Err(Invalid::new("cookie.path", "cookie.path must start with /"));
        }
        Ok(())
    }
}
