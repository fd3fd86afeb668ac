//! `GET /latch/verify`: may the request a proxy guards pass? 200 with the account in
//! `X-Latch-*` headers, 401 without a live session, 403 without a role asked for. nginx's
//! `auth_request` accepts only these (and turns anything else into a 500), so the answer keeps
//! to them, save a database outage: 503, which nginx turns into a 500 — the request is
//! refused either way, and no client is told its session ended when it has not.
//!
//! `?redirect=1` is for proxies that hand the answer to the browser (Traefik, Caddy): a
//! browser without a session is sent to the login page instead, which returns it to the
//! original URL if its host is on `forward_auth.return_hosts`.

use std::net::SocketAddr;

use axum::Extension;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::header::{ACCEPT, LOCATION};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::NativeState;
use super::Presented;
use super::headers::{forwarded, header_text};
use crate::core::accounts::Account;
use crate::core::forward_auth::Verdict;
use crate::http::openapi::native as api;

/// What the proxy asks in the query: `role` (repeatable; any suffices) and `redirect`.
#[derive(Default)]
struct Asked {
    roles: Vec<String>,
    redirect: bool,
}

impl Asked {
    fn parse(query: Option<&str>) -> Self {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(query.unwrap_or_default()).unwrap_or_default();
        let mut asked = Asked::default();
        for (key, value) in pairs {
            match key.as_str() {
                "role" => asked.roles.push(value),
                "redirect" => asked.redirect = matches!(value.as_str(), "1" | "true"),
                _ => {}
            }
        }
        asked
    }
}

#[utoipa::path(
    get, path = "/latch/verify", tag = "latch",
    summary = "May the request a proxy guards pass? (forward-auth)",
    params(
        api::VerifyQuery,
        ("X-Original-URI" = Option<String>, Header, description = "The guarded request's URI (nginx)."),
        ("X-Forwarded-Uri" = Option<String>, Header, description = "The guarded request's URI (Traefik, Caddy)."),
        ("X-Forwarded-Host" = Option<String>, Header, description = "The guarded request's host."),
        ("X-Forwarded-Proto" = Option<String>, Header, description = "The guarded request's scheme."),
    ),
    security(
        (), ("session_cookie" = []), ("django_session" = []), ("session_token" = []),
        ("personal_access_token" = [])
    ),
    responses(
        (status = 200, description = "Pass; with a session, the account in headers", headers(
            ("X-Latch-User-Id" = i64, description = "The account's id."),
            ("X-Latch-User-Uuid" = String, description = "The account's UUID."),
            ("X-Latch-User-Name" = String, description = "The name, percent-encoded where not plain ASCII."),
            ("X-Latch-User-Mail" = String, description = "The address, or empty."),
            ("X-Latch-User-Roles" = String, description = "The roles, comma-separated."),
            ("X-Latch-Session-Expires" = i64, description = "When the session ends, in Unix seconds."),
        )),
        (status = 302, description = "`?redirect=1` and a browser without a session: to the login page", headers(
            ("Location" = String, description = "The login page, with `next` when allowed."))),
        (status = 401, description = "No live session (no body: proxies read none)"),
        (status = 403, description = "The session lacks every role asked for, or an access rule refuses it"),
        (status = 500, description = "A fault inside the server (no body)"),
        (status = 503, description = "The database is unavailable (no body)", headers(
            ("Retry-After" = u32, description = "Seconds to wait."))),
    )
)]
pub async fn verify(
    State(state): State<NativeState>,
    RawQuery(query): RawQuery,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    presented: Result<Presented, super::NativeError>,
) -> Response {
    let presented = match presented {
        Ok(presented) => presented,
        Err(failure) => return failure.bare(),
    };
    let account = presented.account();
    let asked = Asked::parse(query.as_deref());
    let trusted = peer.is_some_and(|p| {
        state
            .trusted_proxies
            .trusts(crate::config::canonical_ip(p.0.0.ip()))
    });
    let report = forwarded(&headers, trusted);
    match state
        .forward_auth
        .verdict(&report.original, &asked.roles, account)
    {
        Verdict::Pass => passed(account, presented.expires_at()),
        Verdict::Forbidden => StatusCode::FORBIDDEN.into_response(),
        Verdict::NoSession => match login_redirect(&state, &asked, &headers, report.url) {
            Some(location) => (StatusCode::FOUND, [(LOCATION, location)]).into_response(),
            None => StatusCode::UNAUTHORIZED.into_response(),
        },
    }
}

/// 200, with the account's headers when there is a session or token (a `bypass` rule passes
/// without).
fn passed(account: Option<&Account>, expires_at: Option<i64>) -> Response {
    let mut response = StatusCode::OK.into_response();
    let Some(account) = account else {
        return response;
    };
    let values = [
        ("x-latch-user-id", HeaderValue::from(account.id)),
        ("x-latch-user-uuid", header_text(&account.uuid)),
        ("x-latch-user-name", header_text(&account.name)),
        (
            "x-latch-user-mail",
            header_text(account.mail.as_deref().unwrap_or_default()),
        ),
        (
            "x-latch-user-roles",
            header_text(&account.all_roles().join(",")),
        ),
    ];
    let headers = response.headers_mut();
    for (name, value) in values {
        headers.insert(HeaderName::from_static(name), value);
    }
    if let Some(expires_at) = expires_at {
        headers.insert(
            HeaderName::from_static("x-latch-session-expires"),
            HeaderValue::from(expires_at),
        );
    }
    response
}

/// Where `?redirect=1` sends a browser (a request that accepts HTML) without a session: the
/// Django dialect's login page, with `next` set to the original URL if the login page may
/// return there. Without the Django dialect latch has no HTML login page: then none.
fn login_redirect(
    state: &NativeState,
    asked: &Asked,
    headers: &HeaderMap,
    original_url: Option<String>,
) -> Option<String> {
    let wants_html = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if !asked.redirect || !wants_html {
        return None;
    }
    let login = state.login_page.as_deref()?;
    let next = original_url.and_then(|url| state.forward_auth.return_target(&url));
    Some(match next {
        Some(next) => format!(
            "{login}?{}",
            serde_urlencoded::to_string([("next", next)]).unwrap_or_default()
        ),
        None => login.to_string(),
    })
}
