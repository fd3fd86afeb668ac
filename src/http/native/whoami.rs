//! `GET /latch/whoami`: the caller's account and session, and the CSRF token the native API's
//! unsafe endpoints expect in `X-CSRF-Token` from callers that authenticate by cookie; for a
//! personal access token, the token's name, scopes and expiry instead.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::self_service::{UNKNOWN_TOKEN, expired_message};
use super::tokens::token_json;
use super::{NativeError, NativeState, Presented};
use crate::core::access_tokens::BearerCheck;
use crate::core::csrf::HEADER_PURPOSE;
use crate::http::openapi::native as api;

#[utoipa::path(
    get, path = "/latch/whoami", tag = "latch",
    summary = "The caller's account and session, and its CSRF token",
    security(
        ("session_cookie" = []), ("django_session" = []), ("session_token" = []),
        ("personal_access_token" = [])
    ),
    responses(
        (status = 200, description = "The live session's or token's account", body = api::WhoAmI),
        (status = 401, description = "No live session, or a token that is unknown, revoked or expired", body = api::NativeError),
    )
)]
pub async fn whoami(
    State(state): State<NativeState>,
    presented: Presented,
) -> Result<Json<Value>, NativeError> {
    match presented.bearer {
        Some(BearerCheck::Valid(holder)) => {
            return Ok(Json(json!({
                "id": holder.account.id,
                "uuid": holder.account.uuid,
                "name": holder.account.name,
                "mail": holder.account.mail,
                "roles": holder.account.all_roles(),
                "csrf_token": null,
                "session": null,
                "token": token_json(&holder.token),
            })));
        }
        Some(BearerCheck::Expired { expired_at }) => {
            return Err(NativeError::new(
                StatusCode::UNAUTHORIZED,
                expired_message(expired_at),
            ));
        }
        Some(BearerCheck::Unknown) => {
            return Err(NativeError::new(StatusCode::UNAUTHORIZED, UNKNOWN_TOKEN));
        }
        None => {}
    }
    let Some(session) = presented.session else {
        return Err(NativeError::new(
            StatusCode::UNAUTHORIZED,
            "No live session. Send the session cookie latch set at login (Drupal's SESS…, \
             Django's sessionid, or the Services cookie), the header X-Session-Token: \
             <token> from POST /api/sessions, or a personal access token as Authorization: \
             Bearer latch_pat_…; log in again if the session has ended.",
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
        "token": null,
    })))
}
