//! `POST P/user/register` (and `POST P/user`), `POST P/user/request_new_password` and
//! `GET P/user/{uid}`.

use axum::http::StatusCode;
use secrecy::SecretString;
use serde_json::{Map, Value, json};

use super::account::{role_name, user_object};
use super::error::ServicesError;
use super::{Call, Reply, argument, placeholder};
use crate::core::accounts::{AccountState, Field, Violation};
use crate::core::{AccountLookup, Error as CoreError, Registrar, Registration, SentPassword, now};
use crate::http::drupal::field_name;
use crate::http::openapi::services as api;

/// Creates an account: visitors under the registration policy, administrators always. Mail
/// goes to the outbox, so the answer never waits for a mail server.
#[utoipa::path(
    post, path = "/rest/user/register", tag = "Drupal 7 Services",
    summary = "Register an account (also `POST …/user`)",
    description = "As `registration.mode` allows; administrators always. Without verification \
        or approval the new account is logged in (a session cookie is set).",
    params(("X-CSRF-Token" = Option<String>, Header, description = "With a session cookie: the token of `user/token` or `GET /services/session/token` (or send it as `services_token`).")),
    request_body(content((api::ServicesAccount = "application/json"), (api::ServicesAccount = "application/x-www-form-urlencoded"))),
    security((), ("session_cookie" = [])),
    responses(
        (status = 200, description = "The new account", body = api::ServicesRegistered,
            headers(("Set-Cookie" = String, description = "The session cookie, when logged in."))),
        (status = 401, description = "A missing or wrong CSRF token",
            body = api::ServicesError),
        (status = 403, description = "Registration closed, or a logged-in non-administrator",
            body = api::ServicesError),
        (status = 406, description = "Form errors by field (each required one for an empty \
            body), or an unsupported format",
            body = api::ServicesError),
    )
)]
pub async fn register(call: Call) -> Result<Reply, ServicesError> {
    let core = &call.state.core;
    let administrator = match &call.visitor.session {
        Some(session) if session.account.is_administrator() => true,
        Some(session) => return Err(ServicesError::access_denied(Some(&session.account.name))),
        None => false,
    };
    let terms = core.registration_terms(administrator);
    if !terms.allowed {
        return Err(ServicesError::access_denied(None));
    }
    let fields = match call.data.get("account") {
        Some(Value::Object(account)) => account.clone(),
        _ => call.data.clone(),
    };
    if fields.is_empty() {
        // Drupal 7 validates the empty form: each required element says so.
        let mut errors = Map::new();
        errors.insert("name".into(), json!("Username field is required."));
        errors.insert("mail".into(), json!("E-mail address field is required."));
        if terms.password == SentPassword::Kept {
            errors.insert("pass".into(), json!("Password field is required."));
        }
        return Err(ServicesError::form_errors(errors));
    }
    let mail = argument(&fields, "mail").filter(|m| !m.is_empty());
    let mut password = password(&fields)?;
    // Drupal 7 ignores a visitor's password when it verifies addresses: a random one is set
    // and the holder logs in through the mailed link.
    if terms.password == SentPassword::SetThroughMailedLink {
        password = None;
    }
    let mut registration = Registration {
        name: argument(&fields, "name").unwrap_or_default(),
        mail: mail.clone(),
        password: password.map(SecretString::from),
        ..Registration::default()
    };
    // Visitors cannot see the status, roles and notify elements, so Drupal drops them.
    let registrar = if administrator {
        registration.state = argument(&fields, "status").map(|s| {
            if s == "0" {
                AccountState::Blocked
            } else {
                AccountState::Active
            }
        });
        registration.roles = roles(fields.get("roles"));
        let notify = matches!(fields.get("notify"), Some(Value::Bool(true)))
            || argument(&fields, "notify").is_some_and(|n| n != "0" && !n.is_empty());
        Registrar::Administrator { notify }
    } else {
        Registrar::Visitor
    };
    let account = core
        .register_from(registration, registrar, &call.visitor.client)
        .await
        .map_err(|e| match e {
            CoreError::Invalid(violations) => form_errors(&violations, mail.as_deref()),
            CoreError::PasswordRequired | CoreError::PasswordNotAllowed => {
                one_form_error("pass", "Password field is required.")
            }
            other => other.into(),
        })?;
    let state = &call.state;
    let uri = format!(
        "{}/{}/user/{}",
        state.public_url.trim_end_matches('/'),
        call.settings.endpoint,
        account.id
    );
    let uid = account.id.to_string();
    let mut reply = Reply::new(json!({ "uid": uid, "uri": uri }));
    // Without verification or approval Drupal 7 logs the new visitor in.
    if terms.signs_in(&account) {
        let logged_in = core
            .open_session(account, &call.visitor.client, None, None)
            .await?;
        let cookie = state.cookies.issue(
            &call.headers,
            &logged_in.session_id,
            logged_in.expires_at - now(),
        );
        reply = reply.with_cookie(cookie);
    }
    Ok(reply)
}

/// `pass` as a string, or as the confirm widget's `{"pass1": …, "pass2": …}`.
fn password(fields: &Map<String, Value>) -> Result<Option<String>, ServicesError> {
    match fields.get("pass") {
        Some(Value::Object(pair)) => {
            let first = argument(pair, "pass1").unwrap_or_default();
            let second = argument(pair, "pass2").unwrap_or_default();
            if first != second {
                return Err(one_form_error(
                    "pass",
                    "The specified passwords do not match.",
                ));
            }
            Ok(Some(first).filter(|p| !p.is_empty()))
        }
        _ => Ok(argument(fields, "pass").filter(|p| !p.is_empty())),
    }
}

/// Roles as `{"<rid>": "<rid>"}`, `{"editor": "editor"}` or a list of names.
fn roles(value: Option<&Value>) -> Vec<String> {
    let pairs: Vec<(String, String)> = match value {
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or(k).to_string()))
            .collect(),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(|s| (s.to_string(), s.to_string()))
            .collect(),
        _ => Vec::new(),
    };
    pairs
        .iter()
        .filter_map(|(key, label)| role_name(key, label))
        .collect()
}

fn one_form_error(field: &str, message: &str) -> ServicesError {
    let mut errors = Map::new();
    errors.insert(field.into(), json!(message));
    ServicesError::form_errors(errors)
}

/// The first problem with each field, in Drupal 7's words.
fn form_errors(violations: &[Violation], mail: Option<&str>) -> ServicesError {
    let mut errors = Map::new();
    for violation in violations {
        let key = field_name(violation.field());
        if !errors.contains_key(key) {
            errors.insert(key.into(), json!(violation_text(violation, mail)));
        }
    }
    ServicesError::form_errors(errors)
}

fn violation_text(violation: &Violation, mail: Option<&str>) -> String {
    match violation {
        Violation::NameMissing => "Username field is required.".into(),
        Violation::NameLeadingSpace => "The username cannot begin with a space.".into(),
        Violation::NameTrailingSpace => "The username cannot end with a space.".into(),
        Violation::NameMultipleSpaces => {
            "The username cannot contain multiple spaces in a row.".into()
        }
        Violation::NameInvalidCharacter => "The username contains an illegal character.".into(),
        Violation::NameInvisibleCharacter => {
            "The username contains an invisible, control or text-direction character.".into()
        }
        Violation::NameMixedScripts => {
            "The username mixes Latin, Greek or Cyrillic letters, as look-alike names do.".into()
        }
        Violation::NameTooLong { name } => format!(
            "The username {} is too long: it must be 60 characters or less.",
            placeholder(name)
        ),
        Violation::NameTaken { name } => {
            format!("The name {} is already taken.", placeholder(name))
        }
        Violation::MailMissing => "E-mail address field is required.".into(),
        Violation::MailTooLong => "E-mail address cannot be longer than 254 characters.".into(),
        Violation::MailInvalid => format!(
            "The e-mail address {} is not valid.",
            placeholder(mail.unwrap_or_default())
        ),
        Violation::MailTaken { mail } => format!(
            "The e-mail address {} is already registered. <a href=\"/user/password\">Have you \
             forgotten your password?</a>",
            placeholder(mail)
        ),
        Violation::PasswordMissing => "Password field is required.".into(),
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
                "e-mail address"
            } else {
                "username"
            }
        ),
        Violation::PasswordEntirelyNumeric => "The password cannot consist of digits only.".into(),
        Violation::CurrentPasswordRequired { .. } => {
            "Your current password is missing or incorrect.".into()
        }
        Violation::RoleInvalid { .. } | Violation::TimeZoneInvalid | Violation::LanguageInvalid => {
            "An illegal choice has been detected. Please contact the site administrator.".into()
        }
    }
}

/// `POST P/user/request_new_password` `{"name": "<name or mail>"}`: `[true]` whether or not
/// an active account matched, so the endpoint reveals nothing; the mail goes to the outbox.
#[utoipa::path(
    post, path = "/rest/user/request_new_password", tag = "Drupal 7 Services",
    summary = "Mail a one-time login link", description = "Answers in JSON, or XML for a `.xml` suffix or `Accept: application/xml`; a `.json` suffix is accepted too.",
    params(("X-CSRF-Token" = Option<String>, Header, description = "With a session cookie: the token of `user/token` or `GET /services/session/token` (or send it as `services_token`).")),
    request_body(content((api::ServicesNameOrMail = "application/json"), (api::ServicesNameOrMail = "application/x-www-form-urlencoded"))),
    security((), ("session_cookie" = [])),
    responses(
        (status = 200, description = "`[true]`, whether or not an account matched", body = api::ServicesTrue),
        (status = 401, description = "No name, or a missing or wrong CSRF token", body = api::ServicesError),
        (status = 406, description = "Too many requests from the address (with Retry-After), or an \
            unsupported format", body = api::ServicesError,
            headers(("Retry-After" = u32, description = "Seconds until the block lifts."))),
    )
)]
pub async fn request_new_password(call: Call) -> Result<Reply, ServicesError> {
    let name = call
        .argument("name")
        .ok_or_else(|| ServicesError::missing_argument("name"))?;
    call.state
        .core
        .request_password_reset(
            AccountLookup::NameOrMail(name.trim().to_string()),
            &call.visitor.client,
        )
        .await?;
    Ok(Reply::new(Value::Bool(true)))
}

/// `GET P/user/{uid}`: one's own account, or any for administrators.
#[utoipa::path(
    get, path = "/rest/user/{uid}", tag = "Drupal 7 Services",
    summary = "An account", description = "Answers in JSON, or XML for a `.xml` suffix or `Accept: application/xml`; a `.json` suffix is accepted too.",
    params(("uid" = i64, Path, minimum = 1)),
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The account", body = api::ServicesUser),
        (status = 403, description = "No session, or another's account without the permission",
            body = api::ServicesError),
        (status = 404, description = "No such account", body = api::ServicesError),
        (status = 406, description = "An unsupported format suffix or `Accept` (empty body)"),
    )
)]
pub async fn retrieve(call: Call, uid: &str) -> Result<Reply, ServicesError> {
    let Some(session) = &call.visitor.session else {
        return Err(ServicesError::access_denied(None));
    };
    let not_found = || {
        ServicesError::new(
            StatusCode::NOT_FOUND,
            format!("There is no user with ID {uid}."),
        )
    };
    let id = uid
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(not_found)?;
    let viewer = &session.account;
    let account = call
        .state
        .core
        .account_for(viewer, id)
        .await
        .map_err(|e| match e {
            CoreError::NotPermitted => ServicesError::access_denied(Some(&viewer.name)),
            CoreError::NoSuchAccount => not_found(),
            other => other.into(),
        })?;
    Ok(Reply::new(user_object(&account, viewer.is_administrator())))
}
