//! The JSON bodies of the native API's login and second-factor endpoints.

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};

use super::NativeError;
use crate::http::form::essence;
use crate::http::limits::json_too_deep;

pub(super) fn bad_request(message: impl Into<String>) -> NativeError {
    NativeError::new(StatusCode::BAD_REQUEST, message)
}

/// The body as a JSON object; `example` shows what to send.
pub(super) fn json_object(
    headers: &HeaderMap,
    body: &[u8],
    example: &str,
) -> Result<Map<String, Value>, NativeError> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .map(|v| essence(&String::from_utf8_lossy(v.as_bytes())));
    if content_type.as_deref() != Some("application/json") {
        return Err(NativeError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Send JSON (Content-Type: application/json), such as {example}."),
        ));
    }
    if let Some(reason) = json_too_deep(body) {
        return Err(bad_request(reason));
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad_request(format!(
            "The body must be a JSON object, such as {example}."
        ))),
        Err(e) => Err(bad_request(format!(
            "The body is not valid JSON ({e}). Send an object such as {example}."
        ))),
    }
}

/// A string field: `None` if absent or null; anything but a string is refused, named.
pub(super) fn text_field(
    fields: &Map<String, Value>,
    key: &str,
) -> Result<Option<String>, NativeError> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(bad_request(format!("{key}: must be a string"))),
    }
}

/// A string field that must be there and not blank.
pub(super) fn required_text(
    fields: &Map<String, Value>,
    key: &str,
    example: &str,
) -> Result<String, NativeError> {
    match text_field(fields, key)? {
        Some(text) if !text.trim().is_empty() => Ok(text),
        _ => Err(bad_request(format!("{key}: missing; send {example}"))),
    }
}
