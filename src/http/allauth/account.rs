//! `account/email`: the account's addresses. A latch account has one address, which is its
//! primary one, so the list has at most one entry, it cannot be removed, and no second one can
//! be added (allauth's answer with `ACCOUNT_MAX_EMAIL_ADDRESSES = 1`).

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::body::{self, Input};
use super::caller::Caller;
use super::envelope::{FieldError, data, invalid, status_only};
use super::{AllauthState, Answer};
use crate::core::CurrentSession;
use crate::core::accounts::check_mail;
use crate::http::openapi::allauth as api;

const ONE_ADDRESS: &str = "You cannot add more than 1 email addresses. A latch account has one \
                           address; to change it, send the new one with the current password \
                           to PATCH /user/{id}?_format=json.";

/// The account's addresses as allauth lists them.
fn addresses(session: &CurrentSession) -> Response {
    let list: Vec<Value> = session
        .account
        .mail
        .iter()
        .filter(|m| !m.is_empty())
        .map(|mail| json!({"email": mail, "verified": false, "primary": true}))
        .collect();
    data(Value::Array(list))
}

/// The address a request names: well-formed and the account's own.
fn own_address(session: &CurrentSession, input: &Input) -> Result<(), Response> {
    let mut errors = Vec::new();
    let Some(mail) = input.required("email", &mut errors) else {
        return Err(invalid(&errors));
    };
    if check_mail(&mail).is_err() {
        return Err(invalid(&[FieldError::on(
            "email",
            "invalid",
            "Enter a valid email address.",
        )]));
    }
    let own = session
        .account
        .mail
        .as_deref()
        .is_some_and(|m| m.eq_ignore_ascii_case(&mail));
    if own {
        Ok(())
    } else {
        Err(invalid(&[FieldError::on(
            "email",
            "unknown_email",
            "Unknown email address.",
        )]))
    }
}

/// The caller's session, after the CSRF check of an unsafe request; 401 without one.
fn signed_in<'a>(
    state: &AllauthState,
    caller: &'a Caller,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<&'a CurrentSession, Response> {
    caller.check_csrf(state, headers, uri.path())?;
    caller
        .session
        .as_deref()
        .ok_or_else(|| caller.unauthenticated(state))
}

/// `GET account/email`.
#[utoipa::path(
    get, path = "/_allauth/{client}/v1/account/email", tag = "allauth",
    summary = "List the account's addresses (allauth headless)",
    params(("client" = String, Path, description = "`browser` or `app`."), ("X-Session-Token" = Option<String>, Header, description = "App client: the session token.")),
    responses(
        (status = 200, description = "The addresses (at most one)", body = api::AllauthEmailAddresses),
        (status = 401, description = "Not logged in", body = api::AllauthFlows),
    )
)]
pub async fn list(State(state): State<AllauthState>, caller: Caller) -> Response {
    match &caller.session {
        Some(session) => addresses(session),
        None => caller.unauthenticated(&state),
    }
}

/// `POST account/email`: a second address, which a latch account cannot have.
#[utoipa::path(
    post, path = "/_allauth/{client}/v1/account/email", tag = "allauth",
    summary = "Add an address (allauth headless): refused, one per account",
    params(("client" = String, Path, description = "`browser` or `app`."), ("X-Session-Token" = Option<String>, Header, description = "App client: the session token."), ("X-CSRFToken" = Option<String>, Header, description = "Browser client: the `csrftoken` cookie's value.")),
    request_body(content = api::AllauthEmail, content_type = "application/json"),
    responses(
        (status = 400, description = "Field errors, or the account has its one address", body = api::AllauthErrors),
        (status = 409, description = "Not logged in", body = api::AllauthStatus),
    )
)]
pub async fn add(
    State(state): State<AllauthState>,
    headers: HeaderMap,
    uri: Uri,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    caller.check_csrf(&state, &headers, uri.path())?;
    // Without a session allauth changes the address of a signup waiting for verification;
    // latch has no such signup, so there is nothing to change.
    let Some(session) = &caller.session else {
        return Err(status_only(StatusCode::CONFLICT));
    };
    let input = body::read(body, state.body_limit)?;
    let mut errors = Vec::new();
    let Some(mail) = input.required("email", &mut errors) else {
        return Err(invalid(&errors));
    };
    if check_mail(&mail).is_err() {
        return Err(invalid(&[FieldError::on(
            "email",
            "invalid",
            "Enter a valid email address.",
        )]));
    }
    if session
        .account
        .mail
        .as_deref()
        .is_some_and(|m| m.eq_ignore_ascii_case(&mail))
    {
        return Err(invalid(&[FieldError::on(
            "email",
            "duplicate_email",
            "This email address is already associated with this account.",
        )]));
    }
    Err(invalid(&[FieldError::on(
        "email",
        "max_email_addresses",
        ONE_ADDRESS,
    )]))
}

/// `PATCH account/email`: `email` and `primary: true`. The one address is the primary one.
#[utoipa::path(
    patch, path = "/_allauth/{client}/v1/account/email", tag = "allauth",
    summary = "Mark the primary address (allauth headless)",
    params(("client" = String, Path, description = "`browser` or `app`."), ("X-Session-Token" = Option<String>, Header, description = "App client: the session token."), ("X-CSRFToken" = Option<String>, Header, description = "Browser client: the `csrftoken` cookie's value.")),
    request_body(content = api::AllauthMarkPrimary, content_type = "application/json"),
    responses(
        (status = 200, description = "The addresses", body = api::AllauthEmailAddresses),
        (status = 400, description = "Field errors, or not the account's address", body = api::AllauthErrors),
        (status = 401, description = "Not logged in", body = api::AllauthFlows),
    )
)]
pub async fn mark_primary(
    State(state): State<AllauthState>,
    headers: HeaderMap,
    uri: Uri,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let session = signed_in(&state, &caller, &headers, &uri)?;
    let input = body::read(body, state.body_limit)?;
    let mut errors = Vec::new();
    input.checked("primary", &mut errors);
    own_address(session, &input)?;
    if !errors.is_empty() {
        return Err(invalid(&errors));
    }
    Ok(addresses(session))
}

/// `DELETE account/email`: `email`. The primary address cannot be removed, and a latch
/// account's one address is its primary one.
#[utoipa::path(
    delete, path = "/_allauth/{client}/v1/account/email", tag = "allauth",
    summary = "Remove an address (allauth headless): the primary one cannot be",
    params(("client" = String, Path, description = "`browser` or `app`."), ("X-Session-Token" = Option<String>, Header, description = "App client: the session token."), ("X-CSRFToken" = Option<String>, Header, description = "Browser client: the `csrftoken` cookie's value.")),
    request_body(content = api::AllauthEmail, content_type = "application/json"),
    responses(
        (status = 400, description = "Field errors, not the account's address, or its primary one", body = api::AllauthErrors),
        (status = 401, description = "Not logged in", body = api::AllauthFlows),
    )
)]
pub async fn remove(
    State(state): State<AllauthState>,
    headers: HeaderMap,
    uri: Uri,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let session = signed_in(&state, &caller, &headers, &uri)?;
    let input = body::read(body, state.body_limit)?;
    own_address(session, &input)?;
    Err(invalid(&[FieldError::on(
        "email",
        "cannot_remove_primary_email",
        "You cannot remove your primary email address.",
    )]))
}
