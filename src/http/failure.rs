//! What a client is told about a request that failed on the server's side. The decision —
//! which status, whether to retry and when, what is logged — is made here, once, for every
//! dialect; a dialect only renders a `ServerFailure` in its own error shape.

use std::sync::Arc;

use axum::http::StatusCode;

use crate::core::{Core, Error};
use crate::store::{Outage, Store};

/// What a dialect login of an account whose only second factor is a passkey is told: a
/// password login cannot carry a passkey's answer.
pub const PASSKEY_REQUIRED: &str = "This account's second factor is a passkey, which cannot \
     come with a password here: log in with POST /latch/login and finish with the passkey \
     (POST /latch/login/mfa/passkey, then POST /latch/login/mfa), or sign in with the passkey \
     alone (POST /latch/login/passkey, or the passkey button of the login page).";

/// A failure that is not the client's fault, ready to be worded in a dialect's shape.
#[derive(Debug)]
pub struct ServerFailure {
    pub status: StatusCode,
    pub message: String,
    pub retry_after: Option<u32>,
}

impl ServerFailure {
    /// The one place that decides what a failure of the core means to a client. The dialects
    /// route `Overloaded`, `Store` and `Password` here by name; a refusal that reaches here
    /// was meant to be worded by a handler, so reaching here is itself a fault.
    pub fn from_core(error: &Error) -> Self {
        match error {
            Error::Overloaded { retry_after } => Self::overloaded(*retry_after),
            Error::Store(store) => match store.outage() {
                Some(outage) => Self::outage(error, outage),
                None => Self::internal(error),
            },
            Error::Password(_)
            | Error::Invalid(_)
            | Error::RegistrationClosed
            | Error::PasswordRequired
            | Error::PasswordNotAllowed
            | Error::BadCredentials
            | Error::AccountInactive
            | Error::SecondFactorRequired
            | Error::SecondFactorInvalid
            | Error::LoginTokenInvalid
            | Error::MfaAlreadyEnrolled
            | Error::MfaNotEnrolled
            | Error::NoSuchAccount
            | Error::FieldNotAllowed(_)
            | Error::NotPermitted
            | Error::LinkExpired
            | Error::LinkInvalid
            | Error::Passkey(_)
            | Error::Flooded { .. } => Self::internal(error),
        }
    }

    /// A fault inside the server: logged once with its cause under a fresh error id; the
    /// client sees only the id, which lets an operator find the cause in the log.
    pub fn internal(error: &dyn std::fmt::Display) -> Self {
        let error_id = new_error_id();
        tracing::error!(error_id = %error_id, error = %error, "request failed");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: format!(
                "The website encountered an unexpected error. Try again later. If it persists, \
                 report error id {error_id} to the site's administrator."
            ),
            retry_after: None,
        }
    }

    /// The database is out: 503 with a retry hint. The outage is logged once per episode by
    /// the store's outage report, not once per request.
    fn outage(error: &dyn std::fmt::Display, outage: Outage) -> Self {
        let reported = REQUEST_STORE.try_with(|store| store.report(outage, error));
        if reported.is_err() {
            tracing::error!(error = %error, ?outage, "request failed: the database is out");
        }
        match outage {
            // Space comes back when an operator frees it, not in a moment.
            Outage::DiskFull | Outage::Io => Self {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: "The server cannot save changes right now. Retry the request later."
                    .into(),
                retry_after: Some(30),
            },
            Outage::Unreachable | Outage::Busy | Outage::Exhausted => Self {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: "The database is temporarily unavailable. Retry the request in a few \
                          seconds."
                    .into(),
                retry_after: Some(5),
            },
        }
    }

    /// Too many logins are waiting for password hashing: a fast refusal with a retry hint.
    pub fn overloaded(retry_after: u64) -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: "The server is too busy to check passwords. Retry the request in a few \
                      seconds."
                .into(),
            retry_after: Some(retry_after_header(retry_after)),
        }
    }
}

/// Twelve hex digits: unique enough to find one request in a log, short enough to read out.
fn new_error_id() -> String {
    let mut bytes = [0u8; 6];
    rand::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Seconds for a `Retry-After` header.
pub fn retry_after_header(seconds: u64) -> u32 {
    u32::try_from(seconds).unwrap_or(u32::MAX)
}

tokio::task_local! {
    /// The store of the request being served, so that an outage is reported with where the
    /// database is.
    static REQUEST_STORE: Store;
}

/// Middleware: makes the request's store known to `ServerFailure` while it is served.
pub async fn within_store(
    axum::extract::State(core): axum::extract::State<Arc<Core>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    REQUEST_STORE
        .scope(core.store().clone(), next.run(request))
        .await
}
