//! The Drupal 8+ core REST dialect: `/session/token`, `/user/login`, `/user/login_status`,
//! `/user/logout` (and its HTML confirmation), `/user/password`, `/user/register`,
//! `/user/{uid}` and the one-time login links `/user/reset/{uid}/{timestamp}/{hash}`.

pub(super) mod auth;
mod entity;
mod error;
pub(super) mod logout_page;
pub(super) mod reset;
pub(super) mod users;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRef, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::{Map, Value};

use super::csrf::{TokenProblem, TokenSource, check_session_token, submitted_token};
use super::limits::{json_too_deep, oversized_headers};
use super::origin::cross_site_refusal;
use super::{AppState, CookieName, Dialect, Screen, SharedState, Visitor, unreadable_body};
use crate::config::Config;
pub use error::{DrupalError, field_name};

use crate::core::csrf::{HEADER_PURPOSE, HEADER_PURPOSES};
const LOGOUT_TOKEN_PURPOSE: &str = "user/logout";

pub const DIALECT: Dialect = Dialect {
    name: "drupal",
    title: "Drupal 8+ core REST",
    base_paths,
    session_cookies,
    router,
    screen: Screen {
        refuse: screen_request,
        finish: |_| {},
    },
};

fn base_paths(_: &Config) -> Vec<String> {
    vec!["/session/token".into(), "/user/".into()]
}

/// Drupal issues the server's standard session cookie.
fn session_cookies(_: &Config) -> Vec<CookieName> {
    vec![CookieName::Standard]
}

fn router(state: &AppState, _: &Config) -> Router {
    let rest = [
        ("/session/token", any(auth::session_token)),
        // Drupal 8.0-8.9 path, still used by older clients and guides.
        ("/rest/session/token", any(auth::session_token)),
        ("/user/login", post(auth::login)),
        ("/user/login_status", get(auth::login_status)),
        (
            "/user/logout",
            get(logout_page::logout_link).post(auth::logout),
        ),
        ("/user/password", post(auth::password)),
        ("/user/register", post(users::register)),
        ("/user/{uid}", get(users::show).patch(users::update)),
    ];
    // Drupal's router trims one trailing slash before matching: `/user/login/` is
    // `/user/login`.
    let routes = rest
        .into_iter()
        .fold(Router::new(), |routes, (path, methods)| {
            routes
                .route(path, methods.clone())
                .route(&format!("{path}/"), methods)
        });
    routes
        .route(
            "/user/logout/confirm",
            get(logout_page::confirm_page).post(logout_page::confirm),
        )
        .route(
            "/user/reset/{uid}/{timestamp}/{hash}",
            get(reset::confirm).post(reset::set_password),
        )
        .route(
            "/user/reset/{uid}/{timestamp}/{hash}/login",
            get(reset::login_page).post(reset::login),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state.clone())
}

/// The caller as the session cookie identifies them; a lookup that fails inside the server
/// is answered in Drupal's shape.
pub struct DrupalVisitor(pub Visitor);

impl<S: Send + Sync> FromRequestParts<S> for DrupalVisitor
where
    AppState: FromRef<S>,
{
    type Rejection = DrupalError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, DrupalError> {
        let state = AppState::from_ref(state);
        Ok(Self(Visitor::look_up(parts, &state).await?))
    }
}

/// Refuses oversized headers and cross-site browser requests before any handler runs.
fn screen_request(state: &SharedState, request: &Request) -> Option<Response> {
    if let Some(reason) = oversized_headers(request.headers(), state.header_limit) {
        return Some(
            DrupalError::new(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, reason).into_response(),
        );
    }
    let reason = cross_site_refusal(request.method(), request.headers(), &state.trusted_origins)?;
    let client = state.client_of(request.extensions(), request.headers());
    state.audit_csrf_rejection(None, &client, &reason);
    Some(DrupalError::new(StatusCode::FORBIDDEN, reason).into_response())
}

/// The server's answer to a path nothing serves, in Drupal's words (every other dialect's
/// paths are its own prefixes).
pub async fn not_found(method: axum::http::Method, uri: Uri) -> DrupalError {
    DrupalError::new(
        StatusCode::NOT_FOUND,
        format!("No route found for \"{method} {}\"", uri.path()),
    )
}

async fn method_not_allowed(method: axum::http::Method, uri: Uri) -> DrupalError {
    DrupalError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "No route found for \"{method} {}\": Method Not Allowed",
            uri.path()
        ),
    )
}

/// The `_format` (and other) query arguments.
#[derive(Debug, Default, serde::Deserialize)]
struct DrupalQuery {
    #[serde(rename = "_format")]
    format: Option<String>,
    token: Option<String>,
}

impl DrupalQuery {
    fn from_uri(uri: &Uri) -> Self {
        // An unparsable query string is treated as absent; the format check then applies.
        axum::extract::Query::<DrupalQuery>::try_from_uri(uri)
            .map(|q| q.0)
            .unwrap_or_default()
    }

    /// Every route here serves JSON only, so JSON is also the default (Drupal's rule when all
    /// routes on a path share one format).
    fn require_json(&self) -> Result<(), DrupalError> {
        match self.format.as_deref() {
            None | Some("json") => Ok(()),
            Some(_) => Err(DrupalError::new(
                StatusCode::NOT_ACCEPTABLE,
                "No route found for the specified format. Supported formats: json.",
            )),
        }
    }
}

/// The body, or the error a client can act on when it is too large or unreadable.
fn body_bytes(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Bytes, DrupalError> {
    body.map_err(|rejection| {
        let (status, message) = unreadable_body(&rejection, limit);
        DrupalError::new(status, message)
    })
}

/// Parses a JSON object; `example` shows the client what to send instead.
fn json_object(body: &[u8], example: &str) -> Result<Map<String, Value>, DrupalError> {
    if let Some(reason) = json_too_deep(body) {
        return Err(DrupalError::bad_request(reason));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(DrupalError::bad_request(format!(
            "The request body must be a JSON object, such as {example}."
        ))),
        Err(e) => Err(DrupalError::bad_request(format!(
            "The request body is not valid JSON ({e}). Send a JSON object, such as {example}."
        ))),
    }
}

/// REST resource routes accept only JSON bodies: with no HTML form route on the same path,
/// a wrong type gets Drupal's 415.
fn require_json_content_type(headers: &HeaderMap) -> Result<(), DrupalError> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Err(DrupalError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "No \"Content-Type\" request header specified",
        )
        .with_hint("Send the header Content-Type: application/json."));
    };
    let text = value.to_str().unwrap_or_default();
    let essence = text
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" {
        return Ok(());
    }
    Err(DrupalError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!("No route found that matches \"Content-Type: {text}\""),
    )
    .with_hint("Send the body as JSON with the header Content-Type: application/json."))
}

/// Drupal's `X-CSRF-Token` check: on unsafe methods, for cookie-authenticated callers only.
fn check_csrf_header(
    state: &AppState,
    visitor: &Visitor,
    headers: &HeaderMap,
) -> Result<(), DrupalError> {
    let Some(session) = &visitor.session else {
        return Ok(());
    };
    let token = submitted_token(headers, &[TokenSource::Header("x-csrf-token")]);
    check_session_token(
        state,
        session,
        &visitor.client,
        HEADER_PURPOSES,
        token.as_deref(),
        |problem| match problem {
            TokenProblem::Missing => "X-CSRF-Token request header is missing",
            TokenProblem::Invalid => "X-CSRF-Token request header is invalid",
        },
    )
    .map_err(|refused| {
        DrupalError::forbidden(refused.reason).with_hint(match refused.problem {
            TokenProblem::Missing => {
                "This request carries a session cookie, so it needs a CSRF token: GET \
                 /session/token with the same cookie and send the answer in the X-CSRF-Token \
                 header."
            }
            TokenProblem::Invalid => {
                "The token does not belong to this session (tokens change at every login). \
                 GET /session/token with the same cookie for a fresh one."
            }
        })
    })
}
