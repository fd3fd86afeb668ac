//! `POST /api/users` registers an account under the same policy as every dialect;
//! `PUT /api/users/{id}` changes one.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde_json::json;

use super::caller::Caller;
use super::error::{PosError, violation_key, violation_text};
use super::forms::{Values, read_form};
use super::{PlatformosState, check_csrf, require_session};
use crate::config::FormAction;
use crate::core::accounts::{Field, Violation};
use crate::core::{AccountChanges, Error, Registrar, Registration};
use crate::http::openapi::platformos as api;

/// A form for `action`, once a cookie session has passed the CSRF check.
fn checked_form(
    state: &PlatformosState,
    caller: &Caller,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    action: FormAction,
) -> Result<Values, PosError> {
    let (envelope, values) = read_form(state, headers, body, action)?;
    check_csrf(
        state,
        caller,
        headers,
        envelope.authenticity_token.as_deref(),
    )?;
    Ok(values)
}

fn secret(values: &Values, field: &str) -> Option<SecretString> {
    values.get(field).map(|v| SecretString::from(v.to_string()))
}

/// `POST /api/users`: `201 {"id": N, "errors": {}}`. Clients of this API identify users by
/// mail, so an account registered without a `name` is named after its mail address.
#[utoipa::path(
    post, path = "/api/users", operation_id = "user_create", tag = "platformOS",
    summary = "Register an account",
    description = "As `registration.mode` allows; an account without a `name` is named after \
        its address.",
    params(("X-CSRF-Token" = Option<String>, Header, description = "With a cookie session and no app token: the `csrf_token` of `GET /api/sessions` (or send it as `authenticity_token`).")),
    request_body(content((api::PosFormBody = "application/json"), (api::PosFormBody = "application/vnd.api+json"))),
    security((), ("session_cookie" = []), ("session_token" = []), ("app_token" = [])),
    responses(
        (status = 201, description = "Registered", body = api::PosUserId, content_type = "application/vnd.api+json"),
        (status = 401, description = "An unknown app token", body = api::PosError, content_type = "application/vnd.api+json"),
        (status = 422, description = "Validation failed, or registration is closed", body = api::PosError, content_type = "application/vnd.api+json"),
        (status = 400, description = "Malformed JSON", body = api::PosError, content_type = "application/vnd.api+json"),
        (status = 403, description = "A cross-site browser request, or a missing or wrong CSRF token", body = api::PosError, content_type = "application/vnd.api+json"),
        (status = 404, description = "No form by that name", body = api::PosError, content_type = "application/vnd.api+json"),
        (status = 406, description = "A form for another action, an unknown field, no `form_name`, a body that is no object, or an `Accept` without JSON", body = api::PosError, content_type = "application/vnd.api+json"),
        (status = 415, description = "A body that is not JSON", body = api::PosError, content_type = "application/vnd.api+json"),
    )
)]
pub async fn create(
    State(state): State<PlatformosState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PosError> {
    let values = checked_form(&state, &caller, &headers, body, FormAction::CreateUser)?;
    let mail = values.get("email").map(str::to_string);
    let name_derived = values.get("name").is_none();
    let registration = Registration {
        name: values
            .get("name")
            .or(mail.as_deref())
            .unwrap_or_default()
            .to_string(),
        mail,
        password: secret(&values, "password"),
        ..Registration::default()
    };
    // An administrator's session creates accounts as an administrator, whatever the policy.
    let by = match &caller.session {
        Some(s) if s.account.is_administrator() => Registrar::Administrator { notify: false },
        _ => Registrar::Visitor,
    };
    let account = match state
        .core
        .register_from(registration, by, &caller.client)
        .await
    {
        Ok(account) => account,
        Err(Error::Invalid(violations)) if name_derived => {
            return Err(PosError::invalid(derived_name_errors(&violations)));
        }
        Err(e) => return Err(PosError::from_core(&e)),
    };
    let mut response = (
        StatusCode::CREATED,
        Json(json!({"id": account.id, "errors": {}})),
    )
        .into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(super::MEDIA_TYPE));
    Ok(response)
}

/// Violations of a name the client never sent are about the mail address it was made from.
fn derived_name_errors(violations: &[Violation]) -> Vec<(String, String)> {
    let mail_problem = violations.iter().any(|v| v.field() == Field::Mail);
    violations
        .iter()
        .filter_map(|v| match (v.field(), v) {
            (Field::Name, _) if mail_problem => None,
            (Field::Name, Violation::NameTaken { .. }) => {
                Some(("email".to_string(), violation_text(v)))
            }
            (Field::Name, _) => Some((
                "email".to_string(),
                format!(
                    "cannot serve as the user name, which {}; send a name as well",
                    violation_text(v)
                ),
            )),
            _ => Some((violation_key(v).to_string(), violation_text(v))),
        })
        .collect()
}

/// `PUT /api/users/{id}`: `204`. Users change their own account; administrators any.
#[utoipa::path(
    put, path = "/api/users/{id}", operation_id = "user_update", tag = "platformOS",
    summary = "Change an account",
    description = "Users change their own account (with `current_password` for the address or \
        password); administrators any.",
    params(("id" = i64, Path), ("X-CSRF-Token" = Option<String>, Header, description = "With a cookie session and no app token: the `csrf_token` of `GET /api/sessions` (or send it as `authenticity_token`).")),
    request_body(content((api::PosFormBody = "application/json"), (api::PosFormBody = "application/vnd.api+json"))),
    security(("session_cookie" = []), ("session_token" = [])),
    responses(
        (status = 204, description = "Changed"),
        (status = 401, description = "No live session, or an unknown app token", body = api::PosError, content_type = "application/vnd.api+json"),
        (status = 422, description = "Validation failed", body = api::PosError, content_type = "application/vnd.api+json"),
        (status = 400, description = "Malformed JSON", body = api::PosError, content_type = "application/vnd.api+json"),
        (status = 403, description = "A cross-site browser request, or a missing or wrong CSRF token", body = api::PosError, content_type = "application/vnd.api+json"),
        (status = 404, description = "No form by that name", body = api::PosError, content_type = "application/vnd.api+json"),
        (status = 406, description = "A form for another action, an unknown field, no `form_name`, a body that is no object, or an `Accept` without JSON", body = api::PosError, content_type = "application/vnd.api+json"),
        (status = 415, description = "A body that is not JSON", body = api::PosError, content_type = "application/vnd.api+json"),
    )
)]
pub async fn update(
    State(state): State<PlatformosState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PosError> {
    let session = require_session(&caller)?;
    let values = checked_form(&state, &caller, &headers, body, FormAction::UpdateUser)?;
    let Ok(id) = id.parse::<i64>() else {
        return Err(PosError::from_core(
            &if session.account.is_administrator() {
                Error::NoSuchAccount
            } else {
                Error::NotPermitted
            },
        ));
    };
    let changes = AccountChanges {
        name: values.get("name").map(str::to_string),
        mail: values.get("email").map(|m| Some(m.to_string())),
        password: secret(&values, "password"),
        current_password: secret(&values, "current_password"),
        ..AccountChanges::default()
    };
    state
        .core
        .update_account(session, id, changes, &caller.client)
        .await
        .map_err(|e| PosError::from_core(&e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
