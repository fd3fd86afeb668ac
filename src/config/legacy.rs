//! `[legacy]`: the live Drupal or Django site whose users latch takes over one login at a
//! time (trickle migration).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Invalid, duration};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LegacyConfig {
    /// The legacy site's base URL (`http://` or `https://`); empty turns trickle migration off.
    pub url: String,
    /// How the legacy site logs in: `drupal` (Drupal 8+ core REST) or `django`
    /// (dj-rest-auth).
    pub dialect: LegacyDialect,
    /// The whole exchange with the legacy site must end within this; a site that is slower
    /// counts as a wrong password.
    #[serde(with = "duration::fractional_seconds")]
    pub timeout: Duration,
    /// The login path on the legacy site; empty for the dialect's
    /// (`/user/login?_format=json`, `/dj-rest-auth/login/`).
    pub login_path: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LegacyDialect {
    #[default]
    Drupal,
    Django,
}

impl Default for LegacyConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            dialect: LegacyDialect::Drupal,
            timeout: Duration::from_secs(5),
            login_path: String::new(),
        }
    }
}

impl LegacyConfig {
    pub fn enabled(&self) -> bool {
        !self.url.trim().is_empty()
    }

    /// The base URL without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.url.trim().trim_end_matches('/')
    }

    /// The login path, the configured one or the dialect's.
    pub fn login_path(&self) -> &str {
        match (self.login_path.as_str(), self.dialect) {
            ("", LegacyDialect::Drupal) => "/user/login?_format=json",
            ("", LegacyDialect::Django) => "/dj-rest-auth/login/",
            (path, _) => path,
        }
    }

    pub(super) fn validate(&self) -> Result<(), Invalid> {
        if !self.enabled() {
            return Ok(());
        }
        let url = self.url.trim();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        if rest.is_none_or(|r| r.is_empty() || r.starts_with('/') || r.contains(['?', '#'])) {
            return Err(Invalid::new(
                "legacy.url",
                format!(
                    "legacy.url = {url:?} must be the legacy site's http:// or https:// base URL, \
                     e.g. https://old.example.com"
                ),
            ));
        }
        if self.timeout.is_zero() || self.timeout > Duration::from_secs(60) {
            return Err(Invalid::new(
                "legacy.timeout",
                "legacy.timeout must be above zero and at most 60 seconds",
            ));
        }
        let path = &self.login_path;
        if !path.is_empty() && (!path.starts_with('/') || path.contains(['#', ' '])) {
            return Err(Invalid::new(
                "legacy.login_path",
                format!("legacy.login_path = {path:?} must be a path starting with /"),
            ));
        }
        if self.dialect == LegacyDialect::Django && !self.login_path().ends_with("/login/") {
            return Err(Invalid::new(
                "legacy.login_path",
                format!(
                    "legacy.login_path = {path:?} must end in /login/ for the django dialect: \
                     the user/ and logout/ paths are its siblings"
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_settings_are_checked_only_when_a_url_is_set() {
        assert!(LegacyConfig::default().validate().is_ok());
        let with = |url: &str, path: &str, dialect| LegacyConfig {
            url: url.into(),
            login_path: path.into(),
            dialect,
            ..LegacyConfig::default()
        };
        for bad in [
            "ftp://x",
            "http://",
            "https:///x",
            "old.example.com",
            "http://x/?a",
        ] {
            assert!(
                with(bad, "", LegacyDialect::Drupal).validate().is_err(),
                "{bad}"
            );
        }
        assert!(
            with("http://x", "user/login", LegacyDialect::Drupal)
                .validate()
                .is_err()
        );
        assert!(
            with("http://x", "/auth/signin", LegacyDialect::Django)
                .validate()
                .is_err()
        );
        assert!(
            with("http://x/", "/auth/login/", LegacyDialect::Django)
                .validate()
                .is_ok()
        );
        assert!(
            with("https://old.example.com/site", "", LegacyDialect::Drupal)
                .validate()
                .is_ok()
        );
        let slow = LegacyConfig {
            timeout: Duration::ZERO,
            ..with("http://x", "", LegacyDialect::Drupal)
        };
        assert!(slow.validate().is_err());
    }
}
