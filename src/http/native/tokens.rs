//! The caller's personal access tokens: `GET`/`POST /latch/tokens`, `DELETE
//! /latch/tokens/{id}`, called as the sessions endpoints are (see [`super::self_service`]).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::self_service::{Caller, core_failure};
use super::{NativeError, NativeState};
use crate::core::access_tokens::{AccessToken, TokenError, TokenRequest, scopes_of};
use crate::http::form::essence;
use crate::http::limits::json_too_deep;
use crate::http::openapi::native as api;

/// A token as listed: never the token itself.
pub fn token_json(token: &AccessToken) -> Value {
    let scopes: Vec<&str> = scopes_of(token).iter().map(|s| s.as_str()).collect();
    json!({
        "id": token.id,
        "name": token.name,
        "hint": token.token_hint,
        "scopes": scopes,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "expires_at": token.expires_at,
        "keep_on_password_change": token.keep_on_password_change,
    })
}

/// `GET /latch/tokens`.
#[utoipa::path(
    get, path = "/latch/tokens", tag = "latch",
    summary = "The caller's personal access tokens (never the tokens themselves)",
    security(
        ("session_cookie" = []), ("django_session" = []), ("session_token" = []),
        ("personal_access_token" = [])
    ),
    responses(
        (status = 200, description = "Newest first", body = api::AccessTokens),
        (status = 401, description = "No live session or token, or a token that is unknown, revoked or expired", body = api::NativeError),
        (status = 403, description = "A token without the `account` scope, or a cookie without its CSRF token", body = api::NativeError),
    )
)]
pub async fn list_tokens(
    State(state): State<NativeState>,
    caller: Caller,
) -> Result<Json<Value>, NativeError> {
    let tokens = state
        .core
        .access_tokens_of(&caller.account)
        .await
        .map_err(core_failure)?;
    let listed: Vec<Value> = tokens.iter().map(token_json).collect();
    Ok(Json(json!({ "tokens": listed })))
}

const TOKEN_EXAMPLE: &str =
    r#"{"name": "deploy script", "expires_in_days": 30, "scopes": ["verify"]}"#;

fn bad_request(message: impl Into<String>) -> NativeError {
    NativeError::new(StatusCode::BAD_REQUEST, message)
}

/// The fields of `POST /latch/tokens`, each checked for its type with the field named.
fn token_request(headers: &HeaderMap, body: &[u8]) -> Result<TokenRequest, NativeError> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .map(|v| essence(&String::from_utf8_lossy(v.as_bytes())));
    if content_type.as_deref() != Some("application/json") {
        return Err(NativeError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "Send the token's details as JSON (Content-Type: application/json), such as {TOKEN_EXAMPLE}."
            ),
        ));
    }
    if let Some(reason) = json_too_deep(body) {
        return Err(bad_request(reason));
    }
    let fields: Map<String, Value> = match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return Err(bad_request(format!(
                "The body must be a JSON object, such as {TOKEN_EXAMPLE}."
            )));
        }
        Err(e) => {
            return Err(bad_request(format!(
                "The body is not valid JSON ({e}). Send an object such as {TOKEN_EXAMPLE}."
            )));
        }
    };
    let name = match fields.get("name") {
        Some(Value::String(name)) => name.clone(),
        Some(_) => return Err(bad_request("name: must be a string")),
        None => return Err(bad_request(format!("name: missing; send {TOKEN_EXAMPLE}"))),
    };
    let expires_in_days = match fields.get("expires_in_days") {
        None | Some(Value::Null) => None,
        Some(Value::Number(days)) => Some(
            days.as_i64()
                .ok_or_else(|| bad_request("expires_in_days: must be a whole number of days"))?,
        ),
        Some(_) => return Err(bad_request("expires_in_days: must be a number of days")),
    };
    let scopes = match fields.get("scopes") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|item| item.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad_request("scopes: must be a list of strings"))?,
        ),
        Some(_) => return Err(bad_request("scopes: must be a list, such as [\"verify\"]")),
    };
    let keep_on_password_change = match fields.get("keep_on_password_change") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(keep)) => *keep,
        Some(_) => {
            return Err(bad_request(
                "keep_on_password_change: must be true or false",
            ));
        }
    };
    Ok(TokenRequest {
        name,
        expires_in_days,
        scopes,
        keep_on_password_change,
    })
}

/// `POST /latch/tokens` → 201 with the token, shown this once.
#[utoipa::path(
    post, path = "/latch/tokens", tag = "latch",
    summary = "Make a personal access token",
    params(
        ("X-CSRF-Token" = Option<String>, Header,
            description = "With a session cookie: the `csrf_token` of `GET /latch/whoami`."),
    ),
    request_body(content = api::TokenRequest, content_type = "application/json"),
    security(
        ("session_cookie" = []), ("django_session" = []), ("session_token" = []),
        ("personal_access_token" = [])
    ),
    responses(
        (status = 201, description = "The token, shown this once", body = api::NewAccessToken),
        (status = 400, description = "Malformed JSON or a field of the wrong type, named", body = api::NativeError),
        (status = 409, description = "The account holds 100 tokens already", body = api::NativeError),
        (status = 415, description = "The body is not JSON", body = api::NativeError),
        (status = 422, description = "A bad name, scope or lifetime, named", body = api::NativeError),
        (status = 401, description = "No live session or token, or a token that is unknown, revoked or expired", body = api::NativeError),
        (status = 403, description = "A token without the `account` scope, or a cookie without its CSRF token", body = api::NativeError),
    )
)]
pub async fn create_token(
    State(state): State<NativeState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, NativeError> {
    let request = token_request(&headers, &body)?;
    let created = state
        .core
        .create_access_token(&caller.account, &request, &caller.client)
        .await
        .map_err(|e| match e {
            TokenError::Core(e) => core_failure(e),
            TokenError::TooMany => NativeError::new(StatusCode::CONFLICT, e.to_string()),
            e => NativeError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
        })?;
    let mut answer = token_json(&created.token);
    answer["token"] = Value::String(created.secret);
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// `DELETE /latch/tokens/{id}`.
#[utoipa::path(
    delete, path = "/latch/tokens/{id}", tag = "latch",
    summary = "Revoke one of the caller's personal access tokens",
    params(("id" = String, Path, description = "The token's `id` from `GET /latch/tokens`."),
        ("X-CSRF-Token" = Option<String>, Header,
            description = "With a session cookie: the `csrf_token` of `GET /latch/whoami`."),
    ),
    security(
        ("session_cookie" = []), ("django_session" = []), ("session_token" = []),
        ("personal_access_token" = [])
    ),
    responses(
        (status = 204, description = "Revoked; it stops working at once"),
        (status = 404, description = "Not one of the caller's tokens", body = api::NativeError),
        (status = 401, description = "No live session or token, or a token that is unknown, revoked or expired", body = api::NativeError),
        (status = 403, description = "A token without the `account` scope, or a cookie without its CSRF token", body = api::NativeError),
    )
)]
pub async fn revoke_token(
    State(state): State<NativeState>,
    Path(id): Path<String>,
    caller: Caller,
) -> Result<StatusCode, NativeError> {
    let revoked = state
        .core
        .revoke_access_token(&id, Some(&caller.account), &caller.client)
        .await
        .map_err(core_failure)?;
    if revoked {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(NativeError::new(
            StatusCode::NOT_FOUND,
            "You have no token with this id; GET /latch/tokens lists yours.",
        ))
    }
}
