//! Sanctum's API side: `GET /api/user` for a front end's session or an app's token, and the
//! route apps trade an address and password for a token at.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::auth::{credentials, login_refusal};
use super::error::{self, invalid};
use super::{Answer, LaravelState, LaravelVisitor, body, xsrf};
use crate::core::LoginName;
use crate::core::access_tokens::{BearerCheck, Scope, TokenError, TokenRequest};
use crate::core::accounts::Account;
use crate::http::openapi::laravel as api;

const CREDENTIALS_INCORRECT: &str = "The provided credentials are incorrect.";

/// The token of `Authorization: Bearer …`, if the request sends that scheme.
fn bearer(headers: &HeaderMap) -> Option<String> {
    let text = String::from_utf8_lossy(headers.get(AUTHORIZATION)?.as_bytes()).into_owned();
    let (scheme, token) = text.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// `GET /api/user` (`auth:sanctum`): the caller's user model. A request from a stateful front
/// end is authenticated by its session cookie; any request by `Authorization: Bearer` with a
/// token (`<id>|<token>` as this dialect hands them out, or a latch personal access token).
#[utoipa::path(
    get, path = "/api/user", tag = "Laravel",
    summary = "The logged-in user (Sanctum)",
    params(("Authorization" = Option<String>, Header, description = "`Bearer <id>|<token>` for apps; front ends send their session cookie and an `Origin` or `Referer` on `laravel.stateful`.")),
    responses(
        (status = 200, description = "The user", body = api::LaravelUser),
        (status = 401, description = "No session or token", body = api::LaravelMessage),
    )
)]
pub async fn user(
    State(state): State<LaravelState>,
    headers: HeaderMap,
    LaravelVisitor(visitor): LaravelVisitor,
) -> Answer {
    if xsrf::from_front_end(&state, &headers)
        && let Some(session) = &visitor.session
    {
        return Ok(user_model(&session.account));
    }
    let Some(token) = bearer(&headers) else {
        return Err(error::unauthenticated());
    };
    match state.core.authenticate_bearer(&token).await {
        Ok(BearerCheck::Valid(holder)) => Ok(user_model(&holder.account)),
        Ok(BearerCheck::Expired { .. } | BearerCheck::Unknown) => Err(error::unauthenticated()),
        Err(e) => Err(error::server_failure(&e)),
    }
}

/// Laravel's default `User` model as JSON, without its hidden fields. latch does not track
/// when an address was confirmed: an account with one counts as confirmed since it was made,
/// as front ends such as breeze-next send users with `null` to a verification page.
fn user_model(account: &Account) -> Response {
    let stamp = |unix: i64| laravel_time(unix).map_or(serde_json::Value::Null, Into::into);
    axum::Json(json!({
        "id": account.id,
        "name": account.name,
        "email": account.mail,
        "email_verified_at": account.mail.as_ref().map(|_| stamp(account.created_at)),
        "created_at": stamp(account.created_at),
        "updated_at": stamp(account.changed_at),
    }))
    .into_response()
}

/// `2024-01-02T03:04:05.000000Z`, as Laravel serialises dates.
fn laravel_time(unix: i64) -> Option<String> {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].000000Z");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()?
        .format(&format)
        .ok()
}

/// `POST /sanctum/token`: `email`, `password`, `device_name` (and `code` for an account with
/// a second factor) → the token in plain text, `<id>|<token>`, for `Authorization: Bearer`.
/// No session is opened.
#[utoipa::path(
    post, path = "/sanctum/token", tag = "Laravel",
    summary = "Trade an address and password for an app token (Sanctum)",
    request_body(content((api::LaravelTokenRequest = "application/json"), (api::LaravelTokenRequest = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, description = "The token, `<id>|<token>`", body = String, content_type = "text/plain"),
        (status = 422, description = "Validation errors or wrong credentials", body = api::LaravelValidation),
        (status = 429, description = "Too many attempts", body = api::LaravelValidation),
    )
)]
pub async fn token(
    State(state): State<LaravelState>,
    headers: HeaderMap,
    LaravelVisitor(visitor): LaravelVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let fields = body::read(&headers, body, state.body_limit).await?;
    if xsrf::from_front_end(&state, &headers) {
        xsrf::verify(&state, &visitor, &headers, fields.get("_token"))?;
    }
    let device = fields.text("device_name");
    let (email, password) = match (credentials(&fields, true), &device) {
        (Ok(pair), Some(_)) => pair,
        (result, _) => {
            let mut errors = result.err().unwrap_or_default();
            if device.is_none() {
                errors.push(("device_name", "The device name field is required.".into()));
            }
            return Err(error::validation(&errors));
        }
    };
    let code = fields.text("code");
    let account = match state
        .core
        .verify_login(
            LoginName::Mail(&email),
            &password,
            code.as_deref(),
            &visitor.client,
        )
        .await
    {
        Ok(account) => account,
        Err(crate::core::Error::BadCredentials | crate::core::Error::AccountInactive) => {
            return Err(invalid("email", CREDENTIALS_INCORRECT));
        }
        Err(e) => return Err(login_refusal(&state, &e)),
    };
    let request = TokenRequest {
        name: device.unwrap_or_default(),
        scopes: Some(Scope::ALL.iter().map(|s| s.as_str().to_string()).collect()),
        ..TokenRequest::default()
    };
    match state
        .core
        .create_access_token(&account, &request, &visitor.client)
        .await
    {
        Ok(new) => Ok((
            [(CONTENT_TYPE, "text/plain; charset=UTF-8")],
            format!("{}|{}", new.token.id, new.secret),
        )
            .into_response()),
        Err(TokenError::Core(e)) => Err(error::server_failure(&e)),
        Err(TokenError::BadName) => Err(invalid(
            "device_name",
            "The device name field must be 1 to 100 characters without control characters.",
        )),
        Err(other) => Err(invalid("device_name", &other.to_string())),
    }
}
