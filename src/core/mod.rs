//! The domain: accounts, sessions, CSRF tokens, passwords and mail. It knows nothing of HTTP
//! or of any dialect; dialects call [`Core`] and word its answers their own way.

pub mod access_tokens;
pub mod accounts;
mod admin;
pub mod apps;
pub mod audit;
pub mod console;
pub mod csrf;
pub mod flood;
pub mod forward_auth;
mod import;
pub mod legacy;
mod links;
pub mod locale;
pub mod login;
pub mod mail;
pub mod meters;
pub mod mfa;
mod passkey_login;
pub mod passkeys;
pub mod passwords;
mod prefixed_tokens;
mod profile;
mod recovery;
mod registration;
pub mod secret;
mod session_cache;
pub mod session_list;
pub mod sessions;
pub mod templates;
pub mod tokens;
pub mod totp;
mod upkeep;
mod webhooks;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;

use crate::config::{Config, RegistrationConfig, SessionConfig};
use crate::store::{Store, StoreError, UniqueField};
use accounts::{Field, Violation};
use csrf::CsrfTokens;
use flood::{Flood, FloodScope};
use mail::Letters;
use passwords::{PasswordError, Passwords};
use secret::{SecretError, ServerSecret};
use templates::Templates;

pub use audit::{AuditEvent, ClientContext, Subject};
pub use import::{Existing, ImportError, RowProblem};
pub use links::ValidLink;
pub use login::{LoginName, LoginStep, PendingLogin};
pub use profile::AccountChanges;
pub use recovery::AccountLookup;
pub use registration::{Registrar, Registration, RegistrationTerms, SentPassword};
pub use sessions::{CurrentSession, LoggedIn};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the submitted account data is invalid")]
    Invalid(Vec<Violation>),
    #[error("only administrators can create accounts")]
    RegistrationClosed,
    #[error("a password is required")]
    PasswordRequired,
    #[error("a password cannot be chosen at registration; it is set through the mailed link")]
    PasswordNotAllowed,
    #[error("unrecognized name or password")]
    BadCredentials,
    #[error("this account uses a second factor: its code is required")]
    SecondFactorRequired,
    #[error("the second-factor code is wrong, expired or already used")]
    SecondFactorInvalid,
    #[error("the login token is unknown, expired or already used; log in again")]
    LoginTokenInvalid,
    #[error("this account already has a second factor; remove it first")]
    MfaAlreadyEnrolled,
    #[error("this account has no second factor")]
    MfaNotEnrolled,
    #[error("the account is blocked or has not been activated")]
    AccountInactive,
    #[error("no such account")]
    NoSuchAccount,
    #[error("changing the {0:?} field is not allowed")]
    FieldNotAllowed(Field),
    #[error("only administrators may manage other accounts")]
    NotPermitted,
    #[error("the one-time login link has expired")]
    LinkExpired,
    #[error("the one-time login link has been used or is no longer valid")]
    LinkInvalid,
    #[error(transparent)]
    Passkey(#[from] passkeys::PasskeyError),
    #[error("too many failed logins ({scope:?}); retry in {retry_after} s")]
    Flooded { scope: FloodScope, retry_after: u64 },
    #[error("too many logins are waiting for password hashing; retry in {retry_after} s")]
    Overloaded { retry_after: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(PasswordError),
}

/// How long a client refused for hashing overload should wait: a queue drains in moments.
const OVERLOAD_RETRY_AFTER: u64 = 2;

impl From<PasswordError> for Error {
    fn from(error: PasswordError) -> Self {
        match error {
            PasswordError::Busy => Error::Overloaded {
                retry_after: OVERLOAD_RETRY_AFTER,
            },
            other => Error::Password(other),
        }
    }
}

impl Error {
    /// The database outage behind this failure, if any: the request is worth retrying once
    /// it passes.
    pub fn outage(&self) -> Option<crate::store::Outage> {
        match self {
            Error::Store(e) => e.outage(),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("configuration error: {0}")]
    Templates(String),
}

/// A unique-constraint failure becomes the violation a client can act on.
fn taken_as_invalid(error: StoreError, name: &str, mail: Option<&str>) -> Error {
    match error {
        StoreError::Taken(UniqueField::Name) => Error::Invalid(vec![Violation::NameTaken {
            name: name.to_string(),
        }]),
        StoreError::Taken(UniqueField::Mail) => Error::Invalid(vec![Violation::MailTaken {
            mail: mail.unwrap_or_default().to_string(),
        }]),
        other => other.into(),
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A Unix time as RFC 3339 (`2026-12-06T12:00:00Z`); `None` if out of range.
pub fn rfc3339(unix: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
}

/// `length` in whole seconds, the unit of the times the store keeps. Saturating, so a setting
/// of many centuries cannot wrap round into the past.
pub fn whole_seconds(length: Duration) -> i64 {
    i64::try_from(length.as_secs()).unwrap_or(i64::MAX)
}

/// The time `length` after `now`, in the store's seconds.
pub fn later(now: i64, length: Duration) -> i64 {
    now.saturating_add(whole_seconds(length))
}

pub struct Core {
    store: Store,
    passwords: Passwords,
    flood: Flood,
    csrf: CsrfTokens,
    letters: Letters,
    registration: RegistrationConfig,
    sessions: SessionConfig,
    site_mail: String,
    /// The issuer authenticator apps show for this server's codes.
    site_name: String,
    /// Woken when this node queues mail, so its worker sends at once.
    mail_signal: Arc<Notify>,
    audit: audit::AuditConfig,
    /// This node's secret's fingerprint, to notice a rotation by another node.
    secret_fingerprint: String,
    tokens: tokens::Tokens,
    /// Live sessions in memory; see [`session_cache`].
    session_cache: session_cache::SessionCache,
    webhooks: webhooks::Receivers,
    /// The relying party passkeys are bound to; `None` when `public_url` has no host name.
    webauthn: Option<webauthn_rs::prelude::Webauthn>,
    /// The legacy site accounts trickle over from, once the server sets one up.
    legacy: std::sync::OnceLock<Arc<dyn legacy::LegacyLogin>>,
}

/// What opening the core found worth telling the operator.
pub struct Startup {
    pub core: Core,
    pub created_secret: bool,
    pub account_count: i64,
}

impl Core {
    /// Connects to the database, applies pending migrations and loads the server secret.
    pub async fn open(config: &Config) -> Result<Startup, StartupError> {
        let store = Store::connect(&config.database_url).await?;
        store.migrate().await?;
        let configured = config.secret.as_ref().map(|s| s.to_secret());
        // A database already served with a secret gets no new one by accident.
        let first_start = store.secret_fingerprint().await?.is_none();
        let (secret, created_secret) =
            ServerSecret::load(configured.as_ref(), &config.secret_file, first_start)?;
        let source = secret::describe_source(configured.is_some(), &config.secret_file);
        secret.check_against(&store, &source).await?;
        let account_count = store.count_accounts().await?;
        let core = Core {
            passwords: Passwords::new(&config.password)?,
            flood: Flood::new(&config.flood),
            csrf: CsrfTokens::new(&secret),
            letters: Letters::new(
                &config.site_name,
                &config.public_url,
                &secret,
                // The command line checked the templates at start; a Config built in code
                // gets the same check here.
                Templates::new(&config.mail.templates).map_err(StartupError::Templates)?,
            ),
            registration: config.registration.clone(),
            sessions: config.session.clone(),
            site_mail: config.site_mail.clone(),
            site_name: config.site_name.clone(),
            mail_signal: Arc::new(Notify::new()),
            audit: config.audit.clone(),
            secret_fingerprint: secret.fingerprint(),
            tokens: tokens::Tokens::new(&config.token, &config.public_url, &secret),
            session_cache: session_cache::SessionCache::new(config.session.cache_entries),
            webhooks: webhooks::Receivers::new(&config.webhooks),
            webauthn: passkeys::relying_party(config),
            legacy: std::sync::OnceLock::new(),
            store,
        };
        Ok(Startup {
            core,
            created_secret,
            account_count,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The CSRF token for `purpose` in a session with this seed.
    pub fn csrf_token(&self, seed: &str, purpose: &str) -> String {
        self.csrf.token(seed, purpose)
    }

    /// Whether `candidate` is the session's token for one of `purposes`.
    pub fn csrf_token_valid(
        &self,
        session: &CurrentSession,
        purposes: &[&str],
        candidate: &str,
    ) -> bool {
        self.csrf.verify(&session.csrf_seed, purposes, candidate)
    }

    /// A token for a client without a session; it stores nothing.
    pub fn unbound_csrf_token(&self, purpose: &str) -> String {
        self.csrf.unbound_token(purpose)
    }

    /// What the delivery worker waits on besides its poll interval.
    pub fn mail_signal(&self) -> Arc<Notify> {
        self.mail_signal.clone()
    }

    /// Tells this node's worker that mail was just committed to the outbox.
    fn mail_queued(&self) {
        self.mail_signal.notify_one();
    }
}
