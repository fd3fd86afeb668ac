//! Short-lived JWTs for the backends next to latch: `POST /latch/token` hands one to the
//! holder of a live session, `GET /.well-known/jwks.json` publishes the keys that verify it.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, ORIGIN};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::origin::cross_site_refusal;
use super::{AppState, ServerFailure, SessionLookupFailed, Visitor};
use crate::core::csrf::HEADER_PURPOSES;
use crate::core::tokens::TokenError;
use crate::core::{CurrentSession, Error as CoreError};

/// The header clients that keep no cookies carry their session in.
const SESSION_HEADER: &str = "x-session-token";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/latch/token", post(issue))
        .route("/.well-known/jwks.json", get(jwks))
}

/// An error of the native API: `{"message"}`, saying what to send instead.
fn refusal(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "message": message }))).into_response()
}

fn server_failure(failure: ServerFailure) -> Response {
    let mut response = refusal(failure.status, &failure.message);
    if let Some(seconds) = failure.retry_after {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

fn token_failure(error: TokenError) -> Response {
    match error {
        TokenError::Store(e) => server_failure(ServerFailure::from_core(&CoreError::Store(e))),
        e @ (TokenError::Signing(_) | TokenError::KeyEncoding(_)) => {
            server_failure(ServerFailure::internal(&e))
        }
    }
}

async fn issue(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    visitor: Result<Visitor, SessionLookupFailed>,
) -> Response {
    let session = match session_of(&state, &method, &headers, visitor).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    match state.core.issue_token(&session).await {
        Ok(issued) => Json(json!({
            "token": issued.token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
        }))
        .into_response(),
        Err(e) => token_failure(e),
    }
}

/// The caller's session: from `X-Session-Token` as it is, or from the cookie when the request
/// comes from this server's origin or carries the session's `X-CSRF-Token` — a cookie alone
/// is sent by the browser to any site's request, so it proves nothing.
async fn session_of(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    visitor: Result<Visitor, SessionLookupFailed>,
) -> Result<CurrentSession, Response> {
    const NO_SESSION: &str = "No live session. Log in through any dialect and send its session \
         cookie, or send the session in X-Session-Token.";
    if let Some(value) = headers.get(SESSION_HEADER) {
        let id = value.to_str().unwrap_or_default().trim();
        return match state.core.authenticate(id).await {
            Ok(Some(session)) => Ok(session),
            Ok(None) => Err(refusal(StatusCode::UNAUTHORIZED, NO_SESSION)),
            Err(e) => Err(server_failure(ServerFailure::from_core(&e))),
        };
    }
    let visitor = visitor.map_err(|failure| server_failure(ServerFailure::from_core(&failure.0)))?;
    let Some(session) = visitor.session else {
        return Err(refusal(StatusCode::UNAUTHORIZED, NO_SESSION));
    };
    if let Some(reason) = cross_site_refusal(method, headers, &state.trusted_origins) {
        state.audit_csrf_rejection(Some(&session), &visitor.client, &reason);
        return Err(refusal(StatusCode::FORBIDDEN, &reason));
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
        return Err(refusal(StatusCode::FORBIDDEN, reason));
    }
    Ok(session)
}

async fn jwks(State(state): State<AppState>) -> Response {
    match state.core.published_keys().await {
        Ok(keys) => {
            let mut response = Json(json!({ "keys": keys })).into_response();
            // A verifier may cache the keys a minute; a new key signs only after a rotation,
            // and verifiers refetch when they meet an unknown kid.
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
            response
        }
        Err(e) => token_failure(e),
    }
}
