//! Request bodies as Django and DRF read them: JSON objects, urlencoded and multipart forms.
//! Only form bodies can carry `csrfmiddlewaretoken`; JSON is never searched for it.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::detail;
use crate::http::form::{essence, multipart_pairs, urlencoded_pairs};
use crate::http::limits::json_too_deep;
use crate::http::unreadable_body;

/// The submitted fields, flat.
#[derive(Debug, Default)]
pub struct Fields {
    values: HashMap<String, String>,
    /// Whether the body was a form (so `csrfmiddlewaretoken` counts).
    pub form: bool,
}

impl Fields {
    /// A field's value; absent and JSON `null` are `None`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// A field with something in it besides spaces, trimmed as DRF's `CharField` does.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// A secret field: not trimmed (spaces can belong to a password), empty counts as absent.
    pub fn secret(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty()).map(str::to_string)
    }

    /// The CSRF token field of a form body.
    pub fn csrf_field(&self) -> Option<&str> {
        if self.form {
            self.get("csrfmiddlewaretoken")
        } else {
            None
        }
    }
}

/// Parses the body by its `Content-Type`; a missing type with an empty body is no fields.
pub async fn read(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<Fields, Response> {
    let body = body.map_err(|rejection| {
        let (status, message) = unreadable_body(&rejection, limit);
        detail(status, &message)
    })?;
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let bad = |message: String| detail(StatusCode::BAD_REQUEST, &message);
    let (pairs, form) = match essence(content_type).as_str() {
        _ if body.is_empty() => (Vec::new(), false),
        "application/json" => (json_pairs(&body)?, false),
        "application/x-www-form-urlencoded" => {
            (urlencoded_pairs(&body).map_err(|e| bad(e.message()))?, true)
        }
        "multipart/form-data" => (
            multipart_pairs(content_type, body)
                .await
                .map_err(|e| bad(e.message()))?,
            true,
        ),
        other => {
            return Err(detail(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &format!(
                    "Unsupported media type \"{other}\" in request. Send application/json, \
                     application/x-www-form-urlencoded or multipart/form-data."
                ),
            ));
        }
    };
    // A repeated field keeps its last value, as Django's `QueryDict.get` does.
    Ok(Fields {
        values: pairs.into_iter().collect(),
        form,
    })
}

fn json_pairs(body: &[u8]) -> Result<Vec<(String, String)>, Response> {
    if let Some(reason) = json_too_deep(body) {
        return Err(detail(
            StatusCode::BAD_REQUEST,
            &format!("JSON parse error - {reason}"),
        ));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| detail(StatusCode::BAD_REQUEST, &format!("JSON parse error - {e}")))?;
    // DRF's serializer words it with the Python type's name, as a non-field error.
    let python_type = match &value {
        Value::Object(_) => "dict",
        Value::Array(_) => "list",
        Value::String(_) => "str",
        Value::Bool(_) => "bool",
        Value::Null => "NoneType",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
    };
    let Value::Object(map) = value else {
        let message = format!("Invalid data. Expected a dictionary, but got {python_type}.");
        let body = serde_json::json!({ "non_field_errors": [message] });
        return Err((StatusCode::BAD_REQUEST, axum::Json(body)).into_response());
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

/// Every encoding the dialect reads, with arbitrary and half-valid bodies: each parses or is
/// refused with a 4xx, and none panics.
#[cfg(test)]
mod properties {
    use axum::http::HeaderValue;
    use proptest::prelude::*;

    use super::*;
    use crate::http::limits::MAX_NESTING;

    const TYPES: [&str; 5] = [
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=B",
        "multipart/form-data",
        "text/html",
    ];
    const SEEDS: [&str; 4] = [
        "{\"username\": [\"a\", {\"b\": ",
        "username=a&password=%ZZ&csrfmiddlewaretoken=",
        "--B\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\n",
        "",
    ];

    proptest! {
        /// Well-formed JSON nested to any depth is read up to the limit and refused with a
        /// 400 past it; a stack overflow would abort the run.
        #[test]
        fn json_is_read_up_to_the_nesting_limit_and_refused_with_a_400_past_it(
            depth in prop_oneof![1..=MAX_NESTING + 2, 1..40_000usize],
        ) {
            let body = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            match runtime.block_on(read(&headers, Ok(Bytes::from(body)), 1 << 20)) {
                Ok(_) => prop_assert!(depth <= MAX_NESTING),
                Err(response) => {
                    prop_assert!(depth > MAX_NESTING);
                    prop_assert_eq!(response.status(), StatusCode::BAD_REQUEST);
                }
            }
        }

        #[test]
        fn no_body_makes_the_reader_panic_and_every_refusal_is_a_4xx(
            content_type in prop::sample::select(&TYPES[..]),
            seed in prop::sample::select(&SEEDS[..]),
            tail in any::<String>(),
            raw in prop::collection::vec(any::<u8>(), 0..256),
            use_raw in any::<bool>(),
        ) {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
            let body = if use_raw { raw } else { format!("{seed}{tail}").into_bytes() };
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            if let Err(response) = runtime.block_on(read(&headers, Ok(Bytes::from(body)), 65536)) {
                prop_assert!(response.status().is_client_error());
            }
        }
    }
}
