//! Passwords: `auth/password/request` mails a reset key, `auth/password/reset` checks it
//! (GET) and sets a new password with it (POST), `account/password/change` changes the
//! logged-in account's.
//!
//! The key is `{uid}-{timestamp}-{hash}`, the core's one-time link in one piece, as allauth's
//! own keys (`{uidb36}-{token}`) are opaque to clients. The mail links to latch, which sends
//! the browser on to the front end's page (`allauth.reset_url`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde_json::json;

use super::body::{self, REQUIRED};
use super::caller::Caller;
use super::envelope::{
    FieldError, account_error, authenticated, data, errors_with, invalid, server_failure,
    status_only, unauthenticated,
};
use super::{AllauthState, Answer};
use crate::config::AllauthConfig;
use crate::core::accounts::check_mail;
use crate::core::{AccountChanges, AccountLookup, Error};
use crate::http::openapi::allauth as api;

const KEY_INVALID: &str = "The password reset token was invalid.";

fn key_invalid() -> Response {
    invalid(&[FieldError::on("key", "invalid_password_reset", KEY_INVALID)])
}

/// `POST auth/password/request`: `email`. The same answer whether or not an account has
/// that address.
#[utoipa::path(
    post, path = "/_allauth/{client}/v1/auth/password/request", tag = "allauth",
    summary = "Mail a password reset key (allauth headless)",
    params(("client" = String, Path, description = "`browser` or `app`."), ("X-CSRFToken" = Option<String>, Header, description = "Browser client: the `csrftoken` cookie's value.")),
    request_body(content = api::AllauthEmail, content_type = "application/json"),
    responses(
        (status = 200, description = "Sent, or no account has the address", body = api::AllauthStatus),
        (status = 400, description = "Field errors", body = api::AllauthErrors),
        (status = 429, description = "Too many requests from this address", body = api::AllauthErrors),
    )
)]
pub async fn request(
    State(state): State<AllauthState>,
    headers: HeaderMap,
    uri: Uri,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let input = caller.checked_input(&state, &headers, &uri, body)?;
    let mut errors = Vec::new();
    let mail = input.required("email", &mut errors).unwrap_or_default();
    if errors.is_empty() && check_mail(&mail).is_err() {
        errors.push(FieldError::on(
            "email",
            "invalid",
            "Enter a valid email address.",
        ));
    }
    if !errors.is_empty() {
        return Err(invalid(&errors));
    }
    let prefix = state.settings.prefix.clone();
    let path = move |uid: i64, timestamp: i64, hash: &str| {
        format!("{prefix}/reset/{uid}-{timestamp}-{hash}")
    };
    state
        .core
        .request_password_reset_with(AccountLookup::Mail(mail), Some(&path), &caller.client)
        .await
        .map_err(|e| server_failure(&e))?;
    Ok(status_only(StatusCode::OK))
}

/// `GET {prefix}/reset/{key}`, the mailed link: a redirect to the front end's reset page. The
/// key is not checked here, so mail scanners that follow links spend nothing.
#[utoipa::path(
    get, path = "/_allauth/reset/{key}", tag = "allauth",
    summary = "The reset mail's link (allauth headless)",
    params(("key" = String, Path)),
    responses(
        (status = 302, description = "To `allauth.reset_url` with the key", headers(("Location" = String, description = "The front end's reset page."))),
        (status = 404, description = "Not a key latch mails", body = api::AllauthErrors),
    )
)]
pub async fn reset_link(
    State(settings): State<Arc<AllauthConfig>>,
    Path(key): Path<String>,
) -> Response {
    let not_found = || {
        errors_with(
            StatusCode::NOT_FOUND,
            &[FieldError::general(
                "not_found",
                "This is not a password reset link latch sent.",
            )],
        )
    };
    if parse_key(&key).is_none() {
        return not_found();
    }
    let target = settings.reset_url.replace("{key}", &key);
    match HeaderValue::from_str(&target) {
        Ok(location) => (StatusCode::FOUND, [(LOCATION, location)]).into_response(),
        Err(_) => not_found(),
    }
}

/// `GET auth/password/reset` with the key in `X-Password-Reset-Key`: whose it is, without
/// using it up.
#[utoipa::path(
    get, path = "/_allauth/{client}/v1/auth/password/reset", tag = "allauth",
    summary = "Check a password reset key (allauth headless)",
    params(("client" = String, Path, description = "`browser` or `app`."), ("X-Password-Reset-Key" = String, Header, description = "The mailed key.")),
    responses(
        (status = 200, description = "The key works; `data.user` is its account", body = api::AllauthUserData),
        (status = 400, description = "A missing, used, expired or forged key", body = api::AllauthErrors),
    )
)]
pub async fn reset_info(
    State(state): State<AllauthState>,
    headers: HeaderMap,
    _caller: Caller,
) -> Answer {
    let key = headers
        .get("x-password-reset-key")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
        .unwrap_or_default();
    if key.is_empty() {
        return Err(invalid(&[FieldError::on("key", "required", REQUIRED)]));
    }
    let (uid, timestamp, hash) = parse_key(&key).ok_or_else(key_invalid)?;
    match state.core.check_login_link(uid, timestamp, hash).await {
        Ok(link) => Ok(data(json!({"user": super::envelope::user(&link.account)}))),
        Err(Error::LinkInvalid | Error::LinkExpired) => Err(key_invalid()),
        Err(e) => Err(server_failure(&e)),
    }
}

/// `POST auth/password/reset`: `key` and `password`. The key is used up and every session of
/// the account ends; allauth then answers 401, the holder logging in with the new password.
#[utoipa::path(
    post, path = "/_allauth/{client}/v1/auth/password/reset", tag = "allauth",
    summary = "Set a new password with the mailed key (allauth headless)",
    params(("client" = String, Path, description = "`browser` or `app`."), ("X-CSRFToken" = Option<String>, Header, description = "Browser client: the `csrftoken` cookie's value.")),
    request_body(content = api::AllauthResetPassword, content_type = "application/json"),
    responses(
        (status = 400, description = "Field errors, or a used, expired or forged key", body = api::AllauthErrors),
        (status = 401, description = "The password is set; log in with it", body = api::AllauthFlows),
    )
)]
pub async fn reset(
    State(state): State<AllauthState>,
    headers: HeaderMap,
    uri: Uri,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let input = caller.checked_input(&state, &headers, &uri, body)?;
    let mut errors = Vec::new();
    let key = input.required("key", &mut errors);
    let password = input.required("password", &mut errors);
    let parsed = key.as_deref().map(parse_key);
    if let Some(None) = parsed {
        errors.insert(
            0,
            FieldError::on("key", "invalid_password_reset", KEY_INVALID),
        );
    }
    let (Some(Some((uid, timestamp, hash))), Some(password), true) =
        (parsed, password, errors.is_empty())
    else {
        return Err(invalid(&errors));
    };
    let password = SecretString::from(password);
    match state
        .core
        .reset_password_with_link(uid, timestamp, hash, None, &password, &caller.client)
        .await
    {
        Ok(()) => Ok(unauthenticated(
            &state,
            StatusCode::UNAUTHORIZED,
            Some(false),
            None,
        )),
        Err(Error::LinkInvalid | Error::LinkExpired) => Err(key_invalid()),
        Err(e) => Err(account_error(&e, "password")),
    }
}

/// `POST account/password/change`: `current_password` (not needed by an account that has
/// none yet) and `new_password`. The session stays; the account's other sessions end.
#[utoipa::path(
    post, path = "/_allauth/{client}/v1/account/password/change", tag = "allauth",
    summary = "Change the password (allauth headless)",
    params(("client" = String, Path, description = "`browser` or `app`."), ("X-Session-Token" = Option<String>, Header, description = "App client: the session token."), ("X-CSRFToken" = Option<String>, Header, description = "Browser client: the `csrftoken` cookie's value.")),
    request_body(content = api::AllauthChangePassword, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = api::AllauthAuthenticated),
        (status = 400, description = "Field errors, or a wrong current password", body = api::AllauthErrors),
        (status = 401, description = "Not logged in", body = api::AllauthFlows),
    )
)]
pub async fn change(
    State(state): State<AllauthState>,
    headers: HeaderMap,
    uri: Uri,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    caller.check_csrf(&state, &headers, uri.path())?;
    let Some(session) = &caller.session else {
        return Err(caller.unauthenticated(&state));
    };
    let input = body::read(body, state.body_limit)?;
    let mut errors = Vec::new();
    let current = if session.account.password_hash.is_some() {
        input.required("current_password", &mut errors)
    } else {
        input.text("current_password")
    };
    let new = input.required("new_password", &mut errors);
    if !errors.is_empty() {
        return Err(invalid(&errors));
    }
    let changes = AccountChanges {
        password: new.map(SecretString::from),
        current_password: current.map(SecretString::from),
        ..AccountChanges::default()
    };
    let account = state
        .core
        .update_account(session, session.account.id, changes, &caller.client)
        .await
        .map_err(|e| account_error(&e, "new_password"))?;
    let methods = super::auth::methods_of(&state, session).await?;
    Ok(authenticated(&state, &account, methods, None))
}

/// `{uid}-{timestamp}-{hash}`.
fn parse_key(key: &str) -> Option<(i64, i64, &str)> {
    let mut parts = key.splitn(3, '-');
    let uid = parts.next()?.parse().ok()?;
    let timestamp = parts.next()?.parse().ok()?;
    let hash = parts.next().filter(|h| {
        !h.is_empty()
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })?;
    Some((uid, timestamp, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_holds_the_link_in_one_piece() {
        assert_eq!(
            parse_key("7-1700000000-a-b_c"),
            Some((7, 1_700_000_000, "a-b_c"))
        );
        for bad in ["7-x-abc", "abc", "7-1700000000-", "7-1700000000-a/b"] {
            assert_eq!(parse_key(bad), None, "{bad}");
        }
    }
}
