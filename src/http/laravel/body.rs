//! Request bodies as Laravel reads them: a JSON object or a form, flat. Laravel takes a body it
//! cannot parse as no input at all; latch refuses it with 400 and says why.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::error::message;
use crate::http::form::{essence, multipart_pairs, urlencoded_pairs};
use crate::http::limits::json_too_deep;
use crate::http::unreadable_body;

/// The submitted fields.
#[derive(Debug, Default)]
pub struct Fields {
    values: HashMap<String, String>,
}

impl Fields {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// A field as Laravel's `TrimStrings` and `ConvertEmptyStringsToNull` leave it: trimmed,
    /// and absent when empty.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// A password field: kept as typed (`TrimStrings` skips passwords), absent when empty.
    pub fn secret(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty()).map(str::to_string)
    }
}

/// Parses the body by its `Content-Type`; an empty body is no fields.
pub async fn read(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<Fields, Response> {
    let body = body.map_err(|rejection| {
        let (status, text) = unreadable_body(&rejection, limit);
        message(status, &text)
    })?;
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let bad = |text: String| message(StatusCode::BAD_REQUEST, &text);
    let pairs = match essence(content_type).as_str() {
        _ if body.is_empty() => Vec::new(),
        "application/json" => json_pairs(&body)?,
        "application/x-www-form-urlencoded" => {
            urlencoded_pairs(&body).map_err(|e| bad(e.message()))?
        }
        "multipart/form-data" => multipart_pairs(content_type, body)
            .await
            .map_err(|e| bad(e.message()))?,
        other => {
            return Err(message(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &format!(
                    "Unsupported media type \"{other}\". Send application/json, \
                     application/x-www-form-urlencoded or multipart/form-data."
                ),
            ));
        }
    };
    Ok(Fields {
        values: pairs.into_iter().collect(),
    })
}

fn json_pairs(body: &[u8]) -> Result<Vec<(String, String)>, Response> {
    let refuse = |reason: String| {
        message(
            StatusCode::BAD_REQUEST,
            &format!("The request body is not valid JSON: {reason}. Send a JSON object."),
        )
    };
    if let Some(reason) = json_too_deep(body) {
        return Err(refuse(reason));
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| refuse(e.to_string()))?;
    let Value::Object(map) = value else {
        return Err(refuse("it is not an object".into()));
    };
    Ok(map
        .into_iter()
        .filter_map(|(key, value)| match value {
            Value::String(s) => Some((key, s)),
            Value::Number(n) => Some((key, n.to_string())),
            Value::Bool(b) => Some((key, b.to_string())),
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    async fn read_as(content_type: &'static str, body: &'static str) -> Result<Fields, Response> {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        read(&headers, Ok(Bytes::from(body)), 1 << 16).await
    }

    #[tokio::test]
    async fn json_and_forms_read_alike_and_broken_bodies_are_refused() {
        let json = read_as("application/json", r#"{"email":" a@b.c ","remember":true}"#)
            .await
            .unwrap();
        assert_eq!(json.text("email").as_deref(), Some("a@b.c"));
        assert_eq!(json.get("remember"), Some("true"));
        let form = read_as("application/x-www-form-urlencoded", "password=+x+&_token=t")
            .await
            .unwrap();
        assert_eq!(form.secret("password").as_deref(), Some(" x "));
        let broken = read_as("application/json", "{\"email\":")
            .await
            .unwrap_err();
        assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
        let list = read_as("application/json", "[1]").await.unwrap_err();
        assert_eq!(list.status(), StatusCode::BAD_REQUEST);
        let xml = read_as("text/xml", "<a/>").await.unwrap_err();
        assert_eq!(xml.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
}
