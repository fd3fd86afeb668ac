//! Passkeys: registering and removing the caller's (`/latch/mfa/passkeys…`, called as the
//! TOTP endpoints are), and logging in with one, alone (`/latch/login/passkey…`) or as the
//! second factor of a waiting login (`POST /latch/login/mfa/passkey`, then
//! `POST /latch/login/mfa`).
//!
//! Options come as webauthn-rs gives them, `{"publicKey": …}` with binary fields base64url,
//! beside the `ceremony` that finishes them; the credential goes back as JSON with its
//! binary fields base64url (what `PublicKeyCredential.toJSON()` gives).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde_json::{Map, Value, json};

use super::body::{bad_request, json_object, required_text, text_field};
use super::login::{LoginClient, session_answer};
use super::self_service::{Caller, core_failure};
use super::{NativeError, NativeState};
use crate::core::mfa::Proof;
use crate::core::passkeys::PasskeyCeremony;
use crate::http::openapi::native as api;

const REGISTER_EXAMPLE: &str = r#"{"ceremony": "…", "name": "laptop", "credential": {…}}"#;
const LOGIN_EXAMPLE: &str = r#"{"ceremony": "…", "credential": {…}}"#;
const MFA_EXAMPLE: &str = r#"{"mfa_token": "…"}"#;
const REMOVE_EXAMPLE: &str = r#"{"code": "123456"} or {"password": "…"}"#;

/// The options with the ceremony that finishes them.
fn ceremony_answer(ceremony: PasskeyCeremony) -> Json<Value> {
    let mut answer = Map::new();
    answer.insert("ceremony".into(), json!(ceremony.ceremony));
    answer.insert("expires_at".into(), json!(ceremony.expires_at));
    if let Value::Object(options) = ceremony.options {
        answer.extend(options);
    }
    Json(Value::Object(answer))
}

/// The `credential` object of a body.
fn credential_of<'a>(
    fields: &'a Map<String, Value>,
    example: &str,
) -> Result<&'a Value, NativeError> {
    match fields.get("credential") {
        Some(credential @ Value::Object(_)) => Ok(credential),
        None | Some(Value::Null) => {
            Err(bad_request(format!("credential: missing; send {example}")))
        }
        Some(_) => Err(bad_request(
            "credential: must be the object navigator.credentials returned, as JSON",
        )),
    }
}

/// `POST /latch/mfa/passkeys/register`.
#[utoipa::path(
    post, path = "/latch/mfa/passkeys/register", tag = "latch",
    summary = "Begin registering a passkey: options for navigator.credentials.create",
    params(("X-CSRF-Token" = Option<String>, Header,
        description = "With a session cookie: the `csrf_token` of `GET /latch/whoami`.")),
    security(
        ("session_cookie" = []), ("django_session" = []), ("session_token" = []),
        ("personal_access_token" = [])
    ),
    responses(
        (status = 200, description = "The creation options and the ceremony, good for five minutes", body = api::PasskeyOptions),
        (status = 401, description = "No live session or token, or a token that is unknown, revoked or expired", body = api::NativeError),
        (status = 403, description = "A token without the `account` scope, or a cookie without its CSRF token", body = api::NativeError),
        (status = 404, description = "Passkeys are not available on this server (`public_url` has no host name)", body = api::NativeError),
    )
)]
pub async fn start_registration(
    State(state): State<NativeState>,
    caller: Caller,
) -> Result<Json<Value>, NativeError> {
    let ceremony = state
        .core
        .start_passkey_registration(&caller.account)
        .await
        .map_err(core_failure)?;
    Ok(ceremony_answer(ceremony))
}

/// `POST /latch/mfa/passkeys/register/finish`.
#[utoipa::path(
    post, path = "/latch/mfa/passkeys/register/finish", tag = "latch",
    summary = "Finish registering a passkey with the authenticator's answer",
    params(("X-CSRF-Token" = Option<String>, Header,
        description = "With a session cookie: the `csrf_token` of `GET /latch/whoami`.")),
    request_body(content = api::PasskeyRegistration, content_type = "application/json"),
    security(
        ("session_cookie" = []), ("django_session" = []), ("session_token" = []),
        ("personal_access_token" = [])
    ),
    responses(
        (status = 201, description = "Registered; with recovery codes if it is the account's first second factor", body = api::PasskeyRegistered),
        (status = 400, description = "Malformed JSON or credential, a field missing or of the wrong type, an unknown, expired or used ceremony, one begun by another account, or an answer that does not verify", body = api::NativeError),
        (status = 401, description = "No live session or token, or a token that is unknown, revoked or expired", body = api::NativeError),
        (status = 403, description = "A token without the `account` scope, or a cookie without its CSRF token", body = api::NativeError),
        (status = 404, description = "Passkeys are not available on this server", body = api::NativeError),
        (status = 409, description = "The passkey is registered already", body = api::NativeError),
        (status = 415, description = "The body is not JSON", body = api::NativeError),
    )
)]
pub async fn finish_registration(
    State(state): State<NativeState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, NativeError> {
    let fields = json_object(&headers, &body, REGISTER_EXAMPLE)?;
    let ceremony = required_text(&fields, "ceremony", REGISTER_EXAMPLE)?;
    let name = text_field(&fields, "name")?;
    let credential = credential_of(&fields, REGISTER_EXAMPLE)?;
    let enrolled = state
        .core
        .finish_passkey_registration(
            &caller.account,
            ceremony.trim(),
            name.as_deref(),
            credential,
            &caller.client,
        )
        .await
        .map_err(core_failure)?;
    let passkey = enrolled.passkey;
    let mut answer = json!({
        "id": passkey.id,
        "name": passkey.name,
        "created_at": passkey.created_at,
    });
    if let Some(codes) = enrolled.recovery_codes {
        answer["recovery_codes"] = json!(codes);
    }
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// `DELETE /latch/mfa/passkeys/{id}`.
#[utoipa::path(
    delete, path = "/latch/mfa/passkeys/{id}", tag = "latch",
    summary = "Remove a passkey, proven by a current code (TOTP or recovery code) or the password",
    params(
        ("id" = i64, Path, description = "The passkey's `id` in `GET /latch/mfa`."),
        ("X-CSRF-Token" = Option<String>, Header,
            description = "With a session cookie: the `csrf_token` of `GET /latch/whoami`."),
    ),
    request_body(content = api::MfaProof, content_type = "application/json"),
    security(
        ("session_cookie" = []), ("django_session" = []), ("session_token" = []),
        ("personal_access_token" = [])
    ),
    responses(
        (status = 204, description = "Removed; the recovery codes go too if it was the last second factor"),
        (status = 400, description = "Malformed JSON, or neither `code` nor `password`", body = api::NativeError),
        (status = 401, description = "A wrong code or password; or no live session or token", body = api::NativeError),
        (status = 403, description = "A token without the `account` scope, or a cookie without its CSRF token", body = api::NativeError),
        (status = 404, description = "The account has no passkey with this id", body = api::NativeError),
        (status = 415, description = "The body is not JSON", body = api::NativeError),
        (status = 429, description = "Too many wrong codes or passwords; see Retry-After", body = api::NativeError,
            headers(("Retry-After" = u32, description = "Seconds until a retry may succeed."))),
    )
)]
pub async fn remove(
    State(state): State<NativeState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, NativeError> {
    let Ok(id) = id.parse::<i64>() else {
        return Err(NativeError::new(StatusCode::NOT_FOUND, "no such passkey"));
    };
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
        .remove_passkey(&caller.account, id, proof, &caller.client)
        .await
        .map_err(core_failure)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /latch/login/passkey`.
#[utoipa::path(
    post, path = "/latch/login/passkey", tag = "latch",
    summary = "Begin a login with a passkey alone: options for navigator.credentials.get",
    security(()),
    responses(
        (status = 200, description = "The request options (no credentials listed: the authenticator offers its passkeys for this site) and the ceremony, good for five minutes", body = api::PasskeyOptions),
        (status = 403, description = "A browser request from an untrusted site", body = api::NativeError),
        (status = 404, description = "Passkeys are not available on this server", body = api::NativeError),
    )
)]
pub async fn start_login(
    State(state): State<NativeState>,
    LoginClient(_client): LoginClient,
) -> Result<Json<Value>, NativeError> {
    let ceremony = state
        .core
        .start_passkey_login()
        .await
        .map_err(|e| NativeError::from_core(&e))?;
    Ok(ceremony_answer(ceremony))
}

/// `POST /latch/login/passkey/finish`.
#[utoipa::path(
    post, path = "/latch/login/passkey/finish", tag = "latch",
    summary = "Finish a login with a passkey alone; answers as POST /latch/login does when logged in",
    request_body(content = api::PasskeyLogin, content_type = "application/json"),
    security(()),
    responses(
        (status = 200, description = "Logged in", body = api::LoginAnswer,
            headers(("Set-Cookie" = String, description = "The session cookie."))),
        (status = 400, description = "Malformed JSON or credential, a field missing or of the wrong type, or an unknown, expired or used ceremony", body = api::NativeError),
        (status = 401, description = "An unknown passkey, an answer that does not verify, or an inactive account", body = api::NativeError),
        (status = 403, description = "A browser request from an untrusted site", body = api::NativeError),
        (status = 404, description = "Passkeys are not available on this server", body = api::NativeError),
        (status = 415, description = "The body is not JSON", body = api::NativeError),
        (status = 429, description = "Too many failures from this address or for this account; see Retry-After", body = api::NativeError,
            headers(("Retry-After" = u32, description = "Seconds until a retry may succeed."))),
    )
)]
pub async fn finish_login(
    State(state): State<NativeState>,
    LoginClient(client): LoginClient,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, NativeError> {
    let fields = json_object(&headers, &body, LOGIN_EXAMPLE)?;
    let ceremony = required_text(&fields, "ceremony", LOGIN_EXAMPLE)?;
    let credential = credential_of(&fields, LOGIN_EXAMPLE)?;
    let logged_in = state
        .core
        .finish_passkey_login(ceremony.trim(), credential, &client, None)
        .await
        .map_err(|e| NativeError::from_core(&e))?;
    Ok(session_answer(&state, &headers, &logged_in))
}

/// `POST /latch/login/mfa/passkey`.
#[utoipa::path(
    post, path = "/latch/login/mfa/passkey", tag = "latch",
    summary = "Options to finish a waiting login with one of the account's passkeys",
    request_body(content = api::MfaPasskeyRequest, content_type = "application/json"),
    security(()),
    responses(
        (status = 200, description = "The request options, listing the account's passkeys; the answer goes to POST /latch/login/mfa with the `mfa_token`", body = api::PasskeyOptions),
        (status = 400, description = "Malformed JSON, or `mfa_token` missing or not a string", body = api::NativeError),
        (status = 401, description = "An unknown, expired or used `mfa_token`", body = api::NativeError),
        (status = 403, description = "A browser request from an untrusted site", body = api::NativeError),
        (status = 404, description = "Passkeys are not available on this server", body = api::NativeError),
        (status = 409, description = "The account has no passkey", body = api::NativeError),
        (status = 415, description = "The body is not JSON", body = api::NativeError),
    )
)]
pub async fn start_second_factor(
    State(state): State<NativeState>,
    LoginClient(_client): LoginClient,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, NativeError> {
    let fields = json_object(&headers, &body, MFA_EXAMPLE)?;
    let token = required_text(&fields, "mfa_token", MFA_EXAMPLE)?;
    let ceremony = state
        .core
        .start_passkey_second_factor(token.trim())
        .await
        .map_err(|e| NativeError::from_core(&e))?;
    let mut answer = ceremony_answer(ceremony);
    // The ceremony is the login's token, which the client has already.
    if let Some(object) = answer.0.as_object_mut() {
        object.remove("ceremony");
    }
    Ok(answer)
}
