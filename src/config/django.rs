//! The Django dialect: `csrftoken`/`sessionid` cookies, the login page and dj-rest-auth.

use serde::{Deserialize, Serialize};

use super::Invalid;
use super::origin::OriginPattern;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DjangoConfig {
    pub enabled: bool,
    /// Path under which `login/` and `logout/` are served, with a slash at both ends.
    pub login_prefix: String,
    /// Path under which the dj-rest-auth endpoints are served, with a slash at both ends.
    pub rest_auth_prefix: String,
    /// `CSRF_TRUSTED_ORIGINS`: origins such as `https://app.example.com` or
    /// `https://*.example.com` allowed to send unsafe requests besides latch's own.
    pub trusted_origins: Vec<OriginPattern>,
    /// `CSRF_COOKIE_NAME`.
    pub csrf_cookie: String,
    /// `SESSION_COOKIE_NAME`; the Drupal dialects recognise sessions under this name too.
    pub session_cookie: String,
    /// `LOGIN_REDIRECT_URL`: where a browser goes after logging in without a `next`. Empty
    /// means the login page, which then shows who is logged in.
    pub login_redirect: String,
    /// Where the reset mail's link (`{rest_auth_prefix}password/reset/confirm/{uid}/{token}/`)
    /// sends the browser: a front-end page such as `https://app.example/reset/{uid}/{token}`,
    /// `{uid}` and `{token}` replaced. Empty serves latch's own form.
    pub password_reset_confirm_url: String,
}

impl Default for DjangoConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            login_prefix: "/auth/".into(),
            rest_auth_prefix: "/dj-rest-auth/".into(),
            trusted_origins: Vec::new(),
            csrf_cookie: "csrftoken".into(),
            session_cookie: "sessionid".into(),
            login_redirect: String::new(),
            password_reset_confirm_url: String::new(),
        }
    }
}

impl DjangoConfig {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        for (key, prefix) in [
            ("login_prefix", &self.login_prefix),
            ("rest_auth_prefix", &self.rest_auth_prefix),
        ] {
            let inner = prefix.trim_matches('/');
            let plain = prefix.len() > 2
                && prefix.starts_with('/')
                && prefix.ends_with('/')
                && inner.split('/').all(is_token);
            if !plain
                || matches!(
                    inner.split('/').next(),
                    Some("user" | "session" | "services")
                )
            {
                return Err(Invalid::new(
                    format!("django.{key}"),
                    format!(
                        "django.{key} = {prefix:?} must be a path such as \"/auth/\" with a \
                         slash at both ends, not under /user/, /session/ or /services/"
                    ),
                ));
            }
        }
        let target = &self.password_reset_confirm_url;
        let web = target.starts_with("https://") || target.starts_with("http://");
        if !target.is_empty() && !web {
            return Err(Invalid::new(
                "django.password_reset_confirm_url",
                "django.password_reset_confirm_url must be empty or an http(s) URL such as \
                 \"https://app.example.com/reset/{uid}/{token}\"",
            ));
        }
        for (key, name) in [
            ("csrf_cookie", &self.csrf_cookie),
            ("session_cookie", &self.session_cookie),
        ] {
            if !is_token(name) {
                return Err(Invalid::new(
                    format!("django.{key}"),
                    "django.csrf_cookie and django.session_cookie must be plain cookie \
                     names (letters, digits, - and _)",
                ));
            }
        }
        Ok(())
    }
}

/// Letters, digits, `-` and `_`, at least one.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
