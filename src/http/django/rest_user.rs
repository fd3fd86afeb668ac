//! dj-rest-auth's `user/`: the logged-in user's details, and changes to them.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, Uri};
use axum::response::IntoResponse;
use serde_json::json;

use super::rest::{checked_fields, require_session};
use super::rest_errors::{REQUIRED, account_error};
use super::{Answer, DjangoState, DjangoVisitor, field_errors};
use crate::core::accounts::{Account, Field, NameRules};
use crate::core::{AccountChanges, Error};
use crate::http::Visitor;
use crate::http::openapi::django as api;

/// `GET user/`.
#[utoipa::path(
    get, path = "/dj-rest-auth/user/", tag = "Django",
    summary = "The logged-in user (dj-rest-auth)",
    security(("django_session" = [])),
    responses(
        (status = 200, description = "The user", body = api::DjangoCurrentUser),
        (status = 403, description = "Not logged in", body = api::DjangoDetail),
    )
)]
pub async fn user(DjangoVisitor(visitor): DjangoVisitor) -> Answer {
    let session = require_session(&visitor)?;
    Ok(Json(user_body(&session.account)).into_response())
}

/// `PUT user/`: `username` is required.
#[utoipa::path(
    put, path = "/dj-rest-auth/user/", operation_id = "user_replace", tag = "Django",
    summary = "Replace the user's details (`username` required)",
    params(("X-CSRFToken" = Option<String>, Header, description = "With a session cookie: the `csrftoken` cookie's value."), ("csrftoken" = Option<String>, Cookie, description = "The CSRF cookie set at login.")),
    request_body(content((api::DjangoUserChanges = "application/json"), (api::DjangoUserChanges = "application/x-www-form-urlencoded"))),
    security(("django_session" = [])),
    responses(
        (status = 200, description = "The changed user", body = api::DjangoCurrentUser),
        (status = 400, description = "Field errors, or a body that could not be parsed", body = api::DjangoError),
        (status = 403, description = "Not logged in, a CSRF failure, or a change not permitted", body = api::DjangoDetail),
        (status = 415, description = "A body that is neither JSON nor a form", body = api::DjangoDetail),
    )
)]
pub async fn replace_user(
    State(state): State<DjangoState>,
    headers: HeaderMap,
    uri: Uri,
    DjangoVisitor(visitor): DjangoVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    change_user(state, headers, uri, visitor, body, true).await
}

/// `PATCH user/`.
#[utoipa::path(
    patch, path = "/dj-rest-auth/user/", operation_id = "user_update", tag = "Django",
    summary = "Change the user's details",
    params(("X-CSRFToken" = Option<String>, Header, description = "With a session cookie: the `csrftoken` cookie's value."), ("csrftoken" = Option<String>, Cookie, description = "The CSRF cookie set at login.")),
    request_body(content((api::DjangoUserChanges = "application/json"), (api::DjangoUserChanges = "application/x-www-form-urlencoded"))),
    security(("django_session" = [])),
    responses(
        (status = 200, description = "The changed user", body = api::DjangoCurrentUser),
        (status = 400, description = "Field errors, or a body that could not be parsed", body = api::DjangoError),
        (status = 403, description = "Not logged in, a CSRF failure, or a change not permitted", body = api::DjangoDetail),
        (status = 415, description = "A body that is neither JSON nor a form", body = api::DjangoDetail),
    )
)]
pub async fn update_user(
    State(state): State<DjangoState>,
    headers: HeaderMap,
    uri: Uri,
    DjangoVisitor(visitor): DjangoVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    change_user(state, headers, uri, visitor, body, false).await
}

async fn change_user(
    state: DjangoState,
    headers: HeaderMap,
    uri: Uri,
    visitor: Visitor,
    body: Result<Bytes, BytesRejection>,
    full: bool,
) -> Answer {
    let session = require_session(&visitor)?;
    let fields = checked_fields(&state, &headers, &uri, &visitor, body).await?;
    let mut errors = Vec::new();
    let name = fields.text("username");
    if full && name.is_none() {
        errors.push(("username", REQUIRED.to_string()));
    }
    // latch keeps no first or last names; refusing a value beats dropping it silently.
    for (field, words) in [("first_name", "first"), ("last_name", "last")] {
        if fields.text(field).is_some() {
            errors.push((
                field,
                format!("This server does not store {words} names; leave this field empty."),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(field_errors(&errors));
    }
    // `email` is read-only in dj-rest-auth's serializer and ignored, as DRF does.
    let changes = AccountChanges {
        name,
        name_rules: NameRules::Django,
        ..AccountChanges::default()
    };
    match state
        .core
        .update_account(session, session.account.id, changes, &visitor.client)
        .await
    {
        Ok(account) => Ok(Json(user_body(&account)).into_response()),
        Err(Error::FieldNotAllowed(Field::Name)) => Err(field_errors(&[(
            "username",
            "You may not change your username; ask an administrator.".into(),
        )])),
        Err(e) => Err(account_error(&e, "password1")),
    }
}

fn user_body(account: &Account) -> serde_json::Value {
    json!({
        "pk": account.id,
        "username": account.name,
        "email": account.mail.clone().unwrap_or_default(),
        "first_name": "",
        "last_name": "",
    })
}
