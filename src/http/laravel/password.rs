//! Password reset as Fortify and Breeze serve it: `forgot-password` mails a link, the link
//! leads to the front end's reset page, and `reset-password` sets the new password.
//!
//! The mailed token is `{uid}.{timestamp}.{hash}`, the core's one-time link in one piece;
//! Laravel's own tokens are random strings the front end only passes back, so clients do
//! not look inside it.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde_json::json;

use super::auth::checked;
use super::body::Fields;
use super::error::{self, invalid, validation};
use super::{Answer, LaravelState, LaravelVisitor};
use crate::core::accounts::check_mail;
use crate::core::{AccountLookup, Error};
use crate::http::openapi::laravel as api;

const SENT: &str = "We have emailed your password reset link.";
const RESET: &str = "Your password has been reset.";
const TOKEN_INVALID: &str = "This password reset token is invalid.";

/// Fortify's `{"message": …}`, Breeze's `{"status": …}`.
fn success(state: &LaravelState, text: &str) -> Response {
    let key = if state.is_fortify() {
        "message"
    } else {
        "status"
    };
    Json(json!({ key: text })).into_response()
}

/// `email` as both stacks require it: present and an address.
fn email(fields: &Fields, errors: &mut Vec<(&'static str, String)>) -> Option<String> {
    match fields.text("email") {
        None => errors.push(("email", "The email field is required.".into())),
        Some(mail) if check_mail(&mail).is_err() => errors.push((
            "email",
            "The email field must be a valid email address.".into(),
        )),
        Some(mail) => return Some(mail),
    }
    None
}

/// `POST /forgot-password`: `email`. The same answer whether or not an account has that
/// address (Laravel tells them apart; latch does not).
#[utoipa::path(
    post, path = "/forgot-password", tag = "Laravel",
    summary = "Mail a password reset link (Fortify or Breeze)",
    params(("X-XSRF-TOKEN" = String, Header, description = "The `XSRF-TOKEN` cookie's value.")),
    request_body(content((api::LaravelForgotPassword = "application/json"), (api::LaravelForgotPassword = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, description = "Fortify `{\"message\"}`, Breeze `{\"status\"}`; the same for unknown addresses", body = api::LaravelMessage),
        (status = 422, description = "Validation errors", body = api::LaravelValidation),
        (status = 429, description = "Too many requests from this address", body = api::LaravelMessage),
    )
)]
pub async fn forgot(
    State(state): State<LaravelState>,
    headers: HeaderMap,
    LaravelVisitor(visitor): LaravelVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let fields = checked(&state, &headers, &visitor, body).await?;
    let mut errors = Vec::new();
    let Some(mail) = email(&fields, &mut errors) else {
        return Err(validation(&errors));
    };
    let link = state.settings.route("reset-password/");
    let path =
        move |uid: i64, timestamp: i64, hash: &str| format!("{link}{uid}.{timestamp}.{hash}");
    state
        .core
        .request_password_reset_with(AccountLookup::Mail(mail), Some(&path), &visitor.client)
        .await
        .map_err(|e| error::server_failure(&e))?;
    Ok(success(&state, SENT))
}

/// `GET /reset-password/{token}`, the mailed link: a redirect to the front end's reset page
/// (`laravel.reset_url`). The token is not checked here, so mail scanners that follow links
/// spend nothing.
#[utoipa::path(
    get, path = "/reset-password/{token}", tag = "Laravel",
    summary = "The reset mail's link",
    params(("token" = String, Path)),
    responses(
        (status = 302, description = "To `laravel.reset_url` with the token", headers(("Location" = String, description = "The front end's reset page."))),
        (status = 404, description = "Not a token latch mails", body = api::LaravelMessage),
    )
)]
pub async fn reset_link(State(state): State<LaravelState>, Path(token): Path<String>) -> Response {
    let plain = token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !plain || token.is_empty() {
        return error::message(StatusCode::NOT_FOUND, "Not Found");
    }
    let target = state.settings.reset_url.replace("{token}", &token);
    match HeaderValue::from_str(&target) {
        Ok(location) => (StatusCode::FOUND, [(LOCATION, location)]).into_response(),
        Err(_) => error::message(StatusCode::NOT_FOUND, "Not Found"),
    }
}

/// `POST /reset-password`: `token`, `email`, `password`, `password_confirmation`. Every
/// session of the account ends; the caller logs in with the new password.
#[utoipa::path(
    post, path = "/reset-password", tag = "Laravel",
    summary = "Set a new password with the mailed token (Fortify or Breeze)",
    params(("X-XSRF-TOKEN" = String, Header, description = "The `XSRF-TOKEN` cookie's value.")),
    request_body(content((api::LaravelResetPassword = "application/json"), (api::LaravelResetPassword = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, description = "Fortify `{\"message\"}`, Breeze `{\"status\"}`", body = api::LaravelMessage),
        (status = 422, description = "Validation errors, or a used, expired or forged token (under `email`)", body = api::LaravelValidation),
    )
)]
pub async fn reset(
    State(state): State<LaravelState>,
    headers: HeaderMap,
    LaravelVisitor(visitor): LaravelVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let fields = checked(&state, &headers, &visitor, body).await?;
    let mut errors = Vec::new();
    let token = fields.text("token");
    if token.is_none() {
        errors.push(("token", "The token field is required.".to_string()));
    }
    let mail = email(&fields, &mut errors);
    let password = fields.secret("password");
    match &password {
        None => errors.push(("password", "The password field is required.".into())),
        Some(_) if fields.get("password") != fields.get("password_confirmation") => {
            errors.push((
                "password",
                "The password field confirmation does not match.".into(),
            ));
        }
        Some(_) => {}
    }
    if !errors.is_empty() {
        return Err(validation(&errors));
    }
    let password = SecretString::from(password.unwrap_or_default());
    let Some((uid, timestamp, hash)) = token.as_deref().and_then(parse_token) else {
        return Err(invalid("email", TOKEN_INVALID));
    };
    match state
        .core
        .reset_password_with_link(
            uid,
            timestamp,
            hash,
            Some(mail.as_deref().unwrap_or_default()),
            &password,
            &visitor.client,
        )
        .await
    {
        Ok(()) => Ok(success(&state, RESET)),
        Err(Error::LinkInvalid | Error::LinkExpired) => Err(invalid("email", TOKEN_INVALID)),
        Err(e) => Err(error::account_error(&e)),
    }
}

/// `{uid}.{timestamp}.{hash}`.
fn parse_token(token: &str) -> Option<(i64, i64, &str)> {
    let mut parts = token.splitn(3, '.');
    let uid = parts.next()?.parse().ok()?;
    let timestamp = parts.next()?.parse().ok()?;
    Some((uid, timestamp, parts.next()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_holds_the_link_in_one_piece() {
        assert_eq!(
            parse_token("7.1700000000.a-b_c"),
            Some((7, 1_700_000_000, "a-b_c"))
        );
        assert_eq!(parse_token("7.x.abc"), None);
        assert_eq!(parse_token("abc"), None);
    }
}
