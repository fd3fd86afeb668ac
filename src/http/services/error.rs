//! Errors as the Services module reports them: the message in the status line's reason phrase
//! (`401 Unauthorized : Wrong username or password.`) and, in the body, the error's data or
//! else the message, formatted like any other answer.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use super::format::Format;
use crate::core::Error as CoreError;
use crate::core::flood::FloodScope;
use crate::core::passkeys::PasskeyError;
use crate::http::failure::PASSKEY_REQUIRED;
use crate::http::{ServerFailure, SessionLookupFailed, retry_after_header};

#[derive(Debug)]
pub struct ServicesError {
    status: StatusCode,
    message: String,
    data: Option<Value>,
    /// Routing and format errors happen before a controller runs: status line only.
    empty_body: bool,
    retry_after: Option<u32>,
}

impl ServicesError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            data: None,
            empty_body: false,
            retry_after: None,
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn not_acceptable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_ACCEPTABLE, message)
    }

    /// `Access denied for user <name|anonymous>`, the access callback's refusal.
    pub fn access_denied(name: Option<&str>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            format!("Access denied for user {}", name.unwrap_or("anonymous")),
        )
    }

    pub fn missing_argument(name: &str) -> Self {
        Self::unauthorized(format!("Missing required argument {name}"))
    }

    /// A routing or negotiation error: the status line says it all and the body is empty.
    pub fn before_controller(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            empty_body: true,
            ..Self::new(status, message)
        }
    }

    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// 406 with the form's errors by field, all messages joined in the status line.
    pub fn form_errors(errors: Map<String, Value>) -> Self {
        let joined: Vec<&str> = errors.values().filter_map(Value::as_str).collect();
        let message = joined.join(" ");
        Self::not_acceptable(message).with_data(serde_json::json!({ "form_errors": errors }))
    }

    /// A failure on the server's side, as `ServerFailure` decided it.
    pub fn server(failure: ServerFailure) -> Self {
        let mut e = Self::new(failure.status, failure.message);
        e.retry_after = failure.retry_after;
        e
    }

    pub fn render(self, format: Format) -> Response {
        let reason = reason_phrase(self.status, &self.message);
        let mut response = if self.empty_body {
            format.empty(self.status)
        } else {
            let body = self.data.unwrap_or(Value::String(self.message));
            format.render(self.status, &body)
        };
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        // A phrase hyper refuses (it cannot happen after sanitising) falls back to the
        // standard one rather than failing the response.
        if let Ok(phrase) = hyper::ext::ReasonPhrase::try_from(reason) {
            response.extensions_mut().insert(phrase);
        }
        response
    }
}

impl From<CoreError> for ServicesError {
    /// The core's answers that read the same at every endpoint of this dialect.
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::BadCredentials => Self::unauthorized("Wrong username or password."),
            CoreError::SecondFactorRequired => Self::unauthorized(
                "This account uses a second factor: send the 6-digit code of its authenticator \
                 app (or a recovery code) as the argument code with the name and password, or \
                 log in with POST /latch/login.",
            ),
            CoreError::SecondFactorInvalid => Self::unauthorized(
                "The second-factor code is wrong, expired or was already used. Send a current \
                 code of the authenticator app, or an unused recovery code, as code.",
            ),
            CoreError::Passkey(PasskeyError::Required) => Self::unauthorized(PASSKEY_REQUIRED),
            CoreError::NoSuchAccount => {
                Self::new(StatusCode::NOT_FOUND, "There is no user with this ID.")
            }
            CoreError::RegistrationClosed | CoreError::NotPermitted => Self::access_denied(None),
            CoreError::FieldNotAllowed(_) => Self::access_denied(None),
            CoreError::Flooded { scope, retry_after } => {
                let message = match scope {
                    FloodScope::Ip => "This IP address is temporarily blocked.",
                    FloodScope::Account { .. } => "Account is temporarily blocked.",
                    FloodScope::PasswordRequestIp => {
                        "Too many password recovery requests from your IP address. It is \
                         temporarily blocked. Try again later or contact the site administrator."
                    }
                };
                let mut e = Self::not_acceptable(message);
                e.retry_after = Some(retry_after_header(retry_after));
                e
            }
            CoreError::Overloaded { .. } | CoreError::Store(_) | CoreError::Password(_) => {
                Self::server(ServerFailure::from_core(&error))
            }
            // Handlers word these where Services words them; elsewhere the core's text is
            // the clearest thing to say.
            CoreError::Invalid(_)
            | CoreError::PasswordRequired
            | CoreError::PasswordNotAllowed
            | CoreError::AccountInactive
            | CoreError::LoginTokenInvalid
            | CoreError::MfaAlreadyEnrolled
            | CoreError::MfaNotEnrolled
            | CoreError::Passkey(_)
            | CoreError::LinkExpired
            | CoreError::LinkInvalid => Self::not_acceptable(error.to_string()),
        }
    }
}

impl From<SessionLookupFailed> for ServicesError {
    fn from(failure: SessionLookupFailed) -> Self {
        failure.0.into()
    }
}

/// The Services REST server's status texts, with markup stripped and anything a status line
/// cannot carry (line breaks, control characters) turned into spaces.
fn reason_phrase(status: StatusCode, message: &str) -> String {
    let text = strip_tags(message);
    let phrase = match status.as_u16() {
        401 => format!("Unauthorized : {text}"),
        404 => format!("Not found : {text}"),
        406 => format!("Not Acceptable : {text}"),
        _ => format!(": {text}"),
    };
    let mut clean: String = phrase
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    // Long messages (many form errors) must not make an oversized status line.
    const MAX: usize = 1000;
    if clean.len() > MAX {
        let mut end = MAX;
        while !clean.is_char_boundary(end) {
            end -= 1;
        }
        clean.truncate(end);
    }
    clean
}

/// Removes `<…>` markup, as PHP's `strip_tags` does for the status line.
pub fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_phrases_follow_the_rest_server() {
        assert_eq!(
            reason_phrase(StatusCode::UNAUTHORIZED, "CSRF validation failed"),
            "Unauthorized : CSRF validation failed"
        );
        assert_eq!(
            reason_phrase(
                StatusCode::FORBIDDEN,
                "The username <em class=\"placeholder\">bob</em> has not been activated or is blocked."
            ),
            ": The username bob has not been activated or is blocked."
        );
        assert_eq!(
            reason_phrase(StatusCode::NOT_ACCEPTABLE, "a\r\nb"),
            "Not Acceptable : a  b"
        );
        assert!(reason_phrase(StatusCode::NOT_ACCEPTABLE, &"é".repeat(900)).len() <= 1000);
    }
}
