//! `auth/signup`: a new account under `registration.mode`, logged in where the policy lets a
//! visitor in at once.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use secrecy::SecretString;
use serde_json::json;

use super::auth::{INVALID_EMAIL, logged_in_answer};
use super::body::Input;
use super::caller::Caller;
use super::envelope::{
    self, FieldError, Pending, account_error, invalid, server_failure, status_only, unauthenticated,
};
use super::{AllauthState, Answer};
use crate::core::accounts::{NameRules, check_mail};
use crate::core::{Error, Registrar, Registration, SentPassword};
use crate::http::openapi::allauth as api;

/// `POST auth/signup`: `email`, `username`, `password`, as `registration.mode` allows. 200
/// with a session; 401 when the address must be confirmed first (`verify_email` pending) or an
/// administrator must approve the account.
#[utoipa::path(
    post, path = "/_allauth/{client}/v1/auth/signup", tag = "allauth",
    summary = "Sign up (allauth headless)",
    params(("client" = String, Path, description = "`browser` or `app`."), ("X-CSRFToken" = Option<String>, Header, description = "Browser client: the `csrftoken` cookie's value.")),
    request_body(content = api::AllauthSignup, content_type = "application/json"),
    responses(
        (status = 200, description = "Signed up and logged in", body = api::AllauthAuthenticated),
        (status = 400, description = "Field errors", body = api::AllauthErrors),
        (status = 401, description = "Created, not yet logged in", body = api::AllauthFlows),
        (status = 403, description = "Registration is closed, or a CSRF failure", body = api::AllauthStatus),
        (status = 409, description = "Already logged in", body = api::AllauthStatus),
    )
)]
pub async fn signup(
    State(state): State<AllauthState>,
    headers: HeaderMap,
    uri: Uri,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let input = caller.checked_input(&state, &headers, &uri, body)?;
    let fields = signup_fields(&state, &input)?;
    if caller.session.is_some() {
        return Err(status_only(StatusCode::CONFLICT));
    }
    let terms = state.core.registration_terms(false);
    if !terms.allowed {
        return Err(status_only(StatusCode::FORBIDDEN));
    }
    let registration = Registration {
        name: fields.username,
        mail: Some(fields.email.clone()),
        password: match terms.password {
            SentPassword::Kept => Some(fields.password),
            SentPassword::SetThroughMailedLink => None,
        },
        name_rules: NameRules::Django,
        ..Registration::default()
    };
    let account = state
        .core
        .register_from(registration, Registrar::Visitor, &caller.client)
        .await
        .map_err(|e| match e {
            Error::RegistrationClosed => status_only(StatusCode::FORBIDDEN),
            other => account_error(&other, "password"),
        })?;
    if terms.password == SentPassword::SetThroughMailedLink {
        return Ok(verification_pending(&state));
    }
    if !terms.signs_in(&account) {
        return Ok(unauthenticated(
            &state,
            StatusCode::UNAUTHORIZED,
            Some(false),
            None,
        ));
    }
    let logged_in = state
        .core
        .open_session(account, &caller.client, None, None)
        .await
        .map_err(|e| server_failure(&e))?;
    // allauth records no authentication method for a signup.
    logged_in_answer(&state, &caller, &logged_in, Vec::new()).await
}

struct SignupFields {
    email: String,
    username: String,
    password: SecretString,
}

/// The signup form's own checks, all reported at once: required fields, the address's
/// format and the password's rules.
fn signup_fields(state: &AllauthState, input: &Input) -> Result<SignupFields, Response> {
    let mut errors = Vec::new();
    let email = input.required("email", &mut errors);
    if email.as_deref().is_some_and(|m| check_mail(m).is_err()) {
        errors.push(FieldError::on("email", "invalid", INVALID_EMAIL));
    }
    let username = input.required("username", &mut errors);
    // Django's `CharField` trims passwords too; allauth stores them so.
    let password = input
        .required("password", &mut errors)
        .map(SecretString::from);
    if let Some(password) = &password {
        errors.extend(
            state
                .core
                .password_faults(password)
                .iter()
                .map(|v| envelope::violation_error(v, "password")),
        );
    }
    match (email, username, password) {
        (Some(email), Some(username), Some(password)) if errors.is_empty() => Ok(SignupFields {
            email,
            username,
            password,
        }),
        _ => Err(invalid(&errors)),
    }
}

/// 401 with `verify_email` pending: the account exists and its address must be confirmed
/// through the mailed link, which also sets the password.
fn verification_pending(state: &AllauthState) -> Response {
    let pending = Pending {
        flow: json!({"id": "verify_email", "is_pending": true}),
        token: None,
    };
    unauthenticated(state, StatusCode::UNAUTHORIZED, Some(false), Some(pending))
}
