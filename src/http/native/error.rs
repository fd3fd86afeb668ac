//! The native API's error: a status and `{"message": …}` that says what to do next.

use axum::Json;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::core::Error as CoreError;
use crate::core::passkeys::PasskeyError;
use crate::http::{ServerFailure, retry_after_header};

#[derive(Debug)]
pub struct NativeError {
    pub status: StatusCode,
    pub message: String,
    pub retry_after: Option<u32>,
}

impl NativeError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn server(failure: ServerFailure) -> Self {
        Self {
            status: failure.status,
            message: failure.message,
            retry_after: failure.retry_after,
        }
    }

    pub fn from_core(error: &CoreError) -> Self {
        match error {
            CoreError::RegistrationClosed
            | CoreError::NotPermitted
            | CoreError::FieldNotAllowed(_) => Self::new(StatusCode::FORBIDDEN, error.to_string()),
            CoreError::Invalid(_) | CoreError::PasswordRequired | CoreError::PasswordNotAllowed => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, error.to_string())
            }
            CoreError::BadCredentials
            | CoreError::AccountInactive
            | CoreError::SecondFactorInvalid
            | CoreError::LoginTokenInvalid => {
                Self::new(StatusCode::UNAUTHORIZED, error.to_string())
            }
            CoreError::SecondFactorRequired => Self::new(
                StatusCode::UNAUTHORIZED,
                "This account uses a second factor: send its code as \"code\", or log in with \
                 POST /latch/login and finish with POST /latch/login/mfa.",
            ),
            CoreError::MfaAlreadyEnrolled | CoreError::MfaNotEnrolled => {
                Self::new(StatusCode::CONFLICT, error.to_string())
            }
            CoreError::NoSuchAccount => Self::new(StatusCode::NOT_FOUND, error.to_string()),
            CoreError::Passkey(refusal) => Self::new(passkey_status(refusal), error.to_string()),
            CoreError::LinkExpired | CoreError::LinkInvalid => {
                Self::new(StatusCode::FORBIDDEN, error.to_string())
            }
            CoreError::Flooded { retry_after, .. } => Self {
                retry_after: Some(retry_after_header(*retry_after)),
                ..Self::new(StatusCode::TOO_MANY_REQUESTS, error.to_string())
            },
            CoreError::Overloaded { .. } | CoreError::Store(_) | CoreError::Password(_) => {
                Self::server(ServerFailure::from_core(error))
            }
        }
    }

    /// The status and retry hint alone, for `/latch/verify`, whose callers are proxies that
    /// read no body.
    pub fn bare(self) -> Response {
        let mut response = self.status.into_response();
        self.add_retry_after(&mut response);
        response
    }

    fn add_retry_after(&self, response: &mut Response) {
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
    }
}

fn passkey_status(refusal: &PasskeyError) -> StatusCode {
    match refusal {
        PasskeyError::Unavailable | PasskeyError::NotFound => StatusCode::NOT_FOUND,
        PasskeyError::CeremonyInvalid
        | PasskeyError::WrongAccount
        | PasskeyError::Malformed(_)
        | PasskeyError::RegistrationRejected(_) => StatusCode::BAD_REQUEST,
        PasskeyError::Rejected | PasskeyError::Required => StatusCode::UNAUTHORIZED,
        PasskeyError::AlreadyRegistered => StatusCode::CONFLICT,
    }
}

impl IntoResponse for NativeError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({"message": self.message}))).into_response();
        self.add_retry_after(&mut response);
        response
    }
}
