//! The caller's second factors: `GET /latch/mfa`, `POST`/`DELETE /latch/mfa/totp` and
//! `POST /latch/mfa/totp/confirm` (passkeys: [`super::passkeys`]), called as the sessions endpoints are (see
//! [`super::self_service`]).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde_json::{Value, json};

use super::body::{bad_request, json_object, required_text, text_field};
use super::self_service::{Caller, core_failure};
use super::{NativeError, NativeState};
use crate::core::mfa::Proof;
use crate::http::openapi::native as api;

const CONFIRM_EXAMPLE: &str = r#"{"code": "123456"}"#;
const REMOVE_EXAMPLE: &str = r#"{"code": "123456"} or {"password": "…"}"#;

/// `GET /latch/mfa`.
#[utoipa::path(
    get, path = "/latch/mfa", tag = "latch",
    summary = "The caller's second factors",
    security(
        ("session_cookie" = []), ("django_session" = []), ("session_token" = []),
        ("personal_access_token" = [])
    ),
    responses(
        (status = 200, description = "What is enrolled", body = api::MfaStatus),
        (status = 401, description = "No live session or token, or a token that is unknown, revoked or expired", body = api::NativeError),
        (status = 403, description = "A token without the `account` scope", body = api::NativeError),
    )
)]
pub async fn status(
    State(state): State<NativeState>,
    caller: Caller,
) -> Result<Json<Value>, NativeError> {
    let status = state
        .core
        .mfa_status(&caller.account)
        .await
        .map_err(core_failure)?;
    let passkeys = state
        .core
        .passkeys(&caller.account)
        .await
        .map_err(core_failure)?;
    let passkeys: Vec<Value> = passkeys
        .iter()
        .map(|p| {
            json!({
                "id": p.id,
                "name": p.name,
                "created_at": p.created_at,
                "last_used_at": p.last_used_at,
            })
        })
        .collect();
    Ok(Json(json!({
        "enrolled": status.enrolled(),
        "methods": status.methods(),
        "totp": {
            "confirmed_at": status.totp_since,
            "pending": status.totp_pending,
        },
        "passkeys": passkeys,
        "recovery_codes_left": status.recovery_codes_left,
    })))
}

/// `POST /latch/mfa/totp`.
#[utoipa::path(
    post, path = "/latch/mfa/totp", tag = "latch",
    summary = "Start TOTP enrolment: a new secret for an authenticator app",
    params(("X-CSRF-Token" = Option<String>, Header,
        description = "With a session cookie: the `csrf_token` of `GET /latch/whoami`.")),
    security(
        ("session_cookie" = []), ("django_session" = []), ("session_token" = []),
        ("personal_access_token" = [])
    ),
    responses(
        (status = 201, description = "The secret, shown this once; confirm it with a code", body = api::TotpEnrolment),
        (status = 409, description = "The account has TOTP already", body = api::NativeError),
        (status = 401, description = "No live session or token, or a token that is unknown, revoked or expired", body = api::NativeError),
        (status = 403, description = "A token without the `account` scope, or a cookie without its CSRF token", body = api::NativeError),
    )
)]
pub async fn start_totp(
    State(state): State<NativeState>,
    caller: Caller,
) -> Result<Response, NativeError> {
    let enrolment = state
        .core
        .start_totp(&caller.account)
        .await
        .map_err(core_failure)?;
    let body = json!({
        "secret": enrolment.secret,
        "otpauth_uri": enrolment.otpauth_uri,
        "qr_svg": enrolment.qr_svg,
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `POST /latch/mfa/totp/confirm`.
#[utoipa::path(
    post, path = "/latch/mfa/totp/confirm", tag = "latch",
    summary = "Confirm TOTP enrolment with a code; returns the recovery codes",
    params(("X-CSRF-Token" = Option<String>, Header,
        description = "With a session cookie: the `csrf_token` of `GET /latch/whoami`.")),
    request_body(content = api::MfaCode, content_type = "application/json"),
    security(
        ("session_cookie" = []), ("django_session" = []), ("session_token" = []),
        ("personal_access_token" = [])
    ),
    responses(
        (status = 200, description = "TOTP is on; the recovery codes, shown this once", body = api::RecoveryCodes),
        (status = 400, description = "Malformed JSON, or `code` missing or not a string", body = api::NativeError),
        (status = 401, description = "A wrong code; or no live session or token", body = api::NativeError),
        (status = 403, description = "A token without the `account` scope, or a cookie without its CSRF token", body = api::NativeError),
        (status = 409, description = "No enrolment was started, or TOTP is on already", body = api::NativeError),
        (status = 415, description = "The body is not JSON", body = api::NativeError),
        (status = 429, description = "Too many wrong codes; see Retry-After", body = api::NativeError,
            headers(("Retry-After" = u32, description = "Seconds until a retry may succeed."))),
    )
)]
pub async fn confirm_totp(
    State(state): State<NativeState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, NativeError> {
    let fields = json_object(&headers, &body, CONFIRM_EXAMPLE)?;
    let code = required_text(&fields, "code", CONFIRM_EXAMPLE)?;
    let codes = state
        .core
        .confirm_totp(&caller.account, &code, &caller.client)
        .await
        .map_err(core_failure)?;
    Ok(Json(json!({ "recovery_codes": codes })))
}

/// `DELETE /latch/mfa/totp`.
#[utoipa::path(
    delete, path = "/latch/mfa/totp", tag = "latch",
    summary = "Remove TOTP (and the recovery codes unless a passkey remains), proven by a current code or the password",
    params(("X-CSRF-Token" = Option<String>, Header,
        description = "With a session cookie: the `csrf_token` of `GET /latch/whoami`.")),
    request_body(content = api::MfaProof, content_type = "application/json"),
    security(
        ("session_cookie" = []), ("django_session" = []), ("session_token" = []),
        ("personal_access_token" = [])
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "Malformed JSON, or neither `code` nor `password`", body = api::NativeError),
        (status = 401, description = "A wrong code or password; or no live session or token", body = api::NativeError),
        (status = 403, description = "A token without the `account` scope, or a cookie without its CSRF token", body = api::NativeError),
        (status = 409, description = "The account has no second factor", body = api::NativeError),
        (status = 415, description = "The body is not JSON", body = api::NativeError),
        (status = 429, description = "Too many wrong codes or passwords; see Retry-After", body = api::NativeError,
            headers(("Retry-After" = u32, description = "Seconds until a retry may succeed."))),
    )
)]
pub async fn remove_totp(
    State(state): State<NativeState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, NativeError> {
    let fields = json_object(&headers, &body, REMOVE_EXAMPLE)?;
    let code = text_field(&fields, "code")?;
    let password = text_field(&fields, "password")?.map(SecretString::from);
    let proof = match (&code, &password) {
        (Some(code), _) if !code.trim().is_empty() => Proof::Code(code),
        (_, Some(password)) => Proof::Password(password),
        _ => {
            return Err(bad_request(format!(
                "Prove it is you: send {REMOVE_EXAMPLE}."
            )));
        }
    };
    state
        .core
        .remove_totp(&caller.account, proof, &caller.client)
        .await
        .map_err(core_failure)?;
    Ok(StatusCode::NO_CONTENT)
}
