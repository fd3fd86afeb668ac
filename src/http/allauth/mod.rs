//! The django-allauth headless dialect: allauth's JSON API for single-page and mobile apps,
//! for its two clients under `{prefix}/browser/v1/` (Django's `sessionid` and `csrftoken`
//! cookies, as the Django dialect sets them) and `{prefix}/app/v1/` (the session in
//! `X-Session-Token`). Every answer is allauth's envelope, `{"status", "data", "meta"}` or
//! `{"status", "errors"}`. Accounts and sessions are the core's, shared with every dialect.

// Refusals here are finished responses; boxing them would save nothing worth the noise.
#![allow(clippy::result_large_err)]

pub(super) mod account;
pub(super) mod auth;
mod body;
mod caller;
mod envelope;
pub(super) mod password;
pub(super) mod signup;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::{SET_COOKIE, VARY};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};

use super::django::{DjangoState, csrf_cookie, csrf_secret, token};
use super::{AppState, Dialect};
use crate::config::{AllauthConfig, Config};

/// Either answer is a finished response.
type Answer = Result<Response, Response>;

pub const DIALECT: Dialect = Dialect {
    name: "allauth",
    title: "django-allauth headless (browser and app clients)",
    base_paths,
    session_cookies,
    router,
    screen: super::Screen::NONE,
};

fn base_paths(config: &Config) -> Vec<String> {
    let allauth = &config.allauth;
    if !allauth.enabled {
        return Vec::new();
    }
    vec![
        format!("{}/browser/v1/", allauth.prefix),
        format!("{}/app/v1/", allauth.prefix),
    ]
}

/// The browser client's session cookie is Django's `sessionid` (`django.session_cookie`),
/// read even while the Django dialect itself is switched off.
fn session_cookies(config: &Config) -> Vec<super::CookieName> {
    if config.allauth.enabled {
        vec![super::CookieName::Named(
            config.django.session_cookie.clone(),
        )]
    } else {
        Vec::new()
    }
}

/// Which of allauth's clients a request came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// Cookies, with Django's CSRF checks on unsafe requests.
    Browser,
    /// `X-Session-Token`, handed out in `meta.session_token`; no cookies, no CSRF.
    App,
}

/// What the dialect's handlers reach: the shared state, the Django settings the browser
/// client's cookies follow, and allauth's own.
#[derive(Clone)]
pub struct AllauthState {
    pub django: DjangoState,
    pub settings: Arc<AllauthConfig>,
    pub client: Client,
}

impl std::ops::Deref for AllauthState {
    type Target = AppState;

    fn deref(&self) -> &AppState {
        &self.django.app
    }
}

fn router(app: &AppState, config: &Config) -> Router {
    let settings = &config.allauth;
    if !settings.enabled {
        return Router::new();
    }
    let django = DjangoState {
        app: app.clone(),
        settings: Arc::new(config.django.clone()),
        forward_auth: Arc::new(crate::core::forward_auth::ForwardAuth::new(config)),
    };
    let settings = Arc::new(settings.clone());
    let mut router = Router::new().route(
        &format!("{}/reset/{{key}}", settings.prefix),
        get(password::reset_link).with_state(settings.clone()),
    );
    for client in [Client::Browser, Client::App] {
        let state = AllauthState {
            django: django.clone(),
            settings: settings.clone(),
            client,
        };
        let name = match client {
            Client::Browser => "browser",
            Client::App => "app",
        };
        let base = format!("{}/{name}/v1", settings.prefix);
        let routes: [(&str, MethodRouter<AllauthState>); 8] = [
            ("config", get(auth::config)),
            ("auth/login", post(auth::login)),
            ("auth/signup", post(signup::signup)),
            ("auth/session", get(auth::session).delete(auth::logout)),
            ("auth/2fa/authenticate", post(auth::two_factor)),
            ("auth/password/request", post(password::request)),
            (
                "auth/password/reset",
                get(password::reset_info).post(password::reset),
            ),
            ("account/password/change", post(password::change)),
        ];
        let mut api = Router::new();
        for (path, handler) in routes {
            api = api.route(
                &format!("{base}/{path}"),
                handler.fallback(envelope::method_not_allowed),
            );
        }
        api = api.route(
            &format!("{base}/account/email"),
            get(account::list)
                .post(account::add)
                .patch(account::mark_primary)
                .delete(account::remove)
                .fallback(envelope::method_not_allowed),
        );
        let mut api = api.with_state(state.clone());
        if client == Client::Browser {
            api = api.layer(middleware::from_fn_with_state(state, set_csrf_cookie));
        }
        router = router.merge(api);
    }
    router
}

/// Every browser answer carries the `csrftoken` cookie (the request's secret again, or a new
/// one), as allauth's browser views call Django's `get_token`, so the front end can read it
/// before its first unsafe request. An answer that sets one itself (a login rotates it) keeps
/// its own.
async fn set_csrf_cookie(
    State(state): State<AllauthState>,
    request: Request,
    next: Next,
) -> Response {
    let secret = csrf_secret(&state.django, request.headers());
    let mut response = next.run(request).await;
    if response.extensions().get::<caller::CsrfRefused>().is_some() {
        return response;
    }
    let csrf_name = format!("{}=", state.django.settings.csrf_cookie);
    let sets_own = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .any(|v| v.as_bytes().starts_with(csrf_name.as_bytes()));
    if !sets_own {
        let secret = secret.unwrap_or_else(token::new_secret);
        let cookie = csrf_cookie(&state.django, &secret);
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
        .headers_mut()
        .insert(VARY, HeaderValue::from_static("Cookie"));
    response
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
