//! Tokens, login, login status, logout and password reset requests.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde_json::{Map, Value, json};

use super::DrupalVisitor;
use super::{
    DrupalError, DrupalQuery, HEADER_PURPOSE, LOGOUT_TOKEN_PURPOSE, body_bytes, json_object,
};
use crate::core::{AccountLookup, LoggedIn, LoginName, now};
use crate::http::AppState;
use crate::http::openapi::drupal as api;

const TEXT_PLAIN: &str = "text/plain; charset=UTF-8";
const LOGIN_EXAMPLE: &str = r#"{"name": "…", "pass": "…"}"#;

/// `GET /session/token`: the caller's CSRF token. Callers without a session get a token bound
/// to nothing; it is useless but harmless, and costs no storage.
#[utoipa::path(
    get, path = "/session/token", tag = "Drupal 8+",
    summary = "The CSRF token for X-CSRF-Token",
    description = "Bound to the caller's session; without one, a token bound to nothing. Also \
        served at `/rest/session/token` (Drupal 8.0-8.9), for any method.",
    security((), ("session_cookie" = [])),
    responses((status = 200, description = "The token", body = String, content_type = "text/plain")),
)]
pub async fn session_token(
    State(state): State<AppState>,
    DrupalVisitor(visitor): DrupalVisitor,
) -> Response {
    let token = match &visitor.session {
        Some(session) => state.core.csrf_token(&session.csrf_seed, HEADER_PURPOSE),
        None => state.core.unbound_csrf_token(HEADER_PURPOSE),
    };
    ([(CONTENT_TYPE, TEXT_PLAIN)], token).into_response()
}

/// `POST /user/login`.
#[utoipa::path(
    post, path = "/user/login", tag = "Drupal 8+",
    summary = "Log in with a name and password",
    params(api::DrupalFormat),
    request_body(content = api::DrupalCredentials, content_type = "application/json"),
    security((), ("session_cookie" = [])),
    responses(
        (status = 200, description = "Logged in: the session cookie is set", body = api::DrupalLoggedIn,
            headers(("Set-Cookie" = String, description = "The session cookie."))),
        (status = 400, description = "Missing or malformed credentials, a wrong name or password, \
            or a blocked account", body = api::DrupalError),
        (status = 403, description = "Already logged in (the answer carries `logout_token`), or \
            flood control blocks the address or account", body = api::DrupalError,
            headers(("Retry-After" = u32, description = "Seconds until a flood block lifts."))),
        (status = 406, description = "A `_format` other than json", body = api::DrupalError),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    DrupalVisitor(visitor): DrupalVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, DrupalError> {
    DrupalQuery::from_uri(&uri).require_json()?;
    if let Some(session) = &visitor.session {
        let logout_token = state
            .core
            .csrf_token(&session.csrf_seed, LOGOUT_TOKEN_PURPOSE);
        return Err(
            DrupalError::forbidden("This route can only be accessed by anonymous users.")
                .with_hint(format!(
                    "This client is already logged in as {}. To log in again, first log out with \
                 POST /user/logout?_format=json&token=<logout_token> (logout_token is given \
                 here), or send the login request without the session cookie.",
                    session.account.name
                ))
                .with("logout_token", Value::String(logout_token)),
        );
    }
    let body = body_bytes(body, state.body_limit)?;
    let credentials = if body.is_empty() {
        Map::new()
    } else {
        json_object(&body, LOGIN_EXAMPLE)?
    };
    let name = credential(&credentials, "name")?;
    let pass = credential(&credentials, "pass")?;
    let (name, pass) = match (name, pass) {
        (Some(name), Some(pass)) => (name, pass),
        (None, None) => return Err(missing("Missing credentials.")),
        (None, Some(_)) => return Err(missing("Missing credentials.name.")),
        (Some(_), None) => return Err(missing("Missing credentials.pass.")),
    };
    let code = credential(&credentials, "code")?;
    let logged_in = state
        .core
        .login(
            LoginName::Name(&name),
            &SecretString::from(pass),
            code.as_deref(),
            &visitor.client,
            None,
        )
        .await?;
    Ok(login_response(&state, &headers, &logged_in))
}

/// `/user/login`'s answer: the current user, its tokens and the session cookie.
pub fn login_response(state: &AppState, headers: &HeaderMap, logged_in: &LoggedIn) -> Response {
    let account = &logged_in.account;
    let mut current_user = Map::new();
    current_user.insert("uid".into(), json!(account.id.to_string()));
    // Drupal shows roles only to accounts that may administer users.
    if account.is_administrator() {
        current_user.insert("roles".into(), json!(account.all_roles()));
    }
    current_user.insert("name".into(), json!(account.name));
    let body = json!({
        "current_user": current_user,
        "csrf_token": state.core.csrf_token(&logged_in.csrf_seed, HEADER_PURPOSE),
        "logout_token": state.core.csrf_token(&logged_in.csrf_seed, LOGOUT_TOKEN_PURPOSE),
    });
    let cookie = state
        .cookies
        .issue(headers, &logged_in.session_id, logged_in.expires_at - now());
    ([(SET_COOKIE, cookie)], Json(body)).into_response()
}

fn missing(message: &str) -> DrupalError {
    DrupalError::bad_request(message)
        .with_hint(format!("Send a JSON object such as {LOGIN_EXAMPLE}."))
}

/// A credential field: absent and `null` count as missing; anything but a string is refused.
fn credential(credentials: &Map<String, Value>, key: &str) -> Result<Option<String>, DrupalError> {
    match credentials.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(
            DrupalError::bad_request(format!("credentials.{key} must be a string."))
                .with_hint(format!("Send a JSON object such as {LOGIN_EXAMPLE}.")),
        ),
    }
}

/// `GET /user/login_status`: `1` or `0` as plain text.
#[utoipa::path(
    get, path = "/user/login_status", tag = "Drupal 8+",
    summary = "Whether the caller is logged in",
    params(api::DrupalFormat),
    security((), ("session_cookie" = [])),
    responses(
        (status = 200, description = "`1` with a live session, else `0`", body = String,
            content_type = "text/plain", example = "0"),
        (status = 406, description = "A `_format` other than json", body = api::DrupalError),
    )
)]
pub async fn login_status(
    uri: Uri,
    DrupalVisitor(visitor): DrupalVisitor,
) -> Result<Response, DrupalError> {
    DrupalQuery::from_uri(&uri).require_json()?;
    let status = if visitor.session.is_some() { "1" } else { "0" };
    Ok(([(CONTENT_TYPE, TEXT_PLAIN)], status).into_response())
}

/// `POST /user/logout?token=…`: ends the session and expires its cookie.
#[utoipa::path(
    post, path = "/user/logout", tag = "Drupal 8+",
    summary = "Log out with the logout token",
    params(api::DrupalLogoutQuery),
    security(("session_cookie" = [])),
    responses(
        (status = 204, description = "Logged out: the cookie is expired",
            headers(("Set-Cookie" = String, description = "The expired session cookie."))),
        (status = 403, description = "The token is missing or not this session's logout token, \
            or there is no live session", body = api::DrupalError),
        (status = 406, description = "A `_format` other than json", body = api::DrupalError),
    )
)]
pub async fn logout(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    DrupalVisitor(visitor): DrupalVisitor,
) -> Result<Response, DrupalError> {
    let query = DrupalQuery::from_uri(&uri);
    query.require_json()?;
    let Some(token) = query.token else {
        return Err(
            DrupalError::forbidden("'csrf_token' URL query argument is missing.").with_hint(
                "Add the logout_token from the login response as ?token=<logout_token> to the URL.",
            ),
        );
    };
    let Some(session) = visitor.session else {
        return Err(
            DrupalError::forbidden("'csrf_token' URL query argument is invalid.").with_hint(
                "No live session cookie came with this request (it may have expired or been logged \
             out already), so there is nothing to log out.",
            ),
        );
    };
    if !state
        .core
        .csrf_token_valid(&session, &[LOGOUT_TOKEN_PURPOSE], &token)
    {
        return Err(
            DrupalError::forbidden("'csrf_token' URL query argument is invalid.").with_hint(
                "Use the logout_token from this session's login response; csrf_token and \
             /session/token are not logout tokens.",
            ),
        );
    }
    state.core.logout(&session, &visitor.client).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(SET_COOKIE, state.cookies.expire(&headers))],
    )
        .into_response())
}

/// `POST /user/password`: mails a one-time login link. Unknown and blocked accounts get the
/// same empty 200 (Drupal 10.1+), so the endpoint reveals nothing.
#[utoipa::path(
    post, path = "/user/password", tag = "Drupal 8+",
    summary = "Mail a one-time login link",
    params(api::DrupalFormat),
    request_body(content = api::DrupalPasswordRequest, content_type = "application/json"),
    security((), ("session_cookie" = [])),
    responses(
        (status = 200, description = "Sent if the account exists and is active (the answer never says)"),
        (status = 400, description = "Neither name nor mail, a malformed body, or too many \
            requests from the address", body = api::DrupalError,
            headers(("Retry-After" = u32, description = "Seconds until a block lifts."))),
        (status = 406, description = "A `_format` other than json", body = api::DrupalError),
    )
)]
pub async fn password(
    State(state): State<AppState>,
    uri: Uri,
    DrupalVisitor(visitor): DrupalVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, DrupalError> {
    DrupalQuery::from_uri(&uri).require_json()?;
    let example = r#"{"name": "…"} or {"mail": "…"}"#;
    let body = body_bytes(body, state.body_limit)?;
    let fields = if body.is_empty() {
        Map::new()
    } else {
        json_object(&body, example)?
    };
    let text = |key: &str| match fields.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    };
    let lookup = match (text("name"), text("mail")) {
        (Some(name), _) => AccountLookup::Name(name),
        (None, Some(mail)) => AccountLookup::Mail(mail),
        (None, None) => {
            return Err(
                DrupalError::bad_request("Missing credentials.name or credentials.mail")
                    .with_hint(format!("Send a JSON object such as {example}.")),
            );
        }
    };
    state
        .core
        .request_password_reset(lookup, &visitor.client)
        .await?;
    Ok(StatusCode::OK.into_response())
}
