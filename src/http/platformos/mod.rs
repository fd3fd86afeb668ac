//! The platformOS-style REST dialect: `POST`/`GET`/`DELETE /api/sessions`, `POST /api/users`
//! and `PUT /api/users/{id}`, with `{form_name, form}` bodies naming a configured form, and
//! applications authenticated by `Authorization: Token token=…`.

mod caller;
mod error;
mod forms;
pub(super) mod sessions;
pub(super) mod users;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, Request};
use axum::http::header::ACCEPT;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};

use super::csrf::{TokenProblem, TokenSource, check_session_token, submitted_token};
use super::limits::oversized_headers;
use super::{AppState, CookieName, Dialect, Screen, SharedState};
use crate::config::{Config, PlatformosConfig};
use crate::core::CurrentSession;
use crate::core::csrf::{HEADER_PURPOSE, HEADER_PURPOSES};
use caller::Caller;
use error::PosError;
pub use forms::Forms;

/// What every answer of this dialect is labelled, as the API it follows does.
pub const MEDIA_TYPE: &str = "application/vnd.api+json";

/// The dialect's settings and forms.
pub struct Platformos {
    pub require_app_token: bool,
    pub forms: Forms,
}

impl Platformos {
    pub fn new(config: &PlatformosConfig) -> Self {
        Self {
            require_app_token: config.require_app_token,
            forms: Forms::new(config),
        }
    }
}

pub const DIALECT: Dialect = Dialect {
    name: "platformos",
    title: "platformOS-style sessions",
    base_paths,
    session_cookies,
    router,
    screen: Screen {
        refuse: screen_request,
        finish: |_| {},
    },
};

fn base_paths(config: &Config) -> Vec<String> {
    if config.platformos.enabled {
        vec!["/api/".into()]
    } else {
        Vec::new()
    }
}

/// A browser's session comes in the server's standard session cookie.
fn session_cookies(config: &Config) -> Vec<CookieName> {
    if config.platformos.enabled {
        vec![CookieName::Standard]
    } else {
        Vec::new()
    }
}

/// What the dialect's handlers reach: the shared state, and the dialect's settings and forms.
#[derive(Clone)]
pub struct PlatformosState {
    pub app: AppState,
    pub settings: Arc<Platformos>,
}

/// The shared state's fields read as the dialect's own.
impl std::ops::Deref for PlatformosState {
    type Target = AppState;

    fn deref(&self) -> &AppState {
        &self.app
    }
}

impl FromRef<PlatformosState> for AppState {
    fn from_ref(state: &PlatformosState) -> Self {
        state.app.clone()
    }
}

fn router(app: &AppState, config: &Config) -> Router {
    if !config.platformos.enabled {
        return Router::new();
    }
    let state = PlatformosState {
        app: app.clone(),
        settings: Arc::new(Platformos::new(&config.platformos)),
    };
    Router::new()
        .route(
            "/api/sessions",
            get(sessions::show)
                .post(sessions::create)
                .delete(sessions::destroy)
                .fallback(method_not_allowed),
        )
        .route(
            "/api/users",
            axum::routing::post(users::create).fallback(method_not_allowed),
        )
        .route(
            "/api/users/{id}",
            put(users::update).fallback(method_not_allowed),
        )
        .with_state(state)
}

async fn method_not_allowed() -> PosError {
    PosError::base(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed: use GET, POST or DELETE on /api/sessions, POST on /api/users and \
         PUT on /api/users/{id}.",
    )
}

/// Refuses oversized headers, and clients that accept no JSON, before any handler runs.
fn screen_request(state: &SharedState, request: &Request) -> Option<Response> {
    if let Some(reason) = oversized_headers(request.headers(), state.header_limit) {
        return Some(
            PosError::base(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, reason).into_response(),
        );
    }
    if !accepts_json(request.headers()) {
        return Some(
            PosError::base(
                StatusCode::NOT_ACCEPTABLE,
                "This API answers in JSON only: send Accept: application/json (or \
                 application/vnd.api+json), or leave Accept out.",
            )
            .into_response(),
        );
    }
    None
}

/// Whether the `Accept` header admits a JSON answer (no header admits anything).
fn accepts_json(headers: &HeaderMap) -> bool {
    let ranges: Vec<&str> = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .collect();
    ranges.is_empty()
        || ranges.iter().any(|range| {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default().to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.split_once('=').is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("q") && v.trim().parse::<f32>() == Ok(0.0)
                })
            });
            !refused
                && matches!(
                    media.as_str(),
                    "*/*" | "application/*" | "application/json" | MEDIA_TYPE
                )
        })
}

/// The CSRF check for a browser's cookie session: the session's token in `X-CSRF-Token` or
/// in the body's `authenticity_token`.
fn check_csrf(
    state: &PlatformosState,
    caller: &Caller,
    headers: &HeaderMap,
    authenticity_token: Option<&str>,
) -> Result<(), PosError> {
    let Some(session) = caller
        .session
        .as_ref()
        .filter(|_| caller.needs_csrf_token())
    else {
        return Ok(());
    };
    let token = submitted_token(
        headers,
        &[
            TokenSource::Header("x-csrf-token"),
            TokenSource::Given(authenticity_token),
        ],
    );
    check_session_token(
        state,
        session,
        &caller.client,
        HEADER_PURPOSES,
        token.as_deref(),
        |problem| match problem {
            TokenProblem::Missing => {
                "X-CSRF-Token request header is missing. This request carries a session \
                 cookie, so it needs the session's CSRF token: GET /api/sessions with the same \
                 cookie and send its csrf_token in the X-CSRF-Token header (or authenticate as \
                 an application with Authorization: Token token=…)."
            }
            TokenProblem::Invalid => {
                "X-CSRF-Token request header is invalid: it does not belong to this session \
                 (tokens change at every login). GET /api/sessions with the same cookie for \
                 the current one."
            }
        },
    )
    .map_err(|refused| PosError::base(StatusCode::FORBIDDEN, refused.reason))
}

/// The CSRF token of a session, as `GET /api/sessions` and a login hand it out.
fn csrf_token(state: &PlatformosState, session_seed: &str) -> String {
    state.core.csrf_token(session_seed, HEADER_PURPOSE)
}

/// The caller's session, or 401 naming how to get one.
fn require_session(caller: &Caller) -> Result<&CurrentSession, PosError> {
    caller.session.as_deref().ok_or_else(|| {
        PosError::unauthorized(
            "You are not logged in: POST /api/sessions first, then send its session cookie \
             (or the X-Session-Token it gives with ?session_token=true).",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, value.parse().unwrap());
        headers
    }

    #[test]
    fn json_is_acceptable_unless_excluded() {
        assert!(accepts_json(&HeaderMap::new()));
        for ok in [
            "application/json",
            "application/vnd.api+json",
            "text/html, */*;q=0.8",
            "application/*",
            "APPLICATION/JSON; charset=utf-8",
        ] {
            assert!(accepts_json(&accept(ok)), "{ok}");
        }
        for refused in [
            "text/html",
            "application/xml",
            "application/json;q=0",
            "image/*",
        ] {
            assert!(!accepts_json(&accept(refused)), "{refused}");
        }
    }
}
