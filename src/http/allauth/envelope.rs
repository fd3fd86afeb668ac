//! allauth's envelope: `{"status", "data", "meta"}` for answers, `{"status", "errors"}` for
//! refusals, and the authentication answers whose 401 lists the flows a client can take.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::http::header::{CACHE_CONTROL, EXPIRES, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::body::REQUIRED;
use super::{AllauthState, Client};
use crate::core::Error;
use crate::core::accounts::{Account, Violation};
use crate::http::ServerFailure;
use crate::http::django::rest_errors::violation as violation_text;

/// One entry of `errors`: allauth's `{"message", "code", "param"?}`.
#[derive(Debug, Clone)]
pub struct FieldError {
    pub message: String,
    pub code: &'static str,
    pub param: Option<&'static str>,
}

impl FieldError {
    pub fn on(param: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code,
            param: Some(param),
        }
    }

    /// An error of the whole input (Django's `__all__`), which carries no `param`.
    pub fn general(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code,
            param: None,
        }
    }

    fn to_json(&self) -> Value {
        let mut entry = Map::new();
        entry.insert("message".into(), Value::from(self.message.clone()));
        entry.insert("code".into(), Value::from(self.code));
        if let Some(param) = self.param {
            entry.insert("param".into(), Value::from(param));
        }
        Value::Object(entry)
    }
}

/// The answer with allauth's `add_never_cache_headers`.
pub fn respond(status: StatusCode, body: Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("max-age=0, no-cache, no-store, must-revalidate, private"),
    );
    headers.insert(EXPIRES, HeaderValue::from_static("0"));
    response
}

/// `{"status": 200, "data": …}`.
pub fn data(payload: Value) -> Response {
    respond(StatusCode::OK, json!({"status": 200, "data": payload}))
}

/// `{"status": N}`, allauth's answer for 200s without data, 403s and 409s.
pub fn status_only(status: StatusCode) -> Response {
    respond(status, json!({"status": status.as_u16()}))
}

/// A 400 listing field errors.
pub fn invalid(errors: &[FieldError]) -> Response {
    errors_with(StatusCode::BAD_REQUEST, errors)
}

/// `{"status": N, "errors": […]}`.
pub fn errors_with(status: StatusCode, errors: &[FieldError]) -> Response {
    let list: Vec<Value> = errors.iter().map(FieldError::to_json).collect();
    respond(status, json!({"status": status.as_u16(), "errors": list}))
}

/// allauth's `serialize_user`: empty values are left out.
pub fn user(account: &Account) -> Value {
    let mut user = json!({
        "id": account.id,
        "display": account.name,
        "has_usable_password": account.password_hash.is_some(),
        "username": account.name,
    });
    if let Some(mail) = account.mail.as_deref().filter(|m| !m.is_empty()) {
        user["email"] = Value::from(mail);
    }
    user
}

/// Seconds since the epoch with their fraction, as allauth's `at`.
pub fn timestamp() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// What `meta` carries: whether the client is logged in (`null` where allauth answers
/// without a user at hand: a stale app token, a second factor with no login waiting), and for
/// the app client the session token when the answer hands out a new one.
fn meta(client: Client, authenticated: Option<bool>, session_token: Option<&str>) -> Value {
    let mut meta = json!({"is_authenticated": authenticated});
    if client == Client::App
        && let Some(token) = session_token
    {
        meta["session_token"] = Value::from(token);
    }
    meta
}

/// 200 with the user and how they authenticated.
pub fn authenticated(
    state: &AllauthState,
    account: &Account,
    methods: Vec<Value>,
    session_token: Option<&str>,
) -> Response {
    respond(
        StatusCode::OK,
        json!({
            "status": 200,
            "data": {"user": user(account), "methods": methods},
            "meta": meta(state.client, Some(true), session_token),
        }),
    )
}

/// A flow the client is in the middle of, and for the app client a new token that carries it.
pub struct Pending<'a> {
    pub flow: Value,
    pub token: Option<&'a str>,
}

impl<'a> Pending<'a> {
    /// A login that waits for its second factor (`methods` are the core's) and the kinds of
    /// code it takes.
    pub fn second_factor(methods: &[&str], token: Option<&'a str>) -> Self {
        Self {
            flow: json!({"id": "mfa_authenticate", "is_pending": true, "types": mfa_types(methods)}),
            token,
        }
    }
}

/// 401 (or 410 for an app's session token that names no session) with the flows a client
/// can take from here.
pub fn unauthenticated(
    state: &AllauthState,
    status: StatusCode,
    authenticated: Option<bool>,
    pending: Option<Pending<'_>>,
) -> Response {
    let mut flows = vec![json!({"id": "login"})];
    if state.core.registration_terms(false).allowed {
        flows.push(json!({"id": "signup"}));
    }
    let mut token = None;
    if let Some(pending) = pending {
        flows.push(pending.flow);
        token = pending.token;
    }
    respond(
        status,
        json!({
            "status": status.as_u16(),
            "data": {"flows": flows},
            "meta": meta(state.client, authenticated, token),
        }),
    )
}

/// The second-factor kinds allauth names for the core's methods that `auth/2fa/authenticate`
/// takes, in allauth's order; a passkey is answered through latch's own API.
pub fn mfa_types(methods: &[&str]) -> Vec<&'static str> {
    let mut types = Vec::new();
    if methods.contains(&"recovery_code") {
        types.push("recovery_codes");
    }
    if methods.contains(&"totp") {
        types.push("totp");
    }
    types
}

/// A failure that is not the client's fault, or flood control: 429 with `Retry-After`, a 503
/// when hashing is overloaded, else a 500 worded generically (and logged once).
pub fn server_failure(error: &Error) -> Response {
    if let Error::Flooded { retry_after, .. } = error {
        let mut response = errors_with(
            StatusCode::TOO_MANY_REQUESTS,
            &[FieldError::general(
                "rate_limited",
                format!(
                    "Be patient, you are sending too many requests. Try again in {retry_after} \
                     seconds."
                ),
            )],
        );
        response.headers_mut().insert(
            RETRY_AFTER,
            HeaderValue::from(crate::http::retry_after_header(*retry_after)),
        );
        return response;
    }
    let failure = ServerFailure::from_core(error);
    let mut response = errors_with(
        failure.status,
        &[FieldError::general("server_error", failure.message)],
    );
    if let Some(seconds) = failure.retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// A method the route does not serve: Django's `View.http_method_not_allowed`, an empty 405,
/// here with the envelope so clients can read it.
pub async fn method_not_allowed() -> Response {
    errors_with(
        StatusCode::METHOD_NOT_ALLOWED,
        &[FieldError::general(
            "method_not_allowed",
            "This method is not allowed here; see the allauth headless API description at \
             /openapi.json.",
        )],
    )
}

/// An account rule a request broke, as allauth words it under its field; `password_field`
/// names the field a new password came in.
pub fn violation_error(violation: &Violation, password_field: &'static str) -> FieldError {
    use Violation::*;
    let (field, message) = violation_text(violation, password_field);
    let code = match violation {
        NameMissing | MailMissing | PasswordMissing => "required",
        NameTaken { .. } => "username_taken",
        MailTaken { .. } => "email_taken",
        NameTooLong { .. } | MailTooLong | PasswordTooLong => "max_length",
        PasswordTooShort { .. } => "password_too_short",
        PasswordTooCommon => "password_too_common",
        PasswordEntirelyNumeric => "password_entirely_numeric",
        PasswordTooSimilar { .. } => "password_too_similar",
        CurrentPasswordRequired { .. } => "enter_current_password",
        _ => "invalid",
    };
    let message = match violation {
        MailTaken { .. } => "A user is already registered with this email address.".to_string(),
        CurrentPasswordRequired { .. } => "Please type your current password.".to_string(),
        _ => message,
    };
    let field = match violation {
        CurrentPasswordRequired { .. } => "current_password",
        _ => field,
    };
    FieldError::on(field, code, message)
}

/// Every fault of a refused account change, or the failure it was.
pub fn account_error(error: &Error, password_field: &'static str) -> Response {
    match error {
        Error::Invalid(violations) => invalid(
            &violations
                .iter()
                .map(|v| violation_error(v, password_field))
                .collect::<Vec<_>>(),
        ),
        Error::PasswordRequired => invalid(&[FieldError::on(password_field, "required", REQUIRED)]),
        other => server_failure(other),
    }
}
