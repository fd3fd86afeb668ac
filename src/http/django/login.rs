//! `{login_prefix}login/` and `logout/`: plain Django views, so every unsafe request passes
//! the CSRF middleware, logged in or not. Browsers get pages and redirects; API clients
//! (Postman, SPAs) get the reference server's JSON.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use secrecy::SecretString;
use serde_json::json;

use super::DjangoState;
use super::DjangoVisitor;
use super::page::{self, LoginForm};
use super::{
    Answer, body, csrf_cookie, csrf_secret, enforce_csrf, field_errors, host, is_secure,
    login_cookies, server_failure, token, wants_html, with_cookies,
};
use crate::core::passkeys::PasskeyError;
use crate::core::{Error, LoggedIn, LoginName};
use crate::http::failure::PASSKEY_REQUIRED;
use crate::http::openapi::django as api;

/// Django's `AuthenticationForm` message for a wrong name or password.
pub const BAD_CREDENTIALS: &str = "Please enter a correct username and password. Note that both \
                                   fields may be case-sensitive.";
const REQUIRED: &str = "This field is required.";
/// What an account with a second factor is told without its code.
pub const SECOND_FACTOR_REQUIRED: &str = "This account uses a second factor: enter the 6-digit \
     code of its authenticator app (or a recovery code) as \"code\" with the username and \
     password, or log in with POST /latch/login.";
pub const SECOND_FACTOR_INVALID: &str = "The authentication code is wrong, expired or was \
     already used. Enter a current code of the authenticator app, or an unused recovery code.";

#[derive(serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// `GET login/`: the form, or who is logged in. Sets the `csrftoken` cookie (keeping a
/// well-formed one), as `{% csrf_token %}` does.
#[utoipa::path(
    get, path = "/auth/login/", operation_id = "login_page", tag = "Django",
    summary = "The login page (browsers)",
    params(("next" = Option<String>, Query, description = "Where to go after logging in.")),
    security((), ("django_session" = [])),
    responses((status = 200, description = "The login form, or who is logged in", body = String,
        content_type = "text/html",
        headers(("Set-Cookie" = String, description = "The `csrftoken` cookie.")))),
)]
pub async fn page(
    State(state): State<DjangoState>,
    headers: HeaderMap,
    DjangoVisitor(visitor): DjangoVisitor,
    uri: Uri,
) -> Response {
    let secret = csrf_secret(&state, &headers).unwrap_or_else(token::new_secret);
    let masked = token::mask(&secret);
    let html = match &visitor.session {
        Some(session) => page::logged_in(&session.account.name, &logout_path(&state), &masked),
        None => {
            let next = Query::<NextQuery>::try_from_uri(&uri)
                .ok()
                .and_then(|q| q.0.next);
            let script = super::passkey::script_path(&state);
            let form = page::login_form(&LoginForm {
                action: &login_path(&state),
                token: &masked,
                next: next.as_deref(),
                username: "",
                error: None,
                passkey: super::passkey::button(&state, &script),
            });
            return super::passkey::with_policy(&state, form, &secret);
        }
    };
    with_cookies(Html(html).into_response(), &[csrf_cookie(&state, &secret)])
}

/// `POST login/`: form fields or JSON `username` and `password`, with the CSRF token.
#[utoipa::path(
    post, path = "/auth/login/", operation_id = "login_view", tag = "Django",
    summary = "Log in through Django's login view",
    description = "Always needs the CSRF token (the `csrftoken` cookie and the same value in \
        `csrfmiddlewaretoken` or `X-CSRFToken`). Browsers (`Accept: text/html`) are redirected; \
        other clients get JSON.",
    params(("X-CSRFToken" = Option<String>, Header, description = "The `csrftoken` cookie's value (or a masked form of it); or send `csrfmiddlewaretoken` in a form."), ("csrftoken" = Option<String>, Cookie, description = "The CSRF secret `GET …/login/` sets.")),
    request_body(content((api::DjangoLoginForm = "application/json"), (api::DjangoLoginForm = "application/x-www-form-urlencoded"))),
    security((), ("django_session" = [])),
    responses(
        (status = 200, description = "JSON clients: the account; browsers: the form again with an error",
            content((api::DjangoLoggedIn = "application/json"), (String = "text/html")), headers(("Set-Cookie" = String, description = "`sessionid` and a new `csrftoken`."))),
        (status = 302, description = "Browsers: logged in, to `next` or the default page",
            headers(("Location" = String, description = "Where to go next."),
                ("Set-Cookie" = String, description = "`sessionid` and a new `csrftoken`."))),
        (status = 400, description = "Missing fields, a wrong name or password, or a body that \
            could not be parsed", body = api::DjangoError),
        (status = 403, description = "A CSRF failure (a page for browsers)",
            content((api::DjangoDetail = "application/json"), (String = "text/html"))),
        (status = 415, description = "A body that is neither JSON nor a form", body = api::DjangoDetail),
        (status = 429, description = "Flood control", body = api::DjangoDetail, headers(("Retry-After" = u32, description = "Seconds until the block lifts."))),
    )
)]
pub async fn login(
    State(state): State<DjangoState>,
    headers: HeaderMap,
    uri: Uri,
    DjangoVisitor(visitor): DjangoVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let html = wants_html(&headers);
    let fields = body::read(&headers, body, state.body_limit).await?;
    enforce_csrf(
        &state,
        &visitor,
        &headers,
        uri.path(),
        fields.csrf_field(),
        !html,
    )?;
    let next = fields.text("next");
    if let Some(ceremony) = fields.text("ceremony") {
        return super::passkey::finish(
            &state,
            &headers,
            html,
            &visitor,
            &ceremony,
            fields.text("credential").as_deref(),
            next.as_deref(),
        )
        .await;
    }
    let name = fields.text("username");
    let password = fields.secret("password");
    let (Some(name), Some(password)) = (name.clone(), password.clone()) else {
        if html {
            return Ok(form_again(
                &state,
                &headers,
                &name.unwrap_or_default(),
                next.as_deref(),
                REQUIRED,
            ));
        }
        let mut errors = Vec::new();
        if name.is_none() {
            errors.push(("username", REQUIRED.to_string()));
        }
        if password.is_none() {
            errors.push(("password", REQUIRED.to_string()));
        }
        return Err(field_errors(&errors));
    };
    let result = state
        .core
        .login(
            LoginName::Name(&name),
            &SecretString::from(password),
            fields.text("code").as_deref(),
            &visitor.client,
            visitor.session.as_deref(),
        )
        .await;
    let logged_in = match result {
        Ok(logged_in) => logged_in,
        // Django's backend never authenticates inactive accounts: same words as a wrong
        // password.
        Err(Error::BadCredentials | Error::AccountInactive) if html => {
            return Ok(form_again(
                &state,
                &headers,
                &name,
                next.as_deref(),
                BAD_CREDENTIALS,
            ));
        }
        Err(Error::BadCredentials | Error::AccountInactive) => {
            return Err(field_errors(&[(
                "non_field_errors",
                "Unable to log in with provided credentials.".into(),
            )]));
        }
        Err(
            e @ (Error::SecondFactorRequired
            | Error::SecondFactorInvalid
            | Error::Passkey(PasskeyError::Required)),
        ) => {
            let message = match e {
                Error::SecondFactorRequired => SECOND_FACTOR_REQUIRED,
                Error::Passkey(_) => PASSKEY_REQUIRED,
                _ => SECOND_FACTOR_INVALID,
            };
            if html {
                return Ok(form_again(
                    &state,
                    &headers,
                    &name,
                    next.as_deref(),
                    message,
                ));
            }
            return Err(field_errors(&[("non_field_errors", message.into())]));
        }
        Err(e) => return Err(server_failure(&e)),
    };
    Ok(logged_in_answer(
        &state,
        &headers,
        html,
        next.as_deref(),
        &logged_in,
    ))
}

/// A login's answer: to `next` (if it stays on this site or goes to an app latch guards) or
/// the default page for browsers, the account for API clients; with the new cookies.
pub(super) fn logged_in_answer(
    state: &DjangoState,
    headers: &HeaderMap,
    html: bool,
    next: Option<&str>,
    logged_in: &LoggedIn,
) -> Response {
    let cookies = login_cookies(state, logged_in);
    let response = if html {
        // Besides this site, the apps `/latch/verify?redirect=1` sent the browser from.
        let target = next
            .and_then(|n| {
                safe_next(n, &host(headers), is_secure(state))
                    .or_else(|| state.forward_auth.return_target(n))
            })
            .unwrap_or_else(|| default_redirect(state));
        (StatusCode::FOUND, [(LOCATION, target)]).into_response()
    } else {
        let account = &logged_in.account;
        Json(json!({
            "id": account.id,
            "username": account.name,
            "email": account.mail.clone().unwrap_or_default(),
        }))
        .into_response()
    };
    with_cookies(response, &cookies)
}

/// `POST logout/`: ends the session (if any) and deletes the `sessionid` cookie. The CSRF
/// secret is kept, as Django does.
#[utoipa::path(
    post, path = "/auth/logout/", operation_id = "logout_view", tag = "Django",
    summary = "Log out through Django's logout view",
    params(("X-CSRFToken" = Option<String>, Header, description = "The `csrftoken` cookie's value (or a masked form of it); or send `csrfmiddlewaretoken` in a form."), ("csrftoken" = Option<String>, Cookie, description = "The CSRF secret `GET …/login/` sets.")),
    security((), ("django_session" = [])),
    responses(
        (status = 200, description = "JSON clients: logged out", body = api::DjangoDetail,
            headers(("Set-Cookie" = String, description = "The expired `sessionid`."))),
        (status = 302, description = "Browsers: logged out, to the configured page",
            headers(("Location" = String, description = "Where to go next."))),
        (status = 400, description = "A body that could not be parsed", body = api::DjangoError),
        (status = 403, description = "A CSRF failure (a page for browsers)",
            content((api::DjangoDetail = "application/json"), (String = "text/html"))),
        (status = 415, description = "A body that is neither JSON nor a form", body = api::DjangoDetail),
    )
)]
pub async fn logout(
    State(state): State<DjangoState>,
    headers: HeaderMap,
    uri: Uri,
    DjangoVisitor(visitor): DjangoVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let html = wants_html(&headers);
    let fields = body::read(&headers, body, state.body_limit).await?;
    enforce_csrf(
        &state,
        &visitor,
        &headers,
        uri.path(),
        fields.csrf_field(),
        !html,
    )?;
    if let Some(session) = &visitor.session {
        state
            .core
            .logout(session, &visitor.client)
            .await
            .map_err(|e| server_failure(&e))?;
    }
    let response = if html {
        let target = fields
            .text("next")
            .and_then(|n| safe_next(&n, &host(&headers), is_secure(&state)))
            .unwrap_or_else(|| login_path(&state));
        (StatusCode::FOUND, [(LOCATION, target)]).into_response()
    } else {
        Json(json!({"detail": "Successfully logged out."})).into_response()
    };
    Ok(with_cookies(
        response,
        &super::rest::expired_session_cookie(&state, &headers),
    ))
}

/// The form again with an error and the name typed, and a fresh masked token.
pub(super) fn form_again(
    state: &DjangoState,
    headers: &HeaderMap,
    name: &str,
    next: Option<&str>,
    error: &str,
) -> Response {
    let secret = csrf_secret(state, headers).unwrap_or_else(token::new_secret);
    let script = super::passkey::script_path(state);
    let html = page::login_form(&LoginForm {
        action: &login_path(state),
        token: &token::mask(&secret),
        next,
        username: name,
        error: Some(error),
        passkey: super::passkey::button(state, &script),
    });
    super::passkey::with_policy(state, html, &secret)
}

fn login_path(state: &DjangoState) -> String {
    format!("{}login/", state.settings.login_prefix)
}

fn logout_path(state: &DjangoState) -> String {
    format!("{}logout/", state.settings.login_prefix)
}

fn default_redirect(state: &DjangoState) -> String {
    if state.settings.login_redirect.is_empty() {
        login_path(state)
    } else {
        state.settings.login_redirect.clone()
    }
}

/// `next` if it stays on this site (Django's `url_has_allowed_host_and_scheme`): a path, or
/// an absolute URL to this very host (over HTTPS when the site is secure). Anything else,
/// including `//evil.example` and `/\evil.example`, which browsers read as other hosts, is
/// refused, so the login page is no open redirect.
pub fn safe_next(next: &str, host: &str, secure: bool) -> Option<String> {
    let next = next.trim();
    if next.is_empty() || next.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    if next.starts_with('/') {
        return (!next.starts_with("//")).then(|| next.to_string());
    }
    let (scheme, rest) = next.split_once("://")?;
    let netloc = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let scheme_ok = match scheme.to_ascii_lowercase().as_str() {
        "https" => true,
        "http" => !secure,
        _ => false,
    };
    (scheme_ok && !netloc.contains('@') && netloc.eq_ignore_ascii_case(host))
        .then(|| next.to_string())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_same_site_targets_are_followed() {
        let ok = |n: &str| safe_next(n, "a.test:8000", false).is_some();
        assert!(ok("/account/?tab=1"));
        assert!(ok("http://a.test:8000/x"));
        assert!(ok("https://A.test:8000"));
        for bad in [
            "//evil.test/",
            "/\\evil.test",
            "https://evil.test/",
            "http://a.test:8000@evil.test/",
            "javascript:alert(1)",
            "ftp://a.test:8000/",
            "evil.test",
            "/\tx",
            "",
        ] {
            assert!(!ok(bad), "{bad}");
        }
        assert!(safe_next("http://a.test/", "a.test", true).is_none());
    }
}
