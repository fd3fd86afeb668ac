//! What every response of the dialect passes: the header limit on the way in, the pages'
//! Content-Security-Policy on the way out; and plain Django views' 405.

use axum::extract::Request;
use axum::http::header::{ALLOW, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::detail;
use crate::http::SharedState;
use crate::http::limits::oversized_headers;

/// Refuses oversized headers before any view runs, with the status the other dialects give
/// (Django leaves the limit to its server, whose refusals are 400s without a reason).
pub fn refuse(state: &SharedState, request: &Request) -> Option<Response> {
    let reason = oversized_headers(request.headers(), state.header_limit)?;
    Some(detail(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, &reason))
}

/// Gives every page the pages' Content-Security-Policy.
pub fn finish(response: &mut Response) {
    let html = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    // A page that sets its own policy (the login page with its passkey script) keeps it.
    if html && !response.headers().contains_key(CONTENT_SECURITY_POLICY) {
        response.headers_mut().insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_POLICY),
        );
    }
}

/// The pages carry their style inline and run no script at all: nothing else may load, and
/// no other site may frame them (clickjacking the login form).
const PAGE_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";

/// Django's `HttpResponseNotAllowed`: 405, the allowed methods, no body.
pub fn view_not_allowed(allow: &'static str) -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(ALLOW, HeaderValue::from_static(allow))],
        Html(""),
    )
        .into_response()
}
