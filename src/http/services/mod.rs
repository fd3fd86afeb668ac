//! The Drupal 7 Services module's REST server dialect, under a configurable endpoint path `P`:
//! `POST P/user/{login,logout,token,register,request_new_password}`, `POST P/user`,
//! `POST P/system/connect`, `GET P/user/{uid}`, and `GET /services/session/token`.
//!
//! One handler takes every request under `P` and reads like the module's resource table: it
//! negotiates the response format, finds the action, parses the body, checks the CSRF token,
//! then calls the action.

mod account;
pub(super) mod auth;
mod body;
mod error;
mod format;
mod php_fields;
pub(super) mod users;

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::any;
use serde_json::{Map, Value};

use super::csrf::{TokenSource, check_session_token, submitted_token};
use super::limits::oversized_headers;
use super::origin::cross_site_refusal;
use super::{AppState, CookieName, Dialect, SessionLookupFailed, Visitor, unreadable_body};
use crate::config::{Config, ServicesApiVersion, ServicesConfig};
use error::ServicesError;
use format::{Format, split_suffix};

/// `drupal_get_token('services')`: the only purpose this dialect's tokens are minted for.
const TOKEN_PURPOSE: &str = "services";

pub const DIALECT: Dialect = Dialect {
    name: "services",
    title: "Drupal 7 Services",
    base_paths,
    session_cookies,
    router,
    screen: super::Screen::NONE,
};

fn base_paths(config: &Config) -> Vec<String> {
    if !config.services.enabled {
        return Vec::new();
    }
    vec![
        format!("/{}/", config.services.endpoint),
        "/services/session/token".into(),
    ]
}

/// Drupal 7 issues the server's standard session cookie.
fn session_cookies(config: &Config) -> Vec<CookieName> {
    if config.services.enabled {
        vec![CookieName::Standard]
    } else {
        Vec::new()
    }
}

/// What the dialect's handlers reach: the shared state and the dialect's settings.
#[derive(Clone)]
pub struct ServicesState {
    pub app: AppState,
    pub settings: Arc<ServicesConfig>,
}

impl FromRef<ServicesState> for AppState {
    fn from_ref(state: &ServicesState) -> Self {
        state.app.clone()
    }
}

/// The dialect's routes, or none when it is switched off.
fn router(app: &AppState, config: &Config) -> Router {
    if !config.services.enabled {
        return Router::new();
    }
    let state = ServicesState {
        app: app.clone(),
        settings: Arc::new(config.services.clone()),
    };
    let endpoint = &state.settings.endpoint;
    Router::new()
        // A menu callback in Drupal 7: any method gets the token.
        .route("/services/session/token", any(auth::session_token))
        .route(&format!("/{endpoint}"), any(dispatch))
        .route(&format!("/{endpoint}/{{*path}}"), any(dispatch))
        .with_state(state)
}

/// The session lookup, with a failure kept to be answered in the negotiated format.
pub struct LookedUp(pub Result<Visitor, SessionLookupFailed>);

impl<S: Send + Sync> FromRequestParts<S> for LookedUp
where
    AppState: FromRef<S>,
{
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Infallible> {
        let state = AppState::from_ref(state);
        Ok(Self(Visitor::look_up(parts, &state).await))
    }
}

/// What an action was asked to do, with everything it may need.
pub struct Call {
    pub state: AppState,
    pub settings: Arc<ServicesConfig>,
    pub headers: HeaderMap,
    pub visitor: Visitor,
    /// The body's fields.
    pub data: Map<String, Value>,
}

impl Call {
    /// A scalar argument from the body; PHP would take a number as its text too.
    pub fn argument(&self, key: &str) -> Option<String> {
        argument(&self.data, key)
    }

    /// The API version for `action`: configured, or asked for with the module's
    /// `services_user_<action>_version` header.
    pub fn api_version(&self, action: &str) -> ServicesApiVersion {
        let header = format!("services_user_{action}_version");
        match self.headers.get(header).and_then(|v| v.to_str().ok()) {
            Some(v) if v.trim() == "1.1" => ServicesApiVersion::V1_1,
            Some(v) if v.trim() == "1.0" => ServicesApiVersion::V1_0,
            _ => self.settings.api_version,
        }
    }
}

pub fn argument(data: &Map<String, Value>, key: &str) -> Option<String> {
    match data.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A successful answer and the cookie it sets, if any.
pub struct Reply {
    value: Value,
    cookie: Option<String>,
}

impl Reply {
    pub fn new(value: Value) -> Self {
        Self {
            value,
            cookie: None,
        }
    }

    pub fn with_cookie(mut self, cookie: String) -> Self {
        self.cookie = Some(cookie);
        self
    }

    fn render(self, format: Format) -> Response {
        let mut response = format.render(StatusCode::OK, &self.value);
        if let Some(cookie) = self.cookie.and_then(|c| HeaderValue::try_from(c).ok()) {
            response.headers_mut().append(SET_COOKIE, cookie);
        }
        response
    }
}

enum Action {
    Login,
    Logout,
    Token,
    Register,
    RequestNewPassword,
    Connect,
    Retrieve(String),
}

/// The resource table: which action a method and path name.
fn route(method: &Method, path: &str) -> Result<Action, ServicesError> {
    let segments: Vec<&str> = path.split('/').collect();
    let post = *method == Method::POST;
    let action = match segments.as_slice() {
        ["user", "login"] if post => Action::Login,
        ["user", "logout"] if post => Action::Logout,
        ["user", "token"] if post => Action::Token,
        ["user", "register"] | ["user"] if post => Action::Register,
        ["user", "request_new_password"] if post => Action::RequestNewPassword,
        ["system", "connect"] if post => Action::Connect,
        ["user", uid] if *method == Method::GET => Action::Retrieve(uid.to_string()),
        ["user", ..] | ["system", ..] => {
            return Err(ServicesError::before_controller(
                StatusCode::NOT_FOUND,
                "Could not find the controller.",
            ));
        }
        _ => {
            let resource = segments.first().copied().unwrap_or_default();
            return Err(ServicesError::before_controller(
                StatusCode::NOT_FOUND,
                format!("Could not find resource {resource}."),
            ));
        }
    };
    Ok(action)
}

async fn dispatch(
    State(ServicesState {
        app: state,
        settings,
    }): State<ServicesState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    LookedUp(visitor): LookedUp,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(refusal) = screen(&state, &method, &headers, visitor.as_ref().ok()) {
        return refusal.render(Format::Json);
    }
    let prefix = settings.endpoint.len() + 1;
    let path = uri.path().get(prefix..).unwrap_or_default();
    // Drupal 7 trims slashes at both ends of the path before routing: `user/login/` is
    // `user/login`.
    let (path, suffix) = split_suffix(path.trim_matches('/'));
    let format = match Format::negotiate(suffix, &headers) {
        Ok(format) => format,
        Err(e) => return e.render(Format::Json),
    };
    let result = async {
        let action = route(&method, path)?;
        let visitor = visitor?;
        let data = if method == Method::POST {
            let bytes = body_bytes(body, state.body_limit)?;
            body::parse(&headers, bytes, settings.urlencoded).await?
        } else {
            Map::new()
        };
        // Safe methods need no token, and the module exempts user/token, which is how a
        // client gets one in the first place.
        if method == Method::POST && !matches!(action, Action::Token) {
            check_csrf(&state, &visitor, &uri, &headers, &data)?;
        }
        let call = Call {
            state: state.clone(),
            settings: settings.clone(),
            headers: headers.clone(),
            visitor,
            data,
        };
        match action {
            Action::Login => auth::login(call).await,
            Action::Logout => auth::logout(call).await,
            Action::Token => Ok(auth::token(call)),
            Action::Connect => Ok(auth::connect(call)),
            Action::Register => users::register(call).await,
            Action::RequestNewPassword => users::request_new_password(call).await,
            Action::Retrieve(uid) => users::retrieve(call, &uid).await,
        }
    }
    .await;
    match result {
        Ok(reply) => reply.render(format),
        Err(e) => e.render(format),
    }
}

/// Refuses oversized headers and cross-site browser requests before anything else.
fn screen(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    visitor: Option<&Visitor>,
) -> Result<(), ServicesError> {
    if let Some(reason) = oversized_headers(headers, state.header_limit) {
        return Err(ServicesError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            reason,
        ));
    }
    match cross_site_refusal(method, headers, &state.trusted_origins) {
        Some(reason) => {
            if let Some(visitor) = visitor {
                state.audit_csrf_rejection(visitor.session.as_deref(), &visitor.client, &reason);
            }
            Err(ServicesError::new(StatusCode::FORBIDDEN, reason))
        }
        None => Ok(()),
    }
}

fn body_bytes(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Bytes, ServicesError> {
    body.map_err(|rejection| {
        let (status, message) = unreadable_body(&rejection, limit);
        ServicesError::new(status, message)
    })
}

/// Cookie-authenticated callers must send the session's token on unsafe methods, in
/// `X-CSRF-Token` or as the `services_token` parameter.
fn check_csrf(
    state: &AppState,
    visitor: &Visitor,
    uri: &Uri,
    headers: &HeaderMap,
    data: &Map<String, Value>,
) -> Result<(), ServicesError> {
    let Some(session) = &visitor.session else {
        return Ok(());
    };
    let query =
        serde_urlencoded::from_str::<Vec<(String, String)>>(uri.query().unwrap_or_default())
            .unwrap_or_default()
            .into_iter()
            .find(|(k, _)| k == "services_token")
            .map(|(_, v)| v);
    let field = argument(data, "services_token");
    let token = submitted_token(
        headers,
        &[
            TokenSource::Header("x-csrf-token"),
            TokenSource::Given(query.as_deref()),
            TokenSource::Given(field.as_deref()),
        ],
    );
    // The module words a missing token and a wrong one alike.
    check_session_token(
        state,
        session,
        &visitor.client,
        &[TOKEN_PURPOSE],
        token.as_deref(),
        |_| "CSRF validation failed",
    )
    .map_err(|refused| ServicesError::unauthorized(refused.reason))
}

/// A request refused before any route took it, as the module words errors (used for the
/// `?q=` paths Drupal 7 clients send).
pub fn refusal(status: StatusCode, message: &str) -> Response {
    ServicesError::new(status, message).render(Format::Json)
}

/// `%name`-style placeholder markup, with the value escaped as Drupal's `check_plain` does.
pub fn placeholder(value: &str) -> String {
    let escaped = value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#039;");
    format!("<em class=\"placeholder\">{escaped}</em>")
}
