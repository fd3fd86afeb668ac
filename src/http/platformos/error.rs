//! Errors in the one shape this dialect uses, ActiveModel's: `{"errors": {"<field>":
//! ["<message>"], …}}`, with problems that belong to no field under `"base"`.

use axum::Json;
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::MEDIA_TYPE;
use crate::core::Error as CoreError;
use crate::core::accounts::{Field, Violation};
use crate::core::flood::FloodScope;
use crate::core::passkeys::PasskeyError;
use crate::http::failure::PASSKEY_REQUIRED;
use crate::http::{ServerFailure, retry_after_header};

pub const BASE: &str = "base";
pub const BLANK: &str = "can't be blank";

#[derive(Debug)]
pub struct PosError {
    status: StatusCode,
    errors: Vec<(String, String)>,
    retry_after: Option<u32>,
}

impl PosError {
    /// One problem with the request as a whole.
    pub fn base(status: StatusCode, message: impl Into<String>) -> Self {
        Self::field(status, BASE, message)
    }

    pub fn field(status: StatusCode, field: &str, message: impl Into<String>) -> Self {
        Self::fields(status, vec![(field.to_string(), message.into())])
    }

    pub fn fields(status: StatusCode, errors: Vec<(String, String)>) -> Self {
        Self {
            status,
            errors,
            retry_after: None,
        }
    }

    /// 422: the values break the form's rules.
    pub fn invalid(errors: Vec<(String, String)>) -> Self {
        Self::fields(StatusCode::UNPROCESSABLE_ENTITY, errors)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::base(StatusCode::UNAUTHORIZED, message)
    }

    fn with_retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// A failure on the server's side, as `ServerFailure` decided it.
    pub fn server(failure: ServerFailure) -> Self {
        let error = Self::base(failure.status, failure.message);
        match failure.retry_after {
            Some(seconds) => error.with_retry_after(seconds),
            None => error,
        }
    }

    /// The core's refusals that every action can meet: floods, overload, server faults.
    pub fn from_core(error: &CoreError) -> Self {
        match error {
            CoreError::Flooded { scope, retry_after } => {
                let what = match scope {
                    FloodScope::Ip => "failed logins from this IP address",
                    FloodScope::Account { .. } => "failed logins for this account",
                    FloodScope::PasswordRequestIp => "password reset requests from this IP address",
                };
                Self::base(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("Too many {what}. Try again in {retry_after} seconds."),
                )
                .with_retry_after(retry_after_header(*retry_after))
            }
            CoreError::Invalid(violations) => Self::invalid(
                violations
                    .iter()
                    .map(|v| (violation_key(v).to_string(), violation_text(v)))
                    .collect(),
            ),
            CoreError::PasswordRequired => {
                Self::field(StatusCode::UNPROCESSABLE_ENTITY, "password", BLANK)
            }
            CoreError::PasswordNotAllowed => Self::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "password",
                "must be left out: this server mails a link with which the new user chooses \
                 a password",
            ),
            CoreError::FieldNotAllowed(field) => Self::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                field_key(*field),
                "can only be changed by an administrator",
            ),
            CoreError::NotPermitted => Self::base(
                StatusCode::FORBIDDEN,
                "You may only change your own account.",
            ),
            CoreError::NoSuchAccount => Self::base(StatusCode::NOT_FOUND, "No such user."),
            CoreError::SecondFactorRequired => Self::base(
                StatusCode::UNAUTHORIZED,
                "This account uses a second factor: send the 6-digit code of its authenticator \
                 app (or a recovery code) as form[code] with the email and password, or log in \
                 with POST /latch/login.",
            ),
            CoreError::SecondFactorInvalid => Self::base(
                StatusCode::UNAUTHORIZED,
                "The second-factor code is wrong, expired or was already used. Send a current \
                 code of the authenticator app, or an unused recovery code, as form[code].",
            ),
            CoreError::Passkey(PasskeyError::Required) => {
                Self::base(StatusCode::UNAUTHORIZED, PASSKEY_REQUIRED)
            }
            CoreError::RegistrationClosed => Self::base(
                StatusCode::FORBIDDEN,
                "Registration is closed: only administrators can create accounts.",
            ),
            // Failures on the server's side; and refusals the session and password actions
            // word themselves, so that reaching here is a fault.
            CoreError::Overloaded { .. }
            | CoreError::Store(_)
            | CoreError::Password(_)
            | CoreError::BadCredentials
            | CoreError::AccountInactive
            | CoreError::LoginTokenInvalid
            | CoreError::MfaAlreadyEnrolled
            | CoreError::MfaNotEnrolled
            | CoreError::Passkey(_)
            | CoreError::LinkExpired
            | CoreError::LinkInvalid => Self::server(ServerFailure::from_core(error)),
        }
    }
}

impl IntoResponse for PosError {
    fn into_response(self) -> Response {
        let mut errors = Map::new();
        for (field, message) in self.errors {
            let list = errors
                .entry(field)
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = list
                && !list.iter().any(|m| m.as_str() == Some(message.as_str()))
            {
                list.push(Value::String(message));
            }
        }
        let mut body = Map::new();
        body.insert("errors".into(), Value::Object(errors));
        let mut response = (self.status, Json(Value::Object(body))).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
        if let Some(seconds) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The form field a core field is submitted as.
pub fn field_key(field: Field) -> &'static str {
    match field {
        Field::Name => "name",
        Field::Mail => "email",
        Field::Password => "password",
        Field::Roles | Field::State => BASE,
        Field::TimeZone => "time_zone",
        Field::Language => "language",
    }
}

/// The form field a violation is reported under.
pub fn violation_key(violation: &Violation) -> &'static str {
    match violation {
        Violation::CurrentPasswordRequired { .. } => "current_password",
        other => field_key(other.field()),
    }
}

/// A violation in ActiveModel's words, which follow the field name.
pub fn violation_text(violation: &Violation) -> String {
    use Violation::*;
    match violation {
        NameMissing | MailMissing | PasswordMissing => BLANK.into(),
        NameLeadingSpace => "can't begin with a space".into(),
        NameTrailingSpace => "can't end with a space".into(),
        NameMultipleSpaces => "can't contain multiple spaces in a row".into(),
        NameInvalidCharacter => "contains a character that is not allowed".into(),
        NameInvisibleCharacter => {
            "contains an invisible, control or text-direction character".into()
        }
        NameMixedScripts => "mixes Latin, Greek or Cyrillic letters, as look-alike names do".into(),
        NameTooLong { .. } => "is too long (maximum is 60 characters)".into(),
        NameTaken { .. } | MailTaken { .. } => "has already been taken".into(),
        MailTooLong => "is too long (maximum is 254 characters)".into(),
        MailInvalid => "is not a valid email".into(),
        PasswordTooLong => "is too long (maximum is 512 bytes)".into(),
        PasswordTooShort { min } => format!("is too short (minimum is {min} characters)"),
        PasswordTooCommon => "is one of the most common passwords; choose another".into(),
        PasswordTooSimilar { to } => format!("is too similar to the {}", field_key(*to)),
        PasswordEntirelyNumeric => "cannot be only digits".into(),
        CurrentPasswordRequired { field } => format!(
            "must be given, and be the account's current password, to change the {}",
            field_key(*field)
        ),
        RoleInvalid { role } => format!("{role} is not a valid role"),
        TimeZoneInvalid => "is not a known time zone".into(),
        LanguageInvalid => "is not a known language".into(),
    }
}
