//! Short-lived JWTs for the backends next to latch: `POST /latch/token` hands one to the
//! holder of a live session, `GET /.well-known/jwks.json` publishes the keys that verify it.

use axum::Json;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, ORIGIN};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{NativeError, NativeState, SESSION_HEADER};
use crate::core::csrf::HEADER_PURPOSES;
use crate::core::tokens::TokenError;
use crate::core::{CurrentSession, Error as CoreError};
use crate::http::origin::cross_site_refusal;
use crate::http::{ServerFailure, Visitor};

fn token_failure(error: TokenError) -> NativeError {
    match error {
        TokenError::Store(e) => NativeError::from_core(&CoreError::Store(e)),
        e @ (TokenError::Signing(_) | TokenError::KeyEncoding(_)) => {
            NativeError::server(ServerFailure::internal(&e))
        }
    }
}

/// `POST /latch/token`.
pub async fn issue(
    State(state): State<NativeState>,
    mut parts: Parts,
) -> Result<Json<serde_json::Value>, NativeError> {
    let session = session_of(&state, &mut parts).await?;
    let issued = state
        .core
        .issue_token(&session)
        .await
        .map_err(token_failure)?;
    Ok(Json(json!({
        "token": issued.token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
    })))
}

/// The caller's session: from `X-Session-Token` as it is, or from the cookie when the request
/// comes from this server's origin or carries the session's `X-CSRF-Token` — a cookie alone
/// is sent by the browser to any site's request, so it proves nothing.
async fn session_of(state: &NativeState, parts: &mut Parts) -> Result<CurrentSession, NativeError> {
    const NO_SESSION: &str = "No live session. Log in through any dialect and send its session \
         cookie, or send the session in X-Session-Token.";
    let no_session = || NativeError::new(StatusCode::UNAUTHORIZED, NO_SESSION);
    if let Some(value) = parts.headers.get(SESSION_HEADER) {
        let id = value.to_str().unwrap_or_default().trim();
        return match state.core.authenticate(id).await {
            Ok(Some(session)) => Ok(session),
            Ok(None) => Err(no_session()),
            Err(e) => Err(NativeError::from_core(&e)),
        };
    }
    let visitor = Visitor::look_up(parts, &state.app)
        .await
        .map_err(|failure| NativeError::from_core(&failure.0))?;
    let Some(session) = visitor.session else {
        return Err(no_session());
    };
    let headers = &parts.headers;
    if let Some(reason) = cross_site_refusal(&parts.method, headers, &state.trusted_origins) {
        state.audit_csrf_rejection(Some(&session), &visitor.client, &reason);
        return Err(NativeError::new(StatusCode::FORBIDDEN, reason));
    }
    let same_origin = headers
        .get("sec-fetch-site")
        .is_some_and(|site| site == "same-origin")
        || headers.contains_key(ORIGIN);
    let token_valid = headers
        .get("x-csrf-token")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|token| {
            state
                .core
                .csrf_token_valid(&session, HEADER_PURPOSES, token.trim())
        });
    if !(same_origin || token_valid) {
        let reason = "A session cookie alone does not prove the request is the user's. Send \
             the token from GET /session/token (or the csrf_token of GET /latch/whoami) in X-CSRF-Token, call from this server's \
             origin, or send the session in X-Session-Token instead of the cookie.";
        state.audit_csrf_rejection(Some(&session), &visitor.client, reason);
        return Err(NativeError::new(StatusCode::FORBIDDEN, reason));
    }
    Ok(session)
}

/// `GET /.well-known/jwks.json`.
pub async fn jwks(State(state): State<NativeState>) -> Result<Response, NativeError> {
    let keys = state.core.published_keys().await.map_err(token_failure)?;
    let mut response = Json(json!({ "keys": keys })).into_response();
    // A verifier may cache the keys a minute; a new key signs only after a rotation, and
    // verifiers refetch when they meet an unknown kid.
    response.headers_mut().insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    Ok(response)
}
