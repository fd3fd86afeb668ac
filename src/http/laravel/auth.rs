//! Fortify's and Breeze's session routes: `login`, `two-factor-challenge`, `logout` and
//! `register`. They sit in Laravel's `web` group, so every one checks the CSRF token.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde_json::json;

use super::body::{self, Fields};
use super::error::{self, invalid, validation};
use super::{Answer, LaravelState, LaravelVisitor, with_cookies, xsrf};
use crate::core::accounts::{NameRules, check_mail};
use crate::core::login::PENDING_LOGIN_SECONDS;
use crate::core::passkeys::PasskeyError;
use crate::core::{Error, LoginName, LoginStep, Registrar, Registration, SentPassword};
use crate::http::Visitor;
use crate::http::cookies::read_cookie;
use crate::http::failure::PASSKEY_REQUIRED;
use crate::http::openapi::laravel as api;

/// Holds a login whose password was right until its second factor comes.
const TWO_FACTOR_COOKIE: &str = "latch_two_factor";
const FAILED: &str = "These credentials do not match our records.";
pub const CODE_INVALID: &str = "The provided two factor authentication code was invalid.";
const RECOVERY_CODE_INVALID: &str = "The provided two factor recovery code was invalid.";
/// For a client that cannot answer `two_factor: true` (Breeze's stack has no challenge).
pub const CODE_REQUIRED: &str = "This account uses a second factor: send its current code (or \
                                 a recovery code) as `code` with the email and password.";

/// The body, once `VerifyCsrfToken` has passed it.
pub async fn checked(
    state: &LaravelState,
    headers: &HeaderMap,
    visitor: &Visitor,
    body: Result<Bytes, BytesRejection>,
) -> Result<Fields, Response> {
    let fields = body::read(headers, body, state.body_limit).await?;
    xsrf::verify(state, visitor, headers, fields.get("_token"))?;
    Ok(fields)
}

/// The field errors of a request, in Laravel's order.
pub type FieldErrors = Vec<(&'static str, String)>;

/// `email` and `password` as Fortify's and Breeze's login requests require them.
pub fn credentials(
    fields: &Fields,
    mail_format: bool,
) -> Result<(String, SecretString), FieldErrors> {
    let mut errors = Vec::new();
    let email = fields.text("email");
    match &email {
        None => errors.push(("email", "The email field is required.".to_string())),
        Some(mail) if mail_format && check_mail(mail).is_err() => errors.push((
            "email",
            "The email field must be a valid email address.".into(),
        )),
        Some(_) => {}
    }
    let password = fields.secret("password");
    if password.is_none() {
        errors.push(("password", "The password field is required.".into()));
    }
    match (email, password) {
        (Some(email), Some(password)) if errors.is_empty() => {
            Ok((email, SecretString::from(password)))
        }
        _ => Err(errors),
    }
}

/// A refused login in Laravel's words; throttling is Fortify's 429 or Breeze's 422.
pub fn login_refusal(state: &LaravelState, error: &Error) -> Response {
    match error {
        Error::BadCredentials | Error::AccountInactive => invalid("email", FAILED),
        Error::Flooded { retry_after, .. } => {
            let status = if state.is_fortify() {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            error::too_many_attempts("email", *retry_after, status)
        }
        Error::SecondFactorRequired => invalid("email", CODE_REQUIRED),
        Error::Passkey(PasskeyError::Required) => invalid("email", PASSKEY_REQUIRED),
        Error::SecondFactorInvalid => invalid("code", CODE_INVALID),
        other => error::server_failure(other),
    }
}

/// `POST /login`: `email`, `password` (`remember` is accepted; a latch session lasts its
/// configured lifetime). Fortify answers `{"two_factor": false}`, or `true` when the account
/// has a second factor, which `two-factor-challenge` then takes; Breeze answers 204 and takes
/// the code inline as `code`.
#[utoipa::path(
    post, path = "/login", tag = "Laravel",
    summary = "Log in (Fortify or Breeze)",
    params(("X-XSRF-TOKEN" = String, Header, description = "The `XSRF-TOKEN` cookie's value.")),
    request_body(content((api::LaravelLogin = "application/json"), (api::LaravelLogin = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, description = "Fortify: logged in (`two_factor: false`), or the second factor is due (`true`)", body = api::LaravelTwoFactor),
        (status = 204, description = "Breeze: logged in", headers(("Set-Cookie" = String, description = "The session cookie and a new `XSRF-TOKEN`."))),
        (status = 422, description = "Validation errors or wrong credentials (Breeze: also throttling)", body = api::LaravelValidation),
        (status = 429, description = "Fortify: too many attempts", body = api::LaravelValidation, headers(("Retry-After" = u32, description = "Seconds until the block lifts."))),
    )
)]
pub async fn login(
    State(state): State<LaravelState>,
    headers: HeaderMap,
    LaravelVisitor(visitor): LaravelVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let fields = checked(&state, &headers, &visitor, body).await?;
    let (email, password) =
        credentials(&fields, !state.is_fortify()).map_err(|errors| validation(&errors))?;
    let login = LoginName::Mail(&email);
    let client = &visitor.client;
    let code = fields.text("code");
    let two_step = state.is_fortify() && code.is_none();
    let step = if two_step {
        state.core.begin_login(login, &password, client).await
    } else {
        let previous = visitor.session.as_deref();
        let logged_in = state
            .core
            .login(login, &password, code.as_deref(), client, previous);
        logged_in.await.map(|l| LoginStep::Done(Box::new(l)))
    };
    let step = step.map_err(|e| login_refusal(&state, &e))?;
    let logged_in = match step {
        LoginStep::Done(logged_in) => logged_in,
        LoginStep::SecondFactor(pending) => {
            let cookie =
                state
                    .cookies
                    .issue_as(TWO_FACTOR_COOKIE, &pending.token, PENDING_LOGIN_SECONDS);
            return Ok(with_cookies(
                Json(json!({"two_factor": true})).into_response(),
                &[cookie],
            ));
        }
    };
    // `begin_login` leaves a session the caller had; a login replaces it, as Laravel's
    // session regeneration does.
    if two_step && let Some(previous) = &visitor.session {
        state
            .core
            .logout(previous, client)
            .await
            .map_err(|e| error::server_failure(&e))?;
    }
    let answer = if state.is_fortify() {
        Json(json!({"two_factor": false})).into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    };
    Ok(with_cookies(answer, &state.login_cookies(&logged_in)))
}

/// `POST /two-factor-challenge`: `code`, or `recovery_code`, for the login `login` left
/// waiting. 204 with the session.
#[utoipa::path(
    post, path = "/two-factor-challenge", tag = "Laravel",
    summary = "Finish a login with the second factor (Fortify)",
    params(("X-XSRF-TOKEN" = String, Header, description = "The `XSRF-TOKEN` cookie's value.")),
    request_body(content((api::LaravelTwoFactorChallenge = "application/json"), (api::LaravelTwoFactorChallenge = "application/x-www-form-urlencoded"))),
    responses(
        (status = 204, description = "Logged in", headers(("Set-Cookie" = String, description = "The session cookie and a new `XSRF-TOKEN`."))),
        (status = 422, description = "A wrong code, or no login waiting for one", body = api::LaravelValidation),
        (status = 429, description = "Too many wrong codes", body = api::LaravelMessage),
    )
)]
pub async fn two_factor_challenge(
    State(state): State<LaravelState>,
    headers: HeaderMap,
    LaravelVisitor(visitor): LaravelVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let fields = checked(&state, &headers, &visitor, body).await?;
    let (field, wrong, code) = match fields.text("code") {
        Some(code) => ("code", CODE_INVALID, Some(code)),
        None => (
            "recovery_code",
            RECOVERY_CODE_INVALID,
            fields.text("recovery_code"),
        ),
    };
    let pending = read_cookie(&headers, TWO_FACTOR_COOKIE);
    let (Some(code), Some(pending)) = (code, pending) else {
        return Err(invalid(field, wrong));
    };
    match state
        .core
        .finish_login(&pending, &code, &visitor.client)
        .await
    {
        Ok(logged_in) => {
            let mut cookies = state.login_cookies(&logged_in);
            cookies.push(state.cookies.expire_as(TWO_FACTOR_COOKIE));
            Ok(with_cookies(
                StatusCode::NO_CONTENT.into_response(),
                &cookies,
            ))
        }
        Err(Error::SecondFactorInvalid | Error::LoginTokenInvalid | Error::AccountInactive) => {
            Err(invalid(field, wrong))
        }
        Err(e) => Err(error::server_failure(&e)),
    }
}

/// `POST /logout`: ends the session; 204 with the session cookie removed and a new
/// `XSRF-TOKEN`. Without a session, Laravel's `auth` middleware answers 401.
#[utoipa::path(
    post, path = "/logout", tag = "Laravel",
    summary = "Log out (Fortify or Breeze)",
    params(("X-XSRF-TOKEN" = String, Header, description = "The `XSRF-TOKEN` cookie's value.")),
    responses(
        (status = 204, description = "Logged out", headers(("Set-Cookie" = String, description = "The removed session cookie and a new `XSRF-TOKEN`."))),
        (status = 401, description = "No session", body = api::LaravelMessage),
    )
)]
pub async fn logout(
    State(state): State<LaravelState>,
    headers: HeaderMap,
    LaravelVisitor(visitor): LaravelVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    checked(&state, &headers, &visitor, body).await?;
    let Some(session) = &visitor.session else {
        return Err(error::unauthenticated());
    };
    state
        .core
        .logout(session, &visitor.client)
        .await
        .map_err(|e| error::server_failure(&e))?;
    let cookies = [
        state.cookies.expire_as(&state.settings.session_cookie),
        xsrf::anonymous_cookie(&state),
    ];
    Ok(with_cookies(
        StatusCode::NO_CONTENT.into_response(),
        &cookies,
    ))
}

/// `POST /register`: `name`, `email`, `password`, `password_confirmation`, as
/// `registration.mode` allows. Fortify answers 201, Breeze 204; the new account is logged in
/// unless its address must be confirmed or an administrator must approve it first.
#[utoipa::path(
    post, path = "/register", tag = "Laravel",
    summary = "Register an account (Fortify or Breeze)",
    params(("X-XSRF-TOKEN" = String, Header, description = "The `XSRF-TOKEN` cookie's value.")),
    request_body(content((api::LaravelRegistration = "application/json"), (api::LaravelRegistration = "application/x-www-form-urlencoded"))),
    responses(
        (status = 201, description = "Fortify: created (logged in when no confirmation or approval is due)"),
        (status = 204, description = "Breeze: created (logged in when no confirmation or approval is due)"),
        (status = 403, description = "Registration is closed", body = api::LaravelMessage),
        (status = 422, description = "Validation errors", body = api::LaravelValidation),
    )
)]
pub async fn register(
    State(state): State<LaravelState>,
    headers: HeaderMap,
    LaravelVisitor(visitor): LaravelVisitor,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let fields = checked(&state, &headers, &visitor, body).await?;
    let terms = state.core.registration_terms(false);
    let password = fields.secret("password").map(SecretString::from);
    let mut errors = Vec::new();
    for (field, label) in [("name", "name"), ("email", "email")] {
        if fields.text(field).is_none() {
            errors.push((field, format!("The {label} field is required.")));
        }
    }
    match &password {
        None => errors.push(("password", "The password field is required.".into())),
        Some(password) => {
            errors.extend(
                state
                    .core
                    .password_faults(password)
                    .iter()
                    .map(error::worded),
            );
            if fields.get("password") != fields.get("password_confirmation") {
                errors.push((
                    "password",
                    "The password field confirmation does not match.".into(),
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(validation(&errors));
    }
    let registration = Registration {
        name: fields.text("name").unwrap_or_default(),
        mail: fields.text("email"),
        password: match terms.password {
            SentPassword::Kept => password,
            SentPassword::SetThroughMailedLink => None,
        },
        name_rules: NameRules::Drupal,
        ..Registration::default()
    };
    let client = &visitor.client;
    let account = match state
        .core
        .register_from(registration, Registrar::Visitor, client)
        .await
    {
        Ok(account) => account,
        Err(Error::RegistrationClosed) => {
            return Err(error::message(
                StatusCode::FORBIDDEN,
                "Registration is closed: only administrators can create accounts.",
            ));
        }
        Err(e) => return Err(error::account_error(&e)),
    };
    let created = if state.is_fortify() {
        StatusCode::CREATED
    } else {
        StatusCode::NO_CONTENT
    };
    if terms.password == SentPassword::SetThroughMailedLink || !terms.signs_in(&account) {
        return Ok(created.into_response());
    }
    let logged_in = state
        .core
        .open_session(account, client, visitor.session.as_deref(), None)
        .await
        .map_err(|e| error::server_failure(&e))?;
    Ok(with_cookies(
        created.into_response(),
        &state.login_cookies(&logged_in),
    ))
}
