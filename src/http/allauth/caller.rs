//! Who is calling, per client: the browser by the session cookie every dialect shares (and
//! Django's CSRF checks on unsafe requests), the app by `X-Session-Token`. A login waiting for
//! its second factor rides in a cookie of its own (browser) or in the session token (app).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::extract::rejection::BytesRejection;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use super::body::{self, Input};
use super::envelope::{FieldError, Pending, errors_with, server_failure, unauthenticated};
use super::{AllauthState, Client, with_cookies};
use crate::core::audit::ClientContext;
use crate::core::{CurrentSession, Error};
use crate::http::Visitor;
use crate::http::cookies::read_cookie;
use crate::http::django::csrf::{CsrfRequest, check};
use crate::http::django::{csrf_cookie, is_secure, token};

/// The browser's handle on a login that waits for its second factor.
pub const PENDING_COOKIE: &str = "latch_allauth_2fa";
/// Marks an app session token that carries a waiting login rather than a session. Session ids
/// are URL-safe base64, which has no `.`.
const PENDING_PREFIX: &str = "mfa.";
const SESSION_HEADER: &str = "x-session-token";

/// Marks the answer to a request Django's CSRF checks refused: it sets no `csrftoken`, as
/// Django refuses such a request before the view that would hand one out.
#[derive(Clone, Copy)]
pub struct CsrfRefused;

/// A login waiting for its second factor.
#[derive(Debug, Clone)]
pub struct WaitingLogin {
    pub token: String,
    /// The core's methods that can finish it.
    pub methods: Vec<&'static str>,
    /// What the password step named the account by (`username` or `email`), for the record
    /// of how the session was opened; none when it was blank.
    pub by: Option<&'static str>,
}

impl WaitingLogin {
    /// The handle the client keeps: the login's token behind what named the account
    /// (`u.`, `e.` or `n.`).
    pub fn handle(&self) -> String {
        let by = match self.by {
            Some("username") => "u",
            Some(_) => "e",
            None => "n",
        };
        format!("{by}.{}", self.token)
    }

    /// What `meta.session_token` carries for it (app client).
    pub fn app_token(&self) -> String {
        format!("{PENDING_PREFIX}{}", self.handle())
    }
}

pub struct Caller {
    pub session: Option<Arc<CurrentSession>>,
    /// The session's id as the client holds it (cookie value or `X-Session-Token`).
    pub session_id: Option<String>,
    pub waiting: Option<WaitingLogin>,
    /// Address and user agent, for flood control and the audit trail.
    pub client: ClientContext,
}

impl FromRequestParts<AllauthState> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AllauthState) -> Result<Self, Response> {
        match state.client {
            Client::Browser => {
                let visitor = Visitor::look_up(parts, &state.django.app)
                    .await
                    .map_err(|failure| server_failure(&failure.0))?;
                let waiting = match read_cookie(&parts.headers, PENDING_COOKIE) {
                    Some(token) if visitor.session.is_none() => waiting(state, token).await?,
                    _ => None,
                };
                Ok(Caller {
                    session: visitor.session,
                    session_id: visitor.session_id,
                    waiting,
                    client: visitor.client,
                })
            }
            Client::App => {
                let client = state.client_of(&parts.extensions, &parts.headers);
                let mut caller = Caller {
                    session: None,
                    session_id: None,
                    waiting: None,
                    client,
                };
                let Some(token) = parts
                    .headers
                    .get(SESSION_HEADER)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
                    .filter(|t| !t.is_empty())
                else {
                    return Ok(caller);
                };
                // allauth answers a token that names no session with 410: the app should
                // forget it and start over.
                let gone = || unauthenticated(state, StatusCode::GONE, None, None);
                if let Some(pending) = token.strip_prefix(PENDING_PREFIX) {
                    caller.waiting = Some(
                        waiting(state, pending.to_string())
                            .await?
                            .ok_or_else(gone)?,
                    );
                    return Ok(caller);
                }
                match state.core.authenticate(&token).await {
                    Ok(Some(session)) => {
                        caller.session = Some(session);
                        caller.session_id = Some(token);
                        Ok(caller)
                    }
                    Ok(None) => Err(gone()),
                    Err(e) => Err(server_failure(&e)),
                }
            }
        }
    }
}

/// The waiting login a client's handle names, if it is still live.
async fn waiting(state: &AllauthState, handle: String) -> Result<Option<WaitingLogin>, Response> {
    let (by, token) = match handle.split_once('.') {
        Some(("u", token)) => (Some("username"), token),
        Some(("e", token)) => (Some("email"), token),
        Some(("n", token)) => (None, token),
        _ => return Ok(None),
    };
    let token = token.to_string();
    match state.core.pending_login_methods(&token).await {
        Ok(methods) => Ok(Some(WaitingLogin { token, methods, by })),
        Err(Error::LoginTokenInvalid) => Ok(None),
        Err(e) => Err(server_failure(&e)),
    }
}

impl Caller {
    /// Django's CSRF checks, which every unsafe request of the browser client passes before
    /// its body is read; the app client has none (allauth exempts it).
    pub fn check_csrf(
        &self,
        state: &AllauthState,
        headers: &HeaderMap,
        path: &str,
    ) -> Result<(), Response> {
        if state.client == Client::App {
            return Ok(());
        }
        let settings = &state.django.settings;
        let cookie = read_cookie(headers, &settings.csrf_cookie);
        let request = CsrfRequest {
            headers,
            secure: is_secure(&state.django),
            trusted_origins: &settings.trusted_origins,
            cookie: cookie.as_deref(),
            field: None,
        };
        let Err(failure) = check(&request) else {
            return Ok(());
        };
        let reason = failure.reason();
        state.audit_csrf_rejection(self.session.as_deref(), &self.client, &reason);
        tracing::warn!(target: "latch::allauth::csrf", "Forbidden ({reason}): {path}");
        let cookie = &settings.csrf_cookie;
        let message = format!(
            "CSRF Failed: {reason} {} Browser clients: every answer under {}/browser/v1/ \
             sets the {cookie} cookie; send its value in the X-CSRFToken header.",
            failure.advice(cookie),
            state.settings.prefix,
        );
        let mut response = errors_with(
            StatusCode::FORBIDDEN,
            &[FieldError::general("csrf_failed", message)],
        );
        response.extensions_mut().insert(CsrfRefused);
        Err(if failure.resets_cookie() {
            with_cookies(
                response,
                &[csrf_cookie(&state.django, &token::new_secret())],
            )
        } else {
            response
        })
    }

    /// The body of an unsafe request, read only once the CSRF checks have passed.
    pub fn checked_input(
        &self,
        state: &AllauthState,
        headers: &HeaderMap,
        uri: &Uri,
        body: Result<Bytes, BytesRejection>,
    ) -> Result<Input, Response> {
        self.check_csrf(state, headers, uri.path())?;
        body::read(body, state.body_limit)
    }

    /// The 401 (with the waiting second factor, if any) for a caller without a session.
    pub fn unauthenticated(&self, state: &AllauthState) -> Response {
        unauthenticated(state, StatusCode::UNAUTHORIZED, Some(false), self.pending())
    }

    /// The waiting login as the 401 describes it; the app's token is not new, so not repeated.
    fn pending(&self) -> Option<Pending<'static>> {
        self.waiting
            .as_ref()
            .map(|w| Pending::second_factor(&w.methods, None))
    }
}
