//! Errors in Drupal's shape: `{"message": "…"}` with Drupal's status codes and texts, plus a
//! `hint` naming the next step where Drupal leaves clients guessing.

use axum::Json;
use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::core::Error as CoreError;
use crate::core::accounts::{Field, Violation};
use crate::core::flood::FloodScope;
use crate::core::passkeys::PasskeyError;
use crate::http::failure::PASSKEY_REQUIRED;
use crate::http::{ServerFailure, SessionLookupFailed, retry_after_header};

const RESET_HINT: &str = "Ask for a new link with POST /user/password?_format=json and \
     {\"mail\": \"…\"}; a link works once, for one day, and not after the password changes.";

/// Drupal's password form's answer to an address past `user.password_request_ip`.
const PASSWORD_REQUEST_BLOCKED: &str = "Too many password recovery requests from your IP \
     address. It is temporarily blocked. Try again later or contact the site administrator.";

#[derive(Debug)]
pub struct DrupalError {
    status: StatusCode,
    body: Map<String, Value>,
    retry_after: Option<u32>,
}

impl DrupalError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        let mut body = Map::new();
        body.insert("message".into(), Value::String(message.into()));
        Self {
            status,
            body,
            retry_after: None,
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn message(&self) -> &str {
        self.body
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn with_hint(self, hint: impl Into<String>) -> Self {
        self.with("hint", Value::String(hint.into()))
    }

    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.body.insert(key.into(), value);
        self
    }

    /// 422 with Drupal's violation list: one `field: message` line per problem.
    pub fn unprocessable(violations: &[Violation]) -> Self {
        let mut message = String::from("Unprocessable Entity: validation failed.\n");
        for violation in violations {
            message.push_str(&format!(
                "{}: {}\n",
                field_name(violation.field()),
                violation_text(violation)
            ));
        }
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    /// A failure on the server's side, as `ServerFailure` decided it.
    pub fn server(failure: ServerFailure) -> Self {
        let mut e = Self::new(failure.status, failure.message);
        e.retry_after = failure.retry_after;
        e
    }

    /// Maps the core's answers that read the same at every endpoint.
    pub fn from_core(error: CoreError) -> Self {
        match error {
            CoreError::Invalid(violations) => Self::unprocessable(&violations),
            CoreError::RegistrationClosed => Self::forbidden("You cannot register a new user account.")
                .with_hint("Registration is open to administrators only on this site."),
            CoreError::PasswordRequired => Self::new(StatusCode::UNPROCESSABLE_ENTITY, "No password provided.")
                .with_hint("Send the password as \"pass\": {\"value\": \"…\"}."),
            CoreError::PasswordNotAllowed => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "A Password cannot be specified. It will be generated on login.",
            )
            .with_hint("This site verifies e-mail addresses: register without \"pass\" and follow the mailed link."),
            CoreError::BadCredentials => Self::bad_request("Sorry, unrecognized username or password."),
            CoreError::AccountInactive => Self::bad_request("The user has not been activated or is blocked."),
            CoreError::SecondFactorRequired => Self::bad_request(
                "This account uses a second factor: send the 6-digit code of its authenticator app (or a recovery code) as \"code\" with name and pass, or log in with POST /latch/login.",
            ),
            CoreError::SecondFactorInvalid => Self::bad_request(
                "The second-factor code is wrong, expired or was already used. Send a current code of the authenticator app, or an unused recovery code, as \"code\".",
            ),
            CoreError::Passkey(PasskeyError::Required) => Self::bad_request(PASSKEY_REQUIRED),
            CoreError::Passkey(_) => Self::bad_request(error.to_string()),
            CoreError::LoginTokenInvalid | CoreError::MfaAlreadyEnrolled | CoreError::MfaNotEnrolled => {
                Self::bad_request(error.to_string())
            }
            CoreError::NoSuchAccount => Self::new(StatusCode::NOT_FOUND, "The requested user could not be found."),
            CoreError::NotPermitted => Self::forbidden(
                "Users can only update their own account, unless they have the 'administer users' permission.",
            ),
            // Drupal's texts; the hint names the way to a fresh link.
            CoreError::LinkExpired => Self::forbidden(
                "You have tried to use a one-time login link that has expired. Please request a new one using the form below.",
            )
            .with_hint(RESET_HINT),
            CoreError::LinkInvalid => Self::forbidden(
                "You have tried to use a one-time login link that has either been used or is no longer valid. Please request a new one using the form below.",
            )
            .with_hint(RESET_HINT),
            CoreError::FieldNotAllowed(field) => {
                Self::forbidden(format!("Access denied on updating field '{}'.", field_name(field)))
            }
            CoreError::Flooded { scope, retry_after } => {
                let message = match scope {
                    FloodScope::Ip => "Access is blocked because of IP based flood prevention.".to_string(),
                    FloodScope::Account { uid_only: false, .. } => "Too many failed login attempts from your IP address. This IP address is temporarily blocked.".to_string(),
                    FloodScope::Account { uid_only: true, limit } => format!(
                        "There have been more than {limit} failed login attempts for this account. It is temporarily blocked. Try again later or request a new password."
                    ),
                    // Drupal's password form says this as a 400 validation error.
                    FloodScope::PasswordRequestIp => {
                        let mut e = Self::bad_request(PASSWORD_REQUEST_BLOCKED).with_hint(format!(
                            "Too many password reset requests; the block lifts by itself. Retry in {retry_after} seconds (see Retry-After)."
                        ));
                        e.retry_after = Some(retry_after_header(retry_after));
                        return e;
                    }
                };
                let mut e = Self::forbidden(message).with_hint(format!(
                    "Too many failed logins; the block lifts by itself. Retry in {retry_after} seconds (see Retry-After)."
                ));
                e.retry_after = Some(retry_after_header(retry_after));
                e
            }
            CoreError::Overloaded { .. } | CoreError::Store(_) | CoreError::Password(_) => {
                Self::server(ServerFailure::from_core(&error))
            }
        }
    }
}

impl From<CoreError> for DrupalError {
    fn from(error: CoreError) -> Self {
        Self::from_core(error)
    }
}

impl From<SessionLookupFailed> for DrupalError {
    fn from(failure: SessionLookupFailed) -> Self {
        Self::from_core(failure.0)
    }
}

impl IntoResponse for DrupalError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(Value::Object(self.body))).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// Drupal's field machine names.
pub fn field_name(field: Field) -> &'static str {
    match field {
        Field::Name => "name",
        Field::Mail => "mail",
        Field::Password => "pass",
        Field::Roles => "roles",
        Field::State => "status",
        Field::TimeZone => "timezone",
        Field::Language => "preferred_langcode",
    }
}

/// Drupal's `AllowedValues` constraint, for a time zone or language it does not offer.
const CHOICE: &str = "The value you selected is not a valid choice.";
const INVISIBLE: &str = "The username contains an invisible, control or text-direction character.";
const MIXED_SCRIPTS: &str =
    "The username mixes Latin, Greek or Cyrillic letters, as look-alike names do.";

/// Drupal 8+'s texts for each violation (Drupal has none for the Unicode rules latch adds).
fn violation_text(violation: &Violation) -> String {
    match violation {
        Violation::NameMissing => "You must enter a username.".into(),
        Violation::NameLeadingSpace => "The username cannot begin with a space.".into(),
        Violation::NameTrailingSpace => "The username cannot end with a space.".into(),
        Violation::NameMultipleSpaces => {
            "The username cannot contain multiple spaces in a row.".into()
        }
        Violation::NameInvalidCharacter => "The username contains an illegal character.".into(),
        Violation::NameInvisibleCharacter => INVISIBLE.into(),
        Violation::NameMixedScripts => MIXED_SCRIPTS.into(),
        Violation::NameTooLong { name } => {
            format!("The username {name} is too long: it must be 60 characters or less.")
        }
        Violation::NameTaken { name } => format!("The username {name} is already taken."),
        Violation::MailMissing => "Email field is required.".into(),
        Violation::MailTooLong => {
            "Email: the email address can not be longer than 254 characters.".into()
        }
        Violation::MailInvalid => "This value is not a valid email address.".into(),
        Violation::MailTaken { mail } => format!("The email address {mail} is already taken."),
        Violation::PasswordMissing => "The password cannot be empty.".into(),
        Violation::PasswordTooLong => "The password cannot be longer than 512 bytes.".into(),
        Violation::PasswordTooShort { min } => {
            format!("The password must be at least {min} characters long.")
        }
        Violation::PasswordTooCommon => {
            "The password is one of the most common passwords. Choose another.".into()
        }
        Violation::PasswordTooSimilar { to } => format!(
            "The password is too similar to the {}. Choose another.",
            if *to == Field::Mail {
                "email address"
            } else {
                "username"
            }
        ),
        Violation::PasswordEntirelyNumeric => "The password cannot consist of digits only.".into(),
        Violation::CurrentPasswordRequired { field } => format!(
            "Your current password is missing or incorrect; it's required to change the {}.",
            match field {
                Field::Mail => "Email",
                _ => "Password",
            }
        ),
        Violation::RoleInvalid { role } => format!("The role {role} does not exist."),
        Violation::TimeZoneInvalid | Violation::LanguageInvalid => CHOICE.into(),
    }
}
