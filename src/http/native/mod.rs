//! The native `/latch/` API: `GET /latch/verify`, the forward-auth check for proxies (nginx
//! `auth_request`, Traefik `forwardAuth`, Caddy `forward_auth`), `GET /latch/whoami`, and
//! `POST /latch/token` with `/.well-known/jwks.json` for backends that verify JWTs, and the
//! caller's own sessions and personal access tokens (`/latch/sessions`, `/latch/tokens`),
//! a login with a second factor or a passkey (`/latch/login`) and enrolling one
//! (`/latch/mfa`).
//! It speaks no other product's dialect, and accepts every session latch issues.

mod body;
mod error;
mod headers;
pub(super) mod login;
pub(super) mod mfa;
pub(super) mod passkeys;
pub(super) mod self_service;
pub(super) mod token;
pub(super) mod tokens;
pub(super) mod verify;
pub(super) mod whoami;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, ORIGIN};
use axum::http::request::Parts;
use axum::routing::get;

use crate::config::Config;
use crate::core::CurrentSession;
use crate::core::access_tokens::BearerCheck;
use crate::core::accounts::Account;
use crate::core::csrf::HEADER_PURPOSES;
use crate::core::forward_auth::ForwardAuth;
use crate::http::csrf::{self, TokenSource};
use crate::http::origin::cross_site_refusal;
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
        .route(
            "/latch/sessions",
            get(self_service::list_sessions).delete(self_service::end_sessions),
        )
        .route(
            "/latch/sessions/{id}",
            axum::routing::delete(self_service::end_session),
        )
        .route(
            "/latch/tokens",
            get(tokens::list_tokens).post(tokens::create_token),
        )
        .route(
            "/latch/tokens/{id}",
            axum::routing::delete(tokens::revoke_token),
        )
        .route("/latch/login", axum::routing::post(login::login))
        .route("/latch/login/mfa", axum::routing::post(login::login_mfa))
        .route(
            "/latch/login/mfa/passkey",
            axum::routing::post(passkeys::start_second_factor),
        )
        .route(
            "/latch/login/passkey",
            axum::routing::post(passkeys::start_login),
        )
        .route(
            "/latch/login/passkey/finish",
            axum::routing::post(passkeys::finish_login),
        )
        .route("/latch/mfa", get(mfa::status))
        .route(
            "/latch/mfa/passkeys/register",
            axum::routing::post(passkeys::start_registration),
        )
        .route(
            "/latch/mfa/passkeys/register/finish",
            axum::routing::post(passkeys::finish_registration),
        )
        .route(
            "/latch/mfa/passkeys/{id}",
            axum::routing::delete(passkeys::remove),
        )
        .route(
            "/latch/mfa/totp",
            axum::routing::post(mfa::start_totp).delete(mfa::remove_totp),
        )
        .route(
            "/latch/mfa/totp/confirm",
            axum::routing::post(mfa::confirm_totp),
        )
        .route("/.well-known/jwks.json", get(token::jwks))
        .with_state(NativeState {
            app: app.clone(),
            forward_auth: Arc::new(ForwardAuth::new(config)),
            login_page,
        })
}

/// The credential a request presents: a personal access token in `Authorization: Bearer`
/// if sent, else the session in `X-Session-Token` if that header is sent, else the first live
/// session among the dialects' session cookies. A credential sent in a header replaces any
/// cookie, so a client is never taken for someone else's cookie.
pub struct Presented {
    pub session: Option<Arc<CurrentSession>>,
    /// What the bearer token turned out to be, if one was sent (then there is no session).
    pub bearer: Option<BearerCheck>,
    /// Whether the session came in a cookie, which a browser attaches to any site's request.
    pub by_cookie: bool,
}

impl Presented {
    /// The account the credential acts for, if it is live.
    pub fn account(&self) -> Option<&Account> {
        match (&self.session, &self.bearer) {
            (Some(session), _) => Some(&session.account),
            (None, Some(BearerCheck::Valid(holder))) => Some(&holder.account),
            _ => None,
        }
    }

    /// When the credential stops working.
    pub fn expires_at(&self) -> Option<i64> {
        match (&self.session, &self.bearer) {
            (Some(session), _) => Some(session.expires_at),
            (None, Some(BearerCheck::Valid(holder))) => holder.token.expires_at,
            _ => None,
        }
    }
}

/// The token of `Authorization: Bearer <token>`, if the request sends that scheme.
fn bearer_token(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(AUTHORIZATION)?;
    let text = String::from_utf8_lossy(value.as_bytes());
    let (scheme, token) = text.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

impl FromRequestParts<NativeState> for Presented {
    type Rejection = NativeError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &NativeState,
    ) -> Result<Self, Self::Rejection> {
        let state = &state.app;
        if let Some(token) = bearer_token(parts) {
            let check = state
                .core
                .authenticate_bearer(&token)
                .await
                .map_err(|e| NativeError::from_core(&e))?;
            return Ok(Presented {
                session: None,
                bearer: Some(check),
                by_cookie: false,
            });
        }
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
        Ok(Presented {
            session,
            bearer: None,
            by_cookie,
        })
    }
}

/// Whether a request from this server's origin (or a trusted one) passes without a CSRF token.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum SameOrigin {
    Suffices,
    /// The token is needed whatever the origin.
    NeedsToken,
}

/// A cookie proves nothing by itself, since a browser sends it with any site's request: an
/// unsafe request by cookie must not come from an untrusted origin, and must carry the
/// session's `X-CSRF-Token` (unless `same_origin` lets this server's own pages without it).
/// A refusal is recorded in the audit trail and answered 403 with `refusal`.
pub(super) fn screen_cookie_caller(
    state: &NativeState,
    parts: &Parts,
    session: &CurrentSession,
    same_origin: SameOrigin,
    refusal: &'static str,
) -> Result<(), NativeError> {
    let headers = &parts.headers;
    let client = state.client_of(&parts.extensions, headers);
    if let Some(reason) = cross_site_refusal(&parts.method, headers, &state.trusted_origins) {
        state.audit_csrf_rejection(Some(session), &client, &reason);
        return Err(NativeError::new(StatusCode::FORBIDDEN, reason));
    }
    // Past the screening, an Origin is this server's or a trusted one.
    let from_this_origin = headers
        .get("sec-fetch-site")
        .is_some_and(|site| site == "same-origin")
        || headers.contains_key(ORIGIN);
    if same_origin == SameOrigin::Suffices && from_this_origin {
        return Ok(());
    }
    let token = csrf::submitted_token(headers, &[TokenSource::Header("x-csrf-token")]);
    csrf::check_session_token(
        state,
        session,
        &client,
        HEADER_PURPOSES,
        token.as_deref().map(str::trim),
        |_| refusal,
    )
    .map_err(|refused| NativeError::new(StatusCode::FORBIDDEN, refused.reason))
}
