//! The Django dialect: the `csrftoken` cookie and its checks, a `sessionid` session cookie, the
//! login page at `{login_prefix}login/` and the dj-rest-auth JSON endpoints under
//! `{rest_auth_prefix}`. Accounts and sessions are the core's, shared with every dialect.

// Refusals here are finished responses, built once per request on the way out; boxing them
// would save nothing worth the noise.
#![allow(clippy::result_large_err)]

mod body;
pub(crate) mod csrf;
pub(super) mod login;
mod page;
mod passkey;
pub(super) mod rest;
pub(crate) mod rest_errors;
pub(super) mod rest_password;
pub(super) mod rest_user;
mod screen;
pub(crate) mod token;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::{ACCEPT, HOST, SET_COOKIE, VARY};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::cookies::read_cookie;
use super::{AppState, CookieName, Dialect, Screen, ServerFailure, Visitor};
use crate::config::{Config, DjangoConfig};
use crate::core::{Error, LoggedIn, now};
use csrf::CsrfRequest;

/// 52 weeks, as Django's `CSRF_COOKIE_AGE`.
const CSRF_COOKIE_AGE: i64 = 31_449_600;

/// Either answer is a finished response.
type Answer = Result<Response, Response>;

pub const DIALECT: Dialect = Dialect {
    name: "django",
    title: "Django (login page and dj-rest-auth)",
    base_paths,
    session_cookies,
    router,
    screen: Screen {
        refuse: screen::refuse,
        finish: screen::finish,
    },
};

fn base_paths(config: &Config) -> Vec<String> {
    if !config.django.enabled {
        return Vec::new();
    }
    vec![
        config.django.login_prefix.clone(),
        config.django.rest_auth_prefix.clone(),
    ]
}

/// Django issues its session cookie under its own name (`SESSION_COOKIE_NAME`).
fn session_cookies(config: &Config) -> Vec<CookieName> {
    if config.django.enabled {
        vec![CookieName::Named(config.django.session_cookie.clone())]
    } else {
        Vec::new()
    }
}

/// What the dialect's handlers reach: the shared state, and Django's settings.
#[derive(Clone)]
pub struct DjangoState {
    pub app: AppState,
    pub settings: Arc<DjangoConfig>,
    /// Decides where else the login page may return to: the apps `/latch/verify?redirect=1`
    /// sent the browser from.
    pub forward_auth: Arc<crate::core::forward_auth::ForwardAuth>,
}

/// The shared state's fields read as the dialect's own, as Django views see one `request`.
impl std::ops::Deref for DjangoState {
    type Target = AppState;

    fn deref(&self) -> &AppState {
        &self.app
    }
}

impl FromRef<DjangoState> for AppState {
    fn from_ref(state: &DjangoState) -> Self {
        state.app.clone()
    }
}

fn router(app: &AppState, config: &Config) -> Router {
    if !config.django.enabled {
        return Router::new();
    }
    let state = DjangoState {
        app: app.clone(),
        settings: Arc::new(config.django.clone()),
        forward_auth: Arc::new(crate::core::forward_auth::ForwardAuth::new(config)),
    };
    let django = &state.settings;
    let login = &django.login_prefix;
    let rest = &django.rest_auth_prefix;
    let mut router = Router::new();
    // Plain Django views: a wrong method is Django's bare 405, not DRF's JSON.
    for path in [format!("{login}login/"), format!("{login}login")] {
        router = router.route(
            &path,
            get(login::page)
                .post(login::login)
                .fallback(|| async { screen::view_not_allowed("GET, POST") }),
        );
    }
    router = router.route(&format!("{login}passkey.js"), get(passkey::script));
    for path in [format!("{login}logout/"), format!("{login}logout")] {
        router = router.route(
            &path,
            post(login::logout).fallback(|| async { screen::view_not_allowed("POST, OPTIONS") }),
        );
    }
    router = router.route(
        &format!("{rest}password/reset/confirm/{{uid}}/{{token}}/"),
        get(rest_password::reset_page).fallback(|| async { screen::view_not_allowed("GET") }),
    );
    // dj-rest-auth's patterns (`login/?$`, …) match with and without the trailing slash;
    // registration is mounted with `include`, which keeps it.
    let rest_routes = [
        ("login/", post(rest::login).fallback(rest::not_allowed)),
        ("logout/", post(rest::logout).fallback(rest::not_allowed)),
        (
            "user/",
            get(rest_user::user)
                .put(rest_user::replace_user)
                .patch(rest_user::update_user)
                .fallback(rest::not_allowed_signed_in),
        ),
        (
            "password/change/",
            post(rest_password::change).fallback(rest::not_allowed_signed_in),
        ),
        (
            "password/reset/",
            post(rest_password::reset).fallback(rest::not_allowed),
        ),
        (
            "password/reset/confirm/",
            post(rest_password::confirm).fallback(rest::not_allowed),
        ),
    ];
    for (path, handler) in rest_routes {
        router = router
            .route(&format!("{rest}{path}"), handler.clone())
            .route(&format!("{rest}{}", path.trim_end_matches('/')), handler);
    }
    router
        .route(
            &format!("{rest}registration/"),
            post(rest::register).fallback(method_not_allowed),
        )
        .with_state(state)
}

/// DRF's 405.
pub(crate) async fn method_not_allowed(method: axum::http::Method) -> Response {
    detail(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("Method \"{method}\" not allowed."),
    )
}

/// `{"detail": message}`, DRF's shape for errors that concern no field.
fn detail(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "detail": message }))).into_response()
}

/// Field errors, DRF style: `{"field": ["message"]}`.
fn field_errors(errors: &[(&str, String)]) -> Response {
    let mut map = serde_json::Map::new();
    for (field, message) in errors {
        let entry = map
            .entry(field.to_string())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = entry {
            list.push(Value::String(message.clone()));
        }
    }
    (StatusCode::BAD_REQUEST, axum::Json(Value::Object(map))).into_response()
}

/// A failure that is not the client's fault: flood control and hashing overload get DRF's
/// 429 and a 503 with `Retry-After`; anything else is logged once and worded generically.
fn server_failure(error: &Error) -> Response {
    // Only the throttle is DRF's own; `ServerFailure::from_core` decides every other variant
    // by name (a refusal a view should have worded is a fault there).
    if let Error::Flooded { retry_after, .. } = error {
        let mut response = detail(
            StatusCode::TOO_MANY_REQUESTS,
            &format!("Request was throttled. Expected available in {retry_after} seconds."),
        );
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            HeaderValue::from(crate::http::retry_after_header(*retry_after)),
        );
        return response;
    }
    let failure = ServerFailure::from_core(error);
    let mut response = detail(failure.status, &failure.message);
    if let Some(seconds) = failure.retry_after {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// The caller as the session cookie identifies them; a lookup that fails inside the server
/// (the database is out) is answered in DRF's shape, as every other refusal here.
pub struct DjangoVisitor(pub Visitor);

impl<S: Send + Sync> FromRequestParts<S> for DjangoVisitor
where
    AppState: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        Visitor::look_up(parts, &AppState::from_ref(state))
            .await
            .map(DjangoVisitor)
            .map_err(|failure| server_failure(&failure.0))
    }
}

/// Whether the client is a browser wanting a page rather than JSON.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// `request.is_secure()`: latch learns its scheme from `public_url`, as it runs behind a proxy
/// that terminates TLS.
pub(crate) fn is_secure(state: &DjangoState) -> bool {
    state.public_url.starts_with("https://")
}

fn host(headers: &HeaderMap) -> String {
    headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The well-formed `csrftoken` secret the request carries, if any.
pub(crate) fn csrf_secret(state: &DjangoState, headers: &HeaderMap) -> Option<String> {
    read_cookie(headers, &state.settings.csrf_cookie)
        .filter(|c| token::check_format(c).is_ok())
        .map(|c| token::secret_of(&c))
}

/// `Set-Cookie` for the `csrftoken` cookie: 52 weeks, readable by scripts (they copy it into
/// `X-CSRFToken`), `SameSite=Lax`.
pub(crate) fn csrf_cookie(state: &DjangoState, secret: &str) -> String {
    let mut cookie = cookie::Cookie::new(state.settings.csrf_cookie.clone(), secret.to_string());
    cookie.set_path("/");
    cookie.set_same_site(cookie::SameSite::Lax);
    cookie.set_secure(is_secure(state));
    cookie.set_max_age(cookie::time::Duration::seconds(CSRF_COOKIE_AGE));
    cookie.set_expires(
        cookie::time::OffsetDateTime::now_utc() + cookie::time::Duration::seconds(CSRF_COOKIE_AGE),
    );
    cookie.encoded().to_string()
}

/// Adds `Set-Cookie` values and `Vary: Cookie`.
fn with_cookies(mut response: Response, cookies: &[String]) -> Response {
    let headers = response.headers_mut();
    for value in cookies {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.append(SET_COOKIE, value);
        }
    }
    headers.insert(VARY, HeaderValue::from_static("Cookie"));
    response
}

/// The cookies of a fresh login: the session under the Django name, and a rotated CSRF
/// secret, so tokens from before the login stop working.
pub(crate) fn login_cookies(state: &DjangoState, logged_in: &LoggedIn) -> Vec<String> {
    vec![
        state.cookies.issue_as(
            &state.settings.session_cookie,
            &logged_in.session_id,
            logged_in.expires_at - now(),
        ),
        csrf_cookie(state, &token::new_secret()),
    ]
}

/// Django's CSRF checks; on failure the 403 in the form the client reads (`json` for DRF
/// views and API clients, else a page naming the reason).
fn enforce_csrf(
    state: &DjangoState,
    visitor: &Visitor,
    headers: &HeaderMap,
    path: &str,
    field: Option<&str>,
    json: bool,
) -> Result<(), Response> {
    let cookie = read_cookie(headers, &state.settings.csrf_cookie);
    let request = CsrfRequest {
        headers,
        secure: is_secure(state),
        trusted_origins: &state.settings.trusted_origins,
        cookie: cookie.as_deref(),
        field,
    };
    csrf::check(&request)
        .map(drop)
        .map_err(|failure| csrf_refusal(state, visitor, path, &failure, json))
}

/// Django's Origin check alone, for anonymous calls to the dj-rest-auth views: DRF skips CSRF
/// for them, which lets another site log a visitor's browser into an account of its choosing
/// (login CSRF) with a `sessionid` every dialect honours.
fn enforce_origin(
    state: &DjangoState,
    visitor: &Visitor,
    headers: &HeaderMap,
    path: &str,
) -> Result<(), Response> {
    let request = CsrfRequest {
        headers,
        secure: is_secure(state),
        trusted_origins: &state.settings.trusted_origins,
        cookie: None,
        field: None,
    };
    csrf::check_origin(&request)
        .map_err(|failure| csrf_refusal(state, visitor, path, &failure, true))
}

/// The 403 for a failed check, in the form the client reads (`json` for DRF views and API
/// clients, else a page naming the reason); audited and logged as Django logs it.
fn csrf_refusal(
    state: &DjangoState,
    visitor: &Visitor,
    path: &str,
    failure: &csrf::CsrfFailure,
    json: bool,
) -> Response {
    let reason = failure.reason();
    state.audit_csrf_rejection(visitor.session.as_deref(), &visitor.client, &reason);
    tracing::warn!(target: "latch::django::csrf", "Forbidden ({reason}): {path}");
    let response = if json {
        detail(StatusCode::FORBIDDEN, &format!("CSRF Failed: {reason}"))
    } else {
        (
            StatusCode::FORBIDDEN,
            Html(page::csrf_failure(
                &reason,
                &failure.advice(&state.settings.csrf_cookie),
            )),
        )
            .into_response()
    };
    if failure.resets_cookie() {
        with_cookies(response, &[csrf_cookie(state, &token::new_secret())])
    } else {
        response
    }
}
