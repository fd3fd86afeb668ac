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
use crate::http::{AppState, Visitor};

const CONFIRM_PATH: &str = "/user/logout/confirm";

/// `GET /user/logout`.
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
    let confirm = match &destination {
        Some(path) => format!("{CONFIRM_PATH}?{}", destination_query(path)),
        None => CONFIRM_PATH.to_string(),
    };
    Ok(redirect(&Some(confirm), None))
}

/// `GET /user/logout/confirm`: "Are you sure you want to log out?"
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
pub async fn confirm(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    DrupalVisitor(visitor): DrupalVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, DrupalError> {
    let destination = destination(&uri);
    let body = super::body_bytes(body, state.body_limit)?;
    let token = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .unwrap_or_default()
        .into_iter()
        .rev()
        .find(|(key, _)| key == "token")
        .map(|(_, value)| value);
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
    let action = match destination {
        Some(path) => format!("{CONFIRM_PATH}?{}", destination_query(path)),
        None => CONFIRM_PATH.to_string(),
    };
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

fn query_value(uri: &Uri, key: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(uri.query().unwrap_or_default())
        .unwrap_or_default()
        .into_iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, value)| value)
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

fn destination_query(path: &str) -> String {
    serde_urlencoded::to_string([("destination", path)]).unwrap_or_default()
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
