//! Configuration: built-in defaults, then the TOML file, then `LATCH_*` environment variables,
//! then command-line flags. Validated once into typed values the rest of the program trusts.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::core::accounts::RegistrationMode;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: String,
    /// `sqlite://FILE` (created on first start).
    pub database_url: String,
    /// Server secret (at least 32 bytes, base64 or plain text). When unset, the secret is read
    /// from `secret_file`, which is created with a random secret on first start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<ConfigSecret>,
    pub secret_file: PathBuf,
    /// Base URL used in links sent by mail, e.g. `https://login.example.com`.
    pub public_url: String,
    pub site_name: String,
    /// Address that receives administrator notices (e.g. accounts awaiting approval).
    /// When empty, they go to every administrator.
    pub site_mail: String,
    pub registration: RegistrationConfig,
    pub session: SessionConfig,
    pub cookie: CookieConfig,
    pub password: PasswordConfig,
    pub flood: FloodConfig,
    pub http: HttpConfig,
    pub services: ServicesConfig,
    pub django: DjangoConfig,
    pub platformos: PlatformosConfig,
    pub mail: MailConfig,
    pub audit: crate::core::audit::AuditConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistrationConfig {
    /// `admin_only`, `visitors` or `visitors_admin_approval`.
    pub mode: RegistrationMode,
    /// When on, visitors register without a password and receive a one-time login link.
    pub verify_mail: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// Seconds of inactivity after which a session ends.
    pub idle_timeout: u64,
    /// Seconds after login at which a session ends however active it is.
    pub lifetime: u64,
    /// A session's last-access time is written at most once per this many seconds.
    pub write_interval: u64,
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
    /// [`Config::cookie_secure`]), as behind a TLS proxy the server itself sees plain HTTP.
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
}

/// Failed-login limits, as Drupal's `user.flood` settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FloodConfig {
    pub enabled: bool,
    /// Failed logins from one client IP, whatever the account, within `ip_window` seconds.
    pub ip_limit: u32,
    pub ip_window: u64,
    /// Failed logins to one account (from one IP, unless `uid_only`) within `user_window`.
    pub user_limit: u32,
    pub user_window: u64,
    /// Count an account's failures from every IP together.
    pub uid_only: bool,
    /// IPv6 clients are counted by this leading part of their address (one site's /64 is
    /// one client); IPv4 clients by their whole address.
    pub ipv6_prefix: u8,
    /// Password-reset requests from one client IP within `password_request_ip_window`
    /// seconds (Drupal's `user.password_request_ip`); past it the request is refused.
    pub password_request_ip_limit: u32,
    pub password_request_ip_window: u64,
    /// Reset mails to one account within `password_request_user_window` seconds (Drupal's
    /// `user.password_request_user`); past it requests answer as usual but queue no mail.
    pub password_request_user_limit: u32,
    pub password_request_user_window: u64,
}

impl Default for FloodConfig {
    fn default() -> Self {
        // Drupal's user.flood defaults.
        Self {
            enabled: true,
            ip_limit: 50,
            ip_window: 3600,
            user_limit: 5,
            user_window: 21_600,
            uid_only: false,
            ipv6_prefix: 64,
            // Drupal reads its password-request limits from the same user.flood settings.
            password_request_ip_limit: 50,
            password_request_ip_window: 3600,
            password_request_user_limit: 5,
            password_request_user_window: 21_600,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Largest accepted total size of the request headers, in bytes.
    pub header_limit: usize,
    /// Seconds a whole request may take.
    pub request_timeout: u64,
    /// Origins (`https://app.example.com`) whose browsers may send unsafe requests besides the
    /// server's own origin.
    pub trusted_origins: Vec<String>,
    /// Origins whose pages may call latch from the browser with credentials (CORS); each is
    /// trusted for unsafe requests too.
    pub cors_origins: Vec<String>,
    /// Addresses or networks (`10.0.0.0/8`) of proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<String>,
    /// Connections served at once; further ones wait to be accepted.
    pub max_connections: usize,
    /// Connections one client address may hold at once; past it a new one is closed at once.
    /// Trusted proxies are exempt.
    pub max_connections_per_ip: usize,
    /// `Strict-Transport-Security` max-age, sent when `public_url` is `https://`; 0: never.
    pub hsts_max_age: u64,
    /// Serves `GET /bench/hello` through the same middleware, as the benchmark's measure of
    /// what HTTP handling alone costs. For benchmarking only; leave off in production.
    pub bench_hello: bool,
}

/// The Drupal 7 Services module's REST server dialect.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServicesConfig {
    pub enabled: bool,
    /// The endpoint path the dialect is served under, without slashes at either end.
    pub endpoint: String,
    /// Accept `application/x-www-form-urlencoded` bodies (off in the Services module too).
    pub urlencoded: bool,
    /// `1.0` (login takes `username`/`password`) or `1.1` (`name`/`pass`); a client may ask
    /// for 1.1 with the `services_user_login_version` header.
    pub api_version: ServicesApiVersion,
}

/// The Django dialect: `csrftoken`/`sessionid` cookies, the login page and dj-rest-auth.
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
    pub trusted_origins: Vec<String>,
    /// `CSRF_COOKIE_NAME`.
    pub csrf_cookie: String,
    /// `SESSION_COOKIE_NAME`; the Drupal dialects recognise sessions under this name too.
    pub session_cookie: String,
    /// `LOGIN_REDIRECT_URL`: where a browser goes after logging in without a `next`. Empty
    /// means the login page, which then shows who is logged in.
    pub login_redirect: String,
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
        }
    }
}

impl DjangoConfig {
    fn validate(&self) -> Result<(), String> {
        for (key, prefix) in [
            ("login_prefix", &self.login_prefix),
            ("rest_auth_prefix", &self.rest_auth_prefix),
        ] {
            let inner = prefix.trim_matches('/');
            let plain = prefix.len() > 2
                && prefix.starts_with('/')
                && prefix.ends_with('/')
                && inner.split('/').all(|s| {
                    !s.is_empty()
                        && s.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                });
            if !plain
                || matches!(
                    inner.split('/').next(),
                    Some("user" | "session" | "services")
                )
            {
                return Err(format!(
                    "django.{key} = {prefix:?} must be a path such as \"/auth/\" with a slash at \
                     both ends, not under /user/, /session/ or /services/"
                ));
            }
        }
        let token = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if !token(&self.csrf_cookie) || !token(&self.session_cookie) {
            return Err(
                "django.csrf_cookie and django.session_cookie must be plain cookie \
                        names (letters, digits, - and _)"
                    .into(),
            );
        }
        for origin in &self.trusted_origins {
            if !(origin.starts_with("http://") || origin.starts_with("https://")) {
                return Err(format!(
                    "django.trusted_origins entry {origin:?} must start with http:// or https://"
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServicesApiVersion {
    #[serde(rename = "1.0")]
    V1_0,
    #[serde(rename = "1.1")]
    V1_1,
}

impl Default for ServicesConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            endpoint: "rest".into(),
            urlencoded: false,
            api_version: ServicesApiVersion::V1_0,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// Sender of every message, e.g. `latch <noreply@example.com>`.
    pub from: String,
    /// Attempts before a message that keeps failing temporarily is dead-lettered.
    pub max_attempts: u32,
    /// Seconds before the first retry; each further retry waits twice as long (at most 6 h).
    pub retry_delay: u64,
    /// Seconds a worker may hold a message while sending it; a worker that dies mid-send
    /// releases it after this.
    pub claim_timeout: u64,
    /// Seconds between looks at the outbox (other nodes' messages, retries that fall due).
    pub poll_interval: f64,
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
    /// Seconds one delivery may take before it counts as a temporary failure.
    pub timeout: u64,
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
            retry_delay: 60,
            claim_timeout: 300,
            poll_interval: 5.0,
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
            timeout: 30,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://latch.db".into(),
            secret: None,
            secret_file: PathBuf::from("latch.secret"),
            public_url: "http://127.0.0.1:8080".into(),
            site_name: "latch".into(),
            site_mail: String::new(),
            registration: RegistrationConfig::default(),
            session: SessionConfig::default(),
            cookie: CookieConfig::default(),
            password: PasswordConfig::default(),
            flood: FloodConfig::default(),
            http: HttpConfig::default(),
            services: ServicesConfig::default(),
            django: DjangoConfig::default(),
            platformos: PlatformosConfig::default(),
            mail: MailConfig::default(),
            audit: Default::default(),
        }
    }
}

impl Default for RegistrationConfig {
    fn default() -> Self {
        Self {
            mode: RegistrationMode::Visitors,
            verify_mail: false,
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        // Drupal's gc_maxlifetime, cookie_lifetime and session_write_interval.
        Self {
            idle_timeout: 200_000,
            lifetime: 2_000_000,
            write_interval: 180,
        }
    }
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
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            body_limit: 64 * 1024,
            header_limit: 32 * 1024,
            request_timeout: 30,
            trusted_origins: Vec::new(),
            cors_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            max_connections: 1024,
            max_connections_per_ip: 64,
            // A year, as the HSTS preload list asks.
            hsts_max_age: 31_536_000,
            bench_hello: false,
        }
    }
}

impl ServicesConfig {
    /// The endpoint must be a plain path that cannot shadow the Drupal 8+ routes.
    fn validate_endpoint(&self) -> Result<(), String> {
        let segments: Vec<&str> = self.endpoint.split('/').collect();
        let plain = segments.iter().all(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
        if !plain {
            return Err(format!(
                "services.endpoint = {:?} must be a path such as \"rest\" or \"api/v1\": \
                 letters, digits, - and _, segments separated by /, no leading or trailing /",
                self.endpoint
            ));
        }
        if matches!(segments[0], "user" | "session" | "services") {
            return Err(format!(
                "services.endpoint = {:?} would overlap the /{}/… routes; choose another path",
                self.endpoint, segments[0]
            ));
        }
        Ok(())
    }
}

/// The platformOS-style dialect: `/api/sessions` and `/api/users` with `{form_name, form}`
/// bodies and application tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlatformosConfig {
    pub enabled: bool,
    /// Refuse requests that carry no application token (`latch app add`).
    pub require_app_token: bool,
    /// Serve the built-in forms (`reference_rest_api_create_sessions`, …) besides `forms`.
    pub builtin_forms: bool,
    /// Named forms: what each does and which fields it takes.
    pub forms: BTreeMap<String, FormConfig>,
}

impl Default for PlatformosConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            require_app_token: false,
            builtin_forms: true,
            forms: BTreeMap::new(),
        }
    }
}

/// One named form: the action it performs and the fields it permits, with their rules.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormConfig {
    pub action: FormAction,
    #[serde(default)]
    pub fields: BTreeMap<String, FieldRules>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormAction {
    CreateSession,
    DestroySession,
    CreateUser,
    UpdateUser,
}

impl FormAction {
    /// The fields this action can make use of; a form may permit only these.
    pub fn known_fields(self) -> &'static [&'static str] {
        match self {
            FormAction::CreateSession => &["email", "name", "password"],
            FormAction::DestroySession => &[],
            FormAction::CreateUser => &["email", "name", "password"],
            FormAction::UpdateUser => &["email", "name", "password", "current_password"],
        }
    }
}

/// Validations of one form field, as in a platformOS form's `fields:` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FieldRules {
    pub required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// `email`: the value must look like a mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<FieldFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldFormat {
    Email,
}

impl PlatformosConfig {
    fn validate(&self) -> Result<(), String> {
        for (name, form) in &self.forms {
            let key = format!("platformos.forms.{name}");
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '/')
            {
                return Err(format!(
                    "{key}: a form name may hold letters, digits, _, - and / only"
                ));
            }
            let known = form.action.known_fields();
            for (field, rules) in &form.fields {
                if !known.contains(&field.as_str()) {
                    return Err(format!(
                        "{key}.fields.{field}: this form's action uses only {}",
                        if known.is_empty() {
                            "no fields".to_string()
                        } else {
                            known.join(", ")
                        }
                    ));
                }
                if let (Some(min), Some(max)) = (rules.min_length, rules.max_length)
                    && min > max
                {
                    return Err(format!(
                        "{key}.fields.{field}: min_length exceeds max_length"
                    ));
                }
            }
            if form.action == FormAction::CreateSession
                && !(form.fields.contains_key("password")
                    && (form.fields.contains_key("email") || form.fields.contains_key("name")))
            {
                return Err(format!(
                    "{key}: a create_session form needs a password field and an email or name \
                     field"
                ));
            }
        }
        Ok(())
    }
}

/// A secret configuration value: serialisable (so it layers like any other key) but never
/// shown by `Debug`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConfigSecret(String);

impl ConfigSecret {
    pub fn to_secret(&self) -> SecretString {
        SecretString::from(self.0.clone())
    }
}

impl std::fmt::Debug for ConfigSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Values given on the command line; they override everything else.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub listen: Option<String>,
    pub database_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration error: {0}")]
    Figment(#[from] Box<figment::Error>),
    #[error("configuration error: {0}")]
    Invalid(String),
}

impl Config {
    /// Loads defaults, the optional file, `LATCH_*` variables and flags, in that order.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(ConfigError::Invalid(format!(
                    "config file {} does not exist",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        figment = figment.merge(Self::environment());
        if let Some(listen) = &overrides.listen {
            figment = figment.merge(("listen", listen));
        }
        if let Some(url) = &overrides.database_url {
            figment = figment.merge(("database_url", url));
        }
        let config: Config = figment.extract().map_err(Box::new)?;
        config.validate()?;
        Ok(config)
    }

    /// Whether session cookies are `Secure`: `cookie.secure` if set, else whether clients
    /// reach the server over HTTPS by `public_url`.
    pub fn cookie_secure(&self) -> bool {
        self.cookie
            .secure
            .unwrap_or_else(|| self.public_url.starts_with("https://"))
    }

    /// `LATCH_LISTEN`, `LATCH_SESSION__IDLE_TIMEOUT`, …; variables that name no setting (such
    /// as `LATCH_CONFIG`, read by the command line) are left alone.
    fn environment() -> Env {
        const KEYS: &[&str] = &[
            "listen",
            "database_url",
            "secret",
            "secret_file",
            "public_url",
            "site_name",
            "site_mail",
            "registration",
            "session",
            "cookie",
            "password",
            "flood",
            "http",
            "services",
            "django",
            "platformos",
            "mail",
            "audit",
        ];
        Env::prefixed("LATCH_").split("__").filter(|key| {
            let top = key.as_str().split('.').next().unwrap_or_default();
            KEYS.iter().any(|known| known.eq_ignore_ascii_case(top))
        })
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |msg: &str| Err(ConfigError::Invalid(msg.to_string()));
        if self.listen.parse::<SocketAddr>().is_err() {
            return invalid(&format!(
                "listen = {:?} is not an address like 127.0.0.1:8080",
                self.listen
            ));
        }
        if self.cookie.same_site == SameSite::None && !self.cookie_secure() {
            return invalid("cookie.same_site = \"none\" needs cookie.secure = true");
        }
        if self.session.idle_timeout == 0 || self.session.lifetime == 0 {
            return invalid("session.idle_timeout and session.lifetime must be positive");
        }
        if self.password.max_concurrent_hashes == 0 {
            return invalid("password.max_concurrent_hashes must be at least 1");
        }
        let flood = &self.flood;
        if flood.ip_limit == 0
            || flood.user_limit == 0
            || flood.ip_window == 0
            || flood.user_window == 0
            || flood.password_request_ip_limit == 0
            || flood.password_request_ip_window == 0
            || flood.password_request_user_limit == 0
            || flood.password_request_user_window == 0
        {
            return invalid("flood limits and windows must be at least 1");
        }
        if flood.ipv6_prefix == 0 || flood.ipv6_prefix > 128 {
            return invalid("flood.ipv6_prefix must be between 1 and 128");
        }
        if self.http.body_limit < 1024 || self.http.header_limit < 1024 {
            return invalid("http.body_limit and http.header_limit must be at least 1024 bytes");
        }
        if self.http.request_timeout == 0
            || self.http.max_connections == 0
            || self.http.max_connections_per_ip == 0
        {
            return invalid(
                "http.request_timeout, http.max_connections and http.max_connections_per_ip \
                 must be at least 1",
            );
        }
        crate::http::check_hardening(&self.http).map_err(ConfigError::Invalid)?;
        if self.password.min_length > MAX_PASSWORD_MIN_LENGTH {
            return invalid(&format!(
                "password.min_length must be at most {MAX_PASSWORD_MIN_LENGTH}"
            ));
        }
        if !self.cookie.path.starts_with('/') {
            return invalid("cookie.path must start with /");
        }
        if self.services.enabled {
            self.services
                .validate_endpoint()
                .map_err(ConfigError::Invalid)?;
        }
        if self.django.enabled {
            self.django.validate().map_err(ConfigError::Invalid)?;
        }
        if self.platformos.enabled {
            self.platformos.validate().map_err(ConfigError::Invalid)?;
        }
        self.validate_mail()
    }

    fn validate_mail(&self) -> Result<(), ConfigError> {
        let invalid = |msg: String| Err(ConfigError::Invalid(msg));
        let mail = &self.mail;
        if mail.max_attempts == 0 || mail.retry_delay == 0 {
            return invalid("mail.max_attempts and mail.retry_delay must be at least 1".into());
        }
        if !(mail.poll_interval.is_finite() && mail.poll_interval > 0.0) {
            return invalid("mail.poll_interval must be a positive number of seconds".into());
        }
        if mail.smtp.timeout == 0 {
            return invalid("mail.smtp.timeout must be at least 1 second".into());
        }
        // A claim that lapses while its worker still sends would let a second worker send the
        // same message.
        if mail.claim_timeout <= mail.smtp.timeout {
            return invalid(format!(
                "mail.claim_timeout ({}) must be longer than mail.smtp.timeout ({})",
                mail.claim_timeout, mail.smtp.timeout
            ));
        }
        if let Err(e) = mail.from.parse::<lettre::message::Mailbox>() {
            return invalid(format!(
                "mail.from = {:?} is not a mail address ({e}); write it as \"Name <user@host>\"",
                mail.from
            ));
        }
        if let Err(e) = crate::core::templates::Templates::new(&mail.templates) {
            return invalid(e);
        }
        if !mail.smtp.ca_file.is_empty() {
            if mail.smtp.tls == SmtpTls::None {
                return invalid(
                    "mail.smtp.ca_file is set but mail.smtp.tls = \"none\" never uses it".into(),
                );
            }
            crate::delivery::tls_parameters(&mail.smtp).map_err(ConfigError::Invalid)?;
        }
        Ok(())
    }

    pub fn listen_addr(&self) -> SocketAddr {
        // validate() checked it.
        self.listen.parse().expect("listen address validated")
    }

    /// The configuration with every key at its default, as TOML.
    pub fn default_toml() -> String {
        toml_of(&Config::default())
    }
}

fn toml_of(config: &Config) -> String {
    // Rendered by hand through serde_json so no TOML writer is needed in the binary.
    let value = serde_json::to_value(config).unwrap_or_default();
    let mut out = String::new();
    if let serde_json::Value::Object(map) = value {
        toml_table(&mut out, "", &map);
    }
    out
}

/// Writes a table's scalars, then each sub-table under its dotted name.
fn toml_table(out: &mut String, name: &str, table: &serde_json::Map<String, serde_json::Value>) {
    if !name.is_empty() {
        out.push_str(&format!("\n[{name}]\n"));
    }
    for (key, value) in table {
        if value.is_null() {
            // TOML has no null: an unset setting is shown but left out.
            out.push_str(&format!("# {key} = (unset)\n"));
        } else if !value.is_object() {
            out.push_str(&format!("{key} = {}\n", toml_scalar(value)));
        }
    }
    for (key, value) in table {
        if let serde_json::Value::Object(sub) = value {
            let sub_name = if name.is_empty() {
                key.clone()
            } else {
                format!("{name}.{key}")
            };
            toml_table(out, &sub_name, sub);
        }
    }
}

fn toml_scalar(value: &serde_json::Value) -> String {
    // JSON strings, numbers, booleans and arrays of them are valid TOML as written.
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_toml_loads_back_to_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("latch.toml");
        std::fs::write(&file, Config::default_toml()).unwrap();
        let loaded = Config::load(Some(&file), &Overrides::default()).unwrap();
        assert_eq!(loaded.listen, "127.0.0.1:8080");
        assert_eq!(loaded.session.write_interval, 180);
        assert_eq!(loaded.mail.smtp.port, 587);
    }

    #[test]
    fn mail_templates_load_and_unknown_placeholders_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("latch.toml");
        std::fs::write(
            &file,
            "[mail.templates.password_reset]\nsubject = \"Reset at {site_name}\"\n",
        )
        .unwrap();
        let loaded = Config::load(Some(&file), &Overrides::default()).unwrap();
        assert!(loaded.mail.templates.contains_key("password_reset"));
        std::fs::write(
            &file,
            "[mail.templates.password_reset]\ntext = \"Go to {lnk}\"\n",
        )
        .unwrap();
        let err = Config::load(Some(&file), &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("{lnk}"), "{err}");
        std::fs::write(&file, "[mail.templates.pasword_reset]\ntext = \"x\"\n").unwrap();
        let err = Config::load(Some(&file), &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("pasword_reset"), "{err}");
    }

    #[test]
    fn the_smtp_password_is_redacted() {
        let mut config = Config::default();
        config.mail.smtp.password = Some(ConfigSecret("hunter2".into()));
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("latch.toml");
        std::fs::write(&file, "[session]\nidle_timout = 5\n").unwrap();
        let err = Config::load(Some(&file), &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("idle_timout"), "{err}");
    }

    #[test]
    fn services_endpoints_that_overlap_other_routes_are_refused() {
        for bad in ["", "/rest", "rest/", "user", "a b", "services/x"] {
            let config = ServicesConfig {
                endpoint: bad.into(),
                ..ServicesConfig::default()
            };
            assert!(config.validate_endpoint().is_err(), "{bad:?}");
        }
        for good in ["rest", "api/v1", "my-api_2"] {
            let config = ServicesConfig {
                endpoint: good.into(),
                ..ServicesConfig::default()
            };
            assert!(config.validate_endpoint().is_ok(), "{good:?}");
        }
    }

    #[test]
    fn platformos_forms_load_and_fields_their_action_cannot_use_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("latch.toml");
        std::fs::write(
            &file,
            "[platformos.forms.signup]\naction = \"create_user\"\n\
             [platformos.forms.signup.fields.name]\nrequired = true\nmin_length = 3\n",
        )
        .unwrap();
        let loaded = Config::load(Some(&file), &Overrides::default()).unwrap();
        let form = &loaded.platformos.forms["signup"];
        assert_eq!(form.action, FormAction::CreateUser);
        assert_eq!(form.fields["name"].min_length, Some(3));
        std::fs::write(
            &file,
            "[platformos.forms.signup]\naction = \"create_user\"\n\
             [platformos.forms.signup.fields.nickname]\nrequired = true\n",
        )
        .unwrap();
        let err = Config::load(Some(&file), &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("fields.nickname"), "{err}");
        std::fs::write(
            &file,
            "[platformos.forms.login]\naction = \"create_session\"\n\
             [platformos.forms.login.fields.email]\nrequired = true\n",
        )
        .unwrap();
        let err = Config::load(Some(&file), &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("password"), "{err}");
    }

    #[test]
    fn flags_override_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("latch.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\n").unwrap();
        let overrides = Overrides {
            listen: Some("127.0.0.1:9001".into()),
            database_url: None,
        };
        let loaded = Config::load(Some(&file), &overrides).unwrap();
        assert_eq!(loaded.listen, "127.0.0.1:9001");
    }
}
