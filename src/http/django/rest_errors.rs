//! How dj-rest-auth's serializers word refusals: DRF's field checks (`required`, `blank`), and
//! the core's account violations under the field the serializer reports them on.

use axum::http::StatusCode;
use axum::response::Response;

use super::body::Fields;
use super::{detail, field_errors, server_failure};
use crate::core::Error;
use crate::core::accounts::{Field, Violation};

pub const REQUIRED: &str = "This field is required.";
pub const BLANK: &str = "This field may not be blank.";
/// Django's `UnicodeUsernameValidator`.
pub const INVALID_USERNAME: &str = "Enter a valid username. This value may contain only \
                                    letters, numbers, and @/./+/-/_ characters.";

/// Field errors collected in the serializer's field order, as DRF reports them all at once.
#[derive(Default)]
pub struct Checks {
    errors: Vec<(&'static str, String)>,
}

impl Checks {
    /// A required `CharField`: absent is required, nothing but spaces is blank. Text fields
    /// come back trimmed, as DRF trims them.
    pub fn text(&mut self, fields: &Fields, name: &'static str) -> Option<String> {
        self.present(fields, name).map(|v| v.trim().to_string())
    }

    /// A required password field: checked as [`Checks::text`], but kept as typed (spaces may
    /// belong to a password).
    pub fn secret(&mut self, fields: &Fields, name: &'static str) -> Option<String> {
        self.present(fields, name).map(str::to_string)
    }

    fn present<'a>(&mut self, fields: &'a Fields, name: &'static str) -> Option<&'a str> {
        match fields.get(name) {
            None => self.add(name, REQUIRED),
            Some(value) if value.trim().is_empty() => self.add(name, BLANK),
            Some(value) => return Some(value),
        }
        None
    }

    pub fn add(&mut self, field: &'static str, message: &str) {
        self.errors.push((field, message.to_string()));
    }

    /// `Ok` if every field passed, else DRF's 400 with every field's errors.
    pub fn finish(self) -> Result<(), Response> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(field_errors(&self.errors))
        }
    }
}

pub fn non_field(message: &str) -> Response {
    field_errors(&[("non_field_errors", message.to_string())])
}

/// An account error worded per field; `password_field` names the field the new password's
/// faults are reported on (`new_password2` for Django's `SetPasswordForm`).
pub fn account_error(error: &Error, password_field: &'static str) -> Response {
    match error {
        Error::Invalid(violations) => {
            // A wrong old password is a field error of its own; DRF stops there, before the
            // new password is validated.
            let wrong_old = violations
                .iter()
                .filter(|v| matches!(v, Violation::CurrentPasswordRequired { .. }))
                .collect::<Vec<_>>();
            let shown = if wrong_old.is_empty() {
                violations.iter().collect()
            } else {
                wrong_old
            };
            field_errors(
                &shown
                    .into_iter()
                    .map(|v| violation(v, password_field))
                    .collect::<Vec<_>>(),
            )
        }
        Error::PasswordRequired => field_errors(&[(password_field, REQUIRED.into())]),
        Error::FieldNotAllowed(_) | Error::NotPermitted => detail(
            StatusCode::FORBIDDEN,
            "You do not have permission to perform this action.",
        ),
        e @ (Error::Flooded { .. }
        | Error::Overloaded { .. }
        | Error::Store(_)
        | Error::Password(_)) => server_failure(e),
        e @ (Error::RegistrationClosed
        | Error::PasswordNotAllowed
        | Error::BadCredentials
        | Error::AccountInactive
        | Error::SecondFactorRequired
        | Error::SecondFactorInvalid
        | Error::LoginTokenInvalid
        | Error::MfaAlreadyEnrolled
        | Error::MfaNotEnrolled
        | Error::Passkey(_)
        | Error::NoSuchAccount
        | Error::LinkExpired
        | Error::LinkInvalid) => non_field(&e.to_string()),
    }
}

pub fn violation(violation: &Violation, password_field: &'static str) -> (&'static str, String) {
    use Violation::*;
    let text = |s: &str| s.to_string();
    match violation {
        NameMissing => ("username", text(REQUIRED)),
        NameLeadingSpace => ("username", text("The username cannot begin with a space.")),
        NameTrailingSpace => ("username", text("The username cannot end with a space.")),
        NameMultipleSpaces => (
            "username",
            text("The username cannot contain multiple spaces in a row."),
        ),
        NameInvalidCharacter | NameInvisibleCharacter => ("username", text(INVALID_USERNAME)),
        NameMixedScripts => (
            "username",
            text("The username mixes Latin, Greek or Cyrillic letters, as look-alike names do."),
        ),
        // The dialect creates and renames under Django's rules: 150 characters.
        NameTooLong { .. } => (
            "username",
            text("Ensure this field has no more than 150 characters."),
        ),
        NameTaken { .. } => (
            "username",
            text("A user with that username already exists."),
        ),
        MailMissing => ("email", text(REQUIRED)),
        MailTooLong => (
            "email",
            text("Ensure this field has no more than 254 characters."),
        ),
        MailInvalid => ("email", text("Enter a valid email address.")),
        MailTaken { .. } => (
            "email",
            text("A user is already registered with this e-mail address."),
        ),
        PasswordMissing => (password_field, text(REQUIRED)),
        PasswordTooLong => (
            password_field,
            text("Ensure this field has no more than 512 bytes."),
        ),
        // Django's default AUTH_PASSWORD_VALIDATORS, in their words.
        PasswordTooSimilar { to } => (
            password_field,
            format!(
                "The password is too similar to the {}.",
                if *to == Field::Mail {
                    "email address"
                } else {
                    "username"
                }
            ),
        ),
        PasswordTooShort { min } => (
            password_field,
            format!(
                "This password is too short. It must contain at least {min} character{}.",
                if *min == 1 { "" } else { "s" }
            ),
        ),
        PasswordTooCommon => (password_field, text("This password is too common.")),
        PasswordEntirelyNumeric => (password_field, text("This password is entirely numeric.")),
        CurrentPasswordRequired { .. } => (
            "old_password",
            text("Your old password was entered incorrectly. Please enter it again."),
        ),
        RoleInvalid { role } => ("non_field_errors", format!("{role} is not a valid role.")),
        // Django's ChoiceField wording.
        TimeZoneInvalid => ("timezone", text("Select a valid choice.")),
        LanguageInvalid => ("language", text("Select a valid choice.")),
    }
}
