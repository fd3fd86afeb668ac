//! The native `/latch/` API: `GET /latch/verify`, the forward-auth check for proxies (nginx
//! `auth_request`, Traefik `forwardAuth`, Caddy `forward_auth`), and `GET /latch/whoami`.
//! It speaks no other product's dialect, and accepts every session latch issues.

mod error;
mod headers;
mod verify;
mod whoami;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::routing::get;

use crate::core::CurrentSession;
use crate::http::{AppState, Visitor};
pub use error::NativeError;

/// The header apps that keep no cookies carry their session in (as in the platformOS dialect).
const SESSION_HEADER: &str = "x-session-token";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/latch/verify", get(verify::verify))
        .route("/latch/whoami", get(whoami::whoami))
}

/// The live session a request presents: the one in `X-Session-Token` if that header is
/// sent (it replaces any cookie, so a client is never taken for someone else's cookie), else
/// the first live session among the dialects' session cookies.
pub struct Presented {
    pub session: Option<CurrentSession>,
}

impl FromRequestParts<AppState> for Presented {
    type Rejection = NativeError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = match parts.headers.get(SESSION_HEADER) {
            // A value that is not visible ASCII is no session id latch issued.
            Some(value) => match value.to_str() {
                Ok(id) => state
                    .core
                    .authenticate(id.trim())
                    .await
                    .map_err(|e| NativeError::from_core(&e))?,
                Err(_) => None,
            },
            None => {
                Visitor::from_request_parts(parts, state)
                    .await
                    .map_err(|failure| NativeError::from_core(&failure.0))?
                    .session
            }
        };
        Ok(Presented { session })
    }
}
