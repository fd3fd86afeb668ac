//! The Laravel dialect: Sanctum's SPA flow (`XSRF-TOKEN` cookie, `/sanctum/csrf-cookie`) with
//! the login endpoints of Fortify or Breeze's API stack, and Sanctum's mobile tokens.

use serde::{Deserialize, Serialize};

use super::Invalid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LaravelConfig {
    pub enabled: bool,
    /// Whose success answers to give: `fortify` (`{"two_factor": false}` at login, 201 at
    /// registration) or `breeze` (Breeze's API stack: 204s).
    pub stack: LaravelStack,
    /// Path before `login`, `logout`, `register`, `forgot-password`, `reset-password` and
    /// `two-factor-challenge`, with a slash at both ends (`/` serves `/login`).
    pub prefix: String,
    /// Sanctum's CSRF cookie route.
    pub csrf_cookie_path: String,
    /// The route that answers the logged-in user (`auth:sanctum`).
    pub user_path: String,
    /// The route that gives mobile apps a token for an address and password.
    pub token_path: String,
    /// `SESSION_COOKIE`.
    pub session_cookie: String,
    /// `sanctum.stateful`: hosts (with port where it is not the scheme's) whose `Origin` or
    /// `Referer` makes an API request a session request; the public URL's host always is one.
    pub stateful: Vec<String>,
    /// The reset mail's link, `{token}` replaced; a path is taken under the public URL.
    /// Breeze front ends serve `/password-reset/{token}`.
    pub reset_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LaravelStack {
    Fortify,
    Breeze,
}

impl Default for LaravelConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            stack: LaravelStack::Fortify,
            prefix: "/".into(),
            csrf_cookie_path: "/sanctum/csrf-cookie".into(),
            user_path: "/api/user".into(),
            token_path: "/sanctum/token".into(),
            session_cookie: "laravel_session".into(),
            stateful: [
                "localhost",
                "localhost:3000",
                "127.0.0.1",
                "127.0.0.1:8000",
                "::1",
            ]
            .map(String::from)
            .to_vec(),
            reset_url: "/password-reset/{token}".into(),
        }
    }
}

/// First path segments other dialects and latch itself serve under, which a dialect with a
/// configurable prefix must stay out of.
pub(super) const TAKEN: [&str; 7] = [
    "user", "session", "services", "latch", "auth", "docs", "admin",
];

impl LaravelConfig {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        let prefix = &self.prefix;
        let prefix_plain = prefix.starts_with('/')
            && prefix.ends_with('/')
            && prefix
                .trim_matches('/')
                .split('/')
                .all(|segment| prefix == "/" || is_token(segment));
        if !prefix_plain || TAKEN.contains(&first_segment(prefix)) {
            return Err(Invalid::new(
                "laravel.prefix",
                format!(
                    "laravel.prefix = {prefix:?} must be \"/\" or a path such as \"/auth/\" with \
                     a slash at both ends, not under /{}/",
                    TAKEN.join("/, /")
                ),
            ));
        }
        for (key, path) in [
            ("csrf_cookie_path", &self.csrf_cookie_path),
            ("user_path", &self.user_path),
            ("token_path", &self.token_path),
        ] {
            let plain = path.len() > 1
                && path.starts_with('/')
                && !path.ends_with('/')
                && path[1..].split('/').all(is_token);
            if !plain || TAKEN.contains(&first_segment(path)) || path.starts_with("/api/users") {
                return Err(Invalid::new(
                    format!("laravel.{key}"),
                    format!(
                        "laravel.{key} = {path:?} must be a path such as \"/api/user\" without \
                         a trailing slash, not under /{}/ or /api/users",
                        TAKEN.join("/, /")
                    ),
                ));
            }
        }
        if !is_token(&self.session_cookie) {
            return Err(Invalid::new(
                "laravel.session_cookie",
                "laravel.session_cookie must be a plain cookie name (letters, digits, - and _)",
            ));
        }
        if let Some(host) = self
            .stateful
            .iter()
            .find(|h| h.is_empty() || h.contains('/') || h.contains(char::is_whitespace))
        {
            return Err(Invalid::new(
                "laravel.stateful",
                format!(
                    "laravel.stateful holds {host:?}: list hosts such as \"app.example.com\" or \
                     \"localhost:3000\", without a scheme or path"
                ),
            ));
        }
        let url = &self.reset_url;
        let shaped =
            url.starts_with('/') || url.starts_with("https://") || url.starts_with("http://");
        if !shaped || !url.contains("{token}") {
            return Err(Invalid::new(
                "laravel.reset_url",
                "laravel.reset_url must be a path or an http(s) URL holding {token}, such as \
                 \"https://app.example.com/password-reset/{token}\"",
            ));
        }
        Ok(())
    }

    /// Where the routes before `login` and the others start: the prefix without its last
    /// slash, so `/` gives `/login`.
    pub fn route(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }
}

pub(super) fn first_segment(path: &str) -> &str {
    path.trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
}

/// Letters, digits, `-` and `_`, at least one.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
