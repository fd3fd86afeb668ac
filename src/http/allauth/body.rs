//! Request bodies as allauth reads them: JSON whatever the `Content-Type`, fields checked as
//! Django form fields. allauth answers a body it cannot parse with an empty 400; latch says
//! what to send instead.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use super::envelope::{FieldError, errors_with, invalid};
use crate::http::limits::json_too_deep;
use crate::http::unreadable_body;

pub const REQUIRED: &str = "This field is required.";

/// The submitted JSON object; an empty body is an empty object, as allauth binds its forms.
#[derive(Debug, Default)]
pub struct Input {
    values: Map<String, Value>,
}

impl Input {
    /// A Django `CharField`: trimmed, and absent when missing, `null` or blank. Numbers and
    /// booleans read as their text, as Django's `str()` makes them.
    pub fn text(&self, name: &str) -> Option<String> {
        let text = match self.values.get(name)? {
            Value::Null => return None,
            Value::String(s) => s.trim().to_string(),
            other => other.to_string(),
        };
        (!text.is_empty()).then_some(text)
    }

    /// Whether the key was sent at all, whatever its value.
    pub fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// A required `CharField`, or its `required` error.
    pub fn required(&self, name: &'static str, errors: &mut Vec<FieldError>) -> Option<String> {
        let value = self.text(name);
        if value.is_none() {
            errors.push(FieldError::on(name, "required", REQUIRED));
        }
        value
    }

    /// A Django `BooleanField(required=True)`: true, or its `required` error.
    pub fn checked(&self, name: &'static str, errors: &mut Vec<FieldError>) -> bool {
        let on = match self.values.get(name) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => {
                !matches!(s.to_ascii_lowercase().as_str(), "" | "false" | "0")
            }
            Some(Value::Number(n)) => n.as_f64() != Some(0.0),
            _ => false,
        };
        if !on {
            errors.push(FieldError::on(name, "required", REQUIRED));
        }
        on
    }
}

/// Reads the body as a JSON object.
pub fn read(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Input, Response> {
    let body = body.map_err(|rejection| {
        let (status, text) = unreadable_body(&rejection, limit);
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "too_large"
        } else {
            "invalid"
        };
        errors_with(status, &[FieldError::general(code, text)])
    })?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Input::default());
    }
    let refuse = |message: String| invalid(&[FieldError::general("invalid_json", message)]);
    if let Some(problem) = json_too_deep(&body) {
        return Err(refuse(problem));
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(values)) => Ok(Input { values }),
        Ok(_) => Err(refuse(
            "The body must be a JSON object, such as {\"username\": \"…\", \"password\": \"…\"}."
                .into(),
        )),
        Err(e) => Err(refuse(format!(
            "The body is not valid JSON ({e}). Send a JSON object with Content-Type: \
             application/json."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> Input {
        read(Ok(Bytes::from(json.to_string())), 1024).unwrap()
    }

    #[test]
    fn fields_read_as_django_char_fields() {
        let input = input(r#"{"a": "  x ", "b": "   ", "c": null, "d": 12, "e": true}"#);
        assert_eq!(input.text("a").as_deref(), Some("x"));
        assert_eq!(input.text("b"), None);
        assert_eq!(input.text("c"), None);
        assert_eq!(input.text("d").as_deref(), Some("12"));
        assert_eq!(input.text("e").as_deref(), Some("true"));
        assert!(input.has("b") && !input.has("z"));
    }

    #[test]
    fn bodies_that_are_not_json_objects_are_refused() {
        for body in ["[1]", "\"x\"", "{", "username=a"] {
            assert!(read(Ok(Bytes::from(body)), 1024).is_err(), "{body}");
        }
        assert!(input("").text("x").is_none());
    }
}
