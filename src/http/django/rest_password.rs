//! dj-rest-auth's password endpoints: `password/change/`, `password/reset/` and
//! `password/reset/confirm/`. Reset mails carry a link with Django's `uid` (the account id in
//! base64) and a one-time `token`, which `confirm/` accepts once, before it expires.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, Uri};
use axum::response::IntoResponse;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::SecretString;
use serde_json::json;

use super::DjangoState;
use super::body::Fields;
use super::rest::{REQUIRED, account_error, checked_fields, require_session};
use super::{Answer, DjangoVisitor, field_errors, server_failure};
use crate::core::accounts::check_mail;
use crate::core::{AccountChanges, AccountLookup, Error};

/// Django's `SetPasswordForm` wording (with its typographic apostrophe).
const MISMATCH: &str = "The two password fields didn\u{2019}t match.";
const INVALID: &str = "Invalid value";

/// `POST password/change/`: `old_password`, `new_password1`, `new_password2`. This session
/// stays; every other session of the account ends.
pub async fn change(
    State(state): State<DjangoState>,
    headers: HeaderMap,
    uri: Uri,
    DjangoVisitor(visitor): DjangoVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let session = require_session(&visitor)?;
    let fields = checked_fields(&state, &headers, &uri, &visitor, body).await?;
    let new_password = new_password(&fields, &[])?;
    let changes = AccountChanges {
        password: Some(new_password),
        current_password: fields.secret("old_password").map(SecretString::from),
        ..AccountChanges::default()
    };
    state
        .core
        .update_account(session, session.account.id, changes, &visitor.client)
        .await
        .map_err(|e| account_error(&e, "new_password1"))?;
    Ok(Json(json!({"detail": "New password has been saved."})).into_response())
}

/// `POST password/reset/`: `email`. The same answer whether or not an account has it.
pub async fn reset(
    State(state): State<DjangoState>,
    headers: HeaderMap,
    uri: Uri,
    DjangoVisitor(visitor): DjangoVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let fields = checked_fields(&state, &headers, &uri, &visitor, body).await?;
    let Some(mail) = fields.text("email") else {
        return Err(field_errors(&[("email", REQUIRED.into())]));
    };
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
pub async fn confirm(
    State(state): State<DjangoState>,
    headers: HeaderMap,
    uri: Uri,
    DjangoVisitor(visitor): DjangoVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let fields = checked_fields(&state, &headers, &uri, &visitor, body).await?;
    let new_password = new_password(&fields, &["uid", "token"])?;
    let uid = fields
        .text("uid")
        .and_then(|uid| URL_SAFE_NO_PAD.decode(uid).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.parse::<i64>().ok())
        .ok_or_else(|| field_errors(&[("uid", INVALID.into())]))?;
    let invalid_token = || field_errors(&[("token", INVALID.into())]);
    let token = fields.text("token").unwrap_or_default();
    let (timestamp, hash) = token.split_once('-').ok_or_else(invalid_token)?;
    let timestamp = timestamp.parse::<i64>().map_err(|_| invalid_token())?;
    match state
        .core
        .reset_password_with_link(uid, timestamp, hash, &new_password, &visitor.client)
        .await
    {
        Ok(()) => Ok(
            Json(json!({"detail": "Password has been reset with the new password."}))
                .into_response(),
        ),
        // Django says the same for a used, expired, forged or foreign token.
        Err(Error::LinkInvalid | Error::LinkExpired) => Err(invalid_token()),
        Err(e) => Err(account_error(&e, "new_password1")),
    }
}

/// `new_password1` once both copies are present and equal; `also` lists other required
/// fields.
fn new_password(
    fields: &Fields,
    also: &[&'static str],
) -> Result<SecretString, axum::response::Response> {
    let mut errors = Vec::new();
    for field in also
        .iter()
        .copied()
        .chain(["new_password1", "new_password2"])
    {
        if fields.get(field).is_none_or(str::is_empty) {
            errors.push((field, REQUIRED.to_string()));
        }
    }
    if !errors.is_empty() {
        return Err(field_errors(&errors));
    }
    if fields.get("new_password1") != fields.get("new_password2") {
        return Err(field_errors(&[("new_password2", MISMATCH.into())]));
    }
    Ok(SecretString::from(
        fields.secret("new_password1").unwrap_or_default(),
    ))
}
