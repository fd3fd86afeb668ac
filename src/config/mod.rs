//! Configuration: built-in defaults, then the TOML file, then `LATCH_*` environment variables,
//! then command-line flags. Validated once into typed values the rest of the program trusts.
//!
//! This is the bottom layer: it names no other module of latch. Checks only a higher layer
//! can make (the message texts, the SMTP CA file) are handed in by the command line as
//! [`Check`]s, so their errors are reported like every other setting's.

mod allauth;
mod django;
mod duration;
mod forward_auth;
mod http;
mod laravel;
mod legacy;
mod mail;
mod network;
mod ops;
mod origin;
mod passkeys;
mod platformos;
mod server;
mod services;
mod session;
mod source;
mod token;
mod toml;
mod webhooks;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

pub use allauth::AllauthConfig;
pub use django::DjangoConfig;
pub use forward_auth::{AccessPolicy, AccessRule, ForwardAuthConfig};
pub use http::HttpConfig;
pub use laravel::{LaravelConfig, LaravelStack};
pub use legacy::{LegacyConfig, LegacyDialect};
pub use mail::{MailConfig, SmtpConfig, SmtpTls, TemplateConfig};
pub use network::{Network, canonical_ip};
pub use ops::{LogConfig, LogFormat, MetricsConfig};
pub use origin::{Origin, OriginError, OriginPattern};
pub use passkeys::{PasskeyConfig, url_host};
pub use platformos::{FieldFormat, FieldRules, FormAction, FormConfig, PlatformosConfig};
pub use server::{AuditConfig, FloodConfig, PasswordConfig, RegistrationConfig, RegistrationMode};
pub use services::{ServicesApiVersion, ServicesConfig};
pub use session::{CookieConfig, SameSite, SessionConfig};
pub use token::{MAX_TOKEN_LIFETIME, TokenConfig};
pub use webhooks::{WEBHOOK_EVENTS, WebhookConfig, WebhookDeliveryConfig};

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
    pub token: TokenConfig,
    pub cookie: CookieConfig,
    pub password: PasswordConfig,
    pub flood: FloodConfig,
    pub passkeys: PasskeyConfig,
    pub http: HttpConfig,
    pub services: ServicesConfig,
    pub django: DjangoConfig,
    pub platformos: PlatformosConfig,
    pub laravel: LaravelConfig,
    pub allauth: AllauthConfig,
    pub mail: MailConfig,
    pub audit: AuditConfig,
    pub forward_auth: ForwardAuthConfig,
    /// `[[access]]` rules for `/latch/verify`, first match wins.
    pub access: Vec<AccessRule>,
    /// `[[webhooks]]` receivers of events; none by default.
    pub webhooks: Vec<WebhookConfig>,
    pub webhook_delivery: WebhookDeliveryConfig,
    /// `[legacy]`: the live site accounts trickle over from; off by default.
    pub legacy: LegacyConfig,
    pub log: LogConfig,
    pub metrics: MetricsConfig,
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
            token: TokenConfig::default(),
            cookie: CookieConfig::default(),
            password: PasswordConfig::default(),
            flood: FloodConfig::default(),
            passkeys: PasskeyConfig::default(),
            http: HttpConfig::default(),
            services: ServicesConfig::default(),
            django: DjangoConfig::default(),
            platformos: PlatformosConfig::default(),
            laravel: LaravelConfig::default(),
            allauth: AllauthConfig::default(),
            mail: MailConfig::default(),
            audit: AuditConfig::default(),
            forward_auth: ForwardAuthConfig::default(),
            access: Vec::new(),
            webhooks: Vec::new(),
            webhook_delivery: WebhookDeliveryConfig::default(),
            legacy: LegacyConfig::default(),
            log: LogConfig::default(),
            metrics: MetricsConfig::default(),
        }
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

    fn expose(&self) -> &str {
        &self.0
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
    Invalid(String),
}

/// A setting that failed a check: its key as written in the file (`mail.smtp.ca_file`) and
/// what is wrong with it. The loader adds where the value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub key: String,
    pub message: String,
}

impl Invalid {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// A check of the loaded configuration made by a higher layer.
pub type Check = fn(&Config) -> Result<(), Invalid>;

impl Config {
    /// The host and port of `public_url`, as a browser sends them in `Host`.
    pub fn public_authority(&self) -> &str {
        self.public_url
            .split_once("://")
            .map_or(self.public_url.as_str(), |(_, rest)| rest)
            .split('/')
            .next()
            .unwrap_or_default()
    }

    /// Loads defaults, the optional file, `LATCH_*` variables and flags, in that order, and
    /// checks the result.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        Self::load_checked(file, overrides, &[])
    }

    /// As [`Config::load`], with `checks` run after this module's own.
    pub fn load_checked(
        file: Option<&Path>,
        overrides: &Overrides,
        checks: &[Check],
    ) -> Result<Self, ConfigError> {
        source::load(file, overrides, checks)
    }

    /// Whether session cookies are `Secure`: `cookie.secure` if set, else whether clients
    /// reach the server over HTTPS by `public_url`.
    pub fn cookie_secure(&self) -> bool {
        self.cookie
            .secure
            .unwrap_or_else(|| self.public_url.starts_with("https://"))
    }

    pub fn listen_addr(&self) -> SocketAddr {
        // validate() checked it.
        self.listen.parse().expect("listen address validated")
    }

    /// The configuration with every key at its default, as TOML.
    pub fn default_toml() -> String {
        toml::render(&Config::default())
    }

    /// Every setting this module's own rules allow; [`Check`]s come on top.
    fn validate(&self) -> Result<(), Invalid> {
        if self.listen.parse::<SocketAddr>().is_err() {
            return Err(Invalid::new(
                "listen",
                format!(
                    "listen = {:?} is not an address like 127.0.0.1:8080",
                    self.listen
                ),
            ));
        }
        self.cookie.validate(self.cookie_secure())?;
        self.session.validate()?;
        self.token.validate()?;
        self.password.validate_concurrency()?;
        self.flood.validate()?;
        self.passkeys.validate(&self.public_url)?;
        self.http.validate()?;
        self.password.validate_min_length()?;
        if self.services.enabled {
            self.services.validate_endpoint()?;
        }
        if self.django.enabled {
            self.django.validate()?;
        }
        if self.platformos.enabled {
            self.platformos.validate()?;
        }
        if self.laravel.enabled {
            self.laravel.validate()?;
        }
        if self.allauth.enabled {
            self.allauth.validate()?;
        }
        self.forward_auth.validate()?;
        forward_auth::validate_access(&self.access)?;
        webhooks::validate(&self.webhooks, &self.webhook_delivery)?;
        self.legacy.validate()?;
        self.metrics.validate(&self.listen)?;
        self.mail.validate()
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_addresses;
