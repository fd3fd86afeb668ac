//! dj-rest-auth: `login/`, `logout/`, `user/` and `registration/`. These are DRF views, so
//! only callers whose session cookie is authenticated pass the CSRF checks; anonymous calls
//! need no token, but a browser must send them from a trusted origin.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde_json::json;

use super::DjangoState;
use super::body::{self, Fields};
use super::rest_errors::{Checks, account_error, non_field, violation};
use super::{
    Answer, DjangoVisitor, detail, enforce_csrf, enforce_origin, login_cookies, server_failure,
    with_cookies,
};
use crate::core::accounts::{NameRules, Violation, check_mail};
use crate::core::passkeys::PasskeyError;
use crate::core::{CurrentSession, Error, LoginName, Registrar, Registration, SentPassword};
use crate::http::Visitor;
use crate::http::cookies::read_cookie;
use crate::http::failure::PASSKEY_REQUIRED;
use crate::http::openapi::django as api;

const NOT_AUTHENTICATED: &str = "Authentication credentials were not provided.";

/// The request's fields after DRF's `SessionAuthentication` CSRF check, or for anonymous
/// callers Django's Origin check (see `enforce_origin`).
pub async fn checked_fields(
    state: &DjangoState,
    headers: &HeaderMap,
    uri: &Uri,
    visitor: &Visitor,
    body: Result<Bytes, BytesRejection>,
) -> Result<Fields, Response> {
    let fields = body::read(headers, body, state.body_limit).await?;
    if visitor.session.is_some() {
        enforce_csrf(
            state,
            visitor,
            headers,
            uri.path(),
            fields.csrf_field(),
            true,
        )?;
    } else {
        enforce_origin(state, visitor, headers, uri.path())?;
    }
    Ok(fields)
}

/// The caller's session, or DRF's 403 for session authentication.
pub fn require_session(visitor: &Visitor) -> Result<&CurrentSession, Response> {
    visitor
        .session
        .as_deref()
        .ok_or_else(|| detail(StatusCode::FORBIDDEN, NOT_AUTHENTICATED))
}

/// `POST login/`: `username` (or `email`) and `password`. There is no DRF token model, so
/// success is dj-rest-auth's 204 with the session and rotated CSRF cookies.
#[utoipa::path(
    post, path = "/dj-rest-auth/login/", tag = "Django",
    summary = "Log in (dj-rest-auth)",
    params(("X-CSRFToken" = Option<String>, Header, description = "With a session cookie: the `csrftoken` cookie's value."), ("csrftoken" = Option<String>, Cookie, description = "The CSRF cookie set at login.")),
    request_body(content((api::DjangoLogin = "application/json"), (api::DjangoLogin = "application/x-www-form-urlencoded"))),
    security((), ("django_session" = [])),
    responses(
        (status = 204, description = "Logged in; the session is the `sessionid` cookie", headers(("Set-Cookie" = String, description = "`sessionid` and a new `csrftoken`."))),
        (status = 400, description = "Field errors, or a body that could not be parsed", body = api::DjangoError),
        (status = 403, description = "With a session: a CSRF failure; without one, a browser request from an untrusted origin", body = api::DjangoDetail),
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
    let fields = checked_fields(&state, &headers, &uri, &visitor, body).await?;
    // dj-rest-auth's `LoginSerializer`: `username` and `email` may be absent or blank,
    // `password` may not; a given `email` must be an address.
    let mut checks = Checks::default();
    let mail = fields.text("email");
    if mail.as_deref().is_some_and(|m| check_mail(m).is_err()) {
        checks.add("email", "Enter a valid email address.");
    }
    let password = checks.secret(&fields, "password").map(SecretString::from);
    checks.finish()?;
    let previous = visitor.session.as_deref();
    let ip = &visitor.client;
    // allauth's `username_email` method: the address wins when both are given.
    let code = fields.text("code");
    let code = code.as_deref();
    let result = match (fields.text("username"), mail, password) {
        (_, Some(mail), Some(password)) => {
            let login = LoginName::Mail(&mail);
            state.core.login(login, &password, code, ip, previous).await
        }
        (Some(name), None, Some(password)) => {
            let login = LoginName::Name(&name);
            state.core.login(login, &password, code, ip, previous).await
        }
        _ => {
            return Err(non_field(
                "Must include either \"username\" or \"email\" and \"password\".",
            ));
        }
    };
    match result {
        Ok(logged_in) => Ok(with_cookies(
            StatusCode::NO_CONTENT.into_response(),
            &login_cookies(&state, &logged_in),
        )),
        // Django's authentication backends never authenticate inactive accounts: the same
        // words as a wrong password.
        Err(Error::BadCredentials | Error::AccountInactive) => {
            Err(non_field("Unable to log in with provided credentials."))
        }
        Err(Error::SecondFactorRequired) => Err(non_field(super::login::SECOND_FACTOR_REQUIRED)),
        Err(Error::SecondFactorInvalid) => Err(non_field(super::login::SECOND_FACTOR_INVALID)),
        Err(Error::Passkey(PasskeyError::Required)) => Err(non_field(PASSKEY_REQUIRED)),
        Err(e) => Err(server_failure(&e)),
    }
}

/// `POST logout/`: ends the session, if any, and deletes its cookie.
#[utoipa::path(
    post, path = "/dj-rest-auth/logout/", tag = "Django",
    summary = "Log out (dj-rest-auth)",
    params(("X-CSRFToken" = Option<String>, Header, description = "With a session cookie: the `csrftoken` cookie's value."), ("csrftoken" = Option<String>, Cookie, description = "The CSRF cookie set at login.")),
    security((), ("django_session" = [])),
    responses(
        (status = 200, description = "Logged out (or was not logged in)", body = api::DjangoDetail,
            headers(("Set-Cookie" = String, description = "The expired `sessionid`, if one was sent."))),
        (status = 400, description = "Field errors, or a body that could not be parsed", body = api::DjangoError),
        (status = 403, description = "With a session: a CSRF failure; without one, a browser request from an untrusted origin", body = api::DjangoDetail),
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
    checked_fields(&state, &headers, &uri, &visitor, body).await?;
    if let Some(session) = &visitor.session {
        state
            .core
            .logout(session, &visitor.client)
            .await
            .map_err(|e| server_failure(&e))?;
    }
    Ok(with_cookies(
        Json(json!({"detail": "Successfully logged out."})).into_response(),
        &expired_session_cookie(&state, &headers),
    ))
}

/// `POST registration/`: `username`, `email`, `password1`, `password2`.
#[utoipa::path(
    post, path = "/dj-rest-auth/registration/", tag = "Django",
    summary = "Register an account (dj-rest-auth)",
    description = "As `registration.mode` allows. Without verification or approval the new \
        account is logged in (204 with cookies); otherwise 201 says what follows.",
    params(("X-CSRFToken" = Option<String>, Header, description = "With a session cookie: the `csrftoken` cookie's value."), ("csrftoken" = Option<String>, Cookie, description = "The CSRF cookie set at login.")),
    request_body(content((api::DjangoRegistration = "application/json"), (api::DjangoRegistration = "application/x-www-form-urlencoded"))),
    security((), ("django_session" = [])),
    responses(
        (status = 201, description = "Created; a mail or an administrator's approval follows", body = api::DjangoDetail),
        (status = 204, description = "Created and logged in", headers(("Set-Cookie" = String, description = "`sessionid` and a new `csrftoken`."))),
        (status = 400, description = "Field errors, or a body that could not be parsed", body = api::DjangoError),
        (status = 403, description = "With a session: a CSRF failure; without one, a browser request from an untrusted origin", body = api::DjangoDetail),
        (status = 415, description = "A body that is neither JSON nor a form", body = api::DjangoDetail),
        (status = 429, description = "Flood control", body = api::DjangoDetail, headers(("Retry-After" = u32, description = "Seconds until the block lifts."))),
    )
)]
pub async fn register(
    State(state): State<DjangoState>,
    headers: HeaderMap,
    uri: Uri,
    DjangoVisitor(visitor): DjangoVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let fields = checked_fields(&state, &headers, &uri, &visitor, body).await?;
    let mut checks = Checks::default();
    checks.text(&fields, "username");
    checks.text(&fields, "email");
    checks.secret(&fields, "password1");
    checks.secret(&fields, "password2");
    checks.finish()?;
    let terms = state.core.registration_terms(false);
    // allauth validates `password1` as a field before it compares the two: a password that
    // breaks a rule is reported with the other fields' faults, by the core, which creates
    // nothing then.
    let password1 = SecretString::from(fields.secret("password1").unwrap_or_default());
    if fields.get("password1") != fields.get("password2")
        && (terms.password != SentPassword::Kept
            || state.core.password_faults(&password1).is_empty())
    {
        return Err(non_field("The two password fields didn't match."));
    }
    let registration = Registration {
        name: fields.text("username").unwrap_or_default(),
        mail: fields.text("email"),
        password: match terms.password {
            SentPassword::Kept => fields.secret("password1").map(SecretString::from),
            SentPassword::SetThroughMailedLink => None,
        },
        name_rules: NameRules::Django,
        ..Registration::default()
    };
    let account = match state
        .core
        .register_from(registration, Registrar::Visitor, &visitor.client)
        .await
    {
        Ok(account) => account,
        Err(Error::RegistrationClosed) => {
            return Err(detail(
                StatusCode::FORBIDDEN,
                "Registration is closed: only administrators can create accounts.",
            ));
        }
        Err(Error::Invalid(violations)) => return Err(registration_error(violations)),
        Err(e) => return Err(account_error(&e, "password1")),
    };
    if terms.password == SentPassword::SetThroughMailedLink {
        return Ok(created("Verification e-mail sent."));
    }
    if !terms.signs_in(&account) {
        return Ok(created(
            "Your account has been created and awaits approval by an administrator.",
        ));
    }
    match state
        .core
        .open_session(account, &visitor.client, visitor.session.as_deref(), None)
        .await
    {
        Ok(logged_in) => Ok(with_cookies(
            StatusCode::NO_CONTENT.into_response(),
            &login_cookies(&state, &logged_in),
        )),
        Err(e) => Err(server_failure(&e)),
    }
}

/// The session cookie's deletion, if the request carried one: Django's `SessionMiddleware`
/// deletes only a cookie it was sent.
pub fn expired_session_cookie(state: &DjangoState, headers: &HeaderMap) -> Vec<String> {
    read_cookie(headers, &state.settings.session_cookie)
        .map(|_| state.cookies.expire_as(&state.settings.session_cookie))
        .into_iter()
        .collect()
}

fn created(message: &str) -> Response {
    (StatusCode::CREATED, Json(json!({ "detail": message }))).into_response()
}

/// dj-rest-auth validates `password1` alone among the fields, then, once every field passed,
/// against the new user: a password too like the name or address is then a non-field error.
fn registration_error(violations: Vec<Violation>) -> Response {
    let (similar, others): (Vec<_>, Vec<_>) = violations
        .into_iter()
        .partition(|v| matches!(v, Violation::PasswordTooSimilar { .. }));
    match similar.first() {
        Some(similar) if others.is_empty() => non_field(&violation(similar, "password1").1),
        _ => account_error(&Error::Invalid(others), "password1"),
    }
}

/// A method the view lacks, for views open to anyone. DRF authenticates before it looks for
/// the method: a logged-in caller's unsafe request is CSRF-checked first.
pub async fn not_allowed(
    State(state): State<DjangoState>,
    headers: HeaderMap,
    uri: Uri,
    method: Method,
    DjangoVisitor(visitor): DjangoVisitor,
) -> Response {
    refuse_method(&state, &headers, &uri, method, &visitor, false).await
}

/// A method the view lacks, for views that need a session: anonymous callers are refused as
/// unauthenticated before the method is looked at, as DRF's permission check comes first.
pub async fn not_allowed_signed_in(
    State(state): State<DjangoState>,
    headers: HeaderMap,
    uri: Uri,
    method: Method,
    DjangoVisitor(visitor): DjangoVisitor,
) -> Response {
    refuse_method(&state, &headers, &uri, method, &visitor, true).await
}

async fn refuse_method(
    state: &DjangoState,
    headers: &HeaderMap,
    uri: &Uri,
    method: Method,
    visitor: &Visitor,
    needs_session: bool,
) -> Response {
    if visitor.session.is_some()
        && !method.is_safe()
        && let Err(refusal) = enforce_csrf(state, visitor, headers, uri.path(), None, true)
    {
        return refusal;
    }
    if needs_session && let Err(refusal) = require_session(visitor) {
        return refusal;
    }
    super::method_not_allowed(method).await
}
