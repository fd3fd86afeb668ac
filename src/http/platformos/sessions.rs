//! `POST /api/sessions` logs in, `GET` says who is logged in, `DELETE` logs out.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde_json::json;

use super::caller::{Caller, SESSION_HEADER};
use super::error::PosError;
use super::forms::{read_envelope, read_form};
use super::{MEDIA_TYPE, PlatformosState, check_csrf, csrf_token, require_session};
use crate::config::FormAction;
use crate::core::{Error, LoggedIn, LoginName, now};
use crate::http::openapi::platformos as api;

/// `POST /api/sessions` with `{"form_name", "form": {"email", "password"}}`: a new session
/// (rotated if one was presented) in the cookie, and in `X-Session-Token` too when the query
/// has `session_token=true`.
#[utoipa::path(
    post, path = "/api/sessions", operation_id = "session_create", tag = "platformOS",
    summary = "Log in",
    params(("session_token" = Option<bool>, Query,
        description = "`true`: also give the session in `X-Session-Token`, for clients without cookies.")),
    request_body(content((api::PosFormBody = "application/json"), (api::PosFormBody = "application/vnd.api+json"))),
    security((), ("session_cookie" = []), ("session_token" = []), ("app_token" = [])),
    responses(
        (status = 201, description = "Logged in", body = api::PosCreated, content_type = "application/vnd.api+json",
            headers(("Set-Cookie" = String, description = "The session cookie."),
                ("X-CSRF-Token" = String, description = "The session's CSRF token."),
                ("X-Session-Token" = String, description = "With `?session_token=true`: the session id."))),
        (status = 401, description = "A wrong address or password, a blocked account, or an unknown app token", body = api::PosError, content_type = "application/vnd.api+json"),
        (status = 422, description = "A missing address", body = api::PosError, content_type = "application/vnd.api+json"),
        (status = 429, description = "Flood control", body = api::PosError, content_type = "application/vnd.api+json",
            headers(("Retry-After" = u32, description = "Seconds until the block lifts."))),
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
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PosError> {
    let (_, values) = read_form(&state, &headers, body, FormAction::CreateSession)?;
    let password = SecretString::from(values.get("password").unwrap_or_default().to_string());
    let previous = caller.session.as_deref();
    let client = &caller.client;
    let code = values.get("code");
    let login = |name| state.core.login(name, &password, code, client, previous);
    let result = match (values.get("email"), values.get("name")) {
        (Some(mail), _) => login(LoginName::Mail(mail)).await,
        (None, Some(name)) => login(LoginName::Name(name)).await,
        (None, None) => {
            return Err(PosError::invalid(vec![(
                "email".to_string(),
                super::error::BLANK.to_string(),
            )]));
        }
    };
    let logged_in = match result {
        Ok(logged_in) => logged_in,
        // One answer for an unknown address and a wrong password.
        Err(Error::BadCredentials) => {
            return Err(PosError::unauthorized("Invalid email or password."));
        }
        Err(Error::AccountInactive) => {
            return Err(PosError::unauthorized(
                "This account is blocked or has not been activated yet.",
            ));
        }
        Err(e) => return Err(PosError::from_core(&e)),
    };
    Ok(logged_in_response(&state, &headers, &uri, &logged_in))
}

fn logged_in_response(
    state: &PlatformosState,
    headers: &HeaderMap,
    uri: &Uri,
    logged_in: &LoggedIn,
) -> Response {
    let cookie = state
        .cookies
        .issue(headers, &logged_in.session_id, logged_in.expires_at - now());
    let mut response = (StatusCode::CREATED, Json(json!({}))).into_response();
    let out = response.headers_mut();
    out.insert(CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        out.insert(SET_COOKIE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&csrf_token(state, &logged_in.csrf_seed)) {
        out.insert("x-csrf-token", value);
    }
    if wants_session_token(uri)
        && let Ok(value) = HeaderValue::from_str(&logged_in.session_id)
    {
        out.insert(SESSION_HEADER, value);
    }
    response
}

/// `?session_token=true`: the client keeps no cookies and wants the session in a header.
fn wants_session_token(uri: &Uri) -> bool {
    uri.query().is_some_and(|query| {
        query
            .split('&')
            .any(|pair| matches!(pair, "session_token=true" | "session_token=1"))
    })
}

/// `GET /api/sessions`: 200 with the user and the session's CSRF token, or 401.
#[utoipa::path(
    get, path = "/api/sessions", operation_id = "session_show", tag = "platformOS",
    summary = "Who is logged in",
    security(("session_cookie" = []), ("session_token" = [])),
    responses(
        (status = 200, description = "The session's user and CSRF token", body = api::PosSession, content_type = "application/vnd.api+json"),
        (status = 401, description = "No live session, or an unknown app token", body = api::PosError, content_type = "application/vnd.api+json"),
        (status = 403, description = "A cross-site browser request", body = api::PosError, content_type = "application/vnd.api+json"),
        (status = 406, description = "An `Accept` without JSON", body = api::PosError, content_type = "application/vnd.api+json"),
    )
)]
pub async fn show(
    State(state): State<PlatformosState>,
    caller: Caller,
) -> Result<Response, PosError> {
    let session = require_session(&caller)?;
    let account = &session.account;
    let body = json!({
        "user": {
            "id": account.id,
            "email": account.mail,
            "name": account.name,
            "roles": account.all_roles(),
        },
        "csrf_token": csrf_token(&state, &session.csrf_seed),
        "expires_at": session.expires_at,
    });
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    Ok(response)
}

/// `DELETE /api/sessions`: ends the session and expires the cookie. Without a session there
/// is nothing to end, and the answer is the same 204, so a retried logout succeeds.
#[utoipa::path(
    delete, path = "/api/sessions", operation_id = "session_destroy", tag = "platformOS",
    summary = "Log out",
    description = "Without a session the answer is the same 204, so a retried logout succeeds. \
        The body may be left out.",
    params(("X-CSRF-Token" = Option<String>, Header, description = "With a cookie session and no app token: the `csrf_token` of `GET /api/sessions` (or send it as `authenticity_token`).")),
    request_body(content((api::PosFormBody = "application/json"), (api::PosFormBody = "application/vnd.api+json"))),
    security((), ("session_cookie" = []), ("session_token" = []), ("app_token" = [])),
    responses(
        (status = 204, description = "Logged out",
            headers(("Set-Cookie" = String, description = "The expired session cookie."))),
        (status = 422, description = "A field the form does not have", body = api::PosError,
            content_type = "application/vnd.api+json"),
        (status = 401, description = "An unknown app token", body = api::PosError, content_type = "application/vnd.api+json"),
        (status = 400, description = "Malformed JSON", body = api::PosError, content_type = "application/vnd.api+json"),
        (status = 403, description = "A cross-site browser request, or a missing or wrong CSRF token", body = api::PosError, content_type = "application/vnd.api+json"),
        (status = 404, description = "No form by that name", body = api::PosError, content_type = "application/vnd.api+json"),
        (status = 406, description = "A form for another action, an unknown field, no `form_name`, a body that is no object, or an `Accept` without JSON", body = api::PosError, content_type = "application/vnd.api+json"),
        (status = 415, description = "A body that is not JSON", body = api::PosError, content_type = "application/vnd.api+json"),
    )
)]
pub async fn destroy(
    State(state): State<PlatformosState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PosError> {
    let envelope = read_envelope(&headers, body, state.body_limit, true)?;
    state
        .settings
        .forms
        .named_or_default(envelope.form_name.as_deref(), FormAction::DestroySession)?
        .validate(&envelope.form)?;
    check_csrf(
        &state,
        &caller,
        &headers,
        envelope.authenticity_token.as_deref(),
    )?;
    if let Some(session) = &caller.session {
        state
            .core
            .logout(session, &caller.client)
            .await
            .map_err(|e| PosError::from_core(&e))?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(value) = HeaderValue::from_str(&state.cookies.expire(&headers)) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    Ok(response)
}
