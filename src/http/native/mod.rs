//! The native `/latch/` API: `GET /latch/verify`, the forward-auth check for proxies (nginx
//! `auth_request`, Traefik `forwardAuth`, Caddy `forward_auth`), `GET /latch/whoami`, and
//! `POST /latch/token` with `/.well-known/jwks.json` for backends that verify JWTs.
//! It speaks no other product's dialect, and accepts every session latch issues.

mod error;
mod headers;
pub(super) mod token;
pub(super) mod verify;
pub(super) mod whoami;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::routing::get;

use crate::config::Config;
use crate::core::CurrentSession;
use crate::core::forward_auth::ForwardAuth;
use crate::http::{AppState, Visitor};
pub use error::NativeError;

/// The native API's own state: the shared state, the access rules and the login page a
/// browser without a session is sent to.
#[derive(Clone)]
pub struct NativeState {
    pub app: AppState,
    pub forward_auth: Arc<ForwardAuth>,
    /// The Django dialect's HTML login page, the only one latch serves; `None` without it.
    pub login_page: Option<Arc<str>>,
}

impl std::ops::Deref for NativeState {
    type Target = AppState;

    fn deref(&self) -> &AppState {
        &self.app
    }
}

impl FromRef<NativeState> for AppState {
    fn from_ref(state: &NativeState) -> Self {
        state.app.clone()
    }
}

/// The header apps that keep no cookies carry their session in (as in the platformOS dialect).
const SESSION_HEADER: &str = "x-session-token";

pub fn router(app: &AppState, config: &Config) -> Router {
    let login_page = config.django.enabled.then(|| {
        format!(
            "{}{}login/",
            config.public_url.trim_end_matches('/'),
            config.django.login_prefix
        )
        .into()
    });
    Router::new()
        .route("/latch/verify", get(verify::verify))
        .route("/latch/whoami", get(whoami::whoami))
        .route("/latch/token", axum::routing::post(token::issue))
        .route("/.well-known/jwks.json", get(token::jwks))
        .with_state(NativeState {
            app: app.clone(),
            forward_auth: Arc::new(ForwardAuth::new(config)),
            login_page,
        })
}

/// The live session a request presents: the one in `X-Session-Token` if that header is
/// sent (it replaces any cookie, so a client is never taken for someone else's cookie), else
/// the first live session among the dialects' session cookies.
pub struct Presented {
    pub session: Option<CurrentSession>,
    /// Whether the session came in a cookie, which a browser attaches to any site's request.
    pub by_cookie: bool,
}

impl FromRequestParts<NativeState> for Presented {
    type Rejection = NativeError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &NativeState,
    ) -> Result<Self, Self::Rejection> {
        let state = &state.app;
        let by_cookie = !parts.headers.contains_key(SESSION_HEADER);
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
                Visitor::look_up(parts, state)
                    .await
                    .map_err(|failure| NativeError::from_core(&failure.0))?
                    .session
            }
        };
        Ok(Presented { session, by_cookie })
    }
}
