//! Laravel's CSRF protection as Sanctum's SPA flow uses it: the token in the `XSRF-TOKEN`
//! cookie, sent back in `X-XSRF-TOKEN` (or plain in `X-CSRF-TOKEN` or a `_token` field), and
//! Sanctum's rule of which requests are a front end's (stateful) ones.
//!
//! A logged-in session's token is derived from the session (`core::csrf`), so it changes at
//! every login and another session's token never passes. Before login there is no session to
//! bind it to: the cookie holds a random token and the request must send the same value back,
//! which a page on another site can neither read nor set in a header.

use axum::extract::State;
use axum::http::header::{ORIGIN, REFERER};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::{LaravelState, LaravelVisitor, error, with_cookies};
use crate::http::Visitor;
use crate::http::cookies::read_cookie;
use crate::http::csrf::{TokenSource, submitted_token};

pub const XSRF_COOKIE: &str = "XSRF-TOKEN";
/// What the session's token is derived for.
const PURPOSE: &str = "laravel XSRF-TOKEN";

/// `GET /sanctum/csrf-cookie`: 204 with the `XSRF-TOKEN` cookie. A logged-in caller gets their
/// session's token; anyone else keeps the token they have, or gets a new one.
#[utoipa::path(
    get, path = "/sanctum/csrf-cookie", tag = "Laravel",
    summary = "Set the XSRF-TOKEN cookie (Sanctum)",
    responses(
        (status = 204, description = "The `XSRF-TOKEN` cookie is set; send its value back in `X-XSRF-TOKEN`",
            headers(("Set-Cookie" = String, description = "`XSRF-TOKEN`, readable by scripts"))),
    )
)]
pub async fn csrf_cookie(
    State(state): State<LaravelState>,
    headers: HeaderMap,
    LaravelVisitor(visitor): LaravelVisitor,
) -> Response {
    let cookie = match &visitor.session {
        Some(session) => session_cookie(&state, &session.csrf_seed),
        None => {
            let kept = read_cookie(&headers, XSRF_COOKIE).filter(|t| well_formed(t));
            let token = kept.unwrap_or_else(|| state.core.unbound_csrf_token(PURPOSE));
            state
                .cookies
                .readable(XSRF_COOKIE, &token, state.cookie_age)
        }
    };
    with_cookies(StatusCode::NO_CONTENT.into_response(), &[cookie])
}

/// The `XSRF-TOKEN` cookie of the session whose CSRF seed is `seed`.
pub fn session_cookie(state: &LaravelState, seed: &str) -> String {
    let token = state.core.csrf_token(seed, PURPOSE);
    state
        .cookies
        .readable(XSRF_COOKIE, &token, state.cookie_age)
}

/// A new token for a caller without a session, as after logging out.
pub fn anonymous_cookie(state: &LaravelState) -> String {
    let token = state.core.unbound_csrf_token(PURPOSE);
    state
        .cookies
        .readable(XSRF_COOKIE, &token, state.cookie_age)
}

/// A token as latch makes them: 43 base64url characters.
fn well_formed(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `VerifyCsrfToken`: the token of `_token`, `X-CSRF-TOKEN` or `X-XSRF-TOKEN` must be the
/// session's, or without a session the `XSRF-TOKEN` cookie's; else 419, audited.
pub fn verify(
    state: &LaravelState,
    visitor: &Visitor,
    headers: &HeaderMap,
    field: Option<&str>,
) -> Result<(), Response> {
    let sources = [
        TokenSource::Given(field),
        TokenSource::Header("x-csrf-token"),
        TokenSource::Header("x-xsrf-token"),
    ];
    let submitted = submitted_token(headers, &sources);
    let submitted = submitted.as_deref().map(str::trim).unwrap_or_default();
    let valid = !submitted.is_empty()
        && match &visitor.session {
            Some(session) => state.core.csrf_token_valid(session, &[PURPOSE], submitted),
            None => read_cookie(headers, XSRF_COOKIE)
                .is_some_and(|cookie| bool::from(cookie.as_bytes().ct_eq(submitted.as_bytes()))),
        };
    if valid {
        return Ok(());
    }
    let reason = if submitted.is_empty() {
        "CSRF token missing"
    } else {
        "CSRF token mismatch"
    };
    state.audit_csrf_rejection(visitor.session.as_deref(), &visitor.client, reason);
    Err(error::csrf_mismatch())
}

/// Sanctum's `EnsureFrontendRequestsAreStateful`: whether the request's `Origin`, else its
/// `Referer`, names one of the stateful hosts. Only such requests are authenticated by the
/// session cookie on the API routes; others must bring a token.
pub fn from_front_end(state: &LaravelState, headers: &HeaderMap) -> bool {
    let source = headers
        .get(ORIGIN)
        .or_else(|| headers.get(REFERER))
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some((_, rest)) = source.split_once("://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, host)| host);
    let host = host.to_ascii_lowercase();
    // `[::1]:3000` is listed as `::1` or `::1:3000`, as Sanctum compares without brackets.
    let bare = host.replace(['[', ']'], "");
    state
        .stateful
        .iter()
        .any(|listed| host_matches(listed, &host) || host_matches(listed, &bare))
}

/// A listed host against the request's: equal, or for `*.example.com` any subdomain.
fn host_matches(listed: &str, host: &str) -> bool {
    match listed.strip_prefix('*') {
        Some(suffix) => host.ends_with(suffix) && host.len() > suffix.len(),
        None => listed == host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_hosts_match_exactly_or_by_wildcard() {
        assert!(host_matches("localhost:3000", "localhost:3000"));
        assert!(!host_matches("localhost:3000", "localhost:3001"));
        assert!(host_matches("*.example.com", "app.example.com"));
        assert!(!host_matches("*.example.com", "example.com"));
        assert!(!host_matches("*.example.com", "evil-example.com"));
    }

    #[test]
    fn only_latch_shaped_tokens_are_kept() {
        assert!(well_formed(&"a".repeat(43)));
        assert!(!well_formed(&"a".repeat(42)));
        assert!(!well_formed(&format!("{}=", "a".repeat(42))));
    }
}
