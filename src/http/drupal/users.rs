//! `POST /user/register`, `GET /user/{uid}` and `PATCH /user/{uid}`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use secrecy::SecretString;
use serde_json::Value;

use super::DrupalVisitor;
use super::entity::{self, Viewer};
use super::error::field_name;
use super::{
    DrupalError, DrupalQuery, body_bytes, check_csrf_header, json_object, require_json_content_type,
};
use crate::core::accounts::{Field, NameRules};
use crate::core::{AccountChanges, Error as CoreError, Registrar, Registration};
use crate::http::AppState;
use crate::http::openapi::drupal as api;

const REGISTER_EXAMPLE: &str =
    r#"{"name": {"value": "…"}, "mail": {"value": "…"}, "pass": {"value": "…"}}"#;

/// `POST /user/register`: creates an account as the registration policy allows. The new
/// account is not logged in.
#[utoipa::path(
    post, path = "/user/register", tag = "Drupal 8+",
    summary = "Register an account",
    description = "As `registration.mode` allows; an administrator may also set status and roles. \
        With a session cookie, `X-CSRF-Token` is required.",
    params(api::DrupalFormat, ("X-CSRF-Token" = Option<String>, Header,
        description = "With a session cookie: the token of `GET /session/token`.")),
    request_body(content = api::DrupalUserFields, content_type = "application/json"),
    security((), ("session_cookie" = [])),
    responses(
        (status = 200, description = "The new account (not logged in)", body = api::DrupalUser),
        (status = 400, description = "No body, malformed JSON, or a uid", body = api::DrupalError),
        (status = 403, description = "Registration closed, a logged-in caller, a field the caller \
            may not set, or a missing or wrong X-CSRF-Token", body = api::DrupalError),
        (status = 406, description = "A `_format` other than json", body = api::DrupalError),
        (status = 415, description = "A body that is not `application/json`", body = api::DrupalError),
        (status = 422, description = "Validation failed, one `field: message` line each", body = api::DrupalError),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    DrupalVisitor(visitor): DrupalVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, DrupalError> {
    require_json_content_type(&headers)?;
    DrupalQuery::from_uri(&uri).require_json()?;
    check_csrf_header(&state, &visitor, &headers)?;
    let body = body_bytes(body, state.body_limit)?;
    if body.is_empty() {
        return Err(
            DrupalError::bad_request("No user account data for registration received.")
                .with_hint(format!("Send a JSON object such as {REGISTER_EXAMPLE}.")),
        );
    }
    let fields = entity::parse(&json_object(&body, REGISTER_EXAMPLE)?)?;
    if fields.uid.is_some() {
        return Err(DrupalError::bad_request(
            "An ID has been set and only new user accounts can be registered.",
        ));
    }
    if visitor.session.is_some() {
        return Err(
            DrupalError::forbidden("Only anonymous users can register a user.")
                .with_hint("Log out first, or send the request without the session cookie."),
        );
    }
    if let Some(field) = fields.read_only.first() {
        return Err(creating_denied(field));
    }
    let registration = Registration {
        name: fields.name.unwrap_or_default(),
        mail: fields.mail.flatten(),
        password: fields.pass.and_then(|p| p.value).map(SecretString::from),
        state: fields.status,
        roles: fields.roles.unwrap_or_default(),
        name_rules: NameRules::Drupal,
    };
    let account = state
        .core
        .register_from(registration, Registrar::Visitor, &visitor.client)
        .await
        .map_err(|e| match e {
            CoreError::FieldNotAllowed(field) => creating_denied(field_name(field)),
            other => other.into(),
        })?;
    Ok(Json(entity::render(&account, Viewer::Anonymous)))
}

fn creating_denied(field: &str) -> DrupalError {
    DrupalError::forbidden(format!("Access denied on creating field '{field}'."))
}

/// `GET /user/{uid}`: one's own account, or any for administrators.
#[utoipa::path(
    get, path = "/user/{uid}", tag = "Drupal 8+",
    summary = "An account",
    params(("uid" = i64, Path, minimum = 1), api::DrupalFormat),
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The account, as far as the caller may see it", body = api::DrupalUser),
        (status = 403, description = "No session, or another's account without the permission", body = api::DrupalError),
        (status = 404, description = "No such account, or an id that is no positive number", body = api::DrupalError),
        (status = 406, description = "A `_format` other than json", body = api::DrupalError),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    uri: Uri,
    Path(uid): Path<String>,
    DrupalVisitor(visitor): DrupalVisitor,
) -> Result<Json<Value>, DrupalError> {
    DrupalQuery::from_uri(&uri).require_json()?;
    let uid = parse_uid(&uri, &uid)?;
    let Some(session) = visitor.session else {
        return Err(
            DrupalError::forbidden("The 'access user profiles' permission is required.")
                .with_hint("Log in first and send the session cookie."),
        );
    };
    let account = state
        .core
        .account_for(&session.account, uid)
        .await
        .map_err(|e| match e {
            CoreError::NotPermitted => {
                DrupalError::forbidden("The 'access user profiles' permission is required.")
            }
            other => other.into(),
        })?;
    Ok(Json(entity::render(
        &account,
        Viewer::of(&session.account, &account),
    )))
}

/// `PATCH /user/{uid}`: changing mail or password needs the current password in
/// `pass[0].existing`, unless an administrator makes the change.
#[utoipa::path(
    patch, path = "/user/{uid}", tag = "Drupal 8+",
    summary = "Change an account",
    description = "Changing one's own mail or password needs the current password in \
        `pass[0].existing`.",
    params(("uid" = i64, Path, minimum = 1), api::DrupalFormat, ("X-CSRF-Token" = Option<String>,
        Header, description = "The token of `GET /session/token` for this session.")),
    request_body(content = api::DrupalUserFields, content_type = "application/json"),
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The changed account", body = api::DrupalUser),
        (status = 400, description = "Malformed JSON", body = api::DrupalError),
        (status = 403, description = "No session, a field the caller may not change, or a missing \
            or wrong X-CSRF-Token", body = api::DrupalError),
        (status = 404, description = "No such account", body = api::DrupalError),
        (status = 406, description = "A `_format` other than json", body = api::DrupalError),
        (status = 415, description = "A body that is not `application/json`", body = api::DrupalError),
        (status = 422, description = "Validation failed", body = api::DrupalError),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    uri: Uri,
    Path(uid): Path<String>,
    headers: HeaderMap,
    DrupalVisitor(visitor): DrupalVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, DrupalError> {
    require_json_content_type(&headers)?;
    DrupalQuery::from_uri(&uri).require_json()?;
    let uid = parse_uid(&uri, &uid)?;
    let Some(session) = visitor.session.clone() else {
        return Err(DrupalError::from_core(CoreError::NotPermitted)
            .with_hint("Log in first and send the session cookie and an X-CSRF-Token header."));
    };
    check_csrf_header(&state, &visitor, &headers)?;
    let body = body_bytes(body, state.body_limit)?;
    let example = r#"{"mail": {"value": "…"}, "pass": {"existing": "…"}}"#;
    let fields = entity::parse(&json_object(&body, example)?)?;
    let target = state.core.account_for(&session.account, uid).await?;
    if fields.uid.as_ref().is_some_and(|v| !same_id(v, uid)) {
        return Err(DrupalError::forbidden(
            "Access denied on updating field 'uid'.",
        ));
    }
    if fields
        .uuid
        .as_ref()
        .is_some_and(|v| v.as_str() != Some(target.uuid.as_str()))
    {
        return Err(DrupalError::forbidden(
            "Access denied on updating field 'uuid'.",
        ));
    }
    if let Some(field) = fields.read_only.first() {
        return Err(DrupalError::forbidden(format!(
            "Access denied on updating field '{field}'."
        )));
    }
    let pass = fields.pass.unwrap_or_default();
    let changes = AccountChanges {
        name: fields.name,
        mail: fields.mail,
        password: pass.value.filter(|p| !p.is_empty()).map(SecretString::from),
        current_password: pass.existing.map(SecretString::from),
        state: fields.status,
        roles: fields.roles,
        timezone: fields.timezone,
        langcode: fields.langcode,
        name_rules: NameRules::Drupal,
    };
    let updated = state
        .core
        .update_account(&session, uid, changes, &visitor.client)
        .await
        .map_err(|e| match e {
            CoreError::FieldNotAllowed(Field::Name) => {
                DrupalError::forbidden("Access denied on updating field 'name'.")
                    .with_hint("Only administrators can rename accounts.")
            }
            other => other.into(),
        })?;
    Ok(Json(entity::render(
        &updated,
        Viewer::of(&session.account, &updated),
    )))
}

fn parse_uid(uri: &Uri, raw: &str) -> Result<i64, DrupalError> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
        DrupalError::new(
            StatusCode::NOT_FOUND,
            format!("No route found for \"{}\"", uri.path()),
        )
    })
}

fn same_id(value: &Value, uid: i64) -> bool {
    value.as_i64() == Some(uid) || value.as_str().and_then(|s| s.parse().ok()) == Some(uid)
}
