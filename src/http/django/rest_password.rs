//! dj-rest-auth's password endpoints: `password/change/`, `password/reset/` and
//! `password/reset/confirm/`. Reset mails carry a link with Django's `uid` (the account id in
//! base64) and a one-time `token`, which `confirm/` accepts once, before it expires.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::SecretString;
use serde_json::json;

use super::DjangoState;
use super::body::Fields;
use super::page::{self, ResetForm};
use super::rest::{checked_fields, require_session};
use super::rest_errors::{Checks, account_error};
use super::{
    Answer, DjangoVisitor, csrf_cookie, csrf_secret, detail, field_errors, server_failure, token,
    with_cookies,
};
use crate::core::accounts::check_mail;
use crate::core::{AccountChanges, AccountLookup, Error};
use crate::http::openapi::django as api;

/// Django's `SetPasswordForm` wording (with its typographic apostrophe).
const MISMATCH: &str = "The two password fields didn\u{2019}t match.";
const INVALID: &str = "Invalid value";

/// `POST password/change/`: `old_password`, `new_password1`, `new_password2`. This session
/// stays; every other session of the account ends.
#[utoipa::path(
    post, path = "/dj-rest-auth/password/change/", tag = "Django",
    summary = "Change the password (dj-rest-auth)",
    description = "This session stays; every other session of the account ends.",
    params(("X-CSRFToken" = Option<String>, Header, description = "With a session cookie: the `csrftoken` cookie's value."), ("csrftoken" = Option<String>, Cookie, description = "The CSRF cookie set at login.")),
    request_body(content((api::DjangoPasswordChange = "application/json"), (api::DjangoPasswordChange = "application/x-www-form-urlencoded"))),
    security(("django_session" = [])),
    responses(
        (status = 200, description = "Changed", body = api::DjangoDetail),
        (status = 400, description = "Field errors (a wrong old password, a weak or mismatched new one)", body = api::DjangoError),
        (status = 403, description = "Not logged in, or a CSRF failure", body = api::DjangoDetail),
        (status = 415, description = "A body that is neither JSON nor a form", body = api::DjangoDetail),
        (status = 429, description = "Flood control", body = api::DjangoDetail, headers(("Retry-After" = u32, description = "Seconds until the block lifts."))),
    )
)]
pub async fn change(
    State(state): State<DjangoState>,
    headers: HeaderMap,
    uri: Uri,
    DjangoVisitor(visitor): DjangoVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let session = require_session(&visitor)?;
    let fields = checked_fields(&state, &headers, &uri, &visitor, body).await?;
    let mut checks = Checks::default();
    // An account opened through a mailed link has no old password to give.
    let old_password = if session.account.password_hash.is_some() {
        checks.secret(&fields, "old_password")
    } else {
        fields.secret("old_password")
    };
    let new_password = new_password(&fields, checks, || Ok(()))?;
    let changes = AccountChanges {
        password: Some(new_password),
        current_password: old_password.map(SecretString::from),
        ..AccountChanges::default()
    };
    state
        .core
        .update_account(session, session.account.id, changes, &visitor.client)
        .await
        .map_err(|e| account_error(&e, "new_password2"))?;
    Ok(Json(json!({"detail": "New password has been saved."})).into_response())
}

/// `POST password/reset/`: `email`. The same answer whether or not an account has it.
#[utoipa::path(
    post, path = "/dj-rest-auth/password/reset/", tag = "Django",
    summary = "Mail a password reset link (dj-rest-auth)",
    params(("X-CSRFToken" = Option<String>, Header, description = "With a session cookie: the `csrftoken` cookie's value."), ("csrftoken" = Option<String>, Cookie, description = "The CSRF cookie set at login.")),
    request_body(content((api::DjangoPasswordReset = "application/json"), (api::DjangoPasswordReset = "application/x-www-form-urlencoded"))),
    security((), ("django_session" = [])),
    responses(
        (status = 200, description = "The same answer whether or not an account has the address", body = api::DjangoDetail),
        (status = 400, description = "Field errors, or a body that could not be parsed", body = api::DjangoError),
        (status = 403, description = "With a session: a CSRF failure; without one, a browser request from an untrusted origin", body = api::DjangoDetail),
        (status = 415, description = "A body that is neither JSON nor a form", body = api::DjangoDetail),
        (status = 429, description = "Flood control", body = api::DjangoDetail, headers(("Retry-After" = u32, description = "Seconds until the block lifts."))),
    )
)]
pub async fn reset(
    State(state): State<DjangoState>,
    headers: HeaderMap,
    uri: Uri,
    DjangoVisitor(visitor): DjangoVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let fields = checked_fields(&state, &headers, &uri, &visitor, body).await?;
    let mut checks = Checks::default();
    let mail = checks.text(&fields, "email");
    checks.finish()?;
    let mail = mail.unwrap_or_default();
    if check_mail(&mail).is_err() {
        return Err(field_errors(&[(
            "email",
            "Enter a valid email address.".into(),
        )]));
    }
    let prefix = state.settings.rest_auth_prefix.clone();
    let path = move |uid: i64, timestamp: i64, hash: &str| {
        format!(
            "{prefix}password/reset/confirm/{}/{timestamp}-{hash}/",
            URL_SAFE_NO_PAD.encode(uid.to_string())
        )
    };
    state
        .core
        .request_password_reset_with(AccountLookup::Mail(mail), Some(&path), &visitor.client)
        .await
        .map_err(|e| server_failure(&e))?;
    Ok(Json(json!({"detail": "Password reset e-mail has been sent."})).into_response())
}

/// `POST password/reset/confirm/`: `uid`, `token`, `new_password1`, `new_password2`.
#[utoipa::path(
    post, path = "/dj-rest-auth/password/reset/confirm/", tag = "Django",
    summary = "Set a new password with the mailed link's uid and token (dj-rest-auth)",
    params(("X-CSRFToken" = Option<String>, Header, description = "With a session cookie: the `csrftoken` cookie's value."), ("csrftoken" = Option<String>, Cookie, description = "The CSRF cookie set at login.")),
    request_body(content((api::DjangoPasswordResetConfirm = "application/json"), (api::DjangoPasswordResetConfirm = "application/x-www-form-urlencoded"))),
    security((), ("django_session" = [])),
    responses(
        (status = 200, description = "The password is reset; every session of the account ends", body = api::DjangoDetail),
        (status = 400, description = "Field errors, or a body that could not be parsed", body = api::DjangoError),
        (status = 403, description = "With a session: a CSRF failure; without one, a browser request from an untrusted origin", body = api::DjangoDetail),
        (status = 415, description = "A body that is neither JSON nor a form", body = api::DjangoDetail),
        (status = 429, description = "Flood control", body = api::DjangoDetail, headers(("Retry-After" = u32, description = "Seconds until the block lifts."))),
    )
)]
pub async fn confirm(
    State(state): State<DjangoState>,
    headers: HeaderMap,
    uri: Uri,
    DjangoVisitor(visitor): DjangoVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let fields = checked_fields(&state, &headers, &uri, &visitor, body).await?;
    let mut checks = Checks::default();
    let uid = checks.text(&fields, "uid");
    let token = checks.text(&fields, "token").unwrap_or_default();
    // dj-rest-auth decodes the uid before the passwords are compared.
    let decoded = uid
        .as_ref()
        .and_then(|uid| URL_SAFE_NO_PAD.decode(uid).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.parse::<i64>().ok());
    let new_password = new_password(&fields, checks, || match (&uid, decoded) {
        (Some(_), None) => Err(field_errors(&[("uid", INVALID.into())])),
        _ => Ok(()),
    })?;
    let uid = decoded.unwrap_or_default();
    let invalid_token = || field_errors(&[("token", INVALID.into())]);
    // A malformed token is checked like a forged one, so the new password's faults come
    // first, as Django reports them.
    let (timestamp, hash) = token
        .split_once('-')
        .and_then(|(timestamp, hash)| Some((timestamp.parse::<i64>().ok()?, hash)))
        .unwrap_or((0, ""));
    match state
        .core
        .reset_password_with_link(uid, timestamp, hash, None, &new_password, &visitor.client)
        .await
    {
        Ok(()) => Ok(
            Json(json!({"detail": "Password has been reset with the new password."}))
                .into_response(),
        ),
        // Django says the same for a used, expired, forged or foreign token.
        Err(Error::LinkInvalid | Error::LinkExpired) => Err(invalid_token()),
        Err(e) => Err(account_error(&e, "new_password2")),
    }
}

/// `new_password1` once both copies pass DRF's field checks (besides the fields `checks`
/// holds already), then the serializer's own `before`, and are equal, as `SetPasswordForm`
/// wants them.
fn new_password(
    fields: &Fields,
    mut checks: Checks,
    before: impl FnOnce() -> Result<(), Response>,
) -> Result<SecretString, Response> {
    let first = checks.secret(fields, "new_password1");
    let second = checks.secret(fields, "new_password2");
    checks.finish()?;
    before()?;
    if first != second {
        return Err(field_errors(&[("new_password2", MISMATCH.into())]));
    }
    Ok(SecretString::from(first.unwrap_or_default()))
}

/// `GET password/reset/confirm/{uid}/{token}/`, the reset mail's link: a redirect to the
/// configured front-end page, else a form that posts to `password/reset/confirm/`. The link
/// is not checked here, so mail scanners that fetch it do not learn or spend anything.
#[utoipa::path(
    get, path = "/dj-rest-auth/password/reset/confirm/{uid}/{token}/", tag = "Django",
    summary = "The reset mail's link (browsers)",
    params(("uid" = String, Path), ("token" = String, Path)),
    responses(
        (status = 200, description = "A form that posts to `password/reset/confirm/`", body = String,
            content_type = "text/html",
            headers(("Set-Cookie" = String, description = "The `csrftoken` cookie."))),
        (status = 302, description = "To `django.password_reset_confirm_url`, when set",
            headers(("Location" = String, description = "The front end's page."))),
        (status = 404, description = "A uid or token that is not plain letters, digits, `-` and `_`", body = api::DjangoDetail),
    )
)]
pub async fn reset_page(
    State(state): State<DjangoState>,
    headers: HeaderMap,
    Path((uid, reset_token)): Path<(String, String)>,
) -> Response {
    let plain = |s: &str| {
        !s.is_empty()
            && s.len() <= 200
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if !plain(&uid) || !plain(&reset_token) {
        return detail(StatusCode::NOT_FOUND, "Not found.");
    }
    let front_end = &state.settings.password_reset_confirm_url;
    if !front_end.is_empty() {
        let target = front_end
            .replace("{uid}", &uid)
            .replace("{token}", &reset_token);
        return (StatusCode::FOUND, [(LOCATION, target)]).into_response();
    }
    let secret = csrf_secret(&state, &headers).unwrap_or_else(token::new_secret);
    let html = page::reset_form(&ResetForm {
        action: &format!("{}password/reset/confirm/", state.settings.rest_auth_prefix),
        csrf_token: &token::mask(&secret),
        uid: &uid,
        token: &reset_token,
    });
    with_cookies(Html(html).into_response(), &[csrf_cookie(&state, &secret)])
}
