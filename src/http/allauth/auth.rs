//! `config`, and the authentication flows: `auth/login`, `auth/signup`, `auth/session` (GET
//! where a client stands, DELETE to log out) and `auth/2fa/authenticate`.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use secrecy::SecretString;
use serde_json::{Value, json};

use super::body;
use super::caller::{Caller, PENDING_COOKIE, WaitingLogin};
use super::envelope::{
    FieldError, Pending, authenticated, data, invalid, server_failure, status_only, timestamp,
    unauthenticated,
};
use super::{AllauthState, Answer, Client, with_cookies};
use crate::core::accounts::check_mail;
use crate::core::flood::FloodScope;
use crate::core::passkeys::PasskeyError;
use crate::core::{CurrentSession, Error, LoggedIn, LoginName, LoginStep};
use crate::http::django::login_cookies;
use crate::http::failure::PASSKEY_REQUIRED;
use crate::http::openapi::allauth as api;

pub(super) const INVALID_EMAIL: &str = "Enter a valid email address.";
const INCORRECT_CODE: &str = "Incorrect code.";

/// `GET config`: what the front end needs to know at boot.
#[utoipa::path(
    get, path = "/_allauth/{client}/v1/config", tag = "allauth",
    summary = "Configuration (allauth headless)",
    params(("client" = String, Path, description = "`browser` or `app`.")),
    responses((status = 200, description = "The configuration", body = api::AllauthConfigResponse))
)]
pub async fn config(State(state): State<AllauthState>, _caller: Caller) -> Response {
    let open = state.core.registration_terms(false).allowed;
    data(json!({
        "account": {
            "login_methods": ["username", "email"],
            "is_open_for_signup": open,
            "email_verification_by_code_enabled": false,
            "login_by_code_enabled": false,
            "password_reset_by_code_enabled": false,
            "authentication_method": "username_email",
        },
        "mfa": {
            "supported_types": ["recovery_codes", "totp"],
            "passkey_login_enabled": false,
        },
        // No third-party providers: allauth lists the section with an empty list then.
        "socialaccount": {"providers": []},
    }))
}

/// `POST auth/login`: `username` or `email` (exactly one), and `password`. 200 with the
/// session, or 401 listing `mfa_authenticate` as pending when the account has a second factor.
#[utoipa::path(
    post, path = "/_allauth/{client}/v1/auth/login", tag = "allauth",
    summary = "Log in (allauth headless)",
    params(("client" = String, Path, description = "`browser` or `app`."), ("X-CSRFToken" = Option<String>, Header, description = "Browser client: the `csrftoken` cookie's value.")),
    request_body(content = api::AllauthLogin, content_type = "application/json"),
    responses(
        (status = 200, description = "Logged in; app clients get `meta.session_token`", body = api::AllauthAuthenticated),
        (status = 400, description = "Field errors or wrong credentials", body = api::AllauthErrors),
        (status = 401, description = "The second factor is due (`mfa_authenticate` pending)", body = api::AllauthFlows),
        (status = 403, description = "Browser client: a CSRF failure", body = api::AllauthErrors),
        (status = 409, description = "Already logged in", body = api::AllauthStatus),
        (status = 429, description = "Too many requests from this address", body = api::AllauthErrors),
    )
)]
pub async fn login(
    State(state): State<AllauthState>,
    headers: HeaderMap,
    uri: Uri,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let input = caller.checked_input(&state, &headers, &uri, body)?;
    let mut errors = Vec::new();
    let email = input.text("email");
    if email.as_deref().is_some_and(|m| check_mail(m).is_err()) {
        errors.push(FieldError::on("email", "invalid", INVALID_EMAIL));
    }
    let password = input.required("password", &mut errors);
    if !errors.is_empty() {
        return Err(invalid(&errors));
    }
    // allauth takes exactly one of the login methods the body names, even a blank one.
    if input.has("username") == input.has("email") {
        return Err(invalid(&[FieldError::general(
            "invalid_login",
            "Invalid login.",
        )]));
    }
    if caller.session.is_some() {
        return Err(status_only(StatusCode::CONFLICT));
    }
    let password = SecretString::from(password.unwrap_or_default());
    let name = input.text("username").unwrap_or_default();
    // allauth's `EmailField` lower-cases the address.
    let mail = email.unwrap_or_default().to_lowercase();
    // allauth records the identifier the login named, when it was not blank.
    let (login, by, mut record) = if input.has("email") {
        let record = if mail.is_empty() {
            json!({})
        } else {
            json!({ "email": mail })
        };
        (LoginName::Mail(&mail), "email", record)
    } else {
        let record = if name.is_empty() {
            json!({})
        } else {
            json!({ "username": name })
        };
        (LoginName::Name(&name), "username", record)
    };
    let step = match state
        .core
        .begin_login(login, &password, &caller.client)
        .await
    {
        Ok(step) => step,
        // allauth answers a blocked account's right password as it answers any caller who
        // is not logged in; the core tells only a caller who knows the password.
        Err(Error::AccountInactive) => {
            return Err(unauthenticated(
                &state,
                StatusCode::UNAUTHORIZED,
                Some(false),
                None,
            ));
        }
        Err(e) => return Err(login_refusal(&e, by)),
    };
    match step {
        LoginStep::Done(logged_in) => {
            record["method"] = Value::from("password");
            record["at"] = Value::from(timestamp());
            logged_in_answer(&state, &caller, &logged_in, vec![record]).await
        }
        LoginStep::SecondFactor(pending) => {
            let named = record.get("username").map(|_| "username");
            let waiting = WaitingLogin {
                token: pending.token,
                methods: pending.methods,
                by: named.or(record.get("email").map(|_| "email")),
            };
            Ok(second_factor_due(&state, &waiting))
        }
    }
}

/// A refused login in allauth's words: a wrong password (or a blocked account, which only a
/// caller who knows the password would learn of elsewhere) is a mismatch under `password`.
fn login_refusal(error: &Error, by: &str) -> Response {
    match error {
        Error::BadCredentials => {
            let (code, message) = if by == "email" {
                (
                    "email_password_mismatch",
                    "The email address and/or password you specified are not correct.",
                )
            } else {
                (
                    "username_password_mismatch",
                    "The username and/or password you specified are not correct.",
                )
            };
            invalid(&[FieldError::on("password", code, message)])
        }
        Error::Flooded {
            scope: FloodScope::Account { .. },
            ..
        } => invalid(&[FieldError::general(
            "too_many_login_attempts",
            "Too many failed login attempts. Try again later.",
        )]),
        Error::Passkey(PasskeyError::Required) => {
            invalid(&[FieldError::general("passkey_required", PASSKEY_REQUIRED)])
        }
        other => server_failure(other),
    }
}

/// 200 with a new session, which keeps how it was opened (`methods`) for later answers: for
/// the browser its cookies (the `csrftoken` rotated, the waiting login's cookie gone), for the
/// app the token in `meta.session_token`.
pub(super) async fn logged_in_answer(
    state: &AllauthState,
    caller: &Caller,
    logged_in: &LoggedIn,
    methods: Vec<Value>,
) -> Answer {
    if !methods.is_empty() {
        let note = Value::Array(methods.clone()).to_string();
        state
            .core
            .note_session(&logged_in.session_id, &note)
            .await
            .map_err(|e| server_failure(&e))?;
    }
    let token = (state.client == Client::App).then_some(logged_in.session_id.as_str());
    let response = authenticated(state, &logged_in.account, methods, token);
    if state.client == Client::App {
        return Ok(response);
    }
    let mut cookies = login_cookies(&state.django, logged_in);
    if caller.waiting.is_some() {
        cookies.push(state.cookies.expire_as(PENDING_COOKIE));
    }
    Ok(with_cookies(response, &cookies))
}

/// How `session` was opened, as this dialect noted it; nothing for sessions opened by a
/// signup or through another dialect.
pub async fn methods_of(
    state: &AllauthState,
    session: &CurrentSession,
) -> Result<Vec<Value>, Response> {
    let note = state
        .core
        .session_note(session)
        .await
        .map_err(|e| server_failure(&e))?;
    Ok(note
        .and_then(|n| serde_json::from_str::<Vec<Value>>(&n).ok())
        .unwrap_or_default())
}

/// 401 with `mfa_authenticate` pending; the waiting login goes to the browser as a cookie,
/// to the app as its session token.
fn second_factor_due(state: &AllauthState, waiting: &WaitingLogin) -> Response {
    let app_token = waiting.app_token();
    let pending = Pending::second_factor(&waiting.methods, Some(&app_token));
    let response = unauthenticated(state, StatusCode::UNAUTHORIZED, Some(false), Some(pending));
    if state.client == Client::App {
        return response;
    }
    let cookie = state.cookies.issue_as(
        PENDING_COOKIE,
        &waiting.handle(),
        crate::core::login::PENDING_LOGIN_SECONDS,
    );
    with_cookies(response, &[cookie])
}

/// `POST auth/2fa/authenticate`: `code`, a TOTP code or a recovery code, for the login
/// waiting for it.
#[utoipa::path(
    post, path = "/_allauth/{client}/v1/auth/2fa/authenticate", tag = "allauth",
    summary = "Finish a login with the second factor (allauth headless)",
    params(("client" = String, Path, description = "`browser` or `app`."), ("X-Session-Token" = Option<String>, Header, description = "App client: the token of the 401 that asked for the second factor.")),
    request_body(content = api::AllauthCode, content_type = "application/json"),
    responses(
        (status = 200, description = "Logged in", body = api::AllauthAuthenticated),
        (status = 400, description = "A missing or wrong code", body = api::AllauthErrors),
        (status = 401, description = "No login waits for a second factor", body = api::AllauthFlows),
        (status = 429, description = "Too many wrong codes", body = api::AllauthErrors),
    )
)]
pub async fn two_factor(
    State(state): State<AllauthState>,
    headers: HeaderMap,
    uri: Uri,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    caller.check_csrf(&state, &headers, uri.path())?;
    let Some(waiting) = &caller.waiting else {
        return Err(unauthenticated(
            &state,
            StatusCode::UNAUTHORIZED,
            None,
            None,
        ));
    };
    let input = body::read(body, state.body_limit)?;
    let mut errors = Vec::new();
    let Some(code) = input.required("code", &mut errors) else {
        return Err(invalid(&errors));
    };
    match state
        .core
        .finish_login(&waiting.token, &code, &caller.client)
        .await
    {
        Ok(logged_in) => {
            let kind = if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
                "totp"
            } else {
                "recovery_codes"
            };
            let account = &logged_in.account;
            let mut first = json!({"method": "password", "at": timestamp()});
            match waiting.by {
                Some("username") => first["username"] = Value::from(account.name.clone()),
                Some(_) => first["email"] = Value::from(account.mail.clone()),
                None => {}
            }
            // A latch account has one authenticator of each kind, so the account's id names it.
            let second =
                json!({"method": "mfa", "at": timestamp(), "id": account.id, "type": kind});
            let methods = vec![first, second];
            logged_in_answer(&state, &caller, &logged_in, methods).await
        }
        Err(Error::SecondFactorInvalid) => Err(invalid(&[FieldError::on(
            "code",
            "incorrect_code",
            INCORRECT_CODE,
        )])),
        Err(Error::LoginTokenInvalid | Error::AccountInactive) => Err(unauthenticated(
            &state,
            StatusCode::UNAUTHORIZED,
            None,
            None,
        )),
        Err(e) => Err(server_failure(&e)),
    }
}

/// `GET auth/session`: 200 with the user while logged in, else 401 with the flows (and a
/// second factor that is due).
#[utoipa::path(
    get, path = "/_allauth/{client}/v1/auth/session", tag = "allauth",
    summary = "Where the client stands (allauth headless)",
    params(("client" = String, Path, description = "`browser` or `app`."), ("X-Session-Token" = Option<String>, Header, description = "App client: the session token.")),
    responses(
        (status = 200, description = "Logged in", body = api::AllauthAuthenticated),
        (status = 401, description = "Not logged in", body = api::AllauthFlows),
        (status = 410, description = "App client: the session token names no session", body = api::AllauthFlows),
    )
)]
pub async fn session(State(state): State<AllauthState>, caller: Caller) -> Answer {
    let Some(session) = &caller.session else {
        return Ok(caller.unauthenticated(&state));
    };
    let methods = methods_of(&state, session).await?;
    Ok(authenticated(&state, &session.account, methods, None))
}

/// `DELETE auth/session`: logs out; allauth answers 401, as the client is now anonymous.
#[utoipa::path(
    delete, path = "/_allauth/{client}/v1/auth/session", tag = "allauth",
    summary = "Log out (allauth headless)",
    params(("client" = String, Path, description = "`browser` or `app`."), ("X-Session-Token" = Option<String>, Header, description = "App client: the session token."), ("X-CSRFToken" = Option<String>, Header, description = "Browser client: the `csrftoken` cookie's value.")),
    responses(
        (status = 401, description = "Logged out", body = api::AllauthFlows),
        (status = 403, description = "Browser client: a CSRF failure", body = api::AllauthErrors),
    )
)]
pub async fn logout(
    State(state): State<AllauthState>,
    headers: HeaderMap,
    uri: Uri,
    caller: Caller,
) -> Answer {
    caller.check_csrf(&state, &headers, uri.path())?;
    if let Some(session) = &caller.session {
        state
            .core
            .logout(session, &caller.client)
            .await
            .map_err(|e| server_failure(&e))?;
    }
    let response = unauthenticated(&state, StatusCode::UNAUTHORIZED, Some(false), None);
    if state.client == Client::App {
        return Ok(response);
    }
    let mut cookies = Vec::new();
    if caller.session_id.is_some() {
        cookies.push(
            state
                .cookies
                .expire_as(&state.django.settings.session_cookie),
        );
    }
    if caller.waiting.is_some() {
        cookies.push(state.cookies.expire_as(PENDING_COOKIE));
    }
    Ok(with_cookies(response, &cookies))
}
