//! `GET /latch/whoami`: the caller's account and session, and the CSRF token the native API's
//! unsafe endpoints expect in `X-CSRF-Token` from callers that authenticate by cookie.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{NativeError, NativeState, Presented};
use crate::core::csrf::HEADER_PURPOSE;
use crate::http::openapi::native as api;

#[utoipa::path(
    get, path = "/latch/whoami", tag = "latch",
    summary = "The caller's account and session, and its CSRF token",
    security(("session_cookie" = []), ("django_session" = []), ("session_token" = [])),
    responses(
        (status = 200, description = "The live session's account", body = api::WhoAmI),
        (status = 401, description = "No live session", body = api::NativeError),
    )
)]
pub async fn whoami(
    State(state): State<NativeState>,
    presented: Presented,
) -> Result<Json<Value>, NativeError> {
    let Some(session) = presented.session else {
        return Err(NativeError::new(
            StatusCode::UNAUTHORIZED,
            "No live session. Send the session cookie latch set at login (Drupal's SESS…, \
             Django's sessionid, or the Services cookie), or the header X-Session-Token: \
             <token> from POST /api/sessions; log in again if the session has ended.",
        ));
    };
    let account = &session.account;
    // The token Drupal's /session/token gives, so one token serves every dialect.
    let csrf_token = state.core.csrf_token(&session.csrf_seed, HEADER_PURPOSE);
    Ok(Json(json!({
        "id": account.id,
        "uuid": account.uuid,
        "name": account.name,
        "mail": account.mail,
        "roles": account.all_roles(),
        "csrf_token": csrf_token,
        "session": {
            "created_at": session.created_at,
            "expires_at": session.expires_at,
            "dialect": session.dialect,
        },
    })))
}
