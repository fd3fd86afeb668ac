//! The django-allauth headless dialect: its two clients, `browser` (Django's `sessionid` and
//! `csrftoken` cookies, as the Django dialect sets them) and `app` (`X-Session-Token`), under
//! one prefix.

use serde::{Deserialize, Serialize};

use super::Invalid;
use super::laravel::{TAKEN, first_segment};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AllauthConfig {
    pub enabled: bool,
    /// Where `browser/v1/…` and `app/v1/…` start; allauth's `path("_allauth/", …)`.
    pub prefix: String,
    /// The front end's page for a mailed password reset key (allauth's
    /// `HEADLESS_FRONTEND_URLS["account_reset_password_from_key"]`), `{key}` replaced; a path
    /// is taken under the public URL.
    pub reset_url: String,
}

impl Default for AllauthConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            prefix: "/_allauth".into(),
            reset_url: "/account/password/reset/key/{key}".into(),
        }
    }
}

impl AllauthConfig {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        let prefix = &self.prefix;
        let first = first_segment(prefix);
        let plain = prefix.len() > 1
            && prefix.starts_with('/')
            && !prefix.ends_with('/')
            && prefix[1..].split('/').all(|segment| {
                !segment.is_empty()
                    && segment
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            });
        if !plain || TAKEN.contains(&first) {
            return Err(Invalid::new(
                "allauth.prefix",
                format!(
                    "allauth.prefix = {prefix:?} must be a path such as \"/_allauth\" without a \
                     trailing slash, not under /{}/",
                    TAKEN.join("/, /")
                ),
            ));
        }
        let url = &self.reset_url;
        let shaped =
            url.starts_with('/') || url.starts_with("https://") || url.starts_with("http://");
        if !shaped || !url.contains("{key}") {
            return Err(Invalid::new(
                "allauth.reset_url",
                "allauth.reset_url must be a path or an http(s) URL holding {key}, such as \
                 \"https://app.example.com/account/password/reset/key/{key}\"",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_must_be_plain_paths_of_their_own() {
        let with = |prefix: &str| AllauthConfig {
            prefix: prefix.into(),
            ..AllauthConfig::default()
        };
        assert!(with("/_allauth").validate().is_ok());
        assert!(with("/api/_allauth").validate().is_ok());
        for bad in ["", "/", "_allauth", "/_allauth/", "/latch/allauth", "/a b"] {
            assert!(with(bad).validate().is_err(), "{bad:?} was accepted");
        }
        let no_key = AllauthConfig {
            reset_url: "/reset".into(),
            ..AllauthConfig::default()
        };
        assert!(no_key.validate().is_err());
    }
}
