//! The login page's passkey button: its script (`{login_prefix}passkey.js`), the page's
//! Content-Security-Policy that lets that one same-origin script run, and the login view's
//! answer when the script submits a passkey's answer instead of a name and password.

use axum::http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;

use super::login::{form_again, logged_in_answer};
use super::page::PasskeyButton;
use super::{Answer, DjangoState, csrf_cookie, field_errors, server_failure, with_cookies};
use crate::core::Error;
use crate::core::passkeys::PasskeyError;
use crate::http::Visitor;

const SCRIPT: &str = include_str!("passkey.js");

/// Where the passkey button asks for request options.
const OPTIONS_PATH: &str = "/latch/login/passkey";

/// The login page's policy with the passkey button: still no inline script and nothing from
/// another origin; the script may fetch the options from this server.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; \
     style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";

/// What a failed passkey login is told on the page.
const PASSKEY_FAILED: &str = "The passkey could not sign you in. Try again, or log in with \
     your username and password.";

pub fn script_path(state: &DjangoState) -> String {
    format!("{}passkey.js", state.settings.login_prefix)
}

/// The button, where the server has passkeys on.
pub fn button<'a>(state: &DjangoState, script: &'a str) -> Option<PasskeyButton<'a>> {
    state.core.passkeys_available().then_some(PasskeyButton {
        script,
        options: OPTIONS_PATH,
    })
}

/// The login page with the `csrftoken` cookie, and the policy that lets its script run when
/// it has one (other pages keep the dialect's script-free policy).
pub fn with_policy(state: &DjangoState, html: String, secret: &str) -> Response {
    let mut response = with_cookies(Html(html).into_response(), &[csrf_cookie(state, secret)]);
    if state.core.passkeys_available() {
        response.headers_mut().insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_POLICY),
        );
    }
    response
}

/// `GET {login_prefix}passkey.js`.
pub async fn script() -> Response {
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        )],
        SCRIPT,
    )
        .into_response()
}

/// The login view given `ceremony` and `credential` (the JSON text of the authenticator's
/// answer): logs in with the passkey and answers as to the form.
pub async fn finish(
    state: &DjangoState,
    headers: &HeaderMap,
    html: bool,
    visitor: &Visitor,
    ceremony: &str,
    credential: Option<&str>,
    next: Option<&str>,
) -> Answer {
    let credential = credential.and_then(|text| serde_json::from_str::<Value>(text).ok());
    let result = match &credential {
        Some(credential) => {
            state
                .core
                .finish_passkey_login(
                    ceremony.trim(),
                    credential,
                    &visitor.client,
                    visitor.session.as_deref(),
                )
                .await
        }
        None => Err(PasskeyError::Malformed("credential: not JSON".into()).into()),
    };
    let message = match result {
        Ok(logged_in) => return Ok(logged_in_answer(state, headers, html, next, &logged_in)),
        Err(Error::Passkey(PasskeyError::CeremonyInvalid)) => {
            "The passkey sign-in took too long or was already used. Try again.".to_string()
        }
        Err(Error::Passkey(_) | Error::AccountInactive) => PASSKEY_FAILED.to_string(),
        Err(e) => return Err(server_failure(&e)),
    };
    if html {
        return Ok(form_again(state, headers, "", next, &message));
    }
    Err(field_errors(&[("non_field_errors", message)]))
}
