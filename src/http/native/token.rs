//! Short-lived JWTs for the backends next to latch: `POST /latch/token` hands one to the
//! holder of a live session, `GET /.well-known/jwks.json` publishes the keys that verify it.

use axum::Json;
use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{NativeError, NativeState, Presented, SameOrigin, screen_cookie_caller};

const CSRF_REFUSAL: &str = "A session cookie alone does not prove the request is the user's. \
     Send the token from GET /session/token (or the csrf_token of GET /latch/whoami) in \
     X-CSRF-Token, call from this server's origin, or send the session in X-Session-Token \
     instead of the cookie.";
use crate::core::Error as CoreError;
use crate::core::tokens::TokenError;
use crate::http::ServerFailure;
use crate::http::openapi::native as api;

fn token_failure(error: TokenError) -> NativeError {
    match error {
        TokenError::Store(e) => NativeError::from_core(&CoreError::Store(e)),
        e @ (TokenError::Signing(_) | TokenError::KeyEncoding(_)) => {
            NativeError::server(ServerFailure::internal(&e))
        }
    }
}

/// `POST /latch/token`.
#[utoipa::path(
    post, path = "/latch/token", tag = "latch",
    summary = "A short-lived JWT for the holder of a live session",
    description = "By cookie, the request must come from this server's origin (or a trusted \
        one) or carry the session's token in `X-CSRF-Token`; by `X-Session-Token`, neither.",
    params(("X-CSRF-Token" = Option<String>, Header,
        description = "With a session cookie: the `csrf_token` of `GET /latch/whoami`.")),
    security(("session_cookie" = []), ("django_session" = []), ("session_token" = [])),
    responses(
        (status = 200, description = "A signed token", body = api::TokenIssued),
        (status = 401, description = "No live session", body = api::NativeError),
        (status = 403, description = "A cookie without a CSRF token, or a cross-site request", body = api::NativeError),
    )
)]
pub async fn issue(
    State(state): State<NativeState>,
    parts: Parts,
    presented: Presented,
) -> Result<Json<serde_json::Value>, NativeError> {
    let Some(session) = presented.session else {
        return Err(NativeError::new(
            StatusCode::UNAUTHORIZED,
            "No live session. Log in through any dialect and send its session cookie, or send \
             the session in X-Session-Token.",
        ));
    };
    if presented.by_cookie {
        screen_cookie_caller(&state, &parts, &session, SameOrigin::Suffices, CSRF_REFUSAL)?;
    }
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

/// `GET /.well-known/jwks.json`.
#[utoipa::path(
    get, path = "/.well-known/jwks.json", tag = "latch",
    summary = "The public keys that verify latch's JWTs",
    responses((status = 200, description = "A JSON Web Key Set; cacheable for a minute", body = api::Jwks,
        headers(("Cache-Control" = String, description = "`public, max-age=60`")))),
)]
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
