//! Tokens, login, logout and `system/connect`.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::SecretString;
use serde_json::{Value, json};

use super::LookedUp;
use super::account::{anonymous_object, user_object};
use super::error::ServicesError;
use super::format::Format;
use super::{Call, Reply, TOKEN_PURPOSE, placeholder};
use crate::config::ServicesApiVersion;
use crate::core::{Error as CoreError, LoginName, now};
use crate::http::openapi::services as api;
use crate::http::{AppState, Visitor};

/// The caller's token, or one bound to nothing for callers without a session: anonymous calls
/// need none, and minting one stores nothing.
fn token_for(state: &AppState, visitor: &Visitor) -> String {
    match &visitor.session {
        Some(session) => state.core.csrf_token(&session.csrf_seed, TOKEN_PURPOSE),
        None => state.core.unbound_csrf_token(TOKEN_PURPOSE),
    }
}

/// `GET /services/session/token`: the token as plain text. Drupal 7 serves it as a menu
/// callback, so any method gets it.
#[utoipa::path(
    get, path = "/services/session/token", tag = "Drupal 7 Services",
    summary = "The CSRF token for X-CSRF-Token",
    security((), ("session_cookie" = [])),
    responses((status = 200, description = "The token", body = String, content_type = "text/plain")),
)]
pub async fn session_token(State(state): State<AppState>, LookedUp(visitor): LookedUp) -> Response {
    match visitor {
        Ok(visitor) => (
            [(CONTENT_TYPE, "text/plain; charset=utf-8")],
            token_for(&state, &visitor),
        )
            .into_response(),
        Err(e) => ServicesError::from(e).render(Format::Json),
    }
}

/// `POST P/user/token`: `{"token": "…"}`.
#[utoipa::path(
    post, path = "/rest/user/token", tag = "Drupal 7 Services",
    summary = "The CSRF token for X-CSRF-Token", description = "Answers in JSON, or XML for a `.xml` suffix or `Accept: application/xml`; a `.json` suffix is accepted too.",
    security((), ("session_cookie" = [])),
    responses(
        (status = 200, description = "The session's token (bound to nothing without a session)",
            body = api::ServicesToken),
        (status = 406, description = "An unsupported format suffix or `Accept` (empty body)"),
    )
)]
pub fn token(call: Call) -> Reply {
    Reply::new(json!({ "token": token_for(&call.state, &call.visitor) }))
}

/// `POST P/user/login`: `username`/`password` (API 1.0) or `name`/`pass` (1.1).
#[utoipa::path(
    post, path = "/rest/user/login", tag = "Drupal 7 Services",
    summary = "Log in", description = "Answers in JSON, or XML for a `.xml` suffix or `Accept: application/xml`; a `.json` suffix is accepted too.",
    params(("X-CSRF-Token" = Option<String>, Header, description = "With a session cookie: the token of `user/token` or `GET /services/session/token` (or send it as `services_token`).")),
    request_body(content((api::ServicesCredentials = "application/json"), (api::ServicesCredentials = "application/x-www-form-urlencoded"))),
    security((), ("session_cookie" = [])),
    responses(
        (status = 200, description = "Logged in: the session cookie is set", body = api::ServicesLoggedIn,
            headers(("Set-Cookie" = String, description = "The session cookie."))),
        (status = 401, description = "A wrong name or password, a missing argument, or a missing \
            or wrong CSRF token", body = api::ServicesError),
        (status = 403, description = "A blocked account", body = api::ServicesError),
        (status = 406, description = "Already logged in, flood control (with Retry-After), or an \
            unsupported format", body = api::ServicesError,
            headers(("Retry-After" = u32, description = "Seconds until a flood block lifts."))),
    )
)]
pub async fn login(call: Call) -> Result<Reply, ServicesError> {
    if let Some(session) = &call.visitor.session {
        return Err(ServicesError::not_acceptable(format!(
            "Already logged in as {}.",
            session.account.name
        )));
    }
    let (name_key, pass_key) = match call.api_version("login") {
        ServicesApiVersion::V1_0 => ("username", "password"),
        ServicesApiVersion::V1_1 => ("name", "pass"),
    };
    let name = call
        .argument(name_key)
        .ok_or_else(|| ServicesError::missing_argument(name_key))?;
    let pass = call
        .argument(pass_key)
        .ok_or_else(|| ServicesError::missing_argument(pass_key))?;
    let code = call.argument("code");
    let state = &call.state;
    let logged_in = state
        .core
        .login(
            LoginName::Name(&name),
            &SecretString::from(pass),
            code.as_deref(),
            &call.visitor.client,
            None,
        )
        .await
        .map_err(|e| match e {
            // The core reports this only after a correct password, so it reveals nothing.
            CoreError::AccountInactive => ServicesError::new(
                axum::http::StatusCode::FORBIDDEN,
                format!(
                    "The username {} has not been activated or is blocked.",
                    placeholder(&name)
                ),
            ),
            other => other.into(),
        })?;
    let account = &logged_in.account;
    let cookie = state.cookies.issue(
        &call.headers,
        &logged_in.session_id,
        logged_in.expires_at - now(),
    );
    let mut user = user_object(account, account.is_administrator());
    // `user_login_finalize` sets `login` to the request time as a PHP integer, which the
    // answer carries as a JSON number (every other column is a string read from the database).
    user["login"] = json!(account.login_at);
    Ok(Reply::new(json!({
        "sessid": logged_in.session_id,
        "session_name": state.cookies.name(&call.headers),
        "token": state.core.csrf_token(&logged_in.csrf_seed, TOKEN_PURPOSE),
        "user": user,
    }))
    .with_cookie(cookie))
}

/// `POST P/user/logout`: ends the session; `[true]`, or under API 1.1 the anonymous user.
#[utoipa::path(
    post, path = "/rest/user/logout", tag = "Drupal 7 Services",
    summary = "Log out", description = "Answers in JSON, or XML for a `.xml` suffix or `Accept: application/xml`; a `.json` suffix is accepted too.",
    params(("X-CSRF-Token" = Option<String>, Header, description = "With a session cookie: the token of `user/token` or `GET /services/session/token` (or send it as `services_token`).")),
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "Logged out: `[true]`, or under API 1.1 the anonymous user",
            content((api::ServicesTrue = "application/json"), (api::ServicesAnonymous = "application/json")),
            headers(("Set-Cookie" = String, description = "The expired session cookie."))),
        (status = 401, description = "A missing or wrong CSRF token", body = api::ServicesError),
        (status = 406, description = "Not logged in, or an unsupported format", body = api::ServicesError),
    )
)]
pub async fn logout(call: Call) -> Result<Reply, ServicesError> {
    let Some(session) = &call.visitor.session else {
        return Err(ServicesError::not_acceptable("User is not logged in."));
    };
    call.state
        .core
        .logout(session, &call.visitor.client)
        .await?;
    let body = match call.api_version("logout") {
        ServicesApiVersion::V1_0 => Value::Bool(true),
        ServicesApiVersion::V1_1 => anonymous_object(call.visitor.client.ip),
    };
    Ok(Reply::new(body).with_cookie(call.state.cookies.expire(&call.headers)))
}

/// `POST P/system/connect`: the session and its user. Anonymous callers get a random id that
/// is never stored and no cookie, as Drupal 7 keeps no session for them.
#[utoipa::path(
    post, path = "/rest/system/connect", tag = "Drupal 7 Services",
    summary = "The session and its user", description = "Answers in JSON, or XML for a `.xml` suffix or `Accept: application/xml`; a `.json` suffix is accepted too.",
    params(("X-CSRF-Token" = Option<String>, Header, description = "With a session cookie: the token of `user/token` or `GET /services/session/token` (or send it as `services_token`).")),
    security((), ("session_cookie" = [])),
    responses(
        (status = 200, description = "The session, or for anonymous callers the anonymous user",
            body = api::ServicesConnected),
        (status = 401, description = "A missing or wrong CSRF token", body = api::ServicesError),
        (status = 406, description = "An unsupported format suffix or `Accept` (empty body)"),
    )
)]
pub fn connect(call: Call) -> Reply {
    let state = &call.state;
    let session_name = state.cookies.name(&call.headers);
    let body = match (&call.visitor.session, &call.visitor.session_id) {
        (Some(session), Some(sessid)) => json!({
            "sessid": sessid,
            "session_name": session_name,
            "user": user_object(&session.account, session.account.is_administrator()),
        }),
        _ => {
            let mut bytes = [0u8; 32];
            rand::fill(&mut bytes);
            json!({
                "sessid": URL_SAFE_NO_PAD.encode(bytes),
                "session_name": session_name,
                "user": anonymous_object(call.visitor.client.ip),
            })
        }
    };
    Reply::new(body)
}
