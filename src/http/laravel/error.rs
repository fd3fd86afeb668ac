//! Laravel's answers to what went wrong: validation errors (422 with `message` and `errors`),
//! the CSRF 419, `Unauthenticated.`, throttling, and the core's account violations worded as
//! Laravel's validation rules word them.

use axum::Json;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::core::Error;
use crate::core::accounts::{Field, Violation};
use crate::core::passwords::MAX_PASSWORD_BYTES;
use crate::http::ServerFailure;

/// `{"message": message}` with `status`.
pub fn message(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "message": message }))).into_response()
}

/// The 419 of `VerifyCsrfToken`, with what to send instead.
pub fn csrf_mismatch() -> Response {
    let body = json!({
        "message": "CSRF token mismatch.",
        "hint": "GET /sanctum/csrf-cookie first, then send the XSRF-TOKEN cookie's value in \
                 the X-XSRF-TOKEN header (axios does this by itself with withXSRFToken).",
    });
    (
        StatusCode::from_u16(419).expect("419 is a status code"),
        Json(body),
    )
        .into_response()
}

pub fn unauthenticated() -> Response {
    message(StatusCode::UNAUTHORIZED, "Unauthenticated.")
}

/// A validation failure: 422 with every field's messages, the first one as `message`
/// followed by how many more there are, as Laravel's `ValidationException` words it.
pub fn validation(errors: &[(&str, String)]) -> Response {
    let mut fields = Map::new();
    for (field, text) in errors {
        let entry = fields
            .entry(field.to_string())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = entry {
            list.push(Value::String(text.clone()));
        }
    }
    let first = errors.first().map(|(_, m)| m.as_str()).unwrap_or_default();
    let more = errors.len().saturating_sub(1);
    let summary = match more {
        0 => first.to_string(),
        1 => format!("{first} (and 1 more error)"),
        n => format!("{first} (and {n} more errors)"),
    };
    let body = json!({ "message": summary, "errors": fields });
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// One field's single message.
pub fn invalid(field: &str, text: &str) -> Response {
    validation(&[(field, text.to_string())])
}

/// Throttled logins: 429 under `field` for Fortify, 422 for Breeze, with `Retry-After`.
pub fn too_many_attempts(field: &str, retry_after: u64, status: StatusCode) -> Response {
    let text = format!("Too many login attempts. Please try again in {retry_after} seconds.");
    let mut response = validation(&[(field, text)]);
    *response.status_mut() = status;
    response.headers_mut().insert(
        RETRY_AFTER,
        HeaderValue::from(crate::http::retry_after_header(retry_after)),
    );
    response
}

/// Failures that are not the client's: flood control outside a login is Laravel's 429
/// `Too Many Attempts.`; the rest are decided by `ServerFailure` and worded as `message`.
pub fn server_failure(error: &Error) -> Response {
    if let Error::Flooded { retry_after, .. } = error {
        let mut response = message(StatusCode::TOO_MANY_REQUESTS, "Too Many Attempts.");
        response.headers_mut().insert(
            RETRY_AFTER,
            HeaderValue::from(crate::http::retry_after_header(*retry_after)),
        );
        return response;
    }
    let failure = ServerFailure::from_core(error);
    let mut response = message(failure.status, &failure.message);
    if let Some(seconds) = failure.retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// Laravel's 405 for a route that exists under other methods.
pub async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let route = uri.path().trim_start_matches('/');
    message(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("The {method} method is not supported for route {route}."),
    )
}

/// The core's verdict on account data, each violation under the field the request named it
/// by (`name`, `email`, `password`).
pub fn account_error(error: &Error) -> Response {
    match error {
        Error::Invalid(violations) => {
            let errors: Vec<(&str, String)> = violations.iter().map(worded).collect();
            validation(&errors)
        }
        other => server_failure(other),
    }
}

/// A violation as Laravel's validation rules word it, under its field.
pub fn worded(violation: &Violation) -> (&'static str, String) {
    use Violation::*;
    let field = match violation.field() {
        Field::Mail => "email",
        Field::Password => "password",
        _ => "name",
    };
    let text = match violation {
        NameMissing => "The name field is required.".to_string(),
        NameTooLong { .. } => "The name field must not be greater than 60 characters.".into(),
        NameTaken { .. } => "The name has already been taken.".into(),
        MailMissing => "The email field is required.".into(),
        MailTooLong => "The email field must not be greater than 254 characters.".into(),
        MailInvalid => "The email field must be a valid email address.".into(),
        MailTaken { .. } => "The email has already been taken.".into(),
        PasswordMissing => "The password field is required.".into(),
        PasswordTooLong => {
            format!("The password field must not be greater than {MAX_PASSWORD_BYTES} characters.")
        }
        PasswordTooShort { min } => {
            format!("The password field must be at least {min} characters.")
        }
        PasswordTooCommon => "The given password has appeared in a data leak. Please choose a \
                              different password."
            .into(),
        PasswordTooSimilar { to } => format!(
            "The password field is too similar to the {}.",
            if *to == Field::Mail { "email" } else { "name" }
        ),
        PasswordEntirelyNumeric => "The password field must contain at least one letter.".into(),
        _ => format!("The {field} field format is invalid."),
    };
    (field, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(response: Response) -> Value {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn the_message_is_the_first_error_and_how_many_more_there_are() {
        let one = validation(&[("email", "The email field is required.".into())]);
        assert_eq!(one.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            body_of(one).await["message"],
            "The email field is required."
        );
        let three = validation(&[
            ("email", "The email field is required.".into()),
            ("password", "The password field is required.".into()),
            (
                "password",
                "The password field must be at least 8 characters.".into(),
            ),
        ]);
        let body = body_of(three).await;
        assert_eq!(
            body["message"],
            "The email field is required. (and 2 more errors)"
        );
        assert_eq!(body["errors"]["password"].as_array().unwrap().len(), 2);
    }
}
