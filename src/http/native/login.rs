//! `POST /latch/login`: a name (or mail address) and password; for an account with a second
//! factor, then `POST /latch/login/mfa` with the token it gives and a code. The session comes
//! as a cookie (as the dialects set it) and as `session_token` for `X-Session-Token`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde_json::json;

use super::body::{bad_request, json_object, required_text, text_field};
use super::{NativeError, NativeState};
use crate::core::csrf::HEADER_PURPOSE;
use crate::core::{ClientContext, LoggedIn, LoginName, LoginStep, now};
use crate::http::openapi::native as api;
use crate::http::origin::cross_site_refusal;

const LOGIN_EXAMPLE: &str = r#"{"name": "alice", "password": "…"}"#;
const MFA_EXAMPLE: &str =
    r#"{"mfa_token": "…", "code": "123456"} or {"mfa_token": "…", "credential": {…}}"#;

/// The client of a login, once a browser request from an untrusted site is refused (a forged
/// login would sign the victim into someone else's account).
pub struct LoginClient(pub(super) ClientContext);

impl FromRequestParts<NativeState> for LoginClient {
    type Rejection = NativeError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &NativeState,
    ) -> Result<Self, Self::Rejection> {
        let client = state.client_of(&parts.extensions, &parts.headers);
        if let Some(reason) =
            cross_site_refusal(&parts.method, &parts.headers, &state.trusted_origins)
        {
            state.audit_csrf_rejection(None, &client, &reason);
            return Err(NativeError::new(StatusCode::FORBIDDEN, reason));
        }
        Ok(LoginClient(client))
    }
}

/// The session as the login endpoints answer it: a cookie, and the same id in the body.
pub(super) fn session_answer(
    state: &NativeState,
    headers: &HeaderMap,
    logged_in: &LoggedIn,
) -> Response {
    let account = &logged_in.account;
    let cookie = state
        .cookies
        .issue(headers, &logged_in.session_id, logged_in.expires_at - now());
    let body = json!({
        "mfa_required": false,
        "session_token": logged_in.session_id,
        "expires_at": logged_in.expires_at,
        "csrf_token": state.core.csrf_token(&logged_in.csrf_seed, HEADER_PURPOSE),
        "user": {"id": account.id, "uuid": account.uuid, "name": account.name},
    });
    ([(SET_COOKIE, cookie)], Json(body)).into_response()
}

/// `POST /latch/login`.
#[utoipa::path(
    post, path = "/latch/login", tag = "latch",
    summary = "Log in with a name or mail address and password (first step if the account has a second factor)",
    request_body(content = api::LoginRequest, content_type = "application/json"),
    security(()),
    responses(
        (status = 200, description = "Logged in (`mfa_required` false, with the session), or the password was right and the second factor is due (`mfa_required` true, with `mfa_token`)", body = api::LoginAnswer,
            headers(("Set-Cookie" = String, description = "The session cookie, when logged in."))),
        (status = 400, description = "Malformed JSON, or a field missing or of the wrong type, named", body = api::NativeError),
        (status = 401, description = "Wrong name or password, or an inactive account", body = api::NativeError),
        (status = 403, description = "A browser request from an untrusted site", body = api::NativeError),
        (status = 415, description = "The body is not JSON", body = api::NativeError),
        (status = 429, description = "Too many failed logins; see Retry-After", body = api::NativeError,
            headers(("Retry-After" = u32, description = "Seconds until a retry may succeed."))),
    )
)]
pub async fn login(
    State(state): State<NativeState>,
    LoginClient(client): LoginClient,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, NativeError> {
    let fields = json_object(&headers, &body, LOGIN_EXAMPLE)?;
    let name = text_field(&fields, "name")?;
    let mail = text_field(&fields, "mail")?;
    let password = required_text(&fields, "password", LOGIN_EXAMPLE)?;
    let login = match (&name, &mail) {
        (Some(name), None) => LoginName::Name(name),
        (None, Some(mail)) => LoginName::Mail(mail),
        (Some(_), Some(_)) => return Err(bad_request("Send either name or mail, not both.")),
        (None, None) => {
            return Err(bad_request(format!(
                "name or mail: missing; send {LOGIN_EXAMPLE}"
            )));
        }
    };
    let step = state
        .core
        .begin_login(login, &SecretString::from(password), &client)
        .await
        .map_err(|e| NativeError::from_core(&e))?;
    match step {
        LoginStep::Done(logged_in) => Ok(session_answer(&state, &headers, &logged_in)),
        LoginStep::SecondFactor(pending) => Ok(Json(json!({
            "mfa_required": true,
            "mfa_token": pending.token,
            "expires_at": pending.expires_at,
            "methods": pending.methods,
        }))
        .into_response()),
    }
}

/// `POST /latch/login/mfa`.
#[utoipa::path(
    post, path = "/latch/login/mfa", tag = "latch",
    summary = "Finish a login with the second factor: a code, or a passkey's answer to the options of POST /latch/login/mfa/passkey",
    request_body(content = api::MfaLoginRequest, content_type = "application/json"),
    security(()),
    responses(
        (status = 200, description = "Logged in", body = api::LoginAnswer,
            headers(("Set-Cookie" = String, description = "The session cookie."))),
        (status = 400, description = "Malformed JSON, a field missing or of the wrong type, named; a `credential` that is no WebAuthn answer, or no live passkey ceremony for this `mfa_token`", body = api::NativeError),
        (status = 401, description = "A wrong, expired or used code, a passkey answer that does not verify, or an unknown, expired or used `mfa_token`", body = api::NativeError),
        (status = 404, description = "Passkeys are not available on this server (`public_url` has no host name)", body = api::NativeError),
        (status = 403, description = "A browser request from an untrusted site", body = api::NativeError),
        (status = 415, description = "The body is not JSON", body = api::NativeError),
        (status = 429, description = "Too many wrong codes for this account, or failures from this address; see Retry-After", body = api::NativeError,
            headers(("Retry-After" = u32, description = "Seconds until a retry may succeed."))),
    )
)]
pub async fn login_mfa(
    State(state): State<NativeState>,
    LoginClient(client): LoginClient,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, NativeError> {
    let fields = json_object(&headers, &body, MFA_EXAMPLE)?;
    let token = required_text(&fields, "mfa_token", MFA_EXAMPLE)?;
    let finished = match fields.get("credential") {
        Some(credential) if !credential.is_null() => {
            state
                .core
                .finish_login_with_passkey(token.trim(), credential, &client)
                .await
        }
        _ => {
            let code = required_text(&fields, "code", MFA_EXAMPLE)?;
            state.core.finish_login(token.trim(), &code, &client).await
        }
    };
    let logged_in = finished.map_err(|e| NativeError::from_core(&e))?;
    Ok(session_answer(&state, &headers, &logged_in))
}
