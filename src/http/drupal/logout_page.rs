//! Drupal's HTML logout route as Drupal 10.3+ serves it, for browser links and clients such
//! as jDrupal 8:
//!
//! - `GET /user/logout?token=<logout_token>` logs out and redirects (302) to `destination`
//!   when that is a path on this site, else to `/`;
//! - without that token it redirects to `GET /user/logout/confirm`, a page whose form POSTs
//!   the token back, so a link or an image on another site can never log anyone out;
//! - anonymous callers are simply redirected, as Drupal's access-denied handling does.
//!
//! `POST /user/logout?_format=json&token=…`, the REST logout, lives in `auth`.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::reset::{escape, page};
use super::{DrupalError, DrupalVisitor, LOGOUT_TOKEN_PURPOSE};
use crate::http::form::urlencoded_pairs;
use crate::http::openapi::drupal as api;
use crate::http::{AppState, Visitor};

const CONFIRM_PATH: &str = "/user/logout/confirm";

/// `GET /user/logout`.
#[utoipa::path(
    get, path = "/user/logout", tag = "Drupal 8+",
    summary = "Log out from a link (browsers)",
    description = "With this session's logout token: logs out and redirects. Without it, a \
        logged-in browser is sent to the confirmation page; an anonymous one to the destination.",
    params(api::DrupalLogoutLink),
    security((), ("session_cookie" = [])),
    responses((status = 302, description = "To the destination, the front page or the confirmation page",
        headers(("Location" = String, description = "Where to go next."),
            ("Set-Cookie" = String, description = "The expired session cookie, when logged out.")))),
)]
pub async fn logout_link(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    DrupalVisitor(visitor): DrupalVisitor,
) -> Result<Response, DrupalError> {
    let destination = destination(&uri);
    let token = query_value(&uri, "token");
    if token_is_valid(&state, &visitor, token.as_deref()) {
        return log_out(&state, &headers, &visitor, &destination).await;
    }
    if visitor.session.is_none() {
        return Ok(redirect(&destination, None));
    }
    Ok(redirect(&Some(confirm_url(&destination)), None))
}

/// `GET /user/logout/confirm`: "Are you sure you want to log out?"
#[utoipa::path(
    get, path = "/user/logout/confirm", operation_id = "logout_confirm_page", tag = "Drupal 8+",
    summary = "The logout confirmation page (browsers)",
    params(api::DrupalLogoutLink),
    security((), ("session_cookie" = [])),
    responses(
        (status = 200, description = "A page whose form posts the logout token", body = String,
            content_type = "text/html"),
        (status = 302, description = "No live session: to the destination or the front page",
            headers(("Location" = String, description = "Where to go next."))),
    )
)]
pub async fn confirm_page(
    State(state): State<AppState>,
    uri: Uri,
    DrupalVisitor(visitor): DrupalVisitor,
) -> Response {
    let destination = destination(&uri);
    match confirmation(&state, &visitor, &destination, None) {
        Some(page) => page,
        None => redirect(&destination, None),
    }
}

/// `POST /user/logout/confirm` with the form's `token`. Cross-site posts never get here: the
/// dialect's origin screen refuses them first.
#[utoipa::path(
    post, path = "/user/logout/confirm", operation_id = "logout_confirm", tag = "Drupal 8+",
    summary = "Confirm logging out (browsers)",
    params(api::DrupalLogoutLink),
    request_body(content = api::DrupalLogoutForm, content_type = "application/x-www-form-urlencoded"),
    security((), ("session_cookie" = [])),
    responses(
        (status = 302, description = "Logged out, or no live session: to the destination or the \
            front page", headers(("Location" = String, description = "Where to go next."),
            ("Set-Cookie" = String, description = "The expired session cookie, when logged out."))),
        (status = 400, description = "A body that could not be read", body = api::DrupalError),
        (status = 403, description = "An outdated or missing token: the page again, with the problem",
            body = String, content_type = "text/html"),
    )
)]
pub async fn confirm(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    DrupalVisitor(visitor): DrupalVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, DrupalError> {
    let destination = destination(&uri);
    let body = super::body_bytes(body, state.body_limit)?;
    // A body that is no form carries no token: the page is shown again.
    let token = last_value(urlencoded_pairs(&body).unwrap_or_default(), "token");
    if token_is_valid(&state, &visitor, token.as_deref()) {
        return log_out(&state, &headers, &visitor, &destination).await;
    }
    let outdated = "The form has become outdated: it belongs to an earlier session. Reload \
                    this page and press the button again.";
    Ok(
        match confirmation(&state, &visitor, &destination, Some(outdated)) {
            Some(page) => page,
            // Already logged out, by another tab or by expiry: there is nothing left to do.
            None => redirect(&destination, None),
        },
    )
}

/// Whether `token` is the logout token of the caller's live session.
fn token_is_valid(state: &AppState, visitor: &Visitor, token: Option<&str>) -> bool {
    match (&visitor.session, token) {
        (Some(session), Some(token)) => {
            state
                .core
                .csrf_token_valid(session, &[LOGOUT_TOKEN_PURPOSE], token)
        }
        _ => false,
    }
}

async fn log_out(
    state: &AppState,
    headers: &HeaderMap,
    visitor: &Visitor,
    destination: &Option<String>,
) -> Result<Response, DrupalError> {
    if let Some(session) = &visitor.session {
        state.core.logout(session, &visitor.client).await?;
    }
    Ok(redirect(destination, Some(state.cookies.expire(headers))))
}

/// The confirmation page for a logged-in caller, with a problem above the form if any;
/// `None` for an anonymous one.
fn confirmation(
    state: &AppState,
    visitor: &Visitor,
    destination: &Option<String>,
    problem: Option<&str>,
) -> Option<Response> {
    let session = visitor.session.as_ref()?;
    let token = state
        .core
        .csrf_token(&session.csrf_seed, LOGOUT_TOKEN_PURPOSE);
    let action = confirm_url(destination);
    let status = if problem.is_some() {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::OK
    };
    let problem = problem
        .map(|text| format!("<p role=\"alert\">{}</p>", escape(text)))
        .unwrap_or_default();
    Some(page(
        status,
        "Log out",
        &format!(
            "{problem}<p>Are you sure you want to log out, <em>{name}</em>?</p>\
             <form method=\"post\" action=\"{action}\">\
             <input type=\"hidden\" name=\"token\" value=\"{token}\">\
             <button type=\"submit\">Log out</button> <a href=\"/\">Cancel</a></form>",
            name = escape(&session.account.name),
            action = escape(&action),
            token = escape(&token),
        ),
    ))
}

/// A 302 to `destination` or to the front page, expiring the session cookie if given.
fn redirect(destination: &Option<String>, expired_cookie: Option<String>) -> Response {
    let target = destination.as_deref().unwrap_or("/");
    let location = HeaderValue::from_str(target).unwrap_or(HeaderValue::from_static("/"));
    let mut response = (StatusCode::FOUND, [(LOCATION, location)]).into_response();
    if let Some(cookie) = expired_cookie.and_then(|c| HeaderValue::try_from(c).ok()) {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    response
}

/// The last value given for `key`, as PHP reads a repeated argument.
fn last_value(pairs: Vec<(String, String)>, key: &str) -> Option<String> {
    pairs
        .into_iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, value)| value)
}

fn query_value(uri: &Uri, key: &str) -> Option<String> {
    let query = uri.query().unwrap_or_default();
    last_value(urlencoded_pairs(query.as_bytes()).unwrap_or_default(), key)
}

/// The `destination` parameter if it is a path on this site; Drupal, too, never redirects
/// elsewhere by it (an open redirect).
fn destination(uri: &Uri) -> Option<String> {
    query_value(uri, "destination").filter(|path| is_local_path(path))
}

fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && path.len() <= 2048
        && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

/// The confirmation page's address, carrying the destination along.
fn confirm_url(destination: &Option<String>) -> String {
    match destination {
        Some(path) => {
            let query = serde_urlencoded::to_string([("destination", path)]).unwrap_or_default();
            format!("{CONFIRM_PATH}?{query}")
        }
        None => CONFIRM_PATH.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_site_are_destinations() {
        for local in ["/", "/node/1", "/user?x=1#top"] {
            assert!(is_local_path(local), "{local}");
        }
        for foreign in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "node/1",
            "/a b",
            "/\u{e9}",
            "",
        ] {
            assert!(!is_local_path(foreign), "{foreign}");
        }
    }
}
