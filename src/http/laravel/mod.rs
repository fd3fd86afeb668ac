//! The Laravel dialect: Sanctum's SPA flow — the `XSRF-TOKEN` cookie from
//! `/sanctum/csrf-cookie`, echoed in `X-XSRF-TOKEN` — with the login endpoints of Fortify or
//! Breeze's API stack, the user route, and Sanctum's tokens for mobile apps (latch's personal
//! access tokens as `<id>|<token>`). Accounts and sessions are the core's, shared with every
//! dialect.

// Refusals here are finished responses; boxing them would save nothing worth the noise.
#![allow(clippy::result_large_err)]

pub(super) mod auth;
mod body;
mod error;
pub(super) mod password;
pub(super) mod user;
pub(super) mod xsrf;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::HeaderValue;
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};

use super::{AppState, CookieName, Dialect, Visitor};
use crate::config::{Config, LaravelConfig, LaravelStack};
use crate::core::LoggedIn;

/// Either answer is a finished response.
type Answer = Result<Response, Response>;

pub const DIALECT: Dialect = Dialect {
    name: "laravel",
    title: "Laravel Sanctum (SPA cookies, Fortify or Breeze endpoints, mobile tokens)",
    base_paths,
    session_cookies,
    router,
    screen: super::Screen::NONE,
};

fn base_paths(config: &Config) -> Vec<String> {
    let laravel = &config.laravel;
    if !laravel.enabled {
        return Vec::new();
    }
    vec![
        laravel.route("login"),
        laravel.csrf_cookie_path.clone(),
        laravel.user_path.clone(),
    ]
}

fn session_cookies(config: &Config) -> Vec<CookieName> {
    if config.laravel.enabled {
        vec![CookieName::Named(config.laravel.session_cookie.clone())]
    } else {
        Vec::new()
    }
}

/// What the dialect's handlers reach: the shared state and Laravel's settings.
#[derive(Clone)]
pub struct LaravelState {
    pub app: AppState,
    pub settings: Arc<LaravelConfig>,
    /// `sanctum.stateful` with the public URL's host, lower-cased.
    pub stateful: Arc<Vec<String>>,
    /// How long the cookies live: the session's lifetime.
    pub cookie_age: i64,
}

impl std::ops::Deref for LaravelState {
    type Target = AppState;

    fn deref(&self) -> &AppState {
        &self.app
    }
}

impl FromRef<LaravelState> for AppState {
    fn from_ref(state: &LaravelState) -> Self {
        state.app.clone()
    }
}

impl LaravelState {
    fn is_fortify(&self) -> bool {
        self.settings.stack == LaravelStack::Fortify
    }

    /// The session cookie and the session's `XSRF-TOKEN` after a login: both new, so the
    /// ones from before stop working.
    fn login_cookies(&self, logged_in: &LoggedIn) -> Vec<String> {
        vec![
            self.cookies.issue_as(
                &self.settings.session_cookie,
                &logged_in.session_id,
                logged_in.expires_at - crate::core::now(),
            ),
            xsrf::session_cookie(self, &logged_in.csrf_seed),
        ]
    }
}

fn router(app: &AppState, config: &Config) -> Router {
    let settings = &config.laravel;
    if !settings.enabled {
        return Router::new();
    }
    let public_host = config.public_authority().to_ascii_lowercase();
    let mut stateful: Vec<String> = settings
        .stateful
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    stateful.push(public_host);
    let state = LaravelState {
        app: app.clone(),
        settings: Arc::new(settings.clone()),
        stateful: Arc::new(stateful),
        cookie_age: i64::try_from(config.session.lifetime.as_secs()).unwrap_or(i64::MAX),
    };
    let posts: [(&str, MethodRouter<LaravelState>); 6] = [
        ("login", post(auth::login)),
        ("logout", post(auth::logout)),
        ("register", post(auth::register)),
        ("two-factor-challenge", post(auth::two_factor_challenge)),
        ("forgot-password", post(password::forgot)),
        ("reset-password", post(password::reset)),
    ];
    let mut router = Router::new();
    for (name, handler) in posts {
        let route = settings.route(name);
        router = router.route(&route, handler.fallback(error::method_not_allowed));
    }
    router
        .route(
            &settings.route("reset-password/{token}"),
            get(password::reset_link).fallback(error::method_not_allowed),
        )
        .route(
            &settings.csrf_cookie_path,
            get(xsrf::csrf_cookie).fallback(error::method_not_allowed),
        )
        .route(
            &settings.user_path,
            get(user::user).fallback(error::method_not_allowed),
        )
        .route(
            &settings.token_path,
            post(user::token).fallback(error::method_not_allowed),
        )
        .with_state(state)
}

/// The caller as their session cookie identifies them; a lookup that fails inside the server
/// is answered in Laravel's shape.
pub struct LaravelVisitor(pub Visitor);

impl FromRequestParts<LaravelState> for LaravelVisitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &LaravelState) -> Result<Self, Response> {
        Visitor::look_up(parts, &state.app)
            .await
            .map(LaravelVisitor)
            .map_err(|failure| error::server_failure(&failure.0))
    }
}

/// Adds `Set-Cookie` values.
fn with_cookies(mut response: Response, cookies: &[String]) -> Response {
    for value in cookies {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}
