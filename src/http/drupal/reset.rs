//! One-time login links in Drupal's shape, `/user/reset/{uid}/{timestamp}/{hash}`:
//!
//! - `GET …` checks the link without using it: a confirmation page for browsers (so mail
//!   scanners that fetch links do not spend them), or JSON for clients asking for it;
//! - `POST …/login` logs in with the link and uses it up, as Drupal's `user.reset.login`
//!   behind its confirmation form; `GET …/login` never does (a cross-site link or a prefetch
//!   would log the browser in): browsers get the confirmation page, API clients a 405;
//! - `POST …?_format=json` with `{"pass": "…"}` (a latch addition; Drupal 8+ core has no REST
//!   route for it) sets the new password, ends every session of the account, logs in and
//!   answers as `/user/login`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::header::{ACCEPT, ALLOW, CONTENT_TYPE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde_json::{Value, json};

use super::auth::login_response;
use super::{
    DrupalError, DrupalQuery, LOGOUT_TOKEN_PURPOSE, body_bytes, json_object,
    require_json_content_type,
};
use crate::core::Error;
use crate::http::openapi::drupal as api;
use crate::http::{AppState, Visitor};

const PASS_EXAMPLE: &str = r#"{"pass": "…"}"#;

/// A request on a link: its parts, parsed, from a caller who is not logged in as someone
/// else. Refusals come as JSON, or as a page for browsers.
pub struct LinkRequest {
    uid: i64,
    timestamp: i64,
    hash: String,
    html: bool,
    path: String,
    uri: Uri,
    headers: HeaderMap,
    visitor: Visitor,
}

impl FromRequestParts<AppState> for LinkRequest {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let html = wants_html(&parts.uri, &parts.headers);
        let fail = |e: DrupalError| failure(e, html);
        let visitor = Visitor::look_up(parts, state)
            .await
            .map_err(|e| fail(e.into()))?;
        // Anything unparsable is simply an invalid link.
        let Ok(Path((uid, timestamp, hash))) =
            Path::<(i64, i64, String)>::from_request_parts(parts, state).await
        else {
            return Err(fail(Error::LinkInvalid.into()));
        };
        // A caller logged in as someone else must log out first (Drupal's rule).
        if let Some(session) = visitor.session.as_ref().filter(|s| s.account.id != uid) {
            let logout_token = state
                .core
                .csrf_token(&session.csrf_seed, LOGOUT_TOKEN_PURPOSE);
            return Err(fail(
                DrupalError::forbidden(format!(
                    "Another user ({}) is already logged into the site on this computer, but \
                     you tried to use a one-time link for another user. Please log out and try \
                     using the link again.",
                    session.account.name
                ))
                .with_hint(
                    "Log out with POST /user/logout?_format=json&token=<logout_token> \
                     (logout_token is given here), then use the link again.",
                )
                .with("logout_token", Value::String(logout_token)),
            ));
        }
        let path = parts
            .uri
            .path()
            .trim_end_matches('/')
            .trim_end_matches("/login")
            .to_string();
        Ok(LinkRequest {
            uid,
            timestamp,
            hash,
            html,
            path,
            uri: parts.uri.clone(),
            headers: parts.headers.clone(),
            visitor,
        })
    }
}

/// Browsers ask for HTML; API clients get JSON, as everywhere else.
fn wants_html(uri: &Uri, headers: &HeaderMap) -> bool {
    let accept = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    DrupalQuery::from_uri(uri).format.is_none() && accept.contains("text/html")
}

fn failure(error: DrupalError, html: bool) -> Response {
    if html {
        page(error.status(), "One-time login", &escape(error.message()))
    } else {
        error.into_response()
    }
}

/// `GET /user/reset/{uid}/{timestamp}/{hash}/login`: the confirmation page for browsers that
/// followed an old link or a bookmark; API clients learn to POST.
#[utoipa::path(
    get, path = "/user/reset/{uid}/{timestamp}/{hash}/login", operation_id = "reset_login_page", tag = "Drupal 8+",
    summary = "A one-time link's login address, fetched: never logs in",
    params(api::ResetLink),
    security((), ("session_cookie" = [])),
    responses(
        (status = 200, description = "Browsers (`Accept: text/html`): the confirmation page",
            body = String, content_type = "text/html"),
        (status = 403, description = "An invalid or expired link, or logged in as someone else",
            body = api::DrupalError),
        (status = 405, description = "API clients: log in with POST instead", body = api::DrupalError,
            headers(("Allow" = String, description = "`POST`"))),
    )
)]
pub async fn login_page(state: State<AppState>, link: LinkRequest) -> Response {
    if link.html {
        return confirm(state, link).await;
    }
    let mut response = DrupalError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "No route found for \"GET {}/login\": Method Not Allowed",
            link.path
        ),
    )
    .with_hint(format!(
        "Log in with the link by POST {}/login; a GET never uses a one-time link, so that a \
         link from another site cannot log anyone in.",
        link.path
    ))
    .into_response();
    response
        .headers_mut()
        .insert(ALLOW, axum::http::HeaderValue::from_static("POST"));
    response
}

/// `GET /user/reset/{uid}/{timestamp}/{hash}`: what the link would do, without using it.
#[utoipa::path(
    get, path = "/user/reset/{uid}/{timestamp}/{hash}", operation_id = "reset_check", tag = "Drupal 8+",
    summary = "Check a one-time login link without using it",
    params(api::ResetLink, api::DrupalFormat),
    security((), ("session_cookie" = [])),
    responses(
        (status = 200, description = "What the link would do (a page for `Accept: text/html`)",
            content(
                (api::DrupalResetLinkInfo = "application/json"),
                (String = "text/html"),
            )),
        (status = 403, description = "An invalid or expired link, or logged in as someone else",
            content(
                (api::DrupalError = "application/json"),
                (String = "text/html"),
            )),
    )
)]
pub async fn confirm(State(state): State<AppState>, link: LinkRequest) -> Response {
    let valid = match state
        .core
        .check_login_link(link.uid, link.timestamp, &link.hash)
        .await
    {
        Ok(valid) => valid,
        Err(e) => return failure(e.into(), link.html),
    };
    let path = &link.path;
    if link.html {
        return page(
            StatusCode::OK,
            "Reset password",
            &format!(
                "<p>This is a one-time login for <em>{}</em> and will expire on {}.</p>\
                 <p>Click on this button to log in to the site and change your password.</p>\
                 <form method=\"post\" action=\"{}/login\"><button type=\"submit\">Log in\
                 </button></form><p>This login can be used only once.</p>",
                escape(&valid.account.name),
                date(valid.expires_at),
                escape(path)
            ),
        );
    }
    axum::Json(json!({
        "uid": valid.account.id,
        "name": valid.account.name,
        "expires": valid.expires_at,
        "login": format!("POST {path}/login"),
        "set_password": format!("POST {path}?_format=json with {PASS_EXAMPLE}"),
    }))
    .into_response()
}

/// `POST /user/reset/{uid}/{timestamp}/{hash}/login`: logs in and uses the link up. The
/// cross-site screen in front of every unsafe request keeps other sites from posting it.
#[utoipa::path(
    post, path = "/user/reset/{uid}/{timestamp}/{hash}/login", operation_id = "reset_login", tag = "Drupal 8+",
    summary = "Log in with a one-time link, using it up",
    params(api::ResetLink),
    security((), ("session_cookie" = [])),
    responses(
        (status = 200, description = "Logged in, as `/user/login` answers (a page for `Accept: text/html`)",
            content(
                (api::DrupalLoggedIn = "application/json"),
                (String = "text/html"),
            ),
            headers(("Set-Cookie" = String, description = "The session cookie."))),
        (status = 403, description = "An invalid, used or expired link, or logged in as someone else",
            content(
                (api::DrupalError = "application/json"),
                (String = "text/html"),
            )),
    )
)]
pub async fn login(State(state): State<AppState>, link: LinkRequest) -> Response {
    let result = state
        .core
        .login_with_link(
            link.uid,
            link.timestamp,
            &link.hash,
            None,
            &link.visitor.client,
            link.visitor.session.as_deref(),
        )
        .await;
    let logged_in = match result {
        Ok(logged_in) => logged_in,
        Err(e) => return failure(e.into(), link.html),
    };
    let mut response = login_response(&state, &link.headers, &logged_in);
    if link.html {
        let cookie = response.headers_mut().remove(SET_COOKIE);
        response = page(
            StatusCode::OK,
            "Logged in",
            &format!(
                "<p>You are logged in as <em>{}</em>. You have just used your one-time login \
                 link. It is no longer necessary to use this link to log in. It is recommended \
                 that you set your password.</p>",
                escape(&logged_in.account.name)
            ),
        );
        if let Some(cookie) = cookie {
            response.headers_mut().insert(SET_COOKIE, cookie);
        }
    }
    response
}

/// `POST /user/reset/{uid}/{timestamp}/{hash}?_format=json` with `{"pass": "…"}`.
#[utoipa::path(
    post, path = "/user/reset/{uid}/{timestamp}/{hash}", operation_id = "reset_set_password", tag = "Drupal 8+",
    summary = "Set a new password with a one-time link, and log in",
    description = "Ends every other session of the account.",
    params(api::ResetLink, api::DrupalFormat),
    request_body(content = api::DrupalResetPassword, content_type = "application/json"),
    security((), ("session_cookie" = [])),
    responses(
        (status = 200, description = "Logged in, as `/user/login` answers", body = api::DrupalLoggedIn,
            headers(("Set-Cookie" = String, description = "The session cookie."))),
        (status = 400, description = "No `pass`, or malformed JSON", body = api::DrupalError),
        (status = 403, description = "An invalid, used or expired link, or logged in as someone else",
            body = api::DrupalError),
        (status = 406, description = "A `_format` other than json", body = api::DrupalError),
        (status = 415, description = "A body that is not `application/json`", body = api::DrupalError),
        (status = 422, description = "The password breaks a rule", body = api::DrupalError),
    )
)]
pub async fn set_password(
    State(state): State<AppState>,
    link: LinkRequest,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, DrupalError> {
    DrupalQuery::from_uri(&link.uri).require_json()?;
    require_json_content_type(&link.headers)?;
    let body = body_bytes(body, state.body_limit)?;
    let fields = json_object(&body, PASS_EXAMPLE)?;
    let pass = match fields.get("pass") {
        Some(Value::String(pass)) => pass.clone(),
        // Drupal's field shapes, as /user/register takes them.
        Some(Value::Object(item)) => match item.get("value") {
            Some(Value::String(pass)) => pass.clone(),
            _ => return Err(missing_pass()),
        },
        _ => return Err(missing_pass()),
    };
    let logged_in = state
        .core
        .login_with_link(
            link.uid,
            link.timestamp,
            &link.hash,
            Some(&SecretString::from(pass)),
            &link.visitor.client,
            link.visitor.session.as_deref(),
        )
        .await?;
    Ok(login_response(&state, &link.headers, &logged_in))
}

fn missing_pass() -> DrupalError {
    DrupalError::bad_request("Missing pass: the new password.")
        .with_hint(format!("Send a JSON object such as {PASS_EXAMPLE}."))
}

pub(super) fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1>{body}</body></html>\n"
    );
    (status, [(CONTENT_TYPE, "text/html; charset=UTF-8")], html).into_response()
}

pub(super) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn date(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc2822)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}
